#include "common/otp/ts_otp_job.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hjson.h"
#include "common/otp/ts_otp_img.h"

void
ts_otp_outputs_free(struct ts_otp_outputs *o)
{
	for (size_t i = 0; i < TS_OTP_MAX_IMAGES; i++) {
		ts_buf_free(&o->o[i].data);
	}
	o->n = 0;
}

/* path with BITWIDTH replaced by 24, relative paths resolved against dir (may be NULL). */
static ts_result
out_path(const char *dir, const char *path, char *out, size_t len)
{
	char tmp[PATH_MAX];
	const char *bw = strstr(path, "BITWIDTH");
	int n = bw != NULL ? snprintf(tmp, sizeof(tmp), "%.*s24%s", (int)(bw - path), path, bw + 8)
			   : snprintf(tmp, sizeof(tmp), "%s", path);
	TS_ENSUREF(n > 0 && (size_t)n < sizeof(tmp), TS_ERR_RANGE, "%s: path too long", path);
	n = dir != NULL && tmp[0] != '/' ? snprintf(out, len, "%s/%s", dir, tmp) : snprintf(out, len, "%s", tmp);
	TS_ENSUREF(n > 0 && (size_t)n < len, TS_ERR_RANGE, "%s: path too long", path);
	return TS_OK;
}

static ts_result
one(struct ts_otpgen *g, const struct ts_otp_request *req, const char *path, struct ts_otp_outputs *out)
{
	TS_ENSUREF(out->n < TS_OTP_MAX_IMAGES, TS_ERR_RANGE, "more than %d images in one call", TS_OTP_MAX_IMAGES);
	struct ts_otp_output *o = &out->o[out->n++];
	(void)snprintf(o->path, sizeof(o->path), "%s", path);
	return ts_otpgen_image(g, req, &o->data);
}

static ts_result
single(struct ts_otpgen *g, const struct ts_otp_args *a, struct ts_otp_outputs *out)
{
	char path[PATH_MAX];
	TS_ENSUREF(a->img_cfg != NULL, TS_ERR_USAGE, "--img-cfg (or --batch) is required");
	TS_ENSUREF((a->out != NULL) != (a->c_out != NULL), TS_ERR_USAGE, "give exactly one of --out and --c-out");
	struct ts_otp_request req = { a->img_cfg, a->add_cfg, a->nadd, a->data_perm, a->c_out != NULL };
	TS_GUARD(out_path(NULL, a->c_out != NULL ? a->c_out : a->out, path, sizeof(path)));
	return one(g, &req, path, out);
}

static ts_result
batch_strings(const struct ts_hjson_doc *doc, json_t *img, const char *dir, char paths[][PATH_MAX], size_t *n)
{
	json_t *add = json_object_get(img, "add_cfg");
	size_t i;
	json_t *v;
	*n = 0;
	if (add != NULL && (!json_is_array(add) || json_array_size(add) > TS_OTP_MAX_ADD)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, add, "add_cfg must be a list of at most %d files", TS_OTP_MAX_ADD);
	}
	json_array_foreach(add, i, v) {
		if (!json_is_string(v)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "add_cfg entries are file names");
		}
		TS_GUARD(out_path(dir, json_string_value(v), paths[(*n)++], PATH_MAX));
	}
	return TS_OK;
}

static ts_result
batch_image(struct ts_otpgen *g, const struct ts_hjson_doc *doc, json_t *img, const char *dir,
	    struct ts_otp_outputs *out)
{
	static const char *const keys[] = { "name", "img_cfg", "add_cfg", "data_perm", "out", "c_out" };
	static char add[TS_OTP_MAX_ADD][PATH_MAX];
	const char *addp[TS_OTP_MAX_ADD];
	char cfg[PATH_MAX], path[PATH_MAX];
	size_t nadd;
	const char *k;
	json_t *v;
	json_object_foreach(img, k, v) {
		int ok = 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			ok |= strcmp(k, keys[i]) == 0 && (json_is_string(v) || strcmp(k, "add_cfg") == 0);
		}
		if (!ok) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "batch image: unknown key '%s' or not a string", k);
		}
	}
	json_t *ic = json_object_get(img, "img_cfg");
	json_t *o = json_object_get(img, "out");
	json_t *c = json_object_get(img, "c_out");
	if (ic == NULL || (o == NULL) == (c == NULL)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, img, "a batch image needs img_cfg and exactly one of out, c_out");
	}
	TS_GUARD(out_path(dir, json_string_value(ic), cfg, sizeof(cfg)));
	TS_GUARD(batch_strings(doc, img, dir, add, &nadd));
	for (size_t i = 0; i < nadd; i++) {
		addp[i] = add[i];
	}
	TS_GUARD(out_path(dir, json_string_value(o != NULL ? o : c), path, sizeof(path)));
	json_t *dp = json_object_get(img, "data_perm");
	struct ts_otp_request req = { cfg, addp, nadd, dp != NULL ? json_string_value(dp) : NULL, c != NULL };
	return one(g, &req, path, out);
}

