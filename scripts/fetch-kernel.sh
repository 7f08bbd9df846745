#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a Debian kernel for building omr.ko and booting it in the test VM.
#
#   scripts/fetch-kernel.sh [SERIES]     (SERIES defaults to 6.12)
#   scripts/fetch-kernel.sh backports    (newest kernel of trixie-backports)
#
# SERIES: picks the newest linux-image-SERIES.*+deb12-amd64-unsigned that apt
# knows, installs the matching linux-headers package (the only thing that
# goes into the system: kbuild and DKMS want it under /lib/modules/REL/build),
# and downloads the image and linux-source-SERIES of the same version into
# .cache/ in the project.
#
# backports: asks a private apt configuration (.cache/apt-trixie/: its own
# sources list with trixie-backports and trixie, its own lists and cache; the
# system's apt is neither read nor changed) for the newest amd64 kernel of
# trixie-backports, and downloads into .cache/debs/ its image, modules,
# linux-source-X.Y and the headers debs (linux-headers-REL,
# linux-headers-*-common, linux-kbuild-*). Nothing is installed on the host:
# that kernel's headers need trixie's libc and gcc-14, so
# scripts/build-in-chroot.sh installs them into a trixie chroot. Since 7.x,
# Debian splits the image into linux-base-REL (System.map, config),
# linux-binary-unsigned-REL (usr/lib/modules/REL/vmlinuz.unsigned) and
# linux-modules-REL; older ones (linux-image-REL-unsigned) are handled too.
#
# Prints the kernel release (e.g. 6.12.117+deb12-amd64) on stdout as its last
# line; everything else goes to stderr.
#
# Layout of .cache/kernels/REL/:
#   root/      the unpacked image (boot/vmlinuz-REL, lib/modules/REL/ + depmod;
#              for a usr/lib/modules image, lib is a symlink to usr/lib)
#   src/       the few parts of the kernel source the build and tests read:
#              net/mptcp/, the kselftest framework, checkpatch.pl
#   version    the Debian package version
set -euo pipefail

series=${1:-6.12}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OMR_CACHE:-$top/.cache}
log() { echo "fetch-kernel: $*" >&2; }

# The source parts that the build and the tests read.
src_parts="net/mptcp include/net/mptcp.h include/uapi/linux/mptcp.h
	tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest tools/testing/selftests/net/mptcp
	tools/testing/selftests/net/lib.sh scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch"

# unpack_src DEB KSRC DIR: the parts above of DEB's /usr/src/KSRC.tar.xz.
unpack_src() {
	local p list=()
	for p in $src_parts; do list+=("$2/$p"); done
	dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/$2.tar.xz" |
		tar -xJ -C "$3" --strip-components=1 "${list[@]}"
}

