#ifndef TS_SECURE_SECURE_DERIVE_H
#define TS_SECURE_SECURE_DERIVE_H

#include "common/base/ts_result.h"
#include "common/topgen/ts_seeds.h"
#include "hsm/hsm_session.h"
#include "hsm/hsm_transcript.h"
#include "hsm/hsm_uri.h"
#include "secure/secure_policy.h"

/* What the manifest records about the HSM side of a run. */
struct secure_hsm_info {
	char token_label[33];
	char token_serial[17];
	char token_model[17];
	char master_label[256];
	struct hsm_key_attrs attrs;
};

/* The master's label: the URI's object, else top_<t>.tapeout.master. */
void secure_master_label(const struct hsm_target *t, const char *top_t, char *out, size_t len);

/* Policy checks on the URI: module path allow-list and PIN source kind (TS_ERR_MODE). */
TS_RESULT secure_check_target(const struct hsm_target *t, const struct secure_policy *pol);

/* The master's attributes against the policy (TS_ERR_MODE naming the first mismatch). */
TS_RESULT secure_check_master(const struct secure_policy *pol, const struct hsm_key_attrs *a, const char *label);

/*
 * Opens the HSM, finds exactly one master, checks it against the policy and
 * derives seed = HMAC-SHA256(master, "top_<t>/<seed_name>/v<version>") for
 * topgen_seed, plus otp_img_seed / lc_ctrl_seed when needed, into the empty
 * *out (mode "tapeout").  Refuses zero, equal and deny-listed seeds
 * (TS_ERR_SEED).  The session is closed before returning.
 */
TS_RESULT secure_derive_seeds(const struct hsm_target *t, const struct secure_policy *pol, const char *top_t,
			      int has_otp, int has_lc, unsigned version, struct hsm_transcript *tr,
			      struct ts_seeds *out, struct secure_hsm_info *info);

/*
 * The manifest's commitment to a seed: hex SHA-256 over the domain tag
 * "tapeseal/seed-commitment/v1", the top, the seed name and the seed, each
 * followed by a NUL byte.  Never the seed itself.
 */
TS_RESULT secure_commitment(const char *top_t, const char *seed_name, const struct ts_secret *seed, char hex[65]);

#endif
