#include "common/topgen/ts_drbg.h"

#include <math.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

struct ts_drbg {
	uint8_t key[16];
	uint8_t v[16];
	uint8_t buf[64];
	size_t pos; /* next unread byte of buf; 64 means empty */
	size_t consumed;
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *aes;
};

static void
ctr_inc(uint8_t v[16])
{
	for (int i = 15; i >= 0; i--) {
		if (++v[i] != 0) {
			break;
		}
	}
}

/* E(K, x) for n consecutive counter blocks V+1 .. V+n, advancing V. */
static ts_result
encrypt_ctr(struct ts_drbg *d, uint8_t *out, size_t nblocks)
{
	uint8_t in[64];
	int outl = 0;
	for (size_t b = 0; b < nblocks; b++) {
		ctr_inc(d->v);
		memcpy(in + 16 * b, d->v, 16);
	}
	TS_GUARD_OSSL(EVP_EncryptInit_ex2(d->ctx, d->aes, d->key, NULL, NULL));
	TS_GUARD_OSSL(EVP_CIPHER_CTX_set_padding(d->ctx, 0));
	TS_GUARD_OSSL(EVP_EncryptUpdate(d->ctx, out, &outl, in, (int)(16 * nblocks)));
	OPENSSL_cleanse(in, sizeof(in));
	TS_ENSURE(outl == (int)(16 * nblocks), TS_ERR_CRYPTO);
	return TS_OK;
}

/* SP 800-90A §10.2.1.2 CTR_DRBG_Update with 256-bit provided data. */
static ts_result
update(struct ts_drbg *d, const uint8_t data[32])
{
	uint8_t t[32];
	ts_result r = encrypt_ctr(d, t, 2);
	if (r.code == 0) {
		for (size_t i = 0; i < 16; i++) {
			d->key[i] = t[i] ^ data[i];
			d->v[i] = t[16 + i] ^ data[16 + i];
		}
	}
	OPENSSL_cleanse(t, sizeof(t));
	return r;
}

static ts_result
generate512(struct ts_drbg *d)
{
	static const uint8_t zero[32];
	TS_GUARD(encrypt_ctr(d, d->buf, 4));
	TS_GUARD(update(d, zero));
	d->pos = 0;
	return TS_OK;
}

static ts_result
instantiate(struct ts_drbg *d, const uint8_t *seed)
{
	d->ctx = EVP_CIPHER_CTX_new();
	TS_ENSURE(d->ctx != NULL, TS_ERR_NOMEM);
	d->aes = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	TS_ENSURE(d->aes != NULL, TS_ERR_CRYPTO);
	d->pos = sizeof(d->buf);
	return update(d, seed);
}

ts_result
ts_drbg_new(const struct ts_secret *seed, struct ts_drbg **out)
{
	TS_ENSURE_REF(seed);
	TS_ENSURE_REF(out);
	TS_ENSURE(seed->len == TS_SEED_BYTES && seed->data != NULL, TS_ERR_SEED);
	uint8_t acc = 0;
	for (size_t i = 0; i < seed->len; i++) {
		acc |= seed->data[i];
	}
	TS_ENSURE(acc != 0, TS_ERR_SEED);
	struct ts_drbg *d = OPENSSL_secure_zalloc(sizeof(*d));
	TS_ENSURE(d != NULL, TS_ERR_NOMEM);
	ts_result r = instantiate(d, seed->data);
	if (r.code != 0) {
		ts_drbg_free(d);
		return r;
	}
	*out = d;
	return TS_OK;
}

void
ts_drbg_free(struct ts_drbg *d)
{
	if (d == NULL) {
		return;
	}
	EVP_CIPHER_CTX_free(d->ctx);
	EVP_CIPHER_free(d->aes);
	OPENSSL_secure_clear_free(d, sizeof(*d));
}

ts_result
ts_drbg_bytes(struct ts_drbg *d, uint8_t *out, size_t n)
{
	TS_ENSURE_REF(d);
	TS_ENSURE(out != NULL || n == 0, TS_ERR_NULL);
	while (n > 0) {
		if (d->pos == sizeof(d->buf)) {
			TS_GUARD(generate512(d));
		}
		size_t k = sizeof(d->buf) - d->pos;
		k = k < n ? k : n;
		memcpy(out, d->buf + d->pos, k);
		d->pos += k;
		d->consumed += k;
		out += k;
		n -= k;
	}
	return TS_OK;
}

ts_result
ts_drbg_getrandbits(struct ts_drbg *d, size_t nbits, struct ts_secret *out)
{
	TS_ENSURE_REF(d);
	TS_ENSURE_REF(out);
	size_t m = (nbits + 7) / 8;
	TS_SECRET(v);
	TS_GUARD(ts_secret_new(&v, m ? m : 1));
	TS_GUARD(ts_drbg_bytes(d, v.data, m));
	/* Only the top bits of the last byte are used: shift the value right. */
	unsigned s = (unsigned)(8 * m - nbits);
	if (s != 0) {
		for (size_t i = m; i-- > 0;) {
			unsigned hi = i > 0 ? (unsigned)v.data[i - 1] << (8 - s) : 0;
			v.data[i] = (uint8_t)((v.data[i] >> s) | hi);
		}
	}
	ts_secret_move(out, &v);
	return TS_OK;
}

ts_result
ts_drbg_getrandbits_u64(struct ts_drbg *d, unsigned nbits, uint64_t *out)
{
	TS_ENSURE_REF(d);
	TS_ENSURE_REF(out);
	TS_ENSURE(nbits <= 64, TS_ERR_RANGE);
	/* Same byte rule as ts_drbg_getrandbits, without a heap round trip per draw. */
	uint64_t r = 0;
	unsigned left = nbits;
	while (left > 0) {
		if (d->pos == sizeof(d->buf)) {
			TS_GUARD(generate512(d));
		}
		uint8_t b = d->buf[d->pos++];
		d->consumed++;
		r = left > 8 ? (r << 8) | b : (r << left) | (uint64_t)(b >> (8 - left));
		left = left > 8 ? left - 8 : 0;
	}
	*out = r;
	return TS_OK;
}

ts_result
ts_drbg_randbelow(struct ts_drbg *d, uint64_t n, uint64_t *out)
{
	TS_ENSURE_REF(out);
	TS_ENSURE(n >= 1, TS_ERR_RANGE);
	/* Upstream computes ceil(log(n)/log(2)) in IEEE double (spec §1.3). */
	double k = ceil(log((double)n) / log(2.0));
	TS_ENSURE(k >= 0 && k <= 64, TS_ERR_RANGE);
	uint64_t r;
	do {
		TS_GUARD(ts_drbg_getrandbits_u64(d, (unsigned)k, &r));
	} while (r >= n);
	*out = r;
	return TS_OK;
}

ts_result
ts_drbg_shuffle(struct ts_drbg *d, uint32_t *x, size_t len)
{
	TS_ENSURE(x != NULL || len == 0, TS_ERR_NULL);
	for (size_t i = len; i-- > 1;) {
		uint64_t j;
		TS_GUARD(ts_drbg_randbelow(d, (uint64_t)i + 1, &j));
		uint32_t t = x[i];
		x[i] = x[j];
		x[j] = t;
	}
	return TS_OK;
}

size_t
ts_drbg_consumed(const struct ts_drbg *d)
{
	return d->consumed;
}
