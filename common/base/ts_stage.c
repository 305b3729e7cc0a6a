#include "common/base/ts_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/base/ts_file.h"
#include "common/base/ts_stage_int.h"

#define MAX_DIRS 64

static ts_result lock_parent(const char *abs, int *fd);

struct dirlist {
	char *d[MAX_DIRS];
	size_t n;
};

static void
dirlist_free(struct dirlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->d[i]);
	}
	l->n = 0;
}

int
ts_path_is_tapeout(const char *abs)
{
	const char *p = abs;
	while (p != NULL && *p != '\0') {
		while (*p == '/') {
			p++;
		}
		size_t n = strcspn(p, "/");
		if ((n == 7 && strncmp(p, "tapeout", 7) == 0) ||
		    (n >= 9 && memmem(p, n, ".tapeout.", 9) != NULL)) {
			return 1;
		}
		p += n;
	}
	return 0;
}

static ts_result
resolve_missing(const char *outdir, struct ts_buf *out)
{
	char real[PATH_MAX];
	TS_BUF(parent);
	const char *slash = strrchr(outdir, '/');
	const char *base = slash != NULL ? slash + 1 : outdir;
	TS_ENSUREF(strcmp(base, ".") != 0 && strcmp(base, "..") != 0, TS_ERR_USAGE, "%s: bad output directory",
		   outdir);
	if (slash == NULL) {
		TS_GUARD(ts_buf_append(&parent, ".", 2));
	} else {
		TS_GUARD(ts_buf_append(&parent, outdir, slash == outdir ? 1 : (size_t)(slash - outdir)));
		TS_GUARD(ts_buf_append(&parent, "", 1));
	}
	TS_ENSUREF(realpath((const char *)parent.data, real) != NULL, TS_ERR_IO,
		   "%s: parent directory %s: %s; create it first", outdir, (const char *)parent.data,
		   strerror(errno));
	TS_GUARD(ts_buf_printf(out, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base));
	return ts_buf_append(out, "", 1);
}

ts_result
ts_stage_resolve(const char *outdir, struct ts_buf *out)
{
	TS_ENSURE_REF(outdir);
	TS_ENSURE_REF(out);
	char real[PATH_MAX];
	struct stat st;
	TS_BUF(given);
	out->len = 0;
	TS_ENSUREF(*outdir != '\0', TS_ERR_USAGE, "the output directory is empty");
	TS_GUARD(ts_buf_puts(&given, outdir));
	while (given.len > 1 && given.data[given.len - 1] == '/') {
		given.len--;
	}
	TS_GUARD(ts_buf_append(&given, "", 1));
	const char *dir = (const char *)given.data;
	if (lstat(dir, &st) != 0) {
		TS_ENSUREF(errno == ENOENT, TS_ERR_IO, "%s: %s", outdir, strerror(errno));
		return resolve_missing(dir, out);
	}
	TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK,
		   "%s: the output directory is a symbolic link; give the real path", outdir);
	TS_ENSUREF(S_ISDIR(st.st_mode), TS_ERR_IO, "%s: not a directory", outdir);
	TS_ENSUREF(realpath(dir, real) != NULL, TS_ERR_IO, "%s: %s", outdir, strerror(errno));
	TS_GUARD(ts_buf_puts(out, real));
	return ts_buf_append(out, "", 1);
}

/* Checks the directories of rel under base (no symlinks); *exists tells whether the file exists. */
static ts_result
check_path(const char *base, const char *rel, int *exists)
{
	char path[PATH_MAX];
	struct stat st;
	*exists = 0;
	for (const char *s = strchr(rel, '/'); s != NULL; s = strchr(s + 1, '/')) {
		(void)snprintf(path, sizeof(path), "%s/%.*s", base, (int)(s - rel), rel);
		if (lstat(path, &st) != 0) {
			TS_ENSUREF(errno == ENOENT, TS_ERR_IO, "%s: %s", path, strerror(errno));
			return TS_OK;
		}
		TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK, "%s: is a symbolic link; refusing to follow it",
			   path);
		TS_ENSUREF(S_ISDIR(st.st_mode), TS_ERR_IO, "%s: not a directory", path);
	}
	(void)snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (lstat(path, &st) != 0) {
		TS_ENSUREF(errno == ENOENT, TS_ERR_IO, "%s: %s", path, strerror(errno));
		return TS_OK;
	}
	TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK, "%s: is a symbolic link; refusing to replace it", path);
	TS_ENSUREF(S_ISREG(st.st_mode), TS_ERR_IO, "%s: not a regular file", path);
	*exists = 1;
	return TS_OK;
}

