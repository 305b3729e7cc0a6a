#include "common/tree/ts_tree_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t
ts_tree_line_start(const char *s, size_t off)
{
	while (off > 0 && s[off - 1] != '\n') {
		off--;
	}
	return off;
}

size_t
ts_tree_line_end(const char *s, size_t len, size_t off)
{
	while (off < len && s[off] != '\n') {
		off++;
	}
	return off;
}

int
ts_tree_line_no(const char *s, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++) {
		line += s[i] == '\n';
	}
	return line;
}

size_t
ts_tree_offset(const char *s, size_t len, int line, int col)
{
	size_t off = 0;
	for (int l = 1; l < line && off < len; off++) {
		l += s[off] == '\n';
	}
	if (line < 1 || col < 1 || off + (size_t)(col - 1) >= len) {
		return len;
	}
	return off + (size_t)(col - 1);
}

size_t
ts_tree_value_off(const struct ts_hjson_doc *doc, const json_t *v, const char *s, size_t len)
{
	int line, col;
	ts_hjson_where(doc, v, &line, &col);
	return line == 0 ? len : ts_tree_offset(s, len, line, col);
}

ts_result
ts_tree_string_end(const char *s, size_t len, size_t off, size_t *end)
{
	TS_ENSUREF(off < len && (s[off] == '"' || s[off] == '\''), TS_ERR_SCHEMA, "a quoted string");
	if (off + 2 < len && strncmp(s + off, "'''", 3) == 0) {
		const char *e = memmem(s + off + 3, len - off - 3, "'''", 3);
		TS_ENSUREF(e != NULL, TS_ERR_SCHEMA, "an ending '''");
		*end = (size_t)(e - s) + 3;
		return TS_OK;
	}
	char q = s[off];
	for (size_t i = off + 1; i < len && s[i] != '\n'; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == q) {
			*end = i + 1;
			return TS_OK;
		}
	}
	TS_BAILF(TS_ERR_SCHEMA, "an ending %c on the same line", q);
}

/* Skips blanks, newlines, commas and Hjson comments from off. */
static size_t
skip(const char *s, size_t len, size_t off)
{
	while (off < len) {
		if (s[off] == ' ' || s[off] == '\t' || s[off] == '\r' || s[off] == '\n' || s[off] == ',') {
			off++;
		} else if (s[off] == '#' || (s[off] == '/' && off + 1 < len && s[off + 1] == '/')) {
			off = ts_tree_line_end(s, len, off);
		} else if (s[off] == '/' && off + 1 < len && s[off + 1] == '*') {
			const char *e = memmem(s + off + 2, len - off - 2, "*/", 2);
			off = e == NULL ? len : (size_t)(e - s) + 2;
		} else {
			break;
		}
	}
	return off;
}

ts_result
ts_tree_list_scan(const char *s, size_t len, size_t off, size_t *last_end, size_t *close)
{
	TS_ENSUREF(off < len && s[off] == '[', TS_ERR_SCHEMA, "a list");
	*last_end = 0;
	off = skip(s, len, off + 1);
	while (off < len && s[off] != ']') {
		TS_ENSUREF(s[off] == '"' || s[off] == '\'', TS_ERR_SCHEMA, "a list of quoted strings");
		TS_GUARD(ts_tree_string_end(s, len, off, &off));
		*last_end = off;
		off = skip(s, len, off);
	}
	TS_ENSUREF(off < len, TS_ERR_SCHEMA, "a list ending in ]");
	*close = off;
	return TS_OK;
}

size_t
ts_tree_indent(const char *s, size_t len, size_t ls)
{
	size_t i = ls;
	while (i < len && (s[i] == ' ' || s[i] == '\t')) {
		i++;
	}
	return i - ls;
}

int
ts_tree_is_key_line(const char *s, size_t len, size_t off, const char *key)
{
	size_t ls = ts_tree_line_start(s, off);
	size_t i = ls + ts_tree_indent(s, len, ls);
	size_t k = strlen(key);
	if (i + k > len || strncmp(s + i, key, k) != 0) {
		return 0;
	}
	for (i += k; i < len && (s[i] == ' ' || s[i] == '\t'); i++) {
	}
	return i < len && s[i] == ':';
}

/* One past the Starlark token at off when it is a string, comment or other byte. */
static size_t
bzl_next(const char *s, size_t len, size_t off)
{
	if (s[off] == '#') {
		return ts_tree_line_end(s, len, off);
	}
	if (s[off] == '"' || s[off] == '\'') {
		for (size_t i = off + 1; i < len && s[i] != '\n'; i++) {
			if (s[i] == '\\') {
				i++;
			} else if (s[i] == s[off]) {
				return i + 1;
			}
		}
	}
	return off + 1;
}

/* The '{' of `secret_cfgs = {` at or after from, or len. */
static size_t
bzl_find(const char *s, size_t len, size_t from)
{
	static const char key[] = "secret_cfgs";
	for (size_t i = from; i < len; i = bzl_next(s, len, i)) {
		if (strncmp(s + i, key, sizeof(key) - 1) != 0 || (i > 0 && (s[i - 1] == '_' || isalnum((unsigned char)s[i - 1])))) {
			continue;
		}
		size_t j = i + sizeof(key) - 1;
		while (j < len && (s[j] == ' ' || s[j] == '\t')) {
			j++;
		}
		if (j < len && s[j] == '=') {
			j++;
			while (j < len && (s[j] == ' ' || s[j] == '\t')) {
				j++;
			}
			return j < len && s[j] == '{' ? j : len;
		}
	}
	return len;
}

ts_result
ts_tree_bzl_dict(const char *path, const char *s, size_t len, size_t *open, size_t *close, int *found)
{
	*found = 0;
	size_t o = bzl_find(s, len, 0);
	if (o == len) {
		return TS_OK;
	}
	size_t again = bzl_find(s, len, o + 1);
	TS_ENSUREF(again == len, TS_ERR_SCHEMA, "%s:%d: a second 'secret_cfgs = {'; expected one opentitan_top(...) call",
		   path, ts_tree_line_no(s, again));
	int depth = 0;
	for (size_t i = o; i < len; i = bzl_next(s, len, i)) {
		depth += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
		if (depth == 0) {
			*open = o;
			*close = i;
			*found = 1;
			return TS_OK;
		}
	}
	TS_BAILF(TS_ERR_SCHEMA, "%s:%d: 'secret_cfgs = {' does not close", path, ts_tree_line_no(s, o));
}

ts_result
ts_tree_edit_add(struct ts_tree_file *f, size_t off, const char *old, size_t oldlen, const char *new)
{
	TS_ENSUREF(f->n < TS_TREE_MAX_EDITS, TS_ERR_RANGE, "%s: more than %d edits", f->rel, TS_TREE_MAX_EDITS);
	char *o = strndup(old, oldlen);
	char *n = strdup(new);
	if (o == NULL || n == NULL) {
		free(o);
		free(n);
		TS_BAIL(TS_ERR_NOMEM);
	}
	size_t i = f->n++;
	while (i > 0 && f->e[i - 1].off > off) {
		f->e[i] = f->e[i - 1];
		i--;
	}
	f->e[i] = (struct ts_tree_edit){ off, o, n };
	return TS_OK;
}

int
ts_tree_list_has(const json_t *list, const char *item)
{
	for (size_t i = 0; json_is_array(list) && i < json_array_size(list); i++) {
		const char *x = ts_hjson_string(json_array_get(list, i));
		if (x != NULL && strcmp(x, item) == 0) {
			return 1;
		}
	}
	return 0;
}

int
ts_tree_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}
