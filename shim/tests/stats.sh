# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The stats exporter's tests (stats_socket, stats_file), sourced by
# tests/run.sh (its helpers: start, stop, wait_port, $BIN, $TT, $W, $PW,
# $P_ECHO); tests/stats.py is the client side.
P_S1=$((BASE + 23)) P_S2=$((BASE + 24)) P_S3=$((BASE + 25))
# shellcheck disable=SC2034 # read by tests/run.sh
STATS_NTESTS=3

t_stats_exact() {	# counters exact after a known workload, both roles
	local rc=0
	start sts "$BIN" server -s 127.0.0.1 -p $P_S1 -k "$PW" --allow 127.0.0.1 -w 2 \
		--handshake-timeout 1 --stats-socket "$W/srv.stats"
	start stl "$BIN" local -s 127.0.0.1 -p $P_S1 -l $P_S2 -k "$PW" -w 2 \
		--socks-user u --socks-pass p --stats-socket "$W/loc.stats"
	wait_port $P_S1 && wait_port $P_S2 || return 1
	$PY tests/stats.py workload $P_S2 $P_S1 $P_ECHO "$PW" u p "$W/loc.stats" "$W/srv.stats" || rc=1
	stop stl || { echo "local exit $?"; rc=1; }
	stop sts || { echo "server exit $?"; rc=1; }
	[ ! -e "$W/srv.stats" ] && [ ! -e "$W/loc.stats" ] || { echo "a stats socket outlived its process"; rc=1; }
	return $rc
}

t_stats_format() {	# Prometheus text (socket, file), JSON; file replaced whole; loops never wait for a reader
	local rc=0 u1 u2 out hold
	start stf "$BIN" server -s 127.0.0.1 -p $P_S3 -k "$PW" --allow 127.0.0.1 -u \
		--stats-socket "$W/f.stats" --stats-file "$W/f.prom" --stats-interval 1
	wait_port $P_S3 || return 1
	[ -e "$W/f.stats" ] || { echo "no socket once listening"; return 1; }
	$PY tests/stats.py get "$W/f.stats" >"$W/f1.txt" &&
		$PY tests/stats.py check "$W/f1.txt" || { cat "$W/f1.txt"; rc=1; }
	$PY tests/stats.py get "$W/f.stats" prometheus | cmp -s - /dev/null && { echo "\"prometheus\": empty"; rc=1; }
	$PY tests/stats.py get "$W/f.stats" json | $PY -m json.tool >/dev/null || { echo "json does not parse"; rc=1; }
	out=$($PY tests/stats.py get "$W/f.stats" bogus)
	[ "$out" = 'error: unknown request (send "prometheus" or "json")' ] || { echo "bogus: $out"; rc=1; }
	grep -q 'omr_shim_udp_datagrams_total{role="server",port="'$P_S3'",direction="to_tunnel"} 0' "$W/f1.txt" ||
		{ echo "no UDP samples with -u"; rc=1; }
	# The file: whole at every read, rewritten (uptime grows), no temporary left.
	$PY tests/stats.py check "$W/f.prom" || rc=1
	u1=$(awk '/^omr_shim_uptime_seconds/ {print $2}' "$W/f.prom")
	sleep 1.5
	$PY tests/stats.py check "$W/f.prom" || rc=1
	u2=$(awk '/^omr_shim_uptime_seconds/ {print $2}' "$W/f.prom")
	awk -v a="$u1" -v b="$u2" 'BEGIN {exit !(b > a)}' || { echo "file not rewritten: uptime $u1, then $u2"; rc=1; }
	[ ! -e "$W/f.prom.tmp" ] || { echo "f.prom.tmp left behind"; rc=1; }
	# A reader that sends nothing holds the exporter thread for its
	# request wait (1 s), never a worker: connections meanwhile are served
	# at loopback speed (a stalled loop would take that second).
	$PY - "$W/f.stats" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(2)
PY
	hold=$!
	sleep 0.2
	start stfl "$BIN" local -s 127.0.0.1 -p $P_S3 -l $P_S2 -k "$PW"
	wait_port $P_S2 || rc=1
	out=$(timeout 20 "$TT" conns $P_S2 $P_ECHO 20 1)
	echo "$out"
	echo "$out" | awk '$4 == 20 && $8 < 500 {ok = 1} END {exit !ok}' || { echo "slowed by a stats reader"; rc=1; }
	wait $hold
	stop stfl
	stop stf || { echo "server exit $?"; rc=1; }
	[ ! -e "$W/f.prom" ] && [ ! -e "$W/f.stats" ] || { echo "file or socket left after exit"; rc=1; }
	return $rc
}

