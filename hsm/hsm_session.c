#include "hsm/hsm_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "hsm/hsm_int.h"

#define MAX_PIN 256
#define MAX_SLOTS 64

static void
trim_copy(char *dst, size_t dlen, const CK_UTF8CHAR *src, size_t slen)
{
	size_t n = slen;
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0')) {
		n--;
	}
	n = n < dlen - 1 ? n : dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
hsm_session_token(const struct hsm_session *s, char label[33], char serial[17], char model[17])
{
	trim_copy(label, 33, s->token.label, sizeof(s->token.label));
	trim_copy(serial, 17, s->token.serialNumber, sizeof(s->token.serialNumber));
	trim_copy(model, 17, s->token.model, sizeof(s->token.model));
}

static ts_result
read_pin_file(const char *path, struct ts_secret *pin)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	TS_ENSUREF(fd >= 0, errno == ELOOP ? TS_ERR_SYMLINK : TS_ERR_IO,
		   "PIN file %s: cannot open: %s (a PIN file must be a regular file, not a symlink)", path,
		   strerror(errno));
	ts_result r = TS_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = ts_failf(TS_ERR_IO, __FILE__, __LINE__, "PIN file %s: not a regular file", path);
	} else if ((st.st_mode & 077) != 0 || (st.st_uid != 0 && st.st_uid != geteuid())) {
		r = ts_failf(TS_ERR_MODE, __FILE__, __LINE__,
			     "PIN file %s: must be owned by you or root with no group/other access (chmod 600)", path);
	} else if (st.st_size <= 0 || st.st_size > MAX_PIN) {
		r = ts_failf(TS_ERR_RANGE, __FILE__, __LINE__, "PIN file %s: must hold 1 to %d bytes", path, MAX_PIN);
	} else {
		r = ts_secret_new(pin, (size_t)st.st_size);
	}
	if (r.code == 0 && read(fd, pin->data, pin->len) != (ssize_t)pin->len) {
		r = ts_failf(TS_ERR_IO, __FILE__, __LINE__, "PIN file %s: short read", path);
	}
	(void)close(fd);
	return r;
}

/* The PIN from its source, without trailing CR/LF, in secure memory. */
static ts_result
read_pin(const struct hsm_target *t, struct ts_secret *pin, size_t *len)
{
	if (t->pin_kind == HSM_PIN_FILE) {
		TS_GUARD(read_pin_file(t->pin_ref, pin));
	} else {
		const char *v = getenv(t->pin_ref);
		TS_ENSUREF(v != NULL && *v != '\0', TS_ERR_USAGE, "PIN source env:%s: the variable is not set",
			   t->pin_ref);
		size_t n = strlen(v);
		TS_ENSUREF(n <= MAX_PIN, TS_ERR_RANGE, "PIN source env:%s: longer than %d bytes", t->pin_ref, MAX_PIN);
		TS_GUARD(ts_secret_new(pin, n));
		memcpy(pin->data, v, n);
	}
	*len = pin->len;
	while (*len > 0 && (pin->data[*len - 1] == '\n' || pin->data[*len - 1] == '\r')) {
		(*len)--;
	}
	TS_ENSUREF(*len > 0, TS_ERR_USAGE, "the PIN from the pin-source is empty");
	return TS_OK;
}

static ts_result
load_module(struct hsm_session *s)
{
	/* Unmanaged: every return code of the module reaches us (p11-kit's managed wrapper
	 * does not report a failing C_Finalize). */
	s->fl = p11_kit_module_load(s->t->module_path, P11_KIT_MODULE_UNMANAGED);
	if (s->fl == NULL) {
		const char *m = p11_kit_message();
		TS_BAILF(TS_ERR_P11, "PKCS#11 module %s: cannot load: %s; check module-path in the HSM URI",
			 s->t->module_path, m ? m : "unknown error");
	}
	TS_GUARD(hsm_step(s, "C_Initialize", p11_kit_module_initialize(s->fl), NULL,
		      "check the module's configuration (for SoftHSM2: SOFTHSM2_CONF)"));
	s->initialized = 1;
	return TS_OK;
}

