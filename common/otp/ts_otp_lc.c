#include "common/otp/ts_otp_lc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/topgen/ts_drbg.h"

/* LcStEnc's fixed, non-secret seed (spec/secrets.md §6, spec/otp.md §5). */
static const uint8_t lc_non_secure_seed[32] = {
	0x05, 0x17, 0xec, 0xf3, 0x16, 0x6f, 0x43, 0x23, 0x43, 0x3e, 0x4a, 0xd7, 0x60, 0xd6, 0xf8, 0xe2,
	0xfd, 0xf4, 0x52, 0x44, 0x00, 0x2c, 0xe5, 0x4b, 0xe8, 0xca, 0x3c, 0xb7, 0x74, 0x7c, 0x21, 0xbb,
};

static const char *const type_names[TS_LC_NTYPES] = { "lc_state", "lc_cnt", "soc_dbg_state", "ownership_state",
						      "auth_state" };

const char *
ts_lc_type_name(enum ts_lc_type t)
{
	return (unsigned)t < TS_LC_NTYPES ? type_names[t] : "unknown";
}

/* SWAR population count: portable and branch-free (no POPCNT instruction is assumed). */
static inline __attribute__((always_inline)) unsigned
popcount(uint32_t x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
}

/* The definition: ECC bits computed one after another over the growing codeword. */
static uint32_t
ecc_slow(const struct ts_lcenc *e, uint32_t data)
{
	uint32_t cw = data;
	for (unsigned j = 0; j < e->ecc_width; j++) {
		cw |= (popcount(cw & e->masks[j]) & 1u) << (e->data_width + j);
	}
	return cw;
}

/* Every ECC bit is a parity over data bits and earlier ECC bits, so ECC(a ^ b) = ECC(a) ^ ECC(b). */
static void
ecc_tables(struct ts_lcenc *e)
{
	for (uint32_t b = 0; b < 256; b++) {
		e->ecc_lo[b] = (uint8_t)(ecc_slow(e, b) >> 16);
		e->ecc_hi[b] = (uint8_t)(ecc_slow(e, b << 8) >> 16);
	}
}

uint32_t
ts_lcenc_ecc(const struct ts_lcenc *e, uint32_t data)
{
	data &= 0xffffu;
	return data | (uint32_t)(e->ecc_lo[data & 0xff] ^ e->ecc_hi[data >> 8]) << 16;
}

static ts_result
get_uint(const struct ts_hjson_doc *doc, json_t *obj, const char *key, unsigned max, unsigned *out)
{
	json_t *v = json_object_get(obj, key);
	unsigned long long u;
	if (v == NULL || ts_hjson_int_to_u64(v, max, &u).code != 0) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v != NULL ? v : obj, "'%s' must be an integer 0..%u", key, max);
	}
	*out = (unsigned)u;
	return TS_OK;
}

static ts_result
load_secded(struct ts_lcenc *e, json_t *root)
{
	const struct ts_hjson_doc *doc = e->doc;
	json_t *sec = json_object_get(root, "secded");
	if (!json_is_object(sec)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "the LC state file has no 'secded' object");
	}
	TS_GUARD(get_uint(doc, sec, "data_width", 16, &e->data_width));
	TS_GUARD(get_uint(doc, sec, "ecc_width", 8, &e->ecc_width));
	json_t *m = json_object_get(sec, "ecc_matrix");
	if (e->data_width != 16 || !json_is_array(m) || json_array_size(m) != e->ecc_width) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, sec, "secded needs data_width 16 and ecc_width rows in ecc_matrix");
	}
	for (unsigned j = 0; j < e->ecc_width; j++) {
		json_t *row = json_array_get(m, j);
		size_t i;
		json_t *b;
		json_array_foreach(row, i, b) {
			unsigned long long pos;
			if (ts_hjson_int_to_u64(b, e->data_width + j - 1, &pos).code != 0) {
				ts_error_clear();
				return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, b, "ecc_matrix row %u names a bit past its own", j);
			}
			e->masks[j] |= 1u << pos;
		}
	}
	return TS_OK;
}

