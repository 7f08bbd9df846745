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
	"rtt: with rtt_hi_ms 450 (omrctl pm set) a 600 ms-RTT path is demoted within 3 s (its subflow asks for backup, the VPS sees it), the 20 ms ones (up to ~200 ms with their queues full) are not; with 0 it is promoted again")

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

# Test 4: 3 x 20 Mbit/s, a long upload; eth2 black-holed from 2 s to 8 s.
topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 10ms"
xfer_bg bh 256M up
sleep 2
t_loss=$(now_ms)
path_loss 2 100%

demoted() {
	local t now h flags
	while :; do
		now=$(now_ms)
		h=$(pm_get path health dev eth2)
		[ "$h" = demoted ] && break
		[ $((now - t_loss)) -gt 5000 ] && { log "eth2 health '$h' 5 s into the black hole"; return 1; }
		sleep 0.1
	done
	t=$((now - t_loss))
	# the local half of MP_PRIO: every subflow left on eth2 asks for backup
	flags=$(sf_flags | awk '$1 ~ /^10\.0\.2\.1[%:]/ {print}' | tr '\n' ';')
	log "eth2 demoted after $t ms; its subflows then: ${flags:-none}; PM: $(pm_status | grep '^path dev eth2 ')"
	[ "$t" -le 1500 ] || { log "too slow: $t ms > 1500 ms"; return 1; }
	if sf_flags | awk '$1 ~ /^10\.0\.2\.1[%:]/ && $2 !~ /b/ {bad = 1} END {exit !bad}'; then
		log "a subflow on eth2 does not ask for backup"
		return 1
	fi
}
ktap_test_result "${T[0]}" demoted
while [ $(($(now_ms) - t_loss)) -lt 8000 ]; do sleep 0.1; done
t_ok=$(now_ms)
path_loss 2 0%

# Promoted: the PM says ok, a client subflow on eth2 does not ask for
# backup, and the VPS's end of that very subflow is not backup either
# (MP_PRIO reached it, or the join never asked).
promoted() {
	local now h p t
	while :; do
		now=$(now_ms)
		h=$(pm_get path health dev eth2)
		p=$(sf_flags | awk '$1 ~ /^10\.0\.2\.1[%:]/ && $2 !~ /b/ {split($1, a, ":"); print a[2]; exit}')
		if [ "$h" = ok ] && [ -n "$p" ] &&
			srv_sf_flags | awk -v p="10.0.2.1:$p" '$1 == p && $2 !~ /B/ {f = 1} END {exit !f}'; then
			break
		fi
		[ $((now - t_ok)) -gt 15000 ] && {
			kill -0 "$XFER_CLI_PID" 2>/dev/null || log "(the transfer is over)"
			log "15 s after the loss stopped: eth2 health '$h'; client: $(sf_flags | tr '\n' ';') VPS: $(srv_sf_flags | tr '\n' ';')"
			return 1
		}
		kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "transfer over before eth2 was promoted ('$h')"; return 1; }
		sleep 0.2
	done
	t=$((now - t_ok))
	log "eth2 promoted $t ms after the loss stopped"
}
promoted_ok() {
	local rc=0
	promoted || rc=1
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact bh || { log "not byte-identical"; rc=1; }
	log "receiver's longest gap $(jq .rx.max_gap_ms "$TMP/bh.srv.json") ms (limit 2000)"
	jq -e '.rx.max_gap_ms < 2000' "$TMP/bh.srv.json" >/dev/null || rc=1
	return $rc
}
ktap_test_result "${T[1]}" promoted_ok
topo_cleanup

