#include "common/otp/ts_otp_img_int.h"

/* Stream-out (§8) and the three outputs of an image: .ts_otp_img_vmem, C and the otp_consts JSON. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "common/base/ts_hex.h"
#include "common/otp/ts_otp_img_int.h"
#include "common/otp/ts_present.h"
#include "common/topgen/ts_drbg.h"

static ts_result
part_key(const struct ts_otpgen *g, const struct ts_mm_part *p, uint64_t *hi, uint64_t *lo)
{
	for (size_t i = 0; i < g->nkeys; i++) {
		if (strcmp(g->key_names[i], p->key_sel) == 0) {
			*hi = u64s(&g->keys)[2 * i];
			*lo = u64s(&g->keys)[2 * i + 1];
			return TS_OK;
		}
	}
	TS_BAILF(TS_ERR_SCHEMA, "partition %s: its key_sel %s is not among the scrambling keys of the secrets file%s",
		 p->name, p->key_sel, g->seed.data == NULL ? " (none was given)" : "");
}

/* §8: one partition's bytes, scrambled and digested, into the image at its offset. */
static ts_result
stream_part(const struct img *im, size_t pi, uint8_t *image, uint8_t *defined)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	size_t nb = p->size / BLK;
	TS_SECRET(blk);
	TS_GUARD(ts_secret_new(&blk, nb * sizeof(uint64_t) + 1));
	uint64_t *b = u64s(&blk);
	uint8_t *bytes = image + p->offset;
	for (size_t j = 0; j < p->nitems; j++) {
		const struct ts_secret *v = &im->vals[im->first[pi] + j];
		size_t o = p->items[j].offset - p->offset;
		if (v->data != NULL) {
			memcpy(bytes + o, v->data, v->len);
			memset(defined + p->offset + o, 1, v->len);
		}
	}
	for (size_t k = 0; k < nb; k++) {
		for (int i = 7; i >= 0; i--) {
			b[k] = b[k] << 8 | bytes[8 * k + (size_t)i];
		}
	}
	if (p->secret) {
		uint64_t hi = 0, lo = 0;
		TS_GUARD(part_key(im->g, p, &hi, &lo));
		for (size_t k = 0; k < nb; k++) {
			int any = 0;
			for (size_t i = 0; i < BLK; i++) {
				any |= defined[p->offset + 8 * k + i];
			}
			b[k] = any ? ts_present128_encrypt(hi, lo, b[k]) : b[k]; /* undefined blocks stay as they are */
		}
	}
	if (p->hw_digest) {
		size_t di = nb - 1 - (p->zeroizable ? 1 : 0);
		TS_ENSUREF(b[di] == 0, TS_ERR_SCHEMA, "partition %s: a configuration set its digest item; the digest is "
			   "computed when the partition is locked", p->name);
		if (im->locked[pi]) {
			const uint64_t *d = u64s(&im->g->digest);
			b[di] = ts_otp_digest(b, di, d[0], d[1], d[2]);
		}
	}
	for (size_t k = 0; k < nb; k++) {
		for (size_t i = 0; i < BLK; i++) {
			bytes[8 * k + i] = (uint8_t)(b[k] >> (8 * i));
		}
	}
	return TS_OK;
}

static void
annotation(const struct img *im, long a, char *out, size_t len)
{
	if (a == -2) {
		out[0] = '\0';
	} else if (a == -1) {
		(void)snprintf(out, len, "unallocated");
	} else {
		const struct ts_mmap *m = im->g->map;
		size_t pi = 0;
		while (pi + 1 < m->nparts && im->first[pi + 1] <= (size_t)a) {
			pi++;
		}
		(void)snprintf(out, len, "%s: %s", m->parts[pi].name, m->parts[pi].items[(size_t)a - im->first[pi]].name);
	}
}

static void
annotate(const struct img *im, long *annot)
{
	const struct ts_mmap *m = im->g->map;
	for (size_t i = 0; i < m->size; i++) {
		annot[i] = -2;
	}
	for (size_t pi = 0; pi < m->nparts; pi++) {
		const struct ts_mm_part *p = &m->parts[pi];
		for (size_t i = 0; i < p->size; i++) {
			annot[p->offset + i] = -1;
		}
		for (size_t j = 0; j < p->nitems; j++) {
			for (size_t k = 0; k < p->items[j].size; k++) {
				annot[p->items[j].offset + k] = (long)(im->first[pi] + j);
			}
		}
	}
}

