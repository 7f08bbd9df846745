#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omrctl and the "omr" generic netlink family (issue #4, first part): the
# router's path manager configured through omrctl alone makes its subflows;
# omrctl's JSON (parsed by jq) shows the paths and the connection with its
# subflows and byte counters; bad input gets the right errno and the kernel's
# message and changes nothing; an unprivileged user is refused every set
# command; a connection dump split over several messages lists every
# connection once. ctl/omrctl and selftests/tools/omr-nlraw are built on the
# host (selftests/run.sh does).
source "$(dirname "$0")/lib.sh"
CTL=$top/ctl/omrctl
RAW=$top/selftests/tools/omr-nlraw
trap cleanup_all EXIT
omr_load

T=("ctl: pm set enable and three path adds through omrctl; status -j: enabled, 3 paths"
	"ctl: path show -j: eth1..eth3, link up, their addresses, not backup, health ok"
	"ctl: the PM makes one subflow per omrctl-configured path (ss); conn show -j lists the connection, PM-followed, with 3 established subflows on eth1..eth3 and nonzero byte counters"
	"ctl: path add dev wan9 backup shows backup, link down, ifindex 0; path del removes it; add_addr accept|ignore and disable|enable show in status"
	"ctl: omrctl errors: unknown path del ENOENT, duplicate add EEXIST, bad name EINVAL (each with the kernel's message), too long a name a usage error; nothing changes"
	"ctl: raw requests: missing, unknown, reply-only, unflagged-nest, out-of-range and too-long attributes each fail with a message (EINVAL; ERANGE out of range; EOPNOTSUPP unknown command); nothing changes"
	"ctl: user nobody in the same netns gets EPERM for every set command (omrctl and raw), may run GET_STATUS and GET_PATHS, gets EPERM for GET_CONNS (every user's connections); nothing changes"
	"ctl: 300 connections: conn show -j lists each once (split dump), as ss does; the VPS side lists 300 server-side ones")

