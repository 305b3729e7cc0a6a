#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hsm/hsm_uri.h"
#include "public/public_seeds.h"
#include "secure/secure_guard.h"
#include "secure/secure_policy.h"
#include "tests/lib/ts_test.h"

static const char good[] = "{\n deny_seed_sha256: []\n pin_sources: [\"file\"]\n module_paths: []\n"
			   " master: { local: true, always_sensitive: true, never_extractable: true,\n"
			   "   extractable: false, modifiable: false }\n allow_git_worktree: false\n}\n";

static void
policy_fails(const char *text, int code, const char *msg)
{
	struct secure_policy p;
	ts_error_clear();
	CU_ASSERT_TS_ERR(secure_policy_parse(text, strlen(text), "p.hjson", &p), code);
	if (strstr(ts_last_error_message(), msg) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), msg);
	}
	CU_ASSERT_MSG_HAS(msg);
}

static void
test_policy_parse_and_errors(void)
{
	struct secure_policy p;
	char text[1024];
	CU_ASSERT_TS_OK(secure_policy_parse(good, sizeof(good) - 1, "p.hjson", &p));
	CU_ASSERT(p.pin_file && !p.pin_env && p.master_local && !p.master_modifiable && !p.allow_git_worktree);
	CU_ASSERT_EQUAL(strlen(p.sha256), 64);
	(void)snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "allow_git_worktree"), "allow_git_worktreX", 18);
	policy_fails(text, TS_ERR_SCHEMA, "unknown key 'allow_git_worktreX' in the policy");
	policy_fails("{ deny_seed_sha256: [] }", TS_ERR_SCHEMA, "the policy has no 'pin_sources' (every key is required)");
	(void)snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "[]"), "[1]", 3);
	policy_fails(text, TS_ERR_SCHEMA, "p.hjson:2:21: deny_seed_sha256 entries are 64 hex digits");
	(void)snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "\"file\""), "\"argv\"", 6);
	policy_fails(text, TS_ERR_SCHEMA, "pin_sources entries are \"file\" or \"env\"");
}

static void
test_policy_file_permissions(void)
{
	char dir[4096], path[4200];
	struct secure_policy p;
	ts_test_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/p.hjson", dir);
	CU_ASSERT_EQUAL_FATAL(ts_test_write(path, good), 0);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_TS_OK(secure_policy_load(path, &p));
	CU_ASSERT_EQUAL(chmod(path, 0666), 0);
	ts_error_clear();
	CU_ASSERT_TS_ERR(secure_policy_load(path, &p), TS_ERR_MODE);
	CU_ASSERT_MSG_HAS("writable by group or other");
	ts_test_rm_rf(dir);
}

/* Fingerprints computed from seed files, not copied: the default deny-list must hold them. */
static void
check_seed_file_denied(const struct secure_policy *p, const char *path)
{
	struct ts_seeds s = { 0 };
	CU_ASSERT_TS_OK(public_seeds_load(path, &s));
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		if (s.seed[k].data != NULL) {
			CU_ASSERT(secure_policy_denies(p, s.seed[k].data));
		}
	}
	ts_seeds_free(&s);
}

static void
test_policy_default_denies_known_testing_seeds(void)
{
	char path[4096];
	struct secure_policy p;
	uint8_t other[32] = { 1 };
	CU_ASSERT_TS_OK(secure_policy_load(NULL, &p));
	CU_ASSERT(p.ndeny >= 10);
	CU_ASSERT(!secure_policy_denies(&p, other));
	ts_test_source_path(path, sizeof(path), "seeds/top_demo_seed.testing.hjson");
	check_seed_file_denied(&p, path);
	const char *ref = ts_test_reference();
	if (ref == NULL) {
		const char *ci = getenv("CI");
		CU_ASSERT(ci == NULL || strcmp(ci, "true") != 0);
		fprintf(stderr, "  notice: reference missing; OpenTitan seed fingerprints not checked\n");
		return;
	}
	static const char *const tops[] = { "earlgrey", "englishbreakfast" };
	for (size_t i = 0; i < 2; i++) {
		(void)snprintf(path, sizeof(path), "%s/opentitan/top_%s/top_%s_seed.testing.hjson", ref, tops[i], tops[i]);
		check_seed_file_denied(&p, path);
	}
}

static void
uri_fails(const char *uri, const char *msg)
{
	struct hsm_target t;
	ts_error_clear();
	CU_ASSERT_TS_ERR(hsm_uri_parse(uri, &t), TS_ERR_USAGE);
	CU_ASSERT_PTR_NULL(t.p11uri);
	if (strstr(ts_last_error_message(), msg) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), msg);
	}
	CU_ASSERT_MSG_HAS(msg);
}

static void
test_uri_parse_and_errors(void)
{
	struct hsm_target t;
	CU_ASSERT_TS_OK(hsm_uri_parse("pkcs11:token=tapeout;object=top_x.tapeout.master?module-path=/m.so"
				      "&pin-source=file:/run/pin", &t));
	CU_ASSERT_STRING_EQUAL(t.display, "pkcs11:token=tapeout;object=top_x.tapeout.master");
	CU_ASSERT_STRING_EQUAL(t.module_path, "/m.so");
	CU_ASSERT_STRING_EQUAL(t.pin_ref, "/run/pin");
	CU_ASSERT_EQUAL(t.pin_kind, HSM_PIN_FILE);
	CU_ASSERT_STRING_EQUAL(t.object, "top_x.tapeout.master");
	CU_ASSERT_STRING_EQUAL(t.token_label, "tapeout");
	hsm_uri_free(&t);
	uri_fails("token=x", "takes a pkcs11: URI");
	uri_fails("pkcs11:tokne=x?module-path=/m.so&pin-source=file:/p", "does not recognise");
	uri_fails("pkcs11:token=x?module-path=/m.so&pin-value=1234", "a PIN never goes in a URI");
	uri_fails("pkcs11:token=x?pin-source=file:/p", "needs module-path");
	uri_fails("pkcs11:token=x?module-path=/m.so", "has no pin-source");
	uri_fails("pkcs11:token=x?module-path=/m.so&pin-source=http://x", "pin-source must be file:");
	uri_fails("pkcs11:object=k?module-path=/m.so&pin-source=file:/p", "names no token");
}

static void
test_guard_testing_markers(void)
{
	static const char *const yes[] = { "seed_mode: testing", "rtl/autogen/testing/x", "top_e_testing_rnd_cnst_pkg" };
	static const char *const no[] = { "seed_mode: tapeout", "for testing purposes", "" };
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT(secure_has_testing_marker((const uint8_t *)yes[i], strlen(yes[i])));
		CU_ASSERT(!secure_has_testing_marker((const uint8_t *)no[i], strlen(no[i])));
	}
}

static CU_TestInfo policy_tests[] = {
	{ "parse_and_errors", test_policy_parse_and_errors },
	{ "file_permissions", test_policy_file_permissions },
	{ "default_denies_known_testing_seeds", test_policy_default_denies_known_testing_seeds },
	{ "uri_parse_and_errors", test_uri_parse_and_errors },
	{ "guard_testing_markers", test_guard_testing_markers },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "policy", NULL, NULL, NULL, NULL, policy_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
