// SPDX-License-Identifier: GPL-2.0
/*
 * omr: an MPTCP packet scheduler that sends each burst where it is expected
 * to arrive first, and otherwise waits (ECF) rather than queue data where it
 * would arrive last.
 *
 * The problem. A router's WANs differ by an order of magnitude in rate, delay
 * and loss. The receiver delivers the MPTCP stream in order, so a byte sent on
 * a slow or lossy path holds up every byte behind it that a fast path already
 * delivered (head-of-line blocking). Spreading data in proportion to rates is
 * not enough: what matters is *when each burst arrives*. And data handed to a
 * subflow is committed to it: what sits in a fast path's queue can no longer
 * go to a slow path whose window opens, and a slow path that gets no data is
 * application-limited, so its window never grows.
 *
 * The cost. Before B bytes are handed to a subflow, every usable subflow i
 * gets an expected delivery time for the last of them:
 *
 *   T_i(B) = wait_i(B) + owd_i
 *
 *   wait_i(B) = max(0, Q_i + B - W_i) / R_i
 *            Q_i = in_flight_i * mss_i + unsent_i   bytes ahead of the burst
 *            W_i = cwnd_i * mss_i                   bytes the window lets out
 *            R_i = min(W_i / srtt_i, pacing_i)      its rate (pacing only
 *                                                   where the subflow is paced)
 *     The burst leaves once the window has drained everything queued before
 *     it: with ACK clocking the window drains W_i every srtt_i.
 *
 *   owd_i = srtt_i - min_rtt_i / 2   (srtt_i / 2 while min_rtt is unknown)
 *     One-way delay: half the path's base RTT plus all of its queueing
 *     delay, which builds at the sender's bottleneck, in the direction of
 *     the data: srtt / 2 would halve it. For an idle subflow (nothing in
 *     flight or queued) the glue decays srtt toward min_rtt, halving the
 *     difference every srtt idle (omr_idle_rtt()): the queue it was measured
 *     behind drains, but not at once.
 *
 * Loss is not in T: TCP already shrinks a lossy path's window, which T sees.
 * It enters where a path other than the best would take data (below), as
 * the expected repair time of what that path takes:
 *
 *   L_i(b) = (1 - (1 - p_i)^ceil(b / mss_i)) * (srtt_i + 4 rttvar_i)
 *            / (1 - p_i) * penalty
 *     the chance that one of its segments is lost, times the time TCP needs
 *     to repair it (a fast retransmit takes about an RTT, a tail loss an
 *     RTO, srtt + 4 rttvar), each repair lost again with chance p_i. p_i is
 *     an EWMA of segments TCP marked lost per segment sent (tcp_sock.lost,
 *     so neither tail-loss probes nor the segments an RTO resends without
 *     marking count) over intervals of at least one RTT; an idle path
 *     decays toward 0.
 *
 * The decision (ECF, with our delivery times):
 *   1. best = the subflow with the smallest T(B) (ties: fewer bytes queued,
 *      then the first). If its window has room for the whole burst, it
 *      takes it. Equal paths alternate, rates split by windows, a short
 *      path is preferred while its queue is short.
 *   2. Otherwise best is busy. Of the other sendable subflows whose window
 *      has room now, take j with the smallest T_j(b_j) + L_j(b_j), costed by
 *      what it would take now:
 *        b_j = min(B, max(room_j, head))
 *      room_j what its window lets out beyond its queue, head the unsent
 *      part of the MPTCP-level head fragment, which the kernel hands over
 *      whole (it checks the burst only between fragments). A new 200 ms
 *      path at cwnd 10 is costed by its 10 segments, not by the 45 of a
 *      full burst, which would defer its slow start by seconds. j takes b_j
 *      if
 *        (T_j + L_j - T_best) * R_best + b_j <= window       (BLEST)
 *      window what the peer's MPTCP-level window still allows: the fast
 *      path keeps sending meanwhile and its data fits the receiver's buffer,
 *      so j adds throughput without stalling it; and
 *        wait_best(P) + owd_best >= (1 + beta * waiting) * (T_j + L_j)  (ECF)
 *      P the backlog at the real tail of the transfer (a DATA_FIN queued, or
 *      the application not held by its send buffer; no limit otherwise):
 *      if the fast path alone delivers all of P before j delivers this, j
 *      would only make the tail. beta = 1/4 is ECF's hysteresis: once the
 *      gate has held data back ("waiting"), it keeps doing so until the
 *      fast path is 25 % later, so that the decision does not flap.
 *   3. Else best takes the burst if its queue is within its window
 *      (Q_best <= W_best): at most one burst beyond the window is ever
 *      queued on a path.
 *   4. Else no subflow takes data now (-1): it stays at the MPTCP level for
 *      whichever window opens first. Every incoming ACK that carries MPTCP
 *      options pushes pending data while the peer's window allows
 *      (__mptcp_check_push()), on whichever subflow, so this cannot stall.
 *      Before, the busy best took bursts up to its send buffer: the MPTCP
 *      queue emptied, a slow subflow's ACKs found nothing to send, and its
 *      window, application-limited, could not grow.
 *
 * Backup. Backup subflows are candidates only when no non-backup subflow is
 * active (established and not stale), as RFC 8684 intends.
 *
 * Reinjection. Data re-sent after a subflow failed goes to the sendable
 * subflow with the smallest T(B) + L(B), i.e. the healthiest: low delay,
 * low loss; but only to one with nothing outstanding at TCP level, as the
 * kernel's own scheduler does. A copy queued behind a subflow's backlog
 * waits for all of it, and if that backlog is what the receiver cannot take
 * (its buffer full of data that arrived after the hole this copy fills), it
 * waits forever. With no such subflow nothing is re-sent now; MPTCP's
 * retransmission timer asks again.
 *
 * Unknown RTT. A new subflow without an RTT sample is given the largest RTT
 * among those known (pessimistic, so it is probed without being preferred),
 * or rtt_unknown_us when none is known.
 *
 * Arithmetic is integer only, in microseconds and bytes; inputs are clamped
 * so that no product overflows 64 bits: bytes < 2^32, RTT < 2^26 us (67 s);
 * pacing rates are u32 bytes/s (34 Gbit/s).
 */
