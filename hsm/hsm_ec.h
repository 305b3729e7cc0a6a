#ifndef TS_HSM_HSM_EC_H
#define TS_HSM_HSM_EC_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "hsm/hsm_session.h"

/*
 * EC P-256 certificate-authority keys inside the HSM (spec/hsm.md §2): the
 * key pair is generated on the token (private half sensitive, never
 * extractable, sign only, not modifiable), signatures are raw CKM_ECDSA over
 * a digest computed on the host, and the CA certificate is kept on the token
 * next to its key (same label and CKA_ID).  Errors are TS_ERR_P11 lines
 * naming the PKCS#11 step, as everywhere in hsm/.
 */

/* C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN) on prime256v1 with every attribute explicit; token objects. */
TS_RESULT hsm_ec_generate(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len,
			  CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub);

/*
 * The public point of an EC public-key object as 65 bytes 04||x||y.  CKA_EC_POINT
 * may come DER-wrapped in an OCTET STRING (SoftHSM) or raw (some HSMs); both
 * are accepted.  TS_ERR_SCHEMA when it is neither an uncompressed P-256 point.
 */
TS_RESULT hsm_ec_point(struct hsm_session *s, CK_OBJECT_HANDLE pub, const char *label, uint8_t point[65]);

/* ECDSA (CKM_ECDSA) over a 32-byte digest: rs = r||s, 32 bytes each, big-endian. */
TS_RESULT hsm_ecdsa_sign(struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label, const uint8_t digest[32],
			 uint8_t rs[64]);

/* Stores a DER X.509 certificate as a token object (CKO_CERTIFICATE, CKC_X_509) with label, id and subject. */
TS_RESULT hsm_cert_store(struct hsm_session *s, const char *label, const uint8_t *id, size_t id_len,
			 const uint8_t *subject, size_t subject_len, const uint8_t *der, size_t len, CK_OBJECT_HANDLE *h);

/* Reads the CKA_VALUE of certificate object h into *der (appended). */
TS_RESULT hsm_cert_value(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label, struct ts_buf *der);

/* Removes an object this run created, when a later step failed (C_DestroyObject). */
TS_RESULT hsm_destroy_object(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *label);

#endif
