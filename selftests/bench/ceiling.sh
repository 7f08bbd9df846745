#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM's own ceiling from the host (make bench-ceiling): boots the VM,
# runs selftests/bench/ceiling-vm.sh (the e2e topology, WANs unshaped) and
# prints the table with the WAN rates it allows, also to OUTDIR/ceiling.md.
#   selftests/bench/ceiling.sh KERNEL OUTDIR
set -eu
# The VM lock, unless the caller holds it already (OMR_VM_LOCKED=1).
lock=(flock /tmp/omr-vm.lock)
[ -z "${OMR_VM_LOCKED:-}" ] || lock=()
rel=$1
outdir=$2
rm -f "$outdir/ceiling.jsonl"
load=$(cut -d" " -f1-3 /proc/loadavg)
"${lock[@]}" selftests/vm/vm.sh -k "$rel" -t 900 -o "$outdir" -- \
	env BENCH_CEIL_REPS="${BENCH_CEIL_REPS:-3}" BENCH_CEIL_MS="${BENCH_CEIL_MS:-8000}" \
	selftests/bench/ceiling-vm.sh
{
	echo "VM ceiling, kernel $rel, $(date -u '+%Y-%m-%d %H:%M UTC'); host load average $load before and" \
		"$(cut -d' ' -f1-3 /proc/loadavg) after the run, $(nproc) host CPUs (the VM: 2 vCPUs, one TCG thread)"
	echo
	selftests/bench/ceiling-report.sh "$outdir/ceiling.jsonl"
} | tee "$outdir/ceiling.md"