static ts_result
load_tables(struct ts_lcenc *e, json_t *root)
{
	for (int t = 0; t < TS_LC_NTYPES; t++) {
		json_t *tab = json_object_get(root, type_names[t]);
		if (tab == NULL) {
			continue;
		}
		void *it = json_object_iter(tab);
		json_t *first = it != NULL ? json_object_iter_value(it) : NULL;
		if (!json_is_object(tab) || !json_is_array(first) || json_array_size(first) == 0 ||
		    json_array_size(first) > TS_LC_MAX_WORDS) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, e->doc, tab, "'%s' must map names to lists of 1..%d words",
						type_names[t], TS_LC_MAX_WORDS);
		}
		e->table[t] = tab;
		e->nwords[t] = json_array_size(first);
	}
	return TS_OK;
}

/* Branch-free so the compiler can vectorise it: this check dominates the codeword search. */
static inline __attribute__((always_inline)) int
far_enough(const uint32_t *existing, size_t n, uint32_t c, unsigned min_hd)
{
	unsigned close = 0;
	for (size_t i = 0; i < n; i++) {
		close |= popcount(existing[i] ^ c) < min_hd;
	}
	return close == 0;
}

struct gen {
	struct ts_lcenc *e;
	struct ts_drbg *d;
	uint32_t existing[2 * TS_LC_NTYPES * TS_LC_MAX_WORDS];
	size_t nexisting;
	uint32_t *cands; /* 1 << 16 entries */
};

/*
 * All increments of base: only 0 -> 1 flips (data and ECC), within the weight
 * and distance limits.  LcStEnc enumerates k = 1 .. 2^|z|-1 with k's top bit
 * on the highest zero bit, so the candidates grow with k: enumerating the
 * subsets of the zero mask in increasing order visits them in the same order.
 */
/* Compiled twice, the AVX2 copy chosen at load time where the processor has it (8 lanes, not 4). */
__attribute__((target_clones("avx2", "default"))) static size_t
candidates(struct gen *g, uint32_t base)
{
	const struct ts_lcenc *e = g->e;
	uint32_t zmask = ~base & 0xffffu;
	size_t n = 0;
	g->existing[g->nexisting] = base; /* existing + [base] */
	for (uint32_t sub = (0 - zmask) & zmask; sub != 0; sub = (sub - zmask) & zmask) {
		uint32_t c = ts_lcenc_ecc(e, (base & 0xffffu) | sub);
		if ((c & base) != base || popcount(c) > e->max_hw ||
		    !far_enough(g->existing, g->nexisting + 1, c, e->min_hd)) {
			continue;
		}
		g->cands[n++] = c;
	}
	return n;
}

static ts_result
gen_word(struct gen *g, enum ts_lc_type t, size_t j)
{
	const struct ts_lcenc *e = g->e;
	for (unsigned tries = 0; tries < 100000; tries++) {
		uint64_t r;
		TS_GUARD(ts_drbg_getrandbits_u64(g->d, 16, &r));
		uint32_t base = ts_lcenc_ecc(e, (uint32_t)r);
		unsigned hw = popcount(base);
		if (hw < e->min_hw || hw > e->max_hw || !far_enough(g->existing, g->nexisting, base, e->min_hd)) {
			continue;
		}
		size_t n = candidates(g, base);
		if (n == 0) {
			continue;
		}
		uint64_t pick;
		TS_GUARD(ts_drbg_randbelow(g->d, n, &pick));
		g->e->base[t][j] = base;
		g->e->incr[t][j] = g->cands[pick];
		g->existing[g->nexisting++] = base;
		g->existing[g->nexisting++] = g->cands[pick];
		return TS_OK;
	}
	TS_BAILF(TS_ERR_RANGE, "%s: no life-cycle codeword meets min_hw/max_hw/min_hd for %s word %zu",
		 ts_hjson_name(e->doc), type_names[t], j);
}

static ts_result
generate(struct ts_lcenc *e)
{
	struct gen *g = calloc(1, sizeof(*g));
	TS_ENSURE(g != NULL, TS_ERR_NOMEM);
	g->e = e;
	g->cands = calloc(1u << 16, sizeof(uint32_t));
	struct ts_secret seed = { 0 };
	ts_result r = g->cands != NULL ? ts_secret_new(&seed, 32) : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	if (r.code == 0) {
		memcpy(seed.data, lc_non_secure_seed, 32);
		r = ts_drbg_new(&seed, &g->d);
	}
	for (int t = 0; r.code == 0 && t < TS_LC_NTYPES; t++) {
		for (size_t j = 0; r.code == 0 && j < e->nwords[t]; j++) {
			r = gen_word(g, (enum ts_lc_type)t, j);
		}
	}
	ts_secret_free(&seed);
	ts_drbg_free(g->d);
	free(g->cands);
	free(g);
	return r;
}

