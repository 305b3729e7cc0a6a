#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/otp/ts_otp_img.h"
#include "common/otp/ts_otp_job.h"
#include "common/otp/ts_otp_lc.h"
#include "common/otp/ts_otp_map.h"
#include "common/otp/ts_present.h"
#include "common/topgen/ts_drbg.h"
#include "tests/lib/ts_test.h"

/* OTP images on tapeseal's own small top (tests/vectors/otp): layout, values, errors. */
static char vec[4096], tmp[4096];

static void
vpath(char *buf, size_t len, const char *name)
{
	CU_ASSERT_FATAL(snprintf(buf, len, "%s/%s", vec, name) < (int)len);
}

static const char *
cfg(const char *name, const char *text)
{
	static char paths[8][8192];
	static int k;
	char *p = paths[k++ % 8];
	CU_ASSERT_FATAL(snprintf(p, 8192, "%s/%s", tmp, name) < 8192);
	CU_ASSERT_EQUAL_FATAL(ts_test_write(p, text), 0);
	return p;
}

static ts_result
build(const char *secrets, const char *img, const char *add, const char *perm, struct ts_otp_outputs *out)
{
	static char mm[8192], lc[8192], sec[8192];
	vpath(mm, sizeof(mm), "mmap.hjson");
	vpath(lc, sizeof(lc), "lc_state.hjson");
	if (secrets == NULL) {
		vpath(sec, sizeof(sec), "secrets.hjson");
		secrets = sec;
	}
	struct ts_otp_args a = { .mmap = mm, .secrets = secrets, .lc_state = lc, .mode = "testing", .img_cfg = img,
				 .data_perm = perm, .out = "unused.vmem" };
	if (add != NULL) {
		a.add_cfg[a.nadd++] = add;
	}
	ts_error_clear();
	ts_result r = ts_otp_build(&a, out);
	for (size_t i = 0; r.code == 0 && i < out->n; i++) {
		/* NUL-terminate for the string functions below; the length stays the file's. */
		CU_ASSERT_TS_OK(ts_buf_append(&out->o[i].data, "", 1));
		out->o[i].data.len--;
	}
	return r;
}

/* The 16-bit data of each .vmem word, as bytes. */
static void
vmem_bytes(const struct ts_buf *b, uint8_t *bytes, size_t n)
{
	const char *s = (const char *)b->data;
	size_t w = 0;
	for (const char *p = strchr(s, '@'); p != NULL && p < s + b->len && 2 * w < n; p = strchr(p + 1, '@')) {
		unsigned addr, word;
		CU_ASSERT_FATAL(sscanf(p, "@%x %x", &addr, &word) == 2 && addr == w);
		bytes[2 * w] = (uint8_t)(word & 0xff);
		bytes[2 * w + 1] = (uint8_t)((word >> 8) & 0xff);
		w++;
	}
	CU_ASSERT_EQUAL(2 * w, n);
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

static void
test_otp_layout(void)
{
	char path[8192];
	struct ts_mmap *m = NULL;
	vpath(path, sizeof(path), "mmap.hjson");
	CU_ASSERT_TS_OK(ts_mmap_load(path, &m));
	static const size_t off[] = { 0, 16, 56, 72, 96, 112 }, size[] = { 16, 40, 16, 24, 16, 16 };
	CU_ASSERT_EQUAL_FATAL(m->nparts, 6);
	for (size_t i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(m->parts[i].offset, off[i]);
		CU_ASSERT_EQUAL(m->parts[i].size, size[i]); /* CREATOR_SW_CFG absorbs the 2 spare blocks */
	}
	struct ts_mm_item *d = ts_mmap_item(&m->parts[1], "CREATOR_SW_CFG_DIGEST");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->offset, 48);
	CU_ASSERT(d->isdigest);
	CU_ASSERT_EQUAL(ts_mmap_item(&m->parts[1], "CFG_EN")->offset, 24);
	ts_mmap_free(m);
}

static const char dev_cfg[] =
	"{ partitions: [\n"
	"  { name: \"SECRET0\", lock: \"True\", items: [ { name: \"TEST_UNLOCK_TOKEN\", value: \"<random>\" } ] }\n"
	"  { name: \"HW_CFG0\", lock: true, items: [ { name: \"DEVICE_ID\", value: \"<random>\" } ] }\n"
	"  { name: \"CREATOR_SW_CFG\", items: [ { name: \"CFG_EN\", value: \"true\" }, { name: \"CFG_A\", value: \"10\" },\n"
	"    { name: \"CFG_B\", value: [ \"0x_0000_0002\" ] } ] }\n"
	"  { name: \"VENDOR_TEST\", items: [ { name: \"SCRATCH\", value: [ \"0x1\", \"0x2\" ] } ] }\n"
	"  { name: \"SECRET2\", lock: true, items: [ { name: \"RMA_TOKEN\", value: \"0x1122\" } ] }\n"
	"  { name: \"LIFE_CYCLE\", state: \"DEV\", count: \"2\" }\n"
	"] }\n";

