#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of omr-xfer itself: loopback (v4/v6, MPTCP/TCP, fallback),
# usage errors, and two network namespaces joined by two veth pairs where
# the in-kernel path manager opens a second subflow. Needs root, ip, tc
# (tbf) and jq. Usage: omr-xfer-selftest.sh [path/to/omr-xfer]

set -u
XFER=${1:-$(dirname "$0")/omr-xfer}
NSC=omrxfer-c-$$
NSS=omrxfer-s-$$
TMP=$(mktemp -d /tmp/omrxfer.XXXXXX)
SIZE=${SIZE:-64M}
fails=0
port=21000

cleanup()
{
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*"; fails=$((fails + 1)); }
check() # description, then a command that must succeed
{
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# run NS_SERVER NS_CLIENT "server args" "client args": leaves s.json/c.json
# and the exit codes in $src / $crc. An empty namespace means this one.
run()
{
	local nss=$1 nsc=$2 sargs=$3 cargs=$4 spid
	local es=() ec=()

	[ -n "$nss" ] && es=(ip netns exec "$nss")
	[ -n "$nsc" ] && ec=(ip netns exec "$nsc")
	# shellcheck disable=SC2086
	"${es[@]}" "$XFER" server $sargs -j -o "$TMP/s.json" -t 60 &
	spid=$!
	# shellcheck disable=SC2086
	"${ec[@]}" "$XFER" client $cargs -j -o "$TMP/c.json" -t 60
	crc=$?
	wait $spid
	src=$?
	port=$((port + 1))
}

js() { jq -r "$2" "$TMP/$1.json"; }

same_digest() # the stream a side sent must be the one the other received
{
	case $1 in
	up)   [ "$(js c .tx.digest)" = "$(js s .rx.digest)" ] ;;
	down) [ "$(js s .tx.digest)" = "$(js c .rx.digest)" ] ;;
	both) [ "$(js c .tx.digest)" = "$(js s .rx.digest)" ] &&
	      [ "$(js s .tx.digest)" = "$(js c .rx.digest)" ] ;;
	esac
}

xfer_ok() { [ "$crc" -eq 0 ] && [ "$src" -eq 0 ] && same_digest "$1"; }

summary() # one line per run: goodput, gap, per-subflow bytes_sent
{
	local f
	for f in c s; do
		jq -r '"    \(.role): \(.dir) ok=\(.ok) \(.goodput_mbps) Mbit/s gap \(.max_gap_ms) ms subflows=" +
			([.subflows[] | "\(.dev):\(.bytes_sent)/\(.bytes_received)"] | join(","))' "$TMP/$f.json"
	done
}

echo "# usage errors"
for a in "" "client" "server -c 127.0.0.1:1" "client -c 127.0.0.1" \
	 "client -c 127.0.0.1:1 -s 12X" "client -c 127.0.0.1:1 -d sideways" \
	 "client -c ::1:5000" "server -l 127.0.0.1:1 -s 1M" "client -c 127.0.0.1:1 -q"; do
	# shellcheck disable=SC2086
	"$XFER" $a 2>/dev/null
	check "'$a' -> exit 2" [ $? -eq 2 ]
done
"$XFER" --usage | grep -q '^usage:'
check "--usage" [ $? -eq 0 ]

echo "# loopback"
for addr in 127.0.0.1 "[::1]"; do
	for d in up down both; do
		run "" "" "-l $addr:$port" "-c $addr:$port -s $SIZE -d $d"
		check "mptcp $addr $d: exit 0/0, digests match" xfer_ok $d
	done
done
run "" "" "-T -l 127.0.0.1:$port" "-T -c 127.0.0.1:$port -s $SIZE -d both"
check "tcp both" [ $crc -eq 0 -a $src -eq 0 ]
check "tcp reports proto tcp" [ "$(js s .proto)" = tcp ]
run "" "" "-l 127.0.0.1:$port" "-T -c 127.0.0.1:$port -s 8M"
check "tcp client -> mptcp server: server sees fallback" \
	[ $src -eq 0 -a "$(js s .fallback)" = true ]
