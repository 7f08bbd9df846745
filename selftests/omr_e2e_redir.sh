#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end with a transparent LAN client (issue #13, "Transparent TCP"):
# the scenario of selftests/e2e/lib-e2e.sh (docs/e2e.md), but the LAN
# client has no proxy settings. The router catches its TCP with the
# ruleset of shim/omr-shim-nft (nftables REDIRECT) and hands it to
# `omr-shim redir` (SO_ORIGINAL_DST), which carries it through one MPTCP
# connection per LAN connection to omr-shim server on the VPS, as the
# SOCKS5 front end does. A plain curl and a plain omr-xfer download,
# compared byte for byte; the download uses every WAN.
# Transparent UDP (issue #13, "UDP survives the failure of its WAN"): the
# same ruleset (omr-shim-nft -u) hands lan0's UDP by TPROXY to omr-shim
# redir -u (IP_ORIGDSTADDR), which seals it into the Shadowsocks UDP relay
# to omr-shim server -u with udp_fwmark 7; `omrctl udp-route fwmark 7
# table 207` keeps that on the WAN omr's PM judges best. The LAN's plain
# UDP client, a datagram every 10 ms to an echo on the internet host from
# a socket connected to it, lives through DSL's carrier loss and return
# (lib-e2e.sh's e2e_udpfo_*, as omr_e2e_udp.sh through SOCKS5).
# ctl/omrctl, shim/omr-shim and selftests/tools are built on the host.
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load

REDIR_PORT=1100
NFT=$top/shim/omr-shim-nft
MARK=7
TABLE=207

T=("e2e redir: omr-shim-nft -u's ruleset loaded on the router (REDIRECT of lan0's TCP, TPROXY of its UDP to :$REDIR_PORT, VPS and private ranges bypassed), omr-shim redir -u listening on both (ss-redir JSON keys)"
	"e2e redir: the LAN client's plain curl http://$INET_IP/file (no proxy) of 4 MB: sha256 equal; omr-shim redir logged the original destination $INET_IP:80"
	"e2e redir: 20 s plain download (omr-xfer, no proxy): byte-identical; omrctl conn show, while it runs: a tunnel with established subflows on eth1..eth3; each WAN received >= 2 % of the bytes"
	"e2e redir udp: omrctl udp-route installs 'fwmark $MARK lookup $TABLE' (omr-shim redir's udp_fwmark) and table $TABLE's default route via eth1, the first path"
	"e2e redir udp: the LAN client's plain UDP (no proxy), a datagram every 10 ms to an echo on the internet host: >= 90 % echoed, eth1 carries >= 80 % of the WANs' tx"
	"e2e redir udp: eth1 loses its carrier: the PM's path_down, udp-route moves table $TABLE to eth2, echoes resume within 5 s on eth2 (>= 90 % of what was sent after the gap; eth2 carries >= 80 %)"
	"e2e redir udp: eth1 back: the PM's path_up, udp-route moves back to eth1 (preferred), >= 90 % echoed after it"
	"e2e redir udp: omr-shim redir logged the original destination $INET_IP:$E2E_ECHO_PORT (IP_ORIGDSTADDR) of the client's one association; the echo saw only the VPS's address, never the LAN client's (relayed, not routed)")

