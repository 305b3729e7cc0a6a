#include "common/topgen/ts_emit.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/base/ts_hjson.h"
#include "common/topgen/ts_emit_int.h"

/*
 * The secrets file is written from a skeleton tree in which every generated
 * value is a placeholder node; the writer's substitution hook prints the
 * secret in its place, so no json_t ever holds a secret (STYLE §4).
 */
enum slot_kind { SLOT_HEX, SLOT_DEC };

struct slot {
	const json_t *node;
	const struct ts_secret *v;
	enum slot_kind kind;
};

struct slots {
	struct slot *s;
	size_t n;
	size_t cap;
};

static void
slots_free(struct slots *sl)
{
	free(sl->s);
	sl->s = NULL;
}

static ts_result
slot_add(struct slots *sl, const json_t *node, const struct ts_secret *v, enum slot_kind kind)
{
	TS_ENSURE(node != NULL, TS_ERR_NOMEM);
	TS_ENSURE(v != NULL && v->data != NULL, TS_ERR_INTERNAL);
	if (sl->n == sl->cap) {
		size_t cap = sl->cap ? 2 * sl->cap : 256;
		struct slot *s = realloc(sl->s, cap * sizeof(*s));
		TS_ENSURE(s != NULL, TS_ERR_NOMEM);
		sl->s = s;
		sl->cap = cap;
	}
	sl->s[sl->n++] = (struct slot){ node, v, kind };
	return TS_OK;
}

/* A fresh placeholder node, owned by the skeleton, standing for v. */
static json_t *
slot_node(struct slots *sl, const struct ts_secret *v, enum slot_kind kind, ts_result *r)
{
	json_t *n = json_string("<generated>");
	*r = n == NULL ? ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__) : slot_add(sl, n, v, kind);
	return n;
}

static int
cmp_slot(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct slot *)a)->node;
	uintptr_t y = (uintptr_t)((const struct slot *)b)->node;
	return x < y ? -1 : x > y;
}

static ts_result
subst(void *ctx, const json_t *v, struct ts_buf *out, int *handled)
{
	const struct slots *sl = ctx;
	struct slot key = { v, NULL, SLOT_HEX };
	const struct slot *s = bsearch(&key, sl->s, sl->n, sizeof(*sl->s), cmp_slot);
	if (s == NULL) {
		return TS_OK;
	}
	*handled = 1;
	if (s->kind == SLOT_HEX) {
		return ts_emit_py_hex(s->v->data, s->v->len, out);
	}
	return ts_emit_decimal(s->v->data, s->v->len, out);
}

/* jansson setters that report failure as ts_result; "new" steals v. */
static ts_result
set_new(json_t *obj, const char *key, json_t *v)
{
	TS_ENSURE(v != NULL && json_object_set_new(obj, key, v) == 0, TS_ERR_NOMEM);
	return TS_OK;
}

static ts_result
set_ref(json_t *obj, const char *key, json_t *v)
{
	TS_ENSURE(v != NULL && json_object_set(obj, key, v) == 0, TS_ERR_NOMEM);
	return TS_OK;
}

struct inv_json {
	json_t *list;
	json_t *items;
	struct slots *sl;
};

static ts_result
js_part(void *ctx, const struct ts_otp_part *p, int first)
{
	struct inv_json *j = ctx;
	(void)first;
	json_t *pd = json_object();
	j->items = json_array();
	TS_ENSURE(pd != NULL && j->items != NULL, TS_ERR_NOMEM);
	TS_ENSURE(json_array_append_new(j->list, pd) == 0, TS_ERR_NOMEM);
	TS_GUARD(set_new(pd, "size", json_integer((json_int_t)(8 * p->size))));
	return set_new(pd, "items", j->items);
}

static ts_result
js_part_end(void *ctx, int last)
{
	(void)ctx;
	(void)last;
	return TS_OK;
}

static ts_result
js_item(void *ctx, size_t bits, const struct ts_secret *v, int gap, int last)
{
	struct inv_json *j = ctx;
	ts_result r = TS_OK;
	(void)last;
	json_t *it = json_object();
	TS_ENSURE(it != NULL, TS_ERR_NOMEM);
	TS_ENSURE(json_array_append_new(j->items, it) == 0, TS_ERR_NOMEM);
	if (gap) {
		TS_GUARD(set_new(it, "comment", json_string("unallocated space")));
	}
	TS_GUARD(set_new(it, "size", json_integer((json_int_t)bits)));
	if (gap) {
		return set_new(it, "inv_default", json_integer(0));
	}
	json_t *n = slot_node(j->sl, v, SLOT_DEC, &r);
	TS_GUARD(r);
	return set_new(it, "inv_default", n);
}

static const char *const randtype_names[] = { "data", "perm", "extdata" };

static ts_result
skel_param(const struct ts_top *top, const struct ts_param *p, struct slots *sl, json_t *po)
{
	ts_result r = TS_OK;
	json_t *ud = json_object_get(p->node, "unpacked_dimensions");
	TS_GUARD(set_new(po, "name", json_string(p->name)));
	TS_GUARD(set_new(po, "desc", json_string(p->desc)));
	TS_GUARD(set_new(po, "type", json_string(p->type)));
	if (ud != NULL) {
		TS_GUARD(set_ref(po, "unpacked_dimensions", ud));
	}
	TS_GUARD(set_new(po, "randcount", json_integer((json_int_t)p->randcount)));
	TS_GUARD(set_new(po, "randtype", json_string(randtype_names[p->randtype])));
	TS_GUARD(set_new(po, "name_top", json_string(p->name_top)));
	if (p->part_inv_default) {
		struct inv_json j = { json_array(), NULL, sl };
		struct inv_visit vis = { js_part, js_part_end, js_item, &j };
		TS_GUARD(set_new(po, "default", j.list));
		TS_ENSURE(top->otp != NULL, TS_ERR_SCHEMA);
		TS_GUARD(ts_emit_walk_inv(top->otp, &vis));
	} else {
		json_t *n = slot_node(sl, &p->value, SLOT_HEX, &r);
		TS_GUARD(r);
		TS_GUARD(set_new(po, "default", n));
	}
	return set_new(po, "randwidth", json_integer((json_int_t)p->randwidth));
}

