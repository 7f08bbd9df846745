#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM's ceiling (selftests/bench/ceiling-vm.sh) as a markdown table, and
# the WAN rates it allows: the end-to-end profiles' rates scaled (2:3:5, as
# DSL:LTE:satellite) so that their sum is at most 40 % of omr-shim's ceiling
# in its slower direction, which leaves the guest's CPU room for netem, both
# ends' TCP and the AEAD at the rates the WANs can carry.
#   selftests/bench/ceiling-report.sh ceiling.jsonl
set -eu
in=$1
cat <<EOT
| unshaped, 3 subflows | dir | Mbit/s median [min–max] | guest CPU busy % | share eth1/eth2/eth3 % | runs ok |
| --- | --- | --- | --- | --- | --- |
EOT
jq -rs '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r1: . * 10 | round / 10;
	{"mptcp": "MPTCP, omr-xfer router → VPS (no proxy, no AEAD)",
	 "shim": "omr-shim + AEAD: LAN → SOCKS5 → MPTCP → internet",
	 "tcp": "plain TCP router → VPS, one veth"} as $names |
	["mptcp", "shim", "tcp"][] as $k | ["down", "up"][] as $d |
	map(select(.ceiling == $k and .dir == $d)) as $all |
	($all | map(select(.ok))) as $ok |
	if ($all | length) == 0 then empty
	elif ($ok | length) == 0 then "| \($names[$k]) | \($d) | failed | – | – | 0/\($all | length) |"
	else ($ok | map(.wan_bytes) | transpose | map(add)) as $b | ($b | add) as $t |
	"| \($names[$k]) | \($d) | \($ok | map(.mbps) | median | r1) [\($ok | map(.mbps) | min | r1)–\($ok | map(.mbps) | max | r1)] | \($ok | map(.cpu_pct // empty) | median) | \($b | map(if $t > 0 then 100 * . / $t | round else 0 end) | join("/")) | \($ok | length)/\($all | length) |" end
' "$in"
jq -rs '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	[["down", "up"][] as $d | map(select(.ceiling == "shim" and .dir == $d and .ok) | .mbps) | median] |
	map(select(. != null)) |
	if length == 0 then "" else
	min as $c | ($c * 0.4) as $s |
	"\nomr-shim ceiling (the slower direction): \($c * 10 | round / 10) Mbit/s; 40 % of it: \($s * 10 | round / 10) Mbit/s,\nas DSL:LTE:satellite 2:3:5: E2E_RATES=\"\([0.2, 0.3, 0.5] | map($s * . | floor | if . < 1 then 1 else . end) | join(" "))\"" end
' "$in"
