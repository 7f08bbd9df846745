# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The redir role's tests, sourced by tests/run.sh (its helpers: start,
# wait_port, $BIN, $W, $NSP, ports). Three namespaces:
#
#   client (LAN)        router                                   target
#   10.78.0.2     rlan0 10.78.0.1       rwan0 198.51.100.1  ---  198.51.100.10
#   2001:db8:78::2      2001:db8:78::1        2001:db8:100::1    2001:db8:100::10
#                       nftables from omr-shim-nft -i rlan0      python http.server
#                       omr-shim redir (IPv4 REDIRECT, IPv6 TPROXY) -> omr-shim server
#                       on 127.0.0.1 (MPTCP) -> the target
#
# The client has no proxy settings: its plain curl to the target is caught
# by the router's ruleset.
RD_C=${NSP}rdc RD_R=${NSP}rdr RD_T=${NSP}rdt
RD_T4=198.51.100.10 RD_T6=2001:db8:100::10

redir_setup() {
	local n
	for n in $RD_C $RD_R $RD_T; do
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up
	done
	ip link add rlan0 netns "$RD_R" type veth peer name eth0 netns "$RD_C" || return 1
	ip link add rwan0 netns "$RD_R" type veth peer name eth0 netns "$RD_T" || return 1
	ip -n "$RD_R" addr add 10.78.0.1/24 dev rlan0
	ip -n "$RD_R" addr add 2001:db8:78::1/64 dev rlan0 nodad
	ip -n "$RD_C" addr add 10.78.0.2/24 dev eth0
	ip -n "$RD_C" addr add 2001:db8:78::2/64 dev eth0 nodad
	ip -n "$RD_R" addr add 198.51.100.1/24 dev rwan0
	ip -n "$RD_R" addr add 2001:db8:100::1/64 dev rwan0 nodad
	ip -n "$RD_T" addr add $RD_T4/24 dev eth0
	ip -n "$RD_T" addr add $RD_T6/64 dev eth0 nodad
	for n in "$RD_R rlan0" "$RD_R rwan0" "$RD_C eth0" "$RD_T eth0"; do
		# shellcheck disable=SC2086
		set -- $n
		ip -n "$1" link set "$2" up
	done
	ip -n "$RD_C" route add default via 10.78.0.1
	ip -n "$RD_C" -6 route add default via 2001:db8:78::1
	ip -n "$RD_T" route add default via 198.51.100.1
	ip -n "$RD_T" -6 route add default via 2001:db8:100::1
	# No forwarding: the client reaches the target only through a redir, so
	# a fetch that works proves the ruleset caught it (with forwarding on,
	# a ruleset that missed would still pass, routed straight through).
	ip netns exec "$RD_R" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	# The VPS address is a stand-in (the server here is on 127.0.0.1).
	ip netns exec "$RD_R" ./omr-shim-nft --apply -i rlan0 -s 203.0.113.9 -p $P_LOC ||
		return 1
	start rdsrv ip netns exec "$RD_R" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW"
	start rdr4 ip netns exec "$RD_R" "$BIN" redir -s 127.0.0.1 -p $P_SRV -k "$PW" -l $P_LOC -v
	start rdr6 ip netns exec "$RD_R" "$BIN" redir -T -b :: -s 127.0.0.1 -p $P_SRV -k "$PW" \
		-l $P_LOC -v
	start rdhttp ip netns exec "$RD_T" $PY tests/httpd.py $P_HTTP :: "$W/www"
	wait_port $P_SRV "$RD_R" && wait_port $P_LOC "$RD_R" && wait_port $P_HTTP "$RD_T" || return 1
	# both redir listeners (0.0.0.0 and ::)
	for n in $(seq 50); do
		[ "$(ip netns exec "$RD_R" ss -Hltn "sport = :$P_LOC" | wc -l)" -ge 2 ] && return 0
		sleep 0.1
	done
	echo "the IPv6 redir listener is missing"
	return 1
}

