#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, as a new user gets them:
#   1. `make deb` builds omr-dkms, omrctl and omr-shim (out/deb/);
#   2. lintian reports no error (warnings are listed as comments);
#   3. apt installs the three .debs into a clean `debootstrap --variant=minbase
#      bookworm` chroot that has REL's headers and linux-source (the user's
#      prerequisites, README), and DKMS builds omr.ko there for REL: `dkms
#      status` says installed, the module's vermagic is REL;
#   4. every file is in its place (each package's file list) and the
#      binaries run in the chroot (their shared libraries are there);
#   5. `apt-get purge` of the three leaves nothing behind: the chroot's file
#      list (directories included) equals the one before the install, but
#      for depmod's index files, which depmod re-creates for any module.
#
#   selftests/deb.sh [REL]     REL: the 6.12 kernel of .cache/kernels (default)
#
# Caches, outside the checkout (OMR_DEB_CACHE, default /var/cache/omr):
#   bookworm-minbase.tar     debootstrap's base system, from the mirror this
#                            machine's apt uses;
#   prereq-KEY.tar           that base plus REL's headers, linux-source and
#                            the packages' dependencies (KEY: a hash of REL and
#                            the Depends lines), so that a warm run is one tar
#                            extraction, the install and the DKMS build;
#   apt-archives/            the .debs apt fetched, kept between runs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rel=${1:-$(ls .cache/kernels 2>/dev/null | grep -E '^6\.12\.[0-9]+\+deb' | sort -V | tail -n 1)}
series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
cache=${OMR_DEB_CACHE:-/var/cache/omr}
base=$cache/bookworm-minbase.tar
root=
log=$(mktemp)
n=0

echo "TAP version 13"
echo "1..5"

tap() {
	n=$((n + 1))
	echo "$([ "$1" -eq 0 ] && echo ok || echo "not ok") $n - deb: $2"
}

umount_all() {
	local m
	[ -n "$root" ] || return 0
	for m in $(awk -v d="$root" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}
cleanup() {
	umount_all
	[ -n "$root" ] && rm -rf "$root"
	rm -f "$log"
}
trap cleanup EXIT

# in_root CMD...: run in the chroot, as apt and dkms run on a real machine.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# snapshot FILE: every path in the chroot but the volatile ones (apt's and
# dpkg's own bookkeeping and backups, logs, the bind mounts).
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		-o -path ./var/cache/apt -o -path ./var/lib/apt -o -path ./var/log \) -prune -o -print) |
		grep -Ev '^\./var/lib/dpkg/(status|available|diversions|statoverride)-old$|^\./var/cache/debconf/.*-old$' |
		grep -Ev "^\./lib/modules/$rel/modules\.[a-z.]+$" | sort >"$1"
}

# mirror: the Debian mirror this machine's apt is configured with.
mirror() {
	grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n 1
}

# base_tar: the cached minbase bookworm, debootstrapped once.
base_tar() {
	local m dir
	[ -s "$base" ] && return 0
	m=$(mirror)
	[ -n "$m" ] || { echo "# no Debian mirror in apt's sources"; return 1; }
	command -v debootstrap >/dev/null ||
		apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || return 1
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/bootstrap.XXXXXX")
	echo "# debootstrap --variant=minbase bookworm from $m (once, cached in $base)"
	if ! debootstrap --variant=minbase bookworm "$dir" "$m" >"$log" 2>&1; then
		tail -n 5 "$log" | sed 's/^/# /'
		rm -rf "$dir"
		return 1
	fi
	tar -C "$dir" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$dir"
}

