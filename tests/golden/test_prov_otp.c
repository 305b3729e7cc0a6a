#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/lib/ts_test.h"

/*
 * Per-SKU OTP through a downstream extension directory: the earlgrey memory
 * map, life-cycle definition and image configurations of the reference are
 * copied into a PROV_EXTS_DIR built here, with an OTP configuration and a SKU
 * naming them.  Then, through the tapeseal binary:
 *  - 'otp-image --sku' must equal OpenTitan's hjson_dev.24.vmem, which
 *    gen-otp-img built from the same files (otp/MANIFEST.txt);
 *  - every item 'otp-consts --sku' lists must hold, byte for byte, the value
 *    that reference image holds at the item's offset, and the image's
 *    comment for those words must name the same partition and item.
 */
#define VMEM_WORDS 1024

static const char *ref;
static char tmp[1024], ext[1100], secrets[4096];

struct vmem {
	unsigned words[VMEM_WORDS];
	char names[VMEM_WORDS][96];
	size_t n;
};

static void
run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "  command failed (%d): %s\n", rc, cmd);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void
put(const char *rel, const char *text)
{
	char path[2048];
	CU_ASSERT_FATAL(snprintf(path, sizeof(path), "%s/%s", ext, rel) < (int)sizeof(path));
	CU_ASSERT_EQUAL_FATAL(ts_test_write(path, text), 0);
}

static void
make_ext_dir(void)
{
	char cmd[16384];
	const char *eg = "opentitan/top_earlgrey", *img = "opentitan/otp/inputs/img_cfg/otp_ctrl_img";
	CU_ASSERT_FATAL(snprintf(cmd, sizeof(cmd),
				 "mkdir -p '%s/lib' '%s/otp' '%s/skus' '%s/ca/eg' '%s/fw' && chmod 755 '%s' && "
				 "cp '%s/%s/otp_ctrl_mmap.hjson' '%s/%s/lc_ctrl_state.hjson' '%s/%s_dev.hjson' "
				 "'%s/%s_creator_sw_cfg.hjson' '%s/%s_owner_sw_cfg.hjson' '%s/%s_hw_cfg.hjson' '%s/otp/'",
				 ext, ext, ext, ext, ext, ext, ref, eg, ref, eg, ref, img, ref, img, ref, img, ref, img,
				 ext) < (int)sizeof(cmd));
	run(cmd);
	put("fw/rom_ext.bin", "rom_ext\n");
	put("fw/owner_fw.bin", "owner_fw\n");
	put("ca/eg/README", "CA certificates of the eg SKU.\n");
	put("skus/eg.hjson", "{ name: \"eg_dev\", dice_ca: { key_type: \"Token\", key: \"eg-dice-ca\" } }\n");
	put("cfg.hjson",
	    "{\n"
	    "  schema: \"tapeseal-prov-ext/1\"\n"
	    "  EXT_OTP_CFGS: {\n"
	    "    eg00: {\n"
	    "      mmap: \"otp/otp_ctrl_mmap.hjson\", lc_state: \"otp/lc_ctrl_state.hjson\"\n"
	    "      base: \"otp/otp_ctrl_img_dev.hjson\"\n"
	    "      overlays: [ \"otp/otp_ctrl_img_creator_sw_cfg.hjson\", \"otp/otp_ctrl_img_owner_sw_cfg.hjson\",\n"
	    "                  \"otp/otp_ctrl_img_hw_cfg.hjson\" ]\n"
	    "    }\n"
	    "  }\n"
	    "  EXT_SKUS: {\n"
	    "    eg_dev: {\n"
	    "      otp: \"eg00\", ca_data: \"ca/eg\", dice_format: \"x509\", host_ext_libs: [], device_ext_libs: []\n"
	    "      rom_ext: \"fw/rom_ext.bin\", owner_fw: \"fw/owner_fw.bin\", ecdsa_key: {}, spx_key: {}\n"
	    "      signature_prefix: \"\", orchestrator_cfg: \"skus/eg.hjson\"\n"
	    "    }\n"
	    "  }\n"
	    "  EXT_EXEC_ENVS: {}\n"
	    "}\n");
}

/* "@000020 000000 // CREATOR_SW_CFG: CREATOR_SW_CFG_AST_CFG" lines, in address order. */
static void
read_vmem(const char *path, struct vmem *v)
{
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char line[512];
	v->n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned addr, word;
		char name[96] = "";
		if (line[0] != '@')
			continue;
		int got = sscanf(line, "@%x %x // %95[^\n]", &addr, &word, name);
		CU_ASSERT_FATAL(got >= 2 && addr == v->n && addr < VMEM_WORDS);
		v->words[addr] = word;
		memcpy(v->names[addr], name, sizeof(name));
		v->n++;
	}
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(v->n, VMEM_WORDS);
}

