#!/usr/bin/env bash
# Times `tapeseal generate` and `verify` on OpenTitan's earlgrey reference: whole process, many
# runs, medians in milliseconds and the ratio to `tapeseal --version` timed in the same runs.
# Prints numbers; asserts nothing.  (Targets, issue 'speed': verify and up-to-date generate
# <= 2.5x --version, new-outdir generate <= 3.5x.)
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

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e3 }'; }

# time_pair NAME SETUP CMD...: each run times `tapeseal --version` and then CMD (SETUP before it,
# untimed), so both medians come from the same stretch of the machine's time; prints both and the
# ratio of the medians (bash's clock, no fork per sample).
time_pair() {
	local name=$1 setup=$2 s e; shift 2
	: > "$tmp/a"
	: > "$tmp/b"
	for _ in $(seq 10); do eval "$setup"; "$@" >/dev/null; done
	for _ in $(seq "$runs"); do
		s=${EPOCHREALTIME/./}; "$T" --version >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s)) >> "$tmp/b"
		eval "$setup"
		s=${EPOCHREALTIME/./}; "$@" >/dev/null; e=${EPOCHREALTIME/./}
		echo $((10#$e - 10#$s)) >> "$tmp/a"
	done
	local a b
	a=$(median < "$tmp/a")
	b=$(median < "$tmp/b")
	awk -v n="$name" -v a="$a" -v b="$b" -v r="$runs" \
		'BEGIN { printf "%-42s runs %4d  median %6.2f ms  --version %5.2f ms  ratio %5.2f\n", n, r, a, b, a / b }'
}

time_pair "generate (new outdir: 6 files)" 'rm -rf "$tmp/out"' "$T" generate "${args[@]}" --outdir "$tmp/out"
time_pair "generate (outdir already up to date)" ':' "$T" generate "${args[@]}" --outdir "$tmp/out"
time_pair "verify" ':' "$T" verify "${args[@]}" --outdir "$tmp/out"
