#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark, inside the VM: the scenario of
# selftests/e2e/lib-e2e.sh (LAN client -> router with DSL, LTE and
# satellite WANs -> VPS -> internet server), one LAN client and one
# internet server throughout, these ways of getting across:
#   omr       SOCKS5 -> omr-shim over MPTCP, omr scheduler + omr PM (omrctl)
#   default   the same omr-shim over MPTCP, upstream "default" scheduler and
#             the in-kernel PM with one subflow endpoint per extra WAN
#   single1..3 plain TCP over WAN 1, 2 or 3 alone, routed, no proxy (the
#             report takes the best of them, measured)
#   ssh       SOCKS5 -> ssh -D over DSL (sshd on the VPS): TCP over TCP
#   ss        SOCKS5 -> shadowsocks-libev (ss-local/ss-server under
#             mptcpize) over MPTCP with the omr scheduler and PM
#   ovpn      TCP in TCP: plain TCP routed into OpenVPN in TCP mode, router
#             -> VPS over the best single WAN (measured by the single rows
#             before it; BENCH_OVPN_WAN without them)
#   ovpnm     the same OpenVPN tunnel, both ends under mptcpize: its TCP is
#             MPTCP over every WAN, omr scheduler and PM
#   bbr       omr, with BBR on the two lossy radio paths (LTE, satellite)
#             for the upload (the router's PM gives their subflows bbr:
#             omrctl path change dev ethI cc bbr; DSL keeps cubic), and
#             BBR on the VPS (its default, omr-shim server restarted):
#             the VPS cannot choose per path (bbr_paths says why)
#   defbbr    default scheduler + in-kernel PM, BBR as the system default
#             of the router's and the VPS's namespaces (every subflow)
# For each, BENCH_REPS downloads and uploads bounded by time (BENCH_MS ms,
# omr-xfer -D, byte-checked) with a request/response probe (64 B every
# 50 ms on a second connection through the same proxy) alongside: one JSON
# line per run in $OMR_OUT/e2e-bench.jsonl, with the guest's CPU busy % and
# each WAN's bytes over the receiver's first to last byte, from one
# omr-watch in the router (e2e_sample_start). The first line gives the WAN
# profile. Then the failover case for omr and default: a BENCH_FO_MS
# download, LTE down 4 s in and back 4 s later, per-WAN rates every 200 ms
# in $OMR_OUT/fo-VARIANT.rates, and a JSON line with the longest stall (the
# receiver's longest wait between reads) and the recovery time (from LTE's
# link up, as the sampler saw it, to its first 200 ms sample above
# 1 Mbit/s). For the OpenVPN rows each run also records the CPU the two
# (single-threaded) OpenVPN processes used, in % of one CPU over the
# receiver's transfer time. BENCH_DEFAULT=0 leaves the default-scheduler
# rows out, BENCH_FO=0 the failovers (for a quick look at one row);
# BENCH_E2E_VARIANTS=none runs no row, BENCH_FO_TRACE=1 traces the
# failovers (fo_trace), BENCH_FO_REPS=N runs each failover N times (a JSON
# line each; the rates file and plot are the last one's). With lib.sh's
# OMR_NETEM_LIMIT (the WANs' queue, packets) that measures how much of the
# stall is the queue (docs/path-manager.md, "Where a failover's stall goes").
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

MS=${BENCH_MS:-15000}
REPS=${BENCH_REPS:-5}
FO_MS=${BENCH_FO_MS:-20000}
FO_REPS=${BENCH_FO_REPS:-1}
S=$TMP/bench.samples
res=$OMR_OUT/e2e-bench.jsonl
json_list() { local IFS=,; echo "[$*]"; }
jq -c -n --argjson r "$(json_list "${E2E_RATES[@]}")" --argjson d "$(json_list "${E2E_DELAYS[@]}")" \
	--argjson l "$(json_list "${E2E_LOSS[@]}")" --argjson ms "$MS" --argjson reps "$REPS" \
	--argjson q "${OMR_NETEM_LIMIT:-300}" \
	'{profile: {rates_mbps: $r, delay_ms: $d, loss_pct: $l, netem_limit: $q}, ms: $ms, reps: $reps}' >"$res"

