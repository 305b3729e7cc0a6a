#ifndef TS_SECURE_SECURE_ENDORSE_H
#define TS_SECURE_SECURE_ENDORSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/ft/ts_dice.h"
#include "hsm/hsm_ec.h"

/*
 * Endorsement of device TBS certificates with a CA key in the HSM
 * (spec/provisioning.md B5 step 6).  Every TBS is inspected before the HSM
 * is asked to sign anything; a TBS that fails inspection causes no C_Sign.
 */

struct secure_ca {
	char label[256];
	CK_OBJECT_HANDLE priv;
	X509 *cert;          /* owned */
	EVP_PKEY *pub;       /* the certificate's key, owned */
	uint8_t ski[TS_DICE_ID_LEN];
};

/*
 * Loads the CA labelled label: exactly one private key, public key and
 * certificate with that label; the key EC, sensitive, never extractable and
 * able to sign; CKA_EC_POINT equal to the certificate's key; the certificate
 * CA:TRUE with keyCertSign and a 20-byte subject key identifier.  Errors name
 * the label and the rule (TS_ERR_MODE, TS_ERR_SCHEMA) or the PKCS#11 step.
 */
TS_RESULT secure_ca_load(struct hsm_session *s, const char *label, struct secure_ca *out);

void secure_ca_free(struct secure_ca *ca);

/*
 * Inspects tbs (B5.6) and, only when every rule holds, signs it with ca and
 * returns the verified certificate's DER (appended to *cert).  Rules: one DER
 * TBSCertificate; signature algorithm ecdsa-with-SHA256; issuer DN = the CA's
 * subject; AKI key ID = the CA's SKI; a P-256 key; SKI = SHA-256(key)[:20] =
 * the serial number with its top bit set.  With expect != NULL, the critical
 * DiceTcbInfo's firmware IDs must equal expect's.  TS_ERR_SCHEMA naming the
 * certificate (name) and the rule otherwise.
 */
TS_RESULT secure_endorse(struct hsm_session *s, const struct secure_ca *ca, const char *name, const uint8_t *tbs,
			 size_t len, const struct ts_dice_tcb *expect, struct ts_buf *cert);

#endif
