#!/usr/bin/env bash
# FT personalization end to end (spec/provisioning.md B8): tapeseal-secure
# personalize against tapeseal-simdev, CA keys in a fresh SoftHSM2 token per
# case, a downstream PROV_EXTS_DIR built here.
# Usage: test_ft.sh BUILD_DIR SOURCE_DIR
B=$1
SRC=$2
. "$SRC/tests/cli/lib.sh"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
if ! command -v softhsm2-util >/dev/null || [ ! -f "$SOFTHSM" ] || ! command -v openssl >/dev/null; then
	if [ "${CI:-}" = true ]; then echo "ft: FAILED: SoftHSM2 and openssl are required when CI=true" >&2; exit 1; fi
	echo "ft: SKIPPED: needs SoftHSM2 and the openssl command (Debian packages softhsm2, openssl)" >&2
	exit 77
fi
S=$B/secure/tapeseal-secure
T=$B/public/tapeseal
D=$B/simdev/tapeseal-simdev
SHIM=$B/tests/ts_pkcs11_shim.so
tmp=$(mktemp -d)
chmod 755 "$tmp"
unset PROV_EXTS_DIR TAPESEAL_PROV_REGISTRY TS_HOOK_LOG
n=0
WAS_HEX=5a5a5a5a5a5a5a5a00112233445566778899aabbccddeeff0123456789abcdef
SEED=$(printf '%064x' 4242)

