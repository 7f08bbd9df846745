#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the VM selftests (sourced). KTAP output comes from the
# kernel's own ktap_helpers.sh, taken from the linux-source of the kernel
# under test (.cache/kernels/REL/src), never from a copy in this tree.
#
# Topology made by topo_setup: two namespaces, a router "$CLI" and a VPS
# "$SRV", joined by N veth pairs eth1..ethN, one per emulated WAN:
#
#   $CLI eth<i> 10.0.<i>.1/24  <--netem-->  10.0.<i>.2/24 eth<i> $SRV
#
# The VPS has one public address, 10.99.0.2 (on lo), reachable over every
# path, as a real VPS is. The router routes by source address, one table per
# WAN (as OpenMPTCProuter does), and has an MPTCP "subflow" endpoint per
# extra WAN bound to its device, so the in-kernel path manager opens one
# subflow per path. Both ends shape their egress, so both directions are.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${OMR_KERNEL:=$(uname -r)}"
ksrc=$top/.cache/kernels/$OMR_KERNEL/src
# shellcheck source=/dev/null
source "$ksrc/tools/testing/selftests/kselftest/ktap_helpers.sh"

XFER=$top/selftests/tools/omr-xfer
WATCH=$top/selftests/tools/omr-watch
OMR_KO=${OMR_KO:-$top/out/$OMR_KERNEL/omr.ko}
CLI=omr-rtr
SRV=omr-vps
VPS_IP=10.99.0.2
TMP=${TMP:-$(mktemp -d /tmp/omr-test.XXXXXX)}
NPATHS=0
TOPO_PM=kernel
: "${OMR_PM_BASELINE:=}"
declare -a PATH_SHAPE

log() { echo "# $*"; }

# klog_splats [N]: the kernel log's reports after its first N lines (none
# by default: all of it), known kernel and QEMU bugs set aside by the filter
# vm.sh applies to the whole boot (selftests/vm/known-bugs.awk; a set-aside
# report is logged). Prints the matching lines; true if there are any.
# Lockdep and KASAN report as WARNING:/BUG:; the debug kernel's kmemleak
# lines are kmemleak.sh's to judge, after its last scan.
KLOG_SPLATS='WARNING:|BUG:|Oops|general protection|kernel BUG|Call Trace|UBSAN|refcount_t:|list_add corruption|list_del corruption|RCU stall|hung_task|blocked for more than|soft lockup'
klog_splats() {
	local known=$TMP/klog-known.txt
	rm -f "$known"
	dmesg | tail -n +$((${1:-0} + 1)) |
		awk -v rel="$OMR_KERNEL" -v known="$known" -f "$top/selftests/vm/known-bugs.awk" |
		grep -E "$KLOG_SPLATS"
	local rc=$?
	[ ! -s "$known" ] || log "set aside, a known kernel or QEMU bug (docs/testing.md): $(grep -m1 'WARNING:' "$known")"
	return $rc
}

omr_loaded() { grep -q '^omr ' /proc/modules; }

omr_load() {
	omr_loaded || insmod "$OMR_KO" "$@"
}

# Sockets of a deleted namespace are freed by the kernel's netns cleanup
# work, a little later: give their module references up to 20 s to go.
omr_unload() {
	local i
	for i in $(seq 40); do
		omr_loaded || return 0
		[ "$(awk '$1 == "omr" {print $3}' /proc/modules)" = 0 ] && break
		sleep 0.5
	done
	rmmod omr
}

ns_sysctl() {
	ip netns exec "$1" sysctl -qw "$2" >/dev/null
}

