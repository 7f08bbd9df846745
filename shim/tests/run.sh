#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# omr-shim test suite: unit, bad input, interop with shadowsocks-libev,
# curl, MPTCP in network namespaces, leaks, sanitizers. Prints TAP 13.
# Traffic goes only to loopback and to namespaces created here; every
# process and namespace is removed on exit (trap), pass or fail.
set -u
SHIM=$(cd "$(dirname "$0")/.." && pwd)
cd "$SHIM"
BIN=$SHIM/build/asan/omr-shim	# tests run the ASan/UBSan build
REL=$SHIM/omr-shim		# leak and -O2 smoke tests use the release build
TT=$SHIM/build/shim-tt
UNIT=$SHIM/build/asan/unit
W=$(mktemp -d /tmp/omrshim-test.XXXXXX)
NSP="omrshim-$$-"
# Below the ephemeral range (32768+) so client sockets never hold our ports.
BASE=$((20000 + ($$ % 200) * 50))
PW="omr-test-pass"
HS=1
# Debian's interpreter: deps.sh installs python3-cryptography for it.
PY=/usr/bin/python3
declare -A PID
export ASAN_OPTIONS="detect_leaks=1:exitcode=66:log_path=$W/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$W/ubsan"

cleanup() {
	local p ns
	for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP"); do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD... : background process tracked for cleanup.
start() {
	local name=$1
	shift
	"$@" >"$W/$name.log" 2>&1 &
	PID[$name]=$!
}

stop() {
	local name=$1 rc
	kill "${PID[$name]}" 2>/dev/null
	wait "${PID[$name]}" 2>/dev/null
	rc=$?
	unset "PID[$name]"
	return $rc
}

# wait_port PORT [NETNS]
wait_port() {
	local i pre=""
	[ -n "${2:-}" ] && pre="ip netns exec $2"
	for i in $(seq 1 100); do
		$pre ss -Hltn "sport = :$1" 2>/dev/null | grep -q LISTEN && return 0
		sleep 0.05
	done
	echo "port $1 never opened"
	return 1
}

N=0
FAILED=0
tap() {
	N=$((N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}

# run_test DESC FUNC: one TAP line; the function's output becomes diagnostics on failure.
run_test() {
	local desc=$1 rc
	shift
	# Developer filter: ONLY="t_fallback t_leak" runs just those (no plan).
	if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $1 "* ]]; then
		return 0
	fi
	"$@" >"$W/test.out" 2>&1
	rc=$?
	tap $rc "$desc"
	[ $rc = 0 ] || sed 's/^/# /' "$W/test.out" | tail -n 25
}

P_HTTP=$BASE P_HTTP6=$((BASE + 1)) P_ECHO=$((BASE + 2)) P_SINK=$((BASE + 3))
P_SRV=$((BASE + 4)) P_LOC=$((BASE + 5)) P_AUTH=$((BASE + 6))
P_SSS=$((BASE + 7)) P_SSL=$((BASE + 8)) P_X1=$((BASE + 9)) P_X2=$((BASE + 10))
P_X3=$((BASE + 11)) P_X4=$((BASE + 12)) P_X5=$((BASE + 13))
P_UE=$((BASE + 14)) P_U1=$((BASE + 15)) P_U2=$((BASE + 16)) P_U3=$((BASE + 17))
P_R1=$((BASE + 20)) P_R2=$((BASE + 21)) P_R3=$((BASE + 22))

setup_common() {
	mkdir -p "$W/www"
	head -c 1048576 /dev/urandom >"$W/www/small.bin"
	head -c 104857600 /dev/urandom >"$W/www/big.bin"
	cat >"$W/server.json" <<JSON
{ "server": "127.0.0.1", "server_port": $P_SRV, "password": "$PW",
  "method": "chacha20-ietf-poly1305", "timeout": 60, "mptcp": true,
  "handshake_timeout": $HS, "allow": ["127.0.0.1/32", "::1/128"],
  "mode": "tcp_only", "fast_open": false }
JSON
	cat >"$W/local.json" <<JSON
{ "server": "127.0.0.1", "server_port": $P_SRV, "local_address": "127.0.0.1",
  "local_port": $P_LOC, "password": "$PW", "method": "chacha20-ietf-poly1305",
  "timeout": 60, "mptcp": true, "handshake_timeout": $HS }
JSON
	start http $PY -m http.server "$P_HTTP" --bind 127.0.0.1 --directory "$W/www"
	start http6 $PY -m http.server "$P_HTTP6" --bind ::1 --directory "$W/www"
	start echo "$TT" echo "$P_ECHO"
	start sink "$TT" sink "$P_SINK"
	start uecho $PY tests/udp.py echo "$P_UE"
	start srv "$BIN" server -c "$W/server.json"
	start loc "$BIN" local -c "$W/local.json"
	start auth "$BIN" local -s 127.0.0.1 -p "$P_SRV" -l "$P_AUTH" -k "$PW" \
		--socks-user user --socks-pass secret --handshake-timeout $HS
	for p in $P_HTTP $P_HTTP6 $P_ECHO $P_SINK $P_SRV $P_LOC $P_AUTH; do
		wait_port $p || return 1
	done
}

# fetch SOCKSPORT URL FILE [curl opts]: download through SOCKS5 and compare.
fetch() {
	local sp=$1 url=$2 file=$3
	shift 3
	timeout 60 curl -sS --max-time 50 "$@" --socks5-hostname "127.0.0.1:$sp" "$url" \
		-o "$W/got.bin" || return 1
	cmp "$W/got.bin" "$file"
}

t_curl_small() { fetch $P_LOC "http://127.0.0.1:$P_HTTP/small.bin" "$W/www/small.bin"; }
t_curl_big() { fetch $P_LOC "http://127.0.0.1:$P_HTTP/big.bin" "$W/www/big.bin"; }
t_curl_v6() {
	timeout 30 curl -sS --max-time 20 --socks5 "127.0.0.1:$P_LOC" \
		"http://[::1]:$P_HTTP6/small.bin" -o "$W/got6.bin" && cmp "$W/got6.bin" "$W/www/small.bin"
}
# A name the server resolves (ATYP 3), and one that does not resolve. The
# name comes from tests/fakedns.py in a namespace of its own, so the test
# needs no /etc/hosts (a minbase chroot has none). A failed resolution
# cannot become a SOCKS5 failure reply: the local answered success before
# dialling (as ss-local does) and the server can only close the tunnel,
# so the client sees success, then EOF and no byte (curl: 52).
t_curl_domain() {
	local ns=${NSP}name rc=0 e
	dns_ns "$ns" 4 5 || return 1
	start nmh ip netns exec "$ns" $PY -m http.server "$P_HTTP" --bind 127.0.0.1 --directory "$W/www"
	start nms "${NSX[@]}" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW" --allow 127.0.0.1 -v
	start nml ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_LOC -k "$PW"
	wait_port $P_HTTP "$ns" && wait_port $P_SRV "$ns" && wait_port $P_LOC "$ns" || return 1
	ip netns exec "$ns" timeout 30 curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P_LOC" \
		"http://target.omr.test:$P_HTTP/small.bin" -o "$W/gotn.bin" &&
		cmp "$W/gotn.bin" "$W/www/small.bin" || { echo "target.omr.test: no identical copy"; rc=1; }
	ip netns exec "$ns" timeout 30 curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P_LOC" \
		"http://nxdomain.omr.test:$P_HTTP/small.bin" -o /dev/null
	e=$?
	[ $e = 52 ] || { echo "nxdomain.omr.test: curl exit $e, want 52 (empty reply)"; rc=1; }
	grep -q "resolve nxdomain.omr.test:$P_HTTP: " "$W/nms.log" ||
		{ echo "server did not log the failed resolution"; rc=1; }
	# The failure closed one connection only: the next name still resolves.
	ip netns exec "$ns" timeout 30 curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P_LOC" \
		"http://target.omr.test:$P_HTTP/small.bin" -o "$W/gotn.bin" &&
		cmp "$W/gotn.bin" "$W/www/small.bin" || { echo "no service after the failure"; rc=1; }
	stop nml
	stop nms || { echo "server exit $?"; rc=1; }
	stop nmh
	[ $rc = 0 ] || { cat "$W/nms.log"; cat "$W/dns-$ns.log"; }
	dns_ns_del "$ns"
	return $rc
}
t_curl_auth() {
	fetch $P_AUTH "http://127.0.0.1:$P_HTTP/small.bin" "$W/www/small.bin" \
		--proxy-user user:secret || return 1
	! timeout 10 curl -s --max-time 5 --proxy-user user:wrong \
		--socks5-hostname "127.0.0.1:$P_AUTH" "http://127.0.0.1:$P_HTTP/small.bin" -o /dev/null
}
t_upload() { timeout 60 "$TT" blast $P_LOC $P_SINK 16000000 8; }

interop_local() {	# omr-shim local -> ss-server
	local m=$1 rc
	start sss ss-server -s 127.0.0.1 -p $P_SSS -k "$PW" -m "$m"
	start ol "$BIN" local -s 127.0.0.1 -p $P_SSS -l $P_X1 -k "$PW" -m "$m"
	wait_port $P_SSS && wait_port $P_X1 &&
		fetch $P_X1 "http://127.0.0.1:$P_HTTP/small.bin" "$W/www/small.bin" &&
		timeout 30 "$TT" blast $P_X1 $P_SINK 8000000 2
	rc=$?
	stop sss
	stop ol || { echo "omr-shim local exit code $?"; rc=1; }
	return $rc
}

interop_server() {	# ss-local -> omr-shim server
	local m=$1 rc
	start os "$BIN" server -s 127.0.0.1 -p $P_X2 -k "$PW" -m "$m" --allow 127.0.0.1
	start ssl ss-local -s 127.0.0.1 -p $P_X2 -l $P_SSL -k "$PW" -m "$m"
	wait_port $P_X2 && wait_port $P_SSL &&
		fetch $P_SSL "http://127.0.0.1:$P_HTTP/small.bin" "$W/www/small.bin" &&
		timeout 30 "$TT" blast $P_SSL $P_SINK 8000000 2
	rc=$?
	stop ssl
	stop os || { echo "omr-shim server exit code $?"; rc=1; }
	return $rc
}

t_policy_default() {	# no allow-list: loopback target refused, logged
	local rc=0
	start pol "$BIN" server -s 127.0.0.1 -p $P_X3 -k "$PW"
	start poll "$BIN" local -s 127.0.0.1 -p $P_X3 -l $P_X4 -k "$PW"
	wait_port $P_X3 && wait_port $P_X4 || rc=1
	if timeout 10 curl -s --max-time 5 --socks5-hostname "127.0.0.1:$P_X4" \
		"http://127.0.0.1:$P_HTTP/small.bin" -o /dev/null; then
		echo "loopback target was reachable"; rc=1
	fi
	if timeout 10 curl -s --max-time 5 --socks5-hostname "127.0.0.1:$P_X4" \
		"http://localhost:$P_HTTP/small.bin" -o /dev/null; then
		echo "localhost (by name) was reachable"; rc=1
	fi
	stop poll
	stop pol
	grep -q "refused: internal range" "$W/pol.log" || { echo "no refusal logged"; rc=1; }
	return $rc
}

t_status_mptcp() {	# SIGUSR1 status shows the tunnel really runs MPTCP
	local hold
	local i
	"$TT" idle $P_LOC $P_ECHO 2 3 >"$W/idle.out" &
	hold=$!
	# tt prints its line once both connections have echoed: they are up.
	for i in $(seq 1 50); do
		grep -q "^idle" "$W/idle.out" && break
		sleep 0.1
	done
	kill -USR1 "${PID[loc]}" "${PID[srv]}"
	sleep 0.5
	wait $hold || return 1
	grep -q "tunnel mptcp subflows 1" "$W/loc.log" &&
		grep -q "tunnel mptcp subflows 1" "$W/srv.log" &&
		grep -q "tunnels mptcp [1-9]" "$W/loc.log"
}

t_status_fallback() {	# MPTCP asked for, peer without MPTCP: reported as fallback
	local rc=0 hold i
	start fss ss-server -s 127.0.0.1 -p $P_SSS -k "$PW" -m chacha20-ietf-poly1305
	start fsl "$BIN" local -s 127.0.0.1 -p $P_SSS -l $P_X1 -k "$PW"
	wait_port $P_SSS && wait_port $P_X1 || return 1
	"$TT" idle $P_X1 $P_ECHO 2 2 >"$W/fidle.out" &
	hold=$!
	for i in $(seq 1 50); do
		grep -q "^idle" "$W/fidle.out" && break
		sleep 0.1
	done
	kill -USR1 "${PID[fsl]}"
	sleep 0.5
	wait $hold || rc=1
	stop fsl
	stop fss
	grep -q "tunnel mptcp-fallback subflows 0" "$W/fsl.log" &&
		grep -q "tunnels mptcp 0 fallback [1-9]" "$W/fsl.log" &&
		[ "$(grep -c "tunnel fell back to plain TCP" "$W/fsl.log")" -ge 1 ] ||
		{ cat "$W/fsl.log"; rc=1; }
	return $rc
}

t_bad_input() {
	$PY tests/badinput.py $P_LOC $P_AUTH $P_SRV $P_ECHO "$PW" $HS
}

# dns_ns NS DELAY TIMEOUT: a namespace with nothing but lo, tests/fakedns.py
# on its 127.0.0.1:53 (names "late*" answered after DELAY s) and a
# resolv.conf for it with the resolver's per-try TIMEOUT. No query can
# leave the machine.
dns_ns() {
	local ns=$1 i
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	printf 'nameserver 127.0.0.1\noptions timeout:%s attempts:1\n' "$3" >"$W/resolv-$ns.conf"
	start "dns-$ns" ip netns exec "$ns" $PY -u tests/fakedns.py 127.0.0.1 "$2"
	# shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
	NSX=(ip netns exec "$ns" unshare -m --propagation private
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$W/resolv-$ns.conf")
	for i in $(seq 1 100); do
		ip netns exec "$ns" ss -Hlun "sport = :53" | grep -q . && return 0
		sleep 0.05
	done
	echo "fake DNS never listened"
	return 1
}

# "${NSX[@]}" CMD... runs CMD in the last dns_ns with that resolv.conf,
# bind-mounted in a private mount namespace (the host's file is untouched).
# Every step execs, so the pid start() records is CMD's.
NSX=()

dns_ns_del() {
	stop "dns-$1"
	ip netns del "$1"
}

t_log_escape() {	# newline and ESC in a SOCKS5 domain never reach the log raw
	local ns=${NSP}log rc=0 f i
	dns_ns "$ns" 4 10 || return 1
	start les "${NSX[@]}" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW" -v
	start lel ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_LOC -k "$PW" -v
	# A second local whose "server" is a sink: it holds its connections,
	# so its status report lists both targets whatever the real server does.
	start lek ip netns exec "$ns" "$TT" sink $P_SINK
	start leh ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SINK -l $P_X1 -k "$PW" -v
	wait_port $P_SRV "$ns" && wait_port $P_LOC "$ns" && wait_port $P_SINK "$ns" &&
		wait_port $P_X1 "$ns" || return 1
	ip netns exec "$ns" $PY - $P_LOC $P_X1 "${PID[leh]}" <<'PY' || rc=1
import os, signal, socket, sys, time
def req(port, name):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + b"\x00\x50")
    assert s.recv(10)[:2] == b"\x05\x00"
    s.sendall(b"x")
    return s
names = [b"x\nomr-shim server: error: FORGED-1\x1b[2J", b"late\nFORGED-2\x1b]0;t\x07"]
held = [req(int(p), n) for p in sys.argv[1:3] for n in names]
time.sleep(0.5)
os.kill(int(sys.argv[3]), signal.SIGUSR1)
time.sleep(0.5)
PY
	# The server logs its resolver failures at debug; wait for both.
	for i in $(seq 1 40); do
		[ "$(grep -c "resolve .*FORGED" "$W/les.log")" -ge 2 ] && break
		sleep 0.05
	done
	stop leh
	stop lek
	stop lel
	stop les
	for f in les lel leh; do
		if grep -q $'\x1b' "$W/$f.log" || grep -q '^FORGED\|^omr-shim server: error: FORGED' "$W/$f.log"; then
			echo "$f: raw control bytes in the log:"
			cat -v "$W/$f.log" | grep -a -B1 FORGED
			rc=1
		fi
	done
	grep -qF 'resolve x\x0aomr-shim server: error: FORGED-1\x1b[2J:80' "$W/les.log" ||
		{ echo "server: no escaped resolver line"; rc=1; }
	grep -qF 'resolve late\x0aFORGED-2\x1b]0;t\x07:80' "$W/les.log" ||
		{ echo "server: no escaped resolver line (2)"; rc=1; }
	grep -qF 'target x\x0aomr-shim server: error: FORGED-1\x1b[2J:80' "$W/leh.log" &&
		grep -qF 'target late\x0aFORGED-2\x1b]0;t\x07:80' "$W/leh.log" ||
		{ echo "local: no escaped status lines"; rc=1; }
	[ $rc = 0 ] || cat -v "$W/les.log" "$W/leh.log" | tail -n 20
	dns_ns_del "$ns"
	return $rc
}

t_dns_shutdown() {	# SIGTERM while a name resolves slowly: shutdown waits, no use after free
	local ns=${NSP}dns rc=0 i pid hold t0 t1 src
	dns_ns "$ns" 9 12 || return 1
	start dss "${NSX[@]}" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW"
	start dsl ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_LOC -k "$PW"
	wait_port $P_SRV "$ns" && wait_port $P_LOC "$ns" || return 1
	pid=${PID[dss]}
	ip netns exec "$ns" timeout 20 $PY - $P_LOC <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
name = b"late.omr.test"
s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + b"\x00\x50")
assert s.recv(10)[:2] == b"\x05\x00"
s.sendall(b"x")
time.sleep(15)
PY
	hold=$!
	for i in $(seq 1 100); do
		grep -q "^query late" "$W/dns-$ns.log" && break
		sleep 0.05
	done
	grep -q "^query late" "$W/dns-$ns.log" || { echo "no query reached the fake DNS"; rc=1; }
	t0=$EPOCHREALTIME
	stop dss
	src=$?
	t1=$EPOCHREALTIME
	kill $hold 2>/dev/null
	wait $hold 2>/dev/null
	# The worker's memory must outlive the resolver's report: the server
	# exits only after every late answer was sent (fakedns.py stamps each
	# one just before sending it). Measured from the answers, not from
	# SIGTERM: how long after the query SIGTERM comes depends on load.
	$PY - "$W/dns-$ns.log" "$src" "${t0/,/.}" "${t1/,/.}" <<'PY' || rc=1
import sys
log, src, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
lines = [l.split() for l in open(log)]
q = [l for l in lines if l[0] == "query" and l[1].startswith("late")]
a = [float(l[2]) for l in lines if l[0] == "answered"]
print("server exit %d, %.0f ms after SIGTERM; %d late queries, %d answered before exit%s"
      % (src, (t1 - t0) * 1e3, len(q), len(a),
         ", last answer %.0f ms before exit" % ((t1 - max(a)) * 1e3) if a else ""))
ok = src == 0 and q and len(a) == len(q) and max(a) <= t1
if len(a) < len(q):
    print("exited before the resolver had its answer")
sys.exit(0 if ok else 1)
PY
	if ls "$W"/asan.$pid* "$W"/ubsan.$pid* >/dev/null 2>&1; then
		head -n 30 "$W"/asan.$pid* "$W"/ubsan.$pid* 2>/dev/null
		rc=1
	fi
	stop dsl
	dns_ns_del "$ns"
	return $rc
}

# Starvation is what a flood does to the others' latency, so the measure is
# relative: handshakes without the flood, then during it, same process,
# same machine load. A worker pinned by a drain (up to its 1 s limit, the
# flood reconnecting at once) would make a typical handshake wait ~0.5 s;
# a busy machine slows both phases alike. The flood runs in a process of
# its own so that the GIL does not couple it to the measuring client.
t_refuse_flood() {	# a refused client that keeps sending cannot pin a worker
	local rc=0
	start rfl "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_X5 -k "$PW" -w 1
	wait_port $P_X5 || return 1
	$PY - $P_X5 $P_ECHO <<'PY' || rc=1
import multiprocessing, socket, statistics, struct, sys, time
port, echo = int(sys.argv[1]), int(sys.argv[2])
def flood(q):
    # Greeting, a request with ATYP 2 (refused with REP 08), then 64 KiB
    # writes without pause; again whenever the shim drops us.
    buf = bytes(65536)
    rounds, longest = 0, 0.0
    t_end = time.monotonic() + 3
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        s = None
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"\x05\x01\x00")
            s.recv(2)
            s.sendall(b"\x05\x01\x00\x02")
            while time.monotonic() < t_end:
                s.send(buf)
        except OSError:
            pass
        rounds += 1
        longest = max(longest, time.monotonic() - t0)
        if s:
            s.close()
    q.put((rounds, longest))
def handshake():
    t0 = time.monotonic()
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(b"\x05\x01\x00")
        assert c.recv(2) == b"\x05\x00"
        c.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", echo))
        assert c.recv(10)[:2] == b"\x05\x00"
        c.sendall(b"x")
        assert c.recv(1) == b"x"
        c.close()
    except (OSError, AssertionError) as e:
        print("handshake failed:", repr(e))
        return None
    return time.monotonic() - t0
base = []
for _ in range(10):
    base.append(handshake())
    time.sleep(0.05)
q = multiprocessing.Queue()
fl = multiprocessing.Process(target=flood, args=(q,))
fl.start()
time.sleep(0.3)
during = []
while fl.is_alive():
    during.append(handshake())
    time.sleep(0.05)
rounds, longest = q.get(timeout=10)
fl.join()
failed = base.count(None) + during.count(None)
base = [x for x in base if x is not None] or [99]
during = [x for x in during if x is not None] or [99]
mb, md = statistics.median(base), statistics.median(during)
print("handshakes without the flood: %d, median %.3f s, slowest %.3f s" % (len(base), mb, max(base)))
print("during the flood: %d, median %.3f s, slowest %.3f s; %d flood connections, longest %.2f s"
      % (len(during), md, max(during), rounds, longest))
ok = failed == 0 and len(during) >= 5 and md < 2 * mb + 0.1 and rounds >= 2 and longest < 2
sys.exit(0 if ok else 1)
PY
	stop rfl || rc=1
	return $rc
}

t_drain_deadline() {	# bad chunk mid-stream: silence ends handshake_timeout after the last valid input
	start dds "$BIN" server -s 127.0.0.1 -p $P_X3 -k "$PW" --allow 127.0.0.1 --handshake-timeout 3
	wait_port $P_X3 || return 1
	$PY - $P_X3 $P_ECHO "$PW" <<'PY'
import os, socket, struct, sys, time
sys.path.insert(0, "tests")
from badinput import Stream, decrypt_reply
port, echo, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
st = Stream(pw)
s = socket.create_connection(("127.0.0.1", port), timeout=8)
s.sendall(st.salt + st.chunk(bytes([1, 127, 0, 0, 1]) + struct.pack(">H", echo) + b"ping"))
rec = b""
while len(rec) < 32 + 18 + 4 + 16:
    rec += s.recv(4096)
assert decrypt_reply(pw, rec) == b"ping"
t_valid = time.monotonic()
time.sleep(2)
s.sendall(os.urandom(100))
t_bad = time.monotonic()
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
t_end = time.monotonic()
print("closed %.2f s after the last valid input, %.2f s after the bad chunk; %d bytes"
      % (t_end - t_valid, t_end - t_bad, len(got)))
sys.exit(0 if got == b"" and 2.6 < t_end - t_valid < 3.9 else 1)
PY
	local rc=$?
	stop dds
	return $rc
}

t_fallback() {	# net.mptcp.enabled=0 in a fresh netns: one log line, TCP works
	local ns=${NSP}nomp rc=0 n
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.mptcp.enabled=0 || return 1
	start fbe ip netns exec "$ns" "$TT" echo $P_ECHO
	start fbs ip netns exec "$ns" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW" --allow 127.0.0.1
	start fbl ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_LOC -k "$PW"
	wait_port $P_SRV "$ns" && wait_port $P_LOC "$ns" && wait_port $P_ECHO "$ns" || rc=1
	ip netns exec "$ns" timeout 30 "$TT" conns $P_LOC $P_ECHO 50 4 || rc=1
	kill -USR1 "${PID[fbl]}"
	sleep 0.3
	stop fbl
	stop fbs
	stop fbe
	for f in fbs fbl; do
		n=$(grep -c "MPTCP unavailable.*falling back to plain TCP" "$W/$f.log")
		[ "$n" = 1 ] || { echo "$f: $n fallback lines"; cat "$W/$f.log"; rc=1; }
	done
	grep -q "tunnels mptcp 0 fallback 0 tcp [1-9]" "$W/fbl.log" || { echo "status: not tcp"; rc=1; }
	ip netns del "$ns"
	return $rc
}

mp_setup() {	# two namespaces joined by two veth pairs, kernel PM endpoints
	local c=$1 s=$2 i
	ip netns add "$c" && ip netns add "$s" || return 1
	for i in 1 2; do
		ip link add "omrc$i" netns "$c" type veth peer name "omrs$i" netns "$s" || return 1
		ip -n "$c" addr add "10.231.$i.1/24" dev "omrc$i"
		ip -n "$s" addr add "10.231.$i.2/24" dev "omrs$i"
		ip -n "$c" link set "omrc$i" up
		ip -n "$s" link set "omrs$i" up
		# Cap each path so one subflow cannot carry everything.
		ip netns exec "$c" tc qdisc add dev "omrc$i" root tbf rate 200mbit burst 64kb latency 50ms
	done
	ip -n "$c" link set lo up
	ip -n "$s" link set lo up
	ip netns exec "$c" sysctl -qw net.mptcp.enabled=1
	ip netns exec "$s" sysctl -qw net.mptcp.enabled=1
	ip -n "$c" mptcp limits set subflows 2 add_addr_accepted 2
	ip -n "$s" mptcp limits set subflows 2 add_addr_accepted 2
	# The server announces its second address; the client joins it.
	ip -n "$s" mptcp endpoint add 10.231.2.2 dev omrs2 signal
}

t_mptcp_two_paths() {
	local c=${NSP}c s=${NSP}s rc=0 blast i
	mp_setup "$c" "$s" || return 1
	# Wildcard bind: joins arrive on the announced second address too.
	start mps ip netns exec "$s" "$BIN" server -s 0.0.0.0 -p $P_SRV -k "$PW" --allow 127.0.0.1
	start mpk ip netns exec "$s" "$TT" sink $P_SINK
	start mpl ip netns exec "$c" "$BIN" local -s 10.231.1.2 -p $P_SRV -l $P_LOC -k "$PW"
	wait_port $P_SRV "$s" && wait_port $P_SINK "$s" && wait_port $P_LOC "$c" || return 1
	# One upload that keeps sending (at least 60 MB) until a status line
	# taken during it says 2 subflows: a fixed-size upload can end before
	# any SIGUSR1 lands while both subflows carry it.
	ip netns exec "$c" timeout 60 $PY - $P_LOC $P_SINK "${PID[mpl]}" "$W/mpl.log" \
		>"$W/mpblast.out" 2>&1 <<'PY' &
import os, signal, socket, struct, sys, threading, time
port, sink, pid, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", sink))
assert s.recv(10)[:2] == b"\x05\x00"
s.sendall(struct.pack("=Q", 1 << 62))	# shim-tt sink: count until EOF
seen, t0 = threading.Event(), time.monotonic()
def watch():
    while not seen.is_set() and time.monotonic() - t0 < 40:
        os.kill(pid, signal.SIGUSR1)
        time.sleep(0.2)
        if "tunnel mptcp subflows 2" in open(log, errors="replace").read():
            seen.set()
threading.Thread(target=watch, daemon=True).start()
buf, sent, t_seen = bytes(1 << 20), 0, None
while time.monotonic() - t0 < 40:
    if t_seen is None and seen.is_set():
        t_seen = time.monotonic() - t0
    if sent >= 60_000_000 and t_seen is not None:
        break
    s.sendall(buf)
    sent += len(buf)
s.shutdown(socket.SHUT_WR)
got = b""
while len(got) < 8:
    b = s.recv(8 - len(got))
    if not b:
        break
    got += b
n = struct.unpack("=Q", got)[0] if len(got) == 8 else -1
print("sent %d bytes in %.2f s, sink counted %d; status said 2 subflows %s"
      % (sent, time.monotonic() - t0, n,
         "at %.2f s, mid-transfer" % t_seen if t_seen is not None else "never"))
sys.exit(0 if n == sent and t_seen is not None else 1)
PY
	blast=$!
	: >"$W/ss.out"
	# Sample subflows until the transfer ends (bounded by its 60 s timeout).
	for i in $(seq 1 600); do
		sleep 0.1
		ip netns exec "$c" ss -Htin "dport = :$P_SRV" >>"$W/ss.out" 2>/dev/null
		kill -0 $blast 2>/dev/null || break
	done
	wait $blast || { echo "transfer failed"; rc=1; }
	cat "$W/mpblast.out"
	# Largest bytes_acked seen per subflow (local address); need two > 5 MB.
	$PY - "$W/ss.out" <<'PY' || rc=1
import re, sys
best = {}
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    m = re.match(r"\S+\s+\d+\s+\d+\s+(\S+)\s+(\S+)", l)
    if not m:
        continue
    info = " ".join(lines[i:i + 2])
    a = re.search(r"bytes_acked:(\d+)", info)
    if a:
        best[m.group(1)] = max(best.get(m.group(1), 0), int(a.group(1)))
print("subflows seen (local addr -> max bytes_acked):", best)
sys.exit(0 if sum(1 for v in best.values() if v > 5_000_000) >= 2 else 1)
PY
	grep "status: worker .* tunnel" "$W/mpl.log" | head -3
	stop mpl
	stop mps
	stop mpk
	ip netns del "$c"
	ip netns del "$s"
	return $rc
}

proc_fds() { ls "/proc/$1/fd" | wc -l; }
proc_rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

t_leak() {	# 10 000 connections through the release build: fds and RSS flat
	local rc=0 f0 f1 r0 r1 g0 g1 q0 q1
	start lks "$REL" server -s 127.0.0.1 -p $P_X3 -k "$PW" --allow 127.0.0.1
	start lkl "$REL" local -s 127.0.0.1 -p $P_X3 -l $P_X4 -k "$PW"
	wait_port $P_X3 && wait_port $P_X4 || return 1
	timeout 60 "$TT" conns $P_X4 $P_ECHO 1000 8 || rc=1
	sleep 0.3
	f0=$(proc_fds ${PID[lkl]}) r0=$(proc_rss ${PID[lkl]})
	g0=$(proc_fds ${PID[lks]}) q0=$(proc_rss ${PID[lks]})
	timeout 120 "$TT" conns $P_X4 $P_ECHO 10000 8 || rc=1
	sleep 0.5
	f1=$(proc_fds ${PID[lkl]}) r1=$(proc_rss ${PID[lkl]})
	g1=$(proc_fds ${PID[lks]}) q1=$(proc_rss ${PID[lks]})
	echo "local fds $f0 -> $f1 rss ${r0}k -> ${r1}k; server fds $g0 -> $g1 rss ${q0}k -> ${q1}k"
	[ "$f1" -le "$f0" ] && [ "$g1" -le "$g0" ] || { echo "fd growth"; rc=1; }
	[ $((r1 - r0)) -lt 4096 ] && [ $((q1 - q0)) -lt 4096 ] || { echo "RSS growth"; rc=1; }
	stop lkl
	stop lks
	return $rc
}

t_leak_asan() {	# same load through the ASan pair; LSan reports at SIGTERM
	local rc=0 f0 f1 g0 g1
	f0=$(proc_fds ${PID[loc]}) g0=$(proc_fds ${PID[srv]})
	timeout 150 "$TT" conns $P_LOC $P_ECHO 10000 8 || rc=1
	sleep 0.5
	f1=$(proc_fds ${PID[loc]}) g1=$(proc_fds ${PID[srv]})
	echo "ASan local fds $f0 -> $f1, server fds $g0 -> $g1"
	[ "$f1" -le "$f0" ] && [ "$g1" -le "$g0" ] || rc=1
	return $rc
}

# wait_closed NAME: SIGUSR1 to the shim NAME until its status line reports
# no connection open (a new line, not one of an earlier wait); 10 s.
wait_closed() {
	local i n0
	n0=$(grep -c "status: 0 connections open" "$W/$1.log")
	for i in $(seq 1 100); do
		kill -USR1 "${PID[$1]}"
		sleep 0.1
		[ "$(grep -c "status: 0 connections open" "$W/$1.log")" -gt "$n0" ] && return 0
	done
	echo "$1: connections still open 10 s after their clients closed:"
	tail -n 12 "$W/$1.log"
	return 1
}

# Each batch of new connections is at most the limit, and starts once the
# ones before are torn down. A closed client's slot is free only when the
# teardown has gone through the server and back (EOF each way), and over
# MPTCP a bare DATA_FIN reaches the peer's socket only when the kernel's
# MPTCP worker (a workqueue) runs: under CPU load that lags far behind a
# client that reconnects at once, so a sequential client of more than
# "limit" connections can be refused without anything being wrong.
t_limit() {	# --max-conn: excess refused, logged, service continues
	local rc=0 out b
	start lml "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_X5 -k "$PW" --max-conn 20 -w 2
	wait_port $P_X5 || return 1
	out=$(timeout 20 "$TT" idle $P_X5 $P_ECHO 30 1)
	echo "$out"
	[ "$out" = "idle 30 ok 20" ] || rc=1
	# Twice the limit in all: the slots the idle clients held, then the
	# slots the first batch held, are given back and used again.
	for b in 1 2; do
		wait_closed lml || { rc=1; break; }
		timeout 20 "$TT" conns $P_X5 $P_ECHO 20 1 || { rc=1; kill -USR1 "${PID[lml]}"; sleep 0.2; tail -n 12 "$W/lml.log"; }
	done
	stop lml
	grep -q "connection limit 20 reached" "$W/lml.log" || { echo "not logged"; rc=1; }
	return $rc
}

proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Each relayed connection takes two fds (client, tunnel), so whether the
# limit is met at accept() or at the tunnel's socket() depends on the
# parity of the fds the process holds besides: one of 64 and 65 gives
# each. Both must pause accepting, and neither is the server's fault.
t_emfile() {	# out of fds: accept pauses (no spin, logged), then recovers
	local rc=0 hold c0 c1 n
	for n in 64 65; do
		start efl$n "$REL" local -s 127.0.0.1 -p $P_SRV -l $P_X5 -k "$PW" --nofile $n
		wait_port $P_X5 || return 1
		# Holds connections until fds run out; the next one waits in
		# the backlog, so tt blocks there until timeout ends it.
		timeout 3 "$TT" idle $P_X5 $P_ECHO 60 5 >/dev/null &
		hold=$!
		sleep 1.2
		c0=$(proc_cpu ${PID[efl$n]})
		sleep 1
		c1=$(proc_cpu ${PID[efl$n]})
		wait $hold
		echo "nofile $n: CPU ticks while out of fds: $((c1 - c0)) (100 = one core spinning)"
		[ $((c1 - c0)) -lt 20 ] || rc=1
		sleep 0.5
		timeout 20 "$TT" conns $P_X5 $P_ECHO 20 1 || rc=1
		stop efl$n
		grep "pausing new connections" "$W/efl$n.log" || { cat "$W/efl$n.log"; rc=1; }
		if grep -E "cannot reach server|unreachable" "$W/efl$n.log"; then
			echo "nofile $n: our own fd shortage blamed on the server"
			rc=1
		fi
	done
	return $rc
}

# The server role meets the shortage at the tunnel's accept() or at the
# target's socket() alike (shortage.c); the local in front has fds to
# spare, so whatever pauses is the server's.
t_emfile_server() {	# out of fds in the server: accepting pauses, then recovers
	local rc=0 hold n
	for n in 64 65; do
		start efs$n "$REL" server -s 127.0.0.1 -p $P_X4 -k "$PW" --allow 127.0.0.1 --nofile $n
		start efsl$n "$BIN" local -s 127.0.0.1 -p $P_X4 -l $P_X5 -k "$PW"
		wait_port $P_X4 && wait_port $P_X5 || return 1
		timeout 3 "$TT" idle $P_X5 $P_ECHO 60 5 >/dev/null &
		hold=$!
		wait $hold
		sleep 0.5
		timeout 20 "$TT" conns $P_X5 $P_ECHO 20 1 || rc=1
		stop efsl$n
		stop efs$n || { echo "nofile $n: server exit code $?"; rc=1; }
		grep "pausing new connections" "$W/efs$n.log" || { cat "$W/efs$n.log"; rc=1; }
	done
	return $rc
}

# A fresh netns whose ip_local_port_range has 4 ports: the 4 connections
# held through omr-shim local take all of them toward the server (the
# client binds its own ports outside the range); the fifth's dial fails
# with EADDRNOTAVAIL, which is ours, as a router's with too many MPTCP
# joins (docs/path-manager.md, "Many connections"). The 4 closed, it works.
t_no_port() {	# local ports run out: the dial pauses (logged, ports named), the server is not blamed
	local ns=${NSP}port rc=0
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40003" || return 1
	start npe ip netns exec "$ns" "$TT" echo $P_ECHO
	start nps ip netns exec "$ns" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW" --allow 127.0.0.1
	start npl ip netns exec "$ns" "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_LOC -k "$PW"
	wait_port $P_SRV "$ns" && wait_port $P_LOC "$ns" && wait_port $P_ECHO "$ns" || rc=1
	ip netns exec "$ns" timeout 30 $PY - $P_LOC $P_ECHO <<'PY' || rc=1
import socket, sys, time
loc, echo = int(sys.argv[1]), int(sys.argv[2])
def conn(sport):
    s = socket.socket()
    s.bind(("127.0.0.1", sport))
    s.settimeout(5)
    s.connect(("127.0.0.1", loc))
    s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + echo.to_bytes(2, "big"))
    r = s.recv(10)
    if r[:2] != b"\x05\x00":
        return None
    s.sendall(b"ping")
    return s if s.recv(4) == b"ping" else None
held = [conn(50000 + i) for i in range(4)]
print("held:", [s is not None for s in held])
assert all(held)
try:
    fifth = conn(50010)
except OSError as e:
    fifth = None
print("fifth:", fifth)
assert fifth is None
for s in held:
    s.close()
time.sleep(1)
for i in range(20):
    try:
        if conn(50020 + i):
            print("after closing them: works")
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("no connection after the ports were freed")
PY
	stop npl
	stop nps
	stop npe
	grep "pausing new connections" "$W/npl.log" | grep "ip_local_port_range" || { cat "$W/npl.log"; rc=1; }
	if grep -E "cannot reach server|unreachable" "$W/npl.log"; then
		echo "our own port shortage blamed on the server"
		rc=1
	fi
	ip netns del "$ns"
	return $rc
}

