/*
 * The default provisioning extension: no hooks, so every step does what the
 * upstream defaults do (nothing).  Built from the tree as
 * tapeseal_prov_ext_default.so; SKUs normally say "builtin:default" instead.
 */
#include <stddef.h>

#include "tapeseal/prov_ext.h"

const struct ts_prov_ext *tapeseal_prov_ext_v1(void);

static const struct ts_prov_ext descriptor = {
	.struct_size = sizeof(struct ts_prov_ext),
	.abi_major = TS_PROV_EXT_ABI_MAJOR,
	.abi_minor = TS_PROV_EXT_ABI_MINOR,
	.name = "default",
	.version = "1.0",
};

const struct ts_prov_ext *
tapeseal_prov_ext_v1(void)
{
	return &descriptor;
}
