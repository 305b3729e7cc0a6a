#!/usr/bin/env bash
# Times `tapeseal generate` on OpenTitan's earlgrey reference: whole process,
# many runs, median and spread in milliseconds.  Prints numbers; asserts nothing.
# Usage: bench/bench_generate.sh [RUNS]   (needs a built ./build/public/tapeseal)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
T=${TAPESEAL:-$root/build/public/tapeseal}
ref=${TAPESEAL_REFERENCE:-$root/../shared/reference}/opentitan/top_earlgrey
runs=${1:-200}
[ -x "$T" ] || { echo "build first: $T not found" >&2; exit 1; }
[ -d "$ref" ] || { echo "reference not found: $ref (set TAPESEAL_REFERENCE)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--structure "$ref/top_earlgrey.secrets.testing.gen.hjson" --seeds "$ref/top_earlgrey_seed.testing.hjson"
	--lc-state "$ref/lc_ctrl_state.hjson")

stats() { # NAME: reads microseconds, one per line
	sort -n | awk -v name="$1" '{ a[NR] = $1 } END {
		printf "%-40s runs %4d  median %6.2f ms  p10 %6.2f ms  p90 %6.2f ms\n", name, NR,
			a[int((NR + 1) / 2)] / 1e3, a[int(NR * 0.1) + 1] / 1e3, a[int(NR * 0.9)] / 1e3 }'
}

time_runs() { # NAME SETUP CMD...: SETUP runs before each timed CMD (bash's clock, no fork per sample)
	local name=$1 setup=$2 s e; shift 2
	for _ in $(seq 10); do eval "$setup"; "$@" >/dev/null; done
	for _ in $(seq "$runs"); do
		eval "$setup"
		s=${EPOCHREALTIME/./}; "$@" >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s))
	done | stats "$name"
}

time_runs "generate (new outdir: 6 files, 13 fsyncs)" 'rm -rf "$tmp/out"' "$T" generate "${args[@]}" --outdir "$tmp/out"
time_runs "generate (outdir already up to date)" ':' "$T" generate "${args[@]}" --outdir "$tmp/out"
time_runs "verify" ':' "$T" verify "${args[@]}" --outdir "$tmp/out"
time_runs "process start only (--version)" ':' "$T" --version
