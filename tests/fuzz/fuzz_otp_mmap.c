#include <stddef.h>
#include <stdint.h>

#include "common/otp/ts_otp_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The OTP memory-map loader and layout on arbitrary input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_hjson_doc *doc = NULL;
	struct ts_mmap *m = NULL;
	ts_error_clear();
	if (ts_hjson_parse((const char *)data, size, "fuzz", &doc).code == 0) {
		if (ts_mmap_from_doc(doc, &m).code == 0) {
			ts_mmap_free(m);
		}
		ts_hjson_doc_free(doc);
	}
	return 0;
}
