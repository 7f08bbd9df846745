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

/*
 * Hand out @rounds decisions' worth of data; when no subflow takes any (-1),
 * one RTT passes: every subflow's window drains (all have the same srtt).
 * Returns the bytes each subflow was handed in @bytes.
 */
static void simulate(struct omr_sf_in *s, int n, int rounds, u64 *bytes)
{
	struct omr_pick_out o;
	struct omr_msk_in m = { .window = 64 << 20 };
	int i, r, p;

	for (i = 0; i < n; i++)
		bytes[i] = 0;
	for (r = 0; r < rounds; r++) {
		p = omr_pick_msk(s, n, false, &m, &dflt, NULL, &o);
		if (p >= 0) {
			bytes[p] += o.burst;
			s[p].unsent += o.burst;
			continue;
		}
		for (i = 0; i < n; i++) {
			u32 w = s[i].cwnd * s[i].mss;

			s[i].unsent = s[i].unsent > w ? s[i].unsent - w : 0;
		}
	}
}

TEST(equal_paths_alternate_as_queues_grow)
{
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };
	int count[2] = { 0, 0 }, i, p;
	u64 bytes[2];

	/* As long as both have room, strictly in turn. */
	s[0].cwnd = s[1].cwnd = 5000;
	for (i = 0; i < 100; i++) {
		p = omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL);
		ASSERT_GE(p, 0);
		count[p]++;
		s[p].unsent += dflt.burst;
	}
	ASSERT_EQ(50, count[0]);
	ASSERT_EQ(50, count[1]);
	/* Window-limited, over many RTTs: an even split. */
	s[0] = sf(10000);
	s[1] = sf(10000);
	simulate(s, 2, 2000, bytes);
	ASSERT_GE(bytes[0] * 100 / (bytes[0] + bytes[1]), 45);
	ASSERT_LE(bytes[0] * 100 / (bytes[0] + bytes[1]), 55);
}

TEST(rates_split_by_window)
{
	/* Same RTT, 4x the window: the fast path takes about 4/5. */
	struct omr_sf_in s[2] = { sf(20000), sf(20000) };
	u64 bytes[2];

	s[0].cwnd = 400;
	s[1].cwnd = 100;
	simulate(s, 2, 4000, bytes);
	ASSERT_GE(bytes[0] * 100 / (bytes[0] + bytes[1]), 75);
	ASSERT_LE(bytes[0] * 100 / (bytes[0] + bytes[1]), 85);
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

TEST(loss_does_not_rank_tcp_already_shrinks_the_window)
{
	/* Issue #12: a ranking penalty kept a 5 % path off while it was the faster. */
	struct omr_sf_in s[2] = { sf(20000), sf(21000) };

	s[0].loss = OMR_ONE / 20;	/* 5 % */
	ASSERT_EQ(0, omr_pick(s, 2, false, 1 << 20, 0, &dflt, NULL, NULL));
	ASSERT_EQ(10000ULL, omr_delivery_time(&s[0], 0, dflt.burst, &dflt));
	/*
	 * Unless the receiver cannot buffer what the clean path delivers
	 * while a repair on the lossy one is outstanding.
	 */
	ASSERT_EQ(1, omr_pick(s, 2, false, 100000, 0, &dflt, NULL, NULL));
}

TEST(repair_time_grows_with_the_loss_rate_without_saturating)
{
	struct omr_sf_in a = sf(20000), b = sf(20000), clean = sf(20000);
	struct omr_tunables t = dflt;
	u64 ra, rb;

	/* Before: min(1, 46 segments * p): 2.2 % and 50 % cost the same. */
	a.loss = OMR_ONE * 22 / 1000;
	b.loss = OMR_ONE / 2;
	ra = omr_repair_time(&a, 0, dflt.burst, &dflt);
	rb = omr_repair_time(&b, 0, dflt.burst, &dflt);
	ASSERT_GT(rb, ra + ra / 2);
	/* 50 %: certain, and each repair is lost half the time: 2 x 40 ms. */
	ASSERT_GE(rb, 79000ULL);
	ASSERT_LE(rb, 80000ULL);
	/* Charged on what is sent: two segments at 2.2 % cost little. */
	ASSERT_LT(omr_repair_time(&a, 0, 2 * 1448, &dflt), ra / 10);
	/* No loss, or no penalty: free. */
	ASSERT_EQ(0ULL, omr_repair_time(&clean, 0, dflt.burst, &dflt));
	t.loss_penalty = 0;
	ASSERT_EQ(0ULL, omr_repair_time(&b, 0, dflt.burst, &t));
}

TEST(loss_keeps_a_spill_off_a_lossy_path)
{
	/* The fast path is busy; the other has room but 20 % loss. */
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };
	u64 window = 200000;

	s[0].in_flight = s[0].cwnd;
	s[0].unsent = 100000;
	ASSERT_EQ(1, omr_pick(s, 2, false, window, 0, &dflt, NULL, NULL));
	s[1].loss = OMR_ONE / 5;
	ASSERT_EQ(-1, omr_pick(s, 2, false, window, 0, &dflt, NULL, NULL));
	/* With a receiver buffer that absorbs the repair, it spills again. */
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 0, &dflt, NULL, NULL));
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

	s[0].unsent = 300000;	/* queued beyond its window */
	/* No receiver window to spill into: wait rather than queue more. */
	ASSERT_EQ(-1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
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
	 * the slow one would deliver this burst, so the slow one gets none;
	 * the fast one is a burst beyond its window already: wait.
	 */
	ASSERT_EQ(-1, omr_pick(s, 2, false, 64 << 20, dflt.burst, &dflt, NULL, NULL));
	s[0].unsent = 0;
	s[0].in_flight = s[0].cwnd;
	ASSERT_EQ(0, omr_pick(s, 2, false, 64 << 20, dflt.burst, &dflt, NULL, NULL));
}