#include "sched_core.h"

#define OMR_RTT_MAX_US		67108864U	/* 2^26 us, 67 s */
#define OMR_U64_MAX		(~(u64)0)
#define OMR_USEC		1000000ULL
/* Loss rates above 15/16 are taken as 15/16: a repair is retried 16 times. */
#define OMR_LOSS_MAX		(OMR_ONE / 16 * 15)

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

static u64 sf_window(const struct omr_sf_in *sf)
{
	return clamp_bytes((u64)(sf->cwnd ? sf->cwnd : 1) *
			   (sf->mss ? sf->mss : 1));
}

static u64 sf_queued(const struct omr_sf_in *sf)
{
	return clamp_bytes((u64)sf->in_flight * (sf->mss ? sf->mss : 1) +
			   sf->unsent);
}

/* Pacing rate if it is below the window's rate W / srtt, else 0. */
static u64 sf_pacing(const struct omr_sf_in *sf, u32 srtt, u64 window)
{
	u64 pace = sf->pacing_bps;

	return pace && pace * srtt < window * OMR_USEC ? pace : 0;
}

/* Time until the path has let out everything queued before @bytes more. */
static u64 queue_wait(const struct omr_sf_in *sf, u32 srtt, u32 bytes)
{
	u64 window = sf_window(sf);
	u64 queued = clamp_bytes(sf_queued(sf) + bytes);
	u64 pace = sf_pacing(sf, srtt, window);

	if (queued <= window)
		return 0;
	if (pace)
		return omr_div((queued - window) * OMR_USEC, pace);
	return omr_div((queued - window) * srtt, window);
}

/* Bytes the path delivers in @us at its rate. */
static u64 bytes_in(const struct omr_sf_in *sf, u32 srtt, u64 us)
{
	u64 window = sf_window(sf);
	u64 pace = sf_pacing(sf, srtt, window);

	if (us > OMR_RTT_MAX_US)
		us = OMR_RTT_MAX_US;
	if (pace)
		return omr_div(us * pace, OMR_USEC);
	return srtt ? omr_div(us * window, srtt) : OMR_U64_MAX;
}

