#include "secure/secure_guard.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/base/ts_file.h"

extern char **environ;

static const char *const markers[] = {
	"seed_mode: testing", "_testing_", "/testing/", ".testing.", "testing_rnd_cnst", "testing_lc_ctrl",
};

int
secure_has_testing_marker(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		if (len > 0 && memmem(buf, len, markers[i], strlen(markers[i])) != NULL) {
			return 1;
		}
	}
	return 0;
}

static int
has_component(const char *abs, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = abs; p != NULL && *p != '\0';) {
		while (*p == '/') {
			p++;
		}
		size_t k = strcspn(p, "/");
		if (k == n && strncmp(p, name, n) == 0) {
			return 1;
		}
		p += k;
	}
	return 0;
}

/* The nearest ancestor of abs (or abs itself) holding a .git entry, if any. */
static int
git_top(const char *abs, char *top, size_t len)
{
	char path[PATH_MAX + 8];
	struct stat st;
	(void)snprintf(top, len, "%s", abs);
	for (;;) {
		(void)snprintf(path, sizeof(path), "%s/.git", top[0] ? top : "");
		if (lstat(path, &st) == 0) {
			return 1;
		}
		char *slash = strrchr(top, '/');
		if (slash == NULL || top[0] == '\0') {
			return 0;
		}
		*slash = '\0';
	}
}

/* Runs `git -C top check-ignore -q path`: 0 ignored, 1 not ignored, other: unknown. */
static int
git_ignored(const char *top, const char *path)
{
	char *argv[] = { (char *)(uintptr_t)"git", (char *)(uintptr_t)"-C", (char *)(uintptr_t)top,
			 (char *)(uintptr_t)"check-ignore", (char *)(uintptr_t)"-q", (char *)(uintptr_t)path, NULL };
	pid_t pid;
	int st = 0;
	if (posix_spawnp(&pid, "git", NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st)) {
		return 2;
	}
	return WEXITSTATUS(st);
}

/* Each absolute file path must be ignored by git when it is inside a work tree. */
static ts_result
guard_git_paths(const char *const *paths, size_t n, const struct secure_policy *pol)
{
	char top[PATH_MAX];
	for (size_t i = 0; i < n && !pol->allow_git_worktree; i++) {
		if (!git_top(paths[i], top, sizeof(top))) {
			continue;
		}
		const char *t = top[0] ? top : "/";
		int ig = git_ignored(t, paths[i]);
		const char *what = strstr(paths[i], ".tapeseal-XXXXXX/") != NULL ? " (the staging copy a run writes first; "
				   "ignore .<dir>.tapeseal-*/ too)"
				   : strstr(paths[i], ".tmp.XXXXXX") != NULL ? " (the temporary copy written first; ignore "
									       "<name>.tmp.* too)"
									     : "";
		TS_ENSUREF(ig != 1, TS_ERR_MODE,
			   "%s%s is inside the git work tree %s and not ignored; tapeout secrets must never reach a "
			   "repository: write elsewhere or add it to .gitignore", paths[i], what, t);
		TS_ENSUREF(ig == 0, TS_ERR_MODE,
			   "%s is inside the git work tree %s and 'git check-ignore' could not confirm it is ignored; "
			   "write outside the work tree", paths[i], t);
	}
	return TS_OK;
}

/*
 * Every file of set must be ignored by git when abs is inside a work tree,
 * and so must its copy in the staging directory beside abs
 * (.<name>.tapeseal-XXXXXX/<rel>), where it sits during a run and after a crash.
 */
static ts_result
guard_git(const char *abs, const struct ts_outset *set, const struct secure_policy *pol)
{
	static char paths[2 * TS_OUT_MAX][PATH_MAX + 320];
	const char *ptrs[2 * TS_OUT_MAX];
	const char *slash = strrchr(abs, '/');
	TS_ENSURE(slash != NULL, TS_ERR_INTERNAL);
	for (size_t i = 0; i < set->n; i++) {
		int n = snprintf(paths[2 * i], sizeof(paths[0]), "%s/%s", abs, set->f[i].rel);
		int m = snprintf(paths[2 * i + 1], sizeof(paths[0]), "%.*s/.%s.tapeseal-XXXXXX/%s", (int)(slash - abs), abs,
				 slash + 1, set->f[i].rel);
		TS_ENSURE(n > 0 && (size_t)n < sizeof(paths[0]) && m > 0 && (size_t)m < sizeof(paths[0]), TS_ERR_RANGE);
		ptrs[2 * i] = paths[2 * i];
		ptrs[2 * i + 1] = paths[2 * i + 1];
	}
	return guard_git_paths(ptrs, 2 * set->n, pol);
}

ts_result
secure_guard_files(const char *const *abs_paths, size_t n, const struct secure_policy *pol)
{
	for (size_t i = 0; i < n; i++) {
		TS_ENSUREF(!has_component(abs_paths[i], "testing"), TS_ERR_MODE,
			   "%s is under a 'testing' directory; tapeout outputs never go there", abs_paths[i]);
	}
	/* Each output is first written beside itself as <path>.tmp.XXXXXX: that name must be ignored too. */
	static char tmps[TS_OUT_MAX * 8][PATH_MAX + 16];
	const char *ptrs[TS_OUT_MAX * 8];
	TS_ENSURE(n <= TS_OUT_MAX * 8, TS_ERR_RANGE);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(tmps[i], sizeof(tmps[0]), "%s.tmp.XXXXXX", abs_paths[i]);
		TS_ENSURE(k > 0 && (size_t)k < sizeof(tmps[0]), TS_ERR_RANGE);
		ptrs[i] = tmps[i];
	}
	TS_GUARD(guard_git_paths(abs_paths, n, pol));
	return guard_git_paths(ptrs, n, pol);
}

ts_result
secure_guard_location(const char *abs, const struct ts_outset *set, const struct secure_policy *pol)
{
	char path[PATH_MAX + 320];
	TS_ENSUREF(!has_component(abs, "testing"), TS_ERR_MODE,
		   "%s is under a 'testing' directory; tapeout artifacts never go there", abs);
	for (size_t i = 0; i < set->n; i++) {
		TS_BUF(have);
		(void)snprintf(path, sizeof(path), "%s/%s", abs, set->f[i].rel);
		if (ts_file_read(path, TS_BUF_MAX, &have).code != 0) {
			ts_error_clear();
			continue;
		}
		TS_ENSUREF(!secure_has_testing_marker(have.data, have.len), TS_ERR_MODE,
			   "%s already holds testing content; tapeout artifacts never replace testing ones: run "
			   "'tapeseal-secure purge-testing' or choose another --outdir", path);
	}
	return guard_git(abs, set, pol);
}

ts_result
secure_guard_staged(const struct ts_outset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		TS_ENSUREF(!secure_has_testing_marker(set->f[i].data.data, set->f[i].data.len), TS_ERR_MODE,
			   "generated %s carries a testing marker; refusing to write it (check the structure file)",
			   set->f[i].rel);
	}
	return TS_OK;
}
