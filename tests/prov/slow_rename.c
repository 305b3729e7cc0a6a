/*
 * Test equipment (LD_PRELOAD): every rename(2) call sleeps $TS_SLOW_RENAME_US
 * microseconds first, so that two concurrent commits into one directory would
 * interleave their renames if nothing kept them apart.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int rename(const char *from, const char *to);

int
rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *);
	void *sym = dlsym(RTLD_NEXT, "rename");
	const char *us = getenv("TS_SLOW_RENAME_US");
	if (us != NULL) {
		(void)usleep((useconds_t)strtoul(us, NULL, 10));
	}
	*(void **)&real = sym;
	return real(from, to);
}
