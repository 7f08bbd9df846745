#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the scheduler benchmark (not part of CI). Boots the test VM,
# runs selftests/bench/sched-vm.sh (cases a-e of docs/scheduler.md, each
# with the default scheduler, omr and the best single path alone, both
# directions, BENCH_REPS repetitions), then prints the table of medians
# with ratios omr/default and omr/single, and writes it to
# docs/bench-scheduler.md.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
scripts/deps.sh >/dev/null
rel=$(scripts/fetch-kernel.sh "${OMR_SERIES:-6.12}" | tail -n 1)
make -s module KDIR="/lib/modules/$rel/build" >/dev/null
make -s -C selftests/tools >/dev/null
outdir=out/bench-$rel
selftests/vm/vm.sh -k "$rel" -t 3000 -o "$outdir" -- \
	env BENCH_REPS="${BENCH_REPS:-3}" BENCH_SIZE="${BENCH_SIZE:-16M}" selftests/bench/sched-vm.sh
selftests/bench/report.sh "$outdir/bench.jsonl" "$rel" | tee docs/bench-scheduler.md
