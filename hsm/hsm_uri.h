#ifndef TS_HSM_HSM_URI_H
#define TS_HSM_HSM_URI_H

#include <limits.h>

#include "common/base/ts_result.h"

/*
 * One RFC 7512 URI names the module, the token, the master key and the PIN
 * source, e.g. pkcs11:token=tapeout;object=top_earlgrey.tapeout.master
 *   ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/tapeout.pin
 * Parsed with p11-kit; attributes p11-kit does not recognise are refused
 * (a misspelt attribute would otherwise match nothing, or everything).
 */
enum hsm_pin_kind { HSM_PIN_FILE, HSM_PIN_ENV };

struct hsm_target {
	char uri[2048];          /* as given */
	char display[1024];      /* the URI without its query part: no module path, no PIN source */
	char module_path[PATH_MAX];
	enum hsm_pin_kind pin_kind;
	char pin_ref[PATH_MAX];  /* file path or environment variable name */
	char object[256];        /* CKA_LABEL of the master, "" when the URI names none */
	char token_label[64];    /* for messages */
	void *p11uri;            /* P11KitUri *, owned */
};

/*
 * Parses text into *out.  Errors (TS_ERR_USAGE, one line naming the URI part):
 * not a pkcs11: URI, unrecognised attributes, pin-value (a PIN never goes in
 * a URI), no module-path (module-name is not supported), no pin-source or
 * one that is not file:<path> or env:<VAR>, no token attribute.
 * Free with hsm_uri_free.
 */
TS_RESULT hsm_uri_parse(const char *text, struct hsm_target *out);

void hsm_uri_free(struct hsm_target *t);

#endif
