#include <stdio.h>
#include <string.h>

#include "common/tree/ts_tree.h"
#include "tests/lib/ts_test.h"

/* The tree switch's planning, applying and undoing on texts made here (no files, no HSM). */

static const char defs_text[] = "X = opentitan_top(\n"
				"    name = \"x\",\n"
				"    secret_cfgs = {\n"
				"        \"testing\": \"//hw/top_x/data/autogen:top_x.secrets.testing.gen.hjson\",\n"
				"    },\n"
				")\n";

static const char sim_text[] = "{\n"
			       "  sw_build_device: sim_dv\n"
			       "  // Override defaults.\n"
			       "  overrides: [\n"
			       "    {\n"
			       "      name: tl_dw\n"
			       "      value: 64\n"
			       "    }\n"
			       "  ]\n"
			       "  gen_otp_top_secret_cfg: \"{proj_root}/{top_chip}.secrets.testing.gen.hjson\"\n"
			       "  gen_otp_images_cmd: \"{proj_root}/util/design/gen-otp-img.py\"\n"
			       "}\n";

static struct ts_tree t;

static void
fill(const char *sim, const char *defs)
{
	ts_tree_free(&t);
	memset(&t, 0, sizeof(t));
	strcpy(t.top, "x");
	strcpy(t.simcfg.rel, TS_TREE_SIMCFG);
	strcpy(t.defs.rel, TS_TREE_DEFS);
	strcpy(t.simcfg.path, "sim.hjson");
	strcpy(t.defs.path, "defs.bzl");
	t.simcfg.present = sim != NULL;
	t.defs.present = 1;
	if (sim != NULL) {
		CU_ASSERT_TS_OK(ts_buf_puts(&t.simcfg.text, sim));
	}
	CU_ASSERT_TS_OK(ts_buf_puts(&t.defs.text, defs));
	ts_error_clear();
}

/* The applied text of f as a C string (static storage). */
static const char *
applied(const struct ts_tree_file *f)
{
	static char s[8192];
	struct ts_buf b = { 0 };
	CU_ASSERT_TS_OK(ts_tree_apply(f, &b));
	(void)snprintf(s, sizeof(s), "%.*s", (int)b.len, (const char *)b.data);
	ts_buf_free(&b);
	return s;
}

static void
test_tree_plan_and_undo_exactly(void)
{
	fill(sim_text, defs_text);
	CU_ASSERT_TS_OK(ts_tree_plan(&t, "/opt/ts/tapeseal-secure"));
	CU_ASSERT_EQUAL(t.simcfg.n, 4);
	CU_ASSERT_EQUAL(t.defs.n, 1);
	const char *s = applied(&t.simcfg);
	/* Before the comment of overrides, one new line after sw_build_device, two values in place. */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  sw_build_device: sim_dv\n  sw_build_opts: [\"--//hw/top:seed=tapeout\"]\n"
					 "  // tapeseal-secure switch: FuseSoC selects"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  sv_flist_gen_flags: [\"--flag=fileset_tapeout\"]\n\n  // Override defaults.\n"
					 "  overrides: [\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "{top_chip}.secrets.tapeout.gen.hjson\"\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "gen_otp_images_cmd: \"/opt/ts/tapeseal-secure otp-image\"\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(applied(&t.defs), "testing.gen.hjson\",\n        \"tapeout\": "
							"\"//hw/top_x/data/autogen:top_x.secrets.tapeout.gen.hjson\",\n    },"));
	struct ts_buf cur = { 0 }, back = { 0 };
	CU_ASSERT_TS_OK(ts_tree_apply(&t.simcfg, &cur));
	CU_ASSERT_TS_OK(ts_tree_undo(&t.simcfg, &cur, 1, &back));
	CU_ASSERT(back.len == strlen(sim_text) && memcmp(back.data, sim_text, back.len) == 0);
	/* Forced: a local change elsewhere is kept, the switch's edits go. */
	CU_ASSERT_TS_OK(ts_buf_puts(&cur, "// local\n"));
	back.len = 0;
	CU_ASSERT_TS_OK(ts_tree_undo(&t.simcfg, &cur, 0, &back));
	CU_ASSERT(back.len == strlen(sim_text) + 9 && memcmp(back.data, sim_text, strlen(sim_text)) == 0);
	/* An exact undo of a changed text is refused. */
	cur.data[0] = ' ';
	back.len = 0;
	CU_ASSERT_TS_OK(ts_tree_undo(&t.simcfg, &cur, 0, &back));
	cur.len = 10;
	back.len = 0;
	CU_ASSERT_TS_ERR(ts_tree_undo(&t.simcfg, &cur, 1, &back), TS_ERR_DIFFERS);
	ts_buf_free(&cur);
	ts_buf_free(&back);
}

