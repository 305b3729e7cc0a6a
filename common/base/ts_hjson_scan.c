#include "common/base/ts_hjson_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/base/ts_hjson_int.h"

/* The scanner: white space and comments, quoted, multi-line and quoteless strings, numbers. */

ts_result
ts_hjson_perr(const struct parser *p, int line, int col, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ts_failf(TS_ERR_PARSE, __FILE__, __LINE__, "%s:%d:%d: %s", p->name, line, col, msg);
}

const char *
ts_hjson_show_char(int c, char *tmp)
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
ts_result
ts_hjson_check_text(struct parser *p)
{
	size_t i = 0;
	if (p->len >= 3 && memcmp(p->s, "\xef\xbb\xbf", 3) == 0) {
		return PERR(p, "the file starts with a UTF-8 byte order mark; save it without one");
	}
	while (i < p->len) {
		/* Eight ASCII bytes without a NUL at a time: no high bit, no zero byte. */
		uint64_t w;
		if (i + 8 <= p->len) {
			memcpy(&w, p->s + i, 8);
			if (((w & 0x8080808080808080ull) | ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)) == 0) {
				i += 8;
				continue;
			}
		}
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

ts_result
ts_hjson_skip_white(struct parser *p)
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
				return ts_hjson_perr(p, line, col, "unterminated /* comment");
			}
			adv(p);
			adv(p);
		} else {
			return TS_OK;
		}
	}
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
		return PERR(p, "bad escape \\%s in string", ts_hjson_show_char(e, tmp));
	}
	return ts_buf_append(b, &c, 1);
}

/* A "..." or '...' string; the opening quote is at the cursor. */
ts_result
ts_hjson_read_quoted(struct parser *p, struct ts_buf *b)
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
			return ts_hjson_perr(p, line, col, "unterminated string");
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
ts_result
ts_hjson_read_multiline(struct parser *p, struct ts_buf *b)
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
			return ts_hjson_perr(p, line, col, "unterminated ''' string");
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
		} else if (c == '\r') {
			adv(p);
		} else {
			/* A run of ordinary bytes up to the next quote, CR or LF, copied at once. */
			size_t n = 0;
			const char *run = p->s + p->i;
			while (p->i + n < p->len && run[n] != '\'' && run[n] != '\n' && run[n] != '\r') {
				n++;
			}
			TS_GUARD(ts_buf_append(b, run, n));
			adv_n(p, n);
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

int
ts_hjson_is_punct(int c)
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
ts_result
ts_hjson_read_quoteless(struct parser *p, json_t **out)
{
	char tmp[8];
	int c0 = peek(p, 0);
	if (ts_hjson_is_punct(c0)) {
		return PERR(p, "found %s where a value was expected", ts_hjson_show_char(c0, tmp));
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
