#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec (uapi/omr.yaml) against the running module: the kernel's own
# generic client, tools/net/ynl/cli.py of linux-source-6.12 (unpacked on the
# host by scripts/ynl.sh into .cache/ynl/, seen here over 9p), drives every
# command of the family from the spec alone, and the policies the kernel
# advertises (nlctrl getpolicy) are compared with the spec's types and
# ranges. No omrctl: what works here works for any YNL client.
source "$(dirname "$0")/lib.sh"
trap 'kill $EV_PID 2>/dev/null; ip netns del omr-ynl 2>/dev/null; cleanup_all' EXIT

YNL=$top/.cache/ynl/6.12/tools/net/ynl
SPEC=$top/uapi/omr.yaml
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NS=omr-ynl
PARAMS=/sys/module/omr/parameters

# ynl NS ARGS...: cli.py in namespace NS, JSON out. The schema is checked
# on the host (scripts/ynl.sh check); the VM need not have jsonschema.
# An error is printed as "#" lines (KTAP), an ACK's "null" not at all.
ynl() {
	local ns=$1 out rc
	shift
	out=$(ip netns exec "$ns" "$PY" "$YNL/cli.py" --spec "$SPEC" --no-schema --output-json "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$out" | sed 's/^/# /'
	elif [ "$out" != null ]; then
		echo "$out"
	fi
	return $rc
}

ktap_print_header
ktap_set_plan 9

omr_unload
omr_load
ip netns add "$NS" && ip -n "$NS" link set lo up

list_ops() {
	local ops
	"$PY" -c 'import yaml' || { log "no PyYAML for $PY"; return 1; }
	[ -f "$YNL/cli.py" ] || { log "no $YNL/cli.py (scripts/ynl.sh tools)"; return 1; }
	ops=$("$PY" "$YNL/cli.py" --spec "$SPEC" --no-schema --list-ops | awk '{print $1}' | sort | xargs)
	log "ops: $ops"
	[ "$ops" = "get-conns get-paths get-sched get-status path-add path-change path-del set-pm set-sched" ]
}
ktap_test_result "cli.py: python3, PyYAML and the YNL library reachable; the spec's 9 requests listed" list_ops

get_status() {
	local js
	js=$(ynl "$NS" --do get-status) || return 1
	log "$js"
	echo "$js" | jq -e --arg v "$(cat /sys/module/omr/version)" --arg k "$(uname -r)" '
		.version == $v and .kernel == $k and (.pm.enabled == 0) and
		(.pm["tick-ms"] > 0) and (.sched.burst == 65428) and
		(.counters | has("creates")) and (.usage | has("sched-conns"))' >/dev/null
}
ktap_test_result "get-status: version, kernel release, pm, sched, counters and usage as the module has them" get_status

# cli.py costs seconds per run under TCG (Python, the spec parsed): one
# run sends several requests where it can (--multi, in one batch).
set_sched() {
	local js
	js=$(ynl "$NS" --multi set-sched \
		'{"sched": {"loss-penalty": 250, "loss-gain": 32, "rtt-unknown-us": 50000, "burst": 32768}}' \
		--multi get-sched '{}') || return 1
	log "$js"
	echo "$js" | jq -e '.[1].sched == {"loss-penalty": 250, "loss-gain": 32,
		"rtt-unknown-us": 50000, "burst": 32768}' >/dev/null || return 1
	[ "$(cat $PARAMS/loss_penalty $PARAMS/loss_gain $PARAMS/rtt_unknown_us $PARAMS/burst | xargs)" = \
		"250 32 50000 32768" ] || { log "parameters: $(cat $PARAMS/* | xargs)"; return 1; }
	ynl "$NS" --do set-sched --json \
		'{"sched": {"loss-penalty": 100, "loss-gain": 64, "rtt-unknown-us": 100000, "burst": 65428}}'
}
ktap_test_result "set-sched: four tunables in one request; get-sched and the module parameters show them" set_sched

set_sched_range() {
	local out
	out=$(ynl "$NS" --do set-sched --json '{"sched": {"loss-gain": 16, "burst": 1447}}') && return 1
	log "$out"
	echo "$out" | grep -q "Numerical result out of range" || return 1
	[ "$(cat $PARAMS/loss_gain $PARAMS/burst | xargs)" = "64 65428" ]
}
ktap_test_result "set-sched: burst under OMR_SCHED_BURST_MIN is refused (ERANGE) and changes nothing" set_sched_range

