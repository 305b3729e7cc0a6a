#include "common/ts_emit.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/ts_hjson.h"

static const char lic[] =
	"// Copyright lowRISC contributors (OpenTitan project).\n"
	"// Licensed under the Apache License, Version 2.0, see LICENSE for details.\n"
	"// SPDX-License-Identifier: Apache-2.0\n";
static const char warn[] =
	"//\n"
	"// ------------------- W A R N I N G: A U T O - G E N E R A T E D   C O D E !! "
	"-------------------//\n"
	"// PLEASE DO NOT HAND-EDIT THIS FILE. IT HAS BEEN AUTO-GENERATED WITH THE FOLLOWING COMMAND:\n";

static const char hexdig_lo[] = "0123456789abcdef";
static const char hexdig_up[] = "0123456789ABCDEF";

static unsigned
bit_at(const uint8_t *be, size_t len, size_t i)
{
	return i / 8 < len ? (be[len - 1 - i / 8] >> (i % 8)) & 1u : 0;
}

static size_t
bit_length(const uint8_t *be, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (be[i] != 0) {
			size_t b = 8;
			while (!(be[i] & (1u << (b - 1)))) {
				b--;
			}
			return 8 * (len - 1 - i) + b;
		}
	}
	return 0;
}

static unsigned
nibble(const uint8_t *be, size_t len, size_t lsb, size_t limit)
{
	unsigned v = 0;
	for (size_t b = 0; b < 4; b++) {
		if (lsb + b < limit) {
			v |= bit_at(be, len, lsb + b) << b;
		}
	}
	return v;
}

/* Hex digits of bits [lo, lo+w), uppercase; pad to ceil(w/4) digits or not; '_' every 8. */
static ts_result
put_hex(struct ts_buf *out, const uint8_t *be, size_t len, size_t lo, size_t w, int pad, int groups)
{
	size_t digits = (w + 3) / 4;
	if (!pad) {
		size_t bl = bit_length(be, len);
		size_t top = bl > lo ? bl - lo : 0;
		top = top < w ? top : w;
		digits = top ? (top + 3) / 4 : 1;
	}
	for (size_t d = digits; d-- > 0;) {
		char c = hexdig_up[nibble(be, len, lo + 4 * d, lo + w)];
		TS_GUARD(ts_buf_append(out, &c, 1));
		if (groups && d > 0 && d % 8 == 0) {
			TS_GUARD(ts_buf_puts(out, "_"));
		}
	}
	return TS_OK;
}

ts_result
ts_emit_py_hex(const uint8_t *be, size_t len, struct ts_buf *out)
{
	size_t bl = bit_length(be, len);
	size_t digits = bl ? (bl + 3) / 4 : 1;
	TS_GUARD(ts_buf_puts(out, "0x"));
	for (size_t d = digits; d-- > 0;) {
		char c = hexdig_lo[nibble(be, len, 4 * d, 8 * len)];
		TS_GUARD(ts_buf_append(out, &c, 1));
	}
	return TS_OK;
}


ts_result
ts_emit_decimal(const uint8_t *be, size_t len, struct ts_buf *out)
{
	TS_AUTO(BIGNUM, BN_clear_free) bn = BN_secure_new();
	TS_ENSURE(bn != NULL, TS_ERR_NOMEM);
	TS_ENSURE(len <= 0x7fffffff, TS_ERR_RANGE);
	TS_ENSURE(BN_bin2bn(be, (int)len, bn) != NULL, TS_ERR_CRYPTO);
	char *s = BN_bn2dec(bn);
	TS_ENSURE(s != NULL, TS_ERR_NOMEM);
	ts_result r = ts_buf_puts(out, s);
	OPENSSL_clear_free(s, strlen(s));
	return r;
}

