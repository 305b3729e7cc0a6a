#include "common/prov/ts_prov.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/base/ts_hex.h"
#include "common/base/ts_hjson.h"

/* One registry file being read. */
struct loader {
	struct ts_prov_registry *r;
	const struct ts_hjson_doc *doc;
	char root[PATH_MAX]; /* realpath of the directory that holds the file: paths must stay inside */
	enum ts_prov_origin origin;
};

static void
note(struct ts_prov_registry *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records one problem line; a problem list that cannot grow keeps its count. */
static void
note(struct ts_prov_registry *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ts_buf_printf(&r->problems, "%s\n", msg).code != 0) {
		ts_error_clear();
	}
	r->nproblems++;
}

static void
problem(struct loader *L, const json_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *L, const json_t *at, const char *fmt, ...)
{
	char msg[512];
	int line = 0, col = 0;
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ts_hjson_where(L->doc, at, &line, &col);
	note(L->r, "%s:%d:%d: %s", ts_hjson_name(L->doc), line, col, msg);
}

static int
matches(const char *s, const char *pattern)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		return 0;
	}
	int ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* A path relative to the registry file; it must exist and stay inside the root after realpath. */
static int
path_in_root(struct loader *L, json_t *at, const char *what, char *out, int want_dir)
{
	char joined[PATH_MAX * 2];
	char real[PATH_MAX];
	struct stat st;
	const char *rel = ts_hjson_string(at);
	if (rel == NULL || *rel == '\0') {
		problem(L, at, "%s must be a path", what);
		return 0;
	}
	(void)snprintf(joined, sizeof(joined), "%s/%s", L->root, rel);
	size_t n = strlen(L->root);
	if (realpath(joined, real) == NULL) {
		problem(L, at, "%s: %s: %s", what, rel, strerror(errno));
		return 0;
	}
	if (strncmp(real, L->root, n) != 0 || (real[n] != '/' && real[n] != '\0')) {
		problem(L, at, "%s: %s leaves %s; paths must stay inside the directory of the file naming them", what,
			rel, L->root);
		return 0;
	}
	if (stat(real, &st) != 0 || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		problem(L, at, "%s: %s is not a %s", what, rel, want_dir ? "directory" : "regular file");
		return 0;
	}
	(void)snprintf(out, PATH_MAX, "%s", real);
	return 1;
}

static int
check_keys(struct loader *L, json_t *obj, const char *const *allowed, const char *what)
{
	const char *k;
	json_t *v;
	int ok = 1;
	json_object_foreach(obj, k, v) {
		int known = 0;
		for (size_t i = 0; allowed[i] != NULL && !known; i++) {
			known = strcmp(k, allowed[i]) == 0;
		}
		if (!known) {
			problem(L, v, "%s: unknown key '%s'", what, k);
			ok = 0;
		}
	}
	return ok;
}

static int
require(struct loader *L, json_t *obj, const char *const *keys, const char *what)
{
	int ok = 1;
	for (size_t i = 0; keys[i] != NULL; i++) {
		if (json_object_get(obj, keys[i]) == NULL) {
			problem(L, obj, "%s: '%s' is required", what, keys[i]);
			ok = 0;
		}
	}
	return ok;
}

static int
override_flag(struct loader *L, json_t *obj, const char *what)
{
	json_t *o = json_object_get(obj, "override");
	if (o != NULL && !json_is_boolean(o)) {
		problem(L, o, "%s: override must be true or false", what);
	}
	if (o != NULL && L->origin == TS_PROV_BUILTIN) {
		problem(L, o, "%s: override belongs in a downstream cfg.hjson", what);
	}
	return json_is_true(o);
}

static const char *const otp_keys[] = { "base", "overlays", "mmap", "lc_state", "override", NULL };
static const char *const otp_required[] = { "base", "mmap", "lc_state", NULL };

