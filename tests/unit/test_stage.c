#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/ts_stage.h"
#include "tests/lib/ts_test.h"

static void
add(struct ts_outset *set, const char *rel, const char *text, mode_t mode)
{
	struct ts_out_file *f = &set->f[set->n++];
	(void)snprintf(f->rel, sizeof(f->rel), "%s", rel);
	f->mode = mode;
	f->data.len = 0;
	CU_ASSERT_TS_OK(ts_buf_puts(&f->data, text));
}

static void
two_files(struct ts_outset *set, const char *a, const char *b)
{
	ts_outset_free(set);
	add(set, "data/autogen/s.hjson", a, 0600);
	add(set, "rtl/autogen/testing/x.core", b, 0644);
}

static int
file_is(const char *dir, const char *rel, const char *text)
{
	char path[8192];
	TS_BUF(b);
	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (ts_test_read(path, &b) != 0) {
		return 0;
	}
	return b.len == strlen(text) && memcmp(b.data, text, b.len) == 0;
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (d == NULL) {
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	}
	closedir(d);
	return n;
}

static void
test_stage_new_dir_then_unchanged(void)
{
	char tmp[4096], out[4200], path[4400];
	struct ts_outset set = { 0 };
	enum ts_file_status st[TS_OUT_MAX];
	struct stat sb;
	ts_test_tmpdir(tmp, sizeof(tmp));
	(void)snprintf(out, sizeof(out), "%s/out", tmp);
	two_files(&set, "secret\n", "core\n");
	CU_ASSERT_TS_OK(ts_stage_commit(out, &set, 0, st));
	CU_ASSERT_EQUAL(st[0], TS_FILE_NEW);
	CU_ASSERT(file_is(out, "data/autogen/s.hjson", "secret\n"));
	CU_ASSERT(file_is(out, "rtl/autogen/testing/x.core", "core\n"));
	(void)snprintf(path, sizeof(path), "%s/data/autogen/s.hjson", out);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	(void)snprintf(path, sizeof(path), "%s/data", out);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(entries(tmp), 1); /* no staging directory left beside it */
	CU_ASSERT_TS_OK(ts_stage_commit(out, &set, 0, st));
	CU_ASSERT_EQUAL(st[0], TS_FILE_UNCHANGED);
	CU_ASSERT_EQUAL(st[1], TS_FILE_UNCHANGED);
	ts_outset_free(&set);
	ts_test_rm_rf(tmp);
}

static void
test_stage_differs_needs_force(void)
{
	char tmp[4096];
	struct ts_outset set = { 0 };
	enum ts_file_status st[TS_OUT_MAX];
	ts_test_tmpdir(tmp, sizeof(tmp));
	two_files(&set, "old\n", "core\n");
	CU_ASSERT_TS_OK(ts_stage_commit(tmp, &set, 0, st));
	two_files(&set, "new\n", "core2\n");
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_stage_commit(tmp, &set, 0, st), TS_ERR_EXISTS);
	CU_ASSERT_MSG_HAS("data/autogen/s.hjson exists with different content (and other files); give --force");
	CU_ASSERT(file_is(tmp, "data/autogen/s.hjson", "old\n"));
	CU_ASSERT(file_is(tmp, "rtl/autogen/testing/x.core", "core\n"));
	CU_ASSERT_EQUAL(entries(tmp), 2);
	CU_ASSERT_TS_OK(ts_stage_commit(tmp, &set, 1, st));
	CU_ASSERT_EQUAL(st[0], TS_FILE_REPLACED);
	CU_ASSERT(file_is(tmp, "data/autogen/s.hjson", "new\n"));
	CU_ASSERT(file_is(tmp, "rtl/autogen/testing/x.core", "core2\n"));
	ts_outset_free(&set);
	ts_test_rm_rf(tmp);
}

