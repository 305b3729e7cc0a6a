#include <stdio.h>
#include <string.h>

#include "common/topgen/ts_model.h"
#include "tests/lib/ts_test.h"

static ts_result
load_text(const char *text, const char *name, const char *top, struct ts_top **out)
{
	struct ts_hjson_doc *doc = NULL;
	ts_error_clear();
	TS_GUARD(ts_hjson_parse(text, strlen(text), name, &doc));
	return ts_top_from_doc(doc, top, out);
}

static void
fails_with(const char *text, int code, const char *msg)
{
	struct ts_top *top = NULL;
	CU_ASSERT_TS_ERR(load_text(text, "s.hjson", "x", &top), code);
	CU_ASSERT_PTR_NULL(top);
	if (strstr(ts_last_error_message(), msg) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), msg);
	}
	CU_ASSERT_MSG_HAS(msg);
}

static void
test_model_loads_demo(void)
{
	char path[4096];
	struct ts_top *top = NULL;
	ts_test_source_path(path, sizeof(path), "seeds/top_demo.structure.hjson");
	CU_ASSERT_TS_OK(ts_top_load(path, NULL, &top));
	CU_ASSERT_STRING_EQUAL(top->t, "demo");
	CU_ASSERT(top->placeholder_form);
	CU_ASSERT(top->has_lc_ctrl);
	CU_ASSERT(top->has_otp_ctrl);
	CU_ASSERT_EQUAL(top->nmods, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(top->otp);
	CU_ASSERT_EQUAL(top->otp->nparts, 6);
	/* Phase B: generic types grouped (sram_ctrl_main, sram_ctrl_ret together), then ipgen order. */
	static const char *const want[] = { "lc_ctrl", "sram_ctrl_main", "sram_ctrl_ret", "aes", "otp_ctrl",
					    "rv_core_ibex" };
	for (size_t i = 0; i < 6; i++) {
		CU_ASSERT_STRING_EQUAL(top->mods[top->elab_order[i]].name, want[i]);
	}
	/* name_top computed from the instance name. */
	CU_ASSERT_STRING_EQUAL(top->mods[2].params[0].name_top, "RndCnstSramCtrlMainSramKey");
	/* Perm width: n * bitlength(n - 1). */
	CU_ASSERT_EQUAL(top->mods[0].params[1].randwidth, 240);
	CU_ASSERT_EQUAL(top->mods[3].params[2].randwidth, 1280);
	/* The mubi item is fixed, the digest random. */
	CU_ASSERT(!top->otp->parts[4].items[1].inv.random);
	CU_ASSERT_EQUAL(top->otp->parts[4].items[1].inv.value.data[0], 105);
	CU_ASSERT(top->otp->parts[4].items[2].inv.random);
	ts_top_free(top);
}

static const char minimal[] =
	"{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"logic\",\n"
	"  randcount: 8, randtype: \"data\" } ] } ] }";

static void
test_model_top_name_rules(void)
{
	struct ts_top *top = NULL;
	CU_ASSERT_TS_OK(load_text(minimal, "dir/top_foo.secrets.testing.gen.hjson", NULL, &top));
	CU_ASSERT_STRING_EQUAL(top->t, "foo");
	ts_top_free(top);
	CU_ASSERT_TS_OK(load_text(minimal, "a.hjson", "top_bar", &top));
	CU_ASSERT_STRING_EQUAL(top->t, "bar");
	ts_top_free(top);
	top = NULL;
	CU_ASSERT_TS_ERR(load_text(minimal, "a.hjson", "Bad/Name", &top), TS_ERR_USAGE);
	CU_ASSERT_PTR_NULL(top);
}

static void
test_model_unknown_keys(void)
{
	fails_with("{ module: [], extra: 1 }", TS_ERR_SCHEMA, "s.hjson:1:22: unknown key 'extra' in the structure root");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [], colour: \"red\" } ] }", TS_ERR_SCHEMA,
		   "unknown key 'colour' in module 'm'");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"t\",\n"
		   "  randcount: 8, randtype: \"data\", bogus: 1 } ] } ] }",
		   TS_ERR_SCHEMA, "unknown key 'bogus' in param 'RndCnstA' of module 'm'");
}

/* Oversized structures are refused before any work: five parameters of 2^20 random bits are 5 Mbit. */
static void
test_model_bounds_random_volume(void)
{
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text), "{ module: [ { name: \"m\", type: \"t\", param_list: [");
	for (int i = 0; i < 5; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s { name: \"RndCnst%c\", desc: \"d\", type: \"t\", randcount: 1048576, randtype: \"data\" }",
				      i ? "," : "", 'A' + i);
	}
	(void)snprintf(text + n, sizeof(text) - n, " ] } ] }");
	fails_with(text, TS_ERR_RANGE, "s.hjson: the parameters ask for 5242880 random bits in all, more than the 4194304");
	/* Four of them (4 Mbit) are still allowed. */
	char *fifth = strstr(text, ", { name: \"RndCnstE\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fifth);
	(void)snprintf(fifth, sizeof(text) - (size_t)(fifth - text), " ] } ] }");
	struct ts_top *top = NULL;
	CU_ASSERT_TS_OK(load_text(text, "s.hjson", "top_big", &top));
	ts_top_free(top);
}

