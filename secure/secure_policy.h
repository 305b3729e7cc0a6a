#ifndef TS_SECURE_SECURE_POLICY_H
#define TS_SECURE_SECURE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_result.h"

#define SECURE_POLICY_MAX_DENY 256
#define SECURE_POLICY_MAX_MODULES 16

/* A tapeout policy (docs/policy.md). */
struct secure_policy {
	uint8_t deny[SECURE_POLICY_MAX_DENY][32];
	size_t ndeny;
	int pin_file;
	int pin_env;
	char module_paths[SECURE_POLICY_MAX_MODULES][256];
	size_t nmodules;
	int master_local;
	int master_always_sensitive;
	int master_never_extractable;
	int master_extractable;
	int master_modifiable;
	int allow_git_worktree;
	char sha256[65];      /* of the policy text */
	char source[512];     /* file name, or "built-in policies/tapeout.hjson" */
};

/*
 * Loads the policy at path, or the built-in default when path is NULL.  A
 * file writable by group or other, or a symlink, is refused (TS_ERR_MODE /
 * TS_ERR_SYMLINK); keys are all required, unknown keys are errors
 * (TS_ERR_SCHEMA with file:line:col).
 */
TS_RESULT secure_policy_load(const char *path, struct secure_policy *out);

/* Parses policy text (name for messages). */
TS_RESULT secure_policy_parse(const char *text, size_t len, const char *name, struct secure_policy *out);

/* True when the SHA-256 of the 32-byte seed is on the deny-list. */
int secure_policy_denies(const struct secure_policy *p, const uint8_t seed[32]);

#endif
