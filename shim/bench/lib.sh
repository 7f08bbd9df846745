# SPDX-License-Identifier: GPL-2.0-or-later
# What the shim's benchmarks share (sourced, not run): the processes they
# start (PIDS, killed and waited for at exit, with the scratch directory
# $W when one is set) and wait_port.
declare -a PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${W:-}" ]; then rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT: until something listens on TCP PORT (5 s at most).
wait_port() {
	local i
	for i in $(seq 1 100); do
		ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.05
	done
	echo "${0##*/}: port $1 did not open" >&2
	return 1
}
