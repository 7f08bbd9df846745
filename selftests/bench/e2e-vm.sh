#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark, inside the VM: the scenario of
# selftests/e2e/lib-e2e.sh (LAN client -> router with DSL, LTE and
# satellite WANs -> VPS -> internet server), one LAN client and one
# internet server throughout, five ways of getting across:
#   omr       SOCKS5 -> omr-shim over MPTCP, omr scheduler + omr PM (omrctl)
#   default   the same omr-shim over MPTCP, upstream "default" scheduler and
#             the in-kernel PM with one subflow endpoint per extra WAN
#   single    plain TCP over the best WAN alone (DSL: the one that does best
#             alone under TCP, the others lose packets), routed, no proxy
#   ssh       SOCKS5 -> ssh -D over DSL (sshd on the VPS): TCP over TCP
#   ss        SOCKS5 -> shadowsocks-libev (ss-local/ss-server under
#             mptcpize) over MPTCP with the omr scheduler and PM
# For each, BENCH_REPS downloads and uploads of BENCH_SIZE (omr-xfer,
# byte-checked) with a request/response probe (64 B every 20 ms on a second
# connection through the same proxy) alongside: one JSON line per run in
# $OMR_OUT/e2e-bench.jsonl. Then the failover case for omr and default: a
# BENCH_FO_SIZE download, LTE down at 2 s and back 3 s later, per-WAN rates
# every 200 ms in $OMR_OUT/fo-VARIANT.rates, and a JSON line with the
# longest stall (the receiver's longest wait between reads) and the
# recovery time (from LTE's return to its first 200 ms sample above
# 1 Mbit/s).
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

SIZE=${BENCH_SIZE:-8M}
REPS=${BENCH_REPS:-3}
FO_SIZE=${BENCH_FO_SIZE:-48M}
res=$OMR_OUT/e2e-bench.jsonl
: >"$res"

proxy_of() {
	case $1 in
	omr | default) echo "-x $RTR_LAN:$SOCKS_PORT" ;;
	ssh) echo "-x $RTR_LAN:$SSH_SOCKS_PORT" ;;
	ss) echo "-x $RTR_LAN:$SS_SOCKS_PORT" ;;
	single) echo "-T" ;;
	esac
}

run_one() {
	local variant=$1 dir=$2 rep=$3 name=b$RANDOM rx rc
	# shellcheck disable=SC2046
	e2e_xfer_bg "$name" "$SIZE" "$dir" -r 100 -R 20 $(proxy_of "$variant") || return 1
	e2e_xfer_wait 60
	rc=$?
	rx=$(e2e_rx_json "$name" "$dir")
	jq -c -n --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" --argjson rc "$rc" \
		--slurpfile r "$rx" --slurpfile c "$TMP/$name.cli.json" '
		{variant: $v, dir: $dir, rep: $rep,
		 ok: ($rc == 0 and $r[0].ok and $c[0].ok and
		      $r[0].rx.bytes == $r[0].size),
		 seconds: ($r[0].rx.duration_ms / 1000),
		 mbps: $r[0].rx.goodput_mbps,
		 p50_ms: ($c[0].latency.p50_us / 1000), p99_ms: ($c[0].latency.p99_us / 1000)}' \
		>>"$res" || echo "{\"variant\":\"$variant\",\"dir\":\"$dir\",\"rep\":$rep,\"ok\":false}" >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

# failover VARIANT: LTE down at 2 s, back at 5 s, during a download.
failover() {
	local v=$1 t_down t_up t_end rc
	e2e_sample_start "$TMP/fo-$v.samples" 200
	e2e_xfer_bg "fo-$v" "$FO_SIZE" down -x "$RTR_LAN:$SOCKS_PORT" || return 1
	sleep 2
	t_down=$(now_ms)
	path_down 2
	sleep 3
	path_up 2
	t_up=$(now_ms)
	e2e_xfer_wait 60
	rc=$?
	t_end=$(now_ms)
	sleep 1.5
	e2e_sample_stop
	e2e_rates "$TMP/fo-$v.samples" down >"$OMR_OUT/fo-$v.rates"
	local d u e
	d=$((t_down - E2E_SAMPLE_T0))
	u=$((t_up - E2E_SAMPLE_T0))
	e=$((t_end - E2E_SAMPLE_T0))
	jq -c -n --arg v "$v" --argjson rc "$rc" --argjson d "$d" --argjson u "$u" --argjson e "$e" \
		--slurpfile c "$TMP/fo-$v.cli.json" --rawfile rates "$OMR_OUT/fo-$v.rates" '
		($rates | split("\n") | map(select(length > 0) | split(" ") | map(tonumber))) as $s |
		($s | map(select(.[0] * 1000 >= $u and .[2] > 1)) | first) as $back |
		{failover: $v, ok: ($rc == 0 and $c[0].ok), down_s: ($d / 1000), up_s: ($u / 1000),
		 end_s: ($e / 1000),
		 seconds: ($c[0].rx.duration_ms / 1000), mbps: $c[0].rx.goodput_mbps,
		 stall_ms: $c[0].rx.max_gap_ms,
		 recovery_ms: (if $back then ($back[0] * 1000 - $u | round) else null end)}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

e2e_setup omr omr || exit 1
e2e_ssh_start || { log "ssh -D did not start: $(cat "$TMP/sshd.log" "$TMP/ssh.log")"; exit 1; }
e2e_ss_start || { log "shadowsocks-libev did not start: $(cat "$TMP"/ss-*.log)"; exit 1; }
for v in omr single ssh ss; do
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			run_one "$v" "$dir" "$rep"
		done
	done
done
failover omr

e2e_setup default kernel || exit 1
for dir in down up; do
	for rep in $(seq "$REPS"); do
		run_one default "$dir" "$rep"
	done
done
failover default
