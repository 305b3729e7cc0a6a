#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/otp/ts_otp_img.h"
#include "common/otp/ts_otp_job.h"
#include "common/otp/ts_otp_lc.h"
#include "common/otp/ts_otp_map.h"
#include "common/otp/ts_present.h"
#include "common/topgen/ts_drbg.h"
#include "common/topgen/ts_emit.h"
#include "tests/lib/ts_test.h"

/*
 * OTP images against OpenTitan's gen-otp-img: every vector file and every
 * command of otp/MANIFEST.txt, compared byte for byte with files this code
 * did not produce (TAPESEAL_REFERENCE).
 */
static const char *ref;
static char otp[4096], eg[4096];

static json_t *
load_json(const char *rel)
{
	char path[8192];
	json_error_t err;
	(void)snprintf(path, sizeof(path), "%s/outputs/vectors/%s", otp, rel);
	json_t *j = json_load_file(path, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

static uint64_t
hx(json_t *v)
{
	return strtoull(json_string_value(v), NULL, 16);
}

static void
test_otp_present_vectors(void)
{
	json_t *j = load_json("present_vectors.json");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "vectors"), i, v) {
		const char *key = json_string_value(json_object_get(v, "key")) + 2;
		char hi[40] = { 0 };
		size_t kl = strlen(key);
		uint64_t lo = strtoull(key + kl - 16, NULL, 16);
		memcpy(hi, key, kl - 16);
		uint64_t pt = hx(json_object_get(v, "plain"));
		uint64_t ct = json_integer_value(json_object_get(v, "keylen")) == 80
				      ? ts_present80_encrypt((uint16_t)strtoul(hi, NULL, 16), lo, pt)
				      : ts_present128_encrypt(strtoull(hi, NULL, 16), lo, pt);
		CU_ASSERT_EQUAL(ct, hx(json_object_get(v, "cipher")));
	}
	CU_ASSERT(json_array_size(json_object_get(j, "vectors")) >= 9);
	json_decref(j);
}

static void
test_otp_digest_vectors(void)
{
	json_t *j = load_json("digest_vectors.json");
	const char *c = json_string_value(json_object_get(j, "CnstyDigest_cnst")) + 2;
	char hi[17] = { 0 };
	memcpy(hi, c, 16);
	uint64_t chi = strtoull(hi, NULL, 16), clo = strtoull(c + 16, NULL, 16);
	uint64_t iv = hx(json_object_get(j, "CnstyDigest_iv"));
	size_t i, k;
	json_t *e, *b;
	json_array_foreach(json_object_get(j, "examples"), i, e) {
		uint64_t blocks[64];
		size_t n = 0;
		json_array_foreach(json_object_get(e, "blocks"), k, b) {
			blocks[n++] = hx(b);
		}
		CU_ASSERT_EQUAL(ts_otp_digest(blocks, n, iv, chi, clo), hx(json_object_get(e, "digest")));
	}
	json_decref(j);
}

static struct ts_lcenc *
lcenc(void)
{
	char path[8192];
	struct ts_lcenc *e = NULL;
	(void)snprintf(path, sizeof(path), "%s/lc_ctrl_state.hjson", eg);
	CU_ASSERT_TS_OK(ts_lcenc_load(path, &e));
	return e;
}

static FILE *
open_vec(const char *rel)
{
	char path[8192];
	(void)snprintf(path, sizeof(path), "%s/outputs/vectors/%s", otp, rel);
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

static void
test_otp_secded_and_lc_words(void)
{
	struct ts_lcenc *e = lcenc();
	char line[512], type[32], sym[16];
	unsigned data, ecc, word, idx, n = 0;
	FILE *f = open_vec("secded_vectors.txt");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "data=%x ecc=%x word=%x", &data, &ecc, &word) == 3) {
			CU_ASSERT_EQUAL(ts_lcenc_ecc(e, data), word);
			n++;
		}
	}
	fclose(f);
	CU_ASSERT(n >= 20);
	n = 0;
	f = open_vec("lc_word_table.txt");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != '#' && sscanf(line, "%31s %u %15s %x %x %x", type, &idx, sym, &data, &ecc, &word) == 6) {
			int t = 0;
			while (t < TS_LC_NTYPES && strcmp(ts_lc_type_name((enum ts_lc_type)t), type) != 0) {
				t++;
			}
			CU_ASSERT_FATAL(t < TS_LC_NTYPES && idx < e->nwords[t]);
			uint32_t got = (sym[0] - 'A') % 2 == 0 ? e->base[t][idx] : e->incr[t][idx];
			CU_ASSERT_EQUAL(got, word);
			n++;
		}
	}
	fclose(f);
	CU_ASSERT_EQUAL(n, 112);
	ts_lcenc_free(e);
}

