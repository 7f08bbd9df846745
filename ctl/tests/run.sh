#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# omrctl's host tests (make -C ctl check): no kernel module, no root.
# KTAP: the unit tests (tests/ctl_test, a subtest), the command line
# (options, help at every level, prefixes, errors before the kernel,
# setconf refusing a bad file by its line), and the structure of ctl/.
# Usage: tests/run.sh [OBJDIR]   (OBJDIR holds omrctl and ctl_test)
set -u
CTL=$(cd "$(dirname "$0")/.." && pwd)
cd "$CTL" || exit 1
OBJ=${1:-build/san}
BIN=$OBJ/omrctl
T=$(mktemp -d /tmp/omrctl-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fail=0

result() {	# result RC DESC
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# run RC TEXT ARGS...: omrctl exits RC and stdout+stderr has TEXT.
run() {
	local want=$1 text=$2 out rc
	shift 2
	out=$("$BIN" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ] || [[ $out != *"$text"* ]]; then
		echo "# omrctl $*: exit $rc, expected $want and '$text':"
		echo "$out" | sed 's/^/#   /' | head -n 20
		return 1
	fi
}

# Commands that reach netlink: without omr.ko here the family is missing
# (exit 3); what matters is that the command line was taken (not 2), and
# that the way out is clean (ASan/UBSan report; their exit code is 1).
taken() {
	local out rc
	out=$(timeout 5 "$BIN" "$@" 2>&1)	# monitor, with omr.ko loaded
	rc=$?
	[ "$rc" -ne 2 ] || { echo "# omrctl $*: usage error: $out"; return 1; }
	[[ $out != *Sanitizer* && $out != *"runtime error"* ]] ||
		{ echo "$out" | sed "s/^/# omrctl $*: /" | head -n 20; return 1; }
}

echo "KTAP version 1"
echo "1..9"

"$OBJ/ctl_test" >"$T/unit" 2>&1
rc=$?
sed 's/^/    /' "$T/unit"
grep -q '^not ok' "$T/unit" && rc=1
result $rc "unit: prefixes, printers (text = JSON), prometheus, omr.conf, kernel messages in words"

options() {
	run 0 "omrctl $(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' ../dkms.conf)" -V &&
	run 0 "omrctl " --version &&
	run 0 "setconf FILE" --help && run 0 "path show" -h && run 0 "-V, --version" help &&
	run 2 "Usage:" && run 2 "Usage:" --frob
}
options
result $? "options: -V/--version print the version; --help/-h/help; no command or a bad option: usage, exit 2"

levels() {
	local l
	for l in path pm sched conn module; do
		run 0 "$l show" $l help >/dev/null || run 0 "$l status" $l help || return 1
	done
	run 0 "pm set [enable|disable]" help pm && run 0 "pm set [enable" pm set help &&
	run 0 "path change dev IFNAME" path change help && run 0 "  sched set" sched --help &&
	run 0 "udp-route fwmark MARK table TABLE" udp-route help
}
levels
result $? "help at every level: path|pm|sched|conn|module help, help pm, pm set help"

# A trailing "help" prints the usage of the command a prefix resolved to.
prefixes() {
	run 0 "path show                    configured" p s help &&
	run 0 "path show                    configured" pa sh help &&
	run 0 "pm show                      path manager" pm sh help &&
	run 0 "sched show                   the omr" sc sho help &&
	run 0 "status                       module, kernel" st help &&
	run 0 "module status                MPTCP" mod st help &&
	taken p s && taken st && taken mod st &&
	taken c s -s && taken conn -s &&
	run 2 "pm: 's' is ambiguous: show, set" pm s &&
	run 2 "sched: 's' is ambiguous: show, set" sched s &&
	run 2 "unknown command 'frob' (status, path, pm" frob &&
	run 2 "path: unknown command 'x' (show, add, change, del)" path x
}
prefixes
result $? "prefixes: 'p s' is path show, 'pm s' is ambiguous and names show and set"

words() {
	run 2 "path add: interface name 'abcdefghijklmnop' must be 1 to 15 bytes" path add dev abcdefghijklmnop &&
	run 2 "path add: unexpected argument 'bkup' (backup, cc NAME)" path add dev wan5 bkup &&
	run 2 "pm set: add_addr 'maybe': expected 'accept' or 'ignore'" pm set add_addr maybe &&
	run 2 "pm set: tick_ms '-1': expected a number" pm set tick_ms -1 &&
	run 2 "sched set: nothing to set" sched set &&
	run 2 "path change: saddr 'x': expected an IPv4 or IPv6 address or 'none'" path change dev eth1 saddr x &&
	run 2 "path change: cc 'Bbr!': expected a congestion control's name (1 to 15 of a-z, 0-9, _) or 'default'" path change dev eth1 cc 'Bbr!' &&
	run 2 "path change: cc no_such: no such congestion control in this kernel (it has: " path change dev eth1 cc no_such &&
	run 2 "path add: cc no_such: no such congestion control in this kernel" path add dev eth1 cc no_such &&
	run 2 "path change: cc needs a congestion control's name or 'default'" path change dev eth1 cc &&
	run 2 "monitor: unknown event 'frob' (path_up, path_down, sf_created, sf_closed, path_demoted, path_promoted, failover)" monitor frob &&
	run 2 "pm set: unknown setting 'frob' (enable, disable, add_addr accept|ignore, or KEY VALUE with KEY one of tick_ms stall_ms fail_ms hold_ms loss_hi loss_lo rtt_hi_ms backoff_min_ms backoff_max_ms join_timeout_ms)" pm set frob 1 &&
	run 2 "sched set: unknown tunable 'frob' (loss_penalty, loss_gain, rtt_unknown_us, burst)" sched set frob 1 &&
	run 2 "conn show: port '70000': expected a port" conn show port 70000 &&
	run 2 "conn show: unknown filter 'mtu'" conn show mtu 1 &&
	run 2 "stats: unexpected argument '--bogus'" stats --bogus &&
	run 2 "udp-route: missing fwmark MARK" udp-route table 207 &&
	run 2 "udp-route: table 255 is the 'local' table" u fwmark 7 table 255 &&
	run 2 "udp-route: unknown argument 'via' (fwmark MARK, table TABLE" udp-route fwmark 7 table 207 via eth1 &&
	taken monitor -t path_up failover && taken conn show dev eth1 addr 10.0.0.1 port 443 &&
	taken conn show addr 2001:db8::1 && taken path change dev eth1 saddr 2001:db8::2 gw fe80::1 &&
	taken stats --prometheus && taken showconf && taken status && taken path show
}
words
result $? "errors in words before the kernel: bad names, values, events, filters; good ones are taken"

setconf() {
	printf '[PathManager]\nenable = yes\n\n[Path]\ndev = eth1\nweight = heavy\n' >"$T/bad.conf"
	run 2 "setconf: $T/bad.conf:6: weight = 'heavy': expected a number" setconf "$T/bad.conf" &&
	printf '[PathManager]\nenable = yes\nfrob = 1\n' >"$T/bad.conf" &&
	run 2 "$T/bad.conf:3: unknown key 'frob' in [PathManager]" setconf "$T/bad.conf" &&
	run 2 "setconf: $T/none.conf: No such file or directory" setconf "$T/none.conf" &&
	run 2 "setconf: missing FILE" setconf &&
	printf '[Path]\ndev = eth1\ncc = no_such\n' >"$T/bad.conf" &&
	run 2 "setconf: cc no_such: no such congestion control in this kernel" setconf "$T/bad.conf" &&
	printf '[Path]\ndev = eth1\ncc = B-B-R\n' >"$T/bad.conf" &&
	run 2 "setconf: $T/bad.conf:3: cc = 'B-B-R': expected a congestion control's name" setconf "$T/bad.conf" &&
	run 2 "setconf: one file only" setconf a b
}
setconf
result $? "setconf: a bad file is refused before the kernel, naming FILE:LINE and the key"

../scripts/structure.sh graph "$OBJ" ./*.c >"$T/graph" 2>&1
rc=$?
sed 's/^/# /' "$T/graph"
result $rc "structure: no call cycle between ctl/'s files"

../scripts/structure.sh lengths -l 600 ./*.c ./*.h tests/*.c >"$T/len" 2>&1
rc=$?
sed 's/^/# /' "$T/len"
result $rc "structure: no file over 600 lines, no function over 60"

# JSON is written by json-c only (print.c): no '{"' or '":' in a format.
grep -n '{\\"\|\\":' -- *.c | grep -v '^prom\.c:' >"$T/json"
[ ! -s "$T/json" ]
rc=$?
sed 's/^/# /' "$T/json"
result $rc "no hand-written JSON in ctl/*.c (print.c's json-c writes it)"
exit $fail
