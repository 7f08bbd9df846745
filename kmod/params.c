// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, and the scheduler's tunables.
 *
 * The scheduler's tunables are global (one set for every namespace, as the
 * scheduler is) and are published as one struct behind an RCU pointer: a
 * change (OMR_CMD_SET_SCHED, genl.c, or a write to
 * /sys/module/omr/parameters/) copies the current set, changes the copy and
 * swaps the pointer, and the scheduler copies the set once per decision
 * (omr_tunables_get()). So a decision sees every value of one request or
 * none, never half of a multi-key `sched set`. The module parameters read
 * and write that same set, through the same ranges (the spec's constants,
 * uapi/linux/omr.h): one value, no second copy to disagree with it.
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
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include "uapi/linux/omr.h"
#include "omr.h"
#include "pm.h"

/* ---- The scheduler's tunables ----------------------------------------- */

struct omr_tun_set {
	struct omr_tunables t;
	struct rcu_head rcu;
};

#define OMR_LOSS_PENALTY_DEFAULT	100
#define OMR_LOSS_GAIN_DEFAULT		64
#define OMR_RTT_UNKNOWN_US_DEFAULT	100000
#define OMR_BURST_DEFAULT		65428

/*
 * The set in force before the first change, static: module parameters given
 * at load are set before omr_init() runs, and never freed. Every later set
 * is kmalloc'ed and freed by kfree_rcu() once replaced.
 */
static struct omr_tun_set omr_tun_boot = {
	.t = {
		.loss_penalty = OMR_LOSS_PENALTY_DEFAULT,
		.loss_gain = OMR_LOSS_GAIN_DEFAULT,
		.rtt_unknown_us = OMR_RTT_UNKNOWN_US_DEFAULT,
		.burst = OMR_BURST_DEFAULT,
	},
};

static struct omr_tun_set __rcu *omr_tun = RCU_INITIALIZER(&omr_tun_boot);
/* Serialises writers (copy, change, swap); readers take no lock. */
static DEFINE_MUTEX(omr_tun_lock);
/*
 * omr_tun_live: set by omr_init() (omr_tunables_live()); before it, nothing
 * reads the set (the scheduler and the genl family are not registered, the
 * parameters' sysfs files do not exist), and insmod's parameters are written
 * into the boot set in place: a load that fails on a later parameter, before
 * any init or exit runs, leaves nothing allocated.
 * omr_tun_gone: set by omr_tunables_exit(): later writes are refused.
 */
static bool omr_tun_live;
static bool omr_tun_gone;

/* One consistent copy of the set in force. */
void omr_tunables_get(struct omr_tunables *t)
{
	rcu_read_lock();
	*t = rcu_dereference(omr_tun)->t;
	rcu_read_unlock();
}

/* @t's fields other than U32_MAX (not given) into @dst. */
static void omr_tunables_apply(struct omr_tunables *dst,
			       const struct omr_tunables *t)
{
	if (t->loss_penalty != U32_MAX)
		dst->loss_penalty = t->loss_penalty;
	if (t->loss_gain != U32_MAX)
		dst->loss_gain = t->loss_gain;
	if (t->rtt_unknown_us != U32_MAX)
		dst->rtt_unknown_us = t->rtt_unknown_us;
	if (t->burst != U32_MAX)
		dst->burst = t->burst;
}

/*
 * Publish the current set with @t's fields other than U32_MAX (not given)
 * changed, all at once. The caller checked every range (the genl policy and
 * the parameters use the same bounds). Fails only with -ENOMEM (or -ENODEV
 * while the module goes away), and then changes nothing.
 */
