#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch a Debian kernel for building omr.ko and booting it in the test VM.
#
#   scripts/fetch-kernel.sh [SERIES]     (SERIES defaults to 6.12)
#
# Picks the newest linux-image-SERIES.*+deb12-amd64-unsigned that apt knows,
# installs the matching linux-headers package (the only thing that goes into
# the system: kbuild and DKMS want it under /lib/modules/REL/build), and
# downloads the image and linux-source-SERIES of the same version into
# .cache/ in the project. Prints the kernel release (e.g. 6.12.117+deb12-amd64)
# on stdout as its last line; everything else goes to stderr.
#
# Layout of .cache/kernels/REL/:
#   root/      the unpacked image (boot/vmlinuz-REL, lib/modules/REL/ + depmod)
#   src/       the few parts of the kernel source the build and tests read:
#              net/mptcp/, the kselftest framework, checkpatch.pl
#   version    the Debian package version
set -euo pipefail

series=${1:-6.12}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OMR_CACHE:-$top/.cache}
log() { echo "fetch-kernel: $*" >&2; }

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
ksrc=linux-source-$series
dpkg-deb --fsys-tarfile "$cache/debs/linux-source-${series}_${pkgver}"_all.deb |
	tar -xO "./usr/src/$ksrc.tar.xz" |
	tar -xJ -C "$kdir/src" --strip-components=1 \
		"$ksrc/net/mptcp" \
		"$ksrc/include/net/mptcp.h" \
		"$ksrc/include/uapi/linux/mptcp.h" \
		"$ksrc/tools/testing/selftests/kselftest.h" \
		"$ksrc/tools/testing/selftests/kselftest_harness.h" \
		"$ksrc/tools/testing/selftests/kselftest" \
		"$ksrc/tools/testing/selftests/net/mptcp" \
		"$ksrc/tools/testing/selftests/net/lib.sh" \
		"$ksrc/scripts/checkpatch.pl" \
		"$ksrc/scripts/spelling.txt" \
		"$ksrc/scripts/const_structs.checkpatch"
echo "$pkgver" >"$kdir/version"
touch "$kdir/.done"
echo "$rel"
