#include "common/ft/ts_dice.h"

#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "common/base/ts_hex.h"
#include "common/base/ts_secret.h"
#include "common/ft/ts_der.h"

TS_DEFINE_AUTO(EVP_KDF, EVP_KDF_free)
TS_DEFINE_AUTO(EVP_KDF_CTX, EVP_KDF_CTX_free)
TS_DEFINE_AUTO(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
TS_DEFINE_AUTO(EC_GROUP, EC_GROUP_free)
TS_DEFINE_AUTO(EC_POINT, EC_POINT_free)
TS_DEFINE_AUTO(BIGNUM, BN_clear_free)
TS_DEFINE_AUTO(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
TS_DEFINE_AUTO(OSSL_PARAM, OSSL_PARAM_free)
TS_DEFINE_AUTO(X509, X509_free)
TS_DEFINE_AUTO(X509_NAME, X509_NAME_free)

/* DiceTcbInfo, TCG DICE Attestation Architecture §6.1.1. */
static const char tcb_oid[] = "2.23.133.5.4.1";
/* id-sha256 (2.16.840.1.101.3.4.2.1) as a DER OBJECT IDENTIFIER. */
static const uint8_t sha256_oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };

void
ts_dice_key_id(const uint8_t pub[64], uint8_t id[TS_DICE_ID_LEN])
{
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256(pub, 64, d);
	memcpy(id, d, TS_DICE_ID_LEN);
}

ts_result
ts_dice_key_from_pkey(EVP_PKEY *pkey, struct ts_dice_key *out)
{
	TS_ENSURE(pkey != NULL && out != NULL, TS_ERR_NULL);
	uint8_t pt[65];
	size_t n = 0;
	TS_ENSUREF(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) == 1 && n == 65 &&
			   pt[0] == 0x04,
		   TS_ERR_CRYPTO, "not an uncompressed P-256 public key");
	TS_GUARD_OSSL(EVP_PKEY_up_ref(pkey));
	memset(out, 0, sizeof(*out));
	out->pkey = pkey;
	memcpy(out->pub, pt + 1, 64);
	ts_dice_key_id(out->pub, out->id);
	return TS_OK;
}

ts_result
ts_dice_key_from_point(const uint8_t pub[64], struct ts_dice_key *out)
{
	TS_ENSURE(pub != NULL && out != NULL, TS_ERR_NULL);
	uint8_t pt[65];
	char group[] = "prime256v1";
	pt[0] = 0x04;
	memcpy(pt + 1, pub, 64);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
		OSSL_PARAM_construct_end(),
	};
	TS_AUTO(EVP_PKEY_CTX, EVP_PKEY_CTX_free) ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	TS_ENSURE(ctx != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx));
	EVP_PKEY *k = NULL;
	TS_ENSUREF(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) == 1 && k != NULL, TS_ERR_CRYPTO,
		   "not a point on P-256");
	ts_result r = ts_dice_key_from_pkey(k, out);
	EVP_PKEY_free(k);
	return r;
}

void
ts_dice_key_free(struct ts_dice_key *k)
{
	if (k != NULL) {
		EVP_PKEY_free(k->pkey);
		memset(k, 0, sizeof(*k));
	}
}

static ts_result
hkdf(const uint8_t seed[32], const char *label, uint8_t counter, struct ts_secret *okm)
{
	TS_AUTO(EVP_KDF, EVP_KDF_free) kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	TS_AUTO(EVP_KDF_CTX, EVP_KDF_CTX_free) ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	TS_ENSURE(ctx != NULL, TS_ERR_CRYPTO);
	char digest[] = "SHA256", salt[] = "tapeseal-dice";
	uint8_t key[32], info[256];
	size_t ll = strlen(label);
	TS_ENSURE(ll + 1 <= sizeof(info), TS_ERR_RANGE);
	memcpy(key, seed, sizeof(key));
	memcpy(info, label, ll);
	info[ll] = counter;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", digest, 0),
		OSSL_PARAM_construct_octet_string("key", key, sizeof(key)),
		OSSL_PARAM_construct_octet_string("salt", salt, strlen(salt)),
		OSSL_PARAM_construct_octet_string("info", info, ll + 1),
		OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(ctx, okm->data, okm->len, params);
	OPENSSL_cleanse(key, sizeof(key));
	TS_ENSURE(ok == 1, TS_ERR_CRYPTO);
	return TS_OK;
}

