#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark, inside the VM: the scenario of
# selftests/e2e/lib-e2e.sh (LAN client -> router with DSL, LTE and
# satellite WANs -> VPS -> internet server), one LAN client and one
# internet server throughout, these ways of getting across:
#   omr       SOCKS5 -> omr-shim over MPTCP, omr scheduler + omr PM (omrctl)
#   default   the same omr-shim over MPTCP, upstream "default" scheduler and
#             the in-kernel PM with one subflow endpoint per extra WAN
#   single1..3 plain TCP over WAN 1, 2 or 3 alone, routed, no proxy (the
#             report takes the best of them, measured)
#   ssh       SOCKS5 -> ssh -D over DSL (sshd on the VPS): TCP over TCP
#   ss        SOCKS5 -> shadowsocks-libev (ss-local/ss-server under
#             mptcpize) over MPTCP with the omr scheduler and PM
# For each, BENCH_REPS downloads and uploads bounded by time (BENCH_MS ms,
# omr-xfer -D, byte-checked) with a request/response probe (64 B every
# 50 ms on a second connection through the same proxy) alongside: one JSON
# line per run in $OMR_OUT/e2e-bench.jsonl, with the guest's CPU busy % and
# each WAN's bytes over the receiver's first to last byte, from one
# omr-watch in the router (e2e_sample_start). The first line gives the WAN
# profile. Then the failover case for omr and default: a BENCH_FO_MS
# download, LTE down 4 s in and back 4 s later, per-WAN rates every 200 ms
# in $OMR_OUT/fo-VARIANT.rates, and a JSON line with the longest stall (the
# receiver's longest wait between reads) and the recovery time (from LTE's
# link up, as the sampler saw it, to its first 200 ms sample above
# 1 Mbit/s).
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

MS=${BENCH_MS:-15000}
REPS=${BENCH_REPS:-5}
FO_MS=${BENCH_FO_MS:-20000}
S=$TMP/bench.samples
res=$OMR_OUT/e2e-bench.jsonl
json_list() { local IFS=,; echo "[$*]"; }
jq -c -n --argjson r "$(json_list "${E2E_RATES[@]}")" --argjson d "$(json_list "${E2E_DELAYS[@]}")" \
	--argjson l "$(json_list "${E2E_LOSS[@]}")" --argjson ms "$MS" --argjson reps "$REPS" \
	'{profile: {rates_mbps: $r, delay_ms: $d, loss_pct: $l}, ms: $ms, reps: $reps}' >"$res"

proxy_of() {
	case $1 in
	omr | default) echo "-x $RTR_LAN:$SOCKS_PORT" ;;
	ssh) echo "-x $RTR_LAN:$SSH_SOCKS_PORT" ;;
	ss) echo "-x $RTR_LAN:$SS_SOCKS_PORT" ;;
	single*) echo "-T" ;;
	esac
}

