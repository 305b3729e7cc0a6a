#ifndef TS_COMMON_BASE_TS_OUTSET_H
#define TS_COMMON_BASE_TS_OUTSET_H

#include <stddef.h>
#include <sys/types.h>

#include "common/base/ts_buf.h"

/*
 * A set of files to be written together under one output directory: what a
 * generation run produces (topgen) and what ts_stage_commit puts in place.
 */

#define TS_OUT_MAX 8

struct ts_out_file {
	char rel[256];       /* path relative to the output directory */
	struct ts_buf data;
	mode_t mode;         /* 0600 for secret files, 0644 otherwise */
};

struct ts_outset {
	struct ts_out_file f[TS_OUT_MAX];
	size_t n;
};

/* Cleanses and frees every buffer of the set. */
void ts_outset_free(struct ts_outset *set);

#endif