static ts_result
batch(struct ts_otpgen *g, const char *file, struct ts_otp_outputs *out)
{
	char dir[PATH_MAX];
	TS_AUTO(struct ts_hjson_doc, ts_hjson_doc_free) doc = NULL;
	TS_GUARD(ts_hjson_load(file, &doc));
	const char *slash = strrchr(file, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - file) : 1, slash != NULL ? file : ".");
	json_t *root = ts_hjson_root(doc);
	json_t *imgs = json_object_get(root, "images");
	if (!json_is_array(imgs) || json_array_size(imgs) == 0 || json_object_size(root) != 1) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, root, "a batch file holds only 'images', a non-empty list");
	}
	size_t i;
	json_t *img;
	json_array_foreach(imgs, i, img) {
		if (!json_is_object(img)) {
			return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, img, "each batch image is an object");
		}
		TS_GUARD(batch_image(g, doc, img, dir, out));
	}
	return TS_OK;
}

/* dir/hw/ip/lc_ctrl/data/lc_ctrl_state.hjson for dir and each directory above it (out: the first that exists). */
static int
find_up(const char *start, char *out, size_t len)
{
	char dir[PATH_MAX];
	struct stat st;
	if (realpath(start, dir) == NULL) {
		return 0;
	}
	for (;;) {
		int n = snprintf(out, len, "%s/" TS_OTP_LC_STATE_REL, strcmp(dir, "/") == 0 ? "" : dir);
		if (n > 0 && (size_t)n < len && stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			return 1;
		}
		char *slash = strrchr(dir, '/');
		if (slash == NULL || strcmp(dir, "/") == 0) {
			return 0;
		}
		*(slash == dir ? slash + 1 : slash) = '\0';
	}
}

/*
 * gen-otp-img's default --lc-state-def: the checkout's lc_ctrl_state.hjson,
 * found above the memory map (which lives in the checkout), else above the
 * current directory.
 */
static ts_result
default_lc_state(const char *mmap, char *out, size_t len)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(mmap, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - mmap) + (slash == mmap) : 1, slash ? mmap : ".");
	TS_ENSUREF(find_up(dir, out, len) || find_up(".", out, len), TS_ERR_USAGE,
		   "no --lc-state given and no " TS_OTP_LC_STATE_REL " above %s or the current directory; give "
		   "--lc-state (or --lc-state-def)", mmap);
	return TS_OK;
}

ts_result
ts_otp_build(const struct ts_otp_args *a, struct ts_otp_outputs *out)
{
	char found[PATH_MAX];
	TS_ENSURE(a != NULL && out != NULL, TS_ERR_NULL);
	TS_ENSUREF(a->mmap != NULL && a->secrets != NULL, TS_ERR_USAGE, "--mmap and --secrets are required");
	const char *lc_state = a->lc_state;
	if (lc_state == NULL) {
		TS_GUARD(default_lc_state(a->mmap, found, sizeof(found)));
		lc_state = found;
	}
	TS_ENSUREF(a->batch == NULL || (a->img_cfg == NULL && a->out == NULL && a->c_out == NULL && a->nadd == 0 &&
					a->data_perm == NULL), TS_ERR_USAGE,
		   "--batch replaces --img-cfg, --add-cfg, --data-perm, --out and --c-out");
	TS_AUTO(struct ts_otpgen, ts_otpgen_free) g = NULL;
	TS_GUARD(ts_otpgen_load(a->mmap, a->secrets, lc_state, a->mode, &g));
	ts_result r = a->batch != NULL ? batch(g, a->batch, out) : single(g, a, out);
	for (size_t i = 0; r.code == 0 && i < out->n; i++) {
		for (size_t j = 0; j < i; j++) {
			TS_ENSUREF(strcmp(out->o[i].path, out->o[j].path) != 0, TS_ERR_USAGE, "%s is written twice",
				   out->o[i].path);
		}
	}
	if (r.code != 0) {
		ts_otp_outputs_free(out);
	}
	return r;
}

static ts_result
preflight(const struct ts_otp_output *o, int force, enum ts_file_status *st)
{
	struct stat sb;
	int same;
	if (lstat(o->path, &sb) != 0) {
		TS_ENSUREF(errno == ENOENT, TS_ERR_IO, "%s: %s", o->path, strerror(errno));
		*st = TS_FILE_NEW;
		return TS_OK;
	}
	TS_ENSUREF(!S_ISLNK(sb.st_mode), TS_ERR_SYMLINK, "%s: is a symbolic link; refusing to replace it", o->path);
	TS_ENSUREF(S_ISREG(sb.st_mode), TS_ERR_IO, "%s: not a regular file", o->path);
	TS_BUF(have);
	TS_GUARD(ts_file_read(o->path, TS_BUF_MAX, &have));
	same = have.len == o->data.len && (have.len == 0 || CRYPTO_memcmp(have.data, o->data.data, have.len) == 0);
	TS_ENSUREF(same || force, TS_ERR_EXISTS, "%s exists with different content; give --force to replace it", o->path);
	*st = same ? TS_FILE_UNCHANGED : TS_FILE_REPLACED;
	return TS_OK;
}

