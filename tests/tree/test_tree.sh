#!/usr/bin/env bash
# The tree switch on copies of the reference OpenTitan tree with tapeout artifacts generated into
# it (SoftHSM2): each edit and its dvsim-effective value (tests/tree/dvsim_eff.c, cross-checked
# with the reference Hjson implementation when node and the npm package hjson are there), status,
# idempotence, the exact revert, every refusal with nothing changed, MIXED, scan of a switched tree,
# dvsim's OTP commands run on tapeseal-secure, and the reference OTP images reproduced through
# gen-otp-img's option names.
# Usage: test_tree.sh BUILD_DIR SOURCE_DIR
B=$1
SRC=$2
. "$SRC/tests/cli/lib.sh"
ref=${TAPESEAL_REFERENCE:-$SRC/../shared/reference}
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
skip() {
	if [ "${CI:-}" = true ]; then echo "tree: FAILED: $1 (required when CI=true)" >&2; exit 1; fi
	echo "tree: SKIPPED: $1" >&2
	exit 77
}
[ -d "$ref/opentitan/tree" ] || skip "reference data not found; set TAPESEAL_REFERENCE to run it"
command -v softhsm2-util >/dev/null && [ -f "$SOFTHSM" ] || skip "SoftHSM2 is not installed (Debian package softhsm2)"
S=$B/secure/tapeseal-secure
T=$B/public/tapeseal
EFF=$B/tests/dvsim_eff
RO=$ref/opentitan
tmp=$(mktemp -d)

# --- a checkout with both tops' testing artifacts, and tapeout artifacts from a SoftHSM2 master
base=$tmp/base
cp -r "$RO/tree" "$base"
for t in earlgrey englishbreakfast; do
	d=$base/hw/top_$t
	mkdir -p "$d/data/autogen" "$d/rtl/autogen/testing"
	cp "$RO/top_$t/top_$t.secrets.testing.gen.hjson" "$d/data/autogen/"
	cp "$RO/top_$t/top_${t}_seed.testing.hjson" "$d/data/"
	cp "$RO/top_$t/"*.sv "$RO/top_$t/"*.vbl "$RO/top_$t/"*.core "$d/rtl/autogen/testing/"
done
# The tops' own FuseSoC cores (made here; not part of the reference): englishbreakfast asks for the
# core name topgen's template uses, which no core file has.
for t in earlgrey englishbreakfast; do
	want=tapeout_rnd_cnst_pkg
	[ $t = englishbreakfast ] && want=prod_rnd_cnst_pkg
	printf 'CAPI=2:\nname: "lowrisc:systems:top_%s:0.1"\nfilesets:\n  files_rtl:\n    depend:\n      - "fileset_tapeout ? (lowrisc:%s_constants:%s)"\n      - "!fileset_tapeout ? (lowrisc:%s_constants:testing_rnd_cnst_pkg)"\n' \
		$t $t $want $t > "$base/hw/top_$t/top_$t.core"
done
mkdir -p "$tmp/hsm/tokens"
printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp" > "$tmp/hsm/softhsm2.conf"
export SOFTHSM2_CONF=$tmp/hsm/softhsm2.conf
softhsm2-util --init-token --free --label tapeout --so-pin 87654321 --pin 12345678 >/dev/null || exit 1
printf '12345678\n' > "$tmp/pin" && chmod 600 "$tmp/pin"
URI="pkcs11:token=tapeout?module-path=$SOFTHSM&pin-source=file:$tmp/pin"
cp -r "$base" "$tmp/untouched" # no tapeout artifacts
for t in earlgrey englishbreakfast; do
	d=$base/hw/top_$t
	lc=()
	[ $t = earlgrey ] && lc=(--lc-state "$base/hw/ip/lc_ctrl/data/lc_ctrl_state.hjson")
	run_cmd 0 "$S" master create --hsm "$URI" --top $t
	run_cmd 0 "$S" generate --hsm "$URI" --structure "$d/data/autogen/top_$t.secrets.testing.gen.hjson" "${lc[@]}" --outdir "$d"
