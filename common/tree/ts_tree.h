#ifndef TS_COMMON_TREE_TS_TREE_H
#define TS_COMMON_TREE_TS_TREE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * The tree switch (docs/tapeout.md §8): the text edits that put one top of an
 * OpenTitan checkout on its tapeout secrets for dvsim and Bazel, their exact
 * undoing, the record that keeps what undoing needs, and the read-only status
 * of the selectors.  Every edit is a replacement of bytes at an offset of the
 * original file; nothing else of a file changes.  No secret passes through
 * here: the edited files are build configuration.
 */

#define TS_TREE_MAX_EDITS 4
#define TS_TREE_MAX_FILE (4u * 1024u * 1024u)
#define TS_TREE_RECORD "tapeseal-switch.tapeout.json"
#define TS_TREE_SIMCFG "dv/chip_sim_cfg.hjson"
#define TS_TREE_DEFS "defs.bzl"

/* The values the switch writes. */
#define TS_TREE_FLIST_FLAG "--flag=fileset_tapeout"
#define TS_TREE_SEED_OPT "--//hw/top:seed=tapeout"

/* At off in the original, the bytes old become new (both NUL-terminated, owned). */
struct ts_tree_edit {
	size_t off;
	char *old;
	char *new;
};

/* One file the switch edits: its text, mode and planned edits (ascending, disjoint). */
struct ts_tree_file {
	char rel[64];  /* relative to the top directory: TS_TREE_SIMCFG or TS_TREE_DEFS */
	char path[PATH_MAX];
	int present;
	mode_t mode;
	struct ts_buf text;
	struct ts_tree_edit e[TS_TREE_MAX_EDITS];
	size_t n;
};

/* A top of a checkout: DIR/hw/top_<top>. */
struct ts_tree {
	char root[PATH_MAX];
	char top[64];      /* e.g. "earlgrey" */
	char topdir[PATH_MAX];
	struct ts_tree_file simcfg;  /* absent for a top without a dvsim configuration */
	struct ts_tree_file defs;
};

/*
 * Opens the top: checks that root/hw/top_<top>/ and its defs.bzl exist and
 * reads defs.bzl and dv/chip_sim_cfg.hjson (when present) into t.  Symlinks are
 * refused.  Errors: TS_ERR_USAGE (bad top name), TS_ERR_IO naming the path,
 * TS_ERR_SYMLINK, TS_ERR_RANGE (a file over TS_TREE_MAX_FILE).  Free with
 * ts_tree_free.
 */
TS_RESULT ts_tree_open(const char *root, const char *top, struct ts_tree *t);

void ts_tree_free(struct ts_tree *t);

/*
 * Plans the edits of `--to tapeout` on the texts read by ts_tree_open.
 * otp_cmd (may be NULL) is the program whose "otp-image" command replaces
 * gen_otp_images_cmd.  A file already switched gets no edit.  An anchor that
 * is missing or of an unexpected shape is TS_ERR_SCHEMA with
 * "file:line: ..." saying what was expected.
 */
TS_RESULT ts_tree_plan(struct ts_tree *t, const char *otp_cmd);

/* The text of f with its edits applied, appended to out. */
TS_RESULT ts_tree_apply(const struct ts_tree_file *f, struct ts_buf *out);

/*
 * Undoes f's edits (from a record) on the current text cur into out.  exact:
 * cur is the switched text, the edits sit at their offsets.  Otherwise each
 * edit's new bytes must occur exactly once in cur and are put back to the
 * old ones (the rest of cur is kept).  TS_ERR_DIFFERS naming f->rel and the
 * edit when an edit is not found.
 */
TS_RESULT ts_tree_undo(const struct ts_tree_file *f, const struct ts_buf *cur, int exact, struct ts_buf *out);

/* Frees the planned edits of f. */
void ts_tree_edits_free(struct ts_tree_file *f);

/*
 * The record of a switch: for each edited file its SHA-256 before and after
 * and its edits; the otp command; whether testing artifacts were purged.
 * *out is a new reference.
 */
TS_RESULT ts_tree_record_build(const struct ts_tree *t, const struct ts_buf *after[2], const char *otp_cmd,
			       int purged, json_t **out);

/*
 * Reads a record's edits for f (matched by f->rel) into f->e and the two
 * hashes into before/after.  *found is 0 when the record has no entry for f.
 * TS_ERR_SCHEMA naming the record on a malformed one.
 */
TS_RESULT ts_tree_record_file(const json_t *rec, const char *name, struct ts_tree_file *f, char before[65],
			      char after[65], int *found);

/* Selector values. */
enum ts_tree_mode { TS_TREE_NA = -1, TS_TREE_TESTING = 0, TS_TREE_TAPEOUT = 1, TS_TREE_OTHER = 2 };

enum ts_tree_row_id {
	TS_ROW_FLIST,    /* FuseSoC flist flags (chip_sim_cfg sv_flist_gen_flags) */
	TS_ROW_SWSEED,   /* sw build seed (chip_sim_cfg sw_build_opts) */
	TS_ROW_OTPCFG,   /* OTP secret cfg (chip_sim_cfg gen_otp_top_secret_cfg) */
	TS_ROW_BAZEL,    /* Bazel secret_cfgs (defs.bzl) */
	TS_ROW_TAPEOUT,  /* tapeout cores present (rtl/autogen/tapeout/) */
	TS_ROW_TESTING,  /* testing artifacts present */
	TS_ROW_N
};

#define TS_TREE_MAX_NOTES 8

struct ts_tree_status {
	int mode[TS_ROW_N];
	char detail[TS_ROW_N][320];
	char otp_cmd[320];     /* gen_otp_images_cmd, "" when absent */
	int verdict;           /* TS_TREE_TESTING, TS_TREE_TAPEOUT or TS_TREE_OTHER (MIXED) */
	char warn[TS_TREE_MAX_NOTES][512];
	size_t nwarn;
	char note[TS_TREE_MAX_NOTES][512];
	size_t nnote;
};

/*
 * Reads every selector of the opened top, the artifacts present and the
 * top's FuseSoC core (root/hw/top_<top>/top_<top>.core): each core it asks
 * for under fileset_tapeout must be named by a core file under root/hw, else
 * a warning names it.  Read-only.  TS_ERR_PARSE naming the file when
 * chip_sim_cfg.hjson is not Hjson.
 */
TS_RESULT ts_tree_status(const struct ts_tree *t, struct ts_tree_status *st);

/* The status as text lines (appended to out) and as a JSON object (*out new). */
TS_RESULT ts_tree_status_text(const struct ts_tree *t, const struct ts_tree_status *st, struct ts_buf *out);
TS_RESULT ts_tree_status_json(const struct ts_tree *t, const struct ts_tree_status *st, json_t **out);

/*
 * The whole status command of a tool named tool (argv from "status"): the
 * report (or --help) appended to out, a one-line error to err; returns the
 * exit status (0 testing or tapeout, 1 MIXED or an error, 2 bad usage).
 */
int ts_tree_status_command(const char *tool, int argc, char **argv, struct ts_buf *out, struct ts_buf *err);

/* "testing", "tapeout", "other" or "n/a". */
const char *ts_tree_mode_name(int mode);

/*
 * True when a file named base with text p[0..n) is a switched dvsim or Bazel
 * file (a *.hjson naming the tapeout flist flag, the tapeout seed option or
 * a tapeout secrets file; a *.bzl or BUILD file naming a tapeout secrets
 * file) or a switch record: what `tapeseal scan` reports.
 */
int ts_tree_text_switched(const char *base, const void *p, size_t n);

#endif
