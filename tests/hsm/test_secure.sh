#!/usr/bin/env bash
# End-to-end tests of tapeseal-secure against SoftHSM2: one sandbox token per
# case, the ceremony, golden comparison with the engine on libcrypto-HMAC seeds,
# reproducibility, every refusal, purge/scan, fault injection at every PKCS#11
# call of a generate run, and the link-boundary checks.
# Usage: test_secure.sh BUILD_DIR SOURCE_DIR
B=$1
SRC=$2
. "$SRC/tests/cli/lib.sh"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
if ! command -v softhsm2-util >/dev/null || [ ! -f "$SOFTHSM" ]; then
	if [ "${CI:-}" = true ]; then echo "secure: FAILED: SoftHSM2 is not installed (required when CI=true)" >&2; exit 1; fi
	echo "secure: SKIPPED: SoftHSM2 is not installed (Debian package softhsm2)" >&2
	exit 77
fi
S=$B/secure/tapeseal-secure
T=$B/public/tapeseal
SHIM=$B/tests/ts_pkcs11_shim.so
IMPORT=$B/tests/hsm_import
ENGINE=$B/tests/engine_tapeout
DEMO=$SRC/seeds/top_demo.structure.hjson
tmp=$(mktemp -d)
n=0

# new_token LABEL: a fresh SoftHSM2 sandbox with one token; sets SOFTHSM2_CONF, PIN, URI_BASE.
new_token() {
	n=$((n + 1))
	local d=$tmp/hsm$n
	mkdir -p "$d/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nobjectstore.umask = 0077\nslots.mechanisms = ALL\nlog.level = ERROR\n' "$d" > "$d/softhsm2.conf"
	export SOFTHSM2_CONF=$d/softhsm2.conf
	softhsm2-util --init-token --free --label "$1" --so-pin 87654321 --pin 12345678 >/dev/null || exit 1
	PIN=$d/pin
	printf '12345678\n' > "$PIN"
	chmod 600 "$PIN"
	URI_BASE="pkcs11:token=$1"
}
q() { echo "?module-path=${MODULE:-$SOFTHSM}&pin-source=file:$PIN"; }
gen() { "$S" generate --hsm "$URI_BASE$(q)" --structure "$DEMO" "$@"; }
# refuse NAME NEEDLE CMD...: exit 1, one line with NEEDLE, no output directory left behind
refuse() {
	local name=$1 needle=$2; shift 2
	rm -rf "$tmp/out"
	run_cmd 1 "$@" || { bad "$name"; return; }
	has "$err" "$needle"
	one_line "$err"
	check "$name: nothing written" test ! -e "$tmp/out"
}

# --- the ceremony
new_token tapeout
run_cmd 0 "$S" master create --hsm "$URI_BASE$(q)" --top demo
has "$out" "CKA_LOCAL              true" && has "$out" "CKA_EXTRACTABLE        false" && has "$out" "CKA_MODIFIABLE         false"
has "$out" "created top_demo.tapeout.master"
run_cmd 1 "$S" master create --hsm "$URI_BASE$(q)" --top demo && has "$err" "already exists"
run_cmd 0 "$S" master show --hsm "$URI_BASE$(q)" --top demo && has "$out" "topgen_seed" && has "$out" "CKA_NEVER_EXTRACTABLE  true"

