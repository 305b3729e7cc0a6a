#include "common/topgen/ts_model_int.h"

#include <string.h>

/* The typed getters of the structure model, shared by ts_model.c and ts_model_otp.c. */

int
ts_model_is_placeholder(const json_t *v)
{
	return json_is_string(v) && strcmp(json_string_value(v), "<random>") == 0;
}

ts_result
ts_model_get_str(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what,
	const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, obj, "%s has no '%s'", what, key);
	}
	if (!json_is_string(v) || ts_hjson_is_int(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' of %s must be a string", key, what);
	}
	*out = json_string_value(v);
	return TS_OK;
}

ts_result
ts_model_get_size(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what, size_t max,
	 size_t *out)
{
	json_t *v = json_object_get(obj, key);
	unsigned long long u;
	if (v == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, obj, "%s has no '%s'", what, key);
	}
	if (!ts_hjson_is_int(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' of %s must be an integer", key, what);
	}
	if (ts_hjson_int_to_u64(v, max, &u).code != 0) {
		ts_error_clear();
		return ts_hjson_fail_at(TS_ERR_RANGE, doc, v, "'%s' of %s must be between 0 and %zu", key, what, max);
	}
	*out = (size_t)u;
	return TS_OK;
}

ts_result
ts_model_get_bool(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what, int *out)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (v == NULL) {
		return TS_OK;
	}
	if (!json_is_boolean(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' of %s must be true or false", key, what);
	}
	*out = json_is_true(v);
	return TS_OK;
}

ts_result
ts_model_get_array(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, obj, "%s has no '%s'", what, key);
	}
	if (!json_is_array(v)) {
		return ts_hjson_fail_at(TS_ERR_SCHEMA, doc, v, "'%s' of %s must be a list", key, what);
	}
	*out = v;
	return TS_OK;
}
