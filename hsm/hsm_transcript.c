#include "hsm/hsm_transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

struct rv_name {
	CK_RV rv;
	const char *name;
};

static const struct rv_name rv_names[] = {
	{ CKR_OK, "CKR_OK" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
	{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
	{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
	{ CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED" },
};

const char *
hsm_rv_name(CK_RV rv, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++) {
		if (rv_names[i].rv == rv) {
			return rv_names[i].name;
		}
	}
	(void)snprintf(buf, len, "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

void
hsm_transcript_init(struct hsm_transcript *t)
{
	memset(t, 0, sizeof(*t));
	memset(t->last, '0', 64);
}

ts_result
hsm_transcript_log(struct hsm_transcript *t, const char *fn, CK_RV rv, const char *object)
{
	char name[32];
	unsigned char md[32];
	unsigned int mdlen = 0;
	json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "seq", (json_int_t)++t->seq, "fn", fn, "rv",
			      hsm_rv_name(rv, name, sizeof(name)), "prev", t->last);
	TS_ENSURE(o != NULL, TS_ERR_NOMEM);
	if (object != NULL) {
		(void)json_object_set_new(o, "object", json_string(object));
	}
	char *line = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	TS_ENSURE(line != NULL, TS_ERR_NOMEM);
	int ok = EVP_Digest(line, strlen(line), md, &mdlen, EVP_sha256(), NULL) == 1;
	ts_result r = ts_buf_printf(&t->text, "%s\n", line);
	free(line);
	TS_GUARD(r);
	TS_ENSURE(ok && mdlen == 32, TS_ERR_CRYPTO);
	for (unsigned i = 0; i < 32; i++) {
		(void)snprintf(t->last + 2 * i, 3, "%02x", md[i]);
	}
	return TS_OK;
}

void
hsm_transcript_free(struct hsm_transcript *t)
{
	ts_buf_free(&t->text);
}
