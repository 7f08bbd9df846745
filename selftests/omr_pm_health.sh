#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr's path manager (issue #3), path health without link events: a black
# hole (100 % loss both ways, the link stays up) demotes the path to backup
# within 1.5 s and it is promoted back once the loss stops; a flapping path
# (down/up every 2 s for 30 s) never leaves more subflows than paths nor
# makes unbounded joins, and once the namespaces are gone the MPTCP socket
# caches are back to where they were.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

T=("black hole: 100 % loss on eth2 demotes it within 1500 ms, the subflows left on it ask for backup"
	"black hole: loss stops, eth2 promoted within 15 s (health ok, a regular subflow on it, the VPS sees it regular); byte-identical, longest gap < 2000 ms"
	"flapping: eth2 down/up every 2 s for 30 s: at every 200 ms sample <= 3 client and <= 9 VPS subflows, creates <= 2 x toggles + 3, byte-identical"
	"flapping: MPTCP, MPTCPv6, request_sock_subflow_v4/v6 objects back within 4 of the baseline once the netns are gone"
	"rtt: with rtt_hi_ms 450 (omrctl pm set) a 600 ms-RTT path is demoted within 3 s (its subflow asks for backup, the VPS sees it), the 20 ms ones (queues of 60 packets: under ~200 ms full) are not; with 0 it is promoted again")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

# Active objects of a cache, per-cpu slabs flushed first (SLUB's slabinfo
# counts their free objects as active). The baseline is taken before any
# test: the last test checks that nothing of them stays.
slab_objs() {
	[ -w "/sys/kernel/slab/$1/shrink" ] && echo 1 >"/sys/kernel/slab/$1/shrink"
	awk -v n="$1" '$1 == n {print $2; f = 1} END {if (!f) print "none"}' /proc/slabinfo
}
SLABS="MPTCP MPTCPv6 request_sock_subflow_v4 request_sock_subflow_v6"
declare -A base
for c in $SLABS; do base[$c]=$(slab_objs "$c"); done
log "slab baseline: $(for c in $SLABS; do printf '%s=%s ' "$c" "${base[$c]}"; done)"

ctl() { "$OMRCTL" -n "$CLI" "$@"; }
# path_health DEV: the PM's health of a path (ok, demoted), omrctl path show
path_health() { ctl -j path show | jq -r --arg d "$1" '.[] | select(.dev == $d) | .health'; }
pm_counter() { ctl -j status | jq -r ".counters.$1"; }

# eth2 carries the upload: a sample shows an eth2 subflow past 256 KB acked.
eth2_moving() {
	watch_until "$1" 15 '$2 == "sf" { for (i = 1; i <= $3; i++) { sf_parse(i)
		if (F_LOCAL == "10.0.2.1" && F_ACKED > 262144) f = 1 } }
		END { exit !f }'
}

# Test 4: 3 x 20 Mbit/s, a 30 s upload; eth2 black-holed for 8 s once it
# carries data. Times are omr-watch's: the black hole begins with the first
# of the two netem changes (the VPS's end, which path_loss changes first:
# ACKs stop) and ends with the second (the router's: both ways clean).
topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms"
watch_start bh "$CLI" -i 50 -t 90 -r "$VPS_IP"
watch_start bhs "$SRV" -i 100 -t 90 -p 5201
xfer_bg bh 0 up -D 30000
eth2_moving bh || log "no data on eth2 15 s in"
path_loss 2 100%

# the earlier of the two ends' netem changes to 100 %
bh_began() {
	local c v
	c=$(watch_event bh loss eth2 100)
	v=$(watch_event bhs loss eth2 100)
	[ -n "$v" ] && [ -n "$c" ] && [ "$v" -lt "$c" ] && c=$v
	echo "$c"
}

