/*
 * Test equipment: the effective value of dvsim configuration keys, merged the
 * way dvsim's loader does it (dvsim flow/hjson.py load_hjson and
 * set_target_attribute, flow/base.py _process_overrides, utils/wildcards.py):
 * the top file first, then its import_cfgs (a worklist, last pushed first, paths
 * with wildcards substituted); lists concatenate, equal scalars merge, a scalar
 * replaces only a default ("" 0 -1 false) and two other values conflict;
 * overrides replace the merged value last.  tests/tree/dvsim_eff.js does the
 * same with the reference Hjson implementation.
 *
 * Usage: dvsim_eff CFG PROJ_ROOT [NAME=VALUE ...] -- QUERY ...
 *   KEY             prints KEY=<the value as compact JSON>
 *   expand:KEY      prints the value with every {wildcard} expanded (lists joined by spaces)
 *   cmds:RUN_MODE   prints each pre_run_cmds entry of that run mode, expanded, on one line
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/base/ts_hjson.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "dvsim_eff: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static int
is_default(const json_t *v)
{
	return (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == -1)) || json_is_false(v);
}

/* dvsim set_target_attribute */
static void
set_attr(json_t *target, const char *key, json_t *val, const char *path)
{
	json_t *old = json_object_get(target, key);
	if (old == NULL || json_is_null(old)) {
		json_object_set_new(target, key, json_deep_copy(val));
	} else if (json_is_array(old)) {
		if (!json_is_array(val)) {
			die("%s: conflicting types for key %s", path, key);
		}
		json_array_extend(old, val);
	} else if (json_typeof(old) != json_typeof(val) && !(json_is_boolean(old) && json_is_boolean(val))) {
		die("%s: incompatible value for key %s", path, key);
	} else if (json_equal(old, val) || is_default(val)) {
		return;
	} else if (is_default(old)) {
		json_object_set_new(target, key, json_deep_copy(val));
	} else {
		die("%s: conflicting value for key %s", path, key);
	}
}

static char *expand(const json_t *target, const json_t *vars, const char *s, int depth);

