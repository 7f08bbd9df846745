#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS round trip against the installed headers of kernel REL:
# make install-dkms (the source tree in /usr/src), dkms add, dkms build -k
# REL (the module's own layout check included), dkms remove. The private
# MPTCP headers come, as on a user's machine, from Debian's linux-source
# package (installed from the fetched .deb if absent). Last, that package is
# refused for a target of another Debian version (REL's headers with
# another version in UTS_VERSION), as a user's stale linux-source would be.
#
#   selftests/dkms.sh REL
set -u
rel=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# A version of its own, so that the test neither touches an omr installed
# on this machine nor collides with another run.
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf).selftest$$
series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
src=/usr/src/omr-$ver
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "TAP version 13"
echo "1..5"

if [ ! -f "/usr/src/linux-source-$series.tar.xz" ]; then
	deb=$(ls .cache/debs/linux-source-"${series}"_*.deb 2>/dev/null | sort -V | tail -n 1)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" >"$log" 2>&1
fi
[ -f "/usr/src/linux-source-$series.tar.xz" ]
echo "$([ $? -eq 0 ] && echo ok || echo "not ok") 1 dkms: linux-source-$series present for the private MPTCP headers"

dkms remove "omr/$ver" --all >/dev/null 2>&1
rm -rf "$src"
# The source tree as `make install` puts it in place.
make -s install-dkms OMR_VERSION="$ver" >"$log" 2>&1 &&
	dkms add "omr/$ver" >>"$log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$log"
echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") 2 dkms: make install-dkms, dkms add omr/$ver"

dkms build "omr/$ver" -k "$rel" >"$log" 2>&1
rc=$?
ko=$(find "/var/lib/dkms/omr/$ver/$rel" -name 'omr.ko*' 2>/dev/null | head -n 1)
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
if [ $rc -ne 0 ] || [ "$vermagic" != "$rel" ]; then
	sed 's/^/# /' "$log" | tail -n 30
	cat "/var/lib/dkms/omr/$ver/build/make.log" 2>/dev/null | tail -n 30 | sed 's/^/# /'
	rc=1
else
	# The build's own lines: where the private headers came from, the check.
	cat "/var/lib/dkms/omr/$ver/$rel"/*/log/make.log "/var/lib/dkms/omr/$ver/build/make.log" 2>/dev/null |
		grep '^omr: ' | sed 's/^/# /'
fi
echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") 3 dkms: build -k $rel gives omr.ko with vermagic $rel (${vermagic:-none})"
# Kept for the VM, which loads this very build (selftests/omr_dkms_load.sh).
rm -rf "out/dkms/$rel"
if [ $rc -eq 0 ]; then
	mkdir -p "out/dkms/$rel"
	case $ko in
	*.xz) xz -dc "$ko" >"out/dkms/$rel/omr.ko" ;;
	*.zst) zstd -qdc "$ko" >"out/dkms/$rel/omr.ko" ;;
	*) cp "$ko" "out/dkms/$rel/omr.ko" ;;
	esac
fi

dkms remove "omr/$ver" --all >"$log" 2>&1
rc=$?
[ -e "/var/lib/dkms/omr/$ver" ] && rc=1
make -s uninstall-dkms OMR_VERSION="$ver" >/dev/null 2>&1
[ -e "$src" ] && rc=1
rm -rf "$src"
echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") 4 dkms: remove omr/$ver --all, make uninstall-dkms removes its tree"

# A target whose Debian version is not the installed linux-source's: a copy
# of the headers' identity (release, UTS_VERSION one revision on; the rest
# is the real headers' through the Makefile's include) and of the scripts
# outside the project, as in a DKMS tree.
kdir=/lib/modules/$rel/build
fake=$(mktemp -d)
mkdir -p "$fake/kdir/include/config" "$fake/kdir/include/generated"
cp "$kdir/Makefile" "$fake/kdir/"
# The BTF too: prepare-ksrc.sh records its hash (kmod/kernel_id.c) first.
ln -s "$kdir/vmlinux" "$fake/kdir/vmlinux"
cp "$kdir/include/config/kernel.release" "$fake/kdir/include/config/"
srcver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null)
other=$(echo "$srcver" | sed -E 's/-([0-9]+)/-9\1/')
sed "s/ Debian [^ ]* / Debian $other /" "$kdir/include/generated/utsversion.h" \
	>"$fake/kdir/include/generated/utsversion.h"
cp -r scripts "$fake/"
"$fake/scripts/prepare-ksrc.sh" "$fake/kdir" "$fake/gen" >"$log" 2>&1
rc=$?
msg="omr: /usr/src/linux-source-$series.tar.xz is linux-source-$series $srcver, the target $rel is Debian $other, "
if [ $rc -ne 0 ] && grep -qF "$msg" "$log" && grep -qF "install linux-source-$series=$other" "$log" &&
	[ ! -e "$fake/gen/mptcp/protocol.h" ]; then
	rc=0
else
	rc=1
fi
sed 's/^/# /' "$log"
rm -rf "$fake"
echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") 5 dkms: linux-source-$series $srcver refused for a target of Debian ${other:-?}"
