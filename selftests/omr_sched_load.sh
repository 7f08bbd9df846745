#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading omr.ko: the scheduler appears and disappears, a
# second load and bad parameters are refused cleanly, a live connection pins
# the module, and 20 load/unload cycles leave the kernel log clean.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

scheds() { sysctl -n net.mptcp.available_schedulers; }
has_omr() { scheds | grep -qw omr; }
no_omr() { ! has_omr; }

ktap_print_header
ktap_set_plan 10

omr_unload
omr_load
ktap_test_result "load: omr listed in net.mptcp.available_schedulers" has_omr

second_load_refused() {
	local out
	out=$(insmod "$OMR_KO" 2>&1) && return 1
	log "second insmod: $out"
	omr_loaded && has_omr
}
ktap_test_result "load: a second insmod fails and leaves omr registered" second_load_refused

bad_params_refused() {
	local p=/sys/module/omr/parameters
	echo 100 >$p/loss_penalty || return 1
	! echo 5000 >$p/loss_penalty 2>/dev/null || return 1
	! echo abc >$p/burst 2>/dev/null || return 1
	[ "$(cat $p/loss_penalty)" = 100 ] || return 1
	dmesg | grep -q "parameter loss_penalty: '5000' is not a number in \[0, 1000\]"
}
ktap_test_result "params: out-of-range values are refused and change nothing" bad_params_refused

bad_load_param_refused() {
	omr_unload || return 1
	! insmod "$OMR_KO" loss_gain=0 2>/dev/null || return 1
	no_omr && omr_load
}
ktap_test_result "params: insmod with loss_gain=0 fails cleanly" bad_load_param_refused

# kmod's insmod words -ENOENT as "Unknown symbol in module": read the
# errno itself from the system call.
missing_symbol_refused() {
	local out
	omr_unload || return 1
	out=$(strace -f -e trace=finit_module insmod "$OMR_KO" \
		require_symbol=omr_no_such_symbol 2>&1) && return 1
	log "$(echo "$out" | grep finit_module)"
	echo "$out" | grep -q 'finit_module(.*= -1 ENOENT' || return 1
	no_omr || return 1
	dmesg | grep -q 'omr: kernel symbol omr_no_such_symbol not found'
}
ktap_test_result "load: a missing kernel symbol refuses the load with -ENOENT and says which" missing_symbol_refused
omr_load

# A connection that uses omr holds a module reference: rmmod must refuse.
# 24 MB over 2 x 10 Mbit/s: about 10 s, long enough on a loaded machine.
topo_setup omr "10mbit 5ms" "10mbit 5ms"
xfer_bg live 24M up
sleep 1.5
pinned() {
	[ "$(awk '$1 == "omr" {print $3}' /proc/modules)" -gt 0 ] &&
		! rmmod omr 2>/dev/null && omr_loaded
}
ktap_test_result "unload: refused while a connection uses omr" pinned
xfer_wait
rc=$?
ktap_test_result "unload: that connection completed byte-identical" \
	eval "[ $rc -eq 0 ] && xfer_intact live"
topo_cleanup
sleep 0.5

unload_and_fallback() {
	topo_setup omr "50mbit 5ms" || return 1
	omr_unload || return 1
	no_omr || return 1
	# The namespace still names omr: new connections get the default one.
	[ "$(ip netns exec "$CLI" sysctl -n net.mptcp.scheduler)" = omr ] || return 1
	xfer after 1M up && xfer_intact after
}
ktap_test_result "unload: omr gone; new connections fall back to default" unload_and_fallback
topo_cleanup

cycles() {
	local i
	KLOG0=$(dmesg | wc -l)
	for i in $(seq 20); do
		insmod "$OMR_KO" || return 1
		has_omr || return 1
		rmmod omr || return 1
		no_omr || return 1
	done
}
ktap_test_result "cycles: 20 load/unload cycles" cycles

# The cycles' own lines: an earlier suite's report is vm.sh's to judge.
dmesg_clean() {
	! klog_splats "${KLOG0:-0}"
}
ktap_test_result "cycles: kernel log has no warning" dmesg_clean

ktap_finished
