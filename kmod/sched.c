// SPDX-License-Identifier: GPL-2.0
/*
 * omr: the MPTCP packet scheduler "omr", kernel side.
 *
 * Algorithm (sched_core.c has it in full, with the reasons):
 *
 *   for the next burst of B bytes, every usable subflow i is costed
 *     T_i = max(0, Q_i + B - W_i) * srtt_i / W_i      queue drain
 *         + srtt_i / 2                                crossing the path
 *         + min(1, p_i * B/mss_i) * (srtt_i + 4 rttvar_i) * penalty
 *                                                     expected loss repair
 *   and the burst goes to the smallest T_i; backup subflows only when no
 *   regular one is active; if the winner is busy, the burst waits for it
 *   unless a path with room in its window can take it now, the receiver's
 *   window can absorb the reordering, and the winner alone would not
 *   deliver everything pending sooner (ECF); retransmissions go to the
 *   sendable subflow with the smallest T_i among those with nothing
 *   outstanding at TCP level.
 *
 * This file gathers the inputs from each subflow's own TCP state (srtt,
 * mdev, cwnd, packets in flight, bytes not yet sent, send-buffer room) and
 * keeps the one estimate TCP does not: p_i, a smoothed loss rate from the
 * subflow's retransmission counters, sampled over intervals of at least one
 * RTT (conn.c holds it, per connection).
 *
 * Locking: MPTCP calls the scheduler with the msk socket lock held
 * (msk_owned_by_me()), from process context or from the subflow's softirq
 * push path. Everything below runs under that lock and touches only this
 * msk's state: no lock of our own, no allocation, O(n) in the number of
 * subflows. TCP fields of the subflows are read without their socket lock,
 * as the kernel's own scheduler does: they are estimates.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>
#include "omr.h"

/* Room on the stack for one decision: about 0.5 KiB. */
struct omr_decision {
	struct omr_sf_in in[OMR_MAX_SUBFLOWS];
	struct mptcp_subflow_context *sfs[OMR_MAX_SUBFLOWS];
	struct omr_sf_state *slots[OMR_MAX_SUBFLOWS];
	u32 ids[OMR_MAX_SUBFLOWS];
	int n;
};

/*
 * mptcp_subflow_active() without its side effect: a stale subflow that heard
 * from the peer since it went stale counts as active; the kernel clears the
 * flag (and counts the recovery) when data is next pushed on it.
 */
static bool omr_subflow_active(struct mptcp_subflow_context *sf)
{
	const struct tcp_sock *tp = tcp_sk(mptcp_subflow_tcp_sock(sf));

	if (unlikely(sf->stale) &&
	    sf->stale_rcv_tstamp == READ_ONCE(tp->rcv_tstamp))
		return false;
	return __mptcp_subflow_active(sf);
}

/* How long until this subflow's retransmission timer fires, in jiffies. */
static long omr_subflow_timeout(const struct mptcp_subflow_context *sf)
{
	const struct sock *ssk = mptcp_subflow_tcp_sock(sf);

	if (!inet_csk(ssk)->icsk_pending || sf->stale_count)
		return 0;
	return omr_rtx_timer_expires(ssk) - jiffies;
}

static void omr_snapshot(struct mptcp_subflow_context *sf, struct omr_sf_in *in)
{
	const struct sock *ssk = mptcp_subflow_tcp_sock(sf);
	const struct tcp_sock *tp = tcp_sk(ssk);

	in->srtt_us = READ_ONCE(tp->srtt_us) >> 3;
	in->rttvar_us = READ_ONCE(tp->mdev_us) >> 2;
	in->mss = READ_ONCE(tp->mss_cache);
	in->cwnd = tcp_snd_cwnd(tp);
	in->in_flight = tcp_packets_in_flight(tp);
	in->unsent = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt);
	/*
	 * An idle subflow's srtt is what its path's queue was when it last
	 * carried data; that queue has drained since, and the next burst
	 * sees about the path's minimum RTT. Left at srtt, a path that once
	 * queued deeply would look slow for as long as it stays idle, and
	 * stay idle because it looks slow.
	 */
	if (!in->in_flight && !in->unsent) {
		u32 min_rtt = tcp_min_rtt(tp);

		if (min_rtt && min_rtt < in->srtt_us)
			in->srtt_us = min_rtt;
	}
	in->loss = 0;
	in->active = omr_subflow_active(sf);
	in->backup = sf->backup || sf->request_bkup;
	in->can_send = sk_stream_memory_free(ssk);
	in->drained = tcp_rtx_and_write_queues_empty(ssk);
}