# A downstream directory: OTP configuration ac00 (the demo top's files), SKUs, orchestrator configs.
E=$tmp/ext
mkdir -p "$E/lib" "$E/otp" "$E/skus" "$E/ca/acme" "$E/fw"
chmod 755 "$E" "$E/lib"
cp "$SRC"/policies/prov/otp/*.hjson "$E/otp/"
cp "$B"/tests/ext_a.so "$B"/tests/ext_b.so "$B"/tests/ext_fail.so "$B"/common/tapeseal_prov_ext_default.so "$E/lib/"
chmod 644 "$E"/lib/*.so
echo "acme rom_ext" > "$E/fw/rom_ext.bin"
echo "acme owner firmware" > "$E/fw/owner_fw.bin"
orch() { # NAME BLOB_VERSION [EXTRA]
	cat > "$E/skus/$1.hjson" <<EOF
{ name: "$1", product: "acme", target_lc_state: "prod", otp: "ac00",
  dice_ca: { certificate: "ca/acme/dice_ca.pem", key_type: "Token", key: "acme-dice-ca" },
  ext_ca: { certificate: "ca/acme/ext_ca.pem", key_type: "Token", key: "acme-ext-ca" },
  owner_fw_boot_str: "acme owner firmware", blob_version: $2 ${3:-} }
EOF
}
sku() { # NAME HOST_LIBS DEVICE_LIBS [ORCH]
	printf '    %s: { otp: "ac00", ca_data: "ca/acme", dice_format: "x509", host_ext_libs: %s, device_ext_libs: %s,\n      rom_ext: "fw/rom_ext.bin", owner_fw: "fw/owner_fw.bin", ecdsa_key: {}, spx_key: {}, signature_prefix: "",\n      orchestrator_cfg: "skus/%s.hjson" }\n' "$1" "$2" "$3" "${4:-$1}"
}
write_cfg() { # EXTRA_SKU_LINES
	{
		echo '{ schema: "tapeseal-prov-ext/1"'
		echo '  EXT_OTP_CFGS: { ac00: { mmap: "otp/top_demo_otp_mmap.hjson", lc_state: "otp/top_demo_lc_ctrl_state.hjson",'
		echo '    base: "otp/dm00_baseline.hjson", overlays: [ "otp/dm00_creator_sw_cfg.hjson", "otp/dm00_owner_sw_cfg.hjson" ] } }'
		echo '  EXT_SKUS: {'
		sku acme '[]' '[]'
		sku acme_v1 '[]' '[]'
		sku acme_ext '[ "builtin:example" ]' '[ "builtin:example" ]' acme
		sku acme_hooks '[ "@exts/lib/ext_a.so" ]' '[ "@exts/lib/ext_a.so", "@exts/lib/ext_b.so" ]' acme
		sku acme_inject '[ "@exts/lib/ext_a.so" ]' '[ "@exts/lib/ext_a.so" ]' acme_v1
		sku acme_noop '[ "@exts/lib/tapeseal_prov_ext_default.so" ]' '[ "@exts/lib/tapeseal_prov_ext_default.so" ]' acme
		sku acme_devfail '[]' '[ "@exts/lib/ext_fail.so" ]' acme
		sku acme_hostfail '[ "@exts/lib/ext_fail.so" ]' '[]' acme
		sku acme_raw '[]' '[]'
		sku acme_keyid '[]' '[]'
		echo "$1"
		echo '  }'
		echo '  EXT_EXEC_ENVS: { acme_env: { rom_ext_version: "1.2.3", owner_fw_boot_str: "acme owner firmware", lc_state: "PROD", fault: "none" } }'
		echo '}'
	} > "$E/cfg.hjson"
}
orch acme 0
orch acme_v1 1
sed 's/key_type: "Token", key: "acme-dice-ca"/key_type: "Raw", key: "dice.der"/' "$E/skus/acme.hjson" > "$E/skus/acme_raw.hjson"
sed 's/key: "acme-dice-ca"/key: "acme-dice-ca", key_id: "0x0000000000000000000000000000000000000000"/' "$E/skus/acme.hjson" > "$E/skus/acme_keyid.hjson"
write_cfg ""
export PROV_EXTS_DIR=$E
printf '%s\n' "$WAS_HEX" > "$tmp/was"
run_cmd 0 "$T" prov show acme_hooks

# new_token: a fresh SoftHSM2 token "prov" holding the two CAs; their certificates go into the SKUs' ca dir.
new_token() {
	n=$((n + 1))
	local d=$tmp/hsm$n
	mkdir -p "$d/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nobjectstore.umask = 0077\nslots.mechanisms = ALL\nlog.level = ERROR\n' "$d" > "$d/softhsm2.conf"
	export SOFTHSM2_CONF=$d/softhsm2.conf
	softhsm2-util --init-token --free --label prov --so-pin 87654321 --pin 12345678 >/dev/null || exit 1
	PIN=$d/pin
	printf '12345678\n' > "$PIN"
	chmod 600 "$PIN"
	Q="?module-path=$SOFTHSM&pin-source=file:$PIN"
	rm -f "$E"/ca/acme/*.pem
	"$S" ca init --hsm "pkcs11:token=prov;object=acme-dice-ca$Q" --role dice --subject "CN=Acme DICE CA,O=Acme" \
		--out "$E/ca/acme/dice_ca.pem" >/dev/null || bad "ca init dice"
	"$S" ca init --hsm "pkcs11:token=prov;object=acme-ext-ca$Q" --role ext --subject "CN=Acme ext CA,O=Acme" \
		--out "$E/ca/acme/ext_ca.pem" >/dev/null || bad "ca init ext"
	chmod 644 "$E"/ca/acme/*.pem
}

# device NAME SKU [INDIVIDUALIZE_FAULT]: cp and individualize a simulated device in $tmp/NAME.
device() {
	DEV=$tmp/$1
	"$T" otp-consts --sku "$2" > "$tmp/$2.consts.json" || bad "otp-consts $2"
	"$D" --state "$DEV" --sku "$2" --seed "$SEED" --was "$tmp/was" cp >/dev/null || bad "cp $1"
	"$D" --state "$DEV" --sku "$2" --consts "$tmp/$2.consts.json" --ft-device-id 00112233445566778899aabbccddeeff \
		${3:+--fault $3} individualize >/dev/null || bad "individualize $1"
}
# perso WANT_RC SKU [DEVICE_FAULT] [HOST OPTIONS...]: personalizes $DEV.
perso() {
	local want=$1 sku=$2 fault=$3
	shift 3
	run_cmd "$want" "$S" personalize --sku "$sku" --hsm "pkcs11:token=prov${MQ:-$Q}" --was "$tmp/was" \
		--record-dir "$tmp/rec" \
		--device-cmd "$D --state $DEV --sku $sku --consts $tmp/$sku.consts.json ${fault:+--fault $fault} personalize" \
		--boot-cmd "$D --state $DEV --sku $sku boot" "$@"
}
records() { find "$tmp/rec" -name '*.json' ! -name '*.failed.json' 2>/dev/null | wc -l; }
# The record is written with sorted keys, so each certificate reads "bytes", "format", "name" in that order.
b64cert() { # RECORD NAME OUT.pem
	awk -v want="$2" -F'"' '$2 == "bytes" { b = $4 } $2 == "name" && $4 == want { print b; exit }' "$1" |
		base64 -d | openssl x509 -inform DER -out "$3"
}
ext_hex() { openssl x509 -in "$1" -noout -ext "$2" | tail -1 | tr -d ' :' | tr A-F a-f; }

# --- B8.2 happy path, both blob versions
for v in 0 1; do
	new_token
	rm -rf "$tmp/rec"
	s=acme; [ $v = 1 ] && s=acme_v1
	device "dev$v" "$s"
	perso 0 "$s" "" && has "$out" "personalized " && has "$out" "blob v$v"
	rec=$(find "$tmp/rec" -name '*.json' ! -name index.jsonl | head -1)
	check "v$v: record 0600" test "$(stat -c %a "$rec")" = 600
	check "v$v: index line" test "$(wc -l < "$tmp/rec/index.jsonl")" = 1
	b64cert "$rec" UDS "$tmp/uds.pem" && b64cert "$rec" CDI_0 "$tmp/cdi0.pem" && b64cert "$rec" CDI_1 "$tmp/cdi1.pem"
	cat "$tmp/uds.pem" "$tmp/cdi0.pem" > "$tmp/uds_cdi0.pem"
	check "v$v: chain verifies with -ignore_critical" openssl verify -ignore_critical -CAfile "$E/ca/acme/dice_ca.pem" \
		-untrusted "$tmp/uds_cdi0.pem" "$tmp/cdi1.pem"
	vout=$(openssl verify -CAfile "$E/ca/acme/dice_ca.pem" -untrusted "$tmp/uds_cdi0.pem" "$tmp/cdi1.pem" 2>&1)
	has "$vout" "error 34" && has "$vout" "unhandled critical extension"
	ca_ski=$(ext_hex "$E/ca/acme/dice_ca.pem" subjectKeyIdentifier)
	check "v$v: UDS AKI = CA SKI" test "$(ext_hex "$tmp/uds.pem" authorityKeyIdentifier)" = "$ca_ski"
	check "v$v: CDI_0 AKI = UDS SKI" test "$(ext_hex "$tmp/cdi0.pem" authorityKeyIdentifier)" = "$(ext_hex "$tmp/uds.pem" subjectKeyIdentifier)"
	check "v$v: CDI_1 AKI = CDI_0 SKI" test "$(ext_hex "$tmp/cdi1.pem" authorityKeyIdentifier)" = "$(ext_hex "$tmp/cdi0.pem" subjectKeyIdentifier)"
	uds_ski=$(ext_hex "$tmp/uds.pem" subjectKeyIdentifier)
	serial=$(openssl x509 -in "$tmp/uds.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
	top=$(printf '%x' $((0x${uds_ski:0:2} | 0x80)))
	check "v$v: serial = key ID with its top bit set" test "$serial" = "$top${uds_ski:2}"
	# The record's dice_uds is the UDS certificate stored in the FACTORY page.
	awk -F'"' '$2 == "dice_uds" { print $4; exit }' "$rec" | base64 -d > "$tmp/uds.der"
	off=$((v == 0 ? 7 : 8 + 8 + 3))
	dd if="$DEV/nvm/page_9.bin" of="$tmp/nvm_uds.der" bs=1 skip=$off count="$(stat -c %s "$tmp/uds.der")" 2>/dev/null
	check "v$v: dice_uds = the NVM UDS" cmp "$tmp/uds.der" "$tmp/nvm_uds.der"
	check "v$v: no WAS in the record" sh -c "! grep -q '$WAS_HEX' '$rec'"
	check "v$v: no PIN in the record" sh -c "! grep -q 12345678 '$rec'"
	check "v$v: no device seed in the record" sh -c "! grep -q '$SEED' '$rec'"
	run_cmd 0 "$D" --state "$DEV" --sku "$s" --exec-env acme_env boot && has "$out" "ROM_EXT:1.2.3" && has "$out" "acme owner firmware"
	cp "$tmp/uds.pem" "$tmp/uds_v$v.pem"
done
# A fixed --seed gives the same device keys and TBS fields; the signatures differ (ECDSA is randomized).
check "same seed, same UDS key" test "$(openssl x509 -in "$tmp/uds_v0.pem" -noout -pubkey)" = "$(openssl x509 -in "$tmp/uds_v1.pem" -noout -pubkey)"
check "same seed, same serial" test "$(openssl x509 -in "$tmp/uds_v0.pem" -noout -serial)" = "$(openssl x509 -in "$tmp/uds_v1.pem" -noout -serial)"

# --- B8.3 an extension SKU: the example's EXAMPLE certificate, endorsed by the ext CA, in the Ext0 page
new_token
rm -rf "$tmp/rec"
device devx acme_ext
perso 0 acme_ext ""
rec=$(find "$tmp/rec" -name '*.json' ! -name index.jsonl | head -1)
b64cert "$rec" EXAMPLE "$tmp/example.pem" || bad "EXAMPLE in the record"
check "EXAMPLE verifies against the ext CA" openssl verify -CAfile "$E/ca/acme/ext_ca.pem" "$tmp/example.pem"
check "EXAMPLE does not verify against the dice CA" sh -c "! openssl verify -CAfile '$E/ca/acme/dice_ca.pem' '$tmp/example.pem' >/dev/null 2>&1"
check "EXAMPLE is in the Ext0 page" sh -c "grep -q EXAMPLE '$DEV/nvm/page_30.bin'"
run_cmd 0 "$D" --state "$DEV" --sku acme_ext boot && has "$out" "Ext cert EXAMPLE present"

# A host extension endorses a TBS the device extension offered and injects the certificate: it is
# stored in the Ext1 page, verifies against the ext CA, is in the record, and the hashes agree.
new_token
rm -rf "$tmp/rec"
device devi acme_inject
TS_TEST_INJECT=cert perso 0 acme_inject ""
rec=$(find "$tmp/rec" -name '*.json' ! -name index.jsonl | head -1)
b64cert "$rec" INJ "$tmp/inj.pem" || bad "INJ in the record"
check "INJ verifies against the ext CA" openssl verify -CAfile "$E/ca/acme/ext_ca.pem" "$tmp/inj.pem"
check "INJ is in the Ext1 page" sh -c "grep -q INJ '$DEV/nvm/page_31.bin'"
run_cmd 0 "$D" --state "$DEV" --sku acme_inject boot && has "$out" "Ext cert INJ present"
# ... and one that moves UDS from the front is refused.
new_token
rm -rf "$tmp/rec"
device devr acme_inject
TS_TEST_INJECT=reorder perso 1 acme_inject "" && has "$err" "after the host extensions the UDS certificate is not first"
check "reorder: no record" test "$(records)" = 0

# --- B8.4 hook order across the two processes, and a library without hooks
new_token
device devh acme_hooks
rm -rf "$tmp/rec"
export TS_HOOK_LOG=$tmp/hooks.log
rm -f "$TS_HOOK_LOG"
perso 0 acme_hooks ""
unset TS_HOOK_LOG
want=$(printf 'host.init a\ndev.init a\ndev.init b\ndev.pre a\ndev.pre b\nhost.inject a\ndev.post a\ndev.post b\nhost.post_boot a')
check "hook order: $(tr '\n' ',' < "$tmp/hooks.log")" test "$(cat "$tmp/hooks.log")" = "$want"
device devn acme_noop
perso 1 acme_noop "" && has "$err" "exists: this device already has a record" # same seed and FT ID: same device ID
check "a refused duplicate leaves one record" test "$(records)" = 1
rm -rf "$tmp/rec" "$tmp/devn2"
DEV=$tmp/devn2
"$D" --state "$DEV" --sku acme_noop --seed "$(printf '%064x' 77)" --was "$tmp/was" cp >/dev/null && "$D" --state "$DEV" --sku acme_noop \
	--consts "$tmp/acme_noop.consts.json" --ft-device-id 00112233445566778899aabbccddeeff individualize >/dev/null
perso 0 acme_noop ""

# --- B8.6 refusals: non-zero exit, no record, a failure report without secrets, and no signature where it matters
export TS_SHIM_REAL=$SOFTHSM TS_SHIM_SIGN_COUNT_FILE=$tmp/signs
refuse_ft() { # NAME SKU DEVICE_FAULT NEEDLE [ZERO_SIGN]
	new_token
	MQ="?module-path=$SHIM&pin-source=file:$PIN"
	rm -rf "$tmp/rec" "$tmp/signs"
	device "dev_$1" "$2"
	perso 1 "$2" "$3" && has "$err" "$4"
	check "$1: no record" test "$(records)" = 0
	check "$1: failure report" test -n "$(find "$tmp/rec" -name '*.failed.json')"
	check "$1: no WAS in the report" sh -c "! grep -rq '$WAS_HEX' '$tmp/rec'"
	if [ -n "${5:-}" ]; then check "$1: zero C_Sign" test "$(cat "$tmp/signs")" = 0; fi
}
refuse_ft tamper-tbs acme tamper-tbs "WAS HMAC over the device's TBS certificates does not match" zero
refuse_ft wrong-issuer acme wrong-issuer "issuer DN is not the subject of CA 'acme-dice-ca'" zero
refuse_ft bad-count acme bad-count "num_objs differs from the objects found" zero
refuse_ft v0-in-v1 acme_v1 v0-obj-in-v1 "V0 header in a V1 blob" zero
refuse_ft name16 acme_v1 name16 "cert name length not 1..15" zero
refuse_ft corrupt-nvm acme corrupt-nvm "certificate hash differs"
refuse_ft wrong-version acme_v1 wrong-version "blob version is not the one requested" zero
refuse_ft device-hook-fail acme_devfail "" "waiting for"
refuse_ft host-hook-fail acme_hostfail "" "ext_fail.so"
# One OTP value programmed differently from the registry: the UDS measurement disagrees (B8.7).
new_token
MQ="?module-path=$SHIM&pin-source=file:$PIN"
rm -rf "$tmp/rec" "$tmp/signs"
device dev_otp acme otp-value
perso 1 acme "" && has "$err" "DiceTcbInfo measurements are not those the SKU's OTP configuration gives"
check "otp-value: zero C_Sign" test "$(cat "$tmp/signs")" = 0
unset TS_SHIM_SIGN_COUNT_FILE TS_SHIM_REAL MQ
# A device personalized once refuses a second time (SECRET2 is locked), and its record stays.
new_token
rm -rf "$tmp/rec"
device dev_twice acme
perso 0 acme ""
perso 1 acme "" && has "$err" "waiting for"
check "re-personalize: the record stays alone" test "$(records)" = 1
# SKU-level refusals before any device is involved.
perso 1 demo_dice_cwt "" && has "$err" "uses CWT certificates, which are not supported"
perso 1 acme_raw "" && has "$err" "dice_ca.key_type is Raw; only keys inside the HSM (Token) endorse here"
perso 1 acme_keyid "" && has "$err" "dice_ca.key_id 0x0000000000000000000000000000000000000000 is not the CA certificate's key identifier"
cp "$E/ca/acme/dice_ca.pem" "$tmp/dice_keep.pem" && cp "$E/ca/acme/ext_ca.pem" "$E/ca/acme/dice_ca.pem"
perso 1 acme "" && has "$err" "is not the certificate of CA key 'acme-dice-ca' on the token"
cp "$tmp/dice_keep.pem" "$E/ca/acme/dice_ca.pem"
chmod o+w "$E/lib/ext_a.so"
perso 1 acme_hooks "" && has "$err" "is writable by group or others"
chmod o-w "$E/lib/ext_a.so"
write_cfg "$(sku demo '[]' '[]' acme)"
perso 1 acme "" && has "$err" "the provisioning registry has problems"
write_cfg ""

# --- a device that stops answering, or answers garbage, fails within --device-timeout, no record
new_token
rm -rf "$tmp/rec"
device devt acme
t0=$SECONDS
perso 1 acme "" --device-cmd "sleep 30" --device-timeout 1
has "$err" "the device did not answer within 1 s while waiting for" && one_line "$err"
check "a silent device fails after the timeout, not at its leisure" test $((SECONDS - t0)) -lt 10
check "no record for a silent device" test "$(records)" -eq 0
perso 1 acme "" --device-cmd "yes garbage" --device-timeout 1 && has "$err" "did not answer within 1 s"
perso 1 acme "" --device-cmd "head -c 300000 /dev/zero | tr '\\0' x" && has "$err" "a console line is longer than"
check "no record for a garbage device" test "$(records)" -eq 0
run_cmd 2 "$S" personalize --sku acme --hsm x --device-cmd x --was x --record-dir x --device-timeout 0 &&
	has "$err" "--device-timeout is 1 to 3600 seconds"
# The same device, answering, is personalized as usual; no freed heap block of the host keeps the
# WAS (an LD_PRELOAD free() scans each block; not in sanitizer builds, which have their own free).
rm -f "$tmp/hits"
LD_PRELOAD=$B/tests/ts_free_scan.so TS_FREE_ONLY=tapeseal-secure TS_FREE_NEEDLES=$(cat "$tmp/was") TS_FREE_HITS=$tmp/hits \
	perso 0 acme "" &&
	has "$out" "personalized "
read -r was_hits was_scanned < "$tmp/hits" 2>/dev/null || was_scanned=0
if [ "${was_scanned:-0}" -gt 0 ]; then
	check "no freed block holds the WAS ($was_hits of $was_scanned)" test "$was_hits" -eq 0
else
	echo "ft_flow: NOTICE: this build has its own free() (sanitizers); the freed-memory scan is skipped" >&2
fi
# valgrind memcheck of a personalization (host side; the device is the simulator).
if memcheck "$S"; then
	rm -rf "$tmp/rec"
	device devvg acme
	perso_vg() {
		vg "$1" "$S" personalize --sku acme --hsm "pkcs11:token=prov$Q" --was "$tmp/was" --record-dir "$tmp/rec" \
			--device-cmd "$D --state $DEV --sku acme --consts $tmp/acme.consts.json personalize" \
			--boot-cmd "$D --state $DEV --sku acme boot"
	}
	perso_vg 0 && has "$out" "personalized "
fi
run_cmd 2 "$S" personalize --sku acme && has "$err" "are required"
run_cmd 0 "$S" personalize --help && has "$out" "--device-cmd CMD"
finish