# bad_stats WANT ARGS...: exit 2 with WANT (the option's name) in the message.
bad_stats() {
	local want=$1 out rc
	shift
	out=$("$BIN" server -p $P_S3 -k "$PW" "$@" 2>&1)
	rc=$?
	[ $rc = 2 ] && [[ "$out" == *"$want"* ]] && return 0
	echo "omr-shim server $*: exit $rc, wanted 2 naming $want: $out"
	return 1
}

t_stats_options() {	# bad stats values refused by name; a busy or foreign path at start
	local rc=0 long out
	long=/tmp/$(printf 'x%.0s' $(seq 120)).sock
	bad_stats --stats-interval --stats-socket /tmp/s.sock --stats-interval 0 || rc=1
	bad_stats --stats-interval --stats-interval 3601 || rc=1
	bad_stats stats_socket --stats-socket relative.sock || rc=1
	bad_stats stats_socket --stats-socket "$long" || rc=1
	bad_stats stats_file --stats-file stats.prom || rc=1
	bad_stats "stats_file and stats_socket" --stats-file /tmp/x --stats-socket /tmp/x || rc=1
	echo '{ "stats_interval": 0 }' >"$W/sbad.json"
	bad_stats '"stats_interval"' -c "$W/sbad.json" || rc=1
	echo '{ "stats_socket": 5 }' >"$W/sbad.json"
	bad_stats '"stats_socket": expected a string' -c "$W/sbad.json" || rc=1
	# A regular file where the socket goes is not removed: exit 1, named.
	echo keep >"$W/plain.file"
	out=$("$BIN" server -s 127.0.0.1 -p $P_S3 -k "$PW" --stats-socket "$W/plain.file" 2>&1)
	[ $? = 1 ] && [[ "$out" == *"stats_socket $W/plain.file: File exists"* ]] &&
		[ "$(cat "$W/plain.file")" = keep ] || { echo "over a file: $out"; rc=1; }
	# A second instance on a live socket is refused; the first keeps it.
	start sto "$BIN" server -s 127.0.0.1 -p $P_S3 -k "$PW" --stats-socket "$W/o.stats"
	wait_port $P_S3 || rc=1
	out=$("$BIN" server -s 127.0.0.1 -p $P_S1 -k "$PW" --stats-socket "$W/o.stats" 2>&1)
	[ $? = 1 ] && [[ "$out" == *"stats_socket $W/o.stats: Address already in use"* ]] ||
		{ echo "second instance: $out"; rc=1; }
	$PY tests/stats.py get "$W/o.stats" | grep -q '^omr_shim_info{role="server",port="'$P_S3'"' ||
		{ echo "the first instance lost its socket"; rc=1; }
	stop sto || rc=1
	return $rc
}

stats_tests() {
	run_test "stats: counters exact after N connections, M forged tunnels, a replay, bad header/chunk, a refused login" t_stats_exact
	run_test "stats: Prometheus text (socket and file, HELP/TYPE/sample lines), JSON; file replaced whole; readers never stall the loops" t_stats_format
	run_test "stats: bad stats options refused by name (exit 2); foreign or busy socket path refused (exit 1)" t_stats_options
}
