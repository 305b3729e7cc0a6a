#!/usr/bin/env bash
# Times `tapeseal otp-image` on OpenTitan's earlgrey inputs: one dev image
# (dev + creator_sw_cfg + owner_sw_cfg + hw_cfg), whole process, and the ten
# dvsim-style images as one batch call.  Prints medians; asserts nothing.
# (OpenTitan's Python gen-otp-img takes about 0.65 s per image on this machine.)
# Usage: bench/bench_otp.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
T=${TAPESEAL:-$root/build/public/tapeseal}
ref=${TAPESEAL_REFERENCE:-$root/../shared/reference}/opentitan
runs=${1:-200}
[ -x "$T" ] || { echo "build first: $T not found" >&2; exit 1; }
[ -d "$ref/otp" ] || { echo "reference not found: $ref" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
I=$ref/otp/inputs/img_cfg
base=(--mmap "$ref/top_earlgrey/otp_ctrl_mmap.hjson" --secrets "$ref/top_earlgrey/top_earlgrey.secrets.testing.gen.hjson"
	--lc-state "$ref/top_earlgrey/lc_ctrl_state.hjson")
dev=(--img-cfg "$I/otp_ctrl_img_dev.hjson" --add-cfg "$I/otp_ctrl_img_creator_sw_cfg.hjson"
	--add-cfg "$I/otp_ctrl_img_owner_sw_cfg.hjson" --add-cfg "$I/otp_ctrl_img_hw_cfg.hjson")
{
	echo "{ images: ["
	echo "  { img_cfg: \"$I/otp_ctrl_img_raw.hjson\", out: \"raw.BITWIDTH.vmem\" }"
	for s in test_unlocked0 test_unlocked1 test_unlocked2 test_locked0 test_locked1; do
		echo "  { img_cfg: \"$I/otp_ctrl_img_$s.hjson\", add_cfg: [\"$I/otp_ctrl_img_hw_cfg.hjson\"], out: \"$s.BITWIDTH.vmem\" }"
	done
	for s in dev prod rma; do
		echo "  { img_cfg: \"$I/otp_ctrl_img_$s.hjson\", add_cfg: [\"$I/otp_ctrl_img_creator_sw_cfg.hjson\","
		echo "    \"$I/otp_ctrl_img_owner_sw_cfg.hjson\", \"$I/otp_ctrl_img_hw_cfg.hjson\"], out: \"$s.BITWIDTH.vmem\" }"
	done
	echo "  { img_cfg: \"$I/otp_ctrl_img_dev.hjson\", add_cfg: [\"$I/otp_ctrl_img_creator_sw_cfg.hjson\","
	echo "    \"$I/otp_ctrl_img_owner_sw_cfg.hjson\", \"$I/otp_ctrl_img_hw_cfg.hjson\"], data_perm: \"[15:0],[23:16]\","
	echo "    out: \"dev_dataperm.BITWIDTH.vmem\" }"
	echo "] }"
} > "$tmp/batch.hjson"

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e3 }'; }
# time_pair SETUP CMD...: each run times `tapeseal --version`, then CMD (SETUP before it, untimed);
# prints "CMD_MEDIAN VERSION_MEDIAN" in milliseconds (bash's clock, no fork per sample).
time_pair() {
	local setup=$1 s e; shift
	: > "$tmp/a"
	: > "$tmp/b"
	for _ in $(seq "$runs"); do
		s=${EPOCHREALTIME/./}; "$T" --version >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s)) >> "$tmp/b"
		eval "$setup"
		s=${EPOCHREALTIME/./}; "$@" >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s)) >> "$tmp/a"
	done
	echo "$(median < "$tmp/a") $(median < "$tmp/b")"
}
read -r one v1 < <(time_pair 'rm -f "$tmp/dev.24.vmem"' "$T" otp-image "${base[@]}" "${dev[@]}" --out "$tmp/dev.BITWIDTH.vmem")
read -r ten v2 < <(time_pair 'rm -f "$tmp"/*.vmem' "$T" otp-image "${base[@]}" --batch "$tmp/batch.hjson")
awk -v t="$one" -v v="$v1" -v r="$runs" 'BEGIN { printf "earlgrey dev image, new file each run (%d runs): median %.2f ms  --version %.2f ms  ratio %.2f  (gen-otp-img ~650 ms: %.0fx)\n", r, t, v, t / v, 650 / t }'
awk -v t="$ten" -v v="$v2" -v r="$runs" 'BEGIN { printf "ten dvsim images in one batch call (%d runs):  median %.2f ms  --version %.2f ms  (%.2f ms per image)\n", r, t, v, t / 10 }'
cmp -s "$tmp/dev.24.vmem" "$ref/otp/outputs/hjson_dev.24.vmem" && echo "dev image identical to OpenTitan's hjson_dev.24.vmem"