# Demoted: the first sample after the loss began in which no eth2 subflow
# is left that does not ask for backup (MP_PRIO; or none left: a black
# hole's subflows are closed fail_ms later), and the PM says demoted.
demoted() {
	local t h flags
	watch_until bh 5 '$2 == "loss" && $3 == "eth2" && $4 == 100 { l = 1; next }
		l && $2 == "sf" { n = 0; for (i = 1; i <= $3; i++) { sf_parse(i)
			if (F_LOCAL == "10.0.2.1" && F_FLAGS !~ /b/) n++ }
			if (!n) { ok = 1; exit } } END { exit !ok }' || { log "eth2 not demoted 5 s into the black hole: $(tail -n 1 "$TMP/bh.watch")"; return 1; }
	h=$(path_health eth2)
	t_loss=$(bh_began)
	read -r t flags <<<"$(awk -v t0="$t_loss" "$WATCH_AWK"'$2 == "sf" && $1 > t0 {
		n = 0; s = ""; for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL != "10.0.2.1") continue
			s = s F_LPORT "/" F_FLAGS ";"; if (F_FLAGS !~ /b/) n++ }
		if (!n) { print int($1 - t0), (s == "" ? "none" : s); exit } }' "$TMP/bh.watch")"
	log "eth2 demoted $t ms after the black hole began (health now '$h'); its subflows then: $flags"
	[ "$h" = demoted ] || { log "the PM says eth2 is '$h'"; return 1; }
	[ "$t" -le 1500 ] || { log "too slow: $t ms > 1500 ms"; return 1; }
}
ktap_test_result "${T[0]}" demoted
t_loss=$(bh_began)
while [ "$(mono_ms)" -lt $((${t_loss:-0} + 8000)) ]; do sleep 0.1; done
path_loss 2 0%

# Promoted: from the router's netem change, the first moment a client
# subflow on eth2 does not ask for backup and the VPS's end of that very
# subflow is not backup either (MP_PRIO reached it, or the join never asked).
# "MS PORT" of it, from both omr-watch logs.
promoted_at() {
	local t0=$1
	{
		awk -v t0="$t0" "$WATCH_AWK"'$2 == "sf" && $1 > t0 { for (i = 1; i <= $3; i++) { sf_parse(i)
			if (F_LOCAL == "10.0.2.1" && F_FLAGS !~ /b/ && !(F_LPORT in c)) { c[F_LPORT] = 1; print "c", int($1 - t0), F_LPORT } } }' "$TMP/bh.watch"
		awk -v t0="$t0" "$WATCH_AWK"'$2 == "sf" && $1 > t0 { for (i = 1; i <= $3; i++) { sf_parse(i)
			split(F_REMOTE, r, ":"); if (r[1] == "10.0.2.1" && F_FLAGS !~ /B/ && !(r[2] in v)) { v[r[2]] = 1; print "v", int($1 - t0), r[2] } } }' "$TMP/bhs.watch"
	} | awk '{ if ($1 == "c") c[$3] = $2; else v[$3] = $2 }
		END { for (p in c) if (p in v) { t = c[p] > v[p] ? c[p] : v[p]; if (best == "" || t < best) { best = t; bp = p } }
		if (best != "") print best, bp }'
}
promoted_ok() {
	local rc=0 t_ok t port h
	# the transfer ends 30 s after it began: promotion has > 15 s
	xfer_wait || { log "transfer failed"; rc=1; }
	watch_stop bh
	watch_stop bhs
	h=$(path_health eth2)
	t_ok=$(WATCH_AFTER=${t_loss:-0} watch_event bh loss eth2 0)
	read -r t port <<<"$(promoted_at "${t_ok:-0}")"
	if [ -z "$t" ]; then
		log "eth2 never promoted after the loss stopped (health '$h'); client: $(tail -n 1 "$TMP/bh.watch") VPS: $(tail -n 1 "$TMP/bhs.watch")"
		rc=1
	else
		log "eth2 promoted $t ms after the loss stopped (subflow port $port; health now '$h')"
		[ "$t" -le 15000 ] || { log "too slow: > 15000 ms"; rc=1; }
		xfer_running bh srv $((t_ok + t)) || { log "the transfer was over then"; rc=1; }
	fi
	[ "$h" = ok ] || rc=1
	xfer_intact bh || { log "not byte-identical"; rc=1; }
	log "receiver's longest gap $(jq .rx.max_gap_ms "$TMP/bh.srv.json") ms (limit 2000)"
	jq -e '.rx.max_gap_ms < 2000' "$TMP/bh.srv.json" >/dev/null || rc=1
	return $rc
}
ktap_test_result "${T[1]}" promoted_ok
topo_cleanup

