#include "secure/secure_cmds.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_result.h"
#include "common/base/ts_stage.h"

void
secure_recovery_note(const char *cmd)
{
	if (ts_stage_recovery_note()[0] != '\0') {
		fprintf(stderr, "tapeseal-secure %s: %s\n", cmd, ts_stage_recovery_note());
	}
}

int
secure_fail(const char *cmd)
{
	fprintf(stderr, "tapeseal-secure %s: %s\n", cmd, ts_last_error_message());
	return 1;
}

int
secure_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
		return 0;
	}
	*out = (unsigned)v;
	return 1;
}

static int
bad(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "tapeseal-secure %s: %s '%s'; see 'tapeseal-secure %s --help'\n", cmd, what, arg, cmd);
	return 2;
}

int
secure_opts_parse(int argc, char **argv, const char *cmd, const char *allowed, const char *usage,
		  struct secure_opts *o)
{
	static const struct option longopts[] = {
		{ "hsm", required_argument, NULL, 'H' },       { "structure", required_argument, NULL, 's' },
		{ "outdir", required_argument, NULL, 'o' },    { "top", required_argument, NULL, 't' },
		{ "lc-state", required_argument, NULL, 'l' },  { "policy", required_argument, NULL, 'p' },
		{ "seed-version", required_argument, NULL, 'v' }, { "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },            { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int c;
	memset(o, 0, sizeof(*o));
	o->seed_version = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (c == '?' || strchr(allowed, c) == NULL) {
			return bad(cmd, "unknown or incomplete option", argv[optind - 1]);
		}
		switch (c) {
		case 'H': o->hsm = optarg; break;
		case 's': o->structure = optarg; break;
		case 'o': o->outdir = optarg; break;
		case 't': o->top = optarg; break;
		case 'l': o->lc_state = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'f': o->force = 1; break;
		case 'j': o->json = 1; break;
		case 'n': o->dry_run = 1; break;
		case 'v':
			if (!secure_parse_uint(optarg, 1, 1000000, &o->seed_version)) {
				return bad(cmd, "--seed-version takes 1 to 1000000, not", optarg);
			}
			break;
		default: return bad(cmd, "unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		return bad(cmd, "unexpected argument", argv[optind]);
	}
	return 0;
}
