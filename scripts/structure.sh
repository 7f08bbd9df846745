#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Structure checks on a directory's C files, run from that directory
# (ctl/tests/run.sh, shim/tests/structure.sh):
#   graph OBJDIR SRC.c...   - which file calls (or takes the address of)
#                             which: an edge f -> g for every symbol the
#                             object OBJDIR/f.o needs and OBJDIR/g.o
#                             defines. Fails on a cycle (tsort). Calls
#                             through a function pointer are not edges.
#   lengths [-l N] FILE...  - no function body over 60 lines in the .c
#                             FILEs (kernel style: what lies between a "{"
#                             and a "}" in column 0); with -l, no FILE
#                             over N lines.
set -u

edges() {	# edges OBJDIR SRC.c...
	local obj=$1 c o f g
	shift
	# The objects of today's sources only (a stale one would add edges).
	for c in "$@"; do
		f=$(basename "$c" .c)
		o=$obj/$f.o
		[ -f "$o" ] || { echo "$o missing: build first" >&2; return 1; }
		nm "$o" | awk '$1 == "U" {print $2}' | sort -u >"$T/u.$f"
		nm --defined-only "$o" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u >"$T/d.$f"
	done
	for c in "$@"; do
		f=${c##*/}
		f=${f%.c}
		for g in "$@"; do
			g=${g##*/}
			g=${g%.c}
			[ "$f" = "$g" ] && continue
			comm -12 "$T/u.$f" "$T/d.$g" | grep -q . && echo "$f $g"
		done
	done
}

graph() {
	local e
	[ $# -ge 2 ] || usage
	e=$(edges "$@") || return 1
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
	local max=0 bad=0 f n
	if [ "${1:-}" = -l ]; then
		max=$2
		shift 2
	fi
	[ $# -ge 1 ] || usage
	for f in "$@"; do
		n=$(wc -l <"$f")
		[ "$max" -gt 0 ] && [ "$n" -gt "$max" ] &&
			{ echo "$f: $n lines (at most $max)"; bad=1; }
	done
	awk 'FNR == 1 { name = ""; start = 0 }
	     FILENAME !~ /\.c$/ { next }
	     /^[a-z].*\(/ { name = $0 }
	     /^{/ { start = FNR }
	     /^}/ && start { n = FNR - start - 1; if (n > 60) { print FILENAME ": " name ": " n " lines"; bad = 1 } start = 0 }
	     END { exit bad }' "$@" || bad=1
	return $bad
}

usage() {
	echo "usage: $0 graph OBJDIR SRC.c... | lengths [-l N] FILE..." >&2
	exit 2
}

T=$(mktemp -d /tmp/structure.XXXXXX)
trap 'rm -rf "$T"' EXIT
cmd=${1:-}
shift
case "$cmd" in
graph) graph "$@" ;;
lengths) lengths "$@" ;;
*) usage ;;
esac
