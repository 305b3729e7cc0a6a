#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "common/ft/ts_ft.h"
#include "common/ft/ts_ujson.h"
#include "tests/lib/ts_test.h"

/* FT helpers shared by the simulated device and the host: pages, hashes, measurements, console framing. */
static uint8_t cert_a[300], cert_b[700];

static void
fill(uint8_t *c, size_t n, uint8_t k)
{
	c[0] = 0x30, c[1] = 0x82, c[2] = (uint8_t)((n - 4) >> 8), c[3] = (uint8_t)(n - 4);
	for (size_t i = 4; i < n; i++) {
		c[i] = (uint8_t)(i * k);
	}
}

static void
page_round_trip(unsigned v)
{
	static struct ts_perso_blob b;
	static struct ts_perso_parsed p;
	static uint8_t page[TS_FT_PAGE_SIZE];
	struct ts_perso_obj got[4];
	size_t n = 0;
	CU_ASSERT_TS_OK(ts_perso_init(&b, v));
	CU_ASSERT_TS_OK(ts_perso_push_cert(&b, v, TS_PERSO_X509_CERT, "CDI_0", cert_a, sizeof(cert_a)));
	CU_ASSERT_TS_OK(ts_perso_push_cert(&b, v, TS_PERSO_X509_CERT, "CDI_1", cert_b, sizeof(cert_b)));
	CU_ASSERT_TS_OK(ts_perso_parse(&b, v, &p));
	const struct ts_perso_obj *objs[2] = { &p.obj[v], &p.obj[v + 1] };
	CU_ASSERT_TS_OK(ts_ft_page_build(v, objs, 2, 1, page));
	/* Layout: [version padded to 8], CDI_0 at an 8-byte boundary, CDI_1 at the next one. */
	size_t hl = v ? 8u : 4u, first = v ? 8u : 0u, size0 = hl + 5 + sizeof(cert_a);
	size_t second = (first + (size0 + 3) / 4 * 4 + 7) / 8 * 8;
	CU_ASSERT_EQUAL(memcmp(page + first + hl + 5, cert_a, sizeof(cert_a)), 0);
	CU_ASSERT_EQUAL(memcmp(page + second + hl + 5, cert_b, sizeof(cert_b)), 0);
	uint8_t d[32];
	SHA256(page, TS_FT_PAGE_SIZE - 32, d);
	CU_ASSERT_EQUAL(memcmp(page + TS_FT_PAGE_SIZE - 32, d, 32), 0);
	CU_ASSERT_TS_OK(ts_ft_page_parse(page, v, 1, got, 4, &n));
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(got[0].name, "CDI_0");
	CU_ASSERT(got[1].len == sizeof(cert_b) && memcmp(got[1].data, cert_b, sizeof(cert_b)) == 0);
	page[second + 40] ^= 1;
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_ft_page_parse(page, v, 1, got, 4, &n), TS_ERR_SCHEMA);
	CU_ASSERT_MSG_HAS("page digest does not match");
}

static void
test_ft_pages(void)
{
	fill(cert_a, sizeof(cert_a), 3);
	fill(cert_b, sizeof(cert_b), 5);
	page_round_trip(0);
	page_round_trip(1);
}

static void
test_ft_pack_hash(void)
{
	uint8_t d[32];
	uint32_t w[8];
	for (int i = 0; i < 32; i++) {
		d[i] = (uint8_t)i;
	}
	ts_ft_pack_hash(d, w);
	/* Reversed: 31 30 29 28 ... packed little-endian: word 0 = 0x1c1d1e1f. */
	CU_ASSERT_EQUAL(w[0], 0x1c1d1e1fu);
	CU_ASSERT_EQUAL(w[7], 0x00010203u);
}

