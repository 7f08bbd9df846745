#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager (issue #3), link events: a WAN device goes down in the
# middle of a transfer (link down on both ends, no RST, no ICMP): the PM
# removes that path's subflows at once and the data goes on over the other
# paths with a short stall; when it comes back (link, then its routes, as
# netifd does) the PM opens a new subflow on it within 2 s and it carries
# data. Both directions.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

T=("failover up: eth2 down mid-transfer (data still flowing >= 500 ms after), its subflows gone within 500 ms of the link event, byte-identical, receiver's longest gap < 1000 ms"
	"failover down: eth2 down mid-transfer (data still flowing >= 500 ms after), its subflows gone within 500 ms of the link event, byte-identical, receiver's longest gap < 1000 ms"
	"recovery up: eth2 back (link and route), a new subflow on it within 2 s that carries data while the transfer runs, byte-identical"
	"recovery down: eth2 back (link and route), a new subflow on it within 2 s that carries data while the transfer runs, byte-identical")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

recv_side() { if [ "$1" = up ]; then echo srv; else echo cli; fi; }
# the counter of a client subflow that grows with the data: acked when the
# client sends, received when it receives
data_field() { if [ "$1" = up ]; then echo F_ACKED; else echo F_RCVD; fi; }

# eth2 carries data: a sample shows an eth2 subflow past 256 KB.
eth2_moving() {
	watch_until "$1" 15 '$2 == "sf" { for (i = 1; i <= $3; i++) { sf_parse(i)
		if (F_LOCAL == "10.0.2.1" && '"$(data_field "$2")"' > 262144) f = 1 } }
		END { exit !f }'
}

# Test 2, DIR: 3 x 40 Mbit/s, a 20 s transfer; eth2 down once it carries
# data. Times are omr-watch's: from the router's own link event to the
# first sample without an eth2 subflow (samples every 50 ms).
failover() {
	local dir=$1 name=fo-$1 t_down t_gone rc gap rx
	rx=$(recv_side "$dir")
	topo_pm_setup default "40mbit 5ms" "40mbit 5ms" "40mbit 5ms" || return 1
	watch_start "$name" "$CLI" -i 50 -t 60 -r "$VPS_IP" || return 1
	xfer_bg "$name" 0 "$dir" -D 20000
	eth2_moving "$name" "$dir" || log "no data on eth2 15 s in: $(tail -n 1 "$TMP/$name.watch")"
	path_down 2
	xfer_wait
	rc=$?
	watch_stop "$name"
	t_down=$(watch_event "$name" link eth2 down)
	t_gone=$(awk -v t="${t_down:-0}" "$WATCH_AWK"'$2 == "sf" && $1 > t {
		n = 0; for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL == "10.0.2.1") n++ }
		if (!n) { print int($1); exit } }' "$TMP/$name.watch")
	gap=$(jq .rx.max_gap_ms "$TMP/$name.$rx.json")
	[ -n "$t_down" ] || { log "omr-watch saw no link down of eth2"; return 1; }
	xfer_running "$name" "$rx" "$t_down" ||
		{ log "$dir: the transfer was over when eth2 went down (last data ${XFER_AFTER} ms after)"; return 1; }
	log "$dir: rc $rc, eth2 subflows gone $([ -n "$t_gone" ] && echo "$((t_gone - t_down)) ms after its link went down" || echo never); data flowed on for $XFER_AFTER ms after; receiver's longest gap $gap ms"
	[ "$rc" -eq 0 ] && xfer_intact "$name" || { log "transfer failed or not byte-identical"; return 1; }
	[ -n "$t_gone" ] && [ $((t_gone - t_down)) -lt 500 ] || return 1
	jq -e '.rx.max_gap_ms < 1000' "$TMP/$name.$rx.json" >/dev/null
}

