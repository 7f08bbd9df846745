#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager (issue #3), paths and configuration: one subflow per
# path, each out of its own device, within 1 s of the connection; a netns
# where the PM is not enabled gets exactly what the in-kernel PM makes;
# the configuration (through omrctl: /proc/net/omr_pm is read-only) refuses
# bad commands with the right errno and changes nothing.
source "$(dirname "$0")/lib.sh"
OTHER=omr-other
trap 'ip netns del $OTHER 2>/dev/null; cleanup_all' EXIT
omr_load

T=("paths: three paths, three subflows within 1 s of the first, one per path (source address, device), none extra"
	"paths: pm_type 0 with endpoints gets the in-kernel PM's subflows while omr's PM is enabled in another netns"
	"cfg: no /proc/net/omr_pm (genl is the one interface); omrctl refuses unknown words naming them; nothing changes"
	"cfg: adding a path twice fails with EEXIST and changes nothing"
	"cfg: deleting an unknown path fails with ENOENT and changes nothing"
	"cfg: a 9th path fails with ENOSPC and changes nothing"
	"add_addr: the VPS announces a second address: ignored by default (3 subflows); with 'add_addr accept' one subflow per path per address (6)")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

SPEC="20mbit 10ms"

# The sorted set of established client subflows' local addresses, ports
# dropped: "10.0.1.1 10.0.2.1%eth2 10.0.3.1%eth3" for three paths.
sf_set() {
	sf_list | sed 's/:[0-9]*$//' | sort | tr '\n' ' ' | sed 's/ $//'
}

# Test 1. The MPC subflow leaves from eth1 (main default route); the PM
# must add one join per other path, bound to it, and none on eth1.
three_subflows() {
	local t_start t0='' t3='' now n set t_set
	topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	# Bounded by time: the listing below must see the transfer running
	# (a fixed 64 MB ended before it on a fresh machine at load 10).
	xfer_bg three 0 up -D 15000
	t_start=$(now_ms)
	while :; do
		now=$(now_ms)
		n=$(sf_count)
		[ -z "$t0" ] && [ "$n" -ge 1 ] && t0=$now
		[ "$n" -ge 3 ] && t3=$now && break
		[ $((now - t_start)) -gt 5000 ] && break
		sleep 0.05
	done
	if [ -z "$t3" ]; then
		log "only $n subflow(s) 5 s after the start: $(sf_set)"
		xfer_wait
		return 1
	fi
	log "3 subflows $((t3 - t0)) ms after the first one was seen"
	# one more second: no extra subflow may appear (e.g. a join on eth1)
	sleep 1
	t_set=$(mono_ms)
	set=$(sf_set)
	log "subflows: $set; PM: $(pm_status | grep -E '^(conn|sub) ' | tr '\n' ';')"
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact three || { log "transfer not byte-identical"; return 1; }
	xfer_running three srv "$t_set" || { log "the transfer had ended when the subflows were listed"; return 1; }
	[ $((t3 - t0)) -lt 1000 ] || { log "too slow: $((t3 - t0)) ms >= 1000 ms"; return 1; }
	# one per source address; a device binding, when ss shows one, is the
	# path's own (6.12's in-kernel PM joins show none in ss, see below)
	[[ $set =~ ^10\.0\.1\.1(%eth1)?\ 10\.0\.2\.1(%eth2)?\ 10\.0\.3\.1(%eth3)?$ ]] || {
		log "expected one subflow per path, from its address, bound to nothing else; got: $set"
		return 1
	}
	[ "$(jq -r '[.subflows[].dev] | sort | join(" ")' "$TMP/three.cli.json")" = "eth1 eth2 eth3" ] || {
		log "final subflows: $(jq -c '[.subflows[] | .local + "/" + .dev]' "$TMP/three.cli.json")"
		return 1
	}
}
ktap_test_result "${T[0]}" three_subflows
topo_cleanup

