// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters.
 *
 * The scheduler's tunables are global (one set for every namespace, as the
 * scheduler is): OMR_CMD_GET_SCHED / OMR_CMD_SET_SCHED (genl.c) read and
 * write them here, and so does /sys/module/omr/parameters/; both go through
 * the same range check, into the same variable, so there is one value and
 * no second copy to disagree with it. Writes take effect at the next
 * scheduling decision.
 *
 * The path manager's are only the load-time defaults of each new
 * namespace's settings (struct omr_pm_net.cfg), read-only (0444) once
 * loaded: at run time OMR_CMD_SET_PM is the one way to change them, per
 * namespace.
 *
 * Each is range-checked: a bad value is refused with -EINVAL and a message
 * naming the parameter and its range, and changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include "omr.h"
#include "pm.h"

struct omr_param {
	unsigned int val;
	unsigned int min;
	unsigned int max;
};

static int omr_param_set(const char *s, const struct kernel_param *kp)
{
	struct omr_param *p = kp->arg;
	unsigned int v;

	if (kstrtouint(s, 0, &v) || v < p->min || v > p->max) {
		pr_warn("parameter %s: '%.*s' is not a number in [%u, %u]\n",
			kp->name, (int)strcspn(s, "\n"), s, p->min, p->max);
		return -EINVAL;
	}
	WRITE_ONCE(p->val, v);
	return 0;
}

static int omr_param_get(char *buf, const struct kernel_param *kp)
{
	const struct omr_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops omr_param_ops = {
	.set = omr_param_set,
	.get = omr_param_get,
};

/*
 * MODULE_INFO(parm, "name:desc") is what MODULE_PARM_DESC(name, desc)
 * expands to; spelled out, the macro names the parameter only once outside
 * # and ## (checkpatch's MACRO_ARG_REUSE).
 */
#define OMR_PARAM_PERM(name, dflt, lo, hi, perm, desc)			\
	static struct omr_param omr_##name = { dflt, lo, hi };		\
	module_param_cb(name, &omr_param_ops, &omr_##name, perm);	\
	MODULE_INFO(parm, #name ":" desc				\
		    " [" #lo ".." #hi ", default " #dflt "]")
#define OMR_PARAM(name, dflt, lo, hi, desc) \
	OMR_PARAM_PERM(name, dflt, lo, hi, 0644, desc)
/* The PM's: load-time defaults of new namespaces, read-only afterwards. */
#define OMR_PM_PARAM(name, dflt, lo, hi, desc) \
	OMR_PARAM_PERM(name, dflt, lo, hi, 0444, desc)

OMR_PARAM(loss_penalty, 100, 0, 1000,
	  "Percent of a loss-recovery time (srtt + 4 rttvar) charged per expected loss");
OMR_PARAM(loss_gain, 64, 1, 256,
	  "Weight of a new loss sample in the smoothed loss rate, in 1/256");
OMR_PARAM(rtt_unknown_us, 100000, 1000, 10000000,
	  "RTT assumed for subflows when none has an RTT sample yet, in us");
OMR_PARAM(burst, 65428, 1448, 1048576,
	  "Bytes handed to a subflow per scheduling decision");

void omr_tunables_get(struct omr_tunables *t)
{
	t->loss_penalty = READ_ONCE(omr_loss_penalty.val);
	t->loss_gain = READ_ONCE(omr_loss_gain.val);
	t->rtt_unknown_us = READ_ONCE(omr_rtt_unknown_us.val);
	t->burst = READ_ONCE(omr_burst.val);
}

/*
 * OMR_CMD_SET_SCHED: @t's fields other than U32_MAX (not given) are set.
 * The caller checked every range (the genl policy has the same bounds as
 * the parameters), so nothing here can fail half-way.
 */
void omr_tunables_set(const struct omr_tunables *t)
{
	if (t->loss_penalty != U32_MAX)
		WRITE_ONCE(omr_loss_penalty.val, t->loss_penalty);
	if (t->loss_gain != U32_MAX)
		WRITE_ONCE(omr_loss_gain.val, t->loss_gain);
	if (t->rtt_unknown_us != U32_MAX)
		WRITE_ONCE(omr_rtt_unknown_us.val, t->rtt_unknown_us);
	if (t->burst != U32_MAX)
		WRITE_ONCE(omr_burst.val, t->burst);
}

/*
 * The path manager's defaults. Cross-constraints (lo < hi, fail >= stall,
 * backoff min <= max) are enforced on them when a namespace takes them.
 */
OMR_PM_PARAM(pm_tick_ms, 100, 20, 1000,
	     "Path manager: how often subflow health is checked, in ms");
OMR_PM_PARAM(pm_stall_ms, 500, 100, 10000,
	     "Path manager: no ACK for this long with data in flight demotes a path, in ms");
OMR_PM_PARAM(pm_fail_ms, 1000, 200, 60000,
	     "Path manager: a subflow stalled this long is removed and re-joined, in ms");
OMR_PM_PARAM(pm_hold_ms, 3000, 100, 60000,
	     "Path manager: a demoted path is promoted after this long healthy, in ms");
OMR_PM_PARAM(pm_loss_hi, 150, 1, 1000,
	     "Path manager: loss rate that demotes a path, in 1/1000");
OMR_PM_PARAM(pm_loss_lo, 30, 0, 1000,
	     "Path manager: loss rate under which a demoted path may be promoted, in 1/1000");
OMR_PM_PARAM(pm_rtt_hi_ms, 0, 0, 60000,
	     "Path manager: smoothed RTT that demotes a path, in ms (0: off; promotion under 3/4 of it)");
OMR_PM_PARAM(pm_backoff_min_ms, 200, 10, 60000,
	     "Path manager: first retry delay after a subflow is lost, in ms");
OMR_PM_PARAM(pm_backoff_max_ms, 10000, 100, 600000,
	     "Path manager: longest retry delay, in ms");
OMR_PM_PARAM(pm_join_timeout_ms, 3000, 500, 60000,
	     "Path manager: a join not established after this long is retried, in ms");

void omr_pm_tunables_defaults(struct omr_pm_tunables *t)
{
	t->tick_ms = READ_ONCE(omr_pm_tick_ms.val);
	t->stall_ms = READ_ONCE(omr_pm_stall_ms.val);
	t->fail_ms = max(READ_ONCE(omr_pm_fail_ms.val), t->stall_ms);
	t->hold_ms = READ_ONCE(omr_pm_hold_ms.val);
	t->loss_hi = READ_ONCE(omr_pm_loss_hi.val);
	t->rtt_hi_ms = READ_ONCE(omr_pm_rtt_hi_ms.val);
	t->loss_lo = min(READ_ONCE(omr_pm_loss_lo.val), t->loss_hi - 1);
	t->backoff_min_ms = READ_ONCE(omr_pm_backoff_min_ms.val);
	t->backoff_max_ms = max(READ_ONCE(omr_pm_backoff_max_ms.val),
				t->backoff_min_ms);
	t->join_timeout_ms = READ_ONCE(omr_pm_join_timeout_ms.val);
}
