#include "secure/secure_cmds.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/base/ts_result.h"

#define SECURE_HEAP (4u * 1024u * 1024u)

static const char usage[] =
	"Usage: tapeseal-secure COMMAND [options]\n"
	"\n"
	"Produces the TAPEOUT artifacts of an OpenTitan-style top from seeds derived inside an HSM\n"
	"(PKCS#11), and refuses testing seeds and testing artifacts.  Runs on the tapeout host.\n"
	"\n"
	"Commands:\n"
	"  master create --hsm URI --top NAME [--policy FILE]\n"
	"        the one-time ceremony: generate the top's 256-bit master key in the HSM\n"
	"  master show --hsm URI --top NAME [--seed-version N] [--policy FILE]\n"
	"        the master's attributes and the per-seed commitments\n"
	"  generate --hsm URI --structure FILE --outdir DIR [--top NAME] [--lc-state FILE]\n"
	"           [--seed-version N] [--policy FILE] [--force]\n"
	"        derive the seeds and write the tapeout artifacts, manifest and PKCS#11 transcript\n"
	"  verify   (the options of generate)\n"
	"        derive again and compare with the files and manifest on disk\n"
	"  purge-testing --outdir DIR [--dry-run]\n"
	"        delete the testing artifacts of a top directory\n"
	"  otp-image --mmap FILE --secrets FILE [--lc-state FILE] (--img-cfg FILE ... | --batch FILE)\n"
	"        build OTP images from the tapeout secrets file (see 'tapeseal-secure otp-image --help')\n"
	"  ca init --hsm URI --role dice|ext --subject DN [--days N] [--out FILE]\n"
	"  ca show --hsm URI --role dice|ext [--out FILE]\n"
	"        create (once) or show a provisioning CA: P-256 key and certificate inside the HSM\n"
	"  personalize --sku NAME --hsm URI --device-cmd CMD --was FILE --record-dir DIR [--boot-cmd CMD]\n"
	"        FT personalization of one device: endorse its certificates in the HSM, record it\n"
	"  switch --tree DIR --top NAME --to tapeout|testing [--otp-cmd BIN] [--purge-testing] [--dry-run]\n"
	"        put an OpenTitan checkout's top on its tapeout secrets for dvsim and Bazel, or back\n"
	"  status --tree DIR --top NAME [--json]\n"
	"        which secrets (testing, tapeout or MIXED) the checkout's top is switched to\n"
	"\n"
	"URI: pkcs11:token=<label>;object=<master label>?module-path=<module>&pin-source=file:<path>\n"
	"See 'tapeseal-secure COMMAND --help' and docs/tapeout.md.\n";

static const char gen_usage[] =
	"Usage: tapeseal-secure generate --hsm URI --structure FILE --outdir DIR [options]\n"
	"       tapeseal-secure verify   --hsm URI --structure FILE --outdir DIR [options]\n"
	"\n"
	"Derives seed = HMAC-SHA256(master, \"top_<t>/<seed_name>/v<N>\") inside the HSM for each seed the\n"
	"top needs and writes, under DIR, data/autogen/top_<t>.secrets.tapeout.gen.hjson, rtl/autogen/tapeout/\n"
	"(rnd_cnst package, .vbl, cores, lc_ctrl token package), tapeseal-manifest.tapeout.json and\n"
	"tapeseal-transcript.tapeout.jsonl, all 0600.  verify derives again and compares.\n"
	"\n"
	"Options:\n"
	"  --hsm URI          pkcs11: URI with token, object (default top_<t>.tapeout.master),\n"
	"                     module-path and pin-source (file:<path>, or env:<VAR> if the policy allows)\n"
	"  --structure FILE   the top's structure (an OpenTitan secrets file or the placeholder form)\n"
	"  --outdir DIR       the top directory to write (not under testing/, not in a git work tree\n"
	"                     unless git ignores it)\n"
	"  --top NAME         top name (default from the structure)\n"
	"  --lc-state FILE    OpenTitan lc_ctrl_state.hjson (default: the standard token list)\n"
	"  --seed-version N   derivation version, to rotate seeds without a new master (default 1)\n"
	"  --policy FILE      tapeout policy (default: the built-in policies/tapeout.hjson)\n"
	"  --force            replace existing files that differ (a re-run rewrites the manifest)\n"
	"\n"
	"Exit status: 0 success (verify: identical), 1 error or difference (nothing written), 2 usage.\n";