# Test 5.
# The toggler and the two samplers (client and VPS subflow counts, one
# long-lived shell per netns: a fork of "ip netns exec" per sample is too
# slow under TCG) run side by side for 30 s.
flapping() {
	local toggles samples maxc maxs creates rc=0 sampler s1 s2
	# established (01) sockets whose remote ($1 = rem) or local ($1 =
	# local) address is the VPS's 10.99.0.2:5201, from /proc/net/tcp
	# read by bash itself: one fork (sleep) per sample
	sampler='end=$((SECONDS + 30)); while [ $SECONDS -lt $end ]; do
		n=0
		while read -r _ l r st _; do
			[ "$st" = 01 ] || continue
			if [ "$1" = rem ]; then a=$r; else a=$l; fi
			[ "$a" = 0200630A:1451 ] && n=$((n + 1))
		done </proc/net/tcp
		echo "$EPOCHREALTIME $n"; sleep 0.2; done'
	topo_pm_setup default "10mbit 10ms" "10mbit 10ms" "10mbit 10ms" || return 1
	xfer_bg flap 96M up
	sleep 2
	ip netns exec "$CLI" bash -c "$sampler" _ rem >"$TMP/flap.cli" &
	s1=$!
	ip netns exec "$SRV" bash -c "$sampler" _ local >"$TMP/flap.srv" &
	s2=$!
	(
		t=0 k=0
		while [ $t -lt 15 ]; do
			sleep 2
			if [ $((t % 2)) = 0 ]; then path_down 2; else path_up 2; fi
			t=$((t + 1)) k=$((k + 1))
			echo $k >"$TMP/flap.toggles"
		done
	)
	wait $s1 $s2
	toggles=$(cat "$TMP/flap.toggles")
	[ $((toggles % 2)) = 0 ] || path_up 2
	creates=$(pm_get counters creates)
	samples=$(wc -l <"$TMP/flap.cli")
	maxc=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$TMP/flap.cli")
	maxs=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$TMP/flap.srv")
	log "flapping: $toggles toggles; $samples client samples, at most $maxc subflows; $(wc -l <"$TMP/flap.srv") VPS samples, at most $maxs; creates ${creates:-?}; $(pm_status | grep '^counters ')"
	[ "$samples" -ge 50 ] || { log "too few client samples: $samples in 30 s"; rc=1; }
	[ "$maxc" -le 3 ] || { log "client over 3: $(awk '$2 > 3' "$TMP/flap.cli" | head -n 3 | tr '\n' ';')"; rc=1; }
	[ "$maxs" -le 9 ] || { log "VPS over 9: $(awk '$2 > 9' "$TMP/flap.srv" | head -n 3 | tr '\n' ';')"; rc=1; }
	xfer_wait || { log "transfer failed"; rc=1; }
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
	topo_pm_setup default "20mbit 10ms" "20mbit 10ms" "20mbit 300ms" ||
		{ log "topology setup failed"; return 1; }
	xfer_bg rtt 96M up
	sleep 2
	pm_rtt 450 || { xfer_wait; return 1; }
	t0=$(now_ms)
	while [ "$(pm_get path health dev eth3)" != demoted ]; do
		[ $(($(now_ms) - t0)) -gt 3000 ] && { log "eth3 not demoted 3 s after rtt_hi_ms 450: $(pm_status | grep '^path ' | tr '\n' ';')"; rc=1; break; }
		sleep 0.1
	done
	for h in eth1 eth2; do
		[ "$(pm_get path health dev $h)" = ok ] || { log "$h was demoted too"; rc=1; }
	done
	log "RTTs: $(ip netns exec "$CLI" ss -tniH state established dst "$VPS_IP" | grep -o 'rtt:[0-9.]*' | tr '\n' ' ')"

	sleep 0.5	# MP_PRIO on its way
	p=$(sf_flags | awk '$1 ~ /^10\.0\.3\.1[%:]/ && $2 ~ /b/ {split($1, a, ":"); print a[2]; exit}')
	[ -n "$p" ] || { log "no eth3 subflow asks for backup: $(sf_flags | tr '\n' ';')"; rc=1; }
	[ -n "$p" ] && ! srv_sf_flags | awk -v p="10.0.3.1:$p" '$1 == p && $2 ~ /B/ {f = 1} END {exit !f}' &&
		{ log "the VPS does not see eth3's subflow as backup: $(srv_sf_flags | tr '\n' ';')"; rc=1; }
	pm_rtt 0 || rc=1
	t0=$(now_ms)
	while [ "$(pm_get path health dev eth3)" != ok ]; do
		# Promotion also waits for the loss estimate, which the 600 ms
		# path's overflowing queue raised, to decay (as for the black hole).
		[ $(($(now_ms) - t0)) -gt 15000 ] && { log "eth3 not promoted 15 s after rtt_hi_ms 0"; rc=1; break; }
		sleep 0.2
	done
	xfer_wait || { log "transfer failed"; rc=1; }
	xfer_intact rtt || { log "not byte-identical"; rc=1; }
	return $rc
}
ktap_test_result "${T[4]}" rtt_demotion
topo_cleanup

ktap_finished
