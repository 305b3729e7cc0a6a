#include "common/base/ts_stage_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/ts_file.h"

/* The crash record of a staged commit and the recovery of an interrupted one (ts_stage_int.h). */

#define MAX_ENTRIES (TS_OUT_MAX + 64)

static char note[640];

const char *
ts_stage_recovery_note(void)
{
	return note;
}

ts_result
ts_stage_journal_write(const struct ts_stage_plan *p)
{
	char path[PATH_MAX + 32];
	TS_BUF(j);
	TS_GUARD(ts_buf_puts(&j, "tapeseal-journal 1\n"));
	for (size_t i = 0; i < p->ndirs; i++) {
		TS_GUARD(ts_buf_printf(&j, "mkdir %s\n", p->dirs[i]));
	}
	for (size_t i = 0; i < p->set->n; i++) {
		if (p->status[i] != TS_FILE_UNCHANGED) {
			TS_GUARD(ts_buf_printf(&j, "%s %zu %s\n", p->status[i] == TS_FILE_NEW ? "new" : "replace", i,
					       p->set->f[i].rel));
		}
	}
	(void)snprintf(path, sizeof(path), "%s/" TS_STAGE_JOURNAL, p->stage);
	return ts_file_write_new(path, j.data, j.len, 0600);
}

ts_result
ts_stage_journal_mark_rollback(const char *stage)
{
	char path[PATH_MAX + 32];
	(void)snprintf(path, sizeof(path), "%s/" TS_STAGE_JOURNAL, stage);
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		return TS_OK; /* no journal yet: nothing was changed */
	}
	TS_ENSUREF(fd >= 0, TS_ERR_IO, "%s: %s", path, strerror(errno));
	int ok = write(fd, "rollback\n", 9) == 9 && fsync(fd) == 0;
	(void)close(fd);
	TS_ENSUREF(ok, TS_ERR_IO, "%s: cannot record the roll-back: %s", path, strerror(errno));
	return TS_OK;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The staging directory and all in it (only tapeseal's own files are ever there). */
static ts_result
remove_stage(const char *stage)
{
	TS_ENSUREF(nftw(stage, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT, TS_ERR_IO,
		   "%s: cannot remove the staging directory: %s", stage, strerror(errno));
	return TS_OK;
}

struct entry {
	int is_new;
	size_t i;
	char rel[256];
};

struct journal {
	const char *abs; /* the output directory the journal is beside */
	struct entry e[MAX_ENTRIES];
	size_t n;
	char dirs[64][PATH_MAX + 32];
	size_t ndirs;
	int rollback;
};

/* One line of a journal (NUL-terminated, without its newline). */
static ts_result
parse_line(const char *path, const char *line, struct journal *j)
{
	char kind[16];
	size_t i;
	int used = 0;
	if (strcmp(line, "rollback") == 0) {
		j->rollback = 1;
		return TS_OK;
	}
	if (strncmp(line, "mkdir ", 6) == 0) {
		/* Only a directory inside the output directory, as the commit made them. */
		size_t k = strlen(j->abs);
		const char *d = line + 6;
		TS_ENSUREF(j->ndirs < 64 && strncmp(d, j->abs, k) == 0 && d[k] == '/' && d[k + 1] != '\0' &&
				   strstr(d, "/..") == NULL && strlen(d) < sizeof(j->dirs[0]),
			   TS_ERR_PARSE, "%s: bad line '%.40s'; remove its directory by hand", path, line);
		(void)snprintf(j->dirs[j->ndirs++], sizeof(j->dirs[0]), "%s", d);
		return TS_OK;
	}
	struct entry *e = &j->e[j->n];
	int ok = j->n < MAX_ENTRIES && sscanf(line, "%15s %zu %n", kind, &i, &used) == 2 && used > 0 &&
		 i < TS_OUT_MAX && (strcmp(kind, "new") == 0 || strcmp(kind, "replace") == 0);
	const char *rel = ok ? line + used : "";
	ok = ok && rel[0] != '\0' && rel[0] != '/' && strstr(rel, "..") == NULL && strlen(rel) < sizeof(e->rel);
	TS_ENSUREF(ok, TS_ERR_PARSE, "%s: bad line '%.40s'; remove its directory by hand", path, line);
	*e = (struct entry){ .is_new = kind[0] == 'n', .i = i };
	(void)snprintf(e->rel, sizeof(e->rel), "%s", rel);
	j->n++;
	return TS_OK;
}

static ts_result
parse(const char *path, const struct ts_buf *b, struct journal *j)
{
	const char *s = (const char *)b->data;
	TS_ENSUREF(b->len >= 19 && memcmp(s, "tapeseal-journal 1\n", 19) == 0, TS_ERR_PARSE,
		   "%s: not a tapeseal journal; remove its directory by hand", path);
	for (size_t off = 19; off < b->len;) {
		const char *nl = memchr(s + off, '\n', b->len - off);
		TS_ENSUREF(nl != NULL, TS_ERR_PARSE, "%s: a line does not end", path);
		size_t n = (size_t)(nl - (s + off));
		char line[PATH_MAX + 32];
		TS_ENSUREF(n < sizeof(line), TS_ERR_PARSE, "%s: a line is too long", path);
		memcpy(line, s + off, n);
		line[n] = '\0';
		TS_GUARD(parse_line(path, line, j));
		off = (size_t)(nl - s) + 1;
	}
	return TS_OK;
}

/* Whether entry e of the commit staged in stage reached the output directory abs. */
static int
placed(const char *abs, const char *stage, const struct entry *e)
{
	char f[PATH_MAX + 32], target[PATH_MAX + 256];
	struct stat sf, st;
	(void)snprintf(f, sizeof(f), "%s/f%zu", stage, e->i);
	(void)snprintf(target, sizeof(target), "%s/%s", abs, e->rel);
	int have_f = lstat(f, &sf) == 0;
	if (!e->is_new) {
		return !have_f; /* the staged file was renamed over the target */
	}
	return lstat(target, &st) == 0 && (!have_f || (sf.st_ino == st.st_ino && sf.st_dev == st.st_dev));
}

/* Puts back what the commit replaced and removes what it added, last first. */
static void
undo(const char *abs, const char *stage, const struct journal *j)
{
	char target[PATH_MAX + 256], b[PATH_MAX + 32];
	for (size_t k = j->n; k-- > 0;) {
		const struct entry *e = &j->e[k];
		(void)snprintf(target, sizeof(target), "%s/%s", abs, e->rel);
		(void)snprintf(b, sizeof(b), "%s/b%zu", stage, e->i);
		if (e->is_new && placed(abs, stage, e)) {
			(void)unlink(target);
		} else if (!e->is_new && placed(abs, stage, e) && access(b, F_OK) == 0) {
			(void)rename(b, target);
		}
		char *slash = strrchr(target, '/');
		*slash = '\0';
		ts_result_ignore(ts_file_sync_dir(target));
	}
	for (size_t k = j->ndirs; k-- > 0;) {
		(void)rmdir(j->dirs[k]);
	}
}

static ts_result
recover_one(const char *abs, const char *stage)
{
	char path[PATH_MAX + 32];
	static struct journal j;
	TS_BUF(b);
	memset(&j, 0, sizeof(j));
	j.abs = abs;
	(void)snprintf(path, sizeof(path), "%s/" TS_STAGE_JOURNAL, stage);
	if (ts_file_read(path, 1u << 20, &b).code != 0) {
		ts_error_clear();
		(void)snprintf(note, sizeof(note), "removed %.500s, left by a run interrupted before it changed anything",
			       stage);
		return remove_stage(stage);
	}
	TS_GUARD(parse(path, &b, &j));
	size_t done = 0;
	for (size_t k = 0; k < j.n; k++) {
		done += (size_t)placed(abs, stage, &j.e[k]);
	}
	if (!j.rollback && done == j.n) {
		(void)snprintf(note, sizeof(note), "completed a run interrupted after its %zu file(s) were in place in %.500s",
			       j.n, abs);
		return remove_stage(stage);
	}
	TS_GUARD(ts_stage_journal_mark_rollback(stage));
	undo(abs, stage, &j);
	(void)snprintf(note, sizeof(note), "rolled back a run interrupted with %zu of %zu file(s) in place in %.500s: "
		       "the files are as before it", done, j.n, abs);
	return remove_stage(stage);
}

ts_result
ts_stage_recover(const char *abs)
{
	char parent[PATH_MAX], prefix[NAME_MAX + 16], stage[PATH_MAX];
	const char *slash = strrchr(abs, '/');
	TS_ENSURE(slash != NULL, TS_ERR_INTERNAL);
	(void)snprintf(parent, sizeof(parent), "%.*s", slash == abs ? 1 : (int)(slash - abs), abs);
	(void)snprintf(prefix, sizeof(prefix), ".%s.tapeseal-", slash + 1);
	note[0] = '\0';
	DIR *d = opendir(parent);
	TS_ENSUREF(d != NULL, TS_ERR_IO, "%s: %s", parent, strerror(errno));
	struct dirent *e;
	ts_result r = TS_OK;
	size_t k = strlen(prefix);
	while (r.code == 0 && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, k) != 0 || strlen(e->d_name) != k + 6) {
			continue;
		}
		int n = snprintf(stage, sizeof(stage), "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, e->d_name);
		r = n > 0 && (size_t)n < sizeof(stage) ? recover_one(abs, stage) : r;
	}
	(void)closedir(d);
	return r.code == 0 && note[0] != '\0' ? ts_file_sync_dir(parent) : r;
}
