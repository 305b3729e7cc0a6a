#include "tests/lib/ts_test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "common/base/ts_file.h"

int
ts_test_main(CU_SuiteInfo *suites)
{
	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

void
ts_test_source_path(char *buf, size_t len, const char *rel)
{
	(void)snprintf(buf, len, "%s/%s", TS_SOURCE_DIR, rel);
}

const char *
ts_test_reference(void)
{
	static char path[4096];
	struct stat st;
	const char *env = getenv("TAPESEAL_REFERENCE");
	if (env != NULL && *env != '\0') {
		(void)snprintf(path, sizeof(path), "%s", env);
	} else {
		(void)snprintf(path, sizeof(path), "%s/../shared/reference", TS_SOURCE_DIR);
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return NULL;
	}
	return path;
}

const char *
ts_test_reference_required(const char *test)
{
	const char *ref = ts_test_reference();
	const char *ci = getenv("CI");
	if (ref != NULL) {
		return ref;
	}
	if (ci != NULL && strcmp(ci, "true") == 0) {
		fprintf(stderr, "%s: FAILED: reference data not found (set TAPESEAL_REFERENCE); it is required "
				"when CI=true\n", test);
		exit(1);
	}
	fprintf(stderr, "%s: SKIPPED: reference data not found; set TAPESEAL_REFERENCE to run it\n", test);
	exit(77);
}

void
ts_test_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");
	(void)snprintf(buf, len, "%s/tapeseal-test.XXXXXX", base != NULL && *base ? base : "/tmp");
	if (mkdtemp(buf) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
ts_test_rm_rf(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
ts_test_read(const char *path, struct ts_buf *out)
{
	out->len = 0;
	return ts_file_read(path, 64u * 1024u * 1024u, out).code;
}

int
ts_test_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		return -1;
	}
	size_t n = strlen(text);
	int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

long
ts_test_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > len) {
		return -1;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			return -1;
		}
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}