static char *
stringify(const json_t *target, const json_t *vars, const json_t *v, int depth)
{
	char buf[64];
	if (json_is_string(v)) {
		return expand(target, vars, json_string_value(v), depth);
	}
	if (json_is_integer(v) || json_is_boolean(v)) {
		(void)snprintf(buf, sizeof(buf), "%lld",
			       json_is_boolean(v) ? (long long)json_is_true(v) : (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (!json_is_array(v)) {
		die("cannot expand a value that is not a string, number or list");
	}
	char *out = strdup("");
	for (size_t i = 0; i < json_array_size(v); i++) {
		char *x = stringify(target, vars, json_array_get(v, i), depth);
		char *n = malloc(strlen(out) + strlen(x) + 2);
		sprintf(n, "%s%s%s", out, i ? " " : "", x);
		free(out);
		free(x);
		out = n;
	}
	return out;
}

/* utils/wildcards.py: {name} left to right, recursively (depth bounds a circle). */
static char *
expand(const json_t *target, const json_t *vars, const char *s, int depth)
{
	if (depth > 32) {
		die("circular wildcard expansion in '%s'", s);
	}
	char *out = strdup(s);
	for (;;) {
		char *open = strchr(out, '{');
		char *close = open ? strchr(open, '}') : NULL;
		if (open == NULL || close == NULL) {
			return out;
		}
		char name[256];
		(void)snprintf(name, sizeof(name), "%.*s", (int)(close - open - 1), open + 1);
		json_t *v = json_object_get(vars, name);
		v = v != NULL ? v : json_object_get(target, name);
		if (v == NULL) {
			die("no value for wildcard {%s}", name);
		}
		char *val = stringify(target, vars, v, depth + 1);
		char *n = malloc(strlen(out) + strlen(val) + 1);
		sprintf(n, "%.*s%s%s", (int)(open - out), out, val, close + 1);
		free(out);
		free(val);
		out = n;
	}
}

static json_t *
load(const char *path, const char *proj_root)
{
	json_t *target = json_pack("{s:s}", "proj_root", proj_root);
	json_t *work = json_pack("[s]", path);
	json_t *seen = json_object();
	json_object_set_new(seen, path, json_true());
	while (json_array_size(work) > 0) {
		char *p = strdup(json_string_value(json_array_get(work, json_array_size(work) - 1)));
		json_array_remove(work, json_array_size(work) - 1);
		struct ts_hjson_doc *doc = NULL;
		if (ts_hjson_load(p, &doc).code != 0 || !json_is_object(ts_hjson_root(doc))) {
			die("%s: %s", p, ts_last_error_message());
		}
		json_t *imports = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(ts_hjson_root(doc), k, v) {
			if (strcmp(k, "import_cfgs") == 0) {
				json_array_extend(imports, v);
			} else {
				set_attr(target, k, v, p);
			}
		}
		for (size_t i = 0; i < json_array_size(imports); i++) {
			char *x = expand(target, NULL, json_string_value(json_array_get(imports, i)), 0);
			if (json_object_get(seen, x) != NULL) {
				die("%s is imported twice (%s)", x, p);
			}
			json_object_set_new(seen, x, json_true());
			json_array_append_new(work, json_string(x));
			free(x);
		}
		json_decref(imports);
		ts_hjson_doc_free(doc);
		free(p);
	}
	json_decref(work);
	json_decref(seen);
	return target;
}

/* flow/base.py _process_overrides */
static void
overrides(json_t *target)
{
	json_t *ov = json_object_get(target, "overrides");
	json_t *done = json_object();
	for (size_t i = 0; json_is_array(ov) && i < json_array_size(ov); i++) {
		json_t *o = json_array_get(ov, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		json_t *val = json_object_get(o, "value");
		if (name == NULL || val == NULL || json_object_size(o) != 2) {
			die("an override is not {name, value}");
		}
		if (json_object_get(done, name) != NULL) {
			die("override for key %s already exists", name);
		}
		json_t *old = json_object_get(target, name);
		if (old == NULL || json_typeof(old) != json_typeof(val)) {
			die("override key %s not found or of another type", name);
		}
		json_object_set_new(done, name, json_true());
		json_object_set(target, name, val);
	}
	json_decref(done);
}

static void
query(json_t *target, json_t *vars, const char *q)
{
	if (strncmp(q, "expand:", 7) == 0) {
		json_t *v = json_object_get(target, q + 7);
		char *s = v != NULL ? stringify(target, vars, v, 0) : NULL;
		printf("%s=%s\n", q + 7, s != NULL ? s : "(absent)");
		free(s);
		return;
	}
	if (strncmp(q, "cmds:", 5) == 0) {
		json_t *modes = json_object_get(target, "run_modes");
		for (size_t i = 0; i < json_array_size(modes); i++) {
			json_t *m = json_array_get(modes, i);
			const char *name = json_string_value(json_object_get(m, "name"));
			if (name == NULL || strcmp(name, q + 5) != 0) {
				continue;
			}
			json_t *cmds = json_object_get(m, "pre_run_cmds");
			for (size_t k = 0; k < json_array_size(cmds); k++) {
				char *s = stringify(target, vars, json_array_get(cmds, k), 0);
				for (char *c = s; *c; c++) {
					*c = (*c == '\\' && c[1] == '\n') || *c == '\n' ? ' ' : *c;
				}
				printf("%s\n", s);
				free(s);
			}
		}
		return;
	}
	json_t *v = json_object_get(target, q);
	char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	printf("%s=%s\n", q, s != NULL ? s : "(absent)");
	free(s);
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: dvsim_eff CFG PROJ_ROOT [NAME=VALUE ...] -- QUERY ...\n");
		return 2;
	}
	json_t *target = load(argv[1], argv[2]);
	overrides(target);
	json_t *vars = json_object();
	int i = 3;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL) {
			die("expected NAME=VALUE, not %s", argv[i]);
		}
		*eq = '\0';
		json_object_set_new(vars, argv[i], json_string(eq + 1));
	}
	for (i++; i < argc; i++) {
		query(target, vars, argv[i]);
	}
	json_decref(vars);
	json_decref(target);
	return 0;
}
