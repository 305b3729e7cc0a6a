/*
 * Test equipment (LD_PRELOAD): every rename(2) call sleeps $TS_SLOW_RENAME_US
 * microseconds first, so that two concurrent commits into one directory would
 * interleave their renames if nothing kept them apart; with
 * $TS_FAIL_RENAME_AT=N the Nth rename fails with EIO instead.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int rename(const char *from, const char *to);

int
rename(const char *from, const char *to)
{
	static unsigned long calls;
	int (*real)(const char *, const char *);
	void *sym = dlsym(RTLD_NEXT, "rename");
	const char *us = getenv("TS_SLOW_RENAME_US");
	const char *fail = getenv("TS_FAIL_RENAME_AT");
	if (us != NULL) {
		(void)usleep((useconds_t)strtoul(us, NULL, 10));
	}
	if (fail != NULL && ++calls == strtoul(fail, NULL, 10)) {
		errno = EIO;
		return -1;
	}
	*(void **)&real = sym;
	return real(from, to);
}
