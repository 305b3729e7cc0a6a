#include "public/public_cmds.h"

#include <stdio.h>

#include "common/base/ts_stage.h"
#include "public/public_demo.h"
#include "public/public_job.h"

static const char usage[] =
	"Usage: tapeseal generate --structure FILE --seeds FILE --outdir DIR [options]\n"
	"       tapeseal generate            (no arguments: the bundled demo top into ./" PUBLIC_DEMO_OUTDIR ")\n"
	"\n"
	"Regenerates OpenTitan's testing secret artifacts from a testing seed file, byte for byte as\n"
	"util/topgen.py writes them, under DIR (an OpenTitan top directory such as hw/top_earlgrey):\n"
	"  data/autogen/top_<t>.secrets.testing.gen.hjson\n"
	"  rtl/autogen/testing/top_<t>_rnd_cnst_pkg.sv, .vbl, top_<t>_testing_rnd_cnst_pkg.core\n"
	"  rtl/autogen/testing/lc_ctrl_token_pkg.sv, top_<t>_testing_lc_ctrl_token_pkg.core (with lc_ctrl)\n"
	"All files appear together or not at all; secret files are 0600, new directories 0700.\n"
	"\n"
	"Options:\n"
	"  --structure FILE  an OpenTitan top_<t>.secrets.<mode>.gen.hjson (its values are ignored and\n"
	"                    regenerated) or the same shape with \"<random>\" placeholders\n"
	"                    (docs/structure-format.md)\n"
	"  --seeds FILE      top_<t>_seed.testing.hjson; its name must be \"testing\"\n"
	"  --outdir DIR      where to write (created if missing; its parent must exist)\n"
	"  --top NAME        top name, e.g. earlgrey (default: from the structure's 'top' key or file name)\n"
	"  --lc-state FILE   OpenTitan lc_ctrl_state.hjson (default: the standard token list)\n"
	"  --seed-ref PATH   seed path printed in file headers\n"
	"                    (default: hw/top_<t>/data/top_<t>_seed.testing.hjson)\n"
	"  --force           replace existing files whose content differs\n"
	"  --json            print a JSON summary (files, sizes, SHA-256, status)\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status: 0 on success, 1 on any error (nothing is written), 2 on bad usage.\n";

int
public_generate_main(int argc, char **argv)
{
	struct public_opts o;
	struct ts_outset set = { 0 };
	enum ts_file_status status[TS_OUT_MAX] = { 0 };
	TS_BUF(abs);
	int rc = public_opts_parse(argc, argv, "generate", usage, &o);
	if (rc != 0) {
		return rc == 1 ? 0 : 2;
	}
	ts_error_clear();
	if (public_job_run(&o, &set, &abs).code != 0) {
		ts_outset_free(&set);
		return public_fail("generate");
	}
	ts_result committed = ts_stage_commit(o.outdir, &set, o.force, status);
	public_recovery_note("generate");
	if (committed.code != 0) {
		ts_outset_free(&set);
		return public_fail("generate");
	}
	public_report("generate", &o, (const char *)abs.data, &set, status);
	if (o.demo && !o.json) {
		printf("tapeseal: generated the demo top into ./%s (structure %s, seeds %s)\n", PUBLIC_DEMO_OUTDIR,
		       PUBLIC_DEMO_STRUCTURE_NAME, PUBLIC_DEMO_SEEDS_NAME);
	}
	ts_outset_free(&set);
	return 0;
}
