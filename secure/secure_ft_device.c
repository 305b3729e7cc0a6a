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

/* The FT host's side of the device console: spawning, framing, token, certgen inputs, blobs. */

ts_result
ft_spawn(struct ft_host *h, const char *cmd, int with_stdin)
{
	int in[2], out[2];
	TS_ENSUREF(pipe(in) == 0 && pipe(out) == 0, TS_ERR_IO, "pipe: %s", strerror(errno));
	(void)fflush(NULL);
	pid_t pid = fork();
	TS_ENSUREF(pid >= 0, TS_ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		(void)setpgid(0, 0); /* its own group, so that a failed run can stop all of it */
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

ts_result
ft_reap(struct ft_host *h, const char *what)
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
send_line(struct ft_host *h, const struct ts_buf *b)
{
	TS_ENSUREF(fwrite(b->data, 1, b->len, h->to) == b->len && fflush(h->to) == 0, TS_ERR_IO,
		   "the device closed its console");
	return TS_OK;
}

static ts_result
send(struct ft_host *h, json_t *j, size_t pad, int crc)
{
	TS_BUF(b);
	ts_result r = ts_ujson_msg(j, pad, crc, &b);
	json_decref(j);
	TS_GUARD(r);
	return send_line(h, &b);
}

/*
 * The device timeout: SIGALRM without SA_RESTART interrupts a console read
 * that blocks past --device-timeout, and the wait fails with that reason.
 */
static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

void
ft_deadline_arm(const struct ft_host *h)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, NULL);
	timed_out = 0;
	(void)alarm(h->o->device_timeout);
}

int
ft_timed_out(void)
{
	return timed_out != 0;
}

ts_result
ft_deadline_check(const struct ft_host *h, ts_result r, const char *what)
{
	(void)alarm(0);
	if (timed_out) {
		ts_error_clear();
		return ts_failf(TS_ERR_IO, __FILE__, __LINE__,
				"the device did not answer within %u s while %s; check its console (or raise "
				"--device-timeout)", h->o->device_timeout, what);
	}
	return r;
}

static ts_result
wait_prompt(struct ft_host *h, const char *prompt)
{
	static char line[TS_UJSON_LINE_MAX];
	char what[128];
	(void)snprintf(what, sizeof(what), "waiting for \"%s\"", prompt);
	ft_deadline_arm(h);
	/* Line by line (not ts_ujson_wait_for), so that a device chattering other lines runs out of time too. */
	for (;;) {
		ts_result r = ts_ujson_read_line(h->from, line, sizeof(line));
		if (r.code != 0 || ft_timed_out() || strcmp(line, prompt) == 0) {
			r = ft_deadline_check(h, r.code != 0 || !ft_timed_out() ? r : ts_fail(TS_ERR_IO, 0, __FILE__, __LINE__),
					      what);
			if (r.code != 0) {
				ts_error_context("%s", what);
			}
			return r;
		}
	}
}

/* The next RESP_OK line; other lines (extension logs) are skipped. */
static ts_result
read_resp(struct ft_host *h, json_t **out)
{
	static char line[TS_UJSON_LINE_MAX];
	ft_deadline_arm(h);
	for (;;) {
		ts_result r = ts_ujson_read_line(h->from, line, sizeof(line));
		if (r.code != 0 || ft_timed_out()) {
			return ft_deadline_check(h, r.code != 0 ? r : ts_fail(TS_ERR_IO, 0, __FILE__, __LINE__),
						 "reading its answer");
		}
		if (strncmp(line, "RESP_OK:", 8) == 0) {
			TS_GUARD(ft_deadline_check(h, TS_OK, "reading its answer"));
			return ts_ujson_parse(line, 1, out);
		}
	}
}

/* --- step 3: the RMA token hash and the certificate inputs */

ts_result
ft_send_token(struct ft_host *h)
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
	ft_event(h, "host.token_hash");
	/* The raw token is not kept: without a token_encrypt_key nobody may hold it (B7, no raw RMA token). */
	TS_BUF(b);
	TS_GUARD(ts_ujson_token_hash_msg(w, &b));
	return send_line(h, &b);
}

ts_result
ft_send_certgen(struct ft_host *h)
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
check_blob(struct ft_host *h)
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

ts_result
ft_receive_blob(struct ft_host *h)
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
	ft_event(h, "host.blob_in");
	return check_blob(h);
}

/* The certificate hash as the device computes it: stored order, then DevSeed payloads (A3.8, B5.7). */
static ts_result
cert_hash(struct ft_host *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	const struct ts_perso_obj *uds = &h->pback.obj[h->version];
	ok = ok && EVP_DigestUpdate(c, uds->data, uds->len) == 1;
	for (size_t i = h->version; ok && i < h->pin.n; i++) { /* CDI_0, CDI_1 as the device sent them */
		const struct ts_perso_obj *o = &h->pin.obj[i];
		ok = o->type != TS_PERSO_X509_CERT || !ft_dice_name(o->name) || EVP_DigestUpdate(c, o->data, o->len) == 1;
	}
	for (size_t i = h->version + 1; ok && i < h->pback.n; i++) {
		ok = EVP_DigestUpdate(c, h->pback.obj[i].data, h->pback.obj[i].len) == 1;
	}
	for (size_t i = h->version; ok && i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		ok = o->type != TS_PERSO_DEV_SEED || EVP_DigestUpdate(c, o->data, o->len) == 1;
	}
	ok = ok && (h->extra_hash.len == 0 || EVP_DigestUpdate(c, h->extra_hash.data, h->extra_hash.len) == 1);
	ok = ok && EVP_DigestFinal_ex(c, h->hash, NULL) == 1;
	EVP_MD_CTX_free(c);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	return TS_OK;
}

/* --- step 9: the blob back, then the device's hash */

ts_result
ft_return_blob(struct ft_host *h)
{
	json_t *j = NULL;
	TS_GUARD(ts_ujson_blob_to_json(&h->back, &j));
	TS_GUARD(wait_prompt(h, TS_PROMPT_IMPORT));
	TS_GUARD(send(h, j, TS_UJSON_MAX_BLOB, 0));
	ft_event(h, "host.blob_out");
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
	ft_event(h, "host.hash_ok");
	TS_GUARD(wait_prompt(h, TS_PROMPT_DONE));
	return ft_reap(h, "device");
}
