#!/usr/bin/env bash
# CLI tests of the provisioning registry: `tapeseal prov list/show`,
# `otp-consts --sku` and `otp-image --sku`, with the built-in registry and with
# a downstream PROV_EXTS_DIR built here (its own OTP configuration, SKU,
# execution environment and hook libraries), and every refusal with its message.
# Usage: test_cli_prov.sh PATH_TO_TAPESEAL SOURCE_DIR TEST_EXT_DIR
T=$1
SRC=$2
EXTS=$3 # the test extension libraries (ext_a.so, ext_abi2.so, ...)
. "$SRC/tests/cli/lib.sh"
tmp=$(mktemp -d)
chmod 755 "$tmp"
unset PROV_EXTS_DIR TAPESEAL_PROV_REGISTRY
P=$SRC/policies/prov

# --- help and usage
run_cmd 0 "$T" prov --help && has "$out" "PROV_EXTS_DIR" && has "$out" "prov show SKU"
run_cmd 2 "$T" prov && has "$err" "give 'list' or 'show SKU'"
run_cmd 0 "$T" otp-consts --help && has "$out" "--sku NAME"
run_cmd 2 "$T" otp-consts && one_line "$err"

# --- the built-in registry
run_cmd 0 "$T" prov list && has "$out" "dm00" && has "$out" "demo_ext" && has "$out" "demo_rom_ext"
has "$out" "[refused: CWT certificates are not supported]"
run_cmd 0 "$T" prov list --json && has "$out" '"origin": "built-in"'
run_cmd 0 "$T" prov show demo_ext --json && has "$out" '"lib": "builtin:example"' && has "$out" '"abi": "1.0"'
run_cmd 1 "$T" prov show demo_dice_cwt && has "$err" "uses CWT certificates, which are not supported"
run_cmd 1 "$T" prov show nosuch && has "$err" "no SKU 'nosuch'"
run_cmd 1 "$T" otp-consts --sku demo_dice_cwt && has "$err" "not supported; use x509" && one_line "$err"
run_cmd 0 "$T" otp-consts --sku demo && has "$out" '"otp_cfg": "dm00"' && has "$out" '"OWNER_SW_CFG"'
has "$out" '"deferred": true'

