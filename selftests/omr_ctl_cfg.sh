#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omrctl's configuration commands (issue #4): the scheduler's tunables
# (sched show|set, global), the path manager's settings (pm set KEY VALUE,
# per namespace), path change (backup, enabled, weight, saddr, gw) and the
# usage part of status. Each is shown to change what the module does, not
# only what it replies: a backup path carries no data, a disabled path
# loses its subflow and gets it back, a source address is the one a new
# subflow leaves from. Bad values are refused naming the argument and
# change nothing; user nobody is refused every set command.
source "$(dirname "$0")/lib.sh"
CTL=$top/ctl/omrctl
PARAMS=/sys/module/omr/parameters
BIN=/tmp/omr-ctl-cfg-bin.$$
trap 'ip netns del omr-cfg2 2>/dev/null; rm -rf "$BIN"; cleanup_all' EXIT
omr_load

T=("sched: set loss_penalty and burst: sched show -j, status -j and the module parameters show the new values; set back"
	"sched: out of range (ERANGE), unknown tunable, not a number: refused naming the argument; nothing changes"
	"pm: set six settings: pm show -j and status -j show them; another netns keeps the defaults; the pm_* parameters are read-only (0444)"
	"pm: loss_lo >= loss_hi, backoff_min_ms > backoff_max_ms, fail_ms < stall_ms (EINVAL), tick_ms 5 (ERANGE), unknown key: refused naming the argument; a request with one bad value sets none"
	"path change backup on: eth2's subflows ask for backup within 3 s and carry no data for 2 s while eth1/eth3 do; backup off: within 3 s none asks for backup and eth2 carries data again (all while the transfer runs)"
	"path change enabled off: eth2's subflow goes within 2 s, the path stays (enabled false); enabled on: a subflow on eth2 again within 3 s"
	"path change saddr: a second address of eth2 is the path's address and a new connection's eth2 subflow leaves from it; weight and gw are stored and shown; saddr not on the device: EADDRNOTAVAIL naming it; unknown path ENOENT; nothing changes"
	"status: usage counts the omr-scheduled connections of this netns (0 with the default scheduler, >= 1 with omr) and, for root, the namespaces with the PM enabled"
	"user nobody gets EPERM for sched set, pm set KEY VALUE and path change; nothing changes")

