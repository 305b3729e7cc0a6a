#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "common/base/ts_hjson.h"
#include "common/topgen/ts_drbg.h"
#include "common/topgen/ts_emit.h"
#include "common/topgen/ts_gen.h"
#include "common/topgen/ts_job.h"
#include "public/public_seeds.h"
#include "tests/lib/ts_test.h"

/*
 * Golden tests: every artifact regenerated from OpenTitan's seed and secrets
 * files must equal OpenTitan's committed file byte for byte.  The expected
 * files come from the reference set (TAPESEAL_REFERENCE), never from this code.
 */

static const char *ref;

struct top_case {
	const char *t;
	int has_lc;
	size_t end_a, end_b, end_c; /* spec/secrets.md §4 checkpoints */
};

static const struct top_case tops[] = {
	{ "earlgrey", 1, 568, 5240, 9867 },
	{ "englishbreakfast", 0, 0, 831, 1672 },
};

static void
ref_path(char *buf, size_t len, const char *t, const char *file)
{
	(void)snprintf(buf, len, "%s/opentitan/top_%s/%s", ref, t, file);
}

static void
compare_set(const struct top_case *c, const struct ts_outset *set)
{
	char path[4096];
	CU_ASSERT_EQUAL(set->n, c->has_lc ? 6u : 4u);
	for (size_t i = 0; i < set->n; i++) {
		const char *base = strrchr(set->f[i].rel, '/') + 1;
		TS_BUF(want);
		ref_path(path, sizeof(path), c->t, base);
		CU_ASSERT_EQUAL_FATAL(ts_test_read(path, &want), 0);
		int same = want.len == set->f[i].data.len && memcmp(want.data, set->f[i].data.data, want.len) == 0;
		if (!same) {
			fprintf(stderr, "  %s differs from %s\n", set->f[i].rel, path);
		}
		CU_ASSERT(same);
	}
}

/* Replaces every drawn value of an OpenTitan secrets file by "<random>" (spec §4.1). */
static void
to_placeholders(json_t *root)
{
	size_t i, j, k;
	json_t *m, *p, *part, *it;
	json_array_foreach(json_object_get(root, "module"), i, m) {
		json_array_foreach(json_object_get(m, "param_list"), j, p) {
			if (strcmp(json_string_value(json_object_get(p, "randtype")), "extdata") != 0) {
				json_object_set_new(p, "default", json_string("<random>"));
			} else {
				json_object_del(p, "default");
			}
		}
		json_t *mmap = json_object_get(m, "otp_mmap");
		if (mmap == NULL) {
			continue;
		}
		json_t *scr = json_object_get(mmap, "scrambling");
		json_array_foreach(json_object_get(scr, "keys"), k, it) {
			json_object_set_new(it, "value", json_string("<random>"));
		}
		json_array_foreach(json_object_get(scr, "digests"), k, it) {
			json_object_set_new(it, "iv_value", json_string("<random>"));
			json_object_set_new(it, "cnst_value", json_string("<random>"));
		}
		json_array_foreach(json_object_get(mmap, "partitions"), j, part) {
			json_array_foreach(json_object_get(part, "items"), k, it) {
				json_t *inv = json_object_get(it, "inv_default");
				int random = json_is_true(json_object_get(it, "isdigest")) ||
					     (!json_is_true(json_object_get(it, "iszer")) &&
					      !json_is_true(json_object_get(it, "ismubi")) &&
					      !(json_is_integer(inv) && json_integer_value(inv) == 0));
				if (random) {
					json_object_set_new(it, "inv_default", json_string("<random>"));
				}
			}
		}
	}
}