# netem spec: "RATE DELAY [LOSS [LIMIT]]", e.g. "20mbit 10ms 1%". The queue
# holds LIMIT packets, else OMR_NETEM_LIMIT, else 300: a modem's bufferbloat;
# a smaller one stands for a WAN with SQM (docs/path-manager.md, "Where a
# failover's stall goes"). The packets are the skbs TCP sends, GSO ones of a
# few segments each (TSO autosizing: about 1 ms of the pacing rate), so a
# full queue delays 2-3 times LIMIT MTU frames' worth: 300 at 20 Mbit/s
# raised a 20 ms path's RTT to 290 ms and, once, past 450.
path_shape() {
	local i=$1 rate=$2 delay=$3 loss=${4:-0%} ns
	local args="rate $rate delay $delay limit ${5:-${OMR_NETEM_LIMIT:-300}}"

	PATH_SHAPE[$i]=$args

	[ "$loss" = "0%" ] || args="$args loss random $loss"
	for ns in "$CLI" "$SRV"; do
		# shellcheck disable=SC2086
		ip -n "$ns" link set "eth$i" up
		tc -n "$ns" qdisc replace dev "eth$i" root netem $args
	done
}

path_down() {
	ip -n "$CLI" link set "eth$1" down
	ip -n "$SRV" link set "eth$1" down
}

# path_up I: link up on both ends and, as a router's netifd does, put back
# the WAN's default routes: an IPv4 link down deletes every route through
# the device (the connected /24 comes back with the link, the default via
# the gateway in table 100+I, and the main one for I=1, do not).
path_up() {
	local i=$1
	ip -n "$SRV" link set "eth$i" up
	ip -n "$CLI" link set "eth$i" up
	ip -n "$CLI" route replace default via "10.0.$i.2" dev "eth$i" table $((100 + i))
	[ "$i" -eq 1 ] && ip -n "$CLI" route replace default via 10.0.1.2 dev eth1
	true
}

# path_loss I PCT: random loss PCT (e.g. 100%, 0%) on both ends of path I,
# rate and delay kept (netem's "change" resets what it is not given).
path_loss() {
	local i=$1 pct=$2 ns args=${PATH_SHAPE[$1]}
	[ "$pct" = 0% ] || [ "$pct" = 0 ] || args="$args loss random $pct"
	# the VPS's end first: when the router's changes (what an omr-watch in
	# the router sees) the path is lossy, or clean, both ways
	for ns in "$SRV" "$CLI"; do
		# shellcheck disable=SC2086
		tc -n "$ns" qdisc change dev "eth$i" root netem $args || return 1
	done
}

# topo_setup SCHED "RATE DELAY [LOSS] [backup]"...: "backup" (paths 2..N)
# makes that path's endpoint a backup one.
topo_setup() {
	TOPO_PM=kernel _topo_setup "$@"
}

# topo_pm_setup SCHED SPEC...: the same topology, but the router's subflows
# come from omr's path manager: no MPTCP endpoints, net.mptcp.pm_type=1
# (omr acts as the userspace PM inside the kernel), PM enabled and one path
# per WAN device ("backup" in a spec: a backup path, any path, 1..N).
# Fails if omr's PM is not there (omrctl status fails in $CLI).
topo_pm_setup() {
	local i spec
	if [ "$OMR_PM_BASELINE" = kernel ]; then
		topo_setup "$@"
		return
	fi
	TOPO_PM=omr _topo_setup "$@" || return 1
	ns_sysctl "$CLI" net.mptcp.pm_type=1 || return 1
	pm_present || { log "topo_pm_setup: omr's PM does not answer in $CLI"; return 1; }
	pm_cmd enable || return 1
	i=0
	shift
	for spec in "$@"; do
		i=$((i + 1))
		if [[ $spec == *backup* ]]; then
			pm_cmd path add dev "eth$i" backup || return 1
		else
			pm_cmd path add dev "eth$i" || return 1
		fi
	done
}