static ts_result
select_token(struct hsm_session *s)
{
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG n = MAX_SLOTS;
	size_t matches = 0;
	TS_GUARD(hsm_step(s, "C_GetSlotList", s->fl->C_GetSlotList(CK_TRUE, slots, &n), NULL,
		      "the module could not list its tokens"));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		TS_GUARD(hsm_step(s, "C_GetTokenInfo", s->fl->C_GetTokenInfo(slots[i], &ti), NULL,
			      "the module could not describe a token"));
		if (p11_kit_uri_match_token_info(s->t->p11uri, &ti)) {
			if (matches++ == 0) {
				s->slot = slots[i];
				s->token = ti;
			}
		}
	}
	TS_ENSUREF(matches == 1, TS_ERR_P11, "%s: %s token matches the HSM URI %s; name exactly one (token label "
		   "or serial)", s->t->token_label[0] ? s->t->token_label : "token", matches ? "more than one" : "no",
		   s->t->display);
	return TS_OK;
}

static ts_result
login(struct hsm_session *s)
{
	TS_SECRET(pin);
	size_t len = 0;
	TS_GUARD(read_pin(s->t, &pin, &len));
	CK_RV rv = s->fl->C_Login(s->sh, CKU_USER, pin.data, len);
	ts_secret_free(&pin); /* wiped before anything else happens; never retried */
	if (rv == CKR_USER_ALREADY_LOGGED_IN) {
		rv = CKR_OK;
	}
	TS_GUARD(hsm_step(s, "C_Login", rv, NULL,
		      "check the PIN source; tapeseal never retries a login (HSMs lock PINs)"));
	s->logged_in = 1;
	return TS_OK;
}

static ts_result
open_all(struct hsm_session *s, int rw)
{
	TS_GUARD(load_module(s));
	TS_GUARD(select_token(s));
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	TS_GUARD(hsm_step(s, "C_OpenSession", s->fl->C_OpenSession(s->slot, flags, NULL, NULL, &s->sh), NULL,
		      "the token refused a session"));
	s->open = 1;
	return login(s);
}

ts_result
hsm_session_open(const struct hsm_target *t, int rw, struct hsm_transcript *tr, struct hsm_session **out)
{
	TS_ENSURE_REF(t);
	TS_ENSURE_REF(tr);
	TS_ENSURE_REF(out);
	struct hsm_session *s = calloc(1, sizeof(*s));
	TS_ENSURE(s != NULL, TS_ERR_NOMEM);
	s->t = t;
	s->tr = tr;
	ts_result r = open_all(s, rw);
	if (r.code != 0) {
		hsm_session_close(s);
		return r;
	}
	*out = s;
	return TS_OK;
}

static ts_result
teardown(struct hsm_session *s)
{
	ts_result r = TS_OK;
	ts_result x;
	if (s->logged_in) {
		x = hsm_step(s, "C_Logout", s->fl->C_Logout(s->sh), NULL, "logging out failed");
		r = r.code != 0 ? r : x;
	}
	if (s->open) {
		x = hsm_step(s, "C_CloseSession", s->fl->C_CloseSession(s->sh), NULL, "closing the session failed");
		r = r.code != 0 ? r : x;
	}
	if (s->initialized) {
		x = hsm_step(s, "C_Finalize", p11_kit_module_finalize(s->fl), NULL, "finalising the module failed");
		r = r.code != 0 ? r : x;
	}
	if (s->fl != NULL) {
		p11_kit_module_release(s->fl);
	}
	free(s);
	return r;
}

ts_result
hsm_session_end(struct hsm_session *s)
{
	TS_ENSURE_REF(s);
	return teardown(s);
}

void
hsm_session_close(struct hsm_session *s)
{
	if (s != NULL) {
		ts_result_ignore(teardown(s));
	}
}

