#include "common/tree/ts_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/tree/ts_tree_int.h"

static ts_result
file_json(const struct ts_tree_file *f, const struct ts_buf *after, json_t *files)
{
	char before_hex[65], after_hex[65];
	TS_GUARD(ts_sha256_hex(f->text.data, f->text.len, before_hex));
	TS_GUARD(ts_sha256_hex(after->data, after->len, after_hex));
	json_t *edits = json_array();
	json_t *o = json_pack("{s:s,s:s,s:s,s:o*}", "path", f->rel, "sha256_before", before_hex, "sha256_after",
			      after_hex, "edits", edits);
	TS_ENSURE(o != NULL && json_array_append_new(files, o) == 0, TS_ERR_NOMEM);
	for (size_t i = 0; i < f->n; i++) {
		json_t *e = json_pack("{s:I,s:s,s:s}", "offset", (json_int_t)f->e[i].off, "old", f->e[i].old, "new",
				      f->e[i].new);
		TS_ENSUREF(e != NULL && json_array_append_new(edits, e) == 0, TS_ERR_SCHEMA,
			   "%s: an edit is not UTF-8 text", f->path);
	}
	return TS_OK;
}

ts_result
ts_tree_record_build(const struct ts_tree *t, const struct ts_buf *after[2], const char *otp_cmd, int purged,
		     json_t **out)
{
	TS_ENSURE(t != NULL && after != NULL && out != NULL, TS_ERR_NULL);
	TS_AUTO(json_t, json_decref) files = json_array();
	TS_ENSURE(files != NULL, TS_ERR_NOMEM);
	const struct ts_tree_file *fs[2] = { &t->simcfg, &t->defs };
	for (size_t i = 0; i < 2; i++) {
		if (fs[i]->present && fs[i]->n > 0) {
			TS_GUARD(file_json(fs[i], after[i], files));
		}
	}
	json_t *rec = json_pack("{s:s,s:s,s:s?,s:b,s:O}", "tool", "tapeseal-secure switch", "top", t->top, "otp_cmd",
				otp_cmd, "purged_testing", purged, "files", files);
	TS_ENSURE(rec != NULL, TS_ERR_NOMEM);
	*out = rec;
	return TS_OK;
}

static int
is_hex64(const char *s)
{
	return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static ts_result
load_edits(const json_t *edits, const char *name, struct ts_tree_file *f)
{
	ts_tree_edits_free(f);
	TS_ENSUREF(json_is_array(edits) && json_array_size(edits) <= TS_TREE_MAX_EDITS, TS_ERR_SCHEMA,
		   "%s: %s: 'edits' must be a list of at most %d", name, f->rel, TS_TREE_MAX_EDITS);
	size_t prev_end = 0;
	for (size_t i = 0; i < json_array_size(edits); i++) {
		json_t *e = json_array_get(edits, i);
		json_t *off = json_object_get(e, "offset");
		const char *old = json_string_value(json_object_get(e, "old"));
		const char *new = json_string_value(json_object_get(e, "new"));
		TS_ENSUREF(json_is_integer(off) && json_integer_value(off) >= 0 && old != NULL && new != NULL,
			   TS_ERR_SCHEMA, "%s: %s: edit %zu needs offset, old and new", name, f->rel, i + 1);
		size_t o = (size_t)json_integer_value(off);
		TS_ENSUREF(o >= prev_end && o <= TS_TREE_MAX_FILE, TS_ERR_SCHEMA, "%s: %s: edits out of order", name,
			   f->rel);
		TS_GUARD(ts_tree_edit_add(f, o, old, strlen(old), new));
		prev_end = o + strlen(old);
	}
	return TS_OK;
}

ts_result
ts_tree_record_file(const json_t *rec, const char *name, struct ts_tree_file *f, char before[65], char after[65],
		    int *found)
{
	TS_ENSURE(rec != NULL && f != NULL && found != NULL, TS_ERR_NULL);
	json_t *files = json_object_get(rec, "files");
	TS_ENSUREF(json_is_array(files), TS_ERR_SCHEMA, "%s: no 'files' list; is it a switch record?", name);
	*found = 0;
	for (size_t i = 0; i < json_array_size(files); i++) {
		json_t *x = json_array_get(files, i);
		const char *path = json_string_value(json_object_get(x, "path"));
		if (path == NULL || strcmp(path, f->rel) != 0) {
			continue;
		}
		const char *b = json_string_value(json_object_get(x, "sha256_before"));
		const char *a = json_string_value(json_object_get(x, "sha256_after"));
		TS_ENSUREF(is_hex64(b) && is_hex64(a), TS_ERR_SCHEMA, "%s: %s: bad sha256_before/sha256_after", name,
			   path);
		memcpy(before, b, 65);
		memcpy(after, a, 65);
		*found = 1;
		return load_edits(json_object_get(x, "edits"), name, f);
	}
	return TS_OK;
}
