#ifndef TS_COMMON_OTP_TS_PRESENT_H
#define TS_COMMON_OTP_TS_PRESENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * PRESENT (64-bit block), the cipher of OpenTitan's OTP scrambling and
 * digests (spec/otp.md §9), and the OTP digest (§8.3).  Keys and blocks are
 * integers; a 128-bit key is hi:lo.
 */

/* PRESENT-128 encryption of pt under key hi:lo (32 round keys). */
uint64_t ts_present128_encrypt(uint64_t key_hi, uint64_t key_lo, uint64_t pt);

/* PRESENT-80 encryption (test vectors only): key is hi16:lo64. */
uint64_t ts_present80_encrypt(uint16_t key_hi, uint64_t key_lo, uint64_t pt);

/*
 * The OTP digest: Merkle-Damgard with a Davies-Meyer compression over
 * PRESENT-128.  An odd block count repeats the last block; the finalisation
 * constant cnst (hi:lo) is appended as two blocks (lo first); the state
 * starts at iv.
 */
uint64_t ts_otp_digest(const uint64_t *blocks, size_t n, uint64_t iv, uint64_t cnst_hi, uint64_t cnst_lo);

#endif
