// SPDX-License-Identifier: GPL-2.0
/*
 * omr: an MPTCP packet scheduler that sends each burst where it is expected
 * to arrive first.
 *
 * The problem. A router's WANs differ by an order of magnitude in rate, delay
 * and loss. The receiver delivers the MPTCP stream in order, so a byte sent on
 * a slow or lossy path holds up every byte behind it that a fast path already
 * delivered (head-of-line blocking). Spreading data in proportion to rates is
 * not enough: what matters is *when each burst arrives*.
 *
 * The decision. Before a burst of B bytes is handed to a subflow, every usable
 * subflow i gets an expected delivery time for the last byte of that burst:
 *
 *   T_i = wait_i + owd_i + loss_i
 *
 *   wait_i = max(0, Q_i + B - W_i) / R_i
 *            Q_i = in_flight_i * mss_i + unsent_i   bytes ahead of the burst
 *            W_i = cwnd_i * mss_i                   bytes the window lets out
 *            R_i = W_i / srtt_i                     window-limited rate
 *     The burst leaves once the window has drained everything queued before
 *     it: with ACK clocking the window drains W_i every srtt_i. A path with an
 *     empty queue and room in its window sends at once (wait 0).
 *
 *   owd_i = srtt_i / 2
 *     One-way delay: the burst still has to cross the path. This is the term
 *     that keeps data off a long path while a short one has room. For an
 *     idle subflow (nothing in flight or queued) the glue passes the path's
 *     minimum RTT instead: the queue its srtt was measured behind has
 *     drained, and a stale srtt would keep an idle path idle.
 *
 *   loss_i = min(1, p_i * ceil(B / mss_i)) * (srtt_i + 4 rttvar_i) * penalty
 *     The chance that at least one of the burst's segments is lost, times the
 *     time TCP needs to repair it (a fast retransmit takes about an RTT, a
 *     tail loss a retransmission timeout, srtt + 4 rttvar). The receiver waits
 *     that long for the hole, so a lossy path costs more than its rate says.
 *     p_i is an EWMA of retransmitted/sent segments over recent intervals of
 *     at least one RTT; penalty (percent) is a tunable. An idle path (nothing
 *     sent or in flight for 500 ms) takes a zero sample, so that a path once
 *     lossy is tried again instead of being shut out by its old estimate.
 *
 * The subflow with the smallest T gets the burst. Ties go to the one with
 * fewer bytes queued, then to the first. Consequences:
 *   - equal paths alternate: sending grows Q, so the other one wins next;
 *   - rates split by throughput: a path with 4x the window drains 4x faster;
 *   - a slow path is used only while the fast path's queue is long enough
 *     that the slow one still delivers earlier (BLEST's rule, by arithmetic);
 *   - when the winner is busy (its queue exceeds its window, or its send
 *     buffer is full), a sendable subflow j whose window has room for the
 *     burst now (wait_j = 0) takes it instead if two things hold:
 *       (T_j - T_best) * W_best / srtt_best + B <= window
 *     where window is what the peer's MPTCP-level window still allows: the
 *     fast path keeps sending meanwhile and its data fits in the receiver's
 *     buffer, so a slower path adds throughput without stalling the fast one
 *     (BLEST's rule, with our delivery times); and
 *       wait_best(P) + owd_best > T_j
 *     where P is everything not yet handed to any subflow: the fast path
 *     alone would not deliver all of it before j delivers this burst, so j
 *     shortens the transfer instead of making its tail (ECF's rule). Near
 *     the end of a bulk transfer P shrinks and the slow path falls silent,
 *     so its last burst does not arrive long after the fast path is done.
 *     Only a j that can start now is used: data queued behind a slow path's
 *     full window is committed to it for good, and is exactly what arrives
 *     last. Otherwise a busy winner is waited for (its ACKs re-run the
 *     scheduler: every incoming DATA_ACK pushes pending data, so this
 *     cannot stall).
 *
 * Backup. Backup subflows are candidates only when no non-backup subflow is
 * active (established and not stale), as RFC 8684 intends.
 *
 * Reinjection. Data re-sent after a subflow failed goes to the sendable
 * subflow with the smallest T, i.e. the healthiest: low delay, low loss;
 * but only to one with nothing outstanding at TCP level, as the kernel's
 * own scheduler does. A copy queued behind a subflow's backlog waits for
 * all of it, and if that backlog is what the receiver cannot take (its
 * buffer full of data that arrived after the hole this copy fills), it
 * waits forever: the receiver needs the hole filled to drain. With no such
 * subflow nothing is re-sent now; MPTCP's retransmission timer asks again.
 *
 * Unknown RTT. A new subflow without an RTT sample is given the largest RTT
 * among those known (pessimistic, so it is probed without being preferred),
 * or rtt_unknown_us when none is known.
 *
 * Arithmetic is integer only, in microseconds and bytes; inputs are clamped
 * so that no product overflows 64 bits: bytes < 2^32, RTT < 2^26 us (67 s).
 */