static ts_result
put_header(struct ts_buf *out, const struct ts_top *top, const char *seed_ref)
{
	TS_GUARD(ts_buf_puts(out, lic));
	TS_GUARD(ts_buf_puts(out, warn));
	TS_GUARD(ts_buf_puts(out, "//\n"));
	TS_GUARD(ts_buf_printf(out, "// util/topgen.py -t hw/top_%s/data/top_%s.hjson\n", top->t, top->t));
	TS_GUARD(ts_buf_printf(out, "//                -o hw/top_%s/\n", top->t));
	TS_GUARD(ts_buf_puts(out, "//\n// File is generated based on the following seed configuration:\n"));
	return ts_buf_printf(out, "//   %s\n", seed_ref);
}

/* §7.1 value lines: 256-bit chunks from the LSB, the remainder on top. */
static ts_result
put_value_lines(struct ts_buf *out, const struct ts_param *p, const struct ts_module *m)
{
	size_t w = p->randwidth;
	const struct ts_secret *v = &p->value;
	TS_ENSURE(v->data != NULL, TS_ERR_INTERNAL);
	TS_ENSUREF(bit_length(v->data, v->len) <= w, TS_ERR_SCHEMA,
		   "param '%s' of module '%s': value wider than randwidth %zu", p->name, m->name, w);
	size_t nchunks = w ? (w + 255) / 256 : 1;
	for (size_t c = nchunks; c-- > 0;) {
		size_t lo = 256 * c;
		size_t cw = c == nchunks - 1 ? w - lo : 256;
		TS_GUARD(ts_buf_printf(out, "    %zu'h", cw));
		TS_GUARD(put_hex(out, v->data, v->len, lo, cw, 1, 1));
		TS_GUARD(ts_buf_puts(out, c > 0 ? ",\n" : "\n"));
	}
	return TS_OK;
}

/*
 * §5.2: walks partitions and items backwards, inserting "unallocated space"
 * items for gaps.  visit is called for each part (item == NULL, gap == 0) and
 * each item or gap, with last flags for the separators.
 */
struct inv_visit {
	ts_result (*part)(void *ctx, const struct ts_otp_part *p, int first);
	ts_result (*part_end)(void *ctx, int last);
	ts_result (*item)(void *ctx, size_t bits, const struct ts_secret *v, int gap, int last);
	void *ctx;
};

static ts_result
walk_inv_default(const struct ts_otp *o, const struct inv_visit *vis)
{
	TS_ENSURE(o->nparts > 0, TS_ERR_SCHEMA);
	const struct ts_otp_part *lastp = &o->parts[o->nparts - 1];
	size_t off = lastp->offset + lastp->size;
	for (size_t pi = o->nparts; pi-- > 0;) {
		const struct ts_otp_part *p = &o->parts[pi];
		TS_GUARD(vis->part(vis->ctx, p, pi == o->nparts - 1));
		for (size_t ii = p->nitems; ii-- > 0;) {
			const struct ts_otp_item *it = &p->items[ii];
			size_t end = it->offset + it->size;
			TS_ENSUREF(end <= off && it->size <= end, TS_ERR_SCHEMA,
				   "OTP item '%s' overlaps the item or partition after it", it->name);
			if (off != end) {
				TS_GUARD(vis->item(vis->ctx, 8 * (off - end), NULL, 1, 0));
				off = end;
			}
			TS_GUARD(vis->item(vis->ctx, 8 * it->size, &it->inv.value, 0, ii == 0));
			off -= it->size;
		}
		TS_GUARD(vis->part_end(vis->ctx, pi == 0));
	}
	return TS_OK;
}

static ts_result
sv_part(void *ctx, const struct ts_otp_part *p, int first)
{
	(void)first;
	return ts_buf_printf(ctx, "    %zu'({\n", 8 * p->size);
}

static ts_result
sv_part_end(void *ctx, int last)
{
	return ts_buf_puts(ctx, last ? "    })\n" : "    }),\n");
}

