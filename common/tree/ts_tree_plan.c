#include "common/tree/ts_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/base/ts_file.h"
#include "common/tree/ts_tree_int.h"

/* The keys the switch sets at top level; an override of one would replace the value. */
static const char *const switched_keys[] = { "sv_flist_gen_flags", "sw_build_opts", "gen_otp_top_secret_cfg",
					     "gen_otp_images_cmd" };

static ts_result
read_file(struct ts_tree_file *f, const char *topdir, const char *rel, int required)
{
	struct stat st;
	(void)snprintf(f->rel, sizeof(f->rel), "%s", rel);
	int n = snprintf(f->path, sizeof(f->path), "%s/%s", topdir, rel);
	TS_ENSUREF(n > 0 && (size_t)n < sizeof(f->path), TS_ERR_RANGE, "%s/%s: path too long", topdir, rel);
	if (lstat(f->path, &st) != 0) {
		TS_ENSUREF(!required && errno == ENOENT, TS_ERR_IO, "%s: %s; is the tree an OpenTitan checkout?", f->path,
			   strerror(errno));
		return TS_OK;
	}
	TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK, "%s is a symbolic link; the switch edits regular files only",
		   f->path);
	f->present = 1;
	f->mode = st.st_mode & 07777;
	return ts_file_read(f->path, TS_TREE_MAX_FILE, &f->text);
}

ts_result
ts_tree_open(const char *root, const char *top, struct ts_tree *t)
{
	struct stat st;
	TS_ENSURE(root != NULL && top != NULL && t != NULL, TS_ERR_NULL);
	memset(t, 0, sizeof(*t));
	size_t n = strlen(top);
	TS_ENSUREF(n > 0 && n < sizeof(t->top) && strspn(top, "abcdefghijklmnopqrstuvwxyz0123456789_") == n, TS_ERR_USAGE,
		   "--top '%s': a top name is lower-case letters, digits and '_' (e.g. earlgrey)", top);
	memcpy(t->top, top, n + 1);
	(void)snprintf(t->root, sizeof(t->root), "%s", root);
	int k = snprintf(t->topdir, sizeof(t->topdir), "%s/hw/top_%s", root, top);
	TS_ENSUREF(k > 0 && (size_t)k < sizeof(t->topdir), TS_ERR_RANGE, "%s: path too long", root);
	TS_ENSUREF(stat(t->topdir, &st) == 0 && S_ISDIR(st.st_mode), TS_ERR_IO,
		   "%s: no such directory; --tree names the checkout root and --top the top (hw/top_<top>)", t->topdir);
	TS_GUARD(read_file(&t->defs, t->topdir, TS_TREE_DEFS, 1));
	return read_file(&t->simcfg, t->topdir, TS_TREE_SIMCFG, 0);
}

void
ts_tree_edits_free(struct ts_tree_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->e[i].old);
		free(f->e[i].new);
	}
	f->n = 0;
}

void
ts_tree_free(struct ts_tree *t)
{
	if (t == NULL) {
		return;
	}
	ts_tree_edits_free(&t->simcfg);
	ts_tree_edits_free(&t->defs);
	ts_buf_free(&t->simcfg.text);
	ts_buf_free(&t->defs.text);
}

/* A string list (top-level key) gains item unless it holds it; *absent when the key is not there. */
static ts_result
list_append(struct ts_tree_file *f, const struct ts_hjson_doc *doc, const char *key, const char *item, int *absent)
{
	const char *s = (const char *)f->text.data;
	size_t len = f->text.len, last, close;
	json_t *v = json_object_get(ts_hjson_root(doc), key);
	*absent = v == NULL;
	if (v == NULL) {
		return TS_OK;
	}
	size_t off = ts_tree_value_off(doc, v, s, len);
	int line = ts_tree_line_no(s, off);
	TS_ENSUREF(json_is_array(v) && off < len && ts_tree_list_scan(s, len, off, &last, &close).code == 0,
		   TS_ERR_SCHEMA, "%s:%d: expected '%s' to be a list of quoted strings", f->path, line, key);
	ts_error_clear();
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *x = ts_hjson_string(json_array_get(v, i));
		if (x != NULL && strcmp(x, item) == 0) {
			return TS_OK;
		}
	}
	char ins[128];
	(void)snprintf(ins, sizeof(ins), "%s\"%s\"", last == 0 ? "" : ", ", item);
	return ts_tree_edit_add(f, last == 0 ? close : last, "", 0, ins);
}

