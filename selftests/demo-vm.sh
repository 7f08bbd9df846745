#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM: the end-to-end scenario of selftests/e2e/lib-e2e.sh
# (docs/e2e.md). A LAN client reaches an internet server through SOCKS5 ->
# omr-shim local on the router -> one MPTCP connection over three WANs
# (omr scheduler, omr path manager set up with omrctl) -> omr-shim server on
# the VPS. Shows each WAN alone (plain TCP), a download and an upload through
# the proxy, an HTTP download with the share of every path (omrctl conn
# show), then a download during which LTE fails and comes back.
#
# Every transfer is bounded by time (omr-xfer -D), not by size, so that it
# reaches steady state whatever the machine. One long-lived sampler
# (omr-watch in the router, e2e_sample_start) records the WANs' byte
# counters and the guest's CPU every 200 ms and LTE's link events on the
# same clock, for the whole demo: each row's CPU busy % and each WAN's
# share come from it, and so do the failover's per-WAN rates, copied to
# $OMR_OUT/failover.rates (selftests/demo.sh plots them on the host). A row
# during which the guest was over 80 % busy measured the VM, not the
# network: it is marked CPU-bound and left out of the ratios.
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

SINGLE_MS=${OMR_DEMO_SINGLE_MS:-10000}
AGG_MS=${OMR_DEMO_MS:-15000}
FO_MS=${OMR_DEMO_FO_MS:-20000}
export E2E_HTTP_SIZE=${OMR_DEMO_HTTP_SIZE:-8M}
PROXY=$RTR_LAN:$SOCKS_PORT
OUT=${OMR_OUT:-$TMP}
S=$TMP/demo.samples
CPU_BOUND=80

row() { printf '%-60s %6s %5s  %s\n' "$@"; }

# measured NAME DIR: "MBPS CPU SHARES" of NAME's receiver: goodput (Mbit/s,
# integer), the guest's CPU busy % over its first to last byte, and each
# WAN's share of the bytes then ("DSL/LTE/Sat %").
measured() {
	local rx first last
	rx=$(e2e_rx_json "$1" "$2")
	first=$(jq '.rx.first_mono_ms // 0 | floor' "$rx")
	last=$(jq '.rx.last_mono_ms // 0 | floor' "$rx")
	echo "$(jq '.rx.goodput_mbps // 0 | . * 10 | round / 10' "$rx")" \
		"$(e2e_sample_cpu "$S" "$first" "$last")" \
		"$(e2e_sample_bytes "$S" "$2" "$first" "$last" |
			awk '{ t = $1 + $2 + $3; if (t == 0) t = 1
				printf "%d/%d/%d", 100 * $1 / t + 0.5, 100 * $2 / t + 0.5, 100 * $3 / t + 0.5 }')"
}

flag() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt "$CPU_BOUND" ] && echo "CPU-bound"; true; }

e2e_setup omr omr || { echo "scenario setup failed"; exit 1; }
e2e_sample_start "$S" 200 || { echo "the sampler did not start"; exit 1; }
cat <<EOF

== omr demo (kernel $(uname -r)): LAN -> SOCKS5 -> omr-shim -> MPTCP over 3 WANs -> VPS -> internet
   router and VPS: net.mptcp.scheduler=omr; router: omr path manager, set up with
     omrctl pm set enable; omrctl path add dev eth1; ... eth2; ... eth3
   omrctl path show:
$(ctl path show | sed 's/^/     /')
   WANs (netem, both ways): ${E2E_NAMES[0]}; ${E2E_NAMES[1]};
     ${E2E_NAMES[2]}: rates scaled to the VM's measured ceiling (docs/e2e.md)

EOF
row "download, internet -> LAN, $((SINGLE_MS / 1000)) s each alone" "Mbit/s" "CPU %" ""
declare -A ratio ofceil
best=0
best_i=0
sum=0
for i in 1 2 3; do
	e2e_route_via "$i"
	e2e_xfer "single$i" 0 down -T -D "$SINGLE_MS" || { echo "transfer on WAN $i failed"; exit 1; }
	read -r r cpu _ <<<"$(measured "single$i" down)"
	[ "$cpu" != null ] || cpu=-
	row "WAN $i alone, plain TCP: ${E2E_NAMES[$((i - 1))]}" "$r" "$cpu" "$(flag "$cpu")"
	sum=$(awk -v a="$sum" -v b="$r" 'BEGIN { print a + b }')
	if [ -z "$(flag "$cpu")" ] && awk -v a="$r" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		best=$r
		best_i=$i
	fi
