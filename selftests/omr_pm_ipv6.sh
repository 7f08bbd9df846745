#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager over IPv6 (issue #13, part 5): three IPv6-only WANs
# between the router and the VPS, no IPv4 on them. The PM's paths show the
# IPv6 address of their device (one still in DAD only once DAD is over), a
# connection to the VPS's IPv6 address gets one subflow per path from the
# path's IPv6 address (MPTCP's SUBFLOW_CREATE with AF_INET6), a link that
# goes down loses its subflow at once and the transfer goes on, a link that
# comes back gets one again, and transfers are byte-identical over all three
# paths; omr-shim's tunnel runs over IPv6 too; `omrctl udp-route` keeps
# marked UDP to the VPS's IPv6 address on the PM's best path and moves it
# when that path goes down. Times come from one long-lived `omrctl -j monitor` (its events carry
# the addresses, IPv6 ones included).
#
#   $CLI eth<i> fd00:<i>::1/64  <--netem-->  fd00:<i>::2/64 eth<i> $SRV
#   the VPS: fd00:99::2/128 on lo; the router: a rule "from fd00:<i>::1"
#   to table 100+i with a default route via fd00:<i>::2 (ip -6), as for IPv4.
source "$(dirname "$0")/lib.sh"
CTL=$OMRCTL
VPS6=fd00:99::2
MON_PID=
UR_PID=
ECHO_PID=
v6_cleanup() {
	local p
	for p in "$MON_PID" "$UR_PID" "$ECHO_PID"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${SHIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	cleanup_all
}
trap v6_cleanup EXIT
omr_load

T=("ipv6: three IPv6-only WANs: path show -j lists each link up with its IPv6 address alone (eth3's once its DAD is over, within 5 s), no IPv4"
	"ipv6: a download from [fd00:99::2]: sf_created on eth2 and eth3 < 3000 ms after the first subflow's (eth1), each from its path's IPv6 address to the VPS's; conn show -j 1 s later: exactly one per path"
	"ipv6: eth2 down mid-download: sf_closed (link_down) of its IPv6 subflow < 1000 ms after path_down, data still flowing >= 500 ms after; eth2 back (link, address kept, then its routes, as netifd does): a new eth2 subflow (sf_created, after path_up) < 2000 ms after the routes are back; the download byte-identical"
	"ipv6: an upload over the three IPv6 paths: byte-identical, each path carried >= 10 % of it (the sender's per-subflow bytes)"
	"ipv6: omr-shim local dials omr-shim server at fd00:99::2 (an IPv6 MPTCP tunnel): a SOCKS5 download to an IPv6 target through it is byte-identical, and the tunnel has one subflow per path, from the paths' IPv6 addresses"
	"ipv6: omrctl udp-route fwmark 7 table 207: its IPv4 and IPv6 rules, table 207's IPv6 default route via eth1's gateway fd00:1::2 from fd00:1::1 and no IPv4 one (no IPv4 gateway); marked UDP (SO_MARK 7, a datagram every 10 ms) to an echo at [fd00:99::2]: >= 90 % echoed, eth1 carries >= 80 %; eth1 down on both ends: udp-route moves the IPv6 route to eth2 (via6 fd00:2::2), echoes resume < 5000 ms after (>= 90 % echoed after, eth2 carries >= 80 %); eth1 back: back on eth1 within 5 s; SIGTERM: exit 0, both rules and the route gone"
	"ipv6: dual stack (IPv4 added on the same WANs): each path lists its IPv4 then its IPv6 address; a dual-stack IPv6 socket's download from ::ffff:10.99.0.2 (an IPv4 connection) gets one subflow per path from the IPv4 addresses; eth1 down: its first subflow (an IPv6 socket, IPv4-mapped) closed (link_down) < 1000 ms after path_down, the download byte-identical")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

ctl() { "$CTL" -n "$CLI" "$@"; }

# path6_up I: link up on both ends and, as netifd does, the WAN's routes
# back (a link down deletes every IPv6 route through the device; its
# addresses stay: keep_addr_on_down).
path6_up() {
	local i=$1 ns
	for ns in "$SRV" "$CLI"; do
		ip -n "$ns" link set "eth$i" up
		ip -n "$ns" -6 route replace "fd00:$i::/64" dev "eth$i"
	done
	ip -n "$CLI" -6 route replace default via "fd00:$i::2" dev "eth$i" table $((100 + i))
	[ "$i" -eq 1 ] && ip -n "$CLI" -6 route replace default via fd00:1::2 dev eth1
	true
}

# topo6_setup SPEC...: the namespaces, IPv6-only WANs, omr's PM with one
# path per WAN. The router's eth3 address goes through DAD (the others are
# nodad): the PM must see it once DAD is over, which no notifier tells.
topo6_setup() {
	local i=0 spec ns dad
	topo_cleanup
	modprobe -q veth && modprobe -q sch_netem || return 1
	ip netns add "$CLI" && ip netns add "$SRV" || return 1
	for ns in "$CLI" "$SRV"; do
		ip -n "$ns" link set lo up
		ns_sysctl "$ns" net.mptcp.enabled=1
		ns_sysctl "$ns" net.mptcp.scheduler=default || return 1
		ip netns exec "$ns" ip mptcp limits set subflows 8 add_addr_accepted 8
	done
	ip -n "$SRV" -6 addr add "$VPS6/128" dev lo
	ns_sysctl "$SRV" net.ipv6.conf.all.forwarding=0
	for spec in "$@"; do
		i=$((i + 1))
		ip link add "eth$i" netns "$CLI" type veth peer name "eth$i" netns "$SRV" || return 1
		for ns in "$CLI" "$SRV"; do
			ns_sysctl "$ns" "net.ipv6.conf.eth$i.keep_addr_on_down=1"
		done
		dad=nodad
		[ "$i" -eq 3 ] && dad=
		# shellcheck disable=SC2086
		ip -n "$CLI" -6 addr add "fd00:$i::1/64" dev "eth$i" $dad || return 1
		ip -n "$SRV" -6 addr add "fd00:$i::2/64" dev "eth$i" nodad || return 1
		# shellcheck disable=SC2086
		path_shape "$i" $spec
		ip -n "$CLI" -6 rule add from "fd00:$i::1" table $((100 + i))
		path6_up "$i"
	done
	NPATHS=$i
	ns_sysctl "$CLI" net.mptcp.pm_type=1 || return 1
	pm_present || { log "omr's PM does not answer in $CLI"; return 1; }
	MON_PID=
	"$CTL" -n "$CLI" -j monitor >"$TMP/mon.json" 2>"$TMP/mon.err" &
	MON_PID=$!
	pm_cmd enable || return 1
	for i in $(seq "$NPATHS"); do
		pm_cmd path add dev "eth$i" || return 1
	done
}

# The monitor's times are the wall clock's (ms); omr-xfer's the monotonic
# one: their difference, for xfer_running.
RT_MONO=$(($(now_ms) - $(mono_ms)))

# ev_ts JQ-FILTER: the monitor's time (ms) of the first matching event.
ev_ts() {
	jq -s "[.[] | select($1) | .ts * 1000 | floor] | first // empty" "$TMP/mon.json"
}

ev_log() {
	log "events: $(jq -c -s 'map([.event, .dev, .reason, .local_addr] | map(select(. != null)) | join(" "))' "$TMP/mon.json")"
}

# Test 1.
paths6() {
	local js i t0
	t0=$(now_ms)
	while :; do
		js=$(ctl -j path show) || return 1
		echo "$js" | jq -e 'length == 3 and all(.[]; .link == "up" and
			(.addrs | length) == 1 and .addr == "fd00:\(.dev[3:])::1" and
			.addrs[0] == .addr and (.addr | test(":")) and .saddr == null)' >/dev/null && break
		[ $(($(now_ms) - t0)) -lt 5000 ] || { log "path show after 5 s: $(echo "$js" | jq -c 'map([.dev, .link, .addrs])')"; return 1; }
		sleep 0.5
	done
	log "all three paths up with their IPv6 address $(($(now_ms) - t0)) ms after the paths were added"
	ctl path show | sed 's/^/# /'
}

