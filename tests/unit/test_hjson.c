#include <stdio.h>
#include <string.h>

#include "common/base/ts_hjson.h"
#include "tests/lib/ts_test.h"

static struct ts_hjson_doc *
parse_ok(const char *text)
{
	struct ts_hjson_doc *doc = NULL;
	ts_error_clear();
	CU_ASSERT_TS_OK(ts_hjson_parse(text, strlen(text), "t.hjson", &doc));
	return doc;
}

static void
parse_fails(const char *text, int code, const char *where)
{
	struct ts_hjson_doc *doc = NULL;
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_hjson_parse(text, strlen(text), "t.hjson", &doc), code);
	CU_ASSERT_PTR_NULL(doc);
	if (strstr(ts_last_error_message(), where) == NULL) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", ts_last_error_message(), where);
	}
	CU_ASSERT_MSG_HAS(where);
}

static void
dump_is(json_t *v, const char *want)
{
	TS_BUF(out);
	CU_ASSERT_TS_OK(ts_hjson_dump(v, &out, NULL, NULL));
	CU_ASSERT_TS_OK(ts_buf_append(&out, "", 1));
	if (strcmp((const char *)out.data, want) != 0) {
		fprintf(stderr, "  dump:\n%s\n  want:\n%s\n", (const char *)out.data, want);
	}
	CU_ASSERT_STRING_EQUAL((const char *)out.data, want);
}

static void
test_hjson_comments_braceless_quoteless(void)
{
	struct ts_hjson_doc *doc = parse_ok("// c1\n# c2\n/* c3\n */ a: 1 # after a number\n"
					    "b: hello world  \nc: 0x0\nd: true\ne: 12 // x\n"
					    "f: 1.5, g: null\n'h': 'q'\n\"i\": [1, 2,\n 3]\n");
	json_t *r = ts_hjson_root(doc);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "a")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "b")), "hello world");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "c")), "0x0");
	CU_ASSERT(json_is_true(json_object_get(r, "d")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "e")), 12);
	CU_ASSERT(json_is_real(json_object_get(r, "f")));
	CU_ASSERT(json_is_null(json_object_get(r, "g")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "h")), "q");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "i")), 3);
	ts_hjson_doc_free(doc);
}

static void
test_hjson_quoteless_keeps_commas_and_comments(void)
{
	/* A quoteless string runs to the end of the line (Hjson rule). */
	struct ts_hjson_doc *doc = parse_ok("{\n a: x, b: y\n c: foo # not a comment\n d: 5 z\n}");
	json_t *r = ts_hjson_root(doc);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "a")), "x, b: y");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "c")), "foo # not a comment");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "d")), "5 z");
	ts_hjson_doc_free(doc);
}

static void
test_hjson_multiline_strings(void)
{
	struct ts_hjson_doc *doc = parse_ok("{\n  desc:\n    '''\n    line one\n      indented\n\n"
					    "    last 'quoted'\n    '''\n  one: '''single'''\n}");
	json_t *r = ts_hjson_root(doc);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "desc")),
			       "line one\n  indented\n\nlast 'quoted'");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "one")), "single");
	ts_hjson_doc_free(doc);
}

static void
test_hjson_big_integers_exact(void)
{
	const char *seed = "1017106219537032642877583828875051302543807092889754935647094601236425074047";
	char text[256];
	(void)snprintf(text, sizeof(text), "{ s: %s\n n: -123456789012345678901234567890\n m: 9223372036854775807 }",
		       seed);
	struct ts_hjson_doc *doc = parse_ok(text);
	json_t *r = ts_hjson_root(doc);
	json_t *s = json_object_get(r, "s");
	CU_ASSERT(ts_hjson_is_int(s));
	CU_ASSERT(!json_is_integer(s));
	CU_ASSERT(json_is_integer(json_object_get(r, "m")));
	BIGNUM *bn = BN_new();
	CU_ASSERT_TS_OK(ts_hjson_int_to_bn(s, bn));
	char *dec = BN_bn2dec(bn);
	CU_ASSERT_STRING_EQUAL(dec, seed);
	OPENSSL_free(dec);
	CU_ASSERT_TS_OK(ts_hjson_int_to_bn(json_object_get(r, "n"), bn));
	CU_ASSERT(BN_is_negative(bn));
	BN_free(bn);
	/* Written back in full decimal. */
	TS_BUF(out);
	CU_ASSERT_TS_OK(ts_hjson_dump(s, &out, NULL, NULL));
	CU_ASSERT_EQUAL(out.len, strlen(seed));
	CU_ASSERT_EQUAL(memcmp(out.data, seed, out.len), 0);
	ts_hjson_doc_free(doc);
}