run "" "" "-l 127.0.0.1:$port" "-c 127.0.0.1:$port -s 0 -r 50 -R 2"
check "latency only: 50 probes" [ $crc -eq 0 -a "$(js c .latency.count)" = 50 ]
run "" "" "-l 127.0.0.1:$port -S 2" "-c 127.0.0.1:$port -s 8M -S 1 -d up"
check "wrong seed (up): server exit 1 at offset 0" \
	[ $src -eq 1 -a "$(js s .rx.mismatch_offset)" = 0 ]
run "" "" "-l 127.0.0.1:$port -S 2" "-c 127.0.0.1:$port -s 8M -S 1 -d down"
check "wrong seed (down): client exit 1" [ $crc -eq 1 ]
"$XFER" client -c 127.0.0.1:1 -w 1 -s 1K 2>/dev/null
check "nobody listening -> exit 3" [ $? -eq 3 ]

echo "# two namespaces, two veth pairs"
if ! ip netns add "$NSC" || ! ip netns add "$NSS"; then
	fail "netns"
	exit 1
fi
ip -n "$NSC" link add veth-c1 type veth peer name veth-s1 netns "$NSS"
ip -n "$NSC" link add veth-c2 type veth peer name veth-s2 netns "$NSS"
for ns in "$NSC" "$NSS"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.mptcp.enabled=1
	ip -n "$ns" mptcp limits set subflows 2 add_addr_accepted 2
done
ip -n "$NSC" addr add 10.0.1.1/24 dev veth-c1
ip -n "$NSC" addr add 10.0.2.1/24 dev veth-c2
ip -n "$NSS" addr add 10.0.1.2/24 dev veth-s1
ip -n "$NSS" addr add 10.0.2.2/24 dev veth-s2
for l in veth-c1 veth-c2; do ip -n "$NSC" link set $l up; done
for l in veth-s1 veth-s2; do ip -n "$NSS" link set $l up; done
# the second subflow (from 10.0.2.1) must leave through the second pair
ip -n "$NSC" route add 10.0.1.2/32 dev veth-c2 table 100
ip -n "$NSC" rule add from 10.0.2.1 table 100
ip -n "$NSC" mptcp endpoint add 10.0.2.1 dev veth-c2 subflow

for d in up down both; do
	run "$NSS" "$NSC" "-l 10.0.1.2:$port" "-c 10.0.1.2:$port -s $SIZE -d $d"
	check "netns $d: exit 0/0, digests match" xfer_ok $d
	snd=c; [ $d = down ] && snd=s
	check "netns $d: 2 subflows, both sent data" \
		[ "$(js $snd '[.subflows[] | select(.bytes_sent > 100000)] | length')" = 2 ]
	summary
done

run "$NSS" "$NSC" "-l 10.0.1.2:$port" "-c 10.0.1.2:$port -s $SIZE -d up -r 200 -R 5"
check "netns latency probe under load: 200 probes" \
	[ $crc -eq 0 -a "$(js c .latency.count)" = 200 ]
echo "    latency: $(jq -c .latency "$TMP/c.json")"

ip netns exec "$NSC" tc qdisc add dev veth-c2 root tbf rate 50mbit burst 32kb latency 50ms
run "$NSS" "$NSC" "-l 10.0.1.2:$port" "-c 10.0.1.2:$port -s $SIZE -d up"
check "netns up, veth-c2 at 50mbit: ok" [ $crc -eq 0 -a $src -eq 0 ]
summary
share=$(js c '([.subflows[] | select(.dev == "veth-c2") | .bytes_sent] | add) * 100 /
	      ([.subflows[].bytes_sent] | add) | floor')
check "shaped path carries the minority ($share%)" [ "$share" -lt 40 ]

echo "# $fails failure(s)"
[ $fails -eq 0 ]
