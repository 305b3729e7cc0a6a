#include "common/base/ts_result.h"

#include <stdarg.h>
#include <stdio.h>

struct error_slot {
	int code;
	unsigned long detail;
	const char *file;
	int line;
	char msg[512];
};

static _Thread_local struct error_slot slot;

static const char *const names[TS_ERR_MAX] = {
	[TS_ERR_NONE] = "TS_ERR_NONE",
	[TS_ERR_NULL] = "TS_ERR_NULL",
	[TS_ERR_NOMEM] = "TS_ERR_NOMEM",
	[TS_ERR_IO] = "TS_ERR_IO",
	[TS_ERR_PARSE] = "TS_ERR_PARSE",
	[TS_ERR_SCHEMA] = "TS_ERR_SCHEMA",
	[TS_ERR_RANGE] = "TS_ERR_RANGE",
	[TS_ERR_SEED] = "TS_ERR_SEED",
	[TS_ERR_MODE] = "TS_ERR_MODE",
	[TS_ERR_EXISTS] = "TS_ERR_EXISTS",
	[TS_ERR_SYMLINK] = "TS_ERR_SYMLINK",
	[TS_ERR_CRYPTO] = "TS_ERR_CRYPTO",
	[TS_ERR_P11] = "TS_ERR_P11",
	[TS_ERR_USAGE] = "TS_ERR_USAGE",
	[TS_ERR_DIFFERS] = "TS_ERR_DIFFERS",
	[TS_ERR_INTERNAL] = "TS_ERR_INTERNAL",
};

static const char *const generic[TS_ERR_MAX] = {
	[TS_ERR_NONE] = "no error",
	[TS_ERR_NULL] = "internal error: missing argument",
	[TS_ERR_NOMEM] = "out of memory",
	[TS_ERR_IO] = "input/output error",
	[TS_ERR_PARSE] = "malformed input",
	[TS_ERR_SCHEMA] = "input has an unexpected shape",
	[TS_ERR_RANGE] = "value out of range",
	[TS_ERR_SEED] = "invalid seed",
	[TS_ERR_MODE] = "testing/tapeout separation violated",
	[TS_ERR_EXISTS] = "file exists",
	[TS_ERR_SYMLINK] = "symbolic link refused",
	[TS_ERR_CRYPTO] = "cryptographic library failure",
	[TS_ERR_P11] = "PKCS#11 failure",
	[TS_ERR_USAGE] = "bad usage",
	[TS_ERR_DIFFERS] = "files differ",
	[TS_ERR_INTERNAL] = "internal error",
};

const char *
ts_err_name(int code)
{
	if (code < 0 || code >= TS_ERR_MAX) {
		return "TS_ERR_UNKNOWN";
	}
	return names[code];
}

ts_result
ts_fail(int code, unsigned long detail, const char *file, int line)
{
	if (slot.code == 0) {
		slot.code = code;
		slot.detail = detail;
		slot.file = file;
		slot.line = line;
		slot.msg[0] = '\0';
	}
	return (ts_result){ code };
}

ts_result
ts_failf(int code, const char *file, int line, const char *fmt, ...)
{
	if (slot.code != 0) {
		return (ts_result){ code };
	}
	ts_result r = ts_fail(code, 0, file, line);
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(slot.msg, sizeof(slot.msg), fmt, ap);
	va_end(ap);
	return r;
}

void
ts_error_clear(void)
{
	slot.code = 0;
	slot.detail = 0;
	slot.file = NULL;
	slot.line = 0;
	slot.msg[0] = '\0';
}

int
ts_last_error(void)
{
	return slot.code;
}

unsigned long
ts_last_error_detail(void)
{
	return slot.detail;
}

const char *
ts_last_error_message(void)
{
	if (slot.msg[0] != '\0') {
		return slot.msg;
	}
	if (slot.code < 0 || slot.code >= TS_ERR_MAX) {
		return "unknown error";
	}
	return generic[slot.code];
}

void
ts_error_context(const char *fmt, ...)
{
	if (slot.code == 0) {
		return;
	}
	char ctx[256];
	char old[sizeof(slot.msg)];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	(void)snprintf(old, sizeof(old), "%s", ts_last_error_message());
	/* Truncation of an over-long message is acceptable. */
	if (snprintf(slot.msg, sizeof(slot.msg), "%s: %s", ctx, old) < 0) {
		slot.msg[0] = '\0';
	}
}
