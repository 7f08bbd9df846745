#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# README's main-job command: installs what is needed, fetches Debian's 6.12
# kernel, builds omr.ko, boots the kernel under QEMU and shows one MPTCP
# download spread over three emulated WANs by the omr scheduler.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
rel=$(scripts/fetch-kernel.sh "${OMR_SERIES:-6.12}" | tail -n 1)
make -s module KDIR="/lib/modules/$rel/build" >/dev/null
make -s -C selftests/tools >/dev/null
echo "booting Linux $rel under QEMU (TCG): about a minute..."
exec selftests/vm/vm.sh -k "$rel" -t 600 -o "out/demo-$rel" -- selftests/demo-vm.sh
