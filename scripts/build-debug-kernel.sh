#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the omr debug kernel: Debian's linux-source-6.12 with
# lockdep, KASAN and kmemleak, configured from scripts/debug-kernel/
# omr-debug.config merged onto allnoconfig (docs/testing.md, "The debug
# kernel").
#
#   scripts/build-debug-kernel.sh
#
# The kernel source comes from the linux-source-6.12 .deb that
# scripts/fetch-kernel.sh left in .cache/debs/ (OMR_DEBUG_SRC_DEB overrides);
# it is unpacked at build time and never committed. The result is laid out
# like a fetched kernel, so that selftests/vm/vm.sh -k REL boots it:
#   DIR/root/boot/vmlinuz-REL      bzImage
#   DIR/root/lib/modules/REL       modules_install + depmod
#   DIR/build                      the build tree (O=): KDIR for `make module`,
#                                  with vmlinux (BTF) for scripts/check-layout.sh
#   DIR/src                        the source (KDIR/source points to it)
#   DIR/version, DIR/.done         linux-source's package version; complete
# DIR is $OMR_DEBUG_KERNEL_CACHE/KEY (default /var/cache/omr/debug-kernel),
# outside the checkout so that CI's fresh clones share it; KEY hashes the
# package version, the config fragment and this script (their lines of code,
# not comments), so a change to any of them builds anew. .cache/kernels/REL is a symlink to DIR.
# The last line of stdout is REL. A cache hit takes a second.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OMR_CACHE:-$top/.cache}
frag=$top/scripts/debug-kernel/omr-debug.config
store=${OMR_DEBUG_KERNEL_CACHE:-/var/cache/omr/debug-kernel}
series=6.12

deb=${OMR_DEBUG_SRC_DEB:-$(ls -1 "$cache"/debs/linux-source-"$series"_*_all.deb 2>/dev/null |
	sort -V | tail -n 1)}
[ -n "$deb" ] && [ -f "$deb" ] || {
	echo "debug-kernel: no linux-source-$series .deb in $cache/debs (run scripts/fetch-kernel.sh $series)" >&2
	exit 1
}
pkgver=$(dpkg-deb -f "$deb" Version)
# comments of either file do not change the kernel ("# CONFIG_X is not set" does)
key=$({ echo "$pkgver"; cat "$frag" "$0"; } | grep -Ev '^[[:space:]]*(#[^ ]|# [^C]|#$|$)' |
	sha256sum | cut -c1-16)
dir=$store/$key

# link DIR into .cache/kernels/ under its release, and say the release
publish() {
	local rel
	rel=$(cat "$dir/release")
	mkdir -p "$cache/kernels"
	ln -sfn "$dir" "$cache/kernels/$rel.tmp"
	mv -T "$cache/kernels/$rel.tmp" "$cache/kernels/$rel"
	echo "$rel"
}

if [ -f "$dir/.done" ]; then
	echo "debug-kernel: cached in $dir" >&2
	publish
	exit 0
fi

mkdir -p "$store"
# One build at a time per key; a second run waits and then reuses it.
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/.done" ]; then
	publish
	exit 0
fi

# A partial tree (an interrupted build) is not trusted: start over. The
# build happens in place, since the build tree's paths are absolute.
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/build" "$dir/root/boot"
start=$(date +%s)
echo "debug-kernel: unpacking $(basename "$deb") into $dir/src" >&2
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
	tar -xJ -C "$dir/src" --strip-components=1

# allnoconfig + the fragment; then every line of the fragment must have
# survived (merge_config.sh only warns when a dependency drops one).
(cd "$dir/src" && scripts/kconfig/merge_config.sh -n -O "$dir/build" "$frag") \
	>"$dir/config.log" 2>&1 || { cat "$dir/config.log" >&2; exit 1; }
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qxF "$line" "$dir/build/.config" || { echo "debug-kernel: $line did not stick" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=" "$dir/build/.config" || { echo "debug-kernel: $sym is set" >&2; bad=1; } ;;
	esac
done <"$frag"
[ $bad -eq 0 ] || exit 1

jobs=$(nproc)
echo "debug-kernel: building bzImage and modules (make -j$jobs, nice 10); log: $dir/build.log" >&2
mk() { nice -n 10 make -C "$dir/build" -j"$jobs" "$@"; }
if ! mk bzImage modules >"$dir/build.log" 2>&1; then
	grep -E 'error|Error' "$dir/build.log" | head -n 20 >&2
	tail -n 20 "$dir/build.log" >&2
	exit 1
fi
rel=$(cat "$dir/build/include/config/kernel.release")
mk INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 modules_install >>"$dir/build.log" 2>&1
depmod -b "$dir/root" "$rel"
cp "$dir/build/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$rel"
cp "$dir/build/.config" "$dir/root/boot/config-$rel"

# The build tree stays usable as KDIR (Makefile, .config, include/,
# scripts/, tools/objtool, Module.symvers, vmlinux for BTF); the object
# files of the kernel itself are not needed for that, and are most of its size.
find "$dir/build" \( -path "$dir/build/scripts" -o -path "$dir/build/tools" \) -prune -o \
	\( -name '*.o' -o -name '*.a' -o -name '.tmp_vmlinux*' -o -name 'vmlinux.o' \) -type f -print0 |
	xargs -0 rm -f
# the source, as a fetched kernel has it (prepare-ksrc.sh, lint.sh)
echo "$pkgver" >"$dir/version"
echo "$rel" >"$dir/release"
touch "$dir/.done"
echo "debug-kernel: built $rel in $(($(date +%s) - start)) s ($(du -sh "$dir" | cut -f1))" >&2
publish