# --- generate, verify, reproducibility
run_cmd 0 gen --outdir "$tmp/a"
check "eight files" test "$(find "$tmp/a" -type f | wc -l)" -eq 8
check "all 0600" test -z "$(find "$tmp/a" -type f ! -perm 600)"
check "header names the URI without its query" grep -qx '//   pkcs11:token=tapeout' "$tmp/a/rtl/autogen/tapeout/top_demo_rnd_cnst_pkg.sv"
check "no PIN in the transcript" bash -c "! grep -q 12345678 '$tmp/a/tapeseal-transcript.tapeout.jsonl'"
check "no module path in artifacts" bash -c "! grep -rq softhsm '$tmp/a/rtl' '$tmp/a/data'"
run_cmd 0 "$S" verify --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/a" && has "$out" "identical"
run_cmd 0 gen --outdir "$tmp/b"
check "reproducible" diff -r -x tapeseal-manifest.tapeout.json "$tmp/a" "$tmp/b"
check "manifests differ only in time" test "$(diff "$tmp/a/tapeseal-manifest.tapeout.json" "$tmp/b/tapeseal-manifest.tapeout.json" | grep -c '^[<>]')" -le 2
echo "// edit" >> "$tmp/b/rtl/autogen/tapeout/lc_ctrl_token_pkg.sv"
run_cmd 1 "$S" verify --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/b" && has "$out" "differs"
before=$(snap "$tmp/b")
run_cmd 1 gen --outdir "$tmp/b" && has "$err" "give --force"
check "edited output kept" test "$(snap "$tmp/b")" = "$before"
run_cmd 0 gen --outdir "$tmp/b" --force
run_cmd 0 "$S" verify --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/b"
run_cmd 0 "$S" generate --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/c" --seed-version 2
check "seed version rotates" bash -c "! cmp -s '$tmp/a/rtl/autogen/tapeout/top_demo_rnd_cnst_pkg.sv' '$tmp/c/rtl/autogen/tapeout/top_demo_rnd_cnst_pkg.sv'"

# --- scan and purge
run_cmd 1 "$T" scan "$tmp/a" && has "$out" "tapeseal-manifest.tapeout.json"
run_cmd 0 "$T" generate --structure "$DEMO" --seeds "$SRC/seeds/top_demo_seed.testing.hjson" --outdir "$tmp/t"
run_cmd 0 "$T" scan "$tmp/t"
run_cmd 0 "$S" purge-testing --outdir "$tmp/t" --dry-run && has "$out" "would remove" && has "$out" "7 testing artifact(s) found"
check "dry run deletes nothing" test -f "$tmp/t/data/autogen/top_demo.secrets.testing.gen.hjson"
run_cmd 0 "$S" purge-testing --outdir "$tmp/t" && has "$out" "7 testing artifact(s) removed"
check "testing dir gone" test ! -e "$tmp/t/rtl/autogen/testing"
check "secrets gone" test ! -e "$tmp/t/data/autogen/top_demo.secrets.testing.gen.hjson"

# --- otp-image from the tapeout secrets file just generated (and never from a testing one)
V=$SRC/tests/vectors/otp
printf '{ partitions: [ { name: "LIFE_CYCLE", state: "DEV", count: 1 } ] }\n' > "$tmp/img.hjson"
run_cmd 0 "$S" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" --secrets "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" \
	--lc-state "$V/lc_state.hjson" --img-cfg "$tmp/img.hjson" --out "$tmp/a/otp.BITWIDTH.vmem"
check "tapeout image 0600" test "$(stat -c %a "$tmp/a/otp.24.vmem")" = 600

# --- valgrind memcheck of a secure generate (SoftHSM2 included)
if memcheck "$S"; then
	vg 0 "$S" generate --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/vg"
fi

# --- no tapeout secret stays in freed heap memory (an LD_PRELOAD free() that scans each block):
# the seeds and keys of the tapeout secrets file, over generate, verify and otp-image
SCAN=$B/tests/ts_free_scan.so
needles=$(grep -oE "value: [0-9]{20,}" "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" | awk '{print $2}' | paste -sd:)
scan() { LD_PRELOAD=$SCAN TS_FREE_NEEDLES=$needles TS_FREE_HITS=$tmp/hits "$@" >/dev/null 2>&1; }
rm -f "$tmp/hits"
scan "$S" generate --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/fs"
scan "$S" verify --hsm "$URI_BASE$(q)" --structure "$DEMO" --outdir "$tmp/a"
scan "$S" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" \
	--secrets "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" --lc-state "$V/lc_state.hjson" \
	--img-cfg "$tmp/img.hjson" --out "$tmp/fs.vmem"
