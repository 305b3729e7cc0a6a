#include "secure/secure_cmds.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/base/ts_file.h"
#include "common/base/ts_stage.h"
#include "common/tree/ts_tree.h"
#include "secure/secure_manifest.h"

static const char usage[] =
	"Usage: tapeseal-secure switch --tree DIR --top NAME --to tapeout|testing [options]\n"
	"\n"
	"Puts the top DIR/hw/top_<NAME> of an OpenTitan checkout on its tapeout secrets, or back.\n"
	"--to tapeout first checks the tapeout artifacts against tapeseal-manifest.tapeout.json, then\n"
	"edits, keeping every other byte, comment and indentation:\n"
	"  dv/chip_sim_cfg.hjson  a top-level sv_flist_gen_flags: [\"--flag=fileset_tapeout\"] (dvsim appends\n"
	"                         it to the imported flags), \"--//hw/top:seed=tapeout\" in sw_build_opts, and\n"
	"                         gen_otp_top_secret_cfg naming the .secrets.tapeout.gen.hjson file;\n"
	"  defs.bzl               a \"tapeout\" entry in secret_cfgs after the \"testing\" one.\n"
	"A top without dv/chip_sim_cfg.hjson gets the Bazel edit only.  The edited files and the record\n"
	"tapeseal-switch.tapeout.json (original SHA-256s and the edits) change together or not at all;\n"
	"a second --to tapeout changes nothing.  --to testing puts back the exact original bytes.\n"
	"\n"
	"Options:\n"
	"  --tree DIR        the checkout root\n"
	"  --top NAME        the top (e.g. earlgrey)\n"
	"  --to MODE         tapeout or testing\n"
	"  --otp-cmd BIN     (tapeout) gen_otp_images_cmd becomes \"BIN otp-image\": dvsim builds its OTP\n"
	"                    images with tapeseal (BIN: the path of tapeseal-secure)\n"
	"  --purge-testing   (tapeout) then delete the testing artifacts, as purge-testing does\n"
	"  --force           (testing) undo the switch's edits in files changed since, keeping the other\n"
	"                    changes\n"
	"  --dry-run         print the edits, change nothing\n"
	"  --json            print one JSON object\n"
	"\n"
	"Exit status: 0 switched (or nothing to change), 1 refused or failed (nothing changed), 2 usage.\n";

struct switch_opts {
	const char *tree, *top, *to, *otp_cmd;
	int purge, force, dry_run, json;
};

static int
parse(int argc, char **argv, struct switch_opts *o)
{
	static const struct option longopts[] = {
		{ "tree", required_argument, NULL, 'T' },   { "top", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 'm' },     { "otp-cmd", required_argument, NULL, 'c' },
		{ "purge-testing", no_argument, NULL, 'p' }, { "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },      { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T': o->tree = optarg; break;
		case 't': o->top = optarg; break;
		case 'm': o->to = optarg; break;
		case 'c': o->otp_cmd = optarg; break;
		case 'p': o->purge = 1; break;
		case 'f': o->force = 1; break;
		case 'n': o->dry_run = 1; break;
		case 'j': o->json = 1; break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "tapeseal-secure switch: unknown or incomplete option '%s'; see "
					"'tapeseal-secure switch --help'\n", argv[optind - 1]);
			return 2;
		}
	}
	const char *err = optind < argc				? "unexpected argument"
			  : o->tree == NULL || o->top == NULL || o->to == NULL ? "--tree, --top and --to are required"
			  : strcmp(o->to, "tapeout") != 0 && strcmp(o->to, "testing") != 0 ? "--to is tapeout or testing"
			  : o->to[1] == 'e' && (o->otp_cmd != NULL || o->purge) ? "--otp-cmd and --purge-testing go with --to tapeout"
			  : o->to[1] == 'a' && o->force ? "--force goes with --to testing"
											: NULL;
	if (err != NULL) {
		fprintf(stderr, "tapeseal-secure switch: %s; see 'tapeseal-secure switch --help'\n", err);
		return 2;
	}
	return 0;
}