/* The key pair of scalar d on P-256. */
static ts_result
keypair(const BIGNUM *d, EVP_PKEY **out)
{
	TS_AUTO(EC_GROUP, EC_GROUP_free) g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	TS_AUTO(EC_POINT, EC_POINT_free) q = g != NULL ? EC_POINT_new(g) : NULL;
	TS_ENSURE(q != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(EC_POINT_mul(g, q, d, NULL, NULL, NULL));
	uint8_t pt[65];
	TS_ENSURE(EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof(pt), NULL) == sizeof(pt),
		  TS_ERR_CRYPTO);
	TS_AUTO(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free) b = OSSL_PARAM_BLD_new();
	TS_ENSURE(b != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0));
	TS_GUARD_OSSL(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d));
	TS_GUARD_OSSL(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)));
	TS_AUTO(OSSL_PARAM, OSSL_PARAM_free) params = OSSL_PARAM_BLD_to_param(b);
	TS_AUTO(EVP_PKEY_CTX, EVP_PKEY_CTX_free) ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	TS_ENSURE(params != NULL && ctx != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx));
	*out = NULL;
	TS_GUARD_OSSL(EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params));
	return TS_OK;
}

ts_result
ts_dice_key_derive(const uint8_t seed[32], const char *label, struct ts_dice_key *out)
{
	TS_ENSURE(seed != NULL && label != NULL && out != NULL, TS_ERR_NULL);
	TS_AUTO(BIGNUM, BN_clear_free) n = NULL;
	TS_AUTO(BIGNUM, BN_clear_free) d = BN_secure_new();
	TS_ENSURE(d != NULL && BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") > 0,
		  TS_ERR_NOMEM);
	TS_SECRET(okm);
	TS_GUARD(ts_secret_new(&okm, 32));
	for (unsigned c = 0;; c++) {
		TS_ENSURE(c < 256, TS_ERR_CRYPTO);
		TS_GUARD(hkdf(seed, label, (uint8_t)c, &okm));
		TS_ENSURE(BN_bin2bn(okm.data, 32, d) != NULL, TS_ERR_NOMEM);
		if (!BN_is_zero(d) && BN_cmp(d, n) < 0) { /* reject and retry, as FIPS 186-5 A.4.2 */
			break;
		}
	}
	EVP_PKEY *pkey = NULL;
	TS_GUARD(keypair(d, &pkey));
	ts_result r = ts_dice_key_from_pkey(pkey, out);
	EVP_PKEY_free(pkey); /* out holds its own reference */
	return r;
}

/* DiceTcbInfo ::= SEQUENCE { fwids [6] IMPLICIT FWIDLIST, flags [7] IMPLICIT OperationalFlags } */
static ts_result
tcb_der(const struct ts_dice_tcb *t, struct ts_buf *out)
{
	TS_BUF(list);
	TS_BUF(body);
	for (size_t i = 0; i < t->nfwids; i++) {
		TS_BUF(fwid);
		TS_GUARD(ts_buf_append(&fwid, sha256_oid, sizeof(sha256_oid)));
		TS_GUARD(ts_der_tlv(&fwid, 0x04, t->fwids[i], 32));
		TS_GUARD(ts_der_tlv(&list, 0x30, fwid.data, fwid.len));
	}
	/* OperationalFlags BIT STRING: notConfigured(0) notSecure(1) recovery(2) debug(3); 4 unused bits. */
	const uint8_t flags[2] = { 0x04, (uint8_t)(t->debug ? 0x10 : 0x00) };
	TS_GUARD(ts_der_tlv(&body, 0xa6, list.data, list.len));
	TS_GUARD(ts_der_tlv(&body, 0x87, flags, sizeof(flags)));
	return ts_der_tlv(out, 0x30, body.data, body.len);
}

static ts_result
add_i2d(X509 *x, int nid, void *value, int crit)
{
	TS_ENSURE(X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1, TS_ERR_CRYPTO);
	return TS_OK;
}

