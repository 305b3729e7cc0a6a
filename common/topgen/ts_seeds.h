#ifndef TS_COMMON_TOPGEN_TS_SEEDS_H
#define TS_COMMON_TOPGEN_TS_SEEDS_H

#include <stddef.h>

#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"

/*
 * The three 256-bit seeds of a top (spec/secrets.md §2.1) and their mode.
 * The public half fills this from a testing seed file, the secure half from
 * the HSM; the engine does not care which.  Seeds are 32-byte big-endian
 * secrets; an absent seed is an empty secret.
 */
enum ts_seed_kind { TS_SEED_TOPGEN, TS_SEED_OTP_IMG, TS_SEED_LC_CTRL, TS_SEED_COUNT };

struct ts_seeds {
	char mode[16];                         /* "testing" or "tapeout" */
	struct ts_secret seed[TS_SEED_COUNT];
	enum ts_seed_kind order[TS_SEED_COUNT]; /* the seed-file key order (spec §7.5) */
	size_t count;                          /* seeds present, in order[] */
	int short_seed[TS_SEED_COUNT];         /* below 250 bits: warn */
};

/* "topgen_seed", "otp_img_seed", "lc_ctrl_seed". */
const char *ts_seed_name(enum ts_seed_kind k);

/* Cleanses and frees all seeds, leaving *s empty. */
void ts_seeds_free(struct ts_seeds *s);

/*
 * Adds a 32-byte seed (moved from *seed) of the given kind.  Checks the seed
 * rules: not zero (TS_ERR_SEED), not already present (TS_ERR_SEED), not equal
 * to another seed (TS_ERR_SEED); records a warning when it has fewer than 250
 * significant bits.
 */
TS_RESULT ts_seeds_add(struct ts_seeds *s, enum ts_seed_kind k, struct ts_secret *seed);

/*
 * Checks that the seeds a top needs are present: topgen always, otp_img when
 * has_otp, lc_ctrl when has_lc.  TS_ERR_SEED naming the missing seed; origin
 * (a file name or "HSM") prefixes the message.
 */
TS_RESULT ts_seeds_check_for_top(const struct ts_seeds *s, int has_otp, int has_lc, const char *origin);

#endif
