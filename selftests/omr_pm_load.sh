#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager (issue #3), unloading: the PM holds no module
# reference, so rmmod works under live PM-managed connections (scheduler
# default), with a retry timer pending, and while a namespace dies; the
# connections go on without a PM. With scheduler omr the scheduler's
# reference still refuses rmmod while connected.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

T=("unload: rmmod succeeds under a live PM-managed connection (scheduler default); its 3 subflows stay, byte-identical"
	"unload: rmmod succeeds while eth3's retry is pending (the VPS refuses its joins), byte-identical"
	"unload: namespaces deleted (processes killed) while a retry is pending, rmmod right after succeeds"
	"unload: with scheduler omr, rmmod is refused while connected; the transfer completes byte-identical; rmmod then succeeds")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

SPEC="10mbit 5ms"

# rmmod must find the transfer running, or it proves nothing.
rmmod_now() {
	local out
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer ended before rmmod"; return 1; }
	out=$(rmmod omr 2>&1) || { log "rmmod: $out"; return 1; }
	! omr_loaded
}

rmmod_now_idle() {
	local out
	out=$(rmmod omr 2>&1) || { log "rmmod: $out"; return 1; }
	! omr_loaded
}

live_unload() {
	local n t rc=0
	omr_load || return 1
	topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	# Bounded by time, not size, with a wide margin (on the debug kernel,
	# ~30x slower, a fixed size can end before the count after rmmod), and
	# cut 1 s after the count: the test waits for no more than it needs.
	xfer_bg live 0 up -D "$(tscale 60000)"
	sleep 2
	n=$(sf_count)
	[ "$n" = 3 ] || { log "$n subflows before rmmod, 3 expected: $(sf_list | tr '\n' ' ')"; rc=1; }
	rmmod_now || rc=1
	sleep 1
	t=$(mono_ms)
	n=$(sf_count)
	[ "$n" = 3 ] || { log "$n subflows 1 s after rmmod: $(sf_list | tr '\n' ' ')"; rc=1; }
	sleep 1
	xfer_cut
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact live || { log "not byte-identical"; rc=1; }
	# The count saw the connection while it still carried data.
	xfer_running live srv "$t" ||
		{ log "the upload ended before the count (last data ${XFER_AFTER} ms after it)"; rc=1; }
	return $rc
}
ktap_test_result "${T[0]}" live_unload
topo_cleanup

# eth3's subflow dies and the VPS then refuses new joins (its limit: the one
# join left, eth2's): the PM's re-join on eth3 is reset at once and waits
# for a retry. (Breaking routing does not do it: a device-bound connect
# with no route, or an unreachable one, is sent on-link, and the VPS
# answers ARP for its address on any interface.)
# A refused join puts the path's re-join in backoff: after eth3's link
# returns, the monitor (one process, started before) sees a join on eth3
# close for a reason other than the link (none can while it is down), and
# the PM's snapshot (conn show -s) counts it in eth3's join failures, with
# eth3's link up. 10 s (x OMR_TIME_SCALE) for both: on the debug kernel
# beside CI's other VM the first refused join came 3.7 s after path_up and
# one omrctl + jq sample took ~5 s, so a 3 s (x 3) bound polling the
# snapshot had room for one sample, taken before that join.
retry_pending() {
	local st end mon=$TMP/pend.mon
	ip netns exec "$SRV" ip mptcp limits set subflows 1 add_addr_accepted 8
	mon_start "$CLI" "$mon"
	sleep 0.5
	path_down 3
	ip -n "$SRV" link set eth3 up
	ip -n "$CLI" link set eth3 up
	end=$((SECONDS + $(tscale 10)))
	ev_wait "$mon" "$(tscale 10)" \
		'.event == "sf_closed" and .dev == "eth3" and .reason != "link_down"' ||
		{ kill "$MON_PID"; return 1; }
	kill "$MON_PID"
	while [ $SECONDS -le "$end" ]; do
		st=$("$OMRCTL" -n "$CLI" -s -j conn show | jq -c '.paths[] | select(.dev == "eth3")')
		jq -e '.link == "up" and .join_fails >= 1' <<<"$st" >/dev/null &&
			{ log "pending: $st"; return 0; }
		sleep 0.2
	done
	log "eth3's refused join not counted in the snapshot: $st"
	return 1
}

pending_unload() {
	local rc=0
	omr_load || return 1
	topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	xfer_bg pend 0 up -D "$(tscale 60000)"	# cut once rmmod is done
	sleep 2
	retry_pending || rc=1
	rmmod_now || rc=1
	sleep 1
	xfer_cut
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact pend || { log "not byte-identical"; rc=1; }
	return $rc
}
ktap_test_result "${T[1]}" pending_unload
topo_cleanup

netns_death() {
	local rc=0
	omr_load || return 1
	topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	xfer_bg death 0 up -D "$(tscale 60000)"
	sleep 2
	retry_pending || rc=1
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer ended before the kill"; rc=1; }
	kill -9 "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
	wait
	ip netns del "$CLI" &
	ip netns del "$SRV"
	wait
	rmmod_now_idle || rc=1
	return $rc
}
ktap_test_result "${T[2]}" netns_death

sched_pins() {
	local rc=0
	omr_load || return 1
	topo_pm_setup omr "$SPEC" "$SPEC" || return 1
	xfer_bg pin 24M up
	sleep 1.5
	if rmmod omr 2>/dev/null || ! omr_loaded; then
		log "rmmod went through under a connection using scheduler omr"
		rc=1
	fi
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact pin || { log "not byte-identical"; rc=1; }
	topo_cleanup
	omr_unload || { log "rmmod after the connection ended failed"; rc=1; }
	omr_loaded && rc=1
	return $rc
}
ktap_test_result "${T[3]}" sched_pins

ktap_finished
