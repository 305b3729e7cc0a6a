#ifndef TS_COMMON_FT_TS_UJSON_H
#define TS_COMMON_FT_TS_UJSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/ft/ts_perso.h"

/*
 * The console protocol between the FT host and a device (spec/provisioning.md
 * A1, A2): the device prints fixed prompt lines and answers with
 * "RESP_OK:<json> CRC:<crc32>" lines; the host sends bare JSON objects padded
 * with spaces to the message's fixed maximum, optionally followed by
 * " CRC:<crc32>".  CRC-32 is the IEEE 802.3 one over the JSON text.
 */

#define TS_UJSON_LINE_MAX 32768

/* Device prompts, exactly as upstream prints them. */
#define TS_PROMPT_TOKEN_HASH "Waiting For RMA Unlock Token Hash ..."
#define TS_PROMPT_CERTGEN "Waiting for certificate inputs ..."
#define TS_PROMPT_EXPORT "Exporting TBS certificates ..."
#define TS_PROMPT_IMPORT "Importing endorsed certificates ..."
#define TS_PROMPT_IMPORTED "Finished importing certificates."
#define TS_PROMPT_DONE "Personalization done."

/* A2 maxima of the host->device messages. */
#define TS_UJSON_MAX_TOKEN_HASH 52
#define TS_UJSON_MAX_CERTGEN 215
#define TS_UJSON_MAX_BLOB 20535
#define TS_UJSON_MAX_INDIVIDUALIZE 86

uint32_t ts_crc32(const void *p, size_t n);

/* "RESP_OK:<compact json> CRC:<crc>\n", appended to *out. */
TS_RESULT ts_ujson_resp(const json_t *j, struct ts_buf *out);

/* Host->device: compact JSON padded with spaces up to pad_to (longer ones unpadded), " CRC:<crc>" when with_crc, then "\n". */
TS_RESULT ts_ujson_msg(const json_t *j, size_t pad_to, int with_crc, struct ts_buf *out);

/*
 * Parses a RESP_OK line (prefix required) or a bare message line: the JSON
 * object, then optional spaces and an optional " CRC:<n>" that must match.
 * TS_ERR_PARSE with a one-line reason.  Caller decrefs *out.
 */
TS_RESULT ts_ujson_parse(const char *line, int resp, json_t **out);

/* Reads one line from f into buf (without the newline); TS_ERR_IO at EOF, TS_ERR_RANGE when too long. */
TS_RESULT ts_ujson_read_line(FILE *f, char *buf, size_t cap);

/* Reads lines until one equals want (other lines go to echo when not NULL); TS_ERR_IO at EOF. */
TS_RESULT ts_ujson_wait_for(FILE *f, const char *want, FILE *echo);

/*
 * lc_token_hash_t {hash: u64[2]}: its numbers exceed jansson's signed 64-bit
 * integers, so it has its own writer and reader (same framing as the others).
 */
TS_RESULT ts_ujson_token_hash_msg(const uint64_t hash[2], struct ts_buf *out);
TS_RESULT ts_ujson_token_hash_parse(const char *line, uint64_t hash[2]);

/* A2 structs. */
TS_RESULT ts_ujson_blob_to_json(const struct ts_perso_blob *b, json_t **out);
TS_RESULT ts_ujson_blob_from_json(const json_t *j, struct ts_perso_blob *b);
/* key's value, an array of exactly n integers each <= max, into out (as 64-bit values). */
TS_RESULT ts_ujson_uints(const json_t *j, const char *key, uint64_t max, uint64_t *out, size_t n);
/* An array of n integers. */
json_t *ts_ujson_array(const uint64_t *v, size_t n);

#endif