ktap_print_header
ktap_set_plan ${#T[@]}

SPEC="20mbit 10ms"
ctl() { "$CTL" -n "$CLI" "$@"; }

# ctl_fails RC TEXT... -- ARGS...: omrctl exits RC and its stderr has each TEXT.
ctl_fails() {
	local want=$1 out rc t
	local -a texts=()
	shift
	while [ "$1" != -- ]; do texts+=("$1"); shift; done
	shift
	out=$(ctl "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq "$want" ] || { log "omrctl $*: exit $rc '$out', expected $want"; return 1; }
	for t in "${texts[@]}"; do
		[[ $out == *"$t"* ]] || { log "omrctl $*: '$out' lacks '$t'"; return 1; }
	done
	log "omrctl $*: $out"
}

# user nobody, with a copy of omrctl it can run
nobody() {
	mkdir -p "$BIN" && cp "$CTL" "$BIN/" && chmod 755 "$BIN" "$BIN/omrctl" || return 1
	ip netns exec "$CLI" setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/omrctl" "$@"
}

# Everything configurable, as omrctl and /proc show it.
cfg() {
	{
		ctl -j sched show
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

[ -x "$CTL" ] || log "missing $CTL: make -C ctl"
topo_pm_setup default "$SPEC" "$SPEC" "$SPEC"

sched_set() {
	local js
	ctl sched set loss_penalty 250 burst 32768 || return 1
	js=$(ctl -j sched show)
	log "sched show -j: $js"
	echo "$js" | jq -e '.loss_penalty == 250 and .burst == 32768 and
		.loss_gain == 64 and .rtt_unknown_us == 100000' >/dev/null || return 1
	ctl -j status | jq -e '.sched.loss_penalty == 250 and .sched.burst == 32768' >/dev/null ||
		{ log "status -j: $(ctl -j status | jq -c .sched)"; return 1; }
	[ "$(cat $PARAMS/loss_penalty) $(cat $PARAMS/burst)" = "250 32768" ] ||
		{ log "parameters: $(cat $PARAMS/loss_penalty) $(cat $PARAMS/burst)"; return 1; }
	ctl sched set loss_penalty 100 burst 65428 || return 1
	[ "$(ctl -j sched show | jq -c '[.loss_penalty, .burst]')" = "[100,65428]" ]
}
ktap_test_result "${T[0]}" sched_set

sched_bad() {
	local before
	before=$(cfg)
	ctl_fails 1 "'loss_gain 0'" "Numerical result out of range" -- sched set loss_penalty 300 loss_gain 0 || return 1
	ctl_fails 1 "'burst 2000000'" "out of range" -- sched set burst 2000000 || return 1
	ctl_fails 2 "unknown tunable 'frob'" -- sched set frob 1 || return 1
	ctl_fails 2 "loss_gain 'x'" -- sched set loss_gain x || return 1
	ctl_fails 2 "nothing to set" -- sched set || return 1
	unchanged "$before"
}
ktap_test_result "${T[1]}" sched_bad

pm_settings() {
	local js p mode
	ctl pm set tick_ms 50 loss_hi 200 loss_lo 50 backoff_min_ms 100 backoff_max_ms 5000 join_timeout_ms 2000 || return 1
	js=$(ctl -j pm show)
	log "pm show -j: $js"
	echo "$js" | jq -e '.tick_ms == 50 and .loss_hi == 200 and .loss_lo == 50 and
		.backoff_min_ms == 100 and .backoff_max_ms == 5000 and
		.join_timeout_ms == 2000 and .stall_ms == 500 and .fail_ms == 1000 and
		.hold_ms == 3000 and .rtt_hi_ms == 0 and .enabled == true' >/dev/null || return 1
	ctl -j status | jq -e '.pm.tick_ms == 50 and .pm.loss_lo == 50' >/dev/null || return 1
	# per namespace: a new one starts from the defaults (the parameters)
	ip netns add omr-cfg2 || return 1
	"$CTL" -n omr-cfg2 -j pm show | jq -e '.tick_ms == 100 and .loss_hi == 150 and
		.backoff_max_ms == 10000' >/dev/null || { log "omr-cfg2: $("$CTL" -n omr-cfg2 -j pm show)"; return 1; }
	ip netns del omr-cfg2
	for p in $PARAMS/pm_*; do
		mode=$(stat -c %a "$p")
		[ "$mode" = 444 ] || { log "$p: mode $mode"; return 1; }
	done
	[ "$(cat $PARAMS/pm_tick_ms)" = 100 ] || return 1
	! echo 60 2>/dev/null >$PARAMS/pm_tick_ms || { log "pm_tick_ms was writable"; return 1; }
	[ "$(cat $PARAMS/pm_tick_ms)" = 100 ]
}
ktap_test_result "${T[2]}" pm_settings

pm_bad() {
	local before
	before=$(cfg)
	ctl_fails 1 "'loss_lo 200'" "loss_lo (200) must be below loss_hi (200)" -- pm set loss_lo 200 || return 1
	ctl_fails 1 "'loss_hi 40'" "must be below loss_hi (40)" -- pm set loss_hi 40 || return 1
	ctl_fails 1 "'backoff_min_ms 6000'" "must not exceed backoff_max_ms (5000)" -- pm set backoff_min_ms 6000 || return 1
	ctl_fails 1 "'fail_ms 300'" "must not be below stall_ms" -- pm set fail_ms 300 || return 1
	ctl_fails 1 "'tick_ms 5'" "Numerical result out of range" -- pm set tick_ms 5 || return 1
	# all or nothing: a good value with a bad one is not applied either
	ctl_fails 1 "'loss_lo 300'" -- pm set hold_ms 700 tick_ms 60 loss_lo 300 || return 1
	ctl_fails 1 "'backoff_max_ms 50'" "out of range" -- pm set disable backoff_max_ms 50 || return 1
	ctl_fails 2 "unknown setting 'tickms'" -- pm set tickms 60 || return 1
	ctl_fails 2 "tick_ms '-1'" -- pm set tick_ms -1 || return 1
	unchanged "$before"
}
ktap_test_result "${T[3]}" pm_bad

wait_subflows() {
	local want=$1 t0
	t0=$(now_ms)
	while [ "$(sf_count)" -lt "$want" ]; do
		[ $(($(now_ms) - t0)) -gt 8000 ] && { log "$(sf_count) subflows, $want expected"; return 1; }
		sleep 0.2
	done
}

# Test 5 reads omr-watch's samples of the client's subflows (every 100 ms):
# bk_acked ADDR T: bytes acked on the subflows from ADDR in the last sample
# at or before T (mono ms).
bk_acked() {
	awk -v a="$1" -v t="$2" "$WATCH_AWK"'$2 == "sf" && $1 <= t { n = 0
		for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL == a) n += F_ACKED } }
		END { print n + 0 }' "$TMP/bk.watch"
}
# bk_flags_at T: eth2's subflows in the first sample after T, "PORT/FLAGS;..."
bk_flags_after() {
	awk -v t="$1" "$WATCH_AWK"'$2 == "sf" && $1 > t { for (i = 1; i <= $3; i++) { sf_parse(i)
		if (F_LOCAL == "10.0.2.1") s = s F_LPORT "/" F_FLAGS ";" } print s; exit }' "$TMP/bk.watch"
}
# bk_wait T WANT: from T, the first sample in which eth2 has subflows and
# all (WANT=b) or none (WANT=-) ask for backup; prints its time.
bk_wait() {
	local cond='n && k == n'
	[ "$2" = - ] && cond='n && k == 0'
	watch_until bk 3 '$2 == "sf" && $1 > '"$1"' { n = 0; k = 0
		for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL != "10.0.2.1") continue; n++; if (F_FLAGS ~ /b/) k++ }
		if ('"$cond"') { print int($1) > "/dev/stderr"; ok = 1; exit } } END { exit !ok }' 2>&1 | tail -n 1
}
# bk_window T0: bytes acked per path from T0 to T0 + 2 s ("D1 D2 D3"),
# once omr-watch has sampled past it.
bk_window() {
	local t0=$1 i out=
	while [ "$(mono_ms)" -lt $((t0 + 2300)) ]; do sleep 0.1; done
	for i in 1 2 3; do
		out="$out $(($(bk_acked 10.0.$i.1 $((t0 + 2000))) - $(bk_acked 10.0.$i.1 "$t0")))"
	done
	echo $out
}