_topo_setup() {
	local sched=$1 i spec flags
	shift
	topo_cleanup
	modprobe -q veth && modprobe -q sch_netem || return 1
	# ss reads sockets through sock_diag; without these modules it falls
	# back to /proc/net/tcp and shows no device and no MPTCP subflow flags.
	modprobe -q tcp_diag && modprobe -q mptcp_diag || return 1
	ip netns add "$CLI" && ip netns add "$SRV" || return 1
	for ns in "$CLI" "$SRV"; do
		ip -n "$ns" link set lo up
		ns_sysctl "$ns" net.mptcp.enabled=1
		ns_sysctl "$ns" net.mptcp.scheduler="$sched" || return 1
		ip netns exec "$ns" ip mptcp limits set subflows 8 add_addr_accepted 8
	done
	ip -n "$SRV" addr add "$VPS_IP/32" dev lo
	i=0
	for spec in "$@"; do
		i=$((i + 1))
		flags=subflow
		[[ $spec == *backup* ]] && flags="subflow backup" && spec=${spec/backup/}
		ip link add "eth$i" netns "$CLI" type veth peer name "eth$i" netns "$SRV"
		ip -n "$CLI" addr add "10.0.$i.1/24" dev "eth$i"
		ip -n "$SRV" addr add "10.0.$i.2/24" dev "eth$i"
		# shellcheck disable=SC2086
		path_shape "$i" $spec
		ip -n "$CLI" rule add from "10.0.$i.1" table $((100 + i))
		ip -n "$CLI" route add default via "10.0.$i.2" dev "eth$i" table $((100 + i))
		[ $i -eq 1 ] && ip -n "$CLI" route add default via "10.0.1.2" dev eth1
		# shellcheck disable=SC2086
		[ $i -gt 1 ] && [ "$TOPO_PM" = kernel ] &&
			ip -n "$CLI" mptcp endpoint add "10.0.$i.1" dev "eth$i" $flags
	done
	NPATHS=$i
	return 0
}

topo_cleanup() {
	ip netns pids "$CLI" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$SRV" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	true
}

# xfer NAME SIZE DIR [client options...]: one transfer from $CLI to the VPS.
# JSON reports land in $TMP/NAME.cli.json and $TMP/NAME.srv.json.
xfer_start() {
	local name=$1
	ip netns exec "$SRV" "$XFER" server -l "${XFER_LISTEN:-$VPS_IP}:5201" -j -t 300 \
		>"$TMP/$name.srv.json" 2>"$TMP/$name.srv.err" &
	XFER_SRV_PID=$!
}

xfer() {
	xfer_bg "$@"
	xfer_wait
}

# xfer_bg NAME SIZE DIR [client options...]: the same, in the background,
# for tests that act on the paths meanwhile; xfer_wait NAME collects it.
xfer_bg() {
	local name=$1 size=$2 dir=$3
	shift 3
	xfer_start "$name"
	ip netns exec "$CLI" "$XFER" client -c "$VPS_IP:5201" -s "$size" -d "$dir" \
		-j -t 300 "$@" >"$TMP/$name.cli.json" 2>"$TMP/$name.cli.err" &
	XFER_CLI_PID=$!
}

# xfer_cut: the transfer of xfer_bg, bounded by a long -D, ends now
# (omr-xfer's SIGUSR1: its sender stops as if -D had run out, both ends
# still compare every byte). A test that acts on the paths mid-transfer
# bounds it by time with a wide margin and cuts it once it saw its events:
# the VM's ~0.5 s per process cannot make the transfer end first.
xfer_cut() {
	kill -USR1 "$XFER_SRV_PID" "$XFER_CLI_PID" 2>/dev/null
	true
}

xfer_wait() {
	local rc
	wait "$XFER_CLI_PID"
	rc=$?
	wait "$XFER_SRV_PID" || rc=$((rc ? rc : 10 + $?))
	return $rc
}

