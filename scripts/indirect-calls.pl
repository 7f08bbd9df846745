#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# Check a built omr.ko for calls into the kernel that could fault on an IBT
# CPU (docs/architecture.md, "How omr reaches MPTCP"):
#
#   scripts/indirect-calls.pl omr.ko KDIR/Module.symvers
#
# 1. Every undefined symbol of the module is exported by the target kernel
#    (in its Module.symvers): a direct call or reference goes only to what
#    is exported, and exported functions keep their ENDBR.
# 2. Every indirect call or jump (call/jmp *..., or a retpoline/ITS thunk
#    __x86_indirect_*thunk_REG) takes its target from where the kernel put a
#    function pointer, never from an address omr resolved. From the call,
#    the target register is traced backwards through register moves, along
#    every path (fall-through and jumps), to where it was loaded:
#      allowed  a load from a kernel object's field (mem(%reg), e.g.
#               sk->sk_prot->..., sock->ops->...: the kernel stored it, so
#               its function was address-taken and keeps its ENDBR); a
#               memory-indirect call or load through an exported symbol
#               (pv_ops); lea of a function of omr's or an exported one;
#      refused  a load from omr's own variables (a RIP-relative load of a
#               symbol that is not exported: where a resolved address would
#               be kept) or from the stack (a local omr kept), the return
#               value of a call (fn = lookup(); fn()), or anything else the
#               trace cannot explain (fail closed).
# Prints one line per finding, "omr.ko: FUNCTION+OFF: why"; exits 1 if any.
# A pointer chased through a struct omr itself passed in is not told apart
# from a kernel object's: the source check in scripts/lint.sh (only one
# resolver, returning data; no cast to a function type) covers that.
use strict;
use warnings;

my ($ko, $symvers) = @ARGV;
die "usage: $0 omr.ko Module.symvers\n" unless $ko && $symvers;

my %exported;
open(my $sv, '<', $symvers) or die "$symvers: $!\n";
while (<$sv>) {
	my @f = split /\t/;
	$exported{$f[1]} = 1 if @f > 2;
}
close($sv);

my @findings;

# 1. undefined symbols
open(my $nm, '-|', 'nm', '-u', $ko) or die "nm: $!\n";
while (<$nm>) {
	my ($sym) = /^\s*U\s+(\S+)/ or next;
	push @findings, "undefined symbol $sym is not exported by the target kernel"
		unless $exported{$sym};
}
close($nm);

# 2. indirect calls: disassemble, one record per instruction, keyed by
# section and address; relocations attach to the instruction before them.
my (%defined, @ins, %at, %from);
open(my $od, '-|', 'objdump', '-dr', '--no-show-raw-insn', $ko)
	or die "objdump: $!\n";
my ($sec, $fn) = ('', '');
while (<$od>) {
	if (/^Disassembly of section (\S+):/) {
		$sec = $1;
	} elsif (/^[0-9a-f]+ <([^>]+)>:/) {
		$fn = $1;
		$defined{$fn} = 1;
	} elsif (/^\s+([0-9a-f]+):\s+R_X86_64_\w+\s+(\S+)/ && @ins) {
		(my $s = $2) =~ s/[+-]0x[0-9a-f]+$//;
		$ins[-1]{reloc} = $s;
	} elsif (/^\s+([0-9a-f]+):\s+(.*?)\s*$/) {
		my ($addr, $text) = (hex($1), $2);
		$text =~ s/\s+#.*//;
		$text =~ s/^((cs|ds|notrack|bnd)\s+)+//;	# prefixes
		my %i = (sec => $sec, fn => $fn, addr => $addr, text => $text,
			 idx => scalar @ins);
		push @ins, \%i;
		$at{"$sec:$addr"} = $i{idx};
		push @{$from{"$sec:" . hex($1)}}, $i{idx}
			if $text =~ /^j\w*\s+([0-9a-f]+)\s+</;
	}
}
close($od);

sub unconditional {
	my ($t) = @_;
	return $t =~ /^(jmp|ret|ud2|int3)\b/;
}

# The instructions that can run just before instruction $k.
sub preds {
	my ($k) = @_;
	my $i = $ins[$k];
	my @p = @{$from{"$i->{sec}:$i->{addr}"} || []};
	push @p, $k - 1 if $k > 0 && $ins[$k - 1]{fn} eq $i->{fn} &&
		$ins[$k - 1]{sec} eq $i->{sec} && !unconditional($ins[$k - 1]{text});
	return @p;
}

my %caller_saved = map { $_ => 1 } qw(rax rcx rdx rsi rdi r8 r9 r10 r11);

sub reg64 {
	my ($r) = @_;
	$r =~ s/^e(..)$/r$1/;
	$r =~ s/^(r\d+)d$/$1/;
	return $r;
}

# Where does register $r, needed before instruction $k, come from?
# Returns undef if every origin is allowed, else the reason it is not.
sub origin {
	my ($r, $k, $seen) = @_;
	return undef if $seen->{"$r:$k"}++;
	my @p = preds($k);
	return "target %$r of unknown origin (function entry)" unless @p;
	for my $q (@p) {
		my $why = def($r, $q, $seen);
		return $why if defined $why;
	}
	return undef;
}

sub def {
	my ($r, $q, $seen) = @_;
	my $i = $ins[$q];
	my $t = $i->{text};
	if ($t =~ /^call\b/) {
		return "target %$r is the return value of a call" if $r eq 'rax';
		return "target %$r is clobbered by a call" if $caller_saved{$r};
		return origin($r, $q, $seen);
	}
	my ($op, $src, $dst) = $t =~ /^(\w+)\s+(.*),%(\w+)$/;
	return origin($r, $q, $seen) unless $dst && reg64($dst) eq $r &&
		$op !~ /^(cmp|test|bt)/;
	if ($op =~ /^mov/ && $src =~ /^%(\w+)$/) {
		return origin(reg64($1), $q, $seen);
	}
	if ($op =~ /^mov/ && $src =~ /\(%rip\)/) {
		my $s = $i->{reloc} // '?';
		return undef if $exported{$s};
		return "target %$r loaded from omr's own variable $s";
	}
	return "target %$r loaded from the stack (a local omr kept)"
		if $src =~ /\(%(rsp|rbp)\b/;
	return undef if $op =~ /^mov/ && $src =~ /\(%\w+/;
	if ($op =~ /^lea/ && $src =~ /\(%rip\)/) {
		my $s = $i->{reloc} // '?';
		return undef if $exported{$s} || $defined{$s};
		return "target %$r is the address of $s, not exported";
	}
	return "target %$r set by '$t'";
}

for my $k (0 .. $#ins) {
	my $i = $ins[$k];
	my $t = $i->{text};
	next unless $t =~ /^(call|jmp)\b/;
	my $why;
	if ($t =~ /^\w+\s+\*%(\w+)$/) {
		$why = origin(reg64($1), $k, {});
	} elsif ($t =~ /^\w+\s+\*.*\(%rip\)/) {
		my $s = $i->{reloc} // '?';
		$why = "calls through omr's own variable $s" unless $exported{$s};
	} elsif ($t =~ /^\w+\s+\*/) {
		$why = undef;	# through a kernel object's field
	} elsif (($i->{reloc} // '') =~ /^__x86_indirect\w*thunk_(\w+)$/) {
		$why = origin($1, $k, {});
	}
	push @findings, sprintf("%s+0x%x: %s: %s", $i->{fn}, $i->{addr}, $t, $why)
		if defined $why;
}

print "$ko: $_\n" for @findings;
exit(@findings ? 1 : 0);
