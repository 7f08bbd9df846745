#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as kernel maintainers would run them (`make lint`):
#   1. checkpatch.pl --strict on every kmod/*.c and kmod/*.h, and on the
#      uapi header uapi/linux/omr.h
#   2. sparse (make C=2) and gcc W=1 over the module, against KDIR
#   3. IBT: omr calls no kernel function through an address it resolved
#      (the source, and the omr.ko that check 2 built)
#   4. cppcheck on the userspace C (shim/, ctl/, selftests/tools, unit, bench)
#   5. every userspace C file compiled with gcc -Wall -Wextra -Werror
#   6. the same with clang
#   7. the YNL spec: uapi/omr.yaml validates against the kernel's schema,
#      uapi/linux/omr.h is ynl-gen-c.py's output for it, the documents quote
#      its ranges (scripts/ynl.sh check; tools from linux-source-6.12)
#
#   scripts/lint.sh [KDIR]
#
# OMR_LINT_STAGES=kernel runs only 1 to 3 (what needs KDIR: in the trixie
# chroot for a kernel the host cannot build for, scripts/build-in-chroot.sh
# --lint REL), =user only 4 to 7 (the host's compilers and libraries).
#
# KDIR defaults to the newest /lib/modules/6.12.*/build (Debian 12's 6.12,
# the oldest kernel series omr supports; scripts/fetch-kernel.sh installs
# it). Prints KTAP, one result per check, findings as "# " lines; exits
# non-zero on any finding. Nothing of the kernel is kept in the project:
# checkpatch.pl and its data files come at run time from Debian's
# linux-source-X.Y tarball of KDIR's series (/usr/src/linux-source-X.Y.tar.xz,
# unpacked once into .cache/lint/), else from what scripts/fetch-kernel.sh
# unpacked of the same package (.cache/kernels/REL/src); OMR_CHECKPATCH
# names another checkpatch.pl.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=${OMR_CACHE:-$top/.cache}
work=$top/${OUT:-out}/lint
rm -rf "$work"
mkdir -p "$work"

kdir=${1:-}
if [ -z "$kdir" ]; then
	kdir=$(printf '%s\n' /lib/modules/6.12.*/build | grep -v '\*' | sort -V | tail -n 1)
fi
rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null)
series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