# Both ends agree on every byte, in every direction that carried data.
xfer_intact() {
	local c=$TMP/$1.cli.json s=$TMP/$1.srv.json
	jq -e -n --slurpfile c "$c" --slurpfile s "$s" '
		($c[0].ok and $s[0].ok) and
		(($c[0].tx.bytes // 0) == 0 or $c[0].tx.digest == $s[0].rx.digest) and
		(($s[0].tx.bytes // 0) == 0 or $s[0].tx.digest == $c[0].rx.digest)' >/dev/null
}

# Bytes each path carried for the sender of NAME (cli or srv), as
# "dev bytes" lines, from the sender's per-subflow bytes_acked.
xfer_split() {
	jq -r '.subflows[] | "\(.dev) \(.bytes_acked // 0)"' "$TMP/$1.$2.json" |
		awk '{b[$1] += $2} END {for (d in b) print d, b[d]}' | sort
}

# Share (percent) of path eth<i> in NAME's sender side.
xfer_share() {
	xfer_split "$1" "$2" | awk -v d="eth$3" '{t += $2} $1 == d {x = $2}
		END {printf "%d\n", t ? 100 * x / t : 0}'
}

xfer_subflows() {
	jq '.subflows | length' "$TMP/$1.$2.json"
}

# omr's path manager answers (omrctl status) in a namespace ($CLI by default).
pm_present() {
	"$OMRCTL" -n "${1:-$CLI}" status >/dev/null 2>&1
}

# pm_require DESC...: without omr's path manager (omrctl status fails: no
# omr.ko, or no omrctl), fail each planned test by name (a missing PM must
# show, not be skipped) and end the suite. OMR_PM_BASELINE=kernel runs the
# PM suites against the upstream in-kernel PM instead (topo_pm_setup =
# topo_setup, with its endpoints), to check their mechanics: what reads the
# PM's status fails.
pm_require() {
	local d
	"$OMRCTL" status >/dev/null 2>&1 || [ "$OMR_PM_BASELINE" = kernel ] && return 0
	for d in "$@"; do
		ktap_test_fail "$d (omrctl status fails: no omr.ko path manager, or no omrctl)"
	done
	ktap_finished
}

# pm_cmd [-n NS] WORD...: one PM configuration command, in the words of
# the former /proc interface (enable, disable, add_addr accept|ignore,
# path add|del dev IFNAME [backup]), sent through omrctl (netlink is the
# one way to configure the PM; omrctl waits until an enable or disable is
# carried out). Fails with
# the kernel's error text (strerror, e.g. "Invalid argument") in PM_ERR
# and omrctl's whole message in PM_MSG.
OMRCTL=$top/ctl/omrctl
pm_cmd() {
	local ns=$CLI out
	[ "$1" = -n ] && ns=$2 && shift 2
	PM_ERR= PM_MSG=
	[ -x "$OMRCTL" ] || { PM_ERR="no $OMRCTL (make -C ctl)"; PM_MSG=$PM_ERR; return 1; }
	case $1 in
	enable | disable) set -- pm set "$@" ;;
	add_addr) set -- pm set "$@" ;;
	path) ;;
	*) PM_ERR="pm_cmd: unknown command '$1'"; PM_MSG=$PM_ERR; return 1 ;;
	esac
	out=$("$OMRCTL" -n "$ns" "$@" 2>&1) && return 0
	PM_MSG=$out
	# "omrctl: path add: File exists (kernel: ...)": the strerror part
	out=${out#*: }
	out=${out#*: }
	PM_ERR=${out%% (kernel: *}
	return 1
}

# pm_cmd_fails ERRNO WORD...: the command is refused with that errno
# (EINVAL, EEXIST, ENOENT, ENOSPC); says what happened otherwise.
pm_cmd_fails() {
	local want=$1 text
	shift
	case $want in
	EINVAL) text="Invalid argument" ;;
	EEXIST) text="File exists" ;;
	ENOENT) text="No such file or directory" ;;
	ENOSPC) text="No space left on device" ;;
	*) return 2 ;;
	esac
	if pm_cmd "$@"; then
		log "'$*' was accepted, expected $want"
		return 1
	fi
	[ "$PM_ERR" = "$text" ] && return 0
	log "'$*' failed with '$PM_ERR', expected $want ($text)"
	return 1
}

