#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Observability (issue #4): `omrctl monitor -j` prints the path manager's
# events (path down/up, subflow closed/created with the reason, demoted/
# promoted, failover), only to listeners of the namespace they happen in and
# only with CAP_NET_ADMIN; `omrctl conn show -s -j` gives each path's share
# of the traffic over the last seconds (equal paths share, a backup or
# demoted one carries ~0), why a path carries nothing, a path on which a
# middlebox strips MPTCP (nftables in the VPS resets option 30 on that
# path's SYNs: every join fails), and a connection that fell back to TCP.
# Needs ctl/omrctl built on the host, jq and nft.
source "$(dirname "$0")/lib.sh"
CTL=$top/ctl/omrctl
RAW=$top/selftests/tools/omr-nlraw
NS2=omr-obs2
obs_cleanup() {
	ip netns del "$NS2" 2>/dev/null
	cleanup_all
}
trap obs_cleanup EXIT
omr_load

T=("obs: monitor -j, eth2 down then up: path_down, sf_closed (link_down), path_up, sf_created on eth2, in that order, with token, addresses and ports; SIGINT ends monitor with status 0"
	"obs: monitor -j, 100 % loss on eth2: path_demoted (stall or loss) and sf_closed (stall) on eth2; loss stops: sf_created and path_promoted on eth2"
	"obs: a monitor (text) in a second namespace sees its own path events and none of the router's"
	"obs: user nobody cannot join the events group (exit 1, EPERM, names CAP_NET_ADMIN); OMR_CMD_EVENT as a request fails EOPNOTSUPP, OMR_A_EVENT in a request EINVAL"
	"obs: conn show -s -j, upload over 3 equal paths: each share 15-50 %, sum ~100 %, 1 subflow each, why ok; while eth2 is demoted its share < 3 % and why says stall (or loss)"
	"obs: MPTCP stripped on eth2's SYNs (nft): conn show -s -j marks eth2 mptcp_stripped (>= 3 joins failed, no subflow), eth1 and eth3 carry > 95 %; the monitor saw eth2's joins fail"
	"obs: a connection whose first subflow is stripped shows fallback true (conn show -j) and fallback-to-TCP (conn show); status counts it (mptcp_fallbacks.peer >= 1, token_table 0) and says so in words"
	"obs: eth3 backup: share < 3 %, why backup; eth1 and eth2 down: a failover event to eth3 (reason link_down), then eth3 carries > 90 %")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

ctl() { "$CTL" -n "$CLI" "$@"; }

# path_sum: conn show -s -j, logged as "dev share subflows why".
path_sum() {
	PS=$(ctl -s -j conn show) || return 1
	log "paths: $(echo "$PS" | jq -c '[.paths[] | [.dev, .link, .share_pct, .subflows, .join_fails, .why]]')"
}

# ---- Topology A: 3 x 20 Mbit/s, a long upload, monitors in two netns. ----
topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms" ||
	log "topology setup failed"
ip netns add "$NS2"
ip -n "$NS2" link add d0 type veth peer name d1
ip -n "$NS2" addr add 10.5.0.1/24 dev d0
ip -n "$NS2" link set d1 up
ip -n "$NS2" link set d0 up
ns_sysctl "$NS2" net.mptcp.pm_type=1
mon_start "$CLI" "$TMP/mon.json"
MON1=$MON_PID
mon_start "$NS2" "$TMP/mon2.txt" text
MON2=$MON_PID
sleep 0.5
"$CTL" -n "$NS2" pm set enable && "$CTL" -n "$NS2" path add dev d0 ||
	log "second namespace: PM setup failed"
xfer_bg a 2G up

# Test 5 (first half): shares after 4 s of transfer.
sleep 4
shares_equal() {
	path_sum || return 1
	echo "$PS" | jq -e '(.paths | length) == 3 and
		all(.paths[]; .link == "up" and .subflows == 1 and .why == "ok" and
		    .share_pct >= 15 and .share_pct <= 50 and .window_ms >= 2000 and
		    .mptcp_stripped == false) and
		([.paths[].share_pct] | add) >= 99 and ([.paths[].share_pct] | add) <= 101 and
		(.conns | length) == 1 and .conns[0].pm == true and .conns[0].fallback == false' >/dev/null
}
shares_equal
SHARES_RC=$?

