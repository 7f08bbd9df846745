#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ab-report.sh AB.JSONL: the table of selftests/bench/sched-ab-vm.sh's runs.
# Per case and direction, per variant (default, old, then the others): the
# median seconds [min-max] and, for the omr builds, the goodput ratio to
# default (time of default / time of the build, > 1: faster) and to old,
# and the median share of the second path (eth2) in the sender's bytes.
set -eu
jq -s -r '
	def med: sort | if length == 0 then null
		else (if length % 2 == 1 then .[length / 2 | floor]
		      else (.[length / 2 - 1] + .[length / 2]) / 2 end) end;
	def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
	def secs($v): [.[] | select(.variant == $v and .ok) | .seconds];
	def spread: if length == 0 then "-" else
		"\(med | r2) [\(min | r2)–\(max | r2)]" end;
	def share($v): [.[] | select(.variant == $v and .ok and .split != null) |
		(.split.eth2 // 0) * 100 / ([.split[]] | add)] | med |
		if . == null then "-" else (round | tostring) end;
	(["default", "old"] + ([.[].variant] | unique - ["default", "old"])) as $vs |
	"| case | dir | " + ([$vs[] | "\(.) s"] | join(" | ")) + " | " +
	([$vs[1:][] | "\(.)/default | \(.)/old"] | join(" | ")) +
	" | eth2 % (" + ($vs | join("/")) + ") | runs ok |",
	"|" + (" --- |" * (3 + ($vs | length) + 2 * ($vs | length - 1) + 1)),
	(group_by(.case + .dir)[] | . as $g |
	 (secs("default") | med) as $d | (secs("old") | med) as $o |
	 "| \(.[0].case) | \(.[0].dir) | " +
	 ([$vs[] | . as $v | $g | secs($v) | spread] | join(" | ")) + " | " +
	 ([$vs[1:][] | . as $v | ($g | secs($v) | med) as $m |
	   "\(if $m and $d then $d / $m | r2 else "-" end) | \(if $m and $o then $o / $m | r2 else "-" end)"] | join(" | ")) +
	 " | " + ([$vs[] | . as $v | $g | share($v)] | join("/")) +
	 " | \([.[] | select(.ok)] | length)/\(length) |")
' "$1"
