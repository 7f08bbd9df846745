#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Structure checks on shim/src, from the objects the build made:
#   graph   - which file calls (or takes the address of) which: an edge
#             f -> g for every symbol f's object needs and g's defines.
#             Fails if the graph has a cycle (tsort). Calls through a
#             function pointer (struct role_ops) are not edges: that is
#             how pipe.c reaches a role without depending on it.
#   lengths - no function body longer than 60 lines (kernel style: the
#             body is what lies between a "{" and a "}" in column 0).
# Usage: tests/structure.sh graph|lengths [OBJDIR]
set -u
SHIM=$(cd "$(dirname "$0")/.." && pwd)
cd "$SHIM"
OBJ=${2:-build/rel}

edges() {
	local c o f g
	# The objects of today's sources only (a stale one would add edges).
	for c in src/*.c; do
		f=$(basename "$c" .c)
		o=$OBJ/$f.o
		[ -f "$o" ] || { echo "$o missing: build first" >&2; return 1; }
		nm "$o" | awk '$1 == "U" {print $2}' | sort -u >"$T/u.$f"
		nm --defined-only "$o" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u >"$T/d.$f"
	done
	for c in src/*.c; do
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
	# tsort names the files of a cycle on stderr and exits non-zero.
	if ! echo "$e" | tsort >/dev/null 2>"$T/tsort"; then
		echo "call cycle between files:"
		cat "$T/tsort"
		return 1
	fi
}

lengths() {
	awk 'FNR == 1 { name = "" }
	     /^[a-z].*\(/ { name = $0 }
	     /^{/ { start = FNR }
	     /^}/ && start { n = FNR - start - 1; if (n > 60) { print FILENAME ": " name ": " n " lines"; bad = 1 } start = 0 }
	     END { exit bad }' src/*.c
}

T=$(mktemp -d /tmp/omrshim-struct.XXXXXX)
trap 'rm -rf "$T"' EXIT
case "${1:-}" in
graph) graph ;;
lengths) lengths ;;
*) echo "usage: $0 graph|lengths [OBJDIR]" >&2; exit 2 ;;
esac
