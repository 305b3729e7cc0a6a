#include "secure/secure_ft.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/ft/ts_dice.h"
#include "common/ft/ts_ft.h"
#include "common/ft/ts_ujson.h"
#include "common/otp/ts_otp_job.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_ext.h"
#include "common/prov/ts_prov_otp.h"
#include "common/topgen/ts_lc.h"
#include "secure/secure_derive.h"
#include "secure/secure_endorse.h"
#include "secure/secure_policy.h"
#include "secure/secure_x509.h"
#include "secure/secure_ft.h"

/* --- step 5: the WAS HMAC, before anything is signed (fixes A3.10c) */

ts_result
ft_check_was(struct ft_host *h)
{
	TS_BUF(tbs);
	const uint8_t *mac = NULL;
	for (size_t i = h->version; i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		if (o->type == TS_PERSO_X509_TBS) {
			TS_GUARD(ts_buf_append(&tbs, o->data, o->len));
		}
		mac = o->type == TS_PERSO_WAS_HMAC ? o->data : mac;
	}
	uint8_t want[32];
	unsigned n = 0;
	TS_ENSURE(HMAC(EVP_sha256(), h->was, 32, tbs.data, tbs.len, want, &n) != NULL && n == 32, TS_ERR_CRYPTO);
	TS_ENSUREF(mac != NULL && CRYPTO_memcmp(mac, want, 32) == 0, TS_ERR_MODE,
		   "the WAS HMAC over the device's TBS certificates does not match: the blob was altered or the WAS is "
		   "not this device's; nothing was signed");
	ft_event(h, "host.was_ok");
	return TS_OK;
}

/* --- step 6: endorsement of every TBS (B5.6), routed by name (A4) */

int
ft_dice_name(const char *n)
{
	return strcmp(n, "UDS") == 0 || strcmp(n, "CDI_0") == 0 || strcmp(n, "CDI_1") == 0;
}

static ts_result
record_cert(struct ft_host *h, const char *name, const uint8_t *der, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *b64 = malloc(cap);
	TS_ENSURE(b64 != NULL, TS_ERR_NOMEM);
	(void)EVP_EncodeBlock(b64, der, (int)len);
	json_object_set_new(h->certs, name, json_pack("{s:s,s:s,s:s}", "format", "x509", "name", name, "bytes", b64));
	free(b64);
	return TS_OK;
}

ts_result
ft_endorse_all(struct ft_host *h)
{
	struct ts_dice_tcb uds_tcb = { .nfwids = TS_FT_MEASURED };
	memcpy(uds_tcb.fwids, h->expect, sizeof(h->expect));
	TS_GUARD(ts_perso_init(&h->back, h->version));
	for (size_t i = h->version; i < h->pin.n; i++) {
		const struct ts_perso_obj *o = &h->pin.obj[i];
		if (o->type == TS_PERSO_X509_CERT) {
			const unsigned char *p = o->data;
			X509 *x = d2i_X509(NULL, &p, (long)o->len);
			X509_free(x);
			TS_ENSUREF(x != NULL, TS_ERR_SCHEMA, "the device's certificate %s does not parse", o->name);
			TS_GUARD(record_cert(h, o->name, o->data, o->len));
			continue;
		}
		if (o->type != TS_PERSO_X509_TBS) {
			continue;
		}
		int dice = ft_dice_name(o->name);
		const struct ft_ca_role *role = dice ? &h->dice : &h->ext;
		TS_ENSUREF(role->present, TS_ERR_SCHEMA, "TBS %s needs the ext CA, which the SKU does not name", o->name);
		TS_BUF(cert);
		TS_GUARD(secure_endorse(h->s, &role->ca, o->name, o->data, o->len,
					strcmp(o->name, "UDS") == 0 ? &uds_tcb : NULL, &cert));
		TS_GUARD(ts_perso_push_cert(&h->back, h->version, TS_PERSO_X509_CERT, o->name, cert.data, cert.len));
		TS_GUARD(record_cert(h, o->name, cert.data, cert.len));
		if (strcmp(o->name, "UDS") == 0) {
			TS_GUARD(ts_buf_append(&h->uds_der, cert.data, cert.len));
		}
		ft_event(h, dice ? "host.endorse.dice" : "host.endorse.ext");
	}
	return TS_OK;
}

static struct ft_host *cur; /* for the host extension callbacks */

/* --- step 8: host extensions (ft_inject_certs_ext), then the result is checked again (B3) */

