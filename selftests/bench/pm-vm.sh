#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path manager benchmark, inside the VM: omr's PM against the upstream
# in-kernel PM with the same paths and the same endpoints (one per extra
# WAN, bound to its device), same run. Each run: BENCH_PM_SIZE over three
# paths of BENCH_PM_SPEC in one direction; path 2 goes down (link down both
# ends, no RST) at 2 s and comes back (link and routes) at 4 s. Measured:
#   gap_ms      the receiver's longest wait between two reads (omr-xfer's
#               rx.max_gap_ms): the failover stall
#   new_ms      ms from path_up to the first byte carried by a subflow of
#               path 2 that did not exist before path_down (null: never,
#               within BENCH_PM_WATCH s or the end of the transfer)
#   old_ms      the same for a subflow that did exist before (kernel PM:
#               the old subflow, still alive, resumes after its RTO)
# One JSON line per run to $OMR_OUT/pm-bench.jsonl; the omr variant is a
# line with "na": true when omr.ko has no path manager (omrctl status fails).
source "$(dirname "$0")/../lib.sh"
trap cleanup_all EXIT
omr_load || exit 1

SIZE=${BENCH_PM_SIZE:-96M}
SPEC=${BENCH_PM_SPEC:-20mbit 10ms}
REPS=${BENCH_REPS:-3}
WATCH=${BENCH_PM_WATCH:-8}
res=$OMR_OUT/pm-bench.jsonl
: >"$res"

# "LOCAL bytes" of path 2's client subflows, bytes in the direction that
# carries the data (acked when the client sends, received when it does).
p2_bytes() {
	sf_bytes | awk -v dir="$1" '$1 ~ /^10\.0\.2\.1[%:]/ {
		split($1, p, ":"); print p[2], (dir == "up" ? $2 : $3) }'
}

run_one() {
	local variant=$1 dir=$2 rep=$3 name=pm$RANDOM t_up now old new_ms=null old_ms=null
	local -A base=() seen=()
	local port b rc recv
	xfer_bg "$name" "$SIZE" "$dir"
	sleep 2
	while read -r port b; do [ -n "$port" ] || continue; base[$port]=$b; done <<<"$(p2_bytes "$dir")"
	old=${!base[*]}
	path_down 2
	sleep 2
	# counters of the old subflows right before the link comes back
	while read -r port b; do [ -n "$port" ] || continue; [ -n "${base[$port]+x}" ] && base[$port]=$b; done <<<"$(p2_bytes "$dir")"
	path_up 2
	t_up=$(now_ms)
	while kill -0 "$XFER_CLI_PID" 2>/dev/null; do
		now=$(now_ms)
		[ $((now - t_up)) -gt $((WATCH * 1000)) ] && break
		while read -r port b; do
			[ -n "$port" ] || continue
			if [ -n "${base[$port]+x}" ]; then
				[ "$old_ms" = null ] && [ "$b" -gt "${base[$port]}" ] && old_ms=$((now - t_up))
			else
				# a new subflow: counted from its first sighting
				# (bytes_acked starts at 1, its SYN)
				[ -n "${seen[$port]+x}" ] || seen[$port]=$b
				[ "$new_ms" = null ] && [ "$b" -gt "${seen[$port]}" ] && new_ms=$((now - t_up))
			fi
		done <<<"$(p2_bytes "$dir")"
		[ "$new_ms" != null ] && [ "$old_ms" != null ] && break
		sleep 0.1
	done
	# what became of path 2's subflows, both ends (the record's only
	# source for "why never")
	log "$variant $dir: path 2 after the watch: cli: $(ip netns exec "$CLI" ss -tnaH dst "$VPS_IP" |
		awk '$4 ~ /^10\.0\.2\.1/ {printf "%s %s; ", $1, $4}') srv: $(ip netns exec "$SRV" ss -tnaH '( sport = :5201 )' |
		awk '$5 ~ /^10\.0\.2\.1/ {printf "%s %s; ", $1, $5}')"
	xfer_wait
	rc=$?
	recv=cli
	[ "$dir" = up ] && recv=srv
	local intact=false
	xfer_intact "$name" && intact=true
	jq -c -n --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" --argjson rc "$rc" \
		--argjson intact "$intact" --argjson new "$new_ms" --argjson old "$old_ms" \
		--arg oldports "$old" --argjson watch "$WATCH" --arg spec "$SPEC" --arg size "$SIZE" \
		--slurpfile r "$TMP/$name.$recv.json" --slurpfile c "$TMP/$name.cli.json" '
		{variant: $v, dir: $dir, rep: $rep, spec: $spec, size: $size, ok: ($rc == 0 and $intact), rc: $rc,
		 gap_ms: $r[0].rx.max_gap_ms, seconds: ($r[0].rx.duration_ms / 1000),
		 new_ms: $new, old_ms: $old, watch_s: $watch, old_ports: $oldports,
		 subflows_end: ($c[0].subflows | map("\(.local)/\(.dev)/\(.bytes_acked)/\(.bytes_received)"))}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

for variant in kernel omr; do
	if [ "$variant" = omr ] && ! "$OMRCTL" status >/dev/null 2>&1; then
		echo '{"variant":"omr","na":true}' >>"$res"
		log "omr: omrctl status fails, omr PM not loaded"
		continue
	fi
	for dir in up down; do
		for rep in $(seq "$REPS"); do
			if [ "$variant" = kernel ]; then
				topo_setup default "$SPEC" "$SPEC" "$SPEC" || exit 1
			else
				topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || exit 1
			fi
			run_one "$variant" "$dir" "$rep"
		done
	done
done
