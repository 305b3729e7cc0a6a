#include "secure/secure_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"

static json_t *
master_json(const struct secure_hsm_info *h)
{
	char id[2 * sizeof(h->attrs.id) + 1];
	ts_hex_encode(h->attrs.id, h->attrs.id_len, id);
	return json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:b}", "label", h->master_label, "id", id, "local",
			 h->attrs.local, "always_sensitive", h->attrs.always_sensitive, "never_extractable",
			 h->attrs.never_extractable, "extractable", h->attrs.extractable, "modifiable", h->attrs.modifiable);
}

static ts_result
files_json(const struct ts_outset *set, json_t *files)
{
	char hex[65];
	char mode[8];
	for (size_t i = 0; i < set->n; i++) {
		ts_result_ignore(ts_sha256_hex(set->f[i].data.data, set->f[i].data.len, hex));
		(void)snprintf(mode, sizeof(mode), "%04o", (unsigned)set->f[i].mode);
		json_t *f = json_pack("{s:s,s:s,s:I,s:s}", "path", set->f[i].rel, "sha256", hex, "size",
				      (json_int_t)set->f[i].data.len, "mode", mode);
		TS_ENSURE(f != NULL && json_array_append_new(files, f) == 0, TS_ERR_NOMEM);
	}
	return TS_OK;
}

static ts_result
commitments_json(const char *top_t, const struct ts_seeds *seeds, json_t *c)
{
	char hex[65];
	for (size_t i = 0; i < seeds->count; i++) {
		enum ts_seed_kind k = seeds->order[i];
		TS_GUARD(secure_commitment(top_t, ts_seed_name(k), &seeds->seed[k], hex));
		TS_ENSURE(json_object_set_new(c, ts_seed_name(k), json_string(hex)) == 0, TS_ERR_NOMEM);
	}
	return TS_OK;
}

static ts_result
fill(const struct secure_run_info *run, const struct ts_seeds *seeds, const struct ts_outset *set, json_t *root)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *files = json_array();
	json_t *comm = json_object();
	TS_ENSURE(files != NULL && comm != NULL, TS_ERR_NOMEM);
	TS_ENSURE(json_object_set_new(root, "files", files) == 0 && json_object_set_new(root, "seed_commitments", comm) == 0,
		  TS_ERR_NOMEM);
	TS_GUARD(files_json(set, files));
	TS_GUARD(commitments_json(run->top_t, seeds, comm));
	TS_ENSURE(gmtime_r(&now, &tm) != NULL && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0,
		  TS_ERR_INTERNAL);
	json_t *token = json_pack("{s:s,s:s,s:s}", "label", run->hsm->token_label, "serial", run->hsm->token_serial,
				  "model", run->hsm->token_model);
	json_t *hsm = json_pack("{s:s,s:o,s:o}", "uri", run->hsm_display, "token", token, "master",
				master_json(run->hsm));
	json_t *pol = json_pack("{s:s,s:s}", "source", run->policy->source, "sha256", run->policy->sha256);
	TS_ENSURE(hsm != NULL && pol != NULL, TS_ERR_NOMEM);
	int rc = json_object_set_new(root, "tool", json_string("tapeseal-secure")) |
		 json_object_set_new(root, "version", json_string(TAPESEAL_VERSION)) |
		 json_object_set_new(root, "mode", json_string("tapeout")) |
		 json_object_set_new(root, "top", json_string(run->top_t)) |
		 json_object_set_new(root, "time_utc", json_string(when)) |
		 json_object_set_new(root, "seed_version", json_integer(run->seed_version)) |
		 json_object_set_new(root, "hsm", hsm) | json_object_set_new(root, "policy", pol) |
		 json_object_set_new(root, "transcript_sha256", json_string(run->transcript_last));
	TS_ENSURE(rc == 0, TS_ERR_NOMEM);
	return TS_OK;
}

ts_result
secure_manifest_build(const struct secure_run_info *run, const struct ts_seeds *seeds, const struct ts_outset *set,
		      struct ts_buf *out)
{
	TS_AUTO(json_t, json_decref) root = json_object();
	TS_ENSURE(root != NULL, TS_ERR_NOMEM);
	TS_GUARD(fill(run, seeds, set, root));
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	TS_ENSURE(s != NULL, TS_ERR_NOMEM);
	ts_result r = ts_buf_printf(out, "%s\n", s);
	free(s);
	return r;
}

static const char *const compared[] = { "tool", "mode", "top", "seed_version", "seed_commitments", "files" };

ts_result
secure_manifest_compare(const struct ts_buf *disk, const struct ts_buf *fresh, const char *name)
{
	json_error_t err;
	TS_AUTO(json_t, json_decref) a = json_loadb((const char *)disk->data, disk->len, JSON_REJECT_DUPLICATES, &err);
	TS_AUTO(json_t, json_decref) b = json_loadb((const char *)fresh->data, fresh->len, JSON_REJECT_DUPLICATES, &err);
	TS_ENSUREF(a != NULL, TS_ERR_DIFFERS, "%s: not valid JSON (line %d)", name, err.line);
	TS_ENSURE(b != NULL, TS_ERR_INTERNAL);
	for (size_t i = 0; i < sizeof(compared) / sizeof(compared[0]); i++) {
		TS_ENSUREF(json_equal(json_object_get(a, compared[i]), json_object_get(b, compared[i])), TS_ERR_DIFFERS,
			   "%s: '%s' differs from a fresh derivation", name, compared[i]);
	}
	json_t *ma = json_object_get(json_object_get(a, "hsm"), "master");
	json_t *mb = json_object_get(json_object_get(b, "hsm"), "master");
	TS_ENSUREF(json_equal(ma, mb), TS_ERR_DIFFERS, "%s: the master key differs from the one used now", name);
	return TS_OK;
}

ts_result
secure_transcript_check(const struct ts_buf *text, const char *name, char last[65])
{
	char prev[65];
	memset(prev, '0', 64);
	prev[64] = '\0';
	size_t start = 0;
	for (size_t i = 0; i < text->len; i++) {
		if (text->data[i] != '\n') {
			continue;
		}
		json_error_t err;
		TS_AUTO(json_t, json_decref) o = json_loadb((const char *)text->data + start, i - start, 0, &err);
		const char *p = json_string_value(json_object_get(o, "prev"));
		TS_ENSUREF(p != NULL && strcmp(p, prev) == 0, TS_ERR_DIFFERS, "%s: hash chain broken at byte %zu", name,
			   start);
		ts_result_ignore(ts_sha256_hex(text->data + start, i - start, prev));
		start = i + 1;
	}
	TS_ENSUREF(start == text->len && start > 0, TS_ERR_DIFFERS, "%s: empty or truncated", name);
	memcpy(last, prev, 65);
	return TS_OK;
}
