#include "public/public_cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_otp.h"

static const char usage[] =
	"Usage: tapeseal otp-consts --sku NAME [--secrets FILE]\n"
	"\n"
	"Prints, as JSON, the OTP values an individualization step programs for the SKU: for each\n"
	"partition the C preload file would cover (e.g. CREATOR_SW_CFG, OWNER_SW_CFG), the items with\n"
	"values as {item, offset, size, words, deferred}; words are the partition's access granules\n"
	"(32-bit; 64-bit in a secret partition), least significant first, in hex.  Deferred\n"
	"items (MANUF_STATE, ROM_BOOTSTRAP_DIS, ...) are programmed only at personalization.  The values\n"
	"come from the SKU's OTP configuration, the same source 'tapeseal otp-image --sku' builds images\n"
	"from.  --secrets is needed when the configuration draws \"<random>\" values anywhere (the\n"
	"draws are sequential, as in gen-otp-img).\n"
	"\n"
	"Exit status: 0 on success, 1 on any error, 2 on bad usage or an unknown SKU.\n";

int
public_otp_consts_main(int argc, char **argv)
{
	struct ts_otp_args a = { .mode = "testing" };
	const char *secrets = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (i + 1 < argc && strcmp(argv[i], "--sku") == 0) {
			a.sku = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--secrets") == 0) {
			secrets = argv[++i];
		} else {
			fprintf(stderr, "tapeseal otp-consts: unexpected '%s'; see 'tapeseal otp-consts --help'\n", argv[i]);
			return 2;
		}
	}
	if (a.sku == NULL) {
		fprintf(stderr, "tapeseal otp-consts: --sku is required\n");
		return 2;
	}
	struct ts_prov_registry *r = NULL;
	json_t *parts = NULL;
	ts_error_clear();
	ts_result res = ts_otp_load_sku(&a, &r);
	res = res.code ? res : ts_otp_sku_consts(&a, secrets, &parts);
	if (res.code == 0) {
		const struct ts_prov_sku *s = ts_prov_sku(r, a.sku);
		json_t *root = json_pack("{s:s,s:s,s:o}", "sku", a.sku, "otp_cfg", s->otp, "partitions", parts);
		char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text != NULL) {
			printf("%s\n", text);
		}
		free(text);
		json_decref(root);
	}
	ts_prov_free(r);
	if (res.code != 0) {
		(void)public_fail("otp-consts");
		return res.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}
