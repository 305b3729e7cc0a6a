#ifndef TS_COMMON_PROV_TS_PROV_H
#define TS_COMMON_PROV_TS_PROV_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * The provisioning registry (docs/provisioning.md): OTP configurations, SKUs
 * and execution environments from the built-in registry file, merged with a
 * downstream extension directory ($PROV_EXTS_DIR/cfg.hjson).  Loading never
 * stops at the first problem: every problem is collected, as one line naming
 * the file, position and key, so `tapeseal prov` can report them all.
 */
#define TS_PROV_MAX_LIBS 8
#define TS_PROV_MAX_OVERLAYS 16

enum ts_prov_origin { TS_PROV_BUILTIN, TS_PROV_DOWNSTREAM };

struct ts_prov_lib {
	char spec[PATH_MAX];  /* as written: builtin:<name> or @exts/lib/<file>.so */
	char path[PATH_MAX];  /* resolved file ("" for builtins) */
	char pin[65];         /* expected SHA-256, "" when not pinned */
	int builtin;
};

struct ts_prov_entry {
	char name[64];
	enum ts_prov_origin origin;
	char file[PATH_MAX];  /* the registry file that defines it */
	int overrides;        /* a downstream entry replacing a built-in one */
	int valid;            /* no problem was found in it */
};

struct ts_prov_otp_cfg {
	struct ts_prov_entry e;
	char mmap[PATH_MAX];
	char lc_state[PATH_MAX];
	char base[PATH_MAX];
	char overlays[TS_PROV_MAX_OVERLAYS][PATH_MAX];
	size_t noverlays;
};

struct ts_prov_sku {
	struct ts_prov_entry e;
	char otp[8];
	char ca_data[PATH_MAX];
	char dice_format[8];  /* "x509" or "cwt" (refused) */
	struct ts_prov_lib host_libs[TS_PROV_MAX_LIBS];
	size_t nhost;
	struct ts_prov_lib device_libs[TS_PROV_MAX_LIBS];
	size_t ndevice;
	char rom_ext[PATH_MAX];
	char owner_fw[PATH_MAX];
	char orchestrator_cfg[PATH_MAX];
	char perso_bin[PATH_MAX];
	int offline;
	json_t *recorded;     /* ownership_libs, ecdsa_key, spx_key, signature_prefix, tags: kept as given */
	json_t *orch;         /* the parsed orchestrator_cfg (A7 format), NULL when it has problems */
};

struct ts_prov_exec_env {
	struct ts_prov_entry e;
	char rom_ext_version[64];
	char owner_fw_boot_str[256];
	char lc_state[32];
};

struct ts_prov_registry {
	char builtin_file[PATH_MAX];
	char ext_dir[PATH_MAX]; /* "" without PROV_EXTS_DIR */
	struct ts_prov_otp_cfg *otp;
	size_t notp;
	struct ts_prov_sku *skus;
	size_t nskus;
	struct ts_prov_exec_env *envs;
	size_t nenvs;
	struct ts_buf problems; /* lines, each ending in '\n' */
	size_t nproblems;
};

/*
 * Loads the built-in registry file (builtin_path) and, when ext_dir is not
 * NULL, $ext_dir/cfg.hjson.  Returns TS_OK with problems collected in
 * r->problems, or an error when the built-in registry cannot be read at all.
 * Free with ts_prov_free.
 */
TS_RESULT ts_prov_load(const char *builtin_path, const char *ext_dir, struct ts_prov_registry **out);

void ts_prov_free(struct ts_prov_registry *r);

const struct ts_prov_sku *ts_prov_sku(const struct ts_prov_registry *r, const char *name);

/*
 * The SKU name when it can be used: TS_ERR_USAGE when there is none,
 * TS_ERR_SCHEMA when it has problems or uses CWT certificates (not supported).
 */
TS_RESULT ts_prov_sku_usable(const struct ts_prov_registry *r, const char *name, const struct ts_prov_sku **out);
const struct ts_prov_otp_cfg *ts_prov_otp_cfg(const struct ts_prov_registry *r, const char *name);

/*
 * rel resolved against the directory of the registry file that defines s
 * (orchestrator configs name their CA certificates this way).  TS_ERR_RANGE
 * when it does not fit in len.
 */
TS_RESULT ts_prov_sku_path(const struct ts_prov_sku *s, const char *rel, char *buf, size_t len);

/*
 * The certificate the SKU's orchestrator config names for role ("dice_ca",
 * "ext_ca"), read as PEM from its path relative to the SKU's registry file;
 * *out is NULL when the config names none.  TS_ERR_IO / TS_ERR_SCHEMA naming
 * the file otherwise.  Caller frees *out (X509_free).
 */
struct x509_st;
TS_RESULT ts_prov_sku_ca_cert(const struct ts_prov_sku *s, const char *role, struct x509_st **out);

/* The built-in registry file: $TAPESEAL_PROV_REGISTRY, else the installed one, else the source tree's. */
const char *ts_prov_builtin_path(void);

TS_DEFINE_AUTO(struct ts_prov_registry, ts_prov_free)

#endif