static void
test_tree_appends_to_existing_lists(void)
{
	fill("{\n  sw_build_device: d\n  sw_build_opts: [\"--a\",\n                  \"--b\"]\n"
	     "  sv_flist_gen_flags: []\n  overrides: []\n  gen_otp_top_secret_cfg: 'c.secrets.testing.gen.hjson'\n"
	     "  gen_otp_images_cmd: \"g\"\n}\n",
	     defs_text);
	CU_ASSERT_TS_OK(ts_tree_plan(&t, NULL));
	CU_ASSERT_EQUAL(t.simcfg.n, 3);
	const char *s = applied(&t.simcfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"--b\", \"--//hw/top:seed=tapeout\"]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "sv_flist_gen_flags: [\"--flag=fileset_tapeout\"]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "gen_otp_images_cmd: \"g\"\n"));
}

static void
test_tree_refuses_unusual_layouts(void)
{
	/* A comment-like line that closes a multi-line string right before overrides. */
	fill("{\n  desc:\n    '''\n    text\n    // x'''\n  overrides: []\n  sw_build_device: dv\n"
	     "  gen_otp_top_secret_cfg: 'b.secrets.testing.gen.hjson'\n  gen_otp_images_cmd: \"c\"\n}\n",
	     defs_text);
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, NULL), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("sim.hjson: the edits would not read back as intended");
	fill(sim_text, "X = f(secret_cfgs = {\"testing\": \"//a\"})\n");
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, NULL), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("defs.bzl:1: expected the \"testing\" entry of secret_cfgs on a line of its own");
	fill(sim_text, "X = f(\n  secret_cfgs = {\n    \"testing\": \"//a\", \"other\": \"//b\",\n  },\n)\n");
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, NULL), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("defs.bzl:3: expected nothing but a comment after the \"testing\" entry");
	/* Found by fuzz_tree: a stray quote ends the dict on the "testing" line; the edit is refused. */
	fill(sim_text, "X = f(\n  secret_cfgs = {\n    \"x \"testing\": \"//a\", # c\" },\n)\n");
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, NULL), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("defs.bzl: the edit would not read back as intended");
	fill(sim_text, defs_text);
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, "a\"b"), TS_ERR_USAGE);
	/* No dvsim configuration: only Bazel, and no OTP command to set. */
	fill(NULL, defs_text);
	CU_ASSERT_TS_ERR(ts_tree_plan(&t, "/x"), TS_ERR_USAGE);
	fill(NULL, defs_text);
	CU_ASSERT_TS_OK(ts_tree_plan(&t, NULL));
	CU_ASSERT_EQUAL(t.defs.n, 1);
}

static void
test_tree_scan_rule(void)
{
	static const char flag[] = "x: [\"--flag=fileset_tapeout\"]", seed[] = "--//hw/top:seed=tapeout";
	static const char sec[] = "\"//a:top_x.secrets.tapeout.gen.hjson\"", plain[] = "secrets.testing.gen.hjson";
	CU_ASSERT(ts_tree_text_switched("chip_sim_cfg.hjson", flag, sizeof(flag) - 1));
	CU_ASSERT(ts_tree_text_switched("a.hjson", seed, sizeof(seed) - 1));
	CU_ASSERT(ts_tree_text_switched("defs.bzl", sec, sizeof(sec) - 1));
	CU_ASSERT(ts_tree_text_switched("BUILD", sec, sizeof(sec) - 1));
	CU_ASSERT(ts_tree_text_switched(TS_TREE_RECORD, "", 0));
	CU_ASSERT(!ts_tree_text_switched("defs.bzl", seed, sizeof(seed) - 1));
	CU_ASSERT(!ts_tree_text_switched("README.md", flag, sizeof(flag) - 1));
	CU_ASSERT(!ts_tree_text_switched("defs.bzl", plain, sizeof(plain) - 1));
}

static int
suite_cleanup(void)
{
	ts_tree_free(&t);
	return 0;
}

static CU_TestInfo tree_tests[] = {
	{ "plan_and_undo_exactly", test_tree_plan_and_undo_exactly },
	{ "appends_to_existing_lists", test_tree_appends_to_existing_lists },
	{ "refuses_unusual_layouts", test_tree_refuses_unusual_layouts },
	{ "scan_rule", test_tree_scan_rule },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "tree", NULL, suite_cleanup, NULL, NULL, tree_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
