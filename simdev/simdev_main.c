/*
 * tapeseal-simdev: a simulated chip for FT provisioning (spec/provisioning.md B4).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "simdev/simdev.h"

static const char usage[] =
	"Usage: tapeseal-simdev --state DIR --sku NAME [options] cp|individualize|personalize|boot\n"
	"\n"
	"A simulated chip for FT provisioning without hardware.  Its state (device secret, WAS, device\n"
	"ID, life-cycle state, OTP items and locks, NVM pages) lives in DIR.  It talks to the FT host over\n"
	"stdin/stdout with OpenTitan's prompts and RESP_OK framing, so 'tapeseal-secure personalize\n"
	"--device-cmd' drives it as it would drive a chip's console.\n"
	"\n"
	"Stages:\n"
	"  cp              create DIR (0700): the device secret (--seed or random), the WAS (--was FILE, 64 hex\n"
	"                  digits; default all zero, as upstream's orchestrator) and the CP half of the ID\n"
	"  individualize   program the SKU's OTP items (--consts, the output of 'tapeseal otp-consts --sku'),\n"
	"                  except the deferred ones; set the FT half of the ID (--ft-device-id, 32 hex digits);\n"
	"                  lock HW_CFG0/1 and ROT_CREATOR_AUTH_*; move to the SKU's target life-cycle state\n"
	"  personalize     the FT personalization exchange (needs --consts); device extensions are the SKU's\n"
	"                  device_ext_libs (PROV_EXTS_DIR)\n"
	"  boot            check the stored certificate chain and print the ROM_EXT and owner firmware lines\n"
	"\n"
	"Options:\n"
	"  --state DIR     the device state directory\n"
	"  --sku NAME      the SKU (see 'tapeseal prov list')\n"
	"  --seed HEX      cp: 64 hex digits from which every device key is derived (deterministic tests)\n"
	"  --was FILE      cp: the wafer authentication secret\n"
	"  --consts FILE   individualize, personalize: the SKU's otp-consts JSON\n"
	"  --ft-device-id HEX  individualize: the FT half of the device ID\n"
	"  --exec-env NAME boot: the execution environment (ROM_EXT version, owner firmware string)\n"
	"  --fault NAME    negative tests: tamper-tbs, bad-count, v0-obj-in-v1, name16, corrupt-nvm, hook-fail,\n"
	"                  wrong-issuer, wrong-version (personalize), otp-value (individualize)\n"
	"\n"
	"Exit status: 0 success, 1 error, 2 usage, 3 personalization failed after it started.\n";

struct opts {
	const char *state, *sku, *seed, *was, *consts, *ft_id, *env, *fault, *stage;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'd' },   { "sku", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },    { "was", required_argument, NULL, 'w' },
		{ "consts", required_argument, NULL, 'c' },  { "ft-device-id", required_argument, NULL, 'i' },
		{ "exec-env", required_argument, NULL, 'e' }, { "fault", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->state = optarg; break;
		case 'k': o->sku = optarg; break;
		case 's': o->seed = optarg; break;
		case 'w': o->was = optarg; break;
		case 'c': o->consts = optarg; break;
		case 'i': o->ft_id = optarg; break;
		case 'e': o->env = optarg; break;
		case 'f': o->fault = optarg; break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "tapeseal-simdev: unknown or incomplete option '%s'; see 'tapeseal-simdev --help'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1 || o->state == NULL || o->sku == NULL) {
		fprintf(stderr, "tapeseal-simdev: give --state, --sku and one stage; see 'tapeseal-simdev --help'\n");
		return 2;
	}
	o->stage = argv[optind];
	return 0;
}

/* The SKU from the registry, and its orchestrator config. */
static ts_result
load_sku(struct simdev *d, const char *name)
{
	TS_GUARD(ts_prov_load(ts_prov_builtin_path(), getenv("PROV_EXTS_DIR"), &d->reg));
	TS_GUARD(ts_prov_sku_usable(d->reg, name, &d->sku));
	d->orch = d->sku->orch;
	return TS_OK;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	static struct simdev d;
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
		return 1;
	}
	(void)snprintf(d.dir, sizeof(d.dir), "%s", o.state);
	d.fault = o.fault;
	d.in = stdin;
	d.out = stdout;
	ts_error_clear();
	ts_result r = load_sku(&d, o.sku);
	int perso = strcmp(o.stage, "personalize") == 0;
	if (r.code == 0 && strcmp(o.stage, "cp") == 0) {
		r = simdev_cp(&d, o.was, o.seed);
	} else if (r.code == 0) {
		r = simdev_load(&d);
		if (r.code == 0 && strcmp(o.stage, "individualize") == 0) {
			r = simdev_individualize(&d, o.consts, o.ft_id);
		} else if (r.code == 0 && perso) {
			r = simdev_personalize(&d, o.consts);
		} else if (r.code == 0 && strcmp(o.stage, "boot") == 0) {
			r = simdev_boot(&d, o.env);
		} else if (r.code == 0) {
			r = ts_failf(TS_ERR_USAGE, __FILE__, __LINE__, "unknown stage '%s'", o.stage);
		}
	}
	json_decref(d.state);
	ts_prov_free(d.reg);
	if (r.code != 0) {
		fprintf(stderr, "tapeseal-simdev %s: %s\n", o.stage, ts_last_error_message());
		return r.code == TS_ERR_USAGE ? 2 : perso ? 3 : 1;
	}
	return 0;
}
