#include "public/public_job.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hjson.h"
#include "common/base/ts_stage.h"
#include "common/topgen/ts_model.h"
#include "public/public_cmds.h"
#include "public/public_demo.h"
#include "public/public_seeds.h"

int
public_opts_parse(int argc, char **argv, const char *cmd, const char *usage, struct public_opts *o)
{
	static const struct option longopts[] = {
		{ "structure", required_argument, NULL, 's' }, { "seeds", required_argument, NULL, 'S' },
		{ "outdir", required_argument, NULL, 'o' },    { "top", required_argument, NULL, 't' },
		{ "lc-state", required_argument, NULL, 'l' },  { "seed-ref", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },           { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int c;
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->structure = optarg; break;
		case 'S': o->seeds = optarg; break;
		case 'o': o->outdir = optarg; break;
		case 't': o->top = optarg; break;
		case 'l': o->lc_state = optarg; break;
		case 'r': o->seed_ref = optarg; break;
		case 'f': o->force = 1; break;
		case 'j': o->json = 1; break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "tapeseal %s: unknown or incomplete option '%s'; see 'tapeseal %s --help'\n",
				cmd, argv[optind - 1], cmd);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tapeseal %s: unexpected argument '%s'; see 'tapeseal %s --help'\n", cmd,
			argv[optind], cmd);
		return 2;
	}
	o->demo = o->structure == NULL && o->seeds == NULL && o->outdir == NULL && o->top == NULL &&
		  o->lc_state == NULL && o->seed_ref == NULL;
	if (o->demo) {
		o->outdir = PUBLIC_DEMO_OUTDIR;
		return 0;
	}
	if (o->structure == NULL || o->seeds == NULL || o->outdir == NULL) {
		fprintf(stderr, "tapeseal %s: --structure, --seeds and --outdir are required (or give no "
				"arguments for the demo); see 'tapeseal %s --help'\n", cmd, cmd);
		return 2;
	}
	return 0;
}

static ts_result
load_inputs(const struct public_opts *o, struct ts_seeds *seeds, struct ts_top **top)
{
	if (o->demo) {
		struct ts_hjson_doc *doc = NULL;
		TS_GUARD(public_seeds_parse((const char *)public_demo_seeds, public_demo_seeds_len,
					    PUBLIC_DEMO_SEEDS_NAME, seeds));
		TS_GUARD(ts_hjson_parse((const char *)public_demo_structure, public_demo_structure_len,
					PUBLIC_DEMO_STRUCTURE_NAME, &doc));
		return ts_top_from_doc(doc, NULL, top);
	}
	TS_GUARD(public_seeds_load(o->seeds, seeds));
	TS_GUARD(ts_top_load(o->structure, o->top, top));
	return ts_seeds_check_for_top(seeds, (*top)->has_otp_ctrl, (*top)->has_lc_ctrl, o->seeds);
}

static void
warn_short(const struct public_opts *o, const struct ts_seeds *seeds)
{
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		if (seeds->short_seed[k]) {
			fprintf(stderr, "tapeseal: warning: %s: %s has fewer than 250 significant bits\n",
				o->demo ? PUBLIC_DEMO_SEEDS_NAME : o->seeds, ts_seed_name((enum ts_seed_kind)k));
		}
	}
}

ts_result
public_job_run(const struct public_opts *o, struct ts_outset *out, struct ts_buf *abs)
{
	struct ts_seeds seeds = { 0 };
	TS_AUTO(struct ts_top, ts_top_free) top = NULL;
	TS_GUARD(ts_stage_resolve(o->outdir, abs));
	TS_ENSUREF(!ts_path_is_tapeout((const char *)abs->data), TS_ERR_MODE,
		   "%s: tapeseal never writes under a 'tapeout' directory or a '.tapeout.' name; tapeout "
		   "artifacts come from tapeseal-secure", o->outdir);
	ts_result r = load_inputs(o, &seeds, &top);
	if (r.code == 0) {
		warn_short(o, &seeds);
		struct ts_job job = { .mode = "testing", .seed_ref = o->seed_ref, .lc_state = o->lc_state };
		r = ts_job_build(top, &seeds, &job, out);
	}
	ts_seeds_free(&seeds);
	for (size_t i = 0; r.code == 0 && i < out->n; i++) {
		TS_ENSUREF(!ts_path_is_tapeout(out->f[i].rel), TS_ERR_MODE, "refusing to write %s", out->f[i].rel);
	}
	return r;
}

static void
report_json(const char *cmd, const char *abs, const struct ts_outset *set, const enum ts_file_status *status)
{
	TS_AUTO(json_t, json_decref) root = json_object();
	json_t *files = json_array();
	char hex[65];
	char mode[8];
	if (root == NULL || files == NULL || json_object_set_new(root, "files", files) != 0) {
		return;
	}
	(void)json_object_set_new(root, "command", json_string(cmd));
	(void)json_object_set_new(root, "outdir", json_string(abs));
	(void)json_object_set_new(root, "seed_mode", json_string("testing"));
	for (size_t i = 0; i < set->n; i++) {
		json_t *f = json_object();
		ts_result_ignore(ts_sha256_hex(set->f[i].data.data, set->f[i].data.len, hex));
		(void)snprintf(mode, sizeof(mode), "%04o", (unsigned)set->f[i].mode);
		(void)json_object_set_new(f, "path", json_string(set->f[i].rel));
		(void)json_object_set_new(f, "size", json_integer((json_int_t)set->f[i].data.len));
		(void)json_object_set_new(f, "sha256", json_string(hex));
		(void)json_object_set_new(f, "mode", json_string(mode));
		(void)json_object_set_new(f, "status", json_string(ts_file_status_name(status[i])));
		(void)json_array_append_new(files, f);
	}
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

void
public_recovery_note(const char *cmd)
{
	if (ts_stage_recovery_note()[0] != '\0') {
		fprintf(stderr, "tapeseal %s: %s\n", cmd, ts_stage_recovery_note());
	}
}

void
public_report(const char *cmd, const struct public_opts *o, const char *abs, const struct ts_outset *set,
	      const enum ts_file_status *status)
{
	if (o->json) {
		report_json(cmd, abs, set, status);
		return;
	}
	for (size_t i = 0; i < set->n; i++) {
		printf("%-9s %s/%s\n", ts_file_status_name(status[i]), abs, set->f[i].rel);
	}
}

int
public_fail(const char *cmd)
{
	fprintf(stderr, "tapeseal %s: %s\n", cmd, ts_last_error_message());
	return 1;
}