check "the seeds and keys to look for" test "$(echo "$needles" | tr ':' '\n' | wc -l)" -ge 4
if [ "$(awk '{s += $2} END {print s + 0}' "$tmp/hits" 2>/dev/null)" -gt 0 ]; then
	check "no freed block holds a tapeout secret ($(paste -sd' ' "$tmp/hits"))" test "$(awk '{s += $1} END {print s}' "$tmp/hits")" -eq 0
	check "three runs scanned" test "$(wc -l < "$tmp/hits")" -eq 3
	# The same scan sees what the public tool (no wiping) leaves after parsing a secrets file.
	rm -f "$tmp/hits"
	"$T" generate --structure "$DEMO" --seeds "$SRC/seeds/top_demo_seed.testing.hjson" --outdir "$tmp/t2" >/dev/null
	tneedles=$(grep -oE "value: [0-9]{20,}" "$tmp/t2/data/autogen/top_demo.secrets.testing.gen.hjson" | awk '{print $2}' | paste -sd:)
	LD_PRELOAD=$SCAN TS_FREE_NEEDLES=$tneedles TS_FREE_HITS=$tmp/hits "$T" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" \
		--secrets "$tmp/t2/data/autogen/top_demo.secrets.testing.gen.hjson" --lc-state "$V/lc_state.hjson" \
		--img-cfg "$tmp/img.hjson" --out "$tmp/fs2.vmem" >/dev/null 2>&1
	check "the scan finds unwiped blocks where there are some" test "$(awk '{print $1}' "$tmp/hits")" -gt 0
else
	echo "secure: NOTICE: this build has its own free() (sanitizers); the freed-memory scan is skipped" >&2
fi

run_cmd 1 "$S" otp-image --mmap "$V/mmap.hjson" --secrets "$V/secrets.hjson" --lc-state "$V/lc_state.hjson" \
	--img-cfg "$tmp/img.hjson" --out "$tmp/a/t.vmem" && has "$err" "is not in seed mode 'tapeout'"
check "nothing written" test ! -e "$tmp/a/t.vmem"
mkdir -p "$tmp/x/testing"
run_cmd 1 "$S" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" --secrets "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" \
	--lc-state "$V/lc_state.hjson" --img-cfg "$tmp/img.hjson" --out "$tmp/x/testing/t.vmem" && has "$err" "under a 'testing' directory"

# --- golden: an imported known master; the engine on libcrypto-HMAC seeds gives the same bytes
MASTER=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
new_token golden
echo "$MASTER" | "$IMPORT" "$SOFTHSM" golden "$PIN" top_demo.tapeout.master || bad "import"
# policy FILE DENY LOCAL_AND_SENSITIVITY: a complete policy written by the test.
policy() {
	cat > "$1" <<POL
{
  deny_seed_sha256: [ $2 ]
  pin_sources: [ "file" ]
  module_paths: []
  master: { local: $3, always_sensitive: $3, never_extractable: $3, extractable: false, modifiable: false }
  allow_git_worktree: false
}
POL
	chmod 644 "$1"
}
# Imported keys are not CKA_LOCAL, and SoftHSM2 marks them not always sensitive / never extractable.
policy "$tmp/imported.hjson" "" false
golden() { # STRUCTURE LC TOPLABEL
	local gdir=$tmp/golden-$3 edir=$tmp/expect-$3
	"$S" generate --hsm "pkcs11:token=golden;object=top_$3.tapeout.master$(q)" --policy "$tmp/imported.hjson" \
		--structure "$1" ${2:+--lc-state "$2"} --outdir "$gdir" >/dev/null || { bad "golden generate $3"; return; }
	echo "$MASTER" | "$ENGINE" "$1" "${2:--}" "pkcs11:token=golden;object=top_$3.tapeout.master" "$edir" 1 > "$tmp/fp-$3" || bad "engine $3"
	check "golden $3: HSM output equals engine output" diff -r -x 'tapeseal-*' "$gdir" "$edir"
}
golden "$DEMO" "" demo
ref=${TAPESEAL_REFERENCE:-$SRC/../shared/reference}
if [ -d "$ref/opentitan/top_earlgrey" ]; then
	echo "$MASTER" | "$IMPORT" "$SOFTHSM" golden "$PIN" top_earlgrey.tapeout.master || bad "import earlgrey"
	golden "$ref/opentitan/top_earlgrey/top_earlgrey.secrets.testing.gen.hjson" "$ref/opentitan/top_earlgrey/lc_ctrl_state.hjson" earlgrey