static ts_result
otp_slots(const struct ts_otp *o, struct slots *sl)
{
	for (size_t i = 0; i < o->nkeys; i++) {
		TS_GUARD(slot_add(sl, o->keys[i].v.slot, &o->keys[i].v.value, SLOT_DEC));
	}
	for (size_t i = 0; i < o->ndigests; i++) {
		TS_GUARD(slot_add(sl, o->digests[i].iv.slot, &o->digests[i].iv.value, SLOT_DEC));
		TS_GUARD(slot_add(sl, o->digests[i].cnst.slot, &o->digests[i].cnst.value, SLOT_DEC));
	}
	for (size_t i = 0; i < o->nparts; i++) {
		for (size_t j = 0; j < o->parts[i].nitems; j++) {
			const struct ts_otp_value *v = &o->parts[i].items[j].inv;
			TS_GUARD(slot_add(sl, v->slot, &v->value, SLOT_DEC));
		}
	}
	return TS_OK;
}

static ts_result
skel_module(const struct ts_top *top, size_t idx, struct slots *sl, json_t *mo)
{
	const struct ts_module *m = &top->mods[idx];
	json_t *plist = json_array();
	TS_GUARD(set_new(mo, "name", json_string(m->name)));
	TS_GUARD(set_new(mo, "type", json_string(m->type)));
	json_t *ba = json_object_get(m->node, "base_addrs");
	json_t *mem = json_object_get(m->node, "memory");
	TS_GUARD(ba != NULL ? set_ref(mo, "base_addrs", ba) : set_new(mo, "base_addrs", json_object()));
	TS_GUARD(mem != NULL ? set_ref(mo, "memory", mem) : set_new(mo, "memory", json_object()));
	TS_GUARD(set_new(mo, "param_list", plist));
	for (size_t j = 0; j < m->nparams; j++) {
		json_t *po = json_object();
		TS_ENSURE(po != NULL && json_array_append_new(plist, po) == 0, TS_ERR_NOMEM);
		TS_GUARD(skel_param(top, &m->params[j], sl, po));
	}
	if (m->template_type != NULL) {
		TS_GUARD(set_new(mo, "template_type", json_string(m->template_type)));
	}
	if (top->otp != NULL && top->otp->module == idx) {
		TS_GUARD(set_ref(mo, "otp_mmap", top->otp->node));
		TS_GUARD(otp_slots(top->otp, sl));
	}
	return TS_OK;
}

static ts_result
skeleton(const struct ts_top *top, const struct ts_seeds *seeds, const char *mode, struct slots *sl,
	 json_t *root)
{
	ts_result r = TS_OK;
	json_t *seed = json_object();
	json_t *mods = json_array();
	TS_GUARD(set_new(root, "seed", seed));
	TS_GUARD(set_new(root, "module", mods));
	for (size_t i = 0; i < seeds->count; i++) {
		enum ts_seed_kind k = seeds->order[i];
		json_t *e = json_object();
		TS_GUARD(set_new(seed, ts_seed_name(k), e));
		TS_GUARD(set_new(e, "seed_mode", json_string(mode)));
		json_t *n = slot_node(sl, &seeds->seed[k], SLOT_DEC, &r);
		TS_GUARD(r);
		TS_GUARD(set_new(e, "value", n));
	}
	for (size_t i = 0; i < top->nmods; i++) {
		if (top->mods[i].nparams == 0) {
			continue;
		}
		json_t *mo = json_object();
		TS_ENSURE(mo != NULL && json_array_append_new(mods, mo) == 0, TS_ERR_NOMEM);
		TS_GUARD(skel_module(top, i, sl, mo));
	}
	return TS_OK;
}

ts_result
ts_emit_secrets_hjson(const struct ts_top *top, const struct ts_seeds *seeds, const char *mode,
		      struct ts_buf *out)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(seeds);
	TS_ENSURE_REF(mode);
	TS_AUTO(json_t, json_decref) root = json_object();
	struct slots sl = { 0 };
	TS_ENSURE(root != NULL, TS_ERR_NOMEM);
	ts_result r = skeleton(top, seeds, mode, &sl, root);
	if (r.code == 0) {
		qsort(sl.s, sl.n, sizeof(*sl.s), cmp_slot);
		r = ts_buf_puts(out, ts_emit_lic);
	}
	if (r.code == 0) {
		r = ts_buf_puts(out, ts_emit_warn);
	}
	if (r.code == 0) {
		r = ts_buf_printf(out, "// util/topgen.py -t hw/top_%s/data/top_%s.hjson\n"
				       "//                -o hw/top_%s/\n", top->t, top->t, top->t);
	}
	if (r.code == 0) {
		r = ts_hjson_dump(root, out, subst, &sl);
	}
	if (r.code == 0) {
		r = ts_buf_puts(out, "\n");
	}
	slots_free(&sl);
	return r;
}