done
G=hw/top_earlgrey
CFG=$G/dv/chip_sim_cfg.hjson
fresh() { rm -rf "$tmp/w" && cp -a "$base" "$tmp/w"; W=$tmp/w; }
# refuse NEEDLE TREE ARGS...: exit 1, one line naming NEEDLE, TREE exactly as before
refuse() {
	local needle=$1 tree=$2; shift 2
	local before
	before=$(snap "$tree")
	run_cmd 1 "$S" switch --tree "$tree" "$@" || return
	has "$err" "$needle"
	one_line "$err"
	[ "$(snap "$tree")" = "$before" ] && ok || bad "switch $*: the tree changed"
}
eff() { "$EFF" "$1/$CFG" "$1" -- "${@:2}"; }

# --- status before: testing, the same from both tools
fresh
for tool in "$S" "$T"; do
	run_cmd 0 "$tool" status --tree "$W" --top earlgrey && has "$out" $'\ntesting'
	has "$out" "FuseSoC flist flags        testing"
	has "$out" "Bazel-built simulation models (Verilator, FPGA) stay on testing constants"
done
run_cmd 0 "$S" status --tree "$W" --top earlgrey --json && has "$out" '"state": "testing"'

# --- the dvsim-effective values before: the inherited mapping, no seed option
has "$(eff "$W" sv_flist_gen_flags sw_build_opts)" $'sv_flist_gen_flags=["--mapping=lowrisc:prim_generic:all:0.1"]\nsw_build_opts=[]'

# --- dry run, then the switch
before=$(snap "$W")
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout --otp-cmd "$S" --dry-run && has "$out" "dry run"
has "$out" "$CFG:242: replace .secrets.testing.gen.hjson with .secrets.tapeout.gen.hjson"
[ "$(snap "$W")" = "$before" ] && ok || bad "dry run changed the tree"
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout --dry-run --json && has "$out" '"dry_run": true'
has "$out" '"path": "hw/top_earlgrey/defs.bzl"' && has "$out" '"status": "changed"' && has "$out" '"line": 24'
[ "$(snap "$W")" = "$before" ] && ok || bad "dry run (json) changed the tree"
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout --otp-cmd "$S" && has "$out" "switched to tapeout"
O=$tmp/untouched
# Only the promised lines differ: undoing them by hand (sed) gives the original bytes back.
sed -e '/^  \/\/ tapeseal-secure switch: FuseSoC selects/,/^$/d' -e '/^  sw_build_opts: \["--\/\/hw\/top:seed=tapeout"\]$/d' \
	-e 's/{top_chip}\.secrets\.tapeout\.gen\.hjson"$/{top_chip}.secrets.testing.gen.hjson"/' \
	-e "s|^  gen_otp_images_cmd: \"$S otp-image\"\$|  gen_otp_images_cmd: \"{proj_root}/util/design/gen-otp-img.py\"|" \
	"$W/$CFG" > "$tmp/undone"
