#!/usr/bin/env bash
# The Debian packages: cpack -G DEB from the build directory makes tapeseal, tapeseal-dev,
# tapeseal-common and (with TAPESEAL_SECURE) tapeseal-secure with the dependencies dpkg-shlibdeps
# computes; they unpack into a scratch root (dpkg -x) where the tools run, pkg-config finds the
# extension header and the example extension builds from it.  The bash completion offers what
# each command's --help documents.  Nothing is written to the build directory.
# Usage: test_packages.sh BUILD_DIR SOURCE_DIR
BUILD=$1
SRC=$2
. "$SRC/tests/cli/lib.sh"
tmp=$(mktemp -d)
for tool in cpack dpkg-deb dpkg-shlibdeps pkg-config file; do
	command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (.ci/deps installs it)"; exit 77; }
done
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
libdir=$(cache CMAKE_INSTALL_LIBDIR)
cc=$(cache CMAKE_C_COMPILER)
version=$(sed -n 's/^project(tapeseal VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
secure=$(cache TAPESEAL_SECURE)
public=$(cache TAPESEAL_PUBLIC)
want=(tapeseal-common tapeseal-dev)
[ "$public" = ON ] && want+=(tapeseal)
[ "$secure" = ON ] && want+=(tapeseal-secure)

run_cmd 0 cpack -G DEB -B "$tmp/pkgs" --config "$BUILD/CPackConfig.cmake"
for p in "${want[@]}"; do
	deb=$(ls "$tmp/pkgs/${p}_${version}_"*.deb 2>/dev/null)
	[ -f "$deb" ] && ok || { bad "no package $p in: $(ls "$tmp/pkgs")"; continue; }
	declare "deb_${p//-/_}=$deb"
	dpkg-deb -x "$deb" "$tmp/root" && ok || bad "dpkg -x $deb"
done
n=$(ls "$tmp/pkgs"/*.deb | wc -l)
[ "$n" -eq ${#want[@]} ] && ok || bad "$n packages, want ${#want[@]}"
# cpack installs into its own directory (-B): the build tree is as it was.
[ ! -e "$BUILD/_CPack_Packages" ] && [ -z "$(ls "$BUILD"/*.deb 2>/dev/null)" ] && ok || bad "cpack wrote into $BUILD"

field() { dpkg-deb -f "$1" "$2"; }
if [ "$public" = ON ]; then
	deps_pub=$(field "$deb_tapeseal" Depends)
	has "$deps_pub" "tapeseal-common (= $version)"
	for lib in libc6 libssl3 libjansson4; do has "$deps_pub" "$lib"; done
	case "$deps_pub" in *p11-kit*) bad "tapeseal depends on p11-kit: $deps_pub" ;; *) ok ;; esac
fi
deps_dev=$(field "$deb_tapeseal_dev" Depends)
has "$deps_dev" "pkgconf | pkg-config"
[ "$(field "$deb_tapeseal_common" Architecture)" = all ] && ok || bad "tapeseal-common is not Architecture: all"
if [ "$secure" = ON ]; then
	deps_sec=$(field "$deb_tapeseal_secure" Depends)
	for lib in libc6 libssl3 libjansson4 libp11-kit0 "tapeseal-common (= $version)"; do has "$deps_sec" "$lib"; done
	# The secure package needs nothing of the public tool's: not the tool, not its package.
	case ",$deps_sec," in *", tapeseal "* | *",tapeseal "* | *", tapeseal,"*) bad "tapeseal-secure depends on tapeseal: $deps_sec" ;; *) ok ;; esac
	dpkg-deb -c "$deb_tapeseal_secure" | grep -q 'bin/tapeseal$' && bad "tapeseal-secure ships the public tool" || ok
fi

R=$tmp/root$prefix
export TAPESEAL_PROV_REGISTRY=$R/share/tapeseal/prov/registry.hjson
for f in share/tapeseal/prov/registry.hjson include/tapeseal/prov_ext.h "$libdir/pkgconfig/tapeseal-prov-ext.pc" \
	share/tapeseal/prov/examples/example_ext.c "$libdir/tapeseal/prov_ext/tapeseal_prov_ext_example.so" \
	bin/tapeseal-simdev share/man/man1/tapeseal-simdev.1; do
	[ -f "$R/$f" ] && ok || bad "not installed: $prefix/$f"
done
run_cmd 0 "$R/bin/tapeseal-simdev" --help
if [ "$public" = ON ]; then
	for f in bin/tapeseal share/man/man1/tapeseal.1 share/bash-completion/completions/tapeseal; do
		[ -f "$R/$f" ] && ok || bad "not installed: $prefix/$f"
	done
	run_cmd 0 "$R/bin/tapeseal" --version && has "$out" "$version"
	run_cmd 0 "$R/bin/tapeseal" prov list && has "$out" "demo"
fi
if [ "$secure" = ON ]; then
	for f in bin/tapeseal-secure share/man/man1/tapeseal-secure.1 share/bash-completion/completions/tapeseal-secure \
		share/tapeseal-secure/tapeout.hjson; do
		[ -f "$R/$f" ] && ok || bad "not installed: $prefix/$f"
	done
	run_cmd 0 "$R/bin/tapeseal-secure" --version && has "$out" "$version"
fi

# pkg-config from the scratch root finds the header; the example extension builds against it.
export PKG_CONFIG_SYSROOT_DIR=$tmp/root PKG_CONFIG_LIBDIR=$R/$libdir/pkgconfig
run_cmd 0 pkg-config --cflags tapeseal-prov-ext && has "$out" "-I$R/include"
run_cmd 0 pkg-config --modversion tapeseal-prov-ext && has "$out" "$version"
# shellcheck disable=SC2046
run_cmd 0 "$cc" -std=c11 -shared -fPIC $(pkg-config --cflags tapeseal-prov-ext) \
	"$R/share/tapeseal/prov/examples/example_ext.c" -o "$tmp/ext.so"
run_cmd 1 pkg-config --cflags tapeseal-prov-ext-none

# The pre-commit hook runs as the framework would run it (entry, then args, in the work tree)
# with the installed tool: a clean tree passes, one with a tapeout secrets file fails.
if [ "$public" = ON ]; then
H=$SRC/.pre-commit-hooks.yaml
entry=$(sed -n 's/^  entry: //p' "$H")
args=$(sed -n 's/^  args: \[\(.*\)\]$/\1/p' "$H" | tr -d '",')
grep -q '^  pass_filenames: false' "$H" && ok || bad "$H: the hook scans the tree, not file names"
mkdir -p "$tmp/repo/hw" && echo x > "$tmp/repo/hw/README.md"
# shellcheck disable=SC2086
(cd "$tmp/repo" && PATH=$R/bin:$PATH $entry $args >/dev/null 2>&1) && ok || bad "hook '$entry $args' fails a clean tree"
echo x > "$tmp/repo/hw/top_demo.secrets.tapeout.gen.hjson"
# shellcheck disable=SC2086
(cd "$tmp/repo" && PATH=$R/bin:$PATH $entry $args >/dev/null 2>&1) && bad "hook '$entry $args' passes tapeout material" || ok
fi

# completion NAME FILE WORDS...: what the completion offers after WORDS (the last one is typed).
completion() {
	local fn=$1 file=$2; shift 2
	(. "$file"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$fn"; printf '%s\n' "${COMPREPLY[@]}") | LC_ALL=C sort -u
}
# documented TOOL CMD...: the options of the command's --help (usage block and option table).
documented() {
	"$@" --help 2>/dev/null | awk '/^$/ {u = 1} !u {print; next} /^ +--/ {print $1}' | grep -oE -- '--[a-z][a-z-]*' |
		LC_ALL=C sort -u
}
# same_options TOOL FN COMPLETION HELP_CMD... -- WORDS...: offered (but --help) = documented.
same_options() {
	local tool=$1 fn=$2 file=$3; shift 3
	local help=() words
	while [ "$1" != -- ]; do help+=("$1"); shift; done
	shift
	words=$(completion "$fn" "$file" "$tool" "$@" -- | grep -v '^--help$')
	local docs
	docs=$(documented "${help[@]}")
	[ "$words" = "$docs" ] && ok || bad "completion of '$tool $*' offers: $(echo $words); --help: $(echo $docs)"
}
C=$R/share/bash-completion/completions
P=$R/bin/tapeseal
[ "$public" = ON ] && for c in generate otp-image otp-consts scan status; do same_options tapeseal _tapeseal "$C/tapeseal" "$P" $c -- $c; done
if [ "$public" = ON ]; then
	same_options tapeseal _tapeseal "$C/tapeseal" "$P" generate -- verify
	same_options tapeseal _tapeseal "$C/tapeseal" "$P" prov -- prov list
	has "$(completion _tapeseal "$C/tapeseal" tapeseal o)" "otp-image"
fi
if [ "$secure" = ON ]; then
	S=$R/bin/tapeseal-secure
	F=$C/tapeseal-secure
	for c in generate otp-image personalize purge-testing switch status; do same_options tapeseal-secure _tapeseal_secure "$F" "$S" $c -- $c; done
	same_options tapeseal-secure _tapeseal_secure "$F" "$S" generate -- verify
	same_options tapeseal-secure _tapeseal_secure "$F" "$S" master show -- master show
	same_options tapeseal-secure _tapeseal_secure "$F" "$S" ca init -- ca init
	has "$(completion _tapeseal_secure "$F" tapeseal-secure master "")" "create"
	has "$(completion _tapeseal_secure "$F" tapeseal-secure ca init --role "")" "ext"
fi
finish
