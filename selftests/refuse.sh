#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build refuses a kernel without the MPTCP scheduler API, with one line
# naming what is missing, before any compiler runs, and leaves no omr.ko.
# The kernel is Debian 12's default 6.1 (no struct mptcp_sched_ops):
#
#   selftests/refuse.sh [KDIR | --chroot REL]
#
# 1. fetch the newest linux-headers-6.1.0-N-amd64 known to apt, its -common
#    part and linux-source-6.1 of the same version into .cache/debs/
#    (apt-get download; nothing is installed), unpacked into
#    .cache/kernels/6.1.0-N-amd64/: headers/ (dpkg -x) and src/ (the parts
#    prepare-ksrc.sh reads);
# 2. `make module` against those headers, the 6.1 source at hand as on a
#    user's machine: refused naming struct mptcp_sched_ops;
# 3. `make module` against KDIR (default: the newest 6.12 headers), which has
#    the API, but with 6.1's net/mptcp/protocol.h in a tree whose Makefile
#    says it is the target's version (or the source-version check would
#    refuse it first): refused naming mptcp_register_scheduler(). With
#    --chroot REL, against REL's headers in the trixie chroot instead
#    (scripts/build-in-chroot.sh --run): for a selection of kernels without
#    one the host can build for.
set -u
series=6.1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=${OMR_CACHE:-$top/.cache}
chroot_rel=
[ "${1:-}" = --chroot ] && { chroot_rel=${2:?--chroot REL}; shift 2; }
kdir612=${1:-$(printf '%s\n' /lib/modules/6.12.*/build | grep -v '\*' | sort -V | tail -n 1)}
if [ -n "$chroot_rel" ]; then
	# under the project, which the chroot sees at /omr
	kdir612=/lib/modules/$chroot_rel/build
	work=$top/out/refuse
	rm -rf "$work" && mkdir -p "$work"
else
	work=$(mktemp -d)
fi
trap 'rm -rf "$work"' EXIT