# The connection's subflows (conn show -j): "LOCAL_ADDR REMOTE_ADDR" lines.
conn_sfs() {
	ctl -j conn show | jq -r --arg vps "$VPS6" '.[] | select(.pm and .remote_addr == $vps) |
		.subflows[] | select(.state == "established") | "\(.local_addr) \(.remote_addr)"' | sort
}

# Test 2, while the download of test 3 runs: the monitor's sf_created
# events give the times (the first subflow's, ESTABLISHED, is eth1's: the
# main table routes the connection there), one conn show the set.
subflows6() {
	local i t0 t got want
	want=$(for i in 1 2 3; do echo "fd00:$i::1 $VPS6"; done)
	for i in 1 2 3; do
		ev_wait "$TMP/mon.json" 5 ".event == \"sf_created\" and .dev == \"eth$i\" and .local_addr == \"fd00:$i::1\" and .remote_addr == \"$VPS6\" and .remote_port == 5201" || { ev_log; return 1; }
	done
	t0=$(ev_ts '.event == "sf_created" and .dev == "eth1"')
	t=$(jq -s '[.[] | select(.event == "sf_created") | .ts * 1000 | floor] | max' "$TMP/mon.json")
	log "the first subflow (eth1), then eth2's and eth3's within $((t - t0)) ms"
	sleep 1
	got=$(conn_sfs)
	ctl conn show | sed 's/^/# /'
	[ "$got" = "$want" ] || { log "subflows: $(echo "$got" | tr '\n' ',')"; return 1; }
	[ $((t - t0)) -lt 3000 ]
}

