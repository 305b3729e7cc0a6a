#include "common/base/ts_hjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/base/ts_hjson_int.h"

/*
 * Reader: an iterative recursive-descent equivalent of the reference Hjson
 * parser (hjson-js parse.js), with an explicit frame stack so that nesting
 * depth is bounded and never uses the C stack.
 */

static ts_result
record_pos(struct parser *p, const json_t *v, int line, int col)
{
	struct ts_hjson_doc *d = p->doc;
	if (d->npos == d->cappos) {
		size_t cap = d->cappos ? d->cappos * 2 : 256;
		struct pos_entry *n = realloc(d->pos, cap * sizeof(*n));
		TS_ENSURE(n != NULL, TS_ERR_NOMEM);
		d->pos = n;
		d->cappos = cap;
	}
	d->pos[d->npos++] = (struct pos_entry){ v, line, col };
	return TS_OK;
}

/* Reads a scalar or opens a container; containers are pushed by the caller. */
static ts_result
read_value_start(struct parser *p, json_t **out, int *container)
{
	int c = peek(p, 0);
	*container = 0;
	if (at_end(p)) {
		return PERR(p, "unexpected end of input: expected a value");
	}
	if (c == '{' || c == '[') {
		adv(p);
		*out = c == '{' ? json_object() : json_array();
		TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
		*container = 1;
		return TS_OK;
	}
	if (c == '"' || c == '\'') {
		p->tok.len = 0;
		if (c == '\'' && peek(p, 1) == '\'' && peek(p, 2) == '\'') {
			TS_GUARD(ts_hjson_read_multiline(p, &p->tok));
		} else {
			TS_GUARD(ts_hjson_read_quoted(p, &p->tok));
		}
		*out = json_stringn((const char *)p->tok.data, p->tok.len);
		TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
		return TS_OK;
	}
	return ts_hjson_read_quoteless(p, out);
}

static ts_result
read_key(struct parser *p)
{
	struct ts_buf *b = &p->tok;
	char tmp[8];
	b->len = 0;
	int c = peek(p, 0);
	if (c == '"' || c == '\'') {
		if (c == '\'' && peek(p, 1) == '\'' && peek(p, 2) == '\'') {
			return PERR(p, "a ''' string cannot be a key");
		}
		TS_GUARD(ts_hjson_read_quoted(p, b));
		TS_GUARD(ts_hjson_skip_white(p));
		if (peek(p, 0) != ':') {
			return PERR(p, "expected ':' after a key, found %s", ts_hjson_show_char(peek(p, 0), tmp));
		}
		adv(p);
		return TS_OK;
	}
	size_t space = (size_t)-1;
	for (;;) {
		c = peek(p, 0);
		if (c == ':') {
			if (b->len == 0) {
				return PERR(p, "found ':' but no key name");
			}
			if (space != (size_t)-1 && space != b->len) {
				return PERR(p, "whitespace inside a key name (quote the key)");
			}
			adv(p);
			return TS_OK;
		}
		if (at_end(p)) {
			return PERR(p, "unexpected end of input while reading a key name");
		}
		if (c <= ' ') {
			if (space == (size_t)-1) {
				space = b->len;
			}
		} else if (ts_hjson_is_punct(c)) {
			return PERR(p, "found %s where a key name was expected", ts_hjson_show_char(c, tmp));
		} else {
			char ch = (char)c;
			TS_GUARD(ts_buf_append(b, &ch, 1));
		}
		adv(p);
	}
}

static ts_result
push(struct parser *p, json_t *c, int braceless, int line, int col)
{
	if (p->depth >= TS_HJSON_MAX_DEPTH) {
		return ts_failf(TS_ERR_RANGE, __FILE__, __LINE__,
				"%s:%d:%d: nesting deeper than %d levels", p->name, line, col,
				TS_HJSON_MAX_DEPTH);
	}
	p->st[p->depth++] = (struct frame){
		.c = c,
		.kind = json_is_object(c) ? FRAME_OBJECT : FRAME_ARRAY,
		.braceless = braceless,
		.line = line,
		.col = col,
	};
	return TS_OK;
}