# Test 5. eth2 toggled down/up every 2 s (on the VM's clock, so a slow
# toggle does not stretch the schedule) 15 times during a 40 s upload; one
# omr-watch per namespace samples the subflow counts every 200 ms.
flap_toggles() {
	local t0 k=0
	t0=$(mono_ms)
	while [ $k -lt 15 ]; do
		while [ "$(mono_ms)" -lt $((t0 + (k + 1) * 2000)) ]; do sleep 0.05; done
		if [ $((k % 2)) = 0 ]; then path_down 2; else path_up 2; fi
		k=$((k + 1))
	done
	path_up 2
}
flapping() {
	local toggles samples span maxc maxs creates rc=0 t_first t_last
	topo_pm_setup default "10mbit 10ms" "10mbit 10ms" "10mbit 10ms" || return 1
	watch_start flc "$CLI" -i 200 -t 90 -r "$VPS_IP" || return 1
	watch_start fls "$SRV" -i 200 -t 90 -p 5201 || return 1
	xfer_bg flap 0 up -D 40000
	eth2_moving flc || log "no data on eth2 15 s in"
	flap_toggles
	xfer_wait || { log "transfer failed: $(tail -n 2 "$TMP/flap.cli.err" "$TMP/flap.srv.err" | tr '\n' ' ')"; rc=1; }
	watch_stop flc
	watch_stop fls
	creates=$(pm_counter creates)
	# what omr-watch saw: the 15 toggles (link events of eth2 after its
	# state at start, before the final up) and, from the first to the
	# last, the samples and the most subflows in one
	read -r toggles t_first t_last <<<"$(awk '$2 == "link" && $3 == "eth2" && n++ && k < 15 { k++; if (!f) f = int($1); l = int($1) }
		END { print k + 0, f + 0, l + 0 }' "$TMP/flc.watch")"
	read -r samples maxc <<<"$(awk -v a="$t_first" -v b="$t_last" '$2 == "sf" && $1 >= a && $1 <= b { n++; if ($3 > m) m = $3 }
		END { print n + 0, m + 0 }' "$TMP/flc.watch")"
	maxs=$(awk -v a="$t_first" -v b="$t_last" '$2 == "sf" && $1 >= a && $1 <= b && $3 > m { m = $3 } END { print m + 0 }' "$TMP/fls.watch")
	span=$((t_last - t_first))
	log "flapping: $toggles toggles in $span ms; $samples client samples, at most $maxc subflows; at most $maxs on the VPS; creates ${creates:-?}; counters $(ctl -j status | jq -c .counters)"
	[ "$toggles" -ge 14 ] || { log "omr-watch saw $toggles toggles of eth2"; rc=1; }
	[ "$samples" -ge $((span / 200 * 8 / 10)) ] || { log "too few samples: $samples in $span ms"; rc=1; }
	[ "$maxc" -le 3 ] || { log "client over 3: $(awk '$2 == "sf" && $3 > 3' "$TMP/flc.watch" | head -n 3 | cut -c1-300 | tr '\n' ';')"; rc=1; }
	[ "$maxs" -le 9 ] || { log "VPS over 9: $(awk '$2 == "sf" && $3 > 9' "$TMP/fls.watch" | head -n 3 | cut -c1-300 | tr '\n' ';')"; rc=1; }
	xfer_running flap srv "$t_last" || { log "the transfer was over at the last toggle"; rc=1; }
	xfer_intact flap || { log "not byte-identical"; rc=1; }
	[ -n "$creates" ] && [ "$creates" -le $((2 * toggles + 3)) ] ||
		{ log "creates ${creates:-?} > 2 x $toggles + 3"; rc=1; }
	return $rc
}
ktap_test_result "${T[2]}" flapping
topo_cleanup

