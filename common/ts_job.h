#ifndef TS_COMMON_TS_JOB_H
#define TS_COMMON_TS_JOB_H

#include <sys/types.h>

#include "common/ts_buf.h"
#include "common/ts_model.h"
#include "common/ts_result.h"
#include "common/ts_seeds.h"

/*
 * One generation run: seeds + structure -> the set of files topgen writes
 * (spec/secrets.md §7.4), in memory.  Both halves use it; only the seed
 * source and the mode differ.
 */

#define TS_OUT_MAX 8

struct ts_out_file {
	char rel[256];       /* path relative to the output directory */
	struct ts_buf data;
	mode_t mode;         /* 0600 for secret files, 0644 otherwise */
};

struct ts_outset {
	struct ts_out_file f[TS_OUT_MAX];
	size_t n;
};

struct ts_job {
	const char *mode;     /* "testing" or "tapeout" */
	const char *seed_ref; /* NULL: hw/top_<t>/data/top_<t>_seed.<mode>.hjson */
	const char *lc_state; /* NULL: the standard token list */
};

/*
 * Generates every artifact of top (borrowed, values are filled in) from
 * seeds (borrowed) into the empty *out.  Errors: TS_ERR_SEED (a seed the top
 * needs is missing), TS_ERR_USAGE (bad mode or seed_ref), and those of
 * ts_gen_run, ts_lc_load and the emitters.  Free *out with ts_outset_free.
 */
TS_RESULT ts_job_build(struct ts_top *top, const struct ts_seeds *seeds, const struct ts_job *job,
		       struct ts_outset *out);

/* Cleanses and frees every buffer of the set. */
void ts_outset_free(struct ts_outset *set);

#endif