fi

# --- refusals (each: exit 1, one line, nothing written)
GURI="pkcs11:token=golden;object=top_demo.tapeout.master"
fp=$(awk '/topgen_seed/{print $2}' "$tmp/fp-demo")
policy "$tmp/deny.hjson" "\"$fp\"" false
refuse "deny-listed seed" "is a known testing seed" "$S" generate --hsm "$GURI$(q)" --policy "$tmp/deny.hjson" --structure "$DEMO" --outdir "$tmp/out"
MODULE=$SHIM
export TS_SHIM_REAL=$SOFTHSM
TS_SHIM_SIGN=zero refuse "zero seed" "topgen_seed is zero" "$S" generate --hsm "$GURI$(q)" --policy "$tmp/imported.hjson" --structure "$DEMO" --outdir "$tmp/out"
TS_SHIM_SIGN=same refuse "equal seeds" "otp_img_seed equals topgen_seed" "$S" generate --hsm "$GURI$(q)" --policy "$tmp/imported.hjson" --structure "$DEMO" --outdir "$tmp/out"
unset MODULE
new_token tapeout
"$S" master create --hsm "$URI_BASE$(q)" --top demo >/dev/null
mkdir -p "$tmp/x/testing"
refuse "testing directory" "under a 'testing' directory" gen --outdir "$tmp/x/testing/top"
mkdir -p "$tmp/old/rtl/autogen/tapeout"
echo "package lc_ctrl_token_pkg; // rtl/autogen/testing/ seed_mode: testing" > "$tmp/old/rtl/autogen/tapeout/lc_ctrl_token_pkg.sv"
run_cmd 1 gen --outdir "$tmp/old" --force && has "$err" "already holds testing content"
check "testing file untouched" grep -q seed_mode "$tmp/old/rtl/autogen/tapeout/lc_ctrl_token_pkg.sv"
if command -v git >/dev/null; then
	git init -q "$tmp/repo"
	run_cmd 1 gen --outdir "$tmp/repo/out" && has "$err" "inside the git work tree"
	check "nothing in the repo" test ! -e "$tmp/repo/out"
	# Ignoring the output alone is not enough: the staging copy beside it must be ignored as well.
	echo "out/" > "$tmp/repo/.gitignore"
	run_cmd 1 gen --outdir "$tmp/repo/out" && has "$err" "/.out.tapeseal-XXXXXX/" && has "$err" "the staging copy"
	check "still nothing in the repo" test ! -e "$tmp/repo/out"
	printf 'out/\n.out.tapeseal-*/\n' > "$tmp/repo/.gitignore"
	run_cmd 0 gen --outdir "$tmp/repo/out"
	# otp-image's temporary copy beside an ignored image must be ignored too.
	echo '*.vmem' > "$tmp/repo/.gitignore"
	run_cmd 1 "$S" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" \
		--secrets "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" --lc-state "$SRC/tests/vectors/otp/lc_state.hjson" \
		--img-cfg "$tmp/img.hjson" --out "$tmp/repo/x.vmem" && has "$err" "the temporary copy written first"
	printf '*.vmem\n*.vmem.tmp.*\n' > "$tmp/repo/.gitignore"
	run_cmd 0 "$S" otp-image --mmap "$SRC/policies/prov/otp/top_demo_otp_mmap.hjson" \
		--secrets "$tmp/a/data/autogen/top_demo.secrets.tapeout.gen.hjson" --lc-state "$SRC/tests/vectors/otp/lc_state.hjson" \
		--img-cfg "$tmp/img.hjson" --out "$tmp/repo/x.vmem"
