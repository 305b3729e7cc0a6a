/*
 * Test helper: endorses a device's UDS TBS with a CA made by 'tapeseal-secure
 * ca init', through secure_endorse, or tries to endorse a TBS broken in one
 * way and reports the refusal.
 * Usage: endorse_check URI CA_LABEL OUTDIR CASE
 *   CASE ok      writes OUTDIR/uds_cdi0.pem (UDS then CDI_0) and OUTDIR/cdi1.pem; exit 0
 *   CASE issuer|aki|tcb|serial|key|der   a broken TBS: exit 1 with the refusal on stderr,
 *        exit 0 if it was endorsed anyway (the test fails then)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "common/ft/ts_dice.h"
#include "hsm/hsm_session.h"
#include "secure/secure_endorse.h"

static const uint8_t seed[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };

static int
write_pems(const char *dir, const struct ts_buf *uds, const struct ts_buf *cdi0, const struct ts_buf *cdi1)
{
	char path[4096];
	const struct ts_buf *chain[2] = { uds, cdi0 };
	(void)snprintf(path, sizeof(path), "%s/uds_cdi0.pem", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; f != NULL && i < 2; i++) {
		const unsigned char *p = chain[i]->data;
		X509 *x = d2i_X509(NULL, &p, (long)chain[i]->len);
		PEM_write_X509(f, x);
		X509_free(x);
	}
	if (f == NULL || fclose(f) != 0) {
		return 1;
	}
	(void)snprintf(path, sizeof(path), "%s/cdi1.pem", dir);
	f = fopen(path, "w");
	const unsigned char *p = cdi1->data;
	X509 *x = d2i_X509(NULL, &p, (long)cdi1->len);
	int ok = f != NULL && x != NULL && PEM_write_X509(f, x) == 1;
	X509_free(x);
	return f != NULL && fclose(f) == 0 && ok ? 0 : 1;
}

/* Flips the first byte after the first occurrence of pat in b (a field of the TBS). */
static void
flip_after(struct ts_buf *b, const uint8_t *pat, size_t n)
{
	for (size_t i = 0; i + n < b->len; i++) {
		if (memcmp(b->data + i, pat, n) == 0) {
			b->data[i + n] ^= 0x01;
			return;
		}
	}
}

struct keys {
	struct ts_dice_key uds, cdi0, cdi1;
};

static ts_result
run_with(struct hsm_session *s, const struct secure_ca *ca, const char *dir, const char *c, struct keys *k)
{
	struct ts_dice_key *uds = &k->uds, *cdi0 = &k->cdi0, *cdi1 = &k->cdi1;
	struct ts_dice_tcb tcb = { .nfwids = 4, .debug = 1 }, t0 = { .nfwids = 1 }, other;
	for (size_t i = 0; i < 4; i++) {
		memset(tcb.fwids[i], 0x30 + (int)i, 32);
	}
	other = tcb;
	other.fwids[3][0] ^= 1;
	uint8_t zeros[20] = { 0 };
	TS_GUARD(ts_dice_key_derive(seed, "UDS", uds));
	TS_GUARD(ts_dice_key_derive(seed, "CDI_0", cdi0));
	TS_GUARD(ts_dice_key_derive(seed, "CDI_1", cdi1));
	X509_NAME *wrong = X509_NAME_new();
	X509_NAME_add_entry_by_txt(wrong, "CN", MBSTRING_ASC, (const unsigned char *)"Someone else", -1, -1, 0);
	int is = strcmp(c, "issuer") == 0, ak = strcmp(c, "aki") == 0;
	struct ts_dice_cert_params pu = { uds, ak ? zeros : ca->ski, is ? wrong : X509_get_subject_name(ca->cert), &tcb, NULL };
	TS_BUF(tbs);
	TS_BUF(cert);
	TS_BUF(d0);
	TS_BUF(d1);
	ts_result r = ts_dice_tbs(&pu, &tbs);
	X509_NAME_free(wrong);
	TS_GUARD(r);
	static const uint8_t serial_tag[] = { 0x02, 0x15, 0x00 }, key_tag[] = { 0x03, 0x42, 0x00, 0x04 };
	if (strcmp(c, "serial") == 0) {
		flip_after(&tbs, serial_tag, sizeof(serial_tag));
	} else if (strcmp(c, "key") == 0) {
		flip_after(&tbs, key_tag, sizeof(key_tag) - 1); /* the point's 04 becomes 05 */
	} else if (strcmp(c, "der") == 0) {
		tbs.data[tbs.len - 1] ^= 0xff, tbs.len--;
	}
	TS_GUARD(secure_endorse(s, ca, "UDS", tbs.data, tbs.len, strcmp(c, "tcb") == 0 ? &other : &tcb, &cert));
	struct ts_dice_cert_params p0 = { cdi0, uds->id, NULL, &t0, NULL }, p1 = { cdi1, cdi0->id, NULL, &t0, NULL };
	TS_GUARD(ts_dice_cert(&p0, uds->pkey, &d0));
	TS_GUARD(ts_dice_cert(&p1, cdi0->pkey, &d1));
	TS_ENSURE(write_pems(dir, &cert, &d0, &d1) == 0, TS_ERR_IO);
	return TS_OK;
}

static ts_result
run(struct hsm_session *s, const struct secure_ca *ca, const char *dir, const char *c)
{
	struct keys k;
	memset(&k, 0, sizeof(k));
	ts_result r = run_with(s, ca, dir, c, &k);
	ts_dice_key_free(&k.uds);
	ts_dice_key_free(&k.cdi0);
	ts_dice_key_free(&k.cdi1);
	return r;
}

int
main(int argc, char **argv)
{
	struct hsm_target t;
	struct hsm_transcript tr;
	struct hsm_session *s = NULL;
	struct secure_ca ca;
	if (argc != 5) {
		fprintf(stderr, "usage: endorse_check URI CA_LABEL OUTDIR CASE\n");
		return 2;
	}
	hsm_transcript_init(&tr);
	memset(&t, 0, sizeof(t));
	memset(&ca, 0, sizeof(ca));
	ts_error_clear();
	ts_result r = hsm_uri_parse(argv[1], &t);
	r = r.code ? r : hsm_session_open(&t, 0, &tr, &s);
	r = r.code ? r : secure_ca_load(s, argv[2], &ca);
	r = r.code ? r : run(s, &ca, argv[3], argv[4]);
	secure_ca_free(&ca);
	r = r.code ? (hsm_session_close(s), r) : hsm_session_end(s);
	hsm_transcript_free(&tr);
	hsm_uri_free(&t);
	if (r.code != 0) {
		fprintf(stderr, "endorse_check: %s\n", ts_last_error_message());
		return 1;
	}
	return 0;
}
