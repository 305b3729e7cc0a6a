#ifndef TS_COMMON_FT_TS_DICE_H
#define TS_COMMON_FT_TS_DICE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * DICE certificates as a device builds them (spec/provisioning.md A4, A8):
 * P-256 keys, key ID = SHA-256(x||y)[:20], serialNumber = the key ID with its
 * most significant bit set (DER 02 15 00 ...), subject DN serialNumber=<hex
 * ID>, SKI = ID, AKI = the issuer's ID, validity 2018-03-22 23:59:59 to
 * 9999-12-31 23:59:59, CA:TRUE + keyCertSign, and a critical DiceTcbInfo
 * (2.23.133.5.4.1) carrying SHA-256 firmware IDs and the operational flags.
 * Used by the simulated device to build them and by the host to inspect them.
 */

#define TS_DICE_ID_LEN 20
#define TS_DICE_MAX_FWIDS 8

struct ts_dice_key {
	EVP_PKEY *pkey;          /* private when derived, public when parsed; owned */
	uint8_t pub[64];         /* x||y, big-endian */
	uint8_t id[TS_DICE_ID_LEN];
};

struct ts_dice_tcb {
	uint8_t fwids[TS_DICE_MAX_FWIDS][32]; /* SHA-256 measurements */
	size_t nfwids;
	int debug;               /* OperationalFlags bit 3 */
};

struct ts_dice_cert_params {
	const struct ts_dice_key *subject; /* the key being certified */
	const uint8_t *issuer_id;          /* 20 bytes: AKI */
	const X509_NAME *issuer_dn;        /* NULL: serialNumber=<hex issuer_id> */
	const struct ts_dice_tcb *tcb;     /* NULL: no DiceTcbInfo */
	const char *subject_cn;            /* NULL, or a CN after the serialNumber (extension certificates) */
};

/*
 * Derives a P-256 key from a 32-byte device secret and a label: HKDF-SHA256
 * (salt "tapeseal-dice", info label, counter byte) until the scalar is in
 * [1, n-1].  Deterministic, so tests get the same TBS bytes on every run.
 */
TS_RESULT ts_dice_key_derive(const uint8_t seed[32], const char *label, struct ts_dice_key *out);

/* Fills pub and id from a public or private P-256 key (takes a reference; free with ts_dice_key_free). */
TS_RESULT ts_dice_key_from_pkey(EVP_PKEY *pkey, struct ts_dice_key *out);

/* The public key x||y (64 bytes, big-endian) as a ts_dice_key without a private half. */
TS_RESULT ts_dice_key_from_point(const uint8_t pub[64], struct ts_dice_key *out);

void ts_dice_key_free(struct ts_dice_key *k);

/* The key ID of a public key x||y: SHA-256(x||y) truncated to 20 bytes. */
void ts_dice_key_id(const uint8_t pub[64], uint8_t id[TS_DICE_ID_LEN]);

/* The unsigned certificate of p, signature algorithm ecdsa-with-SHA256 (caller frees). */
TS_RESULT ts_dice_build(const struct ts_dice_cert_params *p, X509 **out);

/* The DER TBSCertificate of p, for the host to endorse (appended to *tbs). */
TS_RESULT ts_dice_tbs(const struct ts_dice_cert_params *p, struct ts_buf *tbs);

/* The whole certificate of p signed on the device with signer (appended DER to *der). */
TS_RESULT ts_dice_cert(const struct ts_dice_cert_params *p, EVP_PKEY *signer, struct ts_buf *der);

/*
 * A TBSCertificate wrapped with an empty signature so OpenSSL parses it
 * (the host's inspection before endorsement).  TS_ERR_SCHEMA when the bytes
 * are not one DER TBSCertificate.  Caller frees *out.
 */
TS_RESULT ts_dice_parse_tbs(const uint8_t *tbs, size_t len, X509 **out);

/*
 * The DiceTcbInfo of x: firmware IDs (SHA-256 ones only) and whether the
 * extension is critical.  TS_ERR_SCHEMA when x has none or it is malformed.
 */
TS_RESULT ts_dice_tcb_read(const X509 *x, struct ts_dice_tcb *out, int *critical);

#endif
