#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The OPTIONS section of omr-shim.1 is what build/shim-optman prints from
# the option table (the same table that drives the JSON loader, getopt and
# --help). "check" fails on any drift; "update" rewrites the section.
set -eu
SHIM=$(cd "$(dirname "$0")/.." && pwd)
MAN=$SHIM/omr-shim.1
GEN=$SHIM/build/shim-optman
section() { awk '/^\.SH OPTIONS/ {on = 1; next} /^\.SH / {on = 0} on' "$MAN"; }
case "${1:-check}" in
check)
	diff -u <(section) <("$GEN") && echo "omr-shim.1 OPTIONS matches the option table" ;;
update)
	"$GEN" >"$MAN.opts"
	awk -v f="$MAN.opts" '/^\.SH OPTIONS/ {print; while ((getline l < f) > 0) print l; skip = 1; next}
		/^\.SH / {skip = 0} !skip' "$MAN" >"$MAN.new"
	rm -f "$MAN.opts"
	mv "$MAN.new" "$MAN" ;;
*) echo "usage: $0 check|update" >&2; exit 2 ;;
esac