static ts_result
same_content(const char *path, const struct ts_buf *want, int *same)
{
	TS_BUF(have);
	TS_GUARD(ts_file_read(path, TS_BUF_MAX, &have));
	*same = have.len == want->len && (want->len == 0 || CRYPTO_memcmp(have.data, want->data, want->len) == 0);
	return TS_OK;
}

static ts_result
file_status(const char *base, const struct ts_out_file *f, enum ts_file_status *st)
{
	char path[PATH_MAX];
	int exists;
	int same;
	TS_GUARD(check_path(base, f->rel, &exists));
	if (!exists) {
		*st = TS_FILE_MISSING;
		return TS_OK;
	}
	(void)snprintf(path, sizeof(path), "%s/%s", base, f->rel);
	TS_GUARD(same_content(path, &f->data, &same));
	*st = same ? TS_FILE_UNCHANGED : TS_FILE_DIFFERS;
	return TS_OK;
}

ts_result
ts_stage_compare(const char *outdir, const struct ts_outset *set, enum ts_file_status *status, size_t *ndiff)
{
	TS_ENSURE_REF(outdir);
	TS_ENSURE_REF(set);
	TS_ENSURE_REF(status);
	TS_ENSURE_REF(ndiff);
	*ndiff = 0;
	/* An interrupted run is finished first (under the lock), so what is compared is old or new. */
	int lock;
	if (outdir[0] == '/' && strcmp(outdir, "/") != 0 && lock_parent(outdir, &lock).code == 0) {
		ts_result rec = ts_stage_recover(outdir);
		(void)close(lock);
		TS_GUARD(rec);
	}
	ts_error_clear();
	for (size_t i = 0; i < set->n; i++) {
		TS_GUARD(file_status(outdir, &set->f[i], &status[i]));
		*ndiff += status[i] != TS_FILE_UNCHANGED;
	}
	return TS_OK;
}

/* Creates the missing directories of rel under base (0700), recording them. */
static ts_result
make_dirs(const char *base, const char *rel, struct dirlist *created)
{
	char path[PATH_MAX];
	struct stat st;
	for (const char *s = strchr(rel, '/'); s != NULL; s = strchr(s + 1, '/')) {
		(void)snprintf(path, sizeof(path), "%s/%.*s", base, (int)(s - rel), rel);
		if (mkdir(path, 0700) == 0) {
			TS_ENSURE(created->n < MAX_DIRS, TS_ERR_INTERNAL);
			created->d[created->n] = strdup(path);
			TS_ENSURE(created->d[created->n] != NULL, TS_ERR_NOMEM);
			created->n++;
			continue;
		}
		TS_ENSUREF(errno == EEXIST, TS_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
		TS_ENSUREF(lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode), TS_ERR_SYMLINK,
			   "%s: not a plain directory", path);
	}
	return TS_OK;
}

static void
remove_dirs(struct dirlist *l)
{
	for (size_t i = l->n; i-- > 0;) {
		(void)rmdir(l->d[i]);
	}
}

/* Writes f as path, then reads it back: the staged copy must be exact. */
static ts_result
stage_file(const char *path, const struct ts_out_file *f)
{
	int same;
	TS_GUARD(ts_file_write_new_nosync_dir(path, f->data.data ? f->data.data : (const uint8_t *)"", f->data.len,
					      f->mode));
	TS_GUARD(same_content(path, &f->data, &same));
	TS_ENSUREF(same, TS_ERR_IO, "%s: staged file does not read back as written", path);
	return TS_OK;
}

