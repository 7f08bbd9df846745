#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# omr-shim benchmark, side by side with Debian's shadowsocks-libev in the
# same run: throughput of 1 and 8 streams (client -> SOCKS5 local ->
# AEAD tunnel -> server -> sink, all on loopback), memory per idle
# connection and connection setup latency; plus the single-core AEAD
# bound from `openssl speed`. Prints a table; writes docs/shim-bench.md.
set -u
SHIM=$(cd "$(dirname "$0")/.." && pwd)
cd "$SHIM"
OUT=${BENCH_OUT:-$SHIM/../docs/shim-bench.md}
TT=$SHIM/build/shim-tt
BIN=$SHIM/omr-shim
M=chacha20-ietf-poly1305
PW=bench-pass
BYTES1=${BENCH_BYTES1:-400000000}	# one stream
BYTES8=${BENCH_BYTES8:-50000000}	# per stream, 8 streams
IDLE=${BENCH_IDLE:-2000}
REPS=${BENCH_REPS:-5}
LATN=${BENCH_LATN:-3600}	# setup latency: connections per implementation and mode
BASE=$((26000 + ($$ % 100) * 20))
P_SINK=$BASE P_ECHO=$((BASE + 1)) P_SRV=$((BASE + 2)) P_LOC=$((BASE + 3))
W=$(mktemp -d /tmp/omrshim-bench.XXXXXX)
. "$(dirname "$0")/lib.sh"

bg() { "$@" >>"$W/procs.log" 2>&1 & PIDS+=($!); }

IMPLS="omr-mptcp libev-mptcp omr-tcp libev-tcp"
declare -A LPORT SPID LPID

# pair NAME INDEX: start local+server for an implementation on its own ports.
# All four pairs run at once so measurements can be interleaved: the
# machine may be shared, and interleaving spreads background load evenly.
pair() {
	local srv=$((P_SRV + 10 + 2 * $2)) loc=$((P_SRV + 11 + 2 * $2)) mp=""
	LPORT[$1]=$loc
	case $1 in
	omr-*)
		[ "$1" = omr-tcp ] && mp=--no-mptcp
		"$BIN" server -s 127.0.0.1 -p $srv -k $PW -m $M --allow 127.0.0.1 -q $mp &
		SPID[$1]=$!
		"$BIN" local -s 127.0.0.1 -p $srv -l $loc -k $PW -m $M -q $mp &
		LPID[$1]=$! ;;
	libev-*)
		[ "$1" = libev-mptcp ] && mp=--mptcp
		# --no-delay: omr-shim sets TCP_NODELAY by default, so match it.
		ss-server -s 127.0.0.1 -p $srv -k $PW -m $M --no-delay $mp >/dev/null 2>&1 &
		SPID[$1]=$!
		ss-local -s 127.0.0.1 -p $srv -l $loc -k $PW -m $M --no-delay $mp >/dev/null 2>&1 &
		LPID[$1]=$! ;;
	esac
	PIDS+=(${SPID[$1]} ${LPID[$1]})
	wait_port $srv && wait_port $loc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# thr IMPL STREAMS BYTES: one run's MB/s (0 if the byte count was wrong).
