/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path manager's observability (events.c): the events it multicasts on
 * the omr family's "events" group, and the per-path statistics `omrctl conn
 * show` reads (subflows, RTT, loss, share of traffic, failed joins).
 *
 * Everything here runs in the PM's work (process context, no lock held):
 * events are allocated with GFP_KERNEL and sent with no lock held.
 */
#ifndef _OMR_EVENTS_H
#define _OMR_EVENTS_H

#include <linux/types.h>
#include "uapi/linux/omr.h"
#include "addr.h"

struct sock;
struct omr_pm_net;
struct omr_pm_conn;
struct omr_pm_path;
struct omr_pm_event;
struct net;
struct sk_buff;

#define OMR_WIN_BUCKETS	(OMR_WINDOW_SECS + 1)	/* one-second buckets */

/* Per path: the last pass's view, and the traffic window. */
struct omr_path_stats {
	u64 tx[OMR_WIN_BUCKETS], rx[OMR_WIN_BUCKETS];
	unsigned long win_t0;	/* jiffies: start of the current bucket */
	unsigned long since;	/* jiffies: when the window started */
	u8 win_cur;
	bool win_on;
	u8 health_reason;	/* enum omr_ev_reason of the last demotion */
	u32 subflows, srtt_us, loss;	/* published at the end of a pass */
	u32 p_subflows, p_srtt_us, p_loss;	/* this pass, so far */
	u32 join_fails, join_fails_total;
};

/* Per connection, path and peer address: the first established subflow's
 * counters as the previous pass saw them (in struct omr_pm_sub).
 */
struct omr_sub_stats {
	u64 acked, rcvd;
	__be16 sport;
};

/* What a pass read from that subflow (in struct omr_obs_path). */
struct omr_obs_stats {
	u64 acked, rcvd;
	u32 srtt_us;
	__be16 sport;
};

/* A subflow the PM destroyed and why, until MPTCP reports it closed. */
struct omr_ev_kill {
	struct omr_addr saddr;
	__be16 sport;
	u8 reason;		/* enum omr_ev_reason */
	u8 path;
};

#define OMR_EV_KILLS	8

/* Per connection (in struct omr_pm_conn). */
struct omr_conn_ev {
	struct omr_ev_kill kill[OMR_EV_KILLS];
	u8 nkill;		/* next slot, round robin */
	u8 regular;		/* paths with a regular subflow, last pass */
	u8 regular_now;		/* ... and this one, so far */
	u8 backup_now;		/* paths with a backup subflow, this pass */
	bool seen;		/* a pass has looked at it */
};

void omr_ev_path_link(struct omr_pm_net *pn, const struct omr_pm_path *p,
		      bool was_up);
void omr_ev_health(struct omr_pm_net *pn, struct omr_pm_path *p, u8 reason);
void omr_ev_mptcp(struct omr_pm_net *pn, struct omr_pm_conn *c,
		  const struct omr_pm_event *ev);
void omr_ev_kill_note(struct omr_pm_conn *c, const struct omr_addr *saddr,
		      __be16 sport, int path, u8 reason);
void omr_ev_join(struct omr_pm_net *pn, int path, bool ok);
bool omr_ev_stripped(const struct omr_pm_path *p);
void omr_ev_obs(struct omr_obs_stats *os, const struct sock *ssk);
void omr_ev_conn_path(struct omr_pm_net *pn, struct omr_pm_conn *c, int path,
		      int rem, const struct omr_obs_stats *os, bool up,
		      u32 loss);
void omr_ev_conn_end(struct omr_pm_net *pn, struct omr_pm_conn *c);
void omr_ev_pass_end(struct omr_pm_net *pn, unsigned long now);
void omr_ev_win_roll(struct omr_path_stats *st, unsigned long now);
u32 omr_ev_win_ms(const struct omr_path_stats *st, unsigned long now);
void omr_ev_win_sum(const struct omr_path_stats *st, u64 *tx, u64 *rx);

u32 omr_ev_loss_ppm(u32 loss);

/* The family events go out on (its "events" group): genl.c registers it. */
struct genl_family;
void omr_ev_sink_set(const struct genl_family *family);

#endif /* _OMR_EVENTS_H */