# Test 3: eth2 down, back 2 s after its subflow closed, while the download
# runs; then it is cut (xfer_cut), and both ends compare its bytes. Bounded
# by time alone it could end before eth2 was back: the steps from the
# download's start to the routes' return are ~25 processes of ~0.5 s.
# The link events of test 3; sets t_down, t_closed, t_back, t_up, t_new.
failover6_events() {
	path_down 2
	ev_wait "$TMP/mon.json" 5 '.event == "sf_closed" and .dev == "eth2" and .reason == "link_down" and .local_addr == "fd00:2::1"' || return 1
	t_down=$(ev_ts '.event == "path_down" and .dev == "eth2"')
	t_closed=$(ev_ts '.event == "sf_closed" and .dev == "eth2" and .reason == "link_down"')
	sleep 2
	path6_up 2
	t_back=$(now_ms)	# link and routes back
	# the events after the link went down (eth2 was up before it, too)
	ev_wait "$TMP/mon.json" 10 ".event == \"path_up\" and .dev == \"eth2\" and .ts * 1000 > $t_down" || return 1
	t_up=$(ev_ts ".event == \"path_up\" and .dev == \"eth2\" and .ts * 1000 > $t_down")
	ev_wait "$TMP/mon.json" 5 ".event == \"sf_created\" and .dev == \"eth2\" and .local_addr == \"fd00:2::1\" and .ts * 1000 >= $t_up" || return 1
	t_new=$(ev_ts ".event == \"sf_created\" and .dev == \"eth2\" and .ts * 1000 >= $t_up")
	sleep 1		# the new subflow carries some of it
}

failover6() {
	local t_down='' t_closed t_up t_back='' t_new ok=0 rc
	failover6_events && ok=1
	xfer_cut
	xfer_wait
	rc=$?
	ev_log
	if [ $ok = 0 ]; then
		[ -n "$t_back" ] && ! xfer_running fo cli $((t_back - RT_MONO)) &&
			log "the download had ended when eth2's routes were back (its last data ${XFER_AFTER} ms after)"
		return 1
	fi
	log "eth2: subflow closed $((t_closed - t_down)) ms after path_down; path_up $((t_up - t_down)) ms after it; a new subflow $((t_new - t_up)) ms after path_up, $((t_new - t_back)) ms after its routes were back; transfer rc $rc"
	xfer_running fo cli $((t_back - RT_MONO))
	log "the download's last data came $XFER_AFTER ms after eth2's routes were back ($(jq -r '.rx.bytes' "$TMP/fo.cli.json") bytes)"
	[ "$rc" -eq 0 ] && xfer_intact fo || { log "transfer failed or not byte-identical"; return 1; }
	xfer_running fo cli $((t_new - RT_MONO)) || { log "the download was over 500 ms after eth2's new subflow (last data ${XFER_AFTER} ms after)"; return 1; }
	[ $((t_closed - t_down)) -lt 1000 ] && [ $((t_new - t_back)) -lt 2000 ]
}

# Test 4.
upload6() {
	local i share rc
	xfer_bg up 0 up -D 5000
	xfer_wait
	rc=$?
	log "upload: rc $rc, bytes per path: $(xfer_split up cli | tr '\n' ' ')"
	[ "$rc" -eq 0 ] && xfer_intact up || { log "transfer failed or not byte-identical"; return 1; }
	for i in 1 2 3; do
		share=$(xfer_share up cli "$i")
		[ "$share" -ge 10 ] || { log "eth$i carried $share %"; return 1; }
	done
}