/* The tapeout artifacts are there and are what the manifest says (hashes only; no HSM). */
static ts_result
check_manifest(const struct ts_tree *t)
{
	char path[PATH_MAX + 64], hex[65];
	TS_BUF(b);
	json_error_t jerr;
	(void)snprintf(path, sizeof(path), "%s/%s", t->topdir, SECURE_MANIFEST_NAME);
	if (ts_file_read(path, 16u << 20, &b).code != 0) {
		ts_error_clear();
		TS_BAILF(TS_ERR_DIFFERS, "%s: not readable, so the tapeout artifacts are not there; run "
			 "'tapeseal-secure generate --outdir %s' first", path, t->topdir);
	}
	TS_AUTO(json_t, json_decref) m = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *mode = json_string_value(json_object_get(m, "mode"));
	const char *top = json_string_value(json_object_get(m, "top"));
	json_t *files = json_object_get(m, "files");
	TS_ENSUREF(mode != NULL && strcmp(mode, "tapeout") == 0 && top != NULL && json_is_array(files), TS_ERR_DIFFERS,
		   "%s: not a tapeseal-secure manifest; run 'tapeseal-secure generate' for the top", path);
	TS_ENSUREF(strcmp(top, t->top) == 0, TS_ERR_DIFFERS, "%s: is the manifest of top '%s', not '%s'", path, top,
		   t->top);
	for (size_t i = 0; i < json_array_size(files); i++) {
		const char *rel = json_string_value(json_object_get(json_array_get(files, i), "path"));
		const char *sha = json_string_value(json_object_get(json_array_get(files, i), "sha256"));
		TS_ENSUREF(rel != NULL && sha != NULL && rel[0] != '/' && strstr(rel, "..") == NULL, TS_ERR_DIFFERS,
			   "%s: file %zu has no relative path and sha256", path, i + 1);
		(void)snprintf(path, sizeof(path), "%s/%s", t->topdir, rel);
		if (ts_file_sha256(path, hex).code != 0) {
			ts_error_clear();
			TS_BAILF(TS_ERR_DIFFERS, "%s: missing; run 'tapeseal-secure generate' for the top, then switch",
				 path);
		}
		TS_ENSUREF(strcmp(hex, sha) == 0, TS_ERR_DIFFERS,
			   "%s: differs from %s; run 'tapeseal-secure verify' (or generate --force) first", path,
			   SECURE_MANIFEST_NAME);
	}
	return TS_OK;
}

/* The edits of f as {line, old, new} (line in the original text orig) into list. */
static ts_result
edits_json(const struct ts_tree_file *f, const struct ts_buf *orig, int undo, json_t *list)
{
	for (size_t i = 0; i < f->n; i++) {
		int line = 1;
		for (size_t k = 0; k < f->e[i].off && k < orig->len; k++) {
			line += orig->data[k] == '\n';
		}
		json_t *e = json_pack("{s:i,s:s,s:s}", "line", line, "old", undo ? f->e[i].new : f->e[i].old, "new",
				      undo ? f->e[i].old : f->e[i].new);
		TS_ENSURE(e != NULL && json_array_append_new(list, e) == 0, TS_ERR_NOMEM);
	}
	return TS_OK;
}

/* "  hw/top_<t>/<rel>:<line>: add|replace ..." for each edit of a reported file. */
static void
print_edits(const json_t *file)
{
	const char *path = json_string_value(json_object_get(file, "path"));
	json_t *edits = json_object_get(file, "edits");
	for (size_t i = 0; i < json_array_size(edits); i++) {
		json_t *e = json_array_get(edits, i);
		const char *a = json_string_value(json_object_get(e, "old"));
		const char *b = json_string_value(json_object_get(e, "new"));
		const char *shown = *a == '\0' ? b : *b == '\0' ? a : NULL;
		const char *last = shown;
		for (const char *p = shown; p != NULL && *p != '\0'; p++) {
			last = p[0] == '\n' && p[1] != '\0' && p[1] != '\n' ? p + 1 : last;
		}
		if (last != NULL) {
			last += strspn(last, " \t,");
			printf("  %s:%d: %s %.*s\n", path, (int)json_integer_value(json_object_get(e, "line")),
			       *a == '\0' ? "add" : "remove", (int)strcspn(last, "\n"), last);
		} else {
			printf("  %s:%d: replace %s with %s\n", path, (int)json_integer_value(json_object_get(e, "line")),
			       a, b);
		}
	}
}