check "chip_sim_cfg.hjson: only the four edits" cmp -s "$tmp/undone" "$O/$CFG"
check "chip_sim_cfg.hjson: 5 lines added, 2 changed" test "$(diff "$O/$CFG" "$W/$CFG" | grep -c '^>')" -eq 7
grep -v '^        "tapeout": "//hw/top_earlgrey/data/autogen:top_earlgrey.secrets.tapeout.gen.hjson",$' "$W/$G/defs.bzl" > "$tmp/undone"
check "defs.bzl: only the tapeout entry" cmp -s "$tmp/undone" "$O/$G/defs.bzl"
check "defs.bzl: the entry follows testing" bash -c "grep -A1 '\"testing\":' '$W/$G/defs.bzl' | grep -q '\"tapeout\":'"
# dvsim's effective values: the flag appended to the inherited mapping, the seed, the secrets file.
e=$(eff "$W" sv_flist_gen_flags sw_build_opts gen_otp_top_secret_cfg gen_otp_images_cmd expand:gen_otp_top_secret_cfg)
has "$e" 'sv_flist_gen_flags=["--flag=fileset_tapeout","--mapping=lowrisc:prim_generic:all:0.1"]'
has "$e" 'sw_build_opts=["--//hw/top:seed=tapeout"]'
has "$e" "gen_otp_images_cmd=\"$S otp-image\""
has "$e" "gen_otp_top_secret_cfg=$W/hw/top_earlgrey/data/autogen/top_earlgrey.secrets.tapeout.gen.hjson"
node_hjson=""
if command -v node >/dev/null; then
	NODE_PATH=$B/tests/node_modules node -e 'require("hjson")' 2>/dev/null ||
		(command -v npm >/dev/null && timeout 120 npm install --prefix "$B/tests" hjson@3 --no-audit --no-fund >/dev/null 2>&1)
	NODE_PATH=$B/tests/node_modules node -e 'require("hjson")' 2>/dev/null && node_hjson=$B/tests/node_modules
fi
if [ -n "$node_hjson" ]; then
	for tree in "$O" "$W"; do
		keys=(sv_flist_gen_flags sw_build_opts gen_otp_top_secret_cfg gen_otp_images_cmd gen_otp_images_cmd_opts overrides)
		a=$(eff "$tree" "${keys[@]}")
		b=$(NODE_PATH=$node_hjson node "$SRC/tests/tree/dvsim_eff.js" "$tree/$CFG" "$tree" -- "${keys[@]}")
		[ "$a" = "$b" ] && ok || bad "the reference Hjson reader merges $tree differently: $(diff <(echo "$a") <(echo "$b"))"
	done
else
	echo "tree: NOTICE: node or its hjson package is not available; the reference Hjson cross-check is skipped" >&2
fi
for tool in "$S" "$T"; do
	run_cmd 0 "$tool" status --tree "$W" --top earlgrey && has "$out" $'\ntapeout'
done
has "$out" "OTP image command          $S otp-image"
switched=$(snap "$W")
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout --otp-cmd "$S" && has "$out" "nothing changed"
[ "$(snap "$W")" = "$switched" ] && ok || bad "a second switch changed the tree"
refuse "tapeseal-switch.tapeout.json: the top is switched already and this run would edit more" "$W" --top earlgrey \
	--to tapeout --otp-cmd /opt/other/tapeseal-secure

# --- scan reports the switched files (and not the unswitched ones)
mkdir -p "$tmp/scan/a" "$tmp/scan/b"
cp "$W/$CFG" "$W/$G/defs.bzl" "$tmp/scan/a/"
cp "$O/$CFG" "$O/$G/defs.bzl" "$tmp/scan/b/"
run_cmd 1 "$T" scan "$tmp/scan/a" && has "$out" "scan/a/chip_sim_cfg.hjson" && has "$out" "scan/a/defs.bzl"
run_cmd 0 "$T" scan "$tmp/scan/b"
run_cmd 1 "$T" scan "$W/$G/dv" && has "$out" "chip_sim_cfg.hjson"

# --- dvsim's OTP step, as dvsim expands it, on tapeseal-secure (no --lc-state-def: found in the tree)
mkdir -p "$tmp/run" "$tmp/own"
n=0
while read -r cmd; do
	case "$cmd" in "$S otp-image "*) ;; *) continue ;; esac
	n=$((n + 1))
	# shellcheck disable=SC2086
	run_cmd 0 $cmd
	[ -z "$out" ] && ok || bad "--quiet printed: $out"
	img=$(echo "$cmd" | sed -n 's/.*--img-cfg \([^ ]*\).*/\1/p')
	adds=$(echo "$cmd" | grep -o -- '--add-cfg [^ ]*' | sed 's/--add-cfg //' | sed 's/^/--add-cfg /' | tr '\n' ' ')
	vmem=$(echo "$cmd" | sed -n 's/.*--out \([^ ]*\).*/\1/p')
	# shellcheck disable=SC2086
	run_cmd 0 "$S" otp-image --mmap "$W/$G/data/otp/otp_ctrl_mmap.hjson" \
		--secrets "$W/$G/data/autogen/top_earlgrey.secrets.tapeout.gen.hjson" \
		--lc-state "$W/hw/ip/lc_ctrl/data/lc_ctrl_state.hjson" --img-cfg "$img" $adds --out "$tmp/own/$(basename "$vmem")"
	check "dvsim image $(basename "$vmem")" cmp -s "$vmem" "$tmp/own/$(basename "$vmem")"
