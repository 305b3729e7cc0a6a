#include "common/prov/ts_prov_ext.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/ts_file.h"

/* A field of a descriptor exists when struct_size covers it. */
#define HAS(d, field) ((d)->struct_size >= offsetof(struct ts_prov_ext, field) + sizeof((d)->field))
#define V1_SIZE (offsetof(struct ts_prov_ext, ft_post_boot_ext) + sizeof(void (*)(void)))

static ts_result
safe_node(const char *path, const char *lib, int is_file)
{
	struct stat st;
	TS_ENSUREF(lstat(path, &st) == 0, TS_ERR_IO, "extension %s: %s: %s", lib, path, strerror(errno));
	TS_ENSUREF(!S_ISLNK(st.st_mode), TS_ERR_SYMLINK, "extension %s: %s is a symbolic link", lib, path);
	TS_ENSUREF(is_file ? S_ISREG(st.st_mode) : S_ISDIR(st.st_mode), TS_ERR_MODE, "extension %s: %s is not a %s", lib,
		   path, is_file ? "regular file" : "directory");
	TS_ENSUREF(st.st_uid == 0 || st.st_uid == geteuid(), TS_ERR_MODE,
		   "extension %s: %s is owned by uid %u, not by root or you", lib, path, (unsigned)st.st_uid);
	int sticky_root_dir = !is_file && st.st_uid == 0 && (st.st_mode & S_ISVTX);
	TS_ENSUREF((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || sticky_root_dir, TS_ERR_MODE,
		   "extension %s: %s is writable by group or others; chmod go-w it", lib, path);
	return TS_OK;
}

/* The file and every directory above it. */
static ts_result
safe_path(const char *real, const char *lib)
{
	char dir[PATH_MAX];
	TS_GUARD(safe_node(real, lib, 1));
	(void)snprintf(dir, sizeof(dir), "%s", real);
	for (char *slash = strrchr(dir, '/'); slash != NULL; slash = strrchr(dir, '/')) {
		*slash = '\0';
		TS_GUARD(safe_node(dir[0] ? dir : "/", lib, 0));
		if (dir[0] == '\0') {
			break;
		}
	}
	return TS_OK;
}

static ts_result
check_descriptor(const struct ts_prov_ext *d, const char *lib)
{
	TS_ENSUREF(d != NULL, TS_ERR_SCHEMA, "extension %s: %s returned no descriptor", lib, TS_PROV_EXT_ENTRY);
	TS_ENSUREF(d->struct_size >= offsetof(struct ts_prov_ext, abi_minor) + sizeof(d->abi_minor), TS_ERR_SCHEMA,
		   "extension %s: struct_size %zu is too small to hold the ABI version", lib, d->struct_size);
	TS_ENSUREF(d->abi_major == TS_PROV_EXT_ABI_MAJOR, TS_ERR_SCHEMA,
		   "extension %s: ABI major %u; this tapeseal loads ABI %d", lib, d->abi_major, TS_PROV_EXT_ABI_MAJOR);
	TS_ENSUREF(d->abi_minor <= TS_PROV_EXT_ABI_MINOR, TS_ERR_SCHEMA,
		   "extension %s: ABI %u.%u is newer than this tapeseal's %d.%d", lib, d->abi_major, d->abi_minor,
		   TS_PROV_EXT_ABI_MAJOR, TS_PROV_EXT_ABI_MINOR);
	TS_ENSUREF(d->struct_size >= V1_SIZE, TS_ERR_SCHEMA,
		   "extension %s: struct_size %zu is shorter than ABI 1.0's %zu", lib, d->struct_size, (size_t)V1_SIZE);
	return TS_OK;
}

/* The checks of safe_node on an opened file (fstat): what is hashed and loaded is this file. */
static ts_result
safe_fd(int fd, const char *path, const char *lib)
{
	struct stat st;
	TS_ENSUREF(fstat(fd, &st) == 0, TS_ERR_IO, "extension %s: %s: %s", lib, path, strerror(errno));
	TS_ENSUREF(S_ISREG(st.st_mode), TS_ERR_MODE, "extension %s: %s is not a regular file", lib, path);
	TS_ENSUREF(st.st_uid == 0 || st.st_uid == geteuid(), TS_ERR_MODE,
		   "extension %s: %s is owned by uid %u, not by root or you", lib, path, (unsigned)st.st_uid);
	TS_ENSUREF((st.st_mode & (S_IWGRP | S_IWOTH)) == 0, TS_ERR_MODE,
		   "extension %s: %s is writable by group or others; chmod go-w it", lib, path);
	return TS_OK;
}

/*
 * Opens the library once (no symlink), checks and hashes that descriptor and
 * loads it through /proc/self/fd: a file swapped in at the path after the
 * hash is never the one loaded.  The descriptor stays open while the library
 * is loaded, so its /proc name is not reused for another library meanwhile.
 */
static ts_result
load_fd(const char *real, const struct ts_prov_lib *lib, struct ts_prov_loaded *l)
{
	char proc[64];
	int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	TS_ENSUREF(fd >= 0, errno == ELOOP ? TS_ERR_SYMLINK : TS_ERR_IO, "extension %s: %s: %s", lib->spec, real,
		   strerror(errno));
	l->fd = fd;
	l->has_fd = 1;
	TS_GUARD(safe_fd(fd, real, lib->spec));
	TS_GUARD(ts_file_sha256_fd(fd, real, l->sha256));
	TS_ENSUREF(lib->pin[0] == '\0' || strcmp(lib->pin, l->sha256) == 0, TS_ERR_MODE,
		   "extension %s: SHA-256 %s does not match the pinned %s", lib->spec, l->sha256, lib->pin);
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	l->handle = dlopen(proc, RTLD_NOW | RTLD_LOCAL);
	TS_ENSUREF(l->handle != NULL, TS_ERR_IO, "extension %s: cannot load %s through %s (is /proc mounted?): %s",
		   lib->spec, real, proc, dlerror());
	return TS_OK;
}

static ts_result
open_file(const char *ext_dir, const struct ts_prov_lib *lib, struct ts_prov_loaded *l)
{
	char libdir[PATH_MAX + 8], real_dir[PATH_MAX], real[PATH_MAX];
	(void)snprintf(libdir, sizeof(libdir), "%s/lib", ext_dir);
	TS_ENSUREF(realpath(libdir, real_dir) != NULL, TS_ERR_IO, "extension %s: %s: %s", lib->spec, libdir, strerror(errno));
	TS_ENSUREF(realpath(lib->path, real) != NULL, TS_ERR_IO, "extension %s: %s: %s", lib->spec, lib->path,
		   strerror(errno));
	size_t n = strlen(real_dir);
	TS_ENSUREF(strncmp(real, real_dir, n) == 0 && real[n] == '/' && strchr(real + n + 1, '/') == NULL, TS_ERR_MODE,
		   "extension %s: %s is not in %s; extensions load only from $PROV_EXTS_DIR/lib", lib->spec, real, real_dir);
	TS_GUARD(safe_path(real, lib->spec));
	(void)snprintf(l->path, sizeof(l->path), "%s", real);
	TS_GUARD(load_fd(real, lib, l));
	void *sym = dlsym(l->handle, TS_PROV_EXT_ENTRY);
	TS_ENSUREF(sym != NULL, TS_ERR_SCHEMA, "extension %s: no %s entry point", lib->spec, TS_PROV_EXT_ENTRY);
	ts_prov_ext_entry_fn entry;
	memcpy(&entry, &sym, sizeof(entry));
	l->d = entry();
	return check_descriptor(l->d, lib->spec);
}

static ts_result
load_one(const char *ext_dir, const struct ts_prov_lib *lib, const char *sku, int run_init, struct ts_prov_loaded *l)
{
	(void)snprintf(l->spec, sizeof(l->spec), "%s", lib->spec);
	if (strcmp(lib->spec, "builtin:default") == 0) {
		l->d = ts_prov_builtin_default();
	} else if (strcmp(lib->spec, "builtin:example") == 0) {
		l->d = ts_prov_builtin_example();
	} else if (!lib->builtin) {
		TS_ENSUREF(ext_dir != NULL && *ext_dir != '\0', TS_ERR_USAGE, "extension %s needs PROV_EXTS_DIR", lib->spec);
		TS_GUARD(open_file(ext_dir, lib, l));
	}
	if (run_init && l->d != NULL && HAS(l->d, init) && l->d->init != NULL) {
		int rc = l->d->init(sku, ext_dir != NULL ? ext_dir : "", &l->ctx);
		TS_ENSUREF(rc == 0, TS_ERR_SCHEMA, "extension %s (%s): init returned %d", lib->spec,
			   l->d->name ? l->d->name : "?", rc);
	}
	l->inited = run_init;
	return TS_OK;
}

ts_result
ts_prov_ext_load(const char *ext_dir, const struct ts_prov_lib *libs, size_t n, const char *sku, int run_init,
		 struct ts_prov_exts *out)
{
	TS_ENSURE(out != NULL && (libs != NULL || n == 0), TS_ERR_NULL);
	TS_ENSURE(n <= TS_PROV_MAX_LIBS, TS_ERR_RANGE);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out->n = i + 1;
		ts_result r = load_one(ext_dir, &libs[i], sku, run_init, &out->l[i]);
		if (r.code != 0) {
			ts_prov_ext_unload(out);
			return r;
		}
	}
	return TS_OK;
}

