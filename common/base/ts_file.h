#ifndef TS_COMMON_BASE_TS_FILE_H
#define TS_COMMON_BASE_TS_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"

/*
 * Reads the regular file at path into out (appended).  Opens with
 * O_NOFOLLOW (a symlink is TS_ERR_SYMLINK), refuses non-regular files and
 * files larger than cap (TS_ERR_RANGE); TS_ERR_IO with the path and errno
 * text otherwise.  Missing files: TS_ERR_IO "…: No such file or directory".
 */
TS_RESULT ts_file_read(const char *path, size_t cap, struct ts_buf *out);

/*
 * Writes len bytes to a new file at path with the given mode, durably and
 * atomically: mkostemp beside path, fchmod, write loop, fsync, close, link
 * into place (an existing path is TS_ERR_EXISTS and is never overwritten),
 * fsync of the directory, unlink of the temporary name.
 */
TS_RESULT ts_file_write_new(const char *path, const void *buf, size_t len, mode_t mode);

/*
 * As ts_file_write_new without the final directory fsync, for a caller
 * that writes several files into one directory and fsyncs it once.
 */
TS_RESULT ts_file_write_new_nosync_dir(const char *path, const void *buf, size_t len, mode_t mode);

/*
 * Writes a complete, fsync'd temporary file "<path>.tmp.XXXXXX" with the
 * given mode and puts its NUL-terminated name in tmp; nothing is left behind
 * on failure.  The caller moves it into place (link or rename) or unlinks it.
 */
TS_RESULT ts_file_write_tmp(const char *path, const void *buf, size_t len, mode_t mode, struct ts_buf *tmp);

/* The lowercase hex SHA-256 of n bytes at p (hex is "" when libcrypto fails: TS_ERR_CRYPTO). */
TS_RESULT ts_sha256_hex(const void *p, size_t n, char hex[65]);

/* The lowercase hex SHA-256 of the regular file at path (no symlinks, at most 256 MiB). */
TS_RESULT ts_file_sha256(const char *path, char hex[65]);

/* The same for an open descriptor, read from its current offset; path names it in errors. */
TS_RESULT ts_file_sha256_fd(int fd, const char *path, char hex[65]);

/* fsyncs the directory at path. */
TS_RESULT ts_file_sync_dir(const char *path);

/* Joins a directory and a relative path into out (cleared first). */
TS_RESULT ts_path_join(struct ts_buf *out, const char *dir, const char *rel);

#endif