# Test 3, DIR: 3 x 20 Mbit/s, a transfer cut (xfer_cut) 1 s after the new
# subflow carried data, 90 s at most; eth2 down once it carries
# data, back (link, then its routes, as netifd does) 2 s after its subflows
# went. From the moment both the link and eth2's default route are back:
# a new subflow (a port not on eth2 before) within 2 s, and its counter
# grows while the transfer still runs.
recovery() {
	local dir=$1 name=rc-$1 t_down t_up t_route t_back rc res fld rx
	rx=$(recv_side "$dir")
	fld=$(data_field "$dir")
	topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms" || return 1
	watch_start "$name" "$CLI" -i 50 -t 60 -r "$VPS_IP" || return 1
	xfer_bg "$name" 0 "$dir" -D 90000	# cut once the new subflow carried data
	eth2_moving "$name" "$dir" || log "no data on eth2 15 s in"
	path_down 2
	watch_until "$name" 5 '$2 == "link" && $3 == "eth2" && $4 == "down" { d = 1 }
		d && $2 == "sf" { n = 0; for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL == "10.0.2.1") n++ }
		if (!n) { ok = 1; exit } } END { exit !ok }' || log "eth2's subflows still there 5 s after its link went down"
	sleep 2
	path_up 2
	watch_until "$name" 10 '$2 == "link" && $3 == "eth2" && $4 == "up" { u = 1 }
		u && $2 == "sf" { for (i = 1; i <= $3; i++) { sf_parse(i)
			if (F_LOCAL == "10.0.2.1" && !(F_LPORT in old) && F_LPORT in first && '"$fld"' > first[F_LPORT]) { ok = 1; exit }
			if (F_LOCAL == "10.0.2.1" && !(F_LPORT in old) && !(F_LPORT in first)) first[F_LPORT] = '"$fld"' } }
		!u && $2 == "sf" { for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL == "10.0.2.1") old[F_LPORT] = 1 } }
		END { exit !ok }' || log "no new eth2 subflow carrying data 10 s after its link came back"
	sleep 1		# more data on the new subflow, then the transfer ends
	xfer_cut
	xfer_wait
	rc=$?
	watch_stop "$name"
	t_down=$(watch_event "$name" link eth2 down)
	t_up=$(WATCH_AFTER=${t_down:-0} watch_event "$name" link eth2 up)
	t_route=$(WATCH_AFTER=${t_up:-0} watch_event "$name" route 102 eth2 add)
	[ -n "$t_up" ] && [ -n "$t_route" ] || { log "omr-watch saw no link up ($t_up) or route ($t_route) of eth2"; return 1; }
	t_back=$t_route
	# "NEW_MS DATA_MS PORT": the first new eth2 subflow and when its counter grew
	res=$(awk -v t="$t_back" -v td="$t_down" "$WATCH_AWK"'$2 != "sf" { next }
		{ for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL != "10.0.2.1") continue
			if ($1 < td) { old[F_LPORT] = 1; continue }
			if ((F_LPORT in old) || $1 < t) continue
			if (port == "") { port = F_LPORT; tn = $1; b = '"$fld"' }
			else if (F_LPORT == port && '"$fld"' > b) { print int(tn - t), int($1 - t), port; exit } } }
		END { if (port != "") print int(tn - t), "never", port }' "$TMP/$name.watch")
	read -r t_new t_data port <<<"$res"
	log "$dir: rc $rc; eth2 link up $((t_up - t_down)) ms after down, its route $((t_route - t_up)) ms after that; from then: new subflow (port ${port:-none}) after ${t_new:-never} ms, data on it after ${t_data:-never} ms"
	[ "$rc" -eq 0 ] && xfer_intact "$name" || { log "transfer failed or not byte-identical"; return 1; }
	[ -n "$t_new" ] && [ "$t_new" -lt 2000 ] && [ "$t_data" != never ] || return 1
	xfer_running "$name" "$rx" $((t_back + t_data)) ||
		{ log "the transfer was over when the new subflow carried data"; return 1; }
	log "the transfer went on for $XFER_AFTER ms after that"
}

i=0
for dir in up down; do
	ktap_test_result "${T[$i]}" failover $dir
	i=$((i + 1))
done
for dir in up down; do
	ktap_test_result "${T[$i]}" recovery $dir
	i=$((i + 1))
done

ktap_finished