TEST(no_spill_behind_a_full_slow_window)
{
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };
	u32 burst;

	s[0].unsent = 300000;
	/* The slow path's window is full: what it took would wait there. */
	s[1].in_flight = s[1].cwnd;
	ASSERT_EQ(-1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, NULL));
	s[1].in_flight = 0;
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, NULL));
	/* Room for 5 segments: it is handed 5 segments, not a full burst. */
	s[1].in_flight = s[1].cwnd - 5;
	ASSERT_EQ(1, omr_pick(s, 2, false, 64 << 20, 16 << 20, &dflt, NULL, &burst));
	ASSERT_EQ(5U * 1448, burst);
	/* The fast path's pick gets the whole burst. */
	s[0].unsent = 0;
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

TEST(busy_best_waits_instead_of_queueing_beyond_its_window)
{
	/*
	 * Issue #12: the busy best took bursts up to its send buffer, so the
	 * MPTCP queue emptied and a slow path's ACKs found nothing to send.
	 * Now at most one burst beyond the window, then nothing (-1).
	 */
	struct omr_sf_in s[1] = { sf(10000) };

	s[0].in_flight = s[0].cwnd;
	ASSERT_EQ(0, omr_pick(s, 1, false, 64 << 20, 0, &dflt, NULL, NULL));
	s[0].unsent = dflt.burst;
	ASSERT_EQ(-1, omr_pick(s, 1, false, 64 << 20, 0, &dflt, NULL, NULL));
}

TEST(new_long_path_is_costed_by_what_it_can_take_now)
{
	/*
	 * (d): a busy 20 Mbit/s, 12 ms path and a just-joined 200 ms path at
	 * cwnd 10. Costed by a full burst (45 segments through a 10-segment
	 * window: 800 ms) it needed a 1.9 MB receiver window and stayed
	 * unused; costed by its 10 segments it arrives in 100 ms.
	 */
	struct omr_sf_in s[2] = { sf(12000), sf(200000) };
	struct omr_msk_in m = { .window = 1 << 20 };
	struct omr_pick_out o;
	u64 cost[2];

	s[0].cwnd = 20;
	s[0].in_flight = 20;
	s[0].unsent = 20 * 1448;
	s[1].cwnd = 10;
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, cost, &o));
	ASSERT_EQ(10U * 1448, o.burst);
	/* The ranking still costs it by a full burst: it is not the best. */
	ASSERT_GT(cost[1], cost[0]);
	/* The kernel hands over the head fragment whole: costed by it. */
	m.head = 32768;
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	ASSERT_EQ(32768U, o.burst);
	m.window = 300000;
	ASSERT_EQ(-1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	m.head = 0;
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
}