ts_result
ts_otp_data_perm(const char *spec, unsigned perm[24])
{
	unsigned out[24];
	size_t n = 0;
	int seen[24] = { 0 };
	const char *s = spec != NULL ? spec : "";
	while (*s != '\0') {
		unsigned a, b;
		int used = 0;
		TS_ENSUREF(sscanf(s, "[%u:%u]%n", &a, &b, &used) == 2 && used > 0 && a < 24 && b < 24, TS_ERR_USAGE,
			   "--data-perm '%s': expected [a:b] slices of bits 0..23", spec);
		unsigned cnt = (a > b ? a - b : b - a) + 1;
		TS_ENSUREF(n + cnt <= 24, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
		memmove(out + cnt, out, n * sizeof(unsigned)); /* each slice goes in front: the last ends at the LSBs */
		for (unsigned k = 0; k < cnt; k++) {
			out[k] = a > b ? b + k : b - k;
		}
		n += cnt;
		s += used;
		s += *s == ',';
	}
	for (unsigned i = 0; i < 24; i++) {
		perm[i] = n == 0 ? i : out[i];
		TS_ENSUREF(n == 0 || n == 24, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
		TS_ENSUREF(!seen[perm[i]]++, TS_ERR_USAGE, "--data-perm '%s' is not a permutation of 24 bits", spec);
	}
	return TS_OK;
}

static uint32_t
permute(uint32_t w, const unsigned perm[24])
{
	uint32_t r = 0;
	for (unsigned i = 0; i < 24; i++) {
		r |= ((w >> perm[i]) & 1u) << i;
	}
	return r;
}

/* §10.4: the .ts_otp_img_vmem text, without a newline at the end. */
static ts_result
write_vmem(const struct img *im, const uint8_t *image, const long *annot, const unsigned perm[24], struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	char a1[200], a2[200];
	static const char hex[] = "0123456789abcdef";
	char line[24];
	TS_GUARD(ts_buf_printf(out, "//\n// OTP MEM file with %zu x 24bit layout\n", m->size / 2));
	for (size_t w = 0; w < m->size / 2; w++) {
		uint32_t cw = permute(ts_lcenc_ecc(im->g->lc, (uint32_t)(image[2 * w] | image[2 * w + 1] << 8)), perm);
		/* "@%06x %06x // " without printf: this loop runs once per OTP word. */
		size_t n = 0;
		if (w > 0) {
			line[n++] = '\n';
		}
		line[n++] = '@';
		for (int k = 5; k >= 0; k--) {
			line[n++] = hex[(w >> (4 * k)) & 0xf];
		}
		line[n++] = ' ';
		for (int k = 5; k >= 0; k--) {
			line[n++] = hex[(cw >> (4 * k)) & 0xf];
		}
		memcpy(line + n, " // ", 4);
		TS_GUARD(ts_buf_append(out, line, n + 4));
		annotation(im, annot[2 * w], a1, sizeof(a1));
		annotation(im, annot[2 * w + 1], a2, sizeof(a2));
		int cmp = strcmp(a1, a2);
		TS_GUARD(ts_buf_puts(out, cmp <= 0 ? a1 : a2));
		if (cmp != 0) {
			TS_GUARD(ts_buf_puts(out, ", "));
			TS_GUARD(ts_buf_puts(out, cmp < 0 ? a2 : a1));
		}
	}
	return TS_OK;
}

static const char c_header[] =
	"// Copyright lowRISC contributors (OpenTitan project).\n"
	"// Licensed under the Apache License, Version 2.0, see LICENSE for details.\n"
	"// SPDX-License-Identifier: Apache-2.0\n"
	"//\n//\n\n"
	"// AUTOGENERATED. Do not edit this file by hand.\n"
	"// See util/design/README.md section \"OTP Preload Image Generator\" for details.\n\n"
	"#include <stddef.h>\n\n"
	"// See the following include file for details on the types used in this file.\n"
	"#include \"sw/device/silicon_creator/manuf/lib/otp_img_types.h\"\n\n"
	"#include \"hw/top/otp_ctrl_regs.h\"  // Generated.\n\n\n\n"
	"// OTP values\n";

/* Items declared without `static` (upstream template, spec §12). */
static const char *const non_static[] = {
	"CREATOR_SW_CFG_IMMUTABLE_ROM_EXT_EN", "CREATOR_SW_CFG_NVM_DATA_DEFAULT_CFG",
	"CREATOR_SW_CFG_NVM_INFO_BOOT_DATA_CFG", "CREATOR_SW_CFG_MANUF_STATE", "OWNER_SW_CFG_ROM_BOOTSTRAP_DIS",
};

static void
pascal(const char *name, char *out, size_t len)
{
	size_t n = 0;
	int up = 1;
	for (const char *c = name; *c != '\0' && n + 1 < len; c++) {
		if (*c == '_') {
			up = 1;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*c) : (char)tolower((unsigned char)*c);
		up = 0;
	}
	out[n] = '\0';
}

static size_t
word_size(const struct ts_mm_part *p)
{
	return p->secret ? 8 : 4;
}

static int
selected(const struct img *im, size_t pi, size_t j)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	return im->vals[im->first[pi] + j].data != NULL && p->items[j].size >= word_size(p);
}

static ts_result
c_words(struct ts_buf *out, const struct ts_secret *v, size_t a, size_t k)
{
	for (size_t w = 0; w < k; w++) {
		uint64_t x = 0;
		for (size_t i = a; i-- > 0;) {
			x = x << 8 | v->data[w * a + i];
		}
		const char *sep = w + 1 == k ? (k > 4 ? "," : "") : (k > 4 && w % 4 == 3) ? ",\n" : ", ";
		TS_GUARD(ts_buf_printf(out, "0x%0*llx%s", (int)(2 * a), (unsigned long long)x, sep));
	}
	return TS_OK;
}

static ts_result
c_declare(const struct img *im, size_t pi, size_t j, struct ts_buf *out)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	const struct ts_mm_item *it = &p->items[j];
	size_t a = word_size(p);
	size_t k = it->size / a;
	char ic[128];
	int st = 1;
	TS_ENSUREF(it->size % a == 0, TS_ERR_SCHEMA, "item %s: %zu bytes is not a multiple of %zu for the C output",
		   it->name, it->size, a);
	for (size_t i = 0; i < sizeof(non_static) / sizeof(non_static[0]); i++) {
		st &= strcmp(it->name, non_static[i]) != 0;
	}
	pascal(it->name, ic, sizeof(ic));
	TS_GUARD(ts_buf_printf(out, "%sconst uint%d_t k%sValue%s = ", st ? "static " : "", a == 8 ? 64 : 32, ic,
			       k == 1 ? "" : "[]"));
	TS_GUARD(ts_buf_puts(out, k == 1 ? "" : "{\n"));
	TS_GUARD(c_words(out, &im->vals[im->first[pi] + j], a, k));
	return ts_buf_puts(out, k == 1 ? ";\n" : "\n};\n");
}