void
ts_prov_ext_unload(struct ts_prov_exts *e)
{
	for (size_t i = e->n; i-- > 0;) {
		struct ts_prov_loaded *l = &e->l[i];
		if (l->inited && l->d != NULL && HAS(l->d, fini) && l->d->fini != NULL) {
			l->d->fini(l->ctx);
		}
		if (l->handle != NULL) {
			(void)dlclose(l->handle);
		}
		if (l->has_fd) {
			(void)close(l->fd);
		}
		memset(l, 0, sizeof(*l));
	}
	e->n = 0;
}

static ts_result
hook_failed(const struct ts_prov_loaded *l, const char *hook, int rc)
{
	TS_BAILF(TS_ERR_SCHEMA, "extension %s (%s): %s returned %d; the run is aborted", l->spec,
		 l->d->name ? l->d->name : "?", hook, rc);
}

ts_result
ts_prov_ext_pre_endorse(struct ts_prov_exts *e, struct ts_pre_endorse *p)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct ts_prov_loaded *l = &e->l[i];
		if (l->d != NULL && HAS(l->d, pre_cert_endorse) && l->d->pre_cert_endorse != NULL) {
			p->ctx = l->ctx;
			int rc = l->d->pre_cert_endorse(p);
			if (rc != 0) {
				return hook_failed(l, "pre_cert_endorse", rc);
			}
		}
	}
	return TS_OK;
}

