#ifndef TS_COMMON_TOPGEN_TS_EMIT_H
#define TS_COMMON_TOPGEN_TS_EMIT_H

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/topgen/ts_lc.h"
#include "common/topgen/ts_model.h"
#include "common/topgen/ts_seeds.h"

/*
 * Emitters of the files topgen writes (spec/secrets.md §6, §7), byte for byte.
 * All append to out; the top must have been generated (ts_gen_run).  mode is
 * the seed mode ("testing", "tapeout"), seed_ref the seed-configuration line
 * printed in headers.  Errors: TS_ERR_NOMEM, TS_ERR_SCHEMA (a value wider than
 * its randwidth, overlapping OTP items), TS_ERR_CRYPTO.
 */

/* rtl/autogen/<mode>/top_<t>_rnd_cnst_pkg.sv (§7.1). */
TS_RESULT ts_emit_rnd_cnst_sv(const struct ts_top *top, const char *seed_ref, struct ts_buf *out);

/* rtl/autogen/<mode>/top_<t>_rnd_cnst_pkg.vbl (§7.2). */
TS_RESULT ts_emit_rnd_cnst_vbl(const struct ts_top *top, const char *seed_ref, struct ts_buf *out);

/* rtl/autogen/<mode>/top_<t>_<mode>_rnd_cnst_pkg.core (§7.3). */
TS_RESULT ts_emit_rnd_cnst_core(const struct ts_top *top, const char *mode, struct ts_buf *out);

/* rtl/autogen/<mode>/top_<t>_<mode>_lc_ctrl_token_pkg.core (§7.3). */
TS_RESULT ts_emit_lc_token_core(const struct ts_top *top, const char *mode, struct ts_buf *out);

/* rtl/autogen/<mode>/lc_ctrl_token_pkg.sv (§6); lc must have been generated. */
TS_RESULT ts_emit_lc_token_sv(const struct ts_lc *lc, struct ts_buf *out);

/* data/autogen/top_<t>.secrets.<mode>.gen.hjson (§7.5). */
TS_RESULT ts_emit_secrets_hjson(const struct ts_top *top, const struct ts_seeds *seeds, const char *mode,
				struct ts_buf *out);

/* Python hex() of a big-endian value: "0x" + lowercase hex without leading zeros. */
TS_RESULT ts_emit_py_hex(const uint8_t *be, size_t len, struct ts_buf *out);

/* Decimal text of a big-endian value. */
TS_RESULT ts_emit_decimal(const uint8_t *be, size_t len, struct ts_buf *out);

#endif
