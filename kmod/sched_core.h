/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omr scheduler: the decision arithmetic, free of kernel dependencies so that
 * the same file is unit-tested and benchmarked in userspace. See sched_core.c
 * for the algorithm.
 */
#ifndef _OMR_SCHED_CORE_H
#define _OMR_SCHED_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#endif

/* Most subflows one decision looks at (the kernel allows 8 joins + 1). */
#define OMR_MAX_SUBFLOWS	16

/* Loss rates are fixed point: OMR_ONE is 100 %. */
#define OMR_LOSS_SHIFT		16
#define OMR_ONE			65536U	/* 1 << OMR_LOSS_SHIFT */

/* What the scheduler knows of one subflow at decision time. */
struct omr_sf_in {
	u32 srtt_us;		/* smoothed RTT; 0 while TCP has no sample */
	u32 rttvar_us;		/* RTT mean deviation */
	u32 mss;		/* bytes per segment */
	u32 cwnd;		/* congestion window, segments */
	u32 in_flight;		/* segments sent and not yet acked */
	u32 unsent;		/* bytes queued in the subflow, not yet sent */
	u32 loss;		/* smoothed loss rate, OMR_ONE = 100 % */
	u8 active:1;		/* established, not stale, can send at all */
	u8 backup:1;		/* backup path (ours or the peer's request) */
	u8 can_send:1;		/* the subflow's send buffer has room now */
	u8 drained:1;		/* nothing unsent or unacked at TCP level */
};

/* Tunables; all read once per decision. */
struct omr_tunables {
	u32 loss_penalty;	/* percent of a recovery time a loss costs */
	u32 loss_gain;		/* EWMA gain of new loss samples, /256 */
	u32 rtt_unknown_us;	/* RTT assumed when no subflow has a sample */
	u32 burst;		/* bytes handed to a subflow per decision */
};

/* Expected delivery time, in microseconds, of @burst more bytes on @sf. */
u64 omr_delivery_time(const struct omr_sf_in *sf, u32 srtt_fallback_us,
		      u32 burst, const struct omr_tunables *t);

/*
 * Pick the subflow for the next burst: the index into @sf, or -1 when no
 * subflow should take data now. @window is how many bytes the peer's
 * MPTCP-level receive window still allows (0 if none or unknown); @pending
 * how many bytes wait at the MPTCP level, not yet given to a subflow (0 if
 * unknown: then a busy fast path always shares). @cost,
 * when not NULL, receives every subflow's expected delivery time (U64_MAX
 * for those not considered). @burst, when not NULL, receives how many bytes
 * to hand the pick: the tunable's burst, or less when the pick is a slower
 * path taking only what its window lets out now.
 */
int omr_pick(const struct omr_sf_in *sf, int n, bool reinject, u64 window,
	     u64 pending, const struct omr_tunables *t, u64 *cost, u32 *burst);

/* Fold one interval's retransmission sample into the smoothed loss rate. */
u32 omr_loss_update(u32 loss, u32 d_retrans, u32 d_segs, u32 gain);

/*
 * Whether an interval is long enough to sample loss: at least one RTT (and
 * 50 ms) with 8 segments sent, or 500 ms with anything sent.
 */
bool omr_loss_due(u64 elapsed_us, u32 srtt_us, u32 d_segs);

/*
 * Whether an idle path's estimate should decay: 500 ms with nothing sent and
 * nothing in flight. The caller then folds in a zero sample.
 */
bool omr_loss_decay_due(u64 elapsed_us, u32 d_segs, u32 in_flight);

#endif /* _OMR_SCHED_CORE_H */
