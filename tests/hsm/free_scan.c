/*
 * Test equipment (LD_PRELOAD): before each free(), scans the block for the
 * strings listed in $TS_FREE_NEEDLES (separated by ':'), and counts the blocks
 * that still hold one; at exit the count is appended to $TS_FREE_HITS.  It
 * shows which secrets a process leaves in freed heap memory.  The line is
 * "HITS SCANNED" (with $TS_FREE_ONLY, only that program counts); SCANNED is 0 where the shim is not in the way (a
 * sanitizer build has its own free).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void free(void *p);
extern void __libc_free(void *p);

static char needles[4096];
static size_t offs[32], lens[32], count;
static int loaded;
static unsigned long hits, scanned;

static void
load(void)
{
	const char *s = getenv("TS_FREE_NEEDLES");
	const char *only = getenv("TS_FREE_ONLY");
	loaded = 1;
	/* TS_FREE_ONLY names the one program to watch (children such as a device command inherit the preload). */
	if (s == NULL || strlen(s) >= sizeof(needles) ||
	    (only != NULL && strcmp(only, program_invocation_short_name) != 0)) {
		return;
	}
	memcpy(needles, s, strlen(s) + 1);
	for (char *p = needles; *p != '\0' && count < 32;) {
		char *end = strchr(p, ':');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n >= 8) { /* short needles would match by chance */
			offs[count] = (size_t)(p - needles);
			lens[count++] = n;
		}
		p += n + (end != NULL);
	}
}

void
free(void *p)
{
	if (!loaded) {
		load();
	}
	if (p != NULL && count > 0) {
		size_t n = malloc_usable_size(p);
		scanned++;
		for (size_t i = 0; i < count; i++) {
			if (memmem(p, n, needles + offs[i], lens[i]) != NULL) {
				hits++;
				break;
			}
		}
	}
	__libc_free(p);
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("TS_FREE_HITS");
	if (path == NULL || count == 0) {
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		char line[64];
		int k = snprintf(line, sizeof(line), "%lu %lu\n", hits, scanned);
		if (k > 0) {
			(void)!write(fd, line, (size_t)k);
		}
		(void)close(fd);
	}
}
