#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build refuses a module whose private MPTCP structs differ from the
# target kernel's: build a copy of the module against a protocol.h with one
# field added to struct mptcp_subflow_context, and expect the BTF check to
# fail the build, name the struct and the field, and leave no omr.ko.
#
#   selftests/layout.sh REL
set -u
rel=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..2"

mkdir -p "$work/src/net/mptcp" "$work/tree/kmod"
cp "$top/.cache/kernels/$rel/src/net/mptcp/"{protocol,mib}.h "$work/src/net/mptcp/"
sed -i 's/^\tbool\tscheduled;$/\tbool\tscheduled;\n\tbool\tomr_test_pad;/' \
	"$work/src/net/mptcp/protocol.h"
grep -q omr_test_pad "$work/src/net/mptcp/protocol.h"
echo "$([ $? -eq 0 ] && echo ok || echo "not ok") 1 layout: test header prepared (one field added)"

cp "$top/Kbuild" "$top/Makefile" "$work/tree/"
cp -r "$top/scripts" "$top/uapi" "$work/tree/"
cp "$top"/kmod/*.[ch] "$work/tree/kmod/"
OMR_KSRC=$work/src make -C "$work/tree" module KDIR="/lib/modules/$rel/build" >"$work/log" 2>&1
rc=$?
msg="omr: layout mismatch in struct mptcp_subflow_context, field 'omr_test_pad'"
ok=1
[ $rc -ne 0 ] && grep -qF "$msg" "$work/log" && [ ! -e "$work/tree/omr.ko" ] && ok=0
[ $ok -eq 0 ] || sed 's/^/# /' "$work/log" | tail -n 15
grep -F "layout mismatch" "$work/log" | sed 's/^/# /'
echo "$([ $ok -eq 0 ] && echo ok || echo "not ok") 2 layout: a struct that differs from the kernel's BTF fails the build, names struct and field, leaves no omr.ko"
