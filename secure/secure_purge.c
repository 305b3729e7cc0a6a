#include "secure/secure_cmds.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/ts_stage.h"

#define MAX_PURGE 256

/* What topgen's README says to delete before tapeout. */
struct purge_list {
	char path[MAX_PURGE][PATH_MAX];
	int is_dir[MAX_PURGE];
	size_t n;
};

static ts_result
add(struct purge_list *l, const char *path, int is_dir)
{
	TS_ENSUREF(l->n < MAX_PURGE, TS_ERR_RANGE, "more than %d testing artifacts; purge by hand", MAX_PURGE);
	(void)snprintf(l->path[l->n], PATH_MAX, "%s", path);
	l->is_dir[l->n++] = is_dir;
	return TS_OK;
}

/* dir/name into out; a path that does not fit is an error, never truncated. */
static ts_result
join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	TS_ENSUREF(n > 0 && (size_t)n < len, TS_ERR_RANGE, "%s/%s: path too long", dir, name);
	return TS_OK;
}

static ts_result
collect_secrets(const char *abs, struct purge_list *l)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	TS_GUARD(join(dir, sizeof(dir), abs, "data/autogen"));
	DIR *d = opendir(dir);
	if (d == NULL) {
		return TS_OK;
	}
	struct dirent *e;
	ts_result r = TS_OK;
	while (r.code == 0 && (e = readdir(d)) != NULL) {
		static const char suffix[] = ".secrets.testing.gen.hjson";
		size_t n = strlen(e->d_name);
		size_t k = sizeof(suffix) - 1;
		if (strncmp(e->d_name, "top_", 4) != 0 || n <= k + 4 || strcmp(e->d_name + n - k, suffix) != 0) {
			continue;
		}
		r = join(path, sizeof(path), dir, e->d_name);
		if (r.code == 0 && lstat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
			r = add(l, path, 0);
		}
	}
	closedir(d);
	return r;
}

static ts_result
collect_testing_dir(const char *abs, struct purge_list *l)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	TS_GUARD(join(dir, sizeof(dir), abs, "rtl/autogen/testing"));
	if (lstat(dir, &st) != 0) {
		return TS_OK;
	}
	TS_ENSUREF(S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode), TS_ERR_SYMLINK,
		   "%s is not a plain directory; remove it by hand", dir);
	DIR *d = opendir(dir);
	TS_ENSUREF(d != NULL, TS_ERR_IO, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	ts_result r = TS_OK;
	while (r.code == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			continue;
		}
		r = join(path, sizeof(path), dir, e->d_name);
		if (r.code != 0) {
			break;
		}
		r = lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)
			    ? add(l, path, 0)
			    : ts_failf(TS_ERR_IO, __FILE__, __LINE__, "%s: a subdirectory; remove it by hand", path);
	}
	closedir(d);
	TS_GUARD(r);
	return add(l, dir, 1);
}

int
secure_purge_run(const struct secure_opts *o)
{
	static struct purge_list l;
	TS_BUF(abs);
	l.n = 0;
	if (o->outdir == NULL) {
		fprintf(stderr, "tapeseal-secure purge-testing: --outdir is required\n");
		return 2;
	}
	ts_result r = ts_stage_resolve(o->outdir, &abs);
	if (r.code == 0) {
		r = collect_secrets((const char *)abs.data, &l);
	}
	if (r.code == 0) {
		r = collect_testing_dir((const char *)abs.data, &l);
	}
	if (r.code != 0) {
		return secure_fail("purge-testing");
	}
	for (size_t i = 0; i < l.n; i++) {
		int rc = o->dry_run ? 0 : l.is_dir[i] ? rmdir(l.path[i]) : unlink(l.path[i]);
		if (rc != 0) {
			fprintf(stderr, "tapeseal-secure purge-testing: %s: %s\n", l.path[i], strerror(errno));
			return 1;
		}
		printf("%s %s\n", o->dry_run ? "would remove" : "removed", l.path[i]);
	}
	printf("tapeseal-secure purge-testing: %zu testing artifact(s) %s\n", l.n, o->dry_run ? "found" : "removed");
	return 0;
}