static void
test_prov_otp_image_is_the_reference(void)
{
	char cmd[16384], out[2048], want[4096];
	TS_BUF(a);
	TS_BUF(b);
	(void)snprintf(out, sizeof(out), "%s/eg_dev.24.vmem", tmp);
	(void)snprintf(want, sizeof(want), "%s/opentitan/otp/outputs/hjson_dev.24.vmem", ref);
	CU_ASSERT_FATAL(snprintf(cmd, sizeof(cmd), "PROV_EXTS_DIR='%s' '%s' otp-image --sku eg_dev --secrets '%s' --out '%s'",
				 ext, TS_TAPESEAL_BIN, secrets, out) < (int)sizeof(cmd));
	run(cmd);
	CU_ASSERT_EQUAL_FATAL(ts_test_read(out, &a), 0);
	CU_ASSERT_EQUAL_FATAL(ts_test_read(want, &b), 0);
	CU_ASSERT_EQUAL(a.len, b.len);
	CU_ASSERT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
}

static void
test_prov_otp_consts_match_the_image(void)
{
	char cmd[16384], out[2048], want[4096];
	static struct vmem v;
	(void)snprintf(out, sizeof(out), "%s/eg_dev.consts.json", tmp);
	(void)snprintf(want, sizeof(want), "%s/opentitan/otp/outputs/hjson_dev.24.vmem", ref);
	CU_ASSERT_FATAL(snprintf(cmd, sizeof(cmd), "PROV_EXTS_DIR='%s' '%s' otp-consts --sku eg_dev --secrets '%s' > '%s'", ext,
				 TS_TAPESEAL_BIN, secrets, out) < (int)sizeof(cmd));
	run(cmd);
	read_vmem(want, &v);
	json_error_t err;
	json_t *j = json_load_file(out, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "otp_cfg")), "eg00");
	json_t *parts = json_object_get(j, "partitions");
	const char *pname;
	json_t *items;
	size_t nitems = 0, nbytes = 0, ndeferred = 0, nonzero = 0;
	json_object_foreach(parts, pname, items) {
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			const char *item = json_string_value(json_object_get(it, "item"));
			size_t off = (size_t)json_integer_value(json_object_get(it, "offset"));
			size_t size = (size_t)json_integer_value(json_object_get(it, "size"));
			json_t *words = json_object_get(it, "words");
			char label[256];
			CU_ASSERT_FATAL(item != NULL && off % 2 == 0 && off + size <= 2 * VMEM_WORDS);
			CU_ASSERT_EQUAL_FATAL(json_array_size(words), (size + 3) / 4);
			(void)snprintf(label, sizeof(label), "%s: %s", pname, item);
			for (size_t k = 0; k < size; k++) {
				unsigned long w = strtoul(json_string_value(json_array_get(words, k / 4)), NULL, 16);
				unsigned have = (unsigned)(w >> (8 * (k % 4))) & 0xffu;
				size_t word = (off + k) / 2;
				unsigned img = (v.words[word] >> (8 * ((off + k) % 2))) & 0xffu;
				if (have != img || strcmp(v.names[word], label) != 0)
					fprintf(stderr, "  %s byte %zu: consts 0x%02x, image 0x%02x ('%s')\n", label, k, have,
						img, v.names[word]);
				CU_ASSERT_EQUAL(have, img);
				CU_ASSERT_STRING_EQUAL(v.names[word], label);
				nonzero += img != 0;
			}
			nitems++;
			nbytes += size;
			ndeferred += json_is_true(json_object_get(it, "deferred"));
		}
	}
	/* The earlgrey creator and owner overlays set dozens of items, some of them deferred. */
	CU_ASSERT_PTR_NOT_NULL(json_object_get(parts, "CREATOR_SW_CFG"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(parts, "OWNER_SW_CFG"));
	CU_ASSERT(nitems >= 30);
	CU_ASSERT(ndeferred >= 1);
	CU_ASSERT(nonzero >= 32);
	printf("  [%zu items, %zu bytes, %zu deferred, %zu nonzero bytes compared] ", nitems, nbytes, ndeferred, nonzero);
	json_decref(j);
}

static void
test_prov_otp_ext_dir_is_accepted(void)
{
	char cmd[4096];
	make_ext_dir();
	CU_ASSERT_FATAL(snprintf(cmd, sizeof(cmd), "PROV_EXTS_DIR='%s' '%s' prov show eg_dev >/dev/null", ext,
				 TS_TAPESEAL_BIN) < (int)sizeof(cmd));
	run(cmd);
}

static CU_TestInfo tests[] = {
	{ "ext_dir_is_accepted", test_prov_otp_ext_dir_is_accepted },
	{ "otp_image_is_the_reference", test_prov_otp_image_is_the_reference },
	{ "otp_consts_match_the_image", test_prov_otp_consts_match_the_image },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	CU_SuiteInfo suites[] = { { "prov_otp", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	ref = ts_test_reference_required("prov_otp");
	ts_test_tmpdir(tmp, sizeof(tmp));
	(void)snprintf(ext, sizeof(ext), "%s/ext", tmp);
	(void)snprintf(secrets, sizeof(secrets), "%s/opentitan/top_earlgrey/top_earlgrey.secrets.testing.gen.hjson", ref);
	int rc = ts_test_main(suites);
	ts_test_rm_rf(tmp);
	return rc;
}