ts_result
ts_prov_ext_post_endorse(struct ts_prov_exts *e, struct ts_post_endorse *p)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct ts_prov_loaded *l = &e->l[i];
		if (l->d != NULL && HAS(l->d, post_cert_endorse) && l->d->post_cert_endorse != NULL) {
			p->ctx = l->ctx;
			int rc = l->d->post_cert_endorse(p);
			if (rc != 0) {
				return hook_failed(l, "post_cert_endorse", rc);
			}
		}
	}
	return TS_OK;
}

ts_result
ts_prov_ext_inject(struct ts_prov_exts *e, struct ts_inject_ctx *p)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct ts_prov_loaded *l = &e->l[i];
		if (l->d != NULL && HAS(l->d, ft_inject_certs_ext) && l->d->ft_inject_certs_ext != NULL) {
			p->ctx = l->ctx;
			int rc = l->d->ft_inject_certs_ext(p);
			if (rc != 0) {
				return hook_failed(l, "ft_inject_certs_ext", rc);
			}
		}
	}
	return TS_OK;
}

ts_result
ts_prov_ext_post_boot(struct ts_prov_exts *e, const struct ts_response *resp, char *expect, size_t cap)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct ts_prov_loaded *l = &e->l[i];
		if (l->d != NULL && HAS(l->d, ft_post_boot_ext) && l->d->ft_post_boot_ext != NULL) {
			int rc = l->d->ft_post_boot_ext(resp, expect, cap);
			if (rc != 0) {
				return hook_failed(l, "ft_post_boot_ext", rc);
			}
		}
	}
	return TS_OK;
}
