#ifndef TS_COMMON_TOPGEN_TS_EMIT_INT_H
#define TS_COMMON_TOPGEN_TS_EMIT_INT_H

#include <stddef.h>

#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"
#include "common/topgen/ts_model.h"

/*
 * Internal to the emitters (ts_emit.c: SystemVerilog, .vbl and cores;
 * ts_emit_secrets.c: the secrets file); nothing outside common/topgen/
 * includes this.  Both files use both banners.
 */

static const char ts_emit_lic[] =
	"// Copyright lowRISC contributors (OpenTitan project).\n"
	"// Licensed under the Apache License, Version 2.0, see LICENSE for details.\n"
	"// SPDX-License-Identifier: Apache-2.0\n";
static const char ts_emit_warn[] =
	"//\n"
	"// ------------------- W A R N I N G: A U T O - G E N E R A T E D   C O D E !! "
	"-------------------//\n"
	"// PLEASE DO NOT HAND-EDIT THIS FILE. IT HAS BEEN AUTO-GENERATED WITH THE FOLLOWING COMMAND:\n";

/*
 * §5.2: walks partitions and items backwards, inserting "unallocated space"
 * items for gaps.  visit is called for each part (item == NULL, gap == 0) and
 * each item or gap, with last flags for the separators.
 */
struct inv_visit {
	ts_result (*part)(void *ctx, const struct ts_otp_part *p, int first);
	ts_result (*part_end)(void *ctx, int last);
	ts_result (*item)(void *ctx, size_t bits, const struct ts_secret *v, int gap, int last);
	void *ctx;
};

/* Calls vis over the OTP partitions and items of o, backwards, with gaps (§5.2). */
TS_RESULT ts_emit_walk_inv(const struct ts_otp *o, const struct inv_visit *vis);

#endif
