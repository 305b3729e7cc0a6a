#include "secure/secure_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/base/ts_hjson.h"
#include "secure/secure_policy_default.h"

static const char *const keys[] = { "deny_seed_sha256", "pin_sources", "module_paths", "master",
				    "allow_git_worktree" };
static const char *const master_keys[] = { "local", "always_sensitive", "never_extractable", "extractable",
					   "modifiable" };

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static ts_result
check_keys(const struct ts_hjson_doc *doc, json_t *obj, const char *const *allowed, size_t n, const char *what)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (size_t i = 0; i < n && !ok; i++) {
			ok = strcmp(k, allowed[i]) == 0;
		}
		if (!ok) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "unknown key '%s' in %s", k, what);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (json_object_get(obj, allowed[i]) == NULL) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, obj, "%s has no '%s' (every key is required)", what,
						allowed[i]);
		}
	}
	return TS_OK;
}

static ts_result
get_bool(const struct ts_hjson_doc *doc, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_boolean(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' must be true or false", key);
	}
	*out = json_is_true(v);
	return TS_OK;
}

static ts_result
parse_deny(const struct ts_hjson_doc *doc, json_t *list, struct secure_policy *p)
{
	size_t i;
	json_t *v;
	if (!json_is_array(list) || json_array_size(list) > SECURE_POLICY_MAX_DENY) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, list, "deny_seed_sha256 must be a list of at most %d hashes",
					SECURE_POLICY_MAX_DENY);
	}
	json_array_foreach(list, i, v) {
		const char *s = json_is_string(v) && !ts_hjson_is_int(v) ? json_string_value(v) : "";
		int ok = strlen(s) == 64;
		for (size_t k = 0; ok && k < 32; k++) {
			int hi = ts_hex_value(s[2 * k]);
			int lo = ts_hex_value(s[2 * k + 1]);
			ok = hi != TS_HEX_INVALID && lo != TS_HEX_INVALID;
			p->deny[i][k] = (uint8_t)(hi << 4 | lo);
		}
		if (!ok) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "deny_seed_sha256 entries are 64 hex digits");
		}
	}
	p->ndeny = json_array_size(list);
	return TS_OK;
}

static ts_result
parse_lists(const struct ts_hjson_doc *doc, json_t *root, struct secure_policy *p)
{
	size_t i;
	json_t *v;
	json_t *pins = json_object_get(root, "pin_sources");
	json_t *mods = json_object_get(root, "module_paths");
	if (!json_is_array(pins) || json_array_size(pins) == 0) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, pins, "pin_sources must list \"file\" and/or \"env\"");
	}
	json_array_foreach(pins, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "file") == 0) {
			p->pin_file = 1;
		} else if (strcmp(s, "env") == 0) {
			p->pin_env = 1;
		} else {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "pin_sources entries are \"file\" or \"env\"");
		}
	}
	if (!json_is_array(mods) || json_array_size(mods) > SECURE_POLICY_MAX_MODULES) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, mods, "module_paths must be a list of at most %d paths",
					SECURE_POLICY_MAX_MODULES);
	}
	json_array_foreach(mods, i, v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/' || json_string_length(v) >= 256) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "module_paths entries are absolute paths");
		}
		(void)snprintf(p->module_paths[i], sizeof(p->module_paths[i]), "%s", json_string_value(v));
	}
	p->nmodules = json_array_size(mods);
	return TS_OK;
}

static ts_result
parse_doc(const struct ts_hjson_doc *doc, struct secure_policy *p)
{
	json_t *root = ts_hjson_root(doc);
	if (!json_is_object(root)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "a policy is an object");
	}
	TS_GUARD(check_keys(doc, root, keys, NKEYS(keys), "the policy"));
	json_t *m = json_object_get(root, "master");
	if (!json_is_object(m)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, m, "'master' must be an object");
	}
	TS_GUARD(check_keys(doc, m, master_keys, NKEYS(master_keys), "'master'"));
	TS_GUARD(parse_deny(doc, json_object_get(root, "deny_seed_sha256"), p));
	TS_GUARD(parse_lists(doc, root, p));
	TS_GUARD(get_bool(doc, m, "local", &p->master_local));
	TS_GUARD(get_bool(doc, m, "always_sensitive", &p->master_always_sensitive));
	TS_GUARD(get_bool(doc, m, "never_extractable", &p->master_never_extractable));
	TS_GUARD(get_bool(doc, m, "extractable", &p->master_extractable));
	TS_GUARD(get_bool(doc, m, "modifiable", &p->master_modifiable));
	return get_bool(doc, root, "allow_git_worktree", &p->allow_git_worktree);
}

ts_result
secure_policy_parse(const char *text, size_t len, const char *name, struct secure_policy *out)
{
	TS_ENSURE_REF(out);
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	unsigned char md[32];
	unsigned int n = 0;
	memset(out, 0, sizeof(*out));
	TS_GUARD(ts_hjson_parse(text, len, name, &doc));
	TS_GUARD(parse_doc(doc, out));
	TS_GUARD_OSSL(EVP_Digest(text, len, md, &n, EVP_sha256(), NULL));
	ts_hex_encode(md, sizeof(md), out->sha256);
	(void)snprintf(out->source, sizeof(out->source), "%s", name);
	return TS_OK;
}

ts_result
secure_policy_load(const char *path, struct secure_policy *out)
{
	struct stat st;
	TS_BUF(b);
	if (path == NULL) {
		return secure_policy_parse((const char *)secure_policy_default, secure_policy_default_len,
					   "built-in policies/tapeout.hjson", out);
	}
	TS_ENSUREF(lstat(path, &st) == 0, TS_ERR_IO, "%s: %s", path, strerror(errno));
	TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK, "%s: the policy file is a symbolic link; give the real path",
		   path);
	TS_ENSUREF((st.st_mode & 022) == 0, TS_ERR_MODE,
		   "%s: the policy file is writable by group or other; chmod go-w it", path);
	TS_GUARD(ts_file_read(path, 1024 * 1024, &b));
	return secure_policy_parse(b.len ? (const char *)b.data : "", b.len, path, out);
}

int
secure_policy_denies(const struct secure_policy *p, const uint8_t seed[32])
{
	unsigned char md[32];
	unsigned int n = 0;
	int hit = 0;
	if (EVP_Digest(seed, 32, md, &n, EVP_sha256(), NULL) != 1) {
		return 1; /* fail closed */
	}
	for (size_t i = 0; i < p->ndeny; i++) {
		hit |= CRYPTO_memcmp(md, p->deny[i], 32) == 0;
	}
	return hit;
}
