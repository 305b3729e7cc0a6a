#include "common/ft/ts_der.h"

const uint8_t ts_der_ecdsa_sha256[12] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };

ts_result
ts_der_len(struct ts_buf *b, size_t n)
{
	uint8_t h[3];
	TS_ENSURE(n <= 0xffff, TS_ERR_RANGE);
	if (n < 0x80) {
		h[0] = (uint8_t)n;
		return ts_buf_append(b, h, 1);
	}
	if (n <= 0xff) {
		h[0] = 0x81, h[1] = (uint8_t)n;
		return ts_buf_append(b, h, 2);
	}
	h[0] = 0x82, h[1] = (uint8_t)(n >> 8), h[2] = (uint8_t)n;
	return ts_buf_append(b, h, 3);
}

ts_result
ts_der_tlv(struct ts_buf *b, uint8_t tag, const void *content, size_t len)
{
	TS_GUARD(ts_buf_append(b, &tag, 1));
	TS_GUARD(ts_der_len(b, len));
	return len > 0 ? ts_buf_append(b, content, len) : TS_OK;
}

ts_result
ts_der_certificate(struct ts_buf *out, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig, size_t sig_len)
{
	TS_ENSURE(out != NULL && tbs != NULL && (sig != NULL || sig_len == 0), TS_ERR_NULL);
	static const uint8_t no_unused_bits = 0x00;
	TS_BUF(bits);
	TS_BUF(body);
	TS_GUARD(ts_buf_append(&bits, &no_unused_bits, 1));
	if (sig_len > 0) {
		TS_GUARD(ts_buf_append(&bits, sig, sig_len));
	}
	TS_GUARD(ts_buf_append(&body, tbs, tbs_len));
	TS_GUARD(ts_buf_append(&body, ts_der_ecdsa_sha256, sizeof(ts_der_ecdsa_sha256)));
	TS_GUARD(ts_der_tlv(&body, 0x03, bits.data, bits.len));
	return ts_der_tlv(out, 0x30, body.data, body.len);
}
