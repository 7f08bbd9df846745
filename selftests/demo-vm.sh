#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM: the end-to-end scenario of selftests/e2e/lib-e2e.sh
# (docs/e2e.md). A LAN client reaches an internet server through SOCKS5 ->
# omr-shim local on the router -> one MPTCP connection over three WANs
# (omr scheduler, omr path manager set up with omrctl) -> omr-shim server on
# the VPS. Shows each WAN alone (plain TCP), a download and an upload through
# the proxy with the share of every path (omrctl conn show), then a download
# during which LTE fails and comes back, sampled per WAN every 200 ms into
# $OMR_OUT/failover.rates (selftests/demo.sh plots it on the host).
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

SIZE=${OMR_DEMO_SIZE:-16M}
SINGLE=${OMR_DEMO_SINGLE:-2M}
FO_SIZE=${OMR_DEMO_FO_SIZE:-32M}
export E2E_HTTP_SIZE=$SIZE
PROXY=$RTR_LAN:$SOCKS_PORT
OUT=${OMR_OUT:-$TMP}

mbps() { jq -r '.rx.goodput_mbps // 0 | floor' "$1"; }
row() { printf '%-66s %6s\n' "$1" "$2"; }

e2e_setup omr omr || { echo "scenario setup failed"; exit 1; }
cat <<EOF

== omr demo (kernel $(uname -r)): LAN -> SOCKS5 -> omr-shim -> MPTCP over 3 WANs -> VPS -> internet
   router and VPS: net.mptcp.scheduler=omr; router: omr path manager, set up with
     omrctl pm set enable; omrctl path add dev eth1; ... eth2; ... eth3
   omrctl path show:
$(ctl path show | sed 's/^/     /')

EOF
row "link (download, internet -> LAN)" "Mbit/s"
sum=0
for i in 1 2 3; do
	e2e_route_via "$i"
	e2e_xfer "single$i" "$SINGLE" down -T || { echo "transfer on WAN $i failed"; exit 1; }
	r=$(mbps "$TMP/single$i.cli.json")
	row "WAN $i alone, plain TCP ($SINGLE): ${E2E_NAMES[$((i - 1))]}" "$r"
	sum=$((sum + r))
done
e2e_route_via 1
row "sum of the three alone" "$sum"
row "sum of the three WAN rates (the physical limit)" "$E2E_WAN_SUM"

# Download: curl through the SOCKS5 proxy, while omrctl looks at the tunnel.
snap=$TMP/conn.json
e2e_conn_snapshot "$snap" 3 &
spid=$!
speed=$(ip netns exec "$LAN" curl -sS --max-time 120 --socks5-hostname "$PROXY" \
	-o "$TMP/got" -w '%{speed_download}' "http://$INET_IP/file") ||
	{ echo "download through SOCKS5 failed"; exit 1; }
wait "$spid"
cmp -s "$TMP/got" "$TMP/www/file" || { echo "download corrupted"; exit 1; }
row "all three, omr-shim + MPTCP: HTTP download ($SIZE, curl)" "$(awk -v b="$speed" 'BEGIN { printf "%d", b * 8 / 1e6 }')"
e2e_xfer up "$SIZE" up -x "$PROXY" || { echo "upload through SOCKS5 failed"; exit 1; }
xfer_intact up || { echo "upload corrupted"; exit 1; }
row "all three, omr-shim + MPTCP: upload ($SIZE, omr-xfer)" "$(mbps "$TMP/up.srv.json")"

echo
echo "== omrctl conn show on the router during the download (the tunnel; 'pm': omr's PM follows it)"
jq -r --argjson p "$SHIM_PORT" '.[] | select(.remote_port == $p) |
	"conn \(.token) \(.local_addr):\(.local_port) -> \(.remote_addr):\(.remote_port) \(.state) sched \(.sched // "-")\(if .pm then " pm" else "" end)",
	((.subflows | map(.bytes_received) | add) as $t | .subflows | sort_by(.dev)[] |
	 "  sf \(.id) dev \(.dev) \(.local_addr) srtt \(.srtt_us / 1000 | floor) ms cwnd \(.cwnd) received \(.bytes_received) (\(if $t > 0 then 100 * .bytes_received / $t | floor else 0 end) %) retrans \(.retrans)")' \
	"$snap" 2>/dev/null | head -n 8
echo "(a snapshot a moment into the transfer: the shares are those of the bytes received so far)"

echo
echo "== a download while LTE (eth2) goes down at 2 s and comes back 2 s later"
e2e_sample_start "$TMP/fo.samples" 200
e2e_xfer_bg fo "$FO_SIZE" down -x "$PROXY"
sleep 2
t_down=$(now_ms)
path_down 2
sleep 2
path_up 2
t_up=$(now_ms)
xfer_wait || { echo "failover transfer failed: $(cat "$TMP/fo.cli.err")"; exit 1; }
sleep 0.4
e2e_sample_stop
xfer_intact fo || { echo "failover transfer corrupted"; exit 1; }
e2e_rates "$TMP/fo.samples" down >"$OUT/failover.rates"
d=$(awk -v t="$t_down" -v t0="$E2E_SAMPLE_T0" 'BEGIN { printf "%.1f", (t - t0) / 1000 }')
u=$(awk -v t="$t_up" -v t0="$E2E_SAMPLE_T0" 'BEGIN { printf "%.1f", (t - t0) / 1000 }')
echo "$d $u" >"$OUT/failover.marks"
echo "   $FO_SIZE in $(jq '.rx.duration_ms / 1000' "$TMP/fo.cli.json") s, byte-identical; longest wait for data: $(jq '.rx.max_gap_ms | floor' "$TMP/fo.cli.json") ms"
echo "   Mbit/s per WAN every second (t s: DSL LTE Satellite):"
awk 'NR % 5 == 0 { printf "     %5.1f: %5.1f %5.1f %5.1f\n", $1, $2, $3, $4 }' "$OUT/failover.rates"
echo
echo "Every byte was compared; one connection from the LAN used all three WANs."
