#include "public/public_cmds.h"

#include <stdio.h>

#include "common/base/ts_stage.h"
#include "public/public_job.h"

static const char usage[] =
	"Usage: tapeseal verify --structure FILE --seeds FILE --outdir DIR [options]\n"
	"       tapeseal verify              (no arguments: checks the demo output in ./tapeseal-demo)\n"
	"\n"
	"Regenerates the testing artifacts in memory and compares them byte for byte with the files\n"
	"under DIR.  Writes nothing.  Takes the options of 'tapeseal generate' (--force is ignored).\n"
	"\n"
	"Exit status: 0 when every file is identical, 1 when a file is missing or differs (each is\n"
	"listed) or on any error, 2 on bad usage.\n";

int
public_verify_main(int argc, char **argv)
{
	struct public_opts o;
	struct ts_outset set = { 0 };
	enum ts_file_status status[TS_OUT_MAX] = { 0 };
	size_t ndiff = 0;
	TS_BUF(abs);
	int rc = public_opts_parse(argc, argv, "verify", usage, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	ts_error_clear();
	int failed = public_job_run(&o, &set, &abs).code != 0 ||
		     ts_stage_compare((const char *)abs.data, &set, status, &ndiff).code != 0;
	public_recovery_note("verify");
	if (failed) {
		ts_outset_free(&set);
		return public_fail("verify");
	}
	public_report("verify", &o, (const char *)abs.data, &set, status);
	if (!o.json) {
		printf("tapeseal verify: %s (%zu of %zu files identical)\n", ndiff ? "DIFFERENT" : "identical",
		       set.n - ndiff, set.n);
	}
	ts_outset_free(&set);
	return ndiff ? 1 : 0;
}
