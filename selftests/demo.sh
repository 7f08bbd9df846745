#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# README's main-job command: installs what is needed, fetches Debian's 6.12
# kernel, builds omr.ko, omrctl, omr-shim and the test tools, boots the
# kernel under QEMU and runs the end-to-end scenario (selftests/demo-vm.sh,
# docs/e2e.md): a LAN client's downloads and uploads through SOCKS5 and
# omr-shim over one MPTCP connection on three emulated WANs, then a WAN
# failing and coming back, plotted per WAN to out/demo-failover.png. One
# sampler in the VM (omr-watch) gives every row the guest's CPU use.
set -eu
# The VM lock, unless the caller holds it already (OMR_VM_LOCKED=1).
lock=(flock /tmp/omr-vm.lock)
[ -z "${OMR_VM_LOCKED:-}" ] || lock=()
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
rel=$(scripts/fetch-kernel.sh "${OMR_SERIES:-6.12}" | tail -n 1)
make -s module KDIR="/lib/modules/$rel/build" >/dev/null
make -s -C selftests/tools >/dev/null
make -s -C ctl >/dev/null
make -s -C shim omr-shim >/dev/null
out=out/demo-$rel
mkdir -p "$out"
rm -f "$out/failover.rates" "$out/failover.marks" "$out/demo.samples"
echo "booting Linux $rel under QEMU (TCG): about a minute..."
# One VM at a time on this machine (the tests' timing depends on it).
"${lock[@]}" selftests/vm/vm.sh -k "$rel" -t 900 -o "$out" -- selftests/demo-vm.sh
if [ -s "$out/failover.rates" ]; then
	read -r down up <"$out/failover.marks"
	selftests/e2e/plot.sh "$out/failover.rates" out/demo-failover.png \
		"omr demo: download Mbit/s per WAN, LTE down at ${down}s, back at ${up}s" \
		"$down" "$up"
	echo "plot of the failover run (Mbit/s per WAN, every 200 ms): out/demo-failover.png"
fi
echo "the demo took $((SECONDS / 60)) min $((SECONDS % 60)) s (the sampler's raw lines: $out/demo.samples)"