slabs_back() {
	local c i now bad
	for i in $(seq 60); do
		bad=
		for c in $SLABS; do
			now=$(slab_objs "$c")
			[ "${base[$c]}" != none ] && [ "$now" != none ] && [ "$now" -le $((base[$c] + 4)) ] ||
				bad="$bad $c=$now (baseline ${base[$c]})"
		done
		[ -z "$bad" ] && { log "slabs back after $((i / 2)) s"; return 0; }
		sleep 0.5
	done
	log "30 s after the netns were deleted:$bad"
	return 1
}
ktap_test_result "${T[3]}" slabs_back

# Test 6: the RTT threshold, a setting of the router namespace's PM.
pm_rtt() {
	local out
	out=$("$OMRCTL" -n "$CLI" pm set rtt_hi_ms "$1" 2>&1) || { log "pm set rtt_hi_ms $1: $out"; return 1; }
	[ "$("$OMRCTL" -n "$CLI" -j pm show | jq .rtt_hi_ms)" = "$1" ] ||
		{ log "pm show after rtt_hi_ms $1: $("$OMRCTL" -n "$CLI" -j pm show)"; return 1; }
}
rtt_demotion() {
	local rc=0 t0 h p
	# The 20 ms paths' queues: 60 packets of 2-3 segments at 20 Mbit/s
	# hold at most ~110 ms, so their RTT stays well under the threshold
	# with the upload filling them (300, the default, took one past 450
	# ms: lib.sh, path_shape). The 600 ms path keeps the default: its
	# queue must not overflow into loss, whose decay delays the promotion.
	topo_pm_setup default "20mbit 10ms 0% 60" "20mbit 10ms 0% 60" "20mbit 300ms" ||
		{ log "topology setup failed"; return 1; }
	local t_fl
	# Bounded by time, not size: it must outlast the demotion, the flags
	# check and the promotion (<= 3 + 1 + 15 s), however slow the machine.
	xfer_bg rtt 0 up -D 30000
	sleep 2
	pm_rtt 450 || { xfer_wait; return 1; }
	t0=$(now_ms)
	while [ "$(path_health eth3)" != demoted ]; do
		[ $(($(now_ms) - t0)) -gt 3000 ] && { log "eth3 not demoted 3 s after rtt_hi_ms 450: $(ctl -j path show | jq -c 'map({dev, health})')"; rc=1; break; }
		sleep 0.1
	done
	for h in eth1 eth2; do
		[ "$(path_health $h)" = ok ] || { log "$h was demoted too"; rc=1; }
	done
	[ $rc = 0 ] || log "paths: $(ctl -j conn show -s | jq -c '[.paths[] |
		{dev, health, demoted_reason, srtt_us, loss_ppm, why}]')"
	log "RTTs: $(ip netns exec "$CLI" ss -tniH state established dst "$VPS_IP" | grep -o 'rtt:[0-9.]*' | tr '\n' ' ')"

	sleep 0.5	# MP_PRIO on its way
	t_fl=$(mono_ms)
	p=$(sf_flags | awk '$1 ~ /^10\.0\.3\.1[%:]/ && $2 ~ /b/ {split($1, a, ":"); print a[2]; exit}')
	[ -n "$p" ] || { log "no eth3 subflow asks for backup: $(sf_flags | tr '\n' ';')"; rc=1; }
	[ -n "$p" ] && ! srv_sf_flags | awk -v p="10.0.3.1:$p" '$1 == p && $2 ~ /B/ {f = 1} END {exit !f}' &&
		{ log "the VPS does not see eth3's subflow as backup: $(srv_sf_flags | tr '\n' ';')"; rc=1; }
	pm_rtt 0 || rc=1
	t0=$(now_ms)
	while [ "$(path_health eth3)" != ok ]; do
		# Promotion also waits for the loss estimate, which the 600 ms
		# path's overflowing queue raised, to decay (as for the black hole).
		[ $(($(now_ms) - t0)) -gt 15000 ] && { log "eth3 not promoted 15 s after rtt_hi_ms 0"; rc=1; break; }
		sleep 0.2
	done
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact rtt || { log "not byte-identical"; rc=1; }
	xfer_running rtt srv "$t_fl" || { log "the transfer had ended when the flags were read"; rc=1; }
	return $rc
}
ktap_test_result "${T[4]}" rtt_demotion
topo_cleanup

ktap_finished
