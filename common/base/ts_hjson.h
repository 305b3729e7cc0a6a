#ifndef TS_COMMON_BASE_TS_HJSON_H
#define TS_COMMON_BASE_TS_HJSON_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/bn.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * Hjson (hjson.github.io) reader into jansson trees, and the writer of the
 * OpenTitan dump format (spec/secrets.md §7.5).
 *
 * Integers that fit in int64 become json_integer.  Larger ones are kept as
 * their decimal digits in a "big integer" node (a jansson string whose first
 * byte is NUL, which no parsed string can hold: the reader rejects NUL in
 * strings); use the ts_hjson_int_* helpers rather than jansson's accessors.
 * Objects keep their key order (jansson >= 2.8 iterates in insertion order).
 * Nesting deeper than TS_HJSON_MAX_DEPTH is refused, so code walking a
 * parsed tree recursively is bounded.
 */

#define TS_HJSON_MAX_DEPTH 64
#define TS_HJSON_MAX_INPUT (16u * 1024u * 1024u)

/* A parsed document: the tree plus the source position of every value. */
struct ts_hjson_doc;

/*
 * Parses len bytes of Hjson text.  name (a file name) prefixes error
 * messages as "name:line:col: ...".  On success *out owns the document
 * (free with ts_hjson_doc_free).  Returns TS_ERR_PARSE with position on
 * malformed input, TS_ERR_RANGE past the size or depth limits, TS_ERR_NOMEM.
 */
TS_RESULT ts_hjson_parse(const char *text, size_t len, const char *name, struct ts_hjson_doc **out);

/* Reads path (no symlinks, regular file, size-capped) and parses it. */
TS_RESULT ts_hjson_load(const char *path, struct ts_hjson_doc **out);

/* The root value, borrowed from doc. */
json_t *ts_hjson_root(const struct ts_hjson_doc *doc);

/* The name given at parse time, borrowed from doc. */
const char *ts_hjson_name(const struct ts_hjson_doc *doc);

/*
 * The 1-based line and column where v starts, or 0/0 when v was not parsed
 * from doc.  Used to name a position in schema errors.
 */
void ts_hjson_where(const struct ts_hjson_doc *doc, const json_t *v, int *line, int *col);

void ts_hjson_doc_free(struct ts_hjson_doc *doc);

/*
 * Records a failure with code whose message is "name:line:col: <fmt...>",
 * the position being where the value at starts in doc.  For schema errors
 * found after parsing.  The message must not hold secret values.
 */
ts_result ts_hjson_fail_at(int code, const struct ts_hjson_doc *doc, const json_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* True for json_integer and big-integer nodes. */
int ts_hjson_is_int(const json_t *v);

/* The text of a string node (not a big integer), else NULL. */
const char *ts_hjson_string(const json_t *v);

/* Creates a big-integer node from decimal digits with optional leading '-'. */
json_t *ts_hjson_bigint_new(const char *digits, size_t len);

/*
 * Converts an integer node (either kind) into bn (caller-owned).
 * TS_ERR_SCHEMA if v is not an integer node.
 */
TS_RESULT ts_hjson_int_to_bn(const json_t *v, BIGNUM *bn);

/*
 * Reads an integer node into *out if it is in [0, max].  TS_ERR_SCHEMA if it
 * is not an integer, TS_ERR_RANGE if out of range.
 */
TS_RESULT ts_hjson_int_to_u64(const json_t *v, unsigned long long max, unsigned long long *out);

/*
 * A writer hook: called for every value before it is written.  Set *handled
 * to 1 after appending the value's text to out to replace it; leave it 0 to
 * let the writer emit v.  Generated secret values are written this way, so
 * they never sit in a json_t.
 */
typedef ts_result (*ts_hjson_subst_fn)(void *ctx, const json_t *v, struct ts_buf *out, int *handled);

/*
 * Appends the OpenTitan dump of root (spec/secrets.md §7.5, without the
 * final newline) to out.  subst may be NULL.  TS_ERR_SCHEMA for values the
 * format cannot hold (reals), TS_ERR_RANGE past TS_HJSON_MAX_DEPTH.
 */
TS_RESULT ts_hjson_dump(json_t *root, struct ts_buf *out, ts_hjson_subst_fn subst, void *ctx);

/* Appends s as the writer would print a string value at indent level level. */
TS_RESULT ts_hjson_dump_string(const char *s, size_t len, size_t level, struct ts_buf *out);

TS_DEFINE_AUTO(json_t, json_decref)
TS_DEFINE_AUTO(struct ts_hjson_doc, ts_hjson_doc_free)
TS_DEFINE_AUTO(BIGNUM, BN_clear_free)

#endif
