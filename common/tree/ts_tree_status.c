#include "common/tree/ts_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/tree/ts_tree_int.h"

static const char *const row_names[TS_ROW_N] = {
	"FuseSoC flist flags", "sw build seed", "OTP secret cfg", "Bazel secret_cfgs", "tapeout cores present",
	"testing artifacts present",
};
static const char *const row_keys[TS_ROW_N] = {
	"flist_flags", "sw_build_seed", "otp_secret_cfg", "bazel_secret_cfgs", "tapeout_cores", "testing_artifacts",
};

const char *
ts_tree_mode_name(int mode)
{
	switch (mode) {
	case TS_TREE_TESTING: return "testing";
	case TS_TREE_TAPEOUT: return "tapeout";
	case TS_TREE_OTHER: return "other";
	default: return "n/a";
	}
}

static void
sim_rows(const json_t *root, const char *path, struct ts_tree_status *st)
{
	int flist = ts_tree_list_has(json_object_get(root, "sv_flist_gen_flags"), TS_TREE_FLIST_FLAG);
	int seed = ts_tree_list_has(json_object_get(root, "sw_build_opts"), TS_TREE_SEED_OPT);
	st->mode[TS_ROW_FLIST] = flist ? TS_TREE_TAPEOUT : TS_TREE_TESTING;
	(void)snprintf(st->detail[TS_ROW_FLIST], sizeof(st->detail[0]), "%.200s %s", path,
		       flist ? "sets sv_flist_gen_flags " TS_TREE_FLIST_FLAG : "has no " TS_TREE_FLIST_FLAG);
	st->mode[TS_ROW_SWSEED] = seed ? TS_TREE_TAPEOUT : TS_TREE_TESTING;
	(void)snprintf(st->detail[TS_ROW_SWSEED], sizeof(st->detail[0]), "%.200s %s", path,
		       seed ? "sets sw_build_opts " TS_TREE_SEED_OPT : "has no " TS_TREE_SEED_OPT);
	const char *cfg = ts_hjson_string(json_object_get(root, "gen_otp_top_secret_cfg"));
	st->mode[TS_ROW_OTPCFG] = cfg == NULL                                    ? TS_TREE_OTHER
				  : ts_tree_ends_with(cfg, ".secrets.tapeout.gen.hjson") ? TS_TREE_TAPEOUT
				  : ts_tree_ends_with(cfg, ".secrets.testing.gen.hjson") ? TS_TREE_TESTING
										 : TS_TREE_OTHER;
	(void)snprintf(st->detail[TS_ROW_OTPCFG], sizeof(st->detail[0]), "gen_otp_top_secret_cfg: %.200s",
		       cfg != NULL ? cfg : "(absent)");
	const char *cmd = ts_hjson_string(json_object_get(root, "gen_otp_images_cmd"));
	(void)snprintf(st->otp_cmd, sizeof(st->otp_cmd), "%s", cmd != NULL ? cmd : "");
}

static void
bazel_row(const struct ts_tree *t, struct ts_tree_status *st)
{
	const char *s = (const char *)t->defs.text.data;
	size_t open, close;
	int found = 0;
	if (ts_tree_bzl_dict(t->defs.path, s, t->defs.text.len, &open, &close, &found).code != 0 || !found) {
		ts_error_clear();
		st->mode[TS_ROW_BAZEL] = TS_TREE_OTHER;
		(void)snprintf(st->detail[TS_ROW_BAZEL], sizeof(st->detail[0]), "%.200s: no single secret_cfgs dict",
			       t->defs.path);
		return;
	}
	int tapeout = memmem(s + open, close - open, "\"tapeout\"", 9) != NULL;
	st->mode[TS_ROW_BAZEL] = tapeout ? TS_TREE_TAPEOUT : TS_TREE_TESTING;
	(void)snprintf(st->detail[TS_ROW_BAZEL], sizeof(st->detail[0]), "%.200s secret_cfgs %s", t->defs.path,
		       tapeout ? "has \"tapeout\" (--//hw/top:seed=tapeout is valid)" : "has no \"tapeout\" entry");
}

