# Shared helpers for the CLI tests: a tiny harness that counts checks and
# prints "N passed, M failed" as its last line.
set -u
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# check NAME COMMAND...: the command must succeed.
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }

# run_cmd EXPECTED_RC CMD...: runs CMD, keeps stdout/stderr in $out/$err, checks the exit code.
run_cmd() {
	local want=$1; shift
	out=$("$@" 2>"$tmp/stderr"); rc=$?
	err=$(cat "$tmp/stderr")
	if [ "$rc" -ne "$want" ]; then bad "exit $rc (want $want): $*: $err"; return 1; fi
	ok
}

has() { case "$1" in *"$2"*) ok ;; *) bad "'$2' not in: $1" ;; esac; }
one_line() { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && ok || bad "not one line: $1"; }

# A fingerprint of a directory tree: names, modes, sizes and contents.
snap() {
	(cd "$1" && find . -printf '%p %m %s %y\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}

finish() {
	rm -rf "$tmp"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# memcheck BINARY: 0 when valgrind can check BINARY (installed, and BINARY is not a sanitizer build);
# otherwise prints a notice (a failure when CI=true and valgrind is missing) and returns 1.
memcheck() {
	if ! command -v valgrind >/dev/null; then
		if [ "${CI:-}" = true ]; then bad "valgrind is not installed (required when CI=true)"; return 1; fi
		echo "NOTICE: valgrind is not installed; the memcheck runs are skipped" >&2
		return 1
	fi
	if nm "$1" 2>/dev/null | grep -q '__asan_init\|__ubsan_handle'; then
		echo "NOTICE: $1 is a sanitizer build; the memcheck runs are skipped" >&2
		return 1
	fi
	return 0
}

# vg EXPECTED_RC CMD...: run_cmd under valgrind memcheck; any memory error or definite leak exits 99.
vg() {
	local want=$1; shift
	run_cmd "$want" valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$@"
}
