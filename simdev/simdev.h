#ifndef TS_SIMDEV_SIMDEV_H
#define TS_SIMDEV_SIMDEV_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "common/base/ts_result.h"
#include "common/prov/ts_prov.h"

/*
 * tapeseal-simdev: a simulated chip for FT provisioning without hardware
 * (spec/provisioning.md B4).  Its state directory holds state.json (device
 * secret seed, WAS, device ID, life-cycle state, OTP items, locks) and
 * nvm/page_<n>.bin.  Every device key is derived from the seed, so a fixed
 * --seed gives the same TBS bytes on every run.  The device talks to the host
 * over stdin/stdout with upstream's prompts and framing (common/ft/ts_ujson.h).
 */
struct simdev {
	char dir[PATH_MAX];
	json_t *state;        /* owned */
	uint8_t seed[32];
	uint8_t was[32];
	uint8_t device_id[32];
	const char *fault;    /* --fault, or NULL */
	FILE *in, *out;       /* the console */
	/* the SKU */
	struct ts_prov_registry *reg; /* owned */
	const struct ts_prov_sku *sku;
	const json_t *orch;   /* orchestrator SKU config (borrowed from the SKU) */
};

/* Opens an existing state directory (TS_ERR_IO when there is none: run cp first). */
TS_RESULT simdev_load(struct simdev *d);

/* Writes state.json atomically (temporary file, fsync, rename). */
TS_RESULT simdev_save(const struct simdev *d);

TS_RESULT simdev_page_read(const struct simdev *d, unsigned page, uint8_t buf[2048]);
TS_RESULT simdev_page_write(const struct simdev *d, unsigned page, const uint8_t buf[2048]);

/* The stages. */
TS_RESULT simdev_cp(struct simdev *d, const char *was_file, const char *seed_hex);
TS_RESULT simdev_individualize(struct simdev *d, const char *consts_file, const char *ft_device_id_hex);
TS_RESULT simdev_personalize(struct simdev *d, const char *consts_file);
TS_RESULT simdev_boot(struct simdev *d, const char *exec_env);

/* Exactly 2n hex digits into n bytes (TS_ERR_USAGE otherwise). */
TS_RESULT simdev_unhex(const char *hex, uint8_t *out, size_t n);

#endif