static int
exists(const char *dir, const char *rel, int want_dir)
{
	char p[PATH_MAX];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return n > 0 && (size_t)n < sizeof(p) && lstat(p, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

static void
artifact_rows(const struct ts_tree *t, struct ts_tree_status *st)
{
	char rel[160];
	int man = exists(t->topdir, "tapeseal-manifest.tapeout.json", 0);
	int cores = exists(t->topdir, "rtl/autogen/tapeout", 1);
	st->mode[TS_ROW_TAPEOUT] = man && cores ? TS_TREE_TAPEOUT : TS_TREE_TESTING;
	(void)snprintf(st->detail[TS_ROW_TAPEOUT], sizeof(st->detail[0]), "%.200s: rtl/autogen/tapeout/ %s, manifest %s",
		       t->topdir, cores ? "present" : "absent", man ? "present" : "absent");
	(void)snprintf(rel, sizeof(rel), "data/autogen/top_%s.secrets.testing.gen.hjson", t->top);
	int secrets = exists(t->topdir, rel, 0);
	int testing = exists(t->topdir, "rtl/autogen/testing", 1);
	st->mode[TS_ROW_TESTING] = secrets && testing ? TS_TREE_TESTING : TS_TREE_TAPEOUT;
	(void)snprintf(st->detail[TS_ROW_TESTING], sizeof(st->detail[0]), "%.120s: %.80s %s, rtl/autogen/testing/ %s",
		       t->topdir, rel, secrets ? "present" : "absent", testing ? "present" : "absent");
}

/*
 * MIXED unless every selector agrees and the artifacts they select are there:
 * tapeout selectors need the tapeout cores, testing selectors the testing
 * artifacts (the tapeout cores may stay beside them after a switch back).
 */
static void
verdict(struct ts_tree_status *st)
{
	int want = -1, mixed = 0;
	for (int r = TS_ROW_FLIST; r <= TS_ROW_BAZEL; r++) {
		if (st->mode[r] == TS_TREE_NA) {
			continue;
		}
		mixed |= st->mode[r] == TS_TREE_OTHER || (want != -1 && st->mode[r] != want);
		want = st->mode[r];
	}
	if (!mixed && want == TS_TREE_TAPEOUT) {
		mixed = st->mode[TS_ROW_TAPEOUT] != TS_TREE_TAPEOUT;
	} else if (!mixed) {
		mixed = st->mode[TS_ROW_TESTING] != TS_TREE_TESTING;
	}
	st->verdict = mixed ? TS_TREE_OTHER : want;
}

static void
add_line(char (*lines)[512], size_t *n, const char *text)
{
	if (*n < TS_TREE_MAX_NOTES) {
		(void)snprintf(lines[(*n)++], 512, "%s", text);
	}
}

ts_result
ts_tree_status(const struct ts_tree *t, struct ts_tree_status *st)
{
	TS_ENSURE(t != NULL && st != NULL, TS_ERR_NULL);
	memset(st, 0, sizeof(*st));
	for (int r = 0; r < TS_ROW_N; r++) {
		st->mode[r] = TS_TREE_NA;
	}
	if (t->simcfg.present) {
		TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
		TS_GUARD(ts_hjson_parse((const char *)t->simcfg.text.data, t->simcfg.text.len, t->simcfg.path, &doc));
		sim_rows(ts_hjson_root(doc), t->simcfg.path, st);
	} else {
		char msg[512];
		(void)snprintf(msg, sizeof(msg), "%.400s does not exist: the top has no dvsim configuration (Bazel only)",
			       t->simcfg.path);
		add_line(st->note, &st->nnote, msg);
	}
	bazel_row(t, st);
	artifact_rows(t, st);
	verdict(st);
	TS_GUARD(ts_tree_core_check(t, st));
	add_line(st->note, &st->nnote,
		 "Bazel-built simulation models (Verilator, FPGA) stay on testing constants: Bazel's FuseSoC rule "
		 "puts flags after the system name, so it cannot pass --flag fileset_tapeout");
	return TS_OK;
}

ts_result
ts_tree_status_text(const struct ts_tree *t, const struct ts_tree_status *st, struct ts_buf *out)
{
	TS_GUARD(ts_buf_printf(out, "top %s in %s\n", t->top, t->root));
	for (int r = 0; r < TS_ROW_N; r++) {
		const char *v = r >= TS_ROW_TAPEOUT ? (st->mode[r] == (r == TS_ROW_TAPEOUT ? TS_TREE_TAPEOUT : TS_TREE_TESTING)
							       ? "yes"
							       : "no")
						    : ts_tree_mode_name(st->mode[r]);
		TS_GUARD(ts_buf_printf(out, "  %-26s %-8s %s\n", row_names[r], v, st->detail[r]));
	}
	if (st->otp_cmd[0] != '\0') {
		TS_GUARD(ts_buf_printf(out, "  %-26s %s\n", "OTP image command", st->otp_cmd));
	}
	for (size_t i = 0; i < st->nwarn; i++) {
		TS_GUARD(ts_buf_printf(out, "warning: %s\n", st->warn[i]));
	}
	for (size_t i = 0; i < st->nnote; i++) {
		TS_GUARD(ts_buf_printf(out, "note: %s\n", st->note[i]));
	}
	return ts_buf_printf(out, "%s\n", st->verdict == TS_TREE_OTHER ? "MIXED" : ts_tree_mode_name(st->verdict));
}

ts_result
ts_tree_status_json(const struct ts_tree *t, const struct ts_tree_status *st, json_t **out)
{
	TS_AUTO(json_t, json_decref) sel = json_object();
	TS_AUTO(json_t, json_decref) warn = json_array();
	TS_AUTO(json_t, json_decref) note = json_array();
	TS_ENSURE(sel != NULL && warn != NULL && note != NULL, TS_ERR_NOMEM);
	for (int r = 0; r < TS_ROW_N; r++) {
		json_t *v = r == TS_ROW_TAPEOUT	  ? json_boolean(st->mode[r] == TS_TREE_TAPEOUT)
			    : r == TS_ROW_TESTING ? json_boolean(st->mode[r] == TS_TREE_TESTING)
			    : st->mode[r] == TS_TREE_NA ? json_null()
							: json_string(ts_tree_mode_name(st->mode[r]));
		json_t *row = json_pack("{s:o,s:s}", "value", v, "detail", st->detail[r]);
		TS_ENSURE(row != NULL && json_object_set_new(sel, row_keys[r], row) == 0, TS_ERR_NOMEM);
	}
	for (size_t i = 0; i < st->nwarn; i++) {
		TS_ENSURE(json_array_append_new(warn, json_string(st->warn[i])) == 0, TS_ERR_NOMEM);
	}
	for (size_t i = 0; i < st->nnote; i++) {
		TS_ENSURE(json_array_append_new(note, json_string(st->note[i])) == 0, TS_ERR_NOMEM);
	}
	*out = json_pack("{s:s,s:s,s:s,s:O,s:s?,s:O,s:O}", "tree", t->root, "top", t->top, "state",
			 st->verdict == TS_TREE_OTHER ? "MIXED" : ts_tree_mode_name(st->verdict), "selectors", sel,
			 "otp_images_cmd", st->otp_cmd[0] ? st->otp_cmd : NULL, "warnings", warn, "notes", note);
	TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
	return TS_OK;
}

int
ts_tree_text_switched(const char *base, const void *p, size_t n)
{
	if (strcmp(base, TS_TREE_RECORD) == 0) {
		return 1;
	}
	int hjson = ts_tree_ends_with(base, ".hjson");
	int bzl = ts_tree_ends_with(base, ".bzl") || strcmp(base, "BUILD") == 0 || strcmp(base, "BUILD.bazel") == 0;
	if (!hjson && !bzl) {
		return 0;
	}
	int secrets = memmem(p, n, ".secrets.tapeout.gen.hjson", 26) != NULL;
	return secrets || (hjson && (memmem(p, n, TS_TREE_FLIST_FLAG, sizeof(TS_TREE_FLIST_FLAG) - 1) != NULL ||
				      memmem(p, n, TS_TREE_SEED_OPT, sizeof(TS_TREE_SEED_OPT) - 1) != NULL));
}

static const char ts_tree_status_usage[] =
	"status --tree DIR --top NAME [--json]\n"
	"\n"
	"Reads, without changing anything, which secrets the top DIR/hw/top_<NAME> is switched to: for\n"
	"each selector (FuseSoC flist flags, sw build seed and OTP secret cfg in dv/chip_sim_cfg.hjson,\n"
	"Bazel secret_cfgs in defs.bzl) whether it says testing or tapeout, whether the tapeout cores\n"
	"and the testing artifacts are present, then one of testing, tapeout or MIXED.  Warns when the\n"
	"top's FuseSoC core asks under fileset_tapeout for a core that no core file of the tree names.\n"
	"\n"
	"Options:\n"
	"  --tree DIR   the OpenTitan checkout root\n"
	"  --top NAME   the top (e.g. earlgrey)\n"
	"  --json       one JSON object instead of the text\n"
	"\n"
	"Exit status: 0 testing or tapeout, 1 MIXED or an error, 2 bad usage.\n";

static ts_result
ts_tree_status_args(int argc, char **argv, const char **root, const char **top, int *json, int *help)
{
	*root = *top = NULL;
	*json = *help = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			*help = 1;
			return TS_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			*json = 1;
		} else if ((strcmp(argv[i], "--tree") == 0 || strcmp(argv[i], "--top") == 0) && i + 1 < argc) {
			*(strcmp(argv[i], "--tree") == 0 ? root : top) = argv[i + 1];
			i++;
		} else {
			TS_BAILF(TS_ERR_USAGE, "unknown or incomplete option '%s'", argv[i]);
		}
	}
	TS_ENSUREF(*root != NULL && *top != NULL, TS_ERR_USAGE, "--tree and --top are required");
	return TS_OK;
}

