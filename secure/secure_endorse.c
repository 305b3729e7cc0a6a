#include "secure/secure_endorse.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "secure/secure_x509.h"

void
secure_ca_free(struct secure_ca *ca)
{
	if (ca != NULL) {
		X509_free(ca->cert);
		EVP_PKEY_free(ca->pub);
		memset(ca, 0, sizeof(*ca));
	}
}

static ts_result
find_one(struct hsm_session *s, CK_OBJECT_CLASS cls, const char *label, const char *what, CK_OBJECT_HANDLE *h)
{
	size_t n;
	TS_GUARD(hsm_find_object(s, cls, label, h, &n));
	TS_ENSUREF(n == 1, TS_ERR_SCHEMA, "the token holds %s %s labelled '%s'; a CA is one key pair and one "
		   "certificate (tapeseal-secure ca init)", n == 0 ? "no" : "several", what, label);
	return TS_OK;
}

static ts_result
load_cert(struct hsm_session *s, CK_OBJECT_HANDLE h, struct secure_ca *ca)
{
	TS_BUF(der);
	TS_GUARD(hsm_cert_value(s, h, ca->label, &der));
	const unsigned char *p = der.data;
	ca->cert = d2i_X509(NULL, &p, (long)der.len);
	TS_ENSUREF(ca->cert != NULL, TS_ERR_SCHEMA, "the certificate '%s' is not DER X.509", ca->label);
	TS_ENSUREF(X509_check_ca(ca->cert) >= 1 && (X509_get_key_usage(ca->cert) & KU_KEY_CERT_SIGN), TS_ERR_SCHEMA,
		   "the certificate '%s' is not a CA certificate with keyCertSign", ca->label);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca->cert);
	TS_ENSUREF(ski != NULL && ASN1_STRING_length(ski) == TS_DICE_ID_LEN, TS_ERR_SCHEMA,
		   "the certificate '%s' has no 20-byte subject key identifier", ca->label);
	memcpy(ca->ski, ASN1_STRING_get0_data(ski), TS_DICE_ID_LEN);
	return TS_OK;
}

ts_result
secure_ca_load(struct hsm_session *s, const char *label, struct secure_ca *out)
{
	TS_ENSURE(s != NULL && label != NULL && out != NULL, TS_ERR_NULL);
	CK_OBJECT_HANDLE pub, crt;
	struct hsm_key_attrs a;
	uint8_t point[65];
	memset(out, 0, sizeof(*out));
	(void)snprintf(out->label, sizeof(out->label), "%s", label);
	TS_GUARD(find_one(s, CKO_PRIVATE_KEY, label, "private key", &out->priv));
	TS_GUARD(find_one(s, CKO_PUBLIC_KEY, label, "public key", &pub));
	TS_GUARD(find_one(s, CKO_CERTIFICATE, label, "certificate", &crt));
	TS_GUARD(hsm_ec_attrs(s, out->priv, label, &a));
	TS_ENSUREF(a.ec && a.sign, TS_ERR_MODE, "the CA key '%s' is not an EC signing key", label);
	TS_ENSUREF(a.sensitive && !a.extractable && a.never_extractable, TS_ERR_MODE,
		   "the CA key '%s' is extractable or not sensitive; endorse only with keys that never left the HSM",
		   label);
	TS_GUARD(hsm_ec_point(s, pub, label, point));
	TS_GUARD(secure_p256_pub(point, &out->pub));
	TS_GUARD(load_cert(s, crt, out));
	TS_ENSUREF(EVP_PKEY_eq(X509_get0_pubkey(out->cert), out->pub) == 1, TS_ERR_MODE,
		   "the CA certificate '%s' is not the certificate of the key with that label", label);
	return TS_OK;
}

