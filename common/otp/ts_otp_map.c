#include "common/otp/ts_otp_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BLK 8

/* An integer given as a number or a decimal string (upstream mmaps use both). */
static ts_result
num(const struct ts_hjson_doc *doc, json_t *obj, const char *key, size_t dflt, size_t max, size_t *out)
{
	json_t *v = json_object_get(obj, key);
	unsigned long long u = 0;
	char *end = NULL;
	if (v == NULL) {
		*out = dflt;
		return TS_OK;
	}
	if (json_is_string(v) && !ts_hjson_is_int(v)) {
		const char *s = json_string_value(v);
		u = strtoull(s, &end, 10);
		if (*s == '\0' || *end != '\0' || u > max) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' must be an integer 0..%zu", key, max);
		}
	} else if (ts_hjson_int_to_u64(v, max, &u).code != 0) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' must be an integer 0..%zu", key, max);
	}
	*out = (size_t)u;
	return TS_OK;
}

/* A boolean given as true/false or "true"/"false" in any case. */
static ts_result
flag(const struct ts_hjson_doc *doc, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (v == NULL) {
		return TS_OK;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return TS_OK;
	}
	if (json_is_string(v) && (strcasecmp(json_string_value(v), "true") == 0 ||
				  strcasecmp(json_string_value(v), "false") == 0)) {
		*out = strcasecmp(json_string_value(v), "true") == 0;
		return TS_OK;
	}
	return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' must be true or false", key);
}

static ts_result
text(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *dflt, char *out, size_t len)
{
	json_t *v = json_object_get(obj, key);
	const char *s = v == NULL ? dflt : json_is_string(v) && !ts_hjson_is_int(v) ? json_string_value(v) : NULL;
	if (s == NULL || strlen(s) >= len || (dflt == NULL && *s == '\0')) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v != NULL ? v : obj, "'%s' must be a string of under %zu bytes",
					key, len);
	}
	(void)snprintf(out, len, "%s", s);
	return TS_OK;
}

static ts_result
load_part(const struct ts_hjson_doc *doc, json_t *pj, struct ts_mm_part *p, size_t otp_size)
{
	json_t *items = json_object_get(pj, "items");
	size_t sum = 0;
	if (!json_is_object(pj) || !json_is_array(items)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, pj, "each partition needs a name and an 'items' list");
	}
	TS_GUARD(text(doc, pj, "name", NULL, p->name, sizeof(p->name)));
	TS_GUARD(text(doc, pj, "variant", "Unbuffered", p->variant, sizeof(p->variant)));
	TS_GUARD(text(doc, pj, "key_sel", "NoKey", p->key_sel, sizeof(p->key_sel)));
	TS_GUARD(flag(doc, pj, "secret", &p->secret));
	TS_GUARD(flag(doc, pj, "sw_digest", &p->sw_digest));
	TS_GUARD(flag(doc, pj, "hw_digest", &p->hw_digest));
	TS_GUARD(flag(doc, pj, "zeroizable", &p->zeroizable));
	TS_GUARD(flag(doc, pj, "absorb", &p->absorb));
	TS_GUARD(flag(doc, pj, "skip_sw_header", &p->skip_sw_header));
	p->nitems = json_array_size(items);
	p->items = calloc(p->nitems + 2, sizeof(*p->items));
	TS_ENSURE(p->items != NULL, TS_ERR_NOMEM);
	for (size_t i = 0; i < p->nitems; i++) {
		json_t *ij = json_array_get(items, i);
		struct ts_mm_item *it = &p->items[i];
		if (!json_is_object(ij)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, ij, "items of partition %s must be objects", p->name);
		}
		TS_GUARD(text(doc, ij, "name", NULL, it->name, sizeof(it->name)));
		TS_GUARD(num(doc, ij, "size", 0, otp_size, &it->size));
		TS_GUARD(flag(doc, ij, "ismubi", &it->ismubi));
		TS_ENSUREF(!it->ismubi || (it->size * 8 % 4 == 0 && it->size * 8 <= 32), TS_ERR_SCHEMA,
			   "%s: mubi item %s must be at most 32 bits", ts_hjson_name(doc), it->name);
		sum += it->size;
	}
	size_t calc = (sum + BLK - 1) / BLK * BLK + ((p->sw_digest || p->hw_digest) ? 8 : 0) + (p->zeroizable ? 8 : 0);
	TS_GUARD(num(doc, pj, "size", calc, otp_size, &p->size));
	if (p->size < calc || p->size % BLK != 0) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, json_object_get(pj, "size"),
					"partition %s: size must be a multiple of 8 and at least %zu", p->name, calc);
	}
	TS_ENSUREF(!(p->sw_digest && p->hw_digest), TS_ERR_SCHEMA, "%s: partition %s has both sw_digest and hw_digest",
		   ts_hjson_name(doc), p->name);
	TS_ENSUREF(!(strcmp(p->variant, "Unbuffered") == 0 && p->hw_digest), TS_ERR_SCHEMA,
		   "%s: Unbuffered partition %s cannot have hw_digest", ts_hjson_name(doc), p->name);
	TS_ENSUREF(!p->secret || strcmp(p->key_sel, "NoKey") != 0, TS_ERR_SCHEMA, "%s: secret partition %s needs a key_sel",
		   ts_hjson_name(doc), p->name);
	return TS_OK;
}

