#include "secure/secure_cmds.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/topgen/ts_model.h"
#include "secure/secure_derive.h"

static void
print_attrs(const char *label, const struct hsm_key_attrs *a)
{
	printf("master %s\n  CKA_ID                 ", label);
	for (size_t i = 0; i < a->id_len; i++) {
		printf("%02x", a->id[i]);
	}
	printf("\n  CKA_LOCAL              %s\n  CKA_ALWAYS_SENSITIVE   %s\n  CKA_NEVER_EXTRACTABLE  %s\n"
	       "  CKA_EXTRACTABLE        %s\n  CKA_MODIFIABLE         %s\n",
	       a->local ? "true" : "false", a->always_sensitive ? "true" : "false",
	       a->never_extractable ? "true" : "false", a->extractable ? "true" : "false",
	       a->modifiable ? "true" : "false");
}

static ts_result
prepare(const struct secure_opts *o, struct secure_policy *pol, struct hsm_target *t, char *label, size_t len)
{
	TS_ENSUREF(o->hsm != NULL && o->top != NULL, TS_ERR_USAGE, "--hsm and --top are required");
	const char *top = strncmp(o->top, "top_", 4) == 0 ? o->top + 4 : o->top;
	TS_GUARD(ts_top_name_check(top));
	TS_GUARD(secure_policy_load(o->policy, pol));
	TS_GUARD(hsm_uri_parse(o->hsm, t));
	TS_GUARD(secure_check_target(t, pol));
	secure_master_label(t, top, label, len);
	return TS_OK;
}

static ts_result
create_in(struct hsm_session *s, const struct secure_policy *pol, const char *label)
{
	CK_OBJECT_HANDLE h;
	size_t count;
	uint8_t id[16];
	struct hsm_key_attrs a;
	int hidden = 0;
	TS_GUARD(hsm_find_object(s, CKO_SECRET_KEY, label, &h, &count));
	TS_ENSUREF(count == 0, TS_ERR_EXISTS, "a key labelled '%s' already exists; the ceremony runs once per top "
		   "(rotate seeds with --seed-version instead)", label);
	TS_GUARD_OSSL(RAND_bytes(id, sizeof(id)));
	TS_GUARD(hsm_master_generate(s, label, id, sizeof(id), &h));
	TS_GUARD(hsm_key_attrs(s, h, label, &a));
	TS_GUARD(hsm_key_value_hidden(s, h, label, &hidden));
	TS_ENSUREF(hidden, TS_ERR_MODE, "the token let CKA_VALUE of %s be read; do not use this token", label);
	print_attrs(label, &a);
	return secure_check_master(pol, &a, label);
}

int
secure_master_create_run(const struct secure_opts *o)
{
	struct secure_policy pol;
	struct hsm_target t;
	struct hsm_transcript tr;
	struct hsm_session *s = NULL;
	char label[256];
	hsm_transcript_init(&tr);
	memset(&t, 0, sizeof(t));
	ts_result r = prepare(o, &pol, &t, label, sizeof(label));
	if (r.code == 0) {
		r = hsm_session_open(&t, 1, &tr, &s);
	}
	if (r.code == 0) {
		r = hsm_require(s, HSM_NEED_MASTER);
	}
	if (r.code == 0) {
		r = create_in(s, &pol, label);
	}
	if (r.code == 0) {
		r = hsm_session_end(s);
	} else {
		hsm_session_close(s);
	}
	hsm_uri_free(&t);
	hsm_transcript_free(&tr);
	if (r.code != 0) {
		return secure_fail("master create");
	}
	printf("tapeseal-secure master create: created %s; back it up now (docs/tapeout.md)\n", label);
	return 0;
}

static ts_result
show(const struct secure_opts *o, struct secure_policy *pol, struct hsm_target *t, struct hsm_transcript *tr)
{
	char label[256], hex[65];
	struct ts_seeds seeds = { 0 };
	struct secure_hsm_info info;
	memset(&info, 0, sizeof(info));
	TS_GUARD(prepare(o, pol, t, label, sizeof(label)));
	const char *top = strncmp(o->top, "top_", 4) == 0 ? o->top + 4 : o->top;
	TS_GUARD(secure_derive_seeds(t, pol, top, 1, 1, o->seed_version, tr, &seeds, &info));
	printf("token %s (serial %s, model %s)\n", info.token_label, info.token_serial, info.token_model);
	print_attrs(info.master_label, &info.attrs);
	printf("seed commitments (v%u)\n", o->seed_version);
	ts_result r = TS_OK;
	for (size_t i = 0; i < seeds.count && r.code == 0; i++) {
		enum ts_seed_kind k = seeds.order[i];
		r = secure_commitment(top, ts_seed_name(k), &seeds.seed[k], hex);
		printf("  %-14s %s\n", ts_seed_name(k), r.code == 0 ? hex : "?");
	}
	ts_seeds_free(&seeds);
	return r;
}

int
secure_master_show_run(const struct secure_opts *o)
{
	struct secure_policy pol;
	struct hsm_target t;
	struct hsm_transcript tr;
	hsm_transcript_init(&tr);
	memset(&t, 0, sizeof(t));
	ts_result r = show(o, &pol, &t, &tr);
	hsm_uri_free(&t);
	hsm_transcript_free(&tr);
	return r.code != 0 ? secure_fail("master show") : 0;
}
