#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ft/ts_perso.h"
#include "tests/lib/ts_test.h"

/*
 * The perso blob codec against the worked bytes of spec/provisioning.md
 * A3.6 (written out here by hand from the spec's bit layouts), round trips,
 * and one refusal per malformed case of B8.1, each with its own error.
 */
static uint8_t tbs[400], cert[300], hash32[32], seed128[128];

static void
fill(void)
{
	/* A DER SEQUENCE of 400 bytes: 30 82 01 8c and 396 content bytes. */
	tbs[0] = 0x30, tbs[1] = 0x82, tbs[2] = 0x01, tbs[3] = 0x8c;
	for (size_t i = 4; i < sizeof(tbs); i++) {
		tbs[i] = (uint8_t)(i * 7 + 1);
	}
	cert[0] = 0x30, cert[1] = 0x82, cert[2] = 0x01, cert[3] = 0x28; /* 4 + 296 */
	for (size_t i = 4; i < sizeof(cert); i++) {
		cert[i] = (uint8_t)(i * 13 + 5);
	}
	for (size_t i = 0; i < sizeof(hash32); i++) {
		hash32[i] = (uint8_t)(0xa0 + i);
	}
	for (size_t i = 0; i < sizeof(seed128); i++) {
		seed128[i] = (uint8_t)i;
	}
}

/* The blob a device sends: [version] UDS TBS, CDI_0, DevSeed, WAS HMAC, device ID, self-hash. */
static void
device_blob(struct ts_perso_blob *b, unsigned v)
{
	CU_ASSERT_TS_OK(ts_perso_init(b, v));
	CU_ASSERT_TS_OK(ts_perso_push_cert(b, v, TS_PERSO_X509_TBS, "UDS", tbs, sizeof(tbs)));
	CU_ASSERT_TS_OK(ts_perso_push_cert(b, v, TS_PERSO_X509_CERT, "CDI_0", cert, sizeof(cert)));
	CU_ASSERT_TS_OK(ts_perso_push_object(b, v, TS_PERSO_DEV_SEED, seed128, sizeof(seed128)));
	CU_ASSERT_TS_OK(ts_perso_push_object(b, v, TS_PERSO_WAS_HMAC, hash32, sizeof(hash32)));
	CU_ASSERT_TS_OK(ts_perso_push_object(b, v, TS_PERSO_DEVICE_ID, hash32, sizeof(hash32)));
	CU_ASSERT_TS_OK(ts_perso_push_object(b, v, TS_PERSO_SHA256_HASH, hash32, sizeof(hash32)));
}

static void
test_perso_golden_v0(void)
{
	static struct ts_perso_blob b;
	device_blob(&b, 0);
	static const uint8_t uds_head[] = { 0x01, 0x97, 0x31, 0x95, 'U', 'D', 'S' };
	CU_ASSERT_EQUAL(memcmp(b.body, uds_head, sizeof(uds_head)), 0);
	CU_ASSERT_EQUAL(memcmp(b.body + 7, tbs, sizeof(tbs)), 0);
	size_t off = 407;
	/* CDI_0: type 1, size 2 + 2 + 5 + 300 = 309 = 0x135; wrapped 307 = 0x133 with name length 5. */
	static const uint8_t cdi_head[] = { 0x11, 0x35, 0x51, 0x33, 'C', 'D', 'I', '_', '0' };
	CU_ASSERT_EQUAL(memcmp(b.body + off, cdi_head, sizeof(cdi_head)), 0);
	off += 309;
	CU_ASSERT(b.body[off] == 0x20 && b.body[off + 1] == 0x82); /* DevSeed */
	off += 130;
	CU_ASSERT(b.body[off] == 0x40 && b.body[off + 1] == 0x22); /* WAS HMAC */
	off += 34;
	CU_ASSERT(b.body[off] == 0x50 && b.body[off + 1] == 0x22); /* device ID */
	off += 34;
	CU_ASSERT(b.body[off] == 0x70 && b.body[off + 1] == 0x22); /* self-hash */
	off += 34;
	CU_ASSERT_EQUAL(b.next_free, off);
	CU_ASSERT_EQUAL(b.num_objs, 6);
	CU_ASSERT_EQUAL(ts_perso_version(&b), 0);
	/* A size above 0x7ff uses all 12 bits: 2 + 2 + 3 + 2100 = 2107 = 0x83b, wrapped 2105 = 0x839. */
	static uint8_t big[2100];
	big[0] = 0x30, big[1] = 0x82, big[2] = 0x08, big[3] = 0x30;
	static const uint8_t big_head[] = { 0x18, 0x3b, 0x38, 0x39, 'B', 'I', 'G' };
	CU_ASSERT_TS_OK(ts_perso_init(&b, 0));
	CU_ASSERT_TS_OK(ts_perso_push_cert(&b, 0, TS_PERSO_X509_CERT, "BIG", big, sizeof(big)));
	CU_ASSERT_EQUAL(memcmp(b.body, big_head, sizeof(big_head)), 0);
	static struct ts_perso_parsed p;
	CU_ASSERT_TS_OK(ts_perso_parse(&b, 0, &p));
	CU_ASSERT(p.n == 1 && p.obj[0].len == sizeof(big));
}