struct plan {
	struct ts_outset set;
	json_t *files; /* the report's per-file list */
	size_t changed;
};

/* Adds f's new text to the set (when it has edits) and to the report; orig is the unswitched text. */
static ts_result
stage_file(const struct ts_tree *t, const struct ts_tree_file *f, const struct ts_buf *text,
	   const struct ts_buf *orig, int undo, struct plan *p)
{
	json_t *edits = json_array();
	json_t *o = json_pack("{s:o,s:s,s:o}", "path", json_sprintf("hw/top_%s/%s", t->top, f->rel), "status",
			      f->n ? (undo ? "restored" : "changed") : "unchanged", "edits", edits);
	TS_ENSURE(o != NULL && json_array_append_new(p->files, o) == 0, TS_ERR_NOMEM);
	TS_GUARD(edits_json(f, orig, undo, edits));
	if (f->n == 0) {
		return TS_OK;
	}
	struct ts_out_file *of = &p->set.f[p->set.n++];
	(void)snprintf(of->rel, sizeof(of->rel), "%s", f->rel);
	of->mode = f->mode;
	p->changed++;
	return ts_buf_append(&of->data, text->data, text->len);
}

static ts_result
stage_record(const struct ts_tree *t, const struct ts_buf *after[2], const struct switch_opts *o, struct plan *p)
{
	TS_AUTO(json_t, json_decref) rec = NULL;
	TS_GUARD(ts_tree_record_build(t, after, o->otp_cmd, o->purge, &rec));
	char *text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	TS_ENSURE(text != NULL, TS_ERR_NOMEM);
	struct ts_out_file *of = &p->set.f[p->set.n++];
	(void)snprintf(of->rel, sizeof(of->rel), "%s", TS_TREE_RECORD);
	of->mode = 0644;
	ts_result r = ts_buf_printf(&of->data, "%s\n", text);
	free(text);
	return r;
}

static int
report(const struct ts_tree *t, const struct switch_opts *o, struct plan *p, const char *what)
{
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:O,s:s}", "tree", t->root, "top", t->top, "to", o->to, "dry_run",
				      o->dry_run, "files", p->files, "result", what);
		char *text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (text != NULL) {
			printf("%s\n", text);
		}
		free(text);
		json_decref(j);
		return 0;
	}
	for (size_t i = 0; i < json_array_size(p->files); i++) {
		print_edits(json_array_get(p->files, i));
	}
	printf("tapeseal-secure switch: top %s %s\n", t->top, what);
	return 0;
}

/* Commits the set under the top directory (all files or none) unless it is a dry run. */
static ts_result
commit(const struct ts_tree *t, const struct switch_opts *o, struct plan *p)
{
	enum ts_file_status st[TS_OUT_MAX];
	if (o->dry_run || p->changed == 0) {
		return TS_OK;
	}
	ts_result r = ts_stage_commit(t->topdir, &p->set, 1, st);
	secure_recovery_note("switch");
	return r;
}