fi
sed 's/modifiable: false/modifiable: true/' "$SRC/policies/tapeout.hjson" > "$tmp/mod.hjson"; chmod 644 "$tmp/mod.hjson"
refuse "master attributes" "CKA_MODIFIABLE=false but the policy" gen --policy "$tmp/mod.hjson" --outdir "$tmp/out"
echo "$MASTER" | "$IMPORT" "$SOFTHSM" tapeout "$PIN" imported
refuse "imported master fails the default policy" "CKA_LOCAL=false" "$S" generate --hsm "pkcs11:token=tapeout;object=imported$(q)" --structure "$DEMO" --outdir "$tmp/out"
refuse "no token" "no token matches" "$S" generate --hsm "pkcs11:token=nosuch$(q)" --structure "$DEMO" --outdir "$tmp/out"
refuse "no master" "no master key labelled 'nosuch'" "$S" generate --hsm "pkcs11:token=tapeout;object=nosuch$(q)" --structure "$DEMO" --outdir "$tmp/out"
echo "$MASTER" | "$IMPORT" "$SOFTHSM" tapeout "$PIN" imported
refuse "several masters" "more than one master key labelled 'imported'" "$S" generate --hsm "pkcs11:token=tapeout;object=imported$(q)" --structure "$DEMO" --outdir "$tmp/out"
softhsm2-util --init-token --free --label tapeout --so-pin 87654321 --pin 12345678 >/dev/null
refuse "several tokens" "more than one token matches" gen --outdir "$tmp/out"
new_token tapeout
"$S" master create --hsm "$URI_BASE$(q)" --top demo >/dev/null
printf '0000\n' > "$tmp/wrongpin"; chmod 600 "$tmp/wrongpin"
refuse "wrong PIN" "C_Login failed: CKR_PIN_INCORRECT" "$S" generate --hsm "$URI_BASE?module-path=$SOFTHSM&pin-source=file:$tmp/wrongpin" --structure "$DEMO" --outdir "$tmp/out"
chmod 644 "$PIN"
refuse "PIN file readable by others" "no group/other access" gen --outdir "$tmp/out"
chmod 600 "$PIN"
ln -s "$PIN" "$tmp/pinlink"
refuse "PIN file symlink" "not a symlink" "$S" generate --hsm "$URI_BASE?module-path=$SOFTHSM&pin-source=file:$tmp/pinlink" --structure "$DEMO" --outdir "$tmp/out"
refuse "env PIN not allowed" "does not allow pin-source=env:" env TS_PIN=12345678 "$S" generate --hsm "$URI_BASE?module-path=$SOFTHSM&pin-source=env:TS_PIN" --structure "$DEMO" --outdir "$tmp/out"
sed 's/pin_sources: \[ "file" \]/pin_sources: [ "file", "env" ]/' "$SRC/policies/tapeout.hjson" > "$tmp/env.hjson"; chmod 644 "$tmp/env.hjson"
rm -rf "$tmp/out"
run_cmd 0 env TS_PIN=12345678 "$S" generate --hsm "$URI_BASE?module-path=$SOFTHSM&pin-source=env:TS_PIN" --policy "$tmp/env.hjson" --structure "$DEMO" --outdir "$tmp/out"
refuse "unknown URI attribute" "does not recognise" "$S" generate --hsm "pkcs11:tokn=tapeout$(q)" --structure "$DEMO" --outdir "$tmp/out"
refuse "pin-value in URI" "never goes in a URI" "$S" generate --hsm "$URI_BASE?module-path=$SOFTHSM&pin-value=12345678" --structure "$DEMO" --outdir "$tmp/out"
refuse "no module path" "needs module-path" "$S" generate --hsm "$URI_BASE?pin-source=file:$PIN" --structure "$DEMO" --outdir "$tmp/out"
refuse "bad module" "cannot load" "$S" generate --hsm "$URI_BASE?module-path=/nonexistent.so&pin-source=file:$PIN" --structure "$DEMO" --outdir "$tmp/out"
sed 's#module_paths: \[\]#module_paths: [ "/opt/vendor/pkcs11.so" ]#' "$SRC/policies/tapeout.hjson" > "$tmp/mods.hjson"; chmod 644 "$tmp/mods.hjson"
refuse "module not allowed" "is not in the policy's module_paths" gen --policy "$tmp/mods.hjson" --outdir "$tmp/out"
cp "$SRC/policies/tapeout.hjson" "$tmp/gw.hjson"; chmod 664 "$tmp/gw.hjson"
refuse "group-writable policy" "writable by group or other" gen --policy "$tmp/gw.hjson" --outdir "$tmp/out"
sed 's/^  allow_git_worktree: false/  allow_git_worktree: false\n  colour: blue/' "$SRC/policies/tapeout.hjson" > "$tmp/uk.hjson"; chmod 644 "$tmp/uk.hjson"
line=$(grep -n colour "$tmp/uk.hjson" | cut -d: -f1)
refuse "unknown policy key" "uk.hjson:$line:11: unknown key 'colour' in the policy" gen --policy "$tmp/uk.hjson" --outdir "$tmp/out"

