#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On the host: shows what a host-side stall of QEMU looks like to a TCG
# guest (docs/testing.md, "The debug kernel"). Boots REL with one vCPU busy
# in a shell loop, stops QEMU for SECONDS (default 25) once the loop runs,
# and expects vm.sh to fail the run (126) on the guest's soft-lockup report,
# with selftests/vm/hostwatch.py's record of the stop printed under it.
#   selftests/vm/stall.sh REL [SECONDS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
rel=$1 secs=${2:-25}
out=$here/../../out/vm-stall
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$here/vm.sh" -k "$rel" -t 300 -o "$out" -- \
	bash -c 'timeout 60 sh -c "while :; do :; done"; echo "ok 1 - busy loop ran"' \
	>"$out.txt" 2>&1 &
vm=$!
for _ in $(seq 120); do
	pid=$(pgrep -f "^qemu-system.*omr.out=$out " | head -n 1)
	[ -n "$pid" ] && break
	sleep 0.5
done
[ -n "${pid:-}" ] || { echo "not ok 1 - QEMU did not start"; exit 1; }
sleep 20	# boot, and the loop running
kill -STOP "$pid"
sleep "$secs"
kill -CONT "$pid"
wait "$vm"
rc=$?
cat "$out.txt"
if [ $rc -eq 126 ] && grep -q "soft lockup" "$out/splats.txt" &&
	grep -q "blocked" "$out/host.log"; then
	echo "ok 1 - a ${secs} s stop of QEMU: the guest's soft lockup, and the host's record of the stop"
else
	echo "not ok 1 - vm.sh rc $rc; no soft lockup report or no host record"
	exit 1
fi