thr() {
	local out
	out=$(timeout 120 "$TT" blast ${LPORT[$1]} $P_SINK "$3" "$2") || { echo 0; return; }
	echo "$out" | awk '{print $NF}'
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# idle_mem: KiB of userspace RSS (local + server) per idle relayed connection.
idle_mem() {
	local r0 r1 hold SP=${SPID[$1]} LP=${LPID[$1]}
	rm -f "$W/idle.out"
	r0=$(( $(rss_kb $SP) + $(rss_kb $LP) ))
	"$TT" idle ${LPORT[$1]} $P_ECHO "$IDLE" 4 >"$W/idle.out" &
	hold=$!
	for i in $(seq 1 60); do grep -q ok "$W/idle.out" 2>/dev/null && break; sleep 0.1; done
	sleep 0.5
	r1=$(( $(rss_kb $SP) + $(rss_kb $LP) ))
	wait $hold
	awk -v a=$r0 -v b=$r1 -v n=$IDLE 'BEGIN {printf "%.2f", (b - a) / n}'
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

pair_ticks() { echo $(( $(ticks ${SPID[$1]}) + $(ticks ${LPID[$1]}) )); }

# latency MODE: LATN connections to omr-MODE and as many to
# libev-MODE, alternating one by one (shim-tt alt), so a change in the
# machine's load hits both alike; the mean setup latency (ms) of each and
# the CPU time (user + sys of local + server, us) each pair spent per
# connection meanwhile.
latency() {
	local o=omr-$1 l=libev-$1 n=$LATN oa la ob lb out hz
	hz=$(getconf CLK_TCK)
	oa=$(pair_ticks $o) la=$(pair_ticks $l)
	out=$(timeout 600 "$TT" alt $P_ECHO $n ${LPORT[$o]} ${LPORT[$l]})
	ob=$(pair_ticks $o) lb=$(pair_ticks $l)
	LAT[$o]=$(echo "$out" | awk -v p=${LPORT[$o]} '$2 == p {print $6}')
	LAT[$l]=$(echo "$out" | awk -v p=${LPORT[$l]} '$2 == p {print $6}')
	MED[$o]=$(echo "$out" | awk -v p=${LPORT[$o]} '$2 == p {print $8}')
	MED[$l]=$(echo "$out" | awk -v p=${LPORT[$l]} '$2 == p {print $8}')
	CPU[$o]=$(awk -v t=$((ob - oa)) -v n=$n -v hz=$hz 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')
	CPU[$l]=$(awk -v t=$((lb - la)) -v n=$n -v hz=$hz 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')
}

bg "$TT" sink $P_SINK
bg "$TT" echo $P_ECHO
wait_port $P_SINK && wait_port $P_ECHO || exit 1
ulimit -n 65536 2>/dev/null

AEAD=$(openssl speed -seconds 2 -bytes 16384 -evp chacha20-poly1305 2>/dev/null |
	awk '/^ChaCha20-Poly1305/ {sub("k", "", $2); printf "%.0f", $2 * 1000 / 1e6}')
declare -A T1 T8 MEM LAT MED CPU
i=0
for impl in $IMPLS; do
	pair $impl $i || exit 1
	i=$((i + 1))
done
for rep in $(seq 1 "$REPS"); do
	echo "bench: round $rep/$REPS" >&2
	for impl in $IMPLS; do
		echo "$(thr $impl 1 $BYTES1)" >>"$W/t1.$impl"
		echo "$(thr $impl 8 $BYTES8)" >>"$W/t8.$impl"
	done
done
for mode in mptcp tcp; do
	latency $mode
done
for impl in $IMPLS; do
	T1[$impl]=$(median <"$W/t1.$impl")
	T8[$impl]=$(median <"$W/t8.$impl")
	MEM[$impl]=$(idle_mem $impl)
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

{
	echo "<!-- SPDX-License-Identifier: GPL-2.0-or-later -->"
	echo "# omr-shim benchmark"
	echo
	echo "Generated by \`make -C shim bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, kernel $(uname -r), $(openssl version | cut -d' ' -f1-2))."
	echo "Cipher $M; everything on loopback: shim-tt client -> SOCKS5 local -> tunnel -> server -> shim-tt sink."
	echo "Pairs run side by side and runs are interleaved (load average at the end: $LOAD; the machine may be shared, so compare ratios within a run)."
	echo "Throughput is the median of $REPS runs (1 stream: $((BYTES1 / 1000000)) MB; 8 streams: 8 x $((BYTES8 / 1000000)) MB)."
	echo "Baselines are measured in the same run: shadowsocks-libev $(dpkg-query -W -f='${Version}' shadowsocks-libev 2>/dev/null) (ss-local/ss-server with --no-delay like omr-shim, same cipher, same MPTCP setting)."
	echo "AEAD bound: \`openssl speed -evp chacha20-poly1305\`, 16 KB blocks, one core: **$AEAD MB/s**."
	echo
	echo "| setup | 1 stream MB/s | vs libev | vs AEAD bound | 8 streams MB/s | vs libev | idle conn KiB (RSS) | setup latency ms, mean / median | vs libev | CPU us/conn | vs libev |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for mode in mptcp tcp; do
		for impl in omr libev; do
			k=$impl-$mode
			if [ $impl = omr ]; then
				r1=$(ratio ${T1[$k]} ${T1[libev-$mode]}) r8=$(ratio ${T8[$k]} ${T8[libev-$mode]})
				rl="$(ratio ${LAT[$k]} ${LAT[libev-$mode]}) / $(ratio ${MED[$k]} ${MED[libev-$mode]})"
				rc=$(ratio ${CPU[$k]} ${CPU[libev-$mode]})
			else
				r1="1.00x" r8="1.00x" rl="1.00x / 1.00x" rc="1.00x"
			fi
			echo "| $( [ $impl = omr ] && echo omr-shim || echo ss-libev ) ($mode) | ${T1[$k]} | $r1 | $(ratio ${T1[$k]} $AEAD) | ${T8[$k]} | $r8 | ${MEM[$k]} | ${LAT[$k]} / ${MED[$k]} | $rl | ${CPU[$k]} | $rc |"
		done
	done
	echo
	echo "Idle memory: userspace RSS growth of local + server per idle relayed connection ($IDLE connections), kernel socket buffers excluded."
	echo "Setup latency: SOCKS5 handshake + tunnel connect + first 100-byte echo, sequential; $LATN connections each, alternating one by one between omr-shim and libev (so the machine's load hits both alike): their mean and median."
	echo "CPU us/conn: user + system time of local + server per connection over those connections."
	echo "The AEAD bound is per core for one direction; a relayed byte is encrypted once and decrypted once, and client, sink and both proxies share the $(nproc) cores."
} >"$W/table.md"
cat "$W/table.md"
mkdir -p "$(dirname "$OUT")"
cp "$W/table.md" "$OUT"
echo "bench: wrote $OUT" >&2