/* One-way delay: the base RTT's half plus all the queueing in srtt. */
static u64 owd(const struct omr_sf_in *sf, u32 srtt)
{
	u32 min_rtt = clamp_rtt(sf->min_rtt_us);

	if (min_rtt && min_rtt <= srtt)
		return srtt - min_rtt / 2;
	return srtt / 2;
}

static u32 effective_rtt(const struct omr_sf_in *sf, u32 srtt_fallback_us)
{
	return clamp_rtt(sf->srtt_us ? sf->srtt_us : srtt_fallback_us);
}

u64 omr_delivery_time(const struct omr_sf_in *sf, u32 srtt_fallback_us,
		      u32 burst, const struct omr_tunables *t)
{
	u32 srtt = effective_rtt(sf, srtt_fallback_us);

	(void)t;	/* loss is no longer part of T; kept for the callers */
	return queue_wait(sf, srtt, burst) + owd(sf, srtt);
}

/* (1 - p)^n in OMR_ONE fixed point, by squaring. */
static u64 keep_all(u32 p, u64 n)
{
	u64 base = OMR_ONE - p, r = OMR_ONE;

	while (n) {
		if (n & 1)
			r = (r * base) >> OMR_LOSS_SHIFT;
		base = (base * base) >> OMR_LOSS_SHIFT;
		n >>= 1;
	}
	return r;
}

static u64 repair_time(const struct omr_sf_in *sf, u32 srtt, u32 bytes,
		       const struct omr_tunables *t)
{
	u32 mss = sf->mss ? sf->mss : 1;
	u32 p = sf->loss > OMR_LOSS_MAX ? OMR_LOSS_MAX : sf->loss;
	u64 any, cost;

	if (!p || !t->loss_penalty || !bytes)
		return 0;
	any = OMR_ONE - keep_all(p, omr_div((u64)bytes + mss - 1, mss));
	cost = (any * (srtt + 4ULL * clamp_rtt(sf->rttvar_us))) >> OMR_LOSS_SHIFT;
	cost = omr_div(cost << OMR_LOSS_SHIFT, OMR_ONE - p);
	return omr_div(cost * t->loss_penalty, 100);
}

