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
#   the PM work's runtime from before the failover to after the recovery.
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

cpu_ticks() {
	awk '/^cpu / { b = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) b += $i;
		t = 0; for (i = 2; i <= NF; i++) t += $i; print b, t }' /proc/stat
}

one() {
	local n=$1 out=$OMR_OUT/open-$1.out a b c0 c1 ready fo rec rnd idle_busy tcp rc
	topo_pm_setup default "$SPEC" "$SPEC" || return 1
	ns_sysctl "$SRV" net.core.somaxconn=8192
	ns_sysctl "$SRV" net.ipv4.tcp_max_syn_backlog=8192
	# What omr-boot sets on a router (OMR_PORT_RANGE): every subflow a
	# join binds takes a port the connects can no longer use, so the
	# default range (32768-60999) holds 14,116 connections of two
	# subflows (docs/path-manager.md, "Many connections").
	ns_sysctl "$CLI" net.ipv4.ip_local_port_range="${BENCH_PORT_RANGE:-10000 65000}"
	ip netns exec "$SRV" "$CONNS" serve "$VPS_IP" 5400 -t 3600 >"$OMR_OUT/serve-$n.out" 2>&1 &
	wait_line "$OMR_OUT/serve-$n.out" listening 30 || return 1
	# -d: the idle window is measured while omr-conns sleeps.
	ip netns exec "$CLI" "$CONNS" open "$VPS_IP" 5400 "$n" -t 3600 -w 1200 \
		-a 10.0.1.1,10.0.2.1 -d $((IDLE + 6)) \
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
	idle_busy=$(echo "$c0 $c1" | awk '{ d = $4 - $2; print d ? int(($3 - $1) * 1000 / d) / 10 : 0 }')
	wait_line "$out" failover 1200 || return 1
	fo=$LINE
	wait_line "$out" recovery 1200 || return 1
	rec=$LINE
	sleep 1
	c=$(counters)
	# One counting round: the median gap between two "sf" lines.
	rnd=$(awk '$2 == "sf" { if (p) print $1 - p; p = $1 }' "$out" | sort -n |
		awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : 0 }')
	jq -n -c --argjson n "$n" --argjson a "$a" --argjson b "$b" --argjson c "$c" \
		--argjson idle "$IDLE" --argjson busy "$idle_busy" --argjson rnd "$rnd" \
		--argjson tcp "$tcp" --argjson buckets "$buckets" \
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
		 fail_rec_visits: ($c.visits - $b.visits)}' | tee -a "$res"
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
