#include "common/topgen/ts_seeds.h"

#include <string.h>

static const char *const names[TS_SEED_COUNT] = {
	[TS_SEED_TOPGEN] = "topgen_seed",
	[TS_SEED_OTP_IMG] = "otp_img_seed",
	[TS_SEED_LC_CTRL] = "lc_ctrl_seed",
};

const char *
ts_seed_name(enum ts_seed_kind k)
{
	return (unsigned)k < TS_SEED_COUNT ? names[k] : "unknown_seed";
}

void
ts_seeds_free(struct ts_seeds *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < TS_SEED_COUNT; i++) {
		ts_secret_free(&s->seed[i]);
		s->short_seed[i] = 0;
	}
	s->count = 0;
}

static size_t
significant_bits(const struct ts_secret *v)
{
	for (size_t i = 0; i < v->len; i++) {
		if (v->data[i] != 0) {
			size_t b = 8;
			while (!(v->data[i] & (1u << (b - 1)))) {
				b--;
			}
			return 8 * (v->len - i - 1) + b;
		}
	}
	return 0;
}

ts_result
ts_seeds_add(struct ts_seeds *s, enum ts_seed_kind k, struct ts_secret *seed)
{
	TS_ENSURE_REF(s);
	TS_ENSURE_REF(seed);
	TS_ENSURE((unsigned)k < TS_SEED_COUNT, TS_ERR_INTERNAL);
	TS_ENSURE(seed->len == 32, TS_ERR_SEED);
	TS_ENSUREF(s->seed[k].data == NULL, TS_ERR_SEED, "%s is given twice", names[k]);
	size_t bits = significant_bits(seed);
	TS_ENSUREF(bits > 0, TS_ERR_SEED, "%s is zero; a seed must be a non-zero 256-bit integer",
		   names[k]);
	for (size_t i = 0; i < TS_SEED_COUNT; i++) {
		TS_ENSUREF(s->seed[i].data == NULL || !ts_secret_equal(&s->seed[i], seed), TS_ERR_SEED,
			   "%s equals %s; all seeds must be different", names[k], names[i]);
	}
	s->short_seed[k] = bits < 250;
	ts_secret_move(&s->seed[k], seed);
	s->order[s->count++] = k;
	return TS_OK;
}

ts_result
ts_seeds_check_for_top(const struct ts_seeds *s, int has_otp, int has_lc, const char *origin)
{
	TS_ENSURE_REF(s);
	TS_ENSUREF(s->seed[TS_SEED_TOPGEN].data != NULL, TS_ERR_SEED, "%s: topgen_seed is missing",
		   origin);
	TS_ENSUREF(!has_otp || s->seed[TS_SEED_OTP_IMG].data != NULL, TS_ERR_SEED,
		   "%s: otp_img_seed is missing; the top has an otp_ctrl", origin);
	TS_ENSUREF(!has_lc || s->seed[TS_SEED_LC_CTRL].data != NULL, TS_ERR_SEED,
		   "%s: lc_ctrl_seed is missing; the top has an lc_ctrl", origin);
	return TS_OK;
}