n=0
failed=0
# result RC WHAT [FINDINGS-FILE]: one KTAP line; findings as "# " lines.
result() {
	n=$((n + 1))
	[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3"
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

echo "TAP version 13"
[ -n "$rel" ] || [ "${OMR_LINT_STAGES:-}" = user ] || echo "# no kernel build tree at '${kdir:-/lib/modules/6.12.*/build}': run scripts/fetch-kernel.sh 6.12"

lint_kernel() {
	# ---- 1. checkpatch ------------------------------------------------------
	# checkpatch_pl: print the path of a checkpatch.pl of Linux $series.
	checkpatch_pl() {
		local tb=/usr/src/linux-source-$series.tar.xz d id f
		if [ -n "${OMR_CHECKPATCH:-}" ]; then
			echo "$OMR_CHECKPATCH"
			return
		fi
		if [ -n "$series" ] && [ -f "$tb" ]; then
			d=$cache/lint/linux-source-$series
			id=$(stat -c '%s %Y' "$tb")
			if [ "$(cat "$d/.from" 2>/dev/null)" != "$id" ]; then
				rm -rf "$d" && mkdir -p "$d"
				tar -xJf "$tb" -C "$d" --strip-components=1 \
					"linux-source-$series/scripts/checkpatch.pl" \
					"linux-source-$series/scripts/spelling.txt" \
					"linux-source-$series/scripts/const_structs.checkpatch" >&2 &&
					echo "$id" >"$d/.from"
			fi
			[ -f "$d/.from" ] && { echo "$d/scripts/checkpatch.pl"; return; }
		fi
		for f in "$cache/kernels/$rel/src/scripts/checkpatch.pl" \
			"$cache"/kernels/"$series".*/src/scripts/checkpatch.pl; do
			[ -f "$f" ] && { echo "$f"; return; }
		done
	}

	# Flags for a module outside the kernel tree:
	#   --no-tree  there is no kernel tree around the files (checkpatch would
	#              look for MAINTAINERS, include/ and scripts/ next to them);
	#              it then reads spelling.txt and const_structs.checkpatch from
	#              its own directory, where we unpacked them.
	#   --file     whole files, not a patch: the patch-only checks
	#              (FILE_PATH_CHANGES for new files without a MAINTAINERS
	#              entry, Signed-off-by, commit message style) do not run, so
	#              nothing needs --ignore. SPDX_LICENSE_TAG stays on: every
	#              file carries its tag.
	#   --strict   the CHECK level too, as for net/ (netdev asks for it).
	#   --terse    one line per finding.
	# No --ignore for 6.12's checkpatch: every check applies to this code.
	# A later series' checkpatch (a selection of kernels without 6.12)
	# also asks for helpers 6.12 does not have, which the module cannot
	# use while it builds for 6.12: ALLOC_WITH_SIZEOF (kzalloc_obj(),
	# 7.x).
	cp_ignore=()
	[ "$series" = 6.12 ] || cp_ignore=(--ignore ALLOC_WITH_SIZEOF)
	cp_pl=$(checkpatch_pl)
	cp_files=(kmod/*.c kmod/*.h uapi/linux/*.h)
	if [ -n "$cp_pl" ] && [ -f "$cp_pl" ]; then
		# From $work: checkpatch may leave a .checkpatch-camelcase.* cache in
		# its working directory.
		(
			cd "$work" || exit 1
			[ -e "$top/.git" ] && export GIT_DIR="$top/.git"
			perl "$cp_pl" --no-tree --file --strict --terse --color=never \
				--show-types "${cp_ignore[@]}" "${cp_files[@]/#/$top/}"
		) >"$work/checkpatch.log" 2>"$work/checkpatch.err"
		rc=$?
		sed "s|$top/||g" "$work/checkpatch.log" |
			grep -vE '^total: 0 errors, 0 warnings, 0 checks' >"$work/checkpatch.findings"
		[ $rc -eq 0 ] || cat "$work/checkpatch.err" >>"$work/checkpatch.findings"
		[ -s "$work/checkpatch.findings" ] && rc=1
		result $rc "lint: checkpatch.pl --strict (Linux $series) on ${#cp_files[@]} kmod/ and uapi/ files" "$work/checkpatch.findings"
	else
		echo "no checkpatch.pl: install linux-source-${series:-6.12} or run scripts/fetch-kernel.sh" >"$work/checkpatch.findings"
		result 1 "lint: checkpatch.pl --strict on kmod/ files" "$work/checkpatch.findings"
	fi

	# ---- 2. sparse ----------------------------------------------------------
	# In a copy of the module tree, so that a module built in the project (and
	# its objects) stays as it is. C=2 checks every file, built or not; W=1 adds
	# gcc's extra warnings. A warning in one of our files fails; warnings in
	# the kernel's own headers, if any, are shown but are not ours to fix.
	# 7.x's Makefile first checks that sparse knows __typeof_unqual__
	# (scripts/checker-valid.sh) and turns C=2 off if not: Debian's sparse
	# (0.6.4, bookworm and trixie) does not, and Debian's headers packages do
	# not even ship the script. Against such a kernel sparse cannot run at
	# all: a skip that says so, not a pass.
	if [ -n "$rel" ] && command -v sparse >/dev/null; then
		s=$work/sparse
		mkdir -p "$s/kmod" "$s/uapi/linux"
		cp Kbuild "$s/"
		cp kmod/*.c kmod/*.h "$s/kmod/"
		cp uapi/linux/*.h "$s/uapi/linux/"
		{
			scripts/prepare-ksrc.sh "$kdir" "$s/kmod/.gen/$rel" &&
				make -C "$kdir" M="$s" C=2 W=1 modules
		} >"$work/sparse.log" 2>&1
		rc=$?
		grep -E '(warning|error):' "$work/sparse.log" | grep -F "$s/" |
			sed "s|$s/||" >"$work/sparse.findings"
		grep -E '(warning|error):' "$work/sparse.log" | grep -vF "$s/" |
			sed 's/^/(kernel header, not counted) /' >"$work/sparse.other"
		if [ $rc -ne 0 ]; then
			tail -n 20 "$work/sparse.log" >>"$work/sparse.findings"
		elif [ -s "$work/sparse.findings" ]; then
			rc=1
		fi
		cat "$work/sparse.other" >>"$work/sparse.findings"
		if grep -q 'C=2 specified, but' "$work/sparse.log" && [ $rc -eq 0 ]; then
			echo "ok $((n + 1)) - lint: sparse against $rel # SKIP $rel's kbuild finds no sparse that parses its headers (__typeof_unqual__; Debian's is 0.6.4)"
			n=$((n + 1))
		else
			grep -q 'CHECK ' "$work/sparse.log" || { echo "sparse did not run" >>"$work/sparse.findings"; rc=1; }
			result $rc "lint: sparse (make C=2 W=1) against $rel: no warning in omr's files" "$work/sparse.findings"
		fi
	else
		echo "needs sparse and a kernel build tree" >"$work/sparse.findings"
		result 1 "lint: sparse (make C=2 W=1)" "$work/sparse.findings"
	fi
}

lint_ibt() {
	# ---- 3. IBT ------------------------------------------------------------
	# On IBT CPUs an indirect call to a kernel function that is not exported
	# may fault (its ENDBR sealed), so omr resolves kernel DATA only, through
	# omr_ksym_data() (kmod/ksym.c; docs/architecture.md). In the source:
	#   - no kallsyms lookup of its own (the kprobe in ksym.c makes the kernel
	#     resolve the name), and kprobes only in ksym.c, registered once;
	#   - the one resolver returns void * (data), and nothing is cast to a
	#     function pointer type ("(int (*)(...))addr").
	# In the module check 2 built (scripts/indirect-calls.pl): every undefined
	# symbol is exported by KDIR's kernel, and no indirect call or jump takes
	# its target from omr's own variables or from a call's return value.
	: >"$work/ibt.findings"
	grep -nE 'kallsyms_(lookup|on_each)|module_kallsyms|ibt=off' kmod/*.c kmod/*.h \
		>>"$work/ibt.findings"
	grep -nE 'kprobe' kmod/*.c kmod/*.h | grep -v '^kmod/ksym\.c:' >>"$work/ibt.findings"
	[ "$(grep -cE '\<register_kprobe\(&' kmod/ksym.c)" = 1 ] ||
		echo "kmod/ksym.c: register_kprobe() is called more than once" >>"$work/ibt.findings"
	proto='^void \*omr_ksym_data\(const char \*name, size_t size\)'
	grep -qE "$proto;" kmod/omr.h && grep -qE "$proto\$" kmod/ksym.c ||
		echo "kmod/omr.h, kmod/ksym.c: omr_ksym_data() must return void *" >>"$work/ibt.findings"
	grep -nE '\(\s*(const\s+)?[A-Za-z_][A-Za-z0-9_]*(\s+[A-Za-z_][A-Za-z0-9_]*)*\s*\**\s*\(\s*\*\s*\)\s*\(' \
		kmod/*.c kmod/*.h | sed 's/$/  (cast to a function pointer type)/' >>"$work/ibt.findings"
	if [ -f "${s:-}/omr.ko" ] && [ -f "$kdir/Module.symvers" ]; then
		perl scripts/indirect-calls.pl "$s/omr.ko" "$kdir/Module.symvers" |
			sed "s|$s/||" >>"$work/ibt.findings"
	else
		echo "no omr.ko from check 2 to inspect" >>"$work/ibt.findings"
	fi
	rc=0
	[ -s "$work/ibt.findings" ] && rc=1
	result $rc "lint: IBT: no call through a resolved kernel address (kmod/ and omr.ko for ${rel:-?})" "$work/ibt.findings"
}

lint_eflags() {
	# ---- 4. EFLAGS -----------------------------------------------------------
	# omr.ko has no instruction that loads EFLAGS (popf, iret, sysret,
	# sysexit): the kernel code it runs in never sets TF, so a single-step
	# #DB in kernel mode in the VM is not omr's doing, and
	# selftests/vm/known-bugs.awk sets it aside as QEMU's (docs/testing.md).
	: >"$work/eflags.findings"
	if [ -f "${s:-}/omr.ko" ]; then
		objdump -d "$s/omr.ko" | grep -E $'\t(popf|iret|sysret|sysexit)[lqw]?( |$)' \
			>>"$work/eflags.findings"
	else
		echo "no omr.ko from check 2 to inspect" >>"$work/eflags.findings"
	fi
	rc=0
	[ -s "$work/eflags.findings" ] && rc=1
	result $rc "lint: omr.ko loads no EFLAGS (no popf, iret, sysret) for ${rel:-?}" "$work/eflags.findings"
}

lint_user() {
	# ---- 4. cppcheck ---------------------------------------------------------
	# Userspace C: omr-shim (with its tests and fuzz harnesses), omrctl, the
	# selftests' tools (omr-xfer, omr-nlraw), the
	# scheduler's unit test and benchmark (which include kmod/sched_core.[ch]).
	us_files=(shim/src/*.c shim/tests/*.c shim/fuzz/*.c ctl/*.c ctl/tests/*.c selftests/tools/*.c
		selftests/unit/*.c selftests/bench/*.c)
	# Suppressed everywhere:
	#   variableScope  "scope can be reduced": the project follows kernel style,
	#                  declarations at the top of a block.
	#   usleepCalled   POSIX.1-2008 dropped usleep(); glibc keeps it, and these
	#                  are Linux-only programs.
	#   missingIncludeSystem  cppcheck is not given the system headers; the
	#                  --library configurations describe libc and POSIX.
	# Single false positives are suppressed in place (cppcheck-suppress).
	if command -v cppcheck >/dev/null; then
		cppcheck --quiet --enable=warning,style,performance,portability \
			--inconclusive --std=c11 -D_GNU_SOURCE --library=posix \
			--inline-suppr --suppress=variableScope --suppress=usleepCalled \
			--suppress=missingIncludeSystem --error-exitcode=1 \
			-Ishim/src -Ikmod -Iuapi -Ictl --template='{file}:{line}: {severity}: {message} [{id}]' \
			"${us_files[@]}" >"$work/cppcheck.findings" 2>&1
		rc=$?
		[ -s "$work/cppcheck.findings" ] && rc=1
		result $rc "lint: cppcheck on ${#us_files[@]} userspace C files" "$work/cppcheck.findings"
	else
		echo "cppcheck is not installed (scripts/deps.sh)" >"$work/cppcheck.findings"
		result 1 "lint: cppcheck on userspace C" "$work/cppcheck.findings"
	fi

	# ---- 5, 6. -Wall -Wextra -Werror ---------------------------------------
	# Each file compiled on its own (optimized, so that flow-based warnings
	# such as -Wmaybe-uninitialized run), with the flags its Makefile uses.
	kst=$cache/kernels/$rel/src/tools/testing/selftests
	if [ ! -f "$kst/kselftest_harness.h" ]; then
		for h in "$cache"/kernels/*/src/tools/testing/selftests/kselftest_harness.h; do
			[ -f "$h" ] && kst=$(dirname "$h") && break
		done
	fi
	shim_cflags=$(pkg-config --cflags libcrypto json-c 2>/dev/null)
	nl_cflags=$(pkg-config --cflags libnl-genl-3.0 2>/dev/null)
	json_cflags=$(pkg-config --cflags json-c 2>/dev/null)
	for cc in gcc clang; do
		: >"$work/$cc.findings"
		rc=0
		if ! command -v $cc >/dev/null; then
			echo "$cc is not installed" >"$work/$cc.findings"
			result 1 "lint: userspace C builds with $cc -Wall -Wextra -Werror" "$work/$cc.findings"
			continue
		fi
		for f in "${us_files[@]}"; do
			extra=()
			# shellcheck disable=SC2206 # pkg-config's flags, one word each
			case $f in
			shim/*) extra=(-Ishim/src $shim_cflags) ;;
			# The kselftest harness's FIXTURE_SETUP()/TEST_F() give every
			# test a "variant" parameter, used or not.
			selftests/unit/*) extra=(-Ikmod -I"$kst" -Wno-unused-parameter) ;;
			selftests/bench/*) extra=(-Ikmod) ;;
			ctl/*) extra=(-Iuapi -Ictl $nl_cflags $json_cflags) ;;
			selftests/tools/omr-nlraw.c) extra=($nl_cflags) ;;
			selftests/tools/omr-nlfuzz.c | selftests/tools/omr-stress.c) extra=(-Iuapi) ;;
			selftests/tools/*) extra=(-pthread) ;;
			esac
			$cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror "${extra[@]}" \
				-c -o "$work/cc.o" "$f" >>"$work/$cc.findings" 2>&1 || rc=1
		done
		result $rc "lint: ${#us_files[@]} userspace C files build with $cc -Wall -Wextra -Werror" "$work/$cc.findings"
	done
}

# ---- 7. the YNL spec and what is generated from it --------------------------
lint_ynl() {
	scripts/ynl.sh check >"$work/ynl.ktap" 2>&1
	local rc=$?
	grep -v '^ok \|^1\.\.\|^KTAP' "$work/ynl.ktap" >"$work/ynl.findings"
	result $rc "lint: YNL spec uapi/omr.yaml: schema, generated uapi/linux/omr.h, ranges in docs" \
		"$work/ynl.findings"
}

case ${OMR_LINT_STAGES:-all} in
kernel) echo "1..4"; lint_kernel; lint_ibt; lint_eflags ;;
user) echo "1..4"; lint_user; lint_ynl ;;
*) echo "1..8"; lint_kernel; lint_ibt; lint_eflags; lint_user; lint_ynl ;;
esac
exit $failed