# Test 1: eth2 down for 1.5 s, then up.
mark=$(wc -l <"$TMP/mon.json")
path_down 2
sleep 1.5
path_up 2
link_events() {
	local rc=0
	ev_wait "$TMP/mon.json" 10 '.event == "sf_created" and .dev == "eth2"' || rc=1
	# order, after the mark: the first of each, each after the previous
	tail -n +"$((mark + 1))" "$TMP/mon.json" | jq -e -s --arg vps "$VPS_IP" '
		def first_idx(f): [to_entries[] | select(.value | f) | .key] | first;
		first_idx(.event == "path_down" and .dev == "eth2" and .ifindex > 0) as $d |
		first_idx(.event == "sf_closed" and .dev == "eth2" and .reason == "link_down" and
			  (.token | test("^[0-9a-f]{8}$")) and .local_addr == "10.0.2.1" and
			  .remote_addr == $vps and .remote_port == 5201 and .local_port > 0) as $c |
		first_idx(.event == "path_up" and .dev == "eth2") as $u |
		first_idx(.event == "sf_created" and .dev == "eth2" and .local_addr == "10.0.2.1" and
			  .remote_port == 5201) as $n |
		$d != null and $c != null and $u != null and $n != null and
		$d < $c and $c < $u and $u < $n' >/dev/null ||
		{ log "events: $(tail -n +"$((mark + 1))" "$TMP/mon.json" | jq -c '[.event, .dev, .reason]' | tr '\n' ' ')"; rc=1; }
	log "link events: $(tail -n +"$((mark + 1))" "$TMP/mon.json" | jq -c '[.event, .dev, .reason]' | tr '\n' ' ')"
	return $rc
}
link_events
LINK_RC=$?

# Test 2: a black hole on eth2, no link event.
mark=$(wc -l <"$TMP/mon.json")
path_loss 2 100%
hole_rc=0
# A black hole shows as a stall, or as loss if the scheduler's estimate
# (retransmissions) crosses loss_hi first: both are right.
ev_wait "$TMP/mon.json" 8 '.event == "path_demoted" and .dev == "eth2" and (.reason == "stall" or .reason == "loss")' || hole_rc=1
ev_wait "$TMP/mon.json" 8 '.event == "sf_closed" and .dev == "eth2" and .reason == "stall"' || hole_rc=1
# Test 5 (second half): a demoted path's share, once the window has passed.
sleep 3.5
demoted_share() {
	path_sum || return 1
	echo "$PS" | jq -e '.paths[] | select(.dev == "eth2") |
		.health == "demoted" and (.demoted_reason == "stall" or .demoted_reason == "loss") and
		(.why | test("demoted: (stall|loss)")) and (.share_pct // 0) < 3' >/dev/null
}
demoted_share
DEMOTED_RC=$?
path_loss 2 0%
ev_wait "$TMP/mon.json" 10 '.event == "sf_created" and .dev == "eth2"' || hole_rc=1
ev_wait "$TMP/mon.json" 15 '.event == "path_promoted" and .dev == "eth2"' || hole_rc=1
log "black hole events: $(tail -n +"$((mark + 1))" "$TMP/mon.json" | jq -c '[.event, .dev, .reason]' | tr '\n' ' ')"

# Test 1's last part: SIGINT, status 0, valid JSON lines all along.
kill -INT "$MON1"
wait "$MON1"
MON1_RC=$?
mon_ok() {
	[ "$LINK_RC" = 0 ] || return 1
	[ "$MON1_RC" = 0 ] || { log "monitor exited $MON1_RC on SIGINT: $(cat "$TMP/mon.json.err")"; return 1; }
	jq -e -s 'length > 0 and all(.[]; (.ts | type) == "number" and (.event | type) == "string")' \
		"$TMP/mon.json" >/dev/null || { log "monitor output is not JSON lines"; return 1; }
}
ktap_test_result "${T[0]}" mon_ok
ktap_test_result "${T[1]}" test "$hole_rc" = 0

# Test 3: the second namespace's monitor.
ip -n "$NS2" link set d0 down
ns2_only() {
	local t0
	t0=$(now_ms)
	while ! grep -qx "path_down dev d0" "$TMP/mon2.txt"; do
		[ $(($(now_ms) - t0)) -gt 5000 ] && break
		sleep 0.2
	done
	log "second namespace saw: $(tr '\n' ';' <"$TMP/mon2.txt")"
	# exactly its own two events, as text lines
	[ "$(cat "$TMP/mon2.txt")" = "$(printf 'path_up dev d0\npath_down dev d0')" ]
}
ktap_test_result "${T[2]}" ns2_only
kill -INT "$MON2"

# Test 4: nobody.
BIN=/tmp/omr-obs-bin.$$
# enum_val ENUM NAME: NAME's value in uapi/linux/omr.h's enum ENUM (no
# explicit values there: its position).
enum_val() {
	awk -v e="$1" -v n="$2" '
		$0 ~ "^enum " e " [{]" { on = 1; i = 0; next }
		on && /^}/ { exit }
		on { sub(/\/\*.*/, ""); gsub(/[ \t,]/, ""); if ($0 == "") next
		     if ($0 == n) { print i; exit } i++ }' "$top/uapi/linux/omr.h"
}

