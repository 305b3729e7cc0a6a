#include "common/base/ts_hjson.h"

#include <stdio.h>
#include <string.h>

/* Writer of the OpenTitan Hjson dump format: spec/secrets.md §7.5. */

#define IND "  "

struct writer {
	struct ts_buf *out;
	ts_hjson_subst_fn subst;
	void *ctx;
};

/* Decodes one UTF-8 code point (input was validated by the reader or jansson). */
static unsigned
next_cp(const uint8_t *s, size_t n, size_t *i)
{
	unsigned c = s[*i];
	size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	unsigned cp = k == 1 ? c : k == 2 ? (c & 0x1F) : k == 3 ? (c & 0x0F) : (c & 0x07);
	for (size_t j = 1; j < k && *i + j < n; j++) {
		cp = (cp << 6) | (s[*i + j] & 0x3F);
	}
	*i += k;
	return cp;
}

/* hjson's "needs escape" set beyond ASCII controls (spec §7.5, S()). */
static int
is_special(unsigned cp)
{
	return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x600 && cp <= 0x604) ||
	       cp == 0x70F || cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x200C && cp <= 0x200F) ||
	       (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
	       (cp >= 0xFFF0 && cp <= 0xFFFF);
}

/* Python's str.isspace for the code points that can occur here. */
static int
is_space_cp(unsigned cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 ||
	       cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
starts_with(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && memcmp(s, p, k) == 0;
}

/* `((,|\]|\}|#|//|/\*).*)?$` after optional whitespace, from position i. */
static int
tail_ok(const char *s, size_t n, size_t i)
{
	while (i < n && is_space_cp((unsigned char)s[i])) {
		i++;
	}
	if (i == n) {
		return 1;
	}
	return s[i] == ',' || s[i] == ']' || s[i] == '}' || s[i] == '#' || starts_with(s + i, n - i, "//") ||
	       starts_with(s + i, n - i, "/*");
}

static int
looks_like_number(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t')) {
		i++;
	}
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
	if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
		for (i++; i < n && is_digit(s[i]); i++) {
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-')) {
			j++;
		}
		if (j < n && is_digit(s[j])) {
			for (i = j; i < n && is_digit(s[i]); i++) {
			}
		}
	}
	return tail_ok(s, n, i);
}

static int
looks_like_keyword(const char *s, size_t n)
{
	static const char *const kw[] = { "true", "false", "null" };
	for (size_t k = 0; k < 3; k++) {
		size_t l = strlen(kw[k]);
		if (starts_with(s, n, kw[k]) && tail_ok(s, n, l)) {
			return 1;
		}
	}
	return 0;
}

struct str_facts {
	int special;      /* any special char */
	int special_ml;   /* a special char other than TAB, LF, CR */
	int all_space;
	int first_space;
	int last_space;
	int has_bs_quote; /* a backslash or double quote */
};

static void
scan_string(const char *s, size_t n, struct str_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->all_space = 1;
	size_t i = 0;
	int first = 1;
	unsigned cp = 0;
	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		if (b > ' ' && b < 0x7F) {
			/* The common case: printable ASCII is neither space nor special. */
			f->first_space = first ? 0 : f->first_space;
			first = 0;
			f->all_space = 0;
			f->has_bs_quote |= b == '\\' || b == '"';
			cp = b;
			i++;
			continue;
		}
		cp = b < 0x80 ? b : next_cp((const uint8_t *)s, n, &i);
		i += b < 0x80;
		int sp = is_space_cp(cp);
		if (first) {
			f->first_space = sp;
			first = 0;
		}
		f->all_space &= sp;
		if (is_special(cp)) {
			f->special = 1;
			if (cp != '\t' && cp != '\n' && cp != '\r') {
				f->special_ml = 1;
			}
		}
		if (cp == '\\' || cp == '"') {
			f->has_bs_quote = 1;
		}
	}
	f->last_space = is_space_cp(cp);
}

static int
needs_quotes(const char *s, size_t n, const struct str_facts *f)
{
	if (f->first_space || f->last_space || f->special) {
		return 1;
	}
	/* A leading quote, a punctuator, '#', or a comment start (two slashes, slash-star). */
	if (strchr("\"'#{}[]:,", s[0]) != NULL || (s[0] == '/' && n > 1 && (s[1] == '/' || s[1] == '*'))) {
		return 1;
	}
	if ((s[0] == '-' || is_digit((unsigned char)s[0])) && looks_like_number(s, n)) {
		return 1;
	}
	return looks_like_keyword(s, n);
}

