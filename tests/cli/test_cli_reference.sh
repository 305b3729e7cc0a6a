#!/usr/bin/env bash
# `tapeseal verify` against OpenTitan's committed testing artifacts, laid out
# as in an OpenTitan checkout (hw/top_<t>/...), then `generate` into a copy.
# Usage: test_cli_reference.sh PATH_TO_TAPESEAL SOURCE_DIR
T=$1
SRC=$2
. "$SRC/tests/cli/lib.sh"
ref=${TAPESEAL_REFERENCE:-$SRC/../shared/reference}
if [ ! -d "$ref" ]; then
	if [ "${CI:-}" = true ]; then echo "cli_reference: FAILED: reference data not found (set TAPESEAL_REFERENCE); required when CI=true" >&2; exit 1; fi
	echo "cli_reference: SKIPPED: reference data not found; set TAPESEAL_REFERENCE to run it" >&2
	exit 77
fi
tmp=$(mktemp -d)
for t in earlgrey englishbreakfast; do
	R=$ref/opentitan/top_$t
	top=$tmp/hw/top_$t
	mkdir -p "$top/data/autogen" "$top/rtl/autogen/testing"
	cp "$R/top_$t.secrets.testing.gen.hjson" "$top/data/autogen/"
	cp "$R/top_${t}_seed.testing.hjson" "$top/data/"
	for f in "$R"/*.sv "$R"/*.vbl "$R"/*.core; do cp "$f" "$top/rtl/autogen/testing/"; done
	args=(--structure "$top/data/autogen/top_$t.secrets.testing.gen.hjson" --seeds "$top/data/top_${t}_seed.testing.hjson")
	[ $t = earlgrey ] && args+=(--lc-state "$R/lc_ctrl_state.hjson")
	run_cmd 0 "$T" verify "${args[@]}" --outdir "$top" && has "$out" "identical"
	n=$(find "$top/rtl" -type f | wc -l)
	has "$out" "($((n + 1)) of $((n + 1)) files identical)"
	# The default LC token list is OpenTitan's.
	run_cmd 0 "$T" verify --structure "$top/data/autogen/top_$t.secrets.testing.gen.hjson" \
		--seeds "$top/data/top_${t}_seed.testing.hjson" --outdir "$top"
	# Generating over the reference tree changes nothing.
	before=$(snap "$top")
	run_cmd 0 "$T" generate "${args[@]}" --outdir "$top" && has "$out" "unchanged"
	check "$t tree unchanged" test "$(snap "$top")" = "$before"
done
finish
