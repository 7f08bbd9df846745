#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside a test VM: what one spawned process costs, the mean of 5 runs
# of each command (the figures in docs/testing.md, "Timing in the VM"):
#   selftests/vm/vm.sh -k REL -o out/vm-spawn -- selftests/vm/spawncost.sh
#   OMR_VM_9PCACHE=none selftests/vm/vm.sh -k REL -o out/vm-spawn0 -- selftests/vm/spawncost.sh
top=$(cd "$(dirname "$0")/../.." && pwd)
ip netns add spawncost || exit 1
trap 'ip netns del spawncost' EXIT
t() {
	local s e _i
	s=$(date +%s%N)
	for _i in 1 2 3 4 5; do "$@" >/dev/null 2>&1; done
	e=$(date +%s%N)
	echo "# $(((e - s) / 5000000)) ms: $*"
}
t /bin/true
t ip netns exec spawncost true
t ss -tnH
t "$top/ctl/omrctl" -V
t python3 -c pass
echo "ok 1 - spawn costs measured"
