#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verify that omr.ko was compiled with the target kernel's layout of every
# private MPTCP struct it uses.
#
#   scripts/check-layout.sh omr.ko KDIR GENDIR
#
# The module's DWARF says how *we* laid the structs out (from the protocol.h
# that prepare-ksrc.sh copied into GENDIR); the kernel's BTF says how the
# kernel did. Both are printed by pahole and compared member by member: name,
# offset, bit offset, size and type (as pahole prints it, nested anonymous
# structs and unions included).
#
# Which structs are compared is known, not inferred from pahole's output:
#   - always mptcp_sock, mptcp_subflow_context, mptcp_sched_ops and
#     mptcp_pm_data, and mptcp_sched_data unless GENDIR/omr_features.h
#     defines OMR_HAVE_SCHED_GET_SEND (the ops without it take one);
#     each must be in the module's DWARF and in the kernel's BTF;
#   - besides, every struct that GENDIR/mptcp/{protocol,mib}.h defines and
#     the module's DWARF carries (e.g. mptcp_data_frag, through inline
#     helpers); it must be in the kernel's BTF.
# The check fails closed: a pahole failure, a BTF pahole cannot read, a
# struct missing on either side or a member that differs deletes the module,
# so that it can be neither loaded nor installed, and fails the build with
# one line saying why.
set -euo pipefail

ko=$1
kdir=$2
gen=$3
rel=$(cat "$kdir/include/config/kernel.release")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

refuse() {
	echo "omr: $*" >&2
	rm -f "$ko"
	echo "omr: $ko removed: its private MPTCP structs could not be verified against kernel $rel" >&2
	exit 1
}

[ -f "$ko" ] || { echo "omr: $ko was not built" >&2; exit 1; }
feat=$gen/omr_features.h
[ -f "$feat" ] || refuse "$feat is missing (scripts/prepare-ksrc.sh writes it)"
btf=$kdir/vmlinux
if [ ! -f "$btf" ] && [ "$(uname -r)" = "$rel" ] && [ -f /sys/kernel/btf/vmlinux ]; then
	btf=/sys/kernel/btf/vmlinux
fi
[ -f "$btf" ] || refuse "no BTF for $rel ($kdir/vmlinux missing): cannot verify struct layouts"
command -v pahole >/dev/null || refuse "pahole (dwarves) is needed"

expected="mptcp_sock mptcp_subflow_context mptcp_sched_ops mptcp_pm_data"
grep -q '^#define OMR_HAVE_SCHED_GET_SEND ' "$feat" || expected="$expected mptcp_sched_data"
private=$(cat "$gen/mptcp/protocol.h" "$gen/mptcp/mib.h" 2>/dev/null |
	sed -n 's/^struct \([A-Za-z0-9_]*\) {.*/\1/p' | sort -u)
[ -n "$private" ] || refuse "no struct in $gen/mptcp/protocol.h (scripts/prepare-ksrc.sh copies it)"

# pahole_struct FORMAT STRUCT FILE: pahole's view of STRUCT in FILE on stdout, empty
# if FILE has no such struct; any pahole failure refuses the module. One
# failure is pahole's own and is told apart exactly: pahole 1.30 (trixie)
# stops reading DWARF once it has found every struct asked for, and then
# exits 1 with just "pahole: FILE: Invalid argument" although it printed
# the whole struct; that, with the struct printed to its closing line, is
# taken as success.
pahole_struct() {
	local rc=0
	pahole -F "$1" -C "$2" "$3" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ $rc -eq 1 ] && [ "$1" = dwarf ] &&
		[ "$(cat "$tmp/err")" = "pahole: $3: Invalid argument" ] &&
		grep -q "^struct $2 {" "$tmp/out" && grep -q '^}.*;$' "$tmp/out"; then
		rc=0
	fi
	[ $rc -eq 0 ] ||
		refuse "pahole -F $1 -C $2 $3 failed (exit $rc): $(head -n 1 "$tmp/err")"
	grep -q "^struct $2 {" "$tmp/out" || return 0
	cat "$tmp/out"
}

