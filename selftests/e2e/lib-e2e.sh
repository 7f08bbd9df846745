#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced after lib.sh, which sets top, now_ms, XFER...; the globals set
# here are for the scripts that source it.
# shellcheck disable=SC2034,SC2154,SC2016
#
# The end-to-end scenario (sourced after selftests/lib.sh), shared by the
# demo (selftests/demo-vm.sh), the benchmark (selftests/bench/e2e-vm.sh) and
# the test suite (selftests/omr_e2e.sh). docs/e2e.md describes it.
#
#   lan            router ($CLI)                 vps ($SRV)          internet
#   192.168.1.2 -- 192.168.1.1    eth1 DSL   --  10.0.1.2            203.0.113.80
#   omr-xfer -x    omr-shim local eth2 LTE   --  10.0.2.2  -- inet0 --  omr-xfer server
#   curl --socks5  :1080 (SOCKS5) eth3 Sat.  --  10.0.3.2  203.0.113.1  busybox httpd :80
#                  omr PM (omrctl)               omr-shim server          iperf3 -s
#                                                10.99.0.2:8388
#
# The WANs are lib.sh's topology (netem on both ends of each veth pair, so
# both directions are shaped; the delay is one way, the RTT twice it). The
# tunnel omr-shim local -> omr-shim server is one MPTCP connection per
# client connection, from the router to the VPS's public address; its
# subflows come from omr's path manager (e2e_setup omr ...) or from the
# in-kernel PM with one endpoint per extra WAN (e2e_setup default kernel).
# Plain TCP from the LAN is routed (no NAT) over the router's main default
# route, the DSL link; e2e_route_via I moves it to WAN I.

# The WAN profiles (docs/e2e.md, "WAN profiles"): the rates are scaled to
# the VM's own measured ceiling (E2E_RATES="R1 R2 R3" in Mbit/s tries
# others); the one-way delays (ms) and the random loss (%, each way) stay.
read -r -a E2E_RATES <<<"${E2E_RATES:-6 9 15}"
E2E_DELAYS=(15 25 40)
E2E_LOSS=(0 0.5 1)
E2E_SHORT=(DSL LTE Satellite)
E2E_PROFILES=()
E2E_NAMES=()
for _i in 0 1 2; do
	_p="${E2E_RATES[_i]}mbit ${E2E_DELAYS[_i]}ms"
	_n="${E2E_SHORT[_i]} ${E2E_RATES[_i]} Mbit/s, ${E2E_DELAYS[_i]} ms"
	if [ "${E2E_LOSS[_i]}" != 0 ]; then
		_p+=" ${E2E_LOSS[_i]}%"
		_n+=", ${E2E_LOSS[_i]} % loss"
	fi
	E2E_PROFILES+=("$_p")
	E2E_NAMES+=("$_n")
done
# (rates may have decimals: E2E_RATES="3 4.5 7.5")
E2E_WAN_SUM=$(echo "${E2E_RATES[@]}" | awk '{ for (i = 1; i <= NF; i++) s += $i; print s }')
unset _i _p _n	# E2E_WAN_SUM: Mbit/s, the sum of the WAN rates
LAN=omr-lan
INET=omr-inet
LAN_IP=192.168.1.2
RTR_LAN=192.168.1.1
INET_IP=203.0.113.80
INET_GW=203.0.113.1
SHIM_PORT=8388
SOCKS_PORT=1080		# omr-shim local
SSH_SOCKS_PORT=1081	# ssh -D
SS_SOCKS_PORT=1082	# ss-local
SS_PORT=8389		# ss-server
XFER_PORT=5301		# omr-xfer server (iperf3 has 5201)
CTL=$top/ctl/omrctl
SHIM=$top/shim/omr-shim

