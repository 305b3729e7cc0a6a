#include "secure/secure_cmds.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/ft/ts_dice.h"
#include "common/ft/ts_ft.h"
#include "common/ft/ts_ujson.h"
#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_ext.h"
#include "common/prov/ts_prov_otp.h"
#include "common/topgen/ts_lc.h"
#include "secure/secure_derive.h"
#include "secure/secure_endorse.h"
#include "secure/secure_policy.h"
#include "secure/secure_x509.h"
#include "secure/secure_ft.h"

/* tapeseal-secure personalize: the FT host harness (spec/provisioning.md B5). */

static const char usage[] =
	"Usage: tapeseal-secure personalize --sku NAME --hsm URI --device-cmd CMD --was FILE --record-dir DIR\n"
	"                                   [--boot-cmd CMD] [--blob-version 0|1] [--device-timeout S]\n"
	"\n"
	"Personalizes one device: sends it the RMA token hash and the certificate inputs, receives its perso\n"
	"blob, checks it strictly, verifies the WAS HMAC before anything is signed, inspects every TBS\n"
	"(issuer, key IDs, serial, UDS measurements against the SKU's OTP configuration) and endorses it with\n"
	"the SKU's CA keys in the HSM, runs the SKU's host extensions, returns the certificates, compares the\n"
	"device's certificate hash, verifies the chains, boots the device and writes the device record\n"
	"<DIR>/<device_id>.json (0600, never replaced) and a line in <DIR>/index.jsonl.  On any failure no\n"
	"record is written; <DIR>/<device_id>.failed.json says what happened (no secrets).\n"
	"\n"
	"Options:\n"
	"  --sku NAME         the SKU (tapeseal prov list); its orchestrator config names the CA keys\n"
	"                     (dice_ca.key, ext_ca.key: token labels) and certificates\n"
	"  --hsm URI          pkcs11: URI of the token holding the CA keys (module-path, pin-source)\n"
	"  --device-cmd CMD   the device console: a shell command whose stdin/stdout is the device\n"
	"                     (e.g. 'tapeseal-simdev --state D --sku S --consts C personalize')\n"
	"  --boot-cmd CMD     the device's first boot (e.g. 'tapeseal-simdev --state D --sku S boot')\n"
	"  --was FILE         the wafer authentication secret (64 hex digits) the device holds\n"
	"  --record-dir DIR   where device records go\n"
	"  --blob-version N   perso blob version (default: the orchestrator config's blob_version, else 0)\n"
	"  --device-timeout S seconds the device may take to answer (each wait on its console, and the\n"
	"                     first boot); then it fails with no record (default 60)\n"
	"\n"
	"Exit status: 0 personalized and recorded, 1 refused or failed (no record), 2 usage.\n";