static int
host_endorse(const char *ca_role, const uint8_t *tbs, size_t n, uint8_t *cert_out, size_t *cert_len)
{
	const struct ft_ca_role *role = ca_role != NULL && strcmp(ca_role, "dice") == 0 ? &cur->dice : &cur->ext;
	TS_BUF(cert);
	if (!role->present || cert_out == NULL || cert_len == NULL ||
	    secure_endorse(cur->s, &role->ca, "extension TBS", tbs, n, NULL, &cert).code != 0 || cert.len > *cert_len) {
		return TS_PROV_EFAIL;
	}
	memcpy(cert_out, cert.data, cert.len);
	*cert_len = cert.len;
	return TS_PROV_OK;
}

static int
host_push_cert(uint8_t *concat, size_t *len, size_t cap, const char *name, const uint8_t *der, size_t der_len)
{
	static struct ts_perso_blob one;
	if (concat == NULL || len == NULL || ts_perso_init(&one, 0).code != 0 ||
	    ts_perso_push_cert(&one, cur->version, TS_PERSO_X509_CERT, name, der, der_len).code != 0 ||
	    *len + one.next_free > cap) {
		return TS_PROV_ENOSPC;
	}
	memcpy(concat + *len, one.body, one.next_free);
	*len += one.next_free;
	return TS_PROV_OK;
}

static int
host_hash_update(const uint8_t *buf, size_t len)
{
	return ts_buf_append(&cur->extra_hash, buf, len).code == 0 ? TS_PROV_OK : TS_PROV_ENOSPC;
}

static void
host_log(const char *msg)
{
	char line[300];
	(void)snprintf(line, sizeof(line), "host.ext: %s", msg != NULL ? msg : "");
	ft_event(cur, line);
}

static const struct ts_host_api host_api = {
	.size = sizeof(struct ts_host_api),
	.endorse = host_endorse,
	.push_cert = host_push_cert,
	.hash_update = host_hash_update,
	.log = host_log,
};

static ts_result
verify_against(const struct ft_host *h, const uint8_t *der, size_t len, const char *name)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int ok = x != NULL && ((h->dice.present && X509_verify(x, h->dice.ca.pub) == 1) ||
			       (h->ext.present && X509_verify(x, h->ext.ca.pub) == 1));
	X509_free(x);
	ERR_clear_error();
	TS_ENSUREF(ok, TS_ERR_SCHEMA, "certificate %s in the returned blob is not signed by the dice or ext CA", name);
	return TS_OK;
}

ts_result
ft_inject(struct ft_host *h)
{
	static uint8_t concat[TS_PERSO_BLOB_MAX];
	size_t start = h->version ? 4 : 0, len = h->back.next_free - start, num = h->back.num_objs - h->version;
	memcpy(concat, h->back.body + start, len);
	struct ts_inject_ctx ic = { .size = sizeof(ic), .endorsed_cert_concat = concat, .len = &len,
				    .cap = TS_PERSO_BLOB_MAX - start, .num_host_endorsed_certs = &num,
				    .blob_version = (uint16_t)h->version, .from_device = &h->in, .api = &host_api };
	cur = h;
	TS_GUARD(ts_prov_ext_inject(&h->exts, &ic));
	ft_event(h, "host.inject");
	TS_ENSUREF(len <= TS_PERSO_BLOB_MAX - start, TS_ERR_SCHEMA, "a host extension overfilled the blob");
	TS_GUARD(ts_perso_init(&h->back, h->version));
	memcpy(h->back.body + start, concat, len);
	h->back.next_free = start + len;
	h->back.num_objs = num + h->version;
	ts_result r = ts_perso_parse(&h->back, h->version, &h->pback);
	if (r.code != 0) {
		ts_error_context("the blob after the host extensions");
		return r;
	}
	TS_ENSUREF(h->pback.n > h->version && strcmp(h->pback.obj[h->version].name, "UDS") == 0, TS_ERR_SCHEMA,
		   "after the host extensions the UDS certificate is not first");
	for (size_t i = h->version; i < h->pback.n; i++) {
		const struct ts_perso_obj *o = &h->pback.obj[i];
		TS_ENSUREF(o->type == TS_PERSO_X509_CERT, TS_ERR_SCHEMA, "a host extension added a type %u object", o->type);
		TS_GUARD(verify_against(h, o->data, o->len, o->name));
		if (json_object_get(h->certs, o->name) == NULL) {
			TS_GUARD(record_cert(h, o->name, o->data, o->len));
		}
	}
	return TS_OK;
}
