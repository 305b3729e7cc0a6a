#include <stddef.h>
#include <stdint.h>

#include "public/public_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_seeds s = { 0 };
	ts_error_clear();
	if (public_seeds_parse((const char *)data, size, "fuzz", &s).code == 0) {
		ts_seeds_free(&s);
	}
	return 0;
}