static ts_result
make_stage(const char *abs, struct ts_buf *stage)
{
	const char *slash = strrchr(abs, '/');
	TS_ENSURE(slash != NULL, TS_ERR_INTERNAL);
	stage->len = 0;
	TS_GUARD(ts_buf_printf(stage, "%.*s/.%s.tapeseal-XXXXXX", (int)(slash - abs), abs, slash + 1));
	TS_GUARD(ts_buf_append(stage, "", 1));
	TS_ENSUREF(mkdtemp((char *)stage->data) != NULL, TS_ERR_IO,
		   "%s: cannot create a staging directory beside it: %s; check that its parent is writable", abs,
		   strerror(errno));
	return TS_OK;
}

static ts_result
sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	TS_ENSURE(slash != NULL, TS_ERR_INTERNAL);
	(void)snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return ts_file_sync_dir(dir);
}

static void
unstage_new_dir(const char *stage, const struct ts_outset *set, struct dirlist *created)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < set->n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", stage, set->f[i].rel);
		(void)unlink(path);
	}
	remove_dirs(created);
	(void)rmdir(stage);
}

static ts_result
fill_stage_tree(const char *stage, const struct ts_outset *set, struct dirlist *created)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < set->n; i++) {
		TS_GUARD(make_dirs(stage, set->f[i].rel, created));
		(void)snprintf(path, sizeof(path), "%s/%s", stage, set->f[i].rel);
		TS_GUARD(stage_file(path, &set->f[i]));
	}
	/* Each created directory holds new entries: fsync every one once, deepest first. */
	for (size_t i = created->n; i-- > 0;) {
		TS_GUARD(ts_file_sync_dir(created->d[i]));
	}
	return ts_file_sync_dir(stage);
}

/* A new output directory: stage it whole, then one rename puts it in place. */
static ts_result
commit_new_dir(const char *abs, const struct ts_outset *set, enum ts_file_status *status)
{
	TS_BUF(stage);
	struct dirlist created = { 0 };
	TS_GUARD(make_stage(abs, &stage));
	const char *sp = (const char *)stage.data;
	ts_result r = fill_stage_tree(sp, set, &created);
	if (r.code == 0 && rename(sp, abs) != 0) {
		r = ts_failf(TS_ERR_IO, __FILE__, __LINE__, "%s: cannot move the staged output into place: %s", abs,
			     strerror(errno));
	}
	if (r.code != 0) {
		unstage_new_dir(sp, set, &created);
		dirlist_free(&created);
		return r;
	}
	dirlist_free(&created);
	for (size_t i = 0; i < set->n; i++) {
		status[i] = TS_FILE_NEW;
	}
	return sync_parent(abs);
}

static ts_result
preflight(const char *abs, const struct ts_outset *set, int force, enum ts_file_status *status, size_t *nchange)
{
	size_t ndiff = 0;
	const char *first = NULL;
	*nchange = 0;
	for (size_t i = 0; i < set->n; i++) {
		TS_GUARD(file_status(abs, &set->f[i], &status[i]));
		if (status[i] == TS_FILE_DIFFERS) {
			first = first != NULL ? first : set->f[i].rel;
			ndiff++;
			status[i] = TS_FILE_REPLACED;
		} else if (status[i] == TS_FILE_MISSING) {
			status[i] = TS_FILE_NEW;
		}
		*nchange += status[i] != TS_FILE_UNCHANGED;
	}
	TS_ENSUREF(force || ndiff == 0, TS_ERR_EXISTS,
		   "%s/%s exists with different content%s; give --force to replace it, or choose another --outdir",
		   abs, first, ndiff > 1 ? " (and other files)" : "");
	return TS_OK;
}

struct commit {
	const char *abs;
	const char *stage;
	const struct ts_outset *set;
	const enum ts_file_status *status;
	int done[TS_OUT_MAX];
	struct dirlist created;
};

