#ifndef TS_COMMON_TOPGEN_TS_JOB_H
#define TS_COMMON_TOPGEN_TS_JOB_H

#include <sys/types.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_outset.h"
#include "common/base/ts_result.h"
#include "common/topgen/ts_model.h"
#include "common/topgen/ts_seeds.h"

/*
 * One generation run: seeds + structure -> the set of files topgen writes
 * (spec/secrets.md §7.4), in memory.  Both halves use it; only the seed
 * source and the mode differ.
 */

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

#endif
