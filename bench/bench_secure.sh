#!/usr/bin/env bash
# Compares `tapeseal-secure generate` (SoftHSM2 token) with `tapeseal generate`
# on the same structure: whole process, same number of runs, each into a new
# output directory; prints medians and their ratio (target: within 2x).
# Usage: bench/bench_secure.sh [RUNS] [earlgrey|demo]   (needs a build with -DTAPESEAL_SECURE=ON)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-100}
which=${2:-earlgrey}
T=$root/build/public/tapeseal
S=$root/build/secure/tapeseal-secure
ref=${TAPESEAL_REFERENCE:-$root/../shared/reference}/opentitan/top_earlgrey
[ -x "$T" ] && [ -x "$S" ] || { echo "build both halves first (-DTAPESEAL_SECURE=ON)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$which" = earlgrey ]; then
	[ -d "$ref" ] || { echo "reference not found: $ref" >&2; exit 1; }
	structure=$ref/top_earlgrey.secrets.testing.gen.hjson
	seeds=$ref/top_earlgrey_seed.testing.hjson
	extra=(--lc-state "$ref/lc_ctrl_state.hjson")
	top=earlgrey
else
	structure=$root/seeds/top_demo.structure.hjson
	seeds=$root/seeds/top_demo_seed.testing.hjson
	extra=()
	top=demo
fi
mkdir "$tmp/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$tmp" > "$tmp/softhsm2.conf"
export SOFTHSM2_CONF=$tmp/softhsm2.conf
softhsm2-util --init-token --free --label bench --so-pin 87654321 --pin 12345678 >/dev/null
(umask 077 && printf '12345678\n' > "$tmp/pin")
URI="pkcs11:token=bench?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$tmp/pin"
"$S" master create --hsm "$URI" --top "$top" >/dev/null

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e3 }'; }
time_runs() { # CMD...: each run into a fresh output directory; prints microseconds per run
	local s e
	for i in $(seq "$runs"); do
		rm -rf "$tmp/out"
		s=${EPOCHREALTIME/./}; "$@" --outdir "$tmp/out" >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s))
	done
}
pub=$(time_runs "$T" generate --structure "$structure" --seeds "$seeds" "${extra[@]}" | median)
sec=$(time_runs "$S" generate --hsm "$URI" --structure "$structure" "${extra[@]}" | median)
echo "top_$top, $runs runs each, new output directory per run"
echo "tapeseal generate         median $pub ms"
echo "tapeseal-secure generate  median $sec ms (SoftHSM2)"
awk -v a="$sec" -v b="$pub" 'BEGIN { printf "ratio secure/public      %.2f (target <= 2)\n", a / b }'
