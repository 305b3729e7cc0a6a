#include "common/ft/ts_perso.h"

#include <string.h>

/* spec/provisioning.md A3. */
#define V0_MAX_SIZE 0xfffu
#define V1_MAX_SIZE 0xffffffu

static const char *const error_names[TS_PERSO_E_MAX] = {
	[TS_PERSO_OK] = "ok",
	[TS_PERSO_E_NEXT_FREE] = "next_free beyond the body",
	[TS_PERSO_E_TAIL] = "non-zero byte past next_free",
	[TS_PERSO_E_SIZE0] = "object of size 0",
	[TS_PERSO_E_SHORT] = "object smaller than its header",
	[TS_PERSO_E_OVERRUN] = "object runs past next_free",
	[TS_PERSO_E_TYPE] = "unknown object type",
	[TS_PERSO_E_V0_IN_V1] = "V0 header in a V1 blob",
	[TS_PERSO_E_VERSION_SIZE] = "version object of size other than 4",
	[TS_PERSO_E_VERSION] = "unknown blob version",
	[TS_PERSO_E_VERSION_PLACE] = "version object not first",
	[TS_PERSO_E_VERSION_WANTED] = "blob version is not the one requested",
	[TS_PERSO_E_WRAPPED] = "cert header's wrapped size does not match the object",
	[TS_PERSO_E_NAME_LEN] = "cert name length not 1..15",
	[TS_PERSO_E_NAME] = "cert name not printable ASCII",
	[TS_PERSO_E_CERT_BODY] = "cert body shorter than 4 bytes",
	[TS_PERSO_E_DER] = "certificate DER length differs from its body",
	[TS_PERSO_E_PAYLOAD] = "fixed-size object of the wrong size",
	[TS_PERSO_E_COUNT] = "num_objs differs from the objects found",
	[TS_PERSO_E_TOO_MANY] = "too many objects",
};

const char *
ts_perso_error_name(enum ts_perso_error e)
{
	return e < TS_PERSO_E_MAX ? error_names[e] : "?";
}

static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long
be32(const uint8_t *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* A header of the given width: the high field (type or name length) over the size field. */
static void
put_header(uint8_t *p, unsigned version, unsigned hi, size_t lo)
{
	if (version == 0) {
		p[0] = (uint8_t)(hi << 4 | (lo >> 8 & 0x0f));
		p[1] = (uint8_t)lo;
		return;
	}
	p[0] = (uint8_t)hi;
	p[1] = (uint8_t)(lo >> 16);
	p[2] = (uint8_t)(lo >> 8);
	p[3] = (uint8_t)lo;
}

static size_t
header_len(unsigned version)
{
	return version == 0 ? 2 : 4;
}

static int
is_cert_type(unsigned t)
{
	return t == TS_PERSO_X509_TBS || t == TS_PERSO_X509_CERT || t == TS_PERSO_CWT_CERT;
}

static int
name_ok(const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (name[i] < 0x20 || name[i] > 0x7e) {
			return 0;
		}
	}
	return 1;
}

/* 32 bytes for the WAS HMAC, device ID and hash objects, 128 for a DevSeed; 0 when any size goes. */
static size_t
fixed_payload(unsigned type)
{
	switch (type) {
	case TS_PERSO_WAS_HMAC:
	case TS_PERSO_DEVICE_ID:
	case TS_PERSO_SHA256_HASH:
		return 32;
	case TS_PERSO_DEV_SEED:
		return 128;
	default:
		return 0;
	}
}

ts_result
ts_perso_init(struct ts_perso_blob *b, unsigned version)
{
	TS_ENSURE_REF(b);
	TS_ENSUREF(version <= 1, TS_ERR_RANGE, "perso blob: unknown version %u", version);
	memset(b, 0, sizeof(*b));
	if (version == 1) {
		static const uint8_t v1[4] = { 0xf0, 0x04, 0x00, 0x01 }; /* always a V0 header (A3.4) */
		memcpy(b->body, v1, sizeof(v1));
		b->next_free = sizeof(v1);
		b->num_objs = 1;
	}
	return TS_OK;
}

unsigned
ts_perso_version(const struct ts_perso_blob *b)
{
	return b->next_free >= 4 && b->next_free <= TS_PERSO_BLOB_MAX && be16(b->body) == 0xf004 ? 1 : 0;
}