/* The top-level key's value and its line; TS_ERR_SCHEMA naming what is expected when absent. */
static ts_result
need(const struct ts_tree_file *f, const struct ts_hjson_doc *doc, const char *key, const char *why, size_t *off)
{
	const char *s = (const char *)f->text.data;
	json_t *v = json_object_get(ts_hjson_root(doc), key);
	TS_ENSUREF(v != NULL, TS_ERR_SCHEMA, "%s: no top-level '%s' (%s)", f->path, key, why);
	*off = ts_tree_value_off(doc, v, s, f->text.len);
	TS_ENSUREF(*off < f->text.len && ts_tree_is_key_line(s, f->text.len, *off, key), TS_ERR_SCHEMA,
		   "%s:%d: expected '%s: <value>' on one line", f->path, ts_tree_line_no(s, *off), key);
	return TS_OK;
}

/* A top-level sv_flist_gen_flags before `overrides` (and its comment), which dvsim appends to the imported flags. */
static ts_result
plan_flist(struct ts_tree_file *f, const struct ts_hjson_doc *doc)
{
	const char *s = (const char *)f->text.data;
	int absent;
	size_t off;
	TS_GUARD(list_append(f, doc, "sv_flist_gen_flags", TS_TREE_FLIST_FLAG, &absent));
	if (!absent) {
		return TS_OK;
	}
	TS_GUARD(need(f, doc, "overrides", "the switch adds sv_flist_gen_flags before it", &off));
	size_t ols = ts_tree_line_start(s, off), ls = ols;
	size_t ind = ts_tree_indent(s, f->text.len, ols);
	while (ls > 0) {
		size_t prev = ts_tree_line_start(s, ls - 1);
		size_t p = prev + ts_tree_indent(s, f->text.len, prev);
		if (strncmp(s + p, "//", 2) != 0 && s[p] != '#') {
			break;
		}
		ls = prev;
	}
	char ins[256];
	(void)snprintf(ins, sizeof(ins),
		       "%.*s// tapeseal-secure switch: FuseSoC selects the tapeout cores (dvsim appends this list\n"
		       "%.*s// to the imported one; an override would replace it).\n"
		       "%.*ssv_flist_gen_flags: [\"" TS_TREE_FLIST_FLAG "\"]\n\n",
		       (int)ind, s + ols, (int)ind, s + ols, (int)ind, s + ols);
	return ts_tree_edit_add(f, ls, "", 0, ins);
}

/* sw_build_opts gains the tapeout seed; absent, it is added on the line after sw_build_device. */
static ts_result
plan_seed(struct ts_tree_file *f, const struct ts_hjson_doc *doc)
{
	const char *s = (const char *)f->text.data;
	int absent;
	size_t off;
	TS_GUARD(list_append(f, doc, "sw_build_opts", TS_TREE_SEED_OPT, &absent));
	if (!absent) {
		return TS_OK;
	}
	TS_GUARD(need(f, doc, "sw_build_device", "the switch adds sw_build_opts after it", &off));
	size_t ls = ts_tree_line_start(s, off);
	size_t le = ts_tree_line_end(s, f->text.len, off);
	TS_ENSUREF(le < f->text.len, TS_ERR_SCHEMA, "%s:%d: expected a line after sw_build_device", f->path,
		   ts_tree_line_no(s, off));
	char ins[160];
	(void)snprintf(ins, sizeof(ins), "%.*ssw_build_opts: [\"" TS_TREE_SEED_OPT "\"]\n",
		       (int)ts_tree_indent(s, f->text.len, ls), s + ls);
	return ts_tree_edit_add(f, le + 1, "", 0, ins);
}

