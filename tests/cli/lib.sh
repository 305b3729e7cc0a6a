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
