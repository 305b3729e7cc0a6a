#include <stdio.h>
#include <string.h>

#include "common/topgen/ts_drbg.h"
#include "common/topgen/ts_emit.h"
#include "common/topgen/ts_gen.h"
#include "common/topgen/ts_lc.h"
#include "common/topgen/ts_model.h"
#include "tests/lib/ts_test.h"

static const char eg_seed[] = "023fa966743f5e424e91f5f7d7473f828da8d4ced193a380c30fa319c689e57f";

static void
hex_of(const struct ts_secret *v, char *out, size_t len)
{
	TS_BUF(b);
	CU_ASSERT_TS_OK(ts_emit_py_hex(v->data, v->len, &b));
	(void)snprintf(out, len, "%.*s", (int)b.len, (const char *)b.data);
}

/* spec/secrets.md §1.4: a fresh shuffle of [0..39] packed as a topgen perm. */
static void
test_gen_perm_spec_kat(void)
{
	TS_SECRET(seed);
	TS_SECRET(v);
	struct ts_drbg *d = NULL;
	char hex[128];
	CU_ASSERT_TS_OK(ts_secret_new(&seed, 32));
	ts_test_unhex(eg_seed, seed.data, 32);
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_TS_OK(ts_gen_perm(d, 40, &v));
	CU_ASSERT_EQUAL(v.len, 30);
	hex_of(&v, hex, sizeof(hex));
	CU_ASSERT_STRING_EQUAL(hex, "0x8513040d04df5947657057a060d91221b18225a3ca55766298b0473a78c0");
	TS_SECRET(one);
	CU_ASSERT_TS_ERR(ts_gen_perm(d, 0, &one), TS_ERR_RANGE);
	ts_drbg_free(d);
}

static void
load_demo(struct ts_top **top, struct ts_seeds *seeds)
{
	char path[4096];
	ts_test_source_path(path, sizeof(path), "seeds/top_demo.structure.hjson");
	CU_ASSERT_TS_OK(ts_top_load(path, NULL, top));
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		TS_SECRET(s);
		CU_ASSERT_TS_OK(ts_secret_new(&s, 32));
		s.data[0] = 0x80;
		s.data[31] = (uint8_t)(k + 1);
		CU_ASSERT_TS_OK(ts_seeds_add(seeds, (enum ts_seed_kind)k, &s));
	}
}

static void
test_gen_deterministic_and_seed_dependent(void)
{
	struct ts_top *a = NULL;
	struct ts_top *b = NULL;
	struct ts_seeds sa = { 0 };
	struct ts_seeds sb = { 0 };
	struct ts_gen_stats st;
	load_demo(&a, &sa);
	load_demo(&b, &sb);
	CU_ASSERT_TS_OK(ts_gen_run_stats(a, &sa, &st));
	CU_ASSERT(st.end_a > 0 && st.end_b > st.end_a && st.end_c > st.end_b);
	/* Phase B draws the same widths as phase C, so both consume about the same. */
	CU_ASSERT_TS_OK(ts_gen_run(b, &sb));
	for (size_t i = 0; i < a->nmods; i++) {
		for (size_t j = 0; j < a->mods[i].nparams; j++) {
			const struct ts_param *p = &a->mods[i].params[j];
			if (p->part_inv_default) {
				continue;
			}
			CU_ASSERT_PTR_NOT_NULL_FATAL(p->value.data);
			CU_ASSERT(ts_secret_equal(&p->value, &b->mods[i].params[j].value));
		}
	}
	/* Another topgen seed gives other values. */
	ts_top_free(b);
	ts_seeds_free(&sb);
	b = NULL;
	load_demo(&b, &sb);
	sb.seed[TS_SEED_TOPGEN].data[5] ^= 1;
	CU_ASSERT_TS_OK(ts_gen_run(b, &sb));
	CU_ASSERT(!ts_secret_equal(&a->mods[1].params[0].value, &b->mods[1].params[0].value));
	/* extdata comes from phase A: the scrambling key equals the OTP key. */
	CU_ASSERT(ts_secret_equal(&a->mods[0].params[2].value, &a->otp->keys[0].v.value));
	ts_top_free(a);
	ts_top_free(b);
	ts_seeds_free(&sa);
	ts_seeds_free(&sb);
}

