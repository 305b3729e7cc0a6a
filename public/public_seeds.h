#ifndef TS_PUBLIC_PUBLIC_SEEDS_H
#define TS_PUBLIC_PUBLIC_SEEDS_H

#include <stddef.h>

#include "common/base/ts_result.h"
#include "common/topgen/ts_seeds.h"

/*
 * The seed-file loader of the public half (spec/secrets.md §2.1).  It is
 * linked only into `tapeseal`: the secure half has no code path that reads a
 * seed file.  Only testing seeds are accepted; they are public by design.
 */

/*
 * Parses a seed file's text into the empty *out.  Rules: keys name,
 * topgen_seed, otp_img_seed, lc_ctrl_seed only; name must be "testing"
 * (TS_ERR_MODE otherwise); seeds are decimal integers (TS_ERR_SCHEMA), not
 * zero, at most 256 bits, pairwise different (TS_ERR_SEED).  Errors carry
 * name:line:col.  Seeds below 250 bits are flagged in out->short_seed.
 */
TS_RESULT public_seeds_parse(const char *text, size_t len, const char *name, struct ts_seeds *out);

/* Reads path (no symlinks, size-capped) and parses it. */
TS_RESULT public_seeds_load(const char *path, struct ts_seeds *out);

#endif
