#include "secure/secure_ft.h"

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

ts_result
ft_verify_chains(struct ft_host *h)
{
	X509 *uds = cert_of(&h->pback.obj[h->version]), *cdi[2] = { NULL, NULL };
	size_t k = 0;
	for (size_t i = h->version; i < h->pin.n && k < 2; i++) {
		if (h->pin.obj[i].type == TS_PERSO_X509_CERT && ft_dice_name(h->pin.obj[i].name)) {
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
		ft_event(h, "host.chains_ok");
	}
	return r;
}

/* --- step 11: first boot (ft_post_boot_ext) */

ts_result
ft_boot(struct ft_host *h)
{
	static char out[65536], line[4096];
	size_t used = 0;
	if (h->o->boot_cmd == NULL) {
		return TS_OK;
	}
	TS_GUARD(ft_spawn(h, h->o->boot_cmd, 0));
	ft_deadline_arm(h);
	while (!ft_timed_out() && fgets(line, sizeof(line), h->from) != NULL) {
		size_t n = strlen(line);
		if (used + n < sizeof(out)) {
			memcpy(out + used, line, n + 1);
			used += n;
		}
	}
	TS_GUARD(ft_deadline_check(h, TS_OK, "booting"));
	TS_GUARD(ft_reap(h, "boot"));
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
	ft_event(h, "host.post_boot");
	return TS_OK;
}

/* --- step 12: the device record (B7) */

static json_t *
tapeseal_block(struct ft_host *h)
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
	const struct ft_ca_role *roles[2] = { &h->dice, &h->ext };
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

ts_result
ft_write_record(struct ft_host *h)
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

void
ft_write_failure(struct ft_host *h, const char *msg)
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