static ts_result
sv_item(void *ctx, size_t bits, const struct ts_secret *v, int gap, int last)
{
	struct ts_buf *out = ctx;
	TS_GUARD(ts_buf_printf(out, "      %zu'h", bits));
	if (gap) {
		TS_GUARD(ts_buf_puts(out, "0"));
	} else {
		TS_ENSURE(v->data != NULL, TS_ERR_INTERNAL);
		TS_GUARD(put_hex(out, v->data, v->len, 0, 8 * v->len, 0, 0));
	}
	TS_GUARD(ts_buf_puts(out, last ? "" : ","));
	return ts_buf_puts(out, gap ? " // unallocated space\n" : "\n");
}

static ts_result
put_param(struct ts_buf *out, const struct ts_top *top, const struct ts_module *m, const struct ts_param *p)
{
	TS_GUARD(ts_buf_printf(out, "  // %s\n  parameter %s %s = {\n", p->desc, p->type, p->name_top));
	if (p->part_inv_default) {
		struct inv_visit vis = { sv_part, sv_part_end, sv_item, out };
		TS_ENSUREF(top->otp != NULL, TS_ERR_SCHEMA, "module '%s': RndCnstPartInvDefault without otp_mmap",
			   m->name);
		TS_GUARD(walk_inv_default(top->otp, &vis));
	} else {
		TS_GUARD(put_value_lines(out, p, m));
	}
	return ts_buf_puts(out, "  };\n\n");
}

ts_result
ts_emit_rnd_cnst_sv(const struct ts_top *top, const char *seed_ref, struct ts_buf *out)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(seed_ref);
	TS_GUARD(put_header(out, top, seed_ref));
	TS_GUARD(ts_buf_printf(out, "\n\npackage top_%s_rnd_cnst_pkg;\n\n", top->t));
	for (size_t i = 0; i < top->nmods; i++) {
		const struct ts_module *m = &top->mods[i];
		if (m->nparams == 0) {
			continue;
		}
		TS_GUARD(ts_buf_puts(out, "  ////////////////////////////////////////////\n"));
		TS_GUARD(ts_buf_printf(out, "  // %s\n", m->name));
		TS_GUARD(ts_buf_puts(out, "  ////////////////////////////////////////////\n"));
		for (size_t j = 0; j < m->nparams; j++) {
			TS_GUARD(put_param(out, top, m, &m->params[j]));
		}
	}
	return ts_buf_printf(out, "endpackage : top_%s_rnd_cnst_pkg\n", top->t);
}

ts_result
ts_emit_rnd_cnst_vbl(const struct ts_top *top, const char *seed_ref, struct ts_buf *out)
{
	TS_ENSURE_REF(top);
	TS_BUF(h);
	TS_GUARD(put_header(&h, top, seed_ref));
	for (size_t i = 0; i < h.len; i++) {
		if (i + 1 < h.len && h.data[i] == '/' && h.data[i + 1] == '/') {
			TS_GUARD(ts_buf_puts(out, "#"));
			i++;
		} else {
			TS_GUARD(ts_buf_append(out, &h.data[i], 1));
		}
	}
	TS_GUARD(ts_buf_puts(out, "\n# These lines are too long due to templating\n"));
	return ts_buf_printf(out, "waive --rule=line-length --location=\"top_%s_rnd_cnst_pkg.sv\"\n", top->t);
}

/* §7.3: FuseSoC dependencies of the rnd_cnst package, by IP (template) type. */
struct dep_entry {
	const char *key;
	const char *deps[2]; /* "%s" is replaced by the short top name */
};