ts_result
ts_lcenc_from_doc(struct ts_hjson_doc *doc, struct ts_lcenc **out)
{
	TS_ENSURE_REF(doc);
	struct ts_lcenc *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		ts_hjson_doc_free(doc);
		TS_BAIL(TS_ERR_NOMEM);
	}
	e->doc = doc;
	json_t *root = ts_hjson_root(doc);
	ts_result r = load_secded(e, root);
	if (r.code == 0) {
		r = get_uint(doc, root, "min_hw", 32, &e->min_hw);
	}
	if (r.code == 0) {
		r = get_uint(doc, root, "max_hw", 32, &e->max_hw);
	}
	if (r.code == 0) {
		r = get_uint(doc, root, "min_hd", 32, &e->min_hd);
	}
	if (r.code == 0) {
		ecc_tables(e);
		r = load_tables(e, root);
	}
	if (r.code == 0) {
		r = generate(e);
	}
	if (r.code != 0) {
		ts_lcenc_free(e);
		return r;
	}
	*out = e;
	return TS_OK;
}

ts_result
ts_lcenc_load(const char *path, struct ts_lcenc **out)
{
	struct ts_hjson_doc *doc = NULL;
	TS_GUARD(ts_hjson_load(path, &doc));
	return ts_lcenc_from_doc(doc, out);
}

void
ts_lcenc_free(struct ts_lcenc *e)
{
	if (e == NULL) {
		return;
	}
	ts_hjson_doc_free(e->doc);
	free(e);
}

/* A symbol: "0" (blank), or <letter><index> with the type's first (base) or second (incr) letter. */
static ts_result
symbol_word(const struct ts_lcenc *e, enum ts_lc_type t, const char *sym, uint32_t *word)
{
	char first = (char)('A' + 2 * t);
	char *end = NULL;
	if (strcmp(sym, "0") == 0) {
		*word = 0;
		return TS_OK;
	}
	unsigned long j = (sym[0] == first || sym[0] == first + 1) ? strtoul(sym + 1, &end, 10) : ULONG_MAX;
	TS_ENSUREF(end != NULL && *end == '\0' && end != sym + 1 && j < e->nwords[t], TS_ERR_SCHEMA,
		   "%s: bad %s symbol '%s'", ts_hjson_name(e->doc), type_names[t], sym);
	*word = (sym[0] == first ? e->base[t][j] : e->incr[t][j]) & 0xffffu;
	return TS_OK;
}

ts_result
ts_lcenc_encode(const struct ts_lcenc *e, enum ts_lc_type t, const char *name, uint8_t *out, size_t len)
{
	TS_ENSURE((unsigned)t < TS_LC_NTYPES, TS_ERR_INTERNAL);
	TS_ENSUREF(e->table[t] != NULL, TS_ERR_SCHEMA, "%s has no '%s' table", ts_hjson_name(e->doc), type_names[t]);
	json_t *syms = json_object_get(e->table[t], name);
	TS_ENSUREF(json_is_array(syms) && json_array_size(syms) == e->nwords[t], TS_ERR_SCHEMA,
		   "'%s' is not a %s defined in %s", name, type_names[t], ts_hjson_name(e->doc));
	TS_ENSURE(len >= 2 * e->nwords[t], TS_ERR_SCHEMA);
	memset(out, 0, len);
	for (size_t j = 0; j < e->nwords[t]; j++) {
		json_t *s = json_array_get(syms, j);
		uint32_t w = 0;
		TS_ENSUREF(json_is_string(s), TS_ERR_SCHEMA, "%s: %s '%s' holds a non-string symbol", ts_hjson_name(e->doc),
			   type_names[t], name);
		TS_GUARD(symbol_word(e, t, json_string_value(s), &w));
		out[2 * j] = (uint8_t)(w & 0xff);
		out[2 * j + 1] = (uint8_t)(w >> 8);
	}
	return TS_OK;
}
