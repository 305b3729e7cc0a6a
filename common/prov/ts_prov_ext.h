#ifndef TS_COMMON_PROV_TS_PROV_EXT_H
#define TS_COMMON_PROV_TS_PROV_EXT_H

#include <limits.h>
#include <stddef.h>

#include "common/base/ts_result.h"
#include "common/prov/ts_prov.h"
#include "tapeseal/prov_ext.h"

/*
 * Loading extension libraries (ABI v1, tapeseal/prov_ext.h) and running
 * their hooks in list order.  Files load only from $PROV_EXTS_DIR/lib after
 * realpath; the file and each parent directory must be owned by root or the
 * caller and not writable by group or others (root-owned sticky directories
 * such as /tmp excepted); a sha256 pin must match; the ABI major must be 1,
 * the minor at most the loader's, and struct_size must cover v1.0.
 */
struct ts_prov_loaded {
	char spec[PATH_MAX];
	char path[PATH_MAX]; /* "" for builtins */
	char sha256[65];     /* of the file, "" for builtins */
	void *handle;
	int fd;                      /* the loaded file's descriptor, open while loaded (has_fd) */
	int has_fd;
	const struct ts_prov_ext *d; /* NULL: builtin:default, no hooks */
	void *ctx;
	int inited;
};

struct ts_prov_exts {
	struct ts_prov_loaded l[TS_PROV_MAX_LIBS];
	size_t n;
};

/*
 * Loads the libraries in order (borrowed specs) and, when run_init, calls
 * each init with sku and ext_dir (inspection alone skips it).  Errors (TS_ERR_MODE, TS_ERR_SYMLINK, TS_ERR_SCHEMA, TS_ERR_IO)
 * name the library and the refusal; nothing stays loaded on failure.
 */
TS_RESULT ts_prov_ext_load(const char *ext_dir, const struct ts_prov_lib *libs, size_t n, const char *sku,
			   int run_init, struct ts_prov_exts *out);

/* Calls every fini and unloads.  Safe on an empty set. */
void ts_prov_ext_unload(struct ts_prov_exts *e);

/* Runs one kind of hook of every library in order; a non-zero return is TS_ERR_SCHEMA naming the library. */
TS_RESULT ts_prov_ext_pre_endorse(struct ts_prov_exts *e, struct ts_pre_endorse *p);
TS_RESULT ts_prov_ext_post_endorse(struct ts_prov_exts *e, struct ts_post_endorse *p);
TS_RESULT ts_prov_ext_inject(struct ts_prov_exts *e, struct ts_inject_ctx *p);
TS_RESULT ts_prov_ext_post_boot(struct ts_prov_exts *e, const struct ts_response *resp, char *expect, size_t cap);

/* The descriptors of the built-in extensions (common/prov/ext/{default,example}_ext.c). */
const struct ts_prov_ext *ts_prov_builtin_default(void);
const struct ts_prov_ext *ts_prov_builtin_example(void);

#endif