run_one() {
	local variant=$1 dir=$2 rep=$3 name=b$RANDOM rx rc first last cpu bytes
	# shellcheck disable=SC2046
	e2e_xfer_bg "$name" 0 "$dir" -D "$MS" -r $((MS / 50)) -R 50 $(proxy_of "$variant") || return 1
	e2e_xfer_wait $((MS / 1000 + 60))
	rc=$?
	rx=$(e2e_rx_json "$name" "$dir")
	first=$(jq '.rx.first_mono_ms // 0 | floor' "$rx")
	last=$(jq '.rx.last_mono_ms // 0 | floor' "$rx")
	cpu=$(e2e_sample_cpu "$S" "$first" "$last")
	bytes=$(e2e_sample_bytes "$S" "$dir" "$first" "$last")
	jq -c -n --arg v "$variant" --arg dir "$dir" --argjson rep "$rep" --argjson rc "$rc" \
		--argjson cpu "${cpu:-null}" --argjson b "[${bytes// /,}]" \
		--slurpfile r "$rx" --slurpfile c "$TMP/$name.cli.json" '
		{variant: $v, dir: $dir, rep: $rep,
		 ok: ($rc == 0 and $r[0].ok and $c[0].ok),
		 seconds: ($r[0].rx.duration_ms / 1000),
		 mbps: $r[0].rx.goodput_mbps, cpu_pct: $cpu, wan_bytes: $b,
		 p50_ms: ($c[0].latency.p50_us / 1000), p99_ms: ($c[0].latency.p99_us / 1000)}' \
		>>"$res" || echo "{\"variant\":\"$variant\",\"dir\":\"$dir\",\"rep\":$rep,\"ok\":false}" >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

# failover VARIANT: LTE down 4 s into a download, back 4 s later.
failover() {
	local v=$1 t0 t_d t_u t_end rc back
	t0=$(mono_ms)
	e2e_xfer_bg "fo-$v" 0 down -D "$FO_MS" -x "$RTR_LAN:$SOCKS_PORT" || return 1
	sleep 4
	path_down 2
	sleep 4
	path_up 2
	e2e_xfer_wait $((FO_MS / 1000 + 60))
	rc=$?
	sleep 0.6
	t_end=$(mono_ms)
	t_d=$(E2E_AFTER=$t0 e2e_sample_at "$S" link eth2 down)
	t_u=$(E2E_AFTER=${t_d:-$t0} e2e_sample_at "$S" link eth2 up)
	e2e_rates "$S" down "$t0" "$t_end" >"$OMR_OUT/fo-$v.rates"
	# the first 200 ms sample from LTE's return in which it carried > 1 Mbit/s
	back=$(awk -v u="${t_u:-1e18}" -v t0="$t0" '$1 * 1000 + t0 >= u && $3 > 1 {
		printf "%d\n", $1 * 1000 + t0 - u; exit }' "$OMR_OUT/fo-$v.rates")
	jq -c -n --arg v "$v" --argjson rc "$rc" --argjson t0 "$t0" --argjson d "${t_d:-null}" \
		--argjson u "${t_u:-null}" --argjson e "$t_end" --argjson back "${back:-null}" \
		--argjson cpu "$(e2e_sample_cpu "$S" "$t0" "$t_end")" --slurpfile c "$TMP/fo-$v.cli.json" '
		{failover: $v, ok: ($rc == 0 and $c[0].ok),
		 down_s: (if $d then ($d - $t0) / 1000 else null end),
		 up_s: (if $u then ($u - $t0) / 1000 else null end),
		 end_s: (($c[0].rx.last_mono_ms - $t0) / 1000),
		 seconds: ($c[0].rx.duration_ms / 1000), mbps: $c[0].rx.goodput_mbps, cpu_pct: $cpu,
		 stall_ms: $c[0].rx.max_gap_ms, recovery_ms: $back}' >>"$res"
	tail -n 1 "$res" | sed 's/^/# /'
}

e2e_setup omr omr || exit 1
e2e_ssh_start || { log "ssh -D did not start: $(cat "$TMP/sshd.log" "$TMP/ssh.log")"; exit 1; }
variants=${BENCH_E2E_VARIANTS:-omr single1 single2 single3 ssh ss}
# shadowsocks-libev needs mptcpize (package mptcpize): without it, no row 5
if [[ " $variants " == *" ss "* ]] && ! e2e_ss_start; then
	log "shadowsocks-libev did not start, no ss row: $(cat "$TMP"/ss-*.log)"
	rest=
	for v in $variants; do [ "$v" = ss ] || rest="$rest $v"; done
	variants=$rest
fi
e2e_sample_start "$S" 200 || exit 1
for v in $variants; do
	[[ $v != single* ]] || e2e_route_via "${v#single}"
	for dir in down up; do
		for rep in $(seq "$REPS"); do
			run_one "$v" "$dir" "$rep"
		done
	done
	e2e_route_via 1
done
failover omr
log "sampler: $(tail -n 1 "$S"); largest interval deviation $(e2e_sample_jitter "$S" 200) ms"

e2e_setup default kernel || exit 1
e2e_sample_start "$S" 200 || exit 1
for dir in down up; do
	for rep in $(seq "$REPS"); do
		run_one default "$dir" "$rep"
	done
done
failover default
log "sampler: $(tail -n 1 "$S"); largest interval deviation $(e2e_sample_jitter "$S" 200) ms"