# pm_status [NS] [KINDS]: the PM's status as lines "KIND key value ...",
# the format of the former /proc/net/omr_pm (removed: netdev takes no new
# procfs files), built from omrctl: "pm enabled|disabled", "add_addr
# accept|ignore", "settings tick_ms N ...", one "path dev ..." line per
# path (omrctl path show), "counters creates N create_err N ... overflows
# N". KINDS ("status", "paths", default both) saves an omrctl run (~0.5 s
# in the VM) when only one part is needed.
pm_status() {
	local ns=${1:-$CLI} kinds=${2:-status paths} st
	ns=${ns:-$CLI}
	if [[ $kinds == *status* ]]; then
		st=$("$OMRCTL" -n "$ns" -j status 2>/dev/null) || return 1
		jq -r '.pm as $p | .counters as $c |
			"pm " + (if $p.enabled then "enabled" else "disabled" end),
			"add_addr " + $p.add_addr,
			"settings " + ([ "tick_ms", "stall_ms", "fail_ms", "hold_ms",
				"loss_hi", "loss_lo", "rtt_hi_ms", "backoff_min_ms",
				"backoff_max_ms", "join_timeout_ms" ] |
				map(. + " " + ($p[.] | tostring)) | join(" "))' <<<"$st"
	fi
	[[ $kinds == *paths* ]] && { "$OMRCTL" -n "$ns" path show 2>/dev/null || return 1; }
	[[ $kinds == *status* ]] &&
		jq -r '.counters as $c | "counters " + ([ ["creates", "creates"],
			["create_err", "create_errors"], ["closed", "closed"],
			["demotes", "demotes"], ["promotes", "promotes"],
			["removes", "removes"], ["aborts", "aborts"],
			["overflows", "event_overflows"] ] |
			map(.[0] + " " + ($c[.[1]] | tostring)) | join(" "))' <<<"$st"
	return 0
}

# pm_get KIND KEY [MATCHKEY MATCHVAL] [NS]: the value of KEY on the first
# status line of KIND (pm, add_addr, settings, path, counters) whose
# MATCHKEY is MATCHVAL, e.g. pm_get path health dev eth2; pm_get counters
# creates.
pm_get() {
	local kinds=status
	[ "$1" = path ] && kinds=paths
	pm_status "${5:-}" "$kinds" | awk -v kind="$1" -v key="$2" -v mk="${3:-}" -v mv="${4:-}" '
		$1 != kind { next }
		{ delete f; for (i = 2; i < NF; i += 2) f[$i] = $(i + 1) }
		mk != "" && f[mk] != mv { next }
		{ print f[key]; exit }'
}

# Established client subflows to the VPS, as "LOCAL" addresses
# ("10.0.2.1%eth2:PORT" when bound to a device; the first, MPC, subflow is
# not bound).
sf_list() {
	ip netns exec "$CLI" ss -tnH state established dst "$VPS_IP" | awk '{print $3}'
}

# sf_count [ethN]: established client subflows to the VPS, all or those of
# one path (source address 10.0.N.1).
sf_count() {
	local d=${1:-}
	sf_list | awk -v a="${d:+10.0.${d#eth}.1}" '
		a == "" { n++; next }
		{ split($1, p, /[%:]/); if (p[1] == a) n++ }
		END { print n + 0 }'
}

# Client subflows to the VPS with their byte counters from ss -i:
# "LOCAL BYTES_ACKED BYTES_RECEIVED" per line (LOCAL as in sf_list).
sf_bytes() {
	ip netns exec "$CLI" ss -tniH state established dst "$VPS_IP" | awk '
		/^[^ \t]/ { if (l != "") print l, a, r; l = $3; a = 0; r = 0; next }
		{ for (i = 1; i <= NF; i++) {
			if ($i ~ /^bytes_acked:/) a = substr($i, 13)
			if ($i ~ /^bytes_received:/) r = substr($i, 16) } }
		END { if (l != "") print l, a, r }'
}

# Client subflows to the VPS: "LOCAL FLAGS" (flags as in srv_sf_flags;
# b: we asked the peer for backup, by MP_JOIN or MP_PRIO).
sf_flags() {
	ip netns exec "$CLI" ss -tniH state established dst "$VPS_IP" | awk '
		/^[^ \t]/ { l = $3; next }
		{ f = "-"; for (i = 1; i <= NF; i++) if ($i ~ /^flags:/) f = substr($i, 7)
		  print l, f }'
}

# The VPS side's subflows of the transfer port: "PEER FLAGS" per line,
# FLAGS from ss's tcp-ulp-mptcp info (B: the peer asked for backup, by
# MP_JOIN or MP_PRIO; J: a join; e: fully established).
srv_sf_flags() {
	ip netns exec "$SRV" ss -tniH state established '( sport = :5201 )' | awk '
		/^[^ \t]/ { peer = $4; next }
		{ f = "-"; for (i = 1; i <= NF; i++) if ($i ~ /^flags:/) f = substr($i, 7)
		  print peer, f }'
}

