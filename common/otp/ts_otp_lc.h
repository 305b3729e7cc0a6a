#ifndef TS_COMMON_OTP_TS_OTP_LC_H
#define TS_COMMON_OTP_TS_OTP_LC_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"

/*
 * Life-cycle state encodings for OTP images (spec/otp.md §6, §10.1): the
 * SECDED code of lc_ctrl_state.hjson and the codeword pairs that LcStEnc
 * draws from its fixed, non-secret seed.  Computed from the file, not
 * embedded, so other life-cycle definitions work too.
 */
enum ts_lc_type { TS_LC_STATE, TS_LC_CNT, TS_LC_SOC_DBG, TS_LC_OWNERSHIP, TS_LC_AUTH, TS_LC_NTYPES };

#define TS_LC_MAX_WORDS 64

struct ts_lcenc {
	struct ts_hjson_doc *doc; /* owned */
	unsigned data_width;      /* 16 */
	unsigned ecc_width;
	uint32_t masks[8];        /* ECC bit j = parity(cw & masks[j]) */
	uint8_t ecc_lo[256];      /* ECC of the low and high data byte: the code is linear over GF(2) */
	uint8_t ecc_hi[256];
	unsigned min_hw;
	unsigned max_hw;
	unsigned min_hd;
	json_t *table[TS_LC_NTYPES]; /* borrowed from doc; NULL when the file has no such table */
	size_t nwords[TS_LC_NTYPES];
	uint32_t base[TS_LC_NTYPES][TS_LC_MAX_WORDS]; /* 22-bit codewords */
	uint32_t incr[TS_LC_NTYPES][TS_LC_MAX_WORDS];
};

/* "lc_state", "lc_cnt", "soc_dbg_state", "ownership_state", "auth_state". */
const char *ts_lc_type_name(enum ts_lc_type t);

/*
 * Loads path (or parses text when path is NULL and text is given) and
 * generates the codeword table.  TS_ERR_SCHEMA with file:line:col for bad
 * input, TS_ERR_RANGE when the constraints cannot be met.  Free with
 * ts_lcenc_free.
 */
TS_RESULT ts_lcenc_load(const char *path, struct ts_lcenc **out);

/* Parses an already loaded document (ownership passes to *out) and generates. */
TS_RESULT ts_lcenc_from_doc(struct ts_hjson_doc *doc, struct ts_lcenc **out);

void ts_lcenc_free(struct ts_lcenc *e);

/* The SECDED codeword of a data word: data | ecc << data_width. */
uint32_t ts_lcenc_ecc(const struct ts_lcenc *e, uint32_t data);

/*
 * encode(type, name) written little-endian, 16 bits a word, into out
 * (len bytes, at least 2 * nwords).  TS_ERR_SCHEMA naming an unknown state.
 */
TS_RESULT ts_lcenc_encode(const struct ts_lcenc *e, enum ts_lc_type t, const char *name, uint8_t *out, size_t len);

TS_DEFINE_AUTO(struct ts_lcenc, ts_lcenc_free)

#endif