static const char master_usage[] =
	"Usage: tapeseal-secure master create --hsm URI --top NAME [--policy FILE]\n"
	"       tapeseal-secure master show   --hsm URI --top NAME [--seed-version N] [--policy FILE]\n"
	"\n"
	"create generates the master once (refused when a key with its label exists): a 256-bit\n"
	"CKK_GENERIC_SECRET token key, sensitive, not extractable, HMAC-SHA256 signing only, not\n"
	"modifiable, and prints its CKA_ID and attributes.  show prints them and the seed commitments.\n";

static const char purge_usage[] =
	"Usage: tapeseal-secure purge-testing --outdir DIR [--dry-run]\n"
	"\n"
	"Deletes DIR/data/autogen/top_*.secrets.testing.gen.hjson and DIR/rtl/autogen/testing/, listing\n"
	"each file.  --dry-run lists without deleting.\n";

/*
 * jansson's blocks are wiped before they are freed: the secure half parses
 * tapeout secrets files, device blobs and policies into jansson trees, and a
 * freed block must not keep a secret.  Plain malloc blocks (their size from
 * malloc_usable_size), so a string from json_dumps may still go to free().
 */
static void
wipe_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}

/* OpenSSH-style process hardening; secrets live on the locked secure heap. */
static int
harden(void)
{
	int rc = CRYPTO_secure_malloc_init(SECURE_HEAP, 32);
	const char *unlocked = getenv("TAPESEAL_TEST_ALLOW_UNLOCKED_MEMORY");
	struct rlimit as;
	if (rc == 0 && getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
		/* The heap could not even be mapped: the address-space limit, not the lock limit. */
		fprintf(stderr, "tapeseal-secure: cannot map %u bytes of secure memory under the address-space limit "
				"RLIMIT_AS of %llu KiB; raise it (ulimit -v) and run again\n", SECURE_HEAP,
			(unsigned long long)as.rlim_cur / 1024);
		return 0;
	}
	if (rc != 1 && !(rc == 2 && unlocked != NULL && strcmp(unlocked, "1") == 0)) {
		fprintf(stderr, "tapeseal-secure: cannot %s %u bytes of secure memory; raise RLIMIT_MEMLOCK "
				"(ulimit -l) and run again\n", rc == 2 ? "lock" : "set up", SECURE_HEAP);
		return 0;
	}
	struct rlimit nocore = { 0, 0 };
	json_set_alloc_funcs(malloc, wipe_free);
	umask(077);
	if (setrlimit(RLIMIT_CORE, &nocore) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fprintf(stderr, "tapeseal-secure: cannot disable core dumps\n");
		return 0;
	}
	return 1;
}

static int
dispatch(int argc, char **argv)
{
	struct secure_opts o;
	const char *cmd = argv[1];
	int rc;
	if (strcmp(cmd, "generate") == 0 || strcmp(cmd, "verify") == 0) {
		rc = secure_opts_parse(argc - 1, argv + 1, cmd, "Hsotlpvfj", gen_usage, &o);
		return rc ? rc - 1 : cmd[0] == 'g' ? secure_generate_run(&o) : secure_verify_run(&o);
	}
	if (strcmp(cmd, "master") == 0 && argc > 2 &&
	    (strcmp(argv[2], "create") == 0 || strcmp(argv[2], "show") == 0)) {
		rc = secure_opts_parse(argc - 2, argv + 2, "master", "Htpv", master_usage, &o);
		return rc ? rc - 1 : argv[2][0] == 'c' ? secure_master_create_run(&o) : secure_master_show_run(&o);
	}
	if (strcmp(cmd, "otp-image") == 0) {
		return secure_otp_image_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "ca") == 0) {
		return secure_ca_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "personalize") == 0) {
		return secure_personalize_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "switch") == 0) {
		return secure_switch_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "status") == 0) {
		return secure_status_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "purge-testing") == 0) {
		rc = secure_opts_parse(argc - 1, argv + 1, cmd, "on", purge_usage, &o);
		return rc ? rc - 1 : secure_purge_run(&o);
	}
	fprintf(stderr, "tapeseal-secure: unknown command '%s'; run 'tapeseal-secure --help'\n", cmd);
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tapeseal-secure %s\n", TAPESEAL_VERSION);
		return 0;
	}
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 || !harden()) {
		return 1;
	}
	ts_error_clear();
	return dispatch(argc, argv);
}
