#include <stdio.h>
#include <string.h>

#include "common/topgen/ts_drbg.h"
#include "tests/lib/ts_test.h"

static void
seed_from_hex(struct ts_secret *s, const char *hex)
{
	CU_ASSERT_TS_OK(ts_secret_new(s, 32));
	CU_ASSERT_EQUAL_FATAL(ts_test_unhex(hex, s->data, 32), 32);
}

static void
seed_small(struct ts_secret *s, uint8_t v)
{
	CU_ASSERT_TS_OK(ts_secret_new(s, 32));
	s->data[31] = v;
}

static uint64_t
bits(struct ts_drbg *d, unsigned n)
{
	uint64_t v = 0;
	CU_ASSERT_TS_OK(ts_drbg_getrandbits_u64(d, n, &v));
	return v;
}

/* NIST CAVP CTR_DRBG AES-128 no df: ReturnedBits is the second 512-bit Generate. */
static void
test_drbg_cavp_vectors(void)
{
	char path[4096];
	char line[512], ent[80], ret[160];
	int count = 0;
	ts_test_source_path(path, sizeof(path), "tests/vectors/ctr_drbg_aes128_nodf.txt");
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%79s %159s", ent, ret) != 2) {
			continue;
		}
		TS_SECRET(seed);
		uint8_t want[64], got[128];
		struct ts_drbg *d = NULL;
		seed_from_hex(&seed, ent);
		CU_ASSERT_EQUAL_FATAL(ts_test_unhex(ret, want, sizeof(want)), 64);
		CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
		CU_ASSERT_TS_OK(ts_drbg_bytes(d, got, sizeof(got)));
		CU_ASSERT_EQUAL(memcmp(got + 64, want, 64), 0);
		CU_ASSERT_EQUAL(ts_drbg_consumed(d), 128);
		ts_drbg_free(d);
		count++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(count, 15);
}

/* spec/secrets.md §1.4, seed = earlgrey topgen_seed. */
static void
test_drbg_spec_kat_earlgrey(void)
{
	TS_SECRET(seed);
	struct ts_drbg *d = NULL;
	uint8_t want[64], got[64];
	seed_from_hex(&seed, "023fa966743f5e424e91f5f7d7473f828da8d4ced193a380c30fa319c689e57f");
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_TS_OK(ts_drbg_bytes(d, got, 64));
	ts_test_unhex("008e023b1e052dac1e0fcebeac537edc7848da13345040c295fcbd76684e717057af03288e6c3c383a73e698"
		      "950bfab69acf416ad5455d1dea1ea059dc5c584c", want, 64);
	CU_ASSERT_EQUAL(memcmp(got, want, 64), 0);
	ts_drbg_free(d);

	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_EQUAL(bits(d, 40), 0x8e023b1eu);
	ts_drbg_free(d);

	/* Partial bytes: the unused low bits are discarded (widths 1, 5, 8, 12). */
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_EQUAL(bits(d, 1), 0x0);
	CU_ASSERT_EQUAL(bits(d, 5), 0x11);
	CU_ASSERT_EQUAL(bits(d, 8), 0x2);
	CU_ASSERT_EQUAL(bits(d, 12), 0x3b1);
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), 5);
	ts_drbg_free(d);
}