static void
test_hjson_errors_have_positions(void)
{
	parse_fails("{\n  a: 1\n  a: 2\n}", TS_ERR_PARSE, "t.hjson:3:3: duplicate key 'a'");
	parse_fails("{\n  a: \"unterminated\n}", TS_ERR_PARSE, "t.hjson:2:");
	parse_fails("{\n  a: [1, 2\n", TS_ERR_PARSE, "t.hjson:2:6: unterminated array");
	parse_fails("{ a: 1 ", TS_ERR_PARSE, "t.hjson:1:1: unterminated object");
	parse_fails("a b: 1", TS_ERR_PARSE, "whitespace inside a key name");
	parse_fails("{ a: }", TS_ERR_PARSE, "t.hjson:1:6: found '}' where a value was expected");
	parse_fails("{ a: 1 } x", TS_ERR_PARSE, "t.hjson:1:10: unexpected text");
	parse_fails("/* open", TS_ERR_PARSE, "unterminated /* comment");
	parse_fails("{ a: '''x\n", TS_ERR_PARSE, "unterminated ''' string");
	parse_fails("{ a: \"\\q\" }", TS_ERR_PARSE, "bad escape");
	parse_fails("{ a: \"\\u0000\" }", TS_ERR_PARSE, "\\u0000");
	parse_fails("{ a: \"\\ud800\" }", TS_ERR_PARSE, "surrogate");
}

static void
test_hjson_rejects_nul_utf8_and_depth(void)
{
	struct ts_hjson_doc *doc = NULL;
	char deep[200];
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_hjson_parse("{a: 1\0}", 7, "t.hjson", &doc), TS_ERR_PARSE);
	CU_ASSERT_MSG_HAS("t.hjson:1:6: NUL byte");
	parse_fails("{a: \"\xff\"}", TS_ERR_PARSE, "invalid UTF-8");
	memset(deep, '[', 100);
	deep[100] = '\0';
	parse_fails(deep, TS_ERR_RANGE, "nesting deeper than");
}

/* The reader checks eight ASCII bytes at a time: a bad byte is found, with its column, wherever it sits. */
static void
test_hjson_bad_byte_found_at_every_offset(void)
{
	char text[64], where[32];
	for (int bad = 0; bad < 2; bad++) {
		for (size_t k = 0; k < 24; k++) {
			struct ts_hjson_doc *doc = NULL;
			size_t n = (size_t)snprintf(text, sizeof(text), "{a: \"%.*s", (int)k, "xxxxxxxxxxxxxxxxxxxxxxxx");
			text[n++] = bad ? '\xff' : '\0';
			n += (size_t)snprintf(text + n, sizeof(text) - n, "yyyyyyyyyyyyyyyy\"}");
			ts_error_clear();
			CU_ASSERT_TS_ERR(ts_hjson_parse(text, n, "t.hjson", &doc), TS_ERR_PARSE);
			(void)snprintf(where, sizeof(where), "t.hjson:1:%zu: ", 6 + k);
			CU_ASSERT_PTR_NOT_NULL(strstr(ts_last_error_message(), where));
			CU_ASSERT_PTR_NOT_NULL(strstr(ts_last_error_message(), bad ? "invalid UTF-8" : "NUL byte"));
		}
	}
}

/* A ''' block is copied in runs between quotes, CRs and LFs: each still counts. */
static void
test_hjson_multiline_runs(void)
{
	struct ts_hjson_doc *doc = parse_ok("{\n  a:\n    '''\n    x'y''z\r\n    w\n    '''\n  b: after\n}");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ts_hjson_root(doc), "a")), "x'y''z\nw");
	int line, col;
	ts_hjson_where(doc, json_object_get(ts_hjson_root(doc), "b"), &line, &col);
	CU_ASSERT_EQUAL(line, 7);
	CU_ASSERT_EQUAL(col, 6);
	ts_hjson_doc_free(doc);
}

/* A byte order mark is named as such (it used to be reported as a stray '{' or key). */
static void
test_hjson_rejects_byte_order_mark(void)
{
	parse_fails("\xef\xbb\xbf{ a: 1 }", TS_ERR_PARSE, "t.hjson:1:1: the file starts with a UTF-8 byte order mark");
	parse_fails("\xef\xbb\xbf" "a: 1\n", TS_ERR_PARSE, "byte order mark; save it without one");
}

static void
test_hjson_unicode_escapes(void)
{
	struct ts_hjson_doc *doc = parse_ok("{ a: \"\\u00e9\\ud83d\\ude00\\n\" }");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ts_hjson_root(doc), "a")),
			       "\xc3\xa9\xf0\x9f\x98\x80\n");
	ts_hjson_doc_free(doc);
}

static void
test_hjson_writer_string_forms(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "bare", json_string("0x8e02"));
	json_object_set_new(o, "cap", json_string("True"));
	json_object_set_new(o, "kw", json_string("true"));
	json_object_set_new(o, "num", json_string("12"));
	json_object_set_new(o, "empty", json_string(""));
	json_object_set_new(o, "lead", json_string(" x"));
	json_object_set_new(o, "ml", json_string("a\nb\n\nc"));
	json_object_set_new(o, "esc", json_string("say \"hi\"\x01"));
	json_object_set_new(o, "null", json_integer(7));
	json_object_set_new(o, "a b", json_true());
	json_object_set_new(o, "e", json_object());
	json_object_set_new(o, "l", json_pack("[i, {s: i}]", 1, "k", 2));
	dump_is(o, "{\n  bare: 0x8e02\n  cap: True\n  kw: \"true\"\n  num: \"12\"\n  empty: \"\"\n"
		   "  lead: \" x\"\n  ml:\n    '''\n    a\n    b\n\n    c\n    '''\n"
		   "  esc: \"say \\\"hi\\\"\\u0001\"\n  null: 7\n  \"a b\": true\n  e: {}\n"
		   "  l:\n  [\n    1\n    {\n      k: 2\n    }\n  ]\n}");
	json_decref(o);
}

