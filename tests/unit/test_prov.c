#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_ext.h"
#include "common/prov/ts_prov_otp.h"
#include "tests/lib/ts_test.h"

/* The provisioning registry (merge rules, refusals) and the extension loader. */
static char tmp[1024], ext[1100], builtin[4096];

static void
put(const char *rel, const char *text)
{
	char path[8400];
	(void)snprintf(path, sizeof(path), "%s/%s", ext, rel);
	CU_ASSERT_EQUAL_FATAL(ts_test_write(path, text), 0);
}

static void
copy_ext(const char *name, const char *as, mode_t mode)
{
	char src[4096], dst[8400], cmd[16384];
	(void)snprintf(src, sizeof(src), "%s/%s.so", TS_TEST_EXT_DIR, name);
	(void)snprintf(dst, sizeof(dst), "%s/lib/%s", ext, as);
	(void)snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(dst, mode), 0);
}

/* A downstream directory with the files one SKU needs. */
static void
make_ext_dir(void)
{
	char cmd[16384];
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/lib' '%s/otp' '%s/skus' '%s/ca/acme' '%s/fw' && "
				       "cp '%s/policies/prov/otp/'* '%s/otp/'",
		       ext, ext, ext, ext, ext, ext, TS_SOURCE_DIR, ext);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(ext, 0755), 0);
	put("fw/rom_ext.bin", "rom_ext\n");
	put("fw/owner_fw.bin", "owner_fw\n");
	put("skus/acme.hjson", "{ name: \"acme\", dice_ca: { key_type: \"Token\" } }\n");
}

static const char sku_body[] =
	"otp: \"xy01\", ca_data: \"ca/acme\", dice_format: \"x509\", host_ext_libs: [], device_ext_libs: [],\n"
	"      rom_ext: \"fw/rom_ext.bin\", owner_fw: \"fw/owner_fw.bin\", ecdsa_key: {}, spx_key: {},\n"
	"      signature_prefix: \"\", orchestrator_cfg: \"skus/acme.hjson\"";

static const char otp_body[] =
	"mmap: \"otp/top_demo_otp_mmap.hjson\", lc_state: \"otp/top_demo_lc_ctrl_state.hjson\",\n"
	"      base: \"otp/dm00_baseline.hjson\", overlays: [ \"otp/dm00_creator_sw_cfg.hjson\" ]";

static struct ts_prov_registry *
load_with(const char *cfg)
{
	struct ts_prov_registry *r = NULL;
	put("cfg.hjson", cfg);
	ts_error_clear();
	CU_ASSERT_TS_OK(ts_prov_load(builtin, ext, &r));
	return r;
}

static void
has_problem(const struct ts_prov_registry *r, const char *needle)
{
	int ok = r->problems.data != NULL && memmem(r->problems.data, r->problems.len, needle, strlen(needle)) != NULL;
	if (!ok) {
		fprintf(stderr, "  problems lack '%s':\n%.*s\n", needle, (int)r->problems.len, (const char *)r->problems.data);
	}
	CU_ASSERT(ok);
}

static void
test_prov_builtin_registry(void)
{
	struct ts_prov_registry *r = NULL;
	CU_ASSERT_TS_OK(ts_prov_load(builtin, NULL, &r));
	CU_ASSERT_EQUAL(r->nproblems, 0);
	CU_ASSERT_EQUAL(r->notp, 1);
	CU_ASSERT_EQUAL(r->nskus, 3);
	CU_ASSERT_EQUAL(r->nenvs, 1);
	const struct ts_prov_sku *s = ts_prov_sku(r, "demo_ext");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(s->e.valid);
	CU_ASSERT_STRING_EQUAL(s->device_libs[0].spec, "builtin:example");
	CU_ASSERT_STRING_EQUAL(ts_prov_sku(r, "demo_dice_cwt")->dice_format, "cwt");
	/* CWT is declared but refused when used. */
	struct ts_otp_args a = { .mode = "testing", .sku = "demo_dice_cwt" };
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_otp_resolve_sku(r, &a), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("CWT certificates, which are not supported");
	ts_prov_free(r);
}

static void
test_prov_downstream_adds_and_overrides(void)
{
	char cfg[2048];
	make_ext_dir();
	(void)snprintf(cfg, sizeof(cfg),
		       "{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { %s } }\n"
		       "  EXT_SKUS: { acme: { %s } }\n  EXT_EXEC_ENVS: {} }\n", otp_body, sku_body);
	struct ts_prov_registry *r = load_with(cfg);
	CU_ASSERT_EQUAL(r->nproblems, 0);
	const struct ts_prov_sku *s = ts_prov_sku(r, "acme");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->e.origin, TS_PROV_DOWNSTREAM);
	CU_ASSERT(s->e.valid);
	CU_ASSERT_EQUAL(r->nskus, 4);
	ts_prov_free(r);
	/* A clash is an error; override: true replaces the built-in entry and says so. */
	(void)snprintf(cfg, sizeof(cfg),
		       "{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { %s } }\n"
		       "  EXT_SKUS: { demo: { %s } } }\n", otp_body, sku_body);
	r = load_with(cfg);
	has_problem(r, "cfg.hjson:4:21: SKU 'demo' is already defined in");
	has_problem(r, "set override: true to replace it");
	CU_ASSERT(!ts_prov_sku(r, "demo")->e.overrides);
	ts_prov_free(r);
	(void)snprintf(cfg, sizeof(cfg),
		       "{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { %s } }\n"
		       "  EXT_SKUS: { demo: { override: true, %s } } }\n", otp_body, sku_body);
	r = load_with(cfg);
	CU_ASSERT_EQUAL(r->nproblems, 0);
	CU_ASSERT(ts_prov_sku(r, "demo")->e.overrides);
	CU_ASSERT_STRING_EQUAL(ts_prov_sku(r, "demo")->otp, "xy01");
	ts_prov_free(r);
}