/* gen_otp_top_secret_cfg names the tapeout secrets file instead of the testing one. */
static ts_result
plan_otp_cfg(struct ts_tree_file *f, const struct ts_hjson_doc *doc)
{
	static const char from[] = ".secrets.testing.gen.hjson", to[] = ".secrets.tapeout.gen.hjson";
	const char *s = (const char *)f->text.data;
	size_t off, end;
	TS_GUARD(need(f, doc, "gen_otp_top_secret_cfg", "dvsim's OTP images take the secrets file from it", &off));
	const char *v = ts_hjson_string(json_object_get(ts_hjson_root(doc), "gen_otp_top_secret_cfg"));
	int line = ts_tree_line_no(s, off);
	TS_ENSUREF(v != NULL && ts_tree_string_end(s, f->text.len, off, &end).code == 0, TS_ERR_SCHEMA,
		   "%s:%d: expected gen_otp_top_secret_cfg to be a quoted path", f->path, line);
	size_t n = strlen(v);
	if (n >= sizeof(to) - 1 && strcmp(v + n - (sizeof(to) - 1), to) == 0) {
		return TS_OK;
	}
	const char *at = memmem(s + off, end - off, from, sizeof(from) - 1);
	TS_ENSUREF(n >= sizeof(from) - 1 && strcmp(v + n - (sizeof(from) - 1), from) == 0 && at != NULL, TS_ERR_SCHEMA,
		   "%s:%d: expected gen_otp_top_secret_cfg to name a *%s file", f->path, line, from);
	return ts_tree_edit_add(f, (size_t)(at - s), from, sizeof(from) - 1, to);
}

/* gen_otp_images_cmd becomes "<cmd> otp-image" (tapeseal takes gen-otp-img's options). */
static ts_result
plan_otp_cmd(struct ts_tree_file *f, const struct ts_hjson_doc *doc, const char *cmd)
{
	const char *s = (const char *)f->text.data;
	size_t off, end;
	TS_ENSUREF(*cmd != '\0' && strpbrk(cmd, "\"\\{}\n\t ") == NULL, TS_ERR_USAGE,
		   "--otp-cmd '%s': give the program's path, without blanks, quotes, backslashes or braces", cmd);
	TS_GUARD(need(f, doc, "gen_otp_images_cmd", "the switch points it at --otp-cmd", &off));
	TS_ENSUREF(ts_tree_string_end(s, f->text.len, off, &end).code == 0 && s[off] == '"', TS_ERR_SCHEMA,
		   "%s:%d: expected gen_otp_images_cmd to be a \"quoted\" command", f->path, ts_tree_line_no(s, off));
	char val[PATH_MAX + 16];
	(void)snprintf(val, sizeof(val), "\"%s otp-image\"", cmd);
	if (end - off == strlen(val) && memcmp(s + off, val, end - off) == 0) {
		return TS_OK;
	}
	return ts_tree_edit_add(f, off, s + off, end - off, val);
}

