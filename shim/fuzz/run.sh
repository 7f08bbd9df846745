#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each libFuzzer harness for a bounded time on its seed corpus.
# New inputs go to a scratch dir, never into the committed seeds.
# usage: fuzz/run.sh SECONDS HARNESS...
set -u
cd "$(dirname "$0")/.."
secs=$1
shift
work=$(mktemp -d /tmp/omrshim-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz/artifacts
fail=0
for h in "$@"; do
	mkdir -p "$work/$h"
	if build/fuzz/$h -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/artifacts/$h- \
		"$work/$h" "fuzz/corpus/$h" >"$work/$h.log" 2>&1; then
		echo "fuzz $h: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$h.log" | awk '{print $2}') runs in ${secs}s, $(ls "$work/$h" | wc -l) new inputs)"
	else
		echo "fuzz $h: FAILED"
		tail -n 30 "$work/$h.log"
		fail=1
	fi
done
exit $fail