static void
staged_name(char *buf, size_t len, const struct commit *c, char kind, size_t i)
{
	(void)snprintf(buf, len, "%s/%c%zu", c->stage, kind, i);
}

static ts_result
place_one(struct commit *c, size_t i)
{
	char target[PATH_MAX], staged[PATH_MAX], backup[PATH_MAX];
	(void)snprintf(target, sizeof(target), "%s/%s", c->abs, c->set->f[i].rel);
	staged_name(staged, sizeof(staged), c, 'f', i);
	staged_name(backup, sizeof(backup), c, 'b', i);
	if (c->status[i] == TS_FILE_NEW) {
		/* link() refuses to overwrite a file that appeared since the preflight. */
		TS_ENSUREF(link(staged, target) == 0, TS_ERR_IO, "%s: cannot create: %s", target, strerror(errno));
		c->done[i] = 1;
		return TS_OK;
	}
	TS_ENSUREF(link(target, backup) == 0, TS_ERR_IO, "%s: cannot keep a backup: %s", target, strerror(errno));
	TS_ENSUREF(rename(staged, target) == 0, TS_ERR_IO, "%s: cannot replace: %s", target, strerror(errno));
	c->done[i] = 1;
	return TS_OK;
}

static void
rollback(struct commit *c)
{
	char target[PATH_MAX], backup[PATH_MAX];
	/* Were this roll-back interrupted, the recovery must go on undoing, not complete the commit. */
	ts_result_ignore(ts_stage_journal_mark_rollback(c->stage));
	for (size_t i = c->set->n; i-- > 0;) {
		if (!c->done[i]) {
			continue;
		}
		(void)snprintf(target, sizeof(target), "%s/%s", c->abs, c->set->f[i].rel);
		staged_name(backup, sizeof(backup), c, 'b', i);
		if (c->status[i] == TS_FILE_NEW) {
			(void)unlink(target);
		} else {
			(void)rename(backup, target);
		}
	}
	remove_dirs(&c->created);
}

static void
clean_stage(const struct commit *c)
{
	char path[PATH_MAX];
	/* The journal goes first, durably: staged files without a journal are only ever removed. */
	(void)snprintf(path, sizeof(path), "%s/" TS_STAGE_JOURNAL, c->stage);
	if (unlink(path) == 0) {
		ts_result_ignore(ts_file_sync_dir(c->stage));
	}
	for (size_t i = 0; i < c->set->n; i++) {
		staged_name(path, sizeof(path), c, 'f', i);
		(void)unlink(path);
		staged_name(path, sizeof(path), c, 'b', i);
		(void)unlink(path);
	}
	(void)rmdir(c->stage);
}

/* Whether two relative paths name files in the same directory. */
static int
same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/');
	const char *sb = strrchr(b, '/');
	size_t la = sa != NULL ? (size_t)(sa - a) : 0;
	size_t lb = sb != NULL ? (size_t)(sb - b) : 0;
	return la == lb && strncmp(a, b, la) == 0;
}

/* Stages the changed files, creates missing directories, places each file, then fsyncs each directory once. */
static ts_result
commit_steps(struct commit *c)
{
	char path[PATH_MAX];
	const struct ts_outset *set = c->set;
	for (size_t i = 0; i < set->n; i++) {
		if (c->status[i] != TS_FILE_UNCHANGED) {
			staged_name(path, sizeof(path), c, 'f', i);
			TS_GUARD(stage_file(path, &set->f[i]));
		}
	}
	TS_GUARD(ts_file_sync_dir(c->stage));
	for (size_t i = 0; i < set->n; i++) {
		if (c->status[i] != TS_FILE_UNCHANGED) {
			TS_GUARD(make_dirs(c->abs, set->f[i].rel, &c->created));
		}
	}
	struct ts_stage_plan plan = { c->abs, c->stage, set, c->status, c->created.d, c->created.n };
	TS_GUARD(ts_stage_journal_write(&plan));
	for (size_t i = 0; i < set->n; i++) {
		if (c->status[i] != TS_FILE_UNCHANGED) {
			TS_GUARD(place_one(c, i));
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = c->status[j] != TS_FILE_UNCHANGED && same_dir(set->f[j].rel, set->f[i].rel);
		}
		if (c->status[i] == TS_FILE_UNCHANGED || seen) {
			continue;
		}
		(void)snprintf(path, sizeof(path), "%s/%s", c->abs, set->f[i].rel);
		TS_GUARD(sync_parent(path));
	}
	for (size_t i = c->created.n; i-- > 0;) {
		TS_GUARD(sync_parent(c->created.d[i]));
	}
	return TS_OK;
}

