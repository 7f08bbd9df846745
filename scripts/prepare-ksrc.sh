#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Give the module build the private MPTCP headers of the target kernel.
#
#   scripts/prepare-ksrc.sh KDIR GENDIR
#
# MPTCP's internal structs live in net/mptcp/protocol.h, which no headers
# package ships. This finds the kernel source of the same series and copies
# net/mptcp/{protocol,mib}.h into GENDIR/mptcp/, then writes GENDIR/omr_features.h
# with what the build needs to know about this kernel's MPTCP API. Sources,
# in order, the first one present is used:
#   $OMR_KSRC                      an unpacked kernel tree
#   KDIR/source                    a full kernel tree (self-built kernels)
#   .cache/kernels/REL/src         what scripts/fetch-kernel.sh unpacked
#   /usr/src/linux-source-X.Y.tar.xz   Debian's linux-source-X.Y package
# and it must be of exactly the target's version, or the build is refused
# with one line naming both versions and what to install:
#   a tree: its Makefile's VERSION.PATCHLEVEL.SUBLEVEL(EXTRAVERSION), as
#     `make kernelversion` says, must begin the target's kernel.release (for
#     KDIR/source that makes it the very tree the kernel was built from);
#   .cache/kernels/REL/src: the Debian package version fetch-kernel.sh
#     wrote next to it (.cache/kernels/REL/version), and
#   the tarball: the version dpkg has installed of linux-source-X.Y,
#     must each equal the target's Debian version, the one in its
#     UTS_VERSION (KDIR/include/generated/utsversion.h: "... Debian
#     6.12.117-1~deb12u1 (2026-11-14)").
# Nothing of it is committed; the layouts are then checked against the target
# kernel's BTF by scripts/check-layout.sh once the module is built.
# A kernel without the MPTCP scheduler API (before 6.6, e.g. Debian 12's
# 6.1) is refused first, with one line naming what is missing.
set -euo pipefail

kdir=$1
gen=$2
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) || {
	echo "omr: $kdir is not a configured kernel build directory" >&2
	exit 1
}
series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
stamp=$gen/.prepared
# The target's build, and Debian's package version of it if it is Debian's.
uts=$(sed -n 's/^#define UTS_VERSION "\(.*\)"$/\1/p' "$kdir/include/generated/utsversion.h" \
	"$kdir/include/generated/compile.h" 2>/dev/null | head -n 1 || true)
debver=$(echo "$uts" | sed -n 's/.* Debian \([^ ]*\) (.*/\1/p')
key="$rel $uts ${OMR_KSRC:-}"

# Done already, for this build of this kernel, from the same source and by
# this version of this script (a Debian kernel can be updated keeping its
# release string: UTS_VERSION tells the builds apart).
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ "$stamp" -nt "$0" ] && exit 0

# The target's public headers. Debian splits headers into an arch part
# (KDIR) and a -common part that KDIR/Makefile includes by absolute path;
# headers unpacked elsewhere (dpkg -x) have it next to KDIR instead.
srcdir=$(sed -n 's|^include \(.*\)/Makefile$|\1|p' "$kdir/Makefile" | head -n 1)
if [ -n "$srcdir" ] && [ ! -d "$srcdir" ]; then
	srcdir=$(dirname "$(cd "$kdir" && pwd -P)")/$(basename "$srcdir")
fi
inc=${srcdir:-$kdir}/include
mptcp_h=$inc/net/mptcp.h
[ -f "$mptcp_h" ] || { echo "omr: $mptcp_h is missing" >&2; exit 1; }

# omr is a packet scheduler: without the kernel's scheduler API (Linux 6.6
# added struct mptcp_sched_ops, mptcp_register_scheduler() and the
# net.mptcp.scheduler sysctl) there is nothing to build. Say so before
# asking for the kernel source.
refuse() {
	echo "omr: kernel $rel lacks the MPTCP scheduler API ($1, Linux 6.6+): omr needs Linux 6.12 or later" >&2
	exit 1
}
grep -q '^struct mptcp_sched_ops {' "$mptcp_h" ||
	refuse "struct mptcp_sched_ops in include/net/mptcp.h"

mkdir -p "$gen/mptcp"

# wrong_source WHAT FIX: refuse the source found, in one line.
wrong_source() {
	echo "omr: $1, the target $rel is ${debver:+Debian $debver, }Linux ${rel%%[!0-9.]*}: $2" >&2
	exit 1
}

# tree_version DIR: the tree's `make kernelversion`, from its Makefile.
tree_version() {
	awk -F'[ \t]*=[ \t]*' '
		$1 ~ /^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)$/ && !($1 in v) { v[$1] = $2 }
		END {
			if (v["VERSION"] == "") exit 1
			s = v["VERSION"]
			if (v["PATCHLEVEL"] != "") {
				s = s "." v["PATCHLEVEL"]
				if (v["SUBLEVEL"] != "") s = s "." v["SUBLEVEL"]
			}
			print s v["EXTRAVERSION"]
		}' "$1/Makefile" 2>/dev/null
}