# --- fault injection: every PKCS#11 call of a generate run fails once, cleanly
MODULE=$SHIM
export TS_SHIM_COUNT_FILE=$tmp/count
rm -rf "$tmp/out"
gen --outdir "$tmp/out" >/dev/null || bad "generate through the shim"
calls=$(cat "$tmp/count")
unset TS_SHIM_COUNT_FILE
check "the shim saw the run ($calls calls)" test "$calls" -ge 15
for i in $(seq "$calls"); do
	TS_SHIM_FAIL_AT=$i refuse "fault at call $i" "CKR_DEVICE_ERROR" gen --outdir "$tmp/out"
done
check "no staging left" test -z "$(find "$tmp" -maxdepth 1 -name '.out.tapeseal-*')"
unset MODULE TS_SHIM_REAL

# --- provisioning CAs: key pair and certificate inside the HSM
new_token prov
CA="$URI_BASE$(q)"
# A module without ECDSA (as openCryptoki's soft token before 3.15) is refused up front, naming the
# mechanism, with nothing made on the token; the same for a module without HMAC-SHA256.
export TS_SHIM_REAL=$SOFTHSM
NOEC="$URI_BASE?module-path=$SHIM&pin-source=file:$PIN"
TS_SHIM_NO_MECH=0x1041 run_cmd 1 "$S" ca init --hsm "$NOEC" --role dice --subject "CN=x" &&
	has "$err" "offers no CKM_ECDSA to sign certificates with the CA key; this module cannot do it" && one_line "$err"
