#include "common/topgen/ts_emit.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/base/ts_hjson.h"
#include "common/topgen/ts_emit_int.h"

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
	TS_GUARD(ts_buf_puts(out, ts_emit_lic));
	TS_GUARD(ts_buf_puts(out, ts_emit_warn));
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

ts_result
ts_emit_walk_inv(const struct ts_otp *o, const struct inv_visit *vis)
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
		TS_GUARD(ts_emit_walk_inv(top->otp, &vis));
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
	TS_GUARD(ts_buf_puts(out, ts_emit_lic));
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