static void
add_synthetic(struct ts_mm_part *p, const char *suffix, size_t offset, int isdigest)
{
	struct ts_mm_item *it = &p->items[p->nitems++];
	(void)snprintf(it->name, sizeof(it->name), "%s_%s", p->name, suffix);
	it->size = 8;
	it->offset = offset;
	it->isdigest = isdigest;
	it->iszer = !isdigest;
}

/* §4 steps 2-5: absorb the leftover blocks round-robin, then assign offsets. */
static ts_result
layout(struct ts_mmap *m)
{
	size_t allocated = 0, nabsorb = 0, off = 0;
	for (size_t i = 0; i < m->nparts; i++) {
		allocated += m->parts[i].size;
		nabsorb += m->parts[i].absorb ? 1u : 0u;
	}
	TS_ENSUREF(allocated <= m->size, TS_ERR_SCHEMA, "the partitions need %zu bytes; the OTP has %zu", allocated, m->size);
	size_t left = (m->size - allocated) / BLK;
	for (size_t b = 0, k = 0; nabsorb > 0 && b < left; k++) {
		if (m->parts[k % m->nparts].absorb) {
			m->parts[k % m->nparts].size += BLK;
			b++;
		}
	}
	for (size_t i = 0; i < m->nparts; i++) {
		struct ts_mm_part *p = &m->parts[i];
		size_t io = p->offset = off;
		for (size_t j = 0; j < p->nitems; j++) {
			p->items[j].offset = io;
			io += p->items[j].size;
		}
		if (p->sw_digest || p->hw_digest) {
			add_synthetic(p, "DIGEST", p->offset + p->size - 8 - (p->zeroizable ? 8 : 0), 1);
		}
		if (p->zeroizable) {
			add_synthetic(p, "ZER", p->offset + p->size - 8, 0);
		}
		off += p->size;
	}
	return TS_OK;
}

static ts_result
check_names(const struct ts_hjson_doc *doc, const struct ts_mmap *m)
{
	for (size_t i = 0; i < m->nparts; i++) {
		int lc = strcmp(m->parts[i].variant, "LifeCycle") == 0;
		TS_ENSUREF(lc == (i == m->nparts - 1), TS_ERR_SCHEMA, "%s: the last partition, and only it, must be LifeCycle",
			   ts_hjson_name(doc));
		for (size_t j = 0; j < i; j++) {
			TS_ENSUREF(strcmp(m->parts[i].name, m->parts[j].name) != 0, TS_ERR_SCHEMA,
				   "%s: partition %s is defined twice", ts_hjson_name(doc), m->parts[i].name);
		}
	}
	return TS_OK;
}

ts_result
ts_mmap_from_doc(const struct ts_hjson_doc *doc, struct ts_mmap **out)
{
	json_t *root = ts_hjson_root(doc);
	json_t *otp = json_object_get(root, "otp");
	json_t *parts = json_object_get(root, "partitions");
	if (!json_is_object(otp) || !json_is_array(parts) || json_array_size(parts) == 0) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "an OTP memory map needs 'otp' and 'partitions'");
	}
	struct ts_mmap *m = calloc(1, sizeof(*m));
	TS_ENSURE(m != NULL, TS_ERR_NOMEM);
	ts_result r = num(doc, otp, "width", 0, 8, &m->width);
	r = r.code ? r : num(doc, otp, "depth", 0, 1u << 20, &m->depth);
	m->size = m->width * m->depth;
	m->nparts = json_array_size(parts);
	m->parts = calloc(m->nparts, sizeof(*m->parts));
	r = r.code ? r : m->parts == NULL ? ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__) : TS_OK;
	for (size_t i = 0; r.code == 0 && i < m->nparts; i++) {
		r = load_part(doc, json_array_get(parts, i), &m->parts[i], m->size);
	}
	r = r.code ? r : check_names(doc, m);
	r = r.code ? r : layout(m);
	if (r.code != 0) {
		ts_mmap_free(m);
		return r;
	}
	*out = m;
	return TS_OK;
}

ts_result
ts_mmap_load(const char *path, struct ts_mmap **out)
{
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_load(path, &doc));
	return ts_mmap_from_doc(doc, out);
}

void
ts_mmap_free(struct ts_mmap *m)
{
	if (m == NULL) {
		return;
	}
	for (size_t i = 0; m->parts != NULL && i < m->nparts; i++) {
		free(m->parts[i].items);
	}
	free(m->parts);
	free(m);
}

struct ts_mm_part *
ts_mmap_part(const struct ts_mmap *m, const char *name)
{
	for (size_t i = 0; i < m->nparts; i++) {
		if (strcmp(m->parts[i].name, name) == 0) {
			return &m->parts[i];
		}
	}
	return NULL;
}

struct ts_mm_item *
ts_mmap_item(const struct ts_mm_part *p, const char *name)
{
	for (size_t i = 0; i < p->nitems; i++) {
		if (strcmp(p->items[i].name, name) == 0) {
			return &p->items[i];
		}
	}
	return NULL;
}
