#ifndef TS_COMMON_FT_TS_FT_H
#define TS_COMMON_FT_TS_FT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/base/ts_result.h"
#include "common/ft/ts_perso.h"

/*
 * Pieces of the FT personalization flow that the simulated device and the
 * host must compute identically (spec/provisioning.md A3.8, B4, B6).
 */

#define TS_FT_PAGE_SIZE 2048
#define TS_FT_PAGE_FACTORY 9
#define TS_FT_PAGE_DICE 19
#define TS_FT_PAGE_EXT0 30 /* OwnerReserved6 in this simulation */
#define TS_FT_PAGE_EXT1 31 /* OwnerReserved7 */
#define TS_FT_MEASURED 4

/* The partitions a UDS certificate measures, in TcbInfo order. */
extern const char *const ts_ft_measured[TS_FT_MEASURED];

/*
 * The measurement of one partition (this simulation's convention, not
 * silicon's): SHA-256 over the values of the partition's items as listed by
 * `tapeseal otp-consts` (partitions: {P: [{item, offset, size, words}]}), in
 * list order, each value little-endian as its words give it.  When programmed
 * is not NULL ({item: "hex"}), an item's programmed bytes are used instead of
 * the listed value.  A partition the list lacks measures as SHA-256("").
 */
TS_RESULT ts_ft_measure(const json_t *partitions, const char *partition, const json_t *programmed, uint8_t out[32]);

/* An item's value bytes from its words (each word the partition's granule, least significant byte first). */
TS_RESULT ts_ft_item_bytes(const json_t *item, uint8_t *out, size_t cap, size_t *len);

/* serdes_sha256_hash_t: the digest reversed, packed as 8 little-endian 32-bit words (A3.8). */
void ts_ft_pack_hash(const uint8_t digest[32], uint32_t data[8]);

/*
 * One certificate page (A3.8): for V1 the 4-byte version object first,
 * padded to 8; each object (a V0/V1 type-1 TLV with its name) zero-padded to
 * 4 bytes, the next starting at an 8-byte boundary; on digest pages the last
 * 32 bytes hold SHA-256 of the 2016 before.  objs are blob objects (borrowed).
 */
TS_RESULT ts_ft_page_build(unsigned version, const struct ts_perso_obj *const *objs, size_t n, int digest,
			   uint8_t page[TS_FT_PAGE_SIZE]);

/*
 * Parses a page written by ts_ft_page_build: checks the version object and
 * the digest, and returns up to max certificates (pointers into page).
 * TS_ERR_SCHEMA naming the rule.
 */
TS_RESULT ts_ft_page_parse(const uint8_t page[TS_FT_PAGE_SIZE], unsigned version, int digest,
			   struct ts_perso_obj *objs, size_t max, size_t *n);

#endif
