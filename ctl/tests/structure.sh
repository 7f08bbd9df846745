#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Structure checks on ctl/, from the objects the build made (as
# shim/tests/structure.sh does for shim/src):
#   graph   - an edge f -> g for every symbol f's object needs and g's
#             defines; fails on a cycle (tsort) between files.
#   lengths - no function body over 60 lines, no .c or .h over 600.
# Usage: tests/structure.sh graph|lengths [OBJDIR]
set -u
CTL=$(cd "$(dirname "$0")/.." && pwd)
cd "$CTL"
OBJ=${2:-build}

edges() {
	local c o f g
	for c in *.c; do
		f=$(basename "$c" .c)
		o=$OBJ/$f.o
		[ -f "$o" ] || { echo "$o missing: build first" >&2; return 1; }
		nm "$o" | awk '$1 == "U" {print $2}' | sort -u >"$T/u.$f"
		nm --defined-only "$o" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u >"$T/d.$f"
	done
	for c in *.c; do
		f=$(basename "$c" .c)
		for g in $(cd "$T" && ls d.* | sed 's/^d\.//'); do
			[ "$f" = "$g" ] && continue
			comm -12 "$T/u.$f" "$T/d.$g" | grep -q . && echo "$f $g"
		done
	done
}

graph() {
	local e
	e=$(edges) || return 1
	[ -n "$e" ] || { echo "no edges: were the objects built?"; return 1; }
	echo "$e" | awk '{a[$1] = a[$1] " " $2} END {for (f in a) print f ":" a[f]}' | sort
	if ! echo "$e" | tsort >/dev/null 2>"$T/tsort"; then
		echo "call cycle between files:"
		cat "$T/tsort"
		return 1
	fi
}

lengths() {
	local bad=0 f n
	for f in *.c *.h tests/*.c; do
		n=$(wc -l <"$f")
		[ "$n" -gt 600 ] && { echo "$f: $n lines (at most 600)"; bad=1; }
	done
	awk 'FNR == 1 { name = "" }
	     /^[a-z].*\(/ { name = $0 }
	     /^{/ { start = FNR }
	     /^}/ && start { n = FNR - start - 1; if (n > 60) { print FILENAME ": " name ": " n " lines"; bad = 1 } start = 0 }
	     END { exit bad }' *.c || bad=1
	return $bad
}

T=$(mktemp -d /tmp/omrctl-struct.XXXXXX)
trap 'rm -rf "$T"' EXIT
case "${1:-}" in
graph) graph ;;
lengths) lengths ;;
*) echo "usage: $0 graph|lengths [OBJDIR]" >&2; exit 2 ;;
esac
