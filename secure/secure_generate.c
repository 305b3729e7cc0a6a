#include "secure/secure_cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/base/ts_stage.h"
#include "common/topgen/ts_model.h"
#include "secure/secure_derive.h"
#include "secure/secure_guard.h"
#include "secure/secure_manifest.h"

/* One run of generate or verify: everything derived, nothing written yet. */
struct run {
	struct secure_policy pol;
	struct hsm_target tgt;
	struct ts_top *top;
	struct ts_seeds seeds;
	struct secure_hsm_info info;
	struct hsm_transcript tr;
	struct ts_outset set;
	struct ts_buf abs;
};

static void
run_free(struct run *r)
{
	hsm_uri_free(&r->tgt);
	ts_top_free(r->top);
	ts_seeds_free(&r->seeds);
	hsm_transcript_free(&r->tr);
	ts_outset_free(&r->set);
	ts_buf_free(&r->abs);
}

static ts_result
add_plain(struct ts_outset *set, const char *rel, const struct ts_buf *data)
{
	TS_ENSURE(set->n < TS_OUT_MAX, TS_ERR_INTERNAL);
	struct ts_out_file *f = &set->f[set->n++];
	(void)snprintf(f->rel, sizeof(f->rel), "%s", rel);
	f->mode = 0600;
	return ts_buf_append(&f->data, data->data, data->len);
}

static ts_result
build(const struct secure_opts *o, struct run *r)
{
	TS_ENSUREF(o->hsm != NULL && o->structure != NULL && o->outdir != NULL, TS_ERR_USAGE,
		   "--hsm, --structure and --outdir are required");
	hsm_transcript_init(&r->tr);
	TS_GUARD(ts_stage_resolve(o->outdir, &r->abs));
	TS_GUARD(secure_policy_load(o->policy, &r->pol));
	TS_GUARD(hsm_uri_parse(o->hsm, &r->tgt));
	TS_GUARD(ts_top_load(o->structure, o->top, &r->top));
	TS_GUARD(secure_derive_seeds(&r->tgt, &r->pol, r->top->t, r->top->has_otp_ctrl, r->top->has_lc_ctrl,
				     o->seed_version, &r->tr, &r->seeds, &r->info));
	struct ts_job job = { .mode = "tapeout", .seed_ref = r->tgt.display, .lc_state = o->lc_state };
	TS_GUARD(ts_job_build(r->top, &r->seeds, &job, &r->set));
	for (size_t i = 0; i < r->set.n; i++) {
		r->set.f[i].mode = 0600; /* every tapeout artifact is confidential */
	}
	TS_GUARD(secure_guard_staged(&r->set));
	TS_GUARD(add_plain(&r->set, SECURE_TRANSCRIPT_NAME, &r->tr.text));
	struct secure_run_info info = { r->top->t, r->tgt.display, o->seed_version, &r->pol, &r->info, r->tr.last };
	TS_BUF(manifest);
	TS_GUARD(secure_manifest_build(&info, &r->seeds, &r->set, &manifest));
	return add_plain(&r->set, SECURE_MANIFEST_NAME, &manifest);
}

static void
report(const struct run *r, const enum ts_file_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%-9s %s/%s\n", ts_file_status_name(st[i]), (const char *)r->abs.data, r->set.f[i].rel);
	}
}

int
secure_generate_run(const struct secure_opts *o)
{
	struct run r = { 0 };
	enum ts_file_status st[TS_OUT_MAX] = { 0 };
	ts_result res = build(o, &r);
	if (res.code == 0) {
		res = secure_guard_location((const char *)r.abs.data, &r.set, &r.pol);
	}
	if (res.code == 0) {
		res = ts_stage_commit((const char *)r.abs.data, &r.set, o->force, st);
		secure_recovery_note("generate");
	}
	if (res.code != 0) {
		run_free(&r);
		return secure_fail("generate");
	}
	report(&r, st, r.set.n);
	printf("tapeseal-secure generate: tapeout artifacts of top_%s written (transcript %s)\n", r.top->t, r.tr.last);
	run_free(&r);
	return 0;
}

/* The manifest on disk against a fresh one, and the transcript's chain against the manifest. */
static ts_result
verify_manifest(const struct run *r, int *ok)
{
	char path[4096], last[65];
	const struct ts_out_file *fresh = &r->set.f[r->set.n - 1];
	const struct ts_out_file *tr = &r->set.f[r->set.n - 2];
	TS_BUF(disk);
	TS_BUF(trdisk);
	(void)snprintf(path, sizeof(path), "%s/%s", (const char *)r->abs.data, fresh->rel);
	TS_GUARD(ts_file_read(path, TS_BUF_MAX, &disk));
	ts_result c = secure_manifest_compare(&disk, &fresh->data, path);
	if (c.code == TS_ERR_DIFFERS) {
		*ok = 0;
		printf("differs   %s (%s)\n", path, ts_last_error_message());
		ts_error_clear();
		return TS_OK;
	}
	TS_GUARD(c);
	(void)snprintf(path, sizeof(path), "%s/%s", (const char *)r->abs.data, tr->rel);
	TS_GUARD(ts_file_read(path, TS_BUF_MAX, &trdisk));
	TS_GUARD(secure_transcript_check(&trdisk, path, last));
	*ok = strstr((const char *)disk.data, last) != NULL;
	printf("%-9s %s/%s\n", *ok ? "unchanged" : "differs", (const char *)r->abs.data, fresh->rel);
	return TS_OK;
}

int
secure_verify_run(const struct secure_opts *o)
{
	struct run r = { 0 };
	enum ts_file_status st[TS_OUT_MAX] = { 0 };
	size_t ndiff = 0;
	int manifest_ok = 0;
	ts_result res = build(o, &r);
	if (res.code == 0) {
		res = ts_stage_compare((const char *)r.abs.data, &r.set, st, &ndiff);
		secure_recovery_note("verify");
	}
	if (res.code == 0) {
		ndiff -= st[r.set.n - 1] != TS_FILE_UNCHANGED; /* the manifest differs by its time */
		report(&r, st, r.set.n - 1);
		res = st[r.set.n - 1] == TS_FILE_MISSING ? ts_failf(TS_ERR_DIFFERS, __FILE__, __LINE__,
			"%s/%s is missing", (const char *)r.abs.data, SECURE_MANIFEST_NAME) : verify_manifest(&r, &manifest_ok);
	}
	if (res.code != 0) {
		run_free(&r);
		return secure_fail("verify");
	}
	int same = ndiff == 0 && manifest_ok;
	printf("tapeseal-secure verify: %s\n", same ? "identical" : "DIFFERENT");
	run_free(&r);
	return same ? 0 : 1;
}
