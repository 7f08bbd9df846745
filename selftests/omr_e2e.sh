#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end (issue #6), the scenario of selftests/e2e/lib-e2e.sh (docs/e2e.md):
# a LAN client, a router with three emulated WANs (DSL, LTE, satellite), a
# VPS and an internet server. The router and the VPS use the omr scheduler,
# the router omr's path manager configured with omrctl; the LAN client's
# TCP goes through SOCKS5 to omr-shim local, one MPTCP connection to
# omr-shim server on the VPS, then TCP to the internet server. A few MB each
# way, compared byte for byte; every WAN carries its part; a WAN dies in the
# middle of a download and the download still completes intact.
# ctl/omrctl, shim/omr-shim and selftests/tools are built on the host.
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load

T=("e2e: scheduler omr on router and VPS, omr PM on the router with eth1..eth3 through omrctl (path show -j: 3 paths, link up), omr-shim server and local listening"
	"e2e: HTTP download through SOCKS5 (curl --socks5-hostname, omr-shim, MPTCP) of 4 MB: sha256 equal to the server's file"
	"e2e: 20 s download through SOCKS5 (omr-xfer -x): byte-identical; omrctl conn show, while it runs: the tunnel has 3 established subflows on eth1..eth3; each WAN received >= 2 % of the bytes"
	"e2e: 10 s upload through SOCKS5: byte-identical; each WAN sent >= 2 % of the bytes"
	"e2e: failover: eth2 (LTE) down 1 s into a download, back 2 s later, the download ended 2 s after the re-join (xfer_cut): byte-identical; omr's PM re-joins LTE on the tunnel (an established eth2 subflow) within 5 s of its return, while the download runs")

