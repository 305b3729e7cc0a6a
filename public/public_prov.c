#include "public/public_cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/base/ts_file.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_ext.h"

static const char usage[] =
	"Usage: tapeseal prov list [--json]\n"
	"       tapeseal prov show SKU [--json]\n"
	"\n"
	"The provisioning registry: the built-in one (installed with tapeseal) merged with a downstream\n"
	"extension directory named by PROV_EXTS_DIR ($PROV_EXTS_DIR/cfg.hjson, lib/, otp/, skus/, ca/).\n"
	"list shows the OTP configurations, SKUs and execution environments with where each comes\n"
	"from; show resolves one SKU, loading its extension libraries to report their name, ABI version\n"
	"and SHA-256.  Both validate everything and report every problem with file, position and key.\n"
	"\n"
	"Exit status: 0 when the registry (and the SKU) has no problem, 1 otherwise, 2 on bad usage.\n";

static const char *
origin(const struct ts_prov_entry *e)
{
	return e->origin == TS_PROV_BUILTIN ? "built-in" : e->overrides ? "downstream (overrides)" : "downstream";
}

static json_t *
entry_json(const struct ts_prov_entry *e)
{
	return json_pack("{s:s,s:s,s:s,s:b}", "name", e->name, "origin", origin(e), "file", e->file, "valid", e->valid);
}

static const char *
sku_status(const struct ts_prov_sku *s)
{
	return !s->e.valid ? "invalid" : strcmp(s->dice_format, "cwt") == 0 ? "refused: CWT certificates are not supported"
									      : "ok";
}

static void
list_text(const struct ts_prov_registry *r)
{
	printf("OTP configurations\n");
	for (size_t i = 0; i < r->notp; i++) {
		printf("  %-8s %-24s %s%s\n", r->otp[i].e.name, origin(&r->otp[i].e), r->otp[i].e.file,
		       r->otp[i].e.valid ? "" : "  (invalid)");
	}
	printf("SKUs\n");
	for (size_t i = 0; i < r->nskus; i++) {
		const struct ts_prov_sku *s = &r->skus[i];
		printf("  %-16s otp %-6s %-5s %-24s %s  [%s]\n", s->e.name, s->otp, s->dice_format, origin(&s->e), s->e.file,
		       sku_status(s));
	}
	printf("Execution environments\n");
	for (size_t i = 0; i < r->nenvs; i++) {
		printf("  %-16s %-24s %s\n", r->envs[i].e.name, origin(&r->envs[i].e), r->envs[i].e.file);
	}
}

static void
list_json(const struct ts_prov_registry *r)
{
	json_t *root = json_object();
	json_t *otp = json_array(), *skus = json_array(), *envs = json_array(), *probs = json_array();
	for (size_t i = 0; i < r->notp; i++) {
		(void)json_array_append_new(otp, entry_json(&r->otp[i].e));
	}
	for (size_t i = 0; i < r->nskus; i++) {
		json_t *e = entry_json(&r->skus[i].e);
		(void)json_object_set_new(e, "otp", json_string(r->skus[i].otp));
		(void)json_object_set_new(e, "status", json_string(sku_status(&r->skus[i])));
		(void)json_array_append_new(skus, e);
	}
	for (size_t i = 0; i < r->nenvs; i++) {
		(void)json_array_append_new(envs, entry_json(&r->envs[i].e));
	}
	for (const char *p = (const char *)r->problems.data; p != NULL && p < (const char *)r->problems.data + r->problems.len;) {
		const char *nl = memchr(p, '\n', (size_t)((const char *)r->problems.data + r->problems.len - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		(void)json_array_append_new(probs, json_stringn(p, n));
		p = nl != NULL ? nl + 1 : NULL;
	}
	(void)json_object_set_new(root, "otp_cfgs", otp);
	(void)json_object_set_new(root, "skus", skus);
	(void)json_object_set_new(root, "exec_envs", envs);
	(void)json_object_set_new(root, "problems", probs);
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s != NULL) {
		printf("%s\n", s);
	}
	free(s);
	json_decref(root);
}

static void
print_problems(const struct ts_prov_registry *r)
{
	if (r->nproblems > 0) {
		fprintf(stderr, "%.*s", (int)r->problems.len, (const char *)r->problems.data);
		fprintf(stderr, "tapeseal prov: %zu problem(s) in the registry\n", r->nproblems);
	}
}

static json_t *
libs_json(const char *ext_dir, const struct ts_prov_sku *s, const struct ts_prov_lib *libs, size_t n, int *ok)
{
	struct ts_prov_exts exts;
	json_t *arr = json_array();
	if (!s->e.valid) { /* its problems are listed; a library entry may be among them */
		for (size_t i = 0; i < n; i++) {
			(void)json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "lib", libs[i].spec, "path", "",
								   "sha256", "", "name", "-", "version", "-", "abi", "-"));
		}
		return arr;
	}
	ts_error_clear();
	if (ts_prov_ext_load(ext_dir, libs, n, s->e.name, 0, &exts).code != 0) {
		fprintf(stderr, "%s\n", ts_last_error_message());
		*ok = 0;
		return arr;
	}
	for (size_t i = 0; i < exts.n; i++) {
		const struct ts_prov_loaded *l = &exts.l[i];
		char abi[16] = "-";
		if (l->d != NULL) {
			(void)snprintf(abi, sizeof(abi), "%u.%u", l->d->abi_major, l->d->abi_minor);
		}
		(void)json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "lib", l->spec, "path", l->path,
							   "sha256", l->sha256, "name", l->d && l->d->name ? l->d->name : "-",
							   "version", l->d && l->d->version ? l->d->version : "-", "abi", abi));
	}
	ts_prov_ext_unload(&exts);
	return arr;
}