static int
parse(int argc, char **argv, struct ft_opts *o)
{
	static const struct option longopts[] = {
		{ "sku", required_argument, NULL, 'k' },        { "hsm", required_argument, NULL, 'H' },
		{ "device-cmd", required_argument, NULL, 'd' }, { "boot-cmd", required_argument, NULL, 'b' },
		{ "was", required_argument, NULL, 'w' },        { "record-dir", required_argument, NULL, 'r' },
		{ "blob-version", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "device-timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	o->blob_version = -1;
	o->device_timeout = FT_DEFAULT_DEVICE_TIMEOUT;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->sku = optarg; break;
		case 'H': o->hsm = optarg; break;
		case 'd': o->device_cmd = optarg; break;
		case 'b': o->boot_cmd = optarg; break;
		case 'w': o->was = optarg; break;
		case 'r': o->record_dir = optarg; break;
		case 'v':
			if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0) {
				fprintf(stderr, "tapeseal-secure personalize: --blob-version is 0 or 1\n");
				return 2;
			}
			o->blob_version = optarg[0] - '0';
			break;
		case 't':
			if (!secure_parse_uint(optarg, 1, 3600, &o->device_timeout)) {
				fprintf(stderr, "tapeseal-secure personalize: --device-timeout is 1 to 3600 seconds\n");
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "tapeseal-secure personalize: unknown or incomplete option '%s'; see --help\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc || !o->sku || !o->hsm || !o->device_cmd || !o->was || !o->record_dir) {
		fprintf(stderr, "tapeseal-secure personalize: --sku, --hsm, --device-cmd, --was and --record-dir are "
				"required; see --help\n");
		return 2;
	}
	return 0;
}

/* --- step 1: registry, SKU, orchestrator config, expected measurements */

static ts_result
expected_measurements(struct ft_host *h)
{
	struct ts_otp_args a = { .mode = "testing", .sku = h->o->sku };
	json_t *parts = NULL;
	TS_GUARD(ts_otp_resolve_sku(h->reg, &a));
	TS_GUARD(ts_otp_sku_consts(&a, NULL, &parts));
	h->consts = parts;
	for (size_t i = 0; i < TS_FT_MEASURED; i++) {
		TS_GUARD(ts_ft_measure(parts, ts_ft_measured[i], NULL, h->expect[i]));
	}
	return TS_OK;
}

static ts_result
load_sku(struct ft_host *h)
{
	TS_GUARD(ts_prov_load(ts_prov_builtin_path(), getenv("PROV_EXTS_DIR"), &h->reg));
	TS_ENSUREF(h->reg->nproblems == 0, TS_ERR_SCHEMA, "the provisioning registry has problems; see 'tapeseal prov list'");
	TS_GUARD(ts_prov_sku_usable(h->reg, h->o->sku, &h->sku));
	h->orch = h->sku->orch;
	json_t *bv = json_object_get(h->orch, "blob_version");
	h->version = h->o->blob_version >= 0 ? (unsigned)h->o->blob_version
					     : json_is_integer(bv) && json_integer_value(bv) == 1 ? 1u : 0u;
	TS_BUF(w);
	TS_GUARD(ts_file_read(h->o->was, 256, &w));
	while (w.len > 0 && (w.data[w.len - 1] == '\n' || w.data[w.len - 1] == '\r')) {
		w.len--;
	}
	TS_GUARD(ts_buf_append(&w, "", 1)); /* NUL-terminated for the decoder */
	TS_ENSUREF(w.len == 65 && ts_hex_decode((const char *)w.data, h->was, 32) == 0, TS_ERR_SCHEMA,
		   "%s: the WAS is 64 hex digits", h->o->was);
	return expected_measurements(h);
}

/* --- step 2: the HSM, the CAs (key label from the orchestrator config), host extensions */

static ts_result
load_role(struct ft_host *h, const char *role, struct ft_ca_role *out, int required)
{
	json_t *cfg = json_object_get(h->orch, role);
	const char *key = json_string_value(json_object_get(cfg, "key"));
	const char *type = json_string_value(json_object_get(cfg, "key_type"));
	if (cfg == NULL && !required) {
		return TS_OK;
	}
	TS_ENSUREF(key != NULL && type != NULL, TS_ERR_SCHEMA, "SKU %s: %s needs key_type and key", h->o->sku, role);
	TS_ENSUREF(strcmp(type, "Token") == 0, TS_ERR_MODE,
		   "SKU %s: %s.key_type is %s; only keys inside the HSM (Token) endorse here", h->o->sku, role, type);
	TS_GUARD(secure_ca_load(h->s, key, &out->ca));
	out->present = 1;
	/* The certificate file the SKU ships (the device takes its issuer DN from it) must be the token's. */
	X509 *file_cert = NULL;
	TS_GUARD(ts_prov_sku_ca_cert(h->sku, role, &file_cert));
	TS_ENSUREF(file_cert != NULL, TS_ERR_SCHEMA, "SKU %s: %s.certificate is missing", h->o->sku, role);
	int same = X509_cmp(file_cert, out->ca.cert) == 0;
	X509_free(file_cert);
	TS_ENSUREF(same, TS_ERR_MODE, "SKU %s: %s.certificate %s is not the certificate of CA key '%s' on the token",
		   h->o->sku, role, json_string_value(json_object_get(cfg, "certificate")), key);
	unsigned char *der = NULL;
	int n = i2d_X509(out->ca.cert, &der);
	TS_ENSURE(n > 0, TS_ERR_CRYPTO);
	uint8_t d[32];
	SHA256(der, (size_t)n, d);
	OPENSSL_free(der);
	ts_hex_encode(d, sizeof(d), out->cert_sha256);
	const char *kid = json_string_value(json_object_get(cfg, "key_id"));
	if (kid != NULL) { /* "0x" + 40 hex digits, must be the CA certificate's SKI */
		char ski[41];
		ts_hex_encode(out->ca.ski, sizeof(out->ca.ski), ski);
		TS_ENSUREF(strcasecmp(kid + (strncmp(kid, "0x", 2) == 0 ? 2 : 0), ski) == 0, TS_ERR_MODE,
			   "SKU %s: %s.key_id %s is not the CA certificate's key identifier %s", h->o->sku, role, kid, ski);
	}
	return TS_OK;
}

static ts_result
flow(struct ft_host *h)
{
	struct secure_policy pol;
	TS_GUARD(load_sku(h));
	TS_ENSUREF(mkdir(h->o->record_dir, 0700) == 0 || errno == EEXIST, TS_ERR_IO, "%s: %s", h->o->record_dir,
		   strerror(errno));
	TS_GUARD(secure_policy_load(NULL, &pol));
	TS_GUARD(hsm_uri_parse(h->o->hsm, &h->t));
	TS_GUARD(secure_check_target(&h->t, &pol));
	TS_GUARD(hsm_session_open(&h->t, 0, &h->tr, &h->s));
	TS_GUARD(hsm_require(h->s, HSM_NEED_ECDSA));
	TS_GUARD(load_role(h, "dice_ca", &h->dice, 1));
	TS_GUARD(load_role(h, "ext_ca", &h->ext, 0));
	TS_GUARD(ts_prov_ext_load(h->reg->ext_dir, h->sku->host_libs, h->sku->nhost, h->o->sku, 1, &h->exts));
	ft_event(h, "host.init");
	TS_GUARD(ft_spawn(h, h->o->device_cmd, 1));
	TS_GUARD(ft_send_token(h));
	TS_GUARD(ft_send_certgen(h));
	TS_GUARD(ft_receive_blob(h));
	TS_GUARD(ft_check_was(h));
	TS_GUARD(ft_endorse_all(h));
	TS_GUARD(ft_inject(h));
	TS_GUARD(ft_return_blob(h));
	TS_GUARD(ft_verify_chains(h));
	TS_GUARD(ft_boot(h));
	return ft_write_record(h);
}

int
secure_personalize_run(int argc, char **argv)
{
	struct ft_opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	static struct ft_host h;
	memset(&h, 0, sizeof(h));
	h.o = &o;
	h.trace = json_array();
	h.certs = json_object();
	hsm_transcript_init(&h.tr);
	ts_error_clear();
	(void)signal(SIGPIPE, SIG_IGN); /* a device that quits shows up as a write error, not a dead host */
	ts_result r = flow(&h);
	if (h.child > 0) {
		(void)kill(-h.child, SIGKILL); /* the device command's whole process group */
		(void)kill(h.child, SIGKILL);
	}
	if (h.to != NULL || h.from != NULL || h.child > 0) {
		ts_result_ignore(ft_reap(&h, "device"));
	}
	ts_prov_ext_unload(&h.exts);
	secure_ca_free(&h.dice.ca);
	secure_ca_free(&h.ext.ca);
	r = r.code ? (hsm_session_close(h.s), r) : hsm_session_end(h.s);
	if (r.code != 0) {
		char msg[1024];
		(void)snprintf(msg, sizeof(msg), "%s", ts_last_error_message());
		ft_write_failure(&h, msg);
	}
	hsm_transcript_free(&h.tr);
	hsm_uri_free(&h.t);
	json_decref(h.trace);
	json_decref(h.certs);
	json_decref(h.consts);
	ts_prov_free(h.reg);
	ts_buf_free(&h.uds_der);
	ts_buf_free(&h.extra_hash);
	if (r.code != 0) {
		(void)secure_fail("personalize");
		return r.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}
