#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Setup latency and CPU per connection of several omr-shim binaries and
# shadowsocks-libev side by side (an A/B of two builds, say), on loopback:
# connections alternate one by one between them (shim-tt alt), so a change
# of the machine's load hits all alike. Prints each one's mean and median
# setup latency and the CPU time (user + sys, from schedstat: ns resolution)
# its local + server spent per connection, and the ratios to libev.
#   bench/ab.sh [-m tcp|mptcp] [-n CONNS] OMR_SHIM_BINARY...
set -u
SHIM=$(cd "$(dirname "$0")/.." && pwd)
TT=$SHIM/build/shim-tt
MODE=tcp N=3000
while getopts "m:n:" o; do
	case $o in
	m) MODE=$OPTARG ;;
	n) N=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ] || [ ! -x "$TT" ]; then
	echo "usage: $0 [-m tcp|mptcp] [-n N] BINARY... (make -C shim build/shim-tt first)" >&2
	exit 2
fi
BASE=$((28000 + ($$ % 60) * 40))	# below the ephemeral range
P_ECHO=$BASE
declare -a PORTS=() NAMES=() SP=() LP=()

. "$(dirname "$0")/lib.sh"

# Microseconds of CPU all threads of a process have run.
cpu_us() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s / 1000}'; }

"$TT" echo $P_ECHO >/dev/null 2>&1 &
PIDS+=($!)
wait_port $P_ECHO || exit 1
i=0
for b in "$@" libev; do
	srv=$((BASE + 2 + 2 * i)) loc=$((BASE + 3 + 2 * i))
	if [ "$b" = libev ]; then
		mp=""
		[ "$MODE" = mptcp ] && mp=--mptcp
		ss-server -s 127.0.0.1 -p $srv -k ab -m chacha20-ietf-poly1305 --no-delay $mp >/dev/null 2>&1 &
		SP+=($!)
		ss-local -s 127.0.0.1 -p $srv -l $loc -k ab -m chacha20-ietf-poly1305 --no-delay $mp >/dev/null 2>&1 &
		LP+=($!)
	else
		mp=""
		[ "$MODE" = tcp ] && mp=--no-mptcp
		"$b" server -s 127.0.0.1 -p $srv -k ab --allow 127.0.0.1 -q $mp &
		SP+=($!)
		"$b" local -s 127.0.0.1 -p $srv -l $loc -k ab -q $mp &
		LP+=($!)
	fi
	PIDS+=("${SP[$i]}" "${LP[$i]}")
	PORTS+=("$loc")
	NAMES+=("$b #$i")
	wait_port $srv && wait_port $loc || exit 1
	i=$((i + 1))
done
for i in "${!PORTS[@]}"; do c0[i]=$(( $(cpu_us "${SP[$i]}") + $(cpu_us "${LP[$i]}") )); done
out=$("$TT" alt $P_ECHO "$N" "${PORTS[@]}") || { echo "ab: failed connections" >&2; exit 1; }
for i in "${!PORTS[@]}"; do c1[i]=$(( $(cpu_us "${SP[$i]}") + $(cpu_us "${LP[$i]}") )); done
last=$((${#PORTS[@]} - 1))
lib=$(echo "$out" | awk -v p="${PORTS[$last]}" '$2 == p {print $6, $8}')
libcpu=$(( (c1[last] - c0[last]) / N ))
echo "$MODE, $N connections each, alternating; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!PORTS[@]}"; do
	echo "$out" | awk -v p="${PORTS[$i]}" -v n="${NAMES[$i]}" -v l="$lib" \
		-v c=$(( (c1[i] - c0[i]) / N )) -v lc=$libcpu \
		'BEGIN {split(l, L, " ")}
		$2 == p {printf "%-40s latency mean %.3f ms (%.2fx) median %.3f ms (%.2fx)  CPU %d us/conn (%.2fx)\n",
			 n, $6, $6 / L[1], $8, $8 / L[2], c, c / lc}'
done