# Test 2. $OTHER has omr's PM enabled, with paths named like ours and our
# addresses; $CLI keeps pm_type 0 and endpoints: the in-kernel PM's
# subflows, one per endpoint, bound to its device, and a disabled,
# untouched omr PM there.
# The subflow set the in-kernel PM makes here, omr not loaded.
kernel_pm_set() {
	topo_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	xfer_bg ref 48M up
	sleep 1.5
	sf_set
	xfer_wait >/dev/null
	topo_cleanup
}

pm_elsewhere() {
	local set bad ref t_set
	omr_unload || return 1
	ref=$(kernel_pm_set)
	omr_load || return 1
	log "in-kernel PM, omr not loaded: $ref"
	ip netns del $OTHER 2>/dev/null
	ip netns add $OTHER || return 1
	ns_sysctl $OTHER net.mptcp.pm_type=1 || return 1
	ip -n $OTHER link add eth2 type veth peer name eth3 || return 1
	ip -n $OTHER addr add 10.0.2.1/24 dev eth2
	ip -n $OTHER addr add 10.0.3.1/24 dev eth3
	ip -n $OTHER link set eth2 up && ip -n $OTHER link set eth3 up
	pm_cmd -n $OTHER enable && pm_cmd -n $OTHER path add dev eth2 &&
		pm_cmd -n $OTHER path add dev eth3 || { log "PM setup in $OTHER: $PM_ERR"; return 1; }
	topo_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	xfer_bg other 0 up -D 8000
	sleep 1.5
	t_set=$(mono_ms)
	set=$(sf_set)
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact other || return 1
	xfer_running other srv "$t_set" || { log "the transfer had ended when its subflows were listed"; return 1; }
	log "subflows: $set"
	[ "$set" = "$ref" ] && [ "$(echo "$set" | wc -w)" = 3 ] || {
		log "expected the in-kernel PM's, 3 subflows: $ref"
		return 1
	}
	[ "$(jq .pm_subflows "$TMP/other.cli.json")" = 2 ] || return 1
	pm_status | grep -qx 'pm disabled' || { log "$CLI: $(pm_status | head -n 1)"; return 1; }
	pm_status $OTHER | grep -qx 'pm enabled' || { log "$OTHER: $(pm_status $OTHER | head -n 1)"; return 1; }
	bad=$(pm_status | grep -E '^(path|conn|sub) ')
	[ -z "$bad" ] || { log "$CLI's PM has state: $bad"; return 1; }
	bad=$(pm_status | awk '$1 == "counters" { for (i = 2; i < NF; i += 2) if ($(i + 1) != 0) print $i, $(i + 1) }')
	[ -z "$bad" ] || { log "$CLI's PM counters moved: $bad"; return 1; }
	pm_status | grep -q '^counters ' || { log "$CLI: no counters line"; return 1; }
}
ktap_test_result "${T[1]}" pm_elsewhere
ip netns del $OTHER
topo_cleanup

# Tests 3-6 on an idle router with three paths.
topo_pm_setup default "$SPEC" "$SPEC" "$SPEC"
# the configuration part of the status (omrctl; no connection is listed)
cfg() { pm_status; }
unchanged() {
	local now
	now=$(cfg)
	[ "$now" = "$1" ] && return 0
	log "status changed: before: $(echo "$1" | tr '\n' ';') after: $(echo "$now" | tr '\n' ';')"
	return 1
}