# e2e_require NEED...: each NEED, a path (executable) or a command name
# (on PATH), is there; else every planned test (T) fails naming what is
# missing, and the suite ends.
e2e_require() {
	local x t missing=
	for x in "$@"; do
		case $x in
		/*) [ -x "$x" ] || missing="$missing $x" ;;
		*) command -v "$x" >/dev/null || missing="$missing $x" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	for t in "${T[@]}"; do ktap_test_fail "$t (missing:$missing)"; done
	ktap_finished
}
E2E_KEY=omr-e2e-$RANDOM$RANDOM

ctl() { "$CTL" -n "$CLI" "$@"; }

# e2e_setup SCHED PM: the whole scenario, PM "omr" (omr's path manager,
# configured with omrctl; net.mptcp.pm_type=1 on the router) or "kernel"
# (the in-kernel PM, one subflow endpoint per extra WAN). SCHED is the
# MPTCP scheduler of the router and the VPS. Starts omr-shim on both ends,
# the internet's HTTP and iperf3 servers; returns once all listen.
e2e_setup() {
	local sched=$1 pm=$2 i
	e2e_cleanup
	if [ "$pm" = omr ]; then
		TOPO_PM=omr _topo_setup "$sched" "${E2E_PROFILES[@]}" || return 1
		ns_sysctl "$CLI" net.mptcp.pm_type=1 || return 1
		ctl pm set enable || return 1
		for i in 1 2 3; do
			ctl path add dev "eth$i" || return 1
		done
	else
		topo_setup "$sched" "${E2E_PROFILES[@]}" || return 1
	fi
	_e2e_lan_inet || return 1
	e2e_start_shim || return 1
	_e2e_servers || return 1
}

_e2e_lan_inet() {
	ip netns add "$LAN" && ip netns add "$INET" || return 1
	ip -n "$LAN" link set lo up
	ip -n "$INET" link set lo up
	ip link add lan0 netns "$CLI" type veth peer name eth0 netns "$LAN"
	ip -n "$CLI" addr add "$RTR_LAN/24" dev lan0
	ip -n "$LAN" addr add "$LAN_IP/24" dev eth0
	ip -n "$CLI" link set lan0 up
	ip -n "$LAN" link set eth0 up
	ip -n "$LAN" route add default via "$RTR_LAN"
	ip link add inet0 netns "$SRV" type veth peer name eth0 netns "$INET"
	ip -n "$SRV" addr add "$INET_GW/24" dev inet0
	ip -n "$INET" addr add "$INET_IP/24" dev eth0
	ip -n "$SRV" link set inet0 up
	ip -n "$INET" link set eth0 up
	ip -n "$INET" route add default via "$INET_GW"
	# Plain TCP from the LAN (the single-WAN and ssh rows) is routed.
	ns_sysctl "$CLI" net.ipv4.ip_forward=1
	ns_sysctl "$SRV" net.ipv4.ip_forward=1
	ip -n "$SRV" route add 192.168.1.0/24 via 10.0.1.1 dev eth1
}

# e2e_route_via I: plain TCP between the LAN and the internet over WAN I.
e2e_route_via() {
	ip -n "$CLI" route replace default via "10.0.$1.2" dev "eth$1"
	ip -n "$SRV" route replace 192.168.1.0/24 via "10.0.$1.1" dev "eth$1"
}

# e2e_start_shim: omr-shim server on the VPS, omr-shim local on the router
# (SOCKS5 on $RTR_LAN:$SOCKS_PORT), from JSON configs with the keys of
# shadowsocks-libev (docs/shim.md). E2E_SHIM_SERVER_JSON and
# E2E_SHIM_LOCAL_JSON add keys (', "mode": "tcp_and_udp"').
e2e_start_shim() {
	cat >"$TMP/shim-server.json" <<-EOF
	{ "server": "$VPS_IP", "server_port": $SHIM_PORT, "password": "$E2E_KEY",
	  "method": "chacha20-ietf-poly1305", "timeout": 60, "mptcp": true, "workers": 2
	  ${E2E_SHIM_SERVER_JSON:-} }
	EOF
	cat >"$TMP/shim-local.json" <<-EOF
	{ "server": "$VPS_IP", "server_port": $SHIM_PORT, "password": "$E2E_KEY",
	  "method": "chacha20-ietf-poly1305", "local_address": "$RTR_LAN",
	  "local_port": $SOCKS_PORT, "timeout": 60, "mptcp": true, "workers": 2
	  ${E2E_SHIM_LOCAL_JSON:-} }
	EOF
	_e2e_shim_server &
	ip netns exec "$CLI" "$SHIM" local -c "$TMP/shim-local.json" -q \
		2>>"$TMP/shim-local.log" &
	wait_listen "$SRV" "$SHIM_PORT" && wait_listen "$CLI" "$SOCKS_PORT"
}

_e2e_shim_server() {
	exec ip netns exec "$SRV" "$SHIM" server -c "$TMP/shim-server.json" -q \
		2>>"$TMP/shim-server.log"
}

# e2e_shim_server_restart: a new omr-shim server on the VPS, same config:
# its listening MPTCP socket, and so every subflow it accepts (MPTCP gives
# each the connection's CC), takes the namespace's CC as it is now.
e2e_shim_server_restart() {
	local i
	pkill -f "^$SHIM server -c $TMP/shim-server.json" || return 1
	for i in $(seq 50); do
		pgrep -f "^$SHIM server -c $TMP/shim-server.json" >/dev/null || break
		sleep 0.1
	done
	_e2e_shim_server &
	wait_listen "$SRV" "$SHIM_PORT"
}

_e2e_servers() {
	mkdir -p "$TMP/www"
	head -c "${E2E_HTTP_SIZE:-8M}" /dev/urandom >"$TMP/www/file"
	ip netns exec "$INET" busybox httpd -f -p "$INET_IP:80" -h "$TMP/www" &
	if command -v iperf3 >/dev/null; then
		ip netns exec "$INET" iperf3 -s -B "$INET_IP" >/dev/null 2>&1 &
	fi
	wait_listen "$INET" 80
}

# e2e_xfer NAME SIZE DIR [omr-xfer client options, e.g. -x PROXY]: one
# transfer from the LAN client to the internet server (a fresh server per
# transfer). JSON in $TMP/NAME.cli.json and $TMP/NAME.srv.json.
e2e_xfer_bg() {
	local name=$1 size=$2 dir=$3
	shift 3
	ip netns exec "$INET" "$XFER" server -T -l "$INET_IP:$XFER_PORT" -j -t 300 \
		>"$TMP/$name.srv.json" 2>"$TMP/$name.srv.err" &
	XFER_SRV_PID=$!
	wait_listen "$INET" "$XFER_PORT" || return 1
	ip netns exec "$LAN" "$XFER" client -c "$INET_IP:$XFER_PORT" -s "$size" -d "$dir" \
		-j -t 300 "$@" >"$TMP/$name.cli.json" 2>"$TMP/$name.cli.err" &
	XFER_CLI_PID=$!
}

# e2e_xfer_wait SEC: xfer_wait, but after SEC seconds print what the
# router and the VPS see of the tunnel (e2e_diag), end the transfer and fail.
e2e_xfer_wait() {
	local end=$(($(now_ms) + $1 * 1000))
	while kill -0 "$XFER_CLI_PID" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do
		sleep 0.2
	done
	if kill -0 "$XFER_CLI_PID" 2>/dev/null; then
		log "transfer still running after $1 s:"
		e2e_diag
		kill "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
	fi
	xfer_wait
}

# What the router and the VPS see of the tunnel connections, as comments.
e2e_diag() {
	local ns
	for ns in "$CLI" "$SRV"; do
		log "== $ns: omrctl conn show"
		"$CTL" -n "$ns" conn show 2>&1 | sed 's/^/#   /'
		log "== $ns: ss -tnim (port $SHIM_PORT)"
		ip netns exec "$ns" ss -tni "( sport = :$SHIM_PORT or dport = :$SHIM_PORT )" 2>&1 |
			sed 's/^/#   /'
		log "== $ns: MPTCP MIB (nonzero)"
		ip netns exec "$ns" nstat -asz 2>/dev/null | awk '$1 ~ /^MPTcp/ && $2 != 0 { printf "#   %s %s\n", $1, $2 }'
	done
}

e2e_xfer() {
	e2e_xfer_bg "$@" || return 1
	xfer_wait
}

# The receiver's JSON of NAME: the client's for a download, the server's
# for an upload.
e2e_rx_json() {
	if [ "$2" = up ]; then echo "$TMP/$1.srv.json"; else echo "$TMP/$1.cli.json"; fi
}

# e2e_dev_bytes: "ethI RX TX" of the router's WAN devices.
e2e_dev_bytes() {
	ip netns exec "$CLI" bash -c 'for i in 1 2 3; do
		read -r rx </sys/class/net/eth$i/statistics/rx_bytes
		read -r tx </sys/class/net/eth$i/statistics/tx_bytes
		echo "eth$i $rx $tx"; done'
}

# e2e_sample_start FILE [MS]: one long-lived sampler in the router,
# omr-watch (selftests/tools/omr-watch.c) at a real-time priority, writes
# to FILE every MS ms (200) the byte counters of eth1..eth3 ("T dev eth1
# RX TX eth2 RX TX eth3 RX TX") and the guest's CPU use ("T cpu PCT BUSY
# TOTAL"), and, as they happen, the router's link and route events ("T
# link eth2 down"): one clock (CLOCK_MONOTONIC ms, omr-xfer's *_mono_ms),
# no process spawned per sample. E2E_SAMPLE_T0 is the time of the first
# sample; returns once it is written.
e2e_sample_start() {
	local file=$1 ms=${2:-200} i t kind
	e2e_sample_stop
	E2E_SAMPLE_T0=
	ip netns exec "$CLI" "$WATCH" -i "$ms" -t 3600 -S -c -P -d eth1,eth2,eth3 \
		>"$file" 2>"$file.err" &
	E2E_SAMPLER=$!
	for i in $(seq 100); do
		while read -r t kind _; do
			[ "$kind" = dev ] && E2E_SAMPLE_T0=${t%.*} && return 0
		done <"$file"
		sleep 0.1
	done
	log "omr-watch did not start: $(cat "$file.err")"
	return 1
}

e2e_sample_stop() {
	[ -n "${E2E_SAMPLER:-}" ] || return 0
	kill "$E2E_SAMPLER" 2>/dev/null
	wait "$E2E_SAMPLER" 2>/dev/null
	E2E_SAMPLER=
}

# e2e_rates SAMPLES DIR [FROM_MS [TO_MS]]: per sample, "T_S MBPS1 MBPS2
# MBPS3" (Mbit/s per WAN over the last interval; the router's rx for
# "down", tx for "up"), T_S in s from the first sample, or, with FROM_MS,
# only the samples from FROM_MS (mono) to TO_MS and T_S from FROM_MS.
e2e_rates() {
	awk -v up="$([ "$2" = up ] && echo 1 || echo 0)" -v from="${3:-}" -v to="${4:-1e18}" '
		$2 != "dev" { next }
		!n++ { t0 = from == "" ? $1 : from }
		n > 1 && $1 > pt && $1 >= t0 && $1 <= to {
			printf "%.2f", ($1 - t0) / 1000
			for (i = 0; i < 3; i++) {
				c = 4 + 3 * i + up
				printf " %.2f", ($c - p[c]) * 8 / 1000 / ($1 - pt)
			}
			printf "\n"
		}
		{ pt = $1; for (c = 4; c <= NF; c++) p[c] = $c }' "$1"
}

# e2e_sample_at SAMPLES WHAT...: the time (mono ms) of the first event line
# "T WHAT..." (e.g. link eth2 down) from E2E_AFTER ms on (or the start).
e2e_sample_at() {
	local file=$1
	shift
	awk -v w="$*" -v after="${E2E_AFTER:-0}" '$1 >= after {
		l = $0; sub(/^[^ ]+ /, "", l); if (l == w) { print int($1); exit } }' "$file"
}

# e2e_sample_cpu SAMPLES FROM_MS TO_MS: the guest's CPU busy % (lib.sh's
# cpu_pct) over the samples within FROM_MS..TO_MS (mono).
e2e_sample_cpu() { cpu_pct "$@"; }

# e2e_sample_bytes SAMPLES DIR FROM_MS TO_MS: "B1 B2 B3", the bytes each
# WAN received ("down") or sent ("up") between the first and the last
# sample within FROM_MS..TO_MS (mono).
e2e_sample_bytes() {
	awk -v up="$([ "$2" = up ] && echo 1 || echo 0)" -v from="$3" -v to="$4" '
		$2 != "dev" || $1 < from || $1 > to { next }
		{ for (i = 0; i < 3; i++) { c = 4 + 3 * i + up; if (!n) a[i] = $c; b[i] = $c } n++ }
		END { printf "%d %d %d\n", b[0] - a[0], b[1] - a[1], b[2] - a[2] }' "$1"
}

# e2e_sample_jitter SAMPLES MS: the largest deviation (ms) of an interval
# between two samples from MS.
e2e_sample_jitter() {
	awk -v ms="$2" '$2 != "dev" { next }
		n++ { d = $1 - pt - ms; if (d < 0) d = -d; if (d > m) m = d } { pt = $1 }
		END { printf "%.0f\n", m }' "$1"
}

# e2e_conn_snapshot FILE: `omrctl -j conn show` of the router, taken while
# the tunnel connection with the most subflows is open: polls until it has
# N (3) established subflows or T (10) s pass; the last snapshot stays.
e2e_conn_snapshot() {
	local file=$1 want=${2:-3} i n
	for i in $(seq 50); do
		ctl -j conn show >"$file.tmp" 2>/dev/null || true
		n=$(jq '[.[] | select(.remote_port == '"$SHIM_PORT"') | .subflows |
			map(select(.state == "established")) | length] | max // 0' "$file.tmp" 2>/dev/null)
		[ -s "$file.tmp" ] && mv "$file.tmp" "$file"
		[ "${n:-0}" -ge "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

# e2e_share_ok BEFORE AFTER COL SIZE: every WAN's counter (COL 2 rx, 3 tx,
# from e2e_dev_bytes) grew by at least 2 % of SIZE bytes (the lossy
# satellite gets 4-15 %; a path that only joined moves a few KB).
e2e_share_ok() {
	sort "$1" >"$1.s"
	sort "$2" >"$2.s"
	join "$1.s" "$2.s" | awk -v c="$3" -v s="$4" '
		{ d = $(c + 2) - $c; printf "# %s: %d bytes\n", $1, d; if (d < s / 50) bad = 1 }
		END { exit bad }'
}

# e2e_snapshot_ok NAME T_SNAP SNAP_RC FILE: the download NAME still ran at
# T_SNAP (mono ms, when e2e_conn_snapshot, whose status is SNAP_RC, wrote
# FILE), and FILE shows the tunnel with established subflows on eth1..eth3.
e2e_snapshot_ok() {
	local ok=0
	if xfer_running "$1" cli "$2"; then
		log "conn show taken $XFER_AFTER ms before the download's last byte"
	else
		ok=1
		log "conn show was taken after the download ended (its last byte $XFER_AFTER ms after)"
	fi
	if [ "$3" -ne 0 ] || ! jq -e --argjson p "$SHIM_PORT" '[.[] | select(.remote_port == $p) |
		.subflows | map(select(.state == "established") | .dev) | sort] |
		any(. == ["eth1", "eth2", "eth3"])' "$4" >/dev/null; then
		ok=1
		log "conn show: $(jq -c '[.[] | {remote_port, sched, pm, sf: [.subflows[] | {dev, state}]}]' "$4" 2>&1)"
	fi
	return $ok
}

# UDP on the best WAN, and its failover (omr_e2e_udp.sh through SOCKS5,
# omr_e2e_redir.sh transparently; docs/e2e.md): a UDP echo on the internet
# host, `omrctl udp-route` keeping the router's UDP marked MARK (omr-shim's
# udp_fwmark) in table TABLE on the WAN omr's PM judges best, `omrctl
# monitor` of the PM's path events beside it, and one probe,
# selftests/e2e/udpfo.py, that is both the LAN's UDP client and DSL's
# failure (one process, one clock): a datagram every 10 ms, eth1's carrier
# lost E2E_UDPFO_WARM s in, back E2E_UDPFO_DOWN s later, the end
# E2E_UDPFO_UP s after that.
E2E_ECHO_PORT=7007
E2E_UDPFO=$top/selftests/e2e/udpfo.py
E2E_UDPFO_WARM=3 E2E_UDPFO_DOWN=5 E2E_UDPFO_UP=4
E2E_UR_PID=
E2E_MON_PID=

# e2e_udp_route_start MARK TABLE: the echo (each source it sees appended to
# $TMP/echo.src), the monitor ($TMP/mon.log) and udp-route ($TMP/ur.log);
# 0 once udp-route installed "fwmark MARK lookup TABLE" and TABLE's default
# route via eth1 (the first path), and its first line says so (10 s).
e2e_udp_route_start() {
	local mark=$1 table=$2 i rules route
	ip netns exec "$INET" python3 "$E2E_UDPFO" echo "$INET_IP" "$E2E_ECHO_PORT" \
		"$TMP/echo.src" 2>"$TMP/echo.err" &
	ip netns exec "$CLI" "$CTL" -j -t monitor path_up path_down >"$TMP/mon.log" 2>&1 &
	E2E_MON_PID=$!
	ip netns exec "$CLI" "$CTL" -j udp-route fwmark "$mark" table "$table" \
		>"$TMP/ur.log" 2>"$TMP/ur.err" &
	E2E_UR_PID=$!
	for i in $(seq 100); do [ -s "$TMP/ur.log" ] && break; sleep 0.1; done
	rules=$(ip -n "$CLI" rule show)
	route=$(ip -n "$CLI" route show table "$table")
	[[ $rules == *"fwmark $(printf '%#x' "$mark") lookup $table"* ]] &&
		[[ $route == "default via 10.0.1.2 dev eth1 "* ]] &&
		jq -e '.event == "udp_route" and .from == null and .to == "eth1" and
			.via == "10.0.1.2" and .why == "start"' <<<"$(_e2e_ur_line 1)" >/dev/null &&
		return 0
	log "rules: $(tr '\n' ' ' <<<"$rules"); table $table: $route"
	log "udp-route: $(cat "$TMP/ur.log" "$TMP/ur.err" | tr '\n' ' ')"
	return 1
}

e2e_udp_route_stop() {
	[ -n "$E2E_UR_PID" ] && kill "$E2E_UR_PID" 2>/dev/null
	[ -n "$E2E_MON_PID" ] && kill "$E2E_MON_PID" 2>/dev/null
	E2E_UR_PID=
	E2E_MON_PID=
}

# _e2e_ur_line N: udp-route's Nth line (JSON).
_e2e_ur_line() { sed -n "${1}p" "$TMP/ur.log"; }

# _e2e_after LINE T0: ms from T0 (s, realtime) to the "ts" of the JSON
# LINE, ? if none.
_e2e_after() {
	[ -n "$1" ] || { echo "?"; return; }
	jq -n --argjson l "$1" --argjson b "$2" '($l.ts - $b) * 1000 | floor'
}

# e2e_udpfo_probe SOCKS_HOST SOCKS_PORT: the probe (SOCKS_HOST "-": plain
# UDP from the LAN, no proxy settings) with omr-watch sampling the WANs'
# counters every 200 ms ($TMP/samples); its JSON in $TMP/fo.json.
e2e_udpfo_probe() {
	local prc
	# Whether LTE's gateway is in the neighbour table (an ARP exchange after
	# the move costs one more round trip on LTE).
	log "router's neighbours on eth2 before: $(ip -n "$CLI" neigh show dev eth2 | tr '\n' ' ')"
	e2e_sample_start "$TMP/samples" 200 || log "no sampler"
	ip netns exec "$SRV" python3 "$E2E_UDPFO" probe eth1 "$LAN" "$1" "$2" "$INET_IP" \
		"$E2E_ECHO_PORT" "$E2E_UDPFO_WARM" "$E2E_UDPFO_DOWN" "$E2E_UDPFO_UP" \
		"$TMP/fo.json" 2>"$TMP/probe.err"
	prc=$?
	e2e_sample_stop
	[ $prc -eq 0 ] && [ -s "$TMP/fo.json" ] && return 0
	log "probe failed ($prc): $(cat "$TMP/probe.err")"
	rm -f "$TMP/fo.json"
	return 1
}

# _e2e_mono T: realtime s (the probe's) -> the sampler's monotonic ms.
_e2e_mono() {
	jq -n --argjson t "$1" --argjson o "$(jq '.down_mono_ms - .down * 1000' "$TMP/fo.json")" \
		'$t * 1000 + $o | floor'
}

# _e2e_share I FROM TO: the % of the WANs' tx bytes that ethI sent between
# FROM and TO (mono ms).
_e2e_share() {
	e2e_sample_bytes "$TMP/samples" up "$2" "$3" |
		awk -v i="$1" '{ s = $1 + $2 + $3; printf "%d\n", s ? 100 * $i / s : 0 }'
}

# e2e_udpfo_results T_WARM T_OUTAGE T_BACK: the probe's three KTAP results
# (docs/e2e.md): before the failure >= 90 % echoed, eth1 >= 80 % of the
# WANs' tx; the failure: udp-route moved to eth2, the first echo of a
# datagram sent after it within 5 s (functional: measured ~130 ms), >= 90 %
# of those sent after the gap echoed, eth2 >= 80 %; eth1 back: udp-route
# moved back ("preferred"), >= 90 % echoed, eth1 >= 80 % after the move.
e2e_udpfo_results() {
	local J=$TMP/fo.json t
	if ! [ -s "$J" ]; then
		for t in "$@"; do ktap_test_fail "$t (no probe)"; done
		return
	fi
	log "probe: $(jq -c '{sent, echoed, warm, outage, back}' "$J")"
	_e2e_udpfo_warm "$1"
	_e2e_udpfo_outage "$2"
	_e2e_udpfo_back "$3"
}

_e2e_udpfo_warm() {
	local J=$TMP/fo.json s1
	s1=$(_e2e_share 1 "$(_e2e_mono "$(jq .start "$J")")" "$(jq .down_mono_ms "$J")")
	log "warm: eth1 sent $s1 % of the WANs' tx bytes"
	jq -e '.warm.sent > 50 and .warm.echoed >= 0.9 * .warm.sent' "$J" >/dev/null &&
		[ "${s1:-0}" -ge 80 ]
	ktap_test_result "$1" test $? = 0
}

_e2e_udpfo_outage() {
	local J=$TMP/fo.json ok=1 sw pm fo t_down s2
	sw=$(jq -c 'select(.from == "eth1" and .to == "eth2")' "$TMP/ur.log" | head -n 1)
	pm=$(jq -c 'select(.event == "path_down" and .dev == "eth1")' "$TMP/mon.log" | head -n 1)
	[ -n "$sw" ] || { ok=0; log "udp-route did not move to eth2: $(tr '\n' ' ' <"$TMP/ur.log")"; }
	fo=$(jq '.outage.first_echo_ms | floor' "$J")
	t_down=$(jq .down "$J")
	log "failover: PM path_down +$(_e2e_after "$pm" "$t_down") ms, udp-route's move" \
		"+$(_e2e_after "$sw" "$t_down") ms ($(jq -r '.why // "-"' <<<"${sw:-null}")), first echo of a" \
		"datagram sent after the failure +$fo ms; longest silence $(jq '.outage.gap_ms | floor' "$J") ms," \
		"$(jq .outage.lost "$J") datagrams lost; echo round trip on eth1 before $(jq '.warm.rtt_ms // 0 | floor' "$J") ms," \
		"on eth2 after $(jq '.outage.rtt_ms // 0 | floor' "$J") ms"
	[ "$fo" -lt 5000 ] || ok=0
	jq -e '.outage.sent_after > 50 and .outage.echoed_after >= 0.9 * .outage.sent_after' \
		"$J" >/dev/null || ok=0
	s2=$(_e2e_share 2 "$(_e2e_mono "$(jq '.outage.first_echo // .up' "$J")")" "$(jq .up_mono_ms "$J")")
	log "outage: eth2 sent $s2 % of the WANs' tx bytes after the gap"
	[ "${s2:-0}" -ge 80 ] || ok=0
	ktap_test_result "$1" test $ok = 1
}

_e2e_udpfo_back() {
	local J=$TMP/fo.json ok=1 back pmu s3
	back=$(jq -c 'select(.from == "eth2" and .to == "eth1")' "$TMP/ur.log" | head -n 1)
	pmu=$(jq -c 'select(.event == "path_up" and .dev == "eth1")' "$TMP/mon.log" | head -n 1)
	if [ -n "$back" ] && jq -e '.why == "preferred"' <<<"$back" >/dev/null; then
		log "back: PM path_up +$(_e2e_after "$pmu" "$(jq .up "$J")") ms, udp-route's move" \
			"+$(_e2e_after "$back" "$(jq .up "$J")") ms; longest silence" \
			"$(jq '.back.gap_ms | floor' "$J") ms, $(jq .back.lost "$J") datagrams lost"
		s3=$(_e2e_share 1 "$(_e2e_mono "$(jq .ts <<<"$back")")" "$(jq .end_mono_ms "$J")")
		log "back: eth1 sent $s3 % of the WANs' tx bytes after the move"
		[ "${s3:-0}" -ge 80 ] || ok=0
	else
		ok=0
		log "udp-route did not move back to eth1: $(tr '\n' ' ' <"$TMP/ur.log")"
	fi
	jq -e '.back.sent > 50 and .back.echoed >= 0.9 * .back.sent' "$J" >/dev/null || ok=0
	sed 's/^/# udp-route: /' "$TMP/ur.log"
	ktap_test_result "$1" test $ok = 1
}

# e2e_ssh_start: sshd on the VPS (a throwaway host key and user key made
# now, root login by key only) and `ssh -D` from the router to it over the
# main route (DSL): SOCKS5 on $RTR_LAN:$SSH_SOCKS_PORT. Plain TCP.
e2e_ssh_start() {
	local d=$TMP/ssh
	mkdir -p "$d" && chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$d/user" || return 1
	cp "$d/user.pub" "$d/authorized_keys"
	mkdir -p /run/sshd && chmod 755 /run/sshd
	ip netns exec "$SRV" /usr/sbin/sshd -D -e -f /dev/null -h "$d/host" \
		-o ListenAddress="$VPS_IP" -o AuthorizedKeysFile="$d/authorized_keys" \
		-o StrictModes=no -o UsePAM=no -o PermitRootLogin=prohibit-password \
		-o PidFile=none 2>>"$TMP/sshd.log" &
	wait_listen "$SRV" 22 || return 1
	ip netns exec "$CLI" ssh -N -i "$d/user" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
		-o Compression=no -D "$RTR_LAN:$SSH_SOCKS_PORT" "root@$VPS_IP" \
		2>>"$TMP/ssh.log" &
	wait_listen "$CLI" "$SSH_SOCKS_PORT"
}

# e2e_ss_start: shadowsocks-libev, ss-server on the VPS and ss-local on the
# router (SOCKS5 on $RTR_LAN:$SS_SOCKS_PORT), same cipher as the shim. On
# an upstream kernel its --mptcp flag sets an option only the old
# out-of-tree MPTCP kernel knows, so both run under mptcpize (which turns
# their TCP sockets into MPTCP ones), as users of upstream MPTCP do.
e2e_ss_start() {
	local c=(-k "$E2E_KEY" -m chacha20-ietf-poly1305 -t 60)
	ip netns exec "$SRV" mptcpize run ss-server -s "$VPS_IP" -p "$SS_PORT" "${c[@]}" \
		>>"$TMP/ss-server.log" 2>&1 &
	wait_listen "$SRV" "$SS_PORT" || return 1
	ip netns exec "$CLI" mptcpize run ss-local -s "$VPS_IP" -p "$SS_PORT" \
		-b "$RTR_LAN" -l "$SS_SOCKS_PORT" "${c[@]}" >>"$TMP/ss-local.log" 2>&1 &
	wait_listen "$CLI" "$SS_SOCKS_PORT"
}

# e2e_ovpn_start WAN [mptcp]: TCP in TCP. OpenVPN in TCP mode (point to
# point, tun, a static key made now: Debian 12's 2.6 warns that static keys
# are deprecated, and runs) from the router to the VPS. Plain: the tunnel's
# TCP goes over WAN alone (a /32 route to the VPS). "mptcp": both ends run
# under mptcpize, so the tunnel is one MPTCP connection over every WAN, its
# subflows from the router's PM, scheduled by net.mptcp.scheduler. The LAN's
# traffic to the internet server is routed into the tunnel at the router,
# the LAN prefix back into it at the VPS: the client talks plain TCP.
# TCP_NODELAY on both ends, as a tuned TCP-mode VPN has it. Returns once
# both ends say "Initialization Sequence Completed" (up to 30 s).
E2E_OVPN_PORT=1194
e2e_ovpn_start() {
	local wan=$1 mode=${2:-tcp} run=() o i
	# the VM's kernel does not autoload modules: /dev/net/tun comes with tun
	[ -c /dev/net/tun ] || modprobe -q tun || { log "modprobe tun failed"; return 1; }
	if [ ! -s "$TMP/ovpn.key" ]; then
		openvpn --genkey secret "$TMP/ovpn.key" >"$TMP/ovpn-genkey.log" 2>&1 || return 1
	fi
	[ "$mode" = mptcp ] && run=(mptcpize run)
	o=(--dev ovpn0 --dev-type tun --cipher AES-256-CBC --auth SHA256 --disable-dco
	   --socket-flags TCP_NODELAY --verb 3)
	rm -f "$TMP"/ovpn-vps.* "$TMP"/ovpn-rtr.*
	ip netns exec "$SRV" "${run[@]}" openvpn "${o[@]}" --secret "$TMP/ovpn.key" 0 \
		--proto tcp4-server --local "$VPS_IP" --port "$E2E_OVPN_PORT" \
		--ifconfig 10.8.0.1 10.8.0.2 --writepid "$TMP/ovpn-vps.pid" >"$TMP/ovpn-vps.log" 2>&1 &
	wait_listen "$SRV" "$E2E_OVPN_PORT" || return 1
	[ "$mode" = mptcp ] ||
		ip -n "$CLI" route replace "$VPS_IP/32" via "10.0.$wan.2" dev "eth$wan" || return 1
	ip netns exec "$CLI" "${run[@]}" openvpn "${o[@]}" --secret "$TMP/ovpn.key" 1 \
		--proto tcp4-client --remote "$VPS_IP" "$E2E_OVPN_PORT" --nobind \
		--ifconfig 10.8.0.2 10.8.0.1 --writepid "$TMP/ovpn-rtr.pid" >"$TMP/ovpn-rtr.log" 2>&1 &
	for i in $(seq 60); do
		grep -q 'Initialization Sequence Completed' "$TMP/ovpn-vps.log" &&
			grep -q 'Initialization Sequence Completed' "$TMP/ovpn-rtr.log" && break
		sleep 0.5
	done
	[ "$i" -lt 60 ] || { log "OpenVPN did not come up in 30 s"; return 1; }
	ip -n "$CLI" route replace "$INET_IP/32" dev ovpn0 &&
		ip -n "$SRV" route replace 192.168.1.0/24 dev ovpn0
}

# e2e_ovpn_ticks: "RTR VPS", the CPU time (clock ticks, user + system) the
# two OpenVPN processes have used so far, read from /proc without a fork.
e2e_ovpn_ticks() {
	local end p f out=
	for end in rtr vps; do
		p='' f=()
		[ -s "$TMP/ovpn-$end.pid" ] && read -r p <"$TMP/ovpn-$end.pid"
		[ -n "$p" ] && read -r -a f 2>/dev/null <"/proc/$p/stat"
		out+="$(( ${f[13]:-0} + ${f[14]:-0} )) "
	done
	echo "$out"
}

# e2e_ovpn_stop: both OpenVPN ends gone (their tun with them), the routes
# e2e_ovpn_start added removed; e2e_route_via puts the VPS's route back.
e2e_ovpn_stop() {
	local end p i
	for end in rtr vps; do
		p=
		[ -s "$TMP/ovpn-$end.pid" ] && read -r p <"$TMP/ovpn-$end.pid"
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null
		for i in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
	ip -n "$CLI" route del "$INET_IP/32" 2>/dev/null
	ip -n "$CLI" route del "$VPS_IP/32" 2>/dev/null
	true
}

# e2e_redir_nft PORT: omr-shim-nft -u's ruleset on the router: the LAN's TCP
# (REDIRECT) and UDP (TPROXY) to PORT, never the VPS's address. The VM's
# kernel cannot autoload modules (its modprobe is the initramfs's), so they
# are loaded here, the reject ones too (for a caller's own reject rules).
e2e_redir_nft() {
	local m
	for m in nf_tables nf_conntrack nf_nat nft_chain_nat nft_redir nft_fib nft_fib_ipv4 \
		nft_fib_ipv6 nft_fib_inet nft_tproxy nf_tproxy_ipv4 nf_tproxy_ipv6 \
		nf_reject_ipv4 nf_reject_ipv6 nft_reject nft_reject_inet nft_reject_ipv4; do
		modprobe "$m" 2>/dev/null || log "modprobe $m failed"
	done
	ip netns exec "$CLI" "$top/shim/omr-shim-nft" --apply -4 -u -i lan0 -s "$VPS_IP" -p "$1" \
		2>"$TMP/nft.err" || { log "omr-shim-nft: $(cat "$TMP/nft.err")"; return 1; }
}

# e2e_redir_ready PORT: omr-shim redir (logging to $TMP/shim-redir.log)
# listens on PORT and has its transparent UDP socket there (5 s at most).
e2e_redir_ready() {
	local i
	wait_listen "$CLI" "$1" || return 1
	for i in $(seq 20); do
		grep -q "UDP: transparent (TPROXY) on 0.0.0.0 port $1" "$TMP/shim-redir.log" && return 0
		sleep 0.25
	done
	log "omr-shim redir -u: no TPROXY socket: $(tail -n 3 "$TMP/shim-redir.log" | tr '\n' ' ')"
	return 1
}

e2e_cleanup() {
	local ns
	e2e_sample_stop
	e2e_udp_route_stop
	for ns in "$LAN" "$INET"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	topo_cleanup
	true
}