static ts_result
add_tcb(X509 *x, const struct ts_dice_tcb *t)
{
	TS_BUF(der);
	TS_ENSURE(t->nfwids <= TS_DICE_MAX_FWIDS, TS_ERR_RANGE);
	TS_GUARD(tcb_der(t, &der));
	ASN1_OBJECT *obj = OBJ_txt2obj(tcb_oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int ok = obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, der.data, (int)der.len) == 1 &&
		 (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	return TS_OK;
}

/* SKI, AKI (key ID only), basicConstraints CA:TRUE and keyUsage keyCertSign, both critical. */
static ts_result
add_key_exts(X509 *x, const uint8_t *ski, const uint8_t *aki)
{
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
	AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int ok = s != NULL && a != NULL && bc != NULL && ku != NULL && ASN1_OCTET_STRING_set(s, ski, TS_DICE_ID_LEN) == 1 &&
		 (a->keyid = ASN1_OCTET_STRING_new()) != NULL && ASN1_OCTET_STRING_set(a->keyid, aki, TS_DICE_ID_LEN) == 1 &&
		 ASN1_BIT_STRING_set_bit(ku, 5, 1) == 1;
	if (ok) {
		bc->ca = 0xff;
	}
	ts_result r = ok ? TS_OK : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	r = r.code ? r : add_i2d(x, NID_basic_constraints, bc, 1);
	r = r.code ? r : add_i2d(x, NID_key_usage, ku, 1);
	r = r.code ? r : add_i2d(x, NID_subject_key_identifier, s, 0);
	r = r.code ? r : add_i2d(x, NID_authority_key_identifier, a, 0);
	ASN1_OCTET_STRING_free(s);
	AUTHORITY_KEYID_free(a);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return r;
}

static ts_result
serial_dn(const uint8_t id[TS_DICE_ID_LEN], X509_NAME **out)
{
	char hex[2 * TS_DICE_ID_LEN + 1];
	ts_hex_encode(id, TS_DICE_ID_LEN, hex);
	TS_AUTO(X509_NAME, X509_NAME_free) n = X509_NAME_new();
	TS_ENSURE(n != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC, (const unsigned char *)hex, -1, -1, 0));
	*out = n;
	n = NULL;
	return TS_OK;
}

static ts_result
set_names_and_serial(X509 *x, const struct ts_dice_cert_params *p)
{
	uint8_t serial[TS_DICE_ID_LEN];
	memcpy(serial, p->subject->id, sizeof(serial));
	serial[0] |= 0x80; /* "tweak-msb": the INTEGER is always 21 bytes, 00 first */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	TS_AUTO(X509_NAME, X509_NAME_free) subj = NULL;
	TS_AUTO(X509_NAME, X509_NAME_free) iss = NULL;
	TS_GUARD(serial_dn(p->subject->id, &subj));
	if (p->subject_cn != NULL) {
		TS_GUARD_OSSL(X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
							 (const unsigned char *)p->subject_cn, -1, -1, 0));
	}
	if (p->issuer_dn == NULL) {
		TS_GUARD(serial_dn(p->issuer_id, &iss));
	}
	TS_GUARD_OSSL(X509_set_subject_name(x, subj));
	TS_GUARD_OSSL(X509_set_issuer_name(x, p->issuer_dn != NULL ? p->issuer_dn : iss));
	return TS_OK;
}

ts_result
ts_dice_build(const struct ts_dice_cert_params *p, X509 **out)
{
	TS_ENSURE(p != NULL && p->subject != NULL && p->subject->pkey != NULL && p->issuer_id != NULL && out != NULL,
		  TS_ERR_NULL);
	TS_AUTO(X509, X509_free) x = X509_new();
	TS_ENSURE(x != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(X509_set_version(x, X509_VERSION_3));
	TS_GUARD(set_names_and_serial(x, p));
	TS_GUARD_OSSL(ASN1_TIME_set_string_X509(X509_getm_notBefore(x), "20180322235959Z"));
	TS_GUARD_OSSL(ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "99991231235959Z"));
	TS_GUARD_OSSL(X509_set_pubkey(x, p->subject->pkey));
	TS_GUARD(add_key_exts(x, p->subject->id, p->issuer_id));
	if (p->tcb != NULL) {
		TS_GUARD(add_tcb(x, p->tcb));
	}
	/* The TBS names its signature algorithm; X509_get0_tbs_sigalg is the certificate's own field. */
	X509_ALGOR *alg = (X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(x);
	TS_GUARD_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL));
	*out = x;
	x = NULL;
	return TS_OK;
}

