#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ft/ts_perso.h"

/*
 * The perso blob parser on arbitrary bytes: input[0] is num_objs, the rest
 * the body (next_free = its length).  A blob the parser accepts must be
 * rebuilt byte for byte from the parsed objects, so an accepted blob always
 * means exactly what it says.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ts_perso_blob b, c;
	static struct ts_perso_parsed p;
	if (size < 1 || size - 1 > TS_PERSO_BLOB_MAX) {
		return 0;
	}
	memset(&b, 0, sizeof(b));
	b.num_objs = data[0];
	b.next_free = size - 1;
	memcpy(b.body, data + 1, size - 1);
	ts_error_clear();
	if (ts_perso_parse(&b, TS_PERSO_ANY_VERSION, &p).code != 0) {
		return 0;
	}
	if (ts_perso_init(&c, p.version).code != 0) {
		abort();
	}
	for (size_t i = p.version; i < p.n; i++) {
		const struct ts_perso_obj *o = &p.obj[i];
		ts_result r = o->name[0] != '\0' ? ts_perso_push_cert(&c, p.version, o->type, o->name, o->data, o->len)
						 : ts_perso_push_object(&c, p.version, o->type, o->data, o->len);
		if (r.code != 0) {
			abort();
		}
	}
	if (memcmp(&b, &c, sizeof(b)) != 0) {
		abort();
	}
	return 0;
}