nobody_refused() {
	local out rc
	mkdir -p "$BIN" && cp "$CTL" "$BIN/" && chmod 755 "$BIN" "$BIN/omrctl" || return 1
	out=$(ip netns exec "$CLI" setpriv --reuid=65534 --regid=65534 --clear-groups \
		timeout 5 "$BIN/omrctl" monitor 2>&1)
	rc=$?
	log "nobody: omrctl monitor: exit $rc, '$out'"
	[ $rc -eq 1 ] && [[ $out == *"Operation not permitted"* ]] && [[ $out == *CAP_NET_ADMIN* ]] ||
		return 1
	# OMR_CMD_EVENT is no request; OMR_A_EVENT is in none. Their numbers
	# are read from the uapi header, which has the ABI's one truth.
	local cmd attr
	cmd=$(enum_val omr_cmd OMR_CMD_EVENT)
	attr=$(enum_val omr_attr OMR_A_EVENT)
	[ -n "$cmd" ] && [ -n "$attr" ] || { log "OMR_CMD_EVENT/OMR_A_EVENT not in the header"; return 1; }
	out=$(ip netns exec "$CLI" "$RAW" "$cmd" 2>&1)
	log "omr-nlraw $cmd (OMR_CMD_EVENT): $out"
	[[ $out == "error EOPNOTSUPP:"* ]] || return 1
	out=$(ip netns exec "$CLI" "$RAW" 1 "$(printf '0800%02x0000000000' "$attr")" 2>&1)
	log "omr-nlraw 1 with OMR_A_EVENT ($attr): $out"
	[[ $out == "error EINVAL:"* ]]
}
ktap_test_result "${T[3]}" nobody_refused
rm -rf "$BIN"

shares_ok() {
	[ "$SHARES_RC" = 0 ] || { log "equal shares: failed (above)"; return 1; }
	[ "$DEMOTED_RC" = 0 ] || { log "demoted share: failed (above)"; return 1; }
}
ktap_test_result "${T[4]}" shares_ok

