#ifndef TS_COMMON_TOPGEN_TS_MODEL_H
#define TS_COMMON_TOPGEN_TS_MODEL_H

#include <stddef.h>

#include <jansson.h>

#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"
#include "common/base/ts_secret.h"

/*
 * The structure of a top (spec/secrets.md §2.2, §4.1): its modules with
 * random parameters and the OTP memory map, read from an OpenTitan secrets
 * file (values ignored and regenerated) or from the same shape with
 * "<random>" placeholders (docs/structure-format.md).  Generated values are
 * stored in the model's ts_secret fields by ts_gen_run.
 */

enum ts_randtype { TS_RAND_DATA, TS_RAND_PERM, TS_RAND_EXTDATA };

struct ts_param {
	json_t *node;            /* the param object in the structure (borrowed) */
	const char *name;
	const char *desc;
	const char *type;
	char *name_top;          /* owned */
	enum ts_randtype randtype;
	size_t randcount;
	size_t randwidth;        /* computed (§3) */
	int part_inv_default;    /* RndCnstPartInvDefault: value is structured (§5.2) */
	struct ts_secret value;  /* big-endian, ceil(randwidth/8) bytes, after generation */
};

struct ts_module {
	json_t *node;
	const char *name;
	const char *type;
	const char *template_type; /* NULL for generic IPs */
	struct ts_param *params;
	size_t nparams;
};

/* A random or fixed OTP value: keys, digest IV/constants, item defaults. */
struct ts_otp_value {
	json_t *slot;            /* the node in the structure that holds it (borrowed) */
	size_t bytes;
	int random;
	struct ts_secret value;  /* big-endian, bytes long; fixed values are filled at load */
};

struct ts_otp_item {
	const char *name;
	size_t size;             /* bytes */
	size_t offset;
	int isdigest;
	struct ts_otp_value inv;
};

struct ts_otp_part {
	const char *name;
	size_t size;
	size_t offset;
	struct ts_otp_item *items;
	size_t nitems;
};

struct ts_otp_key {
	struct ts_otp_value v;
};

struct ts_otp_digest {
	struct ts_otp_value iv;
	struct ts_otp_value cnst;
};

struct ts_otp {
	json_t *node;            /* the otp_mmap object */
	size_t module;           /* index of the module that holds it */
	struct ts_otp_key *keys;
	size_t nkeys;
	struct ts_otp_digest *digests;
	size_t ndigests;
	struct ts_otp_part *parts;
	size_t nparts;
};

struct ts_top {
	char t[64];              /* short top name, e.g. "earlgrey" */
	struct ts_hjson_doc *doc; /* owned */
	struct ts_module *mods;
	size_t nmods;
	struct ts_otp *otp;      /* NULL when no module has otp_mmap */
	int has_lc_ctrl;
	int has_otp_ctrl;
	int placeholder_form;    /* the structure uses "<random>" placeholders */
	size_t *elab_order;      /* phase B order (module indices), nmods long */
};

/*
 * Loads a structure file.  top_name may be NULL: it then comes from the
 * file's `top` key, else from the file name (top_<t>.secrets....hjson -> t).
 * Errors name the file, line and column: TS_ERR_PARSE, TS_ERR_SCHEMA,
 * TS_ERR_RANGE, TS_ERR_IO.  The caller frees *out with ts_top_free.
 */
TS_RESULT ts_top_load(const char *path, const char *top_name, struct ts_top **out);

/* As ts_top_load, from a parsed document (ownership of doc passes to *out). */
TS_RESULT ts_top_from_doc(struct ts_hjson_doc *doc, const char *top_name, struct ts_top **out);

void ts_top_free(struct ts_top *top);

/* Checks a short top name: [a-z0-9_]+, at most 48 characters.  TS_ERR_USAGE. */
TS_RESULT ts_top_name_check(const char *t);

TS_DEFINE_AUTO(struct ts_top, ts_top_free)

#endif
