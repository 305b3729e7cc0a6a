#ifndef TS_COMMON_TS_HEX_H
#define TS_COMMON_TS_HEX_H

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

#endif