static void
test_otp_image_values(void)
{
	static struct ts_otp_outputs out;
	uint8_t img[128], draws[24], lc[8];
	CU_ASSERT_TS_OK(build(NULL, cfg("dev.hjson", dev_cfg), NULL, NULL, &out));
	vmem_bytes(&out.o[0].data, img, sizeof(img));
	/* Draws in merge order from the otpmemimg DRBG (otp_img_seed of secrets.hjson). */
	char lcp[8192];
	vpath(lcp, sizeof(lcp), "lc_state.hjson");
	TS_SECRET(seed);
	struct ts_drbg *d = NULL;
	CU_ASSERT_TS_OK(ts_secret_new(&seed, 32));
	/* otp_img_seed 101995681141389992758269705996325361657122986737596102689149028367492046367313 */
	ts_test_unhex("e17f827e54fbd9b16238c342fc013ae7dae408e3d9e88189998608b28e6baa51", seed.data, 32);
	CU_ASSERT_TS_OK(ts_drbg_new(&seed, &d));
	CU_ASSERT_TS_OK(ts_drbg_bytes(d, draws, sizeof(draws)));
	ts_drbg_free(d);
	/* HW_CFG0.DEVICE_ID (not scrambled) = the second draw, its first byte on top. */
	for (size_t i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(img[56 + i], draws[16 + 7 - i]);
	}
	/* HW_CFG0 is locked: its digest covers its one data block. */
	static const uint64_t iv = 11155206729120439581ull;
	uint64_t blk = le64(img + 56);
	uint64_t chi = 0xea1ea059dc5c584cull, clo = 0x99e3e946397824f3ull;
	CU_ASSERT_EQUAL(le64(img + 64), ts_otp_digest(&blk, 1, iv, chi, clo));
	/* Mubi true, a hex value without 0x, a list OR-ed at 32-bit strides. */
	CU_ASSERT_EQUAL(img[24], 0x96);
	CU_ASSERT_EQUAL(le64(img + 16) & 0xffffffffu, 0x10);
	CU_ASSERT_EQUAL(img[20], 2);
	CU_ASSERT_EQUAL(le64(img + 0), 0x0000000200000001ull);
	/* LIFE_CYCLE: LC_STATE is the DEV encoding. */
	struct ts_lcenc *e = NULL;
	CU_ASSERT_TS_OK(ts_lcenc_load(lcp, &e));
	CU_ASSERT_TS_OK(ts_lcenc_encode(e, TS_LC_STATE, "DEV", lc, sizeof(lc)));
	CU_ASSERT_EQUAL(memcmp(img + 118, lc, 8), 0);
	ts_lcenc_free(e);
	/* SECRET0 blocks are scrambled: not the plaintext draw. */
	CU_ASSERT_NOT_EQUAL(memcmp(img + 72, draws, 8), 0);
	ts_otp_outputs_free(&out);
	/* Deterministic. */
	static struct ts_otp_outputs again;
	CU_ASSERT_TS_OK(build(NULL, cfg("dev2.hjson", dev_cfg), NULL, NULL, &again));
	CU_ASSERT_TS_OK(build(NULL, cfg("dev.hjson", dev_cfg), NULL, NULL, &out));
	CU_ASSERT_EQUAL(memcmp(out.o[0].data.data, again.o[0].data.data, out.o[0].data.len), 0);
	ts_otp_outputs_free(&out);
	ts_otp_outputs_free(&again);
}

static void
fails(const char *text, const char *add, int code, const char *msg)
{
	static struct ts_otp_outputs out;
	static const char base[] = "{ partitions: [ { name: \"LIFE_CYCLE\", state: \"DEV\", count: 1 } ] }";
	const char *img = cfg("e.hjson", add != NULL ? base : text);
	const char *ad = add != NULL ? cfg("a.hjson", text) : NULL;
	CU_ASSERT_TS_ERR(build(NULL, img, ad, NULL, &out), code);
	if (strstr(ts_last_error_message(), msg) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), msg);
	}
	CU_ASSERT_MSG_HAS(msg);
	CU_ASSERT_EQUAL(out.n, 0);
}

#define P(x) "{ partitions: [ " x " ] }"

