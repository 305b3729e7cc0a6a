#include "hsm/hsm_uri.h"

#include <stdio.h>
#include <string.h>

#include <p11-kit/uri.h>

static ts_result
get_label(P11KitUri *uri, CK_ATTRIBUTE_TYPE type, char *out, size_t len)
{
	CK_ATTRIBUTE *a = p11_kit_uri_get_attribute(uri, type);
	out[0] = '\0';
	if (a == NULL || a->pValue == NULL) {
		return TS_OK;
	}
	TS_ENSUREF(a->ulValueLen < len, TS_ERR_USAGE, "the object label in the HSM URI is too long");
	memcpy(out, a->pValue, a->ulValueLen);
	out[a->ulValueLen] = '\0';
	return TS_OK;
}

static ts_result
parse_pin_source(const char *src, struct hsm_target *out)
{
	TS_ENSUREF(src != NULL, TS_ERR_USAGE,
		   "the HSM URI has no pin-source; add ?pin-source=file:<path> (or env:<VAR> if the policy allows)");
	if (strncmp(src, "file:", 5) == 0 && src[5] == '/') {
		out->pin_kind = HSM_PIN_FILE;
		TS_ENSUREF(strlen(src + 5) < sizeof(out->pin_ref), TS_ERR_USAGE, "the pin-source path is too long");
		(void)snprintf(out->pin_ref, sizeof(out->pin_ref), "%s", src + 5);
		return TS_OK;
	}
	if (strncmp(src, "env:", 4) == 0 && src[4] != '\0' && strlen(src + 4) < 128) {
		out->pin_kind = HSM_PIN_ENV;
		(void)snprintf(out->pin_ref, sizeof(out->pin_ref), "%s", src + 4);
		return TS_OK;
	}
	TS_BAILF(TS_ERR_USAGE, "pin-source must be file:<absolute path> or env:<VARIABLE>, not '%.64s'", src);
}

static ts_result
fill(P11KitUri *uri, const char *text, struct hsm_target *out)
{
	TS_ENSUREF(!p11_kit_uri_any_unrecognized(uri), TS_ERR_USAGE,
		   "the HSM URI has an attribute p11-kit does not recognise (misspelt?); see RFC 7512");
	TS_ENSUREF(p11_kit_uri_get_pin_value(uri) == NULL, TS_ERR_USAGE,
		   "the HSM URI carries a pin-value; a PIN never goes in a URI: use pin-source=file:<path>");
	const char *mp = p11_kit_uri_get_module_path(uri);
	TS_ENSUREF(p11_kit_uri_get_module_name(uri) == NULL || mp != NULL, TS_ERR_USAGE,
		   "module-name is not supported; name the module with module-path=<absolute path>");
	TS_ENSUREF(mp != NULL && mp[0] == '/', TS_ERR_USAGE,
		   "the HSM URI needs module-path=<absolute path of the PKCS#11 module>");
	TS_ENSUREF(strlen(mp) < sizeof(out->module_path), TS_ERR_USAGE, "module-path is too long");
	(void)snprintf(out->module_path, sizeof(out->module_path), "%s", mp);
	TS_GUARD(parse_pin_source(p11_kit_uri_get_pin_source(uri), out));
	CK_TOKEN_INFO *ti = p11_kit_uri_get_token_info(uri);
	TS_ENSUREF(ti != NULL && (ti->label[0] != 0 || ti->serialNumber[0] != 0), TS_ERR_USAGE,
		   "the HSM URI names no token; add token=<label> or serial=<serial>");
	(void)snprintf(out->token_label, sizeof(out->token_label), "%.32s", (const char *)ti->label);
	for (size_t n = strlen(out->token_label); n > 0 && out->token_label[n - 1] == ' '; n--) {
		out->token_label[n - 1] = '\0';
	}
	TS_GUARD(get_label(uri, CKA_LABEL, out->object, sizeof(out->object)));
	size_t q = strcspn(text, "?");
	TS_ENSUREF(q < sizeof(out->display), TS_ERR_USAGE, "the HSM URI is too long");
	(void)snprintf(out->display, sizeof(out->display), "%.*s", (int)q, text);
	return TS_OK;
}

ts_result
hsm_uri_parse(const char *text, struct hsm_target *out)
{
	TS_ENSURE_REF(text);
	TS_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TS_ENSUREF(strlen(text) < sizeof(out->uri), TS_ERR_USAGE, "the HSM URI is too long");
	TS_ENSUREF(strncmp(text, "pkcs11:", 7) == 0, TS_ERR_USAGE, "--hsm takes a pkcs11: URI (RFC 7512)");
	P11KitUri *uri = p11_kit_uri_new();
	TS_ENSURE(uri != NULL, TS_ERR_NOMEM);
	int rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri);
	if (rc != P11_KIT_URI_OK) {
		p11_kit_uri_free(uri);
		TS_BAILF(TS_ERR_USAGE, "the HSM URI does not parse: %s", p11_kit_uri_message(rc));
	}
	out->p11uri = uri;
	(void)snprintf(out->uri, sizeof(out->uri), "%s", text);
	ts_result r = fill(uri, text, out);
	if (r.code != 0) {
		hsm_uri_free(out);
	}
	return r;
}

void
hsm_uri_free(struct hsm_target *t)
{
	if (t != NULL && t->p11uri != NULL) {
		p11_kit_uri_free(t->p11uri);
		t->p11uri = NULL;
	}
}
