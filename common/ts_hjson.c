#include "common/ts_hjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ts_file.h"
#include "common/ts_hex.h"

/*
 * Reader: an iterative recursive-descent equivalent of the reference Hjson
 * parser (hjson-js parse.js), with an explicit frame stack so that nesting
 * depth is bounded and never uses the C stack.
 */

struct pos_entry {
	const json_t *v;
	int line;
	int col;
};

struct ts_hjson_doc {
	json_t *root;
	char *name;
	struct pos_entry *pos;
	size_t npos;
	size_t cappos;
};

enum frame_kind { FRAME_OBJECT, FRAME_ARRAY };

struct frame {
	json_t *c;
	enum frame_kind kind;
	int braceless;
	int after_value;
	int line;
	int col;
};

struct parser {
	const char *s;
	size_t len;
	size_t i;
	int line;
	int col;
	const char *name;
	struct ts_hjson_doc *doc;
	struct frame st[TS_HJSON_MAX_DEPTH + 1];
	size_t depth;
	struct ts_buf tok;
};

static int
peek(const struct parser *p, size_t k)
{
	return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : 0;
}

static int
at_end(const struct parser *p)
{
	return p->i >= p->len;
}

static void
adv(struct parser *p)
{
	if (p->i >= p->len) {
		return;
	}
	if (p->s[p->i] == '\n') {
		p->line++;
		p->col = 1;
	} else if (((unsigned char)p->s[p->i] & 0xC0) != 0x80) {
		p->col++;
	}
	p->i++;
}

/* Advances over n bytes that hold no newline. */
static void
adv_n(struct parser *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		p->col += ((unsigned char)p->s[p->i + k] & 0xC0) != 0x80;
	}
	p->i += n;
}

static ts_result
perr_at(const struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static ts_result
perr_at(const struct parser *p, int line, int col, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ts_failf(TS_ERR_PARSE, __FILE__, __LINE__, "%s:%d:%d: %s", p->name, line, col, msg);
}

#define PERR(p, ...) perr_at((p), (p)->line, (p)->col, __VA_ARGS__)

static const char *
show_char(int c, char *tmp)
{
	if (c == 0) {
		return "end of input";
	}
	if (c < 0x20 || c >= 0x7f) {
		(void)snprintf(tmp, 8, "0x%02x", c);
		return tmp;
	}
	tmp[0] = '\'';
	tmp[1] = (char)c;
	tmp[2] = '\'';
	tmp[3] = '\0';
	return tmp;
}

/* Validates UTF-8 and refuses NUL, so every later string is valid for jansson. */
static ts_result
check_text(struct parser *p)
{
	size_t i = 0;
	while (i < p->len) {
		unsigned char c = (unsigned char)p->s[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		int ok = n != 0 && c != 0 && i + n <= p->len;
		for (size_t k = 1; ok && k < n; k++) {
			ok = ((unsigned char)p->s[i + k] & 0xC0) == 0x80;
		}
		if (!ok) {
			while (p->i < i) {
				adv(p);
			}
			return PERR(p, c == 0 ? "NUL byte in input" : "invalid UTF-8 byte 0x%02x", c);
		}
		i += n;
	}
	return TS_OK;
}

static ts_result
skip_white(struct parser *p)
{
	for (;;) {
		int c = peek(p, 0);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			adv(p);
		} else if (c == '#' || (c == '/' && peek(p, 1) == '/')) {
			while (!at_end(p) && peek(p, 0) != '\n') {
				adv(p);
			}
		} else if (c == '/' && peek(p, 1) == '*') {
			int line = p->line;
			int col = p->col;
			adv(p);
			adv(p);
			while (!at_end(p) && !(peek(p, 0) == '*' && peek(p, 1) == '/')) {
				adv(p);
			}
			if (at_end(p)) {
				return perr_at(p, line, col, "unterminated /* comment");
			}
			adv(p);
			adv(p);
		} else {
			return TS_OK;
		}
	}
}

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

static ts_result
read_u4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = ts_hex_value(peek(p, 0));
		if (h == TS_HEX_INVALID) {
			return PERR(p, "bad \\u escape: expected 4 hex digits");
		}
		v = v * 16 + (unsigned)h;
		adv(p);
	}
	*out = v;
	return TS_OK;
}

static ts_result
put_utf8(struct ts_buf *b, unsigned cp)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xC0 | (cp >> 6));
		u[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xE0 | (cp >> 12));
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | (cp >> 18));
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return ts_buf_append(b, u, n);
}

static ts_result
read_unicode_escape(struct parser *p, struct ts_buf *b)
{
	unsigned cp;
	TS_GUARD(read_u4(p, &cp));
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		unsigned lo;
		if (peek(p, 0) != '\\' || peek(p, 1) != 'u') {
			return PERR(p, "lone UTF-16 surrogate in \\u escape");
		}
		adv(p);
		adv(p);
		TS_GUARD(read_u4(p, &lo));
		if (lo < 0xDC00 || lo > 0xDFFF) {
			return PERR(p, "lone UTF-16 surrogate in \\u escape");
		}
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		return PERR(p, "lone UTF-16 surrogate in \\u escape");
	}
	if (cp == 0) {
		return PERR(p, "\\u0000 is not allowed in strings");
	}
	return put_utf8(b, cp);
}

