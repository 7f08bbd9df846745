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
	e2e_wait_listen "$SRV" "$SHIM_PORT" && e2e_wait_listen "$CLI" "$SOCKS_PORT"
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
	e2e_wait_listen "$SRV" "$SHIM_PORT"
}

_e2e_servers() {
	mkdir -p "$TMP/www"
	head -c "${E2E_HTTP_SIZE:-8M}" /dev/urandom >"$TMP/www/file"
	ip netns exec "$INET" busybox httpd -f -p "$INET_IP:80" -h "$TMP/www" &
	if command -v iperf3 >/dev/null; then
		ip netns exec "$INET" iperf3 -s -B "$INET_IP" >/dev/null 2>&1 &
	fi
	e2e_wait_listen "$INET" 80
}

# e2e_wait_listen NS PORT: up to 10 s for a TCP listener on PORT in NS.
e2e_wait_listen() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	log "nothing listens on port $2 in $1"
	return 1
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
	e2e_wait_listen "$INET" "$XFER_PORT" || return 1
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
		ip netns exec "$ns" nstat -az 2>/dev/null | awk '$1 ~ /^MPTcp/ && $2 != 0 { printf "#   %s %s\n", $1, $2 }'
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
	e2e_wait_listen "$SRV" 22 || return 1
	ip netns exec "$CLI" ssh -N -i "$d/user" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
		-o Compression=no -D "$RTR_LAN:$SSH_SOCKS_PORT" "root@$VPS_IP" \
		2>>"$TMP/ssh.log" &
	e2e_wait_listen "$CLI" "$SSH_SOCKS_PORT"
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
	e2e_wait_listen "$SRV" "$SS_PORT" || return 1
	ip netns exec "$CLI" mptcpize run ss-local -s "$VPS_IP" -p "$SS_PORT" \
		-b "$RTR_LAN" -l "$SS_SOCKS_PORT" "${c[@]}" >>"$TMP/ss-local.log" 2>&1 &
	e2e_wait_listen "$CLI" "$SS_SOCKS_PORT"
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
	e2e_wait_listen "$SRV" "$E2E_OVPN_PORT" || return 1
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

e2e_cleanup() {
	local ns
	e2e_sample_stop
	for ns in "$LAN" "$INET"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	topo_cleanup
	true
}