bad_command() {
	local before out mode w1=bogus$RANDOM w2=frob$RANDOM
	before=$(cfg)
	[ -n "$before" ] || return 1
	ip netns exec "$CLI" test -e /proc/net/omr_pm &&
		{ log "/proc/net/omr_pm exists (removed: netdev takes no new procfs)"; return 1; }
	out=$("$OMRCTL" -n "$CLI" pm set "$w1" 2>&1) && return 1
	[[ $out == *"'$w1'"* ]] || { log "omrctl pm set $w1: '$out'"; return 1; }
	out=$("$OMRCTL" -n "$CLI" path "$w2" dev eth1 2>&1) && return 1
	[[ $out == *"'$w2'"* ]] || { log "omrctl path $w2: '$out'"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[2]}" bad_command

dup_add() {
	local before
	before=$(cfg)
	pm_cmd_fails EEXIST path add dev eth2 || return 1
	pm_cmd_fails EEXIST path add dev eth3 backup || return 1
	unchanged "$before"
}
ktap_test_result "${T[3]}" dup_add

unknown_del() {
	local before
	before=$(cfg)
	pm_cmd_fails ENOENT path del dev eth9 || return 1
	pm_cmd_fails ENOENT path del dev wan4 || return 1
	unchanged "$before"
}
ktap_test_result "${T[4]}" unknown_del

# Real (down) devices wan4..wan9 for paths 4..9.
ninth_path() {
	local i before
	for i in 4 5 6 7 8 9; do
		ip -n "$CLI" link add "wan$i" type veth peer name "wan${i}p" || return 1
	done
	for i in 4 5 6 7 8; do
		pm_cmd path add dev "wan$i" || { log "path $i (wan$i): $PM_ERR"; return 1; }
	done
	[ "$(pm_status | grep -c '^path ')" = 8 ] || { log "$(pm_status | grep -c '^path ') paths listed, 8 expected"; return 1; }
	before=$(cfg)
	pm_cmd_fails ENOSPC path add dev wan9 || return 1
	unchanged "$before" || return 1
	# the limit, not the device, was the reason
	pm_cmd path del dev wan8 || { log "path del dev wan8: $PM_ERR"; return 1; }
	pm_cmd path add dev wan9 || { log "path add dev wan9 after a del: $PM_ERR"; return 1; }
	pm_status | grep -q '^path dev wan9 ' && ! pm_status | grep -q '^path dev wan8 '
}
ktap_test_result "${T[5]}" ninth_path

# Test 7. The VPS has a second address and announces it (its in-kernel PM,
# a signal endpoint). Our PM joins it from every path only when told to.
VPS_IP2=10.99.0.3
announced() {
	local mode=$1 want=$2 name=add-$1 n set _
	topo_pm_setup default "$SPEC" "$SPEC" "$SPEC" || return 1
	ip -n "$SRV" addr add "$VPS_IP2/32" dev lo
	ip -n "$SRV" mptcp endpoint add "$VPS_IP2" signal || return 1
	pm_cmd add_addr "$mode" || { log "add_addr $mode: $PM_ERR"; return 1; }
	[ "$(pm_status | awk '$1 == "add_addr" {print $2}')" = "$mode" ] ||
		{ log "status does not say add_addr $mode"; return 1; }
	# the server listens on every address, the announced one included
	XFER_LISTEN=0.0.0.0 xfer_bg "$name" 128M up
	for _ in $(seq 50); do
		n=$(ip netns exec "$CLI" ss -tnH state established '( dport = :5201 )' | grep -c .)
		[ "$n" -ge "$want" ] && break
		sleep 0.1
	done
	sleep 1	# and no more than that appear
	set=$(ip netns exec "$CLI" ss -tnH state established '( dport = :5201 )' |
		awk '{sub(/:[0-9]+$/, "", $3); sub(/%.*/, "", $3); sub(/:[0-9]+$/, "", $4); print $3 ">" $4}' | sort | tr '\n' ' ')
	n=$(echo "$set" | wc -w)
	log "add_addr $mode: $n subflows: $set"
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer ended before the count"; xfer_wait; return 1; }
	xfer_wait || { log "transfer failed"; return 1; }
	xfer_intact "$name" || { log "not byte-identical"; return 1; }
	[ "$n" -eq "$want" ] || { log "expected $want subflows"; return 1; }
	[ "$mode" = ignore ] && return 0
	# one per (path, address): every pair present
	for i in 1 2 3; do
		for a in "$VPS_IP" "$VPS_IP2"; do
			[[ " $set" == *" 10.0.$i.1>$a "* ]] || { log "no subflow 10.0.$i.1 -> $a"; return 1; }
		done
	done
}
add_addr_both() {
	announced ignore 3 && topo_cleanup && announced accept 6
}
ktap_test_result "${T[6]}" add_addr_both
topo_cleanup

ktap_finished
