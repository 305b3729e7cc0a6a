#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/ft/ts_dice.h"
#include "tests/lib/ts_test.h"

/*
 * DICE certificates: a test CA made here with plain OpenSSL endorses the
 * UDS TBS; CDI_0 and CDI_1 are signed on the "device"; OpenSSL's own
 * verifier must accept the chain with X509_V_FLAG_IGNORE_CRITICAL and refuse
 * it with "unhandled critical extension" without (the DiceTcbInfo is there
 * and critical).  Field rules of spec/provisioning.md A4 are checked on the
 * DER.
 */
static const uint8_t seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static EVP_PKEY *ca_key;
static X509 *ca;
static uint8_t ca_ski[20];

static int
make_ca(void)
{
	ca_key = EVP_EC_gen("P-256");
	ca = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	if (ca_key == NULL || ca == NULL || n == NULL) {
		return 1;
	}
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test DICE CA", -1, -1, 0);
	X509_set_version(ca, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(ca), 7);
	X509_set_subject_name(ca, n);
	X509_set_issuer_name(ca, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(ca), -3600);
	X509_gmtime_adj(X509_getm_notAfter(ca), 3600L * 24 * 365);
	X509_set_pubkey(ca, ca_key);
	static const char *const exts[][2] = { { "basicConstraints", "critical,CA:TRUE" },
					       { "keyUsage", "critical,keyCertSign" },
					       { "subjectKeyIdentifier", "hash" },
					       { "authorityKeyIdentifier", "keyid:always" } };
	for (size_t i = 0; i < 4; i++) {
		X509V3_set_ctx(&ctx, ca, ca, NULL, NULL, 0);
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		if (e == NULL || X509_add_ext(ca, e, -1) != 1) {
			return 1;
		}
		X509_EXTENSION_free(e);
	}
	if (X509_sign(ca, ca_key, EVP_sha256()) <= 0) {
		return 1;
	}
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	if (ski == NULL || ASN1_STRING_length(ski) != 20) {
		return 1;
	}
	memcpy(ca_ski, ASN1_STRING_get0_data(ski), 20);
	return 0;
}

static int
free_ca(void)
{
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return 0;
}

static void
test_dice_key_derivation(void)
{
	struct ts_dice_key a, b, c;
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "UDS", &a));
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "UDS", &b));
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "CDI_0", &c));
	CU_ASSERT_EQUAL(memcmp(a.pub, b.pub, 64), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a.pub, c.pub, 64), 0);
	/* The key ID, recomputed here from OpenSSL's encoding of the public key. */
	uint8_t pt[65], d[32];
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(EVP_PKEY_get_octet_string_param(a.pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n), 1);
	CU_ASSERT_EQUAL(n, 65);
	SHA256(pt + 1, 64, d);
	CU_ASSERT_EQUAL(memcmp(a.id, d, 20), 0);
	/* The derived key signs, and its public half verifies. */
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t sig[80];
	size_t sl = sizeof(sig);
	CU_ASSERT(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, a.pkey) == 1 &&
		  EVP_DigestSign(m, sig, &sl, (const uint8_t *)"m", 1) == 1);
	CU_ASSERT(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, b.pkey) == 1 &&
		  EVP_DigestVerify(m, sig, sl, (const uint8_t *)"m", 1) == 1);
	EVP_MD_CTX_free(m);
	ts_dice_key_free(&a);
	ts_dice_key_free(&b);
	ts_dice_key_free(&c);
}

static void
tcb_fill(struct ts_dice_tcb *t, uint8_t base, int debug)
{
	memset(t, 0, sizeof(*t));
	t->nfwids = 4;
	for (size_t i = 0; i < 4; i++) {
		memset(t->fwids[i], base + (uint8_t)i, 32);
	}
	t->debug = debug;
}

static X509 *
der_x509(const struct ts_buf *b)
{
	const unsigned char *p = b->data;
	return d2i_X509(NULL, &p, (long)b->len);
}

/* A field rule of A4 on one certificate: serial, subject, SKI, AKI, validity, CA. */
static void
check_fields(X509 *x, const struct ts_dice_key *k, const uint8_t *issuer_id)
{
	unsigned char *ser = NULL;
	int n = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser);
	CU_ASSERT_EQUAL_FATAL(n, 23);
	CU_ASSERT(ser[0] == 0x02 && ser[1] == 0x15 && ser[2] == 0x00 && ser[3] == (k->id[0] | 0x80));
	CU_ASSERT_EQUAL(memcmp(ser + 4, k->id + 1, 19), 0);
	OPENSSL_free(ser);
	char want[64], got[64];
	for (int i = 0; i < 20; i++) {
		(void)snprintf(want + 2 * i, 3, "%02x", k->id[i]);
	}
	CU_ASSERT_EQUAL(X509_NAME_entry_count(X509_get_subject_name(x)), 1);
	CU_ASSERT(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_serialNumber, got, sizeof(got)) == 40);
	CU_ASSERT_STRING_EQUAL(got, want);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x), *aki = X509_get0_authority_key_id(x);
	CU_ASSERT_FATAL(ski != NULL && aki != NULL);
	CU_ASSERT(ASN1_STRING_length(ski) == 20 && memcmp(ASN1_STRING_get0_data(ski), k->id, 20) == 0);
	CU_ASSERT(ASN1_STRING_length(aki) == 20 && memcmp(ASN1_STRING_get0_data(aki), issuer_id, 20) == 0);
	CU_ASSERT_EQUAL(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), 1521763199), 0); /* 2018-03-22 23:59:59 */
	CU_ASSERT_EQUAL(ASN1_STRING_length(X509_get0_notAfter(x)), 15); /* GeneralizedTime 99991231235959Z */
	CU_ASSERT_EQUAL(memcmp(ASN1_STRING_get0_data(X509_get0_notAfter(x)), "99991231235959Z", 15), 0);
	CU_ASSERT(X509_check_ca(x) >= 1);
	CU_ASSERT(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
}

