#ifndef TS_SECURE_SECURE_MANIFEST_H
#define TS_SECURE_SECURE_MANIFEST_H

#include <jansson.h>

#include "common/base/ts_result.h"
#include "common/topgen/ts_job.h"
#include "common/topgen/ts_seeds.h"
#include "secure/secure_derive.h"

#define SECURE_MANIFEST_NAME "tapeseal-manifest.tapeout.json"
#define SECURE_TRANSCRIPT_NAME "tapeseal-transcript.tapeout.jsonl"

struct secure_run_info {
	const char *top_t;
	const char *hsm_display;
	unsigned seed_version;
	const struct secure_policy *policy;
	const struct secure_hsm_info *hsm;
	const char *transcript_last; /* hex SHA-256 of the transcript's last line */
};

/*
 * The non-secret manifest (sorted keys): tool and version, mode, top, UTC
 * time, every other file of set with SHA-256, size and mode, per-seed
 * commitments, the token and master attributes, the policy's SHA-256 and
 * the transcript's last hash.  Appended to out with a final newline.
 */
TS_RESULT secure_manifest_build(const struct secure_run_info *run, const struct ts_seeds *seeds,
				const struct ts_outset *set, struct ts_buf *out);

/*
 * Compares a manifest on disk with a fresh one: the same top, mode, seed
 * version, commitments, master label and id, and file hashes.  The time and
 * the transcript hash differ between runs and are not compared; the
 * transcript's own chain is checked by secure_transcript_check.  Returns
 * TS_ERR_DIFFERS naming the first difference.
 */
TS_RESULT secure_manifest_compare(const struct ts_buf *disk, const struct ts_buf *fresh, const char *name);

/* Recomputes the hash chain of a transcript; *last receives the last line's hash. */
TS_RESULT secure_transcript_check(const struct ts_buf *text, const char *name, char last[65]);

#endif
