// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the scheduler's decision arithmetic (kmod/sched_core.c),
 * built for userspace with the kernel's kselftest_harness.h (taken from the
 * linux-source of the kernel under test at build time).
 */
#include <stdint.h>
#include <string.h>
#include "kselftest_harness.h"
#include "sched_core.h"

static const struct omr_tunables dflt = {
	.loss_penalty = 100,
	.loss_gain = 64,
	.rtt_unknown_us = 100000,
	.burst = 65428,
};

/* An idle, healthy subflow whose window (100 segments) holds a burst. */
static struct omr_sf_in sf(u32 srtt_us)
{
	struct omr_sf_in s = {
		.srtt_us = srtt_us, .rttvar_us = srtt_us / 4, .mss = 1448,
		.cwnd = 100, .in_flight = 0, .unsent = 0, .loss = 0,
		.active = 1, .backup = 0, .can_send = 1, .drained = 1,
	};
	return s;
}

TEST(one_subflow)
{
	struct omr_sf_in s[1] = { sf(10000) };

	ASSERT_EQ(0, omr_pick(s, 1, false, 0, 0, &dflt, NULL, NULL));
	ASSERT_EQ(0, omr_pick(s, 1, true, 0, 0, &dflt, NULL, NULL));
}

TEST(no_subflow_usable)
{
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };

	ASSERT_EQ(-1, omr_pick(s, 0, false, 0, 0, &dflt, NULL, NULL));
	s[0].active = 0;
	s[1].active = 0;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	ASSERT_EQ(-1, omr_pick(s, 2, true, 0, 0, &dflt, NULL, NULL));
}

TEST(ties_go_to_the_shorter_queue_then_the_first)
{
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };

	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* Queued data that still fits the window costs no time but breaks the tie. */
	s[0].in_flight = 5;
	s[0].cwnd = 100;
	s[1].cwnd = 100;
	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
}

TEST(equal_paths_alternate_as_queues_grow)
{
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };
	int count[2] = { 0, 0 }, i, p;

	for (i = 0; i < 100; i++) {
		p = omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL);
		ASSERT_GE(p, 0);
		count[p]++;
		s[p].unsent += dflt.burst;
	}
	ASSERT_EQ(50, count[0]);
	ASSERT_EQ(50, count[1]);
}

TEST(rates_split_by_window)
{
	/* Same RTT, 4x the window: the fast path takes about 4/5. */
	struct omr_sf_in s[2] = { sf(20000), sf(20000) };
	int count[2] = { 0, 0 }, i, p;

	s[0].cwnd = 400;
	s[1].cwnd = 100;
	for (i = 0; i < 1000; i++) {
		p = omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL);
		ASSERT_GE(p, 0);
		count[p]++;
		s[p].unsent += dflt.burst;
	}
	ASSERT_GE(count[0], 780);
	ASSERT_LE(count[0], 820);
}

TEST(short_path_preferred_while_it_has_room)
{
	struct omr_sf_in s[2] = { sf(200000), sf(10000) };

	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* ...until its queue would take longer than the long path's delay. */
	s[1].unsent = 2000000;
	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
}

TEST(zero_rtt_is_not_preferred)
{
	struct omr_sf_in s[3] = { sf(20000), sf(5000), sf(0) };
	u64 cost[3];

	ASSERT_EQ(1, omr_pick(s, 3, false, 0, 0, &dflt, cost, NULL));
	/* The unknown one is costed with the largest known RTT. */
	ASSERT_EQ(cost[0], cost[2]);
	/* None known: rtt_unknown_us for all, still a pick. */
	s[0].srtt_us = s[1].srtt_us = 0;
	ASSERT_EQ(0, omr_pick(s, 3, false, 0, 0, &dflt, cost, NULL));
	ASSERT_EQ(dflt.rtt_unknown_us / 2, cost[0]);
}

TEST(loss_costs)
{
	struct omr_sf_in s[2] = { sf(20000), sf(20000) };
	struct omr_tunables t = dflt;

	s[0].loss = OMR_ONE / 20;	/* 5 % */
	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &t, NULL, NULL));
	t.loss_penalty = 0;
	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &t, NULL, NULL));
	/* A burst of 46 segments at 5 %: the repair is certain, cost capped. */
	ASSERT_EQ(10000ULL + 20000 + 4 * 5000,
		  omr_delivery_time(&s[0], 0, dflt.burst, &dflt));
}