# rd_fetch URL: the client's plain curl (no proxy), compared with small.bin.
rd_fetch() {
	ip netns exec "$RD_C" timeout 30 curl -sS --noproxy '*' --max-time 20 "$1" \
		-o "$W/rd.bin" || return 1
	cmp "$W/rd.bin" "$W/www/small.bin"
}

# The connection went through the redir (its debug line) and the tunnel.
rd_logged() {
	grep -q "redirected to $1" "$W/$2.log" || { echo "$2 did not log the redirect to $1"; return 1; }
}

t_redir_v4() {	# LAN client's plain HTTP over IPv4: nftables REDIRECT -> redir -> server
	redir_setup || return 1
	rd_fetch "http://$RD_T4:$P_HTTP/small.bin" && rd_logged "$RD_T4:$P_HTTP" rdr4
}

t_redir_v6() {	# the same over IPv6: TPROXY (fwmark, local route) -> redir -T on ::
	rd_fetch "http://[$RD_T6]:$P_HTTP/small.bin" && rd_logged "\\[$RD_T6\\]:$P_HTTP" rdr6
}

t_redir_tproxy4() {	# IPv4 by TPROXY (omr-shim-nft -t), Fast Open's early-data path, 8 at once
	local i rc=0 pids=()
	# --fast-open: the redir reads the client's first bytes before dialling
	start rdr4t ip netns exec "$RD_R" "$BIN" redir -T -s 127.0.0.1 -p $P_SRV -k "$PW" \
		-b 0.0.0.0 -l $((P_LOC + 100)) -v --fast-open
	ip netns exec "$RD_R" ./omr-shim-nft --apply -t -i rlan0 -s 203.0.113.9 \
		-p $((P_LOC + 100)) || return 1
	wait_port $((P_LOC + 100)) "$RD_R" || return 1
	for i in 1 2 3 4 5 6 7 8; do
		ip netns exec "$RD_C" timeout 30 curl -sS --noproxy '*' --max-time 20 \
			"http://$RD_T4:$P_HTTP/small.bin" -o "$W/rd$i.bin" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 1 2 3 4 5 6 7 8; do
		cmp "$W/rd$i.bin" "$W/www/small.bin" || rc=1
	done
	rd_logged "$RD_T4:$P_HTTP" rdr4t || rc=1
	kill -USR1 "${PID[rdsrv]}"
	sleep 0.3
	grep -q "tunnels mptcp [1-9]" "$W/rdsrv.log" || { echo "no MPTCP tunnel counted"; rc=1; }
	# back to REDIRECT for the next test
	ip netns exec "$RD_R" ./omr-shim-nft --apply -i rlan0 -s 203.0.113.9 -p $P_LOC || rc=1
	return $rc
}

# Closed at accept, with curl's request unread: an RST or a FIN, never a byte.
t_redir_direct() {	# straight to the redir port (not redirected): closed, no byte, logged
	local out
	out=$(ip netns exec "$RD_C" timeout 10 curl -sS --noproxy '*' --max-time 5 \
		"http://10.78.0.1:$P_LOC/" 2>&1)
	echo "curl: $out"
	[[ "$out" == *"Empty reply"* || "$out" == *"reset by peer"* ]] || return 1
	grep -q "not redirected to us: its destination is this listener" "$W/rdr4.log" ||
		{ echo "no warning in the redir's log"; return 1; }
	# and it still serves
	rd_fetch "http://$RD_T4:$P_HTTP/small.bin"
}

