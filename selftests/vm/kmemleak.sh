#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug kernel's VM (selftests/vm/vm.sh -k REL-omr-debug):
# run CMD, then have kmemleak scan and fail if it lists any unreferenced
# object. Prints one KTAP result ("ok N - kmemleak: ...", numbered after
# CMD's own) and exits with CMD's status, or 1 if something leaked.
#
#   selftests/vm/kmemleak.sh CMD [ARG...]
#
# kmemleak reports an object only when two scans in a row found it
# unreferenced *and* unchanged (its checksum), and only once it is 5 s old;
# so each check is: scan, wait, scan. A listing is then checked by one more
# scan after a pause (a pointer held only in a register or a queue in flight
# at the first scans is found by then), as syzkaller does; what is left is
# printed in full and fails the run.
#
# Objects already listed before CMD ran (the kernel's own boot, before omr.ko
# was ever loaded) are printed and then dropped with "clear", which greys
# exactly the objects reported so far: they cannot be omr's, and anything
# allocated later is still judged.
set -u
kml=/sys/kernel/debug/kmemleak
n=${OMR_KMEMLEAK_N:-1}

# scan_twice: the two scans (and the pause) kmemleak needs to report
scan_twice() {
	echo scan >"$kml" && sleep 6 && echo scan >"$kml"
}

# leaks: the current listing, rechecked by one more scan if not empty
leaks() {
	scan_twice || return 1
	if [ -n "$(cat "$kml")" ]; then
		sleep 6
		echo scan >"$kml"
	fi
	cat "$kml"
}

if [ ! -w "$kml" ]; then
	echo "not ok $n - kmemleak: $kml is missing (not a kmemleak kernel, or debugfs not mounted)"
	exit 1
fi

boot=$(leaks)
if [ -n "$boot" ]; then
	echo "# kmemleak: $(grep -c '^unreferenced object' <<<"$boot") objects were listed at boot, before the suites (cleared):"
	sed 's/^/#   /' <<<"$boot"
	echo clear >"$kml"
fi

"$@"
rc=$?

t0=$(date +%s)
left=$(leaks)
t=$(($(date +%s) - t0))
if [ -n "$left" ]; then
	echo "# kmemleak: unreferenced objects after the suites:"
	sed 's/^/#   /' <<<"$left"
	echo "not ok $n - kmemleak: $(grep -c '^unreferenced object' <<<"$left") unreferenced objects after the suites (scans took ${t}s)"
	exit 1
fi
echo "ok $n - kmemleak: no unreferenced object after the suites (scans took ${t}s)"
exit $rc