# Test 5: the tunnel over IPv6. The target, plain TCP, is on the VPS at a
# documentation address (2001:db8::80, on lo: the server refuses internal
# targets, fd00::/7 among them).
SHIM=$top/shim/omr-shim
SHIM_PIDS=()
shim6() {
	local key=omr-v6-$RANDOM$RANDOM rc got want i
	[ -x "$SHIM" ] || { log "no $SHIM (make -C shim)"; return 1; }
	ip -n "$SRV" -6 addr add 2001:db8::80/128 dev lo
	for i in server local; do
		cat >"$TMP/shim-$i.json" <<-EOF
		{ "server": "$VPS6", "server_port": 8388, "password": "$key",
		  "method": "chacha20-ietf-poly1305", "timeout": 60, "mptcp": true,
		  "workers": 1 $([ $i = local ] && echo ', "local_address": "127.0.0.1", "local_port": 1080') }
		EOF
	done
	ip netns exec "$SRV" "$SHIM" server -c "$TMP/shim-server.json" -q 2>>"$TMP/shim-server.log" &
	SHIM_PIDS+=($!)
	ip netns exec "$CLI" "$SHIM" local -c "$TMP/shim-local.json" -q 2>>"$TMP/shim-local.log" &
	SHIM_PIDS+=($!)
	wait_listen "$SRV" 8388 && wait_listen "$CLI" 1080 || return 1
	ip netns exec "$SRV" "$XFER" server -T -l "[2001:db8::80]:5301" -j -t 120 \
		>"$TMP/sh.srv.json" 2>"$TMP/sh.srv.err" &
	XFER_SRV_PID=$!
	wait_listen "$SRV" 5301 || return 1
	ip netns exec "$CLI" "$XFER" client -c "[2001:db8::80]:5301" -x 127.0.0.1:1080 \
		-s 0 -d down -D 5000 -j -t 120 >"$TMP/sh.cli.json" 2>"$TMP/sh.cli.err" &
	XFER_CLI_PID=$!
	sleep 3
	want=$(for i in 1 2 3; do echo "fd00:$i::1"; done)
	got=$(ctl -j conn show | jq -r --arg vps "$VPS6" '.[] | select(.remote_addr == $vps and
		.remote_port == 8388 and .pm) | .subflows[] | select(.state == "established") |
		.local_addr' | sort)
	ctl conn show port 8388 | sed 's/^/# /'
	xfer_wait
	rc=$?
	log "SOCKS5 download through the IPv6 tunnel: rc $rc, $(jq -r '.rx.bytes' "$TMP/sh.cli.json" 2>/dev/null) bytes"
	[ "$rc" -eq 0 ] && xfer_intact sh || { log "transfer failed or not byte-identical: $(cat "$TMP/sh.cli.err" "$TMP/shim-local.log" "$TMP/shim-server.log" 2>/dev/null | tail -n 5)"; return 1; }
	[ "$got" = "$want" ] || { log "tunnel subflows: $(echo "$got" | tr '\n' ',')"; return 1; }
}

# Test 6: omrctl udp-route over IPv6. The echo on the VPS and one probe in
# the router (selftests/e2e/udpmark.py: the datagrams, eth1's failure on
# both ends and the interface counters on one clock); udp-route's JSON
# lines give the moves.
UDPMARK=$top/selftests/e2e/udpmark.py
UR_TABLE=207
UR_ECHO_PORT=7007

# ur6_table: table $UR_TABLE's routes, "IPv4 routes|IPv6 routes", one line.
ur6_table() {
	# (IPv4: "FIB table does not exist" on stderr while it is empty)
	echo "$(ip -n "$CLI" -4 route show table $UR_TABLE 2>/dev/null | tr '\n' ' ')|$(ip -n "$CLI" -6 route show table $UR_TABLE | tr '\n' ' ')"
}

ur6_rules() {
	ip -n "$CLI" -4 rule show | grep "fwmark 0x7 lookup $UR_TABLE"
	ip -n "$CLI" -6 rule show | grep "fwmark 0x7 lookup $UR_TABLE"
}