t_redir_nft_remove() {	# --remove: table and TPROXY rules gone; bad arguments exit 2
	local rc=0
	# The ruleset in force has UDP (t_redir_udp_*): IPv4 TPROXY's rule too.
	ip netns exec "$RD_R" ip -4 rule | grep -q fwmark || { echo "no IPv4 rule to remove"; rc=1; }
	ip netns exec "$RD_R" ./omr-shim-nft --remove || rc=1
	ip netns exec "$RD_R" nft list tables | grep -q omr_redir && { echo "table left"; rc=1; }
	ip netns exec "$RD_R" nft list ruleset | grep -q tproxy && { echo "TPROXY rule left"; rc=1; }
	ip netns exec "$RD_R" ip -6 rule | grep -q fwmark && { echo "IPv6 rule left"; rc=1; }
	ip netns exec "$RD_R" ip -4 rule | grep -q fwmark && { echo "IPv4 rule left"; rc=1; }
	[ -z "$(ip netns exec "$RD_R" ip -4 route show table 4952)" ] || { echo "IPv4 local route left"; rc=1; }
	./omr-shim-nft -i x >/dev/null 2>&1; [ $? = 2 ] || { echo "no -s: not exit 2"; rc=1; }
	./omr-shim-nft -i x -s '1.2.3.4;x' >/dev/null 2>&1; [ $? = 2 ] || { echo "bad -s: not exit 2"; rc=1; }
	./omr-shim-nft -i x -s 1.2.3.4 -p 70000 >/dev/null 2>&1; [ $? = 2 ] || { echo "bad -p: not exit 2"; rc=1; }
	return $rc
}

# rd_via PORT: the ruleset now redirects IPv4 to PORT (REDIRECT).
rd_via() {
	ip netns exec "$RD_R" ./omr-shim-nft --apply -4 -i rlan0 -s 203.0.113.9 -p "$1"
}

t_redir_interop() {	# omr-shim redir -> ss-server, and ss-redir -> omr-shim server
	local rc=0 c=(-k "$PW" -m chacha20-ietf-poly1305)
	start rdsss ip netns exec "$RD_R" ss-server -s 127.0.0.1 -p $P_SSS "${c[@]}"
	start rdoss ip netns exec "$RD_R" "$BIN" redir -s 127.0.0.1 -p $P_SSS "${c[@]}" -l $P_X1 -v
	start rdssr ip netns exec "$RD_R" ss-redir -s 127.0.0.1 -p $P_SRV -b 0.0.0.0 -l $P_X2 "${c[@]}"
	wait_port $P_SSS "$RD_R" && wait_port $P_X1 "$RD_R" && wait_port $P_X2 "$RD_R" || return 1
	rd_via $P_X1 || return 1
	rd_fetch "http://$RD_T4:$P_HTTP/small.bin" && rd_logged "$RD_T4:$P_HTTP" rdoss ||
		{ echo "omr-shim redir -> ss-server failed"; rc=1; }
	rd_via $P_X2 || return 1
	rd_fetch "http://$RD_T4:$P_HTTP/small.bin" || { echo "ss-redir -> omr-shim server failed"; rc=1; }
	rd_via $P_LOC || rc=1
	return $rc
}

# After --remove: IPv6 by REDIRECT (NAT), which omr-shim-nft does not
# generate (it uses TPROXY for IPv6) but ss-redir setups may.
t_redir_v6_nat() {	# IPv6 REDIRECT: IP6T_SO_ORIGINAL_DST
	local n=(ip netns exec "$RD_R" nft)
	"${n[@]}" add table ip6 rdnat && "${n[@]}" add chain ip6 rdnat pre \
		'{ type nat hook prerouting priority dstnat; }' &&
		"${n[@]}" add rule ip6 rdnat pre iifname rlan0 meta l4proto tcp redirect to :$P_X3 ||
		return 1
	start rdr6n ip netns exec "$RD_R" "$BIN" redir -b :: -s 127.0.0.1 -p $P_SRV -k "$PW" -l $P_X3 -v
	wait_port $P_X3 "$RD_R" || return 1
	rd_fetch "http://[$RD_T6]:$P_HTTP/small.bin" && rd_logged "\\[$RD_T6\\]:$P_HTTP" rdr6n
}

