# SPDX-License-Identifier: GPL-2.0
#
# Reads a kernel log; prints it without the reports ("cut here" ... "end
# trace") of known bugs of the kernel under test or of QEMU, not omr's, which
# it appends whole to the file named by -v known= (if any). Used by vm.sh on
# a VM's whole log and by the selftests' klog_splats (lib.sh) on theirs, so a
# test and the VM stage judge a report alike. -v rel= is the kernel release.
# docs/testing.md, "Known kernel (and emulator) bugs", has the evidence.
#
#  1. Debian's 6.12.y since 6.12.92 backported upstream 50c2d91c5dfa
#     ("mptcp: do not drop partial packets") with skb_set_owner_r() where
#     6.12 needs mptcp_set_owner_r() (net/mptcp/protocol.c, the
#     partial-packet branch of __mptcp_move_skb): an MPTCP socket that
#     received a partial packet ends with sk_forward_alloc < 0, WARN_ON_ONCE
#     at af_inet.c:156 in inet_sock_destruct, reached from
#     subflow_ulp_release. Matched on 6.12.* only, by that line and caller.
#
#  2. QEMU TCG's stray single-step: a #DB with TF set in kernel mode, the
#     WARN_ON_ONCE(dr6 & DR_STEP) of exc_debug_kernel. Nothing in the guest
#     kernel sets TF in kernel mode (x86 kprobes single-step with int3 since
#     5.11; the kernels under test have no KGDB; mmiotrace is never enabled;
#     SYSENTER with a user's TF is cleared before that WARN) and omr.ko has
#     no instruction that loads EFLAGS (lint.sh check 4), so a kernel-mode TF
#     comes from the emulator: a frame EFLAGS it computed wrong, as in the
#     first one seen (82203342: reserved bit 31 and IOPL 3 set too).
#     Matched by that WARN and the interrupted frame: kernel mode (RIP:
#     0010:) with TF (EFLAGS bit 8) set.

# Is TF set in the hex EFLAGS h ("00000346")? Bit 8 is the third digit from
# the right; mawk has no strtonum().
function tf_set(h) {
	return length(h) >= 3 && substr(h, length(h) - 2, 1) ~ /[13579bdfBDF]/
}

function known_bug(blk,    n, i, lines, indb, rip0, m) {
	if (rel ~ /^6\.12\./ &&
	    blk ~ /WARNING: .* at net\/ipv4\/af_inet\.c:156 inet_sock_destruct/ &&
	    blk ~ /subflow_ulp_release/)
		return 1
	if (blk !~ /WARNING: .* at arch\/x86\/kernel\/traps\.c:[0-9]+ exc_debug_kernel/)
		return 0
	# The interrupted frame is the register dump inside <#DB> ... </#DB>.
	n = split(blk, lines, "\n")
	for (i = 1; i <= n; i++) {
		if (lines[i] ~ /<#DB>/)
			indb = 1
		else if (lines[i] ~ /<\/#DB>/)
			indb = 0
		else if (indb && lines[i] ~ /RIP: 0010:/)
			rip0 = 1
		else if (indb && rip0 && match(lines[i], /EFLAGS: [0-9a-fA-F]+/)) {
			m = substr(lines[i], RSTART + 8, RLENGTH - 8)
			if (tf_set(m))
				return 1
		}
	}
	return 0
}

/-+\[ cut here \]-+/ { inblk = 1; blk = $0 "\n"; next }
inblk {
	blk = blk $0 "\n"
	if ($0 ~ /---\[ end trace/) {
		inblk = 0
		if (known_bug(blk)) {
			if (known != "")
				printf "%s", blk >>known
		} else
			printf "%s", blk
	}
	next
}
{ print }
END { if (inblk) printf "%s", blk }