static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	(void)snprintf(dir, len, "%.*s", slash != NULL ? (slash == path ? 1 : (int)(slash - path)) : 1,
		       slash != NULL ? path : ".");
}

/* One output into place; a file it replaces stays as <tmp>.old until the whole set is in place. */
static ts_result
place(const struct ts_otp_output *out, enum ts_file_status st, const struct ts_buf *tmp, char *dir, size_t len)
{
	const char *t = (const char *)tmp->data;
	char old[PATH_MAX + 32];
	if (st == TS_FILE_UNCHANGED) {
		return TS_OK;
	}
	if (st == TS_FILE_NEW) {
		TS_ENSUREF(link(t, out->path) == 0, TS_ERR_IO, "%s: cannot create: %s", out->path, strerror(errno));
	} else {
		(void)snprintf(old, sizeof(old), "%s.old", t);
		TS_ENSUREF(link(out->path, old) == 0, TS_ERR_IO, "%s: cannot keep a backup: %s", out->path, strerror(errno));
		TS_ENSUREF(rename(t, out->path) == 0, TS_ERR_IO, "%s: cannot replace: %s", out->path, strerror(errno));
	}
	dir_of(out->path, dir, len);
	return ts_file_sync_dir(dir);
}

static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a != NULL && lstat(a, &sa) == 0 && lstat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Undoes the outputs placed before a failure (indexes below n; n itself failed part way or not at all). */
static void
unplace(const struct ts_otp_outputs *o, const enum ts_file_status *status, const struct ts_buf *tmp, size_t n)
{
	char old[PATH_MAX + 32], dir[PATH_MAX];
	for (size_t i = n + 1; i-- > 0;) {
		const char *t = (const char *)tmp[i].data;
		(void)snprintf(old, sizeof(old), "%s.old", t != NULL ? t : "");
		if (status[i] == TS_FILE_NEW && (i < n || same_file(t, o->o[i].path))) {
			(void)unlink(o->o[i].path);
		} else if (status[i] == TS_FILE_REPLACED && t != NULL && access(old, F_OK) == 0 &&
			   (i < n || access(t, F_OK) != 0)) {
			(void)rename(old, o->o[i].path); /* output i was replaced (for n: only if its rename happened) */
		}
		if (status[i] != TS_FILE_UNCHANGED) {
			dir_of(o->o[i].path, dir, sizeof(dir));
			ts_result_ignore(ts_file_sync_dir(dir));
		}
	}
}

ts_result
ts_otp_write(const struct ts_otp_outputs *o, mode_t mode, int force, enum ts_file_status *status)
{
	struct ts_buf tmp[TS_OTP_MAX_IMAGES];
	char dir[PATH_MAX];
	ts_result r = TS_OK;
	memset(tmp, 0, sizeof(tmp));
	for (size_t i = 0; i < o->n; i++) {
		TS_GUARD(preflight(&o->o[i], force, &status[i]));
	}
	/* Phase 1: every changed output complete on disk under a temporary name. */
	for (size_t i = 0; r.code == 0 && i < o->n; i++) {
		if (status[i] != TS_FILE_UNCHANGED) {
			r = ts_file_write_tmp(o->o[i].path, o->o[i].data.data, o->o[i].data.len, mode, &tmp[i]);
		}
	}
	/* Phase 2: into place (link refuses a file that appeared meanwhile), the replaced ones kept. */
	size_t placed = 0;
	for (; r.code == 0 && placed < o->n; placed++) {
		r = place(&o->o[placed], status[placed], &tmp[placed], dir, sizeof(dir));
	}
	if (r.code != 0 && placed > 0) {
		unplace(o, status, tmp, placed - 1);
	}
	for (size_t i = 0; i < o->n; i++) {
		if (tmp[i].data != NULL) {
			(void)unlink((const char *)tmp[i].data);
			(void)snprintf(dir, sizeof(dir), "%s.old", (const char *)tmp[i].data);
			(void)unlink(dir);
		}
		ts_buf_free(&tmp[i]);
	}
	return r;
}