static void
test_ft_measure(void)
{
	json_error_t err;
	json_t *parts = json_loads("{\"CREATOR_SW_CFG\": ["
				   "{\"item\": \"A\", \"offset\": 0, \"size\": 4, \"words\": [\"0x11223344\"], \"deferred\": false},"
				   "{\"item\": \"B\", \"offset\": 4, \"size\": 8, \"words\": [\"0x00000001\", \"0xa0b0c0d0\"], \"deferred\": true}]}",
				   0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parts);
	uint8_t m[32], want[32], empty[32];
	static const uint8_t bytes[12] = { 0x44, 0x33, 0x22, 0x11, 0x01, 0, 0, 0, 0xd0, 0xc0, 0xb0, 0xa0 };
	SHA256(bytes, sizeof(bytes), want);
	SHA256((const uint8_t *)"", 0, empty);
	CU_ASSERT_TS_OK(ts_ft_measure(parts, "CREATOR_SW_CFG", NULL, m));
	CU_ASSERT_EQUAL(memcmp(m, want, 32), 0);
	CU_ASSERT_TS_OK(ts_ft_measure(parts, "ROT_CREATOR_AUTH_STATE", NULL, m));
	CU_ASSERT_EQUAL(memcmp(m, empty, 32), 0);
	/* Programmed values replace the listed ones, except for deferred items. */
	json_t *prog = json_pack("{s:s}", "A", "45332211");
	CU_ASSERT_TS_OK(ts_ft_measure(parts, "CREATOR_SW_CFG", prog, m));
	CU_ASSERT_NOT_EQUAL(memcmp(m, want, 32), 0);
	json_object_set_new(prog, "A", json_string("44332211"));
	CU_ASSERT_TS_OK(ts_ft_measure(parts, "CREATOR_SW_CFG", prog, m));
	CU_ASSERT_EQUAL(memcmp(m, want, 32), 0);
	json_object_del(prog, "A");
	CU_ASSERT_TS_ERR(ts_ft_measure(parts, "CREATOR_SW_CFG", prog, m), TS_ERR_SCHEMA);
	json_decref(prog);
	json_decref(parts);
}

static void
test_ft_console_framing(void)
{
	TS_BUF(line);
	json_t *j = json_pack("{s:[I,I]}", "hash", (json_int_t)1, (json_int_t)2), *back = NULL;
	CU_ASSERT_TS_OK(ts_ujson_resp(j, &line));
	CU_ASSERT(strncmp((const char *)line.data, "RESP_OK:{\"hash\":[1,2]} CRC:", 27) == 0);
	((char *)line.data)[line.len - 1] = '\0'; /* drop the newline */
	CU_ASSERT_TS_OK(ts_ujson_parse((const char *)line.data, 1, &back));
	CU_ASSERT(json_equal(j, back));
	json_decref(back);
	/* CRC-32 (IEEE) check value. */
	CU_ASSERT_EQUAL(ts_crc32("123456789", 9), 0xcbf43926u);
	TS_BUF(msg);
	CU_ASSERT_TS_OK(ts_ujson_msg(j, TS_UJSON_MAX_TOKEN_HASH, 1, &msg));
	CU_ASSERT(strstr((const char *)msg.data, "} ") != NULL && msg.len > TS_UJSON_MAX_TOKEN_HASH);
	((char *)msg.data)[msg.len - 1] = '\0';
	CU_ASSERT_TS_OK(ts_ujson_parse((const char *)msg.data, 0, &back));
	json_decref(back);
	/* Certificate inputs whose key IDs are all 3-digit bytes exceed upstream's 215: sent whole, still parsed. */
	uint64_t big[20];
	for (size_t i = 0; i < 20; i++) {
		big[i] = 200 + i;
	}
	json_t *cg = json_pack("{s:o,s:o,s:i}", "dice_auth_key_key_id", ts_ujson_array(big, 20), "ext_auth_key_key_id",
			       ts_ujson_array(big, 20), "blob_version", 1);
	TS_BUF(cgm);
	CU_ASSERT_TS_OK(ts_ujson_msg(cg, TS_UJSON_MAX_CERTGEN, 0, &cgm));
	CU_ASSERT(cgm.len > TS_UJSON_MAX_CERTGEN + 1);
	((char *)cgm.data)[cgm.len - 1] = '\0';
	CU_ASSERT_TS_OK(ts_ujson_parse((const char *)cgm.data, 0, &back));
	CU_ASSERT(json_equal(cg, back));
	json_decref(back);
	json_decref(cg);
	/* A wrong CRC is refused. */
	char bad[128];
	(void)snprintf(bad, sizeof(bad), "{\"hash\":[1,3]} CRC:%u", (unsigned)ts_crc32("{\"hash\":[1,2]}", 14));
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_ujson_parse(bad, 0, &back), TS_ERR_PARSE);
	CU_ASSERT_MSG_HAS("CRC does not match");
	json_decref(j);
}

static CU_TestInfo ft_tests[] = {
	{ "pages", test_ft_pages },
	{ "pack_hash", test_ft_pack_hash },
	{ "measure", test_ft_measure },
	{ "console_framing", test_ft_console_framing },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "ft", NULL, NULL, NULL, NULL, ft_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