static const struct dep_entry dep_table[] = {
	{ "flash_ctrl", { "lowrisc:%s_ip:flash_ctrl", NULL } },
	{ "otp_ctrl", { "lowrisc:%s_ip:otp_ctrl_top_specific_pkg", "lowrisc:ip:otp_ctrl_pkg" } },
	{ "alert_handler", { "lowrisc:%s_ip:alert_handler_pkg", NULL } },
	{ "rv_core_ibex", { "lowrisc:ibex:ibex_pkg", NULL } },
	{ "lc_ctrl", { "lowrisc:ip:lc_ctrl_pkg", NULL } },
	{ "sram_ctrl", { "lowrisc:ip:sram_ctrl_pkg", NULL } },
	{ "aes", { "lowrisc:ip:aes", NULL } },
	{ "kmac", { "lowrisc:ip:kmac_pkg", NULL } },
	{ "otbn", { "lowrisc:ip:otbn_pkg", NULL } },
	{ "keymgr_dpe", { "lowrisc:ip:keymgr_pkg", NULL } },
	{ "csrng", { "lowrisc:ip:csrng_pkg", NULL } },
	{ "rram_ctrl", { "lowrisc:ip:rram_ctrl_pkg", NULL } },
};

#define NDEP (sizeof(dep_table) / sizeof(dep_table[0]))

static const struct dep_entry *
dep_lookup(const char *key)
{
	for (size_t i = 0; key != NULL && i < NDEP; i++) {
		if (strcmp(dep_table[i].key, key) == 0) {
			return &dep_table[i];
		}
	}
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static ts_result
collect_deps(const struct ts_top *top, char **deps, size_t *n)
{
	char tmp[160];
	*n = 0;
	for (size_t i = 0; i < top->nmods; i++) {
		const struct dep_entry *e = dep_lookup(top->mods[i].template_type);
		e = e != NULL ? e : dep_lookup(top->mods[i].type);
		for (size_t k = 0; e != NULL && k < 2 && e->deps[k] != NULL; k++) {
			const char *d = e->deps[k];
			const char *pct = strstr(d, "%s");
			if (pct != NULL) {
				(void)snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)(pct - d), d, top->t, pct + 2);
				d = tmp;
			}
			int dup = 0;
			for (size_t j = 0; j < *n && !dup; j++) {
				dup = strcmp(deps[j], d) == 0;
			}
			if (!dup) {
				deps[*n] = strdup(d);
				TS_ENSURE(deps[*n] != NULL, TS_ERR_NOMEM);
				(*n)++;
			}
		}
	}
	qsort(deps, *n, sizeof(*deps), cmp_str);
	return TS_OK;
}

struct core_desc {
	const char *package;
	const char *description;
	const char *virt;
	const char *file;
	const char *waiver;
};

static ts_result
put_core(struct ts_buf *out, const struct core_desc *c, char *const *deps, size_t ndeps)
{
	TS_GUARD(ts_buf_puts(out, "CAPI=2:\n"));
	TS_GUARD(ts_buf_puts(out, "# Copyright lowRISC contributors (OpenTitan project).\n"
				  "# Licensed under the Apache License, Version 2.0, see LICENSE for details.\n"
				  "# SPDX-License-Identifier: Apache-2.0\n\n"));
	TS_GUARD(ts_buf_printf(out, "name: \"%s\"\ndescription: \"%s\"\nvirtual:\n  - %s\n\n", c->package,
			       c->description, c->virt));
	TS_GUARD(ts_buf_puts(out, "filesets:\n  files_rtl:\n    depend:\n"));
	for (size_t i = 0; i < ndeps; i++) {
		TS_GUARD(ts_buf_printf(out, "      - %s\n", deps[i]));
	}
	TS_GUARD(ts_buf_printf(out, "    files:\n      - %s\n    file_type: systemVerilogSource\n\n", c->file));
	if (c->waiver != NULL) {
		TS_GUARD(ts_buf_puts(out, "  files_veriblelint_waiver:\n    depend:\n"
					  "      - lowrisc:lint:common\n      - lowrisc:lint:comportable\n"));
		TS_GUARD(ts_buf_printf(out, "    files:\n      - %s\n    file_type: veriblelintWaiver\n\n",
				       c->waiver));
	}
	TS_GUARD(ts_buf_puts(out, "targets:\n  default:\n    filesets:\n      - files_rtl\n"));
	if (c->waiver != NULL) {
		TS_GUARD(ts_buf_puts(out, "      - tool_veriblelint ? (files_veriblelint_waiver)\n"));
	}
	return TS_OK;
}

