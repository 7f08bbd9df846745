// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the path manager's decisions (kmod/pm_core.c), built for
 * userspace with the kernel's kselftest_harness.h, as sched_core_test.c.
 */
#include <stdint.h>
#include <string.h>
#include "kselftest_harness.h"
#include "pm_core.h"

/* params.c's defaults. */
static const struct omr_pm_tunables dflt = {
	.tick_ms = 100, .stall_ms = 500, .fail_ms = 1000, .hold_ms = 3000,
	.loss_hi = 150, .loss_lo = 30, .rtt_hi_ms = 0,
	.backoff_min_ms = 200, .backoff_max_ms = 10000,
	.join_timeout_ms = 3000,
};

/* A loss estimate of @permille (OMR_ONE = 100 %). */
static u32 loss(u32 permille)
{
	return (uint64_t)permille * OMR_ONE / 1000;
}

static struct omr_path_agg agg(u32 loss_est, u32 srtt_ms, bool stalled, int up)
{
	struct omr_path_agg a = {
		.loss = loss_est, .srtt_ms = srtt_ms, .stalled = stalled, .up = up,
	};
	return a;
}

TEST(stall_needs_stall_ms_or_two_rtos)
{
	/* An ordinary path (RTO 200 ms): stall_ms decides. */
	ASSERT_FALSE(omr_pm_stalled(499, 200, &dflt));
	ASSERT_TRUE(omr_pm_stalled(500, 200, &dflt));
	/* A satellite path (RTO 700 ms): two RTOs, not stall_ms. */
	ASSERT_FALSE(omr_pm_stalled(1000, 700, &dflt));
	ASSERT_TRUE(omr_pm_stalled(1400, 700, &dflt));
}

TEST(dead_needs_fail_ms_or_four_rtos)
{
	ASSERT_FALSE(omr_pm_dead(999, 200, &dflt));
	ASSERT_TRUE(omr_pm_dead(1000, 200, &dflt));
	ASSERT_FALSE(omr_pm_dead(2799, 700, &dflt));
	ASSERT_TRUE(omr_pm_dead(2800, 700, &dflt));
	/* Stalled comes before dead, whatever the RTO. */
	ASSERT_TRUE(omr_pm_stalled(2800, 700, &dflt));
}

TEST(backoff_doubles_within_bounds)
{
	u32 b = 0;
	int i;

	b = omr_pm_backoff_next(b, &dflt);
	ASSERT_EQ(200U, b);		/* the first retry: backoff_min */
	b = omr_pm_backoff_next(b, &dflt);
	ASSERT_EQ(400U, b);
	for (i = 0; i < 40; i++)
		b = omr_pm_backoff_next(b, &dflt);
	ASSERT_EQ(10000U, b);		/* capped, no overflow */
	ASSERT_EQ(10000U, omr_pm_backoff_next(UINT32_MAX, &dflt));
}

TEST(jitter_adds_at_most_a_quarter)
{
	u32 r, d;

	ASSERT_EQ(1000U, omr_pm_backoff_delay(1000, 0));
	for (r = 0; r < 100000; r += 7) {
		d = omr_pm_backoff_delay(1000, r * 2654435761u);
		ASSERT_GE(d, 1000U);
		ASSERT_LE(d, 1250U);
	}
	ASSERT_EQ(0U, omr_pm_backoff_delay(0, 12345));
}

TEST(healthy_path_demoted_by_stall_then_rtt_then_loss)
{
	struct omr_pm_tunables t = dflt;
	struct omr_path_agg a;
	int why;

	t.rtt_hi_ms = 400;
	a = agg(loss(10), 50, false, 1);
	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, true, &a, &t, &why));
	a = agg(loss(200), 500, true, 1);
	ASSERT_EQ(OMR_PM_H_DEMOTE, omr_pm_health_eval(false, true, &a, &t, &why));
	ASSERT_EQ(OMR_PM_WHY_STALL, why);
	a.stalled = false;
	ASSERT_EQ(OMR_PM_H_DEMOTE, omr_pm_health_eval(false, true, &a, &t, &why));
	ASSERT_EQ(OMR_PM_WHY_RTT, why);
	a.srtt_ms = 100;
	ASSERT_EQ(OMR_PM_H_DEMOTE, omr_pm_health_eval(false, true, &a, &t, &why));
	ASSERT_EQ(OMR_PM_WHY_LOSS, why);
}

TEST(no_demotion_while_the_link_is_down)
{
	struct omr_path_agg a = agg(loss(500), 0, true, 1);
	int why;

	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, false, &a, &dflt, &why));
	ASSERT_EQ(OMR_PM_WHY_NONE, why);
}

TEST(loss_hysteresis)
{
	struct omr_path_agg a = agg(loss(100), 20, false, 1);	/* lo < 100 < hi */
	int why;

	/* Between the thresholds: a healthy path stays, a demoted one too. */
	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, true, &a, &dflt, &why));
	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, true, &a, &dflt, &why));
	a.loss = loss(150);	/* at loss_hi: not above it */
	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, true, &a, &dflt, &why));
	a.loss = loss(30);	/* at loss_lo: not below it */
	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, true, &a, &dflt, &why));
	a.loss = loss(29);
	ASSERT_EQ(OMR_PM_H_GOOD, omr_pm_health_eval(true, true, &a, &dflt, &why));
}

TEST(rtt_hysteresis)
{
	struct omr_pm_tunables t = dflt;
	struct omr_path_agg a = agg(0, 350, false, 1);
	int why;

	t.rtt_hi_ms = 400;
	/* 350 ms: not above 400 (no demotion), not under 300 (no promotion). */
	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, true, &a, &t, &why));
	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, true, &a, &t, &why));
	a.srtt_ms = 300;
	ASSERT_EQ(OMR_PM_H_GOOD, omr_pm_health_eval(true, true, &a, &t, &why));
	/* rtt_hi_ms 0: RTT is no criterion at all. */
	a.srtt_ms = 60000;
	ASSERT_EQ(OMR_PM_H_KEEP, omr_pm_health_eval(false, true, &a, &dflt, &why));
	ASSERT_EQ(OMR_PM_H_GOOD, omr_pm_health_eval(true, true, &a, &dflt, &why));
}

TEST(demoted_path_needs_a_subflow_and_its_link)
{
	struct omr_path_agg a = agg(0, 20, false, 0);
	int why;

	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, true, &a, &dflt, &why));
	a.up = 1;
	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, false, &a, &dflt, &why));
	ASSERT_EQ(OMR_PM_H_GOOD, omr_pm_health_eval(true, true, &a, &dflt, &why));
	a.stalled = true;
	ASSERT_EQ(OMR_PM_H_BAD, omr_pm_health_eval(true, true, &a, &dflt, &why));
}

TEST(promotion_after_hold_ms)
{
	ASSERT_FALSE(omr_pm_promote(0, &dflt));
	ASSERT_FALSE(omr_pm_promote(2999, &dflt));
	ASSERT_TRUE(omr_pm_promote(3000, &dflt));
}

TEST_HARNESS_MAIN
