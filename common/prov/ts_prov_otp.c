#include "common/prov/ts_prov_otp.h"

#include <stdlib.h>

ts_result
ts_otp_resolve_sku(const struct ts_prov_registry *r, struct ts_otp_args *a)
{
	TS_ENSURE(r != NULL && a != NULL && a->sku != NULL, TS_ERR_NULL);
	TS_ENSUREF(a->mmap == NULL && a->lc_state == NULL && a->img_cfg == NULL && a->nadd == 0 && a->batch == NULL,
		   TS_ERR_USAGE, "--sku replaces --mmap, --lc-state, --img-cfg, --add-cfg and --batch");
	const struct ts_prov_sku *s = NULL;
	TS_GUARD(ts_prov_sku_usable(r, a->sku, &s));
	const struct ts_prov_otp_cfg *c = ts_prov_otp_cfg(r, s->otp);
	TS_ENSUREF(c != NULL && c->e.valid, TS_ERR_SCHEMA, "SKU '%s': OTP configuration '%s' is missing or has problems",
		   a->sku, s->otp);
	TS_ENSURE(c->noverlays <= TS_OTP_MAX_ADD, TS_ERR_RANGE);
	a->mmap = c->mmap;
	a->lc_state = c->lc_state;
	a->img_cfg = c->base;
	for (size_t i = 0; i < c->noverlays; i++) {
		a->add_cfg[a->nadd++] = c->overlays[i];
	}
	return TS_OK;
}

ts_result
ts_otp_load_sku(struct ts_otp_args *a, struct ts_prov_registry **reg)
{
	TS_ENSURE(a != NULL && reg != NULL, TS_ERR_NULL);
	*reg = NULL;
	TS_GUARD(ts_prov_load(ts_prov_builtin_path(), getenv("PROV_EXTS_DIR"), reg));
	return ts_otp_resolve_sku(*reg, a);
}
