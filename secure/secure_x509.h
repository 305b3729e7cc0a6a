#ifndef TS_SECURE_SECURE_X509_H
#define TS_SECURE_SECURE_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "hsm/hsm_ec.h"

TS_DEFINE_AUTO(X509, X509_free)
TS_DEFINE_AUTO(EVP_PKEY, EVP_PKEY_free)
TS_DEFINE_AUTO(X509_NAME, X509_NAME_free)

/*
 * Certificates signed inside the HSM (spec/hsm.md §2): SHA-256 over the DER
 * TBSCertificate on the host, C_Sign(CKM_ECDSA) in the HSM, r||s turned into
 * a DER ECDSA-Sig-Value, SEQUENCE{tbs, ecdsa-with-SHA256, BIT STRING sig}
 * assembled, parsed back and verified with the CA public key before anyone
 * sees it.
 */

/* The P-256 public key of a 65-byte uncompressed point (04||x||y).  TS_ERR_CRYPTO when it is not on the curve. */
TS_RESULT secure_p256_pub(const uint8_t point[65], EVP_PKEY **out);

/*
 * A distinguished name from "CN=Acme DICE CA,O=Acme,C=US" (attribute=value
 * pairs separated by commas; a value may not contain a comma).  TS_ERR_USAGE
 * naming the bad part.
 */
TS_RESULT secure_dn_parse(const char *text, X509_NAME **out);

/*
 * Assembles a certificate from a DER TBSCertificate (whose signature
 * algorithm must be ecdsa-with-SHA256) and a P-256 signature r||s, and
 * checks it against ca_pub (TS_ERR_CRYPTO when it does not verify).  The DER
 * goes to *der (appended), the parsed certificate to *out (caller frees).
 */
TS_RESULT secure_x509_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t rs[64], EVP_PKEY *ca_pub,
			       struct ts_buf *der, X509 **out);

/*
 * Signs the certificate x (fields and extensions set) with the HSM key priv:
 * sets its signature algorithm to ecdsa-with-SHA256, hashes the re-encoded
 * TBS, signs, assembles and verifies as above.  *out is the final
 * certificate (caller frees), *der its DER (appended).
 */
TS_RESULT secure_x509_sign_hsm(X509 *x, struct hsm_session *s, CK_OBJECT_HANDLE priv, const char *label,
			       EVP_PKEY *ca_pub, struct ts_buf *der, X509 **out);

#endif
