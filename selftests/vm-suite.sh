#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (selftests/vm/vm.sh): every VM selftest in turn,
# each printing KTAP, counted by selftests/run.sh. A suite that stops before
# its plan is done (crash, timeout) adds a failing line, so that tests which
# never ran cannot pass by silence. Each suite gets OMR_SUITE_TIMEOUT seconds
# (default 420; the debug kernel's VM, several times slower, gives more).
cd "$(dirname "$0")/.." || exit 1
rc=0
for t in ${OMR_VM_TESTS:-selftests/omr_*.sh}; do
	echo "# ==== $t"
	log=/tmp/suite.$$.ktap
	t0=$SECONDS
	timeout "${OMR_SUITE_TIMEOUT:-420}" bash "$t" 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	echo "# $t: $((SECONDS - t0)) s"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -n 1)
	ran=$(grep -cE '^(not )?ok [0-9]+' "$log")
	if [ -z "$plan" ] || [ "$ran" -ne "$plan" ]; then
		echo "not ok 1 $t: ran $ran of ${plan:-?} planned tests"
		rc=1
	fi
done
exit $rc
