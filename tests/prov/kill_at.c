/*
 * Test equipment (LD_PRELOAD): counts the file-system calls that change
 * state (write to a file, fsync, link, rename, unlink, mkdir, rmdir) and
 * SIGKILLs the process just before call number $TS_KILL_AT.  With
 * $TS_KILL_COUNT set, the number of such calls of a whole run is appended to
 * that file at exit, so that a test can kill a run at every one of them.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long calls;

static void
step(void)
{
	static long at = -2;
	if (at == -2) {
		const char *s = getenv("TS_KILL_AT");
		at = s != NULL ? strtol(s, NULL, 10) : -1;
	}
	if (++calls == (unsigned long)at) {
		(void)kill(getpid(), SIGKILL);
	}
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t
write(int fd, const void *p, size_t n)
{
	if (fd > 2) {
		step();
	}
	return REAL("write", ssize_t (*)(int, const void *, size_t))(fd, p, n);
}

int
fsync(int fd)
{
	step();
	return REAL("fsync", int (*)(int))(fd);
}

int
link(const char *a, const char *b)
{
	step();
	return REAL("link", int (*)(const char *, const char *))(a, b);
}

int
rename(const char *a, const char *b)
{
	step();
	return REAL("rename", int (*)(const char *, const char *))(a, b);
}

int
unlink(const char *p)
{
	step();
	return REAL("unlink", int (*)(const char *))(p);
}

int
mkdir(const char *p, mode_t m)
{
	step();
	return REAL("mkdir", int (*)(const char *, mode_t))(p, m);
}

int
rmdir(const char *p)
{
	step();
	return REAL("rmdir", int (*)(const char *))(p);
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("TS_KILL_COUNT");
	if (path != NULL) {
		FILE *f = fopen(path, "a");
		if (f != NULL) {
			fprintf(f, "%lu\n", calls);
			(void)fclose(f);
		}
	}
}