ktap_print_header
ktap_set_plan ${#T[@]}

e2e_require "$CTL" "$SHIM" "$XFER" "$NFT" "$WATCH" "$E2E_UDPFO" nft python3

# redir_start: the ruleset and omr-shim redir on the router, from a JSON
# config with ss-redir's keys, UDP on.
redir_start() {
	e2e_redir_nft "$REDIR_PORT" || return 1
	cat >"$TMP/shim-redir.json" <<-EOF
	{ "server": "$VPS_IP", "server_port": $SHIM_PORT, "password": "$E2E_KEY",
	  "method": "chacha20-ietf-poly1305", "local_address": "0.0.0.0",
	  "local_port": $REDIR_PORT, "timeout": 60, "mptcp": true, "workers": 2,
	  "tcp_tproxy": false, "mode": "tcp_and_udp", "udp_fwmark": $MARK,
	  "verbose": true }
	EOF
	ip netns exec "$CLI" "$SHIM" redir -c "$TMP/shim-redir.json" 2>>"$TMP/shim-redir.log" &
	e2e_redir_ready "$REDIR_PORT"
}

# 1
export E2E_HTTP_SIZE=4M	# test 2's file (lib-e2e.sh's default is 8M)
export E2E_SHIM_SERVER_JSON=', "mode": "tcp_and_udp"'
ok=0
if e2e_setup omr omr && redir_start; then
	ip netns exec "$CLI" nft list table inet omr_redir >"$TMP/ruleset" 2>&1
	rules=$(ip -n "$CLI" rule show)
	# The VPS is in the bypass set (here inside 10/8, which auto-merge keeps).
	if grep -q "redirect to :$REDIR_PORT" "$TMP/ruleset" &&
		grep -q "udp tproxy ip to :$REDIR_PORT meta mark set 0x00004d52" "$TMP/ruleset" &&
		[[ $rules == *"fwmark 0x4d52 lookup 4952"* ]] &&
		ip netns exec "$CLI" nft get element inet omr_redir bypass4 "{ $VPS_IP }" >/dev/null 2>&1; then
		ok=1
	else
		log "ruleset: $(tr '\n\t' '  ' <"$TMP/ruleset"); rules: $(tr '\n' ' ' <<<"$rules")"
	fi
else
	log "scenario setup failed"
fi
ktap_test_result "${T[0]}" test $ok = 1
[ $ok = 1 ] || { for t in "${T[@]:1}"; do ktap_test_fail "$t (no scenario)"; done; ktap_finished; }

# 2
ip netns exec "$LAN" curl -sS --noproxy '*' --max-time 60 -o "$TMP/got" \
	"http://$INET_IP/file" 2>"$TMP/curl.err"
want=$(sha256sum <"$TMP/www/file" | cut -d' ' -f1)
got=$(sha256sum <"$TMP/got" 2>/dev/null | cut -d' ' -f1)
ok=0
if [ "$want" = "$got" ] && grep -q "redirected to $INET_IP:80" "$TMP/shim-redir.log"; then
	ok=1
else
	log "curl: $(cat "$TMP/curl.err"); sha256 $got, want $want ($(stat -c %s "$TMP/got" 2>/dev/null) bytes)"
	log "redir log: $(tail -n 5 "$TMP/shim-redir.log" | tr '\n' ' ')"
fi
ktap_test_result "${T[1]}" test $ok = 1

# 3: bounded by time (-D), conn show taken while it runs: 20 s, as
# omr_e2e.sh's 3, for conn show's spawns on a busy machine.
e2e_dev_bytes >"$TMP/before"
e2e_xfer_bg xr 0 down -D 20000
e2e_conn_snapshot "$TMP/conn.json" 3
snap=$?
t_snap=$(mono_ms)
e2e_xfer_wait 45
rc=$?
e2e_dev_bytes >"$TMP/after"
ok=0
if [ $rc -eq 0 ] && xfer_intact xr; then ok=1; else
	log "transfer: rc $rc; $(cat "$TMP/xr.cli.err" "$TMP/xr.srv.err")"
fi
size=$(jq '.rx.bytes // 0' "$TMP/xr.cli.json")
log "down: $size bytes in 20 s"
grep -q "redirected to $INET_IP:$XFER_PORT" "$TMP/shim-redir.log" ||
	{ ok=0; log "omr-shim redir did not carry the download"; }
e2e_share_ok "$TMP/before" "$TMP/after" 2 "$size" || ok=0
e2e_snapshot_ok xr "$t_snap" "$snap" "$TMP/conn.json" || ok=0
ktap_test_result "${T[2]}" test $ok = 1

# 4
e2e_udp_route_start $MARK $TABLE
ktap_test_result "${T[3]}" test $? = 0

# 5-7: one probe, plain UDP from the LAN ("-": no proxy)
e2e_udpfo_probe - 0
e2e_udpfo_results "${T[@]:4:3}"

# 8: the association's log line (verbose), and what the echo saw: with
# forwarding on, UDP the ruleset missed would be routed and echoed too,
# from the LAN client's own address.
ok=1
grep -q "UDP: new association for $LAN_IP:[0-9]*, redirected to $INET_IP:$E2E_ECHO_PORT" \
	"$TMP/shim-redir.log" || { ok=0; log "redir: $(grep UDP "$TMP/shim-redir.log" | tail -n 5 | tr '\n' ' ')"; }
n=$(awk -v vps="$INET_GW" '$1 == vps' "$TMP/echo.src" 2>/dev/null | wc -l)
others=$(awk -v vps="$INET_GW" '$1 != vps' "$TMP/echo.src" 2>/dev/null | tr '\n' ' ')
log "the echo's sources: $n from $INET_GW${others:+, others: $others}"
[ "$n" -ge 1 ] && [ -z "$others" ] || ok=0
ktap_test_result "${T[7]}" test $ok = 1

ktap_finished