ktap_print_header
ktap_set_plan ${#T[@]}

e2e_require "$CTL" "$SHIM" "$XFER"

export E2E_HTTP_SIZE=4M
PROXY=$RTR_LAN:$SOCKS_PORT

# 1
ok=0
if e2e_setup omr omr; then
	ctl -j path show >"$TMP/paths.json"
	if jq -e 'length == 3 and (map(.dev) | sort) == ["eth1", "eth2", "eth3"] and
		all(.link == "up")' "$TMP/paths.json" >/dev/null; then
		ok=1
	else
		log "path show: $(tr -d '\n' <"$TMP/paths.json")"
	fi
	[ "$(ip netns exec "$CLI" sysctl -n net.mptcp.scheduler)" = omr ] &&
		[ "$(ip netns exec "$SRV" sysctl -n net.mptcp.scheduler)" = omr ] || ok=0
else
	log "scenario setup failed"
fi
ktap_test_result "${T[0]}" test $ok = 1
[ $ok = 1 ] || { for t in "${T[@]:1}"; do ktap_test_fail "$t (no scenario)"; done; ktap_finished; }

# 2
ip netns exec "$LAN" curl -sS --max-time 60 --socks5-hostname "$PROXY" \
	-o "$TMP/got" "http://$INET_IP/file" 2>"$TMP/curl.err"
want=$(sha256sum <"$TMP/www/file" | cut -d' ' -f1)
got=$(sha256sum <"$TMP/got" 2>/dev/null | cut -d' ' -f1)
[ "$want" = "$got" ] || log "curl: $(cat "$TMP/curl.err"); sha256 $got, want $want ($(stat -c %s "$TMP/got" 2>/dev/null) bytes)"
ktap_test_result "${T[1]}" test "$want" = "$got"

# 3, 4: transfers bounded by time (omr-xfer -D), so that conn show is taken
# while the download runs on any machine; the receiver's last byte, on the
# VM's clock, shows it did.
# The download runs 20 s: conn show waits for all three subflows, and on a
# busy machine its omrctl spawns took 9.6 s (a fresh machine at load 10).
for dir in down up; do
	e2e_dev_bytes >"$TMP/before"
	dur=10000
	[ "$dir" = down ] && dur=20000
	e2e_xfer_bg "x$dir" 0 "$dir" -x "$PROXY" -D $dur
	snap=1
	[ "$dir" = down ] && { e2e_conn_snapshot "$TMP/conn.json" 3; snap=$?; t_snap=$(mono_ms); }
	e2e_xfer_wait 45
	rc=$?
	e2e_dev_bytes >"$TMP/after"
	ok=0
	if [ $rc -eq 0 ] && xfer_intact "x$dir"; then ok=1; else
		log "transfer $dir: rc $rc; $(cat "$TMP/x$dir.cli.err" "$TMP/x$dir.srv.err")"
		log "$(jq -c '{ok, error, rx: .rx.bytes, tx: .tx.bytes}' "$TMP/x$dir.cli.json" "$TMP/x$dir.srv.json" | tr '\n' ' ')"
	fi
	col=2
	[ "$dir" = up ] && col=3
	size=$(jq '.rx.bytes // 0' "$(e2e_rx_json "x$dir" "$dir")")
	log "$dir: $size bytes in $((dur / 1000)) s"
	e2e_share_ok "$TMP/before" "$TMP/after" $col "$size" || ok=0
	if [ "$dir" = down ]; then
		e2e_snapshot_ok "x$dir" "$t_snap" "$snap" "$TMP/conn.json" || ok=0
		ktap_test_result "${T[2]}" test $ok = 1
	else
		ktap_test_result "${T[3]}" test $ok = 1
	fi
done

# 5: the re-join is timed by an omr-watch in the router (tunnel subflows to
# the VPS every 100 ms, eth2's link and route events), from the return of
# LTE's default route after its link; conn show then confirms it.
e2e_sample_start "$TMP/fo.samples" 200
watch_start fo "$CLI" -i 100 -t 60 -r "$VPS_IP" || log "no omr-watch"
e2e_xfer_bg fo 0 down -x "$PROXY" -i 500 -D 90000	# cut (xfer_cut) 2 s after the re-join
sleep 1
t_down=$(now_ms)
path_down 2
sleep 2
path_up 2
t_up=$(now_ms)
# omr's PM re-joins LTE on the tunnel: 3 established subflows again.
e2e_conn_snapshot "$TMP/fo-conn.json" 3
rejoin=$?
sleep 2		# LTE carries some of it, then the download ends
xfer_cut
e2e_xfer_wait 30
rc=$?
e2e_sample_stop
watch_stop fo
t_ldown=$(watch_event fo link eth2 down)
t_lup=$(WATCH_AFTER=${t_ldown:-0} watch_event fo link eth2 up)
t_back=$(WATCH_AFTER=${t_lup:-0} watch_event fo route 102 eth2 add)
# the first sample from then with an eth2 subflow of the tunnel
t_join=$(awk -v t="${t_back:-0}" -v p=":$SHIM_PORT" "$WATCH_AWK"'$2 == "sf" && $1 >= t {
	for (i = 1; i <= $3; i++) { sf_parse(i); if (F_LOCAL == "10.0.2.1" && substr(F_REMOTE, length(F_REMOTE) - length(p) + 1) == p) { print int($1); exit } } }' "$TMP/fo.watch")
ok=0
if [ $rc -eq 0 ] && xfer_intact fo; then ok=1; else
	log "failover transfer: rc $rc; $(grep -v ' t=' "$TMP/fo.cli.err"; cat "$TMP/fo.srv.err")"
	log "$(jq -c '{ok, error, rx: .rx.bytes, tx: .tx.bytes}' "$TMP/fo.cli.json" "$TMP/fo.srv.json" | tr '\n' ' ')"
	log "rx progress: $(grep -o 'rx=[0-9]*' "$TMP/fo.cli.err" | uniq -c | tr '\n' ' ')"
fi
log "down for $((t_up - t_down)) ms; receiver's longest gap $(jq .rx.max_gap_ms "$TMP/fo.cli.json") ms, $(jq .rx.duration_ms "$TMP/fo.cli.json") ms in all"
if [ -n "$t_back" ] && [ -n "$t_join" ] && [ $((t_join - t_back)) -lt 5000 ] && [ $rejoin -eq 0 ] &&
	jq -e --argjson p "$SHIM_PORT" 'any(.[] | select(.remote_port == $p) | .subflows[];
		.dev == "eth2" and .state == "established")' "$TMP/fo-conn.json" >/dev/null; then
	log "LTE re-joined $((t_join - t_back)) ms after its route came back ($((t_back - t_lup)) ms after its link)"
	xfer_running fo cli "$t_join" || { ok=0; log "the download was over when LTE re-joined"; }
else
	ok=0
	log "no established LTE subflow on the tunnel within 5 s of its return (omr-watch: link up ${t_lup:-?}, route ${t_back:-?}, subflow ${t_join:-never}): $(jq -c '[.[] | {remote_port, sf: [.subflows[] | {dev, state, backup}]}]' "$TMP/fo-conn.json" 2>&1)"
fi
# What LTE carried after it came back (the sampler's clock is omr-watch's).
e2e_rates "$TMP/fo.samples" down >"$TMP/fo.rates"
log "LTE Mbit/s per 200 ms from its return: $(awk -v up="$(((${t_lup:-0} - E2E_SAMPLE_T0) / 1000))" '$1 >= up { printf "%s ", $3 }' "$TMP/fo.rates")"
ktap_test_result "${T[4]}" test $ok = 1

ktap_finished
