// SPDX-License-Identifier: GPL-2.0
/*
 * Stale-subflow tracking for kernels whose scheduler drives it (6.12; see
 * OMR_SCHED_DRIVES_STALE in compat.h), on exported API and the private
 * structs whose layout the build verifies.
 *
 * In 6.12 only mptcp_subflow_get_retrans(), the default scheduler's
 * retransmission pick, calls mptcp_pm_subflow_chk_stale() for each active
 * subflow with data outstanding at TCP level; nothing else advances
 * stale_count. The pick runs from __mptcp_retrans() (the msk retransmission
 * timer, through mptcp_sched_get_retrans()) with the msk socket lock held,
 * right after mptcp_clean_una_wakeup(). omr's retransmission pick does the
 * same here, as omr_stale_check(), because mptcp_pm_subflow_chk_stale() is
 * not exported and calls other non-exported functions. What it does, and
 * what omr does instead (net/mptcp/pm.c, pm_kernel.c, protocol.c of 6.12):
 *
 *  - stale_count: one more per retransmission period in which the subflow
 *    heard nothing from the peer (tcp rcv_tstamp unchanged); reset, and the
 *    stale flag cleared (MIB SubflowRecover), once it did. Same here.
 *  - once stale_count exceeds net.mptcp.stale_loss_cnt and another active
 *    subflow has fewer than stale_loss_cnt - 1 periods, under the subflow's
 *    socket lock (lock_sock_fast(), exported) if it still has data queued:
 *    flag it stale (MIB SubflowStale) and re-inject the whole MPTCP-level
 *    retransmission queue (__mptcp_retransmit_pending_data()). Same here,
 *    with two differences: stale_loss_cnt is its default, 4 (the per-netns
 *    value lives in ctrl.c's private pernet struct: a namespace that changed
 *    it, or set 0 to disable the tracking, gets 4 for omr connections); and
 *    the re-injection skips __mptcp_clean_una_wakeup(), which
 *    __mptcp_retrans() ran just before the pick under the same lock hold
 *    (the msk is owned, so acks meanwhile are only recorded: a fragment
 *    acked since is sent once more, and the peer drops the duplicate).
 *  - then __mptcp_push_pending(). Not here: once the pick returns,
 *    __mptcp_retrans() sees first_pending set and flags MPTCP_PUSH_PENDING
 *    (mptcp_check_and_set_pending()), and the msk's release_cb pushes the
 *    re-injected data when the lock is released, moments later.
 */
#include <net/tcp.h>
#include "omr.h"
#include "mptcp/mib.h"

#if OMR_SCHED_DRIVES_STALE

#define OMR_STALE_LOSS_CNT	4	/* net.mptcp.stale_loss_cnt's default */

/* mptcp_subflow_set_active() */
static void omr_stale_clear(struct mptcp_subflow_context *sf)
{
	if (!sf->stale)
		return;
	sf->stale = 0;
	MPTCP_INC_STATS(sock_net(mptcp_subflow_tcp_sock(sf)),
			MPTCP_MIB_SUBFLOWRECOVER);
}

/* mptcp_subflow_active(), side effect included */
static bool omr_stale_active(struct mptcp_subflow_context *sf)
{
	const struct tcp_sock *tp = tcp_sk(mptcp_subflow_tcp_sock(sf));

	if (unlikely(sf->stale)) {
		if (sf->stale_rcv_tstamp == READ_ONCE(tp->rcv_tstamp))
			return false;
		omr_stale_clear(sf);
	}
	return __mptcp_subflow_active(sf);
}

/* __mptcp_retransmit_pending_data() but for __mptcp_clean_una_wakeup() */
static void omr_stale_reinject(struct mptcp_sock *msk)
{
	struct sock *sk = (struct sock *)msk;
	struct mptcp_data_frag *cur, *rtx_head;

	if (__mptcp_check_fallback(msk))
		return;
	mptcp_data_lock(sk);
	rtx_head = mptcp_rtx_head(sk);
	if (!rtx_head) {
		mptcp_data_unlock(sk);
		return;
	}
	msk->recovery_snd_nxt = msk->snd_nxt;
	msk->recovery = true;
	mptcp_data_unlock(sk);

	msk->first_pending = rtx_head;
	msk->snd_burst = 0;
	list_for_each_entry(cur, &msk->rtx_queue, list) {
		if (!cur->already_sent)
			break;
		cur->already_sent = 0;
	}
}

/* mptcp_pm_nl_subflow_chk_stale() */
static void omr_stale_mark(struct mptcp_sock *msk,
			   struct mptcp_subflow_context *sf)
{
	struct sock *ssk = mptcp_subflow_tcp_sock(sf);
	struct mptcp_subflow_context *iter;
	bool slow;

	if (sf->stale || sf->stale_count <= OMR_STALE_LOSS_CNT)
		return;
	mptcp_for_each_subflow(msk, iter) {
		if (iter == sf || !omr_stale_active(iter) ||
		    iter->stale_count >= OMR_STALE_LOSS_CNT - 1)
			continue;
		slow = lock_sock_fast(ssk);
		if (!tcp_rtx_and_write_queues_empty(ssk)) {
			sf->stale = 1;
			omr_stale_reinject(msk);
			MPTCP_INC_STATS(sock_net(ssk), MPTCP_MIB_SUBFLOWSTALE);
		}
		unlock_sock_fast(ssk, slow);
		return;
	}
}

/* mptcp_pm_subflow_chk_stale() */
static void omr_stale_count(struct mptcp_sock *msk,
			    struct mptcp_subflow_context *sf)
{
	u32 rcv_tstamp = READ_ONCE(tcp_sk(mptcp_subflow_tcp_sock(sf))->rcv_tstamp);

	if (!sf->stale_count) {
		sf->stale_rcv_tstamp = rcv_tstamp;
		sf->stale_count++;
	} else if (sf->stale_rcv_tstamp == rcv_tstamp) {
		if (sf->stale_count < U8_MAX)
			sf->stale_count++;
		omr_stale_mark(msk, sf);
	} else {
		sf->stale_count = 0;
		omr_stale_clear(sf);
	}
}

/*
 * Called by the retransmission pick with the msk socket lock held, as
 * mptcp_subflow_get_retrans() calls mptcp_pm_subflow_chk_stale().
 */
void omr_stale_check(struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *sf;

	mptcp_for_each_subflow(msk, sf) {
		if (__mptcp_subflow_active(sf) &&
		    !tcp_rtx_and_write_queues_empty(mptcp_subflow_tcp_sock(sf)))
			omr_stale_count(msk, sf);
	}
}

#endif /* OMR_SCHED_DRIVES_STALE */
