#ifndef TS_SECURE_SECURE_FT_H
#define TS_SECURE_SECURE_FT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/base/ts_buf.h"
#include "common/ft/ts_ft.h"
#include "common/ft/ts_perso.h"
#include "common/prov/ts_prov.h"
#include "common/prov/ts_prov_ext.h"
#include "hsm/hsm_session.h"
#include "hsm/hsm_transcript.h"
#include "hsm/hsm_uri.h"
#include "secure/secure_endorse.h"

/*
 * tapeseal-secure personalize, the FT host harness (spec/provisioning.md
 * B5), in its stages: secure_personalize.c parses, loads the SKU and the CAs
 * and runs the flow; secure_ft_device.c talks to the device console;
 * secure_ft_endorse.c checks the WAS HMAC, endorses and runs the host
 * extensions; secure_ft_finish.c verifies the chains, boots the device and
 * writes the record.  Every step returns TS_ERR_* with a one-line message.
 */

struct ft_opts {
	const char *sku, *hsm, *device_cmd, *boot_cmd, *was, *record_dir;
	int blob_version;
	unsigned device_timeout; /* seconds a console read may block */
};

#define FT_DEFAULT_DEVICE_TIMEOUT 60

struct ft_ca_role {
	int present;
	struct secure_ca ca;
	char cert_sha256[65];
};

struct ft_host {
	const struct ft_opts *o;
	struct ts_prov_registry *reg;
	const struct ts_prov_sku *sku;
	const json_t *orch; /* borrowed from the SKU */
	json_t *consts;
	uint8_t expect[TS_FT_MEASURED][32];
	uint8_t was[32];
	struct hsm_target t;
	struct hsm_transcript tr;
	struct hsm_session *s;
	struct ft_ca_role dice, ext;
	struct ts_prov_exts exts;
	unsigned version;
	pid_t child;
	FILE *to, *from;
	struct ts_perso_blob in, back;
	struct ts_perso_parsed pin, pback;
	uint8_t hash[32];
	char device_id[65];
	char self_hash[65];
	json_t *trace;
	json_t *certs;
	struct ts_buf uds_der;
	struct ts_buf extra_hash; /* what host extensions add to the certificate hash */
};

/* Appends a step name to the run's trace (kept in the record or the failure report). */
/* Arms the device timeout before a wait on the console. */
void ft_deadline_arm(const struct ft_host *h);

/* True once the armed timeout has passed. */
int ft_timed_out(void);

/* Disarms it; r, or the timeout error (naming what) when the wait ran out of time. */
TS_RESULT ft_deadline_check(const struct ft_host *h, ts_result r, const char *what);

static inline void
ft_event(struct ft_host *h, const char *what)
{
	json_array_append_new(h->trace, json_string(what));
}

/* Starts cmd (a shell command) as the device; with_stdin connects its stdin too. */
TS_RESULT ft_spawn(struct ft_host *h, const char *cmd, int with_stdin);

/* Closes the console and waits for the device; what names it in messages. */
TS_RESULT ft_reap(struct ft_host *h, const char *what);

/* Step 3: the RMA token hash to the device. */
TS_RESULT ft_send_token(struct ft_host *h);

/* Step 3: the certificate generation inputs. */
TS_RESULT ft_send_certgen(struct ft_host *h);

/* Step 4: the perso blob from the device, parsed and checked strictly (B5.4). */
TS_RESULT ft_receive_blob(struct ft_host *h);

/* Step 5: the WAS HMAC of the blob, before anything is signed. */
TS_RESULT ft_check_was(struct ft_host *h);

/* True for the names of the DICE certificates (UDS, CDI_0, CDI_1), which the dice CA endorses. */
int ft_dice_name(const char *n);

/* Step 6: every TBS inspected, then endorsed with the SKU's CA keys (B5.6). */
TS_RESULT ft_endorse_all(struct ft_host *h);

/* Step 8: the host extensions (ft_inject_certs_ext), and their result checked again. */
TS_RESULT ft_inject(struct ft_host *h);

/* Step 9: the blob back to the device, then its certificate hash compared. */
TS_RESULT ft_return_blob(struct ft_host *h);

/* Step 10: the certificate chains, with the dice CA as the only anchor. */
TS_RESULT ft_verify_chains(struct ft_host *h);

/* Step 11: first boot and ft_post_boot_ext. */
TS_RESULT ft_boot(struct ft_host *h);

/* Step 12: the device record and its index line. */
TS_RESULT ft_write_record(struct ft_host *h);

/* The failure report (no secrets) when a run fails; msg is the error message. */
void ft_write_failure(struct ft_host *h, const char *msg);

#endif
