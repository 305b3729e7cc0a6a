#ifndef TS_HSM_HSM_INT_H
#define TS_HSM_HSM_INT_H

#include <p11-kit/pkcs11.h>

#include "common/base/ts_result.h"
#include "hsm/hsm_transcript.h"
#include "hsm/hsm_uri.h"

/* The session's insides, shared by the files of hsm/ only. */
struct hsm_session {
	CK_FUNCTION_LIST *fl;
	CK_SESSION_HANDLE sh;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO token;
	int initialized;
	int open;
	int logged_in;
	const struct hsm_target *t;
	struct hsm_transcript *tr;
};

/*
 * Logs one call in the transcript, then turns a failure into a one-line
 * error naming the step, the object, the CKR name and the hint (TS_ERR_P11).
 */
ts_result hsm_step(struct hsm_session *s, const char *fn, CK_RV rv, const char *object, const char *hint);

#endif
