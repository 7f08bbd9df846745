// SPDX-License-Identifier: GPL-2.0
/*
 * omr.ko: an MPTCP scheduler and path manager for routers that bond
 * several WAN links, on stock distribution kernels.
 *
 * Load order, each step undone in reverse if a later one fails:
 *  1. find the kernel data omr needs (ksym.c): the bounds of the kernel's
 *     data, and check that this is the kernel omr.ko was built and checked
 *     against (kernel_id.c, its BTF); then the scheduler list and its lock
 *     (sched.c). Nothing is published yet: a refusal leaves no trace.
 *  2. the per-connection table (conn.c), which the scheduler's init and
 *     release ops, the PM and genl all use;
 *  3. the path manager (pm.c), which holds no module reference: its
 *     connections and subflows belong to MPTCP, and after unload a
 *     namespace it managed simply has no PM, like one whose PM daemon
 *     exited;
 *  4. the "omr" generic netlink family (genl.c), which configures and shows
 *     the PM: registered once the PM's namespaces exist;
 *  5. LAST, the scheduler: from then on a namespace whose
 *     net.mptcp.scheduler says omr may hold &omr_sched_ops, so nothing may
 *     fail after it (the module would be freed under such a connection).
 *
 * Unload, in reverse: the scheduler FIRST. rmmod gets here only when no
 * connection uses omr (each holds a module reference, mptcp_init_sched()
 * takes it); once the ops are off the list and RCU readers are done, none
 * can start to. The PM and genl read the scheduler's per-connection state
 * (omr_sched_is_ours(), omr_conn_lookup()) only for connections that use
 * omr: before step 5 and after unregistering there are none, and the table
 * they would read lives from step 2 to the very end. Then genl (its
 * commands act on the PM), the PM, the table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include "uapi/linux/omr.h"
#include "omr.h"
#include "pm.h"

/* Step 1: nothing to undo. */
static int omr_resolve(void)
{
	int ret;

	ret = omr_ksym_init();
	if (ret)
		return ret;
	ret = omr_kernel_id_check();
	if (ret)
		return ret;
	return omr_sched_resolve();
}

static int __init omr_start(void)
{
	int ret;

	ret = omr_resolve();
	if (ret)
		return ret;

	ret = omr_conn_table_init();
	if (ret)
		return ret;

	ret = omr_pm_init();
	if (ret) {
		pr_err("cannot set up the path manager (%d)\n", ret);
		goto err_pm;
	}

	ret = omr_genl_init();
	if (ret) {
		pr_err("cannot register the generic netlink family '%s' (%d)\n",
		       OMR_GENL_NAME, ret);
		goto err_genl;
	}

	ret = omr_sched_register();
	if (ret) {
		pr_err("cannot register MPTCP scheduler 'omr' (%d%s)\n", ret,
		       ret == -EEXIST ? ": a scheduler of that name exists" :
		       ret == -ENOENT ? ": mptcp_sched_list lacks MPTCP's default scheduler" : "");
		goto err_sched;
	}

	pr_info("omr " OMR_VERSION ": MPTCP scheduler 'omr' registered, path manager ready\n");
	return 0;

err_sched:
	omr_genl_exit();
err_genl:
	omr_pm_exit();
err_pm:
	omr_conn_table_exit();
	return ret;
}

/* A failed load frees what the parameters given to it allocated. */
static int __init omr_init(void)
{
	int ret;

	omr_tunables_live();
	ret = omr_start();

	if (ret)
		omr_tunables_exit();
	return ret;
}

static void __exit omr_exit(void)
{
	omr_sched_unregister();
	omr_genl_exit();
	omr_pm_exit();
	omr_conn_table_exit();
	omr_tunables_exit();
	pr_info("omr " OMR_VERSION ": unloaded\n");
}

module_init(omr_init);
module_exit(omr_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The omr authors");
MODULE_DESCRIPTION("MPTCP scheduler weighting subflows by RTT and loss");
MODULE_VERSION(OMR_VERSION);
MODULE_ALIAS_GENL_FAMILY(OMR_GENL_NAME);
