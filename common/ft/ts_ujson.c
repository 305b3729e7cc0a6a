#include "common/ft/ts_ujson.h"

#include <stdlib.h>
#include <string.h>

uint32_t
ts_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++) {
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
		}
	}
	return ~c;
}

static ts_result
dump(const json_t *j, char **text)
{
	*text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	TS_ENSURE(*text != NULL, TS_ERR_NOMEM);
	return TS_OK;
}

ts_result
ts_ujson_resp(const json_t *j, struct ts_buf *out)
{
	TS_ENSURE(j != NULL && out != NULL, TS_ERR_NULL);
	char *t;
	TS_GUARD(dump(j, &t));
	ts_result r = ts_buf_printf(out, "RESP_OK:%s CRC:%u\n", t, (unsigned)ts_crc32(t, strlen(t)));
	free(t);
	return r;
}

ts_result
ts_ujson_msg(const json_t *j, size_t pad_to, int with_crc, struct ts_buf *out)
{
	TS_ENSURE(j != NULL && out != NULL, TS_ERR_NULL);
	char *t;
	TS_GUARD(dump(j, &t));
	/* Padding only fills up to the upstream size; a longer message (3-digit key ID bytes) goes out whole. */
	size_t n = strlen(t);
	ts_result r = ts_buf_puts(out, t);
	r = r.code || n >= pad_to ? r : ts_buf_repeat(out, ' ', pad_to - n);
	if (r.code == 0 && with_crc) {
		r = ts_buf_printf(out, " CRC:%u", (unsigned)ts_crc32(t, n));
	}
	free(t);
	return r.code ? r : ts_buf_puts(out, "\n");
}

ts_result
ts_ujson_parse(const char *line, int resp, json_t **out)
{
	TS_ENSURE(line != NULL && out != NULL, TS_ERR_NULL);
	const char *p = line;
	if (resp) {
		TS_ENSUREF(strncmp(p, "RESP_OK:", 8) == 0, TS_ERR_PARSE, "expected a RESP_OK line, got '%.40s'", line);
		p += 8;
	}
	json_error_t err;
	json_t *j = json_loads(p, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
	TS_ENSUREF(j != NULL && json_is_object(j), TS_ERR_PARSE, "a malformed JSON message: %s", err.text);
	const char *rest = p + err.position;
	size_t jlen = (size_t)err.position;
	while (*rest == ' ') {
		rest++;
	}
	if (strncmp(rest, "CRC:", 4) == 0) {
		char *end;
		unsigned long crc = strtoul(rest + 4, &end, 10);
		if (*end != '\0' || crc != ts_crc32(p, jlen)) {
			json_decref(j);
			TS_BAILF(TS_ERR_PARSE, "the message's CRC does not match its JSON");
		}
	} else if (*rest != '\0') {
		json_decref(j);
		TS_BAILF(TS_ERR_PARSE, "trailing text after a JSON message");
	}
	*out = j;
	return TS_OK;
}

ts_result
ts_ujson_read_line(FILE *f, char *buf, size_t cap)
{
	TS_ENSURE(f != NULL && buf != NULL && cap > 1, TS_ERR_NULL);
	TS_ENSUREF(fgets(buf, (int)cap, f) != NULL, TS_ERR_IO, "the other side closed the console");
	size_t n = strlen(buf);
	TS_ENSUREF(n > 0 && (buf[n - 1] == '\n' || n < cap - 1), TS_ERR_RANGE, "a console line is longer than %zu bytes",
		   cap - 1);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		buf[--n] = '\0';
	}
	return TS_OK;
}

ts_result
ts_ujson_wait_for(FILE *f, const char *want, FILE *echo)
{
	static char line[TS_UJSON_LINE_MAX];
	for (;;) {
		TS_GUARD(ts_ujson_read_line(f, line, sizeof(line)));
		if (strcmp(line, want) == 0) {
			return TS_OK;
		}
		if (echo != NULL) {
			fprintf(echo, "%s\n", line);
		}
	}
}

