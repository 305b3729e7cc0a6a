#ifndef TS_COMMON_FT_TS_DER_H
#define TS_COMMON_FT_TS_DER_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * The few DER encodings tapeseal writes by hand (X.690): the certificate
 * assembly around an HSM signature and the DiceTcbInfo extension.
 */

/* AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters (RFC 5758 §3.2). */
extern const uint8_t ts_der_ecdsa_sha256[12];

/* A definite length (X.690 §8.1.3), short form below 128; TS_ERR_RANGE above 0xffff. */
TS_RESULT ts_der_len(struct ts_buf *b, size_t n);

/* tag, length, content. */
TS_RESULT ts_der_tlv(struct ts_buf *b, uint8_t tag, const void *content, size_t len);

/*
 * SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING (no unused bits) sig }, a
 * Certificate (RFC 5280 §4.1) around a DER TBSCertificate, appended to out;
 * sig may be empty (for parsing a TBS alone).
 */
TS_RESULT ts_der_certificate(struct ts_buf *out, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig,
			     size_t sig_len);

#endif