# from_tree DIR FIX: a kernel tree, of the target's version.
from_tree() {
	local kv
	[ -f "$1/net/mptcp/protocol.h" ] || return 1
	kv=$(tree_version "$1") ||
		wrong_source "the kernel tree $1 has no Makefile saying its version" "$2"
	case $rel in
	"$kv" | "$kv"[!0-9]*) ;;
	*) wrong_source "the kernel tree $1 is Linux $kv" "$2" ;;
	esac
	cp "$1/net/mptcp/protocol.h" "$1/net/mptcp/mib.h" "$gen/mptcp/"
	echo "omr: private MPTCP headers from $1 (Linux $kv)" >&2
}

# from_cache: what scripts/fetch-kernel.sh unpacked, of the target's version.
from_cache() {
	local dir=$top/.cache/kernels/$rel ver
	[ -f "$dir/src/net/mptcp/protocol.h" ] || return 1
	ver=$(cat "$dir/version" 2>/dev/null || true)
	if [ -z "$ver" ] || [ "$ver" != "$debver" ]; then
		wrong_source "$dir/src is linux-source-$series ${ver:-of unknown version}" \
			"run scripts/fetch-kernel.sh again${debver:+ (it fetches linux-source-$series=$debver)}"
	fi
	cp "$dir/src/net/mptcp/protocol.h" "$dir/src/net/mptcp/mib.h" "$gen/mptcp/"
	echo "omr: private MPTCP headers from $dir/src (linux-source-$series $ver)" >&2
}

# from_tarball: Debian's linux-source-X.Y, of the target's version.
from_tarball() {
	local tb=/usr/src/linux-source-$series.tar.xz ver fix
	[ -f "$tb" ] || return 1
	ver=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "linux-source-$series" 2>/dev/null || true)
	case $ver in installed\ *) ver=${ver#installed } ;; *) ver= ;; esac
	if [ -z "$ver" ] || [ "$ver" != "$debver" ]; then
		fix="point OMR_KSRC at the source tree of $rel (its UTS_VERSION names no Debian package version)"
		[ -z "$debver" ] || fix="install linux-source-$series=$debver"
		wrong_source "$tb is linux-source-$series ${ver:-of unknown version (not installed by dpkg)}" "$fix"
	fi
	tar -xJf "$tb" -C "$gen/mptcp" --strip-components=3 \
		"linux-source-$series/net/mptcp/protocol.h" \
		"linux-source-$series/net/mptcp/mib.h" || return 1
	echo "omr: private MPTCP headers from $tb (linux-source-$series $ver)" >&2
}

{ [ -n "${OMR_KSRC:-}" ] && from_tree "$OMR_KSRC" "point OMR_KSRC at the source of $rel"; } ||
	from_tree "$kdir/source" "KDIR/source must be the tree $rel was built from" ||
	from_cache ||
	from_tarball || {
	echo "omr: cannot find net/mptcp/protocol.h for Linux $series." >&2
	echo "omr: install linux-source-$series${debver:+=$debver} or run scripts/fetch-kernel.sh $series" >&2
	exit 1
}

# The private header must be of a kernel with the scheduler API too (a
# source tree of another kernel would otherwise fail later, in the compiler).
grep -q '^int mptcp_register_scheduler(' "$gen/mptcp/protocol.h" ||
	refuse "mptcp_register_scheduler() in net/mptcp/protocol.h"

# Feature checks against the target's public headers (see kmod/compat.h).
# feature MACRO FILE REGEX: define MACRO if FILE has a line matching REGEX.
feature() {
	if grep -Eq "$3" "$2" 2>/dev/null; then
		echo "#define $1 1"
	fi
}
{
	echo "/* generated by scripts/prepare-ksrc.sh for $rel */"
	# scheduler ops get_send(msk)/get_retrans(msk) instead of get_subflow()
	feature OMR_HAVE_SCHED_GET_SEND "$mptcp_h" '\(\*get_send\)'
	# the core tracks stale subflows itself before get_retrans (and
	# mptcp_pm_subflow_chk_stale() became static)
	feature OMR_HAVE_PM_CHK_STALE "$gen/mptcp/protocol.h" \
		'^void mptcp_pm_chk_stale\(const struct mptcp_sock \*msk\);'
	# icsk_timeout gave way to tcp_timeout_expires(sk)
	feature OMR_HAVE_TCP_TIMEOUT_EXPIRES "$inc/net/inet_connection_sock.h" \
		'tcp_timeout_expires\(const struct sock \*sk\)'
	# is_endbr() takes a pointer and reads it; __is_endbr(u32) is the test
	feature OMR_HAVE___IS_ENDBR "${srcdir:-$kdir}/arch/x86/include/asm/ibt.h" \
		'bool __is_endbr\(u32 val\)'
	# kernel_bind() takes a struct sockaddr_unsized *
	feature OMR_HAVE_SOCKADDR_UNSIZED "$inc/linux/net.h" \
		'int kernel_bind\(struct socket \*sock, struct sockaddr_unsized \*'
	# the PM's subflow limit: mptcp_pm_get_limit_extra_subflows() replaced
	# mptcp_pm_get_subflows_max()
	feature OMR_HAVE_PM_LIMIT_EXTRA_SUBFLOWS "$gen/mptcp/protocol.h" \
		'mptcp_pm_get_limit_extra_subflows\(const struct mptcp_sock \*msk\);'
} >"$gen/omr_features.h"
echo "$key" >"$stamp"
