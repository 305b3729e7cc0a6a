#include "common/topgen/ts_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/topgen/ts_drbg.h"

static size_t
bitlength(size_t x)
{
	size_t n = 0;
	for (; x != 0; x >>= 1) {
		n++;
	}
	return n;
}

/* Sets the w-bit field whose least significant bit is lsb in a big-endian array. */
static void
put_field(uint8_t *be, size_t len, size_t lsb, size_t w, uint32_t v)
{
	for (size_t b = 0; b < w; b++) {
		if ((v >> b) & 1u) {
			size_t bit = lsb + b;
			be[len - 1 - bit / 8] |= (uint8_t)(1u << (bit % 8));
		}
	}
}

ts_result
ts_gen_perm(struct ts_drbg *d, size_t n, struct ts_secret *out)
{
	TS_ENSURE_REF(d);
	TS_ENSURE_REF(out);
	TS_ENSURE(n >= 1 && n <= 65536, TS_ERR_RANGE);
	size_t w = bitlength(n - 1);
	size_t width = n * w;
	TS_SECRET(idx);
	TS_SECRET(v);
	TS_GUARD(ts_secret_new(&idx, n * sizeof(uint32_t)));
	uint32_t *x = (uint32_t *)(void *)idx.data;
	for (size_t i = 0; i < n; i++) {
		x[i] = (uint32_t)i;
	}
	TS_GUARD(ts_drbg_shuffle(d, x, n));
	TS_GUARD(ts_secret_new(&v, width ? (width + 7) / 8 : 1));
	for (size_t k = 0; k < n && w > 0; k++) {
		put_field(v.data, v.len, width - (k + 1) * w, w, x[k]);
	}
	ts_secret_move(out, &v);
	return TS_OK;
}

static ts_result
draw_param(struct ts_drbg *d, const struct ts_param *p, struct ts_secret *out)
{
	switch (p->randtype) {
	case TS_RAND_DATA:
		return ts_drbg_getrandbits(d, p->randcount, out);
	case TS_RAND_PERM:
		return ts_gen_perm(d, p->randcount, out);
	case TS_RAND_EXTDATA:
		return TS_OK;
	default:
		TS_BAIL(TS_ERR_INTERNAL);
	}
}

static ts_result
draw_otp_value(struct ts_drbg *d, struct ts_otp_value *v)
{
	if (!v->random) {
		return TS_OK;
	}
	ts_secret_free(&v->value);
	return ts_drbg_getrandbits(d, 8 * v->bytes, &v->value);
}

/* Phase A: keys, digest IV/constants, random items, then digest items. */
static ts_result
phase_a(struct ts_drbg *d, struct ts_otp *o)
{
	for (size_t i = 0; i < o->nkeys; i++) {
		TS_GUARD(draw_otp_value(d, &o->keys[i].v));
	}
	for (size_t i = 0; i < o->ndigests; i++) {
		TS_GUARD(draw_otp_value(d, &o->digests[i].iv));
		TS_GUARD(draw_otp_value(d, &o->digests[i].cnst));
	}
	for (size_t i = 0; i < o->nparts; i++) {
		for (size_t j = 0; j < o->parts[i].nitems; j++) {
			if (!o->parts[i].items[j].isdigest) {
				TS_GUARD(draw_otp_value(d, &o->parts[i].items[j].inv));
			}
		}
	}
	for (size_t i = 0; i < o->nparts; i++) {
		for (size_t j = 0; j < o->parts[i].nitems; j++) {
			struct ts_otp_item *it = &o->parts[i].items[j];
			if (it->isdigest) {
				TS_ENSUREF(!it->inv.random || it->size == 8, TS_ERR_SCHEMA,
					   "OTP digest item '%s' must be 8 bytes", it->name);
				TS_GUARD(draw_otp_value(d, &it->inv));
			}
		}
	}
	return TS_OK;
}

static ts_result
phase_b(struct ts_drbg *d, const struct ts_top *top)
{
	for (size_t k = 0; k < top->nmods; k++) {
		const struct ts_module *m = &top->mods[top->elab_order[k]];
		for (size_t j = 0; j < m->nparams; j++) {
			TS_SECRET(discard);
			TS_GUARD(draw_param(d, &m->params[j], &discard));
		}
	}
	return TS_OK;
}

