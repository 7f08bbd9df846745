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
OMR_KO=$top/out/$OMR_KERNEL/omr.ko
CLI=omr-rtr
SRV=omr-vps
VPS_IP=10.99.0.2
TMP=${TMP:-$(mktemp -d /tmp/omr-test.XXXXXX)}
NPATHS=0

log() { echo "# $*"; }

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

# netem spec: "RATE DELAY [LOSS]", e.g. "20mbit 10ms 1%"
path_shape() {
	local i=$1 rate=$2 delay=$3 loss=${4:-0%} ns
	local args="rate $rate delay $delay limit 300"

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

# topo_setup SCHED "RATE DELAY [LOSS] [backup]"...: "backup" (paths 2..N)
# makes that path's endpoint a backup one.
topo_setup() {
	local sched=$1 i spec flags
	shift
	topo_cleanup
	modprobe -q veth && modprobe -q sch_netem || return 1
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
		[ $i -gt 1 ] && ip -n "$CLI" mptcp endpoint add "10.0.$i.1" dev "eth$i" $flags
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
	ip netns exec "$SRV" "$XFER" server -l "$VPS_IP:5201" -j -t 300 \
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

cleanup_all() {
	topo_cleanup
	rm -rf "$TMP"
}