ktap_print_header
ktap_set_plan ${#T[@]}

SPEC="20mbit 10ms"
ctl() { "$CTL" -n "$CLI" "$@"; }

# The configuration as omrctl shows it.
cfg() {
	{
		ctl -j pm show
		ctl -j path show
	} 2>&1
}
unchanged() {
	local now
	now=$(cfg)
	[ "$now" = "$1" ] && return 0
	log "configuration changed: before: $(echo "$1" | tr '\n' ';') after: $(echo "$now" | tr '\n' ';')"
	return 1
}

# ctl_fails RC ERRTEXT ARGS...: omrctl exits RC and its stderr has ERRTEXT.
ctl_fails() {
	local want=$1 text=$2 out rc
	shift 2
	out=$(ctl "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne "$want" ] || [[ $out != *"$text"* ]]; then
		log "omrctl $*: exit $rc, '$out'; expected exit $want and '$text'"
		return 1
	fi
	log "omrctl $*: $out"
}

# Command and attribute numbers of uapi/linux/omr.h.
C_GET_STATUS=1 C_GET_PATHS=2 C_SET_PM=3 C_PATH_ADD=4 C_PATH_DEL=5 C_GET_CONNS=6
A_VERSION=1 A_PM=3 A_PATH=5
PM_ENABLED=1 PATH_IFNAME=1 PATH_FLAGS=2 PATH_IFINDEX=3

# raw_fails ERRNAME MSGPART [-d] CMD HEX: the kernel answers ERRNAME, and
# its extended ACK contains MSGPART.
raw_fails() {
	local want=$1 text=$2 out
	shift 2
	out=$(ip netns exec "$CLI" "$RAW" "$@" 2>&1)
	if [[ $out != "error $want: "*"$text"* ]]; then
		log "omr-nlraw $*: '$out'; expected 'error $want: ...$text...'"
		return 1
	fi
	log "omr-nlraw $*: $out"
}

[ -x "$CTL" ] && [ -x "$RAW" ] || log "missing $CTL or $RAW: build them (make -C ctl; make -C selftests/tools)"

# Test 1. The topology of topo_pm_setup, configured through omrctl only.
ctl_setup() {
	local i
	TOPO_PM=omr _topo_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	ns_sysctl "$CLI" net.mptcp.pm_type=1 || return 1
	ctl pm set enable || return 1
	for i in 1 2 3; do
		ctl path add dev "eth$i" || return 1
	done
	ctl status | sed 's/^/# /'
	ctl -j status | jq -e '.pm.enabled == true and .pm.paths == 3 and
		.pm.max_paths == 8 and .pm.add_addr == "ignore" and
		(.version | length > 0) and (.counters | has("creates"))' >/dev/null ||
		{ log "status -j: $(ctl -j status)"; return 1; }
}
ktap_test_result "${T[0]}" ctl_setup

paths_shown() {
	local js
	js=$(ctl -j path show) || return 1
	log "path show -j: $js"
	echo "$js" | jq -e 'length == 3 and
		([.[].dev] == ["eth1", "eth2", "eth3"]) and
		all(.[]; .link == "up" and .backup == false and .health == "ok" and
		    .ifindex > 0 and .addr == "10.0.\(.dev[3:]).1")' >/dev/null
}
ktap_test_result "${T[1]}" paths_shown

# Test 3. A transfer; the PM adds the joins; omrctl shows them.
# ss takes about a second a call under TCG: the transfer is long (128 MB at
# 60 Mbit/s, ~18 s) and looked at once, right after its joins are up.
conn_shown() {
	local n js list t_start t3='' t_js
	xfer_bg up 0 up -D "$(tscale 15000)"	# by time: conn show must see it run
	t_start=$(now_ms)
	while [ $(($(now_ms) - t_start)) -lt "$(tscale 5000)" ]; do
		[ "$(sf_count)" -ge 3 ] && t3=$(now_ms) && break
		sleep 0.1
	done
	[ -n "$t3" ] || { log "$(sf_count) subflows 5 s after the start: $(sf_list | tr '\n' ' ')"; xfer_wait; return 1; }
	sleep 1
	t_js=$(mono_ms)
	js=$(ctl -j conn show)
	list=$(sf_list)
	ctl conn show | sed 's/^/# /'
	log "3 subflows $((t3 - t_start)) ms after the start; ss: $(echo "$list" | tr '\n' ' ')"
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact up || { log "transfer not byte-identical"; return 1; }
	xfer_running up srv "$t_js" || { log "the transfer had ended when conn show ran"; return 1; }
	log "conn show -j: $js"
	for n in 1 2 3; do
		[ "$(echo "$list" | grep -c "^10\.0\.$n\.1[%:]")" = 1 ] || { log "not one subflow on eth$n"; return 1; }
	done
	echo "$js" | jq -e --arg vps "$VPS_IP" 'length == 1 and (.[0] |
		.pm == true and .server_side == false and .remote_addr == $vps and
		.remote_port == 5201 and .state == "established" and
		(.token | test("^[0-9a-f]{8}$")) and
		([.subflows[].dev] | sort) == ["eth1", "eth2", "eth3"] and
		all(.subflows[]; .state == "established" and .bytes_sent > 0 and
		    .bytes_acked > 0 and .srtt_us > 0 and .cwnd > 0 and
		    .local_addr == "10.0.\(.dev[3:]).1" and .remote_addr == $vps) and
		([.subflows[].bytes_acked] | add) > 1000000 and
		([.subflows[] | select(.join)] | length) == 2)' >/dev/null
}
ktap_test_result "${T[2]}" conn_shown

settings() {
	ctl path add dev wan9 backup || return 1
	ctl -j path show | jq -e '.[3] | .dev == "wan9" and .backup == true and
		.link == "down" and .ifindex == 0 and .addr == null' >/dev/null ||
		{ log "path show -j: $(ctl -j path show)"; return 1; }
	ctl path del dev wan9 || return 1
	[ "$(ctl -j path show | jq -c '[.[].dev]')" = '["eth1","eth2","eth3"]' ] || return 1
	ctl pm set add_addr accept || return 1
	[ "$(ctl -j pm show | jq -r .add_addr)" = accept ] || return 1
	ctl pm set disable add_addr ignore || return 1
	ctl -j status | jq -e '.pm.enabled == false and .pm.add_addr == "ignore"' >/dev/null ||
		{ log "after disable: $(ctl -j status)"; return 1; }
	ctl pm set enable || return 1
	ctl -j pm show | jq -e '.enabled == true' >/dev/null
}
ktap_test_result "${T[3]}" settings

# -n nosuchns: ctl_fails runs ctl with -n $CLI; this one needs its own.
ctl_fails_netns() {
	local out rc
	out=$("$CTL" -n nosuchns status 2>&1)
	rc=$?
	[ $rc -eq 4 ] && [[ $out == *"-n nosuchns"* ]] || { log "-n nosuchns: exit $rc '$out'"; return 1; }
}
ctl_errors_all() {
	local before
	before=$(cfg)
	ctl_fails 1 "No such file or directory (kernel: dev: no path on this device)" path del dev eth9 || return 1
	ctl_fails 1 "File exists (kernel: dev: a path on this device exists)" path add dev eth2 || return 1
	ctl_fails 1 "Invalid argument (kernel: dev is not a valid interface name)" path add dev 'a/b' || return 1
	ctl_fails 1 "Invalid argument (kernel: dev is not a valid interface name)" path add dev .. || return 1
	ctl_fails 2 "interface name 'abcdefghijklmnop' must be 1 to 15 bytes" path add dev abcdefghijklmnop || return 1
	ctl_fails 2 "unexpected argument 'bkup'" path add dev wan5 bkup || return 1
	ctl_fails 2 "add_addr 'maybe'" pm set add_addr maybe || return 1
	ctl_fails 2 "unknown command 'frob'" frob || return 1
	ctl_fails_netns || return 1
	unchanged "$before"
}
ktap_test_result "${T[4]}" ctl_errors_all

raw_errors() {
	local before long
	before=$(cfg)
	long=$(str abcdefghijklmnop)
	raw_fails EINVAL "OMR_A_PATH is required" $C_PATH_ADD || return 1
	raw_fails EINVAL "OMR_PATH_A_IFNAME is required" $C_PATH_ADD "$(nest $A_PATH)" || return 1
	raw_fails EINVAL "OMR_PATH_A_IFNAME is required" $C_PATH_DEL "$(nest $A_PATH)" || return 1
	raw_fails EINVAL "" $C_PATH_ADD "$(nest $A_PATH "$(nla $PATH_IFNAME "$long")")" || return 1
	raw_fails EINVAL "" $C_PATH_ADD "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str wan5)")" "$(nla $PATH_FLAGS "$(u32 2)")")" || return 1
	raw_fails EINVAL "reply-only" $C_PATH_ADD "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str wan5)")" "$(nla $PATH_IFINDEX "$(u32 3)")")" || return 1
	raw_fails EINVAL "not valid for this command" $C_PATH_DEL "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str eth1)")" "$(nla $PATH_FLAGS "$(u32 0)")")" || return 1
	raw_fails EINVAL "NLA_F_NESTED is missing" $C_PATH_DEL "$(nla $A_PATH "$(nla $PATH_IFNAME "$(str eth1)")")" || return 1
	raw_fails EINVAL "Unknown attribute type" $C_PATH_ADD "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str wan5)")")$(nla 99 "$(u32 0)")" || return 1
	raw_fails EINVAL "OMR_A_PM is required" $C_SET_PM || return 1
	raw_fails EINVAL "OMR_A_PM needs at least one setting" $C_SET_PM "$(nest $A_PM)" || return 1
	raw_fails ERANGE "integer out of range" $C_SET_PM "$(nest $A_PM "$(nla $PM_ENABLED "$(u8 2)")")" || return 1
	raw_fails EINVAL "reply-only" $C_GET_STATUS "$(nla $A_VERSION "$(str x)")" || return 1
	raw_fails EINVAL "not valid for this command" -d $C_GET_PATHS "$(nla $A_PATH "")" || return 1
	raw_fails EINVAL "NLA_F_NESTED not expected" -d $C_GET_PATHS "$(nest $A_PATH)" || return 1
	raw_fails EINVAL "" -d $C_GET_CONNS "$(nla 0 "$(u32 0)")" || return 1
	raw_fails EOPNOTSUPP "" 42 || return 1
	# and a well-formed one passes, so the above failed for their reasons
	ip netns exec "$CLI" "$RAW" $C_PATH_ADD "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str wan5)")" "$(nla $PATH_FLAGS "$(u32 1)")")" >/dev/null ||
		{ log "a valid raw path add failed"; return 1; }
	ip netns exec "$CLI" "$RAW" $C_PATH_DEL "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str wan5)")")" >/dev/null ||
		{ log "a valid raw path del failed"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[5]}" raw_errors