done
e2e_route_via 1
row "sum of the three alone (the ceiling for cubic, measured)" "$sum" "" ""
row "sum of the three WAN rates" "$E2E_WAN_SUM" "" ""
# The loss model for comparison: per WAN the line rate's goodput (1448-byte
# segments in 1514-byte frames) or, on a lossy one, Mathis' bound (MSS /
# RTT * 1.22 / sqrt(p)). netem drops whole GSO packets of several segments,
# so loss events are rarer than its per-packet rate and cubic beats the
# model; the measured sum above is the ceiling the ratios use.
model=$(for i in 0 1 2; do echo "${E2E_RATES[i]} ${E2E_DELAYS[i]} ${E2E_LOSS[i]}"; done |
	awk '{ c = $1 * 1448 / 1514
	       if ($3 > 0) { m = 1448 * 8 * 1.22 / (2 * $2 / 1000 * sqrt($3 / 100)) / 1e6; if (m < c) c = m }
	       s += c; printf "%s%.1f", (NR > 1 ? "+" : ""), c } END { printf " = %.1f\n", s }')
row "loss model (line rate, or Mathis' bound on lossy WANs)" "${model##* }" "" "(${model% = *})"
echo
row "all three, omr-shim + MPTCP, $((AGG_MS / 1000)) s each way (omr-xfer)" "Mbit/s" "CPU %" "DSL/LTE/Sat % of bytes"
for dir in down up; do
	e2e_xfer "agg$dir" 0 "$dir" -x "$PROXY" -D "$AGG_MS" || { echo "$dir through SOCKS5 failed"; exit 1; }
	xfer_intact "agg$dir" || { echo "$dir corrupted"; exit 1; }
	read -r r cpu share <<<"$(measured "agg$dir" "$dir")"
	row "all three, omr-shim + MPTCP: $([ "$dir" = down ] && echo download || echo upload), byte-checked" \
		"$r" "$cpu" "$share $(flag "$cpu")"
	[ -n "$(flag "$cpu")" ] && continue
	[ "$best_i" -eq 0 ] || ratio[$dir]=$(awk -v a="$r" -v b="$best" 'BEGIN { printf "%.2f", a / b }')
	ofceil[$dir]=$(awk -v a="$r" -v b="$sum" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
done
[ "$best_i" -eq 0 ] ||
	echo "   best single WAN (measured above): ${E2E_SHORT[$((best_i - 1))]}, $best Mbit/s;" \
		"all three: ${ratio[down]:-– (CPU-bound)}x it down, ${ratio[up]:-– (CPU-bound)}x up"
echo "   all three against the three alone ($sum): ${ofceil[down]:-– (CPU-bound)} down," \
	"${ofceil[up]:-– (CPU-bound)} up"

# HTTP: curl through the SOCKS5 proxy, while omrctl looks at the tunnel.
snap=$TMP/conn.json
e2e_conn_snapshot "$snap" 3 &
spid=$!
speed=$(ip netns exec "$LAN" curl -sS --max-time 120 --socks5-hostname "$PROXY" \
	-o "$TMP/got" -w '%{speed_download}' "http://$INET_IP/file") ||
	{ echo "download through SOCKS5 failed"; exit 1; }
wait "$spid"
cmp -s "$TMP/got" "$TMP/www/file" || { echo "download corrupted"; exit 1; }
echo
row "HTTP through SOCKS5 ($E2E_HTTP_SIZE, curl; omrctl polls meanwhile)" \
	"$(awk -v b="$speed" 'BEGIN { printf "%.1f", b * 8 / 1e6 }')" "" "identical (cmp)"

echo
echo "== omrctl conn show on the router during the HTTP download (the tunnel; 'pm': omr's PM follows it)"
jq -r --argjson p "$SHIM_PORT" '.[] | select(.remote_port == $p) |
	"conn \(.token) \(.local_addr):\(.local_port) -> \(.remote_addr):\(.remote_port) \(.state) sched \(.sched // "-")\(if .pm then " pm" else "" end)",
	((.subflows | map(.bytes_received) | add) as $t | .subflows | sort_by(.dev)[] |
	 "  sf \(.id) dev \(.dev) \(.local_addr) srtt \(.srtt_us / 1000 | floor) ms cwnd \(.cwnd) received \(.bytes_received) (\(if $t > 0 then 100 * .bytes_received / $t | floor else 0 end) %) retrans \(.retrans)")' \
	"$snap" 2>/dev/null | head -n 8
echo "(a snapshot a moment into the transfer: the shares are those of the bytes received so far)"

echo
down_at=4
back_at=8
echo "== a $((FO_MS / 1000)) s download while LTE (eth2) goes down ${down_at} s in and comes back 4 s later"
t0=$(mono_ms)
e2e_xfer_bg fo 0 down -x "$PROXY" -D "$FO_MS" || { echo "failover transfer did not start"; exit 1; }
sleep "$down_at"
path_down 2
sleep $((back_at - down_at))
path_up 2
xfer_wait || { echo "failover transfer failed: $(cat "$TMP/fo.cli.err")"; exit 1; }
xfer_intact fo || { echo "failover transfer corrupted"; exit 1; }
sleep 0.6
t_end=$(mono_ms)
e2e_sample_stop
t_d=$(E2E_AFTER=$t0 e2e_sample_at "$S" link eth2 down)
t_u=$(E2E_AFTER=${t_d:-$t0} e2e_sample_at "$S" link eth2 up)
e2e_rates "$S" down "$t0" "$t_end" >"$OUT/failover.rates"
d=$(awk -v t="${t_d:-0}" -v t0="$t0" 'BEGIN { printf "%.1f", (t - t0) / 1000 }')
u=$(awk -v t="${t_u:-0}" -v t0="$t0" 'BEGIN { printf "%.1f", (t - t0) / 1000 }')
echo "$d $u" >"$OUT/failover.marks"
read -r r cpu share <<<"$(measured fo down)"
echo "   byte-identical; $r Mbit/s, guest CPU $cpu % busy; longest wait for data:" \
	"$(jq '.rx.max_gap_ms | floor' "$TMP/fo.cli.json") ms"
echo "   LTE's link went down at ${d} s and came back at ${u} s (the sampler's rtnetlink events)"
echo "   Mbit/s per WAN each second, from 200 ms samples (t: from the start of this step):"
printf '     %9s %6s %6s %6s %6s %5s\n' "t s" DSL LTE Sat total "CPU %"
awk -v t0="$t0" -v d="$d" -v u="$u" '
	FNR == NR { b = int($1); for (i = 2; i <= 4; i++) m[b, i] += $i; n[b]++; if (b > last) last = b; next }
	$2 == "cpu" && $1 >= t0 { b = int(($1 - t0) / 1000); c[b] += $3; k[b]++ }
	END {
		for (b = 0; b <= last; b++) {
			if (!n[b]) continue
			tot = 0
			printf "     %3d-%-3d s", b, b + 1
			for (i = 2; i <= 4; i++) { v = m[b, i] / n[b]; tot += v; printf " %6.1f", v }
			printf " %6.1f %5s", tot, k[b] ? sprintf("%.0f", c[b] / k[b]) : "-"
			if (d >= b && d < b + 1) printf "  <- LTE down at %s s", d
			if (u >= b && u < b + 1) printf "  <- LTE back at %s s", u
			printf "\n"
		}
	}' "$OUT/failover.rates" "$S"
echo "   sampler: $(awk '$2 == "end" { printf "%d samples, %d late by more than an interval, worst delay %s ms", $3, $4, $5 }' "$S")," \
	"largest deviation of an interval from 200 ms: $(e2e_sample_jitter "$S" 200) ms"
cp "$S" "$OUT/demo.samples"
echo
echo "Every byte was compared; one connection from the LAN used all three WANs."
