#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "cubic against BBR" section of docs/benchmarks.md (issue #12, part 3),
# from e2e-bench.jsonl's rows omr/bbr and default/defbbr and the cc_check
# lines (which CC each subflow really ran); called by e2e-report.sh:
# e2e-report.sh's jq definitions (median, r1, isbound) come in CELL_JQ:
#   CELL_JQ=... e2e-report-cc.sh JSONL RATES BOUND
set -eu
in=$1
rates=$2
bound=$3
jq -e -s 'any(.variant == "bbr" or .variant == "defbbr")' "$in" >/dev/null || exit 0
cat <<EOT

## Congestion control: cubic against BBR

The same transfers with the lossy radio paths under BBR (rows 8 and 9)
against cubic (rows 1 and 2). *per WAN*: the median over the runs not
CPU-bound of what each WAN carried, in Mbit/s over the receiver's first to
last byte (DSL/LTE/satellite), so that a gain on one path at the expense
of another shows. A WAN's line goodput here: $(jq -rn --argjson r "[$rates]" \
	'$r | map(. * 1448 / 1514 * 10 | round / 10) | join("/")') Mbit/s.

| dir | scheduler + PM | cubic Mbit/s | BBR Mbit/s | BBR / cubic | cubic per WAN | BBR per WAN |
| --- | --- | --- | --- | --- | --- | --- |
EOT
jq -rs --argjson bound "$bound" "$CELL_JQ"'
	def free($v; $dir): map(select(.variant == $v and .dir == $dir and .ok and (isbound($bound) | not)));
	def wans: if length == 0 then "–" else
		[range(0; 3) as $i | map((.wan_bytes[$i] // 0) * 8 / .seconds / 1e6) | median | r1] | join("/") end;
	def mb: map(.mbps) | median;
	. as $all |
	["down", "up"][] as $dir |
	(["omr", "bbr", "omr sched + PM"], ["default", "defbbr", "default sched + in-kernel PM"]) as [$c, $b, $name] |
	($all | free($c; $dir)) as $cr | ($all | free($b; $dir)) as $br |
	select(($br | length) > 0) |
	"| \($dir) | \($name) | \($cr | mb // "–" | if type == "number" then r1 else . end) | \($br | mb // "–" | if type == "number" then r1 else . end) | \(if ($cr | length) > 0 and ($br | length) > 0 then ($br | mb) / ($cr | mb) * 100 | round / 100 else "–" end) | \($cr | wans) | \($br | wans) |"
' "$in"
echo
echo "What each row's subflows ran (ss -tni in both namespaces during a 5 s"
echo "download before the row; router WAN address, or the VPS's peer):"
echo
jq -rs '.[] | select(.cc_check) | "- \(.cc_check): `\(.subflows | rtrimstr(" "))`"' "$in"