/* Opens the top, reads its status and appends the text (or JSON) report to out. */
static ts_result
ts_tree_status_report(const char *root, const char *top, int json, struct ts_buf *out, int *verdict)
{
	static struct ts_tree t;
	static struct ts_tree_status st;
	memset(&t, 0, sizeof(t));
	memset(&st, 0, sizeof(st));
	ts_result r = ts_tree_open(root, top, &t);
	r = r.code ? r : ts_tree_status(&t, &st);
	if (r.code == 0 && json) {
		json_t *j = NULL;
		r = ts_tree_status_json(&t, &st, &j);
		char *text = r.code ? NULL : json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		r = r.code ? r : text == NULL ? ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__) : ts_buf_printf(out, "%s\n", text);
		free(text);
		json_decref(j);
	} else if (r.code == 0) {
		r = ts_tree_status_text(&t, &st, out);
	}
	*verdict = st.verdict;
	ts_tree_free(&t);
	return r;
}

int
ts_tree_status_command(const char *tool, int argc, char **argv, struct ts_buf *out, struct ts_buf *err)
{
	const char *root, *top;
	int json, help, verdict;
	ts_error_clear();
	if (ts_tree_status_args(argc, argv, &root, &top, &json, &help).code != 0) {
		ts_result_ignore(ts_buf_printf(err, "%s status: %s; see '%s status --help'\n", tool, ts_last_error_message(),
					       tool));
		return 2;
	}
	if (help) {
		ts_result_ignore(ts_buf_printf(out, "Usage: %s %s", tool, ts_tree_status_usage));
		return 0;
	}
	if (ts_tree_status_report(root, top, json, out, &verdict).code != 0) {
		out->len = 0;
		ts_result_ignore(ts_buf_printf(err, "%s status: %s\n", tool, ts_last_error_message()));
		return 1;
	}
	return verdict == TS_TREE_OTHER ? 1 : 0;
}