# ms since the epoch
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# tscale MS: a duration a test waits or runs for, times OMR_TIME_SCALE (1 on
# Debian's kernels; run.sh sets it for the debug kernel, whose KASAN and
# lockdep make it ~30x slower at networking): for transfers that must outlast
# a sequence of steps, and windows that poll through spawned commands. Never
# for a limit on the product's own reaction: the suites run on the debug
# kernel for its reports, not for its timing.
tscale() { echo $(($1 * ${OMR_TIME_SCALE:-1})); }

# mon_start NS FILE [text]: omrctl -j monitor in NS (without -j with
# "text"), its lines in FILE; its pid in MON_PID (and MONS, which
# cleanup_all ends). One process for the whole test: a sample per spawn
# costs ~0.5 s in the VM, ~5 s on the loaded debug kernel.
MONS=()
mon_start() {
	local opt=-j
	[ "${3:-}" = text ] && opt=
	# shellcheck disable=SC2086
	"$OMRCTL" -n "$1" $opt monitor >"$2" 2>"$2.err" &
	MONS+=($!)
	# shellcheck disable=SC2034 # for the caller
	MON_PID=$!
}

# ev_wait FILE SECONDS JQ-FILTER: wait until a line of FILE (JSON events)
# matches; says what it got if none does.
ev_wait() {
	local f=$1 secs=$2 filter=$3 t0
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt $((secs * 1000)) ]; do
		jq -e -s "any(.[]; $filter)" "$f" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	log "no event matching '$filter' in $secs s; got: $(jq -c -s 'map(.event + ":" + (.dev // "-") + ":" + (.reason // "-"))' "$f" 2>/dev/null)"
	return 1
}

# wait_listen NS PORT: up to 10 s for a TCP listener on PORT in NS.
wait_listen() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	log "nothing listens on port $2 in $1"
	return 1
}

# wait_line FILE WORD SEC [PID]: the first line of FILE with WORD as its
# second field (or "no WORD"), within SEC seconds, in LINE (e.g. omr-conns
# prints "T WORD ..."); with PID, no longer than that process (its writer)
# lives.
# By the clock: under TCG the awk itself takes a good part of a second.
wait_line() {
	local end=$((SECONDS + $3)) alive=1
	while [ $SECONDS -le $end ]; do
		[ -z "${4:-}" ] || kill -0 "$4" 2>/dev/null || alive=
		LINE=$(awk -v w="$2" '$2 == w || $2 == "no" w { print; exit }' "$1" 2>/dev/null)
		[ -n "$LINE" ] && return 0
		[ -n "$alive" ] || break
		sleep 0.2
	done
	LINE=
	return 1
}

