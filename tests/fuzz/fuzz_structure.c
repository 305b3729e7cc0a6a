#include <stddef.h>
#include <stdint.h>

#include "common/topgen/ts_gen.h"
#include "common/topgen/ts_job.h"
#include "common/topgen/ts_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loads a structure and, when it loads, generates every artifact from fixed seeds. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_hjson_doc *doc = NULL;
	struct ts_top *top = NULL;
	struct ts_seeds seeds = { 0 };
	struct ts_outset set = { 0 };
	ts_error_clear();
	if (ts_hjson_parse((const char *)data, size, "fuzz", &doc).code != 0 ||
	    ts_top_from_doc(doc, "fuzz", &top).code != 0) {
		return 0;
	}
	for (int k = 0; k < TS_SEED_COUNT; k++) {
		struct ts_secret s = { 0 };
		if (ts_secret_new(&s, 32).code == 0) {
			s.data[0] = (uint8_t)(k + 1);
			ts_result_ignore(ts_seeds_add(&seeds, (enum ts_seed_kind)k, &s));
		}
		ts_secret_free(&s);
	}
	struct ts_job job = { .mode = "testing" };
	ts_result_ignore(ts_job_build(top, &seeds, &job, &set));
	ts_outset_free(&set);
	ts_seeds_free(&seeds);
	ts_top_free(top);
	return 0;
}