json_t *
ts_ujson_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, json_integer((json_int_t)v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

ts_result
ts_ujson_uints(const json_t *j, const char *key, uint64_t max, uint64_t *out, size_t n)
{
	json_t *a = json_object_get(j, key);
	TS_ENSUREF(json_is_array(a) && json_array_size(a) == n, TS_ERR_SCHEMA, "'%s' must be an array of %zu numbers", key,
		   n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		TS_ENSUREF(json_is_integer(v) && json_integer_value(v) >= 0 && (uint64_t)json_integer_value(v) <= max,
			   TS_ERR_SCHEMA, "'%s'[%zu] must be an integer from 0 to %llu", key, i, (unsigned long long)max);
		out[i] = (uint64_t)json_integer_value(v);
	}
	return TS_OK;
}

ts_result
ts_ujson_blob_to_json(const struct ts_perso_blob *b, json_t **out)
{
	TS_ENSURE(b != NULL && out != NULL, TS_ERR_NULL);
	json_t *body = json_array();
	for (size_t i = 0; body != NULL && i < TS_PERSO_BLOB_MAX; i++) {
		TS_ENSURE(json_array_append_new(body, json_integer(b->body[i])) == 0, TS_ERR_NOMEM);
	}
	*out = json_pack("{s:I,s:I,s:o}", "num_objs", (json_int_t)b->num_objs, "next_free", (json_int_t)b->next_free,
			 "body", body);
	TS_ENSURE(*out != NULL, TS_ERR_NOMEM);
	return TS_OK;
}

ts_result
ts_ujson_blob_from_json(const json_t *j, struct ts_perso_blob *b)
{
	TS_ENSURE(j != NULL && b != NULL, TS_ERR_NULL);
	static uint64_t body[TS_PERSO_BLOB_MAX];
	json_t *n = json_object_get(j, "num_objs"), *f = json_object_get(j, "next_free");
	TS_ENSUREF(json_is_integer(n) && json_is_integer(f) && json_integer_value(n) >= 0 && json_integer_value(f) >= 0,
		   TS_ERR_SCHEMA, "a perso blob needs num_objs and next_free");
	TS_GUARD(ts_ujson_uints(j, "body", 255, body, TS_PERSO_BLOB_MAX));
	b->num_objs = (size_t)json_integer_value(n);
	b->next_free = (size_t)json_integer_value(f);
	for (size_t i = 0; i < TS_PERSO_BLOB_MAX; i++) {
		b->body[i] = (uint8_t)body[i];
	}
	return TS_OK;
}

ts_result
ts_ujson_token_hash_msg(const uint64_t hash[2], struct ts_buf *out)
{
	TS_ENSURE(hash != NULL && out != NULL, TS_ERR_NULL);
	char t[96];
	int n = snprintf(t, sizeof(t), "{\"hash\":[%llu,%llu]}", (unsigned long long)hash[0], (unsigned long long)hash[1]);
	TS_ENSURE(n > 0 && (size_t)n <= TS_UJSON_MAX_TOKEN_HASH, TS_ERR_RANGE);
	TS_GUARD(ts_buf_append(out, t, (size_t)n));
	TS_GUARD(ts_buf_repeat(out, ' ', TS_UJSON_MAX_TOKEN_HASH - (size_t)n));
	return ts_buf_printf(out, " CRC:%u\n", (unsigned)ts_crc32(t, (size_t)n));
}

ts_result
ts_ujson_token_hash_parse(const char *line, uint64_t hash[2])
{
	TS_ENSURE(line != NULL && hash != NULL, TS_ERR_NULL);
	unsigned long long a, b;
	int end = 0;
	TS_ENSUREF(sscanf(line, " { \"hash\" : [ %llu , %llu ] }%n", &a, &b, &end) == 2 && end > 0, TS_ERR_PARSE,
		   "expected {\"hash\":[u64,u64]}, got '%.60s'", line);
	const char *rest = line + end;
	while (*rest == ' ') {
		rest++;
	}
	if (strncmp(rest, "CRC:", 4) == 0) {
		char *stop;
		unsigned long crc = strtoul(rest + 4, &stop, 10);
		TS_ENSUREF(*stop == '\0' && crc == ts_crc32(line, (size_t)end), TS_ERR_PARSE,
			   "the message's CRC does not match its JSON");
	} else {
		TS_ENSUREF(*rest == '\0', TS_ERR_PARSE, "trailing text after a JSON message");
	}
	hash[0] = a;
	hash[1] = b;
	return TS_OK;
}