# Addresses are nests of a family and bytes (hex in, an address out).
paths() {
	local js
	modprobe -q veth && ip -n "$NS" link add ynl0 type veth peer name ynl1 || return 1
	ynl "$NS" --multi path-add '{"path": {"ifname": "ynl0", "flags": 1}}' \
		--multi path-add '{"path": {"ifname": "ynl1"}}' \
		--multi path-change '{"path": {"ifname": "ynl0", "weight": 7, "gw": {"family": 2, "addr": "0a090001"}}}' \
		--multi path-change '{"path": {"ifname": "ynl1", "gw": {"family": 10, "addr": "20010db8000000000000000000000001"}}}' \
		>/dev/null || return 1
	js=$(ynl "$NS" --dump get-paths) || return 1
	log "$js"
	echo "$js" | jq -e 'length == 2 and .[0].path.ifname == "ynl0" and
		.[0].path.weight == 7 and .[0].path.gw == {"family": 2, "addr": "10.9.0.1"} and
		(.[0].path.flags | tostring | test("backup")) and
		.[1].path.gw == {"family": 10, "addr": "2001:db8::1"}' >/dev/null || return 1
	js=$(ynl "$NS" --multi path-del '{"path": {"ifname": "ynl0"}}' \
		--multi path-del '{"path": {"ifname": "ynl1"}}' --multi get-status '{}') || return 1
	echo "$js" | jq -e '.[2].pm.paths == 0' >/dev/null
}
ktap_test_result "path-add, path-change, get-paths, path-del: a path round trip, an IPv4 and an IPv6 gateway (address nests)" paths

set_pm() {
	local js
	js=$(ynl "$NS" --multi set-pm '{"pm": {"tick-ms": 200, "add-addr-accept": 1}}' \
		--multi get-status '{}') || return 1
	echo "$js" | jq -e '.[1].pm["tick-ms"] == 200 and .[1].pm["add-addr-accept"] == 1' >/dev/null ||
		{ log "$js"; return 1; }
	# a cross-field rule: fail-ms under stall-ms
	! ynl "$NS" --do set-pm --json '{"pm": {"stall-ms": 2000, "fail-ms": 1000}}' >/dev/null
}
ktap_test_result "set-pm: settings applied and read back; a broken cross-field rule is refused" set_pm

# The router runs omr's PM and scheduler; a transfer over two paths.
topo_pm_setup omr "100mbit 5ms" "100mbit 5ms" || log "topology setup failed"

get_conns() {
	local js
	# Big enough to outlast a cli.py run or three; stopped once dumped.
	xfer_bg conns 1000000000 up || return 1
	for _ in 1 2 3; do
		sleep 2
		js=$(ynl "$CLI" --dump get-conns) || return 1
		echo "$js" | jq -e '[.[] | select(.conn.sched == "omr" and
			(.conn.subflows | length) == 2)] | length >= 1' >/dev/null && break
	done
	kill "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
	wait "$XFER_CLI_PID" "$XFER_SRV_PID" 2>/dev/null
	log "$(echo "$js" | jq -c '[.[].conn | {sched, flags, n: (.subflows | length), sent: [.subflows[] | (if has("bytes-sent") then . else first(.[]) end)["bytes-sent"]]}]')"
	# the upload's data: on at least one subflow (a join made a moment
	# ago may not have sent yet). ynl decodes an indexed-array item as
	# {"INDEX": {...}}.
	echo "$js" | jq -e '[.[] | select(.conn.sched == "omr" and (.conn.subflows | length) == 2 and
		(.conn.subflows | any(((if has("bytes-sent") then . else first(.[]) end)["bytes-sent"] // 0) > 0)))] | length >= 1' >/dev/null
}
ktap_test_result "get-conns: the transfer's connection, on omr, with its two subflows" get_conns

events() {
	local ready=$TMP/ev.ready js i
	ip netns exec "$CLI" "$PY" "$top/selftests/ynl_helper.py" "$YNL" events "$SPEC" 60 "$ready" \
		>"$TMP/ev.json" 2>"$TMP/ev.err" &
	EV_PID=$!
	for i in $(seq 100); do [ -e "$ready" ] && break; sleep 0.2; done
	[ -e "$ready" ] || { log "no subscription: $(cat "$TMP/ev.err")"; return 1; }
	path_down 2
	sleep 2
	path_up 2
	touch "$ready.stop"
	wait "$EV_PID" || { log "$(cat "$TMP/ev.err")"; return 1; }
	js=$(cat "$TMP/ev.json")
	log "$(echo "$js" | jq -c '[.[] | .msg.event | {type, reason, ifname}]')"
	echo "$js" | jq -e '[.[] | select(.name == "event" and .msg.event.type == "path-down" and
		.msg.event.ifname == "eth2")] | length == 1' >/dev/null &&
	echo "$js" | jq -e '[.[] | select(.msg.event.type == "path-up" and
		.msg.event.ifname == "eth2")] | length == 1' >/dev/null
}
ktap_test_result "events: the spec decodes the path manager's path-down and path-up" events

policies() {
	local out
	out=$("$PY" "$top/selftests/ynl_helper.py" "$YNL" policy "$SPEC" 2>&1)
	local rc=$?
	echo "$out" | sed 's/^/# /'
	return $rc
}
ktap_test_result "policies: the kernel's (nlctrl getpolicy) match the spec's types and ranges" policies

topo_cleanup
ip netns del "$NS"
omr_unload
ktap_finished
