#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module DKMS built (selftests/dkms.sh keeps it in out/dkms/<kernel>/)
# loads on its kernel, registers the scheduler and the path manager, and
# unloads: what a user's `dkms install` then `modprobe omr` gives.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

KO=$top/out/dkms/$OMR_KERNEL/omr.ko
ktap_print_header
ktap_set_plan 1

dkms_load() {
	local out
	[ -f "$KO" ] || { log "no DKMS-built module at $KO (selftests/dkms.sh did not run or failed)"; return 1; }
	omr_unload || { log "could not unload the omr already loaded"; return 1; }
	out=$(insmod "$KO" 2>&1) || { log "insmod: $out"; return 1; }
	log "loaded: $(modinfo -F vermagic "$KO" | awk '{print $1}'), $(dmesg | grep 'omr: omr ' | tail -n 1 | sed 's/^\[[^]]*\] //')"
	grep -qw omr /proc/sys/net/mptcp/available_schedulers || { log "omr not in available_schedulers"; return 1; }
	"$OMRCTL" -j status | jq -e '.pm | has("enabled")' >/dev/null ||
		{ log "omrctl status shows no path manager"; return 1; }
	rmmod omr || return 1
	! omr_loaded
}
ktap_test_result "dkms: the DKMS-built omr.ko loads on $OMR_KERNEL (scheduler and path manager registered) and unloads" dkms_load

ktap_finished
