#include "common/ft/ts_ft.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/base/ts_hex.h"

const char *const ts_ft_measured[TS_FT_MEASURED] = {
	"CREATOR_SW_CFG",
	"OWNER_SW_CFG",
	"ROT_CREATOR_AUTH_CODESIGN",
	"ROT_CREATOR_AUTH_STATE",
};

ts_result
ts_ft_item_bytes(const json_t *item, uint8_t *out, size_t cap, size_t *len)
{
	json_t *words = json_object_get(item, "words"), *size = json_object_get(item, "size");
	TS_ENSUREF(json_is_array(words) && json_is_integer(size) && json_integer_value(size) > 0, TS_ERR_SCHEMA,
		   "an OTP item needs size and words");
	size_t n = (size_t)json_integer_value(size), nw = json_array_size(words);
	TS_ENSUREF(n <= cap && nw > 0 && n % nw == 0, TS_ERR_SCHEMA, "an OTP item of %zu bytes with %zu words", n, nw);
	size_t g = n / nw;
	for (size_t w = 0; w < nw; w++) {
		const char *t = json_string_value(json_array_get(words, w));
		TS_ENSUREF(t != NULL && strncmp(t, "0x", 2) == 0 && strlen(t) == 2 + 2 * g, TS_ERR_SCHEMA,
			   "an OTP word must be 0x and %zu hex digits", 2 * g);
		for (size_t b = 0; b < g; b++) { /* least significant byte first */
			const char *h = t + 2 + 2 * (g - 1 - b);
			int hi = ts_hex_value(h[0]), lo = ts_hex_value(h[1]);
			TS_ENSUREF(hi != TS_HEX_INVALID && lo != TS_HEX_INVALID, TS_ERR_SCHEMA, "an OTP word is not hex: %s", t);
			out[w * g + b] = (uint8_t)(hi << 4 | lo);
		}
	}
	*len = n;
	return TS_OK;
}

static ts_result
programmed_bytes(const json_t *programmed, const char *name, uint8_t *out, size_t want)
{
	const char *h = json_string_value(json_object_get(programmed, name));
	TS_ENSUREF(h != NULL && strlen(h) == 2 * want, TS_ERR_SCHEMA, "OTP item %s is not programmed", name);
	TS_ENSUREF(ts_hex_decode(h, out, want) == 0, TS_ERR_SCHEMA, "OTP item %s holds no hex", name);
	return TS_OK;
}

