/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels omr builds for, as feature checks rather
 * than version numbers: distributions backport. The checks are answered in
 * omr_features.h, generated per target kernel by scripts/prepare-ksrc.sh from
 * that kernel's own headers.
 */
#ifndef _OMR_COMPAT_H
#define _OMR_COMPAT_H

#include "omr_features.h"

/*
 * Up to 6.12 a scheduler has one op, get_subflow(msk, data), told by
 * data->reinject whether it picks for new data or for a retransmission.
 * Later kernels split it into get_send(msk) and get_retrans(msk).
 * OMR_SCHED_ENTRY(pfx) wraps pfx_schedule(msk, bool reinject) into this
 * kernel's ops, named pfx_get_*, and OMR_SCHED_OPS_INIT(pfx) fills them into
 * a struct mptcp_sched_ops.
 */
#ifdef OMR_HAVE_SCHED_GET_SEND
#define OMR_SCHED_ENTRY(pfx)						\
static int pfx##_get_send(struct mptcp_sock *msk)			\
{									\
	return pfx##_schedule(msk, false);				\
}									\
static int pfx##_get_retrans(struct mptcp_sock *msk)			\
{									\
	return pfx##_schedule(msk, true);				\
}

#define OMR_SCHED_OPS_INIT(pfx)						\
	.get_send = pfx##_get_send,					\
	.get_retrans = pfx##_get_retrans
#else
#define OMR_SCHED_ENTRY(pfx)						\
static int pfx##_get_subflow(struct mptcp_sock *msk,			\
			     struct mptcp_sched_data *data)		\
{									\
	return pfx##_schedule(msk, data->reinject);			\
}

#define OMR_SCHED_OPS_INIT(pfx)						\
	.get_subflow = pfx##_get_subflow
#endif

/*
 * Up to 6.12 the scheduler's retransmission pick drives stale-subflow
 * detection (mptcp_pm_subflow_chk_stale() per subflow with data
 * outstanding), so any scheduler must do it: omr does it itself, in
 * stale.c, as that function is not exported. Later kernels do it in the
 * core, in __mptcp_retrans() before get_retrans, via mptcp_pm_chk_stale():
 * omr must not do it too (stale_count would advance twice per period).
 */
#ifdef OMR_HAVE_PM_CHK_STALE
#define OMR_SCHED_DRIVES_STALE	0
#else
#define OMR_SCHED_DRIVES_STALE	1
#endif

/* When a TCP socket's retransmission timer fires, in jiffies. */
#ifdef OMR_HAVE_TCP_TIMEOUT_EXPIRES
#define omr_rtx_timer_expires(ssk)	tcp_timeout_expires(ssk)
#else
#define omr_rtx_timer_expires(ssk)	(inet_csk(ssk)->icsk_timeout)
#endif

/* kernel_bind() takes a struct sockaddr_unsized * in later kernels. */
#ifdef OMR_HAVE_SOCKADDR_UNSIZED
#define omr_sockaddr(a)	((struct sockaddr_unsized *)(a))
#else
#define omr_sockaddr(a)	((struct sockaddr *)(a))
#endif

/* How many extra subflows (joins) the namespace's limits allow per msk. */
#ifdef OMR_HAVE_PM_LIMIT_EXTRA_SUBFLOWS
#define omr_pm_joins_max(msk)	mptcp_pm_get_limit_extra_subflows(msk)
#else
#define omr_pm_joins_max(msk)	mptcp_pm_get_subflows_max(msk)
#endif

#endif /* _OMR_COMPAT_H */
