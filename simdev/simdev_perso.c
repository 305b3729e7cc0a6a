#include "simdev/simdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common/base/ts_file.h"
#include "common/base/ts_hex.h"
#include "common/ft/ts_dice.h"
#include "common/ft/ts_ft.h"
#include "common/ft/ts_ujson.h"
#include "common/prov/ts_prov_ext.h"

/* FT personalization on the simulated device: the A1 steps with their prompts and messages. */

static struct simdev *dev;     /* what the extension callbacks act on */
static EVP_MD_CTX *cert_hash;  /* open while post hooks run */
static X509 *ext_ca;           /* issuer of extension TBS certificates */

static int
fault(const char *name)
{
	return dev->fault != NULL && strcmp(dev->fault, name) == 0;
}

/* --- the callbacks offered to device hooks (struct ts_device_api) */

static int
api_push_cert(struct ts_perso_blob *blob, const char *name, bool needs_endorsement, const uint8_t *der, size_t len)
{
	ts_result r = ts_perso_push_cert(blob, ts_perso_version(blob), needs_endorsement ? TS_PERSO_X509_TBS : TS_PERSO_X509_CERT,
					 name, der, len);
	return r.code == 0 ? TS_PROV_OK : r.code == TS_ERR_RANGE ? TS_PROV_ENOSPC : TS_PROV_EINVAL;
}

static int
api_push_object(struct ts_perso_blob *blob, unsigned type, const uint8_t *buf, size_t len)
{
	ts_result r = ts_perso_push_object(blob, ts_perso_version(blob), type, buf, len);
	return r.code == 0 ? TS_PROV_OK : r.code == TS_ERR_RANGE ? TS_PROV_ENOSPC : TS_PROV_EINVAL;
}

static int
ext_key(const char *label, struct ts_dice_key *k)
{
	char full[160];
	if (label == NULL || snprintf(full, sizeof(full), "ext:%s", label) >= (int)sizeof(full)) {
		return TS_PROV_EINVAL;
	}
	return ts_dice_key_derive(dev->seed, full, k).code == 0 ? TS_PROV_OK : TS_PROV_EFAIL;
}

static int
api_keygen_p256(const char *label, struct ts_p256_pub *pub, uint8_t key_id[20])
{
	struct ts_dice_key k;
	int rc = ext_key(label, &k);
	if (rc == TS_PROV_OK) {
		memcpy(pub->x, k.pub, 32);
		memcpy(pub->y, k.pub + 32, 32);
		memcpy(key_id, k.id, 20);
		ts_dice_key_free(&k);
	}
	return rc;
}

static int
api_build_tbs(const struct ts_tbs_params *p, uint8_t *out, size_t *len)
{
	struct ts_dice_key k;
	uint8_t pt[64];
	if (p == NULL || p->size < sizeof(*p) || p->pub == NULL || p->auth_key_id == NULL || out == NULL || len == NULL ||
	    ext_ca == NULL) {
		return TS_PROV_EINVAL;
	}
	memcpy(pt, p->pub->x, 32);
	memcpy(pt + 32, p->pub->y, 32);
	if (ts_dice_key_from_point(pt, &k).code != 0) {
		return TS_PROV_EINVAL;
	}
	struct ts_dice_cert_params cp = { &k, p->auth_key_id, X509_get_subject_name(ext_ca), NULL, p->subject_cn };
	TS_BUF(tbs);
	ts_result r = ts_dice_tbs(&cp, &tbs);
	ts_dice_key_free(&k);
	if (r.code != 0 || tbs.len > *len) {
		return r.code != 0 ? TS_PROV_EFAIL : TS_PROV_ENOSPC;
	}
	memcpy(out, tbs.data, tbs.len);
	*len = tbs.len;
	return TS_PROV_OK;
}

static int
api_sign_as(const char *label, const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len)
{
	struct ts_dice_key k;
	int rc = ext_key(label, &k);
	if (rc != TS_PROV_OK) {
		return rc;
	}
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k.pkey, NULL);
	int ok = c != NULL && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, sig, sig_len, digest, len) == 1;
	EVP_PKEY_CTX_free(c);
	ts_dice_key_free(&k);
	return ok ? TS_PROV_OK : TS_PROV_EFAIL;
}