/* A JSON string with ASCII-only output (Python json.dumps, ensure_ascii). */
static ts_result
put_json_string(struct ts_buf *out, const char *s, size_t n)
{
	TS_GUARD(ts_buf_puts(out, "\""));
	size_t i = 0;
	while (i < n) {
		unsigned cp = next_cp((const uint8_t *)s, n, &i);
		const char *esc = cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" : cp == '\n' ? "\\n"
				: cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : cp == '\b' ? "\\b"
				: cp == '\f' ? "\\f" : NULL;
		if (esc != NULL) {
			TS_GUARD(ts_buf_puts(out, esc));
		} else if (cp >= 0x20 && cp < 0x7F) {
			char c = (char)cp;
			TS_GUARD(ts_buf_append(out, &c, 1));
		} else if (cp < 0x10000) {
			TS_GUARD(ts_buf_printf(out, "\\u%04x", cp));
		} else {
			unsigned v = cp - 0x10000;
			TS_GUARD(ts_buf_printf(out, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)));
		}
	}
	return ts_buf_puts(out, "\"");
}

static ts_result
put_indent(struct ts_buf *out, size_t level)
{
	return ts_buf_repeat(out, ' ', 2 * level);
}

/* s[0..n) without its CR bytes, in runs. */
static ts_result
put_without_cr(struct ts_buf *out, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\r') {
			TS_GUARD(ts_buf_append(out, s + start, i - start));
			start = i + 1;
		}
	}
	return TS_OK;
}

static ts_result
put_multiline(struct ts_buf *out, const char *s, size_t n, size_t level)
{
	size_t lines = 1;
	for (size_t i = 0; i < n; i++) {
		lines += s[i] == '\n';
	}
	if (lines == 1) {
		TS_GUARD(ts_buf_puts(out, "'''"));
		TS_GUARD(put_without_cr(out, s, n));
		return ts_buf_puts(out, "'''");
	}
	TS_GUARD(ts_buf_puts(out, "\n"));
	TS_GUARD(put_indent(out, level + 1));
	TS_GUARD(ts_buf_puts(out, "'''"));
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\n') {
			continue;
		}
		TS_GUARD(ts_buf_puts(out, "\n"));
		int empty = 1;
		for (size_t j = start; j < i; j++) {
			empty &= s[j] == '\r';
		}
		if (!empty) {
			TS_GUARD(put_indent(out, level + 1));
		}
		TS_GUARD(put_without_cr(out, s + start, i - start));
		start = i + 1;
	}
	TS_GUARD(ts_buf_puts(out, "\n"));
	TS_GUARD(put_indent(out, level + 1));
	return ts_buf_puts(out, "'''");
}

enum str_form { FORM_EMPTY, FORM_BARE, FORM_QUOTED, FORM_MULTILINE, FORM_JSON };

static enum str_form
string_form(const char *s, size_t n, int *multi_line)
{
	struct str_facts f;
	*multi_line = 0;
	if (n == 0) {
		return FORM_EMPTY;
	}
	scan_string(s, n, &f);
	if (!needs_quotes(s, n, &f)) {
		return FORM_BARE;
	}
	if (!f.has_bs_quote && !f.special) {
		return FORM_QUOTED;
	}
	if (memmem(s, n, "'''", 3) == NULL && !f.all_space && !f.special_ml) {
		*multi_line = memchr(s, '\n', n) != NULL;
		/*
		 * Blocks the Hjson rules allow but that do not read back as written
		 * become JSON strings instead: a one-line block starting with
		 * whitespace (it is skipped) or ending in a quote ('''x''''), and
		 * any text with a CR (blocks drop CRs).
		 */
		int one_line_ok = (unsigned char)s[0] > ' ' && s[n - 1] != '\'';
		if (memchr(s, '\r', n) == NULL && (*multi_line || one_line_ok)) {
			return FORM_MULTILINE;
		}
		*multi_line = 0;
	}
	return FORM_JSON;
}

ts_result
ts_hjson_dump_string(const char *s, size_t n, size_t level, struct ts_buf *out)
{
	int ml;
	switch (string_form(s, n, &ml)) {
	case FORM_EMPTY:
		return ts_buf_puts(out, "\"\"");
	case FORM_BARE:
		return ts_buf_append(out, s, n);
	case FORM_QUOTED:
		TS_GUARD(ts_buf_puts(out, "\""));
		TS_GUARD(ts_buf_append(out, s, n));
		return ts_buf_puts(out, "\"");
	case FORM_MULTILINE:
		return put_multiline(out, s, n, level);
	case FORM_JSON:
		return put_json_string(out, s, n);
	default:
		TS_BAIL(TS_ERR_INTERNAL);
	}
}

/* Whether emit(v) starts with a newline, which selects the ":" separator. */
static int
starts_on_new_line(const json_t *v)
{
	int ml = 0;
	if (json_is_object(v)) {
		return json_object_size(v) > 0;
	}
	if (json_is_array(v)) {
		return json_array_size(v) > 0;
	}
	/* Only a multi-line block starts on a new line, and it needs a newline inside. */
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_value(v)[0] != '\0' &&
	    memchr(json_string_value(v), '\n', json_string_length(v)) != NULL) {
		(void)string_form(json_string_value(v), json_string_length(v), &ml);
	}
	return ml;
}