#include "sched_core.h"

#define OMR_RTT_MAX_US		67108864U	/* 2^26 us, 67 s */
#define OMR_U64_MAX		(~(u64)0)

#ifdef __KERNEL__
#include <linux/math64.h>
#define omr_div(a, b)		div64_u64((a), (b))
#else
#define omr_div(a, b)		((a) / (b))
#endif

static u32 clamp_rtt(u32 us)
{
	return us > OMR_RTT_MAX_US ? OMR_RTT_MAX_US : us;
}

static u64 clamp_bytes(u64 b)
{
	return b > 0xffffffffULL ? 0xffffffffULL : b;
}

/* Time until the window has let out everything queued before the burst. */
static u64 queue_wait(const struct omr_sf_in *sf, u32 srtt, u32 burst)
{
	u32 mss = sf->mss ? sf->mss : 1;
	u64 window = clamp_bytes((u64)(sf->cwnd ? sf->cwnd : 1) * mss);
	u64 queued = clamp_bytes((u64)sf->in_flight * mss + sf->unsent + burst);

	return queued > window ? omr_div((queued - window) * srtt, window) : 0;
}

/* The owd and loss terms of T: everything but the queue wait. */
static u64 path_cost(const struct omr_sf_in *sf, u32 srtt, u32 burst,
		     const struct omr_tunables *t)
{
	u32 mss = sf->mss ? sf->mss : 1;
	u64 loss_cost = 0, segs, p;

	if (sf->loss && t->loss_penalty) {
		segs = omr_div((u64)burst + mss - 1, mss);
		p = segs * sf->loss;
		if (p > OMR_ONE)
			p = OMR_ONE;
		loss_cost = (p * (srtt + 4ULL * clamp_rtt(sf->rttvar_us))) >> OMR_LOSS_SHIFT;
		loss_cost = omr_div(loss_cost * t->loss_penalty, 100);
	}
	return srtt / 2 + loss_cost;
}

static u32 effective_rtt(const struct omr_sf_in *sf, u32 srtt_fallback_us)
{
	return clamp_rtt(sf->srtt_us ? sf->srtt_us : srtt_fallback_us);
}

u64 omr_delivery_time(const struct omr_sf_in *sf, u32 srtt_fallback_us,
		      u32 burst, const struct omr_tunables *t)
{
	u32 srtt = effective_rtt(sf, srtt_fallback_us);

	return queue_wait(sf, srtt, burst) + path_cost(sf, srtt, burst, t);
}

/* Largest RTT sample among the subflows, for those that have none yet. */
static u32 rtt_fallback(const struct omr_sf_in *sf, int n, u32 dflt)
{
	u32 max = 0;
	int i;

	for (i = 0; i < n; i++)
		if (sf[i].active && sf[i].srtt_us > max)
			max = sf[i].srtt_us;
	return max ? max : dflt;
}

static bool usable(const struct omr_sf_in *sf, bool backup_pass, bool reinject)
{
	if (!sf->active || sf->backup != backup_pass)
		return false;
	return !reinject || (sf->can_send && sf->drained);
}

static bool better(u64 cost, u64 queued, u64 best_cost, u64 best_queued)
{
	return cost < best_cost || (cost == best_cost && queued < best_queued);
}

/*
 * The fastest path is full and @alt would deliver its burst later. Sending
 * there anyway costs nothing if the receiver can buffer what the fastest
 * path delivers in the meantime: (T_alt - T_best) * R_best bytes, plus the
 * burst itself, must fit in what the peer's MPTCP window still allows.
 */
static bool spill_fits(const struct omr_sf_in *best, u64 best_cost,
		       u64 alt_cost, u32 srtt_fallback_us, u32 burst, u64 window)
{
	u32 srtt = effective_rtt(best, srtt_fallback_us);
	u64 w = clamp_bytes((u64)(best->cwnd ? best->cwnd : 1) *
			    (best->mss ? best->mss : 1));
	u64 extra = alt_cost - best_cost;

	if (!srtt)
		return false;
	if (extra > OMR_RTT_MAX_US)
		extra = OMR_RTT_MAX_US;
	return omr_div(extra * w, srtt) + burst <= window;
}

/*
 * ECF: @alt is worth using only if the fastest path would not have delivered
 * everything pending (@pending bytes, not yet given to any subflow) by the
 * time @alt delivers this burst. @pending 0 means unknown: no limit.
 */
