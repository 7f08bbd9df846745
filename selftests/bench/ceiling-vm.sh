#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM's own ceiling, inside the VM (issue #12): the end-to-end topology
# of selftests/e2e/lib-e2e.sh with the WANs unshaped (netem removed: plain
# veth pairs), omr's scheduler and path manager, three subflows. What the
# guest's CPU can move when no link limits it:
#   mptcp  omr-xfer over MPTCP from the router to the VPS (no proxy, no AEAD)
#   shim   the LAN client through SOCKS5 -> omr-shim local -> MPTCP
#          (chacha20-ietf-poly1305) -> omr-shim server -> the internet server
#   tcp    plain TCP from the router to the VPS over one veth (reference)
# Each way, BENCH_CEIL_REPS (3) transfers of BENCH_CEIL_MS (8000) ms, with
# the guest's CPU busy % and each WAN's bytes over the receiver's first to
# last byte, from one omr-watch in the router. One JSON line per run in
# $OMR_OUT/ceiling.jsonl; selftests/bench/ceiling-report.sh makes the table.
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

REPS=${BENCH_CEIL_REPS:-3}
MS=${BENCH_CEIL_MS:-8000}
res=$OMR_OUT/ceiling.jsonl
: >"$res"

ceil_one() {
	local kind=$1 dir=$2 rep=$3 name=c$RANDOM rc rx cpu bytes first last
	case $kind in
	shim) e2e_xfer_bg "$name" 0 "$dir" -x "$RTR_LAN:$SOCKS_PORT" -D "$MS" || return 1 ;;
	mptcp) xfer_bg "$name" 0 "$dir" -D "$MS" ;;
	tcp) xfer_bg "$name" 0 "$dir" -T -D "$MS" ;;
	esac
	e2e_xfer_wait 60
	rc=$?
	rx=$(e2e_rx_json "$name" "$dir")
	first=$(jq '.rx.first_mono_ms // 0 | floor' "$rx")
	last=$(jq '.rx.last_mono_ms // 0 | floor' "$rx")
	cpu=$(e2e_sample_cpu "$TMP/ceil.samples" "$first" "$last")
	bytes=$(e2e_sample_bytes "$TMP/ceil.samples" "$dir" "$first" "$last")
	jq -c -n --arg k "$kind" --arg dir "$dir" --argjson rep "$rep" --argjson rc "$rc" \
		--argjson cpu "$cpu" --argjson b "[${bytes// /,}]" --slurpfile r "$rx" '
		{ceiling: $k, dir: $dir, rep: $rep, ok: ($rc == 0 and $r[0].ok),
		 seconds: ($r[0].rx.duration_ms / 1000), mbps: $r[0].rx.goodput_mbps,
		 cpu_pct: $cpu, wan_bytes: $b}' >>"$res" ||
		echo "{\"ceiling\":\"$kind\",\"dir\":\"$dir\",\"rep\":$rep,\"ok\":false}" >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

e2e_setup omr omr || exit 1
for i in 1 2 3; do
	for ns in "$CLI" "$SRV"; do
		tc -n "$ns" qdisc del dev "eth$i" root || exit 1
	done
done
e2e_sample_start "$TMP/ceil.samples" 200 || exit 1
for kind in ${BENCH_CEIL_KINDS:-mptcp shim tcp}; do
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			ceil_one "$kind" "$dir" "$rep"
		done
	done
done
e2e_sample_stop
log "sampler: $(tail -n 1 "$TMP/ceil.samples"), largest interval deviation $(e2e_sample_jitter "$TMP/ceil.samples" 200) ms"
cp "$TMP/ceil.samples" "$OMR_OUT/ceiling.samples"