/* B5.6: what a TBS must say before the CA signs it. */
static ts_result
inspect(const struct secure_ca *ca, const char *name, X509 *x, const struct ts_dice_tcb *expect)
{
	TS_ENSUREF(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256, TS_ERR_SCHEMA,
		   "TBS %s: signature algorithm is not ecdsa-with-SHA256", name);
	TS_ENSUREF(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca->cert)) == 0, TS_ERR_SCHEMA,
		   "TBS %s: issuer DN is not the subject of CA '%s'", name, ca->label);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	TS_ENSUREF(aki != NULL && ASN1_STRING_length(aki) == TS_DICE_ID_LEN &&
			   memcmp(ASN1_STRING_get0_data(aki), ca->ski, TS_DICE_ID_LEN) == 0,
		   TS_ERR_SCHEMA, "TBS %s: authority key identifier is not the key_id of CA '%s'", name, ca->label);
	struct ts_dice_key k;
	TS_ENSUREF(X509_get0_pubkey(x) != NULL && EVP_PKEY_is_a(X509_get0_pubkey(x), "EC") &&
			   ts_dice_key_from_pkey(X509_get0_pubkey(x), &k).code == 0,
		   TS_ERR_SCHEMA, "TBS %s: the subject key is not a P-256 key", name);
	uint8_t serial[TS_DICE_ID_LEN + 1] = { 0 };
	memcpy(serial + 1, k.id, TS_DICE_ID_LEN);
	serial[1] |= 0x80;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	int ski_ok = ski != NULL && ASN1_STRING_length(ski) == TS_DICE_ID_LEN &&
		     memcmp(ASN1_STRING_get0_data(ski), k.id, TS_DICE_ID_LEN) == 0;
	ts_dice_key_free(&k);
	TS_ENSUREF(ski_ok, TS_ERR_SCHEMA, "TBS %s: subject key identifier is not SHA-256(key)[:20]", name);
	unsigned char *ser = NULL;
	int n = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser);
	int ser_ok = n == 23 && memcmp(ser + 2, serial, sizeof(serial)) == 0;
	OPENSSL_free(ser);
	TS_ENSUREF(ser_ok, TS_ERR_SCHEMA, "TBS %s: serial number is not the key ID with its top bit set", name);
	if (expect == NULL) {
		return TS_OK;
	}
	struct ts_dice_tcb got;
	int crit = 0;
	TS_GUARD(ts_dice_tcb_read(x, &got, &crit));
	TS_ENSUREF(crit, TS_ERR_SCHEMA, "TBS %s: the DiceTcbInfo extension is not critical", name);
	TS_ENSUREF(got.nfwids == expect->nfwids && memcmp(got.fwids, expect->fwids, 32 * got.nfwids) == 0,
		   TS_ERR_SCHEMA, "TBS %s: the DiceTcbInfo measurements are not those the SKU's OTP configuration "
		   "gives; the device and the registry disagree", name);
	return TS_OK;
}

ts_result
secure_endorse(struct hsm_session *s, const struct secure_ca *ca, const char *name, const uint8_t *tbs, size_t len,
	       const struct ts_dice_tcb *expect, struct ts_buf *cert)
{
	TS_ENSURE(s != NULL && ca != NULL && name != NULL && tbs != NULL && cert != NULL, TS_ERR_NULL);
	TS_AUTO(X509, X509_free) x = NULL;
	TS_AUTO(X509, X509_free) done = NULL;
	ts_result r = ts_dice_parse_tbs(tbs, len, &x);
	if (r.code != 0) {
		ts_error_context("TBS %s", name);
		return r;
	}
	TS_GUARD(inspect(ca, name, x, expect));
	uint8_t digest[SHA256_DIGEST_LENGTH], rs[64];
	SHA256(tbs, len, digest); /* the bytes as received, not a re-encoding */
	TS_GUARD(hsm_ecdsa_sign(s, ca->priv, ca->label, digest, rs));
	return secure_x509_assemble(tbs, len, rs, ca->pub, cert, &done);
}
