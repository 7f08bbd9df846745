#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# omr.conf (issue #13, "Configuration files and boot"): omrctl setconf FILE
# gives a fresh namespace the same state as the README's hand-typed
# commands; showconf -> setconf -> showconf round-trips; a file is the
# whole configuration (a path it lacks is deleted); a bad file is refused
# naming its line, and a file the kernel refuses is rolled back: neither
# changes anything. ctl/omrctl is built on the host (selftests/run.sh).
source "$(dirname "$0")/lib.sh"
CTL=$top/ctl/omrctl
NS_A=omr-conf-a
NS_B=omr-conf-b
cleanup() {
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	cleanup_all
}
trap cleanup EXIT
omr_load

T=("conf: the README's hand-typed commands in one fresh namespace, showconf's file through setconf in another: the same pm show -j, path show -j and showconf"
	"conf: showconf -> setconf -> showconf is the same text; a file without eth2 and with new values deletes eth2 and sets them"
	"conf: bad files (unknown key, bad value, [Path] without dev) are refused naming FILE:LINE, exit 2; files the kernel refuses (loss_lo above loss_hi; a saddr not on the device, after a path was deleted and one added) exit 1 and are rolled back; showconf unchanged after each"
	"conf: ctl/omr.conf.example applies to a fresh namespace: the PM enabled, eth1, eth2, lte0 (backup)"
	"boot: omr-boot prepare (omr.service) with OMR_CC=bbr OMR_PM_TYPE=0 sets the namespace's tcp_congestion_control bbr, pm_type 0, scheduler omr, MPTCP limits 8; an MPTCP listener made after it gives its accepted connection bbr; OMR_CC=nosuch and OMR_CC='bb r' exit 2 naming it, and change nothing; the local port range: kept with pm_type 0, widened to 10000-65535 on a router (pm_type 1), never narrowed, kept with OMR_PORT_RANGE=keep, a bad one exits 2 naming it and changes nothing")

