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

#include "common/ts_dice.h"
#include "common/ts_file.h"
#include "common/ts_ft.h"
#include "common/ts_hex.h"
#include "common/ts_lc.h"
#include "common/ts_otp_job.h"
#include "common/ts_prov.h"
#include "common/ts_prov_ext.h"
#include "common/ts_ujson.h"
#include "secure/secure_derive.h"
#include "secure/secure_endorse.h"
#include "secure/secure_policy.h"
#include "secure/secure_x509.h"

/* tapeseal-secure personalize: the FT host harness (spec/provisioning.md B5). */

static const char usage[] =
	"Usage: tapeseal-secure personalize --sku NAME --hsm URI --device-cmd CMD --was FILE --record-dir DIR\n"
	"                                   [--boot-cmd CMD] [--blob-version 0|1]\n"
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
	"\n"
	"Exit status: 0 personalized and recorded, 1 refused or failed (no record), 2 usage.\n";

struct opts {
	const char *sku, *hsm, *device_cmd, *boot_cmd, *was, *record_dir;
	int blob_version;
};

struct ca_role {
	int present;
	struct secure_ca ca;
	char cert_sha256[65];
};

struct host {
	const struct opts *o;
	struct ts_prov_registry *reg;
	const struct ts_prov_sku *sku;
	const json_t *orch; /* borrowed from the SKU */
	json_t *consts;
	uint8_t expect[TS_FT_MEASURED][32];
	uint8_t was[32];
	struct hsm_target t;
	struct hsm_transcript tr;
	struct hsm_session *s;
	struct ca_role dice, ext;
	struct ts_prov_exts exts;
	unsigned version;
	pid_t child;
	FILE *to, *from;
	struct ts_perso_blob in, back;
	struct ts_perso_parsed pin, pback;
	uint8_t hash[32];
	char device_id[65];
	char self_hash[65];
	json_t *trace;
	json_t *certs;
	struct ts_buf uds_der;
};

static struct host *cur; /* for the host extension callbacks */

