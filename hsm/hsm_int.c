#include "hsm/hsm_int.h"

#include <stdio.h>

#include <p11-kit/p11-kit.h>

/* Logs one call, then turns a failure into a one-line error naming the step. */
ts_result
hsm_step(struct hsm_session *s, const char *fn, CK_RV rv, const char *object, const char *hint)
{
	char name[32];
	TS_GUARD(hsm_transcript_log(s->tr, fn, rv, object));
	if (rv == CKR_OK) {
		return TS_OK;
	}
	return ts_failf(TS_ERR_P11, __FILE__, __LINE__, "PKCS#11 %s%s%s failed: %s (%s); %s", fn,
			object ? " on " : "", object ? object : "", hsm_rv_name(rv, name, sizeof(name)),
			p11_kit_strerror(rv), hint);
}

