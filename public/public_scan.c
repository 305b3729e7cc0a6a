#include "public/public_cmds.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "common/base/ts_file.h"
#include "common/tree/ts_tree.h"

static const char usage[] =
	"Usage: tapeseal scan DIR\n"
	"\n"
	"Lists tapeout material under DIR, for a public repository's CI or pre-commit hook:\n"
	"files named *.secrets.tapeout.*, tapeseal tapeout manifests and transcripts, *_tapeout_*.core,\n"
	"anything under an rtl/autogen/tapeout/ directory, and files whose text declares a\n"
	"'tapeout_' FuseSoC core or a 'seed_mode: tapeout' seed, and a tree switched to tapeout by\n"
	"'tapeseal-secure switch': its record tapeseal-switch.tapeout.json, dvsim files (*.hjson) naming\n"
	"--flag=fileset_tapeout, --//hw/top:seed=tapeout or a *.secrets.tapeout.gen.hjson file, and Bazel\n"
	"files (*.bzl, BUILD) naming a *.secrets.tapeout.gen.hjson file, and what an interrupted run can\n"
	"leave: staging directories (.<dir>.tapeseal-XXXXXX) and temporary files (<name>.tmp.XXXXXX).\n"
	".git directories are skipped.\n"
	"\n"
	"Exit status: 0 when none is found, 1 when some is (each is listed), 2 on bad usage.\n";

static size_t hits;
static size_t scanned;

static int
name_hit(const char *path, const char *base)
{
	size_t n = strlen(base);
	return strstr(base, ".secrets.tapeout.") != NULL || strncmp(base, "tapeseal-manifest.tapeout", 25) == 0 ||
	       strncmp(base, "tapeseal-transcript.tapeout", 27) == 0 ||
	       (strstr(base, "_tapeout_") != NULL && n > 5 && strcmp(base + n - 5, ".core") == 0) ||
	       strstr(path, "/rtl/autogen/tapeout/") != NULL;
}

static int
content_hit(const char *path, const char *base)
{
	struct ts_buf b = { 0 };
	int hit = 0;
	if (ts_file_read(path, 64u * 1024u * 1024u, &b).code == 0 && b.len > 0) {
		hit = memmem(b.data, b.len, "_constants:tapeout_", 19) != NULL ||
		      memmem(b.data, b.len, "seed_mode: tapeout", 18) != NULL ||
		      ts_tree_text_switched(base, b.data, b.len);
	}
	ts_error_clear();
	ts_buf_free(&b);
	return hit;
}

/* NAME ends in "<sep>XXXXXX" (six characters of mkstemp/mkdtemp), after a non-empty stem. */
static int
temp_suffix(const char *base, const char *sep)
{
	const char *at = strstr(base, sep);
	size_t n = at != NULL ? strlen(at + strlen(sep)) : 0;
	return at != NULL && at != base && n == 6 && strchr(at + strlen(sep), '/') == NULL;
}

/* Leftovers of an interrupted run: a staging directory (.<dir>.tapeseal-XXXXXX) or a temporary file. */
static int
leftover(const char *base, int is_dir)
{
	return is_dir ? base[0] == '.' && temp_suffix(base + 1, ".tapeseal-") : temp_suffix(base, ".tmp.");
}

static int
visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	const char *base = path + ftw->base;
	if (flag == FTW_D && strcmp(base, ".git") == 0) {
		return FTW_SKIP_SUBTREE;
	}
	if ((flag == FTW_D || flag == FTW_F) && leftover(base, flag == FTW_D)) {
		printf("tapeout material: %s (%s left by an interrupted tapeseal run; it may hold secrets)\n", path,
		       flag == FTW_D ? "a staging directory" : "a temporary file");
		hits++;
		scanned += flag == FTW_F;
		return flag == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	}
	if (flag != FTW_F) {
		return FTW_CONTINUE;
	}
	scanned++;
	if (name_hit(path, base) || content_hit(path, base) || strcmp(base, TS_TREE_RECORD) == 0) {
		printf("tapeout material: %s\n", path);
		hits++;
	}
	return FTW_CONTINUE;
}

int
public_scan_main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "tapeseal scan: give one directory; see 'tapeseal scan --help'\n");
		return 2;
	}
	hits = 0;
	scanned = 0;
	if (nftw(argv[1], visit, 32, FTW_PHYS | FTW_ACTIONRETVAL) != 0) {
		fprintf(stderr, "tapeseal scan: %s: cannot walk the directory\n", argv[1]);
		return 2;
	}
	fprintf(stderr, "tapeseal scan: %zu file(s) scanned, %zu with tapeout material\n", scanned, hits);
	return hits ? 1 : 0;
}
