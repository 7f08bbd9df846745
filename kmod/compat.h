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
 * OMR_SCHED_ENTRY(fn) wraps fn(msk, bool reinject) into this kernel's ops and
 * OMR_SCHED_OPS_INIT(fn) fills them into a struct mptcp_sched_ops.
 */
#ifdef OMR_HAVE_SCHED_GET_SEND
#define OMR_SCHED_ENTRY(fn)						\
static int fn##_send(struct mptcp_sock *msk)				\
{									\
	return fn(msk, false);						\
}									\
static int fn##_retrans(struct mptcp_sock *msk)				\
{									\
	return fn(msk, true);						\
}
#define OMR_SCHED_OPS_INIT(fn)						\
	.get_send = fn##_send,						\
	.get_retrans = fn##_retrans
#else
#define OMR_SCHED_ENTRY(fn)						\
static int fn##_subflow(struct mptcp_sock *msk,				\
			struct mptcp_sched_data *data)			\
{									\
	return fn(msk, data->reinject);					\
}
#define OMR_SCHED_OPS_INIT(fn)						\
	.get_subflow = fn##_subflow
#endif

#endif /* _OMR_COMPAT_H */
