#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite (README's test command, `make check`, .ci/run):
#   1. install what is needed (scripts/deps.sh); for each kernel: fetch it
#      (scripts/fetch-kernel.sh), build omr.ko against it (the layout check
#      against its BTF is part of the build), and check that the layout
#      and source-version checks refuse what they must (selftests/layout.sh);
#      build the test tools;
#   2. host tests: static checks (scripts/lint.sh, as `make lint`), the
#      build's refusal of Debian 12's 6.1 kernel (selftests/refuse.sh), the
#      scheduler's decision code under ASan/UBSan, omr-shim, make install
#      and uninstall into a scratch DESTDIR (selftests/install.sh),
#      a DKMS add/build/remove of the module against each kernel's headers
#      (for a trixie kernel in the trixie chroot, whose headers need trixie);
#   3. VM tests: boot each kernel under TCG and run selftests/omr_*.sh in it;
#      a WARN/BUG/oops in its kernel log fails the run;
#   4. the debug kernel (lockdep, KASAN, kmemleak; scripts/build-debug-kernel.sh,
#      cached outside the checkout): the module's load/unload, PM, genl,
#      stress and fuzz suites (DEBUG_SUITES below) in its VM; the whole
#      stage runs in the background beside 1-3 and is reported at the end;
#      OMR_DEBUG_KERNEL=0 (or OMR_SKIP=debug) leaves it out.
# Every suite prints KTAP; the run ends with "N passed, N failed". The
# per-kernel lines carry the kernel in brackets: "ok 3 [7.3.4+deb13-amd64] ...".
#
# OMR_KERNELS selects the kernels (default "6.12 backports"):
#   6.12 (any X.Y)  Debian 12's newest linux-image-X.Y.*, built on the host
#   backports       the newest kernel of trixie-backports (7.3 at the time of
#                   writing), built in a trixie chroot (scripts/build-in-chroot.sh)
# OMR_SKIP="shim dkms vm debug lint refuse install deb" leaves parts out (for
# quick local runs); "vm" leaves out the debug kernel's VM too.
# The first kernel (6.12, the LTS users run) gets every VM suite; the others
# a subset that covers what differs between kernels (loading, the scheduler
# ops, the PM's genl use and subflow limit), to keep the run near 20 min.
# OMR_VM_FULL=1 runs every suite on every kernel.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/out/check
rm -rf "$out"
mkdir -p "$out"
skip=" ${OMR_SKIP:-} "
kernels=${OMR_KERNELS:-${OMR_SERIES:-6.12 backports}}
n=0

# meta-tests of this script: "ok/not ok N - what"
result() {
	local rc=$1 what=$2
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
	fi | tee -a "${result_ktap:-$out/run.ktap}"
}

# stage WHAT: a stage's heading, with the run's time so far (where CI's
# 90 minutes go)
t_run=$(date +%s)
stage() { echo "# ==== $* (at $(($(date +%s) - t_run)) s)"; }

# ran KTAP WHAT: a suite that printed no result at all counts as a failure.
ran() {
	grep -qE '^(not )?ok [0-9]+' "$1" 2>/dev/null || result 1 "$2: printed no result"
}

# KTAP result lines of one kernel's suites get "[REL] " after the number.
tag() { sed -u -E "s/^((not )?ok [0-9]+ (- )?)/\1[$1] /"; }

# vm_verdict REL RC WHAT: the two results of a VM run by vm.sh (its exit
# codes: 124 timeout, 125 died early, 126 a splat in the kernel log).
vm_verdict() {
	result $([ "$2" -ne 124 ] && [ "$2" -ne 125 ]; echo $?) "vm: [$1] booted, ran the suite and powered off (rc $2)"
	# The first kernel report whole (vm.sh), where a CI log shows it.
	[ ! -s "out/vm-$1/splat-report.txt" ] || sed 's/^/# /' "out/vm-$1/splat-report.txt"
	result $([ "$2" -ne 126 ] && [ ! -s "out/vm-$1/splats.txt" ]; echo $?) "vm: [$1] kernel log free of $3"
}

