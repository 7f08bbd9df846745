#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How omr.ko reaches MPTCP without calling a kernel function that is not
# exported (x86 IBT, docs/architecture.md): every address it resolved is a
# data symbol, the module checks the kernel's BTF at load, registers its
# scheduler on the list it found and schedules connections, stale subflows
# are still detected (omr's own tracking on 6.12, the core's on 7.x), and
# each refusal (a function named as data, another kernel's module) says why.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

# The data omr must have resolved, and nothing else.
WANT="__start_BTF mptcp_sched_list mptcp_sched_list_lock"
# Built by selftests/run.sh: the same module recording another BTF.
OTHER_KO=$top/out/other-btf/$OMR_KERNEL/omr.ko

has_omr() { sysctl -n net.mptcp.available_schedulers | grep -qw omr; }

# ksym_addr NAME: the first /proc/kallsyms address of NAME.
ksym_addr() { awk -v n="$1" '$3 == n { print $1; exit }' /proc/kallsyms; }

ktap_print_header
ktap_set_plan 7

omr_unload
dmesg -C

loads_checked() {
	omr_load || return 1
	has_omr || return 1
	log "$(dmesg | grep -E 'omr: kernel BTF')"
	dmesg | grep -qE "omr: kernel BTF sha256 $(sha256sum /sys/kernel/btf/vmlinux | cut -c1-16)\.\. \($(stat -c %s /sys/kernel/btf/vmlinux) bytes\) is the one omr.ko was checked against"
}
ktap_test_result "load: the kernel's BTF is the one omr.ko was built against; omr registered" loads_checked

# One resolved address: NAME at exactly ADDR in /proc/kallsyms, as data:
# type d/D/b/B/r/R, and never in [_stext, _etext). On 7.x, x86 links
# relocate_kernel's code into the .data output section (arch/x86/kernel/
# vmlinux.lds.S, KEXEC_RELOCATE_KERNEL), so nm, hence kallsyms, types every
# .data symbol t/T there: then the address must lie in [_sdata, _edata).
is_data_symbol() {
	local name=$1 addr=$2 type stext etext sdata edata
	type=$(awk -v a="$addr" -v n="$name" '$1 == a && $3 == n { print $2; exit }' /proc/kallsyms)
	stext=$(ksym_addr _stext) etext=$(ksym_addr _etext)
	sdata=$(ksym_addr _sdata) edata=$(ksym_addr _edata)
	log "$name $addr type ${type:-none}"
	[ -n "$type" ] || return 1
	if [[ $((16#$addr)) -ge $((16#$stext)) && $((16#$addr)) -lt $((16#$etext)) ]]; then
		return 1
	fi
	case $type in
	[dDbBrR]) return 0 ;;
	[tT]) [[ $((16#$addr)) -ge $((16#$sdata)) && $((16#$addr)) -lt $((16#$edata)) ]] ;;
	*) return 1 ;;
	esac
}

resolved_data_only() {
	local name addr got=()
	while read -r name addr; do
		got+=("$name")
		is_data_symbol "$name" "$addr" || return 1
	done </sys/module/omr/parameters/ksyms
	[ "$(printf '%s\n' "${got[@]}" | sort -u | xargs)" = "$WANT" ]
}
ktap_test_result "ksyms: omr resolved exactly $WANT, each a data symbol at that address" resolved_data_only

# A connection on omr holds a module reference (mptcp_init_sched()).
scheduled_by_omr() {
	local refs
	topo_setup omr "20mbit 5ms" "20mbit 5ms" || return 1
	[ "$(ip netns exec "$CLI" sysctl -n net.mptcp.scheduler)" = omr ] || return 1
	xfer_bg sched 16M up
	sleep 2
	refs=$(awk '$1 == "omr" { print $3 }' /proc/modules)
	log "module references during the transfer: $refs"
	xfer_wait && xfer_intact sched && [ "$refs" -gt 0 ]
}
ktap_test_result "sched: net.mptcp.scheduler=omr; a transfer is scheduled by omr, byte-identical" scheduled_by_omr
topo_cleanup

# MPTcpExtSubflowStale of the router's namespace.
stale_count() {
	ip netns exec "$CLI" awk '$1 == "MPTcpExt:" {
		if (!n) { for (i = 2; i <= NF; i++) f[$i] = i; n = 1 }
		else print $f["SubflowStale"] }' /proc/net/netstat
}

# Path 2 black-holed while a transfer runs: its subflow must go stale (6.12:
# omr's stale.c; 7.x: the core) before the transfer ends, and the data it
# had in flight must still arrive. 40 MB over 2 x 10 Mbit/s: about 35 s.
stale_detected() {
	local i n=0
	topo_setup omr "10mbit 10ms" "10mbit 10ms" || return 1
	xfer_bg stale 40M up
	sleep 3
	tc -n "$CLI" qdisc change dev eth2 root netem rate 10mbit delay 10ms limit 300 loss 100%
	for i in $(seq 20); do
		n=$(stale_count)
		[ "${n:-0}" -gt 0 ] && break
		sleep 0.5
	done
	log "MPTcpExtSubflowStale $n at sample $i of the black hole"
	kill -0 "$XFER_CLI_PID" 2>/dev/null || { log "the transfer ended first"; return 1; }
	tc -n "$CLI" qdisc change dev eth2 root netem rate 10mbit delay 10ms limit 300
	xfer_wait && xfer_intact stale && [ "${n:-0}" -gt 0 ]
}
ktap_test_result "stale: a black-holed subflow goes stale during the transfer, which completes intact" stale_detected
topo_cleanup
omr_unload

# kmod's insmod words -ENOENT as "Unknown symbol in module": read the
# errno itself from the system call.
function_refused() {
	local out
	out=$(strace -f -e trace=finit_module insmod "$OMR_KO" \
		require_symbol=mptcp_register_scheduler 2>&1) && return 1
	log "$(echo "$out" | grep finit_module)"
	echo "$out" | grep -q 'finit_module(.*= -1 ENOENT' || return 1
	! omr_loaded && ! has_omr || return 1
	# the probe that found it is gone again
	! grep -q mptcp_register_scheduler /sys/kernel/debug/kprobes/list 2>/dev/null || return 1
	dmesg | grep -q 'omr: kernel symbol mptcp_register_scheduler is code, not data'
}
ktap_test_result "refuse: a function named as data (require_symbol=) is refused with ENOENT" function_refused

other_kernel_refused() {
	local out lines
	dmesg -C
	out=$(strace -f -e trace=finit_module insmod "$OTHER_KO" 2>&1) && return 1
	log "$(echo "$out" | grep finit_module)"
	echo "$out" | grep -q 'finit_module(.*= -1 ENOEXEC' || return 1
	! omr_loaded || return 1
	lines=$(dmesg | grep -c '^.*omr: ')
	log "$(dmesg | grep 'omr: ')"
	[ "$lines" -eq 1 ] && dmesg | grep -q 'omr: built for another kernel: '
}
if [ -f "$OTHER_KO" ]; then
	ktap_test_result "refuse: a module checked against another kernel's BTF is refused with ENOEXEC, one line" other_kernel_refused
else
	ktap_test_skip "refuse: another kernel's module: $OTHER_KO not built (selftests/run.sh builds it)"
fi

unload_clean() {
	omr_load && omr_unload && ! has_omr || return 1
	! klog_splats
}
ktap_test_result "unload: omr gone from the scheduler list, kernel log clean" unload_clean

ktap_finished
