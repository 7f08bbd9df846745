// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection state of the scheduler, kept outside the msk.
 *
 * struct mptcp_sock has no room for a scheduler's private data in 6.12, so
 * omr keeps its own table keyed by the msk pointer. An entry is created by
 * the scheduler's init op and removed by its release op; init runs under
 * rcu_read_lock() (mptcp_init_sock) or in softirq (passive clone), hence
 * GFP_ATOMIC. If the allocation fails the connection is still scheduled,
 * only without loss history.
 *
 * Lifetime: entries are freed with kfree_rcu(), lookups run under RCU, and
 * the entry of a live msk is only written with that msk's socket lock held,
 * so the scheduler needs no lock of its own. An msk freed without release
 * (should a kernel path skip it) is replaced when its address is reused, and
 * whatever is left is freed at module exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "omr.h"

static const struct rhashtable_params omr_conn_params = {
	.key_len = sizeof(const struct mptcp_sock *),
	.key_offset = offsetof(struct omr_conn, msk),
	.head_offset = offsetof(struct omr_conn, node),
	.automatic_shrinking = true,
};

static struct rhashtable omr_conns;

int omr_conn_table_init(void)
{
	return rhashtable_init(&omr_conns, &omr_conn_params);
}

static void omr_conn_free(void *ptr, void *arg)
{
	kfree(ptr);
}

void omr_conn_table_exit(void)
{
	/* Readers are gone: the scheduler was unregistered and RCU synced. */
	rhashtable_free_and_destroy(&omr_conns, omr_conn_free, NULL);
}

void omr_conn_create(const struct mptcp_sock *msk)
{
	struct omr_conn *conn, *old;

	conn = kzalloc(sizeof(*conn), GFP_ATOMIC);
	if (!conn)
		return;
	conn->msk = msk;

	rcu_read_lock();
	old = rhashtable_lookup_get_insert_fast(&omr_conns, &conn->node,
						omr_conn_params);
	if (IS_ERR(old)) {
		kfree(conn);
	} else if (old) {
		/* A dead msk's entry at a reused address: start afresh. */
		if (rhashtable_replace_fast(&omr_conns, &old->node, &conn->node,
					    omr_conn_params))
			kfree(conn);
		else
			kfree_rcu(old, rcu);
	}
	rcu_read_unlock();
}

void omr_conn_destroy(const struct mptcp_sock *msk)
{
	struct omr_conn *conn;

	rcu_read_lock();
	conn = rhashtable_lookup_fast(&omr_conns, &msk, omr_conn_params);
	if (conn && !rhashtable_remove_fast(&omr_conns, &conn->node,
					    omr_conn_params))
		kfree_rcu(conn, rcu);
	rcu_read_unlock();
}

/* Callers hold rcu_read_lock() or the msk socket lock (which pins the entry). */
struct omr_conn *omr_conn_lookup(const struct mptcp_sock *msk)
{
	return rhashtable_lookup_fast(&omr_conns, &msk, omr_conn_params);
}

/*
 * Give each of the n subflows (by subflow_id) its state slot: the one it had,
 * else a slot no current subflow holds (a closed subflow's), reset. Called
 * with the msk socket lock held; O(n * OMR_MAX_SUBFLOWS), no allocation.
 */
void omr_conn_bind(struct omr_conn *conn, const u32 *ids, int n,
		   struct omr_sf_state **slots)
{
	DECLARE_BITMAP(held, OMR_MAX_SUBFLOWS) = { 0 };
	int i, j;

	for (i = 0; i < n; i++) {
		slots[i] = NULL;
		for (j = 0; j < OMR_MAX_SUBFLOWS; j++) {
			if (conn->sf[j].id == ids[i]) {
				slots[i] = &conn->sf[j];
				__set_bit(j, held);
				break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (slots[i])
			continue;
		j = find_first_zero_bit(held, OMR_MAX_SUBFLOWS);
		if (j >= OMR_MAX_SUBFLOWS)
			break;
		__set_bit(j, held);
		memset(&conn->sf[j], 0, sizeof(conn->sf[j]));
		conn->sf[j].id = ids[i];
		slots[i] = &conn->sf[j];
	}
}
