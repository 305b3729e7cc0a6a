#ifndef TS_COMMON_BASE_TS_STAGE_INT_H
#define TS_COMMON_BASE_TS_STAGE_INT_H

#include <stddef.h>

#include "common/base/ts_outset.h"
#include "common/base/ts_result.h"
#include "common/base/ts_stage.h"

/*
 * Internal to staged commits (ts_stage.c: staging and placing;
 * ts_stage_journal.c: the intent record and the recovery of an interrupted
 * commit); nothing outside common/base/ includes this but its fuzz target
 * (tests/fuzz/fuzz_journal.c).
 *
 * A commit over an existing output directory stages file i as <stage>/f<i>,
 * keeps the file it replaces as <stage>/b<i> (a hard link), and before its
 * first change to the output writes <stage>/journal:
 *
 *     tapeseal-journal 1
 *     mkdir <absolute path of a directory the commit created>   (any number)
 *     new <i> <path relative to the output directory>
 *     replace <i> <path relative to the output directory>
 *     rollback                                                  (appended when undoing)
 */

#define TS_STAGE_JOURNAL "journal"

/* The files and created directories of one commit, for its journal. */
struct ts_stage_plan {
	const char *abs;   /* the output directory */
	const char *stage; /* the staging directory beside it */
	const struct ts_outset *set;
	const enum ts_file_status *status; /* TS_FILE_NEW, TS_FILE_REPLACED or TS_FILE_UNCHANGED per file */
	char *const *dirs;                 /* directories the commit created, shallowest first */
	size_t ndirs;
};

/* Writes the journal durably (file and staging directory fsync'd). */
TS_RESULT ts_stage_journal_write(const struct ts_stage_plan *p);

/* Appends "rollback" to the journal (durably) before an in-process roll-back begins. */
TS_RESULT ts_stage_journal_mark_rollback(const char *stage);

/*
 * Finishes every interrupted commit found beside abs (staging directories
 * .<name>.tapeseal-XXXXXX): one without a journal changed nothing and is
 * removed; one whose files are all in place is completed; any other is
 * rolled back to the files it replaced.  The caller holds the lock.  A
 * one-line account goes to ts_stage_recovery_note().
 */
TS_RESULT ts_stage_recover(const char *abs);

#endif
