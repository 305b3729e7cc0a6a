#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hsm/hsm_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hsm_target t;
	char text[4096];
	if (size >= sizeof(text)) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	ts_error_clear();
	if (hsm_uri_parse(text, &t).code == 0) {
		hsm_uri_free(&t);
	}
	return 0;
}