# --- a downstream extension directory, picked up through PROV_EXTS_DIR
E=$tmp/ext
mkdir -p "$E/lib" "$E/otp" "$E/skus" "$E/ca/acme" "$E/fw"
cp "$P"/otp/*.hjson "$E/otp/"
cp "$EXTS"/ext_*.so "$E/lib/"
chmod 644 "$E"/lib/*.so
echo "acme rom_ext" > "$E/fw/rom_ext.bin"
echo "acme owner firmware" > "$E/fw/owner_fw.bin"
echo '{ name: "acme", dice_ca: { key_type: "Token", key: "acme-dice-ca" } }' > "$E/skus/acme.hjson"
pin_b=$(sha256sum "$E/lib/ext_b.so" | cut -d' ' -f1)
sha_a=$(sha256sum "$E/lib/ext_a.so" | cut -d' ' -f1)
# write_cfg SKU_NAME EXTRA_SKU_KEYS HOST_LIBS DEVICE_LIBS
write_cfg() {
	cat > "$E/cfg.hjson" <<EOF
{
  schema: "tapeseal-prov-ext/1"
  EXT_OTP_CFGS: {
    ac00: {
      mmap: "otp/top_demo_otp_mmap.hjson", lc_state: "otp/top_demo_lc_ctrl_state.hjson"
      base: "otp/dm00_baseline.hjson", overlays: [ "otp/dm00_creator_sw_cfg.hjson" ]
    }
  }
  EXT_SKUS: {
    $1: { $2
      otp: "ac00", ca_data: "ca/acme", dice_format: "x509"
      host_ext_libs: $3
      device_ext_libs: $4
      rom_ext: "fw/rom_ext.bin", owner_fw: "fw/owner_fw.bin", ecdsa_key: {}, spx_key: {}, signature_prefix: ""
      orchestrator_cfg: "skus/acme.hjson"
    }
  }
  EXT_EXEC_ENVS: { acme_env: { rom_ext_version: "1.2.3", owner_fw_boot_str: "acme fw", lc_state: "PROD", fault: "none" } }
}
EOF
}
good_cfg() { write_cfg acme "" "[ { lib: \"@exts/lib/ext_b.so\", sha256: \"$pin_b\" } ]" \
	'[ "@exts/lib/ext_a.so", "builtin:default" ]'; }
good_cfg
export PROV_EXTS_DIR=$E
run_cmd 0 "$T" prov list && has "$out" "ac00     downstream" && has "$out" "acme_env"
has "$out" "$E/cfg.hjson  [ok]" && has "$out" "demo_ext"
run_cmd 0 "$T" prov show acme --json
has "$out" '"origin": "downstream"' && has "$out" '"name": "a"' && has "$out" "\"sha256\": \"$sha_a\""
has "$out" "\"sha256\": \"$pin_b\"" && has "$out" '"version": "test"' && has "$out" '"name": "default"'
has "$out" "\"path\": \"$E/lib/ext_a.so\""
run_cmd 0 "$T" prov show acme && has "$out" "SKU acme (downstream, $E/cfg.hjson)"
# A library swapped at its path between the hash and the dlopen is not the one loaded: the loader
# loads the descriptor it hashed (the shim renames ext_b.so's copy over ext_a.so inside dlopen).
if [ -f "$EXTS/ts_dlopen_swap.so" ]; then
	cp -a "$E" "$tmp/ext_swap"
	cp "$EXTS/ext_b.so" "$tmp/ext_swap/swap_in.so"
	PROV_EXTS_DIR=$tmp/ext_swap LD_PRELOAD=$EXTS/ts_dlopen_swap.so TS_SWAP_FROM=$tmp/ext_swap/lib/ext_a.so \
		TS_SWAP_TO=$tmp/ext_swap/swap_in.so ASAN_OPTIONS=verify_asan_link_order=0 run_cmd 0 "$T" prov show acme --json
	has "$out" '"name": "a"' && has "$out" "\"sha256\": \"$sha_a\""
	check "the swap happened" cmp -s "$tmp/ext_swap/lib/ext_a.so" "$EXTS/ext_b.so"
	# Without the shim, the swapped-in file now at the path is refused by the pin... when pinned:
	sed -i "s|\"@exts/lib/ext_a.so\", \"builtin:default\"|{ lib: \"@exts/lib/ext_a.so\", sha256: \"$sha_a\" }, \"builtin:default\"|" \
		"$tmp/ext_swap/cfg.hjson"
	PROV_EXTS_DIR=$tmp/ext_swap run_cmd 1 "$T" prov show acme && has "$err" "does not match the pinned $sha_a"
else
	bad "the dlopen swap shim was not built ($EXTS/ts_dlopen_swap.so)"
fi
before=$(snap "$E")

# otp-consts and otp-image read the SKU's OTP configuration; the image equals the one built from explicit files.
run_cmd 0 "$T" otp-consts --sku acme && has "$out" '"otp_cfg": "ac00"' && has "$out" '"CREATOR_SW_CFG"'
case "$out" in *OWNER_SW_CFG*) bad "ac00 has no owner overlay" ;; *) ok ;; esac
mkdir "$tmp/demo" && (cd "$tmp/demo" && "$T" generate >/dev/null) || bad "demo generate"
SEC=$tmp/demo/tapeseal-demo/data/autogen/top_demo.secrets.testing.gen.hjson
run_cmd 0 "$T" otp-image --sku acme --secrets "$SEC" --out "$tmp/sku.24.vmem"
run_cmd 0 "$T" otp-image --mmap "$P/otp/top_demo_otp_mmap.hjson" --lc-state "$P/otp/top_demo_lc_ctrl_state.hjson" \
	--secrets "$SEC" --img-cfg "$P/otp/dm00_baseline.hjson" --add-cfg "$P/otp/dm00_creator_sw_cfg.hjson" \
	--out "$tmp/explicit.24.vmem"
check "otp-image --sku equals explicit" cmp "$tmp/sku.24.vmem" "$tmp/explicit.24.vmem"
run_cmd 2 "$T" otp-image --sku acme --secrets "$SEC" --img-cfg x --out "$tmp/x.vmem" && has "$err" "--sku replaces"
check "the extension directory is untouched" test "$before" = "$(snap "$E")"

# --- registry problems: each reported with file:line:col and key, exit 1, nothing written
problem() { # NEEDLE: prov list and otp-image --sku both refuse with it
	run_cmd 1 "$T" prov list && has "$err" "$1"
	"$T" otp-image --sku acme --secrets "$SEC" --out "$tmp/bad.24.vmem" >/dev/null 2>&1
	check "refused otp-image writes nothing" test ! -e "$tmp/bad.24.vmem"
}
write_cfg acme 'colour: "red",' '[]' '[]'
problem "$E/cfg.hjson:10:"
has "$err" "SKU 'acme': unknown key 'colour'"
echo outside > "$tmp/outside.bin"
write_cfg acme 'rom_ext: "../outside.bin",' '[]' '[]'
sed -i 's|rom_ext: "fw/rom_ext.bin", ||' "$E/cfg.hjson"
problem "rom_ext: ../outside.bin leaves $E; paths must stay inside"
write_cfg demo '' '[]' '[]'
problem "$E/cfg.hjson:10:11: SKU 'demo' is already defined in $P/registry.hjson; set override: true"
write_cfg demo 'override: true,' '[]' '[]'
run_cmd 0 "$T" prov list && has "$out" "demo             otp ac00   x509  downstream (overrides)"
write_cfg acme '' '[]' '[ "@exts/otp/ext_a.so" ]'
problem "device_ext_libs: '@exts/otp/ext_a.so' is neither builtin:default, builtin:example nor @exts/lib/<file>.so"
write_cfg acme '' '[]' '[ { lib: "@exts/lib/ext_a.so", sha256: "00" } ]'
problem "device_ext_libs: sha256 is 64 hex digits"
# show lists an invalid SKU's problems without trying to load its libraries
run_cmd 1 "$T" prov show acme && has "$err" "sha256 is 64 hex digits"
case "$err" in *"No such file"*) bad "show loaded a library of an invalid SKU: $err" ;; *) ok ;; esac
write_cfg acme '' '[]' '[]'
sed -i 's/dice_format: "x509"/dice_format: "cwt"/' "$E/cfg.hjson"
run_cmd 0 "$T" prov list && has "$out" "acme             otp ac00   cwt"
run_cmd 1 "$T" otp-consts --sku acme && has "$err" "SKU 'acme' uses CWT certificates, which are not supported"
echo '{ schema: "tapeseal-prov-ext/1", EXT_SKUS: { acme: { otp: "ac00" ' > "$E/cfg.hjson"
run_cmd 1 "$T" prov list && has "$err" "$E/cfg.hjson:1:52: unterminated object"

# --- the loader's refusals (prov show loads the SKU's libraries without running them)
loader() { # DEVICE_LIBS NEEDLE
	write_cfg acme '' '[]' "$1"
	run_cmd 1 "$T" prov show acme && has "$err" "$2"
}
loader "[ { lib: \"@exts/lib/ext_a.so\", sha256: \"$pin_b\" } ]" \
	"extension @exts/lib/ext_a.so: SHA-256 $sha_a does not match the pinned $pin_b"
loader '[ "@exts/lib/ext_abi2.so" ]' "extension @exts/lib/ext_abi2.so: ABI major 2"
loader '[ "@exts/lib/ext_noentry.so" ]' "extension @exts/lib/ext_noentry.so: no tapeseal_prov_ext_v1 entry point"
loader '[ "@exts/lib/ext_short.so" ]' "extension @exts/lib/ext_short.so: struct_size 16"
loader '[ "@exts/lib/missing.so" ]' "extension @exts/lib/missing.so:"
chmod o+w "$E/lib/ext_a.so"
loader '[ "@exts/lib/ext_a.so" ]' "$E/lib/ext_a.so is writable by group or others; chmod go-w it"
chmod o-w "$E/lib/ext_a.so" && chmod g+w "$E/lib"
loader '[ "@exts/lib/ext_a.so" ]' "$E/lib is writable by group or others"
chmod g-w "$E/lib"
# a link inside lib/ is followed (libfoo.so -> libfoo.so.1); one leading out of lib/ is refused
ln -s ext_a.so "$E/lib/link.so"
write_cfg acme '' '[]' '[ "@exts/lib/link.so" ]'
run_cmd 0 "$T" prov show acme --json && has "$out" "\"path\": \"$E/lib/ext_a.so\""
cp "$E/lib/ext_a.so" "$E/otp/ext_a.so" && ln -sf ../otp/ext_a.so "$E/lib/link.so"
loader '[ "@exts/lib/link.so" ]' "extension @exts/lib/link.so: $E/otp/ext_a.so is not in $E/lib; extensions load only from"
rm "$E/lib/link.so" "$E/otp/ext_a.so"
loader '[ "@exts/lib/../ext.so" ]' "@exts/lib/../ext.so"
good_cfg
run_cmd 0 "$T" prov show acme

# --- PROV_EXTS_DIR that does not exist
PROV_EXTS_DIR=$tmp/nowhere run_cmd 1 "$T" prov list && has "$err" "$tmp/nowhere"
finish
