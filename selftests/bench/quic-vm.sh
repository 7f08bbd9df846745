#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QUIC relayed on one WAN, or blocked so that browsers fall back to TCP over
# every WAN (issue #13; docs/shim.md, "QUIC", keeps the figures and the
# default chosen from them). Inside the VM, from the host:
#
#   flock /tmp/omr-vm.lock selftests/vm/vm.sh -k 6.12.117+deb12-amd64 -m 4096 \
#       -t 1800 -o out/quic -- selftests/bench/quic-vm.sh
#
# The scenario of selftests/e2e/lib-e2e.sh (docs/e2e.md) with a transparent
# LAN client, as selftests/omr_e2e_redir.sh: omr-shim-nft -u's ruleset on
# the router hands the LAN's TCP (REDIRECT) and UDP (TPROXY) to omr-shim
# redir -u (udp_fwmark 7; `omrctl udp-route` keeps that UDP on the WAN omr's
# PM judges best, DSL), omr-shim server -u on the VPS. The internet host
# serves one object over HTTP/3 (gtlsserver, ngtcp2's example server, UDP
# 443) and over HTTPS (openssl s_server -WWW, TCP 443), self-signed. The LAN
# client (selftests/bench/quic-probe.py, one process per phase) has no proxy
# settings:
#   (a) quic   HTTP/3 download by gtlsclient: caught by TPROXY, relayed by
#              omr-shim's UDP relay on one WAN ("quic": "relay")
#   (b) tcp    the same object over HTTP (busybox httpd) by curl: redir, one MPTCP
#              connection over every WAN (what a browser falls back to
#              under "quic": "block")
#   (a0) direct the same HTTP/3 download from a second address of the
#              internet host (100.64.0.80: the ruleset leaves it alone),
#              routed on DSL without the relay: what the relay costs
#              (BENCH_QUIC_DIRECT=0 leaves it out)
#   each BENCH_QUIC_REPS (5) times, alternating, for BENCH_QUIC_MS (15000)
#   ms from the first byte; then BENCH_QUIC_TTFB_REPS (10) times each,
#   alternating, a 16 KB object over HTTP/3 and HTTPS (openssl s_server
#   -WWW; curl is given the one certificate, not the system's bundle,
#   whose parsing would count in its handshake): time to its first and
#   last byte;
#   (c) fail   what a QUIC attempt meets, BENCH_QUIC_FAIL_REPS (3) times
#              gtlsclient and 5 bare Initial-sized datagrams: relayed (a
#              control), dropped by omr-shim redir ("quic": "block"),
#              rejected by nftables before TPROXY (udp dport 443 reject: an
#              ICMP port unreachable).
# One omr-watch in the router samples the WANs' bytes and the guest's CPU
# every 200 ms: each run gets its CPU busy % and its bytes per WAN over its
# own window. JSON lines in $OMR_OUT/quic-bench.jsonl (the first line gives
# the WAN profile), the report (selftests/bench/quic-report.sh) on stdout
# and in $OMR_OUT/quic-bench.md. E2E_RATES changes the WAN rates.
# Needs curl, openssl (scripts/deps.sh) and, installed by hand on the host
# (`apt-get install ngtcp2-client ngtcp2-server`), ngtcp2's example client
# and server: not by deps.sh, which the README's test command runs, because
# the ngtcp2-server package also enables a daemon (ngtcp2d.service, on
# localhost:7777) that a test run must not leave on a user's machine
# (`systemctl disable --now ngtcp2d` after installing it).
# ctl/omrctl, shim/omr-shim and selftests/tools are built on the host.
# shellcheck source=selftests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=selftests/e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"
trap 'e2e_cleanup; cleanup_all' EXIT
# shellcheck disable=SC2119
omr_load || exit 1

MS=${BENCH_QUIC_MS:-15000}
REPS=${BENCH_QUIC_REPS:-5}
TREPS=${BENCH_QUIC_TTFB_REPS:-10}
FREPS=${BENCH_QUIC_FAIL_REPS:-3}
REDIR_PORT=1100
PROBE=$top/selftests/bench/quic-probe.py
MARK=7
TABLE=207
S=$TMP/quic.samples
RAW=$TMP/quic-raw.jsonl
res=${OMR_OUT:-$TMP}/quic-bench.jsonl
W=$TMP/qwww
DIRECT_IP=100.64.0.80
REDIR_PID=

for x in gtlsclient gtlsserver curl openssl python3 nft jq; do
	command -v "$x" >/dev/null || { log "missing: $x (the header says where it comes from)"; exit 1; }
done