static int
load_otp_cfg(struct loader *L, const char *name, json_t *o, struct ts_prov_otp_cfg *c)
{
	char what[128];
	(void)snprintf(what, sizeof(what), "OTP configuration '%s'", name);
	int ok = matches(name, "^[a-z]{2}[0-9a-f]{2}$");
	if (!ok) {
		problem(L, o, "%s: names are two letters and two hex digits (e.g. em00)", what);
	}
	ok &= check_keys(L, o, otp_keys, what) & require(L, o, otp_required, what);
	ok &= json_object_get(o, "base") == NULL || path_in_root(L, json_object_get(o, "base"), "base", c->base, 0);
	ok &= json_object_get(o, "mmap") == NULL || path_in_root(L, json_object_get(o, "mmap"), "mmap", c->mmap, 0);
	ok &= json_object_get(o, "lc_state") == NULL ||
	      path_in_root(L, json_object_get(o, "lc_state"), "lc_state", c->lc_state, 0);
	json_t *ov = json_object_get(o, "overlays");
	size_t i;
	json_t *v;
	if (ov != NULL && (!json_is_array(ov) || json_array_size(ov) > TS_PROV_MAX_OVERLAYS)) {
		problem(L, ov, "%s: overlays must be a list of at most %d files", what, TS_PROV_MAX_OVERLAYS);
		return 0;
	}
	json_array_foreach(ov, i, v) {
		ok &= path_in_root(L, v, "overlay", c->overlays[c->noverlays++], 0);
	}
	return ok;
}

/* A library entry: "builtin:<name>", "@exts/lib/<file>.so" or {lib, sha256}. */
static int
load_lib(struct loader *L, json_t *v, struct ts_prov_lib *lib, const char *what)
{
	json_t *spec = json_is_object(v) ? json_object_get(v, "lib") : v;
	json_t *pin = json_is_object(v) ? json_object_get(v, "sha256") : NULL;
	const char *s = ts_hjson_string(spec);
	if (s == NULL || strlen(s) >= sizeof(lib->spec) ||
	    (json_is_object(v) && json_object_size(v) != (size_t)(1 + (pin != NULL)))) {
		problem(L, v, "%s: a library is \"builtin:<name>\", \"@exts/lib/<file>.so\" or {lib, sha256}", what);
		return 0;
	}
	(void)snprintf(lib->spec, sizeof(lib->spec), "%s", s);
	if (pin != NULL) {
		const char *p = ts_hjson_string(pin);
		int ok = p != NULL && strlen(p) == 64;
		for (size_t i = 0; ok && i < 64; i++) {
			ok = ts_hex_value(p[i]) != TS_HEX_INVALID;
		}
		if (!ok) {
			problem(L, pin, "%s: sha256 is 64 hex digits", what);
			return 0;
		}
		(void)snprintf(lib->pin, sizeof(lib->pin), "%s", p);
	}
	if (strcmp(s, "builtin:default") == 0 || strcmp(s, "builtin:example") == 0) {
		lib->builtin = 1;
		return 1;
	}
	if (strncmp(s, "@exts/lib/", 10) != 0 || strchr(s + 10, '/') != NULL || !matches(s + 10, "\\.so$")) {
		problem(L, spec, "%s: '%s' is neither builtin:default, builtin:example nor @exts/lib/<file>.so", what, s);
		return 0;
	}
	if (L->r->ext_dir[0] == '\0') {
		problem(L, spec, "%s: '%s' needs PROV_EXTS_DIR", what, s);
		return 0;
	}
	int n = snprintf(lib->path, sizeof(lib->path), "%s/lib/%s", L->r->ext_dir, s + 10);
	if (n < 0 || (size_t)n >= sizeof(lib->path)) {
		problem(L, spec, "%s: '%s' makes a path that is too long", what, s);
		return 0;
	}
	return 1;
}

