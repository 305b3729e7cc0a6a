#include "common/base/ts_outset.h"

void
ts_outset_free(struct ts_outset *set)
{
	if (set == NULL) {
		return;
	}
	for (size_t i = 0; i < TS_OUT_MAX; i++) {
		ts_buf_free(&set->f[i].data);
	}
	set->n = 0;
}