# ms since boot, without a fork (10 ms steps): the clock of omr-watch's and
# omr-xfer's *_mono_ms (CLOCK_MONOTONIC; a VM never suspends, so BOOTTIME).
mono_ms() {
	local u
	read -r u _ </proc/uptime
	echo $((10#${u/./} * 10))
}

# cpu_pct SAMPLES FROM_MS TO_MS: the machine's CPU busy % (integer) over
# the "T cpu PCT BUSY TOTAL" lines of an omr-watch -c within FROM_MS..TO_MS
# (mono), "null" without two of them.
cpu_pct() {
	awk -v from="$2" -v to="$3" '$2 != "cpu" || $1 < from || $1 > to { next }
		!n++ { b0 = $4; t0 = $5 } { b1 = $4; t1 = $5 }
		END { if (t1 > t0) printf "%.0f\n", 100 * (b1 - b0) / (t1 - t0); else print "null" }' "$1"
}

# Reaction times are measured inside the VM by one long-lived omr-watch per
# namespace (selftests/tools/omr-watch.c: link, netem loss and route events
# as they happen, the subflows every -i ms), not by shell loops: each
# process a test spawns costs ~0.5 s under TCG.
#
# watch_start NAME NS [omr-watch options]: its lines go to $TMP/NAME.watch;
# returns once it has taken its first sample.
declare -A WATCH_PID
watch_start() {
	local name=$1 ns=$2 i
	shift 2
	ip netns exec "$ns" "$WATCH" "$@" >"$TMP/$name.watch" 2>"$TMP/$name.watch.err" &
	WATCH_PID[$name]=$!
	for i in $(seq 100); do
		grep -q ' sf ' "$TMP/$name.watch" 2>/dev/null && return 0
		sleep 0.1
	done
	log "omr-watch $name did not start: $(cat "$TMP/$name.watch.err")"
	return 1
}

watch_stop() {
	local pid=${WATCH_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	WATCH_PID[$1]=
}

# awk functions over omr-watch lines, for the tests' own programs:
# sf_parse(I) splits the I-th subflow of an "sf" line into F_LOCAL (addr),
# F_LPORT, F_REMOTE (addr:port), F_FLAGS, F_ACKED, F_RCVD.
WATCH_AWK='
function sf_parse(i,   f, l) {
	split($(3 + i), f, ",")
	split(f[1], l, ":")
	F_LOCAL = l[1]; F_LPORT = l[2]; F_REMOTE = f[2]; F_FLAGS = f[3]
	F_ACKED = f[4] + 0; F_RCVD = f[5] + 0
}
'

# watch_until NAME SEC AWK: wait until the awk program AWK (with WATCH_AWK's
# functions), run over NAME's lines so far, exits 0; fails after SEC s.
watch_until() {
	local name=$1 end=$(($(mono_ms) + $2 * 1000))
	while [ "$(mono_ms)" -lt "$end" ]; do
		awk "$WATCH_AWK$3" "$TMP/$name.watch" && return 0
		sleep 0.2
	done
	return 1
}

# watch_event NAME WHAT...: the time of the first line "T WHAT..." (e.g.
# watch_event fo link eth2 down), after ms AFTER if WATCH_AFTER is set.
watch_event() {
	local name=$1
	shift
	awk -v w="$*" -v after="${WATCH_AFTER:-0}" '$1 >= after {
		l = $0; sub(/^[^ ]+ /, "", l); if (l == w) { print int($1); exit } }' "$TMP/$name.watch"
}

# xfer_running NAME SIDE T: the receiver SIDE (cli or srv) of NAME still
# got data at least 500 ms after T (ms, mono): the transfer was in progress
# at the moment of an event at T. Says what it saw.
xfer_running() {
	local last
	last=$(jq '.rx.last_mono_ms // 0 | floor' "$TMP/$1.$2.json")
	XFER_AFTER=$((last - $3))
	[ "$last" -ge $(($3 + 500)) ]
}

# A suite with a failure leaves its transfer reports and omr-watch logs in
# the VM's output directory (out/vm-REL/failed-SUITE), for the diagnosis.
cleanup_all() {
	local d p
	for p in "${MONS[@]}"; do kill "$p" 2>/dev/null; done
	topo_cleanup
	if [ "${KTAP_CNT_FAIL:-0}" -gt 0 ] && [ -n "${OMR_OUT:-}" ] && [ -d "$TMP" ]; then
		d=$OMR_OUT/failed-$(basename "$0" .sh)
		rm -rf "$d" && cp -r "$TMP" "$d" 2>/dev/null
	fi
	rm -rf "$TMP"
}

# Netlink attributes as hex, for omr-nlraw (raw requests the tests build
# by hand: bad input the omrctl would refuse before sending):
# nla TYPE HEXDATA (little-endian header, padded to 4 bytes); nest TYPE
# HEX... sets NLA_F_NESTED; str, u8 and u32 encode a value.
nla() {
	local type=$1 data=$2 len
	len=$((4 + ${#data} / 2))
	printf '%02x%02x%02x%02x%s' $((len & 255)) $((len >> 8)) $((type & 255)) $((type >> 8)) "$data"
	while [ $((len % 4)) -ne 0 ]; do printf 00; len=$((len + 1)); done
}
nest() {
	local type=$1
	shift
	nla $((type | 0x8000)) "$(printf '%s' "$@")"
}
str() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; printf 00; }
u8() { printf '%02x' "$1"; }
u32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