static json_t *
sku_json(const struct ts_prov_registry *r, const struct ts_prov_sku *s, int *ok)
{
	char h1[65] = "", h2[65] = "";
	const struct ts_prov_otp_cfg *c = ts_prov_otp_cfg(r, s->otp);
	json_t *j = entry_json(&s->e);
	if (ts_file_sha256(s->rom_ext, h1).code != 0 || ts_file_sha256(s->owner_fw, h2).code != 0) {
		ts_error_clear();
	}
	json_t *overlays = json_array();
	for (size_t i = 0; c != NULL && i < c->noverlays; i++) {
		(void)json_array_append_new(overlays, json_string(c->overlays[i]));
	}
	(void)json_object_set_new(j, "otp", json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", s->otp, "mmap", c ? c->mmap : "",
						      "lc_state", c ? c->lc_state : "", "base", c ? c->base : "",
						      "overlays", overlays));
	(void)json_object_set_new(j, "dice_format", json_string(s->dice_format));
	(void)json_object_set_new(j, "ca_data", json_string(s->ca_data));
	(void)json_object_set_new(j, "rom_ext", json_pack("{s:s,s:s}", "path", s->rom_ext, "sha256", h1));
	(void)json_object_set_new(j, "owner_fw", json_pack("{s:s,s:s}", "path", s->owner_fw, "sha256", h2));
	(void)json_object_set_new(j, "orchestrator_cfg", json_string(s->orchestrator_cfg));
	(void)json_object_set_new(j, "perso_bin", json_string(s->perso_bin));
	(void)json_object_set_new(j, "offline", json_boolean(s->offline));
	(void)json_object_set(j, "recorded", s->recorded);
	(void)json_object_set_new(j, "device_ext_libs", libs_json(r->ext_dir, s, s->device_libs, s->ndevice, ok));
	(void)json_object_set_new(j, "host_ext_libs", libs_json(r->ext_dir, s, s->host_libs, s->nhost, ok));
	return j;
}

static int
show(const struct ts_prov_registry *r, const char *name, int as_json)
{
	const struct ts_prov_sku *s = ts_prov_sku(r, name);
	int ok = 1;
	if (s == NULL) {
		fprintf(stderr, "tapeseal prov show: no SKU '%s'; see 'tapeseal prov list'\n", name);
		return 1;
	}
	json_t *j = sku_json(r, s, &ok);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (as_json && text != NULL) {
		printf("%s\n", text);
	} else if (text != NULL) {
		printf("SKU %s (%s, %s)\n%s\n", s->e.name, origin(&s->e), s->e.file, text);
	}
	free(text);
	json_decref(j);
	if (strcmp(s->dice_format, "cwt") == 0) {
		fprintf(stderr, "tapeseal prov show: SKU '%s' uses CWT certificates, which are not supported; use x509\n", name);
		ok = 0;
	}
	return ok && s->e.valid && r->nproblems == 0 ? 0 : 1;
}

int
public_prov_main(int argc, char **argv)
{
	int as_json = 0;
	const char *args[3] = { NULL, NULL, NULL };
	size_t n = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
		} else if (n < 3) {
			args[n++] = argv[i];
		}
	}
	int list = n == 1 && strcmp(args[0], "list") == 0;
	if (!list && !(n == 2 && strcmp(args[0], "show") == 0)) {
		fprintf(stderr, "tapeseal prov: give 'list' or 'show SKU'; see 'tapeseal prov --help'\n");
		return 2;
	}
	struct ts_prov_registry *r = NULL;
	ts_error_clear();
	if (ts_prov_load(ts_prov_builtin_path(), getenv("PROV_EXTS_DIR"), &r).code != 0) {
		return public_fail("prov");
	}
	int rc = list ? (as_json ? (list_json(r), 0) : (list_text(r), 0)) : show(r, args[1], as_json);
	print_problems(r);
	rc = rc != 0 || r->nproblems != 0;
	ts_prov_free(r);
	return rc;
}