proxy_of() {
	case $1 in
	omr | default | bbr | defbbr) echo "-x $RTR_LAN:$SOCKS_PORT" ;;
	ssh) echo "-x $RTR_LAN:$SSH_SOCKS_PORT" ;;
	ss) echo "-x $RTR_LAN:$SS_SOCKS_PORT" ;;
	single* | ovpn*) echo "-T" ;;
	esac
}

# The WAN of a row: N for singleN, the tunnel's for ovpn, none otherwise.
wan_of() {
	case $1 in
	single*) echo "${1#single}" ;;
	ovpn) echo "$OVPN_WAN" ;;
	*) echo null ;;
	esac
}

# best_wan: the single WAN whose plain TCP download had the highest median
# so far in $res, or BENCH_OVPN_WAN (1) without one.
best_wan() {
	local w
	w=$(jq -rs '[.[] | select((.variant // "") | startswith("single")) | select(.ok and .dir == "down")] |
		group_by(.variant) | map({w: (.[0].variant[6:] | tonumber),
		m: (map(.mbps) | sort | .[(length - 1) / 2 | floor])}) | max_by(.m) | .w // empty' "$res")
	echo "${w:-${BENCH_OVPN_WAN:-1}}"
}

# ovpn_pct T0 T1 MS: "X" % of one CPU for a tick count delta over MS ms.
ovpn_pct() {
	awk -v a="$1" -v b="$2" -v ms="$3" -v hz="$HZ" \
		'BEGIN { if (ms > 0) printf "%.0f\n", 100 * (b - a) / hz / (ms / 1000); else print "null" }'
}

run_one() {
	local variant=$1 dir=$2 rep=$3 name=b$RANDOM rx rc first last cpu bytes t0 t1 ov=null
	[[ $variant != ovpn* ]] || read -r -a t0 <<<"$(e2e_ovpn_ticks)"
	# shellcheck disable=SC2046
	e2e_xfer_bg "$name" 0 "$dir" -D "$MS" -r $((MS / 50)) -R 50 $(proxy_of "$variant") || return 1
	e2e_xfer_wait $((MS / 1000 + 60))
	rc=$?
	rx=$(e2e_rx_json "$name" "$dir")
	first=$(jq '.rx.first_mono_ms // 0 | floor' "$rx")
	last=$(jq '.rx.last_mono_ms // 0 | floor' "$rx")
	cpu=$(e2e_sample_cpu "$S" "$first" "$last")
	bytes=$(e2e_sample_bytes "$S" "$dir" "$first" "$last")
	if [[ $variant == ovpn* ]]; then
		read -r -a t1 <<<"$(e2e_ovpn_ticks)"
		ov="{\"rtr\":$(ovpn_pct "${t0[0]}" "${t1[0]}" $((last - first))),"
		ov+="\"vps\":$(ovpn_pct "${t0[1]}" "${t1[1]}" $((last - first)))}"
	fi
	jq -c -n --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" --argjson rc "$rc" \
		--argjson cpu "${cpu:-null}" --argjson b "[${bytes// /,}]" --argjson ov "$ov" \
		--argjson wan "$(wan_of "$variant")" \
		--slurpfile r "$rx" --slurpfile c "$TMP/$name.cli.json" '
		{variant: $v, dir: $dir, rep: $rep, wan: $wan,
		 ok: ($rc == 0 and $r[0].ok and $c[0].ok),
		 seconds: ($r[0].rx.duration_ms / 1000),
		 mbps: $r[0].rx.goodput_mbps, cpu_pct: $cpu, wan_bytes: $b, ovpn_cpu_pct: $ov,
		 p50_ms: ($c[0].latency.p50_us / 1000), p99_ms: ($c[0].latency.p99_us / 1000)}' \
		>>"$res" || echo "{\"variant\":\"$variant\",\"dir\":\"$dir\",\"rep\":$rep,\"ok\":false}" >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

# row_failed VARIANT WHY: the row's runs, all failed, with the reason.
row_failed() {
	local dir rep
	log "$1: $2"
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			jq -c -n --arg v "$1" --arg dir "$dir" --argjson rep "$rep" --arg why "$2" \
				'{variant: $v, dir: $dir, rep: $rep, ok: false, why: $why}' >>"$res"
		done
	done
}

# bbr_paths on|off: BBR on LTE and satellite (row bbr), or back to cubic.
# The router's PM gives the subflows on those paths bbr. The VPS cannot
# choose per path: MPTCP gives every subflow it accepts the connection's
# CC (sync_socket_options() at the join overrides a route's congctl), and
# the connection takes the listener's, fixed when omr-shim server started.
# So the VPS runs bbr on every path: its namespace's default, and a new
# omr-shim server.
bbr_paths() {
	local i cc=bbr
	[ "$1" = on ] || cc=default
	for i in 2 3; do
		ctl path change dev "eth$i" cc "$cc" || return 1
	done
	[ "$1" = on ] && cc=bbr || cc=$CC0
	ns_sysctl "$SRV" "net.ipv4.tcp_congestion_control=$cc" && e2e_shim_server_restart
}

# cc_check VARIANT: which CC each tunnel subflow runs at both ends, in a
# 5 s download (one line in the log and in $res: a row whose CCs are not
# the ones it names measured something else).
cc_check() {
	local v=$1 out ns
	# shellcheck disable=SC2046
	e2e_xfer_bg "cc-$v" 0 down -D 5000 $(proxy_of "$v") || return 1
	sleep 3
	out=
	for ns in "$CLI" "$SRV"; do
		out+="$(ip netns exec "$ns" ss -tniH state established "( sport = :$SHIM_PORT or dport = :$SHIM_PORT )" |
			awk -v ns="$([ "$ns" = "$CLI" ] && echo rtr || echo vps)" 'NR % 2 == 1 { split($3, a, ":"); split($4, b, ":"); dev = a[1] ~ /^10\.0\./ ? a[1] : b[1]; next }
			{ for (i = 1; i <= NF; i++) if ($i ~ /^(cubic|bbr|reno)$/) cc = $i; printf "%s:%s=%s ", ns, dev, cc }')"
	done
	e2e_xfer_wait 60
	log "$v: subflow CCs (namespace:WAN address=cc): $out"
	jq -c -n --arg v "$v" --arg cc "$out" '{cc_check: $v, subflows: $cc}' >>"$res"
}

# row_start VARIANT: what the row needs besides the scenario.
row_start() {
	case $1 in
	bbr) modprobe -q tcp_bbr && bbr_paths on && cc_check bbr ;;
	single*) e2e_route_via "${1#single}" ;;
	ovpn | ovpnm)
		[ "$1" = ovpn ] && OVPN_WAN=$(best_wan) && log "OpenVPN TCP over WAN $OVPN_WAN (eth$OVPN_WAN)"
		if ! e2e_ovpn_start "$OVPN_WAN" "$([ "$1" = ovpnm ] && echo mptcp || echo tcp)"; then
			sed 's/^/#   vps: /' "$TMP/ovpn-vps.log" 2>/dev/null | tail -n 20
			sed 's/^/#   rtr: /' "$TMP/ovpn-rtr.log" 2>/dev/null | tail -n 20
			e2e_ovpn_stop
			return 1
		fi
		;;
	esac
}

row_stop() {
	[ "$1" != bbr ] || bbr_paths off
	if [[ $1 == ovpn* ]]; then
		grep -h -i 'error\|warn\|restart' "$TMP/ovpn-vps.log" "$TMP/ovpn-rtr.log" | sort -u | sed 's/^/#   openvpn: /' | tail -n 10
		e2e_ovpn_stop
	fi
	e2e_route_via 1
}

# fo_counters FILE: every namespace's TCP and MPTCP counters ("NS NAME
# VALUE" lines) and the backlog drops of /proc/net/softnet_stat ("all
# softnet_dropped N"), for fo_trace's differences.
fo_counters() {
	local ns d n=0
	for ns in "$LAN" "$CLI" "$SRV" "$INET"; do
		ip netns exec "$ns" nstat -asz 2>/dev/null |
			awk -v ns="$ns" '$1 ~ /^(Tcp|MPTcp)/ { print ns, $1, $2 }'
	done >"$1"
	while read -r _ d _; do
		n=$((n + 16#$d))
	done </proc/net/softnet_stat
	echo "all softnet_dropped $n" >>"$1"
}

# fo_trace start|stop VARIANT: with BENCH_FO_TRACE=1, the kernel's TCP
# retransmits, resets, socket state changes and packet drops (with their
# reason) during the failover (ftrace, CLOCK_MONOTONIC like the sampler's
# and omr-xfer's *_mono_ms) into $OMR_OUT/fo-VARIANT.trace, to place its
# stall against the link events;
# and what the counters of every hop (LAN, router, VPS, internet server)
# gained meanwhile into $OMR_OUT/fo-VARIANT.counters ("NS NAME DELTA"): a
# stall with no retransmission in the tunnel may be another hop's drops
# (a traced run's 4.4 s without any retransmit ended with the internet
# server's, whose hop has no netem).
fo_trace() {
	local t=/sys/kernel/tracing e
	[ "${BENCH_FO_TRACE:-0}" = 1 ] || return 0
	if [ "$1" = stop ]; then
		echo 0 >$t/tracing_on
		cat $t/trace >"$OMR_OUT/fo-$2.trace"
		fo_counters "$TMP/fo-$2.c1"
		awk 'NR == FNR { a[$1 " " $2] = $3; next }
			$3 - a[$1 " " $2] != 0 { print $1, $2, $3 - a[$1 " " $2] }' \
			"$TMP/fo-$2.c0" "$TMP/fo-$2.c1" >"$OMR_OUT/fo-$2.counters"
		return 0
	fi
	fo_counters "$TMP/fo-$2.c0"
	[ -d $t/events ] || mount -t tracefs nodev $t || return 0
	echo 0 >$t/tracing_on
	echo >$t/trace
	echo mono >$t/trace_clock
	echo 20000 >$t/buffer_size_kb
	for e in tcp/tcp_retransmit_skb tcp/tcp_send_reset tcp/tcp_receive_reset sock/inet_sock_set_state; do
		echo 1 >$t/events/$e/enable
	done
	echo 'protocol == 6 || protocol == 262' >$t/events/sock/inet_sock_set_state/filter
	# packets dropped for a reason (2: NOT_SPECIFIED, 1: consumed): where
	# (the function) and why (a full receive buffer, the backlog, ...)
	if [ -d $t/events/skb/kfree_skb ]; then
		echo 'reason > 2' >$t/events/skb/kfree_skb/filter
		echo 1 >$t/events/skb/kfree_skb/enable
	fi
	echo 1 >$t/tracing_on
}

# failover VARIANT: LTE down 4 s into a download, back 4 s later.
failover() {
	local v=$1 t0 t_d t_u t_end rc back
	fo_trace start "$v"
	t0=$(mono_ms)
	e2e_xfer_bg "fo-$v" 0 down -D "$FO_MS" -x "$RTR_LAN:$SOCKS_PORT" || return 1
	sleep 4
	path_down 2
	sleep 4
	path_up 2
	e2e_xfer_wait $((FO_MS / 1000 + 60))
	rc=$?
	sleep 0.6
	t_end=$(mono_ms)
	fo_trace stop "$v"
	t_d=$(E2E_AFTER=$t0 e2e_sample_at "$S" link eth2 down)
	t_u=$(E2E_AFTER=${t_d:-$t0} e2e_sample_at "$S" link eth2 up)
	e2e_rates "$S" down "$t0" "$t_end" >"$OMR_OUT/fo-$v.rates"
	# the first 200 ms sample from LTE's return in which it carried > 1 Mbit/s
	back=$(awk -v u="${t_u:-1e18}" -v t0="$t0" '$1 * 1000 + t0 >= u && $3 > 1 {
		printf "%d\n", $1 * 1000 + t0 - u; exit }' "$OMR_OUT/fo-$v.rates")
	jq -c -n --arg v "$v" --argjson rc "$rc" --argjson t0 "$t0" --argjson d "${t_d:-null}" \
		--argjson u "${t_u:-null}" --argjson e "$t_end" --argjson back "${back:-null}" \
		--argjson cpu "$(e2e_sample_cpu "$S" "$t0" "$t_end")" --slurpfile c "$TMP/fo-$v.cli.json" '
		{failover: $v, ok: ($rc == 0 and $c[0].ok), t0_mono_ms: $t0,
		 down_s: (if $d then ($d - $t0) / 1000 else null end),
		 up_s: (if $u then ($u - $t0) / 1000 else null end),
		 end_s: (($c[0].rx.last_mono_ms - $t0) / 1000),
		 seconds: ($c[0].rx.duration_ms / 1000), mbps: $c[0].rx.goodput_mbps, cpu_pct: $cpu,
		 stall_ms: $c[0].rx.max_gap_ms,
		 stall_end_s: (if $c[0].rx.max_gap_end_mono_ms then ($c[0].rx.max_gap_end_mono_ms - $t0) / 1000 else null end),
		 recovery_ms: $back}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

e2e_setup omr omr || exit 1
e2e_ssh_start || { log "ssh -D did not start: $(cat "$TMP/sshd.log" "$TMP/ssh.log")"; exit 1; }
variants=${BENCH_E2E_VARIANTS:-omr single1 single2 single3 ssh ss ovpn ovpnm bbr}
[ "$variants" != none ] || variants=	# the failovers alone
HZ=$(getconf CLK_TCK)
CC0=$(sysctl -n net.ipv4.tcp_congestion_control)
OVPN_WAN=${BENCH_OVPN_WAN:-1}
# shadowsocks-libev needs mptcpize (package mptcpize): without it, no row 5
if [[ " $variants " == *" ss "* ]] && ! e2e_ss_start; then
	row_failed ss "shadowsocks-libev did not start: $(cat "$TMP"/ss-*.log)"
	rest=
	for v in $variants; do [ "$v" = ss ] || rest="$rest $v"; done
	variants=$rest
fi
e2e_sample_start "$S" 200 || exit 1
for v in $variants; do
	if ! row_start "$v"; then
		row_failed "$v" "its setup failed"
		e2e_route_via 1
		continue
	fi
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			run_one "$v" "$dir" "$rep"
		done
	done
	row_stop "$v"
done
[ "${BENCH_FO:-1}" = 0 ] || for _ in $(seq "$FO_REPS"); do failover omr; done
log "sampler: $(tail -n 1 "$S"); largest interval deviation $(e2e_sample_jitter "$S" 200) ms"

[ "${BENCH_DEFAULT:-1}" != 0 ] || exit 0
e2e_setup default kernel || exit 1
e2e_sample_start "$S" 200 || exit 1
for dir in down up; do
	for rep in $(seq "$REPS"); do
		run_one default "$dir" "$rep"
	done
done
[ "${BENCH_FO:-1}" = 0 ] || for _ in $(seq "$FO_REPS"); do failover default; done
# the same, BBR everywhere: the system default of both namespaces, which
# every subflow created after this takes
if [ "${BENCH_DEFBBR:-1}" != 0 ] && modprobe -q tcp_bbr &&
	ns_sysctl "$CLI" net.ipv4.tcp_congestion_control=bbr &&
	ns_sysctl "$SRV" net.ipv4.tcp_congestion_control=bbr && e2e_shim_server_restart; then
	cc_check defbbr
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			run_one defbbr "$dir" "$rep"
		done
	done
fi
log "sampler: $(tail -n 1 "$S"); largest interval deviation $(e2e_sample_jitter "$S" 200) ms"