# Test 7. nobody (uid 65534, no capability) in the router's namespace.
BIN=/tmp/omr-ctl-bin.$$
nobody() { ip netns exec "$CLI" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
unprivileged() {
	local before out args
	before=$(cfg)
	mkdir -p "$BIN" && cp "$CTL" "$RAW" "$BIN/" && chmod 755 "$BIN" "$BIN"/* || return 1
	for args in "pm set disable" "pm set enable" "pm set add_addr accept" \
		"path add dev wan5" "path add dev wan5 backup" "path del dev eth1"; do
		# shellcheck disable=SC2086
		out=$(nobody "$BIN/omrctl" $args 2>&1)
		[ $? -eq 1 ] && [[ $out == *"Operation not permitted"* ]] ||
			{ log "nobody: omrctl $args: '$out'"; return 1; }
		log "nobody: omrctl $args: $out"
	done
	out=$(nobody "$BIN/omr-nlraw" $C_SET_PM "$(nest $A_PM "$(nla $PM_ENABLED "$(u8 0)")")")
	[[ $out == "error EPERM:"* ]] || { log "nobody raw SET_PM: '$out'"; return 1; }
	out=$(nobody "$BIN/omr-nlraw" $C_PATH_DEL "$(nest $A_PATH "$(nla $PATH_IFNAME "$(str eth1)")")")
	[[ $out == "error EPERM:"* ]] || { log "nobody raw PATH_DEL: '$out'"; return 1; }
	# GET_STATUS and GET_PATHS are open (configuration and counters);
	# GET_CONNS, like the events, needs CAP_NET_ADMIN (uapi/linux/omr.h).
	nobody "$BIN/omrctl" -j status | jq -e '.pm.enabled == true' >/dev/null &&
		nobody "$BIN/omrctl" -j path show | jq -e 'length == 3' >/dev/null ||
		{ log "nobody cannot run GET_STATUS or GET_PATHS"; return 1; }
	out=$(nobody "$BIN/omrctl" -j conn show 2>&1)
	[ $? -eq 1 ] && [[ $out == *"Operation not permitted"* ]] ||
		{ log "nobody: omrctl conn show: '$out'"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[6]}" unprivileged
rm -rf "$BIN"

# Test 8. Many connections (the PM off: one subflow each); each conn message
# is ~300 bytes, so 300 need several dump messages.
NCONN=300
many_conns() {
	local js srv n srv_n ss_ports ctl_ports _
	ctl pm set disable || return 1
	ip netns exec "$SRV" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5300)); s.listen(1024)
print("listening", flush=True)
c = []
while True:
    c.append(s.accept()[0])
' "$VPS_IP" >"$TMP/many.srv" &
	srv=$!
	# python starts slowly under TCG: connect once it listens
	for _ in $(seq 100); do
		grep -q listening "$TMP/many.srv" 2>/dev/null && break
		sleep 0.2
	done
	ip netns exec "$CLI" python3 -c '
import socket, sys, time
c = []
for i in range(int(sys.argv[2])):
    k = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    k.connect((sys.argv[1], 5300)); c.append(k)
print("connected", flush=True)
time.sleep(120)
' "$VPS_IP" $NCONN >"$TMP/many.out" &
	for _ in $(seq 100); do
		grep -q connected "$TMP/many.out" 2>/dev/null && break
		sleep 0.3
	done
	grep -q connected "$TMP/many.out" || { log "the $NCONN connections did not open"; kill $srv; return 1; }
	sleep 1
	js=$(ctl -j conn show) || { kill $srv; return 1; }
	ctl_ports=$(echo "$js" | jq -r '.[] | select(.remote_port == 5300) | .local_port' | sort -n | tr '\n' ' ')
	ss_ports=$(ip netns exec "$CLI" ss -MnH state established dst "$VPS_IP:5300" |
		awk '{n = split($3, a, ":"); print a[n]}' | sort -n | tr '\n' ' ')
	n=$(echo "$js" | jq '[.[] | select(.remote_port == 5300)] | length')
	log "conn show -j: $n connections to :5300, $(echo "$js" | jq '[.[].token] | unique | length') unique tokens, $(echo "$js" | wc -c) bytes of JSON"
	srv_n=$("$CTL" -n "$SRV" -j conn show | jq '[.[] | select(.local_port == 5300 and .server_side)] | length')
	log "VPS side: $srv_n server-side connections"
	kill $srv
	ip netns pids "$CLI" | xargs -r kill 2>/dev/null
	[ "$n" = $NCONN ] || return 1
	[ "$(echo "$js" | jq '[.[].token] | unique | length')" = "$(echo "$js" | jq length)" ] || { log "a token listed twice"; return 1; }
	[ "$ctl_ports" = "$ss_ports" ] || { log "omrctl and ss disagree: omrctl: $ctl_ports ss: $ss_ports"; return 1; }
	[ "$srv_n" = $NCONN ]
}
ktap_test_result "${T[7]}" many_conns
topo_cleanup

ktap_finished