ts_result
ts_ft_measure(const json_t *partitions, const char *partition, const json_t *programmed, uint8_t out[32])
{
	TS_ENSURE(partitions != NULL && partition != NULL && out != NULL, TS_ERR_NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	TS_ENSURE(ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1, TS_ERR_CRYPTO);
	json_t *items = json_object_get(partitions, partition), *it;
	size_t i;
	ts_result r = TS_OK;
	json_array_foreach(items, i, it) {
		uint8_t v[256];
		size_t n = 0;
		const char *name = json_string_value(json_object_get(it, "item"));
		r = name != NULL ? ts_ft_item_bytes(it, v, sizeof(v), &n) : ts_fail(TS_ERR_SCHEMA, 0, __FILE__, __LINE__);
		int deferred = json_is_true(json_object_get(it, "deferred"));
		if (r.code == 0 && programmed != NULL && !deferred) {
			r = programmed_bytes(programmed, name, v, n);
		}
		if (r.code != 0 || EVP_DigestUpdate(ctx, v, n) != 1) {
			r = r.code ? r : ts_fail(TS_ERR_CRYPTO, 0, __FILE__, __LINE__);
			break;
		}
	}
	unsigned len = 0;
	if (r.code == 0 && EVP_DigestFinal_ex(ctx, out, &len) != 1) {
		r = ts_fail(TS_ERR_CRYPTO, 0, __FILE__, __LINE__);
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

void
ts_ft_pack_hash(const uint8_t digest[32], uint32_t data[8])
{
	uint8_t rev[32];
	for (size_t i = 0; i < 32; i++) {
		rev[i] = digest[31 - i];
	}
	for (size_t w = 0; w < 8; w++) {
		data[w] = (uint32_t)rev[4 * w] | (uint32_t)rev[4 * w + 1] << 8 | (uint32_t)rev[4 * w + 2] << 16 |
			  (uint32_t)rev[4 * w + 3] << 24;
	}
}

static size_t
align(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

ts_result
ts_ft_page_build(unsigned version, const struct ts_perso_obj *const *objs, size_t n, int digest,
		 uint8_t page[TS_FT_PAGE_SIZE])
{
	TS_ENSURE(page != NULL && (objs != NULL || n == 0) && version <= 1, TS_ERR_NULL);
	static struct ts_perso_blob b;
	size_t limit = TS_FT_PAGE_SIZE - (digest ? 32 : 0), off = 0;
	memset(page, 0, TS_FT_PAGE_SIZE);
	if (version == 1) {
		static const uint8_t v1[4] = { 0xf0, 0x04, 0x00, 0x01 };
		memcpy(page, v1, sizeof(v1));
		off = 8;
	}
	for (size_t i = 0; i < n; i++) {
		/* Re-encode the object alone to get its exact TLV bytes. */
		TS_GUARD(ts_perso_init(&b, 0));
		TS_GUARD(ts_perso_push_cert(&b, version, objs[i]->type, objs[i]->name, objs[i]->data, objs[i]->len));
		TS_ENSUREF(off + align(b.next_free, 4) <= limit, TS_ERR_RANGE,
			   "certificate %s does not fit in its %d-byte page", objs[i]->name, TS_FT_PAGE_SIZE);
		memcpy(page + off, b.body, b.next_free);
		off = align(off + align(b.next_free, 4), 8);
	}
	if (digest) {
		SHA256(page, TS_FT_PAGE_SIZE - 32, page + TS_FT_PAGE_SIZE - 32);
	}
	return TS_OK;
}

ts_result
ts_ft_page_parse(const uint8_t page[TS_FT_PAGE_SIZE], unsigned version, int digest, struct ts_perso_obj *objs,
		 size_t max, size_t *n)
{
	TS_ENSURE(page != NULL && objs != NULL && n != NULL && version <= 1, TS_ERR_NULL);
	static struct ts_perso_blob b;
	static struct ts_perso_parsed p;
	size_t limit = TS_FT_PAGE_SIZE - (digest ? 32 : 0), off = 0, h = version ? 4 : 2;
	*n = 0;
	if (digest) {
		uint8_t d[32];
		SHA256(page, limit, d);
		TS_ENSUREF(CRYPTO_memcmp(d, page + limit, 32) == 0, TS_ERR_SCHEMA, "the page digest does not match");
	}
	if (version == 1) {
		TS_ENSUREF(page[0] == 0xf0 && page[1] == 0x04 && page[2] == 0 && page[3] == 1, TS_ERR_SCHEMA,
			   "the page does not start with the version object");
		off = 8;
	}
	while (off + h <= limit && (page[off] | page[off + 1]) != 0) {
		size_t size = version ? ((size_t)page[off + 1] << 16 | (size_t)page[off + 2] << 8 | page[off + 3])
				      : (((size_t)page[off] & 0x0f) << 8 | page[off + 1]);
		TS_ENSUREF(*n < max && size > 0 && off + size <= limit, TS_ERR_SCHEMA, "a malformed object at page offset %zu",
			   off);
		TS_GUARD(ts_perso_init(&b, version));
		memcpy(b.body + b.next_free, page + off, size);
		b.next_free += size;
		b.num_objs++;
		TS_GUARD(ts_perso_parse(&b, version, &p));
		const struct ts_perso_obj *o = &p.obj[version];
		TS_ENSUREF(o->type == TS_PERSO_X509_CERT, TS_ERR_SCHEMA, "a page object of type %u", o->type);
		objs[*n] = *o;
		objs[*n].offset = off;
		objs[*n].data = page + off + (size_t)(o->data - (b.body + b.next_free - size));
		(*n)++;
		off = align(off + align(size, 4), 8);
	}
	return TS_OK;
}
