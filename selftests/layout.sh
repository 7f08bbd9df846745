#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build verifies the private MPTCP structs against the target kernel and
# fails closed. Each refusal once, in fresh copies of the module tree:
#   1. the target's own source (a tree labelled with its version) builds,
#      and the check names the structs it compared;
#   2. a field added to struct mptcp_subflow_context: the layout check fails
#      naming struct and field, no omr.ko;
#   3. a type-only change (mptcp_sock's int old_wspace built as u32: same
#      name, offset, size): fails naming struct, field and both types;
#   4. pahole failing (a fake pahole first in PATH): no omr.ko;
#   5. a module without DWARF: no omr.ko;
#   6. a struct the module uses missing from the kernel's BTF (the BTF with
#      mptcp_pm_data renamed): fails naming it, no omr.ko;
#   7. a kernel tree of another version in OMR_KSRC: refused naming both,
#      before anything is compiled;
#   8. .cache/kernels/REL/src of another Debian version (its version file):
#      likewise.
# 4-6 run scripts/check-layout.sh on copies of the module built in 1.
#
#   selftests/layout.sh REL
set -u
rel=$1
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=/lib/modules/$rel/build
src=$top/.cache/kernels/$rel/src
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kv=${rel%%[!0-9.]*}			# 6.12.117
older=${kv%.*}.$((${kv##*.} - 1))	# 6.12.116: another version

echo "TAP version 13"
echo "1..8"

# tap N WHAT: ok/not ok from the exit status of the previous command
tap() {
	local rc=$? id=$1
	shift
	echo "$([ $rc -eq 0 ] && echo ok || echo "not ok") $id - layout: $*"
}

# ksrc DIR VERSION: a kernel tree with REL's private MPTCP headers and a
# Makefile that says it is Linux VERSION.
ksrc() {
	local v=$2
	mkdir -p "$1/net/mptcp"
	cp "$src/net/mptcp/"{protocol,mib}.h "$1/net/mptcp/"
	printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = %s\nEXTRAVERSION =\n' \
		"${v%%.*}" "$(echo "$v" | cut -d. -f2)" "${v##*.}" >"$1/Makefile"
}

# build NAME [VAR=VALUE...]: make module in a fresh copy of the module tree
# $work/NAME, with the variables in its environment; output in NAME.log.
build() {
	local name=$1
	shift
	mkdir -p "$work/$name/kmod"
	cp "$top/Kbuild" "$top/Makefile" "$work/$name/"
	cp -r "$top/scripts" "$top/uapi" "$work/$name/"
	cp "$top"/kmod/*.[ch] "$work/$name/kmod/"
	env "$@" make -C "$work/$name" module KDIR="$kdir" OUT="$work/$name/out" >"$work/$name.log" 2>&1
}

# re STRING: STRING as a literal in a grep -E pattern.
re() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# refused RC LOG MSG [TREE|KO]: failed, said MSG (a grep -E pattern) and left
# no module behind; shows omr's lines, or the log's tail if not.
refused() {
	local ok=0
	[ "$1" -ne 0 ] || ok=1
	grep -qE "$3" "$2" || ok=1
	if [ -n "${4:-}" ] && [ -n "$(find "$4" -name '*.ko' -print -quit 2>/dev/null)" ]; then
		ok=1
	fi
	if [ $ok -ne 0 ]; then
		tail -n 20 "$2" | sed 's/^/# /'
	else
		grep '^omr: ' "$2" | sed 's/^/# /'
	fi
	return $ok
}

# 1. The target's source builds and passes.
ksrc "$work/src-ok" "$kv"
build ok OMR_KSRC="$work/src-ok"
rc=$?
ko=$work/ok/omr.ko
gen=$work/ok/kmod/.gen/$rel
if [ $rc -eq 0 ] && [ -f "$ko" ] && grep -q '^omr: struct layouts and member types match' "$work/ok.log"; then
	grep '^omr: ' "$work/ok.log" | sed 's/^/# /'
	true
else
	tail -n 20 "$work/ok.log" | sed 's/^/# /'
	false
fi
tap 1 "built against a tree of Linux $kv (REL's headers): structs verified"

# 2. A field added.
ksrc "$work/src-field" "$kv"
sed -i 's/^\tbool\tscheduled;$/\tbool\tscheduled;\n\tbool\tomr_test_pad;/' \
	"$work/src-field/net/mptcp/protocol.h"
if grep -q omr_test_pad "$work/src-field/net/mptcp/protocol.h"; then
	build field OMR_KSRC="$work/src-field"
	refused $? "$work/field.log" \
		"^omr: layout mismatch in struct mptcp_subflow_context, field 'omr_test_pad': built as 'bool at [0-9]+ size 1', kernel $(re "$rel") has 'no such field'" \
		"$work/field"
else
	echo "# no 'bool scheduled;' in protocol.h"
	false
fi
tap 2 "a field added to struct mptcp_subflow_context fails the build, names struct and field, no omr.ko"

# 3. A type-only change.
ksrc "$work/src-type" "$kv"
sed -i 's/^\tint\t\told_wspace;$/\tu32\t\told_wspace;/' "$work/src-type/net/mptcp/protocol.h"
if grep -qP '^\tu32\t\told_wspace;$' "$work/src-type/net/mptcp/protocol.h"; then
	build type OMR_KSRC="$work/src-type"
	refused $? "$work/type.log" \
		"^omr: layout mismatch in struct mptcp_sock, field 'old_wspace': built as 'u32 at ([0-9]+) size 4', kernel $(re "$rel") has 'int at \1 size 4'" \
		"$work/type"
else
	echo "# no 'int old_wspace;' in protocol.h"
	false
fi
tap 3 "mptcp_sock's int old_wspace built as u32 (same offset and size) fails the build naming both types, no omr.ko"

# 4. pahole fails.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "pahole: omr selftest failure" >&2\nexit 2\n' >"$work/bin/pahole"
chmod +x "$work/bin/pahole"
cp "$ko" "$work/pahole.ko" 2>/dev/null
PATH=$work/bin:$PATH "$top/scripts/check-layout.sh" "$work/pahole.ko" "$kdir" "$gen" >"$work/pahole.log" 2>&1
refused $? "$work/pahole.log" \
	"^omr: pahole -F dwarf -C mptcp_sock $(re "$work/pahole.ko") failed \(exit 2\): pahole: omr selftest failure" \
	"$work/pahole.ko"
tap 4 "a pahole that fails fails the check and removes omr.ko"

# 5. No DWARF in the module.
cp "$ko" "$work/nodwarf.ko" 2>/dev/null && strip --strip-debug "$work/nodwarf.ko"
"$top/scripts/check-layout.sh" "$work/nodwarf.ko" "$kdir" "$gen" >"$work/nodwarf.log" 2>&1
refused $? "$work/nodwarf.log" \
	"^omr: (pahole -F dwarf -C mptcp_sock .* failed|struct mptcp_sock is not in the DWARF)" \
	"$work/nodwarf.ko"
tap 5 "a module without DWARF fails the check and is removed"

# 6. mptcp_pm_data missing from the kernel's BTF: a copy of KDIR's release
#    and vmlinux with the struct's name changed in the BTF's strings.
mkdir -p "$work/kdir/include/config"
cp "$kdir/include/config/kernel.release" "$work/kdir/include/config/"
perl -0777 -pe 's/\0mptcp_pm_data\0/\0mptcp_pm_datX\0/g' "$kdir/vmlinux" >"$work/kdir/vmlinux"
cp "$ko" "$work/btf.ko" 2>/dev/null
"$top/scripts/check-layout.sh" "$work/btf.ko" "$work/kdir" "$gen" >"$work/btf.log" 2>&1
refused $? "$work/btf.log" \
	"^omr: struct mptcp_pm_data, used by the module, is not in the BTF of kernel $(re "$rel")" \
	"$work/btf.ko"
tap 6 "a struct the module uses missing from the kernel's BTF fails the check, omr.ko removed"

# 7. A kernel tree of another version.
ksrc "$work/src-other" "$older"
build tree OMR_KSRC="$work/src-other"
refused $? "$work/tree.log" \
	"^omr: the kernel tree $(re "$work/src-other") is Linux $(re "$older"), the target $(re "$rel") is .*Linux $(re "$kv"): point OMR_KSRC at the source of $(re "$rel")" \
	"$work/tree" && [ -z "$(find "$work/tree" -name '*.o' -print -quit)" ]
tap 7 "OMR_KSRC of Linux $older for $rel is refused naming both, nothing compiled"

# 8. fetch-kernel.sh's source of another Debian version.
ver=$(cat "$top/.cache/kernels/$rel/version")
oldver=$(echo "$ver" | sed -E 's/^([0-9]+\.[0-9]+)\.([0-9]+)/\1.'"${older##*.}"'/')
mkdir -p "$work/cache/.cache/kernels/$rel/src/net/mptcp"
cp "$src/net/mptcp/"{protocol,mib}.h "$work/cache/.cache/kernels/$rel/src/net/mptcp/"
echo "$oldver" >"$work/cache/.cache/kernels/$rel/version"
build cache
refused $? "$work/cache.log" \
	"^omr: $(re "$work/cache/.cache/kernels/$rel/src") is linux-source-[0-9.]+ $(re "$oldver"), the target $(re "$rel") is Debian $(re "$ver"), Linux $(re "$kv"): run scripts/fetch-kernel.sh again \\(it fetches linux-source-[0-9.]+=$(re "$ver")\\)" \
	"$work/cache" && [ -z "$(find "$work/cache" -name '*.o' -print -quit)" ]
tap 8 ".cache/kernels/$rel/src of $oldver for Debian $ver is refused naming both, nothing compiled"