static ts_result
read_escape(struct parser *p, struct ts_buf *b)
{
	int e = peek(p, 0);
	char tmp[8];
	char c;
	adv(p);
	switch (e) {
	case '"':
	case '\'':
	case '\\':
	case '/':
		c = (char)e;
		break;
	case 'b':
		c = '\b';
		break;
	case 'f':
		c = '\f';
		break;
	case 'n':
		c = '\n';
		break;
	case 'r':
		c = '\r';
		break;
	case 't':
		c = '\t';
		break;
	case 'u':
		return read_unicode_escape(p, b);
	default:
		return PERR(p, "bad escape \\%s in string", show_char(e, tmp));
	}
	return ts_buf_append(b, &c, 1);
}

/* A "..." or '...' string; the opening quote is at the cursor. */
static ts_result
read_quoted(struct parser *p, struct ts_buf *b)
{
	int q = peek(p, 0);
	int line = p->line;
	int col = p->col;
	adv(p);
	for (;;) {
		size_t run = 0;
		while (p->i + run < p->len) {
			int c = (unsigned char)p->s[p->i + run];
			if (c == q || c == '\\' || c == '\n' || c == '\r') {
				break;
			}
			run++;
		}
		TS_GUARD(ts_buf_append(b, p->s + p->i, run));
		adv_n(p, run);
		int c = peek(p, 0);
		if (at_end(p)) {
			return perr_at(p, line, col, "unterminated string");
		}
		if (c == q) {
			adv(p);
			return TS_OK;
		}
		if (c == '\n' || c == '\r') {
			return PERR(p, "newline inside a quoted string (use ''' for multi-line text)");
		}
		adv(p);
		TS_GUARD(read_escape(p, b));
	}
}

static void
skip_indent(struct parser *p, int indent)
{
	int skip = indent;
	while (!at_end(p) && peek(p, 0) <= ' ' && peek(p, 0) != '\n' && skip-- > 0) {
		adv(p);
	}
}

/* A ''' block: the indentation of the opening quotes is stripped from each line. */
static ts_result
read_multiline(struct parser *p, struct ts_buf *b)
{
	int indent = p->col - 1;
	int line = p->line;
	int col = p->col;
	int triple = 0;
	adv(p);
	adv(p);
	adv(p);
	while (!at_end(p) && peek(p, 0) <= ' ' && peek(p, 0) != '\n') {
		adv(p);
	}
	if (peek(p, 0) == '\n') {
		adv(p);
		skip_indent(p, indent);
	}
	for (;;) {
		if (at_end(p)) {
			return perr_at(p, line, col, "unterminated ''' string");
		}
		int c = peek(p, 0);
		if (c == '\'') {
			triple++;
			adv(p);
			if (triple == 3) {
				if (b->len > 0 && b->data[b->len - 1] == '\n') {
					b->len--;
				}
				return TS_OK;
			}
			continue;
		}
		for (; triple > 0; triple--) {
			TS_GUARD(ts_buf_append(b, "'", 1));
		}
		if (c == '\n') {
			TS_GUARD(ts_buf_append(b, "\n", 1));
			adv(p);
			skip_indent(p, indent);
		} else {
			char ch = (char)c;
			if (c != '\r') {
				TS_GUARD(ts_buf_append(b, &ch, 1));
			}
			adv(p);
		}
	}
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Spec §7.5 number rule; sets *is_int when there is no fraction or exponent. */
static int
number_text(const char *s, size_t n, size_t *num_len, int *is_int)
{
	size_t i = 0;
	*is_int = 1;
	if (i < n && s[i] == '-') {
		i++;
	}
	if (i >= n || !is_digit(s[i])) {
		return 0;
	}
	if (s[i] == '0') {
		i++;
	} else {
		while (i < n && is_digit(s[i])) {
			i++;
		}
	}
	if (i < n && s[i] == '.') {
		*is_int = 0;
		i++;
		if (i >= n || !is_digit(s[i])) {
			return 0;
		}
		while (i < n && is_digit(s[i])) {
			i++;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			i++;
		}
		if (i >= n || !is_digit(s[i])) {
			return 0;
		}
		while (i < n && is_digit(s[i])) {
			i++;
		}
	}
	*num_len = i;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
		i++;
	}
	return i == n;
}

json_t *
ts_hjson_bigint_new(const char *digits, size_t len)
{
	char tmp[1 + 1024];
	if (len == 0 || len > sizeof(tmp) - 1) {
		return NULL;
	}
	tmp[0] = '\0';
	memcpy(tmp + 1, digits, len);
	return json_stringn(tmp, len + 1);
}