ts_result
ts_perso_push_cert(struct ts_perso_blob *b, unsigned header_version, unsigned type, const char *name,
		   const uint8_t *der, size_t len)
{
	TS_ENSURE(b != NULL && name != NULL && (der != NULL || len == 0), TS_ERR_NULL);
	TS_ENSURE(header_version <= 1 && b->next_free <= TS_PERSO_BLOB_MAX, TS_ERR_RANGE);
	TS_ENSUREF(is_cert_type(type), TS_ERR_SCHEMA, "perso blob: type %u is not a certificate type", type);
	size_t nlen = strlen(name), h = header_len(header_version);
	TS_ENSUREF(nlen >= 1 && nlen <= TS_CERT_NAME_MAX && name_ok(name, nlen), TS_ERR_SCHEMA,
		   "perso blob: a certificate name is 1 to %d printable ASCII characters", TS_CERT_NAME_MAX);
	TS_ENSUREF(len >= 4, TS_ERR_SCHEMA, "perso blob: certificate %s has a body of %zu bytes", name, len);
	size_t size = 2 * h + nlen + len;
	TS_ENSUREF(size <= (header_version == 0 ? V0_MAX_SIZE : V1_MAX_SIZE) &&
			   size <= TS_PERSO_BLOB_MAX - b->next_free,
		   TS_ERR_RANGE, "perso blob: certificate %s (%zu bytes) does not fit (%zu of %d used)", name, size,
		   b->next_free, TS_PERSO_BLOB_MAX);
	uint8_t *p = b->body + b->next_free;
	put_header(p, header_version, type, size);
	put_header(p + h, header_version, (unsigned)nlen, size - h);
	memcpy(p + 2 * h, name, nlen);
	memcpy(p + 2 * h + nlen, der, len);
	b->next_free += size;
	b->num_objs++;
	return TS_OK;
}

ts_result
ts_perso_push_object(struct ts_perso_blob *b, unsigned header_version, unsigned type, const uint8_t *buf,
		     size_t len)
{
	TS_ENSURE(b != NULL && (buf != NULL || len == 0), TS_ERR_NULL);
	TS_ENSURE(header_version <= 1 && b->next_free <= TS_PERSO_BLOB_MAX, TS_ERR_RANGE);
	TS_ENSUREF(type <= TS_PERSO_SHA256_HASH && !is_cert_type(type), TS_ERR_SCHEMA,
		   "perso blob: type %u is not a plain object type", type);
	size_t want = fixed_payload(type);
	TS_ENSUREF(want == 0 || want == len, TS_ERR_SCHEMA, "perso blob: a type %u object holds %zu bytes, not %zu",
		   type, want, len);
	size_t size = header_len(header_version) + len;
	TS_ENSUREF(size <= (header_version == 0 ? V0_MAX_SIZE : V1_MAX_SIZE) &&
			   size <= TS_PERSO_BLOB_MAX - b->next_free,
		   TS_ERR_RANGE, "perso blob: a type %u object of %zu bytes does not fit (%zu of %d used)", type, size,
		   b->next_free, TS_PERSO_BLOB_MAX);
	uint8_t *p = b->body + b->next_free;
	put_header(p, header_version, type, size);
	if (len > 0) {
		memcpy(p + header_len(header_version), buf, len);
	}
	b->next_free += size;
	b->num_objs++;
	return TS_OK;
}

static ts_result
refuse(struct ts_perso_parsed *out, enum ts_perso_error e, size_t off)
{
	out->error = e;
	out->error_offset = off;
	TS_BAILF(TS_ERR_SCHEMA, "perso blob: %s at offset %zu", ts_perso_error_name(e), off);
}

/* The DER length of the SEQUENCE at p (header included), or 0 when it is not one. */
static size_t
der_seq_len(const uint8_t *p, size_t n)
{
	if (n < 2 || p[0] != 0x30) {
		return 0;
	}
	if (p[1] < 0x80) {
		return 2 + (size_t)p[1];
	}
	size_t k = p[1] & 0x7fu, v = 0;
	if (k == 0 || k > 3 || n < 2 + k) {
		return 0;
	}
	for (size_t i = 0; i < k; i++) {
		v = v << 8 | p[2 + i];
	}
	return 2 + k + v;
}

/* A cert object's header, name and body (A3.3). */
static ts_result
parse_cert(struct ts_perso_parsed *out, const uint8_t *p, unsigned version, struct ts_perso_obj *o)
{
	size_t h = header_len(version), payload = o->size - h;
	if (payload < h) {
		return refuse(out, TS_PERSO_E_WRAPPED, o->offset);
	}
	size_t nlen = version == 0 ? be16(p + h) >> 12 : p[h];
	size_t wrapped = version == 0 ? (be16(p + h) & 0xfffu) : (size_t)(be32(p + h) & V1_MAX_SIZE);
	if (wrapped != payload) {
		return refuse(out, TS_PERSO_E_WRAPPED, o->offset);
	}
	if (nlen == 0 || nlen > TS_CERT_NAME_MAX || h + nlen > payload) {
		return refuse(out, TS_PERSO_E_NAME_LEN, o->offset);
	}
	if (!name_ok((const char *)p + 2 * h, nlen)) {
		return refuse(out, TS_PERSO_E_NAME, o->offset);
	}
	memcpy(o->name, p + 2 * h, nlen);
	o->name[nlen] = '\0';
	o->data = p + 2 * h + nlen;
	o->len = payload - h - nlen;
	if (o->len < 4) {
		return refuse(out, TS_PERSO_E_CERT_BODY, o->offset);
	}
	if (o->type == TS_PERSO_X509_CERT && der_seq_len(o->data, o->len) != o->len) {
		return refuse(out, TS_PERSO_E_DER, o->offset);
	}
	return TS_OK;
}

