/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omr.ko internals shared between its files.
 */
#ifndef _OMR_H
#define _OMR_H

#include <linux/types.h>
#include "mptcp/protocol.h"
#include "compat.h"
#include "sched_core.h"

#define OMR_VERSION	"0.1.0"

/*
 * ksym.c: kernel data MPTCP does not export, found and verified at load.
 * omr calls no kernel function through a pointer (IBT): what this returns
 * is data only, which scripts/lint.sh checks.
 */
int omr_ksym_init(void);
void *omr_ksym_data(const char *name, size_t size);

/* kernel_id.c: refuse a kernel whose BTF is not the one built against. */
int omr_kernel_id_check(void);

/* params.c: the scheduler's tunables, one RCU-published set (global). */
void omr_tunables_get(struct omr_tunables *t);
int omr_tunables_set(const struct omr_tunables *t);
void omr_tunables_live(void);
void omr_tunables_exit(void);

/* conn.c: per-connection state, found by msk. */
struct omr_sf_state {
	u32 id;			/* mptcp subflow_id; 0: slot free */
	u32 loss;		/* smoothed loss rate, OMR_ONE = 100 % */
	u32 last_segs;		/* tcp segs_out at the last loss sample */
	u32 last_retrans;	/* tcp total_retrans at the last loss sample */
	u64 last_us;		/* time of the last loss sample */
};

struct omr_conn {
	struct rhash_head node;
	const struct mptcp_sock *msk;
	struct rcu_head rcu;
	/* Written only with the msk socket lock held. */
	struct omr_sf_state sf[OMR_MAX_SUBFLOWS];
};

int omr_conn_table_init(void);
void omr_conn_table_exit(void);
void omr_conn_create(const struct mptcp_sock *msk);
void omr_conn_destroy(const struct mptcp_sock *msk);
struct omr_conn *omr_conn_lookup(const struct mptcp_sock *msk);
void omr_conn_bind(struct omr_conn *conn, const u32 *ids, int n,
		   struct omr_sf_state **slots);

/* genl.c: the "omr" generic netlink family (uapi/linux/omr.h). */
int omr_genl_init(void);
void omr_genl_exit(void);

/* sched.c */
int omr_sched_resolve(void);
int omr_sched_register(void);
void omr_sched_unregister(void);
bool omr_sched_is_ours(const struct mptcp_sock *msk);

/* stale.c: 6.12's stale-subflow tracking (OMR_SCHED_DRIVES_STALE). */
void omr_stale_check(struct mptcp_sock *msk);

#endif /* _OMR_H */
