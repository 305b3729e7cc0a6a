#include "secure/secure_cmds.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_stage.h"
#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_otp.h"
#include "secure/secure_guard.h"

static const char usage_head[] =
	"Usage: tapeseal-secure otp-image --mmap FILE --secrets FILE [--lc-state FILE]\n"
	"                                 --img-cfg FILE [--add-cfg FILE]... [--data-perm SPEC] (--out FILE | --c-out FILE)\n"
	"       tapeseal-secure otp-image --mmap FILE --secrets FILE [--lc-state FILE] --batch FILE\n"
	"\n"
	"Builds TAPEOUT OTP images from the tapeout secrets file that 'tapeseal-secure generate' wrote\n"
	"(a secrets file in any other seed mode is refused).  Images are written 0600, together or not at\n"
	"all, never under a 'testing' directory nor inside a git work tree that does not ignore them\n"
	"(the built-in policy).\n"
	"\n"
	"Options:\n";

/* Absolute paths of the outputs, for the location refusals. */
static ts_result
guard(const struct ts_otp_outputs *o)
{
	static char abs[TS_OTP_MAX_IMAGES][PATH_MAX + 64];
	const char *ptrs[TS_OTP_MAX_IMAGES];
	char dir[PATH_MAX];
	struct secure_policy pol;
	TS_BUF(d);
	TS_GUARD(secure_policy_load(NULL, &pol));
	for (size_t i = 0; i < o->n; i++) {
		const char *slash = strrchr(o->o[i].path, '/');
		(void)snprintf(dir, sizeof(dir), "%.*s", slash ? (slash == o->o[i].path ? 1 : (int)(slash - o->o[i].path)) : 1,
			       slash ? o->o[i].path : ".");
		TS_GUARD(ts_stage_resolve(dir, &d));
		int n = snprintf(abs[i], sizeof(abs[i]), "%s/%s", (const char *)d.data, slash ? slash + 1 : o->o[i].path);
		TS_ENSURE(n > 0 && (size_t)n < sizeof(abs[i]), TS_ERR_RANGE);
		ptrs[i] = abs[i];
	}
	return secure_guard_files(ptrs, o->n, &pol);
}

int
secure_otp_image_run(int argc, char **argv)
{
	struct ts_otp_args a = { .mode = "tapeout" };
	struct ts_otp_outputs *out = calloc(1, sizeof(*out));
	enum ts_file_status st[TS_OTP_MAX_IMAGES];
	int force = 0, help = 0;
	if (out == NULL) {
		return 1;
	}
	if (ts_otp_args_parse(argc, argv, &a, &force, &help).code != 0) {
		fprintf(stderr, "tapeseal-secure otp-image: %s; see 'tapeseal-secure otp-image --help'\n",
			ts_last_error_message());
		free(out);
		return 2;
	}
	if (help) {
		printf("%s%s", usage_head, ts_otp_usage_options);
		free(out);
		return 0;
	}
	struct ts_prov_registry *reg = NULL;
	ts_result r = TS_OK;
	if (a.sku != NULL) {
		r = ts_otp_load_sku(&a, &reg);
	}
	r = r.code ? r : ts_otp_build(&a, out);
	r = r.code ? r : guard(out);
	r = r.code ? r : ts_otp_write(out, 0600, force, st);
	for (size_t i = 0; r.code == 0 && !a.quiet && i < out->n; i++) {
		printf("%-9s %s\n", ts_file_status_name(st[i]), out->o[i].path);
	}
	ts_otp_outputs_free(out);
	free(out);
	ts_prov_free(reg);
	if (r.code != 0) {
		(void)secure_fail("otp-image");
		return r.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}