t_idle_timeout() {	# -t 1: an idle relayed connection is closed after ~1 s
	start itl "$BIN" local -s 127.0.0.1 -p $P_SRV -l $P_X5 -k "$PW" -t 1
	wait_port $P_X5 || return 1
	$PY - $P_X5 $P_ECHO <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", int(sys.argv[2])))
assert len(s.recv(10)) == 10
s.sendall(b"x"); assert s.recv(1) == b"x"
t0 = time.monotonic()
assert s.recv(1) == b""
dt = time.monotonic() - t0
print("closed after %.2f s" % dt)
sys.exit(0 if 0.8 < dt < 3.5 else 1)
PY
	local rc=$?
	stop itl
	return $rc
}

# expect_cfg_error EXPECTED_TEXT ARGS...: exit code 2 and the message.
expect_cfg_error() {
	local want=$1 rc
	shift
	timeout 5 "$BIN" "$@" >"$W/cfg.out" 2>&1
	rc=$?
	if [ $rc != 2 ] || ! grep -q -- "$want" "$W/cfg.out"; then
		echo "args: $* -> rc $rc, output:"
		cat "$W/cfg.out"
		return 1
	fi
}

t_config_errors() {
	local rc=0
	printf '{"server": "x", "server_port": 99999, "password": "p"}' >"$W/bad1.json"
	printf '{"server": "x", "server_port": 8388, ' >"$W/bad2.json"
	printf '{"server": "x", "server_port": 8388, "password": "p", "method": "rc4-md5"}' >"$W/bad3.json"
	printf '{"server": "x", "server_port": 8388, "password": "p", "tmeout": 5}' >"$W/bad4.json"
	expect_cfg_error '"server_port": 99999 is out of range' local -c "$W/bad1.json" || rc=1
	expect_cfg_error 'invalid JSON' local -c "$W/bad2.json" || rc=1
	expect_cfg_error 'method "rc4-md5" unsupported' local -c "$W/bad3.json" || rc=1
	expect_cfg_error 'unknown key "tmeout"' local -c "$W/bad4.json" || rc=1
	expect_cfg_error 'No such file' local -c "$W/missing.json" || rc=1
	expect_cfg_error '--local-port' local -s x -p 1 -k p -l 0 || rc=1
	expect_cfg_error 'password is required' server -p 8388 || rc=1
	expect_cfg_error 'unknown role' relay -p 1 || rc=1
	expect_cfg_error 'unknown option' server --bogus || rc=1
	expect_cfg_error 'usage' || rc=1
	printf '{"server": "x", "server_port": 8388, "password": "p", "acl": "/etc/x.acl"}' >"$W/bad5.json"
	printf '{"server": "x", "server_port": 8388, "password": "p",}' >"$W/bad6.json"
	expect_cfg_error '"acl": ACL files are not supported' local -c "$W/bad5.json" || rc=1
	expect_cfg_error 'invalid JSON' local -c "$W/bad6.json" || rc=1
	# A user that does not exist: a runtime failure (exit 1), named.
	timeout 5 "$BIN" server -s 127.0.0.1 -p $P_X2 -k x --user omr-no-such-user >"$W/nouser.out" 2>&1
	[ $? = 1 ] && grep -q 'user "omr-no-such-user": no such user' "$W/nouser.out" ||
		{ echo "unknown user:"; cat "$W/nouser.out"; rc=1; }
	# A second instance on a busy port must fail (exit 1), not share it.
	timeout 5 "$BIN" server -s 127.0.0.1 -p $P_SRV -k x >"$W/busy.out" 2>&1
	[ $? = 1 ] && grep -q "Address already in use" "$W/busy.out" ||
		{ echo "busy port:"; cat "$W/busy.out"; rc=1; }
	return $rc
}

