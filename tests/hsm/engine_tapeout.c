/*
 * Test helper: the expected tapeout artifacts for a known master, computed
 * without the HSM: seeds = HMAC-SHA256(master, "top_<t>/<seed>/v<N>") with
 * libcrypto, then the engine in mode "tapeout".  Also prints each seed's
 * SHA-256 fingerprint (for deny-list tests).
 * Usage: engine_tapeout STRUCTURE LC_STATE|- SEED_REF OUTDIR VERSION < master.hex
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/topgen/ts_job.h"
#include "common/topgen/ts_model.h"
#include "tests/lib/ts_test.h"

static int
write_set(const char *outdir, const struct ts_outset *set)
{
	char path[4096], cmd[4200];
	for (size_t i = 0; i < set->n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", outdir, set->f[i].rel);
		(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
		FILE *f = system(cmd) == 0 ? fopen(path, "wb") : NULL;
		if (f == NULL || fwrite(set->f[i].data.data, 1, set->f[i].data.len, f) != set->f[i].data.len) {
			return 1;
		}
		fclose(f);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char hex[80] = { 0 }, msg[160];
	uint8_t key[32], fp[32];
	unsigned int n = 32;
	struct ts_top *top = NULL;
	struct ts_seeds seeds = { 0 };
	struct ts_outset set = { 0 };
	if (argc != 6 || fgets(hex, sizeof(hex), stdin) == NULL || ts_test_unhex(strtok(hex, "\n"), key, 32) != 32 ||
	    ts_top_load(argv[1], NULL, &top).code != 0) {
		fprintf(stderr, "engine_tapeout: bad arguments or structure: %s\n", ts_last_error_message());
		return 2;
	}
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		if ((k == TS_SEED_OTP_IMG && !top->has_otp_ctrl) || (k == TS_SEED_LC_CTRL && !top->has_lc_ctrl)) {
			continue;
		}
		TS_SECRET(s);
		ts_result_ignore(ts_secret_new(&s, 32));
		int len = snprintf(msg, sizeof(msg), "top_%s/%s/v%s", top->t, ts_seed_name((enum ts_seed_kind)k), argv[5]);
		HMAC(EVP_sha256(), key, 32, (const uint8_t *)msg, (size_t)len, s.data, &n);
		EVP_Digest(s.data, 32, fp, &n, EVP_sha256(), NULL);
		printf("%s ", ts_seed_name((enum ts_seed_kind)k));
		for (int i = 0; i < 32; i++) {
			printf("%02x", fp[i]);
		}
		printf("\n");
		ts_result_ignore(ts_seeds_add(&seeds, (enum ts_seed_kind)k, &s));
	}
	struct ts_job job = { "tapeout", argv[3], strcmp(argv[2], "-") == 0 ? NULL : argv[2] };
	if (ts_job_build(top, &seeds, &job, &set).code != 0 || write_set(argv[4], &set) != 0) {
		fprintf(stderr, "engine_tapeout: %s\n", ts_last_error_message());
		return 1;
	}
	ts_outset_free(&set);
	ts_seeds_free(&seeds);
	ts_top_free(top);
	return 0;
}
