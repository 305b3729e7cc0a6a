#ifndef TS_COMMON_BASE_TS_SECRET_H
#define TS_COMMON_BASE_TS_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_result.h"

/*
 * Secret bytes (seeds, keys, PINs, generated constants) live only here: on
 * the OpenSSL secure heap when it is initialised (mlock'd, not dumped), and
 * always cleansed on free.  The owner of a struct ts_secret frees it.
 */
struct ts_secret {
	uint8_t *data;
	size_t len;
};

#define TS_SECRET_MAX (64u * 1024u * 1024u)

/* Allocates len zeroed bytes into the empty *s.  TS_ERR_RANGE if len is 0 or
 * over TS_SECRET_MAX, TS_ERR_INTERNAL if *s is not empty, TS_ERR_NOMEM. */
TS_RESULT ts_secret_new(struct ts_secret *s, size_t len);

/* Cleanses and frees *s, leaving it empty.  Safe on an empty secret. */
void ts_secret_free(struct ts_secret *s);

/* Moves src into dst (dst is freed first); src is left empty. */
void ts_secret_move(struct ts_secret *dst, struct ts_secret *src);

/* Constant-time equality of two secrets (lengths are not secret). */
int ts_secret_equal(const struct ts_secret *a, const struct ts_secret *b);

#define TS_SECRET(n) __attribute__((cleanup(ts_secret_free))) struct ts_secret n = { 0 }

#endif