done < <("$EFF" "$W/$CFG" "$W" run_dir="$tmp/run" -- cmds:gen_otp_images_mode)
check "dvsim's OTP step builds 9 images" test "$n" -eq 9

# --- back to testing: every byte and mode as before the switch
pristine=$(snap "$base")
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing && has "$out" "original bytes"
[ "$(snap "$W")" = "$pristine" ] && ok || bad "--to testing did not restore the tree"
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing && has "$out" "on testing already"
[ "$(snap "$W")" = "$pristine" ] && ok || bad "a second --to testing changed the tree"

# --- refusals: nothing changes
refuse "run 'tapeseal-secure generate --outdir" "$tmp/untouched" --top earlgrey --to tapeout
fresh
echo "// x" >> "$W/$G/rtl/autogen/tapeout/lc_ctrl_token_pkg.sv"
refuse "lc_ctrl_token_pkg.sv: differs from tapeseal-manifest.tapeout.json" "$W" --top earlgrey --to tapeout
fresh
rm "$W/$G/data/autogen/top_earlgrey.secrets.tapeout.gen.hjson"
refuse "top_earlgrey.secrets.tapeout.gen.hjson: missing" "$W" --top earlgrey --to tapeout
fresh
sed -i '/^  sw_build_device: sim_dv$/d' "$W/$CFG"
refuse "$CFG: no top-level 'sw_build_device'" "$W" --top earlgrey --to tapeout
fresh
sed -i 's/{top_chip}.secrets.testing.gen.hjson"$/{top_chip}.secrets.gen.hjson"/' "$W/$CFG"
refuse "$CFG:242: expected gen_otp_top_secret_cfg to name a *.secrets.testing.gen.hjson file" "$W" --top earlgrey --to tapeout
fresh
# The edit topgen's README gives (an override) would drop the inherited mapping: refused.
sed -i 's/^  overrides: \[$/  overrides: [\n    {\n      name: sv_flist_gen_flags\n      value: ["--flag=fileset_tapeout"]\n    }/' "$W/$CFG"
has "$(eff "$W" sv_flist_gen_flags)" 'sv_flist_gen_flags=["--flag=fileset_tapeout"]'
refuse "$CFG:75: an override sets 'sv_flist_gen_flags'" "$W" --top earlgrey --to tapeout
fresh
sed -i 's/^  overrides: \[$/  overridden: [/' "$W/$CFG"
refuse "$CFG: no top-level 'overrides'" "$W" --top earlgrey --to tapeout
fresh
sed -i 's/secret_cfgs = {/secret_configs = {/' "$W/$G/defs.bzl"
refuse "defs.bzl: no 'secret_cfgs = {'" "$W" --top earlgrey --to tapeout
fresh
sed -i 's/^        "testing": /        "test": /' "$W/$G/defs.bzl"
refuse "defs.bzl:22: secret_cfgs has no \"testing\" entry" "$W" --top earlgrey --to tapeout
fresh
refuse "--otp-cmd 'a b'" "$W" --top earlgrey --to tapeout --otp-cmd "a b"
refuse "no such directory" "$W" --top nosuchtop --to tapeout
run_cmd 2 "$S" switch --tree "$W" --top earlgrey && has "$err" "--to are required"
run_cmd 2 "$S" switch --tree "$W" --top earlgrey --to prod && has "$err" "--to is tapeout or testing"
run_cmd 2 "$S" switch --tree "$W" --top earlgrey --to testing --otp-cmd x && has "$err" "go with --to tapeout"
# A file changed since the switch: refused, then --force undoes only the switch's edits.
fresh
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout
echo "// a local change" >> "$W/$CFG"
refuse "$CFG: changed since the switch" "$W" --top earlgrey --to testing
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing --force
{ cat "$O/$CFG"; echo "// a local change"; } > "$tmp/want"
check "--force keeps the local change only" cmp -s "$W/$CFG" "$tmp/want"
check "--force restores defs.bzl" cmp -s "$W/$G/defs.bzl" "$O/$G/defs.bzl"
check "the record is gone" test ! -e "$W/$G/tapeseal-switch.tapeout.json"