static void
test_prov_refusals(void)
{
	char cfg[2048];
	make_ext_dir();
	(void)snprintf(cfg, sizeof(cfg),
		       "{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { %s, colour: \"red\" } }\n}\n", otp_body);
	struct ts_prov_registry *r = load_with(cfg);
	has_problem(r, "OTP configuration 'xy01': unknown key 'colour'");
	ts_prov_free(r);
	r = load_with("{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { mmap: \"../../../etc/hostname\",\n"
		      "    lc_state: \"otp/top_demo_lc_ctrl_state.hjson\", base: \"otp/dm00_baseline.hjson\" } } }\n");
	has_problem(r, "cfg.hjson:2:33: mmap: ../../../etc/hostname leaves");
	ts_prov_free(r);
	char link[8400];
	(void)snprintf(link, sizeof(link), "%s/otp/escape.hjson", ext);
	CU_ASSERT_EQUAL(symlink("/etc/hostname", link), 0);
	r = load_with("{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { xy01: { mmap: \"otp/escape.hjson\",\n"
		      "    lc_state: \"otp/top_demo_lc_ctrl_state.hjson\", base: \"otp/dm00_baseline.hjson\" } } }\n");
	has_problem(r, "mmap: otp/escape.hjson leaves");
	ts_prov_free(r);
	r = load_with("{ schema: \"tapeseal-prov-registry/1\", EXT_SKUS: { bad: {} }, extra: 1 }\n");
	has_problem(r, "schema must be \"tapeseal-prov-ext/1\"");
	has_problem(r, "the registry: unknown key 'extra'");
	has_problem(r, "SKU 'bad': 'otp' is required");
	ts_prov_free(r);
	(void)snprintf(cfg, sizeof(cfg), "{ schema: \"tapeseal-prov-ext/1\"\n  EXT_OTP_CFGS: { XY: { %s } }\n"
					 "  EXT_SKUS: { acme: { %s } } }\n", otp_body, sku_body);
	r = load_with(cfg);
	has_problem(r, "OTP configuration 'XY': names are two letters and two hex digits");
	has_problem(r, "SKU 'acme': otp 'xy01' names no OTP configuration");
	ts_prov_free(r);
}

static struct ts_buf logbuf;

static void
record_log(const char *msg)
{
	ts_result_ignore(ts_buf_printf(&logbuf, "%s;", msg));
}

static ts_result
load_libs(const char *const *specs, size_t n, struct ts_prov_exts *exts, const char *pin)
{
	struct ts_prov_lib libs[TS_PROV_MAX_LIBS];
	memset(libs, 0, sizeof(libs));
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(libs[i].spec, sizeof(libs[i].spec), "%s", specs[i]);
		(void)snprintf(libs[i].path, sizeof(libs[i].path), "%s/lib/%s", ext, specs[i] + 10);
		(void)snprintf(libs[i].pin, sizeof(libs[i].pin), "%s", pin != NULL ? pin : "");
	}
	ts_error_clear();
	return ts_prov_ext_load(ext, libs, n, "acme", 1, exts);
}