/*
 * Found by fuzz_hjson: "a<TAB>'" and "<TAB>00e9" were written as one-line '''
 * blocks that read back as "a<TAB>" and "00e9"; CRs were dropped from blocks;
 * a key holding a control character was written bare.
 */
static void
test_hjson_writer_blocks_read_back(void)
{
	static const char *const cases[] = { "a\t'", "'", "x\t''", "\t'q'", "\t00e9", "a\r\nb", "a\r", " x\n y",
					     "\a", "b\031c" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o = json_pack("{s:s,s:s}", "k", cases[i], cases[i], "v");
		struct ts_hjson_doc *doc = NULL;
		TS_BUF(out);
		CU_ASSERT_TS_OK(ts_hjson_dump(o, &out, NULL, NULL));
		CU_ASSERT_TS_OK(ts_hjson_parse((const char *)out.data, out.len, "dump", &doc));
		CU_ASSERT(json_equal(o, ts_hjson_root(doc)));
		ts_hjson_doc_free(doc);
		json_decref(o);
	}
}

static void
test_hjson_writer_rejects_reals(void)
{
	json_t *r = json_real(1.5);
	TS_BUF(out);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_hjson_dump(r, &out, NULL, NULL), TS_ERR_SCHEMA);
	json_decref(r);
}

/* Parse -> dump -> parse gives the same tree; dump is a fixed point. */
static void
test_hjson_round_trip_demo_structure(void)
{
	char path[4096];
	struct ts_hjson_doc *a = NULL;
	struct ts_hjson_doc *b = NULL;
	TS_BUF(d1);
	TS_BUF(d2);
	ts_test_source_path(path, sizeof(path), "seeds/top_demo.structure.hjson");
	CU_ASSERT_TS_OK(ts_hjson_load(path, &a));
	CU_ASSERT_TS_OK(ts_hjson_dump(ts_hjson_root(a), &d1, NULL, NULL));
	CU_ASSERT_TS_OK(ts_hjson_parse((const char *)d1.data, d1.len, "dump", &b));
	CU_ASSERT(json_equal(ts_hjson_root(a), ts_hjson_root(b)));
	CU_ASSERT_TS_OK(ts_hjson_dump(ts_hjson_root(b), &d2, NULL, NULL));
	CU_ASSERT_EQUAL(d1.len, d2.len);
	CU_ASSERT_EQUAL(memcmp(d1.data, d2.data, d1.len), 0);
	ts_hjson_doc_free(a);
	ts_hjson_doc_free(b);
}

static void
test_hjson_where_and_load_errors(void)
{
	struct ts_hjson_doc *doc = parse_ok("{\n  a:\n  {\n    b: 1\n  }\n}");
	int line, col;
	json_t *b = json_object_get(json_object_get(ts_hjson_root(doc), "a"), "b");
	ts_hjson_where(doc, b, &line, &col);
	CU_ASSERT_EQUAL(line, 4);
	CU_ASSERT_EQUAL(col, 8);
	ts_hjson_doc_free(doc);
	ts_error_clear();
	CU_ASSERT_TS_ERR(ts_hjson_load("/nonexistent/x.hjson", &doc), TS_ERR_IO);
	CU_ASSERT_MSG_HAS("/nonexistent/x.hjson");
}

static CU_TestInfo hjson_tests[] = {
	{ "comments_braceless_quoteless", test_hjson_comments_braceless_quoteless },
	{ "quoteless_keeps_commas_and_comments", test_hjson_quoteless_keeps_commas_and_comments },
	{ "multiline_strings", test_hjson_multiline_strings },
	{ "big_integers_exact", test_hjson_big_integers_exact },
	{ "errors_have_positions", test_hjson_errors_have_positions },
	{ "rejects_nul_utf8_and_depth", test_hjson_rejects_nul_utf8_and_depth },
	{ "bad_byte_found_at_every_offset", test_hjson_bad_byte_found_at_every_offset },
	{ "multiline_runs", test_hjson_multiline_runs },
	{ "rejects_byte_order_mark", test_hjson_rejects_byte_order_mark },
	{ "unicode_escapes", test_hjson_unicode_escapes },
	{ "writer_string_forms", test_hjson_writer_string_forms },
	{ "writer_blocks_read_back", test_hjson_writer_blocks_read_back },
	{ "writer_rejects_reals", test_hjson_writer_rejects_reals },
	{ "round_trip_demo_structure", test_hjson_round_trip_demo_structure },
	{ "where_and_load_errors", test_hjson_where_and_load_errors },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "hjson", NULL, NULL, NULL, NULL, hjson_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return ts_test_main(suites);
}