ts_result
ts_emit_rnd_cnst_core(const struct ts_top *top, const char *mode, struct ts_buf *out)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(mode);
	char package[160], file[96], waiver[96];
	char *deps[2 * NDEP] = { 0 };
	size_t n = 0;
	(void)snprintf(package, sizeof(package), "lowrisc:%s_constants:%s_rnd_cnst_pkg:0.1", top->t, mode);
	(void)snprintf(file, sizeof(file), "top_%s_rnd_cnst_pkg.sv", top->t);
	(void)snprintf(waiver, sizeof(waiver), "top_%s_rnd_cnst_pkg.vbl", top->t);
	struct core_desc c = { package, "Random netlist constant package",
			       "lowrisc:virtual_constants:rnd_cnst_pkg", file, waiver };
	ts_result r = collect_deps(top, deps, &n);
	if (r.code == 0) {
		r = put_core(out, &c, deps, n);
	}
	for (size_t i = 0; i < 2 * NDEP; i++) {
		free(deps[i]);
	}
	return r;
}

ts_result
ts_emit_lc_token_core(const struct ts_top *top, const char *mode, struct ts_buf *out)
{
	TS_ENSURE_REF(top);
	TS_ENSURE_REF(mode);
	char package[160];
	char dep[] = "lowrisc:ip:lc_ctrl_state_pkg";
	char *deps[1] = { dep };
	(void)snprintf(package, sizeof(package), "lowrisc:%s_constants:%s_lc_ctrl_token_pkg:0.1", top->t,
		       mode);
	struct core_desc c = { package, "LC Controller Token Package",
			       "lowrisc:virtual_constants:lc_ctrl_token_pkg", "lc_ctrl_token_pkg.sv", NULL };
	return put_core(out, &c, deps, 1);
}

ts_result
ts_emit_lc_token_sv(const struct ts_lc *lc, struct ts_buf *out)
{
	TS_ENSURE_REF(lc);
	TS_GUARD(ts_buf_puts(out, lic));
	TS_GUARD(ts_buf_puts(out, "//\n// Life cycle state encoding definition.\n//\n"
				  "// ------------------- W A R N I N G: A U T O - G E N E R A T E D   C O D E !! "
				  "-------------------//\n"
				  "// PLEASE DO NOT HAND-EDIT THIS FILE. IT HAS BEEN AUTO-GENERATED\n\n"
				  "package lc_ctrl_token_pkg;\n\n  import lc_ctrl_state_pkg::lc_token_t;\n\n"
				  "  ///////////////////////////////////////////\n"
				  "  // Hashed RAW unlock and all-zero tokens //\n"
				  "  ///////////////////////////////////////////\n\n"));
	for (int hashed = 0; hashed < 2; hashed++) {
		for (size_t i = 0; i < lc->ntokens; i++) {
			const struct ts_secret *v = hashed ? &lc->tokens[i].hashed : &lc->tokens[i].value;
			TS_ENSURE(v->data != NULL, TS_ERR_INTERNAL);
			TS_GUARD(ts_buf_printf(out, "  parameter lc_token_t %s%s = {\n    %zu'h", lc->tokens[i].name,
					       hashed ? "Hashed" : "", lc->token_size));
			TS_GUARD(put_hex(out, v->data, v->len, 0, 8 * v->len, 0, 0));
			TS_GUARD(ts_buf_puts(out, "\n  };\n"));
		}
	}
	return ts_buf_puts(out, "\nendpackage : lc_ctrl_token_pkg\n");
}

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
		TS_GUARD(walk_inv_default(top->otp, &vis));
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
		r = ts_buf_puts(out, lic);
	}
	if (r.code == 0) {
		r = ts_buf_puts(out, warn);
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
