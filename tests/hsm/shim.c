/*
 * A PKCS#11 module for tests (after p11-kit's mock module): it loads the real
 * module named by TS_SHIM_REAL and forwards every call, counting the calls
 * tapeseal makes.  TS_SHIM_FAIL_AT=N makes the Nth counted call fail with
 * CKR_DEVICE_ERROR; TS_SHIM_COUNT_FILE receives the count at C_Finalize;
 * TS_SHIM_SIGN=zero|same makes C_Sign return 32 zero bytes or the same 32
 * bytes every time (to provoke the zero and equal seed refusals);
 * TS_SHIM_SIGN_COUNT_FILE receives the number of C_Sign calls at C_Finalize;
 * TS_SHIM_NO_MECH=0xNNNN hides one mechanism from C_GetMechanismInfo.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST real;
static CK_FUNCTION_LIST shim;
static unsigned long calls;

static CK_RV
count(void)
{
	const char *at = getenv("TS_SHIM_FAIL_AT");
	calls++;
	return at != NULL && strtoul(at, NULL, 10) == calls ? CKR_DEVICE_ERROR : CKR_OK;
}

#define FWD(name, params, args)                 \
	static CK_RV shim_##name params         \
	{                                       \
		CK_RV rv = count();             \
		return rv != CKR_OK ? rv : real.name args; \
	}

FWD(C_Initialize, (CK_VOID_PTR a), (a))
FWD(C_GetSlotList, (CK_BBOOL p, CK_SLOT_ID_PTR l, CK_ULONG_PTR n), (p, l, n))
FWD(C_GetTokenInfo, (CK_SLOT_ID s, CK_TOKEN_INFO_PTR i), (s, i))
FWD(C_OpenSession, (CK_SLOT_ID s, CK_FLAGS f, CK_VOID_PTR a, CK_NOTIFY n, CK_SESSION_HANDLE_PTR h), (s, f, a, n, h))
FWD(C_CloseSession, (CK_SESSION_HANDLE h), (h))
FWD(C_Login, (CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR p, CK_ULONG l), (h, u, p, l))
FWD(C_Logout, (CK_SESSION_HANDLE h), (h))
FWD(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, t, n))
FWD(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n), (h, o, m, n))
FWD(C_FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
FWD(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, o, t, n))
FWD(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
FWD(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),
    (h, m, t, n, k))
FWD(C_GenerateKeyPair,
    (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn, CK_ATTRIBUTE_PTR vt, CK_ULONG vn,
     CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR vk),
    (h, m, pt, pn, vt, vn, pk, vk))
FWD(C_CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o), (h, t, n, o))
FWD(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), (h, o))

/* TS_SHIM_NO_MECH=0xNNNN: the module does not offer that mechanism (as a module without EC would). */
static CK_RV
shim_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO_PTR info)
{
	const char *no = getenv("TS_SHIM_NO_MECH");
	CK_RV rv = count();
	if (rv == CKR_OK && no != NULL && strtoul(no, NULL, 0) == m) {
		return CKR_MECHANISM_INVALID;
	}
	return rv != CKR_OK ? rv : real.C_GetMechanismInfo(slot, m, info);
}

static unsigned long signs;

static CK_RV
shim_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl)
{
	const char *mode = getenv("TS_SHIM_SIGN");
	CK_RV rv = count();
	signs++;
	if (rv == CKR_OK) {
		rv = real.C_Sign(h, d, dl, s, sl);
	}
	if (rv == CKR_OK && s != NULL && mode != NULL) {
		memset(s, strcmp(mode, "zero") == 0 ? 0 : 0x5a, *sl);
	}
	return rv;
}

static CK_RV
shim_C_Finalize(CK_VOID_PTR a)
{
	const char *file = getenv("TS_SHIM_COUNT_FILE"), *sign_file = getenv("TS_SHIM_SIGN_COUNT_FILE");
	CK_RV rv = count();
	rv = rv != CKR_OK ? rv : real.C_Finalize(a);
	if (sign_file != NULL) {
		FILE *f = fopen(sign_file, "w");
		if (f != NULL) {
			fprintf(f, "%lu\n", signs);
			fclose(f);
		}
	}
	if (file != NULL) {
		FILE *f = fopen(file, "w");
		if (f != NULL) {
			fprintf(f, "%lu\n", calls);
			fclose(f);
		}
	}
	return rv;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *path = getenv("TS_SHIM_REAL");
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
	CK_FUNCTION_LIST_PTR r = NULL;
	void *h = path != NULL ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (h == NULL || (*(void **)&get = dlsym(h, "C_GetFunctionList")) == NULL || get(&r) != CKR_OK) {
		return CKR_GENERAL_ERROR;
	}
	real = *r;
	shim = *r;
	shim.C_Initialize = shim_C_Initialize;
	shim.C_Finalize = shim_C_Finalize;
	shim.C_GetSlotList = shim_C_GetSlotList;
	shim.C_GetTokenInfo = shim_C_GetTokenInfo;
	shim.C_OpenSession = shim_C_OpenSession;
	shim.C_CloseSession = shim_C_CloseSession;
	shim.C_Login = shim_C_Login;
	shim.C_Logout = shim_C_Logout;
	shim.C_FindObjectsInit = shim_C_FindObjectsInit;
	shim.C_FindObjects = shim_C_FindObjects;
	shim.C_FindObjectsFinal = shim_C_FindObjectsFinal;
	shim.C_GetAttributeValue = shim_C_GetAttributeValue;
	shim.C_SignInit = shim_C_SignInit;
	shim.C_Sign = shim_C_Sign;
	shim.C_GenerateKey = shim_C_GenerateKey;
	shim.C_GenerateKeyPair = shim_C_GenerateKeyPair;
	shim.C_CreateObject = shim_C_CreateObject;
	shim.C_DestroyObject = shim_C_DestroyObject;
	shim.C_GetMechanismInfo = shim_C_GetMechanismInfo;
	*list = &shim;
	return CKR_OK;
}
