#ifndef TS_COMMON_BASE_TS_HJSON_INT_H
#define TS_COMMON_BASE_TS_HJSON_INT_H

#include <stddef.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"

/*
 * Internal to the Hjson reader (ts_hjson.c: structure and documents;
 * ts_hjson_scan.c: the scanner); nothing outside common/base/ includes this.
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

static inline int
peek(const struct parser *p, size_t k)
{
	return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : 0;
}

static inline int
at_end(const struct parser *p)
{
	return p->i >= p->len;
}

/* Advances one byte, counting lines and (UTF-8) columns. */
static inline void
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
static inline void
adv_n(struct parser *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		p->col += ((unsigned char)p->s[p->i + k] & 0xC0) != 0x80;
	}
	p->i += n;
}

/* A TS_ERR_PARSE failure "name:line:col: message". */
TS_RESULT ts_hjson_perr(const struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define PERR(p, ...) ts_hjson_perr((p), (p)->line, (p)->col, __VA_ARGS__)

/* A character for a message: 'c' when printable, "0x.." otherwise, "end of input" for 0; tmp holds 8. */
const char *ts_hjson_show_char(int c, char *tmp);

/* Validates UTF-8 and refuses NUL in the whole text, so every later string is valid for jansson. */
TS_RESULT ts_hjson_check_text(struct parser *p);

/* Skips white space and comments. */
TS_RESULT ts_hjson_skip_white(struct parser *p);

/* A "..." or '...' string at p into b. */
TS_RESULT ts_hjson_read_quoted(struct parser *p, struct ts_buf *b);

/* A '''...''' multi-line string at p into b. */
TS_RESULT ts_hjson_read_multiline(struct parser *p, struct ts_buf *b);

/* A quoteless value at p: keyword, number or the rest of the line (new reference in *out). */
TS_RESULT ts_hjson_read_quoteless(struct parser *p, json_t **out);

/* True for the punctuators that end a quoteless key or cannot start a value: {}[],: */
int ts_hjson_is_punct(int c);

#endif
