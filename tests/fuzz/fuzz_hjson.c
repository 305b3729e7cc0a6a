#include <stddef.h>
#include <stdint.h>

#include "common/base/ts_hjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses arbitrary bytes; a parsed tree must dump and parse again. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_hjson_doc *doc = NULL;
	struct ts_hjson_doc *again = NULL;
	struct ts_buf out = { 0 };
	ts_error_clear();
	if (ts_hjson_parse((const char *)data, size, "fuzz", &doc).code != 0) {
		return 0;
	}
	if (ts_hjson_dump(ts_hjson_root(doc), &out, NULL, NULL).code == 0) {
		if (ts_hjson_parse((const char *)out.data, out.len, "dump", &again).code != 0 ||
		    !json_equal(ts_hjson_root(doc), ts_hjson_root(again))) {
			__builtin_trap();
		}
	}
	ts_hjson_doc_free(again);
	ts_buf_free(&out);
	ts_hjson_doc_free(doc);
	return 0;
}