static ts_result
c_entry(const struct img *im, size_t pi, size_t j, struct ts_buf *out)
{
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	const struct ts_mm_item *it = &p->items[j];
	size_t a = word_size(p);
	size_t k = it->size / a;
	char ic[128], off[160];
	pascal(it->name, ic, sizeof(ic));
	if (strcmp(it->name, "ROT_CREATOR_AUTH_CODESIGN_BLOCK_SHA2_256_HASH") == 0) {
		(void)snprintf(off, sizeof(off), "ROTCREATORAUTHCODESIGNBLOCKSHA2_256HASHOFFSET");
	} else {
		(void)snprintf(off, sizeof(off), "%s_OFFSET", it->name);
	}
	return ts_buf_printf(out,
			     "  {\n    .type = kOptValTypeUint%dBuff,\n    .offset = OTP_CTRL_PARAM_%s,\n"
			     "    .num_values = %zu,\n    .value%d = %sk%sValue,\n  },\n",
			     a == 8 ? 64 : 32, off, k, a == 8 ? 64 : 32, k == 1 ? "&" : "", ic);
}

static size_t
count_selected(const struct img *im, size_t pi)
{
	size_t n = 0;
	const struct ts_mm_part *p = &im->g->map->parts[pi];
	for (size_t j = 0; !p->skip_sw_header && j < p->nitems; j++) {
		n += (size_t)selected(im, pi, j);
	}
	return n;
}