static bool spill_shortens(const struct omr_sf_in *best, u64 alt_cost,
			   u32 srtt_fallback_us, u64 pending,
			   const struct omr_tunables *t)
{
	u32 srtt = effective_rtt(best, srtt_fallback_us);
	u32 all = (u32)clamp_bytes(pending);

	if (!pending)
		return true;
	return queue_wait(best, srtt, all) + path_cost(best, srtt, t->burst, t) >
	       alt_cost;
}

/* Bytes the window of @sf lets out now, beyond what is queued: 0 if full. */
static u64 window_room(const struct omr_sf_in *sf)
{
	u32 mss = sf->mss ? sf->mss : 1;
	u64 window = clamp_bytes((u64)(sf->cwnd ? sf->cwnd : 1) * mss);
	u64 queued = clamp_bytes((u64)sf->in_flight * mss + sf->unsent);

	return queued < window ? window - queued : 0;
}

/* Backups take data only when no regular subflow is active at all. */
static bool backup_pass(const struct omr_sf_in *sf, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (sf[i].active && !sf[i].backup)
			return false;
	return true;
}

int omr_pick(const struct omr_sf_in *sf, int n, bool reinject, u64 window,
	     u64 pending, const struct omr_tunables *t, u64 *cost, u32 *burst)
{
	u64 best_cost = OMR_U64_MAX, best_queued = OMR_U64_MAX;
	u64 alt_cost = OMR_U64_MAX, alt_room = 0, best_wait = 0;
	u32 fallback = rtt_fallback(sf, n, t->rtt_unknown_us);
	bool backups;
	int i, best = -1, alt = -1;

	if (n > OMR_MAX_SUBFLOWS)
		n = OMR_MAX_SUBFLOWS;
	if (burst)
		*burst = t->burst;
	backups = backup_pass(sf, n);
	for (i = 0; i < n; i++) {
		u64 c, q, w, room;
		u32 srtt;

		if (cost)
			cost[i] = OMR_U64_MAX;
		if (!usable(&sf[i], backups, reinject))
			continue;
		srtt = effective_rtt(&sf[i], fallback);
		w = queue_wait(&sf[i], srtt, t->burst);
		c = w + path_cost(&sf[i], srtt, t->burst, t);
		q = (u64)sf[i].in_flight * sf[i].mss + sf[i].unsent;
		if (cost)
			cost[i] = c;
		if (better(c, q, best_cost, best_queued)) {
			best = i;
			best_cost = c;
			best_queued = q;
			best_wait = w;
		}
		/* Of the paths that can start sending now, the earliest. */
		room = window_room(&sf[i]);
		if (sf[i].can_send && room && c < alt_cost) {
			alt = i;
			alt_cost = c;
			alt_room = room;
		}
	}

	if (best < 0)
		return -1;
	/*
	 * The earliest-arriving path is busy (its window is full or its
	 * buffer is) and another one can start now. Use that one if the
	 * receiver can absorb the reordering and the transfer ends sooner
	 * for it; give it only what its window lets out now, so that nothing
	 * waits in a slow path's queue. Else wait for the busy one.
	 */
	if ((best_wait || !sf[best].can_send) && alt >= 0 && alt != best &&
	    spill_fits(&sf[best], best_cost, alt_cost, fallback, t->burst, window) &&
	    spill_shortens(&sf[best], alt_cost, fallback, pending, t)) {
		if (burst && alt_room < t->burst)
			*burst = alt_room;
		return alt;
	}
	return sf[best].can_send ? best : -1;
}

u32 omr_loss_update(u32 loss, u32 d_retrans, u32 d_segs, u32 gain)
{
	u64 sample;

	if (!d_segs)
		return loss;
	if (d_retrans > d_segs)
		d_retrans = d_segs;
	if (gain > 256)
		gain = 256;
	sample = omr_div((u64)d_retrans << OMR_LOSS_SHIFT, d_segs);
	/* loss += (sample - loss) * gain / 256, in unsigned arithmetic */
	return (u32)(((u64)loss * (256 - gain) + sample * gain) >> 8);
}

bool omr_loss_due(u64 elapsed_us, u32 srtt_us, u32 d_segs)
{
	u64 interval = srtt_us > 50000 ? srtt_us : 50000;

	if (!d_segs)
		return false;
	if (elapsed_us >= 500000)
		return true;
	return elapsed_us >= interval && d_segs >= 8;
}

/*
 * A path the scheduler leaves idle yields no samples, so without decay its
 * estimate would stay at whatever its last busy interval saw, its loss cost
 * would keep it idle, and one bad second would shut it out for good. Only a
 * path with nothing in flight decays: one stuck in RTO backoff also sends
 * nothing for a while, and its loss is real.
 */
bool omr_loss_decay_due(u64 elapsed_us, u32 d_segs, u32 in_flight)
{
	return !d_segs && !in_flight && elapsed_us >= 500000;
}
