#ifndef TS_COMMON_FT_TS_PERSO_H
#define TS_COMMON_FT_TS_PERSO_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_result.h"
#include "tapeseal/prov_ext.h"

/*
 * The personalization blob (spec/provisioning.md A3): TLV objects back to
 * back in struct ts_perso_blob's body, shared by the simulated device and
 * the host harness.  Version 0 uses 16-bit big-endian headers (type in bits
 * 15..12, size in 11..0), version 1 32-bit ones (type 31..24, size 23..0)
 * after a leading version object that always has a V0 header (F0 04 00 01).
 * Sizes count the whole object, header included.  Cert objects carry a cert
 * header (V0: name_len 15..12, wrapped 11..0; V1: name_len 31..24, wrapped
 * 23..0), the ASCII name (1..15 characters, no NUL) and the body.
 */

enum ts_perso_type {
	TS_PERSO_X509_TBS = 0,
	TS_PERSO_X509_CERT = 1,
	TS_PERSO_DEV_SEED = 2,
	TS_PERSO_CWT_CERT = 3,
	TS_PERSO_WAS_HMAC = 4,
	TS_PERSO_DEVICE_ID = 5,
	TS_PERSO_GENERIC_SEED = 6,
	TS_PERSO_SHA256_HASH = 7,
	TS_PERSO_BLOB_VERSION = 15,
};

/* Why a blob was refused: one value per malformed case (spec B8.1), so tests and messages can tell them apart. */
enum ts_perso_error {
	TS_PERSO_OK = 0,
	TS_PERSO_E_NEXT_FREE,      /* next_free beyond the body */
	TS_PERSO_E_TAIL,           /* a non-zero byte past next_free */
	TS_PERSO_E_SIZE0,          /* an object of size 0 */
	TS_PERSO_E_SHORT,          /* an object smaller than its own header */
	TS_PERSO_E_OVERRUN,        /* an object running past next_free */
	TS_PERSO_E_TYPE,           /* an unknown object type */
	TS_PERSO_E_V0_IN_V1,       /* a 16-bit header inside a version 1 blob */
	TS_PERSO_E_VERSION_SIZE,   /* a version object whose size is not 4 */
	TS_PERSO_E_VERSION,        /* a version object with an unknown version */
	TS_PERSO_E_VERSION_PLACE,  /* a version object anywhere but first */
	TS_PERSO_E_VERSION_WANTED, /* not the version the caller asked for */
	TS_PERSO_E_WRAPPED,        /* a cert header whose wrapped size is not size - header */
	TS_PERSO_E_NAME_LEN,       /* a cert name of length 0 or more than 15 */
	TS_PERSO_E_NAME,           /* a cert name with a character outside printable ASCII */
	TS_PERSO_E_CERT_BODY,      /* a cert body shorter than 4 bytes */
	TS_PERSO_E_DER,            /* a certificate whose DER length is not its body size */
	TS_PERSO_E_PAYLOAD,        /* a fixed-size object (WAS HMAC, device ID, hash, dev seed) of the wrong size */
	TS_PERSO_E_COUNT,          /* num_objs differs from the objects found */
	TS_PERSO_E_TOO_MANY,       /* more objects than the parser holds */
	TS_PERSO_E_MAX
};

#define TS_PERSO_MAX_OBJS 128

/* One parsed object; pointers borrow the blob's body. */
struct ts_perso_obj {
	unsigned type;
	size_t offset;        /* of the object header in the body */
	size_t size;          /* the whole object */
	char name[TS_CERT_NAME_MAX + 1]; /* cert objects (types 0, 1, 3); "" otherwise */
	const uint8_t *data;  /* the cert body, or the payload of other objects */
	size_t len;
};

struct ts_perso_parsed {
	unsigned version;     /* 0 or 1 */
	size_t n;             /* objects, the version object included */
	struct ts_perso_obj obj[TS_PERSO_MAX_OBJS];
	enum ts_perso_error error; /* TS_PERSO_OK, or why ts_perso_parse refused */
	size_t error_offset;  /* where in the body */
};

/* Any version: for ts_perso_parse's want_version. */
#define TS_PERSO_ANY_VERSION 0xffffu

/* Empties b; version 1 starts with the version object (num_objs 1).  TS_ERR_RANGE for another version. */
TS_RESULT ts_perso_init(struct ts_perso_blob *b, unsigned version);

/* The blob's version, from its first bytes (A3.5): 1 when it starts with F0 04, else 0. */
unsigned ts_perso_version(const struct ts_perso_blob *b);

/*
 * Appends a cert object (type 0, 1 or 3) named name (1..15 printable ASCII)
 * with body der, using header_version's header widths (normally the blob's
 * version; the other one only to build faulty blobs in tests).  TS_ERR_RANGE
 * when it does not fit (blob or header fields), TS_ERR_SCHEMA for a bad name
 * or type.  Nothing changes on failure.
 */
TS_RESULT ts_perso_push_cert(struct ts_perso_blob *b, unsigned header_version, unsigned type, const char *name,
			     const uint8_t *der, size_t len);

/* Appends a non-cert object (types 2, 4..7) with payload buf; errors as ts_perso_push_cert. */
TS_RESULT ts_perso_push_object(struct ts_perso_blob *b, unsigned header_version, unsigned type, const uint8_t *buf,
			       size_t len);

/*
 * Parses b strictly into *out: the objects tile [0, next_free) exactly, bytes
 * past it are zero, num_objs matches, every header has the blob's width,
 * the version object is first iff version 1, cert headers and names are
 * well formed, X.509 certificates' DER length equals their body, fixed-size
 * payloads have their size.  want_version is 0, 1 or TS_PERSO_ANY_VERSION.
 * On refusal: TS_ERR_SCHEMA, out->error and out->error_offset say why and
 * where, and the message names both.
 */
TS_RESULT ts_perso_parse(const struct ts_perso_blob *b, unsigned want_version, struct ts_perso_parsed *out);

/* A short name for an error value ("size 0", "V0 header in a V1 blob", ...). */
const char *ts_perso_error_name(enum ts_perso_error e);

#endif
