#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The report of selftests/bench/quic-vm.sh, from its quic-bench.jsonl:
#   selftests/bench/quic-report.sh quic-bench.jsonl
# Medians with [min–max]; a run during which the guest's CPU was busier
# than 80 % measured the VM, not the network: marked, and left out of the
# ratios.
set -eu
in=$1
bound=80
# shellcheck disable=SC2016
jq -r -s --argjson b "$bound" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r1: if . == null then "–" else . * 10 | round / 10 | tostring end;
	def r0: if . == null then "–" else round | tostring end;
	def span(f): map(f | select(. != null)) as $v |
		if ($v | length) == 0 then "–" else "\($v | median | r1) [\($v | min | r1)–\($v | max | r1)]" end;
	def bound: (.cpu_pct // 0) > $b;
	(map(select(.profile))[0]) as $p |
	map(select(.what == "download")) as $dl |
	map(select(.what == "small")) as $sm |
	def row($k): $dl | map(select(.kind == $k));
	def okrow($k): row($k) | map(select(.ok));
	def free($k): okrow($k) | map(select(bound | not));
	def share($k): (okrow($k) | map(.wan_bytes // [0, 0, 0]) |
		reduce .[] as $w ([0, 0, 0]; [.[0] + $w[0], .[1] + $w[1], .[2] + $w[2]])) as $s |
		($s | add) as $t | if $t > 0 then $s | map(100 * . / $t | round | tostring) | join("/") else "–" end;
	def dlline($k; $name):
		"| \($name) | \(okrow($k) | span(.mbps)) | \(okrow($k) | length)/\(row($k) | length) | \(okrow($k) | span(.cpu_pct)) | \(okrow($k) | map(select(bound)) | length) | \(share($k)) |";
	def smq: $sm | map(select(.kind == "quic" and .ok));
	def smt: $sm | map(select(.kind == "tcp" and .ok));
	(free("quic") | map(.mbps) | median) as $qa |
	(free("tcp") | map(.mbps) | median) as $tb |
	(smq | map(.ttfb_ms) | median) as $qt |
	(smq | map(.ttfb_ms - (.request_sent_ms - .handshake_ms)) | median) as $qt2 |
	(smt | map(.ttfb_ms) | median) as $tt |
	"# QUIC: relayed on one WAN, or blocked (omr-shim, issue #13)",
	"",
	"`selftests/bench/quic-vm.sh` in the VM: kernel \($p.kernel), QEMU/TCG; ngtcp2 \($p.ngtcp2).",
	"WANs (rate Mbit/s, one-way delay ms, loss %): DSL \($p.profile.rates_mbps[0]), \($p.profile.delay_ms[0]), \($p.profile.loss_pct[0]); LTE \($p.profile.rates_mbps[1]), \($p.profile.delay_ms[1]), \($p.profile.loss_pct[1]); satellite \($p.profile.rates_mbps[2]), \($p.profile.delay_ms[2]), \($p.profile.loss_pct[2]).",
	"",
	"## Downloads, \($p.ms / 1000) s each from the first byte, \($p.reps) runs each, alternating",
	"",
	"| row | Mbit/s median [min–max] | runs ok | guest CPU % | runs CPU-bound (> \($b) %) | DSL/LTE/Sat % of the bytes |",
	"| --- | --- | --- | --- | --- | --- |",
	dlline("quic"; "(a) HTTP/3 (gtlsclient), TPROXY -> omr-shim UDP relay, one WAN (quic: relay)"),
	dlline("tcp"; "(b) HTTP over TCP (curl), redir -> MPTCP over every WAN (the fallback under quic: block)"),
	(if (row("direct") | length) > 0 then dlline("direct"; "(a0) HTTP/3 routed on DSL, no relay (a control: what the relay costs)") else empty end),
	"",
	(free("direct") | map(.mbps) | median) as $q0 |
	"(b)/(a), medians of the runs not CPU-bound: \(if $qa and $tb and $qa > 0 then ($tb / $qa * 100 | round / 100 | tostring) + "x" else "–" end)" +
	(if $q0 then "; (a)/(a0): \(if $qa then ($qa / $q0 * 100 | round / 100 | tostring) + "x" else "–" end)" else "" end),
	"",
	"## A 16 KB object, \($p.ttfb_reps) runs each, alternating (ms; the clients own clocks from their connections start)",
	"",
	"| | TCP connect (to the router) | handshake done | request sent | first response byte | last byte | process start to first byte on disk |",
	"| --- | --- | --- | --- | --- | --- | --- |",
	"| (a) HTTP/3, relayed | – | \(smq | span(.handshake_ms)) | \(smq | span(.request_sent_ms)) | \(smq | span(.ttfb_ms)) | \(smq | span(.done_ms)) | \(smq | span(.first_byte_after_spawn_ms)) |",
	"| (a) less the wait of gtlsclient between handshake and request | – | | | \(smq | span(.ttfb_ms - (.request_sent_ms - .handshake_ms))) | \(smq | span(.done_ms - (.request_sent_ms - .handshake_ms))) | |",
	"| (b) HTTPS over redir + MPTCP | \(smt | span(.connect_ms)) | \(smt | span(.tls_ms)) | – | \(smt | span(.ttfb_ms)) | \(smt | span(.done_ms)) | \(smt | span(.first_byte_after_spawn_ms)) |",
	"",
	"runs ok: HTTP/3 \(smq | length)/\($sm | map(select(.kind == "quic")) | length), HTTPS \(smt | length)/\($sm | map(select(.kind == "tcp")) | length); guest CPU % (median): HTTP/3 \(smq | map(.cpu_pct // empty) | median | r0), HTTPS \(smt | map(.cpu_pct // empty) | median | r0)",
	"first byte, (b) - (a): \(if $qt and $tt then ($tt - $qt | r1) + " ms" else "–" end); (b) - (a less the wait): \(if $qt2 and $tt then ($tt - $qt2 | r1) + " ms" else "–" end)",
	"",
	"## What a QUIC attempt meets (\($p.fail_reps) gtlsclient runs, 5 bare Initial-sized datagrams, per setting)",
	"",
	"| router | gtlsclient exits after (ms) | its message | the datagram: fate, ms |",
	"| --- | --- | --- | --- |",
	(map(select(.setting)) | group_by(.setting) | sort_by(.[0].setting | if . == "relay" then 0 elif . == "shim-block" then 1 else 2 end) | .[] |
		(map(select(.what == "fail"))) as $f | (map(select(.what == "udp"))) as $u |
		"| \(.[0].setting) | \($f | span(.exit_after_spawn_ms)) | \($f | map(.stderr | select(length > 0)) | unique | join("; ") | if . == "" then "(completed)" else . end) | \($u | group_by(.fate) | map("\(length) \(.[0].fate)" + (if .[0].ms then " \(map(.ms) | median | r1) ms" else "" end)) | join(", ")) |"),
	"",
	"IP fragmentation counters (router, VPS): \(map(select(.frag))[0].frag // {} | to_entries | map(select(.value > 0) | "\(.key) \(.value)") | join(", ") | if . == "" then "none" else . end)",
	(($dl + $sm) | map(select(.ok | not)) | if length > 0 then "", "Failed runs:", (.[] | "- \(.kind) \(.what) \(.rep): \(.why // "?" | gsub("\n"; " "))") else empty end)
' "$in"