backup_change() {
	local d1 d2 d3 rc=0 t_on t_b t_off t_nb
	watch_start bk "$CLI" -i 100 -t 120 -r "$VPS_IP" || return 1
	xfer_bg bk 0 up -D 30000
	wait_subflows 3 || { xfer_wait; return 1; }
	t_on=$(mono_ms)
	ctl path change dev eth2 backup on || { xfer_wait; return 1; }
	ctl -j path show | jq -e '.[1].backup == true' >/dev/null || rc=1
	t_b=$(bk_wait "$t_on" b)
	[ -n "$t_b" ] || { log "eth2's subflows do not ask for backup 3 s after backup on: $(tail -n 1 "$TMP/bk.watch")"; rc=1; t_b=$(mono_ms); }
	# what was queued on it drains for 1 s, then 2 s of data
	read -r d1 d2 d3 <<<"$(bk_window $((t_b + 1000)))"
	log "backup on: eth2 asks for backup $((t_b - t_on)) ms after the command; the next 2 s but one: eth1 +$d1 eth2 +$d2 eth3 +$d3 bytes"
	[ "$d2" -lt 20000 ] || { log "eth2 carried data as a backup"; rc=1; }
	[ "$d1" -gt 500000 ] && [ "$d3" -gt 500000 ] || { log "eth1/eth3 idle"; rc=1; }
	t_off=$(mono_ms)
	ctl path change dev eth2 backup off || rc=1
	t_nb=$(bk_wait "$t_off" -)
	if [ -z "$t_nb" ]; then
		log "eth2's subflows still ask for backup 3 s after backup off: $(bk_flags_after $((t_off + 3000)))"
		log "(at backup off: $(bk_flags_after "$t_off"))"
		log "conn show: $(ctl -j conn show | jq -c '[.[] | select(.pm) | .subflows[] | select(.dev == "eth2")]')"
		rc=1
		t_nb=$(mono_ms)
	fi
	read -r d1 d2 d3 <<<"$(bk_window $((t_nb + 500)))"
	log "backup off: none asks for backup $((t_nb - t_off)) ms after the command; 2 s from 0.5 s later: eth1 +$d1 eth2 +$d2 eth3 +$d3 bytes"
	[ "$d2" -gt 500000 ] || { log "eth2 carries no data after backup off"; rc=1; }
	xfer_wait || { log "transfer failed"; rc=1; }
	watch_stop bk
	xfer_running bk srv $((t_nb + 2500)) || { log "the transfer ended before the last 2 s window"; rc=1; }
	xfer_intact bk || { log "not byte-identical"; rc=1; }
	return $rc
}
ktap_test_result "${T[4]}" backup_change

