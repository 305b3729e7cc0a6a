#include "common/topgen/ts_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/topgen/ts_emit.h"
#include "common/topgen/ts_gen.h"
#include "common/topgen/ts_lc.h"

static ts_result
add_file(struct ts_outset *out, mode_t mode, struct ts_buf **data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static ts_result
add_file(struct ts_outset *out, mode_t mode, struct ts_buf **data, const char *fmt, ...)
{
	TS_ENSURE(out->n < TS_OUT_MAX, TS_ERR_INTERNAL);
	struct ts_out_file *f = &out->f[out->n++];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(f->rel, sizeof(f->rel), fmt, ap);
	va_end(ap);
	TS_ENSURE(n > 0 && (size_t)n < sizeof(f->rel), TS_ERR_RANGE);
	f->mode = mode;
	*data = &f->data;
	return TS_OK;
}

static ts_result
check_text(const char *what, const char *s)
{
	size_t n = strlen(s);
	int ok = n > 0 && n < 200;
	for (size_t i = 0; ok && i < n; i++) {
		ok = s[i] >= 0x20 && s[i] < 0x7f;
	}
	TS_ENSUREF(ok, TS_ERR_USAGE, "%s must be 1-199 printable ASCII characters", what);
	return TS_OK;
}

static ts_result
emit_all(const struct ts_top *top, const struct ts_seeds *seeds, const struct ts_lc *lc, const char *mode,
	 const char *seed_ref, struct ts_outset *out)
{
	struct ts_buf *b;
	const char *t = top->t;
	TS_GUARD(add_file(out, 0600, &b, "data/autogen/top_%s.secrets.%s.gen.hjson", t, mode));
	TS_GUARD(ts_emit_secrets_hjson(top, seeds, mode, b));
	TS_GUARD(add_file(out, 0600, &b, "rtl/autogen/%s/top_%s_rnd_cnst_pkg.sv", mode, t));
	TS_GUARD(ts_emit_rnd_cnst_sv(top, seed_ref, b));
	TS_GUARD(add_file(out, 0644, &b, "rtl/autogen/%s/top_%s_rnd_cnst_pkg.vbl", mode, t));
	TS_GUARD(ts_emit_rnd_cnst_vbl(top, seed_ref, b));
	TS_GUARD(add_file(out, 0644, &b, "rtl/autogen/%s/top_%s_%s_rnd_cnst_pkg.core", mode, t, mode));
	TS_GUARD(ts_emit_rnd_cnst_core(top, mode, b));
	if (lc == NULL) {
		return TS_OK;
	}
	TS_GUARD(add_file(out, 0600, &b, "rtl/autogen/%s/lc_ctrl_token_pkg.sv", mode));
	TS_GUARD(ts_emit_lc_token_sv(lc, b));
	TS_GUARD(add_file(out, 0644, &b, "rtl/autogen/%s/top_%s_%s_lc_ctrl_token_pkg.core", mode, t, mode));
	return ts_emit_lc_token_core(top, mode, b);
}

ts_result
ts_job_build(struct ts_top *top, const struct ts_seeds *seeds, const struct ts_job *job, struct ts_outset *out)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(seeds);
	TS_ENSURE_REF(job);
	TS_ENSURE_REF(out);
	TS_ENSURE(out->n == 0, TS_ERR_INTERNAL);
	TS_AUTO(struct ts_lc, ts_lc_free) lc = NULL;
	char ref[256];
	TS_GUARD(ts_top_name_check(job->mode));
	if (job->seed_ref != NULL) {
		TS_GUARD(check_text("the seed reference", job->seed_ref));
		(void)snprintf(ref, sizeof(ref), "%s", job->seed_ref);
	} else {
		(void)snprintf(ref, sizeof(ref), "hw/top_%s/data/top_%s_seed.%s.hjson", top->t, top->t, job->mode);
	}
	TS_GUARD(ts_seeds_check_for_top(seeds, top->has_otp_ctrl, top->has_lc_ctrl, "seeds"));
	TS_GUARD(ts_gen_run(top, seeds));
	if (top->has_lc_ctrl) {
		TS_GUARD(ts_lc_load(job->lc_state, &lc));
		TS_GUARD(ts_lc_generate(lc, &seeds->seed[TS_SEED_LC_CTRL]));
	}
	ts_result r = emit_all(top, seeds, lc, job->mode, ref, out);
	if (r.code != 0) {
		ts_outset_free(out);
	}
	return r;
}
