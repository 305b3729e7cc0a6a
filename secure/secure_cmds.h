#ifndef TS_SECURE_SECURE_CMDS_H
#define TS_SECURE_SECURE_CMDS_H

/* Options of the tapeseal-secure commands (each command uses a subset). */
struct secure_opts {
	const char *hsm;
	const char *structure;
	const char *outdir;
	const char *top;
	const char *lc_state;
	const char *policy;
	unsigned seed_version;
	int force;
	int json;
	int dry_run;
};

/*
 * Parses argv after the command name; allowed is a string of option letters
 * (H hsm, s structure, o outdir, t top, l lc-state, p policy, v seed-version,
 * f force, j json, n dry-run).  Returns 0 to go on, 1 after --help, 2 on a
 * usage error (reported).
 */
int secure_opts_parse(int argc, char **argv, const char *cmd, const char *allowed, const char *usage,
		      struct secure_opts *o);

int secure_generate_run(const struct secure_opts *o);
int secure_verify_run(const struct secure_opts *o);
int secure_master_create_run(const struct secure_opts *o);
int secure_master_show_run(const struct secure_opts *o);
int secure_purge_run(const struct secure_opts *o);

/* otp-image parses its own options (shared with the public half). */
int secure_otp_image_run(int argc, char **argv);

/* ca init / ca show: the provisioning certificate authorities in the HSM (argv from "ca"). */
int secure_ca_run(int argc, char **argv);

/* personalize: the FT host harness (argv from "personalize"). */
int secure_personalize_run(int argc, char **argv);

/* switch / status: the tree switch of an OpenTitan checkout (argv from the command name). */
int secure_switch_run(int argc, char **argv);
int secure_status_run(int argc, char **argv);

/* A decimal number in lo..hi (no sign, nothing after it) into *out: 1, else 0. */
int secure_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

/* Prints, on stderr, what the last commit or compare finished of an interrupted run (if anything). */
void secure_recovery_note(const char *cmd);

/* Prints "tapeseal-secure <cmd>: <message>" and returns 1. */
int secure_fail(const char *cmd);

#endif
