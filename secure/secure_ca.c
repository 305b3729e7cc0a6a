#include "secure/secure_cmds.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/base/ts_file.h"
#include "hsm/hsm_ec.h"
#include "secure/secure_derive.h"
#include "secure/secure_policy.h"
#include "secure/secure_x509.h"

static const char usage[] =
	"Usage: tapeseal-secure ca init --hsm URI --role dice|ext --subject DN [--days N] [--out FILE]\n"
	"       tapeseal-secure ca show --hsm URI --role dice|ext [--out FILE]\n"
	"\n"
	"init creates a provisioning certificate authority inside the HSM: a P-256 key pair generated\n"
	"on the token (private half sensitive, never extractable, ECDSA signing only, not modifiable)\n"
	"and a self-signed CA certificate (basicConstraints CA:TRUE, critical keyUsage keyCertSign and\n"
	"cRLSign, subjectKeyIdentifier = SHA-1 of the public key; the ext role adds pathlen:0) signed\n"
	"through the HSM and verified before it is stored on the token beside its key.  It refuses when\n"
	"the token already holds a key or certificate with that label.  show prints the certificate, its\n"
	"subject key identifier (the SKU's key_id) and the key's attributes, and checks that they match.\n"
	"\n"
	"Options:\n"
	"  --hsm URI       pkcs11: URI with token, module-path and pin-source; object= names the key and\n"
	"                  certificate label (default tapeseal-<role>-ca)\n"
	"  --role ROLE     dice (endorses UDS certificates) or ext (extension certificates)\n"
	"  --subject DN    e.g. 'CN=Acme DICE CA,O=Acme,C=US'\n"
	"  --days N        validity from now (default 7300)\n"
	"  --out FILE      also write the certificate as PEM (0644; an existing file is not replaced)\n"
	"\n"
	"Exit status: 0 success, 1 error (nothing left on the token or on disk), 2 usage.\n";

struct ca_opts {
	const char *hsm, *role, *subject, *out;
	long days;
	int init;
};

