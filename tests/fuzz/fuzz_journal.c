#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/ts_file.h"
#include "common/base/ts_stage_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		(void)fputs(text, f);
		(void)fclose(f);
	}
}

/* Whether path holds "old" or "new" (or is absent): recovery may only ever leave one of these. */
static int
sane(const char *path)
{
	struct ts_buf b = { 0 };
	int ok = ts_file_read(path, 64, &b).code != 0 ||
		 (b.len == 3 && (memcmp(b.data, "old", 3) == 0 || memcmp(b.data, "new", 3) == 0));
	ts_error_clear();
	ts_buf_free(&b);
	return ok;
}

/*
 * A staging directory left beside an output directory, with an arbitrary
 * journal (the input, after one byte choosing which staged files exist):
 * recovery must not crash, must touch nothing outside the output directory
 * and its staging directory, and may leave each output file only old or new.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[128], stage[160], path[256];
	if (root[0] == '\0') {
		(void)snprintf(root, sizeof(root), "/tmp/fuzz_journal.XXXXXX");
		if (mkdtemp(root) == NULL) {
			abort();
		}
	}
	(void)snprintf(out, sizeof(out), "%s/out", root);
	(void)snprintf(stage, sizeof(stage), "%s/.out.tapeseal-AbCdEf", root);
	(void)mkdir(out, 0700);
	(void)snprintf(path, sizeof(path), "%s/d", out);
	(void)mkdir(path, 0700);
	(void)snprintf(path, sizeof(path), "%s/a", out);
	put(path, "old");
	(void)snprintf(path, sizeof(path), "%s/d/b", out);
	put(path, "old");
	(void)mkdir(stage, 0700);
	unsigned which = size > 0 ? data[0] : 0;
	for (unsigned i = 0; i < 4; i++) {
		(void)snprintf(path, sizeof(path), "%s/%c%u", stage, i & 1 ? 'b' : 'f', i / 2);
		if (which & (1u << i)) {
			put(path, i & 1 ? "old" : "new");
		}
	}
	(void)snprintf(path, sizeof(path), "%s/" TS_STAGE_JOURNAL, stage);
	FILE *f = fopen(path, "w");
	if (f != NULL && size > 1) {
		(void)fwrite(data + 1, 1, size - 1, f);
	}
	if (f != NULL) {
		(void)fclose(f);
	}
	ts_error_clear();
	ts_result_ignore(ts_stage_recover(out));
	ts_error_clear();
	(void)snprintf(path, sizeof(path), "%s/a", out);
	int ok = sane(path);
	(void)snprintf(path, sizeof(path), "%s/d/b", out);
	ok &= sane(path);
	struct stat st;
	ok &= lstat(root, &st) == 0;
	if (!ok) {
		__builtin_trap();
	}
	(void)nftw(out, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	(void)nftw(stage, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
