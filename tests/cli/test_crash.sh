#!/usr/bin/env bash
# Crash safety of `tapeseal generate`: a SIGKILL just before each of the run's file-system calls
# (an LD_PRELOAD shim counts them: writes, fsyncs, links, renames, unlinks, mkdirs, rmdirs), then
# the next command (verify) finishes the interrupted run.  The tree must be all old or all new,
# with no staging directory or temporary file left, for every kill point: over an existing tree
# with --force (every file changes) and into a new output directory.
# Usage: test_crash.sh PATH_TO_TAPESEAL SOURCE_DIR KILL_SHIM
T=$1
SRC=$2
KILL=$3
. "$SRC/tests/cli/lib.sh"
tmp=$(mktemp -d)
S=$SRC/seeds/top_demo.structure.hjson
OLD=$SRC/seeds/top_demo_seed.testing.hjson
NEW=$tmp/new.hjson
printf '{\n name: "testing"\n topgen_seed: %s\n otp_img_seed: %s\n lc_ctrl_seed: %s\n}\n' \
	97203995322643600517203190611828573698948228903100513646385220718788292551976 \
	88563153995414672317417514597194191191585318826417581958370023361471880972480 \
	101995681141389992758269705996325361657122986737596102689149028367492046367313 > "$NEW"
[ -f "$KILL" ] || { bad "the kill shim was not built ($KILL)"; finish; exit 1; }
if nm "$T" 2>/dev/null | grep -q '__asan_init'; then
	# The sanitizer runtime in the binary intercepts the calls before the shim could count them.
	echo "crash: SKIPPED: $T is a sanitizer build; the kill points are enumerated in the plain build" >&2
	exit 77
fi
leftovers() { find "$tmp/w" "$tmp/w/.." -maxdepth 8 \( -name '.out.tapeseal-*' -o -name '*.tmp.*' \) 2>/dev/null; }
state() { # all-old, all-new, absent or MIXED
	if [ ! -e "$tmp/w/out" ]; then echo absent; return; fi
	"$T" verify --structure "$S" --seeds "$OLD" --outdir "$tmp/w/out" >/dev/null 2>&1 && { echo old; return; }
	"$T" verify --structure "$S" --seeds "$NEW" --outdir "$tmp/w/out" >/dev/null 2>&1 && { echo new; return; }
	echo MIXED
}

# kill_each NAME SETUP: SETUP prepares $tmp/w; then a generate with the new seeds is killed at each point.
kill_each() {
	local name=$1 setup=$2 n k st clean=0 notes=0 seen=""
	rm -rf "$tmp/w" && mkdir "$tmp/w" && eval "$setup"
	rm -f "$tmp/count"
	TS_KILL_COUNT=$tmp/count LD_PRELOAD=$KILL "$T" generate --structure "$S" --seeds "$NEW" --outdir "$tmp/w/out" \
		--force >/dev/null 2>&1
	n=$(tail -1 "$tmp/count")
	check "$name: the run makes file-system calls ($n)" test "${n:-0}" -gt 10
	for k in $(seq 1 "$n"); do
		rm -rf "$tmp/w" && mkdir "$tmp/w" && eval "$setup"
		# (in a subshell that waits for the killed run, so that the shell reports nothing)
		(LD_PRELOAD=$KILL TS_KILL_AT=$k ASAN_OPTIONS=verify_asan_link_order=0 "$T" generate --structure "$S" \
			--seeds "$NEW" --outdir "$tmp/w/out" --force >/dev/null 2>&1; true) 2>/dev/null
		"$T" verify --structure "$S" --seeds "$NEW" --outdir "$tmp/w/out" >/dev/null 2>"$tmp/verr"
		grep -q "interrupted" "$tmp/verr" && notes=$((notes + 1))
		st=$(state)
		seen="$seen $st"
		if [ "$st" != MIXED ] && [ -z "$(leftovers)" ]; then clean=$((clean + 1)); else
			bad "$name: killed at call $k of $n: tree $st, left: $(leftovers)"; fi
	done
	check "$name: clean after every kill ($clean/$n)" test "$clean" -eq "$n"
	check "$name: some kills ended old, some new" bash -c "case '$seen' in *old*) ;; *absent*) ;; *) exit 1 ;; esac; case '$seen' in *new*) ;; *) exit 1 ;; esac"
	check "$name: the recovery said so ($notes notes)" test "$notes" -gt 0
	echo "$name: $clean of $n kill points clean" >&2
}

kill_each "over an existing tree" '"$T" generate --structure "$S" --seeds "$OLD" --outdir "$tmp/w/out" >/dev/null'
kill_each "into a new directory" ':'

# A journal that is not ours is refused, not followed.
rm -rf "$tmp/w" && mkdir "$tmp/w"
"$T" generate --structure "$S" --seeds "$OLD" --outdir "$tmp/w/out" >/dev/null
mkdir "$tmp/w/.out.tapeseal-AbCdEf"
printf 'tapeseal-journal 1\nreplace 0 ../../etc/passwd\n' > "$tmp/w/.out.tapeseal-AbCdEf/journal"
before=$(snap "$tmp/w")
run_cmd 1 "$T" verify --structure "$S" --seeds "$OLD" --outdir "$tmp/w/out" && has "$err" "bad line"
one_line "$err"
check "a hostile journal changes nothing" test "$(snap "$tmp/w")" = "$before"
finish