static int
to_tapeout(struct ts_tree *t, const struct switch_opts *o, struct plan *p)
{
	TS_BUF(sim);
	TS_BUF(defs);
	const struct ts_buf *after[2] = { &sim, &defs };
	char rec[PATH_MAX + 64];
	(void)snprintf(rec, sizeof(rec), "%s/%s", t->topdir, TS_TREE_RECORD);
	ts_result r = check_manifest(t);
	r = r.code ? r : ts_tree_plan(t, o->otp_cmd);
	r = r.code || !t->simcfg.present ? r : ts_tree_apply(&t->simcfg, &sim);
	r = r.code ? r : ts_tree_apply(&t->defs, &defs);
	if (r.code == 0 && t->simcfg.n + t->defs.n > 0 && access(rec, F_OK) == 0) {
		r = ts_failf(TS_ERR_EXISTS, __FILE__, __LINE__, "%s: the top is switched already and this run would "
				"edit more (another --otp-cmd?); run 'switch --to testing' first, then switch again", rec);
	}
	if (t->simcfg.present) {
		r = r.code ? r : stage_file(t, &t->simcfg, &sim, &t->simcfg.text, 0, p);
	}
	r = r.code ? r : stage_file(t, &t->defs, &defs, &t->defs.text, 0, p);
	r = r.code || p->changed == 0 ? r : stage_record(t, after, o, p);
	r = r.code ? r : commit(t, o, p);
	if (r.code != 0) {
		return secure_fail("switch");
	}
	if (!t->simcfg.present && !o->json) {
		printf("note: %s does not exist: only the Bazel edit applies to this top\n", t->simcfg.path);
	}
	report(t, o, p, p->changed == 0 ? "is on tapeout already: nothing changed"
			: o->dry_run	? "would be switched to tapeout (dry run: nothing changed)"
					: "switched to tapeout");
	if (o->purge) {
		struct secure_opts po = { .outdir = t->topdir, .dry_run = o->dry_run };
		return secure_purge_run(&po);
	}
	return 0;
}

/* Puts f back from the record rec: exactly when f is as switched, else (force) the edits only. */
static ts_result
undo_file(struct ts_tree_file *f, const json_t *rec, const char *recpath, int force, struct ts_buf *out)
{
	char before[65], after[65], cur[65], got[65];
	int found;
	TS_GUARD(ts_tree_record_file(rec, recpath, f, before, after, &found));
	if (!found) {
		return TS_OK;
	}
	TS_ENSUREF(f->present, TS_ERR_IO, "%s: missing, and the switch edited it; restore it from version control",
		   f->path);
	TS_GUARD(ts_sha256_hex(f->text.data, f->text.len, cur));
	if (strcmp(cur, before) == 0) {
		ts_tree_edits_free(f); /* put back already (an interrupted switch back) */
		return TS_OK;
	}
	int exact = strcmp(cur, after) == 0;
	TS_ENSUREF(exact || force, TS_ERR_DIFFERS,
		   "%s: changed since the switch (its SHA-256 is not the record's); give --force to undo only the "
		   "switch's edits and keep the other changes", f->path);
	TS_GUARD(ts_tree_undo(f, &f->text, exact, out));
	TS_GUARD(ts_sha256_hex(out->data, out->len, got));
	TS_ENSUREF(!exact || strcmp(got, before) == 0, TS_ERR_INTERNAL, "%s: the undone text is not the original",
		   f->path);
	return TS_OK;
}

/* The testing artifacts the testing selectors need are there; else the public command that restores them. */
static ts_result
check_testing(const struct ts_tree *t)
{
	char secrets[PATH_MAX + 160], dir[PATH_MAX + 32];
	(void)snprintf(secrets, sizeof(secrets), "%s/data/autogen/top_%s.secrets.testing.gen.hjson", t->topdir, t->top);
	(void)snprintf(dir, sizeof(dir), "%s/rtl/autogen/testing", t->topdir);
	const char *missing = access(secrets, F_OK) != 0 ? secrets : access(dir, F_OK) != 0 ? dir : NULL;
	TS_ENSUREF(missing == NULL, TS_ERR_DIFFERS,
		   "%s is missing: the testing artifacts were purged; restore them with the public tool first: "
		   "tapeseal generate --structure %s/data/autogen/top_%s.secrets.tapeout.gen.hjson --seeds "
		   "%s/data/top_%s_seed.testing.hjson --outdir %s", missing, t->topdir, t->top, t->topdir, t->top,
		   t->topdir);
	return TS_OK;
}