/* §12: the C file from the merged (unscrambled) item values. */
ts_result
ts_otp_img_c(const struct img *im, struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	char pc[96];
	TS_GUARD(ts_buf_puts(out, c_header));
	for (size_t pi = 0; pi < m->nparts; pi++) {
		if (count_selected(im, pi) == 0) {
			continue;
		}
		TS_GUARD(ts_buf_printf(out, "\n// Partition %s values\n", m->parts[pi].name));
		for (size_t j = 0; j < m->parts[pi].nitems; j++) {
			if (selected(im, pi, j)) {
				TS_GUARD(c_declare(im, pi, j, out));
			}
		}
	}
	TS_GUARD(ts_buf_puts(out, "\n// Partition definitions.\n\n"));
	for (size_t pi = 0; pi < m->nparts; pi++) {
		size_t n = count_selected(im, pi);
		if (n == 0) {
			continue;
		}
		pascal(m->parts[pi].name, pc, sizeof(pc));
		TS_GUARD(ts_buf_printf(out, "\n// Partition %s\nconst size_t kOtpKv%sSize = %zu;\nconst otp_kv_t kOtpKv%s[] = {\n",
				       m->parts[pi].name, pc, n, pc));
		for (size_t j = 0; j < m->parts[pi].nitems; j++) {
			if (selected(im, pi, j)) {
				TS_GUARD(c_entry(im, pi, j, out));
			}
		}
		TS_GUARD(ts_buf_puts(out, "};\n"));
	}
	return TS_OK;
}

ts_result
ts_otp_img_vmem(const struct img *im, const char *data_perm, struct ts_buf *out)
{
	const struct ts_mmap *m = im->g->map;
	unsigned perm[24];
	TS_SECRET(image);
	TS_GUARD(ts_otp_data_perm(data_perm, perm));
	TS_GUARD(ts_secret_new(&image, m->size + 1));
	uint8_t *defined = calloc(m->size + 1, 1);
	long *annot = calloc(m->size + 1, sizeof(long));
	ts_result r = defined != NULL && annot != NULL ? TS_OK : ts_fail(TS_ERR_NOMEM, 0, __FILE__, __LINE__);
	for (size_t pi = 0; r.code == 0 && pi < m->nparts; pi++) {
		r = stream_part(im, pi, image.data, defined);
	}
	if (r.code == 0) {
		annotate(im, annot);
		r = write_vmem(im, image.data, annot, perm, out);
	}
	free(defined);
	free(annot);
	return r;
}

/* The otp_consts equivalent: what individualization programs, per partition (same selection as the C file). */
ts_result
ts_otp_img_consts(const struct img *im, json_t *parts)
{
	const struct ts_mmap *m = im->g->map;
	char word[24];
	for (size_t pi = 0; pi < m->nparts; pi++) {
		const struct ts_mm_part *p = &m->parts[pi];
		if (count_selected(im, pi) == 0) {
			continue;
		}
		json_t *items = json_array();
		TS_ENSURE(items != NULL && json_object_set_new(parts, p->name, items) == 0, TS_ERR_NOMEM);
		for (size_t j = 0; j < p->nitems; j++) {
			if (!selected(im, pi, j)) {
				continue;
			}
			const struct ts_mm_item *it = &p->items[j];
			const struct ts_secret *v = &im->vals[im->first[pi] + j];
			size_t a = word_size(p);
			int deferred = 0;
			json_t *words = json_array();
			TS_ENSUREF(it->size % a == 0, TS_ERR_SCHEMA, "item %s: %zu bytes is not a multiple of %zu", it->name,
				   it->size, a);
			for (size_t i = 0; i < sizeof(non_static) / sizeof(non_static[0]); i++) {
				deferred |= strcmp(it->name, non_static[i]) == 0;
			}
			for (size_t w = 0; w < it->size / a; w++) {
				uint64_t x = 0;
				for (size_t b = a; b-- > 0;) {
					x = x << 8 | v->data[w * a + b];
				}
				(void)snprintf(word, sizeof(word), "0x%0*llx", (int)(2 * a), (unsigned long long)x);
				(void)json_array_append_new(words, json_string(word));
			}
			json_t *e = json_pack("{s:s,s:I,s:I,s:o,s:b}", "item", it->name, "offset", (json_int_t)it->offset, "size",
					      (json_int_t)it->size, "words", words, "deferred", deferred);
			TS_ENSURE(e != NULL && json_array_append_new(items, e) == 0, TS_ERR_NOMEM);
		}
	}
	return TS_OK;
}
