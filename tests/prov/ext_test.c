/*
 * Test extensions, one source built several ways (TS_TEST_EXT_*):
 *   ext_a / ext_b  record their hooks through api->log with the ctx init gave them, and every
 *                  call (init and the four hooks, with the process side) in $TS_HOOK_LOG;
 *                  with TS_TEST_INJECT=cert, ext_a's device side hands the host a TBS (in a
 *                  GenericSeed object) and claims Ext1, and its host side endorses it with the
 *                  ext CA and injects the certificate; TS_TEST_INJECT=reorder does the same and
 *                  then swaps the first two returned certificates (UDS is then not first)
 *   ext_abi2       ABI major 2
 *   ext_short      struct_size shorter than ABI 1.0
 *   ext_noentry    no entry point
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeseal/prov_ext.h"

#ifndef TS_TEST_EXT_NAME
#define TS_TEST_EXT_NAME "a"
#endif
#ifndef TS_TEST_EXT_MAJOR
#define TS_TEST_EXT_MAJOR TS_PROV_EXT_ABI_MAJOR
#endif
#ifndef TS_TEST_EXT_SIZE
#define TS_TEST_EXT_SIZE sizeof(struct ts_prov_ext)
#endif
#ifndef TS_TEST_EXT_ENTRY
#define TS_TEST_EXT_ENTRY tapeseal_prov_ext_v1
#endif

const struct ts_prov_ext *TS_TEST_EXT_ENTRY(void);

/* Appends "<side>.<event> <name>" to $TS_HOOK_LOG; the device side is the simulated chip's process. */
static void
hook_log(const char *event)
{
	const char *path = getenv("TS_HOOK_LOG");
	FILE *f = path != NULL ? fopen(path, "a") : NULL;
	if (f != NULL) {
		int dev = strcmp(program_invocation_short_name, "tapeseal-simdev") == 0;
		fprintf(f, "%s.%s %s\n", dev ? "dev" : "host", event, TS_TEST_EXT_NAME);
		fclose(f);
	}
}

static int
test_init(const char *sku, const char *ext_dir, void **ctx)
{
	char *c = malloc(128);
	(void)ext_dir;
	hook_log("init");
	if (c == NULL) {
		return TS_PROV_EFAIL;
	}
	(void)snprintf(c, 128, "%s@%s", TS_TEST_EXT_NAME, sku);
	*ctx = c;
	return TS_PROV_OK;
}

static void
test_fini(void *ctx)
{
	free(ctx);
}

static int
inject_mode(const char *mode)
{
	const char *m = getenv("TS_TEST_INJECT");
	return m != NULL && strcmp(m, mode) == 0 && strcmp(TS_TEST_EXT_NAME, "a") == 0;
}

/* Device side of TS_TEST_INJECT=cert: a TBS for the host to endorse and inject, and a page for it. */
static int
offer_tbs(struct ts_pre_endorse *p)
{
	struct ts_p256_pub pub;
	uint8_t key_id[20], tbs[1024];
	size_t len = sizeof(tbs);
	int rc = p->api->keygen_p256("injected", &pub, key_id);
	struct ts_tbs_params tp = { sizeof(tp), "tapeseal injected", &pub, key_id, p->certgen_inputs->ext_auth_key_key_id };
	rc = rc ? rc : p->api->build_tbs(&tp, tbs, &len);
	rc = rc ? rc : p->api->push_object(p->perso_blob_to_host, 6 /* GenericSeed */, tbs, len);
	if (rc == 0) {
		struct ts_cert_layout *ext1 = &p->cert_nvm_layout[3];
		ext1->used = true;
		ext1->need_digest = true;
		(void)snprintf(ext1->group_name, sizeof(ext1->group_name), "INJ");
		ext1->num_certs = 1;
	}
	return rc;
}

static size_t
obj_size(const uint8_t *o, unsigned v)
{
	return v ? ((size_t)o[1] << 16 | (size_t)o[2] << 8 | o[3]) : (((size_t)o[0] & 0x0f) << 8 | o[1]);
}

