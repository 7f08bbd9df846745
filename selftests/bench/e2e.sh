#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end benchmark from the host (selftests/bench/run.sh calls it):
# boots the VM once, holding the VM lock throughout, runs
# selftests/bench/ceiling-vm.sh (the VM's own ceiling, WANs unshaped; left
# out with BENCH_CEILING=0) and selftests/bench/e2e-vm.sh, and writes
# docs/benchmarks.md (BENCH_E2E_DOC names another) and its plots. The
# settings e2e-vm.sh and lib-e2e.sh take (BENCH_*, E2E_RATES, and lib.sh's
# OMR_NETEM_LIMIT, the WANs' queue in packets) pass into the VM.
#   selftests/bench/e2e.sh KERNEL OUTDIR
set -eu
# The VM lock, unless the caller holds it already (OMR_VM_LOCKED=1).
lock=(flock /tmp/omr-vm.lock)
[ -z "${OMR_VM_LOCKED:-}" ] || lock=()
rel=$1
outdir=$2
mkdir -p "$outdir"
# the page and, beside it, its plots (PAGE-failover-VARIANT.png)
doc=${BENCH_E2E_DOC:-docs/benchmarks.md}
rm -f "$outdir/e2e-bench.jsonl" "$outdir/ceiling.jsonl" "$outdir"/fo-*.rates "$outdir/t0"
steps=selftests/bench/e2e-vm.sh
[ "${BENCH_CEILING:-1}" = 0 ] || steps="selftests/bench/ceiling-vm.sh && $steps"
# the VM's time, from when the lock is ours to the report (in the report);
# a failed VM (a kernel WARN, a timeout) still leaves its runs reported
rc=0
# shellcheck disable=SC2016
"${lock[@]}" sh -c 'date +%s >"$0/t0" && exec "$@"' "$outdir" \
	selftests/vm/vm.sh -k "$rel" -t 3000 -o "$outdir" -- \
	env BENCH_REPS="${BENCH_REPS:-5}" BENCH_MS="${BENCH_MS:-15000}" BENCH_FO_MS="${BENCH_FO_MS:-20000}" \
	BENCH_CEIL_REPS="${BENCH_CEIL_REPS:-3}" ${E2E_RATES:+E2E_RATES="$E2E_RATES"} \
	${BENCH_E2E_VARIANTS:+BENCH_E2E_VARIANTS="$BENCH_E2E_VARIANTS"} ${BENCH_DEFAULT:+BENCH_DEFAULT="$BENCH_DEFAULT"} \
	${BENCH_FO:+BENCH_FO="$BENCH_FO"} ${BENCH_DEFBBR:+BENCH_DEFBBR="$BENCH_DEFBBR"} \
	${BENCH_FO_REPS:+BENCH_FO_REPS="$BENCH_FO_REPS"} \
	${BENCH_FO_TRACE:+BENCH_FO_TRACE="$BENCH_FO_TRACE"} ${OMR_NETEM_LIMIT:+OMR_NETEM_LIMIT="$OMR_NETEM_LIMIT"} \
	bash -c "$steps" || rc=$?
for v in omr default; do
	f=$outdir/fo-$v.rates
	[ -s "$f" ] || continue
	read -r d u < <(jq -r --arg v "$v" 'select(.failover == $v) |
		"\(.down_s // 0 | . * 10 | round / 10) \(.up_s // 0 | . * 10 | round / 10)"' "$outdir/e2e-bench.jsonl")
	selftests/e2e/plot.sh "$f" "${doc%.md}-failover-$v.png" \
		"$v: download Mbit/s per WAN, LTE down at ${d}s, back at ${u}s" "$d" "$u"
done
[ -s "$outdir/e2e-bench.jsonl" ] || { echo "e2e.sh: no runs (status $rc)" >&2; exit 1; }
BENCH_ELAPSED=$((($(date +%s) - $(cat "$outdir/t0") + 30) / 60)) \
	BENCH_PLOTS=$(basename "${doc%.md}") \
	selftests/bench/e2e-report.sh "$outdir/e2e-bench.jsonl" "$rel" "$outdir/ceiling.jsonl" |
	tee "$doc"
[ "$rc" = 0 ] && exit 0
echo "e2e.sh: the VM exited with status $rc (see $outdir/console.log, dmesg.txt)" >&2
# the page says so too, with the kernel's report (vm.sh's exit 126)
{
	echo
	echo "**The VM exited with status $rc** (126: the kernel logged a report,"
	echo "below; 124: a timeout). The runs above completed and were checked."
	grep -m 1 -E 'WARNING:|BUG:|Oops|RCU stall|soft lockup' "$outdir/console.log" | sed 's/^/    /' || true
} | tee -a "$doc"
exit "$rc"