static void
test_perso_golden_v1(void)
{
	static struct ts_perso_blob b;
	device_blob(&b, 1);
	static const uint8_t head[] = { 0xf0, 0x04, 0x00, 0x01, 0x00, 0x00, 0x01, 0x9b, 0x03, 0x00, 0x01, 0x97,
					'U',  'D',  'S' };
	CU_ASSERT_EQUAL(memcmp(b.body, head, sizeof(head)), 0);
	size_t off = 4 + 411;
	static const uint8_t cdi_head[] = { 0x01, 0x00, 0x01, 0x39, 0x05, 0x00, 0x01, 0x35 };
	CU_ASSERT_EQUAL(memcmp(b.body + off, cdi_head, sizeof(cdi_head)), 0);
	off += 4 + 4 + 5 + 300;
	static const uint8_t seed_head[] = { 0x02, 0x00, 0x00, 0x84 };
	CU_ASSERT_EQUAL(memcmp(b.body + off, seed_head, 4), 0);
	off += 132;
	static const uint8_t was_head[] = { 0x04, 0x00, 0x00, 0x24 };
	CU_ASSERT_EQUAL(memcmp(b.body + off, was_head, 4), 0);
	off += 3 * 36;
	CU_ASSERT_EQUAL(b.next_free, off);
	CU_ASSERT_EQUAL(b.num_objs, 7);
	CU_ASSERT_EQUAL(ts_perso_version(&b), 1);
}

/* build -> parse -> build from the parsed objects gives the same bytes. */
static void
round_trip(unsigned v)
{
	static struct ts_perso_blob a, c;
	static struct ts_perso_parsed p;
	device_blob(&a, v);
	CU_ASSERT_TS_OK(ts_perso_parse(&a, v, &p));
	CU_ASSERT_EQUAL(p.version, v);
	CU_ASSERT_EQUAL_FATAL(p.n, 6 + v);
	CU_ASSERT_STRING_EQUAL(p.obj[v].name, "UDS");
	CU_ASSERT_EQUAL(p.obj[v].len, sizeof(tbs));
	CU_ASSERT_STRING_EQUAL(p.obj[v + 1].name, "CDI_0");
	CU_ASSERT_EQUAL(p.obj[v + 5].type, TS_PERSO_SHA256_HASH);
	CU_ASSERT_TS_OK(ts_perso_init(&c, v));
	for (size_t i = v; i < p.n; i++) {
		const struct ts_perso_obj *o = &p.obj[i];
		if (o->name[0] != '\0') {
			CU_ASSERT_TS_OK(ts_perso_push_cert(&c, v, o->type, o->name, o->data, o->len));
		} else {
			CU_ASSERT_TS_OK(ts_perso_push_object(&c, v, o->type, o->data, o->len));
		}
	}
	CU_ASSERT_EQUAL(memcmp(&a, &c, sizeof(a)), 0);
}

static void
test_perso_round_trip(void)
{
	round_trip(0);
	round_trip(1);
}