static ts_result
put_key(struct ts_buf *out, const char *k)
{
	size_t n = strlen(k);
	int plain = n > 0 && memmem(k, n, "//", 2) == NULL && memmem(k, n, "/*", 2) == NULL;
	for (size_t i = 0; plain && i < n; i++) {
		/* Control characters as well: the reader treats them as white space. */
		plain = strchr(",{[}]:#\"'", k[i]) == NULL && (unsigned char)k[i] > ' ' && k[i] != 0x7f;
	}
	if (plain) {
		return ts_buf_append(out, k, n);
	}
	return put_json_string(out, k, n);
}

static ts_result emit(struct writer *w, json_t *v, size_t level, int bare, size_t depth);

static ts_result
emit_object(struct writer *w, json_t *v, size_t level, int bare, size_t depth)
{
	const char *k;
	json_t *x;
	if (!bare) {
		TS_GUARD(ts_buf_puts(w->out, "\n"));
		TS_GUARD(put_indent(w->out, level));
	}
	TS_GUARD(ts_buf_puts(w->out, "{"));
	json_object_foreach(v, k, x) {
		TS_GUARD(ts_buf_puts(w->out, "\n"));
		TS_GUARD(put_indent(w->out, level + 1));
		TS_GUARD(put_key(w->out, k));
		TS_GUARD(ts_buf_puts(w->out, starts_on_new_line(x) ? ":" : ": "));
		TS_GUARD(emit(w, x, level + 1, 0, depth + 1));
	}
	TS_GUARD(ts_buf_puts(w->out, "\n"));
	TS_GUARD(put_indent(w->out, level));
	return ts_buf_puts(w->out, "}");
}

static ts_result
emit_array(struct writer *w, json_t *v, size_t level, int bare, size_t depth)
{
	size_t i;
	json_t *x;
	if (!bare) {
		TS_GUARD(ts_buf_puts(w->out, "\n"));
		TS_GUARD(put_indent(w->out, level));
	}
	TS_GUARD(ts_buf_puts(w->out, "["));
	json_array_foreach(v, i, x) {
		TS_GUARD(ts_buf_puts(w->out, "\n"));
		TS_GUARD(put_indent(w->out, level + 1));
		TS_GUARD(emit(w, x, level + 1, 1, depth + 1));
	}
	TS_GUARD(ts_buf_puts(w->out, "\n"));
	TS_GUARD(put_indent(w->out, level));
	return ts_buf_puts(w->out, "]");
}

static ts_result
emit_scalar(struct writer *w, const json_t *v, size_t level)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) > 1 && json_string_value(v)[0] == '\0') {
			return ts_buf_append(w->out, json_string_value(v) + 1, json_string_length(v) - 1);
		}
		return ts_hjson_dump_string(json_string_value(v), json_string_length(v), level, w->out);
	case JSON_INTEGER:
		return ts_buf_printf(w->out, "%lld", (long long)json_integer_value(v));
	case JSON_TRUE:
		return ts_buf_puts(w->out, "true");
	case JSON_FALSE:
		return ts_buf_puts(w->out, "false");
	case JSON_NULL:
		return ts_buf_puts(w->out, "null");
	case JSON_REAL:
	case JSON_OBJECT:
	case JSON_ARRAY:
	default:
		TS_BAILF(TS_ERR_SCHEMA, "real numbers cannot be written in this format");
	}
}

static ts_result
emit(struct writer *w, json_t *v, size_t level, int bare, size_t depth)
{
	TS_ENSURE(depth <= TS_HJSON_MAX_DEPTH, TS_ERR_RANGE);
	if (w->subst != NULL) {
		int handled = 0;
		TS_GUARD(w->subst(w->ctx, v, w->out, &handled));
		if (handled) {
			return TS_OK;
		}
	}
	if (json_is_object(v) && json_object_size(v) == 0) {
		return ts_buf_puts(w->out, "{}");
	}
	if (json_is_array(v) && json_array_size(v) == 0) {
		return ts_buf_puts(w->out, "[]");
	}
	if (json_is_object(v)) {
		return emit_object(w, v, level, bare, depth);
	}
	if (json_is_array(v)) {
		return emit_array(w, v, level, bare, depth);
	}
	return emit_scalar(w, v, level);
}

ts_result
ts_hjson_dump(json_t *root, struct ts_buf *out, ts_hjson_subst_fn subst, void *ctx)
{
	TS_ENSURE_REF(root);
	TS_ENSURE_REF(out);
	struct writer w = { out, subst, ctx };
	return emit(&w, root, 0, 1, 0);
}