static json_t *
make_number(const char *s, size_t n, int is_int)
{
	char tmp[1100];
	if (n >= sizeof(tmp)) {
		return NULL;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!is_int) {
		return json_real(strtod(tmp, NULL));
	}
	errno = 0;
	char *end = NULL;
	long long v = strtoll(tmp, &end, 10);
	if (errno == 0 && end == tmp + n) {
		return json_integer(v);
	}
	return ts_hjson_bigint_new(tmp, n);
}

static size_t
rtrim_len(const uint8_t *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
		n--;
	}
	return n;
}

static json_t *
keyword_or_number(const uint8_t *s, size_t n)
{
	size_t t = rtrim_len(s, n);
	size_t nl;
	int is_int;
	if (t == 4 && memcmp(s, "true", 4) == 0) {
		return json_true();
	}
	if (t == 5 && memcmp(s, "false", 5) == 0) {
		return json_false();
	}
	if (t == 4 && memcmp(s, "null", 4) == 0) {
		return json_null();
	}
	if (t > 0 && (s[0] == '-' || is_digit(s[0])) && number_text((const char *)s, t, &nl, &is_int)) {
		return make_number((const char *)s, nl, is_int);
	}
	return NULL;
}

static int
is_punct(int c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':';
}

static int
is_terminator(const char *s, size_t i, size_t len)
{
	char c = s[i];
	return c == ',' || c == '}' || c == ']' || c == '#' ||
	       (c == '/' && i + 1 < len && (s[i + 1] == '/' || s[i + 1] == '*'));
}

/*
 * A quoteless value (hjson-js tfnns): a keyword or number when the text
 * before a terminator (or the end of the line) is exactly one; otherwise the
 * trimmed rest of the line.  Only text starting like a number or keyword can
 * be one, so other text goes straight to the end of the line.
 */
static ts_result
read_quoteless(struct parser *p, json_t **out)
{
	char tmp[8];
	int c0 = peek(p, 0);
	if (is_punct(c0)) {
		return PERR(p, "found %s where a value was expected", show_char(c0, tmp));
	}
	const char *s = p->s + p->i;
	size_t rest = p->len - p->i;
	size_t eol = 0;
	while (eol < rest && s[eol] != '\n' && s[eol] != '\r') {
		eol++;
	}
	int maybe = c0 == '-' || is_digit(c0) || c0 == 't' || c0 == 'f' || c0 == 'n';
	for (size_t k = 1; maybe && k <= eol; k++) {
		if (k < eol && !is_terminator(s, k, rest)) {
			continue;
		}
		json_t *v = keyword_or_number((const uint8_t *)s, k);
		if (v != NULL) {
			adv_n(p, k);
			*out = v;
			return TS_OK;
		}
	}
	*out = json_stringn(s, rtrim_len((const uint8_t *)s, eol));
	TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
	adv_n(p, eol);
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
			TS_GUARD(read_multiline(p, &p->tok));
		} else {
			TS_GUARD(read_quoted(p, &p->tok));
		}
		*out = json_stringn((const char *)p->tok.data, p->tok.len);
		TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
		return TS_OK;
	}
	return read_quoteless(p, out);
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
		TS_GUARD(read_quoted(p, b));
		TS_GUARD(skip_white(p));
		if (peek(p, 0) != ':') {
			return PERR(p, "expected ':' after a key, found %s", show_char(peek(p, 0), tmp));
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
		} else if (is_punct(c)) {
			return PERR(p, "found %s where a key name was expected", show_char(c, tmp));
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
	TS_GUARD(skip_white(p));
	if (f->after_value && peek(p, 0) == ',') {
		adv(p);
		TS_GUARD(skip_white(p));
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
		return perr_at(p, f->line, f->col, "unterminated object: missing '}'");
	}
	int line = p->line;
	int col = p->col;
	TS_GUARD(read_key(p));
	key->len = 0;
	TS_GUARD(ts_buf_append(key, p->tok.data, p->tok.len));
	TS_GUARD(ts_buf_append(key, "", 1));
	if (json_object_get(f->c, (const char *)key->data) != NULL) {
		return perr_at(p, line, col, "duplicate key '%s'", (const char *)key->data);
	}
	TS_GUARD(skip_white(p));
	return add_value(p, (const char *)key->data);
}

static ts_result
step_array(struct parser *p)
{
	struct frame *f = &p->st[p->depth - 1];
	TS_GUARD(skip_white(p));
	if (f->after_value && peek(p, 0) == ',') {
		adv(p);
		TS_GUARD(skip_white(p));
	}
	if (peek(p, 0) == ']') {
		adv(p);
		p->depth--;
		return TS_OK;
	}
	if (at_end(p)) {
		return perr_at(p, f->line, f->col, "unterminated array: missing ']'");
	}
	return add_value(p, NULL);
}

static ts_result
parse_root(struct parser *p)
{
	TS_BUF(key);
	TS_GUARD(check_text(p));
	TS_GUARD(skip_white(p));
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
	TS_GUARD(skip_white(p));
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