/* Take a loss sample from the retransmission counters when one is due. */
static void omr_sample_loss(struct omr_sf_state *st, const struct sock *ssk,
			    u32 srtt_us, u64 now_us, u32 gain)
{
	const struct tcp_sock *tp = tcp_sk(ssk);
	u32 segs = READ_ONCE(tp->data_segs_out);
	u32 retrans = READ_ONCE(tp->total_retrans);

	if (!st->last_us) {
		st->last_segs = segs;
		st->last_retrans = retrans;
		st->last_us = now_us;
		return;
	}
	if (omr_loss_decay_due(now_us - st->last_us, segs - st->last_segs,
			       READ_ONCE(tp->packets_out)))
		st->loss = omr_loss_update(st->loss, 0, 1, gain);
	else if (omr_loss_due(now_us - st->last_us, srtt_us,
			      segs - st->last_segs))
		st->loss = omr_loss_update(st->loss, retrans - st->last_retrans,
					   segs - st->last_segs, gain);
	else
		return;
	st->last_segs = segs;
	st->last_retrans = retrans;
	st->last_us = now_us;
}

static long omr_gather(struct mptcp_sock *msk, struct omr_decision *d,
		       const struct omr_tunables *t)
{
	struct mptcp_subflow_context *sf;
	struct omr_conn *conn;
	long tout = 0;
	u64 now;
	int i;

	d->n = 0;
	mptcp_for_each_subflow(msk, sf) {
		if (d->n == OMR_MAX_SUBFLOWS)
			break;
		d->sfs[d->n] = sf;
		d->ids[d->n] = sf->subflow_id;
		omr_snapshot(sf, &d->in[d->n]);
		if (d->in[d->n].active)
			tout = max(tout, omr_subflow_timeout(sf));
		d->n++;
	}

	/* The entry cannot go away: release runs under the msk lock we hold. */
	conn = omr_conn_lookup(msk);
	if (!conn)
		return tout;
	omr_conn_bind(conn, d->ids, d->n, d->slots);
	now = tcp_clock_us();
	for (i = 0; i < d->n; i++) {
		if (!d->slots[i])
			continue;
		omr_sample_loss(d->slots[i], mptcp_subflow_tcp_sock(d->sfs[i]),
				d->in[i].srtt_us, now, t->loss_gain);
		d->in[i].loss = d->slots[i]->loss;
	}
	return tout;
}

static int omr_schedule(struct mptcp_sock *msk, bool reinject)
{
	struct omr_tunables t;
	struct omr_decision d;
	s64 window, pending;
	long tout;
	u32 burst;
	int pick;

	msk_owned_by_me(msk);
	omr_tunables_get(&t);
	if (OMR_SCHED_DRIVES_STALE && reinject)
		omr_stale_check(msk);
	tout = omr_gather(msk, &d, &t);

	/*
	 * Never plan a burst larger than the peer's MPTCP-level window, nor
	 * than what is waiting to be sent: a 64-byte request must be costed
	 * as 64 bytes, or it would be sent as if it were a full burst.
	 */
	window = (s64)(READ_ONCE(msk->wnd_end) - msk->snd_nxt);
	pending = (s64)(READ_ONCE(msk->write_seq) - msk->snd_nxt);
	if (!reinject) {
		if (window > 0 && window < t.burst)
			t.burst = window;
		if (pending > 0 && pending < t.burst)
			t.burst = pending;
	}

	pick = omr_pick(d.in, d.n, reinject, window > 0 ? window : 0,
			!reinject && pending > 0 ? pending : 0, &t, NULL, &burst);
	if (!reinject) {
		/* As the default scheduler: the msk retransmission timer
		 * follows the slowest pending subflow timer.
		 */
		msk->timer_ival = tout > 0 ? tout : TCP_RTO_MIN;
	}
	if (pick < 0)
		return -EINVAL;

	WRITE_ONCE(d.sfs[pick]->scheduled, true);
	if (!reinject && window > 0)
		msk->snd_burst = burst;
	return 0;
}