static void
test_otp_lc_encoded_values(void)
{
	struct ts_lcenc *e = lcenc();
	char line[1024], type[32], name[64], hex[512];
	unsigned n = 0;
	FILE *f = open_vec("lc_encoded_values.txt");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%31s %63s %511s", type, name, hex) != 3) {
			continue;
		}
		int t = 0;
		while (t < TS_LC_NTYPES && strcmp(ts_lc_type_name((enum ts_lc_type)t), type) != 0) {
			t++;
		}
		uint8_t le[128], be[128];
		TS_BUF(got);
		CU_ASSERT_FATAL(t < TS_LC_NTYPES);
		CU_ASSERT_TS_OK(ts_lcenc_encode(e, (enum ts_lc_type)t, name, le, 2 * e->nwords[t]));
		for (size_t i = 0; i < 2 * e->nwords[t]; i++) {
			be[i] = le[2 * e->nwords[t] - 1 - i];
		}
		CU_ASSERT_TS_OK(ts_emit_py_hex(be, 2 * e->nwords[t], &got));
		CU_ASSERT_TS_OK(ts_buf_append(&got, "", 1));
		CU_ASSERT_STRING_EQUAL((const char *)got.data, hex);
		n++;
	}
	fclose(f);
	CU_ASSERT(n >= 49);
	ts_lcenc_free(e);
}

static void
test_otp_layout(void)
{
	char path[8192], line[512], name[128];
	struct ts_mmap *m = NULL;
	unsigned off, size, n = 0;
	(void)snprintf(path, sizeof(path), "%s/otp_ctrl_mmap.hjson", eg);
	CU_ASSERT_TS_OK(ts_mmap_load(path, &m));
	FILE *f = open_vec("earlgrey_layout.txt");
	struct ts_mm_part *p = NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != '#' && line[0] != ' ' && sscanf(line, "%127s off=0x%x (%*u) size=%u", name, &off, &size) == 3) {
			p = ts_mmap_part(m, name);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			CU_ASSERT_EQUAL(p->offset, off);
			CU_ASSERT_EQUAL(p->size, size);
			CU_ASSERT_EQUAL(p->secret, strstr(line, "secret=True") != NULL);
			CU_ASSERT_EQUAL(p->hw_digest, strstr(line, "hw_dig=True") != NULL);
			n++;
		} else if (line[0] == ' ' && p != NULL && sscanf(line, " %127s off=0x%x size=%u", name, &off, &size) == 3) {
			struct ts_mm_item *it = ts_mmap_item(p, name);
			CU_ASSERT_PTR_NOT_NULL_FATAL(it);
			CU_ASSERT_EQUAL(it->offset, off);
			CU_ASSERT_EQUAL(it->size, size);
			CU_ASSERT_EQUAL(it->ismubi, strstr(line, "mubi=True") != NULL);
			CU_ASSERT_EQUAL(it->isdigest, strstr(line, "isdigest=True") != NULL);
			n++;
		}
	}
	fclose(f);
	CU_ASSERT(n > 100);
	ts_mmap_free(m);
}

static void
test_otp_prng_vectors(void)
{
	json_t *j = load_json("prng_vectors.json");
	size_t i;
	json_t *v;
	json_array_foreach(j, i, v) {
		TS_SECRET(seed);
		struct ts_drbg *d = NULL;
		uint8_t want[64], got[64];
		CU_ASSERT_TS_OK(ts_secret_new(&seed, 32));
		ts_test_unhex(json_string_value(json_object_get(v, "seed_hex")) + 2, seed.data, 32);
		ts_test_unhex(json_string_value(json_object_get(v, "first_generate_512bit_bytes_hex")), want, 64);
		CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
		CU_ASSERT_TS_OK(ts_drbg_bytes(d, got, 64));
		CU_ASSERT_EQUAL(memcmp(got, want, 64), 0);
		ts_drbg_free(d);
	}
	CU_ASSERT(json_array_size(j) >= 3);
	json_decref(j);
}

/* One command of MANIFEST.txt, as ts_otp_args; paths resolved as the manifest describes. */
struct cmd {
	struct ts_otp_args a;
	char store[24][4096];
	size_t nstore;
	char want[4096];
};

static const char *
resolve(struct cmd *c, const char *p)
{
	char *dst = c->store[c->nstore++];
	CU_ASSERT_FATAL(snprintf(dst, 4096, "%s/inputs/%s", otp, p) < 4096);
	FILE *f = fopen(dst, "r");
	if (f == NULL) {
		CU_ASSERT_FATAL(snprintf(dst, 4096, "%s/%s", otp, p) < 4096);
	} else {
		fclose(f);
	}
	return dst;
}

