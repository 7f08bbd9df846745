#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The path manager and a household's connection count (issue #13, part 6),
# inside the VM, not in CI (docs/bench-pm.md, "Connection count", has one
# run's table). For each N of BENCH_CONNS (default "100 1000 20000"): two
# paths of BENCH_CONNS_SPEC, N idle MPTCP connections opened and held by one
# process (selftests/tools/omr-conns), each with a subflow on both; then
#   idle     BENCH_CONNS_IDLE s with the N connections idle: the PM work's
#            own runtime (OMR_CNT_A_WORK_NS) and its locked looks at
#            connections (OMR_CNT_A_VISITS) per second, and the guest's
#            CPU busy % (/proc/stat, everything: a baseline for all)
#   failover eth1 down (both ends): ms until none of the N has a subflow
#            from eth1's address (omr-conns counts on every msk; the
#            resolution is one counting round, given as round_ms)
#   recovery eth1 back (link and routes): ms until all N have one again
#   the PM work's runtime from before the failover to after the recovery;
#   probe    an interactive connection opened after the N (eth2 a backup
#            path): its longest wait for an echo across the failover, and
#            when the PM failed eth1 over (omrctl monitor's failover
#            events: the first, the last, the probe's), from path_down.
# The router's ip_local_port_range is BENCH_PORT_RANGE (10000 65535, as
# omr-boot sets it); omr-conns prints its progress while it opens, and each
# end's counters are sampled meanwhile ($OMR_OUT/open-N.nstat).
# One JSON line per N to $OMR_OUT/pm-conns.jsonl, with tcp: how many of the
# N ran plain TCP (MPTCP fell back, the kernel's token table full) and
# token_buckets: that table's size.
#
# By hand, e.g. (20000 connections need the memory: both ends' 40,000 tokens
# in one kernel, whose MPTCP token table has a bucket per MB of RAM, rounded
# up to a power of two, and at most 4 tokens a bucket; -m 17408 gives 32768
# buckets, where -m 6144 gave 8192 and a third of them fell back to TCP:
# selftests/bench/token-table.sh, docs/path-manager.md):
#   flock /tmp/omr-vm.lock selftests/vm/vm.sh -k 6.12.117+deb12-amd64 -m 17408 \
#     -t 3600 -o out/vm-bench-conns -- selftests/bench/pm-conns-vm.sh
# (vm.sh exports OMR_OUT, its -o directory, where pm-conns.jsonl goes).
source "$(dirname "$0")/../lib.sh"
trap cleanup_all EXIT
omr_load || exit 1

CONNS=$top/selftests/tools/omr-conns
LIST=${BENCH_CONNS:-100 1000 20000}
SPEC=${BENCH_CONNS_SPEC:-100mbit 2ms}
IDLE=${BENCH_CONNS_IDLE:-10}
OMR_OUT=${OMR_OUT:-$TMP}
res=$OMR_OUT/pm-conns.jsonl
: >"$res"

counters() {
	"$OMRCTL" -n "$CLI" -j status |
		jq -c '{conns: .pm.conns, untracked: .counters.untracked,
			visits: .counters.visits, work_ns: .counters.work_ns}'
}

# sample N: every 10 s while connections open, each end's socket counts and
# the nonzero TCP/MPTCP drop, retransmit and listen counters (nstat -a:
# since boot), to $OMR_OUT/open-N.nstat: where an opening waits.
sample() {
	local ns
	while sleep 10; do
		for ns in "$CLI" "$SRV"; do
			echo "== $(date +%s) $ns $(ip netns exec "$ns" sh -c 'grep -E "^(TCP|MPTCP)" /proc/net/sockstat; nstat -az' |
				awk '/^(TCP|MPTCP):/ { printf "%s ", $0; next }
				$1 ~ /Listen|ReqQFull|SynRetrans|Timeouts|Drop|Overflow|Fallback|JoinSyn|JoinAck|MPCapable|MPTcpExtMP.*Rx|Cookie|AddrNotAvail|AttemptFails|OutRsts/ && $2 != 0 { printf "%s=%s ", $1, $2 }'))"
		done
	done
}

