#!/usr/bin/env bash
# Devices personalized per second: `tapeseal-secure personalize` (SoftHSM2 CA
# keys) driving `tapeseal-simdev`, whole flow and both processes, including
# the first boot and the record; cp + individualize are timed separately.
# Usage: bench/bench_ft.sh [DEVICES] [SKU_KIND]   SKU_KIND: plain (default) or ext (the example extension)
# Needs a build with -DTAPESEAL_SECURE=ON (e.g. .ci/demo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
devices=${1:-50}
kind=${2:-plain}
B=${TAPESEAL_BUILD:-$root/build}
S=$B/secure/tapeseal-secure
D=$B/simdev/tapeseal-simdev
T=$B/public/tapeseal
[ -x "$S" ] && [ -x "$D" ] || { echo "build both halves first (-DTAPESEAL_SECURE=ON)" >&2; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
chmod 755 "$w"
mkdir -p "$w/tokens" "$w/ext/ca" "$w/ext/skus" "$w/ext/fw" "$w/ext/lib"
chmod 755 "$w/ext" "$w/ext/lib"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$w" > "$w/softhsm2.conf"
export SOFTHSM2_CONF=$w/softhsm2.conf
softhsm2-util --init-token --free --label prov --so-pin 87654321 --pin 12345678 >/dev/null
(umask 077 && printf '12345678\n' > "$w/pin")
Q="?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$w/pin"
"$S" ca init --hsm "pkcs11:token=prov;object=b-dice$Q" --role dice --subject "CN=bench dice" --out "$w/ext/ca/dice_ca.pem" >/dev/null
"$S" ca init --hsm "pkcs11:token=prov;object=b-ext$Q" --role ext --subject "CN=bench ext" --out "$w/ext/ca/ext_ca.pem" >/dev/null
echo r > "$w/ext/fw/rom_ext.bin"
echo o > "$w/ext/fw/owner_fw.bin"
libs='[]'
[ "$kind" = ext ] && libs='[ "builtin:example" ]'
cat > "$w/ext/skus/b.hjson" <<HJSON
{ name: "b", target_lc_state: "prod", otp: "dm00", owner_fw_boot_str: "bench owner", blob_version: 1,
  dice_ca: { certificate: "ca/dice_ca.pem", key_type: "Token", key: "b-dice" },
  ext_ca: { certificate: "ca/ext_ca.pem", key_type: "Token", key: "b-ext" } }
HJSON
cat > "$w/ext/cfg.hjson" <<HJSON
{ schema: "tapeseal-prov-ext/1", EXT_OTP_CFGS: {}, EXT_EXEC_ENVS: {}
  EXT_SKUS: { b: { otp: "dm00", ca_data: "ca", dice_format: "x509", host_ext_libs: $libs, device_ext_libs: $libs,
    rom_ext: "fw/rom_ext.bin", owner_fw: "fw/owner_fw.bin", ecdsa_key: {}, spx_key: {}, signature_prefix: "",
    orchestrator_cfg: "skus/b.hjson" } } }
HJSON
export PROV_EXTS_DIR=$w/ext
"$T" otp-consts --sku b > "$w/consts.json"
printf '%064x\n' 1 > "$w/was"
now() { date +%s.%N; }
t0=$(now)
for i in $(seq "$devices"); do
	"$D" --state "$w/d$i" --sku b --was "$w/was" cp >/dev/null
	"$D" --state "$w/d$i" --sku b --consts "$w/consts.json" --ft-device-id "$(printf '%032x' "$i")" individualize >/dev/null
done
t1=$(now)
for i in $(seq "$devices"); do
	"$S" personalize --sku b --hsm "pkcs11:token=prov$Q" --was "$w/was" --record-dir "$w/rec" \
		--device-cmd "$D --state $w/d$i --sku b --consts $w/consts.json personalize" \
		--boot-cmd "$D --state $w/d$i --sku b boot" >/dev/null
done
t2=$(now)
awk -v n="$devices" -v a="$t0" -v b="$t1" -v c="$t2" -v k="$kind" 'BEGIN {
	printf "devices: %d (SKU %s, blob v1, SoftHSM2)\n", n, k
	printf "cp + individualize: %.1f ms per device\n", (b - a) * 1000 / n
	printf "personalize (token hash, 3+ certificates, HSM endorsement, hash, chains, boot, record): %.1f ms per device, %.1f devices/s\n", (c - b) * 1000 / n, n / (c - b)
}'
[ "$(find "$w/rec" -name '*.json' ! -name '*.failed.json' | wc -l)" -eq "$devices" ] || { echo "bench: not every device was recorded" >&2; exit 1; }
