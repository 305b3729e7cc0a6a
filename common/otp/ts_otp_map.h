#ifndef TS_COMMON_OTP_TS_OTP_MAP_H
#define TS_COMMON_OTP_TS_OTP_MAP_H

#include <stddef.h>

#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"

/* An OTP memory map laid out as OpenTitan's OtpMemMap does (spec/otp.md §4). */
struct ts_mm_item {
	char name[96];
	size_t size;   /* bytes */
	size_t offset; /* absolute byte offset */
	int ismubi;
	int isdigest;
	int iszer;
};

struct ts_mm_part {
	char name[64];
	char variant[32];
	char key_sel[64];
	int secret;
	int sw_digest;
	int hw_digest;
	int zeroizable;
	int absorb;
	int skip_sw_header;
	size_t size;
	size_t offset;
	struct ts_mm_item *items;
	size_t nitems;
};

struct ts_mmap {
	size_t width;
	size_t depth;
	size_t size; /* bytes: width * depth */
	struct ts_mm_part *parts;
	size_t nparts;
};

/*
 * Loads otp_ctrl_mmap.hjson and computes the layout: defaults, sizes,
 * round-robin absorb blocks, offsets, synthetic <PART>_DIGEST / <PART>_ZER
 * items, and every check of §4.  Integers may be given as decimal strings and
 * booleans as "true"/"false".  Errors: TS_ERR_SCHEMA with file:line:col.
 * Free with ts_mmap_free.
 */
TS_RESULT ts_mmap_load(const char *path, struct ts_mmap **out);

/* As ts_mmap_load from a parsed document (ownership of doc stays with the caller). */
TS_RESULT ts_mmap_from_doc(const struct ts_hjson_doc *doc, struct ts_mmap **out);

void ts_mmap_free(struct ts_mmap *m);

/* The partition or item with this name, or NULL. */
struct ts_mm_part *ts_mmap_part(const struct ts_mmap *m, const char *name);
struct ts_mm_item *ts_mmap_item(const struct ts_mm_part *p, const char *name);

TS_DEFINE_AUTO(struct ts_mmap, ts_mmap_free)

#endif