/* Pages 0 (CP data), FACTORY and DICE belong to the flow, not to extensions. */
static int
ext_page(uint32_t page, size_t off, size_t len)
{
	return page != 0 && page != TS_FT_PAGE_FACTORY && page != TS_FT_PAGE_DICE && page < 64 && off <= TS_FT_PAGE_SIZE &&
	       len <= TS_FT_PAGE_SIZE - off;
}

static int
api_nvm_write(uint32_t page, size_t off, const uint8_t *buf, size_t len)
{
	uint8_t p[TS_FT_PAGE_SIZE];
	if (!ext_page(page, off, len) || simdev_page_read(dev, page, p).code != 0) {
		return TS_PROV_EPERM;
	}
	memcpy(p + off, buf, len);
	return simdev_page_write(dev, page, p).code == 0 ? TS_PROV_OK : TS_PROV_EIO;
}

static int
api_nvm_read(uint32_t page, size_t off, uint8_t *buf, size_t len)
{
	uint8_t p[TS_FT_PAGE_SIZE];
	if (!ext_page(page, off, len) || simdev_page_read(dev, page, p).code != 0) {
		return TS_PROV_EPERM;
	}
	memcpy(buf, p + off, len);
	return TS_PROV_OK;
}

static int
api_seed(const char *label, uint8_t *out, size_t len)
{
	char full[160];
	if (label == NULL || len > 64 || snprintf(full, sizeof(full), "seed:%s", label) >= (int)sizeof(full)) {
		return TS_PROV_EINVAL;
	}
	uint8_t d[SHA512_DIGEST_LENGTH];
	unsigned n = 0;
	if (HMAC(EVP_sha512(), dev->seed, 32, (const uint8_t *)full, strlen(full), d, &n) == NULL) {
		return TS_PROV_EFAIL;
	}
	memcpy(out, d, len);
	return TS_PROV_OK;
}

static int
api_hash_update(const uint8_t *buf, size_t len)
{
	return cert_hash != NULL && EVP_DigestUpdate(cert_hash, buf, len) == 1 ? TS_PROV_OK : TS_PROV_EPERM;
}

static void
api_log(const char *msg)
{
	fprintf(dev->out, "ext: %s\n", msg != NULL ? msg : "");
}

static const struct ts_device_api device_api = {
	.size = sizeof(struct ts_device_api),
	.push_cert = api_push_cert,
	.push_object = api_push_object,
	.keygen_p256 = api_keygen_p256,
	.build_tbs = api_build_tbs,
	.sign_as = api_sign_as,
	.nvm_write = api_nvm_write,
	.nvm_read = api_nvm_read,
	.seed = api_seed,
	.hash_update = api_hash_update,
	.log = api_log,
};

/* --- the flow */

struct perso {
	json_t *consts;
	struct ts_prov_exts exts;
	struct ts_certgen_inputs in;
	uint8_t meas[TS_FT_MEASURED][32];
	struct ts_dice_key uds, cdi0, cdi1;
	struct ts_perso_blob out, back;
	struct ts_perso_parsed parsed_out, parsed_back;
	struct ts_cert_layout layout[TS_CERT_LAYOUTS];
	uint8_t digest[32];
};

static ts_result
read_msg(json_t **out)
{
	static char line[TS_UJSON_LINE_MAX];
	TS_GUARD(ts_ujson_read_line(dev->in, line, sizeof(line)));
	return ts_ujson_parse(line, 0, out);
}

static ts_result
send_resp(json_t *j)
{
	TS_BUF(b);
	ts_result r = ts_ujson_resp(j, &b);
	json_decref(j);
	TS_GUARD(r);
	TS_ENSURE(fwrite(b.data, 1, b.len, dev->out) == b.len && fflush(dev->out) == 0, TS_ERR_IO);
	return TS_OK;
}

static void
prompt(const char *text)
{
	fprintf(dev->out, "%s\n", text);
	(void)fflush(dev->out);
}