int omr_tunables_set(const struct omr_tunables *t)
{
	struct omr_tun_set *old, *new = &omr_tun_boot;

	if (READ_ONCE(omr_tun_live)) {
		new = kmalloc(sizeof(*new), GFP_KERNEL);
		if (!new)
			return -ENOMEM;
	}
	mutex_lock(&omr_tun_lock);
	if (omr_tun_gone) {
		mutex_unlock(&omr_tun_lock);
		if (new != &omr_tun_boot)
			kfree(new);
		return -ENODEV;
	}
	old = rcu_dereference_protected(omr_tun, lockdep_is_held(&omr_tun_lock));
	new->t = old->t;
	omr_tunables_apply(&new->t, t);
	rcu_assign_pointer(omr_tun, new);
	mutex_unlock(&omr_tun_lock);
	if (old != new && old != &omr_tun_boot)
		kfree_rcu(old, rcu);
	return 0;
}

/* omr_init(): from now on, a change publishes a new set. */
void omr_tunables_live(void)
{
	mutex_lock(&omr_tun_lock);
	WRITE_ONCE(omr_tun_live, true);
	mutex_unlock(&omr_tun_lock);
}

/*
 * Module exit: the boot set takes the current values back, so that a read
 * of a parameter until its sysfs file is gone finds static memory, and the
 * last kmalloc'ed set is freed. synchronize_rcu() first: readers that found
 * the boot set before the first change may still be copying it.
 */
void omr_tunables_exit(void)
{
	struct omr_tun_set *old;

	mutex_lock(&omr_tun_lock);
	omr_tun_gone = true;
	old = rcu_dereference_protected(omr_tun, lockdep_is_held(&omr_tun_lock));
	if (old != &omr_tun_boot) {
		synchronize_rcu();
		omr_tun_boot.t = old->t;
		rcu_assign_pointer(omr_tun, &omr_tun_boot);
	}
	mutex_unlock(&omr_tun_lock);
	if (old != &omr_tun_boot)
		kfree_rcu(old, rcu);
}

/* A scheduler parameter: one field of the set, and its range. */
struct omr_sched_param {
	size_t off;
	u32 min;
	u32 max;
};

static int omr_sched_param_set(const char *s, const struct kernel_param *kp)
{
	const struct omr_sched_param *p = kp->arg;
	struct omr_tunables t;
	unsigned int v;

	if (kstrtouint(s, 0, &v) || v < p->min || v > p->max) {
		pr_warn("parameter %s: '%.*s' is not a number in [%u, %u]\n",
			kp->name, (int)strcspn(s, "\n"), s, p->min, p->max);
		return -EINVAL;
	}
	memset(&t, 0xff, sizeof(t));	/* every field U32_MAX: not given */
	*(u32 *)((char *)&t + p->off) = v;
	return omr_tunables_set(&t);
}

static int omr_sched_param_get(char *buf, const struct kernel_param *kp)
{
	const struct omr_sched_param *p = kp->arg;
	struct omr_tunables t;

	omr_tunables_get(&t);
	return sysfs_emit(buf, "%u\n", *(u32 *)((char *)&t + p->off));
}

static const struct kernel_param_ops omr_sched_param_ops = {
	.set = omr_sched_param_set,
	.get = omr_sched_param_get,
};

/*
 * MODULE_INFO(parm, "name:desc") is what MODULE_PARM_DESC(name, desc)
 * expands to; spelled out, the macro names the parameter only once outside
 * # and ## (checkpatch's MACRO_ARG_REUSE; @field, the member of struct
 * omr_tunables, is the parameter's name again). @rng is the prefix of the
 * spec's constants rng##_MIN and rng##_MAX.
 */
