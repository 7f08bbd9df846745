#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scheduler benchmark, inside the VM. For each case, each variant (default
# scheduler, omr, the best single path alone over plain TCP) and each
# direction, BENCH_REPS transfers of BENCH_SIZE with a request/response
# probe (64 B every 20 ms on a second connection of the same kind) running
# alongside. One JSON line per run goes to $OMR_OUT/bench.jsonl, with the
# guest's CPU busy % over the receiver's first to last byte (one omr-watch
# -c for the whole bench, lib.sh's cpu_pct).
source "$(dirname "$0")/../lib.sh"
trap cleanup_all EXIT
omr_load || exit 1

SIZE=${BENCH_SIZE:-16M}
REPS=${BENCH_REPS:-3}
res=$OMR_OUT/bench.jsonl
: >"$res"
"$WATCH" -i 200 -t 86400 -S -c -P >"$TMP/cpu.samples" 2>"$TMP/cpu.err" &

# name|path specs (";"-separated)|index of the best single path
CASES=(
	"a balanced 10/10 Mbit/s, 10 ms|10mbit 10ms;10mbit 10ms|1"
	"b 10/3 Mbit/s, 1/25 ms|10mbit 1ms;3mbit 25ms|1"
	"c 20/20 Mbit/s, 10 ms, 2 % loss on one|20mbit 10ms;20mbit 10ms 2%|1"
	"d 20/10 Mbit/s, 10/200 ms|20mbit 10ms;10mbit 200ms|1"
	"e 10/10 Mbit/s, 10 ms, 5 % loss on one|10mbit 10ms;10mbit 10ms 5%|1"
)

run_one() {
	local case=$1 variant=$2 dir=$3 rep=$4 name=b$RANDOM opts=()
	[ "$variant" = single ] && opts=(-T)
	xfer "$name" "$SIZE" "$dir" -r 150 -R 20 "${opts[@]}"
	local side=cli cpu
	[ "$dir" = up ] && side=srv
	cpu=$(cpu_pct "$TMP/cpu.samples" "$(jq '.rx.first_mono_ms // 0 | floor' "$TMP/$name.$side.json")" \
		"$(jq '.rx.last_mono_ms // 0 | floor' "$TMP/$name.$side.json")")
	jq -c -n --arg case "$case" --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" \
		--argjson cpu "${cpu:-null}" \
		--slurpfile r "$TMP/$name.$side.json" --slurpfile c "$TMP/$name.cli.json" '
		{case: $case, variant: $v, dir: $dir, rep: $rep, cpu_pct: $cpu,
		 ok: ($r[0].ok and $c[0].ok),
		 seconds: ($r[0].rx.duration_ms / 1000),
		 mbps: $r[0].rx.goodput_mbps,
		 p50_ms: ($c[0].latency.p50_us / 1000), p99_ms: ($c[0].latency.p99_us / 1000)}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

for c in "${CASES[@]}"; do
	IFS='|' read -r cname specs best <<<"$c"
	# BENCH_CASES="d e" runs only those cases.
	[ -z "${BENCH_CASES:-}" ] || [[ " $BENCH_CASES " == *" ${cname%% *} "* ]] || continue
	IFS=';' read -r -a paths <<<"$specs"
	# BENCH_VARIANTS="default omr" leaves out the single path.
	for variant in ${BENCH_VARIANTS:-default omr single}; do
		if [ "$variant" = single ]; then
			topo_setup default "${paths[$((best - 1))]}" || exit 1
		else
			topo_setup "$variant" "${paths[@]}" || exit 1
		fi
		for dir in down up; do
			for rep in $(seq "$REPS"); do
				run_one "$cname" "$variant" "$dir" "$rep"
			done
		done
	done
done