/* Builds a blob, lets mutate break it, and expects exactly error e. */
struct refusal {
	const char *what;
	unsigned version;
	void (*mutate)(struct ts_perso_blob *b);
	enum ts_perso_error e;
};

static void m_size0(struct ts_perso_blob *b) { b->body[b->next_free] = 0, b->next_free += 2, b->num_objs++; }
static void m_overrun_v0(struct ts_perso_blob *b) { b->body[b->next_free - 33] = 0x23; } /* self-hash 34 -> 35 */
static void m_overrun_v1(struct ts_perso_blob *b) { b->body[b->next_free - 33] = 0x25; }
static void m_wrapped(struct ts_perso_blob *b) { b->body[3] = 0x96; }                   /* UDS wrapped 405 -> 406 */
static void m_type(struct ts_perso_blob *b) { b->body[b->next_free - 34] = 0x80; }      /* self-hash type 7 -> 8 */
static void m_tail(struct ts_perso_blob *b) { b->body[b->next_free + 10] = 1; }
static void m_count_up(struct ts_perso_blob *b) { b->num_objs++; }
static void m_count_down(struct ts_perso_blob *b) { b->num_objs--; }
static void m_next_free(struct ts_perso_blob *b) { b->next_free = TS_PERSO_BLOB_MAX + 1; }
static void m_version_size(struct ts_perso_blob *b) { b->body[1] = 0x05; }
static void m_version(struct ts_perso_blob *b) { b->body[3] = 0x02; }
static void m_version_zero(struct ts_perso_blob *b) { b->body[3] = 0x00; }
static void m_name_zero(struct ts_perso_blob *b) { b->body[2] = 0x01; }                 /* V0 UDS name_len 3 -> 0 */
static void m_name(struct ts_perso_blob *b) { b->body[5] = '\n'; }
static void m_der(struct ts_perso_blob *b) { b->body[407 + 9 + 3] = 0x29; }             /* CDI_0 DER length + 1 */

static void
m_name16_v1(struct ts_perso_blob *b)
{
	b->body[8] = 16; /* UDS cert header name_len; the wrapped size still matches */
}

static void
m_v0_in_v1(struct ts_perso_blob *b)
{
	/* What upstream's log_self_hash does (A3.10b): a 16-bit header pushed into a V1 blob. */
	ts_result_ignore(ts_perso_push_object(b, 0, TS_PERSO_SHA256_HASH, hash32, sizeof(hash32)));
}

static void
m_version_late(struct ts_perso_blob *b)
{
	static const uint8_t v[4] = { 0xf0, 0x04, 0x00, 0x01 };
	memcpy(b->body + b->next_free, v, 4);
	b->next_free += 4;
	b->num_objs++;
}

static void
m_payload(struct ts_perso_blob *b)
{
	/* A WAS HMAC of 33 bytes: grow the last object (self-hash, 34 B) into a 35-byte WAS object. */
	b->body[b->next_free - 34] = 0x40, b->body[b->next_free - 33] = 0x23;
	b->next_free += 1;
	b->body[b->next_free - 1] = 0xee;
}

static void
m_short_body(struct ts_perso_blob *b)
{
	/* A V0 TBS object "X" with a 3-byte body: size 2 + 2 + 1 + 3 = 8, wrapped 6. */
	static const uint8_t o[8] = { 0x00, 0x08, 0x10, 0x06, 'X', 0x30, 0x01, 0x00 };
	memcpy(b->body + b->next_free, o, sizeof(o));
	b->next_free += sizeof(o);
	b->num_objs++;
}

static void
m_header_short(struct ts_perso_blob *b)
{
	/* A V1 object whose size (2) is smaller than its 4-byte header. */
	static const uint8_t o[4] = { 0x06, 0x00, 0x00, 0x02 };
	memcpy(b->body + b->next_free, o, sizeof(o));
	b->next_free += sizeof(o);
	b->num_objs++;
}

static void
m_too_many(struct ts_perso_blob *b)
{
	for (size_t i = 0; i <= TS_PERSO_MAX_OBJS; i++) {
		ts_result_ignore(ts_perso_push_object(b, 0, TS_PERSO_GENERIC_SEED, hash32, 1));
	}
}