/* Reads one value and adds it to the top frame (under key for objects). */
static ts_result
add_value(struct parser *p, const char *key)
{
	struct frame *f = &p->st[p->depth - 1];
	int line = p->line;
	int col = p->col;
	json_t *v = NULL;
	int container = 0;
	TS_GUARD(read_value_start(p, &v, &container));
	if (record_pos(p, v, line, col).code != 0) {
		json_decref(v);
		TS_BAIL(TS_ERR_NOMEM);
	}
	int rc = key != NULL ? json_object_set_new(f->c, key, v) : json_array_append_new(f->c, v);
	TS_ENSURE(rc == 0, TS_ERR_NOMEM);
	f->after_value = 1;
	if (container) {
		TS_GUARD(push(p, v, 0, line, col));
	}
	return TS_OK;
}

static ts_result
step_object(struct parser *p, struct ts_buf *key)
{
	struct frame *f = &p->st[p->depth - 1];
	TS_GUARD(ts_hjson_skip_white(p));
	if (f->after_value && peek(p, 0) == ',') {
		adv(p);
		TS_GUARD(ts_hjson_skip_white(p));
	}
	if (!f->braceless && peek(p, 0) == '}') {
		adv(p);
		p->depth--;
		return TS_OK;
	}
	if (at_end(p)) {
		if (f->braceless) {
			p->depth--;
			return TS_OK;
		}
		return ts_hjson_perr(p, f->line, f->col, "unterminated object: missing '}'");
	}
	int line = p->line;
	int col = p->col;
	TS_GUARD(read_key(p));
	key->len = 0;
	TS_GUARD(ts_buf_append(key, p->tok.data, p->tok.len));
	TS_GUARD(ts_buf_append(key, "", 1));
	if (json_object_get(f->c, (const char *)key->data) != NULL) {
		return ts_hjson_perr(p, line, col, "duplicate key '%s'", (const char *)key->data);
	}
	TS_GUARD(ts_hjson_skip_white(p));
	return add_value(p, (const char *)key->data);
}

static ts_result
step_array(struct parser *p)
{
	struct frame *f = &p->st[p->depth - 1];
	TS_GUARD(ts_hjson_skip_white(p));
	if (f->after_value && peek(p, 0) == ',') {
		adv(p);
		TS_GUARD(ts_hjson_skip_white(p));
	}
	if (peek(p, 0) == ']') {
		adv(p);
		p->depth--;
		return TS_OK;
	}
	if (at_end(p)) {
		return ts_hjson_perr(p, f->line, f->col, "unterminated array: missing ']'");
	}
	return add_value(p, NULL);
}

static ts_result
parse_root(struct parser *p)
{
	TS_BUF(key);
	TS_GUARD(ts_hjson_check_text(p));
	TS_GUARD(ts_hjson_skip_white(p));
	int c = peek(p, 0);
	int line = p->line;
	int col = p->col;
	json_t *root = c == '[' ? json_array() : json_object();
	TS_ENSURE(root != NULL, TS_ERR_NOMEM);
	p->doc->root = root;
	TS_GUARD(record_pos(p, root, line, col));
	if (c == '{' || c == '[') {
		adv(p);
	}
	TS_GUARD(push(p, root, c != '{' && c != '[', line, col));
	while (p->depth > 0) {
		if (p->st[p->depth - 1].kind == FRAME_OBJECT) {
			TS_GUARD(step_object(p, &key));
		} else {
			TS_GUARD(step_array(p));
		}
	}
	TS_GUARD(ts_hjson_skip_white(p));
	if (!at_end(p)) {
		return PERR(p, "unexpected text after the end of the document");
	}
	return TS_OK;
}