u64 omr_repair_time(const struct omr_sf_in *sf, u32 srtt_fallback_us,
		    u32 bytes, const struct omr_tunables *t)
{
	return repair_time(sf, effective_rtt(sf, srtt_fallback_us), bytes, t);
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

/* Backups take data only when no regular subflow is active at all. */
static bool backup_pass(const struct omr_sf_in *sf, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (sf[i].active && !sf[i].backup)
			return false;
	return true;
}

/* One candidate for a spill: who, at what cost, taking how much. */
struct omr_spill {
	int idx;
	u64 cost;
	u32 take;
};

/*
 * Of the sendable subflows other than @best whose window has room now, the
 * one whose share arrives first, costed by what it would take now (its
 * room, at least the head fragment, at most a burst) plus its repair time.
 */
static struct omr_spill spill_candidate(const struct omr_sf_in *sf, int n,
					int best, bool backups, u32 fallback,
					const struct omr_msk_in *m,
					const struct omr_tunables *t)
{
	struct omr_spill s = { .idx = -1, .cost = OMR_U64_MAX };
	int i;

	for (i = 0; i < n; i++) {
		u64 window, queued, take, c;
		u32 srtt;

		if (i == best || !usable(&sf[i], backups, false) || !sf[i].can_send)
			continue;
		window = sf_window(&sf[i]);
		queued = sf_queued(&sf[i]);
		if (queued >= window)
			continue;
		take = window - queued;
		if (take < m->head)
			take = m->head;
		if (take > t->burst)
			take = t->burst;
		srtt = effective_rtt(&sf[i], fallback);
		c = queue_wait(&sf[i], srtt, (u32)take) + owd(&sf[i], srtt) +
		    repair_time(&sf[i], srtt, (u32)take, t);
		if (c < s.cost) {
			s.idx = i;
			s.cost = c;
			s.take = (u32)take;
		}
	}
	return s;
}

/*
 * BLEST: sending @s's share costs nothing if the receiver can buffer what
 * the best path delivers meanwhile: (T_s - T_best) * R_best bytes, plus the
 * share itself, must fit in what the peer's MPTCP window still allows.
 */
static bool spill_fits(const struct omr_sf_in *best, u64 best_cost,
		       const struct omr_spill *s, u32 srtt_fallback_us,
		       u64 window)
{
	u32 srtt = effective_rtt(best, srtt_fallback_us);
	u64 extra = s->cost > best_cost ? s->cost - best_cost : 0;
	u64 ahead = bytes_in(best, srtt, extra);

	return ahead < window && ahead + s->take <= window;
}

/*
 * ECF: @s is worth using only if the best path would not have delivered
 * the whole backlog @pending by the time @s delivers its share; once
 * @waiting, only if it would be a quarter later than that (hysteresis).
 * @pending 0: not the tail, no limit.
 */
static bool spill_shortens(const struct omr_sf_in *best,
			   const struct omr_spill *s, u32 srtt_fallback_us,
			   u64 pending, bool waiting)
{
	u32 srtt = effective_rtt(best, srtt_fallback_us);
	u64 done, need = s->cost;

	if (!pending)
		return true;
	done = queue_wait(best, srtt, (u32)clamp_bytes(pending)) + owd(best, srtt);
	if (waiting)
		need += need / 4;
	return done >= need;
}

/*
 * The subflow with the smallest T(B) + L(B), repairs included: for a copy
 * (@reinject) the healthiest drained one; for new data the reference a
 * lossy pick is held to. Its T + L in @best_cost.
 */
static int pick_repaired(const struct omr_sf_in *sf, int n, bool backups,
			 bool reinject, u32 fallback,
			 const struct omr_tunables *t, u64 *cost, u64 *best_cost)
{
	u64 best_queued = OMR_U64_MAX;
	int i, best = -1;

	*best_cost = OMR_U64_MAX;
	for (i = 0; i < n; i++) {
		u64 c;
		u32 srtt;

		if (!usable(&sf[i], backups, reinject))
			continue;
		srtt = effective_rtt(&sf[i], fallback);
		c = queue_wait(&sf[i], srtt, t->burst) + owd(&sf[i], srtt) +
		    repair_time(&sf[i], srtt, t->burst, t);
		if (cost)
			cost[i] = c;
		if (better(c, sf_queued(&sf[i]), *best_cost, best_queued)) {
			best = i;
			*best_cost = c;
			best_queued = sf_queued(&sf[i]);
		}
	}
	return best;
}

/* The subflow with the earliest T(B), loss left out; -1 if none usable. */
static int pick_best(const struct omr_sf_in *sf, int n, bool backups,
		     u32 fallback, const struct omr_tunables *t, u64 *cost,
		     u64 *best_cost, u64 *best_wait)
{
	u64 best_queued = OMR_U64_MAX;
	int i, best = -1;

	*best_cost = OMR_U64_MAX;
	for (i = 0; i < n; i++) {
		u64 c, w;
		u32 srtt;

		if (!usable(&sf[i], backups, false))
			continue;
		srtt = effective_rtt(&sf[i], fallback);
		w = queue_wait(&sf[i], srtt, t->burst);
		c = w + owd(&sf[i], srtt);
		if (cost)
			cost[i] = c;
		if (better(c, sf_queued(&sf[i]), *best_cost, best_queued)) {
			best = i;
			*best_cost = c;
			*best_wait = w;
			best_queued = sf_queued(&sf[i]);
		}
	}
	return best;
}

/*
 * Loss does not rank, but a lossy @best is held to the path whose burst
 * arrives first repairs included (f): the receiver must be able to buffer
 * what f delivers while @best's expected repair is outstanding (BLEST),
 * else f is the best. Returns the best, with its T(B) and wait.
 */
static int hold_to_reference(const struct omr_sf_in *sf, int n, int best,
			     bool backups, u32 fallback,
			     const struct omr_msk_in *m,
			     const struct omr_tunables *t, u64 *best_cost,
			     u64 *best_wait)
{
	u32 srtt = effective_rtt(&sf[best], fallback);
	struct omr_spill b = { best, *best_cost, t->burst };
	u64 f_cost;
	int f;

	if (!sf[best].loss || !t->loss_penalty)
		return best;
	f = pick_repaired(sf, n, backups, false, fallback, t, NULL, &f_cost);
	if (f < 0 || f == best)
		return best;
	b.cost += repair_time(&sf[best], srtt, t->burst, t);
	if (spill_fits(&sf[f], f_cost, &b, fallback, m->window))
		return best;
	srtt = effective_rtt(&sf[f], fallback);
	*best_wait = queue_wait(&sf[f], srtt, t->burst);
	*best_cost = *best_wait + owd(&sf[f], srtt);
	return f;
}

int omr_pick_msk(const struct omr_sf_in *sf, int n, bool reinject,
		 const struct omr_msk_in *m, const struct omr_tunables *t,
		 u64 *cost, struct omr_pick_out *out)
{
	struct omr_pick_out o = { t->burst, m->ecf_waiting };
	u32 fallback = rtt_fallback(sf, n, t->rtt_unknown_us);
	u64 best_cost, best_wait = 0;
	struct omr_spill s;
	int i, best;
	bool backups;

	if (n > OMR_MAX_SUBFLOWS)
		n = OMR_MAX_SUBFLOWS;
	for (i = 0; cost && i < n; i++)
		cost[i] = OMR_U64_MAX;
	backups = backup_pass(sf, n);
	if (reinject) {
		best = pick_repaired(sf, n, backups, true, fallback, t, cost,
				     &best_cost);
		goto out;
	}
	best = pick_best(sf, n, backups, fallback, t, cost, &best_cost,
			 &best_wait);
	if (best < 0)
		goto out;
	best = hold_to_reference(sf, n, best, backups, fallback, m, t,
				 &best_cost, &best_wait);
	if (!best_wait && sf[best].can_send)
		goto out;
	/* Busy: a path that can start now, if the transfer gains by it. */
	s = spill_candidate(sf, n, best, backups, fallback, m, t);
	if (s.idx >= 0 && spill_fits(&sf[best], best_cost, &s, fallback,
				     m->window)) {
		if (spill_shortens(&sf[best], &s, fallback, m->pending,
				   m->ecf_waiting)) {
			/* One fragment at a time: the next is decided anew. */
			o.burst = m->head && s.take > m->head ? m->head : s.take;
			o.ecf_waiting = false;
			best = s.idx;
			goto out;
		}
		o.ecf_waiting = true;
	}
	/* At most one burst beyond the window; else wait for one to open. */
	if (!sf[best].can_send || sf_queued(&sf[best]) > sf_window(&sf[best]))
		best = -1;
out:
	if (out)
		*out = o;
	return best;
}

int omr_pick(const struct omr_sf_in *sf, int n, bool reinject, u64 window,
	     u64 pending, const struct omr_tunables *t, u64 *cost, u32 *burst)
{
	const struct omr_msk_in m = { .window = window, .pending = pending };
	struct omr_pick_out o;
	int pick = omr_pick_msk(sf, n, reinject, &m, t, cost, &o);

	if (burst)
		*burst = o.burst;
	return pick;
}

u64 omr_tail_backlog(u64 pending, bool fin, bool blocked)
{
	return fin || !blocked ? pending : 0;
}

u32 omr_idle_rtt(u32 srtt_us, u32 min_rtt_us, u64 idle_us)
{
	u64 halvings;

	if (!srtt_us || !min_rtt_us || min_rtt_us >= srtt_us)
		return srtt_us;
	halvings = omr_div(idle_us, srtt_us);
	if (halvings >= 32)
		return min_rtt_us;
	return min_rtt_us + ((srtt_us - min_rtt_us) >> halvings);
}

u32 omr_loss_update(u32 loss, u32 d_lost, u32 d_segs, u32 gain)
{
	u64 sample;

	if (!d_segs)
		return loss;
	if (d_lost > d_segs)
		d_lost = d_segs;
	if (gain > 256)
		gain = 256;
	sample = omr_div((u64)d_lost << OMR_LOSS_SHIFT, d_segs);
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
