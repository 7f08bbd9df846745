#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM: a router with three emulated WANs and a VPS.
# Measures each WAN alone (plain TCP), then one MPTCP connection over all
# three with the default scheduler and with omr, and shows per-path RTT,
# retransmissions and bytes for the latter.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load || exit 1

SIZE=${OMR_DEMO_SIZE:-24M}
SINGLE=${OMR_DEMO_SINGLE:-6M}
WANS=("20mbit 15ms" "30mbit 25ms 0.5%" "50mbit 40ms 1%")
NAMES=("DSL 20 Mbit/s, 15 ms" "LTE 30 Mbit/s, 25 ms, 0.5 % loss" "Satellite 50 Mbit/s, 40 ms, 1 % loss")

mbps() { jq -r '.rx.goodput_mbps // 0 | floor' "$TMP/$1.cli.json"; }

echo
echo "== omr demo: downloads from the VPS to the router (kernel $(uname -r))"
echo "   each WAN alone: $SINGLE over TCP; all WANs: $SIZE over one MPTCP connection"
echo
printf '%-40s %10s\n' "link" "Mbit/s"
sum=0
for i in 1 2 3; do
	# shellcheck disable=SC2086
	topo_setup default ${WANS[$((i - 1))]:+"${WANS[$((i - 1))]}"} >/dev/null || exit 1
	xfer "single$i" "$SINGLE" down -T || { echo "transfer on WAN $i failed"; exit 1; }
	printf '%-40s %10s\n' "WAN $i alone (TCP): ${NAMES[$((i - 1))]}" "$(mbps single$i)"
	sum=$((sum + $(mbps single$i)))
done
printf '%-40s %10s\n' "sum of the three" "$sum"

for sched in default omr; do
	topo_setup "$sched" "${WANS[@]}" >/dev/null || exit 1
	xfer "mp-$sched" "$SIZE" down || { echo "MPTCP transfer ($sched) failed"; exit 1; }
	xfer_intact "mp-$sched" || { echo "data corrupted ($sched)"; exit 1; }
	printf '%-40s %10s\n' "MPTCP over all three, scheduler $sched" "$(mbps mp-$sched)"
done

echo
echo "== per path, scheduler omr (sender: the VPS)"
printf '%-6s %-10s %10s %10s %12s %8s\n' path device rtt_ms retrans bytes share
jq -r '.subflows as $s | ($s | map(.bytes_acked // 0) | add) as $t |
	$s | sort_by(.dev)[] |
	"\(.dev) \(.rtt_us / 1000 | floor) \(.retrans) \(.bytes_acked // 0) \((100 * (.bytes_acked // 0) / $t) | floor)"' \
	"$TMP/mp-omr.srv.json" |
	while read -r dev rtt re bytes share; do
		printf '%-6s %-10s %10s %10s %12s %7s%%\n' "WAN ${dev#eth}" "$dev" "$rtt" "$re" "$bytes" "$share"
	done
echo
echo "Every byte was checked against the sender's stream; the three WANs carried one connection."