ts_result
hsm_find_object(struct hsm_session *s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h, size_t *count)
{
	TS_ENSURE(s != NULL && label != NULL && h != NULL && count != NULL, TS_ERR_NULL);
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
	};
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	TS_GUARD(hsm_step(s, "C_FindObjectsInit", s->fl->C_FindObjectsInit(s->sh, tmpl, 2), label, "search failed"));
	CK_RV rv = s->fl->C_FindObjects(s->sh, found, 2, &n);
	TS_GUARD(hsm_step(s, "C_FindObjects", rv, label, "search failed"));
	TS_GUARD(hsm_step(s, "C_FindObjectsFinal", s->fl->C_FindObjectsFinal(s->sh), label, "search failed"));
	*count = n;
	*h = n > 0 ? found[0] : CK_INVALID_HANDLE;
	return TS_OK;
}

static int
flag(CK_BBOOL b)
{
	return b == CK_TRUE;
}

/*
 * One C_GetAttributeValue for the protection attributes of a key; CKA_VALUE_LEN
 * only when with_len (secret keys have it, EC private keys do not).
 */
static ts_result
read_attrs(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, int with_len, const char *hint,
	   struct hsm_key_attrs *a)
{
	CK_BBOOL local = 0, asens = 0, nextr = 0, extr = 0, mod = 0, sens = 0, sign = 0;
	CK_KEY_TYPE kt = 0;
	CK_ULONG vlen = 0;
	memset(a, 0, sizeof(*a));
	CK_ATTRIBUTE t[] = {
		{ CKA_LOCAL, &local, sizeof(local) },
		{ CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens) },
		{ CKA_NEVER_EXTRACTABLE, &nextr, sizeof(nextr) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_MODIFIABLE, &mod, sizeof(mod) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_SIGN, &sign, sizeof(sign) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_ID, a->id, sizeof(a->id) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
	};
	CK_ULONG n = with_len ? 10 : 9;
	TS_GUARD(hsm_step(s, "C_GetAttributeValue", s->fl->C_GetAttributeValue(s->sh, h, t, n), label, hint));
	a->local = flag(local);
	a->always_sensitive = flag(asens);
	a->never_extractable = flag(nextr);
	a->extractable = flag(extr);
	a->modifiable = flag(mod);
	a->sensitive = flag(sens);
	a->sign = flag(sign);
	a->generic_secret = kt == CKK_GENERIC_SECRET;
	a->ec = kt == CKK_EC;
	a->value_len = vlen;
	a->id_len = t[8].ulValueLen == CK_UNAVAILABLE_INFORMATION ? 0 : t[8].ulValueLen;
	return TS_OK;
}

ts_result
hsm_key_attrs(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, struct hsm_key_attrs *a)
{
	return read_attrs(s, h, label, 1, "the master key's attributes cannot be read", a);
}

ts_result
hsm_ec_attrs(struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label, struct hsm_key_attrs *a)
{
	TS_ENSURE(s != NULL && label != NULL && a != NULL, TS_ERR_NULL);
	return read_attrs(s, priv, label, 0, "the CA key's attributes cannot be read", a);
}

ts_result
hsm_key_value_hidden(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, int *hidden)
{
	CK_ATTRIBUTE t = { CKA_VALUE, NULL, 0 };
	CK_RV rv = s->fl->C_GetAttributeValue(s->sh, h, &t, 1);
	TS_GUARD(hsm_transcript_log(s->tr, "C_GetAttributeValue", rv, label));
	*hidden = rv == CKR_ATTRIBUTE_SENSITIVE;
	return TS_OK;
}

ts_result
hsm_hmac_sha256(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, const uint8_t *msg, size_t len,
		struct ts_secret *out)
{
	CK_MECHANISM mech = { CKM_SHA256_HMAC, NULL, 0 };
	TS_SECRET(mac);
	CK_ULONG n = 32;
	TS_GUARD(ts_secret_new(&mac, 32));
	TS_GUARD(hsm_step(s, "C_SignInit", s->fl->C_SignInit(s->sh, &mech, h), label,
		      "the master key must allow CKM_SHA256_HMAC signing"));
	TS_GUARD(hsm_step(s, "C_Sign", s->fl->C_Sign(s->sh, (CK_BYTE_PTR)(uintptr_t)msg, len, mac.data, &n), label,
		      "HMAC derivation failed"));
	TS_ENSUREF(n == 32, TS_ERR_P11, "PKCS#11 C_Sign on %s returned %lu bytes, not 32", label, (unsigned long)n);
	ts_secret_move(out, &mac);
	return TS_OK;
}

