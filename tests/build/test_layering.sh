#!/usr/bin/env bash
# The subsystem order of common/ (common/layering.cmake): the tree keeps it, and each kind of
# break is refused with the file and the include named.  The breaks are made in a copy.
# Usage: test_layering.sh SOURCE_DIR
SRC=$1
. "$SRC/tests/cli/lib.sh"
tmp=$(mktemp -d)
L=$SRC/common/layering.cmake
run_cmd 0 cmake -DCOMMON_DIR="$SRC/common" -P "$L" && has "$out" "layering: ok (base;topgen;otp;prov;ft;tree)"

# break FILE INCLUDE: appending the include to FILE (in a copy) must fail the check.
brk() {
	rm -rf "$tmp/c" && cp -r "$SRC/common" "$tmp/c"
	echo "#include \"$2\"" >> "$tmp/c/$1"
	run_cmd 1 cmake -DCOMMON_DIR="$tmp/c" -P "$L" || return
	has "$err" "$1: includes \"$2\""
}
brk base/ts_stage.h common/topgen/ts_job.h
brk base/ts_file.c common/ft/ts_der.h
brk topgen/ts_emit.c common/otp/ts_otp_img.h
brk otp/ts_otp_job.c common/prov/ts_prov.h
brk otp/ts_present.h tapeseal/prov_ext.h
brk prov/ts_prov.c common/ft/ts_perso.h
brk ft/ts_dice.c hsm/hsm_session.h
brk ft/ts_ft.c secure/secure_ft.h
brk prov/ext/example_ext.c simdev/simdev.h
brk topgen/ts_lc.c common/nowhere/ts_x.h
# Including one's own or a lower subsystem is fine.
rm -rf "$tmp/c" && cp -r "$SRC/common" "$tmp/c"
echo '#include "common/base/ts_hex.h"' >> "$tmp/c/ft/ts_ft.c"
echo '#include "common/otp/ts_otp_img.h"' >> "$tmp/c/prov/ts_prov_otp.c"
run_cmd 0 cmake -DCOMMON_DIR="$tmp/c" -P "$L"
# The build applies the same check: a configure of a broken tree fails.
rm -rf "$tmp/src" && mkdir "$tmp/src" && cp -r "$SRC/CMakeLists.txt" "$SRC/common" "$SRC/public" "$SRC/simdev" \
	"$SRC/seeds" "$SRC/policies" "$SRC/docs" "$tmp/src/"
echo '#include "common/prov/ts_prov.h"' >> "$tmp/src/common/topgen/ts_gen.c"
run_cmd 1 cmake -S "$tmp/src" -B "$tmp/b" -DTS_TESTS=OFF && has "$err" 'common/topgen/ts_gen.c: includes "common/prov/ts_prov.h"'
finish
