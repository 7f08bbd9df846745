#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ab-report.sh AB.JSONL: the table of selftests/bench/sched-ab-vm.sh's runs:
# per case and direction the median seconds [min-max] of default, the old
# and the new omr, the ratios of goodput (time of default / time of omr,
# > 1: omr faster; new/old), and the median guest CPU use.
set -eu
jq -s -r '
	def med: sort | if length == 0 then null
		else (if length % 2 == 1 then .[length / 2 | floor]
		      else (.[length / 2 - 1] + .[length / 2]) / 2 end) end;
	def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
	def cell($v): [.[] | select(.variant == $v and .ok) | .seconds];
	def spread: if length == 0 then "-" else
		"\(med | r2) [\(min | r2)–\(max | r2)]" end;
	"| case | dir | default s | omr main s | omr new s | main/default | new/default | new/main | cpu % (d/m/n) | runs ok |",
	"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
	(group_by(.case + .dir)[] |
	 (cell("default") | med) as $d | (cell("old") | med) as $o |
	 (cell("new") | med) as $n |
	 def cpu($v): [.[] | select(.variant == $v) | .cpu_pct] | med | r2;
	 "| \(.[0].case) | \(.[0].dir) | \(cell("default") | spread) | \(cell("old") | spread) | \(cell("new") | spread) | \(if $o then $d / $o | r2 else "-" end) | \(if $n then $d / $n | r2 else "-" end) | \(if $n then $o / $n | r2 else "-" end) | \(cpu("default"))/\(cpu("old"))/\(cpu("new")) | \([.[] | select(.ok)] | length)/\(length) |")
' "$1"