static void
run_top(const struct top_case *c, int placeholders)
{
	char spath[4096], tpath[4096], lpath[4096], name[128];
	struct ts_seeds seeds = { 0 };
	struct ts_hjson_doc *doc = NULL;
	struct ts_top *top = NULL;
	struct ts_outset set = { 0 };
	struct ts_gen_stats st;
	(void)snprintf(name, sizeof(name), "top_%s_seed.testing.hjson", c->t);
	ref_path(spath, sizeof(spath), c->t, name);
	(void)snprintf(name, sizeof(name), "top_%s.secrets.testing.gen.hjson", c->t);
	ref_path(tpath, sizeof(tpath), c->t, name);
	ref_path(lpath, sizeof(lpath), "earlgrey", "lc_ctrl_state.hjson");
	CU_ASSERT_TS_OK(public_seeds_load(spath, &seeds));
	CU_ASSERT_TS_OK(ts_hjson_load(tpath, &doc));
	if (placeholders) {
		to_placeholders(ts_hjson_root(doc));
	}
	CU_ASSERT_TS_OK(ts_top_from_doc(doc, NULL, &top));
	CU_ASSERT_EQUAL(top->placeholder_form, placeholders);
	CU_ASSERT_TS_OK(ts_gen_run_stats(top, &seeds, &st));
	CU_ASSERT_EQUAL(st.end_a, c->end_a);
	CU_ASSERT_EQUAL(st.end_b, c->end_b);
	CU_ASSERT_EQUAL(st.end_c, c->end_c);
	struct ts_job job = { .mode = "testing", .lc_state = c->has_lc ? lpath : NULL };
	CU_ASSERT_TS_OK(ts_job_build(top, &seeds, &job, &set));
	compare_set(c, &set);
	ts_outset_free(&set);
	ts_top_free(top);
	ts_seeds_free(&seeds);
}

static void
test_golden_earlgrey(void)
{
	run_top(&tops[0], 0);
}

static void
test_golden_englishbreakfast(void)
{
	run_top(&tops[1], 0);
}

static void
test_golden_placeholder_form(void)
{
	run_top(&tops[0], 1);
	run_top(&tops[1], 1);
}

static int nfiles;
static int nfailed;

/* *.gen.hjson files round-trip byte for byte; hand-written ones as trees. */
static int
round_trip_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	size_t n = strlen(path);
	if (flag != FTW_F || n < 6 || strcmp(path + n - 6, ".hjson") != 0) {
		return 0;
	}
	TS_BUF(text);
	TS_BUF(dump);
	struct ts_hjson_doc *a = NULL;
	struct ts_hjson_doc *b = NULL;
	nfiles++;
	int ok = ts_test_read(path, &text) == 0 &&
		 ts_hjson_parse((const char *)text.data, text.len, path, &a).code == 0 &&
		 ts_hjson_dump(ts_hjson_root(a), &dump, NULL, NULL).code == 0 &&
		 ts_hjson_parse((const char *)dump.data, dump.len, "dump", &b).code == 0 &&
		 json_equal(ts_hjson_root(a), ts_hjson_root(b));
	if (ok && n > 10 && strcmp(path + n - 10, ".gen.hjson") == 0) {
		const char *body = strstr((const char *)text.data, "\n{\n");
		ok = body != NULL && (size_t)((const uint8_t *)body + 1 - text.data) + dump.len + 1 == text.len &&
		     memcmp(body + 1, dump.data, dump.len) == 0;
	}
	if (!ok) {
		fprintf(stderr, "  round trip failed: %s (%s)\n", path, ts_last_error_message());
		nfailed++;
	}
	ts_hjson_doc_free(a);
	ts_hjson_doc_free(b);
	return 0;
}

static void
test_golden_hjson_round_trip_all_reference(void)
{
	nfiles = 0;
	nfailed = 0;
	CU_ASSERT_EQUAL(nftw(ref, round_trip_one, 16, FTW_PHYS), 0);
	CU_ASSERT(nfiles >= 18);
	CU_ASSERT_EQUAL(nfailed, 0);
}

static json_t *
load_kat(void)
{
	char path[4096];
	json_error_t err;
	(void)snprintf(path, sizeof(path), "%s/opentitan/drbg_kat.json", ref);
	json_t *kat = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kat);
	return kat;
}

static void
new_drbg(json_t *v, struct ts_drbg **d)
{
	TS_SECRET(seed);
	CU_ASSERT_TS_OK(ts_secret_new(&seed, 32));
	CU_ASSERT_EQUAL_FATAL(ts_test_unhex(json_string_value(json_object_get(v, "seed_hex256")), seed.data, 32), 32);
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, d));
}

