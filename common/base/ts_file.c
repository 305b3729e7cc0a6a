#include "common/base/ts_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/base/ts_hex.h"

ts_result
ts_path_join(struct ts_buf *out, const char *dir, const char *rel)
{
	TS_ENSURE_REF(out);
	TS_ENSURE_REF(dir);
	TS_ENSURE_REF(rel);
	out->len = 0;
	TS_GUARD(ts_buf_puts(out, dir));
	if (out->len > 0 && out->data[out->len - 1] != '/') {
		TS_GUARD(ts_buf_puts(out, "/"));
	}
	TS_GUARD(ts_buf_puts(out, rel));
	TS_GUARD(ts_buf_append(out, "", 1));
	out->len--;
	return TS_OK;
}

static ts_result
read_fd(int fd, const char *path, size_t cap, struct ts_buf *out)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		TS_BAILF(TS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
	}
	TS_ENSUREF(S_ISREG(st.st_mode), TS_ERR_IO, "%s: not a regular file", path);
	TS_ENSUREF((unsigned long long)st.st_size <= cap, TS_ERR_RANGE,
		   "%s: file is larger than the %zu-byte limit", path, cap);
	/* Read straight into the buffer, sized from fstat (plus one byte to see the end). */
	TS_GUARD(ts_buf_reserve(out, (size_t)st.st_size + 1));
	for (;;) {
		if (out->cap == out->len) {
			TS_GUARD(ts_buf_reserve(out, 8192));
		}
		size_t room = out->cap - out->len;
		ssize_t n = read(fd, out->data + out->len, room);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			TS_BAILF(TS_ERR_IO, "%s: read failed: %s", path, strerror(errno));
		}
		if (n == 0) {
			break;
		}
		out->len += (size_t)n;
		TS_ENSUREF(out->len <= cap, TS_ERR_RANGE, "%s: file is larger than the %zu-byte limit", path, cap);
	}
	return TS_OK;
}

ts_result
ts_file_read(const char *path, size_t cap, struct ts_buf *out)
{
	TS_ENSURE_REF(path);
	TS_ENSURE_REF(out);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		TS_BAILF(TS_ERR_SYMLINK, "%s: is a symbolic link; give the real path", path);
	}
	if (fd < 0) {
		TS_BAILF(TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	}
	ts_result r = read_fd(fd, path, cap, out);
	(void)close(fd);
	return r;
}

static ts_result
write_all(int fd, const char *path, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			TS_BAILF(TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return TS_OK;
}

ts_result
ts_file_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		TS_BAILF(TS_ERR_IO, "%s: cannot open directory: %s", path, strerror(errno));
	}
	int rc = fsync(fd);
	int e = errno;
	(void)close(fd);
	TS_ENSUREF(rc == 0, TS_ERR_IO, "%s: fsync failed: %s", path, strerror(e));
	return TS_OK;
}

static ts_result
fill_tmp(int fd, const char *tmp, const void *buf, size_t len, mode_t mode)
{
	if (fchmod(fd, mode) != 0) {
		TS_BAILF(TS_ERR_IO, "%s: chmod failed: %s", tmp, strerror(errno));
	}
	TS_GUARD(write_all(fd, tmp, buf, len));
	if (fsync(fd) != 0) {
		TS_BAILF(TS_ERR_IO, "%s: fsync failed: %s", tmp, strerror(errno));
	}
	return TS_OK;
}

static ts_result
dir_of(const char *path, struct ts_buf *dir)
{
	const char *slash = strrchr(path, '/');
	dir->len = 0;
	if (slash == NULL) {
		TS_GUARD(ts_buf_append(dir, ".", 2));
	} else if (slash == path) {
		TS_GUARD(ts_buf_append(dir, "/", 2));
	} else {
		TS_GUARD(ts_buf_append(dir, path, (size_t)(slash - path)));
		TS_GUARD(ts_buf_append(dir, "", 1));
	}
	return TS_OK;
}

ts_result
ts_file_write_new(const char *path, const void *buf, size_t len, mode_t mode)
{
	TS_BUF(dir);
	TS_GUARD(ts_file_write_new_nosync_dir(path, buf, len, mode));
	TS_GUARD(dir_of(path, &dir));
	return ts_file_sync_dir((const char *)dir.data);
}

ts_result
ts_file_write_tmp(const char *path, const void *buf, size_t len, mode_t mode, struct ts_buf *tmp)
{
	TS_ENSURE_REF(path);
	TS_ENSURE_REF(tmp);
	TS_ENSURE(buf != NULL || len == 0, TS_ERR_NULL);
	tmp->len = 0;
	TS_GUARD(ts_buf_printf(tmp, "%s.tmp.XXXXXX", path));
	TS_GUARD(ts_buf_append(tmp, "", 1));
	char *tname = (char *)tmp->data;
	int fd = mkostemp(tname, O_CLOEXEC);
	if (fd < 0) {
		TS_BAILF(TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	}
	ts_result r = fill_tmp(fd, tname, buf, len, mode);
	if (close(fd) != 0 && ts_is_ok(r)) {
		r = ts_failf(TS_ERR_IO, __FILE__, __LINE__, "%s: close failed: %s", tname, strerror(errno));
	}
	if (r.code != 0) {
		(void)unlink(tname);
	}
	return r;
}

ts_result
ts_file_write_new_nosync_dir(const char *path, const void *buf, size_t len, mode_t mode)
{
	TS_BUF(tmp);
	TS_GUARD(ts_file_write_tmp(path, buf, len, mode, &tmp));
	const char *tname = (const char *)tmp.data;
	ts_result r = TS_OK;
	if (link(tname, path) != 0) {
		int e = errno;
		r = e == EEXIST ? ts_failf(TS_ERR_EXISTS, __FILE__, __LINE__, "%s: already exists", path)
				: ts_failf(TS_ERR_IO, __FILE__, __LINE__, "%s: cannot create: %s", path, strerror(e));
	}
	(void)unlink(tname);
	return r;
}

ts_result
ts_sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	hex[0] = '\0';
	TS_ENSURE(EVP_Digest(p != NULL ? p : "", n, md, &len, EVP_sha256(), NULL) == 1, TS_ERR_CRYPTO);
	ts_hex_encode(md, sizeof(md), hex);
	return TS_OK;
}

ts_result
ts_file_sha256_fd(int fd, const char *path, char hex[65])
{
	TS_BUF(b);
	TS_GUARD(read_fd(fd, path, 256u * 1024u * 1024u, &b));
	return ts_sha256_hex(b.data, b.len, hex);
}

ts_result
ts_file_sha256(const char *path, char hex[65])
{
	TS_BUF(b);
	TS_GUARD(ts_file_read(path, 256u * 1024u * 1024u, &b));
	return ts_sha256_hex(b.data, b.len, hex);
}
