#include <stddef.h>
#include <stdint.h>

#include "secure/secure_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secure_policy p;
	ts_error_clear();
	ts_result_ignore(secure_policy_parse((const char *)data, size, "fuzz", &p));
	return 0;
}