TEST(a_spill_onto_a_small_lossy_window_is_costed_by_the_whole_fragment)
{
	/*
	 * Issue #12: a 2-segment spill sent the rest of a 32 KB fragment onto
	 * a cwnd-5 lossy path (the kernel checks snd_burst per fragment).
	 */
	struct omr_sf_in s[2] = { sf(10000), sf(10000) };
	struct omr_msk_in m = { .window = 400000 };
	struct omr_pick_out o;

	s[0].in_flight = s[0].cwnd;
	s[0].unsent = 100000;
	s[1].cwnd = 5;
	s[1].in_flight = 3;
	s[1].loss = OMR_ONE / 50;	/* 2 % */
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	ASSERT_EQ(2U * 1448, o.burst);
	m.head = 32000;
	ASSERT_EQ(-1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
}

TEST(ecf_tail_gate_has_hysteresis)
{
	/*
	 * The fast path would deliver the backlog about when the slow one
	 * delivers its share: with no decision pending, the slow one is
	 * used; once the gate has held data back, only if the fast path
	 * would be more than 25 % later.
	 */
	struct omr_sf_in s[2] = { sf(5000), sf(80000) };
	struct omr_msk_in m = { .window = 64 << 20 };
	struct omr_pick_out o;
	u64 cost[2], lo, hi, p;

	s[0].in_flight = s[0].cwnd;
	s[0].unsent = 1448;
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, cost, &o));
	ASSERT_FALSE(o.ecf_waiting);
	/* Slow share arrives at 40 ms; the fast path drains 144800 B / 5 ms. */
	lo = 0;
	hi = 64 << 20;
	while (lo + 1 < hi) {	/* the smallest backlog that makes it spill */
		p = (lo + hi) / 2;
		m.pending = p;
		if (omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o) == 1)
			hi = p;
		else
			lo = p;
	}
	m.pending = hi + 144800 * 3 / 2;	/* 7.5 ms later than needed... */
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	m.ecf_waiting = true;		/* ...but not 25 % (10 ms) more */
	ASSERT_EQ(-1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	ASSERT_TRUE(o.ecf_waiting);
	m.pending = hi + 144800 * 3;
	ASSERT_EQ(1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	ASSERT_FALSE(o.ecf_waiting);
	/* Below the threshold the gate holds back and says so. */
	m.ecf_waiting = false;
	m.pending = lo;
	ASSERT_EQ(-1, omr_pick_msk(s, 2, false, &m, &dflt, NULL, &o));
	ASSERT_TRUE(o.ecf_waiting);
}

TEST(tail_backlog_only_at_the_real_tail)
{
	/*
	 * Issue #12: write_seq - snd_nxt shrinks while the application is
	 * held by a send buffer full of data the slow path has not had
	 * DATA_ACKed: that is not the tail.
	 */
	ASSERT_EQ(0ULL, omr_tail_backlog(50000, false, true));
	ASSERT_EQ(50000ULL, omr_tail_backlog(50000, true, true));
	ASSERT_EQ(50000ULL, omr_tail_backlog(50000, false, false));
}

TEST(one_way_delay_counts_all_the_queueing)
{
	/*
	 * A: 10 ms base, 20 ms of queue; B: 34 ms base, no queue. The data
	 * crosses A in 5 + 20 ms, B in 17 ms: srtt / 2 (15 vs 17) chose A.
	 */
	struct omr_sf_in s[2] = { sf(30000), sf(34000) };

	s[0].min_rtt_us = 10000;
	s[1].min_rtt_us = 34000;
	ASSERT_EQ(25000ULL, omr_delivery_time(&s[0], 0, 1000, &dflt));
	ASSERT_EQ(17000ULL, omr_delivery_time(&s[1], 0, 1000, &dflt));
	ASSERT_EQ(1, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
	/* Unknown min RTT: srtt / 2 as before. */
	s[0].min_rtt_us = 0;
	ASSERT_EQ(0, omr_pick(s, 2, false, 0, 0, &dflt, NULL, NULL));
}

TEST(rate_is_the_pacing_rate_where_it_is_lower)
{
	struct omr_sf_in s = sf(20000);

	/* 65428 B beyond a 144800 B window: at W / srtt, 9.04 ms. */
	s.in_flight = s.cwnd;
	ASSERT_EQ(9037ULL + 10000, omr_delivery_time(&s, 0, dflt.burst, &dflt));
	/* Paced at 1 MB/s: 65.4 ms. */
	s.pacing_bps = 1000000;
	ASSERT_EQ(65428ULL + 10000, omr_delivery_time(&s, 0, dflt.burst, &dflt));
	/* Paced faster than the window allows: the window rules. */
	s.pacing_bps = 100000000;
	ASSERT_EQ(9037ULL + 10000, omr_delivery_time(&s, 0, dflt.burst, &dflt));
}

TEST(idle_rtt_decays_toward_min_rtt)
{
	ASSERT_EQ(50000U, omr_idle_rtt(50000, 10000, 0));
	ASSERT_EQ(30000U, omr_idle_rtt(50000, 10000, 50000));
	ASSERT_EQ(20000U, omr_idle_rtt(50000, 10000, 100000));
	ASSERT_EQ(10000U, omr_idle_rtt(50000, 10000, 10000000));
	ASSERT_EQ(10000U, omr_idle_rtt(50000, 10000, ~0ULL));
	/* Nothing to decay toward, or already there. */
	ASSERT_EQ(50000U, omr_idle_rtt(50000, 0, 1000000));
	ASSERT_EQ(8000U, omr_idle_rtt(8000, 9000, 1000000));
	ASSERT_EQ(0U, omr_idle_rtt(0, 9000, 1000000));
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
