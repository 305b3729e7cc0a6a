#include "secure/secure_derive.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/base/ts_hex.h"

TS_DEFINE_AUTO(EVP_MD_CTX, EVP_MD_CTX_free)

void
secure_master_label(const struct hsm_target *t, const char *top_t, char *out, size_t len)
{
	if (t->object[0] != '\0') {
		(void)snprintf(out, len, "%s", t->object);
	} else {
		(void)snprintf(out, len, "top_%s.tapeout.master", top_t);
	}
}

ts_result
secure_check_target(const struct hsm_target *t, const struct secure_policy *pol)
{
	int ok = pol->nmodules == 0;
	for (size_t i = 0; i < pol->nmodules && !ok; i++) {
		ok = strcmp(pol->module_paths[i], t->module_path) == 0;
	}
	TS_ENSUREF(ok, TS_ERR_MODE, "module-path %s is not in the policy's module_paths (%s)", t->module_path,
		   pol->source);
	TS_ENSUREF(t->pin_kind != HSM_PIN_FILE || pol->pin_file, TS_ERR_MODE,
		   "the policy (%s) does not allow pin-source=file:", pol->source);
	TS_ENSUREF(t->pin_kind != HSM_PIN_ENV || pol->pin_env, TS_ERR_MODE,
		   "the policy (%s) does not allow pin-source=env:; use pin-source=file:<path>", pol->source);
	return TS_OK;
}

ts_result
secure_check_master(const struct secure_policy *pol, const struct hsm_key_attrs *a, const char *label)
{
	struct {
		const char *name;
		int have;
		int want;
	} c[] = {
		{ "CKA_LOCAL", a->local, pol->master_local },
		{ "CKA_ALWAYS_SENSITIVE", a->always_sensitive, pol->master_always_sensitive },
		{ "CKA_NEVER_EXTRACTABLE", a->never_extractable, pol->master_never_extractable },
		{ "CKA_EXTRACTABLE", a->extractable, pol->master_extractable },
		{ "CKA_MODIFIABLE", a->modifiable, pol->master_modifiable },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		TS_ENSUREF(c[i].have == c[i].want, TS_ERR_MODE,
			   "master key %s has %s=%s but the policy (%s) requires %s; create the master with "
			   "'tapeseal-secure master create'",
			   label, c[i].name, c[i].have ? "true" : "false", pol->source, c[i].want ? "true" : "false");
	}
	TS_ENSUREF(a->generic_secret && a->value_len == 32 && a->sign && a->sensitive, TS_ERR_MODE,
		   "master key %s must be a sensitive 256-bit CKK_GENERIC_SECRET key that can sign", label);
	return TS_OK;
}

static ts_result
derive_one(struct hsm_session *s, CK_OBJECT_HANDLE h, const char *master, const char *top_t,
	   enum ts_seed_kind k, unsigned version, const struct secure_policy *pol, struct ts_seeds *out)
{
	char msg[160];
	TS_SECRET(seed);
	int n = snprintf(msg, sizeof(msg), "top_%s/%s/v%u", top_t, ts_seed_name(k), version);
	TS_ENSURE(n > 0 && (size_t)n < sizeof(msg), TS_ERR_RANGE);
	TS_GUARD(hsm_hmac_sha256(s, h, master, (const uint8_t *)msg, (size_t)n, &seed));
	TS_ENSUREF(!secure_policy_denies(pol, seed.data), TS_ERR_SEED,
		   "the %s derived from %s is a known testing seed (deny-list of %s); refusing to use it", ts_seed_name(k),
		   master, pol->source);
	TS_GUARD(ts_seeds_add(out, k, &seed));
	return TS_OK;
}

static ts_result
derive_in_session(struct hsm_session *s, const struct secure_policy *pol, const char *top_t, int has_otp,
		  int has_lc, unsigned version, struct ts_seeds *out, struct secure_hsm_info *info)
{
	CK_OBJECT_HANDLE h;
	size_t count;
	const char *label = info->master_label;
	hsm_session_token(s, info->token_label, info->token_serial, info->token_model);
	TS_GUARD(hsm_find_object(s, CKO_SECRET_KEY, label, &h, &count));
	TS_ENSUREF(count == 1, TS_ERR_P11, "%s master key labelled '%s' on token '%s'; %s", count ? "more than one"
		   : "no", label, info->token_label, count ? "remove the duplicates or name the key by id"
		   : "create it once with 'tapeseal-secure master create'");
	TS_GUARD(hsm_key_attrs(s, h, label, &info->attrs));
	TS_GUARD(secure_check_master(pol, &info->attrs, label));
	(void)snprintf(out->mode, sizeof(out->mode), "tapeout");
	TS_GUARD(derive_one(s, h, label, top_t, TS_SEED_TOPGEN, version, pol, out));
	if (has_otp) {
		TS_GUARD(derive_one(s, h, label, top_t, TS_SEED_OTP_IMG, version, pol, out));
	}
	if (has_lc) {
		TS_GUARD(derive_one(s, h, label, top_t, TS_SEED_LC_CTRL, version, pol, out));
	}
	return TS_OK;
}

ts_result
secure_derive_seeds(const struct hsm_target *t, const struct secure_policy *pol, const char *top_t, int has_otp,
		    int has_lc, unsigned version, struct hsm_transcript *tr, struct ts_seeds *out,
		    struct secure_hsm_info *info)
{
	struct hsm_session *s = NULL;
	TS_ENSUREF(version >= 1 && version <= 1000000, TS_ERR_USAGE, "--seed-version must be 1 to 1000000");
	TS_GUARD(secure_check_target(t, pol));
	secure_master_label(t, top_t, info->master_label, sizeof(info->master_label));
	TS_GUARD(hsm_session_open(t, 0, tr, &s));
	ts_result r = hsm_require(s, HSM_NEED_HMAC);
	r = r.code ? r : derive_in_session(s, pol, top_t, has_otp, has_lc, version, out, info);
	if (r.code != 0) {
		hsm_session_close(s);
	} else {
		r = hsm_session_end(s);
	}
	if (r.code != 0) {
		ts_seeds_free(out);
	}
	return r;
}

ts_result
secure_commitment(const char *top_t, const char *seed_name, const struct ts_secret *seed, char hex[65])
{
	static const char tag[] = "tapeseal/seed-commitment/v1";
	unsigned char md[32];
	unsigned int n = 0;
	TS_AUTO(EVP_MD_CTX, EVP_MD_CTX_free) ctx = EVP_MD_CTX_new();
	TS_ENSURE(ctx != NULL, TS_ERR_NOMEM);
	TS_GUARD_OSSL(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, tag, sizeof(tag)));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, "top_", 4));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, top_t, strlen(top_t) + 1));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, seed_name, strlen(seed_name) + 1));
	TS_GUARD_OSSL(EVP_DigestUpdate(ctx, seed->data, seed->len));
	TS_GUARD_OSSL(EVP_DigestFinal_ex(ctx, md, &n));
	ts_hex_encode(md, 32, hex);
	return TS_OK;
}