# --- MIXED: one selector put back by hand
fresh
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout
cp "$O/$G/defs.bzl" "$W/$G/defs.bzl"
for tool in "$S" "$T"; do
	run_cmd 1 "$tool" status --tree "$W" --top earlgrey && has "$out" $'\nMIXED'
	has "$out" "Bazel secret_cfgs          testing"
done
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing
[ "$(snap "$W")" = "$pristine" ] && ok || bad "switching back a MIXED tree did not restore it"
# A switched tree whose record was lost is not undone blindly.
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout
rm "$W/$G/tapeseal-switch.tapeout.json"
refuse "tapeseal-switch.tapeout.json: not found, but the top is not on testing" "$W" --top earlgrey --to testing

# --- --purge-testing; the way back names the public command that restores the testing artifacts
fresh
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout --purge-testing && has "$out" "testing artifact(s) removed"
check "testing secrets purged" test ! -e "$W/$G/data/autogen/top_earlgrey.secrets.testing.gen.hjson"
refuse "the testing artifacts were purged; restore them with the public tool first: tapeseal generate" "$W" --top earlgrey --to testing
restore=$(echo "$err" | sed 's/.*first: //')
# shellcheck disable=SC2086
run_cmd 0 $(echo "$restore" | sed "s|^tapeseal |$T |")
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing
# (the regenerated testing files have the public tool's modes; their bytes are the originals)
check "restore + --to testing gives every byte back" diff -r "$W" "$base"

# --- a top without a dvsim configuration: the Bazel edit only; its core's tapeout name is wrong
fresh
run_cmd 0 "$S" switch --tree "$W" --top englishbreakfast --to tapeout && has "$out" "only the Bazel edit"
has "$out" "hw/top_englishbreakfast/defs.bzl:20: add \"tapeout\""
run_cmd 0 "$S" status --tree "$W" --top englishbreakfast && has "$out" $'\ntapeout'
has "$out" "warning: hw/top_englishbreakfast/top_englishbreakfast.core asks for core 'lowrisc:englishbreakfast_constants:prod_rnd_cnst_pkg' under fileset_tapeout"
run_cmd 0 "$S" status --tree "$W" --top earlgrey
case "$out" in *warning:*) bad "earlgrey's tapeout core should resolve: $out" ;; *) ok ;; esac
run_cmd 0 "$S" switch --tree "$W" --top englishbreakfast --to testing
[ "$(snap "$W")" = "$pristine" ] && ok || bad "englishbreakfast not restored"