/* An existing output directory: stage the changed files, then rename each into place. */
static ts_result
commit_existing(const char *abs, const struct ts_outset *set, int force, enum ts_file_status *status)
{
	size_t nchange;
	TS_BUF(stage);
	TS_GUARD(preflight(abs, set, force, status, &nchange));
	if (nchange == 0) {
		return TS_OK;
	}
	TS_GUARD(make_stage(abs, &stage));
	struct commit c = { .abs = abs, .stage = (const char *)stage.data, .set = set, .status = status };
	ts_result r = commit_steps(&c);
	if (r.code != 0) {
		rollback(&c);
	}
	clean_stage(&c);
	dirlist_free(&c.created);
	return r;
}

/*
 * Holds an exclusive flock on the directory that holds the output directory
 * for a whole commit, so two runs into one place never interleave their
 * renames (nor one removing the other's staging).  A second run waits up to
 * TS_STAGE_LOCK_WAIT_MS, then gives up with TS_ERR_EXISTS.
 */
#define TS_STAGE_LOCK_WAIT_MS 10000

static ts_result
lock_parent(const char *abs, int *fd)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(abs, '/');
	(void)snprintf(parent, sizeof(parent), "%.*s", slash != NULL && slash != abs ? (int)(slash - abs) : 1,
		       slash != NULL ? abs : "/");
	*fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TS_ENSUREF(*fd >= 0, TS_ERR_IO, "%s: cannot open: %s", parent, strerror(errno));
	for (int waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; waited += 10) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= TS_STAGE_LOCK_WAIT_MS) {
			int e = errno;
			(void)close(*fd);
			*fd = -1;
			TS_BAILF(TS_ERR_EXISTS, "%s: another tapeseal run is writing in %s (%s); try again when it has finished",
				 abs, parent, e == EWOULDBLOCK ? "waited 10 s" : strerror(e));
		}
		struct timespec ms = { 0, 10 * 1000 * 1000 };
		(void)nanosleep(&ms, NULL);
	}
	return TS_OK;
}

ts_result
ts_stage_commit(const char *outdir, const struct ts_outset *set, int force, enum ts_file_status *status)
{
	TS_ENSURE_REF(outdir);
	TS_ENSURE_REF(set);
	enum ts_file_status local[TS_OUT_MAX];
	TS_BUF(abs);
	struct stat st;
	status = status != NULL ? status : local;
	TS_ENSURE(set->n <= TS_OUT_MAX, TS_ERR_INTERNAL);
	TS_GUARD(ts_stage_resolve(outdir, &abs));
	const char *a = (const char *)abs.data;
	int lock;
	TS_GUARD(lock_parent(a, &lock));
	ts_result rec = ts_stage_recover(a);
	if (rec.code != 0) {
		(void)close(lock);
		return rec;
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ts_result r = lstat(a, &st) != 0 && errno == ENOENT ? commit_new_dir(a, set, status)
							   : commit_existing(a, set, force, status);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)close(lock);
	return r;
}

const char *
ts_file_status_name(enum ts_file_status s)
{
	switch (s) {
	case TS_FILE_NEW:
		return "new";
	case TS_FILE_REPLACED:
		return "replaced";
	case TS_FILE_UNCHANGED:
		return "unchanged";
	case TS_FILE_DIFFERS:
		return "differs";
	case TS_FILE_MISSING:
		return "missing";
	default:
		return "unknown";
	}
}