TS_SHIM_NO_MECH=0x1040 run_cmd 1 "$S" ca init --hsm "$NOEC" --role dice --subject "CN=x" && has "$err" "no CKM_EC_KEY_PAIR_GEN"
run_cmd 1 "$S" ca show --hsm "$CA" --role dice && has "$err" "tapeseal-dice-ca"
TS_SHIM_NO_MECH=0x251 run_cmd 1 "$S" master create --hsm "$NOEC" --top demo && has "$err" "offers no CKM_SHA256_HMAC"
TS_SHIM_NO_MECH=0x350 run_cmd 1 "$S" master create --hsm "$NOEC" --top demo && has "$err" "no CKM_GENERIC_SECRET_KEY_GEN"
run_cmd 1 "$S" master show --hsm "$CA" --top demo
unset TS_SHIM_REAL
run_cmd 0 "$S" ca init --hsm "$CA" --role dice --subject "CN=tapeseal test DICE CA,O=tapeseal,C=US" --out "$tmp/dice_ca.pem"
has "$out" "CA tapeseal-dice-ca" && has "$out" "CKA_EXTRACTABLE        false" && has "$out" "CKA_NEVER_EXTRACTABLE  true"
has "$out" "CKA_SENSITIVE          true" && has "$out" "CKA_MODIFIABLE         false"
ski=$(printf '%s\n' "$out" | sed -n 's/.*key_id (SKI) *//p')
check "dice CA file 0644" test "$(stat -c %a "$tmp/dice_ca.pem")" = 644
check "dice CA self-verifies" openssl verify -CAfile "$tmp/dice_ca.pem" "$tmp/dice_ca.pem"
exts=$(openssl x509 -in "$tmp/dice_ca.pem" -noout -ext basicConstraints,keyUsage,subjectKeyIdentifier,authorityKeyIdentifier)
has "$exts" "X509v3 Basic Constraints: critical" && has "$exts" "CA:TRUE" && has "$exts" "Certificate Sign, CRL Sign"
case "$exts" in *pathlen*) bad "dice CA has a path length" ;; *) ok ;; esac
openssl_ski=$(openssl x509 -in "$tmp/dice_ca.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
check "printed SKI is the certificate's ($ski)" test -n "$ski" -a "$ski" = "$openssl_ski"
check "signature is ecdsa-with-SHA256" sh -c "openssl x509 -in '$tmp/dice_ca.pem' -noout -text | grep -q 'Signature Algorithm: ecdsa-with-SHA256'"
run_cmd 0 "$S" ca show --hsm "$CA" --role dice --out "$tmp/shown.pem" && has "$out" "key_id (SKI)           $ski"
check "show writes the same certificate" cmp "$tmp/dice_ca.pem" "$tmp/shown.pem"
run_cmd 1 "$S" ca init --hsm "$CA" --role dice --subject "CN=again" --out "$tmp/again.pem" && has "$err" "already holds an object labelled 'tapeseal-dice-ca'"
check "refused init writes no file" test ! -e "$tmp/again.pem"
run_cmd 1 "$S" ca show --hsm "$CA" --role dice --out "$tmp/shown.pem" && has "$err" "shown.pem exists"
run_cmd 0 "$S" ca init --hsm "$CA" --role ext --subject "CN=tapeseal test ext CA" --out "$tmp/ext_ca.pem"
has "$(openssl x509 -in "$tmp/ext_ca.pem" -noout -ext basicConstraints)" "pathlen:0"
EXTCA="pkcs11:token=prov;object=acme-ext-ca$(q)"
run_cmd 0 "$S" ca init --hsm "$EXTCA" --role ext --subject "CN=Acme ext CA,O=Acme"
has "$out" "CA acme-ext-ca"
run_cmd 2 "$S" ca init --hsm "$CA" --role dice --subject "XX=nope" && has "$err" "DN attribute 'XX' is not known"
run_cmd 2 "$S" ca init --hsm "$CA" --role root --subject "CN=x" && has "$err" "--role dice|ext"
run_cmd 1 "$S" ca show --hsm "pkcs11:token=prov;object=nothing$(q)" --role dice && has "$err" "found 0, 0, 0"
run_cmd 0 "$S" ca --help && has "$out" "never extractable"
# Endorsement (B5.6) with the dice CA: the UDS certificate chains to it; a TBS broken in any one
# way is refused before the HSM signs anything (C_Sign counted by the shim).
ENDORSE=$B/tests/endorse_check
SHIMQ="?module-path=$SHIM&pin-source=file:$PIN"
export TS_SHIM_REAL=$SOFTHSM TS_SHIM_SIGN_COUNT_FILE=$tmp/signs
mkdir -p "$tmp/chain"
run_cmd 0 "$ENDORSE" "pkcs11:token=prov$SHIMQ" tapeseal-dice-ca "$tmp/chain" ok
check "one C_Sign for one endorsement" test "$(cat "$tmp/signs")" = 1
check "chain verifies with -ignore_critical" openssl verify -ignore_critical -CAfile "$tmp/dice_ca.pem" \
	-untrusted "$tmp/chain/uds_cdi0.pem" "$tmp/chain/cdi1.pem"
v=$(openssl verify -CAfile "$tmp/dice_ca.pem" -untrusted "$tmp/chain/uds_cdi0.pem" "$tmp/chain/cdi1.pem" 2>&1)
has "$v" "error 34" && has "$v" "unhandled critical extension"
akis=$(openssl x509 -in "$tmp/chain/uds_cdi0.pem" -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
check "UDS AKI = dice CA SKI" test "$akis" = "$ski"
for c in issuer:"issuer DN is not the subject of CA" aki:"authority key identifier is not the key_id" \
	tcb:"DiceTcbInfo measurements are not those" serial:"serial number is not the key ID" \
	key:"the subject key is not a P-256 key" der:"is not one DER TBSCertificate"; do
	rm -f "$tmp/signs"
	run_cmd 1 "$ENDORSE" "pkcs11:token=prov$SHIMQ" tapeseal-dice-ca "$tmp/chain" "${c%%:*}" && has "$err" "${c#*:}"
	check "tampered ${c%%:*}: zero C_Sign" test "$(cat "$tmp/signs")" = 0
done
run_cmd 1 "$ENDORSE" "pkcs11:token=prov$SHIMQ" nosuch-ca "$tmp/chain" ok && has "$err" "no private key labelled 'nosuch-ca'"
unset TS_SHIM_SIGN_COUNT_FILE TS_SHIM_REAL
# Every PKCS#11 call of an init fails once: the token ends with no CA or the whole CA, never a part.
MODULE=$SHIM
export TS_SHIM_REAL=$SOFTHSM TS_SHIM_COUNT_FILE=$tmp/count
rm -f "$tmp/count"
run_cmd 0 "$S" ca init --hsm "pkcs11:token=prov;object=probe$(q)" --role dice --subject "CN=probe"
calls=$(cat "$tmp/count")
unset TS_SHIM_COUNT_FILE
check "the shim saw the ca init ($calls calls)" test "$calls" -ge 10
for i in $(seq "$calls"); do
	rm -f "$tmp/f.pem"
	TS_SHIM_FAIL_AT=$i "$S" ca init --hsm "pkcs11:token=prov;object=fault$i$(q)" --role dice --subject "CN=f$i" \
		--out "$tmp/f.pem" >/dev/null 2>"$tmp/stderr" && bad "ca init with call $i failing succeeded"
	has "$(cat "$tmp/stderr")" "CKR_DEVICE_ERROR"
	check "fault $i: no PEM" test ! -e "$tmp/f.pem"
	shown=$(MODULE=$SOFTHSM "$S" ca show --hsm "pkcs11:token=prov;object=fault$i?module-path=$SOFTHSM&pin-source=file:$PIN" --role dice 2>&1)
	case "$shown" in *"found 0, 0, 0"* | *"CA fault$i"*) ok ;; *) bad "fault $i left a partial CA: $shown" ;; esac
