#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install every Debian package omr-shim needs to build, test, fuzz and bench.
# Idempotent and quiet: checks dpkg first, logs apt output to a file.
# Assumes the caller already ran `apt-get update`.
set -eu
# libclang-rt-dev: the default clang's runtimes (libclang_rt.fuzzer, asan,
# asan_static, ubsan) that the fuzzers link; clang itself only recommends it.
PKGS="build-essential pkg-config libssl-dev openssl libev-dev libjson-c-dev
shadowsocks-libev curl python3 python3-cryptography clang libclang-rt-dev llvm
iproute2 procps systemd"
LOG=${DEPS_LOG:-/tmp/omr-shim-deps.log}
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "shim deps: all present"
	exit 0
fi
if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
	$missing >"$LOG" 2>&1; then
	echo "shim deps: apt-get install failed for:$missing (see $LOG)" >&2
	exit 1
fi
# shadowsocks-libev's package starts a system ss-server on 8388; stop it so
# it never collides with tests (ignore failure: no systemd in containers).
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now shadowsocks-libev >/dev/null 2>&1 || true
fi
echo "shim deps: installed$missing"
