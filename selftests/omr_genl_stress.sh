#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr and genetlink's cb_lock (issue #11): every omr doit and the first
# round of every dump run with cb_lock held for reading, and a writer queued
# on it (any genl family registered or unregistered) stops new readers. If
# anything under cb_lock waits for something that takes cb_lock again (the
# PM's work sending to MPTCP's family, enabling the PM from the doit), all
# of genetlink deadlocks. This suite runs, side by side for OMR_STRESS_SECS
# (60) seconds, one long-lived process per load (selftests/tools/omr-stress:
# a process spawned in the VM costs ~0.5 s, shell loops would be too slow):
#   cfg   PM enable/disable, path add/del, GET_CONNS dumps (root, router)
#   read  GET_STATUS and GET_PATHS, 2 threads (user nobody, router)
#   conns 4 MPTCP connections sending all the time through the omr PM's
#         3 paths, one closed and reopened every 500 ms; sink on the VPS
#   mod   team, macsec, wireguard (those this kernel has) loaded and
#         unloaded (finit_module/delete_module): genl families registered
# with the hung-task detector at 5 s. Every loop must finish on time having
# done work, and dmesg must stay free of hung tasks.
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

STRESS=$top/selftests/tools/omr-stress
DUR=${OMR_STRESS_SECS:-60}
# Each loop stops by itself after DUR s; a margin for the slowest answer.
LATE=30

T=("stress: ${DUR} s of PM enable/disable + path add/del + GET_CONNS, unprivileged GET_STATUS/GET_PATHS, live MPTCP connections through the omr PM, and genl families registered/unregistered (module load/unload): every loop finishes on time, each with work done"
	"stress: the hung-task detector (5 s) reports nothing, and dmesg has no BUG, WARNING or Oops"
	"stress: afterwards genetlink and omr still answer (omrctl status within 10 s), the PM created subflows meanwhile, and omr unloads")

ktap_print_header
ktap_set_plan ${#T[@]}
pm_require "${T[@]}"

BIN=/tmp/omr-stress-bin.$$
# The detector's setting is put back for the suites that follow.
HUNG0=$(sysctl -n kernel.hung_task_timeout_secs 2>/dev/null)
trap 'rm -rf "$BIN"; [ -n "$HUNG0" ] && sysctl -qw kernel.hung_task_timeout_secs="$HUNG0"; cleanup_all' EXIT

# The modules to load and unload, uncompressed (finit_module without the
# kernel's decompressor), their dependencies loaded once by modprobe.
stress_mods() {
	local m p
	MODS=()
	for m in team macsec wireguard; do
		p=$(modinfo -n "$m" 2>/dev/null) || continue
		modprobe "$m" && rmmod "$m" || continue
		case $p in
		*.xz) xz -dc "$p" >"$BIN/$m.ko" ;;
		*.zst) zstd -qdc "$p" >"$BIN/$m.ko" ;;
		*) cp "$p" "$BIN/$m.ko" ;;
		esac || continue
		MODS+=("$BIN/$m.ko")
	done
	[ ${#MODS[@]} -gt 0 ]
}

# pid_wait DEADLINE_MS PID...: 0 when all exited before the deadline.
pid_wait() {
	local deadline=$1 p left
	shift
	while :; do
		left=0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && left=1
		done
		[ $left = 0 ] && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 1
	done
}

DMESG0=0
stress() {
	local rc=0 p name pids=() t0
	mkdir -p "$BIN" && cp "$STRESS" "$BIN/" && chmod 755 "$BIN" "$BIN/omr-stress" || return 1
	stress_mods || { log "none of team, macsec, wireguard can be loaded"; return 1; }
	log "modules: ${MODS[*]##*/}"
	topo_pm_setup default "20mbit 5ms" "20mbit 5ms" "20mbit 5ms" || return 1
	sysctl -qw kernel.hung_task_timeout_secs=5 kernel.hung_task_warnings=10 ||
		{ log "no hung-task detector"; return 1; }
	DMESG0=$(dmesg | wc -l)
	t0=$(now_ms)
	ip netns exec "$SRV" "$BIN/omr-stress" sink "$VPS_IP" 5202 $((DUR + 2)) >"$TMP/sink.out" 2>&1 &
	pids+=($!)
	ip netns exec "$CLI" "$BIN/omr-stress" conns "$VPS_IP" 5202 "$DUR" 4 >"$TMP/conns.out" 2>&1 &
	pids+=($!)
	ip netns exec "$CLI" "$BIN/omr-stress" cfg "$DUR" >"$TMP/cfg.out" 2>&1 &
	pids+=($!)
	ip netns exec "$CLI" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN/omr-stress" read "$DUR" 2 >"$TMP/read.out" 2>&1 &
	pids+=($!)
	"$BIN/omr-stress" mod "$DUR" "${MODS[@]}" >"$TMP/mod.out" 2>&1 &
	pids+=($!)
	if ! pid_wait $((t0 + (DUR + LATE) * 1000)) "${pids[@]}"; then
		name=(sink conns cfg read mod)
		for p in "${!pids[@]}"; do
			kill -0 "${pids[$p]}" 2>/dev/null &&
				log "${name[$p]} still running $((DUR + LATE)) s after the start: $(ps -o stat=,wchan:32= -p "${pids[$p]}" | tr -s ' ')"
		done
		STUCK=1
		echo w >/proc/sysrq-trigger 2>/dev/null	# blocked tasks' stacks
		rc=1
	fi
	log "all loops ended after $(($(now_ms) - t0)) ms"
	for name in sink conns cfg read mod; do
		log "$name: $(tail -n 1 "$TMP/$name.out" 2>/dev/null)"
	done
	[ -n "${STUCK:-}" ] && return 1
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	# Bytes moved both ways, every loop did work.
	for name in sink conns cfg read mod; do
		grep -qE '^summary .* ops=[1-9]' "$TMP/$name.out" || { log "$name did no work"; rc=1; }
	done
	grep -qE 'bytes=[1-9]' "$TMP/sink.out" || { log "the VPS received nothing"; rc=1; }
	return $rc
}
ktap_test_result "${T[0]}" stress

quiet_kernel() {
	local new
	klog_splats "$DMESG0" >/dev/null || return 0
	new=$(dmesg | tail -n +$((DMESG0 + 1)))
	# the reports with their traces (a known QEMU fault's too, if any)
	grep -E -A 30 "$KLOG_SPLATS" <<<"$new" | head -n 120 | sed 's/^/# dmesg: /'
	return 1
}
ktap_test_result "${T[1]}" quiet_kernel

still_alive() {
	local p creates
	[ -n "${STUCK:-}" ] && { log "skipped: tasks are stuck in the kernel"; return 1; }
	"$OMRCTL" -n "$CLI" status >"$TMP/st.out" 2>&1 &
	p=$!
	pid_wait $(($(now_ms) + 10000)) "$p" || { log "omrctl status stuck"; return 1; }
	wait "$p" || { log "omrctl status: $(cat "$TMP/st.out")"; return 1; }
	creates=$("$OMRCTL" -n "$CLI" -j status | jq .counters.creates)
	log "PM counters: $("$OMRCTL" -n "$CLI" -j status | jq -c .counters)"
	[ "${creates:-0}" -gt 0 ] || { log "the PM created no subflow"; return 1; }
	topo_cleanup
	omr_unload || { log "rmmod omr failed"; return 1; }
}
ktap_test_result "${T[2]}" still_alive

ktap_finished
