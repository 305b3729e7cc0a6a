#ifndef TS_COMMON_OTP_TS_OTP_IMG_H
#define TS_COMMON_OTP_TS_OTP_IMG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"
#include "common/otp/ts_otp_lc.h"
#include "common/otp/ts_otp_map.h"

/*
 * OTP image generation, bit-exact with OpenTitan's gen-otp-img
 * (spec/otp.md).  A generator holds what all images of one top share (the
 * memory map, the life-cycle codewords, the scrambling keys and the image
 * seed), so a batch of images pays for parsing and the codeword search once.
 */
struct ts_otpgen;

/*
 * Loads the memory map, the life-cycle definition and the secrets file (its
 * otp_ctrl scrambling keys, digest constants and otp_img_seed).  The
 * secrets' seed_mode must equal mode ("testing" or "tapeout"), else
 * TS_ERR_MODE.  secrets may be NULL when no "<random>" value is drawn and no
 * secret partition is scrambled (e.g. for otp-consts).  Free with
 * ts_otpgen_free.
 */
TS_RESULT ts_otpgen_load(const char *mmap, const char *secrets, const char *lc_state, const char *mode,
			 struct ts_otpgen **out);

void ts_otpgen_free(struct ts_otpgen *g);

/* The memory map (borrowed). */
const struct ts_mmap *ts_otpgen_map(const struct ts_otpgen *g);

struct ts_otp_request {
	const char *img_cfg;
	const char *const *add_cfg;
	size_t nadd;
	const char *data_perm; /* NULL or "" for the identity */
	int c_output;          /* 1: the C file (§12); 0: the .vmem (§10.4) */
};

/*
 * Builds one image: merges the configurations in order (drawing "<random>"
 * values from a fresh otpmemimg DRBG), checks, and appends the .vmem or C
 * text to out.  Errors (§14) name the file and the partition or item.
 */
TS_RESULT ts_otpgen_image(struct ts_otpgen *g, const struct ts_otp_request *req, struct ts_buf *out);

/*
 * The otp_consts equivalent (docs/provisioning.md): after merging req's
 * configurations, for every partition the C file would cover, the items
 * with values as {item, offset, size, words: ["0x..."] (least significant
 * first), deferred: programmed only at personalization}.  *out is a new
 * jansson object {partition: [items]}; the caller frees it.
 */
TS_RESULT ts_otpgen_consts(struct ts_otpgen *g, const struct ts_otp_request *req, json_t **out);

/* Parses a --data-perm spec into perm[24] (output bit i = input bit perm[i]). TS_ERR_USAGE. */
TS_RESULT ts_otp_data_perm(const char *spec, unsigned perm[24]);

TS_DEFINE_AUTO(struct ts_otpgen, ts_otpgen_free)

#endif
