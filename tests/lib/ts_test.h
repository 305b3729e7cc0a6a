#ifndef TS_TESTS_LIB_TS_TEST_H
#define TS_TESTS_LIB_TS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

#define CU_ASSERT_TS_OK(x)                                                     \
	do {                                                                   \
		ts_result r_ = (x);                                            \
		if (r_.code != 0) {                                            \
			fprintf(stderr, "  unexpected error %s: %s\n",         \
				ts_err_name(r_.code), ts_last_error_message()); \
		}                                                              \
		CU_ASSERT_EQUAL_FATAL(r_.code, 0);                             \
	} while (0)
#define CU_ASSERT_TS_ERR(x, e) CU_ASSERT_EQUAL((x).code, (e))

/* Asserts that the recorded error message contains needle. */
#define CU_ASSERT_MSG_HAS(needle) CU_ASSERT_PTR_NOT_NULL(strstr(ts_last_error_message(), (needle)))

/* Registers the suites, runs them (basic mode) and returns the exit status. */
int ts_test_main(CU_SuiteInfo *suites);

/*
 * The reference directory (TAPESEAL_REFERENCE, default ../shared/reference
 * beside the source tree), or NULL when it is missing.
 */
const char *ts_test_reference(void);

/*
 * For tests that need the reference: returns its path, or exits 77 (skipped)
 * with a visible notice when it is missing, or exits 1 when CI=true.
 */
const char *ts_test_reference_required(const char *test);

/* Path of a file in the source tree (static buffer per call site is not kept). */
void ts_test_source_path(char *buf, size_t len, const char *rel);

/* Creates a fresh temporary directory; buf receives its path. */
void ts_test_tmpdir(char *buf, size_t len);

/* Removes a directory tree (test scratch only). */
void ts_test_rm_rf(const char *path);

/* Reads a whole file into out; returns 0 on success. */
int ts_test_read(const char *path, struct ts_buf *out);

/* Writes a file (test scratch only); returns 0 on success. */
int ts_test_write(const char *path, const char *text);

/* Decodes hex into out (at most len bytes); returns the byte count, or -1. */
long ts_test_unhex(const char *hex, uint8_t *out, size_t len);

#endif
