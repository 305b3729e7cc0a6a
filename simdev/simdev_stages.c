#include "simdev/simdev.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/base/ts_hex.h"
#include "common/ft/ts_dice.h"
#include "common/ft/ts_ft.h"

static int
locked(const struct simdev *d, const char *partition)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(d->state, "locked"), i, v) {
		if (strcmp(json_string_value(v), partition) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The otp-consts JSON for this SKU (from `tapeseal otp-consts --sku`): its partitions object. */
static ts_result
load_consts(const struct simdev *d, const char *path, json_t **out)
{
	json_error_t err;
	TS_ENSUREF(path != NULL, TS_ERR_USAGE, "--consts FILE is required (the output of 'tapeseal otp-consts --sku %s')",
		   d->sku->e.name);
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	TS_ENSUREF(j != NULL, TS_ERR_PARSE, "%s:%d: %s", path, err.line, err.text);
	const char *sku = json_string_value(json_object_get(j, "sku"));
	if (sku == NULL || strcmp(sku, d->sku->e.name) != 0 || !json_is_object(json_object_get(j, "partitions"))) {
		json_decref(j);
		TS_BAILF(TS_ERR_SCHEMA, "%s is not the otp-consts output of SKU %s", path, d->sku->e.name);
	}
	*out = j;
	return TS_OK;
}

ts_result
simdev_individualize(struct simdev *d, const char *consts_file, const char *ft_device_id_hex)
{
	TS_ENSUREF(!locked(d, "HW_CFG0"), TS_ERR_MODE, "this device is already individualized (HW_CFG0 is locked)");
	TS_ENSUREF(ft_device_id_hex != NULL, TS_ERR_USAGE, "--ft-device-id HEX (32 hex digits) is required");
	TS_GUARD(simdev_unhex(ft_device_id_hex, d->device_id + 16, 16));
	json_t *consts = NULL;
	TS_GUARD(load_consts(d, consts_file, &consts));
	json_t *otp = json_object_get(d->state, "otp"), *items, *it;
	const char *part;
	size_t i;
	ts_result r = TS_OK;
	json_object_foreach(json_object_get(consts, "partitions"), part, items) {
		json_array_foreach(items, i, it) {
			uint8_t v[256];
			char hex[513];
			size_t n = 0;
			if (json_is_true(json_object_get(it, "deferred"))) {
				continue; /* programmed at personalization (A1) */
			}
			r = r.code ? r : ts_ft_item_bytes(it, v, sizeof(v), &n);
			if (r.code == 0) {
				ts_hex_encode(v, n, hex);
				if (d->fault != NULL && strcmp(d->fault, "otp-value") == 0 && i == 0) {
					hex[0] = hex[0] == '0' ? '1' : '0'; /* a different value than the registry's */
				}
				json_object_set_new(otp, json_string_value(json_object_get(it, "item")), json_string(hex));
			}
		}
	}
	json_decref(consts);
	TS_GUARD(r);
	static const char *const lock[] = { "HW_CFG0", "HW_CFG1", "ROT_CREATOR_AUTH_CODESIGN", "ROT_CREATOR_AUTH_STATE" };
	for (size_t k = 0; k < 4; k++) {
		json_array_append_new(json_object_get(d->state, "locked"), json_string(lock[k]));
	}
	const char *target = json_string_value(json_object_get(d->orch, "target_lc_state"));
	char lc[32];
	(void)snprintf(lc, sizeof(lc), "%s", target != NULL ? target : "dev");
	for (char *p = lc; *p; p++) {
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	}
	json_object_set_new(d->state, "lc_state", json_string(lc));
	TS_GUARD(simdev_save(d));
	fprintf(d->out, "individualized: device_id ");
	for (size_t k = 0; k < 32; k++) {
		fprintf(d->out, "%02x", d->device_id[31 - k]);
	}
	fprintf(d->out, ", lc_state %s\n", lc);
	return TS_OK;
}

static ts_result
verify_with(const uint8_t *der, size_t len, EVP_PKEY *key, const char *name, X509 **out)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	TS_ENSUREF(x != NULL, TS_ERR_SCHEMA, "%s is not a certificate", name);
	if (key != NULL && X509_verify(x, key) != 1) {
		X509_free(x);
		TS_BAILF(TS_ERR_SCHEMA, "%s does not verify with its issuer's key", name);
	}
	*out = x;
	return TS_OK;
}

/* ROM_EXT model (B4 boot): checks the stored chain against the keys the device derives. */
static ts_result
check_chain(const struct simdev *d, unsigned version)
{
	static uint8_t factory[TS_FT_PAGE_SIZE], dice[TS_FT_PAGE_SIZE];
	struct ts_perso_obj f[4], c[4];
	size_t nf = 0, nc = 0;
	TS_GUARD(simdev_page_read(d, TS_FT_PAGE_FACTORY, factory));
	TS_GUARD(simdev_page_read(d, TS_FT_PAGE_DICE, dice));
	TS_GUARD(ts_ft_page_parse(factory, version, 1, f, 4, &nf));
	TS_GUARD(ts_ft_page_parse(dice, version, 1, c, 4, &nc));
	TS_ENSUREF(nf == 1 && strcmp(f[0].name, "UDS") == 0 && nc == 2, TS_ERR_SCHEMA, "UDS certificate not valid");
	struct ts_dice_key uds, cdi0;
	TS_GUARD(ts_dice_key_derive(d->seed, "UDS", &uds));
	ts_result r = ts_dice_key_derive(d->seed, "CDI_0", &cdi0);
	X509 *u = NULL, *c0 = NULL, *c1 = NULL;
	r = r.code ? r : verify_with(f[0].data, f[0].len, NULL, "UDS", &u);
	if (r.code == 0 && EVP_PKEY_eq(X509_get0_pubkey(u), uds.pkey) != 1) {
		r = ts_failf(TS_ERR_SCHEMA, __FILE__, __LINE__, "UDS certificate not valid");
	}
	r = r.code ? r : verify_with(c[0].data, c[0].len, uds.pkey, "CDI_0", &c0);
	r = r.code ? r : verify_with(c[1].data, c[1].len, cdi0.pkey, "CDI_1", &c1);
	X509_free(u);
	X509_free(c0);
	X509_free(c1);
	ts_dice_key_free(&uds);
	ts_dice_key_free(&cdi0);
	return r;
}

/* The owner firmware's view of the extension pages: one line per certificate ("Ext cert <name> present"). */
static ts_result
print_ext_certs(const struct simdev *d, unsigned version)
{
	static uint8_t page[TS_FT_PAGE_SIZE];
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(d->state, "ext_pages"), i, e) {
		struct ts_perso_obj objs[8];
		size_t n = 0;
		TS_GUARD(simdev_page_read(d, (unsigned)json_integer_value(json_object_get(e, "page")), page));
		TS_GUARD(ts_ft_page_parse(page, version, json_is_true(json_object_get(e, "digest")), objs, 8, &n));
		for (size_t k = 0; k < n; k++) {
			fprintf(d->out, "Ext cert %s present\n", objs[k].name);
		}
	}
	return TS_OK;
}

