#ifndef TS_COMMON_BASE_TS_HEX_H
#define TS_COMMON_BASE_TS_HEX_H

#include <stddef.h>
#include <stdint.h>

#define TS_HEX_INVALID 16

/* The value of a hexadecimal digit, or TS_HEX_INVALID. */
static inline int
ts_hex_value(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return TS_HEX_INVALID;
}

/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
static inline void
ts_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Exactly 2n hex digits (either case) from hex into n bytes; 0 on success, -1 otherwise (out then undefined). */
static inline int
ts_hex_decode(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = ts_hex_value(hex[2 * i]);
		int lo = hi == TS_HEX_INVALID ? TS_HEX_INVALID : ts_hex_value(hex[2 * i + 1]);
		if (lo == TS_HEX_INVALID) {
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

#endif