/* spec/otp.md §14, one case each. */
static void
test_otp_error_classes(void)
{
	fails(P("{ name: \"NOPE\" }"), NULL, TS_ERR_SCHEMA, "e.hjson:1:25: no partition NOPE in the memory map");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"NOPE\", value: \"0x1\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "partition HW_CFG0 has no item NOPE");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", valu: \"0x1\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "unused key 'valu' in an item");
	fails(P("{ name: \"HW_CFG0\", colour: 1 }"), NULL, TS_ERR_SCHEMA, "unused key 'colour' in HW_CFG0");
	fails(P("{ name: \"HW_CFG0\", items: { name: \"DEVICE_ID\" } }"), NULL, TS_ERR_SCHEMA, "items of HW_CFG0 must be a list");
	fails(P("{ name: \"CREATOR_SW_CFG\", lock: true }"), NULL, TS_ERR_SCHEMA, "CREATOR_SW_CFG has no hardware digest");
	fails(P("{ name: \"LIFE_CYCLE\", items: [ { name: \"LC_STATE\" } ] }"), NULL, TS_ERR_SCHEMA, "takes state and count");
	fails(P("{ name: \"LIFE_CYCLE\", lock: true }"), NULL, TS_ERR_SCHEMA, "LIFE_CYCLE has no hardware digest");
	fails(P("{ name: \"LIFE_CYCLE\", state: \"DEV\" }"), NULL, TS_ERR_SCHEMA, "state DEV needs a count above 0");
	fails(P("{ name: \"LIFE_CYCLE\", state: \"SHIPPED\", count: 1 }"), NULL, TS_ERR_SCHEMA, "'SHIPPED' is not a lc_state");
	fails(P("{ name: \"LIFE_CYCLE\", state: \"DEV\", count: 9 }"), NULL, TS_ERR_SCHEMA, "count 9 is not defined in lc_cnt");
	fails(P("{ name: \"CREATOR_SW_CFG\", items: [ { name: \"CFG_EN\", value: \"yes\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "mubi item CFG_EN takes true or false");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", value: \"0xZZ\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "item DEVICE_ID: value must be a hex string");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", value: \"1__2\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "value must be a hex string");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", value: 5 } ] }"), NULL, TS_ERR_SCHEMA,
	      "value must be a hex string");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", value: \"0x10000000000000000\" } ] }"), NULL, TS_ERR_RANGE,
	      "item DEVICE_ID: value does not fit in 8 bytes");
	fails(P("{ name: \"HW_CFG0\", items: [ { name: \"HW_CFG0_DIGEST\", value: \"0x1\" } ] }"), NULL, TS_ERR_SCHEMA,
	      "partition HW_CFG0: a configuration set its digest item");
	fails(P("{ name: \"SECRET2\", lock: true }, { name: \"LIFE_CYCLE\", state: \"TEST_UNLOCKED0\", count: 1 }"), NULL,
	      TS_ERR_SCHEMA, "SECRET2 is locked but the life-cycle state is TEST_UNLOCKED0");
	fails("{ seed: 5, partitions: [] }", "add", TS_ERR_SCHEMA, "a.hjson:1:9: unused key 'seed' in the configuration");
}

