#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel under qemu-system-x86_64 -accel tcg and run one command
# in it, as root, in a chroot of this machine's own root (read-only over 9p).
#
#   selftests/vm/vm.sh [-k REL] [-m MiB] [-c CPUS] [-t SECONDS] [-o DIR] -- CMD [ARG...]
#
# The command starts in the current directory, sees every host tool and this
# project, can write only to /tmp, /run (tmpfs) and the output directory
# (DIR, default out/vm-REL, shared read-write). Its output comes to stdout as
# it runs. The kernel's console goes to DIR/console.log and its final dmesg to
# DIR/dmesg.txt.
#
# Exit status: the command's own; 124 if the VM timed out; 125 if it did not
# come up or died (panic); 126 if the kernel log shows a WARN, BUG, oops,
# lockdep splat or leak report although the command passed (the lines are
# printed). The project's modules are loaded by the command itself.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${OMR_CACHE:-$top/.cache}
rel=${OMR_KERNEL:-}
mem=2048
cpus=2
tmo=900
outdir=

usage() {
	sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts "k:m:c:t:o:h" opt; do
	case $opt in
	k) rel=$OPTARG ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	t) tmo=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage

if [ -z "$rel" ]; then
	rel=$(ls -1 "$cache/kernels" 2>/dev/null | sort -V | tail -n 1)