t_user() {	# "user": privileges dropped once the listener is bound; still serves
	local rc=0 id st
	id=$(id -u nobody) || return 1
	printf '{"server": "127.0.0.1", "server_port": %d, "password": "%s", "allow": "127.0.0.1", "user": "nobody"}' \
		$P_X3 "$PW" >"$W/user.json"
	# Release build: LeakSanitizer cannot inspect a process that changed uid.
	start usr "$REL" server -c "$W/user.json"
	start usl "$REL" local -s 127.0.0.1 -p $P_X3 -l $P_X4 -k "$PW"
	wait_port $P_X3 && wait_port $P_X4 || return 1
	timeout 20 "$TT" conns $P_X4 $P_ECHO 20 1 || rc=1
	st=$(awk '/^Uid:|^Gid:/ {printf "%s %s %s %s %s ", $1, $2, $3, $4, $5}' "/proc/${PID[usr]}/status")
	echo "server: $st"
	[ "$st" = "Uid: $id $id $id $id Gid: $(id -g nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody) " ] || rc=1
	grep -q "running as user nobody" "$W/usr.log" || { cat "$W/usr.log"; rc=1; }
	stop usl
	stop usr || { echo "server exit $?"; rc=1; }
	return $rc
}

t_failover() {	# several servers: a refusing one, then a silent one, are failed over
	local ns=${NSP}fo rc=0
	# Refused at once: nothing listens on 127.0.0.2.
	start fol1 "$BIN" local -s 127.0.0.2 -s 127.0.0.1 -p $P_SRV -l $P_X5 -k "$PW" -w 1
	wait_port $P_X5 || return 1
	timeout 20 "$TT" conns $P_X5 $P_ECHO 20 1 || { echo "refused server: no failover"; rc=1; }
	stop fol1
	grep -q "server 127.0.0.2 unreachable.*switching to 127.0.0.1" "$W/fol1.log" ||
		{ cat "$W/fol1.log"; rc=1; }
	# Silent: SYNs to 10.233.0.1 go to a MAC nobody has (veth peer without
	# address), so only the handshake deadline (1 s) ends the dial.
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$ns" link add omrfo9 type veth peer name omrfo8 || return 1
	ip -n "$ns" addr add 10.233.0.2/24 dev omrfo9
	ip -n "$ns" link set omrfo9 up
	ip -n "$ns" link set omrfo8 up
	ip -n "$ns" neigh add 10.233.0.1 lladdr 02:00:00:00:00:01 dev omrfo9 nud permanent
	start foe2 ip netns exec "$ns" "$TT" echo $P_ECHO
	start fos2 ip netns exec "$ns" "$BIN" server -s 127.0.0.1 -p $P_SRV -k "$PW" --allow 127.0.0.1
	start fol2 ip netns exec "$ns" "$BIN" local -s 10.233.0.1 -s 127.0.0.1 -p $P_SRV -l $P_X5 \
		-k "$PW" -w 1 --handshake-timeout 1
	wait_port $P_SRV "$ns" && wait_port $P_X5 "$ns" && wait_port $P_ECHO "$ns" || rc=1
	ip netns exec "$ns" timeout 20 "$TT" conns $P_X5 $P_ECHO 20 1 || { echo "silent server: no failover"; rc=1; }
	stop fol2
	stop fos2
	stop foe2
	ip netns del "$ns"
	grep -q "server 10.233.0.1 unreachable (Connection timed out).*switching to 127.0.0.1" "$W/fol2.log" ||
		{ cat "$W/fol2.log"; rc=1; }
	return $rc
}

