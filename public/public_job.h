#ifndef TS_PUBLIC_PUBLIC_JOB_H
#define TS_PUBLIC_PUBLIC_JOB_H

#include "common/base/ts_result.h"
#include "common/base/ts_stage.h"
#include "common/topgen/ts_job.h"

/* Options shared by `tapeseal generate` and `tapeseal verify`. */
struct public_opts {
	const char *structure;
	const char *seeds;
	const char *outdir;
	const char *top;
	const char *lc_state;
	const char *seed_ref;
	int force;
	int json;
	int demo; /* no arguments: the bundled demo top */
};

/*
 * Parses argv (after the subcommand).  Returns 0 to go on, 1 when --help was
 * printed, 2 on a usage error (already reported on stderr).
 */
int public_opts_parse(int argc, char **argv, const char *cmd, const char *usage, struct public_opts *o);

/*
 * Loads the seeds and structure named by o (or the bundled demo), checks
 * them and generates the file set into the empty *out; *abs receives the
 * resolved output directory.  Warnings go to stderr.
 */
TS_RESULT public_job_run(const struct public_opts *o, struct ts_outset *out, struct ts_buf *abs);

/* Prints the file list (or the --json summary) for a finished command. */
void public_report(const char *cmd, const struct public_opts *o, const char *abs, const struct ts_outset *set,
		   const enum ts_file_status *status);


/* Prints, on stderr, what the last commit or compare finished of an interrupted run (if anything). */
void public_recovery_note(const char *cmd);

#endif
