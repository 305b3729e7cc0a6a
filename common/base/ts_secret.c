#include "common/base/ts_secret.h"

#include <openssl/crypto.h>

ts_result
ts_secret_new(struct ts_secret *s, size_t len)
{
	TS_ENSURE_REF(s);
	TS_ENSURE(s->data == NULL, TS_ERR_INTERNAL);
	TS_ENSURE(len > 0 && len <= TS_SECRET_MAX, TS_ERR_RANGE);
	s->data = OPENSSL_secure_zalloc(len);
	TS_ENSURE(s->data != NULL, TS_ERR_NOMEM);
	s->len = len;
	return TS_OK;
}

void
ts_secret_free(struct ts_secret *s)
{
	if (s == NULL || s->data == NULL) {
		return;
	}
	OPENSSL_secure_clear_free(s->data, s->len);
	s->data = NULL;
	s->len = 0;
}

void
ts_secret_move(struct ts_secret *dst, struct ts_secret *src)
{
	ts_secret_free(dst);
	*dst = *src;
	src->data = NULL;
	src->len = 0;
}

int
ts_secret_equal(const struct ts_secret *a, const struct ts_secret *b)
{
	if (a->len != b->len) {
		return 0;
	}
	if (a->len == 0) {
		return 1;
	}
	return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}
