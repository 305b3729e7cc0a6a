#include <stdio.h>
#include <string.h>

#include "public/public_seeds.h"
#include "tests/lib/ts_test.h"

#define S1 "88563153995414672317417514597194191191585318826417581958370023361471880972480"
#define S2 "101995681141389992758269705996325361657122986737596102689149028367492046367313"

static void
seeds_fail(const char *text, int code, const char *msg)
{
	struct ts_seeds s = { 0 };
	ts_error_clear();
	CU_ASSERT_TS_ERR(public_seeds_parse(text, strlen(text), "seed.hjson", &s), code);
	if (strstr(ts_last_error_message(), msg) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), msg);
	}
	CU_ASSERT_MSG_HAS(msg);
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		CU_ASSERT_PTR_NULL(s.seed[k].data); /* nothing leaks out on error */
	}
	CU_ASSERT_EQUAL(s.count, 0);
}

static void
test_seeds_parse_ok_in_file_order(void)
{
	struct ts_seeds s = { 0 };
	const char *text = "{\n name: \"testing\"\n lc_ctrl_seed: " S2 "\n topgen_seed: " S1 "\n}";
	CU_ASSERT_TS_OK(public_seeds_parse(text, strlen(text), "seed.hjson", &s));
	CU_ASSERT_STRING_EQUAL(s.mode, "testing");
	CU_ASSERT_EQUAL(s.count, 2);
	CU_ASSERT_EQUAL(s.order[0], TS_SEED_LC_CTRL);
	CU_ASSERT_EQUAL(s.order[1], TS_SEED_TOPGEN);
	CU_ASSERT_EQUAL(s.seed[TS_SEED_TOPGEN].len, 32);
	CU_ASSERT_EQUAL(s.seed[TS_SEED_TOPGEN].data[0], 0xc3); /* S1 = 0xc3ccd8... */
	CU_ASSERT(!s.short_seed[TS_SEED_TOPGEN]);
	ts_seeds_free(&s);
}

static void
test_seeds_short_seed_warns(void)
{
	struct ts_seeds s = { 0 };
	const char *text = "name: testing\ntopgen_seed: 12345\n";
	CU_ASSERT_TS_OK(public_seeds_parse(text, strlen(text), "seed.hjson", &s));
	CU_ASSERT(s.short_seed[TS_SEED_TOPGEN]);
	ts_seeds_free(&s);
}

static void
test_seeds_error_classes(void)
{
	seeds_fail("{\n name: \"tapeout\"\n topgen_seed: " S1 "\n}", TS_ERR_MODE,
		   "seed.hjson:2:8: seed mode 'tapeout' is not 'testing'");
	seeds_fail("{ topgen_seed: " S1 " }", TS_ERR_SCHEMA, "has no 'name'");
	seeds_fail("{\n name: \"testing\"\n}", TS_ERR_SEED, "topgen_seed is missing");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: 0\n}", TS_ERR_SEED, "seed.hjson:3:15: topgen_seed is zero");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: -5\n}", TS_ERR_SEED, "negative");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: "
		   "115792089237316195423570985008687907853269984665640564039457584007913129639936\n}",
		   TS_ERR_SEED, "has 257 bits; a seed has at most 256");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: " S1 "\n lc_ctrl_seed: " S1 "\n}", TS_ERR_SEED,
		   "seed.hjson:4:16: lc_ctrl_seed equals topgen_seed");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: \"" S1 "\"\n}", TS_ERR_SCHEMA, "must be a decimal integer");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: 0x1234\n}", TS_ERR_SCHEMA, "must be a decimal integer");
	seeds_fail("{\n name: \"testing\"\n rom_seed: 5\n}", TS_ERR_SCHEMA, "unknown key 'rom_seed'");
	seeds_fail("{\n name: \"testing\"\n topgen_seed: 1\n", TS_ERR_PARSE, "seed.hjson:1:1: unterminated object");
}

static void
test_seeds_load_missing_file(void)
{
	struct ts_seeds s = { 0 };
	ts_error_clear();
	CU_ASSERT_TS_ERR(public_seeds_load("/nonexistent/seed.hjson", &s), TS_ERR_IO);
	CU_ASSERT_MSG_HAS("/nonexistent/seed.hjson: cannot open");
}

static CU_TestInfo seeds_tests[] = {
	{ "parse_ok_in_file_order", test_seeds_parse_ok_in_file_order },
	{ "short_seed_warns", test_seeds_short_seed_warns },
	{ "error_classes", test_seeds_error_classes },
	{ "load_missing_file", test_seeds_load_missing_file },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "seeds", NULL, NULL, NULL, NULL, seeds_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