/* Host side of TS_TEST_INJECT=cert: finds the offered TBS, has it endorsed, injects the certificate. */
static int
inject_cert(struct ts_inject_ctx *p)
{
	const struct ts_perso_blob *b = p->from_device;
	unsigned v = p->blob_version;
	size_t off = v ? 4 : 0, h = v ? 4 : 2;
	while (off + h <= b->next_free) {
		const uint8_t *o = b->body + off;
		size_t size = obj_size(o, v);
		unsigned type = v ? o[0] : (unsigned)(o[0] >> 4);
		if (size < h) {
			return TS_PROV_EINVAL;
		}
		if (type == 6 && o[h] == 0x30) {
			uint8_t cert[1200];
			size_t clen = sizeof(cert);
			int rc = p->api->endorse("ext", o + h, size - h, cert, &clen);
			rc = rc ? rc : p->api->push_cert(p->endorsed_cert_concat, p->len, p->cap, "INJ", cert, clen);
			if (rc == 0) {
				(*p->num_host_endorsed_certs)++;
			}
			return rc;
		}
		off += size;
	}
	return TS_PROV_EFAIL;
}

/* TS_TEST_INJECT=reorder: the first two certificates change places. */
static int
swap_first(struct ts_inject_ctx *p)
{
	uint8_t *c = p->endorsed_cert_concat, tmp[TS_PERSO_BLOB_MAX];
	unsigned v = p->blob_version;
	size_t a = obj_size(c, v);
	if (a >= *p->len) {
		return TS_PROV_EINVAL;
	}
	size_t b = obj_size(c + a, v);
	if (a + b > *p->len) {
		return TS_PROV_EINVAL;
	}
	memcpy(tmp, c + a, b);
	memcpy(tmp + b, c, a);
	memcpy(c, tmp, a + b);
	return TS_PROV_OK;
}

static int
test_pre(struct ts_pre_endorse *p)
{
	char msg[160];
	(void)snprintf(msg, sizeof(msg), "pre %s", (const char *)p->ctx);
	p->api->log(msg);
	hook_log("pre");
	if (inject_mode("cert") || inject_mode("reorder")) {
		return offer_tbs(p);
	}
	return strcmp(TS_TEST_EXT_NAME, "fail") == 0 ? TS_PROV_EFAIL : TS_PROV_OK;
}

static int
test_post(struct ts_post_endorse *p)
{
	char msg[160];
	(void)snprintf(msg, sizeof(msg), "post %s", (const char *)p->ctx);
	p->api->log(msg);
	hook_log("post");
	return TS_PROV_OK;
}

static int
test_inject(struct ts_inject_ctx *p)
{
	hook_log("inject");
	if (inject_mode("cert") || inject_mode("reorder")) {
		int rc = inject_cert(p);
		return rc != 0 || !inject_mode("reorder") ? rc : swap_first(p);
	}
	return strcmp(TS_TEST_EXT_NAME, "fail") == 0 ? TS_PROV_EFAIL : TS_PROV_OK;
}

static int
test_post_boot(const struct ts_response *resp, char *expect, size_t cap)
{
	(void)resp;
	hook_log("post_boot");
	if (cap > 0) {
		expect[0] = '\0';
	}
	return TS_PROV_OK;
}

static const struct ts_prov_ext descriptor = {
	.struct_size = TS_TEST_EXT_SIZE,
	.abi_major = TS_TEST_EXT_MAJOR,
	.abi_minor = 0,
	.name = TS_TEST_EXT_NAME,
	.version = "test",
	.init = test_init,
	.fini = test_fini,
	.pre_cert_endorse = test_pre,
	.post_cert_endorse = test_post,
	.ft_inject_certs_ext = test_inject,
	.ft_post_boot_ext = test_post_boot,
};

const struct ts_prov_ext *
TS_TEST_EXT_ENTRY(void)
{
	return &descriptor;
}