# Test 6: a middlebox on eth2 strips MPTCP from the SYNs that cross it (in
# the VPS, before MPTCP sees them): a join arrives as a plain SYN, the VPS
# answers without MP_JOIN, the client resets the subflow. eth2's current
# subflow is dropped by a short link bounce; every rejoin then fails.
strip_rules() {
	local ifs=$1
	modprobe -q nf_tables || return 1
	ip netns exec "$SRV" nft -f - <<-EOF
		table inet omrstrip {
			chain pre {
				type filter hook prerouting priority -300;
				iifname { $ifs } tcp flags & (syn | ack) == syn tcp option mptcp exists reset tcp option mptcp
			}
		}
	EOF
}
mon_start "$CLI" "$TMP/mon3.json"
MON3=$MON_PID
stripped() {
	strip_rules eth2 || { log "nft failed"; return 1; }
	path_down 2
	sleep 0.5
	path_up 2
	local t0
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt 12000 ]; do
		PS=$(ctl -s -j conn show)
		echo "$PS" | jq -e '.paths[] | select(.dev == "eth2") | .mptcp_stripped' >/dev/null && break
		sleep 0.5
	done
	sleep 4		# the window without eth2
	path_sum || return 1
	ctl -s conn show | sed 's/^/# /'
	log "eth2 join events: $(jq -c 'select(.dev == "eth2") | [.event, .reason]' "$TMP/mon3.json" | tr '\n' ' ')"
	echo "$PS" | jq -e '
		(.paths[] | select(.dev == "eth2") | .mptcp_stripped and .join_fails >= 3 and
		 .subflows == 0 and (.why | test("stripped")) and .link == "up") and
		([.paths[] | select(.dev != "eth2") | .share_pct] | add) > 95 and
		all(.paths[] | select(.dev != "eth2"); .subflows == 1 and .share_pct > 25)' >/dev/null ||
		return 1
	jq -e -s 'any(.[]; .event == "sf_closed" and .dev == "eth2" and
		(.reason == "join_failed" or .reason == "join_timeout"))' "$TMP/mon3.json" >/dev/null ||
		{ log "no failed join on eth2 in the monitor"; return 1; }
}
ktap_test_result "${T[5]}" stripped
kill -INT "$MON3"

# Test 7: a new connection whose first subflow (eth1) is stripped too.
kill "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
wait "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
fallback() {
	local js
	ip netns exec "$SRV" nft delete table inet omrstrip
	strip_rules "eth1, eth2" || return 1
	xfer_bg fb 1G up
	sleep 3
	js=$(ctl -j conn show) || return 1
	ctl conn show | sed 's/^/# /'
	log "conn show -j: $(echo "$js" | jq -c '[.[] | {token, remote_port, fallback, n: (.subflows | length)}]')"
	echo "$js" | jq -e 'any(.[]; .fallback == true and .remote_port == 5201 and
		.state == "established" and (.subflows | length) == 1)' >/dev/null &&
		ctl conn show | grep -q "fallback-to-TCP" || return 1
	# The MIB of the router's namespace (MPCapableFallbackSYNACK), read by
	# omrctl after -n: not the VM's init namespace's.
	js=$(ctl -j status) || return 1
	log "status -j: $(echo "$js" | jq -c .mptcp_fallbacks); $(ctl status | grep '^mptcp:')"
	echo "$js" | jq -e '.mptcp_fallbacks.peer >= 1 and .mptcp_fallbacks.token_table == 0' >/dev/null &&
		ctl status | grep -q "^mptcp: .* with a peer that did not take or offer MPTCP"
}
ktap_test_result "${T[6]}" fallback
kill "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
wait "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
topo_cleanup

# ---- Topology B: eth3 backup. ----
backup_failover() {
	topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms backup" || return 1
	mon_start "$CLI" "$TMP/mon4.json"
	local mon=$MON_PID rc=0
	sleep 0.5
	xfer_bg b 2G up
	sleep 5
	path_sum || return 1
	echo "$PS" | jq -e '(.paths[] | select(.dev == "eth3") | .backup and .why == "backup" and
		.subflows == 1 and (.share_pct // 0) < 3) and
		all(.paths[] | select(.dev != "eth3"); .share_pct > 40)' >/dev/null ||
		{ log "backup share wrong"; rc=1; }
	path_down 1
	path_down 2
	ev_wait "$TMP/mon4.json" 8 '.event == "failover" and .to_dev == "eth3" and
		.reason == "link_down" and (.dev == "eth1" or .dev == "eth2") and
		(.token | test("^[0-9a-f]{8}$"))' || rc=1
	log "failover: $(jq -c 'select(.event == "failover")' "$TMP/mon4.json")"
	sleep 4
	path_sum || return 1
	echo "$PS" | jq -e '.paths[] | select(.dev == "eth3") | .share_pct > 90' >/dev/null ||
		{ log "eth3 does not carry the transfer"; rc=1; }
	kill -INT "$mon"
	return $rc
}
ktap_test_result "${T[7]}" backup_failover
kill "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
topo_cleanup

ktap_finished
