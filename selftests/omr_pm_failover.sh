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

T=("failover up: eth2 down mid 64 MB, its subflows gone within 500 ms, byte-identical, receiver's longest gap < 1000 ms"
	"failover down: eth2 down mid 64 MB, its subflows gone within 500 ms, byte-identical, receiver's longest gap < 1000 ms"
	"recovery up: eth2 back, a new subflow on it within 2 s that carries data, byte-identical"
	"recovery down: eth2 back, a new subflow on it within 2 s that carries data, byte-identical")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

recv_side() { if [ "$1" = up ]; then echo srv; else echo cli; fi; }

# Test 2, DIR: 3 x 40 Mbit/s, eth2 down at 2 s.
failover() {
	local dir=$1 name=fo-$1 t0 gone='' now rc gap
	topo_pm_setup default "40mbit 5ms" "40mbit 5ms" "40mbit 5ms" || return 1
	xfer_bg "$name" 64M "$dir"
	sleep 2
	[ "$(sf_count eth2)" -ge 1 ] || log "no subflow on eth2 before the link went down: $(sf_list | tr '\n' ' ')"
	path_down 2
	t0=$(now_ms)
	while kill -0 "$XFER_CLI_PID" 2>/dev/null; do
		now=$(now_ms)
		[ "$(sf_count eth2)" = 0 ] && gone=$((now - t0)) && break
		[ $((now - t0)) -gt 5000 ] && break
		sleep 0.05
	done
	xfer_wait
	rc=$?
	gap=$(jq .rx.max_gap_ms "$TMP/$name.$(recv_side "$dir").json")
	log "$dir: rc $rc, eth2 subflows gone after ${gone:-never (> 5000)} ms, receiver's longest gap $gap ms"
	[ "$rc" -eq 0 ] && xfer_intact "$name" || { log "transfer failed or not byte-identical"; return 1; }
	[ -n "$gone" ] && [ "$gone" -lt 500 ] || return 1
	jq -e '.rx.max_gap_ms < 1000' "$TMP/$name.$(recv_side "$dir").json" >/dev/null
}

# Test 3, DIR: 3 x 20 Mbit/s, eth2 down at 2 s, back at 4 s. A new subflow
# is one whose local port was not there before the link went down; it
# carried data if ss saw its byte counter (acked when the client sends,
# received when it receives; a bare join has acked 1, its SYN) grow, or
# the final report gives it more than that.
recovery() {
	local dir=$1 name=rc-$1 old port b t_up now t_new='' t_data='' first='' newport='' rc col
	col=2
	[ "$dir" = down ] && col=3
	topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms" || return 1
	xfer_bg "$name" 64M "$dir"
	sleep 2
	old=" $(sf_list | awk -F: '/^10\.0\.2\.1[%:]/ {print $2}' | tr '\n' ' ')"
	path_down 2
	sleep 2
	path_up 2
	t_up=$(now_ms)
	while kill -0 "$XFER_CLI_PID" 2>/dev/null; do
		now=$(now_ms)
		[ $((now - t_up)) -gt 10000 ] && break
		while read -r port b; do
			[ -n "$port" ] || continue
			[[ $old == *" $port "* ]] && continue
			if [ -z "$newport" ]; then
				newport=$port t_new=$((now - t_up)) first=$b
			elif [ "$port" = "$newport" ] && [ "$b" -gt "$first" ]; then
				t_data=$((now - t_up))
			fi
		done <<<"$(sf_bytes | awk -v c=$col '$1 ~ /^10\.0\.2\.1[%:]/ {split($1, p, ":"); print p[2], $c}')"
		[ -n "$t_data" ] && break
		sleep 0.1
	done
	xfer_wait
	rc=$?
	if [ -z "$t_data" ] && [ -n "$newport" ]; then
		# the transfer ended before ss saw it grow: the final report
		b=$(jq --arg p ":$newport" --arg d "$dir" '[.subflows[] | select(.local | endswith($p)) |
			if $d == "up" then .bytes_acked else .bytes_received end] | add // 0' "$TMP/$name.cli.json")
		[ "$b" -gt 1 ] && t_data="by the end ($b bytes)"
	fi
	log "$dir: rc $rc; old eth2 port(s):${old% }; new eth2 subflow ${newport:-none} after ${t_new:-never (> 10000)} ms; data on it: ${t_data:-never}${t_data:+ ms}"
	[ "$rc" -eq 0 ] && xfer_intact "$name" || { log "transfer failed or not byte-identical"; return 1; }
	[ -n "$t_new" ] && [ "$t_new" -lt 2000 ] && [ -n "$t_data" ]
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