# Transparent UDP: omr-shim-nft -u sends LAN UDP (and TCP) to $P_R1 by
# TPROXY; redir -u instances there (IPv4 with --block-quic, IPv6) seal it
# to a server -u on 127.0.0.1:$P_R2; an echo on the target. The client
# sends from a socket connected to the target: only an echo whose source
# is the target's address and port gets to it.
rdu_setup() {
	local c=(-s 127.0.0.1 -p "$P_R2" -k "$PW" -w 1)
	start rdusrv ip netns exec "$RD_R" "$BIN" server -u -s 127.0.0.1 -p $P_R2 -k "$PW"
	start rdu4 ip netns exec "$RD_R" "$BIN" redir -u --block-quic "${c[@]}" -l $P_R1 -v
	start rdu6 ip netns exec "$RD_R" "$BIN" redir -u -T -b :: "${c[@]}" -l $P_R1
	start rduecho ip netns exec "$RD_T" $PY tests/udp.py echo $P_UE $RD_T4 $RD_T6
	ip netns exec "$RD_R" ./omr-shim-nft --apply -u -i rlan0 -s 203.0.113.9 -p $P_R1 ||
		return 1
	wait_port $P_R2 "$RD_R" && wait_port $P_R1 "$RD_R" || return 1
	# both redirs' UDP sockets, the server's, the echo's two
	rd_udp_bound "$RD_R" $P_R1 2 && rd_udp_bound "$RD_R" $P_R2 1 &&
		rd_udp_bound "$RD_T" $P_UE 2
}

