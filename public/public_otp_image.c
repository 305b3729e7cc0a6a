#include "public/public_cmds.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/ts_stage.h"
#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_otp.h"

static const char usage_head[] =
	"Usage: tapeseal otp-image --mmap FILE --secrets FILE [--lc-state FILE]\n"
	"                          --img-cfg FILE [--add-cfg FILE]... [--data-perm SPEC] (--out FILE | --c-out FILE)\n"
	"       tapeseal otp-image --mmap FILE --secrets FILE [--lc-state FILE] --batch FILE\n"
	"       tapeseal otp-image --sku NAME --secrets FILE [--data-perm SPEC] (--out FILE | --c-out FILE)\n"
	"\n"
	"Builds OTP images (.vmem, or the C file) byte for byte as OpenTitan's gen-otp-img does, from a\n"
	"TESTING secrets file (tapeout images come from tapeseal-secure).  A batch builds many images of\n"
	"one top while parsing the inputs and generating the life-cycle codewords once.  All outputs are\n"
	"written together or not at all.  Exit status: 0 on success, 1 on any error (nothing is\n"
	"written), 2 on bad usage or an unknown SKU.\n"
	"\n"
	"Options:\n";

/* The public tool never writes under a tapeout path (ts_path_is_tapeout on the resolved directory). */
static ts_result
check_paths(const struct ts_otp_outputs *o)
{
	char dir[PATH_MAX];
	TS_BUF(abs);
	for (size_t i = 0; i < o->n; i++) {
		const char *slash = strrchr(o->o[i].path, '/');
		(void)snprintf(dir, sizeof(dir), "%.*s", slash ? (slash == o->o[i].path ? 1 : (int)(slash - o->o[i].path)) : 1,
			       slash ? o->o[i].path : ".");
		TS_GUARD(ts_stage_resolve(dir, &abs));
		TS_ENSUREF(!ts_path_is_tapeout((const char *)abs.data) && !ts_path_is_tapeout(slash ? slash : o->o[i].path),
			   TS_ERR_MODE, "%s: tapeseal never writes under a 'tapeout' path; tapeout images come from "
			   "tapeseal-secure", o->o[i].path);
	}
	return TS_OK;
}

int
public_otp_image_main(int argc, char **argv)
{
	struct ts_otp_args a = { .mode = "testing" };
	struct ts_otp_outputs *out = calloc(1, sizeof(*out));
	enum ts_file_status st[TS_OTP_MAX_IMAGES];
	int force = 0, help = 0;
	ts_error_clear();
	if (out == NULL) {
		return 1;
	}
	if (ts_otp_args_parse(argc, argv, &a, &force, &help).code != 0) {
		fprintf(stderr, "tapeseal otp-image: %s; see 'tapeseal otp-image --help'\n", ts_last_error_message());
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
	r = r.code ? r : check_paths(out);
	r = r.code ? r : ts_otp_write(out, 0644, force, st);
	for (size_t i = 0; r.code == 0 && !a.quiet && i < out->n; i++) {
		printf("%-9s %s\n", ts_file_status_name(st[i]), out->o[i].path);
	}
	ts_otp_outputs_free(out);
	free(out);
	ts_prov_free(reg);
	if (r.code != 0) {
		(void)public_fail("otp-image");
		return r.code == TS_ERR_USAGE ? 2 : 1;
	}
	return 0;
}
