/*
 * tapeseal provisioning extension ABI, version 1.0.
 *
 * An extension library is a shared object placed in $PROV_EXTS_DIR/lib that
 * exports
 *
 *     const struct ts_prov_ext *tapeseal_prov_ext_v1(void);
 *
 * returning a static descriptor.  tapeseal loads the libraries an SKU lists
 * (device_ext_libs for the device process, host_ext_libs for the host
 * process) and calls their hooks in list order.  A NULL hook does nothing.
 * Every hook returns 0 to go on or a negative TS_PROV_E* code to abort the
 * run; the code and the extension's name are reported.  Every parameter
 * struct starts with its size (fields past it are absent), carries the ctx
 * that init returned, and an api table of callbacks; hooks must not keep any
 * pointer they are given after returning.
 *
 * This header is self-contained C11 and depends on nothing else of tapeseal.
 */
#ifndef TAPESEAL_PROV_EXT_H
#define TAPESEAL_PROV_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TS_PROV_EXT_ABI_MAJOR 1
#define TS_PROV_EXT_ABI_MINOR 0
#define TS_PROV_EXT_ENTRY "tapeseal_prov_ext_v1"

/* Return codes of hooks and callbacks. */
#define TS_PROV_OK 0
#define TS_PROV_EINVAL (-1)   /* bad argument */
#define TS_PROV_ENOSPC (-2)   /* the blob or buffer is full */
#define TS_PROV_EPERM (-3)    /* not allowed at this point */
#define TS_PROV_EIO (-4)      /* storage or channel failure */
#define TS_PROV_EFAIL (-5)    /* the extension's own failure */

#define TS_PERSO_BLOB_MAX 5120
#define TS_CERT_NAME_MAX 15
#define TS_CERT_LAYOUTS 4

/* A perso blob (spec: upstream perso_blob_t): TLV objects back to back. */
struct ts_perso_blob {
	size_t num_objs;
	size_t next_free;
	uint8_t body[TS_PERSO_BLOB_MAX];
};

/* Where certificates are stored on the device: entries 0 FACTORY, 1 DICE, 2 Ext0, 3 Ext1. */
struct ts_cert_layout {
	bool used;
	bool need_digest;
	char group_name[16];
	uint32_t info_page;
	size_t num_certs;
};

struct ts_certgen_inputs {
	uint8_t dice_auth_key_key_id[20];
	uint8_t ext_auth_key_key_id[20];
	uint16_t blob_version;
};

struct ts_p256_pub {
	uint8_t x[32]; /* big-endian */
	uint8_t y[32];
};

/* What a device TBS certificate is built from (api->build_tbs). */
struct ts_tbs_params {
	size_t size;
	const char *subject_cn;
	const struct ts_p256_pub *pub;
	const uint8_t *key_id;      /* 20 bytes: subject key identifier */
	const uint8_t *auth_key_id; /* 20 bytes: the endorsing CA's key identifier */
};

/* Callbacks offered to device hooks (size-prefixed; a callback may be NULL). */
struct ts_device_api {
	size_t size;
	int (*push_cert)(struct ts_perso_blob *blob, const char *name, bool needs_endorsement, const uint8_t *der,
			 size_t len);
	int (*push_object)(struct ts_perso_blob *blob, unsigned type, const uint8_t *buf, size_t len);
	int (*keygen_p256)(const char *label, struct ts_p256_pub *pub, uint8_t key_id[20]);
	int (*build_tbs)(const struct ts_tbs_params *params, uint8_t *out, size_t *len);
	int (*sign_as)(const char *label, const uint8_t *digest, size_t len, uint8_t *sig, size_t *sig_len);
	int (*nvm_write)(uint32_t page, size_t offset, const uint8_t *buf, size_t len);
	int (*nvm_read)(uint32_t page, size_t offset, uint8_t *buf, size_t len);
	int (*seed)(const char *label, uint8_t *out, size_t len);
	int (*hash_update)(const uint8_t *buf, size_t len); /* post hook only: extends the final cert hash */
	void (*log)(const char *msg);
};

/* Device, after the DICE certificates are built and before the WAS HMAC. */
struct ts_pre_endorse {
	size_t size;
	void *chan; /* reserved; NULL in 1.0 */
	const struct ts_certgen_inputs *certgen_inputs;
	struct ts_perso_blob *perso_blob_to_host; /* append only, through api */
	struct ts_cert_layout *cert_nvm_layout;   /* [TS_CERT_LAYOUTS]; entries 2 and 3 may change */
	const struct ts_p256_pub *uds_pubkey;
	const uint8_t *uds_pubkey_id;             /* 32 bytes */
	const uint8_t *otp_creator_sw_cfg_measurement;
	const uint8_t *otp_owner_sw_cfg_measurement;
	const uint8_t *otp_rot_creator_auth_codesign_measurement;
	const uint8_t *otp_rot_creator_auth_state_measurement;
	const struct ts_device_api *api;
	void *ctx;
};

/* Device, after the endorsed certificates are written and hashed. */
struct ts_post_endorse {
	size_t size;
	void *chan;
	const struct ts_perso_blob *perso_blob_from_host;
	const struct ts_cert_layout *cert_nvm_layout;
	const struct ts_device_api *api;
	void *ctx;
};

/* Callbacks offered to host hooks. */
struct ts_host_api {
	size_t size;
	int (*endorse)(const char *ca_role, const uint8_t *tbs, size_t len, uint8_t *cert, size_t *cert_len);
	int (*push_cert)(uint8_t *concat, size_t *len, size_t cap, const char *name, const uint8_t *der, size_t der_len);
	int (*hash_update)(const uint8_t *buf, size_t len);
	void (*log)(const char *msg);
};

/* Host, once every object is endorsed, before the WAS HMAC check and the reply to the device. */
struct ts_inject_ctx {
	size_t size;
	uint8_t *endorsed_cert_concat;
	size_t *len;
	size_t cap;
	size_t *num_host_endorsed_certs;
	uint16_t blob_version;
	const struct ts_perso_blob *from_device;
	const struct ts_host_api *api;
	void *ctx;
};

/* What the host learnt about the device (upstream PersonalizeResponse), device_id filled. */
struct ts_response {
	size_t size;
	char device_id[72];
	char lc_state_mission_mode[32];
	size_t num_certs;
	const char *const *cert_names;
};

struct ts_prov_ext {
	size_t struct_size; /* sizeof(struct ts_prov_ext) when built */
	uint16_t abi_major;  /* TS_PROV_EXT_ABI_MAJOR: must match */
	uint16_t abi_minor;  /* at most the loader's */
	const char *name;
	const char *version;
	int (*init)(const char *sku, const char *ext_dir, void **ctx);
	void (*fini)(void *ctx);
	int (*pre_cert_endorse)(struct ts_pre_endorse *p);
	int (*post_cert_endorse)(struct ts_post_endorse *p);
	int (*ft_inject_certs_ext)(struct ts_inject_ctx *p);
	/* Writes a POSIX ERE the boot console must show before the owner string, or "". */
	int (*ft_post_boot_ext)(const struct ts_response *resp, char *expect, size_t cap);
};

typedef const struct ts_prov_ext *(*ts_prov_ext_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