TEST(backup_only_when_no_regular_is_active)
{
	struct omr_sf_in s[2] = { sf(50000), sf(1000) };

	s[1].backup = 1;
	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* The regular one is full: wait for it, do not spill to the backup. */
	s[0].can_send = 0;
	s[0].unsent = 1 << 20;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* It dies: the backup carries. */
	s[0].active = 0;
	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
}

TEST(all_backup)
{
	struct omr_sf_in s[3] = { sf(30000), sf(10000), sf(20000) };

	s[0].backup = s[1].backup = s[2].backup = 1;
	ASSERT_EQ(1, omr_pick(s, 3, false, 0, 0, &dflt, NULL, NULL));
	ASSERT_EQ(1, omr_pick(s, 3, true, 0, 0, &dflt, NULL, NULL));
}

TEST(fastest_full_waits_but_reinjection_does_not)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };

	s[0].can_send = 0;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	ASSERT_EQ(1, omr_pick(s, 2, true, 0, 0, &dflt, NULL, NULL));
}

TEST(full_fastest_spills_only_what_the_receiver_can_buffer)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };
	u64 cost[2], need;

	s[0].can_send = 0;
	s[0].unsent = 1000000;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 0, 0, &dflt, cost, NULL));
	ASSERT_LT(cost[0], cost[1]);
	/* What the fast path delivers while the slow burst is late, + B. */
	need = (cost[1] - cost[0]) * 144800 / 5000 + dflt.burst;
	ASSERT_EQ(-1, omr_pick(s, 2, false, need - 1, 0, &dflt, NULL, NULL));
	ASSERT_EQ(1, omr_pick(s, 2, false, need, 0, &dflt, NULL, NULL));
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 0, &dflt, NULL, NULL));
	/* Nothing to spill to: the alternative is full too. */
	s[1].can_send = 0;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 64 << 20, 0, &dflt, NULL, NULL));
}

TEST(busy_fastest_shares_with_an_idle_path_when_the_window_allows)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };
	struct omr_tunables small = dflt;

	s[0].unsent = 300000;	/* queued beyond its window, but room left */
	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 0, &dflt, NULL, NULL));
	/* A small message with nothing queued goes the short way. */
	s[0].unsent = 0;
	small.burst = 64;
	ASSERT_EQ(0, omr_pick(s, 2, false, 64 << 20, 0, &small, NULL, NULL));
}

TEST(busy_fastest_shares_only_while_it_would_finish_later_ecf)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };

	s[0].unsent = 300000;
	/* Unknown backlog: share, as above. */
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 0, &dflt, NULL, NULL));
	/* A large backlog: the fast path alone would finish later. */
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, NULL));
	/*
	 * The tail of a transfer: the fast path delivers all of it before
	 * the slow one would deliver this burst, so it queues there.
	 */
	ASSERT_EQ(0, omr_pick(s, 2, false, 64 << 20, dflt.burst, &dflt, NULL, NULL));
}

TEST(no_spill_behind_a_full_slow_window)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };
	u32 burst;

	s[0].unsent = 300000;
	/* The slow path's window is full: what it took would wait there. */
	s[1].in_flight = s[1].cwnd;
	ASSERT_EQ(0, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, NULL));
	s[1].in_flight = 0;
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, NULL));
	/* Room for 5 segments: it is handed 5 segments, not a full burst. */
	s[1].in_flight = s[1].cwnd - 5;
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, &burst));
	ASSERT_EQ(5U * 1448, burst);
	/* The fast path's pick gets the whole burst. */
	ASSERT_EQ(0, omr_pick(s, 2, false, 64 << 20, dflt.burst, &dflt, NULL, &burst));
	ASSERT_EQ(dflt.burst, burst);
}

TEST(reinjection_only_where_nothing_is_outstanding)
{
	struct omr_sf_in s[3] = { sf(5000), sf(20000), sf(80000) };

	/* The fastest has a backlog: a copy would wait behind it. */
	s[0].unsent = 3000000;
	s[0].drained = 0;
	ASSERT_EQ(1, omr_pick(s, 3, true, 64 << 20, 0, &dflt, NULL, NULL));
	s[1].in_flight = 10;
	s[1].drained = 0;
	ASSERT_EQ(2, omr_pick(s, 3, true, 64 << 20, 0, &dflt, NULL, NULL));
	/* None drained: nothing now, the retransmission timer asks again. */
	s[2].drained = 0;
	ASSERT_EQ(-1, omr_pick(s, 3, true, 64 << 20, 0, &dflt, NULL, NULL));
	/* New data is not held to that. */
	ASSERT_LE(0, omr_pick(s, 3, false, 64 << 20, 0, &dflt, NULL, NULL));
}

