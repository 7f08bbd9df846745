// SPDX-License-Identifier: GPL-2.0
/*
 * Resolve the MPTCP functions omr needs but the kernel does not export.
 *
 * kallsyms_lookup_name() itself is not exported since 5.7; a kprobe on it
 * tells its address. Every symbol is resolved once, at load, and the module
 * refuses to load (-ENOENT, one dmesg line naming the symbol) when one is
 * missing: omr never guesses an address.
 *
 * With x86 IBT the kernel seals functions whose address is never taken: their
 * ENDBR is overwritten at boot and an indirect call to them faults. Calling
 * such a function through a pointer would oops, so a resolved function must
 * start with ENDBR when IBT is enforced, or the load is refused with a
 * message that says why (booting with ibt=off lifts it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include "omr.h"

#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#include <asm/cpufeature.h>
#endif

struct omr_kernel_api omr_api;

/*
 * One more symbol to require at load, for testing the refusal path on a
 * kernel that has everything: insmod omr.ko require_symbol=no_such_thing.
 */
static char *require_symbol;
module_param(require_symbol, charp, 0444);
MODULE_PARM_DESC(require_symbol, "Also require this kernel symbol at load (testing)");

struct omr_symbol {
	const char *name;
	void **addr;
};

#define OMR_SYM(field, sym) { #sym, (void **)&omr_api.field }

static const struct omr_symbol omr_symbols[] = {
	OMR_SYM(register_scheduler, mptcp_register_scheduler),
	OMR_SYM(unregister_scheduler, mptcp_unregister_scheduler),
#if OMR_SCHED_DRIVES_STALE	/* see compat.h */
	OMR_SYM(pm_subflow_chk_stale, mptcp_pm_subflow_chk_stale),
#endif
};

/* Can this kernel function be called through a pointer? */
static bool omr_callable(const char *name, unsigned long addr)
{
#ifdef CONFIG_X86_KERNEL_IBT
	u32 insn;

	if (!cpu_feature_enabled(X86_FEATURE_IBT))
		return true;
	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return false;
	if (!omr_is_endbr(insn)) {
		pr_err("kernel function %s is sealed by IBT and cannot be called from a module; boot with ibt=off to use omr\n",
		       name);
		return false;
	}
#endif
	return true;
}

static unsigned long (*omr_find_kallsyms(void))(const char *)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return NULL;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	if (!addr || !omr_callable("kallsyms_lookup_name", addr))
		return NULL;
	return (unsigned long (*)(const char *))addr;
}

int omr_symbols_init(void)
{
	unsigned long (*lookup)(const char *name);
	unsigned long addr;
	size_t i;

	lookup = omr_find_kallsyms();
	if (!lookup) {
		pr_err("cannot resolve kallsyms_lookup_name (needs CONFIG_KPROBES and CONFIG_KALLSYMS)\n");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(omr_symbols); i++) {
		addr = lookup(omr_symbols[i].name);
		if (!addr) {
			pr_err("kernel symbol %s not found: this kernel's MPTCP lacks what omr needs\n",
			       omr_symbols[i].name);
			return -ENOENT;
		}
		if (!omr_callable(omr_symbols[i].name, addr))
			return -ENOENT;
		*omr_symbols[i].addr = (void *)addr;
	}
	if (require_symbol && !lookup(require_symbol)) {
		pr_err("kernel symbol %s not found: this kernel's MPTCP lacks what omr needs\n",
		       require_symbol);
		return -ENOENT;
	}
	return 0;
}