static void
event(struct host *h, const char *what)
{
	json_array_append_new(h->trace, json_string(what));
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "sku", required_argument, NULL, 'k' },        { "hsm", required_argument, NULL, 'H' },
		{ "device-cmd", required_argument, NULL, 'd' }, { "boot-cmd", required_argument, NULL, 'b' },
		{ "was", required_argument, NULL, 'w' },        { "record-dir", required_argument, NULL, 'r' },
		{ "blob-version", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	o->blob_version = -1;
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
expected_measurements(struct host *h)
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
load_sku(struct host *h)
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
load_role(struct host *h, const char *role, struct ca_role *out, int required)
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

/* --- the device console */

static ts_result
spawn(struct host *h, const char *cmd, int with_stdin)
{
	int in[2], out[2];
	TS_ENSUREF(pipe(in) == 0 && pipe(out) == 0, TS_ERR_IO, "pipe: %s", strerror(errno));
	(void)fflush(NULL);
	pid_t pid = fork();
	TS_ENSUREF(pid >= 0, TS_ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		(void)dup2(in[0], 0);
		(void)dup2(out[1], 1);
		(void)close(in[0]), (void)close(in[1]), (void)close(out[0]), (void)close(out[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	h->child = pid;
	h->to = fdopen(in[1], "w");
	h->from = fdopen(out[0], "r");
	TS_ENSURE(h->to != NULL && h->from != NULL, TS_ERR_IO);
	if (!with_stdin) {
		(void)fclose(h->to);
		h->to = NULL;
	}
	return TS_OK;
}

static ts_result
reap(struct host *h, const char *what)
{
	int status = 0;
	if (h->to != NULL) {
		(void)fclose(h->to);
		h->to = NULL;
	}
	if (h->from != NULL) {
		(void)fclose(h->from);
		h->from = NULL;
	}
	if (h->child <= 0) {
		return TS_OK;
	}
	pid_t p = waitpid(h->child, &status, 0);
	h->child = 0;
	TS_ENSUREF(p > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, TS_ERR_SCHEMA, "the %s command failed (exit %d)",
		   what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return TS_OK;
}

static ts_result
send_line(struct host *h, const struct ts_buf *b)
{
	TS_ENSUREF(fwrite(b->data, 1, b->len, h->to) == b->len && fflush(h->to) == 0, TS_ERR_IO,
		   "the device closed its console");
	return TS_OK;
}

static ts_result
send(struct host *h, json_t *j, size_t pad, int crc)
{
	TS_BUF(b);
	ts_result r = ts_ujson_msg(j, pad, crc, &b);
	json_decref(j);
	TS_GUARD(r);
	return send_line(h, &b);
}

static ts_result
wait_prompt(struct host *h, const char *prompt)
{
	ts_result r = ts_ujson_wait_for(h->from, prompt, NULL);
	if (r.code != 0) {
		ts_error_context("waiting for \"%s\"", prompt);
	}
	return r;
}

/* The next RESP_OK line; other lines (extension logs) are skipped. */
static ts_result
read_resp(struct host *h, json_t **out)
{
	static char line[TS_UJSON_LINE_MAX];
	for (;;) {
		TS_GUARD(ts_ujson_read_line(h->from, line, sizeof(line)));
		if (strncmp(line, "RESP_OK:", 8) == 0) {
			return ts_ujson_parse(line, 1, out);
		}
	}
}

/* --- step 3: the RMA token hash and the certificate inputs */

static ts_result
send_token(struct host *h)
{
	TS_SECRET(token);
	TS_SECRET(hashed);
	TS_GUARD(ts_secret_new(&token, 16));
	TS_GUARD_OSSL(RAND_priv_bytes(token.data, 16));
	TS_GUARD(ts_lc_hash_token(&token, &hashed));
	uint64_t w[2] = { 0, 0 };
	for (size_t i = 0; i < 8; i++) { /* the 128-bit hash, big-endian bytes, as two little-endian u64 words */
		w[1] = w[1] << 8 | hashed.data[i];
		w[0] = w[0] << 8 | hashed.data[8 + i];
	}
	TS_GUARD(wait_prompt(h, TS_PROMPT_TOKEN_HASH));
	event(h, "host.token_hash");
	/* The raw token is not kept: without a token_encrypt_key nobody may hold it (B7, no raw RMA token). */
	TS_BUF(b);
	TS_GUARD(ts_ujson_token_hash_msg(w, &b));
	return send_line(h, &b);
}

static ts_result
send_certgen(struct host *h)
{
	uint64_t a[20], b[20];
	for (size_t i = 0; i < 20; i++) {
		a[i] = h->dice.ca.ski[i];
		b[i] = h->ext.present ? h->ext.ca.ski[i] : 0;
	}
	TS_GUARD(wait_prompt(h, TS_PROMPT_CERTGEN));
	return send(h,
		    json_pack("{s:o,s:o,s:I}", "dice_auth_key_key_id", ts_ujson_array(a, 20), "ext_auth_key_key_id",
			      ts_ujson_array(b, 20), "blob_version", (json_int_t)h->version),
		    TS_UJSON_MAX_CERTGEN, 0);
}

/* --- step 4: the device's blob, strictly (B5.4) */

static ts_result
check_blob(struct host *h)
{
	size_t was = 0, id = 0, self = 0;
	const struct ts_perso_parsed *p = &h->pin;
	for (size_t i = h->version; i < p->n; i++) {
		const struct ts_perso_obj *o = &p->obj[i];
		/* A3.7: [version] certificates, extension objects, then WAS HMAC, device ID, self-hash. */
		TS_ENSUREF(was == 0 || o->type == TS_PERSO_WAS_HMAC || o->type == TS_PERSO_DEVICE_ID ||
				   o->type == TS_PERSO_SHA256_HASH,
			   TS_ERR_SCHEMA, "the device's blob has a type %u object after its WAS HMAC, which must cover "
			   "every TBS before it", o->type);
		was += o->type == TS_PERSO_WAS_HMAC;
		id += o->type == TS_PERSO_DEVICE_ID;
		self += o->type == TS_PERSO_SHA256_HASH;
		TS_ENSUREF(o->type != TS_PERSO_CWT_CERT, TS_ERR_SCHEMA, "the device sent a CWT certificate (not supported)");
		for (size_t k = h->version; k < i && o->name[0] != '\0'; k++) {
			TS_ENSUREF(strcmp(o->name, p->obj[k].name) != 0, TS_ERR_SCHEMA,
				   "the device's blob names two certificates %s", o->name);
		}
		if (o->type == TS_PERSO_DEVICE_ID) {
			for (size_t k = 0; k < 32; k++) { /* printed most significant byte first */
				(void)snprintf(h->device_id + 2 * k, 3, "%02x", o->data[31 - k]);
			}
		}
		if (o->type == TS_PERSO_SHA256_HASH) {
			ts_hex_encode(o->data, 32, h->self_hash);
		}
	}
	TS_ENSUREF(was == 1 && id == 1 && self <= 1, TS_ERR_SCHEMA,
		   "the device's blob must hold one WAS HMAC and one device ID (found %zu and %zu) and at most one "
		   "self-hash", was, id);
	TS_ENSUREF(p->n > h->version && strcmp(p->obj[h->version].name, "UDS") == 0 &&
			   p->obj[h->version].type == TS_PERSO_X509_TBS,
		   TS_ERR_SCHEMA, "the device's blob does not start with the UDS TBS");
	return TS_OK;
}

static ts_result
receive_blob(struct host *h)
{
	json_t *j = NULL;
	TS_GUARD(wait_prompt(h, TS_PROMPT_EXPORT));
	TS_GUARD(read_resp(h, &j));
	ts_result r = ts_ujson_blob_from_json(j, &h->in);
	json_decref(j);
	TS_GUARD(r);
	r = ts_perso_parse(&h->in, h->version, &h->pin);
	if (r.code != 0) {
		ts_error_context("the device's blob");
		return r;
	}
	event(h, "host.blob_in");
	return check_blob(h);
}

/* --- step 5: the WAS HMAC, before anything is signed (fixes A3.10c) */

static ts_result
check_was(struct host *h)
{
	TS_BUF(tbs);
	const uint8_t *mac = NULL;
	for (size_t i = h->version; i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		if (o->type == TS_PERSO_X509_TBS) {
			TS_GUARD(ts_buf_append(&tbs, o->data, o->len));
		}
		mac = o->type == TS_PERSO_WAS_HMAC ? o->data : mac;
	}
	uint8_t want[32];
	unsigned n = 0;
	TS_ENSURE(HMAC(EVP_sha256(), h->was, 32, tbs.data, tbs.len, want, &n) != NULL && n == 32, TS_ERR_CRYPTO);
	TS_ENSUREF(mac != NULL && CRYPTO_memcmp(mac, want, 32) == 0, TS_ERR_MODE,
		   "the WAS HMAC over the device's TBS certificates does not match: the blob was altered or the WAS is "
		   "not this device's; nothing was signed");
	event(h, "host.was_ok");
	return TS_OK;
}

/* --- step 6: endorsement of every TBS (B5.6), routed by name (A4) */

static int
dice_name(const char *n)
{
	return strcmp(n, "UDS") == 0 || strcmp(n, "CDI_0") == 0 || strcmp(n, "CDI_1") == 0;
}

static ts_result
record_cert(struct host *h, const char *name, const uint8_t *der, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *b64 = malloc(cap);
	TS_ENSURE(b64 != NULL, TS_ERR_NOMEM);
	(void)EVP_EncodeBlock(b64, der, (int)len);
	json_object_set_new(h->certs, name, json_pack("{s:s,s:s,s:s}", "format", "x509", "name", name, "bytes", b64));
	free(b64);
	return TS_OK;
}

static ts_result
endorse_all(struct host *h)
{
	struct ts_dice_tcb uds_tcb = { .nfwids = TS_FT_MEASURED };
	memcpy(uds_tcb.fwids, h->expect, sizeof(h->expect));
	TS_GUARD(ts_perso_init(&h->back, h->version));
	for (size_t i = h->version; i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		if (o->type == TS_PERSO_X509_CERT) {
			const unsigned char *p = o->data;
			X509 *x = d2i_X509(NULL, &p, (long)o->len);
			X509_free(x);
			TS_ENSUREF(x != NULL, TS_ERR_SCHEMA, "the device's certificate %s does not parse", o->name);
			TS_GUARD(record_cert(h, o->name, o->data, o->len));
			continue;
		}
		if (o->type != TS_PERSO_X509_TBS) {
			continue;
		}
		int dice = dice_name(o->name);
		const struct ca_role *role = dice ? &h->dice : &h->ext;
		TS_ENSUREF(role->present, TS_ERR_SCHEMA, "TBS %s needs the ext CA, which the SKU does not name", o->name);
		TS_BUF(cert);
		TS_GUARD(secure_endorse(h->s, &role->ca, o->name, o->data, o->len,
					strcmp(o->name, "UDS") == 0 ? &uds_tcb : NULL, &cert));
		TS_GUARD(ts_perso_push_cert(&h->back, h->version, TS_PERSO_X509_CERT, o->name, cert.data, cert.len));
		TS_GUARD(record_cert(h, o->name, cert.data, cert.len));
		if (strcmp(o->name, "UDS") == 0) {
			TS_GUARD(ts_buf_append(&h->uds_der, cert.data, cert.len));
		}
		event(h, dice ? "host.endorse.dice" : "host.endorse.ext");
	}
	return TS_OK;
}

/* --- step 8: host extensions (ft_inject_certs_ext), then the result is checked again (B3) */

static struct ts_buf extra_hash;

static int
host_endorse(const char *ca_role, const uint8_t *tbs, size_t n, uint8_t *cert_out, size_t *cert_len)
{
	const struct ca_role *role = ca_role != NULL && strcmp(ca_role, "dice") == 0 ? &cur->dice : &cur->ext;
	TS_BUF(cert);
	if (!role->present || cert_out == NULL || cert_len == NULL ||
	    secure_endorse(cur->s, &role->ca, "extension TBS", tbs, n, NULL, &cert).code != 0 || cert.len > *cert_len) {
		return TS_PROV_EFAIL;
	}
	memcpy(cert_out, cert.data, cert.len);
	*cert_len = cert.len;
	return TS_PROV_OK;
}

static int
host_push_cert(uint8_t *concat, size_t *len, size_t cap, const char *name, const uint8_t *der, size_t der_len)
{
	static struct ts_perso_blob one;
	if (concat == NULL || len == NULL || ts_perso_init(&one, 0).code != 0 ||
	    ts_perso_push_cert(&one, cur->version, TS_PERSO_X509_CERT, name, der, der_len).code != 0 ||
	    *len + one.next_free > cap) {
		return TS_PROV_ENOSPC;
	}
	memcpy(concat + *len, one.body, one.next_free);
	*len += one.next_free;
	return TS_PROV_OK;
}

static int
host_hash_update(const uint8_t *buf, size_t len)
{
	return ts_buf_append(&extra_hash, buf, len).code == 0 ? TS_PROV_OK : TS_PROV_ENOSPC;
}

static void
host_log(const char *msg)
{
	char line[300];
	(void)snprintf(line, sizeof(line), "host.ext: %s", msg != NULL ? msg : "");
	event(cur, line);
}

static const struct ts_host_api host_api = {
	.size = sizeof(struct ts_host_api),
	.endorse = host_endorse,
	.push_cert = host_push_cert,
	.hash_update = host_hash_update,
	.log = host_log,
};

static ts_result
verify_against(const struct host *h, const uint8_t *der, size_t len, const char *name)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int ok = x != NULL && ((h->dice.present && X509_verify(x, h->dice.ca.pub) == 1) ||
			       (h->ext.present && X509_verify(x, h->ext.ca.pub) == 1));
	X509_free(x);
	ERR_clear_error();
	TS_ENSUREF(ok, TS_ERR_SCHEMA, "certificate %s in the returned blob is not signed by the dice or ext CA", name);
	return TS_OK;
}

static ts_result
inject(struct host *h)
{
	static uint8_t concat[TS_PERSO_BLOB_MAX];
	size_t start = h->version ? 4 : 0, len = h->back.next_free - start, num = h->back.num_objs - h->version;
	memcpy(concat, h->back.body + start, len);
	struct ts_inject_ctx ic = { .size = sizeof(ic), .endorsed_cert_concat = concat, .len = &len,
				    .cap = TS_PERSO_BLOB_MAX - start, .num_host_endorsed_certs = &num,
				    .blob_version = (uint16_t)h->version, .from_device = &h->in, .api = &host_api };
	cur = h;
	TS_GUARD(ts_prov_ext_inject(&h->exts, &ic));
	event(h, "host.inject");
	TS_ENSUREF(len <= TS_PERSO_BLOB_MAX - start, TS_ERR_SCHEMA, "a host extension overfilled the blob");
	TS_GUARD(ts_perso_init(&h->back, h->version));
	memcpy(h->back.body + start, concat, len);
	h->back.next_free = start + len;
	h->back.num_objs = num + h->version;
	ts_result r = ts_perso_parse(&h->back, h->version, &h->pback);
	if (r.code != 0) {
		ts_error_context("the blob after the host extensions");
		return r;
	}
	TS_ENSUREF(h->pback.n > h->version && strcmp(h->pback.obj[h->version].name, "UDS") == 0, TS_ERR_SCHEMA,
		   "after the host extensions the UDS certificate is not first");
	for (size_t i = h->version; i < h->pback.n; i++) {
		const struct ts_perso_obj *o = &h->pback.obj[i];
		TS_ENSUREF(o->type == TS_PERSO_X509_CERT, TS_ERR_SCHEMA, "a host extension added a type %u object", o->type);
		TS_GUARD(verify_against(h, o->data, o->len, o->name));
		if (json_object_get(h->certs, o->name) == NULL) {
			TS_GUARD(record_cert(h, o->name, o->data, o->len));
		}
	}
	return TS_OK;
}

/* The certificate hash as the device computes it: stored order, then DevSeed payloads (A3.8, B5.7). */
static ts_result
cert_hash(struct host *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	const struct ts_perso_obj *uds = &h->pback.obj[h->version];
	ok = ok && EVP_DigestUpdate(c, uds->data, uds->len) == 1;
	for (size_t i = h->version; ok && i < h->pin.n; i++) { /* CDI_0, CDI_1 as the device sent them */
		const struct ts_perso_obj *o = &h->pin.obj[i];
		ok = o->type != TS_PERSO_X509_CERT || !dice_name(o->name) || EVP_DigestUpdate(c, o->data, o->len) == 1;
	}
	for (size_t i = h->version + 1; ok && i < h->pback.n; i++) {
		ok = EVP_DigestUpdate(c, h->pback.obj[i].data, h->pback.obj[i].len) == 1;
	}
	for (size_t i = h->version; ok && i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		ok = o->type != TS_PERSO_DEV_SEED || EVP_DigestUpdate(c, o->data, o->len) == 1;
	}
	ok = ok && (extra_hash.len == 0 || EVP_DigestUpdate(c, extra_hash.data, extra_hash.len) == 1);
	ok = ok && EVP_DigestFinal_ex(c, h->hash, NULL) == 1;
	EVP_MD_CTX_free(c);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	return TS_OK;
}

/* --- step 9: the blob back, then the device's hash */

static ts_result
return_blob(struct host *h)
{
	json_t *j = NULL;
	TS_GUARD(ts_ujson_blob_to_json(&h->back, &j));
	TS_GUARD(wait_prompt(h, TS_PROMPT_IMPORT));
	TS_GUARD(send(h, j, TS_UJSON_MAX_BLOB, 0));
	event(h, "host.blob_out");
	TS_GUARD(wait_prompt(h, TS_PROMPT_IMPORTED));
	TS_GUARD(read_resp(h, &j));
	uint64_t got[8];
	uint32_t want[8];
	ts_result r = ts_ujson_uints(j, "data", UINT32_MAX, got, 8);
	json_decref(j);
	TS_GUARD(r);
	TS_GUARD(cert_hash(h));
	ts_ft_pack_hash(h->hash, want);
	for (size_t i = 0; i < 8; i++) {
		TS_ENSUREF(got[i] == want[i], TS_ERR_SCHEMA,
			   "the device's certificate hash differs from the certificates the host returned: the device stored "
			   "something else");
	}
	event(h, "host.hash_ok");
	TS_GUARD(wait_prompt(h, TS_PROMPT_DONE));
	return reap(h, "device");
}

/* --- step 10: the chains, in C (B5.10): the dice CA the only anchor, UDS and CDI_0 untrusted */

static X509 *
cert_of(const struct ts_perso_obj *o)
{
	const unsigned char *p = o->data;
	return d2i_X509(NULL, &p, (long)o->len);
}

static ts_result
verify_one(X509 *anchor, STACK_OF(X509) *untrusted, X509 *leaf, unsigned long flags, const char *name)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	int ok = st != NULL && c != NULL && X509_STORE_add_cert(st, anchor) == 1 &&
		 X509_STORE_CTX_init(c, st, leaf, untrusted) == 1;
	if (ok) {
		X509_STORE_CTX_set_flags(c, flags);
		ok = X509_verify_cert(c) == 1;
	}
	int err = c != NULL ? X509_STORE_CTX_get_error(c) : 0;
	X509_STORE_CTX_free(c);
	X509_STORE_free(st);
	ERR_clear_error();
	TS_ENSUREF(ok, TS_ERR_SCHEMA, "certificate %s does not verify: %s", name, X509_verify_cert_error_string(err));
	return TS_OK;
}

static ts_result
verify_chains(struct host *h)
{
	X509 *uds = cert_of(&h->pback.obj[h->version]), *cdi[2] = { NULL, NULL };
	size_t k = 0;
	for (size_t i = h->version; i < h->pin.n && k < 2; i++) {
		if (h->pin.obj[i].type == TS_PERSO_X509_CERT && dice_name(h->pin.obj[i].name)) {
			cdi[k++] = cert_of(&h->pin.obj[i]);
		}
	}
	STACK_OF(X509) *un = sk_X509_new_null();
	ts_result r = uds != NULL && k == 2 && cdi[0] != NULL && cdi[1] != NULL && un != NULL
			      ? TS_OK
			      : ts_failf(TS_ERR_SCHEMA, __FILE__, __LINE__, "the DICE certificates are incomplete");
	if (r.code == 0) {
		(void)sk_X509_push(un, uds);
		(void)sk_X509_push(un, cdi[0]);
		r = verify_one(h->dice.ca.cert, un, cdi[1], X509_V_FLAG_IGNORE_CRITICAL, "CDI_1");
	}
	for (size_t i = h->version + 1; r.code == 0 && i < h->pback.n; i++) {
		X509 *x = cert_of(&h->pback.obj[i]);
		int by_ext = h->ext.present && x != NULL && X509_verify(x, h->ext.ca.pub) == 1;
		ERR_clear_error();
		r = x == NULL ? ts_failf(TS_ERR_SCHEMA, __FILE__, __LINE__, "certificate %s does not parse", h->pback.obj[i].name)
			      : verify_one(by_ext ? h->ext.ca.cert : h->dice.ca.cert, NULL, x, 0, h->pback.obj[i].name);
		X509_free(x);
	}
	sk_X509_free(un);
	X509_free(uds);
	X509_free(cdi[0]);
	X509_free(cdi[1]);
	if (r.code == 0) {
		event(h, "host.chains_ok");
	}
	return r;
}

/* --- step 11: first boot (ft_post_boot_ext) */

static ts_result
boot(struct host *h)
{
	static char out[65536], line[4096];
	size_t used = 0;
	if (h->o->boot_cmd == NULL) {
		return TS_OK;
	}
	TS_GUARD(spawn(h, h->o->boot_cmd, 0));
	while (fgets(line, sizeof(line), h->from) != NULL) {
		size_t n = strlen(line);
		if (used + n < sizeof(out)) {
			memcpy(out + used, line, n + 1);
			used += n;
		}
	}
	TS_GUARD(reap(h, "boot"));
	TS_ENSUREF(strstr(out, "UDS certificate not valid") == NULL && strstr(out, "BFV:") == NULL, TS_ERR_SCHEMA,
		   "the device failed its first boot");
	const char *rom = strstr(out, "ROM_EXT:");
	TS_ENSUREF(rom != NULL, TS_ERR_SCHEMA, "the device did not boot its ROM_EXT");
	const char *owner = json_string_value(json_object_get(h->orch, "owner_fw_boot_str"));
	const char *own = owner != NULL ? strstr(rom, owner) : NULL;
	TS_ENSUREF(owner == NULL || own != NULL, TS_ERR_SCHEMA, "the owner firmware did not print \"%s\"", owner);
	const char *names[16];
	size_t n = 0;
	for (size_t i = h->version; i < h->pback.n && n < 16; i++) {
		names[n++] = h->pback.obj[i].name;
	}
	const char *lc = json_string_value(json_object_get(h->orch, "target_lc_state"));
	struct ts_response resp = { .size = sizeof(resp), .num_certs = n, .cert_names = names };
	(void)snprintf(resp.device_id, sizeof(resp.device_id), "%s", h->device_id); /* filled, unlike upstream (B9) */
	(void)snprintf(resp.lc_state_mission_mode, sizeof(resp.lc_state_mission_mode), "%s", lc != NULL ? lc : "");
	for (size_t i = 0; i < h->exts.n; i++) {
		char expect[512] = "";
		struct ts_prov_exts one = { .n = 1 };
		one.l[0] = h->exts.l[i];
		TS_GUARD(ts_prov_ext_post_boot(&one, &resp, expect, sizeof(expect)));
		if (expect[0] == '\0') {
			continue;
		}
		regex_t re;
		regmatch_t m;
		TS_ENSUREF(regcomp(&re, expect, REG_EXTENDED | REG_NEWLINE) == 0, TS_ERR_SCHEMA,
			   "host extension %s gave an invalid expression '%s'", h->exts.l[i].spec, expect);
		int found = regexec(&re, rom, 1, &m, 0) == 0 && (own == NULL || rom + m.rm_so < own);
		regfree(&re);
		TS_ENSUREF(found, TS_ERR_SCHEMA, "the boot console did not show '%s' (host extension %s)", expect,
			   h->exts.l[i].spec);
	}
	event(h, "host.post_boot");
	return TS_OK;
}

/* --- step 12: the device record (B7) */

static json_t *
tapeseal_block(struct host *h)
{
	char hx[65], reg_sha[65] = "";
	json_t *meas = json_object(), *libs = json_array(), *ca = json_object();
	for (size_t i = 0; i < TS_FT_MEASURED; i++) {
		ts_hex_encode(h->expect[i], 32, hx);
		json_object_set_new(meas, ts_ft_measured[i], json_string(hx));
	}
	for (size_t i = 0; i < h->exts.n; i++) {
		const struct ts_prov_loaded *l = &h->exts.l[i];
		char abi[16] = "-";
		if (l->d != NULL) {
			(void)snprintf(abi, sizeof(abi), "%u.%u", l->d->abi_major, l->d->abi_minor);
		}
		json_array_append_new(libs, json_pack("{s:s,s:s,s:s,s:s}", "ref", l->spec, "path", l->path, "sha256",
						      l->sha256, "abi", abi));
	}
	const struct ca_role *roles[2] = { &h->dice, &h->ext };
	for (size_t i = 0; i < 2; i++) {
		if (roles[i]->present) {
			ts_hex_encode(roles[i]->ca.ski, 20, hx);
			json_object_set_new(ca, i == 0 ? "dice" : "ext",
					    json_pack("{s:s,s:s,s:s,s:s}", "cert_sha256", roles[i]->cert_sha256, "key_label",
						      roles[i]->ca.label, "key_uri", h->t.display, "key_id", hx));
		}
	}
	ts_result_ignore(ts_file_sha256(h->sku->e.file, reg_sha));
	uint8_t din[32], dout[32];
	SHA256(h->in.body, h->in.next_free, din);
	SHA256(h->back.body, h->back.next_free, dout);
	char sin[65], sout[65], dh[65];
	ts_hex_encode(din, 32, sin);
	ts_hex_encode(dout, 32, sout);
	ts_hex_encode(h->hash, 32, dh);
	return json_pack("{s:s,s:s,s:s,s:o,s:O,s:o,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "schema", "tapeseal-device-record/1",
			 "registry_file", h->sku->e.file, "registry_sha256", reg_sha, "ext_libs", libs, "hook_trace",
			 h->trace, "ca", ca, "blob_version", (json_int_t)h->version, "blob_in_sha256", sin,
			 "blob_out_sha256", sout, "device_cert_hash", dh, "perso_self_hash", h->self_hash, "otp_cfg",
			 h->sku->otp, "measurements", meas);
}

static void
now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	(void)gmtime_r(&t, &tm);
	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static ts_result
write_record(struct host *h)
{
	char ts[32], path[PATH_MAX + 128];
	now_iso(ts, sizeof(ts));
	const char *lc = json_string_value(json_object_get(h->orch, "target_lc_state"));
	size_t cap = 4 * ((h->uds_der.len + 2) / 3) + 1;
	unsigned char *b64 = malloc(cap);
	TS_ENSURE(b64 != NULL, TS_ERR_NOMEM);
	(void)EVP_EncodeBlock(b64, h->uds_der.data, (int)h->uds_der.len);
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{},s:{s:s,s:{s:s},s:O},s:o}", "device_id", h->device_id, "sku",
				h->o->sku, "provisioning_state", lc != NULL ? lc : "", "timestamp", ts, "last_update", ts,
				"dice_uds", b64, "cp_json", "ft_json", "device_id", h->device_id, "lc_state", "mission_mode",
				lc != NULL ? lc : "", "certs", h->certs, "tapeseal", tapeseal_block(h));
	free(b64);
	TS_ENSURE(rec != NULL, TS_ERR_NOMEM);
	char *text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	TS_ENSURE(text != NULL, TS_ERR_NOMEM);
	(void)snprintf(path, sizeof(path), "%s/%s.json", h->o->record_dir, h->device_id);
	ts_result r = ts_file_write_new(path, text, strlen(text), 0600);
	free(text);
	if (r.code == TS_ERR_EXISTS) {
		ts_error_clear();
		TS_BAILF(TS_ERR_EXISTS, "%s exists: this device already has a record", path);
	}
	TS_GUARD(r);
	(void)snprintf(path, sizeof(path), "%s/index.jsonl", h->o->record_dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	TS_ENSUREF(fd >= 0, TS_ERR_IO, "%s: %s", path, strerror(errno));
	char line[512];
	int n = snprintf(line, sizeof(line), "{\"device_id\":\"%s\",\"sku\":\"%s\",\"timestamp\":\"%s\"}\n", h->device_id,
			 h->o->sku, ts);
	int ok = n > 0 && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
	(void)close(fd);
	TS_ENSUREF(ok, TS_ERR_IO, "%s: cannot append", path);
	printf("personalized %s (SKU %s, blob v%u): %s/%s.json\n", h->device_id, h->o->sku, h->version, h->o->record_dir,
	       h->device_id);
	return TS_OK;
}

static void
write_failure(struct host *h, const char *msg)
{
	char ts[32], path[PATH_MAX + 128];
	now_iso(ts, sizeof(ts));
	json_t *f = json_pack("{s:s,s:s,s:s,s:O}", "sku", h->o->sku, "timestamp", ts, "error", msg, "hook_trace",
			      h->trace != NULL ? h->trace : json_null());
	char *text = f != NULL ? json_dumps(f, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(f);
	(void)snprintf(path, sizeof(path), "%s/%s.failed.json", h->o->record_dir,
		       h->device_id[0] ? h->device_id : "unknown");
	TS_BUF(tmp);
	if (text != NULL && ts_file_write_tmp(path, text, strlen(text), 0600, &tmp).code == 0 &&
	    rename((const char *)tmp.data, path) != 0) {
		(void)unlink((const char *)tmp.data);
	}
	free(text);
}

static ts_result
flow(struct host *h)
{
	struct secure_policy pol;
	TS_GUARD(load_sku(h));
	TS_ENSUREF(mkdir(h->o->record_dir, 0700) == 0 || errno == EEXIST, TS_ERR_IO, "%s: %s", h->o->record_dir,
		   strerror(errno));
	TS_GUARD(secure_policy_load(NULL, &pol));
	TS_GUARD(hsm_uri_parse(h->o->hsm, &h->t));
	TS_GUARD(secure_check_target(&h->t, &pol));
	TS_GUARD(hsm_session_open(&h->t, 0, &h->tr, &h->s));
	TS_GUARD(load_role(h, "dice_ca", &h->dice, 1));
	TS_GUARD(load_role(h, "ext_ca", &h->ext, 0));
	TS_GUARD(ts_prov_ext_load(h->reg->ext_dir, h->sku->host_libs, h->sku->nhost, h->o->sku, 1, &h->exts));
	event(h, "host.init");
	TS_GUARD(spawn(h, h->o->device_cmd, 1));
	TS_GUARD(send_token(h));
	TS_GUARD(send_certgen(h));
	TS_GUARD(receive_blob(h));
	TS_GUARD(check_was(h));
	TS_GUARD(endorse_all(h));
	TS_GUARD(inject(h));
	TS_GUARD(return_blob(h));
	TS_GUARD(verify_chains(h));
	TS_GUARD(boot(h));
	return write_record(h);
}

int
secure_personalize_run(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	static struct host h;
	memset(&h, 0, sizeof(h));
	h.o = &o;
	h.trace = json_array();
	h.certs = json_object();
	hsm_transcript_init(&h.tr);
	ts_error_clear();
	(void)signal(SIGPIPE, SIG_IGN); /* a device that quits shows up as a write error, not a dead host */
	ts_result r = flow(&h);
	if (h.child > 0) {
		(void)kill(h.child, SIGKILL);
	}
	if (h.to != NULL || h.from != NULL || h.child > 0) {
		ts_result_ignore(reap(&h, "device"));
	}
	ts_prov_ext_unload(&h.exts);
	secure_ca_free(&h.dice.ca);
	secure_ca_free(&h.ext.ca);
	r = r.code ? (hsm_session_close(h.s), r) : hsm_session_end(h.s);
	if (r.code != 0) {
		char msg[1024];
		(void)snprintf(msg, sizeof(msg), "%s", ts_last_error_message());
		write_failure(&h, msg);
	}
	hsm_transcript_free(&h.tr);
	hsm_uri_free(&h.t);
	json_decref(h.trace);
	json_decref(h.certs);
	json_decref(h.consts);
	ts_prov_free(h.reg);
	ts_buf_free(&h.uds_der);
	ts_buf_free(&extra_hash);
	if (r.code != 0) {
		(void)secure_fail("personalize");
		return r.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}
