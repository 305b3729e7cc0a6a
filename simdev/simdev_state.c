#include "simdev/simdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/ft/ts_ft.h"

ts_result
simdev_unhex(const char *hex, uint8_t *out, size_t n)
{
	TS_ENSUREF(hex != NULL && strlen(hex) == 2 * n, TS_ERR_USAGE, "expected %zu hex digits", 2 * n);
	TS_ENSUREF(ts_hex_decode(hex, out, n) == 0, TS_ERR_USAGE, "not hex: %.16s", hex);
	return TS_OK;
}

static ts_result
state_path(const struct simdev *d, const char *rel, char *buf, size_t len)
{
	TS_ENSUREF(snprintf(buf, len, "%s/%s", d->dir, rel) < (int)len, TS_ERR_RANGE, "state path too long");
	return TS_OK;
}

static ts_result
field(const struct simdev *d, const char *key, uint8_t *out, size_t n)
{
	const char *h = json_string_value(json_object_get(d->state, key));
	TS_ENSUREF(h != NULL, TS_ERR_SCHEMA, "%s/state.json lacks %s", d->dir, key);
	return simdev_unhex(h, out, n);
}

ts_result
simdev_load(struct simdev *d)
{
	char path[PATH_MAX + 32];
	json_error_t err;
	TS_GUARD(state_path(d, "state.json", path, sizeof(path)));
	d->state = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	TS_ENSUREF(d->state != NULL, TS_ERR_IO, "%s: %s (run 'tapeseal-simdev cp' first)", path, err.text);
	TS_GUARD(field(d, "seed", d->seed, 32));
	TS_GUARD(field(d, "was", d->was, 32));
	return field(d, "device_id", d->device_id, 32);
}

ts_result
simdev_save(const struct simdev *d)
{
	char path[PATH_MAX + 32];
	char hex[65];
	TS_BUF(tmp);
	ts_hex_encode(d->device_id, 32, hex);
	TS_ENSURE(json_object_set_new(d->state, "device_id", json_string(hex)) == 0, TS_ERR_NOMEM);
	char *text = json_dumps(d->state, JSON_INDENT(2) | JSON_SORT_KEYS);
	TS_ENSURE(text != NULL, TS_ERR_NOMEM);
	TS_GUARD(state_path(d, "state.json", path, sizeof(path)));
	ts_result r = ts_file_write_tmp(path, text, strlen(text), 0600, &tmp);
	free(text);
	TS_GUARD(r);
	if (rename((const char *)tmp.data, path) != 0) {
		int e = errno;
		(void)unlink((const char *)tmp.data);
		TS_BAILF(TS_ERR_IO, "%s: %s", path, strerror(e));
	}
	return ts_file_sync_dir(d->dir);
}

ts_result
simdev_page_read(const struct simdev *d, unsigned page, uint8_t buf[2048])
{
	char rel[64], path[PATH_MAX + 64];
	(void)snprintf(rel, sizeof(rel), "nvm/page_%u.bin", page);
	TS_GUARD(state_path(d, rel, path, sizeof(path)));
	TS_BUF(b);
	if (access(path, F_OK) != 0) { /* erased flash */
		memset(buf, 0xff, TS_FT_PAGE_SIZE);
		return TS_OK;
	}
	TS_GUARD(ts_file_read(path, TS_FT_PAGE_SIZE, &b));
	TS_ENSUREF(b.len == TS_FT_PAGE_SIZE, TS_ERR_SCHEMA, "%s is not %d bytes", path, TS_FT_PAGE_SIZE);
	memcpy(buf, b.data, TS_FT_PAGE_SIZE);
	return TS_OK;
}

ts_result
simdev_page_write(const struct simdev *d, unsigned page, const uint8_t buf[2048])
{
	char rel[64], path[PATH_MAX + 64];
	TS_BUF(tmp);
	(void)snprintf(rel, sizeof(rel), "nvm/page_%u.bin", page);
	TS_GUARD(state_path(d, rel, path, sizeof(path)));
	TS_GUARD(ts_file_write_tmp(path, buf, TS_FT_PAGE_SIZE, 0600, &tmp));
	if (rename((const char *)tmp.data, path) != 0) {
		int e = errno;
		(void)unlink((const char *)tmp.data);
		TS_BAILF(TS_ERR_IO, "%s: %s", path, strerror(e));
	}
	return TS_OK;
}

/* CP: the wafer-test stage.  Writes the WAS into page 0 and the CP half of the device ID. */
ts_result
simdev_cp(struct simdev *d, const char *was_file, const char *seed_hex)
{
	char path[PATH_MAX + 32], hex[65];
	TS_GUARD(state_path(d, "state.json", path, sizeof(path)));
	TS_ENSUREF(access(path, F_OK) != 0, TS_ERR_EXISTS, "%s exists: this device already went through cp", path);
	if (seed_hex != NULL) {
		TS_GUARD(simdev_unhex(seed_hex, d->seed, 32));
	} else {
		TS_GUARD_OSSL(RAND_bytes(d->seed, 32));
	}
	memset(d->was, 0, sizeof(d->was)); /* upstream's orchestrator passes an all-zero WAS */
	if (was_file != NULL) {
		TS_BUF(w);
		TS_GUARD(ts_file_read(was_file, 128, &w));
		while (w.len > 0 && (w.data[w.len - 1] == '\n' || w.data[w.len - 1] == '\r')) {
			w.len--;
		}
		TS_GUARD(ts_buf_append(&w, "", 1));
		w.len--;
		TS_GUARD(simdev_unhex((const char *)w.data, d->was, 32));
	}
	uint8_t cp[SHA256_DIGEST_LENGTH];
	SHA256(d->seed, 32, cp);
	memset(d->device_id, 0, 32);
	memcpy(d->device_id, cp, 16); /* the CP half; individualize fills the FT half */
	TS_ENSUREF(mkdir(d->dir, 0700) == 0 || errno == EEXIST, TS_ERR_IO, "%s: %s", d->dir, strerror(errno));
	TS_GUARD(state_path(d, "nvm", path, sizeof(path)));
	TS_ENSUREF(mkdir(path, 0700) == 0 || errno == EEXIST, TS_ERR_IO, "%s: %s", path, strerror(errno));
	d->state = json_object();
	TS_ENSURE(d->state != NULL, TS_ERR_NOMEM);
	ts_hex_encode(d->seed, 32, hex);
	json_object_set_new(d->state, "seed", json_string(hex));
	ts_hex_encode(d->was, 32, hex);
	json_object_set_new(d->state, "was", json_string(hex));
	json_object_set_new(d->state, "lc_state", json_string("TEST_UNLOCKED0"));
	json_object_set_new(d->state, "otp", json_object());
	json_object_set_new(d->state, "locked", json_array());
	uint8_t page0[TS_FT_PAGE_SIZE];
	memset(page0, 0xff, sizeof(page0));
	memcpy(page0, d->was, 32);
	TS_GUARD(simdev_page_write(d, 0, page0));
	return simdev_save(d);
}
