#ifndef TS_COMMON_BASE_TS_STAGE_H
#define TS_COMMON_BASE_TS_STAGE_H

#include <stddef.h>

#include "common/base/ts_outset.h"
#include "common/base/ts_result.h"

/*
 * Puts a generated file set into an output directory all together or not at
 * all.  Files are written into a fresh 0700 staging directory beside the
 * target (same file system), fsync'd and read back, then renamed into place;
 * on any failure every change is rolled back and the staging directory
 * removed.  A new output directory is staged whole and renamed in one step.
 * No path component under the output directory may be a symlink.
 */

enum ts_file_status { TS_FILE_NEW, TS_FILE_REPLACED, TS_FILE_UNCHANGED, TS_FILE_DIFFERS, TS_FILE_MISSING };

/*
 * Commits set under outdir, holding an exclusive lock (flock) on the
 * directory that holds outdir for the whole commit: a concurrent commit into
 * the same place waits up to 10 s, then fails with TS_ERR_EXISTS, so two runs
 * never mix their files.  SIGINT, SIGTERM, SIGHUP and SIGQUIT are held
 * back while files are staged and placed (the calling thread's mask is
 * restored afterwards), so an interrupt never lands between two renames.
 * An existing file with other content is
 * replaced only when force is set (else TS_ERR_EXISTS naming it).  status[i]
 * (may be NULL) receives what happened to set->f[i].  Directories it creates
 * are 0700.  Errors: TS_ERR_EXISTS, TS_ERR_SYMLINK, TS_ERR_IO.
 */
TS_RESULT ts_stage_commit(const char *outdir, const struct ts_outset *set, int force,
			  enum ts_file_status *status);

/*
 * What the last commit or compare found and finished of an interrupted run
 * beside its output directory (one line), or "" when there was none.
 */
const char *ts_stage_recovery_note(void);

/* "new", "replaced", "unchanged", "differs" or "missing". */
const char *ts_file_status_name(enum ts_file_status s);

/*
 * Compares set with the files under outdir: status[i] is TS_FILE_UNCHANGED,
 * TS_FILE_DIFFERS or TS_FILE_MISSING; *ndiff counts the others.  Errors:
 * TS_ERR_SYMLINK, TS_ERR_IO (unreadable files).
 */
TS_RESULT ts_stage_compare(const char *outdir, const struct ts_outset *set, enum ts_file_status *status,
			   size_t *ndiff);

/*
 * True when a path component of the absolute path abs equals "tapeout" or
 * contains ".tapeout.": the public tool never writes there.
 */
int ts_path_is_tapeout(const char *abs);

/*
 * Resolves outdir to an absolute path in out (NUL-terminated): realpath of
 * outdir if it exists, else realpath of its parent joined with its last
 * component.  TS_ERR_IO when neither exists; TS_ERR_SYMLINK when outdir
 * itself is a symlink.
 */
TS_RESULT ts_stage_resolve(const char *outdir, struct ts_buf *out);

#endif