static const struct refusal refusals[] = {
	{ "size 0", 0, m_size0, TS_PERSO_E_SIZE0 },
	{ "size > rest (V0)", 0, m_overrun_v0, TS_PERSO_E_OVERRUN },
	{ "size > rest (V1)", 1, m_overrun_v1, TS_PERSO_E_OVERRUN },
	{ "wrapped mismatch", 0, m_wrapped, TS_PERSO_E_WRAPPED },
	{ "name_len > 15", 1, m_name16_v1, TS_PERSO_E_NAME_LEN },
	{ "name_len 0", 0, m_name_zero, TS_PERSO_E_NAME_LEN },
	{ "unknown type", 0, m_type, TS_PERSO_E_TYPE },
	{ "non-zero tail", 0, m_tail, TS_PERSO_E_TAIL },
	{ "num_objs one more", 0, m_count_up, TS_PERSO_E_COUNT },
	{ "num_objs one less", 1, m_count_down, TS_PERSO_E_COUNT },
	{ "next_free > 5120", 0, m_next_free, TS_PERSO_E_NEXT_FREE },
	{ "version object size 5", 1, m_version_size, TS_PERSO_E_VERSION_SIZE },
	{ "unknown version 2", 1, m_version, TS_PERSO_E_VERSION },
	{ "version object holding 0", 1, m_version_zero, TS_PERSO_E_VERSION },
	{ "V0 header in V1", 1, m_v0_in_v1, TS_PERSO_E_V0_IN_V1 },
	{ "version object not first", 0, m_version_late, TS_PERSO_E_VERSION_PLACE },
	{ "name not printable", 0, m_name, TS_PERSO_E_NAME },
	{ "DER length", 0, m_der, TS_PERSO_E_DER },
	{ "WAS HMAC of 33 bytes", 0, m_payload, TS_PERSO_E_PAYLOAD },
	{ "cert body of 3 bytes", 0, m_short_body, TS_PERSO_E_CERT_BODY },
	{ "object smaller than its header", 1, m_header_short, TS_PERSO_E_SHORT },
	{ "too many objects", 0, m_too_many, TS_PERSO_E_TOO_MANY },
};

static void
test_perso_refusals(void)
{
	static struct ts_perso_blob b;
	static struct ts_perso_parsed p;
	static char seen[TS_PERSO_E_MAX][160];
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		device_blob(&b, r->version);
		if (r->e == TS_PERSO_E_TOO_MANY) {
			CU_ASSERT_TS_OK(ts_perso_init(&b, r->version));
		}
		CU_ASSERT_TS_OK(ts_perso_parse(&b, r->version, &p)); /* valid before the mutation */
		r->mutate(&b);
		ts_error_clear();
		ts_result res = ts_perso_parse(&b, TS_PERSO_ANY_VERSION, &p);
		if (res.code != TS_ERR_SCHEMA || p.error != r->e) {
			fprintf(stderr, "  %s: got %s (%s), want %s\n", r->what, ts_perso_error_name(p.error),
				ts_last_error_message(), ts_perso_error_name(r->e));
		}
		CU_ASSERT_EQUAL(res.code, TS_ERR_SCHEMA);
		CU_ASSERT_EQUAL(p.error, r->e);
		CU_ASSERT_PTR_NOT_NULL(strstr(ts_last_error_message(), ts_perso_error_name(r->e)));
		(void)snprintf(seen[r->e], sizeof(seen[r->e]), "%s", ts_perso_error_name(r->e));
	}
	/* The error names are distinct, so each case has its own message. */
	for (int a = 1; a < TS_PERSO_E_MAX; a++) {
		for (int c = a + 1; c < TS_PERSO_E_MAX; c++) {
			CU_ASSERT_STRING_NOT_EQUAL(ts_perso_error_name((enum ts_perso_error)a),
						   ts_perso_error_name((enum ts_perso_error)c));
		}
	}
}