static void
test_stage_refuses_symlinks(void)
{
	char tmp[4096], out[4200], link_path[4400], real[4400];
	struct ts_outset set = { 0 };
	ts_test_tmpdir(tmp, sizeof(tmp));
	(void)snprintf(out, sizeof(out), "%s/out", tmp);
	(void)snprintf(real, sizeof(real), "%s/elsewhere", tmp);
	(void)snprintf(link_path, sizeof(link_path), "%s/data", out);
	CU_ASSERT_EQUAL(mkdir(out, 0700), 0);
	CU_ASSERT_EQUAL(mkdir(real, 0700), 0);
	CU_ASSERT_EQUAL(symlink(real, link_path), 0);
	two_files(&set, "a\n", "b\n");
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_stage_commit(out, &set, 1, NULL), TS_ERR_SYMLINK);
	CU_ASSERT_MSG_HAS("is a symbolic link");
	CU_ASSERT_EQUAL(entries(real), 0);
	CU_ASSERT_EQUAL(entries(out), 1);
	/* The output directory itself may not be a symlink either. */
	(void)snprintf(link_path, sizeof(link_path), "%s/outlink", tmp);
	CU_ASSERT_EQUAL(symlink(real, link_path), 0);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_stage_commit(link_path, &set, 1, NULL), TS_ERR_SYMLINK);
	CU_ASSERT_EQUAL(entries(real), 0);
	ts_outset_free(&set);
	ts_test_rm_rf(tmp);
}

/* The second placement fails after the first succeeded: everything is rolled back. */
static void
test_stage_rolls_back_partial_commit(void)
{
	char tmp[4096], path[4400];
	struct ts_outset set = { 0 };
	ts_test_tmpdir(tmp, sizeof(tmp));
	(void)snprintf(path, sizeof(path), "%s/keep.txt", tmp);
	CU_ASSERT_EQUAL(ts_test_write(path, "mine\n"), 0);
	add(&set, "rtl/autogen/testing/a.sv", "one\n", 0600);
	add(&set, "rtl/autogen/testing/a.sv", "two\n", 0600);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_stage_commit(tmp, &set, 0, NULL), TS_ERR_IO);
	CU_ASSERT_MSG_HAS("a.sv: cannot create");
	CU_ASSERT_EQUAL(entries(tmp), 1); /* created directories removed, no staging left */
	CU_ASSERT(file_is(tmp, "keep.txt", "mine\n"));
	ts_outset_free(&set);
	ts_test_rm_rf(tmp);
}

static void
test_stage_compare_reports(void)
{
	char tmp[4096];
	struct ts_outset set = { 0 };
	enum ts_file_status st[TS_OUT_MAX];
	size_t ndiff = 9;
	ts_test_tmpdir(tmp, sizeof(tmp));
	two_files(&set, "a\n", "b\n");
	CU_ASSERT_TS_OK(ts_stage_compare(tmp, &set, st, &ndiff));
	CU_ASSERT_EQUAL(ndiff, 2);
	CU_ASSERT_EQUAL(st[0], TS_FILE_MISSING);
	CU_ASSERT_TS_OK(ts_stage_commit(tmp, &set, 0, NULL));
	CU_ASSERT_TS_OK(ts_stage_compare(tmp, &set, st, &ndiff));
	CU_ASSERT_EQUAL(ndiff, 0);
	two_files(&set, "a\n", "c\n");
	CU_ASSERT_TS_OK(ts_stage_compare(tmp, &set, st, &ndiff));
	CU_ASSERT_EQUAL(ndiff, 1);
	CU_ASSERT_EQUAL(st[1], TS_FILE_DIFFERS);
	ts_outset_free(&set);
	ts_test_rm_rf(tmp);
}

static void
test_stage_tapeout_paths_and_resolve(void)
{
	TS_BUF(abs);
	CU_ASSERT(ts_path_is_tapeout("/x/tapeout/y"));
	CU_ASSERT(ts_path_is_tapeout("data/top_e.secrets.tapeout.gen.hjson"));
	CU_ASSERT(!ts_path_is_tapeout("/x/tapeouts/testing"));
	CU_ASSERT(!ts_path_is_tapeout("rtl/autogen/testing/x.sv"));
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_stage_resolve("/nonexistent-dir/out", &abs), TS_ERR_IO);
	CU_ASSERT_MSG_HAS("create it first");
	CU_ASSERT_TS_OK(ts_stage_resolve("/tmp/", &abs));
	CU_ASSERT_STRING_EQUAL((const char *)abs.data, "/tmp");
}

static CU_TestInfo stage_tests[] = {
	{ "new_dir_then_unchanged", test_stage_new_dir_then_unchanged },
	{ "differs_needs_force", test_stage_differs_needs_force },
	{ "refuses_symlinks", test_stage_refuses_symlinks },
	{ "rolls_back_partial_commit", test_stage_rolls_back_partial_commit },
	{ "compare_reports", test_stage_compare_reports },
	{ "tapeout_paths_and_resolve", test_stage_tapeout_paths_and_resolve },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "stage", NULL, NULL, NULL, NULL, stage_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