# members: pahole's struct on stdin as one line per member,
# "name<TAB>offset[:bit]<TAB>size<TAB>type", in order. The type is the
# declaration without the name, blanks collapsed, attributes (alignment,
# which BTF does not carry) dropped: "u32:1" (bitfield), "struct sock *",
# "char [16]", "int (*)(struct mptcp_sock *)". An anonymous struct or union
# gives a line "{<TAB><TAB><TAB>union" where it opens and one named for its
# member (or "(anonymous)") with type "union }" where it closes.
members() {
	awk -F'\t' '
	function norm(s) {
		gsub(/__attribute__\(\([^()]*(\([^()]*\))*[^()]*\)\)/, "", s)
		gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
		return s
	}
	NR == 1 { next }
	/^[ \t]+(struct|union) \{$/ {
		k = $0; gsub(/[ \t{]/, "", k); kind[++depth] = k
		print "{\t\t\t" k; next
	}
	/\/\*[ \t]*[0-9]+(:[ \t]*[0-9]+)?[ \t]+[0-9]+[ \t]*\*\// {
		decl = $0; sub(/;[ \t]*\/\*.*/, "", decl); decl = norm(decl)
		c = $0; sub(/.*\/\*[ \t]*/, "", c); sub(/[ \t]*\*\/.*/, "", c)
		gsub(/:[ \t]+/, ":", c); split(c, f, /[ \t]+/)
		if (decl ~ /^}/) {
			name = norm(substr(decl, 2))
			type = kind[depth--] " }"
		} else if (match(decl, /\(\*[A-Za-z0-9_]+\)/)) {
			name = substr(decl, RSTART + 2, RLENGTH - 3)
			type = substr(decl, 1, RSTART - 1) "(*)" substr(decl, RSTART + RLENGTH)
		} else {
			bits = ""; dims = ""
			if (match(decl, /:[0-9]+$/)) {
				bits = substr(decl, RSTART); decl = substr(decl, 1, RSTART - 1)
			}
			if (match(decl, /(\[[^]]*\])+$/)) {
				dims = substr(decl, RSTART); decl = substr(decl, 1, RSTART - 1)
			}
			match(decl, /[A-Za-z0-9_]+$/)
			name = substr(decl, RSTART)
			type = norm(substr(decl, 1, RSTART - 1))
			type = type (dims == "" ? "" : " " dims) bits
		}
		print (name == "" ? "(anonymous)" : name) "\t" f[1] "\t" f[2] "\t" type
	}'
}

# what FIELD LIST: "TYPE at OFFSET size SIZE" of FIELD's first line in LIST.
what() {
	awk -F'\t' -v f="$1" '$1 == f { print $4 " at " $2 " size " $3; found = 1; exit }
		END { if (!found) print "no such field" }' <<<"$2"
}

fail=0
checked=
others=$(grep -vxF -f <(tr ' ' '\n' <<<"$expected") <<<"$private" || true)
for s in $expected $others; do
	pahole_struct dwarf "$s" "$ko" >"$tmp/have.txt"
	if [ ! -s "$tmp/have.txt" ]; then
		case " $expected " in
		*" $s "*) refuse "struct $s is not in the DWARF of $ko (built without debug info?): cannot verify it" ;;
		esac
		continue	# a private struct the module does not carry
	fi
	pahole_struct btf "$s" "$btf" >"$tmp/want.txt"
	[ -s "$tmp/want.txt" ] ||
		refuse "struct $s, used by the module, is not in the BTF of kernel $rel ($btf)"
	have=$(members <"$tmp/have.txt")
	want=$(members <"$tmp/want.txt")
	if [ -z "$have" ] || [ -z "$want" ]; then
		refuse "pahole printed struct $s without members"
	fi
	checked="$checked $s"
	[ "$want" != "$have" ] || continue
	first=$(diff <(echo "$have") <(echo "$want") | sed -n 's/^[<>] //p' | head -n 1 || true)
	field=${first%%$'\t'*}
	echo "omr: layout mismatch in struct $s, field '$field': built as '$(what "$field" "$have")', kernel $rel has '$(what "$field" "$want")'" >&2
	fail=1
done
if [ $fail -ne 0 ]; then
	rm -f "$ko"
	echo "omr: $ko removed: its private MPTCP structs do not match kernel $rel" >&2
	exit 1
fi
echo "omr: struct layouts and member types match the BTF of $rel ($checked )"
