#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test VM's initramfs: busybox-static, selftests/vm/init, and the
# modules needed to mount the host's root over virtio-9p (decompressed, since
# busybox's insmod cannot read .ko.xz/.ko.zst/.ko.gz; Debian's 6.12 and
# 7.x images both ship .ko.xz), in dependency order.
#
#   selftests/vm/mkinitramfs.sh REL OUTPUT.cpio.gz
set -euo pipefail

rel=$1
dst=$2
here=$(cd "$(dirname "$0")" && pwd)
kroot=$(dirname "$dst")/root
bb=$(command -v busybox || true)
[ -n "$bb" ] && file -L "$bb" | grep -q 'statically linked' || {
	echo "mkinitramfs: busybox-static is needed (apt-get install busybox-static)" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,modules}
cp "$bb" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init"

i=0
modprobe -d "$kroot" -S "$rel" --show-depends -a 9p 9pnet_virtio |
	awk '$1 == "insmod" && !seen[$2]++ {print $2}' |
	while read -r ko; do
		i=$((i + 1))
		name=$(basename "$ko")
		name=$(printf '%02d-%s' "$i" "${name%.ko*}.ko")
		case "$ko" in
		*.xz) xz -dc "$ko" >"$work/modules/$name" ;;
		*.zst) zstd -qdc "$ko" >"$work/modules/$name" ;;
		*.gz) gzip -dc "$ko" >"$work/modules/$name" ;;
		*) cp "$ko" "$work/modules/$name" ;;
		esac
	done

(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$dst.tmp"
mv "$dst.tmp" "$dst"
echo "mkinitramfs: $dst" >&2
