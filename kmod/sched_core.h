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
#include <stddef.h>
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
	u32 min_rtt_us;		/* the path's minimum RTT; 0 if unknown */
	u32 pacing_bps;		/* pacing rate, bytes/s, if paced; else 0 */
};

/* What the scheduler knows of the connection (the msk) at decision time. */
struct omr_msk_in {
	u64 window;		/* bytes the peer's MPTCP window still allows */
	u64 pending;		/* backlog for ECF's tail gate; 0: not the tail */
	u32 head;		/* unsent bytes of the head fragment; 0: unknown */
	bool ecf_waiting;	/* the last spill was refused by the tail gate */
};

/* What one decision hands back besides the pick. */
struct omr_pick_out {
	u32 burst;		/* bytes to hand the pick */
	bool ecf_waiting;	/* the new ECF state, for the next decision */
};

/* Tunables; all read once per decision. */
struct omr_tunables {
	u32 loss_penalty;	/* percent of a recovery time a loss costs */
	u32 loss_gain;		/* EWMA gain of new loss samples, /256 */
	u32 rtt_unknown_us;	/* RTT assumed when no subflow has a sample */
	u32 burst;		/* bytes handed to a subflow per decision */
};

/*
 * Expected delivery time, in microseconds, of @burst more bytes on @sf:
 * queue wait plus one-way delay, without any loss term.
 */
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

/*
 * The same, with everything: @m the connection's state (head fragment, ECF
 * hysteresis), @out (may be NULL) the burst and the next ECF state.
 */
int omr_pick_msk(const struct omr_sf_in *sf, int n, bool reinject,
		 const struct omr_msk_in *m, const struct omr_tunables *t,
		 u64 *cost, struct omr_pick_out *out);

/*
 * Expected time, in microseconds, until the receiver has the last of
 * @bytes sent on @sf despite its loss rate: the chance that one of its
 * segments is lost times a repair (srtt + 4 rttvar), each repair lost again
 * with the same chance; loss_penalty percent of it.
 */
u64 omr_repair_time(const struct omr_sf_in *sf, u32 srtt_fallback_us,
		    u32 bytes, const struct omr_tunables *t);

/*
 * The backlog ECF's tail gate may judge by: @pending (bytes not yet given to
 * any subflow) only at the real tail of a transfer, when a DATA_FIN is
 * queued (@fin) or the application is not held by the send buffer
 * (!@blocked); otherwise 0 (not the tail). A sender held by its buffer
 * has a backlog the buffer hides: what is pending shrinks because the
 * DATA_ACK is late, not because the transfer ends.
 */
u64 omr_tail_backlog(u64 pending, bool fin, bool blocked);

/*
 * RTT to cost an idle subflow with (nothing in flight or queued for
 * @idle_us): @srtt decays toward @min_rtt, halving the difference every
 * srtt, instead of jumping to it: a subflow that has just drained has not
 * yet seen its path's queue drain.
 */
u32 omr_idle_rtt(u32 srtt_us, u32 min_rtt_us, u64 idle_us);

/* Fold one interval's sample (segments lost of sent) into the loss rate. */
u32 omr_loss_update(u32 loss, u32 d_lost, u32 d_segs, u32 gain);

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