static void
test_drbg_spec_kat_shuffle(void)
{
	static const uint32_t want_eg[40] = { 33, 17, 12, 4,  3,  16, 19, 31, 22, 20, 29, 37, 28, 5,
					      30, 32, 24, 13, 36, 18, 8,  27, 6,  2,  9,  26, 15, 10,
					      21, 23, 25, 34, 38, 11, 1,  7,  14, 39, 35, 0 };
	static const uint32_t want_1[40] = { 12, 36, 20, 32, 8,  2,  19, 30, 6,  18, 22, 15, 29, 7,
					     13, 38, 3,  33, 0,  28, 21, 14, 1,  35, 39, 26, 11, 37,
					     9,  27, 34, 4,  23, 5,  25, 24, 10, 31, 16, 17 };
	TS_SECRET(eg);
	TS_SECRET(one);
	uint32_t x[40];
	struct ts_drbg *d = NULL;
	seed_from_hex(&eg, "023fa966743f5e424e91f5f7d7473f828da8d4ced193a380c30fa319c689e57f");
	seed_small(&one, 1);
	for (uint32_t i = 0; i < 40; i++) {
		x[i] = i;
	}
	CU_ASSERT_TS_OK(ts_drbg_new(&eg, &d));
	CU_ASSERT_TS_OK(ts_drbg_shuffle(d, x, 40));
	CU_ASSERT_EQUAL(memcmp(x, want_eg, sizeof(x)), 0);
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), 45);
	ts_drbg_free(d);
	for (uint32_t i = 0; i < 40; i++) {
		x[i] = i;
	}
	CU_ASSERT_TS_OK(ts_drbg_new(&one, &d));
	CU_ASSERT_TS_OK(ts_drbg_shuffle(d, x, 40));
	CU_ASSERT_EQUAL(memcmp(x, want_1, sizeof(x)), 0);
	ts_drbg_free(d);
	CU_ASSERT_TS_OK(ts_drbg_new(&one, &d));
	CU_ASSERT_EQUAL(bits(d, 40), 0x44d0417c2aull);
	ts_drbg_free(d);
}

static void
test_drbg_randbelow_edges(void)
{
	TS_SECRET(one);
	struct ts_drbg *d = NULL;
	uint64_t v = 99;
	seed_small(&one, 1);
	CU_ASSERT_TS_OK(ts_drbg_new(&one, &d));
	CU_ASSERT_TS_OK(ts_drbg_randbelow(d, 1, &v));
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), 0); /* k = 0 takes no bytes */
	for (int i = 0; i < 200; i++) {
		CU_ASSERT_TS_OK(ts_drbg_randbelow(d, 7, &v));
		CU_ASSERT(v < 7);
	}
	CU_ASSERT_TS_ERR(ts_drbg_randbelow(d, 0, &v), TS_ERR_RANGE);
	ts_drbg_free(d);
}

static void
test_drbg_getrandbits_zero_and_large(void)
{
	TS_SECRET(one);
	TS_SECRET(v);
	TS_SECRET(w);
	struct ts_drbg *d = NULL;
	uint8_t raw[100];
	seed_small(&one, 1);
	CU_ASSERT_TS_OK(ts_drbg_new(&one, &d));
	CU_ASSERT_TS_OK(ts_drbg_getrandbits(d, 0, &v));
	CU_ASSERT_EQUAL(v.len, 1);
	CU_ASSERT_EQUAL(v.data[0], 0);
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), 0);
	/* A request spanning two 64-byte blocks equals the raw stream. */
	CU_ASSERT_TS_OK(ts_drbg_getrandbits(d, 800, &w));
	ts_drbg_free(d);
	CU_ASSERT_TS_OK(ts_drbg_new(&one, &d));
	CU_ASSERT_TS_OK(ts_drbg_bytes(d, raw, 100));
	CU_ASSERT_EQUAL(w.len, 100);
	CU_ASSERT_EQUAL(memcmp(w.data, raw, 100), 0);
	ts_drbg_free(d);
}

static void
test_drbg_rejects_zero_and_short_seed(void)
{
	TS_SECRET(zero);
	TS_SECRET(shortseed);
	struct ts_drbg *d = NULL;
	CU_ASSERT_TS_OK(ts_secret_new(&zero, 32));
	CU_ASSERT_TS_OK(ts_secret_new(&shortseed, 16));
	shortseed.data[0] = 1;
	CU_ASSERT_TS_ERR(ts_drbg_new(&zero, &d), TS_ERR_SEED);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_TS_ERR(ts_drbg_new(&shortseed, &d), TS_ERR_SEED);
	CU_ASSERT_PTR_NULL(d);
}

static CU_TestInfo drbg_tests[] = {
	{ "cavp_vectors", test_drbg_cavp_vectors },
	{ "spec_kat_earlgrey", test_drbg_spec_kat_earlgrey },
	{ "spec_kat_shuffle", test_drbg_spec_kat_shuffle },
	{ "randbelow_edges", test_drbg_randbelow_edges },
	{ "getrandbits_zero_and_large", test_drbg_getrandbits_zero_and_large },
	{ "rejects_zero_and_short_seed", test_drbg_rejects_zero_and_short_seed },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "drbg", NULL, NULL, NULL, NULL, drbg_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