# rd_udp_bound NS PORT N: N UDP sockets bound on PORT in NS (5 s at most)
rd_udp_bound() {
	local i
	for i in $(seq 50); do
		[ "$(ip netns exec "$1" ss -Hlun "sport = :$2" | wc -l)" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "$3 UDP sockets never bound on port $2 in $1"
	return 1
}

t_redir_udp() {	# transparent UDP, IPv4 and IPv6: nft TPROXY -> redir -u -> server -u -> echo
	local rc=0
	rdu_setup || return 1
	ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T4 $P_UE 100 8192 || rc=1
	ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T6 $P_UE 100 8192 || rc=1
	# One association and one reply socket per family; every datagram
	# sealed to the server and every echo delivered, none dropped.
	udp_expect rdu4 "udp in 100 out 100 dropped 0 " "udp redir associations 1 of 512 reply-sockets 1 " || rc=1
	udp_expect rdu6 "udp in 100 out 100 dropped 0 " "udp redir associations 1 of 512 reply-sockets 1 " || rc=1
	udp_expect rdusrv "udp in 200 out 200 " || rc=1
	grep -q "UDP: transparent (TPROXY) on 0.0.0.0 port $P_R1" "$W/rdu4.log" || rc=1
	# -v: the association's line names the original destination
	grep -q "UDP: new association for 10.78.0.2:[0-9]*, redirected to $RD_T4:$P_UE" \
		"$W/rdu4.log" || { echo "no association line naming $RD_T4:$P_UE"; rc=1; }
	# TCP still goes by the same port (REDIRECT for IPv4, TPROXY for IPv6)
	rd_fetch "http://$RD_T4:$P_HTTP/small.bin" && rd_fetch "http://[$RD_T6]:$P_HTTP/small.bin" ||
		{ echo "TCP through the -u ruleset failed"; rc=1; }
	return $rc
}

t_redir_udp_bad() {	# straight to the redir port, too large, QUIC blocked: dropped, counted, still serves
	local rc=0 q=(ip netns exec "$RD_C" timeout 30 "$PY" tests/udp.py direct-quiet)
	"${q[@]}" 10.78.0.1 $P_R1 100 || rc=1
	"${q[@]}" $RD_T4 $P_UE 65507 || rc=1
	"${q[@]}" $RD_T4 443 1200 || rc=1
	ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T4 $P_UE 3 || rc=1
	udp_expect rdu4 "udp in 103 out 103 dropped 3 " || rc=1
	# one drop line per 5 s: the first drop's
	grep -q "UDP: dropped a datagram.*its destination is this listener" "$W/rdu4.log" ||
		{ echo "the drop was not logged"; rc=1; }
	# its last user: the next tests bind the redir port again
	stop rdu4 || { echo "redir -u exit code $?"; rc=1; }
	return $rc
}

# Datagrams of one MTU at most: ss-server sets DF on its target sockets
# (IP_PMTUDISC_DO), so an 8 KB one fails there with EMSGSIZE on the
# 1500-byte veth ("sendto_remote: Message too long" in its log).
t_redir_udp_interop() {	# omr-shim redir -u -> ss-server -u: 100 datagrams up to 1400 B identical
	local rc=0
	start rdsss ip netns exec "$RD_R" ss-server -u --mtu 65535 -s 127.0.0.1 -p $P_R3 -k "$PW" \
		-m chacha20-ietf-poly1305
	start rdus4 ip netns exec "$RD_R" "$BIN" redir -u -w 1 -s 127.0.0.1 -p $P_R3 -k "$PW" -l $P_R1
	wait_port $P_R1 "$RD_R" && rd_udp_bound "$RD_R" $P_R3 1 && rd_udp_bound "$RD_R" $P_R1 2 ||
		return 1
	ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T4 $P_UE 100 1400 || rc=1
	udp_expect rdus4 "udp in 100 out 100 dropped 0 " || rc=1
	stop rdus4 || { echo "redir -u exit code $?"; rc=1; }
	stop rdsss
	return $rc
}

t_redir_udp_expiry() {	# associations bounded (LRU) and expired after udp_timeout, reply sockets too
	local rc=0 i
	start rdux4 ip netns exec "$RD_R" "$BIN" redir -u -w 1 -s 127.0.0.1 -p $P_R2 -k "$PW" \
		-l $P_R1 --udp-max 2 --udp-timeout 1
	wait_port $P_R1 "$RD_R" && rd_udp_bound "$RD_R" $P_R1 2 || return 1
	# three clients (three source ports): the first association is evicted
	for i in 1 2 3; do
		ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T4 $P_UE 2 || rc=1
	done
	udp_expect rdux4 "associations 3$" "nat-evicted 1 " "udp redir associations 2 of 2 reply-sockets 1 " ||
		rc=1
	sleep 2.5
	udp_expect rdux4 "nat-expired 2 " "udp redir associations 0 of 2 reply-sockets 0 " || rc=1
	ip netns exec "$RD_C" timeout 30 $PY tests/udp.py direct $RD_T4 $P_UE 2 || rc=1
	udp_expect rdux4 "udp in 8 out 8 " "associations 4$" || rc=1
	stop rdux4 || { echo "redir -u exit code $?"; rc=1; }
	stop rdu6 || { echo "redir -u (IPv6) exit code $?"; rc=1; }
	stop rdusrv || { echo "server -u exit code $?"; rc=1; }
	return $rc
}

redir_tests() {
	run_test "redir: LAN client without proxy settings, IPv4: nft REDIRECT -> omr-shim redir (SO_ORIGINAL_DST) -> server, 1 MB identical" t_redir_v4
	run_test "redir: IPv6: nft TPROXY (fwmark, local route) -> omr-shim redir -T on :: -> server, 1 MB identical" t_redir_v6
	run_test "redir: IPv4 TPROXY (omr-shim-nft -t, redir -T --fast-open), 8 parallel downloads identical, MPTCP tunnels" t_redir_tproxy4
	run_test "redir: a connection straight to the redir port is closed with no byte (FIN or RST), logged" t_redir_direct
	run_test "redir: interop: omr-shim redir -> ss-server and ss-redir -> omr-shim server, 1 MB identical" t_redir_interop
	run_test "redir: transparent UDP (nft TPROXY -> redir -u -> server -u), IPv4 and IPv6: 100 datagrams up to 8 KB identical, from the original destination, logged (-v)" t_redir_udp
	run_test "redir: transparent UDP: straight to the redir port, too large, QUIC blocked: dropped and counted, still serves" t_redir_udp_bad
	run_test "redir: transparent UDP interop: omr-shim redir -u -> ss-server -u, 100 datagrams up to 1400 B identical" t_redir_udp_interop
	run_test "redir: transparent UDP: associations bounded (LRU), idle ones and reply sockets expire" t_redir_udp_expiry
	run_test "redir: omr-shim-nft --remove leaves nothing (UDP and IPv4 TPROXY too); bad arguments exit 2" t_redir_nft_remove
	run_test "redir: IPv6 by nft REDIRECT (IP6T_SO_ORIGINAL_DST), 1 MB identical" t_redir_v6_nat
}
# shellcheck disable=SC2034 # run.sh's plan counts them
REDIR_NTESTS=11