# unpack TAR: a fresh chroot from TAR, mounted and pointed at the host's apt.
unpack() {
	root=$(mktemp -d /var/tmp/omr-deb.XXXXXX)
	tar -C "$root" -xf "$1" || return 1
	cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null
	[ -e /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
	cp /etc/resolv.conf "$root/etc/" 2>/dev/null
	mkdir -p "$cache/apt-archives/partial"
	for m in proc sys dev; do mount --bind "/$m" "$root/$m" || return 1; done
	mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
	mount -t tmpfs tmpfs "$root/tmp"
}

# prereq: REL's headers and linux-source (the pinned version of
# .cache/kernels/REL/version) and every dependency of the three packages,
# cached as a tarball keyed by what went into it.
prereq() {
	local ver deps key tarball src
	ver=$(cat ".cache/kernels/$rel/version" 2>/dev/null)
	[ -n "$ver" ] || { echo "# no .cache/kernels/$rel/version (scripts/fetch-kernel.sh 6.12)"; return 1; }
	deps=$(for d in out/deb/omr-dkms_*.deb out/deb/omrctl_*.deb out/deb/omr-shim_*.deb; do
		dpkg-deb -f "$d" Depends; done | tr '\n' ',' | sed 's/,$//')
	key=$(echo "$rel $ver $deps" | sha256sum | cut -c1-16)
	tarball=$cache/prereq-$key.tar
	if [ -s "$tarball" ]; then
		unpack "$tarball"
		return
	fi
	base_tar && unpack "$base" || return 1
	# linux-source from the fetched .deb when it is there (no 140 MB download).
	src=$(ls ".cache/debs/linux-source-${series}_${ver}_all.deb" 2>/dev/null | head -n 1)
	[ -z "$src" ] || cp -n "$src" "$cache/apt-archives/" 2>/dev/null
	# No initramfs for a kernel this chroot never boots (the kernel's
	# postinst and initramfs-tools' trigger would build two, minutes each).
	in_root dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs &&
		ln -s /bin/true "$root/usr/sbin/update-initramfs" || return 1
	{
		in_root apt-get update -q &&
			in_root apt-get install -y -q --no-install-recommends \
				"linux-headers-$rel=$ver" "linux-source-$series=$ver" &&
			in_root apt-get satisfy -y -q --no-install-recommends "$deps"
	} >"$log" 2>&1 || { tail -n 15 "$log" | sed 's/^/# /'; return 1; }
	in_root apt-get clean
	umount_all
	tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -f "$cache"/prereq-*.tar.tmp
	umount_all
	rm -rf "$root"
	unpack "$tarball"
}

# 1. build
t0=$(date +%s)
make -s deb >"$log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 20 "$log" | sed 's/^/# /'
tap $rc "make deb builds omr-dkms, omrctl and omr-shim ($(($(date +%s) - t0)) s)"

# 2. lintian
lintian --pedantic -I out/deb/omr-dkms_*.deb out/deb/omrctl_*.deb out/deb/omr-shim_*.deb \
	>"$log" 2>&1
grep -E '^[EWIPX]: ' "$log" | sed 's/^/# lintian: /'
errors=$(grep -c '^E: ' "$log")
rc=0
[ "$errors" -eq 0 ] || rc=1
ls out/deb/omr-dkms_*.deb >/dev/null 2>&1 || rc=1
tap $rc "lintian: no error ($errors errors, $(grep -c '^W: ' "$log") warnings)"

# 3. install into the chroot; DKMS builds for REL
t0=$(date +%s)
rc=1
installed=0
rm -f "$cache/before.list" "$cache/after.list"
if [ -n "$rel" ] && prereq; then
	snapshot "$cache/before.list"
	mkdir -p "$root/tmp/debs"
	cp out/deb/omr-dkms_*.deb out/deb/omrctl_*.deb out/deb/omr-shim_*.deb "$root/tmp/debs/"
	in_root sh -c 'apt-get install -y -q --no-install-recommends /tmp/debs/*.deb' >"$log" 2>&1
	rc=$?
	installed=1
	[ $rc -eq 0 ] || tail -n 25 "$log" | sed 's/^/# /'
	grep -E '^(Building|Done|Skipped|omr:)' "$log" | sed 's/^/# /'
	# The module build's own lines: where the private headers came from.
	cat "$root/var/lib/dkms/omr/"*/"$rel"/*/log/make.log 2>/dev/null | grep '^omr: ' | sed 's/^/# /'
	# (dkms's readelf of the headers' vmlinux warns on stderr: not shown)
	status=$(in_root dkms status 2>/dev/null)
	echo "$status" | sed 's/^/# dkms status: /'
	echo "$status" | grep '^omr/' | grep -qF ", $rel, x86_64: installed" || rc=1
	ko=$(ls "$root/lib/modules/$rel/updates/dkms/"omr.ko* 2>/dev/null | head -n 1)
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
	[ "$vermagic" = "$rel" ] || { echo "# omr.ko: vermagic '${vermagic:-none}'"; rc=1; }
fi
tap $rc "apt installs the three .debs in a minbase bookworm; dkms status: omr installed for $rel ($(($(date +%s) - t0)) s)"

# 4. every file in its place
rc=1
if [ $installed -eq 1 ]; then
	rc=0
	for f in /usr/src/omr-0.1.0/dkms.conf /usr/src/omr-0.1.0/Makefile /usr/src/omr-0.1.0/Kbuild \
		/usr/src/omr-0.1.0/kmod/sched.c /usr/src/omr-0.1.0/uapi/linux/omr.h \
		/usr/src/omr-0.1.0/scripts/prepare-ksrc.sh /usr/src/omr-0.1.0/scripts/check-layout.sh \
		/usr/sbin/omrctl /usr/share/man/man8/omrctl.8.gz \
		/usr/share/bash-completion/completions/omrctl /etc/omr/omr.conf /etc/default/omr \
		/lib/systemd/system/omr.service /lib/systemd/system/omr-udp-route.service \
		/usr/libexec/omr/omr-boot \
		/usr/bin/omr-shim /usr/share/man/man1/omr-shim.1.gz \
		/lib/systemd/system/omr-shim-local@.service /lib/systemd/system/omr-shim-server@.service \
		/etc/omr-shim/local.json.example /etc/omr-shim/server.json.example \
		/lib/systemd/system/omr-shim-redir@.service /etc/omr-shim/redir.json.example \
		/usr/bin/omr-shim-nft; do
		[ -f "$root$f" ] || { echo "# missing $f"; rc=1; }
	done
	in_root dpkg-query -W -f='${Conffiles}\n' omrctl | grep -q '^ /etc/omr/omr.conf ' ||
		{ echo "# /etc/omr/omr.conf is not a conffile"; rc=1; }
	grep -qx 'ExecStart=/usr/sbin/omrctl setconf /etc/omr/omr.conf' "$root/lib/systemd/system/omr.service" ||
		{ echo "# omr.service does not run omrctl setconf /etc/omr/omr.conf"; rc=1; }
	grep -q '^ExecStart=/usr/bin/omr-shim server ' "$root/lib/systemd/system/omr-shim-server@.service" ||
		{ echo "# omr-shim-server@.service does not run /usr/bin/omr-shim"; rc=1; }
	in_root omr-shim --version >"$log" 2>&1 || { sed 's/^/# /' "$log"; rc=1; }
	in_root omrctl --help >"$log" 2>&1
	# omrctl's usage, not the loader's "error while loading shared libraries"
	grep -q 'shared librar' "$log" && { sed 's/^/# /' "$log"; rc=1; }
	in_root sh -n /usr/libexec/omr/omr-boot || rc=1
fi
tap $rc "every file in its place; omr-shim and omrctl run in the chroot"

# 5. purge leaves nothing behind
rc=1
if [ $installed -eq 1 ] && [ -f "$cache/before.list" ]; then
	in_root apt-get purge -y -q omr-dkms omrctl omr-shim >"$log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -n 15 "$log" | sed 's/^/# /'
	snapshot "$cache/after.list"
	if ! diff -u "$cache/before.list" "$cache/after.list" >"$log"; then
		rc=1
		grep -E '^[-+]\./' "$log" | head -n 40 | sed 's/^/# left: /'
	fi
	in_root dkms status 2>/dev/null | grep -q '^omr/' && { echo "# dkms still lists omr"; rc=1; }
fi
tap $rc "apt-get purge of the three leaves no file or directory behind"