t_release_smoke() {
	local rc=0
	start rs "$REL" server -s 127.0.0.1 -p $P_X3 -k "$PW" -m aes-128-gcm --allow 127.0.0.1
	start rl "$REL" local -s 127.0.0.1 -p $P_X3 -l $P_X4 -k "$PW" -m aes-128-gcm
	wait_port $P_X3 && wait_port $P_X4 || return 1
	timeout 60 "$TT" blast $P_X4 $P_SINK 50000000 8 || rc=1
	fetch $P_X4 "http://127.0.0.1:$P_HTTP/big.bin" "$W/www/big.bin" || rc=1
	stop rl
	stop rs
	return $rc
}

# UDP relay. Datagram sizes: up to the largest a 32-byte-salt packet
# carries over IPv4 (65507 - 32 salt - 16 tag - 7 address = 65452).
# libev drops datagrams over 2 x its packet size (about 2.8 kB by default):
# its --mtu 65535 lifts that.
USIZES="1 512 1400 8192 32768 65000 65452"

udp_wait() {	# udp_wait PORT [NETNS]: a UDP socket is bound on PORT
	local i pre=""
	[ -n "${2:-}" ] && pre="ip netns exec $2"
	for i in $(seq 1 100); do
		$pre ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	echo "UDP port $1 never opened"
	return 1
}

