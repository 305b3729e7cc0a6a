/*
 * The default provisioning extension: no hooks, so every step does what the
 * upstream defaults do (nothing).  SKUs say "builtin:default", which is this
 * code linked into tapeseal; it is also built from the tree as
 * tapeseal_prov_ext_default.so, the smallest library the loader accepts.
 */
#include <stddef.h>

#include "tapeseal/prov_ext.h"

#ifndef TS_PROV_DEFAULT_ENTRY
#define TS_PROV_DEFAULT_ENTRY tapeseal_prov_ext_v1
#endif

const struct ts_prov_ext *TS_PROV_DEFAULT_ENTRY(void);

static const struct ts_prov_ext descriptor = {
	.struct_size = sizeof(struct ts_prov_ext),
	.abi_major = TS_PROV_EXT_ABI_MAJOR,
	.abi_minor = TS_PROV_EXT_ABI_MINOR,
	.name = "default",
	.version = "1.0",
};

const struct ts_prov_ext *
TS_PROV_DEFAULT_ENTRY(void)
{
	return &descriptor;
}