static void
test_gen_requires_topgen_seed(void)
{
	struct ts_top *a = NULL;
	struct ts_seeds s = { 0 };
	load_demo(&a, &s);
	ts_secret_free(&s.seed[TS_SEED_TOPGEN]);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_gen_run(a, &s), TS_ERR_SEED);
	ts_top_free(a);
	ts_seeds_free(&s);
}

/* spec §6: AllZeroTokenHashed is the same for every top. */
static void
test_gen_lc_all_zero_token_hash(void)
{
	TS_SECRET(zero);
	TS_SECRET(h);
	uint8_t want[16];
	CU_ASSERT_TS_OK(ts_secret_new(&zero, 16));
	CU_ASSERT_TS_OK(ts_lc_hash_token(&zero, &h));
	ts_test_unhex("3852305BAECF5FF1D5C1D25F6DB9058D", want, 16);
	CU_ASSERT_EQUAL(h.len, 16);
	CU_ASSERT_EQUAL(memcmp(h.data, want, 16), 0);
}

static void
test_gen_lc_default_list_and_draw(void)
{
	struct ts_lc *lc = NULL;
	TS_SECRET(seed);
	CU_ASSERT_TS_OK(ts_lc_load(NULL, &lc));
	CU_ASSERT_EQUAL(lc->token_size, 128);
	CU_ASSERT_EQUAL(lc->ntokens, 2);
	CU_ASSERT_STRING_EQUAL(lc->tokens[1].name, "RndCnstRawUnlockToken");
	CU_ASSERT(lc->tokens[1].random);
	CU_ASSERT_TS_OK(ts_secret_new(&seed, 32));
	seed.data[31] = 1;
	CU_ASSERT_TS_OK(ts_lc_generate(lc, &seed));
	/* The raw token is the first 16 bytes of the lc_secure stream. */
	struct ts_drbg *d = NULL;
	uint8_t first[16];
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_TS_OK(ts_drbg_bytes(d, first, 16));
	ts_drbg_free(d);
	CU_ASSERT_EQUAL(memcmp(lc->tokens[1].value.data, first, 16), 0);
	ts_lc_free(lc);
}

static void
test_gen_lc_file_errors(void)
{
	char dir[4096], path[4200];
	struct ts_lc *lc = NULL;
	ts_test_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/lc.hjson", dir);
	CU_ASSERT_EQUAL_FATAL(ts_test_write(path, "{\n token_size: 100\n tokens: []\n}\n"), 0);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_lc_load(path, &lc), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("lc.hjson:2:14: token_size must be a multiple of 8");
	CU_ASSERT_EQUAL_FATAL(ts_test_write(path, "{\n token_size: 16\n tokens: [ { name: \"T\", value: \"0x12345\" } ]\n}\n"), 0);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_lc_load(path, &lc), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("within token_size");
	CU_ASSERT_PTR_NULL(lc);
	ts_test_rm_rf(dir);
}

static CU_TestInfo gen_tests[] = {
	{ "perm_spec_kat", test_gen_perm_spec_kat },
	{ "deterministic_and_seed_dependent", test_gen_deterministic_and_seed_dependent },
	{ "requires_topgen_seed", test_gen_requires_topgen_seed },
	{ "lc_all_zero_token_hash", test_gen_lc_all_zero_token_hash },
	{ "lc_default_list_and_draw", test_gen_lc_default_list_and_draw },
	{ "lc_file_errors", test_gen_lc_file_errors },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "gen", NULL, NULL, NULL, NULL, gen_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
