/*
 * Example provisioning extension: a template for SKU owners (docs/provisioning.md).
 *
 * Device side, before endorsement: makes a P-256 key with the device's key
 * manager, builds a TBS certificate for it whose authority key identifier is
 * the ext CA's, pushes it to the host for endorsement, and claims the Ext0
 * certificate page for it.  Host side, at first boot: asks the boot console
 * to show the line this extension's firmware would print.
 *
 * Build it against the installed header only:
 *   cc -shared -fPIC -I<prefix>/include -o example.so example_ext.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapeseal/prov_ext.h"

#ifndef TS_PROV_EXAMPLE_ENTRY
#define TS_PROV_EXAMPLE_ENTRY tapeseal_prov_ext_v1
#endif

const struct ts_prov_ext *TS_PROV_EXAMPLE_ENTRY(void);

struct example_ctx {
	char sku[64];
	unsigned calls;
};

static int
example_init(const char *sku, const char *ext_dir, void **ctx)
{
	struct example_ctx *c = calloc(1, sizeof(*c));
	(void)ext_dir;
	if (c == NULL) {
		return TS_PROV_EFAIL;
	}
	(void)snprintf(c->sku, sizeof(c->sku), "%s", sku != NULL ? sku : "");
	*ctx = c;
	return TS_PROV_OK;
}

static void
example_fini(void *ctx)
{
	free(ctx);
}

static int
example_pre_cert_endorse(struct ts_pre_endorse *p)
{
	struct example_ctx *c = p->ctx;
	const struct ts_device_api *api = p->api;
	struct ts_p256_pub pub;
	uint8_t key_id[20];
	uint8_t tbs[1024];
	size_t len = sizeof(tbs);
	if (p->size < sizeof(*p) || api == NULL || api->size < sizeof(*api) || api->keygen_p256 == NULL ||
	    api->build_tbs == NULL || api->push_cert == NULL) {
		return TS_PROV_EINVAL;
	}
	if (c != NULL) {
		c->calls++;
	}
	if (api->keygen_p256("example_ek", &pub, key_id) != 0) {
		return TS_PROV_EFAIL;
	}
	struct ts_tbs_params tp = { sizeof(tp), "tapeseal example EK", &pub, key_id,
				    p->certgen_inputs->ext_auth_key_key_id };
	if (api->build_tbs(&tp, tbs, &len) != 0 || api->push_cert(p->perso_blob_to_host, "EXAMPLE", true, tbs, len) != 0) {
		return TS_PROV_EFAIL;
	}
	struct ts_cert_layout *ext0 = &p->cert_nvm_layout[2];
	ext0->used = true;
	ext0->need_digest = false;
	(void)snprintf(ext0->group_name, sizeof(ext0->group_name), "EXAMPLE");
	ext0->num_certs = 1;
	if (api->log != NULL) {
		api->log("example extension: pushed the EXAMPLE TBS and claimed Ext0");
	}
	return TS_PROV_OK;
}

static int
example_ft_post_boot_ext(const struct ts_response *resp, char *expect, size_t cap)
{
	if (resp == NULL || cap == 0) {
		return TS_PROV_EINVAL;
	}
	(void)snprintf(expect, cap, "^Ext cert EXAMPLE present");
	return TS_PROV_OK;
}

static const struct ts_prov_ext descriptor = {
	.struct_size = sizeof(struct ts_prov_ext),
	.abi_major = TS_PROV_EXT_ABI_MAJOR,
	.abi_minor = TS_PROV_EXT_ABI_MINOR,
	.name = "example",
	.version = "1.0",
	.init = example_init,
	.fini = example_fini,
	.pre_cert_endorse = example_pre_cert_endorse,
	.ft_post_boot_ext = example_ft_post_boot_ext,
};

const struct ts_prov_ext *
TS_PROV_EXAMPLE_ENTRY(void)
{
	return &descriptor;
}
