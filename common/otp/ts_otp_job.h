#ifndef TS_COMMON_OTP_TS_OTP_JOB_H
#define TS_COMMON_OTP_TS_OTP_JOB_H

#include <limits.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/base/ts_stage.h"

/*
 * The otp-image command of both halves, minus argument parsing and printing:
 * one image from command-line arguments, or a batch file of images that
 * share one memory map, secrets file and life-cycle definition (parsed, and
 * the codewords generated, once).
 */
#define TS_OTP_MAX_ADD 32
#define TS_OTP_MAX_IMAGES 64

/* Where gen-otp-img finds the life-cycle definition in a checkout (its default --lc-state-def). */
#define TS_OTP_LC_STATE_REL "hw/ip/lc_ctrl/data/lc_ctrl_state.hjson"

struct ts_otp_args {
	const char *mmap;
	const char *secrets;
	const char *lc_state;
	const char *mode;      /* "testing" or "tapeout": the secrets' seed mode */
	const char *img_cfg;   /* single image */
	const char *add_cfg[TS_OTP_MAX_ADD];
	size_t nadd;
	const char *data_perm;
	const char *out;       /* .vmem path; "BITWIDTH" becomes 24 */
	const char *c_out;     /* C path */
	const char *batch;     /* instead of the single-image arguments */
	const char *sku;       /* the SKU's OTP configuration supplies mmap, lc_state, img_cfg, add_cfg */
	int quiet;             /* --quiet: the command prints nothing on success */
};

struct ts_otp_output {
	char path[PATH_MAX];
	struct ts_buf data;
};

struct ts_otp_outputs {
	struct ts_otp_output o[TS_OTP_MAX_IMAGES];
	size_t n;
};

/* Builds every requested image in memory (nothing is written).  Free with ts_otp_outputs_free. */
TS_RESULT ts_otp_build(const struct ts_otp_args *a, struct ts_otp_outputs *out);

/*
 * Writes every output, all or none: each goes to a temporary file beside its
 * target first; only when all are written are they moved into place.  A
 * different existing file needs force (TS_ERR_EXISTS); identical ones are left
 * alone; symlinks are refused.  status[i] tells what happened to output i.
 */
TS_RESULT ts_otp_write(const struct ts_otp_outputs *o, mode_t mode, int force, enum ts_file_status *status);

void ts_otp_outputs_free(struct ts_otp_outputs *o);

/*
 * Parses the otp-image options (argv after the command name) into *a; sets
 * *force and *help.  TS_ERR_USAGE with a one-line message otherwise.
 */
TS_RESULT ts_otp_args_parse(int argc, char **argv, struct ts_otp_args *a, int *force, int *help);

/*
 * The otp_consts equivalent of a resolved SKU (a from ts_otp_resolve_sku):
 * the partitions object of `tapeseal otp-consts`.  secrets may be NULL when
 * the configuration draws no "<random>" value.  Caller decrefs *parts.
 */
TS_RESULT ts_otp_sku_consts(const struct ts_otp_args *a, const char *secrets, json_t **parts);

/* The option summary shared by both halves' --help. */
extern const char ts_otp_usage_options[];

#endif