/* No record: nothing to undo when every selector says testing already. */
static int
no_record(const struct ts_tree *t, const struct switch_opts *o, struct plan *p, const char *rec)
{
	static struct ts_tree_status st;
	if (ts_tree_status(t, &st).code != 0) {
		return secure_fail("switch");
	}
	for (int r = TS_ROW_FLIST; r <= TS_ROW_BAZEL; r++) {
		if (st.mode[r] != TS_TREE_NA && st.mode[r] != TS_TREE_TESTING) {
			fprintf(stderr, "tapeseal-secure switch: %s: not found, but the top is not on testing (%s); restore "
					"the files from version control\n", rec, ts_tree_mode_name(st.mode[r]));
			return 1;
		}
	}
	return report(t, o, p, "is on testing already: nothing changed");
}

static int
to_testing(struct ts_tree *t, const struct switch_opts *o, struct plan *p)
{
	TS_BUF(sim);
	TS_BUF(defs);
	TS_BUF(rb);
	char rec[PATH_MAX + 64];
	json_error_t jerr;
	(void)snprintf(rec, sizeof(rec), "%s/%s", t->topdir, TS_TREE_RECORD);
	if (access(rec, F_OK) != 0) {
		return no_record(t, o, p, rec);
	}
	ts_result r = ts_file_read(rec, 1u << 20, &rb);
	TS_AUTO(json_t, json_decref) j = r.code ? NULL : json_loadb((const char *)rb.data, rb.len, 0, &jerr);
	if (r.code == 0 && j == NULL) {
		r = ts_failf(TS_ERR_PARSE, __FILE__, __LINE__, "%s:%d: %s", rec, jerr.line, jerr.text);
	}
	r = r.code ? r : check_testing(t);
	r = r.code ? r : undo_file(&t->simcfg, j, rec, o->force, &sim);
	r = r.code ? r : undo_file(&t->defs, j, rec, o->force, &defs);
	if (t->simcfg.present) {
		r = r.code ? r : stage_file(t, &t->simcfg, &sim, &sim, 1, p);
	}
	r = r.code ? r : stage_file(t, &t->defs, &defs, &defs, 1, p);
	r = r.code ? r : commit(t, o, p);
	if (r.code == 0 && !o->dry_run && unlink(rec) != 0) {
		r = ts_failf(TS_ERR_IO, __FILE__, __LINE__, "%s: %s (the files are restored; remove it)", rec,
			     strerror(errno));
	}
	r = r.code || o->dry_run ? r : ts_file_sync_dir(t->topdir);
	if (r.code != 0) {
		return secure_fail("switch");
	}
	return report(t, o, p, o->dry_run ? "would be switched to testing (dry run: nothing changed)"
					  : "switched to testing: every edited file has its original bytes");
}

int
secure_switch_run(int argc, char **argv)
{
	struct switch_opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	static struct ts_tree t;
	static struct plan p;
	memset(&p, 0, sizeof(p));
	p.files = json_array();
	ts_error_clear();
	if (p.files == NULL || ts_tree_open(o.tree, o.top, &t).code != 0) {
		json_decref(p.files);
		return secure_fail("switch");
	}
	rc = o.to[1] == 'a' ? to_tapeout(&t, &o, &p) : to_testing(&t, &o, &p);
	ts_outset_free(&p.set);
	json_decref(p.files);
	ts_tree_free(&t);
	return rc;
}

int
secure_status_run(int argc, char **argv)
{
	TS_BUF(out);
	TS_BUF(err);
	int rc = ts_tree_status_command("tapeseal-secure", argc, argv, &out, &err);
	(void)fwrite(out.data, 1, out.len, stdout);
	(void)fwrite(err.data, 1, err.len, stderr);
	return rc;
}
