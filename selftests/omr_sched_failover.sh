#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path death: one of two paths goes down (link down on both ends, no RST)
# in the middle of a 32 MB transfer, in each direction. The transfer must
# complete on the other path, byte-identical.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

ktap_print_header
ktap_set_plan 2

for dir in up down; do
	topo_setup omr "40mbit 5ms" "40mbit 5ms"
	xfer_bg "death-$dir" 32M $dir
	sleep 2
	path_down 2
	xfer_wait
	rc=$?
	recv=cli; [ $dir = up ] && recv=srv
	log "$dir: rc $rc, max receive gap $(jq .rx.max_gap_ms "$TMP/death-$dir.$recv.json") ms"
	ktap_test_result "path death $dir: 32 MB complete and byte-identical on the surviving path" \
		eval "[ $rc -eq 0 ] && xfer_intact death-$dir"
done

ktap_finished
