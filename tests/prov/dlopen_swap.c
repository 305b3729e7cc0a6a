/*
 * Test equipment (LD_PRELOAD): the first dlopen of the process first renames
 * $TS_SWAP_TO over $TS_SWAP_FROM, then loads what it was asked to.  This puts
 * a swap of an extension library exactly in the window between the loader's
 * hash and its dlopen; the loader must still load the file it hashed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void *dlopen(const char *file, int mode);

void *
dlopen(const char *file, int mode)
{
	static int swapped;
	void *(*real)(const char *, int);
	void *sym = dlsym(RTLD_NEXT, "dlopen");
	const char *from = getenv("TS_SWAP_FROM");
	const char *to = getenv("TS_SWAP_TO");
	if (!swapped && from != NULL && to != NULL && file != NULL) {
		swapped = 1;
		if (rename(to, from) != 0) {
			perror("dlopen_swap: rename");
			abort();
		}
	}
	*(void **)&real = sym;
	return real(file, mode);
}
