#ifndef TS_HSM_HSM_SESSION_H
#define TS_HSM_HSM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"
#include "hsm/hsm_transcript.h"
#include "hsm/hsm_uri.h"

/*
 * A logged-in PKCS#11 session on the one token a URI names.  Every call is
 * recorded in the caller's transcript; every failure becomes one line naming
 * the PKCS#11 step, the CKR name and what to do (TS_ERR_P11, detail = CK_RV).
 */
struct hsm_session;

struct hsm_key_attrs {
	int local;
	int always_sensitive;
	int never_extractable;
	int extractable;
	int modifiable;
	int sensitive;
	int sign;
	int generic_secret;   /* CKA_KEY_TYPE == CKK_GENERIC_SECRET */
	int ec;               /* CKA_KEY_TYPE == CKK_EC */
	unsigned long value_len;
	uint8_t id[64];
	size_t id_len;
};

/*
 * Loads t->module_path, initialises it, selects exactly one token matching
 * the URI (0 or several: TS_ERR_P11 naming the URI), opens a session
 * (read-write when rw) and logs in with the PIN from the URI's pin-source.
 * The PIN is read into secure memory, used once and wiped; C_Login is never
 * retried.  A PIN file must be a regular file (not a symlink) with no group or
 * other access.  Both t and tr are borrowed and must outlive the session.
 */
TS_RESULT hsm_session_open(const struct hsm_target *t, int rw, struct hsm_transcript *tr, struct hsm_session **out);

/*
 * Logs out, closes the session and finalises the module, then frees s; the
 * first failing call is returned (TS_ERR_P11), as any PKCS#11 failure ends a
 * run.  Always releases everything.
 */
TS_RESULT hsm_session_end(struct hsm_session *s);

/* As hsm_session_end on an error path: failures are only logged.  Safe on NULL. */
void hsm_session_close(struct hsm_session *s);

/* Token label, serial number and model, trimmed of padding. */
void hsm_session_token(const struct hsm_session *s, char label[33], char serial[17], char model[17]);

/* Objects of class cls labelled label: *count is 0, 1 or 2 (meaning "several"); *h the first. */
TS_RESULT hsm_find_object(struct hsm_session *s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h,
			  size_t *count);

/* Reads the attributes tapeseal records and checks, of a secret key (with CKA_VALUE_LEN). */
TS_RESULT hsm_key_attrs(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, struct hsm_key_attrs *a);

/* The same of an EC private key (no CKA_VALUE_LEN); a->ec says whether CKA_KEY_TYPE is CKK_EC. */
TS_RESULT hsm_ec_attrs(struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label, struct hsm_key_attrs *a);

/* True when reading CKA_VALUE is refused with CKR_ATTRIBUTE_SENSITIVE, as it must be. */
TS_RESULT hsm_key_value_hidden(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, int *hidden);

/* What a command is about to ask of the token. */
enum hsm_need { HSM_NEED_HMAC, HSM_NEED_MASTER, HSM_NEED_CA, HSM_NEED_ECDSA };

/*
 * Checks up front (C_GetMechanismInfo) that the token offers the mechanisms a
 * command needs with the right usage flag; TS_ERR_P11 in one line naming the
 * missing mechanism, before anything is done on the token.
 */
TS_RESULT hsm_require(struct hsm_session *s, enum hsm_need need);

/* HMAC-SHA256 inside the HSM (C_SignInit + C_Sign) into the empty 32-byte secret *out. */
TS_RESULT hsm_hmac_sha256(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, const uint8_t *msg,
			  size_t len, struct ts_secret *out);

/*
 * The ceremony: C_GenerateKey(CKM_GENERIC_SECRET_KEY_GEN) of a 256-bit token
 * key with every attribute explicit (sensitive, not extractable, sign only,
 * HMAC-SHA256 only, not modifiable, not copyable) and CKA_ID id.
 */
TS_RESULT hsm_master_generate(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len,
			      CK_OBJECT_HANDLE *out);

#endif
