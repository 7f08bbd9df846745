#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager, a congestion control per path (issue #12, part 3):
# `omrctl path change dev X cc NAME` gives the path's subflows that CC, the
# other paths' subflows keep the system's; a change reaches the subflows a
# connection already has; `cc default` leaves new subflows as MPTCP makes
# them; a name this kernel does not have is refused by omrctl in words and
# a bad charset by the kernel itself, and neither changes anything.
# Each subflow's CC is read from GET_CONNS (omrctl -j conn show, one
# process) and, once, from the socket itself (ss -tni). ctl/omrctl and
# selftests/tools/omr-nlraw are built on the host.
source "$(dirname "$0")/lib.sh"
CTL=$top/ctl/omrctl
RAW=$top/selftests/tools/omr-nlraw
trap cleanup_all EXIT
omr_load

T=("cc: path change dev eth2 cc bbr (tcp_bbr loaded) is stored and shown (path show -j: eth2 bbr, eth1 null; showconf: cc = bbr)"
	"cc: one MPTCP connection carrying data: its eth2 subflow runs bbr, its eth1 subflow the system default (GET_CONNS and ss -tni agree), counters cc_set >= 1, cc_errors 0"
	"cc: path change dev eth1 cc reno while the connection runs: its existing eth1 subflow runs reno within 2 s, eth2 still bbr; the transfer intact"
	"cc: cc default on both paths: a new connection's subflows run the system default; path show cc null"
	"cc: cc no_such is refused by omrctl in words (path change and path add), exit 2, nothing changes"
	"cc: raw PATH_CHANGE with cc 'BBR!' or a 16-byte name is refused by the kernel (EINVAL, its message); nothing changes")

