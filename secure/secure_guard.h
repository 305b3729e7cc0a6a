#ifndef TS_SECURE_SECURE_GUARD_H
#define TS_SECURE_SECURE_GUARD_H

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/topgen/ts_job.h"
#include "secure/secure_policy.h"

/*
 * Refusals about where tapeout artifacts go (TS_ERR_MODE, one line each):
 * a path component named "testing"; a file it would write that holds
 * testing content; a location inside a git work tree that git does not
 * ignore (unless the policy allows it).  abs is the resolved output
 * directory.
 */
TS_RESULT secure_guard_location(const char *abs, const struct ts_outset *set, const struct secure_policy *pol);

/* The same refusals for single files given by absolute path: no "testing" component, git-ignored. */
TS_RESULT secure_guard_files(const char *const *abs_paths, size_t n, const struct secure_policy *pol);

/* Refuses a generated file set in which any file carries a testing marker. */
TS_RESULT secure_guard_staged(const struct ts_outset *set);

/* True when buf holds a testing marker (seed_mode: testing, _testing_, /testing/, ...). */
int secure_has_testing_marker(const uint8_t *buf, size_t len);

#endif