# udp_through: once the server's UDP port ($P_U1) and the SOCKS5 port
# ($P_U2) are up, datagrams of every size in $USIZES to an IPv4 target and
# one to an IPv6 target come back byte for byte through an association.
udp_through() {
	udp_wait $P_U1 && wait_port $P_U2 &&
		timeout 30 $PY tests/udp.py assoc $P_U2 $P_UE $USIZES &&
		timeout 30 $PY tests/udp.py assoc $P_U2 v6:$P_UE 1 1400
}

udp_interop_server() {	# ss-local -u -> omr-shim server -u
	local m=$1 rc
	start uos "$BIN" server -u -s 127.0.0.1 -p $P_U1 -k "$PW" -m "$m" --allow 127.0.0.1 --allow ::1
	start ussl ss-local -u --mtu 65535 -s 127.0.0.1 -p $P_U1 -l $P_U2 -k "$PW" -m "$m"
	udp_through
	rc=$?
	stop ussl
	stop uos || { echo "omr-shim server exit code $?"; rc=1; }
	return $rc
}

udp_interop_local() {	# omr-shim local -u -> ss-server -u
	local m=$1 rc
	start usss ss-server -u --mtu 65535 -s 127.0.0.1 -p $P_U1 -k "$PW" -m "$m"
	start uol "$BIN" local -u -s 127.0.0.1 -p $P_U1 -l $P_U2 -k "$PW" -m "$m"
	udp_through
	rc=$?
	stop usss
	stop uol || { echo "omr-shim local exit code $?"; rc=1; }
	return $rc
}