static int
load_libs(struct loader *L, json_t *list, struct ts_prov_lib *libs, size_t *n, const char *what)
{
	size_t i;
	json_t *v;
	int ok = 1;
	if (!json_is_array(list) || json_array_size(list) > TS_PROV_MAX_LIBS) {
		problem(L, list, "%s must be a list of at most %d libraries", what, TS_PROV_MAX_LIBS);
		return 0;
	}
	json_array_foreach(list, i, v) {
		ok &= load_lib(L, v, &libs[(*n)++], what);
	}
	return ok;
}

/* dice_format ("x509"|"cwt"), or upstream's dice_libs label (…:dice / …:dice_cwt). */
static int
load_dice(struct loader *L, json_t *o, struct ts_prov_sku *s, const char *what)
{
	json_t *f = json_object_get(o, "dice_format");
	json_t *l = json_object_get(o, "dice_libs");
	const char *v = ts_hjson_string(f != NULL ? f : l);
	if ((f == NULL) == (l == NULL) || v == NULL) {
		problem(L, o, "%s: give exactly one of dice_format (\"x509\" or \"cwt\") and dice_libs", what);
		return 0;
	}
	int cwt = strcmp(v, "cwt") == 0 || matches(v, ":dice_cwt$");
	int x509 = strcmp(v, "x509") == 0 || matches(v, ":dice$");
	if (!cwt && !x509) {
		problem(L, f != NULL ? f : l, "%s: unknown certificate format '%s'", what, v);
		return 0;
	}
	(void)snprintf(s->dice_format, sizeof(s->dice_format), "%s", cwt ? "cwt" : "x509");
	return 1;
}

static const char *const sku_keys[] = {
	"otp", "ca_data", "dice_format", "dice_libs", "host_ext_libs", "device_ext_libs", "ownership_libs", "rom_ext",
	"owner_fw", "ecdsa_key", "spx_key", "signature_prefix", "orchestrator_cfg", "perso_bin", "offline", "tags",
	"override", NULL,
};
static const char *const sku_required[] = {
	"otp", "ca_data", "host_ext_libs", "device_ext_libs", "rom_ext", "owner_fw", "ecdsa_key", "spx_key",
	"signature_prefix", "orchestrator_cfg", NULL,
};

/* Keys with no host effect: type-checked and recorded as given. */
static int
record(struct loader *L, json_t *o, struct ts_prov_sku *s, const char *what)
{
	static const char *const keys[] = { "ownership_libs", "ecdsa_key", "spx_key", "signature_prefix", "tags" };
	int ok = 1;
	s->recorded = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(o, keys[i]);
		int good = v == NULL || (i == 1 || i == 2 ? json_is_object(v) : i == 3 ? json_is_string(v)
											  : json_is_array(v) || json_is_string(v));
		if (!good) {
			problem(L, v, "%s: '%s' has the wrong type", what, keys[i]);
			ok = 0;
		} else if (v != NULL) {
			(void)json_object_set(s->recorded, keys[i], v);
		}
	}
	return ok;
}

static int
load_orchestrator(struct loader *L, json_t *at, struct ts_prov_sku *s, const char *what)
{
	if (!path_in_root(L, at, "orchestrator_cfg", s->orchestrator_cfg, 0)) {
		return 0;
	}
	struct ts_hjson_doc *doc = NULL;
	if (ts_hjson_load(s->orchestrator_cfg, &doc).code != 0) {
		problem(L, at, "%s: orchestrator_cfg: %s", what, ts_last_error_message());
		ts_error_clear();
		return 0;
	}
	json_t *root = ts_hjson_root(doc);
	int ok = json_is_object(root) && ts_hjson_string(json_object_get(root, "name")) != NULL;
	if (!ok) {
		problem(L, at, "%s: orchestrator_cfg must be an SKU configuration with a name", what);
	}
	const char *kt = ts_hjson_string(json_object_get(json_object_get(root, "dice_ca"), "key_type"));
	if (ok && s->offline && (kt == NULL || strcmp(kt, "Token") != 0)) {
		problem(L, at, "%s: an offline SKU needs dice_ca.key_type \"Token\" in its orchestrator_cfg", what);
		ok = 0;
	}
	if (ok && (s->orch = json_deep_copy(root)) == NULL) {
		problem(L, at, "out of memory");
		ok = 0;
	}
	ts_hjson_doc_free(doc);
	return ok;
}