ts_result
ts_hjson_parse(const char *text, size_t len, const char *name, struct ts_hjson_doc **out)
{
	TS_ENSURE_REF(text);
	TS_ENSURE_REF(name);
	TS_ENSURE_REF(out);
	TS_ENSUREF(len <= TS_HJSON_MAX_INPUT, TS_ERR_RANGE, "%s: larger than the %u-byte input limit",
		   name, TS_HJSON_MAX_INPUT);
	struct ts_hjson_doc *doc = calloc(1, sizeof(*doc));
	TS_ENSURE(doc != NULL, TS_ERR_NOMEM);
	doc->name = strdup(name);
	struct parser *p = calloc(1, sizeof(*p));
	if (doc->name == NULL || p == NULL) {
		free(p);
		ts_hjson_doc_free(doc);
		TS_BAIL(TS_ERR_NOMEM);
	}
	p->s = text;
	p->len = len;
	p->line = 1;
	p->col = 1;
	p->name = name;
	p->doc = doc;
	ts_result r = parse_root(p);
	ts_buf_free(&p->tok);
	free(p);
	if (r.code != 0) {
		ts_hjson_doc_free(doc);
		return r;
	}
	*out = doc;
	return TS_OK;
}

ts_result
ts_hjson_load(const char *path, struct ts_hjson_doc **out)
{
	TS_BUF(b);
	TS_GUARD(ts_file_read(path, TS_HJSON_MAX_INPUT, &b));
	return ts_hjson_parse(b.len ? (const char *)b.data : "", b.len, path, out);
}

json_t *
ts_hjson_root(const struct ts_hjson_doc *doc)
{
	return doc->root;
}

const char *
ts_hjson_name(const struct ts_hjson_doc *doc)
{
	return doc->name;
}

void
ts_hjson_where(const struct ts_hjson_doc *doc, const json_t *v, int *line, int *col)
{
	*line = 0;
	*col = 0;
	for (size_t i = 0; doc != NULL && i < doc->npos; i++) {
		if (doc->pos[i].v == v) {
			*line = doc->pos[i].line;
			*col = doc->pos[i].col;
			return;
		}
	}
}

ts_result
ts_hjson_fail_at(int code, const struct ts_hjson_doc *doc, const json_t *at, const char *fmt, ...)
{
	char msg[384];
	int line;
	int col;
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ts_hjson_where(doc, at, &line, &col);
	return ts_failf(code, __FILE__, __LINE__, "%s:%d:%d: %s", ts_hjson_name(doc), line, col, msg);
}

void
ts_hjson_doc_free(struct ts_hjson_doc *doc)
{
	if (doc == NULL) {
		return;
	}
	json_decref(doc->root);
	free(doc->pos);
	free(doc->name);
	free(doc);
}

static int
is_bigint(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 1 && json_string_value(v)[0] == '\0';
}

int
ts_hjson_is_int(const json_t *v)
{
	return json_is_integer(v) || is_bigint(v);
}

const char *
ts_hjson_string(const json_t *v)
{
	return json_is_string(v) && !ts_hjson_is_int(v) ? json_string_value(v) : NULL;
}

ts_result
ts_hjson_int_to_bn(const json_t *v, BIGNUM *bn)
{
	TS_ENSURE_REF(v);
	TS_ENSURE_REF(bn);
	char tmp[1100];
	if (json_is_integer(v)) {
		(void)snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
	} else {
		TS_ENSURE(is_bigint(v), TS_ERR_SCHEMA);
		size_t n = json_string_length(v) - 1;
		TS_ENSURE(n < sizeof(tmp), TS_ERR_RANGE);
		memcpy(tmp, json_string_value(v) + 1, n);
		tmp[n] = '\0';
	}
	BIGNUM *b = bn;
	TS_ENSURE(BN_dec2bn(&b, tmp) > 0, TS_ERR_CRYPTO);
	return TS_OK;
}

ts_result
ts_hjson_int_to_u64(const json_t *v, unsigned long long max, unsigned long long *out)
{
	TS_ENSURE_REF(out);
	TS_ENSURE(ts_hjson_is_int(v), TS_ERR_SCHEMA);
	TS_ENSURE(json_is_integer(v), TS_ERR_RANGE);
	json_int_t i = json_integer_value(v);
	TS_ENSURE(i >= 0 && (unsigned long long)i <= max, TS_ERR_RANGE);
	*out = (unsigned long long)i;
	return TS_OK;
}
