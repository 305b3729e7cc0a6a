#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/tree/ts_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fills a tree from text: chip_sim_cfg.hjson, then (after a NUL byte, when there is one) defs.bzl. */
static int
fill(struct ts_tree *t, const uint8_t *p, size_t n)
{
	const uint8_t *nul = memchr(p, 0, n);
	size_t a = nul ? (size_t)(nul - p) : n;
	memset(t, 0, sizeof(*t));
	memcpy(t->top, "fuzz", 5);
	memcpy(t->simcfg.rel, TS_TREE_SIMCFG, sizeof(TS_TREE_SIMCFG));
	memcpy(t->defs.rel, TS_TREE_DEFS, sizeof(TS_TREE_DEFS));
	memcpy(t->simcfg.path, "chip_sim_cfg.hjson", 19);
	memcpy(t->defs.path, "defs.bzl", 9);
	t->simcfg.present = t->defs.present = 1;
	return ts_buf_append(&t->simcfg.text, p, a).code == 0 &&
	       ts_buf_append(&t->defs.text, nul ? nul + 1 : p, nul ? n - a - 1 : 0).code == 0;
}

/*
 * Plans the switch of arbitrary files.  Whenever a plan succeeds: its edits
 * undo exactly (and by search) to the original bytes, and a plan of the
 * switched files changes nothing.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ts_tree t, again;
	struct ts_buf sim = { 0 }, defs = { 0 }, back = { 0 };
	ts_error_clear();
	if (!fill(&t, data, size) || ts_tree_plan(&t, "/usr/bin/tapeseal-secure").code != 0) {
		ts_tree_free(&t);
		return 0;
	}
	if (ts_tree_apply(&t.simcfg, &sim).code != 0 || ts_tree_apply(&t.defs, &defs).code != 0) {
		__builtin_trap();
	}
	struct ts_tree_file *f[2] = { &t.simcfg, &t.defs };
	struct ts_buf *out[2] = { &sim, &defs };
	for (int i = 0; i < 2; i++) {
		for (int exact = 1; exact >= 0; exact--) {
			back.len = 0;
			int found = ts_tree_undo(f[i], out[i], exact, &back).code == 0;
			int same = found && back.len == f[i]->text.len && memcmp(back.data, f[i]->text.data, back.len) == 0;
			/* A search may meet the new text twice in a hostile file; an exact undo never fails. */
			if ((exact && !same) || (found && !same)) {
				__builtin_trap();
			}
			ts_error_clear();
		}
	}
	memset(&again, 0, sizeof(again));
	again = t;
	memset(&again.simcfg.text, 0, sizeof(again.simcfg.text));
	memset(&again.defs.text, 0, sizeof(again.defs.text));
	again.simcfg.n = again.defs.n = 0;
	if (ts_buf_append(&again.simcfg.text, sim.data, sim.len).code == 0 &&
	    ts_buf_append(&again.defs.text, defs.data, defs.len).code == 0 &&
	    (ts_tree_plan(&again, "/usr/bin/tapeseal-secure").code != 0 || again.simcfg.n + again.defs.n != 0)) {
		__builtin_trap();
	}
	ts_tree_free(&again);
	ts_buf_free(&sim);
	ts_buf_free(&defs);
	ts_buf_free(&back);
	ts_tree_free(&t);
	return 0;
}
