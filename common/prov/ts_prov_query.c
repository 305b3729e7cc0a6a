#include "common/prov/ts_prov.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/base/ts_hjson.h"

/* Lookups in a loaded registry and the paths a SKU refers to. */

void
ts_prov_free(struct ts_prov_registry *r)
{
	if (r == NULL) {
		return;
	}
	for (size_t i = 0; r->skus != NULL && i < r->nskus; i++) {
		json_decref(r->skus[i].recorded);
		json_decref(r->skus[i].orch);
	}
	free(r->otp);
	free(r->skus);
	free(r->envs);
	ts_buf_free(&r->problems);
	free(r);
}

const struct ts_prov_sku *
ts_prov_sku(const struct ts_prov_registry *r, const char *name)
{
	for (size_t i = 0; i < r->nskus; i++) {
		if (strcmp(r->skus[i].e.name, name) == 0) {
			return &r->skus[i];
		}
	}
	return NULL;
}

const struct ts_prov_otp_cfg *
ts_prov_otp_cfg(const struct ts_prov_registry *r, const char *name)
{
	for (size_t i = 0; i < r->notp; i++) {
		if (strcmp(r->otp[i].e.name, name) == 0) {
			return &r->otp[i];
		}
	}
	return NULL;
}

const char *
ts_prov_builtin_path(void)
{
	static const char *const candidates[] = { TS_PROV_INSTALLED_REGISTRY, TS_PROV_SOURCE_REGISTRY };
	const char *env = getenv("TAPESEAL_PROV_REGISTRY");
	struct stat st;
	if (env != NULL && *env != '\0') {
		return env;
	}
	for (size_t i = 0; i < 2; i++) {
		if (stat(candidates[i], &st) == 0) {
			return candidates[i];
		}
	}
	return candidates[1];
}

ts_result
ts_prov_sku_path(const struct ts_prov_sku *s, const char *rel, char *buf, size_t len)
{
	TS_ENSURE(s != NULL && rel != NULL && buf != NULL, TS_ERR_NULL);
	const char *slash = strrchr(s->e.file, '/');
	int n = snprintf(buf, len, "%.*s/%s", slash ? (int)(slash - s->e.file) : 1, slash ? s->e.file : ".", rel);
	TS_ENSUREF(n >= 0 && (size_t)n < len, TS_ERR_RANGE, "%s: a path relative to it is too long", s->e.file);
	return TS_OK;
}

ts_result
ts_prov_sku_usable(const struct ts_prov_registry *r, const char *name, const struct ts_prov_sku **out)
{
	TS_ENSURE(r != NULL && name != NULL && out != NULL, TS_ERR_NULL);
	const struct ts_prov_sku *s = ts_prov_sku(r, name);
	TS_ENSUREF(s != NULL, TS_ERR_USAGE, "no SKU '%s'; see 'tapeseal prov list'", name);
	TS_ENSUREF(s->e.valid, TS_ERR_SCHEMA, "SKU '%s' has problems; see 'tapeseal prov show %s'", name, name);
	TS_ENSUREF(strcmp(s->dice_format, "cwt") != 0, TS_ERR_SCHEMA,
		   "SKU '%s' uses CWT certificates, which are not supported; use x509", name);
	*out = s;
	return TS_OK;
}

ts_result
ts_prov_sku_ca_cert(const struct ts_prov_sku *s, const char *role, X509 **out)
{
	TS_ENSURE(s != NULL && role != NULL && out != NULL, TS_ERR_NULL);
	*out = NULL;
	const char *rel = ts_hjson_string(json_object_get(json_object_get(s->orch, role), "certificate"));
	if (rel == NULL) {
		return TS_OK;
	}
	char path[2 * PATH_MAX];
	TS_GUARD(ts_prov_sku_path(s, rel, path, sizeof(path)));
	FILE *f = fopen(path, "r");
	TS_ENSUREF(f != NULL, TS_ERR_IO, "%s: %s (the SKU's %s certificate)", path, strerror(errno), role);
	*out = PEM_read_X509(f, NULL, NULL, NULL);
	(void)fclose(f);
	ERR_clear_error();
	TS_ENSUREF(*out != NULL, TS_ERR_SCHEMA, "%s is not a PEM certificate", path);
	return TS_OK;
}
