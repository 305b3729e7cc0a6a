#ifndef TS_COMMON_BASE_TS_BUF_H
#define TS_COMMON_BASE_TS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_result.h"

/*
 * A growable byte buffer for generated file contents.  Generated files hold
 * secrets, so the storage comes from the OpenSSL secure heap (when it is
 * initialised) and is cleansed whenever it is released.  The owner calls
 * ts_buf_free.
 */
struct ts_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define TS_BUF_MAX (256u * 1024u * 1024u)

/* Appends len bytes.  TS_ERR_NOMEM, TS_ERR_RANGE past TS_BUF_MAX. */
TS_RESULT ts_buf_append(struct ts_buf *b, const void *p, size_t len);

/* Appends a NUL-terminated string (the NUL is not stored). */
TS_RESULT ts_buf_puts(struct ts_buf *b, const char *s);

/* Appends printf-style text.  Never pass secret values through the format. */
TS_RESULT ts_buf_printf(struct ts_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends n copies of byte c. */
TS_RESULT ts_buf_repeat(struct ts_buf *b, char c, size_t n);

/* Cleanses and frees the storage, leaving an empty buffer. */
void ts_buf_free(struct ts_buf *b);

#define TS_BUF(n) __attribute__((cleanup(ts_buf_free))) struct ts_buf n = { 0 }

#endif
