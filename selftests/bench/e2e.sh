#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end benchmark from the host (selftests/bench/run.sh calls it):
# boots the VM once, holding the VM lock throughout, runs
# selftests/bench/e2e-vm.sh and writes docs/benchmarks.md and its plots.
#   selftests/bench/e2e.sh KERNEL OUTDIR
set -eu
# The VM lock, unless the caller holds it already (OMR_VM_LOCKED=1).
lock=(flock /tmp/omr-vm.lock)
[ -z "${OMR_VM_LOCKED:-}" ] || lock=()
rel=$1
outdir=$2
size=${BENCH_SIZE:-8M}
fo_size=${BENCH_FO_SIZE:-48M}
rm -f "$outdir/e2e-bench.jsonl" "$outdir"/fo-*.rates
"${lock[@]}" selftests/vm/vm.sh -k "$rel" -t 1800 -o "$outdir" -- \
	env BENCH_REPS="${BENCH_REPS:-3}" BENCH_SIZE="$size" BENCH_FO_SIZE="$fo_size" \
	selftests/bench/e2e-vm.sh
for v in omr default; do
	f=$outdir/fo-$v.rates
	[ -s "$f" ] || continue
	read -r d u < <(jq -r --arg v "$v" 'select(.failover == $v) | "\(.down_s * 10 | round / 10) \(.up_s * 10 | round / 10)"' \
		"$outdir/e2e-bench.jsonl")
	selftests/e2e/plot.sh "$f" "docs/benchmarks-failover-$v.png" \
		"$v: download Mbit/s per WAN, LTE down at ${d}s, back at ${u}s" "$d" "$u"
done
selftests/bench/e2e-report.sh "$outdir/e2e-bench.jsonl" "$rel" 100 "$size" "$fo_size" |
	tee docs/benchmarks.md