# Objects of one kernel's build must not end up in another's.
clean_objs() {
	rm -f kmod/*.o kmod/.*.cmd ./*.o ./.*.cmd omr.ko omr.mod* modules.order Module.symvers
}

# build_other_btf KIND REL: for omr_ksyms.sh's refusal test, the same module
# recording another kernel's BTF in out/other-btf/REL/omr.ko: REL's own BTF
# with one byte changed, as a rebuild of REL with any type changed would
# have (scripts/prepare-ksrc.sh's OMR_KERNEL_BTF). Then the real one again.
build_other_btf() {
	local k=$1 rel=$2 btf mk size off cur cmd
	btf=out/other-btf/$rel.btf
	cmd="objcopy -O binary --only-section=.BTF /usr/src/linux-headers-$rel/vmlinux $btf"
	mkdir -p out/other-btf
	mk=(make module KDIR="/lib/modules/$rel/build")
	if [ "$k" = backports ]; then
		mk=(scripts/build-in-chroot.sh "$rel")
		scripts/build-in-chroot.sh --run "$rel" sh -c "$cmd"
	else
		objcopy -O binary --only-section=.BTF "/lib/modules/$rel/build/vmlinux" "$btf"
	fi >>"$out/build-$rel.log" 2>&1
	size=$(stat -c %s "$btf" 2>/dev/null) || return 1
	off=$((size / 2))
	cur=$(od -An -tu1 -j $off -N1 "$btf" | tr -d ' ')
	printf "\\x$([ "$cur" = 0 ] && echo 01 || echo 00)" |
		dd of="$btf" bs=1 seek=$off conv=notrunc status=none
	# Only kmod/kernel_id.o depends on the header: two quick relinks.
	"${mk[@]}" OMR_KERNEL_BTF="$btf" OUT=out/other-btf >>"$out/build-$rel.log" 2>&1
	"${mk[@]}" >>"$out/build-$rel.log" 2>&1
}

# The debug kernel (scripts/build-debug-kernel.sh, docs/testing.md): Debian's
# linux-source-6.12 with lockdep, KASAN and kmemleak, built once and cached
# outside the checkout. The module's load/unload (omr_sched_load, omr_pm_load),
# PM and genl (omr_ctl, omr_pm_load), stress (omr_genl_stress) and fuzz
# (omr_nlfuzz) suites run on it; any lockdep or KASAN report fails the run
# (vm.sh reads the kernel log), and so does any object kmemleak lists after
# the suites (selftests/vm/kmemleak.sh). Suites not in the tree are left out,
# said so.
DEBUG_SUITES="selftests/omr_sched_load.sh selftests/omr_pm_load.sh selftests/omr_ctl.sh
	selftests/omr_nlfuzz.sh selftests/omr_genl_stress.sh"
DEBUG_VM_TIMEOUT=${OMR_DEBUG_VM_TIMEOUT:-2400}
debug_pid=

# debug_stage: the whole stage, run as a background job beside the others,
# so that it costs CI no wall time it does not have: the kernel's build (cold:
# ~21 CPU-minutes) takes the CPU the foreground leaves (nice 19), and its VM
# needs no CPU the others' VMs need (each TCG VM runs on one host thread,
# vm.sh's -accel tcg,thread=single; the machine has two), and its suites
# measure no time. omr.ko is built from a snapshot of the tree, as the
# foreground builds the other kernels' in the tree itself. The VM waits until
# the foreground's VM stages start ($out/vm.go): the tools it uses are built
# then, and the host stages (the shim's among them) have both CPUs to
# themselves. Its output goes to $out/debug.txt, printed at the end.
debug_stage() {
	local drel rc t0 suites= t snap=$out/debug-src n=0 result_ktap=$out/debug-run.ktap
	ls .cache/debs/linux-source-6.12_*_all.deb >/dev/null 2>&1 || return 1
	t0=$(date +%s)
	drel=$(nice -n 19 scripts/build-debug-kernel.sh 2>"$out/debug-kernel.log" | tail -n 1)
	[ -n "$drel" ] && [ -f ".cache/kernels/$drel/.done" ]
	rc=$?
	sed 's/^/# /' "$out/debug-kernel.log"
	result $rc "kernel: debug kernel built or reused in $(($(date +%s) - t0)) s (${drel:-none})"
	[ -n "$drel" ] || return 0
	stage "build for $drel"
	mkdir -p "$snap"
	tar -c --exclude='*.o' --exclude='.*.cmd' --exclude=.gen Makefile Kbuild kmod uapi scripts |
		tar -x -C "$snap"
	nice -n 19 make -C "$snap" module KDIR="$top/.cache/kernels/$drel/build" OUT="$top/out" \
		>"$out/build-$drel.log" 2>&1
	rc=$?
	grep -E '^omr:|warning|error' "$out/build-$drel.log" | sed 's/^/# /'
	result $rc "build: [$drel] omr.ko, private layouts verified against its BTF"
	[ $rc -eq 0 ] || return 0
	for t in $DEBUG_SUITES; do
		if [ -f "$t" ]; then suites+="$t "; else echo "# debug kernel: $t does not exist, left out"; fi
	done
	while [ ! -e "$out/vm.go" ]; do sleep 5; done
	stage "VM: $drel under TCG (suites: $suites)"
	t0=$(date +%s)
	# a lock of its own: one debug VM at a time on this machine. The
	# fuzzer's batches are smaller here (KASAN: ~1.3 ms a request, where
	# 6.12's VM runs the full 100,000 twice at ~0.03 ms): 60,000 requests
	# under KASAN, lockdep and kmemleak, not 4 minutes of them.
	flock /tmp/omr-vm-debug.lock \
		selftests/vm/vm.sh -k "$drel" -t "$DEBUG_VM_TIMEOUT" -o "out/vm-$drel" -- \
		env OMR_VM_TESTS="$suites" OMR_SUITE_TIMEOUT=900 OMR_TIME_SCALE=3 \
		OMR_FUZZ_N=30000 OMR_FUZZ_N2=30000 \
		selftests/vm/kmemleak.sh selftests/vm-suite.sh |
		tag "$drel" >"$out/vm-$drel.ktap"
	rc=${PIPESTATUS[0]}
	cat "$out/vm-$drel.ktap"
	echo "# VM: [$drel] took $(($(date +%s) - t0)) s"
	vm_verdict "$drel" "$rc" "lockdep, KASAN, WARN/BUG/oops"
}

# want_debug: the debug kernel's stage is on unless OMR_DEBUG_KERNEL=0 or
# OMR_SKIP names debug or vm.
want_debug() {
	[ "${OMR_DEBUG_KERNEL:-1}" != 0 ] && [[ $skip != *" debug "* ]] && [[ $skip != *" vm "* ]]
}

# start_debug: once linux-source-6.12 is in .cache/debs.
start_debug() {
	want_debug && [ -z "$debug_pid" ] || return 0
	ls .cache/debs/linux-source-6.12_*_all.deb >/dev/null 2>&1 || return 0
	debug_stage >"$out/debug.txt" 2>&1 &
	debug_pid=$!
}

stage "dependencies"
scripts/deps.sh 2>&1 | sed 's/^/# /'
result "${PIPESTATUS[0]}" "deps: packages installed"

rels=()
chroot_rel=
for k in $kernels; do
	rel=$(scripts/fetch-kernel.sh "$k" 2>"$out/fetch-$k.log" | tail -n 1)
	result $? "kernel: Debian $k kernel fetched (${rel:-none})"
	[ -n "$rel" ] || continue
	rels+=("$rel")
	start_debug
	[ "$k" = backports ] && chroot_rel=$rel

	stage "build for $rel"
	clean_objs
	if [ "$k" = backports ]; then
		scripts/build-in-chroot.sh "$rel" >"$out/build-$rel.log" 2>&1
	else
		make module KDIR="/lib/modules/$rel/build" >"$out/build-$rel.log" 2>&1
	fi
	rc=$?
	grep -E '^omr:|warning|error' "$out/build-$rel.log" | sed 's/^/# /'
	result $rc "build: [$rel] omr.ko, private layouts verified against its BTF"
	[ $rc -eq 0 ] && build_other_btf "$k" "$rel"

	stage "layout and source checks refuse what they must ($rel)"
	if [ "$k" = backports ]; then
		scripts/build-in-chroot.sh --run "$rel" selftests/layout.sh "$rel"
	else
		selftests/layout.sh "$rel"
	fi 2>&1 | tag "$rel" | tee "$out/layout-$rel.ktap"

	if [[ $skip != *" dkms "* ]]; then
		stage "dkms ($rel)"
		if [ "$k" = backports ]; then
			# in the trixie chroot, with dkms and linux-source-X.Y there
			scripts/build-in-chroot.sh --dkms "$rel" 2>"$out/dkms-$rel.log"
		else
			selftests/dkms.sh "$rel" 2>&1
		fi | tag "$rel" | tee "$out/dkms-$rel.ktap"
		ran "$out/dkms-$rel.ktap" "dkms: [$rel]"
	fi
done
clean_objs
rel=${rels[0]:-none}
# a selection without 6.12 (backports alone) still gets the debug kernel
if want_debug && [ -z "$debug_pid" ]; then
	scripts/fetch-kernel.sh 6.12 >/dev/null 2>"$out/fetch-debug.log"
	start_debug
fi

make -C selftests/tools >"$out/tools.log" 2>&1
result $? "build: selftests/tools"
# omrctl: built on the host, run in the VM (which sees this tree over 9p).
make -C ctl >"$out/ctl.log" 2>&1
result $? "build: ctl/omrctl"
# omr-shim: the end-to-end suite (omr_e2e.sh) runs it in the VM.
make -C shim omr-shim >"$out/shim-build.log" 2>&1
result $? "build: shim/omr-shim"

# Static checks and the refusal test use the headers of the first selected
# kernel installed on the host (6.12). A selection without one (backports
# alone) lints against the backports kernel in the trixie chroot, where its
# headers are: checkpatch and sparse there, the userspace checks here.
lint_kdir=
for r in "${rels[@]}"; do
	[ -f "/lib/modules/$r/build/Makefile" ] && { lint_kdir=/lib/modules/$r/build; break; }
done
if [[ $skip != *" lint "* ]]; then
	stage "lint: checkpatch --strict, sparse, cppcheck, -Werror builds"
	if [ -z "$lint_kdir" ] && [ -n "$chroot_rel" ]; then
		scripts/build-in-chroot.sh --lint "$chroot_rel" 2>"$out/lint-chroot.log" |
			tag "$chroot_rel" | tee "$out/lint-kernel.ktap"
		ran "$out/lint-kernel.ktap" "lint: [$chroot_rel] checkpatch, sparse"
		OMR_LINT_STAGES=user scripts/lint.sh 2>&1 | tee "$out/lint.ktap"
	else
		scripts/lint.sh ${lint_kdir:+"$lint_kdir"} 2>&1 | tee "$out/lint.ktap"
	fi
	ran "$out/lint.ktap" "lint"
fi

if [[ $skip != *" refuse "* ]]; then
	stage "the build refuses Debian 12's 6.1 (no MPTCP scheduler API)"
	if [ -z "$lint_kdir" ] && [ -n "$chroot_rel" ]; then
		selftests/refuse.sh --chroot "$chroot_rel"
	else
		selftests/refuse.sh ${lint_kdir:+"$lint_kdir"}
	fi 2>&1 | tee "$out/refuse.ktap"
	ran "$out/refuse.ktap" "refuse"
fi

# unit CORE KTAP: kmod/CORE.c, kernel-free decision code, and its host test
# selftests/unit/CORE_test.c, under ASan/UBSan.
kst=.cache/kernels/$rel/src/tools/testing/selftests
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
unit() {
	mkdir -p out/unit
	# shellcheck disable=SC2086
	if gcc -c -O2 -g -Wall -Wextra -Werror $san -Ikmod -o "out/unit/$1.o" "kmod/$1.c" &&
		gcc -O1 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror $san \
			-Ikmod -I"$kst" -o "out/unit/$1_test" \
			"selftests/unit/$1_test.c" "out/unit/$1.o"; then
		"out/unit/$1_test" 2>&1 | tee "$out/$2.ktap"
	else
		result 1 "unit: build of selftests/unit/$1_test"
	fi
}
stage "unit: scheduler decision code (userspace, ASan/UBSan)"
unit sched_core unit
stage "unit: path manager decision code (userspace, ASan/UBSan)"
unit pm_core unit-pm
if [[ $skip != *" ctl "* ]]; then
	# omrctl without a kernel: command line, printers, omr.conf, structure.
	stage "omrctl host tests (ASan/UBSan)"
	make -s -C ctl check 2>"$out/ctl-check.err" | tee "$out/ctl-check.ktap"
	[ "${PIPESTATUS[0]}" -eq 0 ] || tail -n 20 "$out/ctl-check.err" | sed 's/^/# /'
	ran "$out/ctl-check.ktap" "omrctl host tests"
fi

if [[ $skip != *" shim "* ]] && [ -f shim/Makefile ]; then
	stage "omr-shim"
	make -s -C shim check 2>"$out/shim.err" | tee "$out/shim.ktap"
	[ "${PIPESTATUS[0]}" -eq 0 ] || tail -n 20 "$out/shim.err" | sed 's/^/# /'
fi

if [[ $skip != *" install "* ]]; then
	stage "make install / make uninstall (DESTDIR, PREFIX)"
	selftests/install.sh 2>&1 | tee "$out/install.ktap"
	ran "$out/install.ktap" "install"
fi

# The .debs: make deb, lintian, apt install into a minbase bookworm chroot
# (DKMS builds omr for the 6.12 kernel), purge leaves nothing. Its base
# system and prerequisites are cached in /var/cache/omr. It runs beside the
# VM stages at nice 19, so it takes only a CPU neither VM uses (once the
# debug kernel's VM is done): minutes of builds and apt that would otherwise
# add to the run's wall time. Printed at the end.
deb_pid=
if [[ $skip != *" deb "* ]]; then
	nice -n 19 selftests/deb.sh >"$out/deb.ktap" 2>&1 &
	deb_pid=$!
fi

VM_SUBSET="selftests/omr_dkms_load.sh selftests/omr_sched_load.sh selftests/omr_sched_integrity.sh
	selftests/omr_sched_weight.sh selftests/omr_pm_paths.sh
	selftests/omr_pm_failover.sh selftests/omr_pm_load.sh selftests/omr_pm_cc.sh"
# the debug kernel's VM starts now too (debug_stage)
touch "$out/vm.go"
if [[ $skip != *" vm "* ]]; then
	for rel in "${rels[@]}"; do
		suites=
		[ "$rel" != "${rels[0]}" ] && [ -z "${OMR_VM_FULL:-}" ] && suites=$(echo $VM_SUBSET)
		stage "VM: $rel under TCG${suites:+ (subset: $suites)}"
		# One VM at a time on this machine: its timing-sensitive tests
		# would fail if another run's VM shared the CPUs. No second boot
		# when one dies early: the early-boot "Oops: int3" was QEMU 7.2's
		# multi-threaded TCG (docs/testing.md), which vm.sh no longer uses.
		# -t: a net for a hung VM, not a budget: the suites have their own
		# limits (420 s each), and a busy machine (load 10) took more
		# than 1500 s for 6.12's.
		# -m 8192: the kernel's MPTCP token table gets a bucket per MB,
		# and omr_pm_conns.sh's 2000 connections hold 4000 tokens in
		# this one kernel (both ends): at 2 GB, 1 run in 11 had one fall
		# back to TCP.
		flock /tmp/omr-vm.lock \
			selftests/vm/vm.sh -k "$rel" -m 8192 -t 3000 -o "out/vm-$rel" -- \
			env OMR_VM_TESTS="$suites" selftests/vm-suite.sh |
			tag "$rel" | tee "$out/vm-$rel.ktap"
		rc=${PIPESTATUS[0]}
		vm_verdict "$rel" "$rc" "WARN/BUG/oops"
	done
fi

if [ -n "$deb_pid" ]; then
	stage "Debian packages: build, lintian, install in a bookworm chroot, purge (ran beside the VMs)"
	wait "$deb_pid"
	cat "$out/deb.ktap"
	ran "$out/deb.ktap" "deb"
fi

if [ -n "$debug_pid" ]; then
	stage "debug kernel: lockdep, KASAN, kmemleak (ran beside the stages above)"
	wait "$debug_pid"
	cat "$out/debug.txt"
elif want_debug; then
	result 1 "kernel: debug kernel: no linux-source-6.12 package to build it from"
fi

echo "# the run took $(($(date +%s) - t_run)) s"
pass=$(cat "$out"/*.ktap | grep -cE '^ok [0-9]+' | tr -d ' ')
skips=$(cat "$out"/*.ktap | grep -E '^ok [0-9]+' | grep -c '# SKIP' | tr -d ' ')
fail=$(cat "$out"/*.ktap | grep -cE '^not ok [0-9]+' | tr -d ' ')
pass=$((pass - skips))
echo
if [ "$fail" -gt 0 ]; then
	echo "# failed:"
	cat "$out"/*.ktap | grep -E '^not ok [0-9]+' | sed 's/^/#   /'
fi
if [ "$skips" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skips skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