TEST(eight_subflows)
{
	struct omr_sf_in s[8];
	u64 cost[8];
	int i;

	for (i = 0; i < 8; i++)
		s[i] = sf(80000 - i * 9000);	/* the last is the shortest */
	ASSERT_EQ(7, omr_pick(s, 8, false, 0, 0, &dflt, cost, NULL));
	for (i = 1; i < 8; i++)
		ASSERT_LT(cost[i], cost[i - 1]);
	s[7].active = 0;
	ASSERT_EQ(6, omr_pick(s, 8, false, 0, 0, &dflt, NULL, NULL));
}

TEST(more_than_the_maximum_is_clamped)
{
	struct omr_sf_in s[OMR_MAX_SUBFLOWS + 4];
	int i;

	for (i = 0; i < OMR_MAX_SUBFLOWS + 4; i++)
		s[i] = sf(50000);
	s[OMR_MAX_SUBFLOWS + 2].srtt_us = 100;	/* beyond the limit: unseen */
	ASSERT_EQ(0, omr_pick(s, OMR_MAX_SUBFLOWS + 4, false, 0, 0, &dflt, NULL, NULL));
}

TEST(huge_queues_do_not_overflow)
{
	struct omr_sf_in s[2] = { sf(20000), sf(20000) };
	u64 c_small, c_huge;

	s[0].unsent = 0xffffffffu;
	s[0].in_flight = 0xffffffffu;
	s[0].mss = 65535;
	s[0].cwnd = 1;
	s[0].srtt_us = 0xffffffffu;
	s[0].rttvar_us = 0xffffffffu;
	s[0].loss = OMR_ONE;
	c_huge = omr_delivery_time(&s[0], 0, 1 << 20, &dflt);
	c_small = omr_delivery_time(&s[1], 0, 1 << 20, &dflt);
	ASSERT_GT(c_huge, c_small);
	ASSERT_LT(c_huge, ~0ULL / 2);
	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* mss 0 and cwnd 0 are guarded, not divided by. */
	s[1].mss = 0;
	s[1].cwnd = 0;
	ASSERT_GT(omr_delivery_time(&s[1], 0, 1000, &dflt), 0ULL);
}

TEST(loss_estimator)
{
	/* gain 256: the sample itself; 5 of 100 is 5 %. */
	ASSERT_EQ(OMR_ONE / 20, omr_loss_update(0, 5, 100, 256));
	/* gain 64: a quarter of the way. */
	ASSERT_EQ(OMR_ONE / 4, omr_loss_update(0, 100, 100, 64));
	ASSERT_EQ(OMR_ONE * 3 / 4, omr_loss_update(OMR_ONE, 0, 100, 64));
	/* Nothing sent: no information, no change. */
	ASSERT_EQ(1234u, omr_loss_update(1234, 0, 0, 64));
	/* More retransmissions than segments (counter races): clamped. */
	ASSERT_EQ(OMR_ONE, omr_loss_update(0, 10, 5, 256));
	/* Gain above 256 is clamped too. */
	ASSERT_EQ(OMR_ONE, omr_loss_update(0, 5, 5, 1000));
}

TEST(loss_sampling_interval)
{
	ASSERT_FALSE(omr_loss_due(1000000, 10000, 0));	/* idle */
	ASSERT_FALSE(omr_loss_due(40000, 10000, 100));	/* < 50 ms */
	ASSERT_TRUE(omr_loss_due(50000, 10000, 8));
	ASSERT_FALSE(omr_loss_due(50000, 10000, 7));	/* too few */
	ASSERT_FALSE(omr_loss_due(150000, 200000, 100));	/* < 1 RTT */
	ASSERT_TRUE(omr_loss_due(500000, 2000000, 1));	/* 500 ms */
}

TEST(loss_decays_when_idle)
{
	u32 loss = OMR_ONE / 5;
	int i;

	ASSERT_FALSE(omr_loss_decay_due(400000, 0, 0));	/* too soon */
	ASSERT_FALSE(omr_loss_decay_due(600000, 1, 0));	/* sent: a sample */
	ASSERT_FALSE(omr_loss_decay_due(600000, 0, 3));	/* in RTO backoff */
	ASSERT_TRUE(omr_loss_decay_due(500000, 0, 0));
	/* Ten idle periods (5 s) at gain 64 forget all but 5.6 % of it. */
	for (i = 0; i < 10; i++)
		loss = omr_loss_update(loss, 0, 1, 64);
	ASSERT_LT(loss, OMR_ONE / 5 * 6 / 100);
	ASSERT_GT(loss, OMR_ONE / 5 * 5 / 100);
}

TEST_HARNESS_MAIN