# redir_start QUIC: omr-shim-nft -u's ruleset (once) and omr-shim redir -u
# with "quic": QUIC (relay or block), from ss-redir's JSON keys.
redir_start() {
	ip netns exec "$CLI" nft list table inet omr_redir >/dev/null 2>&1 ||
		e2e_redir_nft "$REDIR_PORT" || return 1
	cat >"$TMP/shim-redir.json" <<-EOF
	{ "server": "$VPS_IP", "server_port": $SHIM_PORT, "password": "$E2E_KEY",
	  "method": "chacha20-ietf-poly1305", "local_address": "0.0.0.0",
	  "local_port": $REDIR_PORT, "timeout": 60, "mptcp": true, "workers": 2,
	  "mode": "tcp_and_udp", "udp_fwmark": $MARK, "quic": "$1" }
	EOF
	: >"$TMP/shim-redir.log"
	ip netns exec "$CLI" "$SHIM" redir -c "$TMP/shim-redir.json" 2>>"$TMP/shim-redir.log" &
	REDIR_PID=$!
	e2e_redir_ready "$REDIR_PORT"
}

redir_stop() {
	[ -n "$REDIR_PID" ] || return 0
	kill "$REDIR_PID" 2>/dev/null
	wait "$REDIR_PID" 2>/dev/null
	REDIR_PID=
}

# redir_status: omr-shim redir's SIGUSR1 report (its UDP counters), logged.
redir_status() {
	local n
	n=$(wc -l <"$TMP/shim-redir.log")
	kill -USR1 "$REDIR_PID" 2>/dev/null
	sleep 1
	tail -n +"$((n + 1))" "$TMP/shim-redir.log" | grep -i 'udp' | sed 's/^/#   redir: /'
}

# The internet host's HTTP/3 and HTTPS servers on 443 (one self-signed
# certificate), and their objects: /big, 2 GB of zeros (sparse: neither
# server reads it whole; no compression anywhere), /small, 16 KB.
servers_start() {
	mkdir -p "$W" "$TMP/qdl"
	truncate -s 2G "$W/big"
	# HTTP for the TCP downloads: busybox httpd (lib-e2e.sh's, on port 80)
	# forks per connection, where s_server serves one at a time and would
	# still be busy with the connection of a download just ended
	truncate -s 2G "$TMP/www/big"
	head -c 16384 /dev/urandom >"$W/small"
	echo 16384 >"$TMP/qdl/small.size"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$TMP/q.key" -out "$TMP/q.crt" -subj "/CN=$INET_IP" >/dev/null 2>&1 || return 1
	ip netns exec "$INET" gtlsserver -q -d "$W" "$INET_IP" 443 "$TMP/q.key" "$TMP/q.crt" \
		>"$TMP/gtlsserver.log" 2>&1 &
	(cd "$W" && exec ip netns exec "$INET" openssl s_server -quiet -WWW -accept "$INET_IP:443" \
		-cert "$TMP/q.crt" -key "$TMP/q.key") >"$TMP/s_server.log" 2>&1 &
	if [ "${BENCH_QUIC_DIRECT:-1}" != 0 ]; then
		# a second address, routed to the VPS over DSL (the router's main
		# default route) and from it to the internet host
		ip -n "$INET" addr add "$DIRECT_IP/32" dev eth0 &&
			ip -n "$SRV" route add "$DIRECT_IP/32" via "$INET_IP" dev inet0 || return 1
		ip netns exec "$INET" gtlsserver -q -d "$W" "$DIRECT_IP" 443 "$TMP/q.key" "$TMP/q.crt" \
			>"$TMP/gtlsserver-direct.log" 2>&1 &
	fi
	wait_listen "$INET" 443 || return 1
	for _ in $(seq 50); do
		[ "$(ip netns exec "$INET" ss -Hlun "sport = :443" | wc -l)" -ge \
			"$([ "${BENCH_QUIC_DIRECT:-1}" != 0 ] && echo 2 || echo 1)" ] && return 0
		sleep 0.2
	done
	log "gtlsserver does not listen: $(cat "$TMP"/gtlsserver*.log)"
	return 1
}

# quic_reject on|off: nftables answers the LAN's UDP to port 443 with an
# ICMP port unreachable before TPROXY takes it (prerouting, ahead of
# omr_redir's mangle-priority chain; where the kernel refuses reject in
# prerouting, in input, which TPROXY'd packets traverse).
quic_reject() {
	local hook
	ip netns exec "$CLI" nft delete table inet omr_quic 2>/dev/null
	[ "$1" = on ] || return 0
	for hook in "prerouting priority -200" "input priority 0"; do
		ip netns exec "$CLI" nft -f - 2>>"$TMP/nft.err" <<-EOF && { log "reject in $hook"; return 0; }
		table inet omr_quic {
			chain c {
				type filter hook $hook; policy accept;
				iifname "lan0" udp dport 443 counter reject
			}
		}
		EOF
	done
	log "nft reject: $(cat "$TMP/nft.err")"
	return 1
}

# frag_counters: the IP fragmentation counters of the router and the VPS
# (a sealed datagram of a full-size QUIC packet exceeds the WAN's MTU).
frag_counters() {
	local ns
	for ns in "$CLI" "$SRV"; do
		ip netns exec "$ns" nstat -asz 2>/dev/null | awk -v ns="$ns" '$1 ~ /^Ip(Frag|Reasm)/ { print ns, $1, $2 }'
	done | jq -R -s -c '{frag: (split("\n") | map(select(length > 0) | split(" ") |
		{key: (.[0] + " " + .[1]), value: (.[2] | tonumber)}) | from_entries)}'
}

