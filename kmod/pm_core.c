// SPDX-License-Identifier: GPL-2.0
/*
 * The path manager's decisions, kernel-free (pm_core.h). pm_conn.c reads
 * the subflows and the clock and acts; this file only decides.
 *
 * Stall. A subflow with data in flight and no ACK for stall_ms is stalled,
 * or for two of its base retransmission timeouts (srtt + 4 mdev, at least
 * 200 ms) if that is longer: a long satellite RTT is not a stall, and
 * neither is one ordinary RTO. Still no ACK at fail_ms, or four base RTOs,
 * and the subflow is dead: MP_PRIO cannot cross a black hole, so it is
 * removed and re-joined.
 *
 * Backoff. A lost subflow is re-created after a delay that starts at
 * backoff_min, doubles up to backoff_max, plus up to 25 % of jitter (the
 * caller passes the random number) so that many connections do not retry
 * in step.
 *
 * Health. A path is demoted when a subflow on it stalls, its loss estimate
 * exceeds loss_hi, or (rtt_hi_ms, 0: off) its RTT exceeds rtt_hi_ms; never
 * while its link is down (nothing to judge). A demoted path is healthy in
 * a pass when a subflow is up on it, none stalls, loss is below loss_lo
 * and the RTT under 3/4 of rtt_hi_ms; it is promoted after hold_ms of such
 * passes in a row. The gaps between the thresholds and the hold time are
 * the hysteresis that keeps a marginal path from flapping.
 */
#include "pm_core.h"

static u32 omr_max(u32 a, u32 b)
{
	return a > b ? a : b;
}

bool omr_pm_stalled(u32 stall_ms, u32 rto_ms, const struct omr_pm_tunables *t)
{
	return stall_ms >= omr_max(t->stall_ms, 2 * rto_ms);
}

bool omr_pm_dead(u32 stall_ms, u32 rto_ms, const struct omr_pm_tunables *t)
{
	return stall_ms >= omr_max(t->fail_ms, 4 * rto_ms);
}

/* The next backoff: double the last one, within [backoff_min, backoff_max]. */
u32 omr_pm_backoff_next(u32 backoff_ms, const struct omr_pm_tunables *t)
{
	u64 ms = (u64)backoff_ms * 2;

	if (ms < t->backoff_min_ms)
		ms = t->backoff_min_ms;
	if (ms > t->backoff_max_ms)
		ms = t->backoff_max_ms;
	return ms;
}

/* The delay before the retry: the backoff plus 0..25 % of it (@rnd). */
u32 omr_pm_backoff_delay(u32 backoff_ms, u32 rnd)
{
	return backoff_ms + rnd % (backoff_ms / 4 + 1);
}

static u32 omr_pm_loss_thr(u32 permille)
{
	return (u64)permille * OMR_ONE / 1000;
}

/*
 * One pass's verdict on a path (@demoted: its health now). For a healthy
 * path: DEMOTE (*why: STALL, RTT or LOSS, in that order) or KEEP; for a
 * demoted one: GOOD or BAD this pass (omr_pm_promote() then decides).
 */
int omr_pm_health_eval(bool demoted, bool link_up,
		       const struct omr_path_agg *a,
		       const struct omr_pm_tunables *t, int *why)
{
	u32 rtt_hi = t->rtt_hi_ms;
	bool slow = rtt_hi && a->srtt_ms > rtt_hi;
	bool lossy = a->loss > omr_pm_loss_thr(t->loss_hi);

	*why = OMR_PM_WHY_NONE;
	if (!demoted) {
		if (!link_up || !(a->stalled || slow || lossy))
			return OMR_PM_H_KEEP;
		*why = a->stalled ? OMR_PM_WHY_STALL :
		       slow ? OMR_PM_WHY_RTT : OMR_PM_WHY_LOSS;
		return OMR_PM_H_DEMOTE;
	}
	if (a->stalled || slow || lossy || !a->up || !link_up ||
	    a->loss >= omr_pm_loss_thr(t->loss_lo) ||
	    (rtt_hi && (u64)a->srtt_ms * 4 > (u64)rtt_hi * 3))
		return OMR_PM_H_BAD;
	return OMR_PM_H_GOOD;
}

/* A demoted path healthy for @good_ms in a row is promoted. */
bool omr_pm_promote(u32 good_ms, const struct omr_pm_tunables *t)
{
	return good_ms >= t->hold_ms;
}
