#include "secure/secure_x509.h"

#include <stdint.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>

#include "common/ft/ts_der.h"
#include "common/ft/ts_dice.h"

TS_DEFINE_AUTO(ECDSA_SIG, ECDSA_SIG_free)


ts_result
secure_p256_pub(const uint8_t point[65], EVP_PKEY **out)
{
	TS_ENSURE(point != NULL && out != NULL, TS_ERR_NULL);
	struct ts_dice_key k;
	TS_ENSUREF(point[0] == 0x04, TS_ERR_CRYPTO, "the CA public key is not an uncompressed P-256 point");
	ts_result r = ts_dice_key_from_point(point + 1, &k);
	if (r.code != 0) {
		ts_error_context("the CA public key");
		return r;
	}
	*out = k.pkey; /* the reference ts_dice_key_free would drop */
	return TS_OK;
}

static ts_result
dn_add(X509_NAME *n, const char *pair, size_t len)
{
	char buf[256];
	TS_ENSUREF(len < sizeof(buf), TS_ERR_USAGE, "a DN part is longer than %zu characters", sizeof(buf) - 1);
	memcpy(buf, pair, len);
	buf[len] = '\0';
	char *eq = strchr(buf, '=');
	char *key = buf;
	while (*key == ' ') {
		key++;
	}
	TS_ENSUREF(eq != NULL && eq > key && eq[1] != '\0', TS_ERR_USAGE, "DN part '%s' is not attribute=value", buf);
	*eq = '\0';
	TS_ENSUREF(X509_NAME_add_entry_by_txt(n, key, MBSTRING_UTF8, (const unsigned char *)eq + 1, -1, -1, 0) == 1,
		   TS_ERR_USAGE, "DN attribute '%s' is not known (use C, ST, L, O, OU, CN, serialNumber)", key);
	return TS_OK;
}

ts_result
secure_dn_parse(const char *text, X509_NAME **out)
{
	TS_ENSURE(text != NULL && out != NULL, TS_ERR_NULL);
	TS_AUTO(X509_NAME, X509_NAME_free) n = X509_NAME_new();
	TS_ENSURE(n != NULL, TS_ERR_NOMEM);
	TS_ENSUREF(*text != '\0', TS_ERR_USAGE, "the subject DN is empty");
	for (const char *p = text;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		TS_GUARD(dn_add(n, p, len));
		if (comma == NULL) {
			break;
		}
		p = comma + 1;
	}
	*out = n;
	n = NULL;
	return TS_OK;
}

/* r||s as a DER ECDSA-Sig-Value (SEC 1 §C.5). */
static ts_result
sig_der(const uint8_t rs[64], struct ts_buf *out)
{
	TS_AUTO(ECDSA_SIG, ECDSA_SIG_free) sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		TS_BAIL(TS_ERR_NOMEM);
	}
	unsigned char *der = NULL;
	int n = i2d_ECDSA_SIG(sig, &der);
	TS_ENSURE(n > 0, TS_ERR_CRYPTO);
	ts_result res = ts_buf_append(out, der, (size_t)n);
	OPENSSL_free(der);
	return res;
}

ts_result
secure_x509_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t rs[64], EVP_PKEY *ca_pub, struct ts_buf *der,
		     X509 **out)
{
	TS_ENSURE(tbs != NULL && rs != NULL && ca_pub != NULL && der != NULL && out != NULL, TS_ERR_NULL);
	TS_BUF(sig);
	TS_GUARD(sig_der(rs, &sig));
	size_t start = der->len;
	TS_GUARD(ts_der_certificate(der, tbs, tbs_len, sig.data, sig.len));
	const unsigned char *p = der->data + start;
	X509 *x = d2i_X509(NULL, &p, (long)(der->len - start));
	TS_ENSUREF(x != NULL && p == der->data + der->len, TS_ERR_CRYPTO,
		   "the assembled certificate does not parse (the TBS is not DER)");
	if (X509_verify(x, ca_pub) != 1) {
		X509_free(x);
		ERR_clear_error();
		TS_BAILF(TS_ERR_CRYPTO, "the HSM's signature does not verify with the CA public key; the key on the "
					"token is not the CA certificate's");
	}
	*out = x;
	return TS_OK;
}

ts_result
secure_x509_sign_hsm(X509 *x, struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label, EVP_PKEY *ca_pub,
		     struct ts_buf *der, X509 **out)
{
	TS_ENSURE(x != NULL && s != NULL && label != NULL && ca_pub != NULL && der != NULL && out != NULL, TS_ERR_NULL);
	/* X509_get0_tbs_sigalg is const in the API; it is the certificate's own field, set before encoding. */
	X509_ALGOR *alg = (X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(x);
	TS_GUARD_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL));
	unsigned char *tbs = NULL;
	int n = i2d_re_X509_tbs(x, &tbs);
	TS_ENSURE(n > 0, TS_ERR_CRYPTO);
	uint8_t digest[SHA256_DIGEST_LENGTH], rs[64];
	SHA256(tbs, (size_t)n, digest);
	ts_result r = hsm_ecdsa_sign(s, priv, label, digest, rs);
	if (r.code == 0) {
		r = secure_x509_assemble(tbs, (size_t)n, rs, ca_pub, der, out);
	}
	OPENSSL_free(tbs);
	return r;
}