enabled_change() {
	local rc=0 t0 list
	xfer_bg en 160M up
	wait_subflows 3 || { xfer_wait; return 1; }
	ctl path change dev eth2 enabled off || { xfer_wait; return 1; }
	t0=$(now_ms)
	while sf_list | grep -q '^10\.0\.2\.1[%:]'; do
		[ $(($(now_ms) - t0)) -gt 2000 ] && { log "eth2's subflow still there 2 s after enabled off"; rc=1; break; }
		sleep 0.1
	done
	log "enabled off: eth2's subflow gone after $(($(now_ms) - t0)) ms"
	ctl -j path show | jq -e '.[1].dev == "eth2" and .[1].enabled == false and length == 3' >/dev/null ||
		{ log "path show -j: $(ctl -j path show)"; rc=1; }
	sleep 1
	list=$(sf_list | tr '\n' ' ')
	[[ $list == *10.0.1.1* && $list == *10.0.3.1* && $list != *10.0.2.1* ]] ||
		{ log "subflows while eth2 is disabled: $list"; rc=1; }
	ctl path change dev eth2 enabled on || rc=1
	t0=$(now_ms)
	until sf_list | grep -q '^10\.0\.2\.1[%:]'; do
		[ $(($(now_ms) - t0)) -gt 3000 ] && { log "no eth2 subflow 3 s after enabled on"; rc=1; break; }
		sleep 0.1
	done
	log "enabled on: eth2's subflow back after $(($(now_ms) - t0)) ms"
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact en || { log "not byte-identical"; rc=1; }
	return $rc
}
ktap_test_result "${T[5]}" enabled_change