static void
test_perso_version_detection(void)
{
	static struct ts_perso_blob b;
	static struct ts_perso_parsed p;
	device_blob(&b, 1);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_perso_parse(&b, 0, &p), TS_ERR_SCHEMA);
	CU_ASSERT_EQUAL(p.error, TS_PERSO_E_VERSION_WANTED);
	device_blob(&b, 0);
	CU_ASSERT_TS_ERR(ts_perso_parse(&b, 1, &p), TS_ERR_SCHEMA);
	CU_ASSERT_EQUAL(p.error, TS_PERSO_E_VERSION_WANTED);
	/* An empty blob is V0 with no objects; erased flash (FF FF) reads as V0 too, and is then refused. */
	CU_ASSERT_TS_OK(ts_perso_init(&b, 0));
	CU_ASSERT_TS_OK(ts_perso_parse(&b, 0, &p));
	CU_ASSERT_EQUAL(p.n, 0);
	b.body[0] = b.body[1] = 0xff;
	b.next_free = 2;
	b.num_objs = 1;
	CU_ASSERT_EQUAL(ts_perso_version(&b), 0);
	CU_ASSERT_TS_ERR(ts_perso_parse(&b, TS_PERSO_ANY_VERSION, &p), TS_ERR_SCHEMA);
	CU_ASSERT_EQUAL(p.error, TS_PERSO_E_VERSION_SIZE);
	/* A V1 blob holding only its version object. */
	CU_ASSERT_TS_OK(ts_perso_init(&b, 1));
	CU_ASSERT_TS_OK(ts_perso_parse(&b, 1, &p));
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.obj[0].type, TS_PERSO_BLOB_VERSION);
}

static void
test_perso_push_refusals(void)
{
	static struct ts_perso_blob b, before;
	CU_ASSERT_TS_OK(ts_perso_init(&b, 0));
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "SIXTEEN_CHARS_XX", tbs, sizeof(tbs)),
			 TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "", tbs, sizeof(tbs)), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "a\tb", tbs, sizeof(tbs)), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_WAS_HMAC, "UDS", tbs, sizeof(tbs)), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "UDS", tbs, 3), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_object(&b, 0, TS_PERSO_WAS_HMAC, hash32, 31), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_object(&b, 0, TS_PERSO_X509_TBS, hash32, 32), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_push_object(&b, 0, TS_PERSO_BLOB_VERSION, hash32, 2), TS_ERR_SCHEMA);
	CU_ASSERT_TS_ERR(ts_perso_init(&b, 2), TS_ERR_RANGE);
	CU_ASSERT_TS_OK(ts_perso_init(&b, 0));
	/* Fill the blob until the next certificate does not fit; a refused push changes nothing. */
	while (ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "UDS", tbs, sizeof(tbs)).code == 0) {
	}
	CU_ASSERT(b.next_free > TS_PERSO_BLOB_MAX - 407);
	memcpy(&before, &b, sizeof(b));
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_TBS, "UDS", tbs, sizeof(tbs)), TS_ERR_RANGE);
	CU_ASSERT_EQUAL(memcmp(&before, &b, sizeof(b)), 0);
	/* A V0 object is at most 4095 bytes. */
	static uint8_t big[4200];
	big[0] = 0x30, big[1] = 0x82, big[2] = 0x10, big[3] = 0x00;
	CU_ASSERT_TS_OK(ts_perso_init(&b, 0));
	CU_ASSERT_TS_ERR(ts_perso_push_cert(&b, 0, TS_PERSO_X509_CERT, "BIG", big, 4100), TS_ERR_RANGE);
	CU_ASSERT_TS_OK(ts_perso_init(&b, 1));
	CU_ASSERT_TS_OK(ts_perso_push_cert(&b, 1, TS_PERSO_X509_TBS, "BIG", big, 4100));
}

static int
setup(void)
{
	fill();
	return 0;
}

static CU_TestInfo perso_tests[] = {
	{ "golden_v0", test_perso_golden_v0 },
	{ "golden_v1", test_perso_golden_v1 },
	{ "round_trip", test_perso_round_trip },
	{ "refusals", test_perso_refusals },
	{ "version_detection", test_perso_version_detection },
	{ "push_refusals", test_perso_push_refusals },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "perso", setup, NULL, NULL, NULL, perso_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