static void
kat_vector(json_t *v)
{
	struct ts_drbg *d = NULL;
	uint8_t want[64], got[64];
	char hex[400];
	size_t i;
	json_t *x;
	new_drbg(v, &d);
	ts_test_unhex(json_string_value(json_object_get(v, "first_64_bytes_hex")), want, 64);
	CU_ASSERT_TS_OK(ts_drbg_bytes(d, got, 64));
	CU_ASSERT_EQUAL(memcmp(want, got, 64), 0);
	ts_drbg_free(d);
	/* getrandbits sequence, values compared as Python hex(). */
	json_t *seq = json_object_get(v, "getrandbits_sequence_fresh");
	new_drbg(v, &d);
	json_array_foreach(json_object_get(seq, "widths"), i, x) {
		TS_SECRET(r);
		TS_BUF(h);
		CU_ASSERT_TS_OK(ts_drbg_getrandbits(d, (size_t)json_integer_value(x), &r));
		CU_ASSERT_TS_OK(ts_emit_py_hex(r.data, r.len, &h));
		(void)snprintf(hex, sizeof(hex), "%.*s", (int)h.len, (const char *)h.data);
		CU_ASSERT_STRING_EQUAL(hex, json_string_value(json_array_get(json_object_get(seq, "values_hex"), i)));
	}
	ts_drbg_free(d);
	/* shuffle of [0..39] and its byte count. */
	uint32_t perm[40];
	for (uint32_t k = 0; k < 40; k++) {
		perm[k] = k;
	}
	new_drbg(v, &d);
	CU_ASSERT_TS_OK(ts_drbg_shuffle(d, perm, 40));
	json_array_foreach(json_object_get(v, "shuffle_0_to_39_fresh"), i, x) {
		CU_ASSERT_EQUAL(perm[i], (uint32_t)json_integer_value(x));
	}
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), (size_t)json_integer_value(json_object_get(v, "shuffle_0_to_39_bytes_consumed")));
	ts_drbg_free(d);
	/* randbelow sequence. */
	json_t *rb = json_object_get(v, "randbelow_sequence_fresh");
	new_drbg(v, &d);
	json_array_foreach(json_object_get(rb, "n"), i, x) {
		uint64_t r;
		CU_ASSERT_TS_OK(ts_drbg_randbelow(d, (uint64_t)json_integer_value(x), &r));
		CU_ASSERT_EQUAL(r, (uint64_t)json_integer_value(json_array_get(json_object_get(rb, "values"), i)));
	}
	CU_ASSERT_EQUAL(ts_drbg_consumed(d), (size_t)json_integer_value(json_object_get(rb, "bytes_consumed_total")));
	ts_drbg_free(d);
	/* choice("abcde") x 8 = x[randbelow(5)]. */
	new_drbg(v, &d);
	json_array_foreach(json_object_get(v, "choice_abcde_x8_fresh"), i, x) {
		uint64_t r;
		CU_ASSERT_TS_OK(ts_drbg_randbelow(d, 5, &r));
		CU_ASSERT_EQUAL((char)('a' + r), json_string_value(x)[0]);
	}
	ts_drbg_free(d);
}

static void
test_golden_drbg_kat(void)
{
	json_t *kat = load_kat();
	size_t i;
	json_t *v;
	CU_ASSERT(json_array_size(json_object_get(kat, "vectors")) >= 8);
	json_array_foreach(json_object_get(kat, "vectors"), i, v) {
		kat_vector(v);
	}
	json_decref(kat);
}

static CU_TestInfo golden_tests[] = {
	{ "earlgrey", test_golden_earlgrey },
	{ "englishbreakfast", test_golden_englishbreakfast },
	{ "placeholder_form", test_golden_placeholder_form },
	{ "hjson_round_trip_all_reference", test_golden_hjson_round_trip_all_reference },
	{ "drbg_kat", test_golden_drbg_kat },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "golden", NULL, NULL, NULL, NULL, golden_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	ref = ts_test_reference_required("golden");
	return ts_test_main(suites);
}