ts_result
hsm_master_generate(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len,
		    CK_OBJECT_HANDLE *out)
{
	CK_MECHANISM mech = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG vlen = 32;
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_MECHANISM_TYPE allowed[] = { CKM_SHA256_HMAC };
	/* spec/hsm.md §1: every attribute explicit; SoftHSM's defaults are unsafe. */
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },       { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) }, { CKA_TOKEN, &t, 1 },
		{ CKA_PRIVATE, &t, 1 },                 { CKA_SENSITIVE, &t, 1 },
		{ CKA_EXTRACTABLE, &f, 1 },             { CKA_SIGN, &t, 1 },
		{ CKA_VERIFY, &f, 1 },                  { CKA_DERIVE, &f, 1 },
		{ CKA_ENCRYPT, &f, 1 },                 { CKA_DECRYPT, &f, 1 },
		{ CKA_WRAP, &f, 1 },                    { CKA_UNWRAP, &f, 1 },
		{ CKA_COPYABLE, &f, 1 },                { CKA_ALLOWED_MECHANISMS, allowed, sizeof(allowed) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		{ CKA_ID, (void *)(uintptr_t)id, id_len },
		{ CKA_MODIFIABLE, &f, 1 },
	};
	return hsm_step(s, "C_GenerateKey",
		    s->fl->C_GenerateKey(s->sh, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), out), label,
		    "the token refused to generate the master key (needs CKM_GENERIC_SECRET_KEY_GEN)");
}

struct mech_need {
	CK_MECHANISM_TYPE m;
	CK_FLAGS flag;
	const char *name, *use;
};

static const struct mech_need needs[][2] = {
	[HSM_NEED_HMAC] = { { CKM_SHA256_HMAC, CKF_SIGN, "CKM_SHA256_HMAC", "to derive the seeds (HMAC-SHA256 sign)" } },
	[HSM_NEED_MASTER] = { { CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE, "CKM_GENERIC_SECRET_KEY_GEN",
				"to generate the master" },
			      { CKM_SHA256_HMAC, CKF_SIGN, "CKM_SHA256_HMAC", "to derive the seeds (HMAC-SHA256 sign)" } },
	[HSM_NEED_CA] = { { CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, "CKM_EC_KEY_PAIR_GEN",
			    "to generate the CA's P-256 key" },
			  { CKM_ECDSA, CKF_SIGN, "CKM_ECDSA", "to sign certificates with the CA key" } },
	[HSM_NEED_ECDSA] = { { CKM_ECDSA, CKF_SIGN, "CKM_ECDSA", "to sign certificates with the CA key" } },
};

ts_result
hsm_require(struct hsm_session *s, enum hsm_need need)
{
	char label[33], serial[17], model[17];
	TS_ENSURE(s != NULL && (unsigned)need < sizeof(needs) / sizeof(needs[0]), TS_ERR_NULL);
	hsm_session_token(s, label, serial, model);
	for (size_t i = 0; i < 2 && needs[need][i].name != NULL; i++) {
		const struct mech_need *n = &needs[need][i];
		CK_MECHANISM_INFO info;
		CK_RV rv = s->fl->C_GetMechanismInfo(s->slot, n->m, &info);
		if (rv == CKR_MECHANISM_INVALID || (rv == CKR_OK && (info.flags & n->flag) == 0)) {
			TS_GUARD(hsm_transcript_log(s->tr, "C_GetMechanismInfo", rv, n->name));
			TS_BAILF(TS_ERR_P11, "the token '%s' (%s) offers no %s %s; this module cannot do it (nothing was "
					     "changed on the token)", label, model, n->name, n->use);
		}
		TS_GUARD(hsm_step(s, "C_GetMechanismInfo", rv, n->name, "the module could not describe its mechanisms"));
	}
	return TS_OK;
}
