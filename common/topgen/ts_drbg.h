#ifndef TS_COMMON_TOPGEN_TS_DRBG_H
#define TS_COMMON_TOPGEN_TS_DRBG_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"

/*
 * NIST SP 800-90A CTR_DRBG, AES-128, no derivation function, no reseed, read
 * as one continuous byte stream (spec/secrets.md §1).  The state lives on
 * the secure heap and is cleansed by ts_drbg_free.
 */
struct ts_drbg;

#define TS_SEED_BYTES 32

/*
 * Instantiates from a 32-byte big-endian seed (borrowed).  TS_ERR_SEED if the
 * seed is zero or not 32 bytes, TS_ERR_CRYPTO, TS_ERR_NOMEM.  The caller
 * frees *out with ts_drbg_free.
 */
TS_RESULT ts_drbg_new(const struct ts_secret *seed, struct ts_drbg **out);

void ts_drbg_free(struct ts_drbg *d);

/* Takes the next n bytes of the stream into out. */
TS_RESULT ts_drbg_bytes(struct ts_drbg *d, uint8_t *out, size_t n);

/*
 * getrandbits(nbits) (§1.2): consumes ceil(nbits/8) bytes and stores the
 * value, big-endian and right-aligned, in the empty secret *out of
 * max(1, ceil(nbits/8)) bytes.  nbits 0 gives a single zero byte and
 * consumes nothing.
 */
TS_RESULT ts_drbg_getrandbits(struct ts_drbg *d, size_t nbits, struct ts_secret *out);

/* getrandbits for nbits <= 64, as an integer. */
TS_RESULT ts_drbg_getrandbits_u64(struct ts_drbg *d, unsigned nbits, uint64_t *out);

/* randbelow(n) (§1.3) with upstream's double-precision bit count; n >= 1. */
TS_RESULT ts_drbg_randbelow(struct ts_drbg *d, uint64_t n, uint64_t *out);

/* Fisher-Yates shuffle, descending (§1.3). */
TS_RESULT ts_drbg_shuffle(struct ts_drbg *d, uint32_t *x, size_t len);

/* Bytes taken from the stream so far. */
size_t ts_drbg_consumed(const struct ts_drbg *d);

TS_DEFINE_AUTO(struct ts_drbg, ts_drbg_free)

#endif