ts_result
ts_dice_tbs(const struct ts_dice_cert_params *p, struct ts_buf *tbs)
{
	TS_ENSURE(tbs != NULL, TS_ERR_NULL);
	TS_AUTO(X509, X509_free) x = NULL;
	TS_GUARD(ts_dice_build(p, &x));
	unsigned char *der = NULL;
	int n = i2d_re_X509_tbs(x, &der);
	TS_ENSURE(n > 0, TS_ERR_CRYPTO);
	ts_result r = ts_buf_append(tbs, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

ts_result
ts_dice_cert(const struct ts_dice_cert_params *p, EVP_PKEY *signer, struct ts_buf *der)
{
	TS_ENSURE(signer != NULL && der != NULL, TS_ERR_NULL);
	TS_AUTO(X509, X509_free) x = NULL;
	TS_GUARD(ts_dice_build(p, &x));
	TS_ENSURE(X509_sign(x, signer, EVP_sha256()) > 0, TS_ERR_CRYPTO);
	unsigned char *buf = NULL;
	int n = i2d_X509(x, &buf);
	TS_ENSURE(n > 0, TS_ERR_CRYPTO);
	ts_result r = ts_buf_append(der, buf, (size_t)n);
	OPENSSL_free(buf);
	return r;
}

ts_result
ts_dice_parse_tbs(const uint8_t *tbs, size_t len, X509 **out)
{
	TS_ENSURE(tbs != NULL && out != NULL, TS_ERR_NULL);
	TS_BUF(der);
	TS_GUARD(ts_der_certificate(&der, tbs, len, NULL, 0)); /* an empty signature */
	const unsigned char *p = der.data;
	X509 *x = d2i_X509(NULL, &p, (long)der.len);
	if (x == NULL || p != der.data + der.len) {
		X509_free(x);
		ERR_clear_error();
		TS_BAILF(TS_ERR_SCHEMA, "a TBS certificate of %zu bytes is not one DER TBSCertificate", len);
	}
	*out = x;
	return TS_OK;
}

/* One DER element at p[0..n): tag, content and its length; 0 when malformed. */
static int
der_next(const uint8_t *p, size_t n, uint8_t *tag, const uint8_t **c, size_t *clen, size_t *total)
{
	if (n < 2) {
		return 0;
	}
	size_t h = 2, len = p[1];
	if (len == 0x81 || len == 0x82) {
		size_t k = len & 0x7fu;
		if (n < 2 + k) {
			return 0;
		}
		len = k == 1 ? p[2] : ((size_t)p[2] << 8 | p[3]);
		h += k;
	} else if (len > 0x7f) {
		return 0;
	}
	if (len > n - h) {
		return 0;
	}
	*tag = p[0], *c = p + h, *clen = len, *total = h + len;
	return 1;
}

static ts_result
tcb_fwids(const uint8_t *p, size_t n, struct ts_dice_tcb *out)
{
	uint8_t tag;
	const uint8_t *c;
	size_t clen, total;
	while (n > 0) {
		TS_ENSURE(der_next(p, n, &tag, &c, &clen, &total) && tag == 0x30, TS_ERR_SCHEMA);
		const uint8_t *oid = c, *dig;
		size_t olen, dlen, ot, dt;
		uint8_t t1, t2;
		TS_ENSUREF(der_next(c, clen, &t1, &oid, &olen, &ot) && t1 == 0x06 && ot <= clen &&
				   der_next(c + ot, clen - ot, &t2, &dig, &dlen, &dt) && t2 == 0x04 && ot + dt == clen,
			   TS_ERR_SCHEMA, "DiceTcbInfo: a malformed FWID");
		if (ot == sizeof(sha256_oid) && memcmp(c, sha256_oid, ot) == 0 && dlen == 32) {
			TS_ENSURE(out->nfwids < TS_DICE_MAX_FWIDS, TS_ERR_RANGE);
			memcpy(out->fwids[out->nfwids++], dig, 32);
		}
		p += total, n -= total;
	}
	return TS_OK;
}

ts_result
ts_dice_tcb_read(const X509 *x, struct ts_dice_tcb *out, int *critical)
{
	TS_ENSURE(x != NULL && out != NULL && critical != NULL, TS_ERR_NULL);
	memset(out, 0, sizeof(*out));
	ASN1_OBJECT *obj = OBJ_txt2obj(tcb_oid, 1);
	TS_ENSURE(obj != NULL, TS_ERR_NOMEM);
	int i = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	TS_ENSUREF(i >= 0, TS_ERR_SCHEMA, "the certificate has no DiceTcbInfo extension");
	X509_EXTENSION *e = X509_get_ext(x, i);
	*critical = X509_EXTENSION_get_critical(e);
	const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
	const uint8_t *p = ASN1_STRING_get0_data(os), *c, *f;
	size_t n = (size_t)ASN1_STRING_length(os), clen, total, flen, ftotal;
	uint8_t tag;
	TS_ENSUREF(der_next(p, n, &tag, &c, &clen, &total) && tag == 0x30 && total == n, TS_ERR_SCHEMA,
		   "DiceTcbInfo is not one DER SEQUENCE");
	for (size_t off = 0; off < clen; off += ftotal) {
		TS_ENSUREF(der_next(c + off, clen - off, &tag, &f, &flen, &ftotal), TS_ERR_SCHEMA, "DiceTcbInfo is malformed");
		if (tag == 0xa6) {
			TS_GUARD(tcb_fwids(f, flen, out));
		} else if (tag == 0x87 && flen == 2) {
			out->debug = (f[1] & 0x10) != 0;
		}
	}
	return TS_OK;
}