/* In a V1 blob, a header whose type byte is unknown but which reads as a well-formed V0 header. */
static int
looks_v0(const uint8_t *p, size_t rest)
{
	unsigned t = p[0] >> 4;
	size_t size = be16(p) & 0xfffu;
	return rest >= 2 && t <= TS_PERSO_SHA256_HASH && size >= 2 && size <= rest;
}

/* One object header at body[off]: type and size, or a refusal. */
static ts_result
read_header(struct ts_perso_parsed *out, const uint8_t *p, size_t off, size_t rest, struct ts_perso_obj *o)
{
	unsigned version = out->version;
	size_t h = header_len(version);
	if (rest >= 2 && be16(p) >> 12 == TS_PERSO_BLOB_VERSION && (version == 0 || p[0] == 0xf0)) {
		return refuse(out, (be16(p) & 0xfffu) == 4 ? TS_PERSO_E_VERSION_PLACE : TS_PERSO_E_VERSION_SIZE, off);
	}
	if (version == 1 && (rest < 4 || p[0] > TS_PERSO_SHA256_HASH) && looks_v0(p, rest)) {
		return refuse(out, TS_PERSO_E_V0_IN_V1, off);
	}
	if (rest < h) {
		return refuse(out, TS_PERSO_E_SHORT, off);
	}
	o->offset = off;
	o->type = version == 0 ? be16(p) >> 12 : p[0];
	o->size = version == 0 ? (be16(p) & 0xfffu) : (size_t)(be32(p) & V1_MAX_SIZE);
	if (o->type > TS_PERSO_SHA256_HASH) {
		return refuse(out, TS_PERSO_E_TYPE, off);
	}
	if (o->size == 0) {
		return refuse(out, TS_PERSO_E_SIZE0, off);
	}
	if (o->size < h) {
		return refuse(out, TS_PERSO_E_SHORT, off);
	}
	if (o->size > rest) {
		return refuse(out, TS_PERSO_E_OVERRUN, off);
	}
	return TS_OK;
}

static ts_result
parse_object(struct ts_perso_parsed *out, const struct ts_perso_blob *b, size_t off)
{
	if (out->n == TS_PERSO_MAX_OBJS) {
		return refuse(out, TS_PERSO_E_TOO_MANY, off);
	}
	struct ts_perso_obj *o = &out->obj[out->n];
	const uint8_t *p = b->body + off;
	memset(o, 0, sizeof(*o));
	TS_GUARD(read_header(out, p, off, b->next_free - off, o));
	if (is_cert_type(o->type)) {
		TS_GUARD(parse_cert(out, p, out->version, o));
	} else {
		size_t h = header_len(out->version);
		o->data = p + h;
		o->len = o->size - h;
		size_t want = fixed_payload(o->type);
		if (want != 0 && want != o->len) {
			return refuse(out, TS_PERSO_E_PAYLOAD, off);
		}
	}
	out->n++;
	return TS_OK;
}

/* The leading version object (A3.5): sets out->version and returns where objects start. */
static ts_result
parse_version(struct ts_perso_parsed *out, const struct ts_perso_blob *b, size_t *start)
{
	const uint8_t *p = b->body;
	*start = 0;
	out->version = 0;
	if (b->next_free < 2 || be16(p) == 0xffff || be16(p) >> 12 != TS_PERSO_BLOB_VERSION) {
		return TS_OK;
	}
	if ((be16(p) & 0xfffu) != 4) {
		return refuse(out, TS_PERSO_E_VERSION_SIZE, 0);
	}
	if (b->next_free < 4) {
		return refuse(out, TS_PERSO_E_OVERRUN, 0);
	}
	if (be16(p + 2) != 1) {
		return refuse(out, TS_PERSO_E_VERSION, 0);
	}
	out->version = 1;
	out->obj[0] = (struct ts_perso_obj){ .type = TS_PERSO_BLOB_VERSION, .size = 4, .data = p + 2, .len = 2 };
	out->n = 1;
	*start = 4;
	return TS_OK;
}

ts_result
ts_perso_parse(const struct ts_perso_blob *b, unsigned want_version, struct ts_perso_parsed *out)
{
	TS_ENSURE(b != NULL && out != NULL, TS_ERR_NULL);
	out->n = 0;
	out->error = TS_PERSO_OK;
	out->error_offset = 0;
	if (b->next_free > TS_PERSO_BLOB_MAX) {
		return refuse(out, TS_PERSO_E_NEXT_FREE, b->next_free);
	}
	for (size_t i = b->next_free; i < TS_PERSO_BLOB_MAX; i++) {
		if (b->body[i] != 0) {
			return refuse(out, TS_PERSO_E_TAIL, i);
		}
	}
	size_t off;
	TS_GUARD(parse_version(out, b, &off));
	if (want_version != TS_PERSO_ANY_VERSION && want_version != out->version) {
		return refuse(out, TS_PERSO_E_VERSION_WANTED, 0);
	}
	while (off < b->next_free) {
		TS_GUARD(parse_object(out, b, off));
		off += out->obj[out->n - 1].size;
	}
	if (out->n != b->num_objs) {
		return refuse(out, TS_PERSO_E_COUNT, b->next_free);
	}
	return TS_OK;
}