static void
test_prov_hooks_in_list_order(void)
{
	static const char *const specs[] = { "@exts/lib/b.so", "@exts/lib/a.so" };
	struct ts_prov_exts exts;
	struct ts_device_api api = { .size = sizeof(api), .log = record_log };
	struct ts_perso_blob blob = { 0 };
	struct ts_cert_layout layout[TS_CERT_LAYOUTS] = { { 0 } };
	struct ts_certgen_inputs in = { { 0 }, { 0 }, 0 };
	make_ext_dir();
	copy_ext("ext_a", "a.so", 0644);
	copy_ext("ext_b", "b.so", 0644);
	CU_ASSERT_TS_OK(load_libs(specs, 2, &exts, NULL));
	struct ts_pre_endorse pre = { .size = sizeof(pre), .certgen_inputs = &in, .perso_blob_to_host = &blob,
				      .cert_nvm_layout = layout, .api = &api };
	struct ts_post_endorse post = { .size = sizeof(post), .perso_blob_from_host = &blob, .cert_nvm_layout = layout,
					.api = &api };
	logbuf.len = 0;
	CU_ASSERT_TS_OK(ts_prov_ext_pre_endorse(&exts, &pre));
	CU_ASSERT_TS_OK(ts_prov_ext_post_endorse(&exts, &post));
	CU_ASSERT_TS_OK(ts_buf_append(&logbuf, "", 1));
	CU_ASSERT_STRING_EQUAL((const char *)logbuf.data, "pre b@acme;pre a@acme;post b@acme;post a@acme;");
	CU_ASSERT_EQUAL(strlen(exts.l[0].sha256), 64);
	ts_prov_ext_unload(&exts);
	/* A failing hook aborts, naming the library. */
	static const char *const failing[] = { "@exts/lib/a.so", "@exts/lib/fail.so" };
	copy_ext("ext_fail", "fail.so", 0644);
	CU_ASSERT_TS_OK(load_libs(failing, 2, &exts, NULL));
	logbuf.len = 0;
	CU_ASSERT_TS_ERR(ts_prov_ext_pre_endorse(&exts, &pre), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("extension @exts/lib/fail.so (fail): pre_cert_endorse returned -5");
	ts_prov_ext_unload(&exts);
	ts_buf_free(&logbuf);
}

static void
loader_refuses(const char *spec, const char *pin, const char *needle)
{
	struct ts_prov_exts exts;
	ts_result r = load_libs(&spec, 1, &exts, pin);
	CU_ASSERT_NOT_EQUAL(r.code, 0);
	if (strstr(ts_last_error_message(), needle) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), needle);
	}
	CU_ASSERT_MSG_HAS(needle);
	CU_ASSERT_EQUAL(exts.n, 0);
}

static void
test_prov_loader_refusals(void)
{
	char path[8400], other[8400];
	make_ext_dir();
	copy_ext("ext_a", "a.so", 0644);
	copy_ext("ext_abi2", "abi2.so", 0644);
	copy_ext("ext_short", "short.so", 0644);
	copy_ext("ext_noentry", "noentry.so", 0644);
	loader_refuses("@exts/lib/abi2.so", NULL, "ABI major 2; this tapeseal loads ABI 1");
	loader_refuses("@exts/lib/short.so", NULL, "struct_size 16 is shorter than ABI 1.0's");
	loader_refuses("@exts/lib/noentry.so", NULL, "no tapeseal_prov_ext_v1 entry point");
	loader_refuses("@exts/lib/a.so", "0000000000000000000000000000000000000000000000000000000000000000",
		       "does not match the pinned");
	(void)snprintf(path, sizeof(path), "%s/lib/a.so", ext);
	CU_ASSERT_EQUAL(chmod(path, 0666), 0);
	loader_refuses("@exts/lib/a.so", NULL, "a.so is writable by group or others");
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	(void)snprintf(path, sizeof(path), "%s/lib", ext);
	CU_ASSERT_EQUAL(chmod(path, 0777), 0);
	loader_refuses("@exts/lib/a.so", NULL, "/lib is writable by group or others");
	CU_ASSERT_EQUAL(chmod(path, 0755), 0);
	/* Outside lib/: a symlink in lib/ to a library elsewhere. */
	(void)snprintf(path, sizeof(path), "%s/lib/elsewhere.so", ext);
	(void)snprintf(other, sizeof(other), "%s/fw/a.so", ext);
	char src[8400];
	(void)snprintf(src, sizeof(src), "%s/lib/a.so", ext);
	char cmd[20000];
	(void)snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, other);
	CU_ASSERT_EQUAL(system(cmd), 0);
	CU_ASSERT_EQUAL(symlink(other, path), 0);
	loader_refuses("@exts/lib/elsewhere.so", NULL, "extensions load only from $PROV_EXTS_DIR/lib");
	/* The pin, when right, is accepted. */
	struct ts_prov_exts exts;
	static const char *const a[] = { "@exts/lib/a.so" };
	CU_ASSERT_TS_OK(load_libs(a, 1, &exts, NULL));
	char pin[65];
	memcpy(pin, exts.l[0].sha256, 65);
	ts_prov_ext_unload(&exts);
	CU_ASSERT_TS_OK(load_libs(a, 1, &exts, pin));
	ts_prov_ext_unload(&exts);
}

static int
setup(void)
{
	ts_test_tmpdir(tmp, sizeof(tmp));
	(void)snprintf(ext, sizeof(ext), "%s/ext", tmp);
	ts_test_source_path(builtin, sizeof(builtin), "policies/prov/registry.hjson");
	return 0;
}

static int
teardown(void)
{
	ts_test_rm_rf(tmp);
	return 0;
}

static CU_TestInfo prov_tests[] = {
	{ "builtin_registry", test_prov_builtin_registry },
	{ "downstream_adds_and_overrides", test_prov_downstream_adds_and_overrides },
	{ "refusals", test_prov_refusals },
	{ "hooks_in_list_order", test_prov_hooks_in_list_order },
	{ "loader_refusals", test_prov_loader_refusals },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "prov", setup, teardown, NULL, NULL, prov_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