ktap_print_header
ktap_set_plan ${#T[@]}

SPEC="20mbit 10ms"
ctl() { "$CTL" -n "$CLI" "$@"; }
cfg() { ctl -j path show 2>&1; }
unchanged() {
	local now
	now=$(cfg)
	[ "$now" = "$1" ] && return 0
	log "paths changed: before: $1 after: $now"
	return 1
}

# For omr-nlraw (nla, nest, str: lib.sh).
C_PATH_CHANGE=9 A_PATH=5 PATH_IFNAME=1 PATH_CC=22

# "dev cc" per established client subflow, from one GET_CONNS dump.
sf_ccs() {
	ctl -j conn show | jq -r '.[] | select(.pm) | .subflows[] |
		select(.state == "established") | "\(.dev) \(.cc)"' | sort
}

DEFAULT_CC=
setup() {
	modprobe -q tcp_bbr || { log "no tcp_bbr module"; return 1; }
	topo_pm_setup default "$SPEC" "$SPEC" || return 1
	DEFAULT_CC=$(ip netns exec "$CLI" cat /proc/sys/net/ipv4/tcp_congestion_control)
	log "system default: $DEFAULT_CC"
	[ "$DEFAULT_CC" != bbr ] && [ "$DEFAULT_CC" != reno ] || return 1
	ctl path change dev eth2 cc bbr || return 1
	cfg | jq -e '.[0].cc == null and .[1].cc == "bbr"' >/dev/null || { log "$(cfg)"; return 1; }
	ctl showconf | grep -qx 'cc = bbr' || { log "showconf: $(ctl showconf | tr '\n' ';')"; return 1; }
}
ktap_test_result "${T[0]}" setup

# Until the established subflows on eth1 and eth2 run WANT ("dev cc"
# lines), at most 5 s: "dev cc" lines as last seen. GET_CONNS lists a join
# as established by its TCP state, before MPTCP has it fully established;
# the PM gives the path's cc on its first pass after that (pm_conn.c,
# omr_obs_subflow). So the first sight of both subflows is not the answer:
# CI once saw "eth2 cubic" there.
wait_ccs() {
	local t0 ccs
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$(tscale 5000)" ]; do
		ccs=$(sf_ccs | grep '^eth[12] ')
		[ "$ccs" = "$1" ] && break
		sleep 0.2
	done
	echo "$ccs"
}

two_paths() {
	local ccs ss_out
	xfer_bg cc 0 up -D "$(tscale 10000)"
	ccs=$(wait_ccs "eth1 $DEFAULT_CC"$'\n'"eth2 bbr")
	log "subflows: $(echo "$ccs" | tr '\n' ';')"
	[ "$ccs" = "eth1 $DEFAULT_CC"$'\n'"eth2 bbr" ] ||
		{ log "counters: $(ctl -j status | jq -c .counters)"; xfer_wait; return 1; }
	# the socket itself, as the kernel's own diag reports it
	ss_out=$(ip netns exec "$CLI" ss -tniH state established dst "$VPS_IP")
	if ! echo "$ss_out" | awk '$3 ~ /^10\.0\.2\.1/ { getline; print }' | grep -qw bbr ||
		! echo "$ss_out" | awk '$3 ~ /^10\.0\.1\.1/ { getline; print }' | grep -qw "$DEFAULT_CC"; then
		log "ss -tni: $(echo "$ss_out" | tr '\n' ';')"
		xfer_wait
		return 1
	fi
	ctl -j status | jq -e '.counters.cc_set >= 1 and .counters.cc_errors == 0' >/dev/null ||
		{ log "counters: $(ctl -j status | jq -c .counters)"; xfer_wait; return 1; }
}
ktap_test_result "${T[1]}" two_paths

# The same connection: a change reaches the subflow it already has.
changed() {
	local t0 ccs rc=1
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer has ended"; xfer_wait; return 1; }
	ctl path change dev eth1 cc reno || { xfer_wait; return 1; }
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$(tscale 2000)" ]; do
		ccs=$(sf_ccs)
		[ "$ccs" = "eth1 reno"$'\n'"eth2 bbr" ] && rc=0 && break
		sleep 0.2
	done
	log "after cc reno on eth1: $(echo "$ccs" | tr '\n' ';')"
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer ended before the check"; rc=1; }
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact cc || { log "not byte-identical"; return 1; }
	return $rc
}
ktap_test_result "${T[2]}" changed

cleared() {
	local ccs
	ctl path change dev eth1 cc default && ctl path change dev eth2 cc default || return 1
	cfg | jq -e 'all(.[]; .cc == null)' >/dev/null || { log "$(cfg)"; return 1; }
	xfer_bg cleared 0 up -D "$(tscale 6000)"
	ccs=$(wait_ccs "eth1 $DEFAULT_CC"$'\n'"eth2 $DEFAULT_CC")
	# Nothing may come later either: passes run ten times a second.
	sleep 1
	ccs=$(sf_ccs | grep '^eth[12] ')
	log "subflows: $(echo "$ccs" | tr '\n' ';')"
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact cleared || return 1
	[ "$ccs" = "eth1 $DEFAULT_CC"$'\n'"eth2 $DEFAULT_CC" ]
}
ktap_test_result "${T[3]}" cleared

refused() {
	local before out rc
	ctl path change dev eth2 cc bbr || return 1
	before=$(cfg)
	out=$(ctl path change dev eth1 cc no_such 2>&1)
	rc=$?
	if [ $rc != 2 ] || [[ $out != *"path change: cc no_such: no such congestion control in this kernel"*"nothing changed"* ]]; then
		log "path change cc no_such: exit $rc, '$out'"
		return 1
	fi
	log "$out"
	out=$(ctl path add dev eth9 cc no_such 2>&1) && return 1
	[[ $out == *"path add: cc no_such: no such congestion control"* ]] || { log "path add: '$out'"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[4]}" refused

raw_refused() {
	local before out rc name
	before=$(cfg)
	for name in 'BBR!' abcdefghijklmnop; do
		out=$(ip netns exec "$CLI" "$RAW" $C_PATH_CHANGE \
			"$(nest $A_PATH "$(nla $PATH_IFNAME "$(str eth1)")" "$(nla $PATH_CC "$(str "$name")")")" 2>&1)
		log "cc '$name': $out"
		[[ $out == "error EINVAL: "* ]] || return 1
	done
	out=$(ip netns exec "$CLI" "$RAW" $C_PATH_CHANGE \
		"$(nest $A_PATH "$(nla $PATH_IFNAME "$(str eth1)")" "$(nla $PATH_CC "$(str 'BBR!')")")" 2>&1)
	[[ $out == *"a congestion control name is [a-z0-9_]"* ]] || { log "no message: $out"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[5]}" raw_refused
topo_cleanup

ktap_finished