# in_chroot_path PATH: PATH as the chroot sees it (the project at /omr; a
# symlinked cache at its own path, as scripts/build-in-chroot.sh mounts it)
in_chroot_path() {
	local p
	p=$(readlink -f "$1")
	case $p in
	"$top"/*) echo "/omr/${p#"$top"/}" ;;
	*) echo "$p" ;;
	esac
}

echo "TAP version 13"
echo "1..3"

# ok N WHAT: from the exit status of the previous command
tap() {
	local rc=$? id=$1
	shift
	echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") $id - $*"
}

# ---- 1. fetch -------------------------------------------------------------
# have_deb PKG VERSION: is its .deb in .cache/debs?
have_deb() {
	local f
	for f in "$cache/debs/${1}_${2}"_*.deb; do
		[ -f "$f" ] && return 0
	done
	return 1
}

fetch() {
	local hdr pkgver abi common p kd
	hdr=$(apt-cache search --names-only "^linux-headers-${series//./\\.}\\.0-[0-9]+-amd64\$" |
		awk '{print $1}' | sort -V | tail -n 1)
	[ -n "$hdr" ] || { echo "# no linux-headers-$series.0-*-amd64 known to apt"; return 1; }
	pkgver=$(apt-cache policy "$hdr" | awk '/Candidate:/ {print $2}')
	abi=${hdr#linux-headers-}
	common=linux-headers-${abi%-amd64}-common
	kd=$cache/kernels/$abi
	echo "$abi $pkgver" >"$work/fetched"
	if [ -f "$kd/.done" ] && [ "$(cat "$kd/version")" = "$pkgver" ]; then
		return 0
	fi
	mkdir -p "$cache/debs"
	for p in "$hdr" "$common" "linux-source-$series"; do
		have_deb "$p" "$pkgver" && continue
		# apt's sandbox user cannot write into the project: say so quietly.
		(cd "$cache/debs" && apt-get download -qq "$p=$pkgver" 2>&1) |
			grep -v unsandboxed | sed 's/^/# /'
		have_deb "$p" "$pkgver" || { echo "# download of $p=$pkgver failed"; return 1; }
	done
	rm -rf "$kd" && mkdir -p "$kd/headers" "$kd/src"
	dpkg-deb -x "$cache/debs/${hdr}_${pkgver}"_*.deb "$kd/headers" &&
		dpkg-deb -x "$cache/debs/${common}_${pkgver}"_*.deb "$kd/headers" &&
		dpkg-deb --fsys-tarfile "$cache/debs/linux-source-${series}_${pkgver}_all.deb" |
		tar -xO "./usr/src/linux-source-$series.tar.xz" |
			tar -xJ -C "$kd/src" --strip-components=1 \
				"linux-source-$series/net/mptcp" "linux-source-$series/include/net/mptcp.h" &&
		echo "$pkgver" >"$kd/version" && touch "$kd/.done"
}
fetch
tap 1 "refuse: Debian $series headers and linux-source-$series fetched into .cache, not installed ($(cat "$work/fetched" 2>/dev/null || echo none))"
read -r abi _ <"$work/fetched" 2>/dev/null || abi=none
kd=$cache/kernels/$abi

# build NAME KDIR KSRC: make module in a fresh copy of the module tree;
# output in $work/NAME.log, tree in $work/NAME.
build() {
	mkdir -p "$work/$1/kmod"
	cp Kbuild Makefile "$work/$1/"
	cp -r scripts "$work/$1/"
	cp kmod/*.c kmod/*.h "$work/$1/kmod/"
	if [ -n "$chroot_rel" ] && [ "$2" = "$kdir612" ]; then
		local w
		w=$(in_chroot_path "$work/$1")
		scripts/build-in-chroot.sh --run "$chroot_rel" env OMR_KSRC="$(in_chroot_path "$3")" \
			make -C "$w" module KDIR="$2" OUT="$w/out" >"$work/$1.log" 2>&1
		return
	fi
	OMR_KSRC=$3 make -C "$work/$1" module KDIR="$2" OUT="$work/$1/out" >"$work/$1.log" 2>&1
}

# refused NAME MSG: the build failed, said MSG once and nothing else from
# omr but informational lines, compiled nothing, left no omr.ko.
refused() {
	local rc=$1 ok=0
	shift
	[ "$rc" -ne 0 ] || ok=1
	[ "$(grep -cF "$2" "$work/$1.log")" -eq 1 ] || ok=1
	grep '^omr: ' "$work/$1.log" | grep -vF "$2" | grep -qv '^omr: private MPTCP headers from' && ok=1
	[ -z "$(find "$work/$1" \( -name '*.ko' -o -name '*.o' \) -print -quit)" ] || ok=1
	[ $ok -eq 0 ] || sed 's/^/# /' "$work/$1.log" | tail -n 20
	grep -F "$2" "$work/$1.log" | sed 's/^/# /'
	return $ok
}

# ---- 2. 6.1: no struct mptcp_sched_ops ------------------------------------
h61=$kd/headers/usr/src/linux-headers-$abi
krel=$(cat "$h61/include/config/kernel.release" 2>/dev/null)
build k61 "$h61" "$kd/src"
refused $? k61 "omr: kernel ${krel:-?} lacks the MPTCP scheduler API (struct mptcp_sched_ops in include/net/mptcp.h, Linux 6.6+)"
tap 2 "refuse: build against Debian $series headers ($abi) fails naming struct mptcp_sched_ops, compiles nothing, no omr.ko"

# ---- 3. 6.12 headers, 6.1's protocol.h --------------------------------------
rel612=$(cat "$kdir612/include/config/kernel.release" 2>/dev/null)
[ -n "$chroot_rel" ] && rel612=$chroot_rel
kv612=${rel612%%[!0-9.]*}
mkdir -p "$work/src61"
cp -r "$kd/src/net" "$work/src61/" 2>/dev/null
printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = %s\nEXTRAVERSION =\n' \
	"${kv612%%.*}" "$(echo "$kv612" | cut -d. -f2)" "${kv612##*.}" >"$work/src61/Makefile"
build mixed "$kdir612" "$work/src61"
refused $? mixed "omr: kernel ${rel612:-?} lacks the MPTCP scheduler API (mptcp_register_scheduler() in net/mptcp/protocol.h, Linux 6.6+)"
tap 3 "refuse: build against ${rel612:-no 6.12 headers} with $series's net/mptcp/protocol.h fails naming mptcp_register_scheduler(), no omr.ko"
