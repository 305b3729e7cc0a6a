#ifndef TS_COMMON_TOPGEN_TS_MODEL_INT_H
#define TS_COMMON_TOPGEN_TS_MODEL_INT_H

#include <stddef.h>

#include <jansson.h>

#include "common/base/ts_hjson.h"
#include "common/base/ts_result.h"
#include "common/topgen/ts_model.h"

/*
 * Internal to the structure model (ts_model.c: top, modules, parameters;
 * ts_model_otp.c: the OTP memory map); nothing outside common/topgen/
 * includes this.  The getters fail with the node's file:line:col.
 */

#define TS_MODEL_MAX_OTP_BYTES (1u << 20)

/* Random bits of all parameters of a structure together (earlgrey: 42104). */
#define TS_MODEL_MAX_RAND_BITS (1u << 22)

/* True for the "<random>" placeholder string. */
int ts_model_is_placeholder(const json_t *v);

/* obj[key] as a string (TS_ERR_SCHEMA when absent or not a string). */
TS_RESULT ts_model_get_str(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what,
			   const char **out);

/* obj[key] as an integer in 0..max (TS_ERR_SCHEMA, TS_ERR_RANGE). */
TS_RESULT ts_model_get_size(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what,
			    size_t max, size_t *out);

/* obj[key] as a boolean; absent is false (TS_ERR_SCHEMA when not a boolean). */
TS_RESULT ts_model_get_bool(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what,
			    int *out);

/* obj[key] as a list (TS_ERR_SCHEMA when absent or not a list). */
TS_RESULT ts_model_get_array(const struct ts_hjson_doc *doc, json_t *obj, const char *key, const char *what,
			     json_t **out);

/* Loads the memory map of module index module (its otp_mmap node) into top->otp. */
TS_RESULT ts_model_load_otp(struct ts_top *top, size_t module, json_t *mmap);

/* Frees an OTP map loaded by ts_model_load_otp (NULL is fine). */
void ts_model_free_otp(struct ts_otp *o);

#endif
