#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Structure checks on shim/src (scripts/structure.sh, shared with ctl/):
#   graph   - no call cycle between files. Calls through a function
#             pointer (struct role_ops) are not edges: that is how pipe.c
#             reaches a role without depending on it.
#   lengths - no function body longer than 60 lines.
# Usage: tests/structure.sh graph|lengths [OBJDIR]
set -u
cd "$(dirname "$0")/.." || exit 1
case "${1:-}" in
graph) exec ../scripts/structure.sh graph "${2:-build/rel}" src/*.c ;;
lengths) exec ../scripts/structure.sh lengths src/*.c ;;
*) echo "usage: $0 graph|lengths [OBJDIR]" >&2; exit 2 ;;
esac
