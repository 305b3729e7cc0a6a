#include "common/base/ts_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

static ts_result
grow(struct ts_buf *b, size_t need)
{
	TS_ENSURE(need <= TS_BUF_MAX - b->len, TS_ERR_RANGE);
	if (b->len + need <= b->cap) {
		return TS_OK;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + need) {
		cap *= 2;
	}
	uint8_t *p = OPENSSL_secure_malloc(cap);
	TS_ENSURE(p != NULL, TS_ERR_NOMEM);
	if (b->len > 0) {
		memcpy(p, b->data, b->len);
	}
	if (b->data != NULL) {
		OPENSSL_secure_clear_free(b->data, b->cap);
	}
	b->data = p;
	b->cap = cap;
	return TS_OK;
}

ts_result
ts_buf_reserve(struct ts_buf *b, size_t extra)
{
	TS_ENSURE_REF(b);
	return grow(b, extra);
}

ts_result
ts_buf_append_grow(struct ts_buf *b, const void *p, size_t len)
{
	TS_ENSURE_REF(b);
	if (len == 0) {
		return TS_OK;
	}
	TS_ENSURE_REF(p);
	if (len > b->cap - b->len) {
		TS_GUARD(grow(b, len));
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return TS_OK;
}

ts_result
ts_buf_repeat_grow(struct ts_buf *b, char c, size_t n)
{
	TS_ENSURE_REF(b);
	TS_GUARD(grow(b, n));
	memset(b->data + b->len, c, n);
	b->len += n;
	return TS_OK;
}

ts_result
ts_buf_printf(struct ts_buf *b, const char *fmt, ...)
{
	TS_ENSURE_REF(b);
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	TS_ENSURE(n >= 0, TS_ERR_INTERNAL);
	if ((size_t)n < sizeof(small)) {
		return ts_buf_append(b, small, (size_t)n);
	}
	TS_GUARD(grow(b, (size_t)n + 1));
	va_start(ap, fmt);
	int m = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	TS_ENSURE(m == n, TS_ERR_INTERNAL);
	b->len += (size_t)n;
	return TS_OK;
}

void
ts_buf_free(struct ts_buf *b)
{
	if (b == NULL) {
		return;
	}
	if (b->data != NULL) {
		OPENSSL_secure_clear_free(b->data, b->cap);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