ts_result
simdev_boot(struct simdev *d, const char *exec_env)
{
	TS_ENSUREF(json_is_true(json_object_get(d->state, "personalized")), TS_ERR_MODE,
		   "this device is not personalized");
	json_t *bv = json_object_get(d->state, "blob_version");
	TS_GUARD(check_chain(d, (unsigned)json_integer_value(bv)));
	const char *ver = "0.1.0", *owner = json_string_value(json_object_get(d->orch, "owner_fw_boot_str"));
	if (exec_env != NULL) {
		const struct ts_prov_exec_env *e = NULL;
		for (size_t i = 0; i < d->reg->nenvs; i++) {
			e = strcmp(d->reg->envs[i].e.name, exec_env) == 0 ? &d->reg->envs[i] : e;
		}
		TS_ENSUREF(e != NULL, TS_ERR_USAGE, "no execution environment '%s'; see 'tapeseal prov list'", exec_env);
		ver = e->rom_ext_version;
		owner = e->owner_fw_boot_str;
	}
	fprintf(d->out, "ROM_EXT:%s\r\n", ver);
	TS_GUARD(print_ext_certs(d, (unsigned)json_integer_value(bv)));
	fprintf(d->out, "%s\n", owner != NULL ? owner : "owner firmware");
	return TS_OK;
}