#define OMR_SCHED_PARAM(name, field, dflt, rng, desc)			\
	static struct omr_sched_param omr_##name = {			\
		offsetof(struct omr_tunables, field), rng##_MIN, rng##_MAX \
	};								\
	module_param_cb(name, &omr_sched_param_ops, &omr_##name, 0644); \
	MODULE_INFO(parm, #name ":" desc " [" __stringify(rng##_MIN)	\
		    ".." __stringify(rng##_MAX) ", default "		\
		    __stringify(dflt) "]")

OMR_SCHED_PARAM(loss_penalty, loss_penalty,
		OMR_LOSS_PENALTY_DEFAULT, OMR_SCHED_LOSS_PENALTY,
		"Percent of a loss-recovery time (srtt + 4 rttvar) charged per expected loss");
OMR_SCHED_PARAM(loss_gain, loss_gain,
		OMR_LOSS_GAIN_DEFAULT, OMR_SCHED_LOSS_GAIN,
		"Weight of a new loss sample in the smoothed loss rate, in 1/256");
OMR_SCHED_PARAM(rtt_unknown_us, rtt_unknown_us,
		OMR_RTT_UNKNOWN_US_DEFAULT, OMR_SCHED_RTT_UNKNOWN_US,
		"RTT assumed for subflows when none has an RTT sample yet, in us");
OMR_SCHED_PARAM(burst, burst,
		OMR_BURST_DEFAULT, OMR_SCHED_BURST,
		"Bytes handed to a subflow per scheduling decision");

/* ---- The path manager's defaults --------------------------------------- */

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

/* Load-time defaults of new namespaces, read-only afterwards. */
#define OMR_PM_PARAM(name, dflt, rng, desc)				\
	static struct omr_param omr_##name = { dflt, rng##_MIN, rng##_MAX }; \
	module_param_cb(name, &omr_param_ops, &omr_##name, 0444);	\
	MODULE_INFO(parm, #name ":" desc " [" __stringify(rng##_MIN)	\
		    ".." __stringify(rng##_MAX) ", default " #dflt "]")

/*
 * The path manager's defaults. Cross-constraints (lo < hi, fail >= stall,
 * backoff min <= max) are enforced on them when a namespace takes them.
 */
OMR_PM_PARAM(pm_tick_ms, 100, OMR_PM_TICK_MS,
	     "Path manager: how often subflow health is checked, in ms");
OMR_PM_PARAM(pm_stall_ms, 500, OMR_PM_STALL_MS,
	     "Path manager: no ACK for this long with data in flight demotes a path, in ms");
OMR_PM_PARAM(pm_fail_ms, 1000, OMR_PM_FAIL_MS,
	     "Path manager: a subflow stalled this long is removed and re-joined, in ms");
OMR_PM_PARAM(pm_hold_ms, 3000, OMR_PM_HOLD_MS,
	     "Path manager: a demoted path is promoted after this long healthy, in ms");
OMR_PM_PARAM(pm_loss_hi, 150, OMR_PM_LOSS_HI,
	     "Path manager: loss rate that demotes a path, in 1/1000");
OMR_PM_PARAM(pm_loss_lo, 30, OMR_PM_LOSS_LO,
	     "Path manager: loss rate under which a demoted path may be promoted, in 1/1000");
OMR_PM_PARAM(pm_rtt_hi_ms, 0, OMR_PM_RTT_HI_MS,
	     "Path manager: smoothed RTT that demotes a path, in ms (0: off; promotion under 3/4 of it)");
OMR_PM_PARAM(pm_backoff_min_ms, 200, OMR_PM_BACKOFF_MIN_MS,
	     "Path manager: first retry delay after a subflow is lost, in ms");
OMR_PM_PARAM(pm_backoff_max_ms, 10000, OMR_PM_BACKOFF_MAX_MS,
	     "Path manager: longest retry delay, in ms");
OMR_PM_PARAM(pm_join_timeout_ms, 3000, OMR_PM_JOIN_TIMEOUT_MS,
	     "Path manager: a join not established after this long is retried, in ms");
OMR_PM_PARAM(pm_max_conns, 32768, OMR_PM_MAX_CONNS,
	     "Path manager: the most connections a namespace's PM follows (read when it is enabled; past it, counted as untracked)");

u32 omr_pm_conns_limit(void)
{
	return READ_ONCE(omr_pm_max_conns.val);
}

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