ktap_print_header
ktap_set_plan ${#T[@]}

ctl() { local ns=$1; shift; "$CTL" -n "$ns" "$@"; }

# fresh NS: a namespace with MPTCP's userspace PM type (omr's PM needs it)
# and three WAN devices, as omr.service finds them at boot (veth pairs with
# both ends inside).
fresh() {
	local i
	modprobe -q veth || return 1
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	ns_sysctl "$1" net.mptcp.pm_type=1 || return 1
	for i in 1 2 3; do
		ip -n "$1" link add "eth$i" type veth peer name "peer$i" &&
			ip -n "$1" addr add "10.0.$i.1/24" dev "eth$i" &&
			ip -n "$1" link set "peer$i" up &&
			ip -n "$1" link set "eth$i" up || return 1
	done
}

# A namespace's state: PM and paths as JSON, without ifindex (it differs
# between namespaces).
state() {
	{
		ctl "$1" -j pm show | jq -c 'del(.conns)'
		ctl "$1" -j path show | jq -c '[.[] | del(.ifindex)]'
	} 2>&1
}

by_hand_then_file() {
	local a b
	fresh "$NS_A" && fresh "$NS_B" || return 1
	# README, "Configuring": pm set enable, path add, path change, pm set.
	ctl "$NS_A" pm set enable &&
		ctl "$NS_A" path add dev eth1 &&
		ctl "$NS_A" path add dev eth2 &&
		ctl "$NS_A" path add dev eth3 backup &&
		ctl "$NS_A" path change dev eth3 backup off weight 2 gw 192.0.2.1 &&
		ctl "$NS_A" path change dev eth2 enabled off &&
		ctl "$NS_A" pm set stall_ms 800 loss_hi 100 loss_lo 20 || return 1
	ctl "$NS_A" showconf >"$TMP/a.conf" || return 1
	sed 's/^/# /' "$TMP/a.conf"
	ctl "$NS_B" setconf "$TMP/a.conf" || return 1
	ctl "$NS_B" showconf >"$TMP/b.conf" || return 1
	a=$(state "$NS_A")
	b=$(state "$NS_B")
	log "by hand: $a"
	[ "$a" = "$b" ] || { log "from the file: $b"; return 1; }
	cmp -s "$TMP/a.conf" "$TMP/b.conf" || { diff "$TMP/a.conf" "$TMP/b.conf" | sed 's/^/# /'; return 1; }
	echo "$b" | jq -se '.[0].enabled == true and .[0].stall_ms == 800 and
		.[0].loss_hi == 100 and .[0].loss_lo == 20 and
		([.[1][].dev] == ["eth1", "eth2", "eth3"]) and
		.[1][1].enabled == false and .[1][2].backup == false and
		.[1][2].weight == 2 and .[1][2].gw == "192.0.2.1"' >/dev/null
}
ktap_test_result "${T[0]}" by_hand_then_file

round_trip() {
	ctl "$NS_B" setconf "$TMP/b.conf" || return 1
	ctl "$NS_B" showconf >"$TMP/c.conf" || return 1
	cmp -s "$TMP/b.conf" "$TMP/c.conf" || { diff "$TMP/b.conf" "$TMP/c.conf" | sed 's/^/# /'; return 1; }
	# Without eth2's [Path], with other values: eth2 goes, the rest changes.
	awk '/^\[Path\]/ { p = 1; buf = $0 "\n"; next }
	     p && /^dev = eth2$/ { skip = 1 }
	     p && /^$/ { if (!skip) printf "%s", buf; p = 0; skip = 0; buf = ""; print; next }
	     p { buf = buf $0 "\n"; next }
	     { print }
	     END { if (p && !skip) printf "%s", buf }' "$TMP/c.conf" |
		sed 's/^stall_ms = .*/stall_ms = 900/; s/^weight = 2$/weight = 3/' >"$TMP/d.conf"
	ctl "$NS_B" setconf "$TMP/d.conf" || return 1
	ctl "$NS_B" -j pm show | jq -e '.stall_ms == 900' >/dev/null || return 1
	ctl "$NS_B" -j path show | jq -e '[.[].dev] == ["eth1", "eth3"] and .[1].weight == 3' >/dev/null ||
		{ log "after d.conf: $(ctl "$NS_B" -j path show)"; return 1; }
}
ktap_test_result "${T[1]}" round_trip

# refused RC TEXT FILE: setconf FILE exits RC, says TEXT, changes nothing.
refused() {
	local before after out rc
	before=$(ctl "$NS_B" showconf)
	out=$(ctl "$NS_B" setconf "$3" 2>&1)
	rc=$?
	after=$(ctl "$NS_B" showconf)
	log "setconf: exit $rc: $(echo "$out" | tr '\n' ' ')"
	[ $rc -eq "$1" ] && [[ $out == *"$2"* ]] || { log "expected exit $1 and '$2'"; return 1; }
	[ "$before" = "$after" ] || { log "changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"; return 1; }
}

bad_files() {
	printf '[PathManager]\nenable = no\n\n[Path]\ndev = eth9\nmtu = 1400\n' >"$TMP/e1.conf"
	printf '[PathManager]\nenable = no\n[Scheduler]\nburst = lots\n' >"$TMP/e2.conf"
	printf '[Path]\ndev = eth9\n[Path]\nbackup = yes\n' >"$TMP/e3.conf"
	# Valid syntax the kernel refuses: a setting (the first request), and
	# an address not on eth1 after eth3 was deleted and eth7 added.
	printf '[PathManager]\nenable = no\nloss_hi = 100\nloss_lo = 300\n[Path]\ndev = eth7\n' >"$TMP/e4.conf"
	printf '[PathManager]\nenable = no\n[Path]\ndev = eth7\n[Path]\ndev = eth1\nsaddr = 10.0.3.1\n' >"$TMP/e5.conf"
	refused 2 "$TMP/e1.conf:6: unknown key 'mtu' in [Path]" "$TMP/e1.conf" &&
		refused 2 "$TMP/e2.conf:4: burst = 'lots': expected a number" "$TMP/e2.conf" &&
		refused 2 "$TMP/e3.conf:3: [Path] without dev" "$TMP/e3.conf" &&
		refused 1 "loss_lo 300" "$TMP/e4.conf" &&
		refused 1 "saddr 10.0.3.1" "$TMP/e5.conf"
}
ktap_test_result "${T[2]}" bad_files

example() {
	fresh "$NS_A" || return 1
	ctl "$NS_A" setconf "$top/ctl/omr.conf.example" || return 1
	ctl "$NS_A" showconf | sed 's/^/# /'
	ctl "$NS_A" -j path show | jq -e '[.[].dev] == ["eth1", "eth2", "lte0"] and
		.[2].backup == true and .[2].link == "down" and .[0].link == "up"' >/dev/null &&
		ctl "$NS_A" -j pm show | jq -e '.enabled == true' >/dev/null
}
ktap_test_result "${T[3]}" example

# boot_cc: systemd/omr-boot prepare, run in a fresh namespace (the
# sysctls it sets are per namespace; omr.ko is loaded, so it loads
# nothing). Then an MPTCP connection inside it, over lo: the accepted end
# (a listener made after prepare, as omr-shim server's unit is ordered
# after omr.service) runs the CC, as its subflows do.
boot_cc() {
	local ns=omr-conf-c out rc cc
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	prep() { ip netns exec "$ns" env "$@" sh "$top/systemd/omr-boot" prepare 2>&1; }
	out=$(prep OMR_CC=bbr OMR_PM_TYPE=0 OMR_SCHEDULER=omr) || { log "prepare: $out"; return 1; }
	log "$out"
	state() {
		ip netns exec "$ns" sysctl -n net.ipv4.tcp_congestion_control net.mptcp.pm_type \
			net.mptcp.scheduler | tr '\n' ' '
		ip -n "$ns" mptcp limits | tr '\n' ' '
	}
	[[ $(state) == "bbr 0 omr "*"subflows 8"* ]] || { log "state: $(state)"; return 1; }
	for cc in nosuch 'bb r'; do
		rc=0
		out=$(prep OMR_CC="$cc" OMR_PM_TYPE=1 OMR_SCHEDULER=default) || rc=$?
		log "OMR_CC='$cc': exit $rc: $out"
		[ "$rc" = 2 ] && [[ $out == *"OMR_CC"*"$cc"* ]] || return 1
		[[ $(state) == "bbr 0 omr "* ]] || { log "changed: $(state)"; return 1; }
	done
	# the accepted end of an MPTCP connection over lo runs bbr
	ip netns exec "$ns" python3 - <<-'PY' || return 1
	import socket
	IPPROTO_MPTCP = 262
	ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
	ls.bind(("127.0.0.1", 0)); ls.listen(1)
	c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
	c.connect(ls.getsockname())
	a, _ = ls.accept()
	cc = a.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0")
	print("# accepted MPTCP socket's CC:", cc.decode())
	raise SystemExit(cc != b"bbr")
	PY
	boot_ports "$ns" || return 1
	ip netns del "$ns"
}

# boot_ports NS: omr-boot prepare's OMR_PORT_RANGE (a join's bound port is
# one no connect() may use: docs/path-manager.md, "Many connections": ports).
boot_ports() {
	local ns=$1 out rc r
	range() { ip netns exec "$ns" sysctl -n net.ipv4.ip_local_port_range | tr -s '\t ' ' '; }
	[ "$(range)" = "32768 60999" ] || { log "pm_type 0 changed the range: $(range)"; return 1; }
	for r in '60999 32768' '80 60999' 'wide'; do
		rc=0
		out=$(prep OMR_PM_TYPE=1 OMR_PORT_RANGE="$r") || rc=$?
		log "OMR_PORT_RANGE='$r': exit $rc: $out"
		[ "$rc" = 2 ] && [[ $out == *"OMR_PORT_RANGE='$r'"* ]] || return 1
		[ "$(range)" = "32768 60999" ] && [ "$(ip netns exec "$ns" sysctl -n net.mptcp.pm_type)" = 0 ] ||
			{ log "changed: $(range), pm_type $(ip netns exec "$ns" sysctl -n net.mptcp.pm_type)"; return 1; }
	done
	out=$(prep OMR_PM_TYPE=1) || { log "prepare: $out"; return 1; }
	[ "$(range)" = "10000 65535" ] || { log "router: $(range)"; return 1; }
	ns_sysctl "$ns" net.ipv4.ip_local_port_range="40000 50000"
	out=$(prep OMR_PM_TYPE=1 OMR_PORT_RANGE=keep) || { log "prepare: $out"; return 1; }
	[ "$(range)" = "40000 50000" ] || { log "keep: $(range)"; return 1; }
	ns_sysctl "$ns" net.ipv4.ip_local_port_range="1024 65535"
	out=$(prep OMR_PM_TYPE=1) || { log "prepare: $out"; return 1; }
	[ "$(range)" = "1024 65535" ] || { log "narrowed: $(range)"; return 1; }
	log "$out"
}
ktap_test_result "${T[4]}" boot_cc

ktap_finished