# status NAME: SIGUSR1, then the log's last status lines
udp_status() {
	kill -USR1 "${PID[$1]}"
	sleep 0.3
	grep "status:" "$W/$1.log" | tail -n 6
}

# udp_expect NAME PATTERN...: the status report (written by the workers
# asynchronously) shows every pattern within 5 s; else it is printed. The
# counters only grow, so waiting for the expected values cannot pass early.
udp_expect() {
	local n=$1 i p ok
	shift
	for i in $(seq 1 25); do
		kill -USR1 "${PID[$n]}"
		sleep 0.2
		ok=1
		for p in "$@"; do
			grep "status:" "$W/$n.log" | tail -n 6 | grep -q "$p" || ok=0
		done
		[ $ok = 1 ] && return 0
	done
	echo "$n: status never showed: $*"
	grep "status:" "$W/$n.log" | tail -n 6
	return 1
}

t_udp_pair() {	# omr-shim local -u -> server -u; ASSOCIATE rules; ends with its TCP
	local rc
	start ups "$BIN" server -u -s 127.0.0.1 -p $P_U1 -k "$PW" --allow 127.0.0.1 --allow ::1
	start upl "$BIN" local -u -w 1 -s 127.0.0.1 -p $P_U1 -l $P_U2 -k "$PW"
	udp_through &&
		timeout 30 $PY tests/udp.py assoc-bad $P_U2 $P_UE &&
		timeout 30 $PY tests/udp.py assoc-close $P_U2 $P_UE
	rc=$?
	udp_expect upl "associations 4$" || rc=1
	stop upl || { echo "omr-shim local exit code $?"; rc=1; }
	stop ups || { echo "omr-shim server exit code $?"; rc=1; }
	return $rc
}

t_udp_quic() {	# "quic": "block", the default: datagrams to port 443 stop at the local
	local rc
	start uqs "$BIN" server -u -s 127.0.0.1 -p $P_U1 -k "$PW" --allow 127.0.0.1
	start uql "$BIN" local -u -w 1 -s 127.0.0.1 -p $P_U1 -l $P_U2 -k "$PW"
	udp_wait $P_U1 && wait_port $P_U2 &&
		timeout 30 $PY tests/udp.py assoc-quiet $P_U2 443 &&
		timeout 30 $PY tests/udp.py assoc $P_U2 $P_UE 1400
	rc=$?
	grep -q 'QUIC) blocked' "$W/uql.log" || { echo "no QUIC drop logged"; rc=1; }
	udp_expect uqs "udp in 1 " || rc=1
	stop uql || { echo "omr-shim local exit code $?"; rc=1; }
	stop uqs || { echo "omr-shim server exit code $?"; rc=1; }
	t_udp_quic_relay || rc=1
	return $rc
}

# --relay-quic: datagrams to port 443 go through, to an echo there (in a
# namespace of its own: port 443 is then surely free).
t_udp_quic_relay() {
	local ns=${NSP}uq rc=0 x
	ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	x=(ip netns exec "$ns")
	start uqe "${x[@]}" $PY tests/udp.py echo 443
	start uqs2 "${x[@]}" "$BIN" server -u -s 127.0.0.1 -p $P_U1 -k "$PW" --allow 127.0.0.1
	start uqr "${x[@]}" "$BIN" local -u -w 1 --relay-quic -s 127.0.0.1 -p $P_U1 -l $P_U3 -k "$PW"
	udp_wait 443 "$ns" && udp_wait $P_U1 "$ns" && wait_port $P_U3 "$ns" &&
		"${x[@]}" timeout 30 $PY tests/udp.py assoc $P_U3 443 1200 || { echo "--relay-quic: port 443 not relayed"; rc=1; }
	! grep -q 'QUIC) blocked' "$W/uqr.log" || { echo "--relay-quic dropped QUIC"; rc=1; }
	stop uqr || rc=1
	stop uqs2 || rc=1
	stop uqe
	ip netns del "$ns"
	return $rc
}

# udp_fwmark failover: the router namespace reaches the VPS's address
# 10.232.9.9 by two links; the local's UDP sockets carry mark 7, and rule
# "fwmark 7 lookup 207" sends them by table 207's one route, which the test
# moves from link 1 to link 2 (what a path-manager monitor would do) while
# link 1 goes down. The association must carry on over link 2.
t_udp_failover() {
	local r=${NSP}ur v=${NSP}uv i rc=0 tx1 tx2
	ip netns add "$r" && ip netns add "$v" || return 1
	for i in 1 2; do
		ip link add "ur$i" netns "$r" type veth peer name "uv$i" netns "$v" || return 1
		ip -n "$r" addr add "10.232.$i.1/24" dev "ur$i"
		ip -n "$v" addr add "10.232.$i.2/24" dev "uv$i"
		ip -n "$r" link set "ur$i" up
		ip -n "$v" link set "uv$i" up
	done
	ip -n "$r" link set lo up
	ip -n "$v" link set lo up
	ip -n "$v" addr add 10.232.9.9/32 dev lo
	ip -n "$r" route add 10.232.9.9/32 via 10.232.1.2	# main table: TCP
	ip -n "$r" route add 10.232.9.9/32 via 10.232.1.2 table 207
	ip -n "$r" rule add fwmark 7 lookup 207
	start ufe ip netns exec "$v" $PY tests/udp.py echo $P_UE
	start ufs ip netns exec "$v" "$BIN" server -u -s 10.232.9.9 -p $P_U1 -k "$PW" --allow 127.0.0.1
	start ufl ip netns exec "$r" "$BIN" local -u -w 1 --udp-fwmark 7 -s 10.232.9.9 -p $P_U1 -l $P_U2 -k "$PW"
	wait_port $P_U2 "$r" || rc=1
	sleep 0.5
	ip netns exec "$r" $PY tests/udp.py stream $P_U2 $P_UE 2 "$W/switch" >"$W/stream.out" 2>&1 &
	local sp=$!
	for i in $(seq 1 100); do [ -f "$W/switch.ready" ] && break; sleep 0.05; done
	sleep 1
	tx1=$(ip netns exec "$r" cat /sys/class/net/ur2/statistics/tx_packets)
	ip -n "$r" link set ur1 down
	ip -n "$r" route replace 10.232.9.9/32 via 10.232.2.2 table 207
	date +%s.%N >"$W/switch"
	wait $sp || rc=1
	cat "$W/stream.out"
	tx2=$(ip netns exec "$r" cat /sys/class/net/ur2/statistics/tx_packets)
	[ $((tx2 - tx1)) -ge 20 ] || { echo "link 2 sent $((tx2 - tx1)) packets after the switch"; rc=1; }
	stop ufl || { echo "omr-shim local exit code $?"; rc=1; }
	stop ufs || { echo "omr-shim server exit code $?"; rc=1; }
	stop ufe
	ip netns del "$r"
	ip netns del "$v"
	return $rc
}

t_udp_server_bad() {	# truncated, bad tag, ATYP, replay, reflection: dropped, no state
	local rc n
	start ubs "$BIN" server -u -s 127.0.0.1 -p $P_U1 -k "$PW" --allow 127.0.0.1
	udp_wait $P_U1 && timeout 60 $PY tests/udp.py server $P_U1 $P_UE chacha20-ietf-poly1305 "$PW"
	rc=$?
	# One client socket sent everything: one NAT entry, the bad packets
	# made none; the drops are counted, logged at most once per 5 s. The
	# domain target was looked up once, for its first of 101 datagrams.
	udp_expect ubs "udp nat entries 1 of 512" "replays 2 " "lookups 1 " || rc=1
	n=$(grep -c "UDP: dropped" "$W/ubs.log")
	[ "$n" -ge 1 ] && [ "$n" -le 3 ] || { echo "$n drop log lines (want 1..3, rate-limited)"; rc=1; }
	stop ubs || { echo "omr-shim server exit code $?"; rc=1; }
	# Without "allow", loopback targets are refused, by IP and by name.
	start ubp "$BIN" server -u -s 127.0.0.1 -p $P_U3 -k "$PW"
	udp_wait $P_U3 && timeout 30 $PY tests/udp.py refused $P_U3 $P_UE chacha20-ietf-poly1305 "$PW" || rc=1
	udp_expect ubp "policy-refused 2 " || rc=1
	stop ubp || { echo "omr-shim server (policy) exit code $?"; rc=1; }
	return $rc
}

t_udp_libev_drops() {	# the same bad packets against ss-server -u: dropped there too
	local rc
	start ubl ss-server -u -s 127.0.0.1 -p $P_U3 -k "$PW" -m chacha20-ietf-poly1305
	udp_wait $P_U3 && timeout 60 $PY tests/udp.py server $P_U3 $P_UE chacha20-ietf-poly1305 "$PW" libev
	rc=$?
	stop ubl
	return $rc
}

t_udp_nat() {	# udp_only server: no TCP; NAT bounded (LRU evicts) and idle entries expire
	local rc=0
	start uns "$BIN" server -U -s 127.0.0.1 -p $P_U1 -k "$PW" --allow 127.0.0.1 \
		--udp-max 4 --udp-timeout 1
	udp_wait $P_U1 || return 1
	ss -Hltn "sport = :$P_U1" | grep -q . && { echo "udp_only server listens on TCP"; rc=1; }
	timeout 30 $PY tests/udp.py nat $P_U1 $P_UE chacha20-ietf-poly1305 "$PW" 10 || rc=1
	udp_expect uns "nat entries 4 of 4" "nat-evicted 6 " || rc=1
	sleep 2.5
	udp_expect uns "nat entries 0 of 4" "nat-expired 4 " || rc=1
	timeout 30 $PY tests/udp.py nat $P_U1 $P_UE chacha20-ietf-poly1305 "$PW" 1 || rc=1
	stop uns || { echo "omr-shim server exit code $?"; rc=1; }
	return $rc
}