static ts_result
phase_c(struct ts_drbg *d, struct ts_top *top)
{
	for (size_t i = 0; i < top->nmods; i++) {
		struct ts_module *m = &top->mods[i];
		for (size_t j = 0; j < m->nparams; j++) {
			ts_secret_free(&m->params[j].value);
			TS_GUARD(draw_param(d, &m->params[j], &m->params[j].value));
		}
	}
	return TS_OK;
}

/* Copies an OTP value into a param, right-aligned in ceil(randwidth/8) bytes. */
static ts_result
set_ext(struct ts_param *p, const struct ts_module *m, const struct ts_secret *v)
{
	size_t n = (p->randwidth + 7) / 8;
	size_t lead = 0;
	TS_ENSURE(v->data != NULL, TS_ERR_INTERNAL);
	while (lead < v->len && v->data[lead] == 0) {
		lead++;
	}
	size_t sig = v->len - lead;
	int fits = sig <= n;
	if (fits && sig == n && sig > 0 && p->randwidth % 8 != 0) {
		fits = (v->data[lead] >> (p->randwidth % 8)) == 0;
	}
	TS_ENSUREF(fits, TS_ERR_SCHEMA, "param '%s' of module '%s': the OTP value is wider than its "
		   "randcount of %zu bits", p->name, m->name, p->randcount);
	ts_secret_free(&p->value);
	TS_GUARD(ts_secret_new(&p->value, n ? n : 1));
	if (sig > 0) {
		memcpy(p->value.data + p->value.len - sig, v->data + lead, sig);
	}
	return TS_OK;
}

static int
index_suffix(const char *name, const char *prefix, size_t *idx)
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0 || name[n] == '\0' || strlen(name + n) > 6) {
		return 0;
	}
	size_t v = 0;
	for (const char *c = name + n; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			return 0;
		}
		v = v * 10 + (size_t)(*c - '0');
	}
	*idx = v;
	return 1;
}

static ts_result
fill_extdata_param(const struct ts_otp *o, const struct ts_module *m, struct ts_param *p)
{
	size_t i;
	if (p->part_inv_default) {
		return TS_OK;
	}
	if (index_suffix(p->name, "RndCnstScrmblKey", &i) && i < o->nkeys) {
		return set_ext(p, m, &o->keys[i].v.value);
	}
	if (index_suffix(p->name, "RndCnstDigestConst", &i) && i < o->ndigests) {
		return set_ext(p, m, &o->digests[i].cnst.value);
	}
	if (index_suffix(p->name, "RndCnstDigestIV", &i) && i < o->ndigests) {
		return set_ext(p, m, &o->digests[i].iv.value);
	}
	TS_BAILF(TS_ERR_SCHEMA, "extdata param '%s' of module '%s' names no OTP key, digest or "
		 "RndCnstPartInvDefault", p->name, m->name);
}

static ts_result
fill_extdata(struct ts_top *top)
{
	for (size_t i = 0; i < top->nmods; i++) {
		struct ts_module *m = &top->mods[i];
		for (size_t j = 0; j < m->nparams; j++) {
			struct ts_param *p = &m->params[j];
			if (p->randtype != TS_RAND_EXTDATA) {
				continue;
			}
			TS_ENSUREF(top->otp != NULL && top->otp->module == i, TS_ERR_SCHEMA,
				   "extdata param '%s' of module '%s': only the module holding otp_mmap "
				   "has extdata params", p->name, m->name);
			TS_GUARD(fill_extdata_param(top->otp, m, p));
		}
	}
	return TS_OK;
}

ts_result
ts_gen_run_stats(struct ts_top *top, const struct ts_seeds *seeds, struct ts_gen_stats *st)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(seeds);
	TS_ENSURE_REF(st);
	TS_AUTO(struct ts_drbg, ts_drbg_free) d = NULL;
	TS_ENSUREF(seeds->seed[TS_SEED_TOPGEN].data != NULL, TS_ERR_SEED, "topgen_seed is missing");
	TS_GUARD(ts_drbg_new(&seeds->seed[TS_SEED_TOPGEN], &d));
	if (top->otp != NULL) {
		TS_GUARD(phase_a(d, top->otp));
	}
	st->end_a = ts_drbg_consumed(d);
	TS_GUARD(phase_b(d, top));
	st->end_b = ts_drbg_consumed(d);
	TS_GUARD(phase_c(d, top));
	st->end_c = ts_drbg_consumed(d);
	return fill_extdata(top);
}

ts_result
ts_gen_run(struct ts_top *top, const struct ts_seeds *seeds)
{
	struct ts_gen_stats st;
	return ts_gen_run_stats(top, seeds, &st);
}
