#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verify that omr.ko was compiled with the target kernel's layout of every
# private MPTCP struct it uses.
#
#   scripts/check-layout.sh omr.ko KDIR
#
# The module's DWARF says how *we* laid the structs out (from the protocol.h
# that prepare-ksrc.sh found); the kernel's BTF says how the kernel did. Both
# are printed by pahole and compared member by member: name, offset, bit
# offset, size. On a mismatch the module is deleted, so that it can be neither
# loaded nor installed, and the build fails naming the struct and field.
set -euo pipefail

ko=$1
kdir=$2
structs="mptcp_sock mptcp_subflow_context mptcp_sched_ops mptcp_sched_data mptcp_pm_data"
rel=$(cat "$kdir/include/config/kernel.release")

btf=$kdir/vmlinux
if [ ! -f "$btf" ] && [ "$(uname -r)" = "$rel" ] && [ -f /sys/kernel/btf/vmlinux ]; then
	btf=/sys/kernel/btf/vmlinux
fi
[ -f "$btf" ] || {
	echo "omr: no BTF for $rel ($kdir/vmlinux missing): cannot verify struct layouts" >&2
	rm -f "$ko"
	exit 1
}
command -v pahole >/dev/null || { echo "omr: pahole (dwarves) is needed" >&2; rm -f "$ko"; exit 1; }

# One line per member: "name offset[:bit] size", nesting kept by order.
members() {
	# pahole 1.30 (trixie) exits 1 ("Invalid argument") on a module with
	# BTF although it printed the struct: judge by the output only.
	{ pahole "$@" 2>/dev/null || true; } | awk '
		/\/\*[ \t]*[0-9]+(:[ \t]*[0-9]+)?[ \t]+[0-9]+[ \t]*\*\// {
			decl = $0; sub(/;.*/, "", decl)
			sub(/[ \t]*__attribute__.*$/, "", decl)
			sub(/(\[[^]]*\])+$/, "", decl); sub(/:[0-9]+$/, "", decl)
			n = split(decl, w, /[^A-Za-z0-9_]+/); name = w[n]
			if (match(decl, /\(\*[A-Za-z0-9_]+\)/))
				name = substr(decl, RSTART + 2, RLENGTH - 3)
			c = $0; sub(/.*\/\*[ \t]*/, "", c); sub(/[ \t]*\*\/.*/, "", c)
			gsub(/:[ \t]+/, ":", c); split(c, f, /[ \t]+/)
			print name, f[1], f[2]
		}'
}

fail=0
for s in $structs; do
	have=$(members -F dwarf -C "$s" "$ko")
	# Not used by the module (e.g. mptcp_sched_data, gone with get_send).
	[ -n "$have" ] || continue
	want=$(members -F btf -C "$s" "$btf")
	[ -n "$want" ] || { echo "omr: struct $s is not in the kernel's BTF" >&2; fail=1; continue; }
	if [ "$want" != "$have" ]; then
		first=$(diff <(echo "$have") <(echo "$want") | sed -n "s/^< //p" | head -n 1 || true)
		field=${first%% *}
		kern=$(echo "$want" | awk -v f="$field" '$1 == f {print $2 " size " $3; exit}')
		echo "omr: layout mismatch in struct $s, field '$field': built as '${first#* }', kernel $rel has '${kern:-no such field}'" >&2
		fail=1
	fi
done
if [ $fail -ne 0 ]; then
	rm -f "$ko"
	echo "omr: $ko removed: its private MPTCP structs do not match kernel $rel" >&2
	exit 1
fi
echo "omr: struct layouts match the BTF of $rel ($structs)"
