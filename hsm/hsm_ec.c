#include "hsm/hsm_ec.h"

#include <stdint.h>
#include <string.h>

#include "hsm/hsm_int.h"

/* DER OBJECT IDENTIFIER prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS. */
static const uint8_t p256_params[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

ts_result
hsm_ec_generate(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *priv,
		CK_OBJECT_HANDLE *pub)
{
	TS_ENSURE(s != NULL && label != NULL && id != NULL && priv != NULL && pub != NULL, TS_ERR_NULL);
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_MECHANISM_TYPE allowed[] = { CKM_ECDSA };
	void *lab = (void *)(uintptr_t)label, *idp = (void *)(uintptr_t)id;
	/* spec/hsm.md §2: sensitive, not extractable, sign only, not modifiable; every attribute explicit. */
	CK_ATTRIBUTE pub_tmpl[] = {
		{ CKA_CLASS, &pub_cls, sizeof(pub_cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &t, 1 },
		{ CKA_PRIVATE, &f, 1 },
		{ CKA_VERIFY, &t, 1 },
		{ CKA_ENCRYPT, &f, 1 },
		{ CKA_WRAP, &f, 1 },
		{ CKA_DERIVE, &f, 1 },
		{ CKA_EC_PARAMS, (void *)(uintptr_t)p256_params, sizeof(p256_params) },
		{ CKA_LABEL, lab, strlen(label) },
		{ CKA_ID, idp, id_len },
		{ CKA_MODIFIABLE, &f, 1 },
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{ CKA_CLASS, &priv_cls, sizeof(priv_cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &t, 1 },
		{ CKA_PRIVATE, &t, 1 },
		{ CKA_SENSITIVE, &t, 1 },
		{ CKA_EXTRACTABLE, &f, 1 },
		{ CKA_SIGN, &t, 1 },
		{ CKA_SIGN_RECOVER, &f, 1 },
		{ CKA_DECRYPT, &f, 1 },
		{ CKA_UNWRAP, &f, 1 },
		{ CKA_DERIVE, &f, 1 },
		{ CKA_COPYABLE, &f, 1 },
		{ CKA_ALLOWED_MECHANISMS, allowed, sizeof(allowed) },
		{ CKA_LABEL, lab, strlen(label) },
		{ CKA_ID, idp, id_len },
		{ CKA_MODIFIABLE, &f, 1 },
	};
	return hsm_step(s, "C_GenerateKeyPair",
			s->fl->C_GenerateKeyPair(s->sh, &mech, pub_tmpl, sizeof(pub_tmpl) / sizeof(pub_tmpl[0]),
						 priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]), pub, priv),
			label, "the token refused to generate a P-256 key pair (needs CKM_EC_KEY_PAIR_GEN)");
}

ts_result
hsm_ec_point(struct hsm_session *s, CK_OBJECT_HANDLE pub, const char *label, uint8_t point[65])
{
	TS_ENSURE(s != NULL && label != NULL && point != NULL, TS_ERR_NULL);
	uint8_t buf[80];
	CK_ATTRIBUTE t = { CKA_EC_POINT, buf, sizeof(buf) };
	TS_GUARD(hsm_step(s, "C_GetAttributeValue", s->fl->C_GetAttributeValue(s->sh, pub, &t, 1), label,
			  "the CA public key's CKA_EC_POINT cannot be read"));
	const uint8_t *p = buf;
	size_t n = t.ulValueLen;
	if (n == 67 && buf[0] == 0x04 && buf[1] == 65) { /* DER OCTET STRING around the point */
		p += 2;
		n -= 2;
	}
	TS_ENSUREF(n == 65 && p[0] == 0x04, TS_ERR_SCHEMA,
		   "the public key %s is not an uncompressed P-256 point (CKA_EC_POINT of %lu bytes)", label,
		   (unsigned long)t.ulValueLen);
	memcpy(point, p, 65);
	return TS_OK;
}

ts_result
hsm_ecdsa_sign(struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label, const uint8_t digest[32],
	       uint8_t rs[64])
{
	TS_ENSURE(s != NULL && label != NULL && digest != NULL && rs != NULL, TS_ERR_NULL);
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_ULONG n = 64;
	TS_GUARD(hsm_step(s, "C_SignInit", s->fl->C_SignInit(s->sh, &mech, priv), label,
			  "the CA key cannot sign with CKM_ECDSA (needs CKA_SIGN)"));
	TS_GUARD(hsm_step(s, "C_Sign", s->fl->C_Sign(s->sh, (CK_BYTE_PTR)(uintptr_t)digest, 32, rs, &n), label,
			  "the token refused to sign"));
	TS_ENSUREF(n == 64, TS_ERR_P11, "PKCS#11 C_Sign on %s returned %lu bytes, not the 64 of a P-256 r||s", label,
		   (unsigned long)n);
	return TS_OK;
}

ts_result
hsm_cert_store(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len, const uint8_t *subject,
	       size_t subject_len, const uint8_t *der, size_t len, CK_OBJECT_HANDLE *h)
{
	TS_ENSURE(s != NULL && label != NULL && id != NULL && subject != NULL && der != NULL && h != NULL, TS_ERR_NULL);
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_TOKEN, &t, 1 },
		{ CKA_PRIVATE, &f, 1 },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		{ CKA_ID, (void *)(uintptr_t)id, id_len },
		{ CKA_SUBJECT, (void *)(uintptr_t)subject, subject_len },
		{ CKA_VALUE, (void *)(uintptr_t)der, len },
	};
	return hsm_step(s, "C_CreateObject",
			s->fl->C_CreateObject(s->sh, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h), label,
			"the token refused to store the CA certificate");
}

ts_result
hsm_cert_value(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, struct ts_buf *der)
{
	TS_ENSURE(s != NULL && label != NULL && der != NULL, TS_ERR_NULL);
	CK_ATTRIBUTE t = { CKA_VALUE, NULL, 0 };
	TS_GUARD(hsm_step(s, "C_GetAttributeValue", s->fl->C_GetAttributeValue(s->sh, h, &t, 1), label,
			  "the CA certificate cannot be read"));
	TS_ENSUREF(t.ulValueLen > 0 && t.ulValueLen <= 16384, TS_ERR_SCHEMA, "the certificate object %s is empty or huge",
		   label);
	uint8_t buf[16384];
	t.pValue = buf;
	TS_GUARD(hsm_step(s, "C_GetAttributeValue", s->fl->C_GetAttributeValue(s->sh, h, &t, 1), label,
			  "the CA certificate cannot be read"));
	return ts_buf_append(der, buf, t.ulValueLen);
}

ts_result
hsm_destroy_object(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label)
{
	TS_ENSURE(s != NULL && label != NULL, TS_ERR_NULL);
	return hsm_step(s, "C_DestroyObject", s->fl->C_DestroyObject(s->sh, h), label,
			"remove the object by hand (e.g. pkcs11-tool --delete-object)");
}