saddr_change() {
	local before rc=0 js list
	ip -n "$CLI" addr add 10.0.2.9/24 dev eth2 || return 1
	ip -n "$CLI" rule add from 10.0.2.9 table 102 || return 1
	before=$(cfg)
	ctl_fails 1 "'saddr 10.0.3.1'" "10.0.3.1 is not an address of eth2" "Cannot assign requested address" -- path change dev eth2 saddr 10.0.3.1 || return 1
	ctl_fails 1 "No such file or directory" "no path on this device" -- path change dev eth7 weight 3 || return 1
	ctl_fails 1 "'weight 0'" "out of range" -- path change dev eth2 weight 0 saddr 10.0.2.9 || return 1
	ctl_fails 2 "saddr 'x'" -- path change dev eth2 saddr x || return 1
	ctl_fails 2 "unknown setting 'mtu'" -- path change dev eth2 mtu 1400 || return 1
	unchanged "$before" || return 1
	ctl path change dev eth2 saddr 10.0.2.9 weight 7 gw 10.0.2.2 || return 1
	js=$(ctl -j path show)
	log "path show -j: $(echo "$js" | jq -c '.[1]')"
	echo "$js" | jq -e '.[1] | .addr == "10.0.2.9" and .saddr == "10.0.2.9" and
		.weight == 7 and .gw == "10.0.2.2" and .link == "up"' >/dev/null || return 1
	local t_list
	# 20 s: wait_subflows and the ss after it are a few spawns, seconds on
	# a busy machine; the transfer must still run when the list is taken.
	xfer_bg sa 0 up -D 20000
	wait_subflows 3 || rc=1
	sleep 0.5
	t_list=$(mono_ms)
	list=$(sf_list | tr '\n' ' ')
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact sa || rc=1
	xfer_running sa srv "$t_list" || { log "the transfer had ended when the subflows were listed"; rc=1; }
	log "subflows: $list"
	[[ $list == *10.0.2.9* && $list != *10.0.2.1[:%]* ]] || { log "the eth2 subflow does not leave from 10.0.2.9"; rc=1; }
	ctl path change dev eth2 saddr none gw none || rc=1
	ctl -j path show | jq -e '.[1] | .addr == "10.0.2.1" and .saddr == null and .gw == null' >/dev/null ||
		{ log "after saddr none: $(ctl -j path show | jq -c '.[1]')"; rc=1; }
	return $rc
}
ktap_test_result "${T[6]}" saddr_change

usage_counts() {
	local js n rc=0 t_js
	js=$(ctl -j status)
	log "usage (scheduler default): $(echo "$js" | jq -c .usage)"
	echo "$js" | jq -e '.usage.sched_conns == 0 and .usage.pm_enabled == true and
		.usage.netns >= 3 and .usage.netns_pm >= 1' >/dev/null || rc=1
	n=$(echo "$js" | jq .usage.netns_pm)
	ns_sysctl "$CLI" net.mptcp.scheduler=omr || return 1
	xfer_bg us 0 up -D 8000
	sleep 2
	t_js=$(mono_ms)
	js=$(ctl -j status)
	xfer_wait || rc=1
	xfer_running us srv "$t_js" || { log "the transfer had ended when status ran"; rc=1; }
	log "usage (scheduler omr, a transfer): $(echo "$js" | jq -c .usage)"
	echo "$js" | jq -e '.usage.sched_conns >= 1 and .usage.netns_sched >= 1' >/dev/null || rc=1
	ctl pm set disable || rc=1
	[ "$(ctl -j status | jq .usage.netns_pm)" = $((n - 1)) ] || { log "netns_pm not $((n - 1)) after disable"; rc=1; }
	ctl pm set enable || rc=1
	# the namespace counts are for the initial user namespace's admin only
	nobody -j status |
		jq -e '.usage | has("sched_conns") and (has("netns") | not)' >/dev/null ||
		{ log "nobody sees the namespace counts"; rc=1; }
	ns_sysctl "$CLI" net.mptcp.scheduler=default
	return $rc
}
ktap_test_result "${T[7]}" usage_counts

unprivileged() {
	local before out args
	before=$(cfg)
	for args in "sched set burst 20000" "pm set tick_ms 60" "pm set loss_lo 10" \
		"path change dev eth1 backup on" "path change dev eth1 enabled off" \
		"path change dev eth1 weight 5" "path change dev eth1 gw 10.0.1.2"; do
		# shellcheck disable=SC2086
		out=$(nobody $args 2>&1)
		[ $? -eq 1 ] && [[ $out == *"Operation not permitted"* ]] ||
			{ log "nobody: omrctl $args: '$out'"; return 1; }
		log "nobody: omrctl $args: $out"
	done
	nobody -j sched show |
		jq -e '.burst == 65428' >/dev/null || { log "nobody cannot read sched show"; return 1; }
	unchanged "$before"
}
ktap_test_result "${T[8]}" unprivileged
topo_cleanup

ktap_finished
