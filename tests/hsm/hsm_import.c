/*
 * Test helper: imports a known 256-bit master into a SoftHSM2 token with
 * C_CreateObject, so golden values exist without a golden HSM.
 * Usage: hsm_import MODULE TOKEN_LABEL PIN_FILE KEY_LABEL [extractable] < master.hex
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "tests/lib/ts_test.h"

static CK_SLOT_ID
find_slot(CK_FUNCTION_LIST *f, const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		return (CK_SLOT_ID)-1;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && strncmp((char *)ti.label, label, strlen(label)) == 0 &&
		    (strlen(label) == 32 || ti.label[strlen(label)] == ' ')) {
			return slots[i];
		}
	}
	return (CK_SLOT_ID)-1;
}

int
main(int argc, char **argv)
{
	char hex[80] = { 0 }, pin[64] = { 0 };
	uint8_t key[32];
	FILE *pf;
	if (argc < 5 || fgets(hex, sizeof(hex), stdin) == NULL || ts_test_unhex(strtok(hex, "\n"), key, 32) != 32 ||
	    (pf = fopen(argv[3], "r")) == NULL || fgets(pin, sizeof(pin), pf) == NULL) {
		fprintf(stderr, "usage: hsm_import MODULE TOKEN PIN_FILE LABEL [extractable] < master.hex\n");
		return 2;
	}
	fclose(pf);
	strtok(pin, "\n");
	CK_FUNCTION_LIST *f = p11_kit_module_load(argv[1], 0);
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL t = CK_TRUE, fa = CK_FALSE, ex = argc > 5 ? CK_TRUE : CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_TOKEN, &t, 1 },
		{ CKA_PRIVATE, &t, 1 },           { CKA_SENSITIVE, &t, 1 },          { CKA_EXTRACTABLE, &ex, 1 },
		{ CKA_SIGN, &t, 1 },              { CKA_VERIFY, &fa, 1 },            { CKA_VALUE, key, 32 },
		{ CKA_LABEL, argv[4], strlen(argv[4]) }, { CKA_MODIFIABLE, &fa, 1 },
	};
	if (f == NULL || p11_kit_module_initialize(f) != CKR_OK) {
		fprintf(stderr, "hsm_import: cannot load %s\n", argv[1]);
		return 1;
	}
	CK_SLOT_ID slot = find_slot(f, argv[2]);
	CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	rv = rv != CKR_OK ? rv : f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	rv = rv != CKR_OK ? rv : f->C_CreateObject(s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
	p11_kit_module_finalize(f);
	p11_kit_module_release(f);
	if (rv != CKR_OK) {
		fprintf(stderr, "hsm_import: 0x%lx\n", (unsigned long)rv);
		return 1;
	}
	return 0;
}