static void
test_model_field_errors(void)
{
	fails_with("{ }", TS_ERR_SCHEMA, "the structure has no 'module'");
	fails_with("{ module: [ { type: \"t\", param_list: [] } ] }", TS_ERR_SCHEMA, "a module has no 'name'");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"t\",\n"
		   "  randcount: 8, randtype: \"noise\" } ] } ] }",
		   TS_ERR_SCHEMA, "randtype must be data, perm or extdata");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"t\",\n"
		   "  randcount: \"8\", randtype: \"data\" } ] } ] }",
		   TS_ERR_SCHEMA, "s.hjson:2:14: 'randcount' of param 'RndCnstA' of module 'm' must be an integer");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"t\",\n"
		   "  randcount: 99999999, randtype: \"data\" } ] } ] }",
		   TS_ERR_RANGE, "must be between 0 and");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [] }, { name: \"m\", type: \"u\", param_list: [] } ] }",
		   TS_ERR_SCHEMA, "module name 'm' appears twice");
	fails_with("{ module: [ { name: \"m\", type: \"t\", template_type: \"newip\", param_list: [] } ] }", TS_ERR_SCHEMA,
		   "template_type 'newip'");
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"Foo\", desc: \"d\", type: \"t\",\n"
		   "  randcount: 8, randtype: \"data\" } ] } ] }",
		   TS_ERR_SCHEMA, "does not start with RndCnst");
}

static void
test_model_placeholder_rules(void)
{
	fails_with("{ module: [ { name: \"m\", type: \"t\", param_list: [ { name: \"RndCnstA\", desc: \"d\", type: \"t\",\n"
		   "  randcount: 8, randtype: \"data\", default: \"0x12\" }, { name: RndCnstB, desc: d, type: t,\n"
		   "  randcount: 8, randtype: \"data\", default: \"<random>\" } ] } ] }",
		   TS_ERR_SCHEMA, "data and perm values are always drawn");
}

static void
test_model_explicit_elaboration_order(void)
{
	struct ts_top *top = NULL;
	const char *text = "{ elaboration_order: [ \"b\", \"a\" ], module: [ { name: \"a\", type: \"t\", template_type: \"newip\",\n"
			   "  param_list: [] }, { name: \"b\", type: \"u\", param_list: [] } ] }";
	CU_ASSERT_TS_OK(load_text(text, "s.hjson", "x", &top));
	CU_ASSERT_EQUAL(top->elab_order[0], 1);
	CU_ASSERT_EQUAL(top->elab_order[1], 0);
	ts_top_free(top);
	fails_with("{ elaboration_order: [ \"a\", \"a\" ], module: [ { name: \"a\", type: \"t\", param_list: [] },\n"
		   "  { name: \"b\", type: \"u\", param_list: [] } ] }",
		   TS_ERR_SCHEMA, "listed twice");
	fails_with("{ elaboration_order: [ \"a\" ], module: [ { name: \"a\", type: \"t\", param_list: [] },\n"
		   "  { name: \"b\", type: \"u\", param_list: [] } ] }",
		   TS_ERR_SCHEMA, "every module name exactly once");
}

static void
test_model_otp_values(void)
{
	fails_with("{ module: [ { name: \"o\", type: \"otp_ctrl\", param_list: [], otp_mmap: { scrambling: {\n"
		   "  key_size: 2, iv_size: 1, cnst_size: 1, keys: [ { name: \"K\", value: 70000 } ],\n"
		   "  digests: [ { name: \"D\", iv_value: \"<random>\", cnst_value: \"<random>\" } ] },\n"
		   "  partitions: [] } } ] }",
		   TS_ERR_RANGE, "does not fit in 2 bytes");
	fails_with("{ module: [ { name: \"o\", type: \"otp_ctrl\", param_list: [], otp_mmap: { scrambling: {\n"
		   "  key_size: 2, iv_size: 1, cnst_size: 1, keys: [], digests: [] } } } ] }",
		   TS_ERR_SCHEMA, "otp_mmap has no 'partitions'");
}

static CU_TestInfo model_tests[] = {
	{ "loads_demo", test_model_loads_demo },
	{ "top_name_rules", test_model_top_name_rules },
	{ "unknown_keys", test_model_unknown_keys },
	{ "field_errors", test_model_field_errors },
	{ "bounds_random_volume", test_model_bounds_random_volume },
	{ "placeholder_rules", test_model_placeholder_rules },
	{ "explicit_elaboration_order", test_model_explicit_elaboration_order },
	{ "otp_values", test_model_otp_values },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "model", NULL, NULL, NULL, NULL, model_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