static int
load_sku(struct loader *L, const char *name, json_t *o, struct ts_prov_sku *s)
{
	char what[128];
	(void)snprintf(what, sizeof(what), "SKU '%s'", name);
	int ok = matches(name, "^[a-z][a-z0-9_]*$");
	if (!ok) {
		problem(L, o, "%s: names are [a-z][a-z0-9_]*", what);
	}
	ok &= check_keys(L, o, sku_keys, what) & require(L, o, sku_required, what) & load_dice(L, o, s, what);
	const char *otp = ts_hjson_string(json_object_get(o, "otp"));
	if (otp == NULL || strlen(otp) >= sizeof(s->otp)) {
		problem(L, json_object_get(o, "otp"), "%s: otp must name an OTP configuration", what);
		ok = 0;
	} else {
		(void)snprintf(s->otp, sizeof(s->otp), "%s", otp);
	}
	json_t *off = json_object_get(o, "offline");
	if (off != NULL && !json_is_boolean(off)) {
		problem(L, off, "%s: offline must be true or false", what);
	}
	s->offline = json_is_true(off);
	ok &= json_object_get(o, "ca_data") == NULL || path_in_root(L, json_object_get(o, "ca_data"), "ca_data", s->ca_data, 1);
	ok &= json_object_get(o, "rom_ext") == NULL || path_in_root(L, json_object_get(o, "rom_ext"), "rom_ext", s->rom_ext, 0);
	ok &= json_object_get(o, "owner_fw") == NULL ||
	      path_in_root(L, json_object_get(o, "owner_fw"), "owner_fw", s->owner_fw, 0);
	ok &= json_object_get(o, "orchestrator_cfg") == NULL ||
	      load_orchestrator(L, json_object_get(o, "orchestrator_cfg"), s, what);
	ok &= json_object_get(o, "perso_bin") == NULL ||
	      path_in_root(L, json_object_get(o, "perso_bin"), "perso_bin", s->perso_bin, 0);
	ok &= json_object_get(o, "host_ext_libs") == NULL ||
	      load_libs(L, json_object_get(o, "host_ext_libs"), s->host_libs, &s->nhost, "host_ext_libs");
	ok &= json_object_get(o, "device_ext_libs") == NULL ||
	      load_libs(L, json_object_get(o, "device_ext_libs"), s->device_libs, &s->ndevice, "device_ext_libs");
	if (s->offline && s->nhost > 0) {
		problem(L, json_object_get(o, "host_ext_libs"), "%s: an offline SKU may not load host extensions", what);
		ok = 0;
	}
	return ok & record(L, o, s, what);
}

static const char *const env_keys[] = { "rom_ext_version", "owner_fw_boot_str", "lc_state", "fault", "override", NULL };

static int
load_env(struct loader *L, const char *name, json_t *o, struct ts_prov_exec_env *x)
{
	char what[128];
	(void)snprintf(what, sizeof(what), "execution environment '%s'", name);
	int ok = check_keys(L, o, env_keys, what);
	const char *v[3] = { ts_hjson_string(json_object_get(o, "rom_ext_version")), ts_hjson_string(json_object_get(o, "owner_fw_boot_str")),
			     ts_hjson_string(json_object_get(o, "lc_state")) };
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL || strlen(v[1]) >= sizeof(x->owner_fw_boot_str)) {
		problem(L, o, "%s: rom_ext_version, owner_fw_boot_str and lc_state are required strings", what);
		return 0;
	}
	const char *fault = ts_hjson_string(json_object_get(o, "fault"));
	if (json_object_get(o, "fault") != NULL && (fault == NULL || strcmp(fault, "none") != 0)) {
		problem(L, json_object_get(o, "fault"), "%s: fault must be \"none\"", what);
		ok = 0;
	}
	(void)snprintf(x->rom_ext_version, sizeof(x->rom_ext_version), "%s", v[0]);
	(void)snprintf(x->owner_fw_boot_str, sizeof(x->owner_fw_boot_str), "%s", v[1]);
	(void)snprintf(x->lc_state, sizeof(x->lc_state), "%s", v[2]);
	return ok;
}