OMR_SCHED_ENTRY(omr)

static void omr_sched_conn_init(struct mptcp_sock *msk)
{
	omr_conn_create(msk);
}

static void omr_sched_conn_release(struct mptcp_sock *msk)
{
	omr_conn_destroy(msk);
}

static struct mptcp_sched_ops omr_sched_ops = {
	OMR_SCHED_OPS_INIT(omr),
	.init		= omr_sched_conn_init,
	.release	= omr_sched_conn_release,
	.name		= "omr",
	.owner		= THIS_MODULE,
};

/* Whether @msk is scheduled by omr; compares a pointer, dereferences none. */
bool omr_sched_is_ours(const struct mptcp_sock *msk)
{
	return READ_ONCE(msk->sched) == &omr_sched_ops;
}

/*
 * Registration, without mptcp_register_scheduler(): that function is not
 * exported and, never address-taken, is sealed on IBT CPUs. omr does what
 * it does (net/mptcp/sched.c, identical in 6.12 and 7.3 but for the op it
 * validates) on the same two objects, with the same lock and RCU rules:
 *
 *   mptcp_register_scheduler(ops)         omr_sched_register()
 *     validate: the op the core calls       the same op, set at build time
 *       unconditionally (6.12 get_subflow,  (OMR_SCHED_OPS_INIT, compat.h)
 *       7.x get_send)
 *     spin_lock(&mptcp_sched_list_lock)     spin_lock(omr_sched_lock)
 *     mptcp_sched_find(name): -EEXIST       the same walk: -EEXIST
 *     list_add_tail_rcu(&ops->list, ...)    the same
 *     spin_unlock()                         spin_unlock()
 *   mptcp_unregister_scheduler(ops)       omr_sched_unregister()
 *     spin_lock, list_del_rcu, spin_unlock  the same, then synchronize_rcu()
 *
 * Readers walk the list under rcu_read_lock() only (mptcp_sched_find() from
 * mptcp_init_sock() and the net.mptcp.scheduler sysctl; 7.x's
 * available_schedulers too), writers hold the spinlock (6.12's
 * available_schedulers takes it as well). The list head and the lock are
 * found as verified data (ksym.c); the walk also checks that the list holds
 * MPTCP's built-in "default" scheduler, which mptcp_sched_init() registers
 * at boot, before omr adds itself. A connection using omr holds a reference
 * on this module (mptcp_init_sched() takes it, mptcp_release_sched() drops
 * it), so the ops cannot go while one does; after list_del_rcu() and
 * synchronize_rcu() no reader can still find them.
 */
static struct list_head *omr_sched_list;
static spinlock_t *omr_sched_lock;

int omr_sched_resolve(void)
{
	omr_sched_list = omr_ksym_data("mptcp_sched_list",
				       sizeof(*omr_sched_list));
	omr_sched_lock = omr_ksym_data("mptcp_sched_list_lock",
				       sizeof(*omr_sched_lock));
	return omr_sched_list && omr_sched_lock ? 0 : -ENOENT;
}

int omr_sched_register(void)
{
	struct mptcp_sched_ops *sched;
	bool builtin = false;
	int ret = 0;

	spin_lock(omr_sched_lock);
	list_for_each_entry(sched, omr_sched_list, list) {
		if (!strcmp(sched->name, "default"))
			builtin = true;
		if (!strcmp(sched->name, omr_sched_ops.name))
			ret = -EEXIST;
	}
	if (!builtin)
		ret = -ENOENT;
	if (!ret)
		list_add_tail_rcu(&omr_sched_ops.list, omr_sched_list);
	spin_unlock(omr_sched_lock);
	return ret;
}

void omr_sched_unregister(void)
{
	spin_lock(omr_sched_lock);
	list_del_rcu(&omr_sched_ops.list);
	spin_unlock(omr_sched_lock);
	/* mptcp_sched_find() walks the list under RCU: wait for it. */
	synchronize_rcu();
}
