/*
 * Test extensions, one source built several ways (TS_TEST_EXT_*):
 *   ext_a / ext_b  record their hooks through api->log with the ctx init gave them, and every
 *                  call (init and the four hooks, with the process side) in $TS_HOOK_LOG
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
test_pre(struct ts_pre_endorse *p)
{
	char msg[160];
	(void)snprintf(msg, sizeof(msg), "pre %s", (const char *)p->ctx);
	p->api->log(msg);
	hook_log("pre");
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
	(void)p;
	hook_log("inject");
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
