#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build omr.ko for a kernel that the host cannot build for: trixie(-backports)
# kernels need trixie's gcc-14, and their kbuild tools trixie's libc.
#
#   scripts/build-in-chroot.sh REL [MAKE-ARG...]
#   scripts/build-in-chroot.sh --run REL CMD [ARG...]
#   scripts/build-in-chroot.sh --dkms REL
#   scripts/build-in-chroot.sh --lint REL
#
# Keeps a trixie chroot in .cache/chroot-trixie (debootstrap, made once;
# OMR_CHROOT overrides the place), installs into it the headers debs of REL
# that scripts/fetch-kernel.sh downloaded (listed in
# .cache/kernels/REL/headers-debs), then runs, in a private mount namespace
# with the project bind-mounted at /omr,
#   make -C /omr module KDIR=/usr/src/linux-headers-REL [MAKE-ARG...]
# The layout check (scripts/check-layout.sh) runs in the chroot as part of
# it, against the vmlinux (BTF) of linux-headers-REL. The module lands in
# out/REL/omr.ko as with a host build. Idempotent: a second run only builds.
# With --run, CMD runs instead of the build, in /omr (e.g. selftests/layout.sh
# REL, which finds the headers at /lib/modules/REL/build in the chroot too).
# With --dkms, dkms and linux-source-X.Y of REL (the .deb fetch-kernel.sh
# downloaded) are installed into the chroot too, once, and
# selftests/dkms.sh REL runs there: the DKMS round trip against REL's
# headers, as on a trixie machine.
# With --lint, sparse and perl are installed into the chroot, once, and the
# kernel stages of scripts/lint.sh (checkpatch, sparse) run there against
# REL's headers: a selection of kernels without one the host can build for
# is linted all the same.
set -euo pipefail

run=
dkms=
lint=
case ${1:-} in
--run) run=1; shift ;;
--dkms) dkms=1; shift ;;
--lint) lint=1; shift ;;
esac
rel=${1:?usage: build-in-chroot.sh [--run|--dkms] REL [MAKE-ARG...|CMD...]}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OMR_CACHE:-$top/.cache}
root=${OMR_CHROOT:-$cache/chroot-trixie}
mirror=http://deb.debian.org/debian
pkgs=gcc-14,make,libc6-dev,libelf-dev,bc,flex,bison,dwarves,kmod,xz-utils,python3,dkms
log() { echo "build-in-chroot: $*" >&2; }

# chroot_body ROOT TOP LINK CMD...: mount /proc, /dev and the project in
# ROOT and run CMD chrooted there.
# shellcheck disable=SC2016
chroot_body='
	root=$1 top=$2 link=$3; shift 3
	mkdir -p "$root/omr"
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount --bind "$top" "$root/omr"
	if [ -n "$link" ]; then
		mkdir -p "$root$link"
		mount --bind "$link" "$root$link"
	fi
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
'

# in_chroot CMD...: run CMD in the chroot, with /proc, /dev and the project
# mounted in a private mount namespace (nothing stays mounted afterwards).
# A project whose .cache is a symlink (a git worktree sharing another's
# cache) gets the link's target mounted at the same path in the chroot.
# When this machine is itself a chroot whose root is not a mount point,
# unshare cannot make that root private ("cannot change root filesystem
# propagation"): the mounts are then made in this namespace and undone on
# the way out, whatever CMD did.
in_chroot() {
	local link=
	[ -L "$top/.cache" ] && link=$(readlink -f "$top/.cache")
	if mountpoint -q /; then
		unshare -m --propagation private -- /bin/bash -euc "$chroot_body" \
			in_chroot "$root" "$top" "$link" "$@"
		return
	fi
	log "/ is not a mount point (a chroot?): mounting without a private namespace"
	(
		trap 'umount -R "$root/omr" "$root/proc" 2>/dev/null; umount -R "$root/dev" 2>/dev/null
			[ -z "$link" ] || umount "$root$link" 2>/dev/null' EXIT
		/bin/bash -euc "$chroot_body" in_chroot "$root" "$top" "$link" "$@"
	)
}

if [ ! -x "$root/usr/bin/gcc-14" ]; then
	command -v debootstrap >/dev/null || {
		log "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
	}
	log "creating the trixie chroot in $root (a few minutes)"
	rm -rf "$root.tmp"
	debootstrap --variant=minbase --include="$pkgs" trixie "$root.tmp" "$mirror" >&2
	rm -rf "$root"
	mv "$root.tmp" "$root"
fi

kdir=/usr/src/linux-headers-$rel
if [ ! -f "$root$kdir/Makefile" ]; then
	list=$cache/kernels/$rel/headers-debs
	[ -f "$list" ] || { log "no $list: run scripts/fetch-kernel.sh backports first"; exit 1; }
	log "installing the headers of $rel into the chroot"
	mkdir -p "$root/tmp/omr-debs"
	debs=()
	while read -r deb; do
		cp "$deb" "$root/tmp/omr-debs/"
		debs+=("/tmp/omr-debs/$(basename "$deb")")
	done <"$list"
	in_chroot apt-get update -qq >&2
	# apt pulls the headers' dependencies (gcc-14-for-host, pahole, ...) from trixie.
	in_chroot apt-get install -y -qq --no-install-recommends "${debs[@]}" >&2
	rm -rf "$root/tmp/omr-debs"
fi

if [ -n "$dkms" ]; then
	series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	if [ ! -x "$root/usr/sbin/dkms" ]; then
		log "installing dkms into the chroot"
		in_chroot apt-get update -qq >&2
		in_chroot apt-get install -y -qq --no-install-recommends dkms >&2
	fi
	if [ ! -f "$root/usr/src/linux-source-$series.tar.xz" ]; then
		deb=$cache/debs/linux-source-${series}_$(cat "$cache/kernels/$rel/version")_all.deb
		[ -f "$deb" ] || { log "no $deb: run scripts/fetch-kernel.sh backports first"; exit 1; }
		log "installing linux-source-$series into the chroot"
		mkdir -p "$root/tmp/omr-debs"
		cp "$deb" "$root/tmp/omr-debs/"
		in_chroot apt-get install -y -qq --no-install-recommends "/tmp/omr-debs/$(basename "$deb")" >&2
		rm -rf "$root/tmp/omr-debs"
	fi
	set -- selftests/dkms.sh "$rel"
	run=1
fi

if [ -n "$lint" ]; then
	# checkpatch needs perl's modules (Term::ANSIColor), not only perl-base
	if [ ! -x "$root/usr/bin/sparse" ] ||
		! in_chroot perl -MTerm::ANSIColor -MEncode -e 1 >/dev/null 2>&1; then
		log "installing sparse and perl into the chroot"
		in_chroot apt-get update -qq >&2
		in_chroot apt-get install -y -qq --no-install-recommends sparse perl >&2
	fi
	set -- env OMR_LINT_STAGES=kernel scripts/lint.sh "$kdir"
	run=1
fi

if [ -n "$run" ]; then
	in_chroot /bin/bash -c 'cd /omr && exec "$@"' run "$@"
	exit
fi

# Objects of another kernel's build in the same tree would be relinked into
# this one's; kbuild notices the changed flags but not a changed compiler
# for every file, so start clean.
rm -f "$top"/kmod/*.o "$top"/kmod/.*.cmd "$top"/*.o "$top"/.*.cmd "$top"/omr.ko \
	"$top"/omr.mod* "$top"/modules.order "$top"/Module.symvers
in_chroot make -C /omr module KDIR="$kdir" "$@"