done
unset MODULE TS_SHIM_REAL

# --- the link boundary and the binary
if ldd "$T" | grep -q p11-kit; then bad "tapeseal links p11-kit"; else ok; fi
if nm "$S" | grep -q public_seeds; then bad "tapeseal-secure holds the seed-file loader"; else ok; fi
hexdump() { od -An -tx1 -v "$1" | tr -d ' \n'; }
binhex=$(hexdump "$S")
seeds=$(grep -hoE '[0-9]{60,}' "$SRC/seeds/top_demo_seed.testing.hjson" "$ref"/opentitan/top_*/top_*_seed.testing.hjson 2>/dev/null)
checked=0
for s in $seeds; do
	checked=$((checked + 1))
	if grep -qF "$s" "$S"; then bad "tapeseal-secure contains testing seed $s (decimal)"; continue; fi
	be=$("$B/tests/seed_hex" "$s")
	if [ -n "$be" ] && case "$binhex" in *"$be"*) true ;; *) false ;; esac; then bad "tapeseal-secure contains a testing seed (bytes)"; fi
	ok
done
check "testing seeds checked ($checked)" test "$checked" -ge 3

# --- an address-space limit too small for the secure heap is named as such (not as RLIMIT_MEMLOCK):
# the first limit, in 1 MiB steps, at which the program starts at all must give that message.
said=""
for kib in $(seq 6144 1024 65536); do
	msg=$( (ulimit -v "$kib" && "$S" master show --hsm "pkcs11:token=x" --top demo) 2>&1 )
	case "$msg" in
	*"error while loading shared libraries"* | *"ReserveShadowMemoryRange"* | *"AddressSanitizer"*) continue ;;
	*) said=$msg; break ;;
	esac
done
if [ -z "$said" ]; then
	echo "secure: NOTICE: this build cannot start under any address-space limit up to 64 MiB (sanitizers); RLIMIT_AS check skipped" >&2
else
	has "$said" "under the address-space limit RLIMIT_AS of"
	case "$said" in *RLIMIT_MEMLOCK*) bad "an address-space limit reported as RLIMIT_MEMLOCK: $said" ;; *) ok ;; esac
fi

finish