static int
parse_cmd(char *line, struct cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->a.mode = "testing";
	char *save = NULL;
	for (char *t = strtok_r(line, " \n", &save); t != NULL; t = strtok_r(NULL, " \n", &save)) {
		char *v = strncmp(t, "--", 2) == 0 && strcmp(t, "--quiet") != 0 ? strtok_r(NULL, " \n", &save) : NULL;
		if (v == NULL) {
			continue;
		}
		if (strcmp(t, "--lc-state-def") == 0) {
			c->a.lc_state = resolve(c, v);
		} else if (strcmp(t, "--mmap-def") == 0) {
			c->a.mmap = resolve(c, v);
		} else if (strcmp(t, "--top-secret-cfg") == 0) {
			c->a.secrets = resolve(c, v);
		} else if (strcmp(t, "--img-cfg") == 0) {
			c->a.img_cfg = resolve(c, v);
		} else if (strcmp(t, "--add-cfg") == 0) {
			c->a.add_cfg[c->a.nadd++] = resolve(c, v);
		} else if (strcmp(t, "--data-perm") == 0) {
			c->a.data_perm = strcpy(c->store[c->nstore++], v);
		} else if (strcmp(t, "--out") == 0 || strcmp(t, "--c-out") == 0) {
			char *bw = strstr(v, "BITWIDTH");
			int n = snprintf(c->want, sizeof(c->want), "%s/outputs/%.*s%s%s", otp,
					 bw ? (int)(bw - v) : (int)strlen(v), v, bw ? "24" : "", bw ? bw + 8 : "");
			CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(c->want));
			*(t[2] == 'c' ? &c->a.c_out : &c->a.out) = c->want;
		}
	}
	return c->a.img_cfg != NULL;
}

static int
same_as_file(const struct ts_buf *b, const char *path)
{
	TS_BUF(want);
	return ts_test_read(path, &want) == 0 && want.len == b->len && memcmp(want.data, b->data, b->len) == 0;
}

static void
test_otp_manifest_images(void)
{
	char path[8192], line[4096];
	static struct cmd c;
	static struct ts_otp_outputs out;
	unsigned n = 0;
	(void)snprintf(path, sizeof(path), "%s/MANIFEST.txt", otp);
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "$ util/design/gen-otp-img.py") == NULL || !parse_cmd(strchr(line, '$') + 1, &c)) {
			continue;
		}
		CU_ASSERT_TS_OK(ts_otp_build(&c.a, &out));
		int same = same_as_file(&out.o[0].data, c.want);
		if (!same) {
			fprintf(stderr, "  differs: %s\n", c.want);
		}
		CU_ASSERT(same);
		ts_otp_outputs_free(&out);
		n++;
	}
	fclose(f);
	CU_ASSERT(n >= 7);
}

/* All manifest images from one batch file: one parse, one codeword search, identical bytes. */
static void
test_otp_batch_matches(void)
{
	char dir[4096], bpath[4200], path[8192], line[4096];
	static struct cmd c, first;
	static struct ts_otp_outputs out;
	static char wants[TS_OTP_MAX_IMAGES][4096];
	size_t n = 0;
	ts_test_tmpdir(dir, sizeof(dir));
	(void)snprintf(bpath, sizeof(bpath), "%s/batch.hjson", dir);
	(void)snprintf(path, sizeof(path), "%s/MANIFEST.txt", otp);
	FILE *f = fopen(path, "r");
	FILE *b = fopen(bpath, "w");
	CU_ASSERT_FATAL(f != NULL && b != NULL);
	fprintf(b, "{\n  images: [\n");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "$ util/design/gen-otp-img.py") == NULL || !parse_cmd(strchr(line, '$') + 1, &c)) {
			continue;
		}
		first = n == 0 ? c : first;
		fprintf(b, "    { img_cfg: \"%s\", %s: \"out%zu\", data_perm: \"%s\", add_cfg: [", c.a.img_cfg,
			c.a.c_out ? "c_out" : "out", n, c.a.data_perm ? c.a.data_perm : "");
		for (size_t i = 0; i < c.a.nadd; i++) {
			fprintf(b, "%s\"%s\"", i ? ", " : "", c.a.add_cfg[i]);
		}
		fprintf(b, "] }\n");
		(void)snprintf(wants[n++], sizeof(wants[0]), "%s", c.want);
	}
	fprintf(b, "  ]\n}\n");
	fclose(f);
	fclose(b);
	struct ts_otp_args a = { .mmap = first.a.mmap, .secrets = first.a.secrets, .lc_state = first.a.lc_state,
				 .mode = "testing", .batch = bpath };
	CU_ASSERT_TS_OK(ts_otp_build(&a, &out));
	CU_ASSERT_EQUAL(out.n, n);
	for (size_t i = 0; i < out.n; i++) {
		CU_ASSERT(same_as_file(&out.o[i].data, wants[i]));
	}
	ts_otp_outputs_free(&out);
	ts_test_rm_rf(dir);
}

static CU_TestInfo otp_tests[] = {
	{ "present_vectors", test_otp_present_vectors },
	{ "digest_vectors", test_otp_digest_vectors },
	{ "secded_and_lc_words", test_otp_secded_and_lc_words },
	{ "lc_encoded_values", test_otp_lc_encoded_values },
	{ "layout", test_otp_layout },
	{ "prng_vectors", test_otp_prng_vectors },
	{ "manifest_images", test_otp_manifest_images },
	{ "batch_matches", test_otp_batch_matches },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "otp_golden", NULL, NULL, NULL, NULL, otp_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	ref = ts_test_reference_required("otp_golden");
	(void)snprintf(otp, sizeof(otp), "%s/opentitan/otp", ref);
	(void)snprintf(eg, sizeof(eg), "%s/opentitan/top_earlgrey", ref);
	return ts_test_main(suites);
}
