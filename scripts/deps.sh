#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building and testing omr need (run as
# root on Debian 12). Quiet and quick when everything is already there.
set -euo pipefail

pkgs=(
	gcc make libc6-dev kmod cpio xz-utils gzip file bc
	qemu-system-x86 busybox-static dwarves
	iproute2 jq nftables dkms strace debootstrap
	sparse cppcheck perl clang pkg-config
	libnl-genl-3-dev libkmod-dev libjson-c-dev
	# the kernel's YNL tools (scripts/ynl.sh, selftests/omr_ynl.sh)
	python3 python3-yaml python3-jsonschema
	gnuplot-nox iperf3 openssh-server openssh-client curl shadowsocks-libev
	# the e2e bench: shadowsocks-libev and OpenVPN (TCP-in-TCP) under mptcpize
	mptcpize openvpn
	# openssl: self-signed certificates (the QUIC bench; its ngtcp2 peers
	# are not installed here: selftests/bench/quic-vm.sh says why)
	openssl
	# building the debug kernel (scripts/build-debug-kernel.sh)
	flex bison libelf-dev
	# the Debian packages (make deb, selftests/deb.sh)
	debhelper dh-dkms lintian
	# make deb lists the checkout's files with git ls-files
	git
)
top=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
# Package lists older than six hours (or none): refresh them once, for us
# and for shim/deps.sh, which relies on it.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -x "$top/shim/deps.sh" ]; then
	"$top/shim/deps.sh"
fi