static int
is_switched_key(const char *k)
{
	for (size_t i = 0; i < sizeof(switched_keys) / sizeof(switched_keys[0]); i++) {
		if (strcmp(k, switched_keys[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* An override of a key the switch sets would replace the switch's value (dvsim applies overrides last). */
static ts_result
check_overrides(const struct ts_tree_file *f, const struct ts_hjson_doc *doc)
{
	json_t *ov = json_object_get(ts_hjson_root(doc), "overrides");
	for (size_t i = 0; json_is_array(ov) && i < json_array_size(ov); i++) {
		const char *name = ts_hjson_string(json_object_get(json_array_get(ov, i), "name"));
		if (name != NULL && is_switched_key(name)) {
			size_t off = ts_tree_value_off(doc, json_array_get(ov, i), (const char *)f->text.data, f->text.len);
			TS_BAILF(TS_ERR_SCHEMA,
				 "%s:%d: an override sets '%s', which would replace the switch's value; "
				 "remove the override or switch this file by hand",
				 f->path, ts_tree_line_no((const char *)f->text.data, off), name);
		}
	}
	return TS_OK;
}

/* b[key] is a's list (or nothing) with item appended. */
static int
appended(const json_t *a, const json_t *b, const char *key, const char *item)
{
	json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
	size_t n = json_is_array(x) ? json_array_size(x) : 0;
	if (!json_is_array(y) || json_array_size(y) != n + (ts_tree_list_has(x, item) ? 0 : 1)) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!json_equal(json_array_get(x, i), json_array_get(y, i))) {
			return 0;
		}
	}
	return ts_tree_list_has(y, item);
}

/*
 * The switched text read back: every key the switch does not set is as it
 * was, and the ones it sets have exactly the intended values.  Catches a
 * layout the anchors misjudge (an edit landing inside a multi-line string).
 */
static ts_result
verify_simcfg(const struct ts_tree_file *f, const struct ts_hjson_doc *doc, const char *otp_cmd)
{
	TS_BUF(out);
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) now = NULL;
	TS_GUARD(ts_tree_apply(f, &out));
	int ok = ts_hjson_parse((const char *)out.data, out.len, f->path, &now).code == 0 &&
		 json_is_object(ts_hjson_root(now));
	ts_error_clear();
	json_t *a = ts_hjson_root(doc), *b = ok ? ts_hjson_root(now) : NULL, *v;
	const char *k;
	json_object_foreach(a, k, v) {
		ok &= is_switched_key(k) || json_equal(v, json_object_get(b, k));
	}
	json_object_foreach(b, k, v) {
		ok &= is_switched_key(k) || json_object_get(a, k) != NULL;
	}
	const char *cfg = ts_hjson_string(json_object_get(b, "gen_otp_top_secret_cfg"));
	const char *cmd = ts_hjson_string(json_object_get(b, "gen_otp_images_cmd"));
	char want[PATH_MAX + 16];
	(void)snprintf(want, sizeof(want), "%s otp-image", otp_cmd != NULL ? otp_cmd : "");
	ok = ok && appended(a, b, "sv_flist_gen_flags", TS_TREE_FLIST_FLAG) &&
	     appended(a, b, "sw_build_opts", TS_TREE_SEED_OPT) && cfg != NULL &&
	     ts_tree_ends_with(cfg, ".secrets.tapeout.gen.hjson") &&
	     (otp_cmd == NULL ? json_equal(json_object_get(a, "gen_otp_images_cmd"), json_object_get(b, "gen_otp_images_cmd"))
			      : cmd != NULL && strcmp(cmd, want) == 0);
	TS_ENSUREF(ok, TS_ERR_SCHEMA, "%s: the edits would not read back as intended (an unusual layout); switch "
		   "this file by hand", f->path);
	return TS_OK;
}

static ts_result
plan_simcfg(struct ts_tree_file *f, const char *otp_cmd)
{
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_parse((const char *)f->text.data, f->text.len, f->path, &doc));
	TS_ENSUREF(json_is_object(ts_hjson_root(doc)), TS_ERR_SCHEMA, "%s: expected an Hjson object", f->path);
	TS_GUARD(check_overrides(f, doc));
	/* The seed first: when sw_build_device's line is right above the comment of overrides, its
	 * sw_build_opts line stays directly after it (edits at one offset keep their order). */
	TS_GUARD(plan_seed(f, doc));
	TS_GUARD(plan_flist(f, doc));
	TS_GUARD(plan_otp_cfg(f, doc));
	if (otp_cmd != NULL) {
		TS_GUARD(plan_otp_cmd(f, doc, otp_cmd));
	}
	return verify_simcfg(f, doc, otp_cmd);
}

/* The edited defs.bzl read back: its secret_cfgs dict (as the scanner finds it) now holds the entry. */
static ts_result
verify_defs(const struct ts_tree_file *f)
{
	TS_BUF(out);
	size_t open, close;
	int found = 0;
	TS_GUARD(ts_tree_apply(f, &out));
	const char *s = (const char *)out.data;
	int ok = ts_tree_bzl_dict(f->path, s, out.len, &open, &close, &found).code == 0 && found &&
		 memmem(s + open, close - open, "\"tapeout\"", 9) != NULL &&
		 memmem(s + open, close - open, "\"testing\"", 9) != NULL;
	ts_error_clear();
	TS_ENSUREF(ok, TS_ERR_SCHEMA, "%s: the edit would not read back as intended (an unusual layout); switch this "
		   "file by hand", f->path);
	return TS_OK;
}

/* secret_cfgs gains "tapeout" on the line after "testing", in the file's own indentation. */
static ts_result
plan_defs(struct ts_tree_file *f, const char *top)
{
	const char *s = (const char *)f->text.data;
	size_t len = f->text.len, open, close, vend;
	int found;
	TS_GUARD(ts_tree_bzl_dict(f->path, s, len, &open, &close, &found));
	TS_ENSUREF(found, TS_ERR_SCHEMA, "%s: no 'secret_cfgs = {' (expected in the opentitan_top(...) call)", f->path);
	if (memmem(s + open, close - open, "\"tapeout\"", 9) != NULL) {
		return TS_OK;
	}
	const char *k = memmem(s + open, close - open, "\"testing\"", 9);
	int line = ts_tree_line_no(s, open);
	TS_ENSUREF(k != NULL, TS_ERR_SCHEMA, "%s:%d: secret_cfgs has no \"testing\" entry", f->path, line);
	size_t at = (size_t)(k - s), ls = ts_tree_line_start(s, at), i = at + 9;
	TS_ENSUREF(ls > open, TS_ERR_SCHEMA, "%s:%d: expected the \"testing\" entry of secret_cfgs on a line of its own",
		   f->path, line);
	line = ts_tree_line_no(s, at);
	i += strspn(s + i, " \t");
	TS_ENSUREF(s[i] == ':', TS_ERR_SCHEMA, "%s:%d: expected \"testing\": \"<label>\"", f->path, line);
	i += 1 + strspn(s + i + 1, " \t");
	TS_ENSUREF(s[i] == '"' && ts_tree_string_end(s, len, i, &vend).code == 0, TS_ERR_SCHEMA,
		   "%s:%d: expected \"testing\": \"<label>\"", f->path, line);
	size_t j = vend + strspn(s + vend, " \t");
	int comma = s[j] == ',';
	size_t le = ts_tree_line_end(s, len, vend), rest = j + (size_t)comma;
	rest += strspn(s + rest, " \t\r");
	TS_ENSUREF(rest == le || s[rest] == '#', TS_ERR_SCHEMA,
		   "%s:%d: expected nothing but a comment after the \"testing\" entry", f->path, line);
	TS_ENSUREF(le < len, TS_ERR_SCHEMA, "%s:%d: expected a line after the \"testing\" entry", f->path, line);
	char ins[320];
	(void)snprintf(ins, sizeof(ins), "%.*s\"tapeout\": \"//hw/top_%s/data/autogen:top_%s.secrets.tapeout.gen.hjson\",\n",
		       (int)ts_tree_indent(s, len, ls), s + ls, top, top);
	if (!comma) {
		TS_GUARD(ts_tree_edit_add(f, vend, "", 0, ","));
	}
	TS_GUARD(ts_tree_edit_add(f, le + 1, "", 0, ins));
	return verify_defs(f);
}

ts_result
ts_tree_plan(struct ts_tree *t, const char *otp_cmd)
{
	TS_ENSURE(t != NULL, TS_ERR_NULL);
	ts_error_clear();
	if (t->simcfg.present) {
		TS_GUARD(plan_simcfg(&t->simcfg, otp_cmd));
	} else {
		TS_ENSUREF(otp_cmd == NULL, TS_ERR_USAGE, "--otp-cmd: %s does not exist, so there is no dvsim OTP step",
			   t->simcfg.path);
	}
	return plan_defs(&t->defs, t->top);
}

ts_result
ts_tree_apply(const struct ts_tree_file *f, struct ts_buf *out)
{
	size_t at = 0;
	for (size_t i = 0; i < f->n; i++) {
		size_t ol = strlen(f->e[i].old);
		TS_ENSUREF(f->e[i].off >= at && f->e[i].off + ol <= f->text.len &&
				   memcmp(f->text.data + f->e[i].off, f->e[i].old, ol) == 0,
			   TS_ERR_INTERNAL, "%s: edit %zu does not match the text", f->rel, i + 1);
		TS_GUARD(ts_buf_append(out, f->text.data + at, f->e[i].off - at));
		TS_GUARD(ts_buf_puts(out, f->e[i].new));
		at = f->e[i].off + ol;
	}
	return ts_buf_append(out, f->text.data + at, f->text.len - at);
}

/* Exact undo: the edits sit at their offsets shifted by the earlier edits' growth. */
static ts_result
undo_exact(const struct ts_tree_file *f, const struct ts_buf *cur, struct ts_buf *out)
{
	size_t at = 0;
	long shift = 0;
	for (size_t i = 0; i < f->n; i++) {
		size_t nl = strlen(f->e[i].new), ol = strlen(f->e[i].old);
		size_t off = (size_t)((long)f->e[i].off + shift);
		TS_ENSUREF(off >= at && off + nl <= cur->len && memcmp(cur->data + off, f->e[i].new, nl) == 0,
			   TS_ERR_DIFFERS, "%s: the switch's edit %zu is not where the record says", f->rel, i + 1);
		TS_GUARD(ts_buf_append(out, cur->data + at, off - at));
		TS_GUARD(ts_buf_puts(out, f->e[i].old));
		at = off + nl;
		shift += (long)nl - (long)ol;
	}
	return ts_buf_append(out, cur->data + at, cur->len - at);
}

ts_result
ts_tree_undo(const struct ts_tree_file *f, const struct ts_buf *cur, int exact, struct ts_buf *out)
{
	TS_ENSURE(f != NULL && cur != NULL && out != NULL, TS_ERR_NULL);
	if (exact) {
		return undo_exact(f, cur, out);
	}
	/* Forced: each edit's new text, found once, goes back to the old (in file order). */
	struct ts_tree_file g = { .n = f->n };
	memcpy(g.rel, f->rel, sizeof(g.rel));
	for (size_t i = 0; i < f->n; i++) {
		size_t nl = strlen(f->e[i].new);
		const char *p = nl ? memmem(cur->data, cur->len, f->e[i].new, nl) : NULL;
		TS_ENSUREF(p != NULL && memmem(p + 1, cur->len - (size_t)(p + 1 - (const char *)cur->data), f->e[i].new,
					       nl) == NULL,
			   TS_ERR_DIFFERS, "%s: the switch's edit %zu is not in the file exactly once; undo it by hand",
			   f->rel, i + 1);
		g.e[i] = (struct ts_tree_edit){ (size_t)(p - (const char *)cur->data), f->e[i].new, f->e[i].old };
	}
	for (size_t i = 1; i < g.n; i++) {
		for (size_t j = i; j > 0 && g.e[j - 1].off > g.e[j].off; j--) {
			struct ts_tree_edit x = g.e[j];
			g.e[j] = g.e[j - 1];
			g.e[j - 1] = x;
		}
	}
	g.text = *cur;
	return ts_tree_apply(&g, out);
}