/* The three kinds of entries share one merge rule; each type begins with struct ts_prov_entry. */
struct section {
	void **items;
	size_t *n;
	size_t elem;
	const char *kind;
	int (*load)(struct loader *L, const char *name, json_t *o, void *item);
};

static int
load_otp_v(struct loader *L, const char *name, json_t *o, void *item)
{
	return load_otp_cfg(L, name, o, item);
}

static int
load_sku_v(struct loader *L, const char *name, json_t *o, void *item)
{
	return load_sku(L, name, o, item);
}

static int
load_env_v(struct loader *L, const char *name, json_t *o, void *item)
{
	return load_env(L, name, o, item);
}

static struct ts_prov_entry *
entry_at(const struct section *s, size_t i)
{
	return (struct ts_prov_entry *)(void *)((char *)*s->items + i * s->elem);
}

static void
clear_item(const struct section *s, size_t i)
{
	if (s->load == load_sku_v) {
		json_decref(((struct ts_prov_sku *)(void *)entry_at(s, i))->recorded);
		json_decref(((struct ts_prov_sku *)(void *)entry_at(s, i))->orch);
	}
	memset(entry_at(s, i), 0, s->elem);
}

/* A slot for name: a new one, or the built-in entry a downstream override replaces; NULL on a clash. */
static struct ts_prov_entry *
slot(struct loader *L, const struct section *s, const char *name, json_t *o)
{
	for (size_t i = 0; i < *s->n; i++) {
		struct ts_prov_entry *e = entry_at(s, i);
		if (strcmp(e->name, name) != 0) {
			continue;
		}
		if (!override_flag(L, o, name)) {
			problem(L, o, "%s '%s' is already defined in %s; set override: true to replace it", s->kind, name, e->file);
			return NULL;
		}
		clear_item(s, i);
		entry_at(s, i)->overrides = 1;
		return entry_at(s, i);
	}
	void *grown = realloc(*s->items, (*s->n + 1) * s->elem);
	if (grown == NULL) {
		problem(L, o, "out of memory");
		return NULL;
	}
	*s->items = grown;
	memset(entry_at(s, *s->n), 0, s->elem);
	return entry_at(s, (*s->n)++);
}

static void
add_section(struct loader *L, json_t *dict, const struct section *s, const char *key)
{
	const char *name;
	json_t *o;
	if (dict == NULL) {
		return;
	}
	if (!json_is_object(dict)) {
		problem(L, dict, "%s must map names to entries", key);
		return;
	}
	json_object_foreach(dict, name, o) {
		if (!json_is_object(o) || strlen(name) >= sizeof(((struct ts_prov_entry *)0)->name)) {
			problem(L, o, "%s.%s must be an object (and the name at most 63 characters)", key, name);
			continue;
		}
		(void)override_flag(L, o, name);
		struct ts_prov_entry *e = slot(L, s, name, o);
		if (e == NULL) {
			continue;
		}
		int overrides = e->overrides;
		(void)snprintf(e->name, sizeof(e->name), "%s", name);
		(void)snprintf(e->file, sizeof(e->file), "%s", ts_hjson_name(L->doc));
		e->origin = L->origin;
		e->overrides = overrides;
		e->valid = s->load(L, name, o, e);
	}
}

