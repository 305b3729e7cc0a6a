#!/usr/bin/env bash
# Runs a fixed set of commands of one build and keeps everything they write (files, stdout,
# stderr, exit codes) under OUT, so that two builds can be compared with `diff -r`: before and
# after a refactoring, every output must be byte-identical.  Time stamps and the temporary
# directory's name are masked; nothing else is.
# Usage: tests/tools/outputs.sh BUILD_DIR OUT_DIR   (TAPESEAL_REFERENCE as for the tests)
#   e.g. tests/tools/outputs.sh old/build /tmp/a && tests/tools/outputs.sh build /tmp/b && diff -r /tmp/a /tmp/b
set -uo pipefail
B=$(cd "$1" && pwd)
OUT=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ref=${TAPESEAL_REFERENCE:-$SRC/../shared/reference}/opentitan
T=$B/public/tapeseal
S=$B/secure/tapeseal-secure
D=$B/simdev/tapeseal-simdev
[ -x "$D" ] || D=$B/common/tapeseal-simdev
rm -rf "$OUT" && mkdir -p "$OUT/log"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
k=0
mkdir -p otp sku tapeout-otp
SRCDIR=$(cd "$B" && cmake -L -N . 2>/dev/null | sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p')
SRCDIR=${SRCDIR:-$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$B/CMakeCache.txt")}
# The temporary and source directories, time stamps and the token's (random) serial number.
mask() {
	sed -e "s#$work#WORK#g" -e "s#$B#BUILD#g" -e "s#$SRCDIR#SRC#g" -e "s#$SRC#SRC#g" \
		-e 's/20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z/TIME/g' \
		-e 's/serial\([": ]*\)[0-9a-f]\{16\}/serial\1SERIAL/g'
}
# run NAME CMD...: stdout, stderr and the exit code of CMD, masked.
run() {
	local name=$1; shift
	k=$((k + 1))
	"$@" > "$work/.o" 2> "$work/.e"
	echo "rc=$?" > "$OUT/log/$(printf %02d $k)-$name.rc"
	mask < "$work/.o" > "$OUT/log/$(printf %02d $k)-$name.out"
	mask < "$work/.e" > "$OUT/log/$(printf %02d $k)-$name.err"
}
# keep DIR NAME: every file under DIR (masked if text), and its mode.
keep() {
	mkdir -p "$OUT/files/$2"
	(cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
		mkdir -p "$OUT/files/$2/$(dirname "$f")"
		if grep -qI . "$f"; then mask < "$f" > "$OUT/files/$2/$f"; else cp "$f" "$OUT/files/$2/$f"; fi
		stat -c '%a %n' "$f" >> "$OUT/files/$2.modes"
	done)
}

# The public half: the demo top, OpenTitan's tops, OTP images, the registry.
run demo-generate "$T" generate
run demo-verify "$T" verify
keep tapeseal-demo demo
run help "$T" --help
run version "$T" --version
for t in earlgrey englishbreakfast; do
	R=$ref/top_$t
	lc=()
	[ $t = earlgrey ] && lc=(--lc-state "$R/lc_ctrl_state.hjson")
	run $t-generate "$T" generate --structure "$R/top_$t.secrets.testing.gen.hjson" \
		--seeds "$R/top_${t}_seed.testing.hjson" "${lc[@]}" --outdir "$t" --json
	run $t-verify "$T" verify --structure "$R/top_$t.secrets.testing.gen.hjson" \
		--seeds "$R/top_${t}_seed.testing.hjson" "${lc[@]}" --outdir "$t"
	keep "$t" "$t"
done
O=$ref/otp/inputs/img_cfg
M=$ref/top_earlgrey
while read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	set -- $line
	name=$1; shift
	args=()
	for a in "$@"; do args+=("${a//@OTP@/$O}"); done
	run otp-$name "$T" otp-image "${args[@]}" --out "otp/$name.vmem"
done <<EOF
prod --mmap $M/otp_ctrl_mmap.hjson --secrets $M/top_earlgrey.secrets.testing.gen.hjson --lc-state $M/lc_ctrl_state.hjson --img-cfg @OTP@/otp_ctrl_img_prod.hjson
dev --mmap $M/otp_ctrl_mmap.hjson --secrets $M/top_earlgrey.secrets.testing.gen.hjson --lc-state $M/lc_ctrl_state.hjson --img-cfg @OTP@/otp_ctrl_img_dev.hjson --add-cfg @OTP@/otp_ctrl_img_creator_sw_cfg.hjson --add-cfg @OTP@/otp_ctrl_img_owner_sw_cfg.hjson --add-cfg @OTP@/otp_ctrl_img_hw_cfg.hjson
devperm --mmap $M/otp_ctrl_mmap.hjson --secrets $M/top_earlgrey.secrets.testing.gen.hjson --lc-state $M/lc_ctrl_state.hjson --img-cfg @OTP@/otp_ctrl_img_dev.hjson --data-perm [15:0],[23:16]
bad --mmap $M/otp_ctrl_mmap.hjson --secrets $M/top_earlgrey.secrets.testing.gen.hjson --lc-state $M/lc_ctrl_state.hjson --img-cfg @OTP@/no_such_file.hjson
EOF
keep otp otp
run prov-list "$T" prov list --json
run prov-show "$T" prov show demo --json
run otp-consts "$T" otp-consts --sku demo --secrets tapeseal-demo/data/autogen/top_demo.secrets.testing.gen.hjson
run otp-sku "$T" otp-image --sku demo --secrets tapeseal-demo/data/autogen/top_demo.secrets.testing.gen.hjson --out sku/demo.vmem
keep sku sku
run scan-demo "$T" scan tapeseal-demo
run bad-seeds "$T" generate --structure "$SRC/seeds/top_demo.structure.hjson" --seeds "$SRC/seeds/top_demo.structure.hjson" --outdir x
run bad-usage "$T" generate --no-such-option

# The secure half on a throw-away SoftHSM2 token holding a known master.
if [ -x "$S" ] && command -v softhsm2-util >/dev/null; then
	mkdir -p hsm/tokens
	printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nobjectstore.umask = 0077\nlog.level = ERROR\n' "$work" > hsm/conf
	export SOFTHSM2_CONF=$work/hsm/conf
	softhsm2-util --init-token --free --label golden --so-pin 87654321 --pin 12345678 >/dev/null
	(umask 077 && printf '12345678\n' > hsm/pin)
	echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |
		"$B/tests/hsm_import" /usr/lib/softhsm/libsofthsm2.so golden hsm/pin top_demo.tapeout.master
	cat > hsm/policy.hjson <<POL
{
  deny_seed_sha256: []
  pin_sources: [ "file" ]
  module_paths: []
  master: { local: false, always_sensitive: false, never_extractable: false, extractable: false, modifiable: false }
  allow_git_worktree: false
}
POL
	chmod 644 hsm/policy.hjson
	U="pkcs11:token=golden;object=top_demo.tapeout.master?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$work/hsm/pin"
	run s-help "$S" --help
	run s-master-show "$S" master show --hsm "$U" --policy hsm/policy.hjson --top demo
	run s-generate "$S" generate --hsm "$U" --policy hsm/policy.hjson --structure "$SRC/seeds/top_demo.structure.hjson" --outdir tapeout
	run s-verify "$S" verify --hsm "$U" --policy hsm/policy.hjson --structure "$SRC/seeds/top_demo.structure.hjson" --outdir tapeout
	run s-otp "$S" otp-image --sku demo --secrets tapeout/data/autogen/top_demo.secrets.tapeout.gen.hjson --out tapeout-otp/demo.vmem
	run s-scan "$T" scan tapeout
	run s-refuse "$S" generate --hsm "$U" --policy hsm/policy.hjson --structure "$SRC/seeds/top_demo.structure.hjson" --outdir tapeseal-demo
	cp -r tapeseal-demo purge
	run s-purge "$S" purge-testing --outdir purge
	keep tapeout tapeout
	keep tapeout-otp tapeout-otp
	keep purge purge
fi

# The simulated device up to personalization (deterministic stages).
mkdir -p dev
run sd-cp "$D" --state dev/a --sku demo --seed 0101010101010101010101010101010101010101010101010101010101010101 cp
run sd-consts "$T" otp-consts --sku demo --secrets tapeseal-demo/data/autogen/top_demo.secrets.testing.gen.hjson
cp "$OUT/log/$(printf %02d $k)-sd-consts.out" consts.json
run sd-ind "$D" --state dev/a --sku demo --consts consts.json --ft-device-id 00000000000000000000000000001234 individualize
keep dev dev
echo "outputs of $B in $OUT: $(find "$OUT" -type f | wc -l) files"
