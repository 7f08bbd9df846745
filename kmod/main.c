// SPDX-License-Identifier: GPL-2.0
/*
 * omr.ko: an MPTCP scheduler (and, later, path manager) for routers that
 * bond several WAN links, on stock distribution kernels.
 *
 * Load order: resolve the kernel functions MPTCP does not export (refuse to
 * load if one is missing), set up the per-connection table, register the
 * scheduler. A connection that uses the scheduler holds a reference on this
 * module (mptcp_init_sched() takes it), so rmmod is refused while any does.
 * Then the path manager (kmod/pm.c), which holds no module reference: its
 * connections and subflows belong to MPTCP, and after unload a namespace it
 * managed simply has no PM, like one whose PM daemon exited.
 * Last, the "omr" generic netlink family (kmod/genl.c), which configures and
 * shows the PM: registered once the PM's namespaces exist, unregistered
 * first, so that no command finds the PM half torn down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include "uapi/linux/omr.h"
#include "omr.h"
#include "pm.h"

static int __init omr_init(void)
{
	int ret;

	ret = omr_symbols_init();
	if (ret)
		return ret;

	ret = omr_conn_table_init();
	if (ret)
		return ret;

	ret = omr_sched_init();
	if (ret) {
		pr_err("cannot register MPTCP scheduler 'omr' (%d%s)\n", ret,
		       ret == -EEXIST ? ": a scheduler of that name exists" : "");
		goto err_sched;
	}

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

	pr_info("omr " OMR_VERSION ": MPTCP scheduler 'omr' registered, path manager ready\n");
	return 0;

err_genl:
	omr_pm_exit();
err_pm:
	omr_sched_exit();
err_sched:
	omr_conn_table_exit();
	return ret;
}

static void __exit omr_exit(void)
{
	/* First: its commands act on the PM. */
	omr_genl_exit();
	/* Then the PM: it reads the scheduler's per-connection state. */
	omr_pm_exit();
	omr_sched_exit();
	omr_conn_table_exit();
	pr_info("omr " OMR_VERSION ": unloaded\n");
}

module_init(omr_init);
module_exit(omr_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The omr authors");
MODULE_DESCRIPTION("MPTCP scheduler weighting subflows by RTT and loss");
MODULE_VERSION(OMR_VERSION);
MODULE_ALIAS_GENL_FAMILY(OMR_GENL_NAME);