t_shutdown_clean() {	# SIGTERM: exit 0 and no sanitizer report from any run
	local rc=0 n
	for n in loc auth srv; do
		stop $n || { echo "$n exited with $?"; rc=1; }
	done
	if ls "$W"/asan.* "$W"/ubsan.* >/dev/null 2>&1; then
		echo "sanitizer reports:"
		head -n 40 "$W"/asan.* "$W"/ubsan.* 2>/dev/null
		rc=1
	fi
	grep -h "runtime error\|AddressSanitizer\|LeakSanitizer" "$W"/*.log && rc=1
	return $rc
}

t_half_close() {	# client shutdown(WR) crosses the tunnel; echo drains, then EOF
	$PY - $P_LOC $P_ECHO <<'PY'
import os, socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", int(sys.argv[2])))
assert len(s.recv(10)) == 10
data = os.urandom(3_000_000)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    b = s.recv(1 << 16)
    if not b:
        break
    got += b
print("sent", len(data), "got", len(got))
sys.exit(0 if bytes(got) == data else 1)
PY
}

t_backpressure() {	# a slow reader must not make either side buffer the stream
	local rc=0 r0 q0 r1 q1 cp
	start bps "$REL" server -s 127.0.0.1 -p $P_X3 -k "$PW" --allow 127.0.0.1
	start bpl "$REL" local -s 127.0.0.1 -p $P_X3 -l $P_X4 -k "$PW"
	wait_port $P_X3 && wait_port $P_X4 || return 1
	r0=$(proc_rss ${PID[bpl]}) q0=$(proc_rss ${PID[bps]})
	timeout 10 curl -s --limit-rate 1M --socks5-hostname "127.0.0.1:$P_X4" \
		"http://127.0.0.1:$P_HTTP/big.bin" -o /dev/null &
	cp=$!
	sleep 3
	r1=$(proc_rss ${PID[bpl]}) q1=$(proc_rss ${PID[bps]})
	kill $cp 2>/dev/null
	wait $cp 2>/dev/null
	echo "100 MB file read at 1 MB/s: local rss ${r0}k -> ${r1}k, server ${q0}k -> ${q1}k"
	[ $((r1 - r0)) -lt 2048 ] && [ $((q1 - q0)) -lt 2048 ] || rc=1
	stop bpl
	stop bps
	return $rc
}

t_fast_open() {	# TFO over MPTCP: SYNs carry the header; server-first still works
	local c=${NSP}foc s=${NSP}fos rc=0 act pas
	ip netns add "$c" && ip netns add "$s" || return 1
	ip link add omrfo0 netns "$c" type veth peer name omrfo1 netns "$s" || return 1
	ip -n "$c" addr add 10.232.1.1/24 dev omrfo0
	ip -n "$s" addr add 10.232.1.2/24 dev omrfo1
	for n in "$c" "$s"; do
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv4.tcp_fastopen=3
	done
	ip -n "$c" link set omrfo0 up
	ip -n "$s" link set omrfo1 up
	start foe ip netns exec "$s" "$TT" echo $P_ECHO
	start fob ip netns exec "$s" $PY -c "
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', $P_X1)); l.listen(8)
while True:
    a, _ = l.accept(); a.sendall(b'HELLO-BANNER'); a.close()"
	start fos ip netns exec "$s" "$BIN" server -s 0.0.0.0 -p $P_SRV -k "$PW" --allow 127.0.0.1 --fast-open
	start fol ip netns exec "$c" "$BIN" local -s 10.232.1.2 -p $P_SRV -l $P_LOC -k "$PW" --fast-open
	wait_port $P_SRV "$s" && wait_port $P_LOC "$c" && wait_port $P_ECHO "$s" &&
		wait_port $P_X1 "$s" || rc=1
	ip netns exec "$c" timeout 30 "$TT" conns $P_LOC $P_ECHO 20 1 || rc=1
	# Server-speaks-first: no client bytes, the dial timer must still fire.
	ip netns exec "$c" $PY - $P_LOC $P_X1 <<'PY' || rc=1
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", int(sys.argv[2])))
assert len(s.recv(10)) == 10
got = b""
while len(got) < 12:
    b = s.recv(64)
    if not b:
        break
    got += b
print("banner:", got)
sys.exit(0 if got == b"HELLO-BANNER" else 1)
PY
	act=$(ip netns exec "$c" nstat -az TcpExtTCPFastOpenActive | awk '/FastOpenActive/ {print $2}')
	pas=$(ip netns exec "$s" nstat -az TcpExtTCPFastOpenPassive | awk '/FastOpenPassive/ {print $2}')
	echo "TFO active $act passive $pas (first connection only fetches the cookie)"
	[ "${act:-0}" -ge 15 ] && [ "${pas:-0}" -ge 15 ] || rc=1
	stop fol
	stop fos
	stop fob
	stop foe
	ip netns del "$c"
	ip netns del "$s"
	return $rc
}

# rl_local FILE PORT MAXCONN [EXTRA JSON]: a local's config on the common server.
rl_local() {
	cat >"$1" <<JSON
{ "server": "127.0.0.1", "server_port": $P_SRV, "local_address": "127.0.0.1",
  "local_port": $2, "password": "$PW", "method": "chacha20-ietf-poly1305",
  "timeout": 60, "mptcp": true, "handshake_timeout": $HS,
  "max_connections": $3 ${4:-} }
JSON
}

# wait_log FILE REGEX: up to 5 s for a line.
wait_log() {
	local i
	for i in $(seq 1 100); do
		grep -qE "$2" "$1" && return 0
		sleep 0.05
	done
	echo "never logged: $2"
	return 1
}

t_reload() {	# SIGHUP: a live connection's bytes keep flowing; max_connections applied
	local rc=0
	rl_local "$W/rl.json" $P_R1 100
	start rl "$BIN" local -c "$W/rl.json"
	wait_port $P_R1 || return 1
	# One SOCKS5 connection to the echo server streams for 3 s; after 1 s the
	# config gets max_connections 1 and SIGHUP; a second connection must then
	# be refused while the first still echoes every byte, compared.
	$PY - "$P_R1" "$P_ECHO" "${PID[rl]}" "$W/rl.json" "$W/rl.log" <<'PY' || rc=1
import os, re, signal, socket, sys, time
sp, ep, pid, cfg, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

def socks(port):
    s = socket.create_connection(("127.0.0.1", sp), timeout=5)
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        raise OSError("greeting refused")
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big"))
    r = b""
    while len(r) < 10:
        d = s.recv(10 - len(r))
        if not d:
            raise OSError("closed during CONNECT")
        r += d
    if r[1] != 0:
        raise OSError("CONNECT refused")
    return s

c = socks(ep)
sent = got = 0
buf = os.urandom(16384)
def pump(secs):
    global sent, got
    end = time.monotonic() + secs
    while time.monotonic() < end:
        c.sendall(buf)
        sent += len(buf)
        want = sent
        while got < want:
            d = c.recv(65536)
            if not d:
                raise SystemExit("live connection closed after %d of %d bytes" % (got, sent))
            # the echo of our own pattern, in order
            off = got % len(buf)
            exp = (buf * 6)[off:off + len(d)]
            if d != exp:
                raise SystemExit("echoed bytes differ at %d" % got)
            got += len(d)

pump(1.0)
before = sent
txt = open(cfg).read().replace('"max_connections": 100', '"max_connections": 1')
open(cfg, "w").write(txt)
os.kill(pid, signal.SIGHUP)
for _ in range(100):
    if re.search(r"reloaded: .*max_connections 1,", open(log).read()):
        break
    time.sleep(0.05)
else:
    raise SystemExit("no 'reloaded' line with max_connections 1:\n" + open(log).read())
pump(1.0)
try:
    d = socks(ep)
    raise SystemExit("second connection accepted with max_connections 1")
except OSError:
    pass
pump(1.0)
c.close()
print("live connection: %d bytes echoed, %d of them after the reload" % (got, got - before))
if got - before < 1 << 20:
    raise SystemExit("under 1 MB after the reload")
PY
	stop rl
	grep -q "connection limit 1 reached" "$W/rl.log" || { echo "limit not logged"; rc=1; }
	return $rc
}

t_reload_bad() {	# a bad file or a restart-only key on SIGHUP: refused by name, old config stays
	local rc=0 out
	rl_local "$W/rlb.json" $P_R2 100
	start rlb "$BIN" local -c "$W/rlb.json"
	wait_port $P_R2 || return 1
	# max_connections 2 with an unknown key: nothing of it may apply.
	rl_local "$W/rlb.json" $P_R2 2 ', "no_such_key": 1'
	kill -HUP "${PID[rlb]}"
	wait_log "$W/rlb.log" 'reload refused, the running configuration stays: .*unknown key "no_such_key"' || rc=1
	rl_local "$W/rlb.json" $P_R2 2 ', "local_port": 1'
	sed -i "s/\"local_port\": $P_R2,//" "$W/rlb.json"
	kill -HUP "${PID[rlb]}"
	wait_log "$W/rlb.log" '"local_port" changed, which needs a restart' || rc=1
	out=$(timeout 20 "$TT" idle $P_R2 $P_ECHO 10 1)
	echo "$out"
	[ "$out" = "idle 10 ok 10" ] || rc=1
	kill -0 "${PID[rlb]}" || rc=1
	stop rlb
	grep -q "reloaded" "$W/rlb.log" && { echo "a bad config was applied"; rc=1; }
	return $rc
}

t_notify() {	# sd_notify READY=1 once listening, RELOADING=1/READY=1, STOPPING=1; journal priorities
	$PY - "$BIN" "$W" "$P_R3" "$P_SRV" "$PW" <<'PY'
import os, signal, socket, subprocess, sys
binp, w, port, srv, pw = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
path = w + "/notify.sock"
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(path)
n.settimeout(10)
cfg = w + "/nt.json"
def conf(extra=""):
    open(cfg, "w").write('{ "server": "127.0.0.1", "server_port": %s, "local_address": "127.0.0.1", '
                         '"local_port": %d, "password": "%s"%s }' % (srv, port, pw, extra))
conf()
logf = w + "/nt.log"
err = open(logf, "w")
st = os.fstat(err.fileno())
env = dict(os.environ, NOTIFY_SOCKET=path, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
p = subprocess.Popen([binp, "local", "-c", cfg], stderr=err, env=env)
def expect(msg):
    d = n.recv(4096).decode()
    if d != msg:
        p.kill()
        raise SystemExit("got %r, expected %r" % (d, msg))
expect("READY=1")
socket.create_connection(("127.0.0.1", port), timeout=2).close()   # listening when READY
conf(', "bogus": 1')
p.send_signal(signal.SIGHUP)
expect("RELOADING=1")
expect("READY=1")
conf(', "timeout": 30')
p.send_signal(signal.SIGHUP)
expect("RELOADING=1")
expect("READY=1")
p.send_signal(signal.SIGTERM)
expect("STOPPING=1")
if p.wait(timeout=10) != 0:
    raise SystemExit("exit %d" % p.returncode)
lines = open(logf).read().splitlines()
print("\n".join(lines))
if not lines or not all(l[:3] in ("<3>", "<4>", "<6>", "<7>") for l in lines):
    raise SystemExit("a line without a journal priority")
if not any(l.startswith("<3>") and "bogus" in l for l in lines):
    raise SystemExit("the refused reload is not logged at <3> (error)")
if not any(l.startswith("<6>") and "reloaded" in l for l in lines):
    raise SystemExit("the reload is not logged at <6> (info)")
PY
}

t_install_units() {	# make install lays out files; systemd accepts the units
	local d=$W/inst u out rc=0 f
	make -s -C "$SHIM" install DESTDIR="$d" PREFIX=/usr/local >/dev/null || return 1
	for f in usr/local/bin/omr-shim usr/local/share/man/man1/omr-shim.1 \
		lib/systemd/system/omr-shim-local@.service \
		lib/systemd/system/omr-shim-server@.service \
		etc/omr-shim/local.json.example etc/omr-shim/server.json.example; do
		[ -f "$d/$f" ] || { echo "missing $f"; rc=1; }
	done
	"$d/usr/local/bin/omr-shim" --version | grep -q "^omr-shim " || rc=1
	grep -q "^ExecStart=/usr/local/bin/omr-shim local" \
		"$d/lib/systemd/system/omr-shim-local@.service" || rc=1
	command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; return 1; }
	for u in local server redir; do
		sed "s|/usr/local/bin|$d/usr/local/bin|" "$d/lib/systemd/system/omr-shim-$u@.service" \
			>"$W/omr-shim-$u@ci.service"
		out=$(systemd-analyze verify --man=no "$W/omr-shim-$u@ci.service" 2>&1)
		[ -z "$out" ] || { echo "$u: $out"; rc=1; }
	done
	return $rc
}

t_fuzz_smoke() {	# each libFuzzer harness: seed corpus + 4 s of fuzzing, clean
	local h=$1
	mkdir -p "$W/fuzz-$h"
	timeout 60 build/fuzz/$h -max_total_time=4 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$W/fuzz-$h-" "$W/fuzz-$h" "fuzz/corpus/$h" >"$W/fuzz-$h.log" 2>&1 ||
		{ tail -n 30 "$W/fuzz-$h.log"; return 1; }
	grep -q "Done [0-9]* runs" "$W/fuzz-$h.log" || { tail -n 5 "$W/fuzz-$h.log"; return 1; }
}

t_file_graph() {	# no call cycle between the files of src/ (nm + tsort)
	bash tests/structure.sh graph build/rel
}

t_func_lengths() {	# no function body over 60 lines in src/
	bash tests/structure.sh lengths
}

t_man_options() {	# omr-shim.1 OPTIONS is the option table's, no drift
	bash tests/man-options.sh check
}

# shellcheck source=shim/tests/redir.sh
source tests/redir.sh
# shellcheck source=shim/tests/stats.sh
source tests/stats.sh

main() {
	local nunit nbad line rc
	nunit=$("$UNIT" --count) || exit 1
	nbad=$($PY tests/badinput.py --count) || exit 1
	echo "TAP version 13"
	echo "1..$((nunit + nbad + 60 + REDIR_NTESTS + STATS_NTESTS))"
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap 0 "${line#ok - }" ;;
		"not ok - "*) tap 1 "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <("$UNIT" tests/vectors/aead.txt 2>&1)
	if ! setup_common >"$W/setup.out" 2>&1; then
		sed 's/^/# setup: /' "$W/setup.out"
	fi
	run_test "curl via omr-shim local -> server (libev JSON configs), 1 MB identical" t_curl_small
	run_test "curl 100 MB download through omr-shim, byte for byte" t_curl_big
	run_test "curl --socks5 to an IPv6 target [::1] (ATYP 4)" t_curl_v6
	run_test "curl --socks5-hostname: name resolved by server (ATYP 3); unresolvable name: success reply, then EOF" t_curl_domain
	run_test "SOCKS5 RFC 1929 auth with curl: right creds pass, wrong fail" t_curl_auth
	run_test "8 parallel uploads of 16 MB, byte counts verified by sink" t_upload
	run_test "half-close crosses the tunnel: 3 MB echoed back, then EOF" t_half_close
	run_test "backpressure: 1 MB/s reader of 100 MB, RSS of both sides flat" t_backpressure
	for m in chacha20-ietf-poly1305 aes-256-gcm aes-128-gcm; do
		run_test "interop: omr-shim local -> ss-server ($m)" interop_local $m
		run_test "interop: ss-local -> omr-shim server ($m)" interop_server $m
	done
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap 0 "bad input: ${line#ok - }" ;;
		"not ok - "*) tap 1 "bad input: ${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <(t_bad_input 2>&1)
	run_test "refused SOCKS5 client flooding data: bounded drain, worker keeps serving" t_refuse_flood
	run_test "log: newline and ESC in a SOCKS5 domain are escaped, no forged line" t_log_escape
	run_test "bad chunk mid-stream: drain deadline counts from the last valid input" t_drain_deadline
	run_test "SIGTERM during a slow DNS answer: waits for it, exit 0, ASan clean" t_dns_shutdown
	run_test "server refuses loopback targets by default (IP and name)" t_policy_default
	run_test "status (SIGUSR1) reports the tunnel runs MPTCP (MPTCP_INFO)" t_status_mptcp
	run_test "status reports per-connection MPTCP fallback (peer without MPTCP)" t_status_fallback
	run_test "MPTCP disabled by sysctl: one fallback log line, TCP works" t_fallback
	run_test "MPTCP over two veth paths in netns: 2 subflows carry data" t_mptcp_two_paths
	run_test "TCP Fast Open over MPTCP: SYNs carry data; server-first still works" t_fast_open
	run_test "10000 connections: fd count and RSS stable (release build)" t_leak
	run_test "10000 connections through the ASan build: fd count stable" t_leak_asan
	run_test "connection limit: excess refused and logged, service continues" t_limit
	run_test "out of fds: accept pauses without spinning, then recovers" t_emfile
	run_test "out of fds in the server (at accept or at the target's dial): pauses, then recovers" t_emfile_server
	run_test "out of local ports (ip_local_port_range): the dial pauses, logged with the sysctl's name, the server not blamed; recovers" t_no_port
	run_test "idle timeout closes an idle relayed connection" t_idle_timeout
	run_test "config/CLI errors exit 2 with a clear message; busy port exits 1" t_config_errors
	run_test "\"user\": runs as nobody once listening, and serves" t_user
	redir_tests
	run_test "local with several servers fails over (refused, then silent server)" t_failover
	run_test "reload (SIGHUP): a live connection keeps flowing, max_connections applied" t_reload
	run_test "reload: a bad file or a restart-only key is refused by name, old config stays" t_reload_bad
	run_test "sd_notify READY/RELOADING/STOPPING; journal <N> priorities with JOURNAL_STREAM" t_notify
	stats_tests
	run_test "release build (-O2) smoke: 8 streams + 100 MB curl (aes-128-gcm)" t_release_smoke
	for m in chacha20-ietf-poly1305 aes-256-gcm aes-128-gcm; do
		run_test "UDP interop: ss-local -u -> omr-shim server -u ($m), 1..65452 B compared" udp_interop_server $m
		run_test "UDP interop: omr-shim local -u -> ss-server -u ($m), 1..65452 B compared" udp_interop_local $m
	done
	run_test "UDP: omr-shim local -> server, IPv4/IPv6 targets, FRAG/ATYP/foreign port dropped, ends with TCP" t_udp_pair
	run_test "UDP to the server: bad packets (truncated, tag, ATYP, replay, reflection) dropped, NAT unchanged; domain target; policy" t_udp_server_bad
	run_test "UDP: ss-server -u drops the same packets (replay and reflection too), relays the domain target" t_udp_libev_drops
	run_test "UDP failover: udp_fwmark + a rule moved to the second link, the association carries on" t_udp_failover
	run_test "UDP: quic block (the default) drops datagrams to port 443 at the local, others pass; --relay-quic relays them" t_udp_quic
	run_test "UDP NAT: udp_only has no TCP listener; bounded (LRU eviction), idle entries expire" t_udp_nat
	run_test "SIGTERM: clean exit 0, no ASan/UBSan/LSan report" t_shutdown_clean
	run_test "make install: binary, man page, units; systemd-analyze verify clean" t_install_units
	run_test "structure: no call cycle between files of src/ (graph in docs/shim.md)" t_file_graph
	run_test "structure: no function body over 60 lines in src/" t_func_lengths
	run_test "man page OPTIONS generated from the option table (no drift)" t_man_options
	for h in socks5 addr aead config packet; do
		run_test "fuzz smoke: $h harness on its seed corpus + 4 s, no finding" t_fuzz_smoke $h
	done
	echo "# $((N - FAILED)) passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

main