fi
# Canonical: the VM's init binds the modules from this path inside the host
# root, so it must not go through a symlink (a worktree's .cache may be one,
# absolute, and init would resolve it in the initramfs).
kroot=$(readlink -f "$cache/kernels/$rel/root")
[ -f "$cache/kernels/$rel/.done" ] || {
	echo "vm.sh: kernel '$rel' is not fetched (run scripts/fetch-kernel.sh)" >&2
	exit 125
}
outdir=${outdir:-$top/out/vm-$rel}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# The initramfs holds busybox, /init and the 9p modules; it depends only on
# the kernel and on init, so it is named after init's hash: checkouts that
# share one cache (worktrees) and differ in init never boot each other's.
initrd=$cache/kernels/$rel/initramfs-$(sha256sum "$here/init" | cut -c1-12).cpio.gz
if [ ! -f "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$rel" "$initrd.tmp$$" && mv -f "$initrd.tmp$$" "$initrd"
fi

# init lays a tmpfs over /lib/modules of the host root (read-only in the VM)
# to put the test kernel's modules there; a machine that never installed a
# kernel package (a fresh chroot) has no such directory to mount on.
if [ ! -d /lib/modules ]; then
	mkdir -p /lib/modules 2>/dev/null || {
		echo "vm.sh: no /lib/modules on this machine, and cannot create it (the VM mounts the test kernel's modules there): run 'mkdir /lib/modules' as root" >&2
		exit 125
	}
fi

# The VM's init binds the modules before it chroots into the host's root, so
# their path must hold no symlink (a symlinked .cache, or the debug kernel's
# .cache/kernels/REL -> /var/cache/omr/...): resolve it here.
kmods=$(cd "$kroot/lib/modules/$rel" && pwd -P)

printf '%s\n' "$PWD" >"$outdir/cwd"
{
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/tmp TERM=dumb LANG=C.UTF-8'
	printf 'export OMR_OUT=%q OMR_KERNEL=%q OMR_IN_VM=1\n' "$outdir" "$rel"
	printf '%q ' "$@"
	echo
} >"$outdir/cmd.sh"
rm -f "$outdir/rc" "$outdir/dmesg.txt" "$outdir/console.log" "$outdir/splat-report.txt"

# The guest's RCU stall detector (21 s by default) measures the host: a TCG
# vCPU thread the host does not schedule for 21 s (a machine at load 10 did
# that to the debug kernel during its boot, before omr.ko was loaded: "rcu_sched
# kthread starved", "hrtimer: interrupt took 1444673178 ns", ACPI AML loop
# timeouts) looks to the guest like a CPU stuck in the kernel. 120 s still
# reports a real stall well within a suite's time limit (420 s, 900 s on the
# debug kernel).
stall=rcupdate.rcu_cpu_stall_timeout=120
# The read-only shares (the host's root, the project) are mounted with 9p's
# cache=loose: the guest keeps their pages and dentries instead of asking the
# host for every lookup and read. Most of a spawned process's cost under TCG
# was 9p round trips (the dynamic loader's library search, libkmod's index
# reads): measured idle on 6.12, `ip netns exec NS true` 308 -> 177 ms, `ss`
# 287 -> 137, `omrctl status` 226 -> 100, `python3 -c pass` 2895 -> 363;
# omr_ctl.sh 113 -> 66 s. Safe because nothing changes those trees while a
# VM runs (the .debs are built in a copy under out/deb); the output share
# the guest writes stays uncached. OMR_VM_9PCACHE=none restores the old way.
cache9p=${OMR_VM_9PCACHE:-loose}
# The host's side of the guest's time (selftests/vm/hostwatch.py): the
# seconds in which the host did not run QEMU, printed with a stall report.
hw=
if command -v python3 >/dev/null; then
	python3 "$here/hostwatch.py" "$outdir" >"$outdir/host.log" 2>&1 &
	hw=$!
fi
rc=0
timeout --foreground -k 10 "$tmo" qemu-system-x86_64 \
	-accel "${OMR_VM_ACCEL:-tcg,thread=single}" -cpu max -smp "$cpus" -m "$mem" \
	-nodefaults -no-reboot -display none -monitor none \
	-kernel "$kroot/boot/vmlinuz-$rel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=5 panic=-1 oops=panic $stall omr.out=$outdir omr.top=$top omr.kmods=$kmods omr.cache9p=$cache9p" \
	-serial "file:$outdir/console.log" -serial stdio \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$top,mount_tag=omrtop,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$outdir,mount_tag=omrout,security_model=none,multidevs=remap" \
	</dev/null || rc=$?
[ -z "$hw" ] || { kill "$hw" 2>/dev/null || true; wait "$hw" 2>/dev/null || true; }

if [ $rc -eq 124 ]; then
	echo "vm.sh: the VM did not finish within ${tmo}s" >&2
	exit 124
fi
if [ ! -f "$outdir/rc" ]; then
	echo "vm.sh: the VM stopped before the command finished; console tail:" >&2
	tail -n 40 "$outdir/console.log" >&2 || true
	exit 125
fi
rc=$(cat "$outdir/rc")

# A kernel splat fails the run even when every test passed.
pat='WARNING:|BUG:|Oops|general protection|kernel BUG|Call Trace|UBSAN|KASAN|kmemleak|lockdep|refcount_t:|list_add corruption|list_del corruption|RCU stall|detected stall|hung_task|soft lockup'
# The debug kernel (scripts/build-debug-kernel.sh) announces its checkers at
# boot in lines the pattern matches; they are no reports. Its kmemleak
# verdict is the listing that selftests/vm/kmemleak.sh checks and prints after
# its last scan: the "N new suspected" line of an earlier scan may be a
# transient that the next scan withdraws.
benign='^(\[ *[0-9.]+\] )?(rcu:[[:space:]]+RCU lockdep checking is enabled\.|kmemleak: Kernel memory leak detector initialized|kmemleak: [0-9]+ new suspected memory leaks)'
# Reports of known bugs of the kernel under test or of QEMU, not omr's, are
# set aside whole (cut here ... end trace) into known-bugs.txt, printed, and
# not counted: selftests/vm/known-bugs.awk says which and why (the tests'
# klog_splats uses the same filter); docs/testing.md has the evidence.
strip_known() {
	awk -v rel="$rel" -v known="$outdir/known-bugs.txt" -f "$here/known-bugs.awk" "$1" 2>/dev/null
}
rm -f "$outdir/known-bugs.txt"
if { strip_known "$outdir/console.log"; strip_known "$outdir/dmesg.txt"; } | grep -E "$pat" |
	grep -Ev "$benign" >"$outdir/splats.txt"; then
	echo "vm.sh: the kernel log has warnings (see $outdir/console.log):" >&2
	head -n 40 "$outdir/splats.txt" >&2
	# The first report whole (registers, EFLAGS, trace): what a later look
	# at a CI run needs when its console.log is gone.
	# selftests/run.sh prints it beside the failed result.
	awk -v rel="$rel" -f "$here/known-bugs.awk" "$outdir/console.log" |
		awk '/-+\[ cut here \]-+/ { p = 1 } p { print; n++ }
		/---\[ end trace/ && p { exit } n >= 80 { exit }' >"$outdir/splat-report.txt"
	echo "vm.sh: the first report in full:" >&2
	cat "$outdir/splat-report.txt" >&2
	if grep -qE 'soft lockup|detected stall|RCU stall|hung_task|starved' "$outdir/splats.txt"; then
		echo "vm.sh: the host held the guest back in these seconds of its uptime ($outdir/host.log):" >&2
		tail -n 40 "$outdir/host.log" >&2 2>/dev/null
	fi
	[ "$rc" -ne 0 ] || rc=126
fi
if [ -s "$outdir/known-bugs.txt" ]; then
	echo "vm.sh: a known bug of kernel $rel or of QEMU, not omr's, was reported (not counted; docs/testing.md):" >&2
	grep -E 'WARNING:' "$outdir/known-bugs.txt" | tr -d '\r' | sort -u | head -n 4 >&2
fi
exit "$rc"
