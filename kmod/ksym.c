// SPDX-License-Identifier: GPL-2.0
/*
 * Find kernel DATA that MPTCP does not export, without calling any
 * non-exported kernel function.
 *
 * omr.ko makes no indirect call into the kernel: on CPUs that enforce x86
 * IBT, Debian's kernels (CONFIG_X86_KERNEL_IBT=y) seal the ENDBR of every
 * function whose address is never taken, and an indirect call to one
 * faults. Everything omr needs that is not exported is data (the scheduler
 * list and its lock, the kernel's BTF), which it reads and writes itself
 * with the kernel's own locking; docs/architecture.md has the list.
 *
 * The lookup: register_kprobe() with .symbol_name resolves the name through
 * kallsyms inside the kernel (kprobe_lookup_name(), a direct call, not
 * ours), stores the address in kp.addr and only then refuses, with
 * -EINVAL, an address that is not kernel or module text (register_kprobe
 * -> _kprobe_addr -> p->addr = addr -> check_kprobe_address_safe,
 * kernel/kprobes.c, the same in 6.12 and 7.3). A registration that
 * succeeds names code: it is removed at once and refused. Each address is then verified:
 *  - it lies in the kernel's read-only data, data or bss (bounds found the
 *    same way: a text symbol that kprobes refuses, e.g. one on its
 *    blacklist, is caught here);
 *  - the exported sprint_symbol() prints it as exactly "name+0x0/SIZE"
 *    (x86's arch_adjust_kprobe_addr() adds 4 when the first 4 bytes look
 *    like ENDBR: that shows as "+0x4" and is refused), SIZE no smaller than
 *    what the caller will touch. kallsyms prints one name per address: the
 *    known aliases are listed below.
 * The module refuses to load (-ENOENT, one dmesg line naming the symbol)
 * when a symbol is missing or fails a check: omr never guesses an address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/string.h>
#include "omr.h"

/*
 * One more symbol to require at load, for testing the refusal paths on a
 * kernel that has everything: insmod omr.ko require_symbol=no_such_thing
 * (missing) or require_symbol=mptcp_register_scheduler (code, not data).
 */
static char *require_symbol;
module_param(require_symbol, charp, 0444);
MODULE_PARM_DESC(require_symbol, "Also require this kernel data symbol at load (testing)");

/* What omr resolved, listed (root only) by the "ksyms" parameter. */
#define OMR_KSYM_MAX	12
static struct omr_ksym {
	const char *name;
	unsigned long addr;
} omr_ksyms[OMR_KSYM_MAX];
static unsigned int omr_nksyms;

/* The kernel's data sections, [lo, hi) each: rodata to _edata, and bss. */
static unsigned long omr_data_lo, omr_data_hi, omr_bss_lo, omr_bss_hi;

/*
 * Symbols that share their address with another one that kallsyms sorts
 * first, so that sprint_symbol() prints the other name. The linker script
 * (include/asm-generic/vmlinux.lds.h, RO_DATA) places .BTF right after
 * .notes: __start_BTF == __stop_notes in 6.12 (7.3 pads between them).
 */
static const struct {
	const char *name;
	const char *alias;
} omr_ksym_aliases[] = {
	{ "__start_BTF", "__stop_notes" },
};

/* The address of @name as the kernel's kallsyms has it; 0 if unknown. */
static unsigned long omr_ksym_lookup(const char *name, bool *code)
{
	struct kprobe kp = { .symbol_name = name };
	int ret;

	*code = false;
	ret = register_kprobe(&kp);
	if (!ret) {
		unregister_kprobe(&kp);
		*code = true;
		return 0;
	}
	return ret == -EINVAL ? (unsigned long)kp.addr : 0;
}

static bool omr_ksym_named(const char *name, const char *printed)
{
	size_t i;

	if (!strcmp(name, printed))
		return true;
	for (i = 0; i < ARRAY_SIZE(omr_ksym_aliases); i++)
		if (!strcmp(name, omr_ksym_aliases[i].name) &&
		    !strcmp(printed, omr_ksym_aliases[i].alias))
			return true;
	return false;
}

/* Does sprint_symbol() print @addr as "@name+0x0/SIZE", SIZE >= @size? */
static bool omr_ksym_verify(const char *name, unsigned long addr, size_t size)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long off, len;
	char *plus;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus || strchr(plus, ' '))		/* no offset, or a module's */
		return false;
	*plus = '\0';
	if (sscanf(plus + 1, "%lx/%lx", &off, &len) != 2)
		return false;
	return off == 0 && len >= size && omr_ksym_named(name, buf);
}

static bool omr_ksym_in_data(unsigned long addr, size_t size)
{
	return (addr >= omr_data_lo && addr + size <= omr_data_hi) ||
	       (addr >= omr_bss_lo && addr + size <= omr_bss_hi);
}

/*
 * The address of the kernel data object @name, of which the caller will
 * touch @size bytes; NULL (and one dmesg line) if it is missing or is not
 * verifiably that object. This is the only way omr resolves a symbol, and
 * what it returns is data: never call through it (make lint checks).
 */
void *omr_ksym_data(const char *name, size_t size)
{
	unsigned long addr;
	bool code;

	addr = omr_ksym_lookup(name, &code);
	if (code) {
		pr_err("kernel symbol %s is code, not data: omr does not call kernel functions it resolved\n",
		       name);
		return NULL;
	}
	if (!addr) {
		pr_err("kernel symbol %s not found: this kernel's MPTCP lacks what omr needs\n",
		       name);
		return NULL;
	}
	if (!omr_ksym_in_data(addr, size) || !omr_ksym_verify(name, addr, size)) {
		pr_err("kernel symbol %s is not a data object of %zu bytes: not using it\n",
		       name, size);
		return NULL;
	}
	if (omr_nksyms < OMR_KSYM_MAX)
		omr_ksyms[omr_nksyms++] = (struct omr_ksym){ name, addr };
	return (void *)addr;
}

/* A section bound: a linker symbol, checked to be no code only. */
static unsigned long omr_ksym_bound(const char *name)
{
	unsigned long addr;
	bool code;

	addr = omr_ksym_lookup(name, &code);
	if (!addr)
		pr_err("kernel symbol %s not found: cannot tell the kernel's data from its code\n",
		       name);
	return addr;
}

int omr_ksym_init(void)
{
	omr_data_lo = omr_ksym_bound("__start_rodata");
	omr_data_hi = omr_ksym_bound("_edata");
	omr_bss_lo = omr_ksym_bound("__bss_start");
	omr_bss_hi = omr_ksym_bound("__bss_stop");
	if (!omr_data_lo || !omr_data_hi || !omr_bss_lo || !omr_bss_hi)
		return -ENOENT;
	if (require_symbol && !omr_ksym_data(require_symbol, 0))
		return -ENOENT;
	return 0;
}

static int omr_ksyms_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < omr_nksyms; i++)
		len += sysfs_emit_at(buf, len, "%s %016lx\n", omr_ksyms[i].name,
				     omr_ksyms[i].addr);
	return len;
}

static const struct kernel_param_ops omr_ksyms_ops = {
	.get = omr_ksyms_get,
};

/* Root only, as /proc/kallsyms' addresses are. */
module_param_cb(ksyms, &omr_ksyms_ops, NULL, 0400);
MODULE_PARM_DESC(ksyms, "Kernel data omr resolved: name and address (read-only)");
