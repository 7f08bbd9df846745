/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path manager's decisions, free of kernel dependencies so that they are
 * unit-tested in userspace (selftests/unit/pm_core_test.c), as the
 * scheduler's are (sched_core.h): when a subflow is stalled or dead, how
 * long to wait before a retry, when a path is demoted or healthy again.
 * pm_core.c says why each threshold is what it is.
 */
#ifndef _OMR_PM_CORE_H
#define _OMR_PM_CORE_H

#include "sched_core.h"		/* u8/u32/u64, OMR_ONE */

/* A namespace's PM settings (OMR_CMD_SET_PM, params.c's defaults). */
struct omr_pm_tunables {
	u32 tick_ms, stall_ms, fail_ms, hold_ms, loss_hi, loss_lo, rtt_hi_ms;
	u32 backoff_min_ms, backoff_max_ms, join_timeout_ms;
};

/* What one pass saw of a path, over all connections' subflows on it. */
struct omr_path_agg {
	u32 loss;		/* the worst loss estimate, OMR_ONE = 100 % */
	u32 srtt_ms;		/* the worst smoothed RTT */
	bool stalled;		/* a subflow waits too long for an ACK */
	int up;			/* established subflows */
};

/* omr_pm_health_eval()'s verdicts. */
enum {
	OMR_PM_H_KEEP,		/* a healthy path stays so */
	OMR_PM_H_DEMOTE,	/* a healthy path goes bad: *why says how */
	OMR_PM_H_GOOD,		/* a demoted path looks healthy this pass */
	OMR_PM_H_BAD,		/* a demoted path still does not */
};

/* Why a path is demoted (omr_pm_health_eval()'s *why). */
enum {
	OMR_PM_WHY_NONE,
	OMR_PM_WHY_STALL,
	OMR_PM_WHY_RTT,
	OMR_PM_WHY_LOSS,
};

bool omr_pm_stalled(u32 stall_ms, u32 rto_ms, const struct omr_pm_tunables *t);
bool omr_pm_dead(u32 stall_ms, u32 rto_ms, const struct omr_pm_tunables *t);
u32 omr_pm_backoff_next(u32 backoff_ms, const struct omr_pm_tunables *t);
u32 omr_pm_backoff_delay(u32 backoff_ms, u32 rnd);
int omr_pm_health_eval(bool demoted, bool link_up,
		       const struct omr_path_agg *a,
		       const struct omr_pm_tunables *t, int *why);
bool omr_pm_promote(u32 good_ms, const struct omr_pm_tunables *t);

#endif /* _OMR_PM_CORE_H */
