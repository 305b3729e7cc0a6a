#ifndef TS_COMMON_PROV_TS_PROV_OTP_H
#define TS_COMMON_PROV_TS_PROV_OTP_H

#include "common/base/ts_result.h"
#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"

/* A SKU's OTP configuration as otp-image and otp-consts arguments (--sku). */

/*
 * Fills mmap, lc_state, img_cfg and add_cfg from a->sku's OTP configuration
 * in r (borrowed; keep it alive while a is used).  Refuses an unknown or
 * invalid SKU, a CWT SKU, and those options given as well (TS_ERR_USAGE).
 */
TS_RESULT ts_otp_resolve_sku(const struct ts_prov_registry *r, struct ts_otp_args *a);

/*
 * Loads the provisioning registry (the built-in file and $PROV_EXTS_DIR) into
 * *reg (caller frees with ts_prov_free, also on failure) and resolves a->sku
 * from it as ts_otp_resolve_sku does.
 */
TS_RESULT ts_otp_load_sku(struct ts_otp_args *a, struct ts_prov_registry **reg);

#endif