const char ts_otp_usage_options[] =
	"  --mmap FILE        the OTP memory map (otp_ctrl_mmap.hjson)\n"
	"  --secrets FILE     the top's secrets file (scrambling keys, digest constants, otp_img_seed)\n"
	"  --lc-state FILE    lc_ctrl_state.hjson (SECDED code and life-cycle encodings); default:\n"
	"                     " TS_OTP_LC_STATE_REL " in the checkout above --mmap\n"
	"                     (or above the current directory), as gen-otp-img finds it\n"
	"  --img-cfg FILE     the base image configuration\n"
	"  --add-cfg FILE     an overlay, applied in order (repeatable)\n"
	"  --data-perm SPEC   output bit permutation, e.g. '[15:0],[23:16]' (default: identity)\n"
	"  --out FILE         write the .vmem image ('BITWIDTH' in the name becomes 24)\n"
	"  --c-out FILE       write the C file instead of the image\n"
	"  --batch FILE       several images in one call: {images: [{img_cfg, add_cfg: [...], data_perm,\n"
	"                     out | c_out}, ...]}, paths relative to FILE; replaces the five options above\n"
	"  --sku NAME         take --mmap, --lc-state, --img-cfg and --add-cfg from the SKU's OTP configuration\n"
	"                     in the provisioning registry (see 'tapeseal prov list')\n"
	"  --force            replace existing outputs whose content differs\n"
	"  --quiet            print nothing on success\n"
	"  --mmap-def FILE        the same as --mmap      (gen-otp-img's names, so that dvsim's\n"
	"  --top-secret-cfg FILE  the same as --secrets    gen_otp_images_cmd can run tapeseal with\n"
	"  --lc-state-def FILE    the same as --lc-state   the options it gives gen-otp-img; its\n"
	"  -o FILE                the same as --out        --c-template and --stamp are refused)\n"
	"  -h, --help         show this help\n";

ts_result
ts_otp_args_parse(int argc, char **argv, struct ts_otp_args *a, int *force, int *help)
{
	static const struct option longopts[] = {
		{ "mmap", required_argument, NULL, 'm' },     { "secrets", required_argument, NULL, 's' },
		{ "lc-state", required_argument, NULL, 'l' }, { "img-cfg", required_argument, NULL, 'i' },
		{ "add-cfg", required_argument, NULL, 'a' },  { "data-perm", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },      { "c-out", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },    { "force", no_argument, NULL, 'f' },
		{ "sku", required_argument, NULL, 'k' },      { "quiet", no_argument, NULL, 'q' },
		/* gen-otp-img's spellings, so that dvsim's gen_otp_images_cmd can name tapeseal */
		{ "mmap-def", required_argument, NULL, 'm' }, { "top-secret-cfg", required_argument, NULL, 's' },
		{ "lc-state-def", required_argument, NULL, 'l' }, { "c-template", required_argument, NULL, 'T' },
		{ "stamp", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	int c;
	const char *mode = a->mode;
	memset(a, 0, sizeof(*a));
	a->mode = mode;
	*force = 0;
	*help = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': a->quiet = 1; break;
		case 'T':
			TS_BAILF(TS_ERR_USAGE, "--c-template is not supported: the C file is always gen-otp-img's "
					       "default template; drop the option");
		case 'S':
			TS_BAILF(TS_ERR_USAGE, "--stamp is not supported: the outputs carry no date or command line "
					       "(as gen-otp-img without --stamp); drop the option");
		case 'm': a->mmap = optarg; break;
		case 's': a->secrets = optarg; break;
		case 'l': a->lc_state = optarg; break;
		case 'i': a->img_cfg = optarg; break;
		case 'p': a->data_perm = optarg; break;
		case 'o': a->out = optarg; break;
		case 'c': a->c_out = optarg; break;
		case 'b': a->batch = optarg; break;
		case 'k': a->sku = optarg; break;
		case 'f': *force = 1; break;
		case 'h': *help = 1; return TS_OK;
		case 'a':
			TS_ENSUREF(a->nadd < TS_OTP_MAX_ADD, TS_ERR_USAGE, "at most %d --add-cfg", TS_OTP_MAX_ADD);
			a->add_cfg[a->nadd++] = optarg;
			break;
		default:
			TS_BAILF(TS_ERR_USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	TS_ENSUREF(optind == argc, TS_ERR_USAGE, "unexpected argument '%s'", optind < argc ? argv[optind] : "");
	return TS_OK;
}

ts_result
ts_otp_sku_consts(const struct ts_otp_args *a, const char *secrets, json_t **parts)
{
	TS_ENSURE(a != NULL && a->img_cfg != NULL && parts != NULL, TS_ERR_NULL);
	struct ts_otpgen *g = NULL;
	TS_GUARD(ts_otpgen_load(a->mmap, secrets, a->lc_state, a->mode, &g));
	struct ts_otp_request req = { a->img_cfg, a->add_cfg, a->nadd, NULL, 0 };
	ts_result r = ts_otpgen_consts(g, &req, parts);
	ts_otpgen_free(g);
	return r;
}