fetch_backports() {
	local apt=$cache/apt-trixie opts rel pkgver kdir x y p pkgs deb
	mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
		"$apt/state/lists/partial" "$apt/cache/archives/partial"
	cat >"$apt/etc/sources.list" <<-EOF
		deb http://deb.debian.org/debian trixie-backports main
		deb http://deb.debian.org/debian trixie main
	EOF
	# Every path apt would otherwise take from /etc/apt or /var is redirected.
	opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list"
		-o "Dir::Etc::sourceparts=$apt/etc/sources.list.d"
		-o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
		-o "Dir::State=$apt/state" -o "Dir::State::status=/dev/null"
		-o "Dir::Cache=$apt/cache" -o "Debug::NoLocking=1"
		-o "APT::Architecture=amd64" -o "APT::Sandbox::User=root")
	# Refresh the lists at most every 6 hours.
	if [ -z "$(find "$apt/state/lists" -maxdepth 1 -name '*backports*Packages*' -mmin -360 2>/dev/null)" ]; then
		log "updating the private trixie/trixie-backports package lists"
		apt-get "${opts[@]}" update -qq >&2
	fi
	# Newest plain amd64 flavour, in either naming. trixie itself has only
	# 6.12, so the newest overall is the one from backports.
	rel=$(apt-cache "${opts[@]}" search --names-only \
		'^linux-(binary-unsigned-[0-9.]+\+deb[0-9]+-amd64|image-[0-9.]+\+deb[0-9]+-amd64-unsigned)$' |
		awk '{print $1}' | sed -E -e 's/^linux-(binary-unsigned|image)-//' -e 's/-unsigned$//' |
		sort -V | tail -n 1)
	[ -n "$rel" ] || { log "no amd64 kernel in trixie-backports"; exit 1; }
	x=${rel%%-amd64}		# 7.3.4+deb13
	y=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	if apt-cache "${opts[@]}" show "linux-binary-unsigned-$rel" >/dev/null 2>&1; then
		pkgs="linux-binary-unsigned-$rel linux-base-$rel linux-modules-$rel linux-kbuild-$x"
	else
		pkgs="linux-image-$rel-unsigned linux-kbuild-$y"
	fi
	pkgs="$pkgs linux-headers-$rel linux-headers-$x-common linux-source-$y"
	pkgver=$(apt-cache "${opts[@]}" show "linux-headers-$rel" | awk '/^Version:/{print $2; exit}')
	kdir=$cache/kernels/$rel
	mkdir -p "$cache/debs" "$kdir"
	# The headers debs the chroot build installs, for build-in-chroot.sh.
	: >"$kdir/headers-debs.tmp"
	for p in $pkgs; do
		deb=$(ls "$cache/debs/${p}_${pkgver}"_*.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$deb" ]; then
			log "downloading $p=$pkgver"
			(cd "$cache/debs" && apt-get "${opts[@]}" download -qq "$p=$pkgver" >&2)
			deb=$(ls "$cache/debs/${p}_${pkgver}"_*.deb 2>/dev/null | head -n 1 || true)
			[ -n "$deb" ] || { log "download of $p failed"; exit 1; }
		fi
		case $p in linux-headers-* | linux-kbuild-* | linux-base-*) echo "$deb" >>"$kdir/headers-debs.tmp" ;; esac
	done
	mv "$kdir/headers-debs.tmp" "$kdir/headers-debs"
	if [ -f "$kdir/.done" ] && [ "$(cat "$kdir/version")" = "$pkgver" ]; then
		echo "$rel"
		exit 0
	fi
	log "kernel $rel (package $pkgver)"
	rm -rf "$kdir/root" "$kdir/src" "$kdir/initramfs.cpio.gz"
	mkdir -p "$kdir/root" "$kdir/src"
	log "unpacking image"
	for p in $pkgs; do
		case $p in linux-binary-unsigned-* | linux-base-* | linux-modules-* | linux-image-*)
			dpkg-deb -x "$cache/debs/${p}_${pkgver}"_*.deb "$kdir/root" ;;
		esac
	done
	# Give a merged-/usr image the classic paths vm.sh, mkinitramfs.sh and
	# depmod -b (bookworm's kmod reads BASE/lib/modules) use.
	if [ -d "$kdir/root/usr/lib/modules/$rel" ] && [ ! -e "$kdir/root/lib" ]; then
		ln -s usr/lib "$kdir/root/lib"
	fi
	mkdir -p "$kdir/root/boot"
	if [ ! -e "$kdir/root/boot/vmlinuz-$rel" ]; then
		ln -s "../lib/modules/$rel/vmlinuz.unsigned" "$kdir/root/boot/vmlinuz-$rel"
	fi
	[ -f "$kdir/root/boot/vmlinuz-$rel" ] || { log "no kernel image in the debs"; exit 1; }
	depmod -b "$kdir/root" "$rel"
	log "unpacking the source parts we read (net/mptcp, kselftest, checkpatch)"
	unpack_src "$cache/debs/linux-source-${y}_${pkgver}_all.deb" "linux-source-$y" "$kdir/src"
	echo "$pkgver" >"$kdir/version"
	touch "$kdir/.done"
	echo "$rel"
	exit 0
}

[ "$series" = backports ] && fetch_backports

newest_release() {
	apt-cache search --names-only "^linux-image-${series//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64-unsigned\$" |
		awk '{print $1}' | sed -e 's/^linux-image-//' -e 's/-unsigned$//' |
		sort -V | tail -n 1
}

rel=$(newest_release)
if [ -z "$rel" ]; then
	apt-get update -qq >&2 || true
	rel=$(newest_release)
fi
[ -n "$rel" ] || { log "no linux-image-$series.*-unsigned known to apt"; exit 1; }

pkgver=$(apt-cache show "linux-image-$rel-unsigned" | awk '/^Version:/{print $2; exit}')
kdir=$cache/kernels/$rel
if [ -f "$kdir/.done" ] && [ -d "/lib/modules/$rel/build" ]; then
	echo "$rel"
	exit 0
fi
log "kernel $rel (package $pkgver)"

if [ ! -e "/usr/src/linux-headers-$rel/Makefile" ]; then
	log "installing linux-headers-$rel"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"linux-headers-$rel" >&2
fi

mkdir -p "$cache/debs" "$kdir"
(
	cd "$cache/debs"
	for p in "linux-image-$rel-unsigned" "linux-source-$series"; do
		ls "${p}_${pkgver}"_*.deb >/dev/null 2>&1 && continue
		log "downloading $p=$pkgver"
		# apt's sandbox user cannot write into the project: say so quietly.
		apt-get download -qq "$p=$pkgver" 2>&1 | grep -v 'unsandboxed' >&2 || true
		ls "${p}_${pkgver}"_*.deb >/dev/null 2>&1 || { log "download of $p failed"; exit 1; }
	done
)

rm -rf "$kdir/root" "$kdir/src"
mkdir -p "$kdir/root" "$kdir/src"
log "unpacking image"
dpkg-deb -x "$cache/debs/linux-image-$rel-unsigned_${pkgver}"_*.deb "$kdir/root"
depmod -b "$kdir/root" "$rel"

log "unpacking the source parts we read (net/mptcp, kselftest, checkpatch)"
unpack_src "$cache/debs/linux-source-${series}_${pkgver}"_all.deb "linux-source-$series" "$kdir/src"
echo "$pkgver" >"$kdir/version"
touch "$kdir/.done"
echo "$rel"
