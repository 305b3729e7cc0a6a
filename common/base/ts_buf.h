#ifndef TS_COMMON_BASE_TS_BUF_H
#define TS_COMMON_BASE_TS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * Makes room for at least extra more bytes (len unchanged), so that a known
 * amount can be written without regrowing.  TS_ERR_NOMEM, TS_ERR_RANGE.
 */
TS_RESULT ts_buf_reserve(struct ts_buf *b, size_t extra);

/* The out-of-line path of ts_buf_append (growth and argument checks). */
TS_RESULT ts_buf_append_grow(struct ts_buf *b, const void *p, size_t len);

/* The out-of-line path of ts_buf_repeat. */
TS_RESULT ts_buf_repeat_grow(struct ts_buf *b, char c, size_t n);

/*
 * Appends len bytes.  TS_ERR_NOMEM, TS_ERR_RANGE past TS_BUF_MAX.  Inline:
 * writers append many short pieces, and most fit the buffer as it is.
 */
static inline TS_RESULT
ts_buf_append(struct ts_buf *b, const void *p, size_t len)
{
	if (b != NULL && p != NULL && b->data != NULL && len <= b->cap - b->len) {
		memcpy(b->data + b->len, p, len);
		b->len += len;
		return TS_OK;
	}
	return ts_buf_append_grow(b, p, len);
}

/* Appends a NUL-terminated string (the NUL is not stored). */
static inline TS_RESULT
ts_buf_puts(struct ts_buf *b, const char *s)
{
	return s != NULL ? ts_buf_append(b, s, strlen(s)) : ts_buf_append_grow(b, s, 1);
}

/* Appends printf-style text.  Never pass secret values through the format. */
TS_RESULT ts_buf_printf(struct ts_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends n copies of byte c. */
static inline TS_RESULT
ts_buf_repeat(struct ts_buf *b, char c, size_t n)
{
	if (b != NULL && b->data != NULL && n <= b->cap - b->len) {
		memset(b->data + b->len, c, n);
		b->len += n;
		return TS_OK;
	}
	return ts_buf_repeat_grow(b, c, n);
}

/* Cleanses and frees the storage, leaving an empty buffer. */
void ts_buf_free(struct ts_buf *b);

#define TS_BUF(n) __attribute__((cleanup(ts_buf_free))) struct ts_buf n = { 0 }

#endif
