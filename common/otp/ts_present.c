#include "common/otp/ts_present.h"

static const uint8_t sbox[16] = { 0xc, 0x5, 0x6, 0xb, 0x9, 0x0, 0xa, 0xd, 0x3, 0xe, 0xf, 0x8, 0x4, 0x7, 0x1, 0x2 };

static uint64_t
s_layer(uint64_t s)
{
	uint64_t r = 0;
	for (unsigned j = 0; j < 16; j++) {
		r |= (uint64_t)sbox[(s >> (4 * j)) & 0xf] << (4 * j);
	}
	return r;
}

/* Bit i moves to 16*i mod 63 for i < 63; bit 63 stays. */
static uint64_t
p_layer(uint64_t s)
{
	uint64_t r = s & (1ull << 63);
	for (unsigned i = 0; i < 63; i++) {
		r |= ((s >> i) & 1ull) << ((16 * i) % 63);
	}
	return r;
}

uint64_t
ts_present128_encrypt(uint64_t key_hi, uint64_t key_lo, uint64_t pt)
{
	uint64_t hi = key_hi;
	uint64_t lo = key_lo;
	uint64_t s = pt;
	for (unsigned i = 1; i <= 32; i++) {
		uint64_t rk = hi;
		if (i < 32) {
			s = p_layer(s_layer(s ^ rk));
		} else {
			s ^= rk;
		}
		/* K = rotl128(K, 61); S-box on the top two nibbles; K ^= i << 62. */
		uint64_t nhi = (hi << 61) | (lo >> 3);
		uint64_t nlo = (lo << 61) | (hi >> 3);
		nhi = (nhi & 0x00ffffffffffffffull) | (uint64_t)sbox[nhi >> 60] << 60 |
		      (uint64_t)sbox[(nhi >> 56) & 0xf] << 56;
		nhi ^= (uint64_t)i >> 2;
		nlo ^= (uint64_t)(i & 3) << 62;
		hi = nhi;
		lo = nlo;
	}
	return s;
}

uint64_t
ts_present80_encrypt(uint16_t key_hi, uint64_t key_lo, uint64_t pt)
{
	/* K is 80 bits: hi (16) : lo (64); round key = K >> 16. */
	uint64_t hi = key_hi;
	uint64_t lo = key_lo;
	uint64_t s = pt;
	for (unsigned i = 1; i <= 32; i++) {
		uint64_t rk = (hi << 48) | (lo >> 16);
		if (i < 32) {
			s = p_layer(s_layer(s ^ rk));
		} else {
			s ^= rk;
		}
		/* rotl80 by 61 == rotr80 by 19. */
		uint64_t nlo = (lo >> 19) | (hi << 45) | (lo << 61);
		uint64_t nhi = ((lo >> 3) & 0xffff);
		nhi = (nhi & 0x0fff) | (uint64_t)sbox[nhi >> 12] << 12;
		nlo ^= (uint64_t)i << 15;
		hi = nhi;
		lo = nlo;
	}
	return s;
}

/* Block i of the padded sequence: the blocks, the last one again if n is odd, then cnst lo, hi. */
static uint64_t
padded(const uint64_t *blocks, size_t n, size_t i, uint64_t cnst_hi, uint64_t cnst_lo)
{
	size_t m = n + (n % 2);
	if (i < n) {
		return blocks[i];
	}
	if (i < m) {
		return blocks[n - 1];
	}
	return i == m ? cnst_lo : cnst_hi;
}

uint64_t
ts_otp_digest(const uint64_t *blocks, size_t n, uint64_t iv, uint64_t cnst_hi, uint64_t cnst_lo)
{
	uint64_t s = iv;
	size_t total = n + (n % 2) + 2;
	for (size_t i = 0; i < total; i += 2) {
		uint64_t x = padded(blocks, n, i, cnst_hi, cnst_lo);
		uint64_t y = padded(blocks, n, i + 1, cnst_hi, cnst_lo);
		s ^= ts_present128_encrypt(y, x, s); /* key = x | y << 64 */
	}
	return s;
}
