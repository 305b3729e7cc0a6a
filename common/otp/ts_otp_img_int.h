#ifndef TS_COMMON_OTP_TS_OTP_IMG_INT_H
#define TS_COMMON_OTP_TS_OTP_IMG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"
#include "common/otp/ts_otp_img.h"

/*
 * Internal to the OTP image engine (ts_otp_img.c loads and coordinates,
 * ts_otp_merge.c merges configurations, ts_otp_out.c streams out and
 * formats); nothing outside common/otp/ includes this.
 */

#define MAX_KEYS 16
#define BLK 8

struct ts_otpgen {
	struct ts_mmap *map;
	struct ts_lcenc *lc;
	char key_names[MAX_KEYS][64];
	size_t nkeys;
	struct ts_secret keys;   /* per key: hi, lo as uint64_t */
	struct ts_secret digest; /* iv, cnst_hi, cnst_lo as uint64_t */
	struct ts_secret seed;   /* otp_img_seed, 32 bytes big-endian */
};

/* One image being built: the merged item values and partition locks. */
struct img {
	struct ts_otpgen *g;
	struct ts_drbg *d;
	size_t *first;          /* index of each partition's first item */
	size_t nitems;
	struct ts_secret *vals; /* little-endian, item size; data == NULL when undefined */
	uint8_t *locked;
	char lc_state[64];
	const char *file;       /* the configuration being merged, for messages */
	int base;
};

/* The keys and digest constants are stored as uint64_t words in a secret. */
static inline uint64_t *
u64s(const struct ts_secret *s)
{
	return (uint64_t *)(void *)s->data;
}

/* Merges one image configuration file into im; base is 1 for --img-cfg, 0 for an overlay. */
TS_RESULT ts_otp_img_merge(struct img *im, const char *path, int base);

/* The .vmem text of the merged image, data_perm as for --data-perm (may be NULL). */
TS_RESULT ts_otp_img_vmem(const struct img *im, const char *data_perm, struct ts_buf *out);

/* The C file (otp_ctrl_img) of the merged image. */
TS_RESULT ts_otp_img_c(const struct img *im, struct ts_buf *out);

/* Adds the otp_consts entries of the merged image to parts (an object). */
TS_RESULT ts_otp_img_consts(const struct img *im, json_t *parts);

#endif
