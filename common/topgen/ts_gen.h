#ifndef TS_COMMON_TOPGEN_TS_GEN_H
#define TS_COMMON_TOPGEN_TS_GEN_H

#include "common/base/ts_result.h"
#include "common/topgen/ts_model.h"
#include "common/topgen/ts_seeds.h"

/*
 * Draws every random value of a top from its topgen seed in the three-phase
 * order of spec/secrets.md §4 (A: OTP map, B: discarded elaboration, C: final
 * values) and fills the OTP controller's extdata params (§4, §5).  Values are
 * stored in the model's ts_secret fields.  seeds is borrowed.  Errors:
 * TS_ERR_SEED (no topgen seed), TS_ERR_SCHEMA (unknown extdata param, value
 * wider than its randcount), TS_ERR_CRYPTO.
 */
TS_RESULT ts_gen_run(struct ts_top *top, const struct ts_seeds *seeds);

struct ts_drbg;

/*
 * A §3 perm value: shuffles [0..n-1] and packs idx[0] into the most
 * significant bitlength(n-1)-bit field, into the empty *out (big-endian,
 * ceil(n*w/8) bytes, at least 1).  TS_ERR_RANGE unless 1 <= n <= 65536.
 */
TS_RESULT ts_gen_perm(struct ts_drbg *d, size_t n, struct ts_secret *out);

/* Bytes of the topgen stream consumed at the end of phases A, B and C of the last run. */
struct ts_gen_stats {
	size_t end_a;
	size_t end_b;
	size_t end_c;
};

/* As ts_gen_run, also reporting the stream checkpoints (spec §4 table). */
TS_RESULT ts_gen_run_stats(struct ts_top *top, const struct ts_seeds *seeds, struct ts_gen_stats *st);

#endif