# probe_start N: an interactive connection opened after the N idle ones,
# a few seconds before the failover: a 64-byte echo every 20 ms (omr-xfer
# -r), on eth1 (eth2 is a backup path). Its longest wait for an echo
# (max_ms) is the failover as a user of one busy connection among N sees
# it; omr's PM takes the busy connections first after a path change.
probe_start() {
	"$OMRCTL" -n "$CLI" -j monitor >"$OMR_OUT/mon-$1.json" 2>"$OMR_OUT/mon-$1.err" &
	MON_PID=$!
	ip netns exec "$SRV" "$XFER" server -l "$VPS_IP:5201" -j -t 300 \
		>"$OMR_OUT/probe-$1.srv.json" 2>&1 &
	ip netns exec "$CLI" "$XFER" client -c "$VPS_IP:5201" -s 0 -r 2000 -R 20 -j -t 300 \
		>"$OMR_OUT/probe-$1.json" 2>"$OMR_OUT/probe-$1.err" &
	PROBE_PID=$!
}

cpu_ticks() {
	awk '/^cpu / { b = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) b += $i;
		t = 0; for (i = 2; i <= NF; i++) t += $i; print b, t }' /proc/stat
}

one() {
	local n=$1 out=$OMR_OUT/open-$1.out a b c0 c1 ready fo rec rnd idle_busy tcp rc probe pmfo
	topo_pm_setup default "$SPEC" "$SPEC" || return 1
	"$OMRCTL" -n "$CLI" path change dev eth2 backup on || return 1
	ns_sysctl "$SRV" net.core.somaxconn=8192
	ns_sysctl "$SRV" net.ipv4.tcp_max_syn_backlog=8192
	# What omr-boot sets on a router (OMR_PORT_RANGE): every subflow a
	# join binds takes a port the connects can no longer use, so the
	# default range (32768-60999) holds 14,116 connections of two
	# subflows (docs/path-manager.md, "Many connections").
	ns_sysctl "$CLI" net.ipv4.ip_local_port_range="${BENCH_PORT_RANGE:-10000 65535}"
	ip netns exec "$SRV" "$CONNS" serve "$VPS_IP" 5400 -t 3600 >"$OMR_OUT/serve-$n.out" 2>&1 &
	wait_line "$OMR_OUT/serve-$n.out" listening 30 || return 1
	# -d: the idle window is measured while omr-conns sleeps.
	ip netns exec "$CLI" "$CONNS" open "$VPS_IP" 5400 "$n" -t 3600 -w 1200 \
		-a 10.0.1.1,10.0.2.1 -d $((IDLE + 10)) \
		-f "ip -n $CLI link set eth1 down; ip -n $SRV link set eth1 down" \
		-r "ip -n $SRV link set eth1 up; ip -n $CLI link set eth1 up; ip -n $CLI route replace default via 10.0.1.2 dev eth1 table 101; ip -n $CLI route replace default via 10.0.1.2 dev eth1" \
		>"$out" 2>"$out.err" &
	local opid=$!
	sample >"$OMR_OUT/open-$n.nstat" 2>&1 &
	local spid=$!
	wait_line "$out" tcp 1800 "$opid"
	rc=$?
	kill "$spid" 2>/dev/null
	[ $rc -eq 0 ] || { log "N=$n: not connected: $(tail -n 2 "$out") $(cat "$out.err")"; return 1; }
	tcp=${LINE##* tcp }
	log "N=$n: $tcp in TCP fallback; MPTCP token table: $buckets buckets"
	wait_line "$out" ready 1800 "$opid" || { log "N=$n: not ready: $(grep -v ' sf ' "$out" | tail -n 4)"; return 1; }
	ready=$LINE
	sleep 2
	a=$(counters) c0=$(cpu_ticks)
	sleep "$IDLE"
	b=$(counters) c1=$(cpu_ticks)
	probe_start "$n"
	idle_busy=$(echo "$c0 $c1" | awk '{ d = $4 - $2; print d ? int(($3 - $1) * 1000 / d) / 10 : 0 }')
	wait_line "$out" failover 1200 || return 1
	fo=$LINE
	wait "$PROBE_PID"
	probe=$(jq -c '{max_ms: ((.latency.max_us // 0) / 1000), p50_ms: ((.latency.p50_us // 0) / 1000), count: (.latency.count // null), error: (.error // null)}' "$OMR_OUT/probe-$n.json" 2>/dev/null)
	log "N=$n: probe: ${probe:-none}"
	# When the PM failed eth1 over (its per-connection failover events),
	# from eth1's path_down (ms): the first, the last, and those of the
	# probe's connections (their subflows' remote port 5201). The monitor
	# loses events when thousands come at once: "seen" counts the rest.
	pmfo=$(jq -s -c '(map(select(.event == "path_down" and .dev == "eth1")) | first | .ts) as $d |
		[.[] | select(.event == "sf_created" and .remote_port == 5201) | .token] as $p |
		map(select(.event == "failover" and .dev == "eth1")) as $c |
		{seen: ($c | length),
		 first_ms: ((($c | first | .ts) - $d) * 1000 | floor),
		 last_ms: ((($c | last | .ts) - $d) * 1000 | floor),
		 probe_ms: [$c[] | select(.token as $t | $p | index($t)) | ((.ts - $d) * 1000 | floor)]}' \
		"$OMR_OUT/mon-$n.json" 2>/dev/null)
	log "N=$n: the PM's failovers: ${pmfo:-none}"
	wait_line "$out" recovery 1200 || return 1
	rec=$LINE
	sleep 1
	c=$(counters)
	kill "$MON_PID" 2>/dev/null
	# One counting round: the median gap between two "sf" lines.
	rnd=$(awk '$2 == "sf" { if (p) print $1 - p; p = $1 }' "$out" | sort -n |
		awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : 0 }')
	jq -n -c --argjson n "$n" --argjson a "$a" --argjson b "$b" --argjson c "$c" \
		--argjson idle "$IDLE" --argjson busy "$idle_busy" --argjson rnd "$rnd" \
		--argjson tcp "$tcp" --argjson buckets "$buckets" --argjson probe "${probe:-null}" --argjson pmfo "${pmfo:-null}" \
		--arg ready "$ready" --arg fo "$fo" --arg rec "$rec" '
		def ms($l): ($l | split(" ")) as $f | if $f[1] | startswith("no") then null else ($f[2] | tonumber) end;
		{n: $n, followed: $b.conns, untracked: $b.untracked,
		 tcp: $tcp, token_buckets: $buckets,
		 ready_ms: ms($ready),
		 idle_work_ms_per_s: (($b.work_ns - $a.work_ns) / 1e6 / $idle),
		 idle_visits_per_s: (($b.visits - $a.visits) / $idle),
		 idle_guest_busy_pct: $busy,
		 failover_ms: ms($fo), recovery_ms: ms($rec), round_ms: $rnd,
		 fail_rec_work_ms: (($c.work_ns - $b.work_ns) / 1e6),
		 fail_rec_visits: ($c.visits - $b.visits), probe: $probe, pm_failover: $pmfo}' | tee -a "$res"
	kill %1 %2 2>/dev/null
	ip netns pids "$CLI" | xargs -r kill 2>/dev/null
	ip netns pids "$SRV" | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	topo_cleanup
}

buckets=$(dmesg | sed -n 's/.*MPTCP token hash table entries: \([0-9]*\).*/\1/p' | head -n 1)
buckets=${buckets:-null}
for n in $LIST; do
	one "$n" || log "N=$n failed"
done