# --- a top that already has sw_build_opts and its own sv_flist_gen_flags: both lists gain the value
fresh
sed -i 's/^  sw_build_device: sim_dv$/  sw_build_device: sim_dv\n  sw_build_opts: ["--define=x=1",\n                  "--copt=-O2"]\n  sv_flist_gen_flags: ["--flag=fileset_partner"]/' "$W/$CFG"
cp -a "$W" "$tmp/w2"
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to tapeout
e=$(eff "$W" sv_flist_gen_flags sw_build_opts)
has "$e" 'sv_flist_gen_flags=["--flag=fileset_partner","--flag=fileset_tapeout","--mapping=lowrisc:prim_generic:all:0.1"]'
has "$e" 'sw_build_opts=["--define=x=1","--copt=-O2","--//hw/top:seed=tapeout"]'
has "$(grep -n 'copt=-O2"' "$W/$CFG")" '"--copt=-O2", "--//hw/top:seed=tapeout"]'
run_cmd 0 "$S" switch --tree "$W" --top earlgrey --to testing
[ "$(snap "$W")" = "$(snap "$tmp/w2")" ] && ok || bad "the list edits were not undone exactly"

# --- OTP images: the reference gen-otp-img commands, spelled as gen-otp-img spells them
mkdir -p "$tmp/otp/w" "$tmp/otp/out"
cp -r "$RO/otp/inputs/img_cfg" "$tmp/otp/w/"
cp -r "$RO/top_earlgrey" "$tmp/otp/top_earlgrey"
n=0
while read -r args; do
	# --c-template is refused (tapeseal has gen-otp-img's default template built in): drop it.
	args=$(echo "$args" | sed "s| --c-template <tmp>||; s|--out |--out $tmp/otp/out/|; s|--c-out |--c-out $tmp/otp/out/|")
	# shellcheck disable=SC2086
	(cd "$tmp/otp/w" && "$T" otp-image $args) >"$tmp/stdout" 2>"$tmp/stderr" && ok || bad "otp-image $args: $(cat "$tmp/stderr")"
	n=$((n + 1))
done < <(sed -n 's/^    \$ util\/design\/gen-otp-img.py //p' "$RO/otp/MANIFEST.txt")
check "seven reference commands" test "$n" -eq 7
for f in "$tmp/otp/out/"*; do
	check "$(basename "$f") as gen-otp-img" cmp -s "$f" "$RO/otp/outputs/$(basename "$f")"
done
check "every reference output made" test "$(ls "$tmp/otp/out" | wc -l)" -eq 7
# The default lc_ctrl_state.hjson is the checkout's, found above the memory map.
(cd "$tmp" && "$T" otp-image --quiet --mmap-def "$O/$G/data/otp/otp_ctrl_mmap.hjson" \
	--top-secret-cfg "$O/$G/data/autogen/top_earlgrey.secrets.testing.gen.hjson" \
	--img-cfg "$RO/otp/inputs/img_cfg/otp_ctrl_img_dev.hjson" --add-cfg "$RO/otp/inputs/img_cfg/otp_ctrl_img_creator_sw_cfg.hjson" \
	--add-cfg "$RO/otp/inputs/img_cfg/otp_ctrl_img_owner_sw_cfg.hjson" --add-cfg "$RO/otp/inputs/img_cfg/otp_ctrl_img_hw_cfg.hjson" \
	-o "$tmp/dev.vmem") && ok || bad "otp-image with the default lc-state"
check "default lc-state: dev image as gen-otp-img" cmp -s "$tmp/dev.vmem" "$RO/otp/outputs/hjson_dev.24.vmem"
mkdir -p "$tmp/nolc"
cp "$O/$G/data/otp/otp_ctrl_mmap.hjson" "$tmp/nolc/"
cd "$tmp/nolc" || exit 1
run_cmd 2 "$T" otp-image --mmap-def otp_ctrl_mmap.hjson --top-secret-cfg "$O/$G/data/autogen/top_earlgrey.secrets.testing.gen.hjson" \
	--img-cfg "$RO/otp/inputs/img_cfg/otp_ctrl_img_raw.hjson" --out x.vmem && has "$err" "give --lc-state (or --lc-state-def)"
check "nothing written" test ! -e x.vmem
cd "$tmp" || exit 1
run_cmd 2 "$T" otp-image --stamp && has "$err" "--stamp is not supported"
run_cmd 2 "$S" otp-image --c-template t.tpl && has "$err" "--c-template is not supported"
finish
