#include "public/public_cmds.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

static const char usage[] =
	"Usage: tapeseal COMMAND [options]\n"
	"\n"
	"tapeseal generates the secret-bearing artifacts of an OpenTitan-style chip top (random netlist\n"
	"constants, life-cycle tokens, the secrets file and their FuseSoC cores) from TESTING seeds,\n"
	"byte for byte as OpenTitan's topgen writes them.  Tapeout artifacts come only from\n"
	"tapeseal-secure, which derives its seeds inside an HSM.\n"
	"\n"
	"Commands:\n"
	"  generate   write the testing artifacts of a top (no arguments: the bundled demo top)\n"
	"  verify     regenerate in memory and compare with the files on disk\n"
	"  otp-image  build OTP images (.vmem or C) from a testing secrets file, bit-exact with gen-otp-img\n"
	"  otp-consts print an SKU's OTP values as individualization programs them (JSON)\n"
	"  prov       list the provisioning registry (SKUs, OTP configurations), or show one SKU\n"
	"  scan DIR   exit 1 listing tapeout material under DIR (for a public repository's CI)\n"
	"  status     which secrets (testing or tapeout) an OpenTitan checkout's top is switched to\n"
	"\n"
	"Run 'tapeseal COMMAND --help' for a command's options.  'tapeseal --version' prints the version.\n";

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	/* The public tool needs no system OpenSSL configuration: skip reading it. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
		fputs("tapeseal: cannot initialise OpenSSL\n", stderr);
		return 1;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tapeseal %s\n", TAPESEAL_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "generate") == 0) {
		return public_generate_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "verify") == 0) {
		return public_verify_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "otp-image") == 0) {
		return public_otp_image_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "prov") == 0) {
		return public_prov_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "otp-consts") == 0) {
		return public_otp_consts_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "scan") == 0) {
		return public_scan_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "status") == 0) {
		return public_status_main(argc - 1, argv + 1);
	}
	fprintf(stderr, "tapeseal: unknown command '%s'; run 'tapeseal --help'\n", argv[1]);
	return 2;
}
