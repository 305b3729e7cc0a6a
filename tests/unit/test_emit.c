#include <stdio.h>
#include <string.h>

#include "common/topgen/ts_emit.h"
#include "common/topgen/ts_model.h"
#include "tests/lib/ts_test.h"

static void
text_of(struct ts_buf *b, char *out, size_t len)
{
	(void)snprintf(out, len, "%.*s", (int)b->len, (const char *)b->data);
}

static void
test_emit_py_hex_and_decimal(void)
{
	static const uint8_t v[] = { 0x00, 0x00, 0x0a, 0xbc };
	static const uint8_t z[] = { 0x00, 0x00 };
	char s[128];
	TS_BUF(b);
	CU_ASSERT_TS_OK(ts_emit_py_hex(v, sizeof(v), &b));
	text_of(&b, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0xabc");
	b.len = 0;
	CU_ASSERT_TS_OK(ts_emit_py_hex(z, sizeof(z), &b));
	text_of(&b, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0x0");
	uint8_t seed[32];
	ts_test_unhex("023fa966743f5e424e91f5f7d7473f828da8d4ced193a380c30fa319c689e57f", seed, 32);
	b.len = 0;
	CU_ASSERT_TS_OK(ts_emit_decimal(seed, 32, &b));
	text_of(&b, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "1017106219537032642877583828875051302543807092889754935647094601236425074047");
}

static const char one_param[] =
	"{ module: [ { name: \"m\", type: \"t\", param_list: [\n"
	"  { name: \"RndCnstA\", desc: \"first\", type: \"logic [39:0]\", randcount: 40, randtype: \"data\" }\n"
	"  { name: \"RndCnstB\", desc: \"second\", type: \"logic [287:0]\", randcount: 288, randtype: \"data\" } ] } ] }";

/* spec §7.1: 256-bit chunks from the LSB, '_' every 8 digits, the remainder on top. */
static void
test_emit_sv_value_lines(void)
{
	struct ts_hjson_doc *doc = NULL;
	struct ts_top *top = NULL;
	TS_BUF(out);
	CU_ASSERT_TS_OK(ts_hjson_parse(one_param, sizeof(one_param) - 1, "s.hjson", &doc));
	CU_ASSERT_TS_OK(ts_top_from_doc(doc, "x", &top));
	struct ts_param *a = &top->mods[0].params[0];
	struct ts_param *b = &top->mods[0].params[1];
	CU_ASSERT_TS_OK(ts_secret_new(&a->value, 5));
	ts_test_unhex("60cfb594ac", a->value.data, 5);
	CU_ASSERT_TS_OK(ts_secret_new(&b->value, 36));
	ts_test_unhex("10651dc9", b->value.data, 4);
	b->value.data[35] = 0x01;
	CU_ASSERT_TS_OK(ts_emit_rnd_cnst_sv(top, "hw/x/seed.hjson", &out));
	CU_ASSERT_TS_OK(ts_buf_append(&out, "", 1));
	const char *s = (const char *)out.data;
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  // first\n  parameter logic [39:0] RndCnstMA = {\n    40'h60_CFB594AC\n  };\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "    32'h10651DC9,\n    256'h00000000_00000000_00000000_00000000_"
					 "00000000_00000000_00000000_00000001\n  };\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "//   hw/x/seed.hjson\n\n\npackage top_x_rnd_cnst_pkg;\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "endpackage : top_x_rnd_cnst_pkg\n"));
	/* A value wider than its randwidth is refused, not truncated. */
	a->value.data[0] = 0xff;
	ts_secret_free(&a->value);
	CU_ASSERT_TS_OK(ts_secret_new(&a->value, 6));
	a->value.data[0] = 1;
	out.len = 0;
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_emit_rnd_cnst_sv(top, "r", &out), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("wider than randwidth");
	ts_top_free(top);
}

static void
test_emit_vbl_and_cores(void)
{
	struct ts_hjson_doc *doc = NULL;
	struct ts_top *top = NULL;
	TS_BUF(out);
	char s[4096];
	CU_ASSERT_TS_OK(ts_hjson_parse(one_param, sizeof(one_param) - 1, "s.hjson", &doc));
	CU_ASSERT_TS_OK(ts_top_from_doc(doc, "x", &top));
	CU_ASSERT_TS_OK(ts_emit_rnd_cnst_vbl(top, "hw/top_x/data/s.hjson", &out));
	text_of(&out, s, sizeof(s));
	CU_ASSERT_PTR_NULL(strstr(s, "//"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "-------------------#\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "#   hw/top_x/data/s.hjson\n\n# These lines are too long due to templating\n"
					 "waive --rule=line-length --location=\"top_x_rnd_cnst_pkg.sv\"\n"));
	out.len = 0;
	CU_ASSERT_TS_OK(ts_emit_rnd_cnst_core(top, "tapeout", &out));
	text_of(&out, s, sizeof(s));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "name: \"lowrisc:x_constants:tapeout_rnd_cnst_pkg:0.1\"\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "    depend:\n    files:\n")); /* type t has no dependency */
	out.len = 0;
	CU_ASSERT_TS_OK(ts_emit_lc_token_core(top, "testing", &out));
	text_of(&out, s, sizeof(s));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "name: \"lowrisc:x_constants:testing_lc_ctrl_token_pkg:0.1\"\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "veriblelint"));
	ts_top_free(top);
}

static CU_TestInfo emit_tests[] = {
	{ "py_hex_and_decimal", test_emit_py_hex_and_decimal },
	{ "sv_value_lines", test_emit_sv_value_lines },
	{ "vbl_and_cores", test_emit_vbl_and_cores },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "emit", NULL, NULL, NULL, NULL, emit_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