static int
parse(int argc, char **argv, struct ca_opts *o)
{
	static const struct option longopts[] = {
		{ "hsm", required_argument, NULL, 'H' },  { "role", required_argument, NULL, 'r' },
		{ "subject", required_argument, NULL, 's' }, { "days", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->hsm = optarg; break;
		case 'r': o->role = optarg; break;
		case 's': o->subject = optarg; break;
		case 'o': o->out = optarg; break;
		case 'd':
			o->days = strtol(optarg, &end, 10);
			if (*end != '\0' || o->days < 1 || o->days > 36500) {
				fprintf(stderr, "tapeseal-secure ca: --days takes 1 to 36500\n");
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "tapeseal-secure ca: unknown or incomplete option '%s'; see 'tapeseal-secure ca --help'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc || o->hsm == NULL || o->role == NULL || (strcmp(o->role, "dice") != 0 && strcmp(o->role, "ext") != 0) ||
	    (o->init && o->subject == NULL) || (!o->init && o->subject != NULL)) {
		fprintf(stderr, "tapeseal-secure ca: %s; see 'tapeseal-secure ca --help'\n",
			o->init ? "init takes --hsm, --role dice|ext and --subject" : "show takes --hsm and --role dice|ext");
		return 2;
	}
	return 0;
}

static ts_result
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	TS_ENSURE(e != NULL, TS_ERR_CRYPTO);
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	TS_ENSURE(ok == 1, TS_ERR_CRYPTO);
	return TS_OK;
}

/* The unsigned CA certificate: v3, random positive serial, self-issued, the role's extensions. */
static ts_result
ca_template(const struct ca_opts *o, EVP_PKEY *pub, X509 *x)
{
	uint8_t serial[16];
	TS_AUTO(X509_NAME, X509_NAME_free) dn = NULL;
	TS_GUARD(secure_dn_parse(o->subject, &dn));
	TS_GUARD_OSSL(RAND_bytes(serial, sizeof(serial)));
	serial[0] = (serial[0] & 0x7f) | 0x40; /* positive, 16 bytes (RFC 5280 §4.1.2.2) */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	TS_ENSURE(bn != NULL, TS_ERR_NOMEM);
	int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	TS_GUARD_OSSL(X509_set_version(x, X509_VERSION_3));
	TS_GUARD_OSSL(X509_set_subject_name(x, dn));
	TS_GUARD_OSSL(X509_set_issuer_name(x, dn));
	TS_ENSURE(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL, TS_ERR_CRYPTO);
	TS_ENSURE(X509_time_adj_ex(X509_getm_notAfter(x), (int)o->days, 0, NULL) != NULL, TS_ERR_CRYPTO);
	TS_GUARD_OSSL(X509_set_pubkey(x, pub));
	TS_GUARD(add_ext(x, NID_basic_constraints, strcmp(o->role, "ext") == 0 ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE"));
	TS_GUARD(add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign"));
	TS_GUARD(add_ext(x, NID_subject_key_identifier, "hash"));
	return add_ext(x, NID_authority_key_identifier, "keyid:always");
}

static void
print_ca(const char *label, X509 *x, const struct hsm_key_attrs *a)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	char *subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	printf("CA %s\n  subject                %s\n  key_id (SKI)           ", label, subject ? subject : "?");
	OPENSSL_free(subject);
	for (int i = 0; ski != NULL && i < ASN1_STRING_length(ski); i++) {
		printf("%02x", ASN1_STRING_get0_data(ski)[i]);
	}
	printf("\n  not after              ");
	BIO *b = BIO_new_fp(stdout, BIO_NOCLOSE);
	if (b != NULL) {
		(void)ASN1_TIME_print(b, X509_get0_notAfter(x));
		BIO_free(b);
	}
	printf("\n  CKA_LOCAL              %s\n  CKA_SENSITIVE          %s\n  CKA_NEVER_EXTRACTABLE  %s\n"
	       "  CKA_EXTRACTABLE        %s\n  CKA_SIGN               %s\n  CKA_MODIFIABLE         %s\n",
	       a->local ? "true" : "false", a->sensitive ? "true" : "false", a->never_extractable ? "true" : "false",
	       a->extractable ? "true" : "false", a->sign ? "true" : "false", a->modifiable ? "true" : "false");
}

/* A CA key must be an EC key that never left the token and can only sign. */
static ts_result
check_key(const struct hsm_key_attrs *a, const char *label)
{
	TS_ENSUREF(a->ec, TS_ERR_MODE, "%s is not an EC key", label);
	TS_ENSUREF(a->sensitive && !a->extractable && a->never_extractable, TS_ERR_MODE,
		   "the CA key %s is extractable or not sensitive; create CA keys with 'tapeseal-secure ca init'", label);
	TS_ENSUREF(a->sign, TS_ERR_MODE, "the CA key %s cannot sign (CKA_SIGN is false)", label);
	return TS_OK;
}

static ts_result
write_pem(const char *path, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	TS_ENSURE(b != NULL, TS_ERR_NOMEM);
	char *data = NULL;
	long n = PEM_write_bio_X509(b, x) == 1 ? BIO_get_mem_data(b, &data) : 0;
	ts_result r = n > 0 ? ts_file_write_new(path, data, (size_t)n, 0644) : ts_fail(TS_ERR_CRYPTO, 0, __FILE__, __LINE__);
	BIO_free(b);
	return r;
}

/* What init created so far, to remove again when a later step fails. */
struct made {
	CK_OBJECT_HANDLE priv, pub, cert;
	int have_keys, have_cert;
};

static ts_result
init_in(struct hsm_session *s, const struct ca_opts *o, const char *label, struct made *m, X509 **out)
{
	CK_OBJECT_HANDLE h;
	size_t n1, n2, n3;
	uint8_t id[16], point[65];
	struct hsm_key_attrs a;
	TS_GUARD(hsm_find_object(s, CKO_PRIVATE_KEY, label, &h, &n1));
	TS_GUARD(hsm_find_object(s, CKO_PUBLIC_KEY, label, &h, &n2));
	TS_GUARD(hsm_find_object(s, CKO_CERTIFICATE, label, &h, &n3));
	TS_ENSUREF(n1 + n2 + n3 == 0, TS_ERR_EXISTS, "the token already holds an object labelled '%s'; a CA is created "
		   "once (name another with object=)", label);
	TS_GUARD_OSSL(RAND_bytes(id, sizeof(id)));
	TS_GUARD(hsm_ec_generate(s, label, id, sizeof(id), &m->priv, &m->pub));
	m->have_keys = 1;
	TS_GUARD(hsm_ec_attrs(s, m->priv, label, &a));
	TS_GUARD(check_key(&a, label));
	TS_GUARD(hsm_ec_point(s, m->pub, label, point));
	TS_AUTO(EVP_PKEY, EVP_PKEY_free) pub = NULL;
	TS_GUARD(secure_p256_pub(point, &pub));
	TS_AUTO(X509, X509_free) tmpl = X509_new();
	TS_AUTO(X509, X509_free) cert = NULL;
	TS_BUF(der);
	TS_ENSURE(tmpl != NULL, TS_ERR_NOMEM);
	TS_GUARD(ca_template(o, pub, tmpl));
	TS_GUARD(secure_x509_sign_hsm(tmpl, s, m->priv, label, pub, &der, &cert));
	unsigned char *subj = NULL;
	int sn = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	TS_ENSURE(sn > 0, TS_ERR_CRYPTO);
	ts_result r = hsm_cert_store(s, label, id, sizeof(id), subj, (size_t)sn, der.data, der.len, &m->cert);
	OPENSSL_free(subj);
	TS_GUARD(r);
	m->have_cert = 1;
	print_ca(label, cert, &a);
	*out = cert;
	cert = NULL;
	return TS_OK;
}

static ts_result
show_in(struct hsm_session *s, const char *label, X509 **out)
{
	CK_OBJECT_HANDLE priv, pub, crt;
	size_t n1, n2, n3;
	uint8_t point[65];
	struct hsm_key_attrs a;
	TS_GUARD(hsm_find_object(s, CKO_PRIVATE_KEY, label, &priv, &n1));
	TS_GUARD(hsm_find_object(s, CKO_PUBLIC_KEY, label, &pub, &n2));
	TS_GUARD(hsm_find_object(s, CKO_CERTIFICATE, label, &crt, &n3));
	TS_ENSUREF(n1 == 1 && n2 == 1 && n3 == 1, TS_ERR_SCHEMA, "the token must hold exactly one private key, public key "
		   "and certificate labelled '%s' (found %zu, %zu, %zu); create it with 'tapeseal-secure ca init'",
		   label, n1, n2, n3);
	TS_GUARD(hsm_ec_attrs(s, priv, label, &a));
	TS_GUARD(check_key(&a, label));
	TS_GUARD(hsm_ec_point(s, pub, label, point));
	TS_AUTO(EVP_PKEY, EVP_PKEY_free) key = NULL;
	TS_GUARD(secure_p256_pub(point, &key));
	TS_BUF(der);
	TS_GUARD(hsm_cert_value(s, crt, label, &der));
	const unsigned char *p = der.data;
	TS_AUTO(X509, X509_free) x = d2i_X509(NULL, &p, (long)der.len);
	TS_ENSUREF(x != NULL, TS_ERR_SCHEMA, "the certificate object %s is not DER X.509", label);
	TS_ENSUREF(EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1, TS_ERR_MODE,
		   "the certificate %s does not belong to the key labelled %s", label, label);
	print_ca(label, x, &a);
	*out = x;
	x = NULL;
	return TS_OK;
}

static int
run(const struct ca_opts *o)
{
	struct secure_policy pol;
	struct hsm_target t;
	struct hsm_transcript tr;
	struct hsm_session *s = NULL;
	struct made m = { 0 };
	char label[256];
	X509 *cert = NULL;
	hsm_transcript_init(&tr);
	memset(&t, 0, sizeof(t));
	ts_result r = secure_policy_load(NULL, &pol);
	if (r.code == 0 && o->init) { /* a bad subject is a usage error, found before the HSM is touched */
		X509_NAME *dn = NULL;
		r = secure_dn_parse(o->subject, &dn);
		X509_NAME_free(dn);
	}
	r = r.code ? r : hsm_uri_parse(o->hsm, &t);
	r = r.code ? r : secure_check_target(&t, &pol);
	if (r.code == 0 && o->out != NULL && access(o->out, F_OK) == 0) {
		r = ts_failf(TS_ERR_EXISTS, __FILE__, __LINE__, "%s exists; the certificate is not written over a file",
			     o->out);
	}
	(void)snprintf(label, sizeof(label), "%s", t.object[0] ? t.object : (strcmp(o->role, "ext") == 0 ? "tapeseal-ext-ca" : "tapeseal-dice-ca"));
	r = r.code ? r : hsm_session_open(&t, o->init, &tr, &s);
	r = r.code || !o->init ? r : hsm_require(s, HSM_NEED_CA);
	r = r.code ? r : (o->init ? init_in(s, o, label, &m, &cert) : show_in(s, label, &cert));
	if (r.code != 0 && m.have_keys) {
		/* Leave the token as it was: the half-made CA goes (the error already recorded wins). */
		ts_result_ignore(hsm_destroy_object(s, m.priv, label));
		ts_result_ignore(hsm_destroy_object(s, m.pub, label));
	}
	if (r.code != 0 && m.have_cert) {
		ts_result_ignore(hsm_destroy_object(s, m.cert, label));
	}
	r = r.code ? (hsm_session_close(s), r) : hsm_session_end(s);
	/* The PEM copy last, once the token work is final. */
	r = r.code == 0 && o->out != NULL ? write_pem(o->out, cert) : r;
	X509_free(cert);
	hsm_transcript_free(&tr);
	hsm_uri_free(&t);
	ERR_clear_error();
	if (r.code != 0) {
		(void)secure_fail("ca");
		return r.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}

int
secure_ca_run(int argc, char **argv)
{
	struct ca_opts o = { .days = 7300 };
	if (argc < 2 || (strcmp(argv[1], "init") != 0 && strcmp(argv[1], "show") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(usage, stdout);
			return 0;
		}
		fprintf(stderr, "tapeseal-secure ca: give 'init' or 'show'; see 'tapeseal-secure ca --help'\n");
		return 2;
	}
	o.init = strcmp(argv[1], "init") == 0;
	int rc = parse(argc - 1, argv + 1, &o);
	return rc == 1 ? 0 : rc == 2 ? 2 : run(&o);
}
