#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall into a scratch DESTDIR: with PREFIX=/usr,
# exactly the expected files (omr-shim, its man page, systemd units pointing
# at the installed binary, config examples, the DKMS source tree), none of
# them a modules-load.d file; uninstall leaves no file behind. The same with
# the default PREFIX (/usr/local). That the DKMS tree builds is
# selftests/dkms.sh's part: it installs with make install-dkms.
#
#   selftests/install.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

echo "TAP version 13"
echo "1..4"

# expected PREFIX: the files make install should put under DESTDIR.
expected() {
	local f
	{
		echo "$1/bin/omr-shim"
		echo "$1/bin/omr-shim-nft"
		echo "$1/share/man/man1/omr-shim.1"
		echo "$1/sbin/omrctl"
		echo "$1/share/man/man8/omrctl.8"
		echo "$1/share/bash-completion/completions/omrctl"
		echo "/lib/systemd/system/omr-shim-local@.service"
		echo "/lib/systemd/system/omr-shim-server@.service"
		echo "/lib/systemd/system/omr-shim-redir@.service"
		echo "/etc/omr-shim/local.json.example"
		echo "/etc/omr-shim/server.json.example"
		echo "/etc/omr-shim/redir.json.example"
		for f in Kbuild Makefile dkms.conf kmod/*.c kmod/*.h uapi/linux/*.h \
			scripts/prepare-ksrc.sh scripts/check-layout.sh; do
			echo "/usr/src/omr-$ver/$f"
		done
	} | sort
}

# installed DESTDIR: every non-directory under DESTDIR, as absolute paths.
installed() {
	(cd "$1" && find . ! -type d | sed 's|^\.||' | sort)
}

# round N PREFIX [make args]: install, check the list and the files, uninstall.
round() {
	local id=$1 prefix=$2 d=$work/root$1 ok=0
	shift 2
	mkdir -p "$d"
	make -s install DESTDIR="$d" "$@" >"$work/install$id.log" 2>&1 || ok=1
	installed "$d" >"$work/have"
	expected "$prefix" >"$work/want"
	if ! diff -u "$work/want" "$work/have" >"$work/diff"; then
		ok=1
		sed 's/^/# /' "$work/diff"
	fi
	[ $ok -eq 0 ] || tail -n 20 "$work/install$id.log" | sed 's/^/# /'
	# The installed files are the right ones, and usable.
	[ -x "$d$prefix/bin/omr-shim" ] && "$d$prefix/bin/omr-shim" --version >/dev/null || ok=1
	grep -qx "ExecStart=$prefix/bin/omr-shim local -c /run/omr-shim-local-%i/config.json" \
		"$d/lib/systemd/system/omr-shim-local@.service" || { echo "# local unit's ExecStart is wrong"; ok=1; }
	grep -qx "ExecStart=$prefix/bin/omr-shim server -c /run/omr-shim-server-%i/config.json" \
		"$d/lib/systemd/system/omr-shim-server@.service" || { echo "# server unit's ExecStart is wrong"; ok=1; }
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$d/usr/src/omr-$ver/dkms.conf" || ok=1
	cmp -s kmod/sched.c "$d/usr/src/omr-$ver/kmod/sched.c" || ok=1
	[ -x "$d/usr/src/omr-$ver/scripts/prepare-ksrc.sh" ] || ok=1
	[ -z "$(find "$d" -path '*modules-load.d*' -print -quit)" ] || { echo "# a modules-load.d file was installed"; ok=1; }
	echo "$([ $ok -eq 0 ] && echo ok || echo "not ok") $id - install: make install DESTDIR=… PREFIX=$prefix puts exactly $(wc -l <"$work/want") files in place (omr-shim, man page, units running $prefix/bin/omr-shim, config examples, /usr/src/omr-$ver)"

	ok=0
	make -s uninstall DESTDIR="$d" "$@" >"$work/uninstall$id.log" 2>&1 || ok=1
	installed "$d" >"$work/left"
	if [ -s "$work/left" ]; then
		ok=1
		sed 's/^/# left: /' "$work/left"
	fi
	echo "$([ $ok -eq 0 ] && echo ok || echo "not ok") $((id + 1)) - install: make uninstall DESTDIR=… PREFIX=$prefix leaves no file"
}

round 1 /usr PREFIX=/usr
round 3 /usr/local