static int
verify_chain(X509 *uds, X509 *cdi0, X509 *cdi1, unsigned long flags)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_add_cert(st, ca);
	sk_X509_push(untrusted, uds);
	sk_X509_push(untrusted, cdi0);
	X509_STORE_CTX_init(c, st, cdi1, untrusted);
	X509_STORE_CTX_set_flags(c, flags);
	int ok = X509_verify_cert(c);
	int err = X509_STORE_CTX_get_error(c);
	X509_STORE_CTX_free(c);
	sk_X509_free(untrusted);
	X509_STORE_free(st);
	return ok == 1 ? 0 : err;
}

static void
test_dice_chain(void)
{
	struct ts_dice_key uds, cdi0, cdi1;
	struct ts_dice_tcb tu, t0, t1, back;
	TS_BUF(tbs);
	TS_BUF(tbs2);
	TS_BUF(d0);
	TS_BUF(d1);
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "UDS", &uds));
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "CDI_0", &cdi0));
	CU_ASSERT_TS_OK(ts_dice_key_derive(seed, "CDI_1", &cdi1));
	tcb_fill(&tu, 0x10, 1);
	tcb_fill(&t0, 0x00, 0);
	tcb_fill(&t1, 0x00, 0);
	t0.nfwids = t1.nfwids = 1;
	struct ts_dice_cert_params pu = { &uds, ca_ski, X509_get_subject_name(ca), &tu, NULL };
	struct ts_dice_cert_params p0 = { &cdi0, uds.id, NULL, &t0, NULL };
	struct ts_dice_cert_params p1 = { &cdi1, cdi0.id, NULL, &t1, NULL };
	CU_ASSERT_TS_OK(ts_dice_tbs(&pu, &tbs));
	CU_ASSERT_TS_OK(ts_dice_tbs(&pu, &tbs2));
	CU_ASSERT(tbs.len == tbs2.len && memcmp(tbs.data, tbs2.data, tbs.len) == 0); /* deterministic */
	CU_ASSERT_TS_OK(ts_dice_cert(&p0, uds.pkey, &d0));
	CU_ASSERT_TS_OK(ts_dice_cert(&p1, cdi0.pkey, &d1));
	/* The host's view: the TBS parses, and endorsing it keeps its bytes. */
	X509 *u = NULL;
	CU_ASSERT_TS_OK(ts_dice_parse_tbs(tbs.data, tbs.len, &u));
	CU_ASSERT_FATAL(X509_sign(u, ca_key, EVP_sha256()) > 0);
	unsigned char *re = NULL;
	int rn = i2d_re_X509_tbs(u, &re);
	CU_ASSERT(rn == (int)tbs.len && memcmp(re, tbs.data, tbs.len) == 0);
	OPENSSL_free(re);
	X509 *c0 = der_x509(&d0), *c1 = der_x509(&d1);
	CU_ASSERT_FATAL(c0 != NULL && c1 != NULL);
	check_fields(u, &uds, ca_ski);
	check_fields(c0, &cdi0, uds.id);
	check_fields(c1, &cdi1, cdi0.id);
	CU_ASSERT_EQUAL(X509_NAME_cmp(X509_get_issuer_name(u), X509_get_subject_name(ca)), 0);
	CU_ASSERT_EQUAL(X509_NAME_cmp(X509_get_issuer_name(c0), X509_get_subject_name(u)), 0);
	/* The TcbInfo reads back, critical. */
	int crit = 0;
	CU_ASSERT_TS_OK(ts_dice_tcb_read(u, &back, &crit));
	CU_ASSERT(crit == 1 && back.nfwids == 4 && back.debug == 1);
	CU_ASSERT_EQUAL(memcmp(back.fwids, tu.fwids, 4 * 32), 0);
	/* OpenSSL accepts the chain only when told to ignore the critical DiceTcbInfo. */
	CU_ASSERT_EQUAL(verify_chain(u, c0, c1, X509_V_FLAG_IGNORE_CRITICAL), 0);
	CU_ASSERT_EQUAL(verify_chain(u, c0, c1, 0), X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION);
	/* A CDI_0 signed with the wrong key breaks the chain. */
	TS_BUF(bad);
	CU_ASSERT_TS_OK(ts_dice_cert(&p0, cdi1.pkey, &bad));
	X509 *b0 = der_x509(&bad);
	CU_ASSERT_EQUAL(verify_chain(u, b0, c1, X509_V_FLAG_IGNORE_CRITICAL), X509_V_ERR_CERT_SIGNATURE_FAILURE);
	X509_free(b0);
	X509_free(u);
	X509_free(c0);
	X509_free(c1);
	ts_dice_key_free(&uds);
	ts_dice_key_free(&cdi0);
	ts_dice_key_free(&cdi1);
}

static void
test_dice_parse_refusals(void)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	X509 *x = NULL;
	struct ts_dice_tcb t;
	int crit;
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_dice_parse_tbs(junk, sizeof(junk), &x), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("not one DER TBSCertificate");
	CU_ASSERT_PTR_NULL(x);
	/* The test CA has no TcbInfo. */
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_dice_tcb_read(ca, &t, &crit), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("no DiceTcbInfo");
}

static CU_TestInfo dice_tests[] = {
	{ "key_derivation", test_dice_key_derivation },
	{ "chain", test_dice_chain },
	{ "parse_refusals", test_dice_parse_refusals },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "dice", make_ca, free_ca, NULL, NULL, dice_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