static int
is_locked(const char *partition)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(dev->state, "locked"), i, v) {
		if (strcmp(json_string_value(v), partition) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Step 2 of A1: the RMA unlock token hash goes into SECRET2, which is then locked. */
static ts_result
step_token(void)
{
	static char line[TS_UJSON_LINE_MAX];
	uint64_t h[2];
	char hex[40];
	prompt(TS_PROMPT_TOKEN_HASH);
	TS_GUARD(ts_ujson_read_line(dev->in, line, sizeof(line)));
	TS_GUARD(ts_ujson_token_hash_parse(line, h));
	(void)snprintf(hex, sizeof(hex), "%016llx%016llx", (unsigned long long)h[1], (unsigned long long)h[0]);
	json_object_set_new(dev->state, "secret2_token_hash", json_string(hex));
	json_array_append_new(json_object_get(dev->state, "locked"), json_string("SECRET2"));
	return simdev_save(dev);
}

static ts_result
step_certgen(struct perso *p)
{
	json_t *m = NULL;
	uint64_t a[20], b[20], v[1];
	prompt(TS_PROMPT_CERTGEN);
	TS_GUARD(read_msg(&m));
	ts_result r = ts_ujson_uints(m, "dice_auth_key_key_id", 255, a, 20);
	r = r.code ? r : ts_ujson_uints(m, "ext_auth_key_key_id", 255, b, 20);
	json_t *bv = json_object_get(m, "blob_version");
	if (r.code == 0 && !(json_is_integer(bv) && json_integer_value(bv) >= 0 && json_integer_value(bv) <= 1)) {
		r = ts_failf(TS_ERR_SCHEMA, __FILE__, __LINE__, "blob_version must be 0 or 1");
	}
	v[0] = r.code == 0 ? (uint64_t)json_integer_value(bv) : 0;
	json_decref(m);
	TS_GUARD(r);
	for (size_t i = 0; i < 20; i++) {
		p->in.dice_auth_key_key_id[i] = (uint8_t)a[i];
		p->in.ext_auth_key_key_id[i] = (uint8_t)b[i];
	}
	p->in.blob_version = (uint16_t)v[0];
	if (fault("wrong-version")) { /* answers in the other blob version than the host asked for */
		p->in.blob_version ^= 1;
	}
	return TS_OK;
}

static ts_result
measure(struct perso *p)
{
	json_t *parts = json_object_get(p->consts, "partitions"), *otp = json_object_get(dev->state, "otp");
	for (size_t i = 0; i < TS_FT_MEASURED; i++) {
		TS_GUARD(ts_ft_measure(parts, ts_ft_measured[i], otp, p->meas[i]));
	}
	return TS_OK;
}

/* UDS (a TBS for the host), CDI_0 and CDI_1 (signed here), A8. */
static ts_result
build_dice(struct perso *p)
{
	X509 *dice_ca = NULL;
	TS_GUARD(ts_prov_sku_ca_cert(dev->sku, "dice_ca", &dice_ca));
	TS_ENSUREF(dice_ca != NULL, TS_ERR_SCHEMA, "the SKU's orchestrator config names no dice_ca certificate");
	X509_NAME *wrong = X509_NAME_new();
	X509_NAME_add_entry_by_txt(wrong, "CN", MBSTRING_ASC, (const unsigned char *)"Not the DICE CA", -1, -1, 0);
	const char *lc = json_string_value(json_object_get(dev->state, "lc_state"));
	struct ts_dice_tcb tu = { .nfwids = TS_FT_MEASURED };
	struct ts_dice_tcb zero = { .nfwids = 1 };
	tu.debug = lc == NULL || (strcmp(lc, "PROD") != 0 && strcmp(lc, "PROD_END") != 0);
	memcpy(tu.fwids, p->meas, sizeof(p->meas));
	struct ts_dice_cert_params pu = { &p->uds, p->in.dice_auth_key_key_id,
					  fault("wrong-issuer") ? wrong : X509_get_subject_name(dice_ca), &tu, NULL };
	struct ts_dice_cert_params p0 = { &p->cdi0, p->uds.id, NULL, &zero, NULL };
	struct ts_dice_cert_params p1 = { &p->cdi1, p->cdi0.id, NULL, &zero, NULL };
	TS_BUF(tbs);
	TS_BUF(c0);
	TS_BUF(c1);
	ts_result r = ts_dice_tbs(&pu, &tbs);
	r = r.code ? r : ts_dice_cert(&p0, p->uds.pkey, &c0);
	r = r.code ? r : ts_dice_cert(&p1, p->cdi0.pkey, &c1);
	X509_NAME_free(wrong);
	X509_free(dice_ca);
	TS_GUARD(r);
	unsigned v = p->in.blob_version;
	TS_GUARD(ts_perso_init(&p->out, v));
	TS_GUARD(ts_perso_push_cert(&p->out, v, TS_PERSO_X509_TBS, "UDS", tbs.data, tbs.len));
	TS_GUARD(ts_perso_push_cert(&p->out, v, TS_PERSO_X509_CERT, "CDI_0", c0.data, c0.len));
	return ts_perso_push_cert(&p->out, v, TS_PERSO_X509_CERT, "CDI_1", c1.data, c1.len);
}

static void
default_layout(struct ts_cert_layout *l)
{
	memset(l, 0, sizeof(*l) * TS_CERT_LAYOUTS);
	l[0] = (struct ts_cert_layout){ true, true, "FACTORY", TS_FT_PAGE_FACTORY, 1 };
	l[1] = (struct ts_cert_layout){ true, true, "DICE", TS_FT_PAGE_DICE, 2 };
	l[2] = (struct ts_cert_layout){ false, false, "Ext0", TS_FT_PAGE_EXT0, 0 };
	l[3] = (struct ts_cert_layout){ false, false, "Ext1", TS_FT_PAGE_EXT1, 0 };
}

/* Pre-endorse hooks: may append to the blob and change the Ext0/Ext1 entries, nothing else (B3). */
static ts_result
pre_hooks(struct perso *p)
{
	static uint8_t before[TS_PERSO_BLOB_MAX];
	struct ts_cert_layout keep[2];
	size_t used = p->out.next_free;
	uint8_t uds_id32[32];
	struct ts_p256_pub pub;
	memcpy(before, p->out.body, used);
	memcpy(keep, p->layout, sizeof(keep));
	SHA256(p->uds.pub, 64, uds_id32);
	memcpy(pub.x, p->uds.pub, 32);
	memcpy(pub.y, p->uds.pub + 32, 32);
	struct ts_pre_endorse pre = {
		.size = sizeof(pre), .chan = NULL, .certgen_inputs = &p->in, .perso_blob_to_host = &p->out,
		.cert_nvm_layout = p->layout, .uds_pubkey = &pub, .uds_pubkey_id = uds_id32,
		.otp_creator_sw_cfg_measurement = p->meas[0], .otp_owner_sw_cfg_measurement = p->meas[1],
		.otp_rot_creator_auth_codesign_measurement = p->meas[2],
		.otp_rot_creator_auth_state_measurement = p->meas[3], .api = &device_api,
	};
	TS_ENSUREF(!fault("hook-fail"), TS_ERR_SCHEMA, "device extension (fault injection): pre_cert_endorse returned -1");
	TS_GUARD(ts_prov_ext_pre_endorse(&p->exts, &pre));
	TS_ENSUREF(p->out.next_free >= used && memcmp(before, p->out.body, used) == 0, TS_ERR_SCHEMA,
		   "a device extension changed objects already in the blob (append only)");
	TS_ENSUREF(memcmp(keep, p->layout, sizeof(keep)) == 0, TS_ERR_SCHEMA,
		   "a device extension changed the FACTORY or DICE certificate pages (only Ext0 and Ext1 may change)");
	return TS_OK;
}

/* WAS HMAC over the TBS bodies, device ID, self-hash (A3.7, A3.9). */
static ts_result
seal(struct perso *p)
{
	unsigned v = p->in.blob_version, n = 0;
	uint8_t mac[32], self[32];
	TS_BUF(tbs);
	TS_GUARD(ts_perso_parse(&p->out, v, &p->parsed_out));
	for (size_t i = 0; i < p->parsed_out.n; i++) {
		const struct ts_perso_obj *o = &p->parsed_out.obj[i];
		if (o->type == TS_PERSO_X509_TBS) {
			TS_GUARD(ts_buf_append(&tbs, o->data, o->len));
		}
	}
	TS_ENSURE(HMAC(EVP_sha256(), dev->was, 32, tbs.data, tbs.len, mac, &n) != NULL && n == 32, TS_ERR_CRYPTO);
	int ok;
	TS_GUARD(ts_perso_push_object(&p->out, v, TS_PERSO_WAS_HMAC, mac, 32));
	TS_GUARD(ts_perso_push_object(&p->out, v, TS_PERSO_DEVICE_ID, dev->device_id, 32));
	/* The perso firmware's self-hash: this program and the extension libraries, in order. */
	char exe[65], path[PATH_MAX];
	ssize_t pl = readlink("/proc/self/exe", path, sizeof(path) - 1);
	TS_ENSUREF(pl > 0, TS_ERR_IO, "/proc/self/exe: %s", strerror(errno));
	path[pl] = '\0';
	TS_GUARD(ts_file_sha256(path, exe));
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	TS_ENSURE(c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1, TS_ERR_CRYPTO);
	ok = EVP_DigestUpdate(c, exe, 64) == 1;
	for (size_t i = 0; ok && i < p->exts.n; i++) {
		ok = EVP_DigestUpdate(c, p->exts.l[i].sha256, strlen(p->exts.l[i].sha256)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(c, self, NULL) == 1;
	EVP_MD_CTX_free(c);
	TS_ENSURE(ok, TS_ERR_CRYPTO);
	TS_GUARD(ts_perso_push_object(&p->out, fault("v0-obj-in-v1") ? 0 : v, TS_PERSO_SHA256_HASH, self, 32));
	if (fault("tamper-tbs")) { /* after the HMAC: the host must notice before it signs */
		p->out.body[p->parsed_out.obj[v].offset + 40] ^= 0x01;
	}
	if (fault("bad-count")) {
		p->out.num_objs++;
	}
	if (fault("name16") && v == 1) { /* a cert object whose name is 16 characters */
		static const uint8_t o[] = { 0x01, 0x00, 0x00, 0x1c, 0x10, 0x00, 0x00, 0x18, 'A', 'B', 'C', 'D', 'E', 'F',
					     'G',  'H',  'I',  'J',  'K',  'L',  'M',  'N',  'O',  'P',  0x30, 0x02, 0x05, 0x00 };
		memcpy(p->out.body + p->out.next_free, o, sizeof(o));
		p->out.next_free += sizeof(o);
		p->out.num_objs++;
	}
	json_t *j = NULL;
	TS_GUARD(ts_ujson_blob_to_json(&p->out, &j));
	prompt(TS_PROMPT_EXPORT);
	return send_resp(j);
}

/* The host's blob: endorsed certificates (and injected ones), UDS first (A3.7). */
static ts_result
receive(struct perso *p)
{
	json_t *m = NULL;
	prompt(TS_PROMPT_IMPORT);
	TS_GUARD(read_msg(&m));
	ts_result r = ts_ujson_blob_from_json(m, &p->back);
	json_decref(m);
	TS_GUARD(r);
	unsigned v = p->in.blob_version;
	TS_GUARD(ts_perso_parse(&p->back, v, &p->parsed_back));
	const struct ts_perso_parsed *b = &p->parsed_back;
	TS_ENSUREF(b->n > v && strcmp(b->obj[v].name, "UDS") == 0, TS_ERR_SCHEMA,
		   "the host's blob does not start with the UDS certificate");
	for (size_t i = v; i < b->n; i++) {
		TS_ENSUREF(b->obj[i].type == TS_PERSO_X509_CERT, TS_ERR_SCHEMA, "the host's blob holds a type %u object",
			   b->obj[i].type);
	}
	return TS_OK;
}

static ts_result
write_pages(struct perso *p)
{
	static uint8_t page[TS_FT_PAGE_SIZE];
	unsigned v = p->in.blob_version;
	const struct ts_perso_parsed *b = &p->parsed_back, *o = &p->parsed_out;
	const struct ts_perso_obj *uds = &b->obj[v], *dice[2] = { &o->obj[v + 1], &o->obj[v + 2] };
	size_t extra = b->n - v - 1, claimed = 0, next = v + 1;
	for (size_t i = 2; i < TS_CERT_LAYOUTS; i++) {
		claimed += p->layout[i].used ? p->layout[i].num_certs : 0;
	}
	TS_ENSUREF(claimed == extra, TS_ERR_SCHEMA, "the extension pages claim %zu certificates, the host sent %zu more",
		   claimed, extra);
	TS_GUARD(ts_ft_page_build(v, &uds, 1, 1, page));
	TS_GUARD(simdev_page_write(dev, TS_FT_PAGE_FACTORY, page));
	TS_GUARD(ts_ft_page_build(v, dice, 2, 1, page));
	if (fault("corrupt-nvm")) { /* a flipped bit the page digest does not catch (it is recomputed) */
		page[(v ? 8 : 0) + 60] ^= 0x01;
		SHA256(page, TS_FT_PAGE_SIZE - 32, page + TS_FT_PAGE_SIZE - 32);
	}
	TS_GUARD(simdev_page_write(dev, TS_FT_PAGE_DICE, page));
	json_t *ext_pages = json_array();
	for (size_t i = 2; i < TS_CERT_LAYOUTS; i++) {
		const struct ts_cert_layout *l = &p->layout[i];
		const struct ts_perso_obj *certs[8];
		if (!l->used) {
			continue;
		}
		TS_ENSURE(l->num_certs <= 8, TS_ERR_RANGE);
		for (size_t k = 0; k < l->num_certs; k++) {
			certs[k] = &b->obj[next++];
		}
		TS_GUARD(ts_ft_page_build(v, certs, l->num_certs, l->need_digest, page));
		TS_GUARD(simdev_page_write(dev, l->info_page, page));
		json_array_append_new(ext_pages, json_pack("{s:I,s:s,s:b}", "page", (json_int_t)l->info_page, "group",
							   l->group_name, "digest", l->need_digest));
	}
	json_object_set_new(dev->state, "ext_pages", ext_pages);
	return TS_OK;
}

/* The certificate hash over the bodies as stored, in page order, then post hooks (A3.8). */
static ts_result
hash_certs(struct perso *p)
{
	static uint8_t page[TS_FT_PAGE_SIZE];
	unsigned v = p->in.blob_version;
	struct ts_perso_obj objs[8];
	size_t n = 0;
	cert_hash = EVP_MD_CTX_new();
	TS_ENSURE(cert_hash != NULL && EVP_DigestInit_ex(cert_hash, EVP_sha256(), NULL) == 1, TS_ERR_CRYPTO);
	for (size_t i = 0; i < TS_CERT_LAYOUTS; i++) {
		const struct ts_cert_layout *l = &p->layout[i];
		if (!l->used) {
			continue;
		}
		TS_GUARD(simdev_page_read(dev, l->info_page, page));
		TS_GUARD(ts_ft_page_parse(page, v, l->need_digest, objs, 8, &n));
		for (size_t k = 0; k < n; k++) {
			TS_ENSURE(EVP_DigestUpdate(cert_hash, objs[k].data, objs[k].len) == 1, TS_ERR_CRYPTO);
		}
	}
	prompt(TS_PROMPT_IMPORTED);
	struct ts_post_endorse post = { .size = sizeof(post), .chan = NULL, .perso_blob_from_host = &p->back,
					.cert_nvm_layout = p->layout, .api = &device_api };
	TS_GUARD(ts_prov_ext_post_endorse(&p->exts, &post));
	TS_ENSURE(EVP_DigestFinal_ex(cert_hash, p->digest, NULL) == 1, TS_ERR_CRYPTO);
	uint32_t data[8];
	uint64_t wide[8];
	ts_ft_pack_hash(p->digest, data);
	for (size_t i = 0; i < 8; i++) {
		wide[i] = data[i];
	}
	return send_resp(json_pack("{s:o}", "data", ts_ujson_array(wide, 8)));
}

/* finalize_otp_partitions: the deferred items, locks, and the lock digest against the UDS measurement. */
static ts_result
finalize(struct perso *p)
{
	json_t *parts = json_object_get(p->consts, "partitions"), *otp = json_object_get(dev->state, "otp"), *items, *it;
	const char *part;
	size_t i;
	json_object_foreach(parts, part, items) {
		json_array_foreach(items, i, it) {
			uint8_t val[256];
			char hex[513];
			size_t n = 0;
			if (!json_is_true(json_object_get(it, "deferred"))) {
				continue;
			}
			TS_GUARD(ts_ft_item_bytes(it, val, sizeof(val), &n));
			ts_hex_encode(val, n, hex);
			json_object_set_new(otp, json_string_value(json_object_get(it, "item")), json_string(hex));
		}
	}
	for (size_t k = 0; k < 2; k++) {
		uint8_t m[32];
		TS_GUARD(ts_ft_measure(parts, ts_ft_measured[k], otp, m));
		TS_ENSUREF(memcmp(m, p->meas[k], 32) == 0, TS_ERR_SCHEMA,
			   "%s does not lock to the measurement in the UDS certificate", ts_ft_measured[k]);
		json_array_append_new(json_object_get(dev->state, "locked"), json_string(ts_ft_measured[k]));
	}
	json_object_set_new(dev->state, "personalized", json_true());
	json_object_set_new(dev->state, "blob_version", json_integer(p->in.blob_version));
	return simdev_save(dev);
}

static ts_result
load_exts(struct perso *p, const char *consts_file)
{
	json_error_t err;
	p->consts = json_load_file(consts_file, JSON_REJECT_DUPLICATES, &err);
	TS_ENSUREF(p->consts != NULL, TS_ERR_PARSE, "%s:%d: %s", consts_file, err.line, err.text);
	const char *sku = json_string_value(json_object_get(p->consts, "sku"));
	TS_ENSUREF(sku != NULL && strcmp(sku, dev->sku->e.name) == 0, TS_ERR_SCHEMA,
		   "%s is not the otp-consts output of SKU %s", consts_file, dev->sku->e.name);
	TS_GUARD(ts_prov_sku_ca_cert(dev->sku, "ext_ca", &ext_ca));
	return ts_prov_ext_load(dev->reg->ext_dir, dev->sku->device_libs, dev->sku->ndevice, dev->sku->e.name, 1,
				&p->exts);
}

static ts_result
run(struct perso *p, const char *consts_file)
{
	TS_ENSUREF(is_locked("HW_CFG0"), TS_ERR_MODE, "this device is not individualized");
	TS_ENSUREF(!is_locked("SECRET2"), TS_ERR_MODE,
		   "SECRET2 is already locked: this device was personalized before and cannot be again");
	TS_ENSUREF(consts_file != NULL, TS_ERR_USAGE, "--consts FILE is required");
	TS_GUARD(load_exts(p, consts_file));
	TS_GUARD(step_token());
	TS_GUARD(step_certgen(p));
	TS_GUARD(measure(p));
	TS_GUARD(ts_dice_key_derive(dev->seed, "UDS", &p->uds));
	TS_GUARD(ts_dice_key_derive(dev->seed, "CDI_0", &p->cdi0));
	TS_GUARD(ts_dice_key_derive(dev->seed, "CDI_1", &p->cdi1));
	TS_GUARD(build_dice(p));
	default_layout(p->layout);
	TS_GUARD(pre_hooks(p));
	TS_GUARD(seal(p));
	TS_GUARD(receive(p));
	TS_GUARD(write_pages(p));
	TS_GUARD(hash_certs(p));
	return finalize(p);
}

ts_result
simdev_personalize(struct simdev *d, const char *consts_file)
{
	static struct perso p;
	memset(&p, 0, sizeof(p));
	dev = d;
	ts_result r = run(&p, consts_file);
	ts_prov_ext_unload(&p.exts);
	ts_dice_key_free(&p.uds);
	ts_dice_key_free(&p.cdi0);
	ts_dice_key_free(&p.cdi1);
	json_decref(p.consts);
	EVP_MD_CTX_free(cert_hash);
	cert_hash = NULL;
	X509_free(ext_ca);
	ext_ca = NULL;
	prompt(TS_PROMPT_DONE); /* printed on the error path too, as upstream does */
	return r;
}
