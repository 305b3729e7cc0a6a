#ifndef TS_HSM_HSM_TRANSCRIPT_H
#define TS_HSM_HSM_TRANSCRIPT_H

#include <p11-kit/pkcs11.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * The run's PKCS#11 call transcript: one JSON object a line (seq, fn, rv,
 * object label; never a PIN or a seed), each carrying the SHA-256 of the
 * previous line (64 zeros for the first), so the manifest can commit to the
 * whole log with the hash of its last line.
 */
struct hsm_transcript {
	struct ts_buf text;
	unsigned long seq;
	char last[65]; /* hex SHA-256 of the last line */
};

void hsm_transcript_init(struct hsm_transcript *t);

/* Appends a line; object may be NULL.  Failure to log is an error (TS_ERR_NOMEM). */
TS_RESULT hsm_transcript_log(struct hsm_transcript *t, const char *fn, CK_RV rv, const char *object);

void hsm_transcript_free(struct hsm_transcript *t);

/* The CKR_* name of rv, or "CKR_0x<hex>" for an unknown code. */
const char *hsm_rv_name(CK_RV rv, char *buf, size_t len);

#endif