static void
test_otp_secrets_errors(void)
{
	static struct ts_otp_outputs out;
	const char *img = cfg("s.hjson", P("{ name: \"SECRET2\", items: [ { name: \"RMA_TOKEN\", value: \"0x1\" } ] }"));
	const char *nokey = cfg("nokey.hjson",
		"{ seed: { otp_img_seed: { seed_mode: \"testing\", value: 77 } }, module: [ { name: \"otp_ctrl\",\n"
		"  template_type: \"otp_ctrl\", otp_mmap: { scrambling: { keys: [ { name: \"Secret0Key\", value: 1 } ],\n"
		"  digests: [ { name: \"D\", iv_value: 1, cnst_value: 2 } ] } } } ] }");
	CU_ASSERT_TS_ERR(build(nokey, img, NULL, NULL, &out), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("SECRET2: its key_sel Secret2Key is not among the scrambling keys of the secrets file");
	const char *tapeout = cfg("tapeout.hjson",
		"{ seed: { otp_img_seed: { seed_mode: \"tapeout\", value: 77 } }, module: [] }");
	CU_ASSERT_TS_ERR(build(tapeout, img, NULL, NULL, &out), TS_ERR_MODE);
	CU_ASSERT_MSG_HAS("otp_img_seed is not in seed mode 'testing'");
	const char *zero = cfg("zero.hjson",
		"{ seed: { otp_img_seed: { seed_mode: \"testing\", value: 0 } }, module: [ { name: \"otp_ctrl\",\n"
		"  template_type: \"otp_ctrl\", otp_mmap: { scrambling: { keys: [], digests: [ { name: \"D\", iv_value: 1,\n"
		"  cnst_value: 2 } ] } } } ] }");
	CU_ASSERT_TS_ERR(build(zero, img, NULL, NULL, &out), TS_ERR_SEED);
}

/* otp-consts needs no secrets file, unless a value is drawn. */
static void
test_otp_consts_without_secrets(void)
{
	char mm[8192], lc[8192];
	struct ts_otpgen *g = NULL;
	json_t *parts = NULL;
	vpath(mm, sizeof(mm), "mmap.hjson");
	vpath(lc, sizeof(lc), "lc_state.hjson");
	CU_ASSERT_TS_OK(ts_otpgen_load(mm, NULL, lc, "testing", &g));
	struct ts_otp_request ok = { cfg("c1.hjson", P("{ name: \"CREATOR_SW_CFG\", items: [ { name: \"CFG_A\", value: \"0x5\" } ] }")),
				     NULL, 0, NULL, 0 };
	CU_ASSERT_TS_OK(ts_otpgen_consts(g, &ok, &parts));
	json_t *items = json_object_get(parts, "CREATOR_SW_CFG");
	CU_ASSERT_EQUAL(json_array_size(items), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(json_array_get(items, 0), "words"), 0)),
			       "0x00000005");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(items, 0), "offset")), 16);
	json_decref(parts);
	parts = NULL;
	struct ts_otp_request rnd = { cfg("c2.hjson", P("{ name: \"HW_CFG0\", items: [ { name: \"DEVICE_ID\", value: \"<random>\" } ] }")),
				      NULL, 0, NULL, 0 };
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_otpgen_consts(g, &rnd, &parts), TS_ERR_USAGE);
	CU_ASSERT_MSG_HAS("give the top's secrets file");
	CU_ASSERT_PTR_NULL(parts);
	ts_otpgen_free(g);
}

static void
test_otp_data_perm(void)
{
	unsigned perm[24];
	static struct ts_otp_outputs a, b;
	CU_ASSERT_TS_OK(ts_otp_data_perm("[15:0],[23:16]", perm));
	for (unsigned i = 0; i < 24; i++) {
		CU_ASSERT_EQUAL(perm[i], i < 8 ? 16 + i : i - 8);
	}
	CU_ASSERT_TS_OK(ts_otp_data_perm("", perm));
	CU_ASSERT_EQUAL(perm[5], 5);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_otp_data_perm("[15:0],[15:8]", perm), TS_ERR_USAGE);
	CU_ASSERT_TS_ERR(ts_otp_data_perm("[15:0]", perm), TS_ERR_USAGE);
	CU_ASSERT_TS_ERR(ts_otp_data_perm("15:0", perm), TS_ERR_USAGE);
	/* The permuted image moves the 0x069600-style ECC|data word as in spec §10.3. */
	const char *img = cfg("p.hjson", dev_cfg);
	CU_ASSERT_TS_OK(build(NULL, img, NULL, NULL, &a));
	CU_ASSERT_TS_OK(build(NULL, img, NULL, "[15:0],[23:16]", &b));
	const char *la = strstr((const char *)a.o[0].data.data, "@00000c ");
	const char *lb = strstr((const char *)b.o[0].data.data, "@00000c ");
	unsigned wa = 0, wb = 0, x = 0;
	CU_ASSERT_FATAL(la != NULL && lb != NULL && sscanf(la, "@%x %x", &x, &wa) == 2 && sscanf(lb, "@%x %x", &x, &wb) == 2);
	CU_ASSERT_EQUAL(wb, ((wa & 0xffff) << 8) | (wa >> 16));
	ts_otp_outputs_free(&a);
	ts_otp_outputs_free(&b);
}

static int
setup(void)
{
	ts_test_source_path(vec, sizeof(vec), "tests/vectors/otp");
	ts_test_tmpdir(tmp, sizeof(tmp));
	return 0;
}

static int
teardown(void)
{
	ts_test_rm_rf(tmp);
	return 0;
}

static CU_TestInfo otp_tests[] = {
	{ "layout", test_otp_layout },
	{ "image_values", test_otp_image_values },
	{ "error_classes", test_otp_error_classes },
	{ "secrets_errors", test_otp_secrets_errors },
	{ "consts_without_secrets", test_otp_consts_without_secrets },
	{ "data_perm", test_otp_data_perm },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "otp", setup, teardown, NULL, NULL, otp_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
