#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B benchmark of two builds of omr.ko against the default scheduler, in
# one VM run (not part of CI). The cases are those of sched-vm.sh
# (docs/bench-scheduler.md); AB_OLD_KO is the other build (default:
# out/old-REL/omr.ko, e.g. main's), OMR_KO (lib.sh) the one under test. Per
# case one topology (rebuilt when the module is swapped: a connection pins
# it until its namespace is gone); per repetition the variants run in turn
# (default, old, new; the next repetition new, old, default), so that drift
# of the shared machine hits all of them alike. One JSON line per run, with the guest's
# CPU use (from /proc/stat, read without spawning), goes to
# $OMR_OUT/ab.jsonl; selftests/bench/ab-report.sh makes the table.
source "$(dirname "$0")/../lib.sh"
trap cleanup_all EXIT

SIZE=${BENCH_SIZE:-16M}
REPS=${BENCH_REPS:-3}
OLD_KO=${AB_OLD_KO:-$top/out/old-$OMR_KERNEL/omr.ko}
NEW_KO=$OMR_KO
res=$OMR_OUT/ab.jsonl
: >"$res"

CASES=(
	"b 10/3 Mbit/s, 1/25 ms|10mbit 1ms;3mbit 25ms"
	"d 20/10 Mbit/s, 10/200 ms|20mbit 10ms;10mbit 200ms"
	"e 10/10 Mbit/s, 10 ms, 5 % loss on one|10mbit 10ms;10mbit 10ms 5%"
)

# cpu_ticks: "busy total" jiffies of the whole guest, from /proc/stat.
cpu_ticks() {
	local _ user nice sys idle iowait irq softirq steal rest
	read -r _ user nice sys idle iowait irq softirq steal rest </proc/stat
	echo "$((user + nice + sys + irq + softirq + steal)) $((user + nice + sys + idle + iowait + irq + softirq + steal))"
}

LOADED=
# use_ko KO: have exactly that omr.ko loaded (by path). A connection that
# used omr pins the module until its namespace is gone, so a swap tears the
# topology down and builds it again ($PATHS).
use_ko() {
	[ "$LOADED" = "$1" ] && return 0
	if omr_loaded; then
		topo_cleanup
		omr_unload || return 1
	fi
	insmod "$1" || return 1
	LOADED=$1
	[ ${#PATHS[@]} -eq 0 ] || topo_setup omr "${PATHS[@]}"
}

set_sched() {
	ns_sysctl "$CLI" net.mptcp.scheduler="$1" && ns_sysctl "$SRV" net.mptcp.scheduler="$1"
}

# ko_of VARIANT: "new" is the tree's omr.ko, "old" AB_OLD_KO, any other
# name out/NAME-REL/omr.ko (another build, for BENCH_VARIANTS).
ko_of() {
	case $1 in
	new) echo "$NEW_KO" ;;
	old) echo "$OLD_KO" ;;
	*) echo "$top/out/$1-$OMR_KERNEL/omr.ko" ;;
	esac
}

run_one() {
	local case=$1 variant=$2 dir=$3 rep=$4 name=ab$RANDOM side=cli snd=srv b0 t0 b1 t1
	if [ "$variant" = default ]; then
		set_sched default || return 1
	else
		use_ko "$(ko_of "$variant")" && set_sched omr || return 1
	fi
	# No process substitution: the VM's chroot has no /dev/fd.
	read -r b0 t0 <<<"$(cpu_ticks)"
	xfer "$name" "$SIZE" "$dir" -r 150 -R 20
	read -r b1 t1 <<<"$(cpu_ticks)"
	[ "$dir" = up ] && side=srv snd=cli
	jq -c -n --arg case "$case" --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" \
		--argjson cpu "$(((b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))" \
		--slurpfile r "$TMP/$name.$side.json" --slurpfile c "$TMP/$name.cli.json" \
		--slurpfile s "$TMP/$name.$snd.json" '
		{case: $case, variant: $v, dir: $dir, rep: $rep, cpu_pct: $cpu,
		 split: ([$s[0].subflows[]? | {(.dev): (.bytes_acked // 0)}] | add),
		 ok: ($r[0].ok and $c[0].ok),
		 seconds: ($r[0].rx.duration_ms / 1000),
		 mbps: $r[0].rx.goodput_mbps,
		 p50_ms: ($c[0].latency.p50_us / 1000), p99_ms: ($c[0].latency.p99_us / 1000)}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

PATHS=()
use_ko "$NEW_KO" || exit 1
for c in "${CASES[@]}"; do
	IFS='|' read -r cname specs <<<"$c"
	[ -z "${BENCH_CASES:-}" ] || [[ " $BENCH_CASES " == *" ${cname%% *} "* ]] || continue
	IFS=';' read -r -a PATHS <<<"$specs"
	topo_setup omr "${PATHS[@]}" || exit 1
	# Per repetition each variant's two directions in a block (one module
	# swap per repetition), the blocks' order reversed every other time.
	for rep in $(seq "$REPS"); do
		order=${BENCH_VARIANTS:-default old new}
		[ $((rep % 2)) -eq 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
		for v in $order; do
			for dir in down up; do
				run_one "$cname" "$v" "$dir" "$rep"
			done
		done
	done
done
