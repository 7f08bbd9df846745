#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the scheduler benchmark (not part of CI). Boots the test VM,
# runs selftests/bench/sched-vm.sh (cases a-e of docs/scheduler.md, each
# with the default scheduler, omr and the best single path alone, both
# directions, BENCH_REPS repetitions), then prints the table of medians
# with ratios omr/default and omr/single, plus a userspace micro-benchmark
# of one decision against the default's arithmetic, and writes it all to
# docs/bench-scheduler.md. Before it, in a boot of its own, the path
# manager benchmark (selftests/bench/pm-vm.sh: failover stall and recovery
# of omr's PM against the in-kernel PM with the same endpoints), written to
# docs/bench-pm.md. After them, in a third boot, the end-to-end benchmark
# (selftests/bench/e2e-vm.sh: LAN -> SOCKS5 -> omr-shim over MPTCP -> VPS ->
# internet against the default scheduler, one WAN alone, ssh -D,
# shadowsocks-libev and OpenVPN in TCP mode, plus a failover), written to docs/benchmarks.md with
# its plots, and the VM's own ceiling (selftests/bench/ceiling-vm.sh:
# unshaped WANs) measured in the same boot first. BENCH_ONLY=sched, pm, e2e
# or ceiling runs one of them; BENCH_ONLY=cc (make bench-cc) runs the
# end-to-end benchmark's cubic and BBR rows alone (omr, bbr, default,
# defbbr) at half the WAN rates, where BBR's pacing does not make the VM's
# CPU the bottleneck, into docs/bench-cc.md.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
scripts/deps.sh >/dev/null
rel=$(scripts/fetch-kernel.sh "${OMR_SERIES:-6.12}" | tail -n 1)
make -s module KDIR="/lib/modules/$rel/build" >/dev/null
make -s -C selftests/tools >/dev/null
make -s -C ctl >/dev/null
make -s -C shim omr-shim >/dev/null
outdir=out/bench-$rel
mkdir -p "$outdir"
only=${BENCH_ONLY:-}

if [ "$only" = ceiling ]; then
	selftests/bench/ceiling.sh "$rel" "$outdir"
	exit 0
fi
if [ "$only" = cc ]; then
	mkdir -p "$outdir/cc"
	BENCH_E2E_DOC=docs/bench-cc.md BENCH_MAKE="make bench-cc" BENCH_CEILING=0 BENCH_FO=0 \
		BENCH_E2E_VARIANTS="omr bbr" E2E_RATES="${E2E_RATES:-3 4.5 7.5}" \
		selftests/bench/e2e.sh "$rel" "$outdir/cc"
	exit 0
fi
if [ "$only" = e2e ]; then
	selftests/bench/e2e.sh "$rel" "$outdir"
	exit 0
fi
if [ "$only" != sched ]; then
	flock /tmp/omr-vm.lock selftests/vm/vm.sh -k "$rel" -t 3000 -o "$outdir" -- \
		env BENCH_REPS="${BENCH_REPS:-3}" selftests/bench/pm-vm.sh
	selftests/bench/pm-report.sh "$outdir/pm-bench.jsonl" "$rel" | tee docs/bench-pm.md
fi
[ "$only" != pm ] || exit 0
# The decision code alone, on the host, against the default's arithmetic.
gcc -O2 -Wall -Wextra -Werror -Ikmod -o "$outdir/sched_core_bench" \
	selftests/bench/sched_core_bench.c kmod/sched_core.c
"$outdir/sched_core_bench" | tee "$outdir/micro.txt"
flock /tmp/omr-vm.lock selftests/vm/vm.sh -k "$rel" -t 3000 -o "$outdir" -- \
	env BENCH_REPS="${BENCH_REPS:-3}" BENCH_SIZE="${BENCH_SIZE:-16M}" BENCH_CASES="${BENCH_CASES:-}" BENCH_VARIANTS="${BENCH_VARIANTS:-}" \
	selftests/bench/sched-vm.sh
{
	selftests/bench/report.sh "$outdir/bench.jsonl" "$rel"
	echo
	echo "## One decision, userspace (host CPU, same run)"
	echo
	echo "ns per call of omr_pick() and of the default scheduler's arithmetic"
	echo "(argmin of wmem << 32 / pacing) over the same number of subflows:"
	echo
	echo '```'
	cat "$outdir/micro.txt"
	echo '```'
} | tee docs/bench-scheduler.md
[ -n "$only" ] || selftests/bench/e2e.sh "$rel" "$outdir"