static void
load_file(struct ts_prov_registry *r, const char *path, enum ts_prov_origin origin)
{
	static const char *const builtin_keys[] = { "schema", "otp_cfgs", "skus", "exec_envs", NULL };
	static const char *const ext_keys[] = { "schema", "EXT_OTP_CFGS", "EXT_SKUS", "EXT_EXEC_ENVS", NULL };
	const int b = origin == TS_PROV_BUILTIN;
	struct ts_hjson_doc *doc = NULL;
	struct loader L = { .r = r, .origin = origin };
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (realpath(dir, L.root) == NULL || ts_hjson_load(path, &doc).code != 0) {
		note(r, "%s", ts_last_error_message());
		ts_error_clear();
		return;
	}
	L.doc = doc;
	json_t *root = ts_hjson_root(doc);
	const char *schema = ts_hjson_string(json_object_get(root, "schema"));
	const char *want = b ? "tapeseal-prov-registry/1" : "tapeseal-prov-ext/1";
	if (schema == NULL || strcmp(schema, want) != 0) {
		problem(&L, root, "schema must be \"%s\"", want);
	}
	(void)check_keys(&L, root, b ? builtin_keys : ext_keys, "the registry");
	struct section otp = { (void **)&r->otp, &r->notp, sizeof(*r->otp), "OTP configuration", load_otp_v };
	struct section sku = { (void **)&r->skus, &r->nskus, sizeof(*r->skus), "SKU", load_sku_v };
	struct section env = { (void **)&r->envs, &r->nenvs, sizeof(*r->envs), "execution environment", load_env_v };
	add_section(&L, json_object_get(root, b ? "otp_cfgs" : "EXT_OTP_CFGS"), &otp, b ? "otp_cfgs" : "EXT_OTP_CFGS");
	add_section(&L, json_object_get(root, b ? "skus" : "EXT_SKUS"), &sku, b ? "skus" : "EXT_SKUS");
	add_section(&L, json_object_get(root, b ? "exec_envs" : "EXT_EXEC_ENVS"), &env, b ? "exec_envs" : "EXT_EXEC_ENVS");
	ts_hjson_doc_free(doc);
}

/* Cross-references, checked once everything is merged. */
static void
check_refs(struct ts_prov_registry *r)
{
	for (size_t i = 0; i < r->nskus; i++) {
		struct ts_prov_sku *s = &r->skus[i];
		if (s->e.valid && s->otp[0] != '\0' && ts_prov_otp_cfg(r, s->otp) == NULL) {
			note(r, "%s: SKU '%s': otp '%s' names no OTP configuration", s->e.file, s->e.name, s->otp);
			s->e.valid = 0;
		}
	}
}

ts_result
ts_prov_load(const char *builtin_path, const char *ext_dir, struct ts_prov_registry **out)
{
	TS_ENSURE(builtin_path != NULL && out != NULL, TS_ERR_NULL);
	struct stat st;
	TS_ENSUREF(stat(builtin_path, &st) == 0, TS_ERR_IO, "%s: cannot read the built-in registry: %s", builtin_path,
		   strerror(errno));
	struct ts_prov_registry *r = calloc(1, sizeof(*r));
	TS_ENSURE(r != NULL, TS_ERR_NOMEM);
	(void)snprintf(r->builtin_file, sizeof(r->builtin_file), "%s", builtin_path);
	if (ext_dir != NULL && *ext_dir != '\0' && realpath(ext_dir, r->ext_dir) == NULL) {
		note(r, "PROV_EXTS_DIR=%s: %s", ext_dir, strerror(errno));
		r->ext_dir[0] = '\0';
	}
	load_file(r, builtin_path, TS_PROV_BUILTIN);
	if (r->ext_dir[0] != '\0') {
		char cfg[PATH_MAX + 16];
		(void)snprintf(cfg, sizeof(cfg), "%s/cfg.hjson", r->ext_dir);
		load_file(r, cfg, TS_PROV_DOWNSTREAM);
	}
	check_refs(r);
	*out = r;
	return TS_OK;
}
