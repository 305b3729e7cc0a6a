#ifndef TS_COMMON_TOPGEN_TS_LC_H
#define TS_COMMON_TOPGEN_TS_LC_H

#include <stddef.h>

#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"

/*
 * Life-cycle tokens (spec/secrets.md §6): the token list of OpenTitan's
 * lc_ctrl_state.hjson, raw values drawn from the lc_ctrl_seed DRBG, and their
 * cSHAKE128 hashes (customisation "LC_CTRL").
 */
struct ts_lc_token {
	char name[96];
	int random;
	struct ts_secret value; /* token_size/8 bytes, big-endian */
	struct ts_secret hashed;
};

struct ts_lc {
	size_t token_size; /* bits */
	struct ts_lc_token *tokens;
	size_t ntokens;
};

/*
 * Loads token_size and tokens from an lc_ctrl_state.hjson (other keys are
 * ignored).  path NULL gives the standard list: AllZeroToken 0x0 and
 * RndCnstRawUnlockToken <random>, 128 bits.  TS_ERR_PARSE/TS_ERR_SCHEMA with
 * file and position.  Free *out with ts_lc_free.
 */
TS_RESULT ts_lc_load(const char *path, struct ts_lc **out);

/* Draws the random tokens from lc_seed (32 bytes, borrowed) and hashes all tokens. */
TS_RESULT ts_lc_generate(struct ts_lc *lc, const struct ts_secret *lc_seed);

/*
 * cSHAKE128(X = LE(value), N = "", S = "LC_CTRL") read to value->len bytes,
 * returned as a big-endian integer in the empty *out (§6).
 */
TS_RESULT ts_lc_hash_token(const struct ts_secret *value, struct ts_secret *out);

void ts_lc_free(struct ts_lc *lc);

TS_DEFINE_AUTO(struct ts_lc, ts_lc_free)

#endif