# ur6_via DEV JQ-FILTER: the route moved to DEV (udp-route's line within
# 5 s, matching JQ-FILTER too); table $UR_TABLE's IPv6 route is then via
# DEV's gateway from its address, and it has no IPv4 route.
ur6_via() {
	local dev=$1 i=${1#eth} t
	ev_wait "$TMP/ur6.json" 5 ".event == \"udp_route\" and .to == \"$dev\" and .via6 == \"fd00:$i::2\" and .via == null and $2" || return 1
	t=$(ur6_table)
	[[ $t == "|default via fd00:$i::2 dev $dev "*" src fd00:$i::1 "* ]] || { log "table $UR_TABLE: $t"; return 1; }
}

udproute6_start() {
	local i
	[ -r "$UDPMARK" ] || { log "no $UDPMARK"; return 1; }
	ip netns exec "$SRV" python3 "$UDPMARK" echo "$VPS6" $UR_ECHO_PORT 2>"$TMP/echo6.err" &
	ECHO_PID=$!
	ip netns exec "$CLI" "$CTL" -j udp-route fwmark 7 table $UR_TABLE >"$TMP/ur6.json" 2>"$TMP/ur6.err" &
	UR_PID=$!
	for i in $(seq 100); do
		ip netns exec "$SRV" ss -Hlun "sport = :$UR_ECHO_PORT" | grep -q . && break
		sleep 0.1
	done
	ur6_via eth1 '.from == null and .why == "start"' || return 1
	[ "$(ur6_rules | wc -l)" = 2 ] || { log "rules: $(ur6_rules | tr '\n' ' ')"; return 1; }
	log "udp-route: $(head -n 1 "$TMP/ur6.json"); table $UR_TABLE: $(ur6_table)"
}

# The probe's phases: enough sent and echoed, DEV's share of the WANs' tx
# (packets) >= 80 % and at least what was echoed.
ur6_phase() {
	jq -e --arg ph "$1" --arg dev "$2" '.[$ph] as $p | ($p.tx | add) as $all |
		$p.sent >= 100 and $p.echoed * 10 >= $p.sent * 9 and
		$p.tx[$dev] >= $p.echoed and $p.tx[$dev] * 10 >= $all * 8' "$TMP/um.json" >/dev/null ||
		{ log "$1: not >= 90 % echoed or not on $2"; return 1; }
}

udproute6_failover() {
	ip netns exec "$CLI" python3 "$UDPMARK" probe "$VPS6" $UR_ECHO_PORT 7 3 7 eth1 "$SRV" \
		eth1,eth2,eth3 "$TMP/um.json" 2>"$TMP/um.err" || { log "probe: $(cat "$TMP/um.err")"; return 1; }
	log "probe: $(jq -c . "$TMP/um.json")"
	ur6_via eth2 '.from == "eth1" and (.why == "down" or .why == "no_gateway")' || return 1
	log "udp-route moved $(jq -s --slurpfile p "$TMP/um.json" 'map(select(.to == "eth2")) | first | (.ts - $p[0].t_down) * 1000 | floor' "$TMP/ur6.json") ms after eth1 went down: $(jq -c -s 'map(select(.to == "eth2")) | first' "$TMP/ur6.json")"
	ur6_phase before eth1 && ur6_phase after eth2 || return 1
	jq -e '.resumed_ms != null and .resumed_ms < 5000' "$TMP/um.json" >/dev/null ||
		{ log "echoes did not resume within 5 s"; return 1; }
}

udproute6_stop() {
	local i rc
	kill -TERM "$UR_PID"
	for i in $(seq 50); do kill -0 "$UR_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$UR_PID"
	rc=$?
	UR_PID=
	[ $rc = 0 ] && [ -z "$(ur6_rules)" ] && [ "$(ur6_table)" = "|" ] && return 0
	log "exit $rc; rules: $(ur6_rules | tr '\n' ' '); table $UR_TABLE: $(ur6_table); $(cat "$TMP/ur6.err")"
	return 1
}

udproute6() {
	local ok=0
	udproute6_start && udproute6_failover && ok=1
	path6_up 1
	if [ $ok = 1 ] && ! ur6_via eth1 '.from == "eth2" and .why == "preferred"'; then ok=0; fi
	log "udp-route's lines: $(jq -c -s 'map([.from, .to, .via6, .why] | map(. // "-") | join(" "))' "$TMP/ur6.json")"
	if [ -n "$UR_PID" ] && ! udproute6_stop; then ok=0; fi
	kill "$ECHO_PID" 2>/dev/null
	ECHO_PID=
	[ $ok = 1 ]
}

# Test 7. IPv4 on the same WANs, as lib.sh's topology has it; the VPS's
# 10.99.0.2 on lo. The download's client socket is IPv6 (omr-xfer's
# [ADDR]:PORT) connected to an IPv4-mapped address: MPTCP makes an IPv4
# connection of it whose first subflow is an IPv6 socket.
dual6() {
	local i js t0 got want t_down t_closed rc t_mark
	ip -n "$SRV" addr add 10.99.0.2/32 dev lo
	for i in 1 2 3; do
		ip -n "$CLI" addr add "10.0.$i.1/24" dev "eth$i"
		ip -n "$SRV" addr add "10.0.$i.2/24" dev "eth$i"
		ip -n "$CLI" rule add from "10.0.$i.1" table $((100 + i))
		ip -n "$CLI" route add default via "10.0.$i.2" dev "eth$i" table $((100 + i))
	done
	ip -n "$CLI" route add default via 10.0.1.2 dev eth1
	t0=$(now_ms)
	while :; do
		js=$(ctl -j path show) || return 1
		echo "$js" | jq -e 'all(.[]; .addrs == ["10.0.\(.dev[3:]).1", "fd00:\(.dev[3:])::1"] and
			.addr == .addrs[0])' >/dev/null && break
		[ $(($(now_ms) - t0)) -lt 3000 ] || { log "path show: $(echo "$js" | jq -c 'map([.dev, .addrs])')"; return 1; }
		sleep 0.3
	done
	ctl path show | sed 's/^/# /'
	XFER_LISTEN=10.99.0.2 VPS_IP="[::ffff:10.99.0.2]" xfer_bg ds 0 down -D 12000
	for i in 1 2 3; do
		ev_wait "$TMP/mon.json" 5 ".event == \"sf_created\" and .dev == \"eth$i\" and .local_addr == \"10.0.$i.1\" and .remote_addr == \"10.99.0.2\"" ||
			{ ev_log; xfer_wait; log "client: $(cat "$TMP/ds.cli.err")"; return 1; }
	done
	sleep 1
	want=$(for i in 1 2 3; do echo "10.0.$i.1 10.99.0.2"; done)
	got=$(ctl -j conn show | jq -r '.[] | select(.pm and .remote_addr == "10.99.0.2") |
		.subflows[] | select(.state == "established") | "\(.local_addr) \(.remote_addr)"' | sort)
	ctl conn show | sed 's/^/# /'
	[ "$got" = "$want" ] || { log "subflows: $(echo "$got" | tr '\n' ',')"; xfer_wait; return 1; }
	# only this test's events (test 6 takes eth1 down too)
	t_mark=$(now_ms)
	path_down 1
	ev_wait "$TMP/mon.json" 5 '.event == "sf_closed" and .dev == "eth1" and .reason == "link_down" and .local_addr == "10.0.1.1"' || { ev_log; xfer_wait; return 1; }
	t_down=$(ev_ts ".event == \"path_down\" and .dev == \"eth1\" and .ts * 1000 >= $t_mark")
	t_closed=$(ev_ts ".event == \"sf_closed\" and .dev == \"eth1\" and .reason == \"link_down\" and .ts * 1000 >= $t_mark")
	xfer_wait
	rc=$?
	log "eth1's first subflow closed $((t_closed - t_down)) ms after path_down; transfer rc $rc"
	[ "$rc" -eq 0 ] && xfer_intact ds || { log "transfer failed or not byte-identical"; return 1; }
	xfer_running ds cli $((t_down - RT_MONO)) || { log "the download was over when eth1 went down (last data ${XFER_AFTER} ms after)"; return 1; }
	[ $((t_closed - t_down)) -lt 1000 ]
}

if ! topo6_setup "20mbit 10ms" "20mbit 10ms" "20mbit 10ms"; then
	log "topology setup failed: $PM_MSG"
	for d in "${T[@]}"; do ktap_test_fail "$d"; done
	ktap_finished
fi
ktap_test_result "${T[0]}" paths6

VPS_IP="[$VPS6]"	# omr-xfer's [ADDR]:PORT (lib.sh's xfer_bg and xfer_start)
xfer_bg fo 0 down -D 90000	# cut by test 3 (xfer_cut)
ktap_test_result "${T[1]}" subflows6
ktap_test_result "${T[2]}" failover6
ktap_test_result "${T[3]}" upload6
ktap_test_result "${T[4]}" shim6
ktap_test_result "${T[5]}" udproute6
ktap_test_result "${T[6]}" dual6

ktap_finished