# enrich: each run of $RAW with a window (download: first to last byte;
# small: spawn to exit) gets the guest's CPU busy % and each WAN's received
# bytes over it, from the samples (one awk over them); the lot goes to $res.
enrich() {
	jq -r -n '[inputs] | to_entries[] | select(.value.spawn_mono_ms) |
		"\(.key) \(.value.first_mono_ms // .value.spawn_mono_ms) \(.value.last_mono_ms)"' "$RAW" >"$TMP/windows"
	awk 'BEGIN { n = 0 } NR == FNR { id[n] = $1; from[n] = $2; to[n] = $3; n++; next }
		$2 != "cpu" && $2 != "dev" { next }
		{ for (i = 0; i < n; i++) {
			if ($1 < from[i] || $1 > to[i]) continue
			if ($2 == "cpu") { if (!(i in cb0)) { cb0[i] = $4; ct0[i] = $5 } cb1[i] = $4; ct1[i] = $5; continue }
			for (k = 0; k < 3; k++) { c = 4 + 3 * k; if (!((i, k) in a)) a[i, k] = $c; b[i, k] = $c }
		} }
		END { for (i = 0; i < n; i++)
			printf "{\"line\": %d, \"cpu_pct\": %s, \"wan_bytes\": [%d, %d, %d]}\n", id[i],
				(ct1[i] > ct0[i]) ? sprintf("%.0f", 100 * (cb1[i] - cb0[i]) / (ct1[i] - ct0[i])) : "null",
				b[i, 0] - a[i, 0], b[i, 1] - a[i, 1], b[i, 2] - a[i, 2] }' "$TMP/windows" "$S" >"$TMP/cpu.jsonl"
	jq -c -n --slurpfile w "$TMP/cpu.jsonl" '($w | map({key: (.line | tostring), value: del(.line)}) |
		from_entries) as $m | [inputs] | to_entries[] | .value + ($m[.key | tostring] // {})' "$RAW" >>"$res"
}

json_list() { local IFS=,; echo "[$*]"; }
jq -c -n --argjson r "$(json_list "${E2E_RATES[@]}")" --argjson d "$(json_list "${E2E_DELAYS[@]}")" \
	--argjson l "$(json_list "${E2E_LOSS[@]}")" --argjson ms "$MS" --argjson reps "$REPS" \
	--argjson treps "$TREPS" --argjson freps "$FREPS" --arg kernel "$(uname -r)" \
	--arg client "$(dpkg-query -W -f '${Version}' ngtcp2-client 2>/dev/null)" \
	'{profile: {rates_mbps: $r, delay_ms: $d, loss_pct: $l}, ms: $ms, reps: $reps,
	  ttfb_reps: $treps, fail_reps: $freps, kernel: $kernel, ngtcp2: $client}' >"$res"

export E2E_HTTP_SIZE=64K
export E2E_SHIM_SERVER_JSON=', "mode": "tcp_and_udp"'
e2e_setup omr omr || { log "scenario setup failed"; exit 1; }
redir_start relay || exit 1
e2e_udp_route_start $MARK $TABLE || { log "udp-route did not start"; exit 1; }
servers_start || { log "the internet host's servers did not start"; exit 1; }
e2e_sample_start "$S" 200 || exit 1

# (a), (b) and the small objects: one process
direct=
[ "${BENCH_QUIC_DIRECT:-1}" = 0 ] || direct=$DIRECT_IP
log "bulk: $REPS x (HTTP/3, HTTPS${direct:+, HTTP/3 routed}) for $MS ms each, then $TREPS x each a 16 KB object"
QUIC_PROBE_CACERT=$TMP/q.crt ip netns exec "$LAN" python3 "$PROBE" bulk "$RAW" "$INET_IP" "$MS" "$REPS" "$TREPS" "$TMP/qdl" $direct ||
	log "quic-probe.py bulk failed"
frag_counters >>"$TMP/frag.json"
redir_status

# (c): relayed (control), dropped by omr-shim, rejected by nftables
ip netns exec "$LAN" python3 "$PROBE" fail "$RAW" "$INET_IP" relay "$FREPS"
redir_stop
redir_start block || exit 1
ip netns exec "$LAN" python3 "$PROBE" fail "$RAW" "$INET_IP" shim-block "$FREPS"
redir_status
if quic_reject on; then
	ip netns exec "$LAN" python3 "$PROBE" fail "$RAW" "$INET_IP" nft-reject "$FREPS"
	ip netns exec "$CLI" nft list table inet omr_quic | grep counter | sed 's/^[[:space:]]*/#   nft: /'
	quic_reject off
fi
e2e_sample_stop
log "sampler: largest interval deviation $(e2e_sample_jitter "$S" 200) ms"

enrich
cat "$TMP/frag.json" >>"$res"
cp "$S" "${OMR_OUT:-$TMP}/quic.samples" 2>/dev/null
"$top/selftests/bench/quic-report.sh" "$res" | tee "${OMR_OUT:-$TMP}/quic-bench.md"
