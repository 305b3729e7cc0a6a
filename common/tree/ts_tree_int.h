#ifndef TS_COMMON_TREE_TS_TREE_INT_H
#define TS_COMMON_TREE_TS_TREE_INT_H

#include <stddef.h>

#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"
#include "common/tree/ts_tree.h"

/*
 * Internal to the tree switch (ts_tree_text.c: positions and scanning of
 * Hjson and Starlark text; ts_tree_plan.c, ts_tree_status.c); nothing outside
 * common/tree/ includes this.
 */

/* Offset of the line holding off, and of the '\n' ending it (or len). */
size_t ts_tree_line_start(const char *s, size_t off);
size_t ts_tree_line_end(const char *s, size_t len, size_t off);

/* 1-based line number of off. */
int ts_tree_line_no(const char *s, size_t off);

/* Byte offset of 1-based line and column, or len when out of range. */
size_t ts_tree_offset(const char *s, size_t len, int line, int col);

/* Where value v of doc starts in s (its first byte), or len when unknown. */
size_t ts_tree_value_off(const struct ts_hjson_doc *doc, const json_t *v, const char *s, size_t len);

/*
 * A quoted Hjson string ("...", '...' or '''...''') starting at off: *end is
 * one past its closing quote.  TS_ERR_SCHEMA when s[off] is not a quote or
 * the string does not end.
 */
TS_RESULT ts_tree_string_end(const char *s, size_t len, size_t off, size_t *end);

/*
 * A list of quoted strings whose '[' is at off: *last_end is one past the
 * last element (0 for an empty list), *close the offset of its ']'.
 * TS_ERR_SCHEMA for other elements (the switch edits string lists only).
 */
TS_RESULT ts_tree_list_scan(const char *s, size_t len, size_t off, size_t *last_end, size_t *close);

/* True when the line holding off is `<indent>key<spaces>:`... (a top-level key line). */
int ts_tree_is_key_line(const char *s, size_t len, size_t off, const char *key);

/* Length of the leading blanks of the line starting at ls. */
size_t ts_tree_indent(const char *s, size_t len, size_t ls);

/*
 * The Starlark dict `secret_cfgs = { ... }` of defs.bzl: offsets of '{' and
 * its '}'.  *found is 0 when there is none; TS_ERR_SCHEMA (with path:line)
 * when there are two or the dict does not close.
 */
TS_RESULT ts_tree_bzl_dict(const char *path, const char *s, size_t len, size_t *open, size_t *close, int *found);

/* Adds an edit to f (kept ascending).  TS_ERR_RANGE past TS_TREE_MAX_EDITS. */
TS_RESULT ts_tree_edit_add(struct ts_tree_file *f, size_t off, const char *old, size_t oldlen, const char *new);

/* True when list (a JSON array) holds the string item. */
int ts_tree_list_has(const json_t *list, const char *item);

/* True when s ends with suffix. */
int ts_tree_ends_with(const char *s, const char *suffix);

/* Warns (st->warn) for each fileset_tapeout core of the top's FuseSoC core that no core file names. */
TS_RESULT ts_tree_core_check(const struct ts_tree *t, struct ts_tree_status *st);

#endif
