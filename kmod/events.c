// SPDX-License-Identifier: GPL-2.0
/*
 * The path manager's observability: events on the omr family's "events"
 * multicast group, and the per-path statistics of OMR_CMD_GET_PATHS
 * (uapi/linux/omr.h documents both).
 *
 * Every function runs in the PM's work (process context), which holds no
 * lock (pm.h): that is where the PM learns everything it reports, so an
 * event needs no queue of its own. It is built with GFP_KERNEL and
 * multicast at once, to the listeners of the PM's own namespace
 * (genlmsg_multicast_netns). An event that cannot be allocated is dropped;
 * one the listener has no room for is dropped by netlink, which tells the
 * listener (ENOBUFS).
 *
 * The family the events go out on is registered here by the netlink server
 * (genl.c, omr_ev_sink_set()) at its init and withdrawn before it
 * unregisters: the PM never calls into genl.c, and the dependency between
 * the files stays one way. The pointer is RCU-protected: the multicast
 * itself runs in an RCU read section (GFP_ATOMIC for the clones), so a
 * withdrawn family is never sent on after omr_ev_sink_set(NULL) returns.
 *
 * The share of traffic. Each pass (tick_ms apart while the PM follows a
 * connection) reads the bytes acked and received of the first established
 * subflow per path and peer address of each connection, and adds what grew
 * since the previous pass to the path's current one-second bucket. A path
 * keeps OMR_WINDOW_SECS + 1 buckets: the window is the last OMR_WINDOW_SECS
 * whole seconds and the current one's part. A subflow seen for the first
 * time only sets the baseline (what it carried before is not in the window).
 * Computed in the kernel, at the PM's pace, so that every reader (omrctl -j,
 * a script, a monitoring agent) sees the same share without sampling twice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <net/tcp.h>
#include <uapi/linux/mptcp_pm.h>
#include "omr.h"
#include "pm.h"

/* The reason a stack-reported close gets when the PM did not cause it. */
struct omr_ev_sf {
	u8 type, reason;
	u32 token, error;
	struct omr_addr saddr, daddr;
	__be16 sport, dport;
	int path;
};

static const struct genl_family __rcu *omr_ev_family;

/* genl.c: @family once registered; NULL before it unregisters. */
void omr_ev_sink_set(const struct genl_family *family)
{
	rcu_assign_pointer(omr_ev_family, family);
	if (!family)
		synchronize_rcu();
}

/*
 * A new event message with its type and reason, or NULL when nobody listens
 * (or no memory). *nest is the open OMR_A_EVENT; omr_ev_send() closes it.
 */
static struct sk_buff *omr_ev_new(struct omr_pm_net *pn, u8 type, u8 reason,
				  struct nlattr **nest)
{
	const struct genl_family *family;
	struct sk_buff *skb;
	void *hdr = NULL;

	rcu_read_lock();
	family = rcu_dereference(omr_ev_family);
	if (!family || !genl_has_listeners(family, pn->net, 0)) {
		rcu_read_unlock();
		return NULL;
	}
	rcu_read_unlock();
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	rcu_read_lock();
	family = rcu_dereference(omr_ev_family);
	/* At skb->data: omr_ev_send() finds it. */
	if (family)
		hdr = genlmsg_put(skb, 0, 0, family, 0, OMR_CMD_EVENT);
	rcu_read_unlock();
	if (!hdr)
		goto err;
	*nest = nla_nest_start(skb, OMR_A_EVENT);
	if (!*nest || nla_put_u8(skb, OMR_EV_A_TYPE, type) ||
	    nla_put_u8(skb, OMR_EV_A_REASON, reason))
		goto err;
	return skb;
err:
	nlmsg_free(skb);
	return NULL;
}

static void omr_ev_send(struct omr_pm_net *pn, struct sk_buff *skb,
			struct nlattr *nest)
{
	const struct genl_family *family;

	nla_nest_end(skb, nest);
	/* genlmsg_end() takes what genlmsg_put() returned: after both headers. */
	genlmsg_end(skb, genlmsg_data(nlmsg_data(nlmsg_hdr(skb))));
	rcu_read_lock();
	family = rcu_dereference(omr_ev_family);
	if (family)
		genlmsg_multicast_netns(family, pn->net, skb, 0, 0, GFP_ATOMIC);
	else
		nlmsg_free(skb);
	rcu_read_unlock();
}

static int omr_ev_put_path(struct sk_buff *skb, const struct omr_pm_path *p,
			   int name_attr, int index_attr)
{
	return nla_put_string(skb, name_attr, p->dev) ||
	       nla_put_u32(skb, index_attr, p->ifindex);
}

/* A path's link went up or down (omr_pm_links_eval). */
void omr_ev_path_link(struct omr_pm_net *pn, const struct omr_pm_path *p,
		      bool was_up)
{
	struct nlattr *nest;
	struct sk_buff *skb;

	if (p->link_up == was_up)
		return;
	skb = omr_ev_new(pn, p->link_up ? OMR_EV_PATH_UP : OMR_EV_PATH_DOWN,
			 OMR_EV_R_NONE, &nest);
	if (!skb)
		return;
	if (omr_ev_put_path(skb, p, OMR_EV_A_IFNAME, OMR_EV_A_IFINDEX)) {
		nlmsg_free(skb);
		return;
	}
	omr_ev_send(pn, skb, nest);
}

/* A path was demoted (@reason: STALL, LOSS, RTT) or promoted (NONE). */
void omr_ev_health(struct omr_pm_net *pn, struct omr_pm_path *p, u8 reason)
{
	struct nlattr *nest;
	struct sk_buff *skb;

	if (reason != OMR_EV_R_NONE)
		p->st.health_reason = reason;
	skb = omr_ev_new(pn, reason != OMR_EV_R_NONE ? OMR_EV_PATH_DEMOTED :
			 OMR_EV_PATH_PROMOTED, reason, &nest);
	if (!skb)
		return;
	if (omr_ev_put_path(skb, p, OMR_EV_A_IFNAME, OMR_EV_A_IFINDEX)) {
		nlmsg_free(skb);
		return;
	}
	omr_ev_send(pn, skb, nest);
}

static void omr_ev_subflow(struct omr_pm_net *pn, const struct omr_ev_sf *e)
{
	struct nlattr *nest;
	struct sk_buff *skb;

	skb = omr_ev_new(pn, e->type, e->reason, &nest);
	if (!skb)
		return;
	if ((e->path >= 0 &&
	     omr_ev_put_path(skb, &pn->paths[e->path], OMR_EV_A_IFNAME,
			     OMR_EV_A_IFINDEX)) ||
	    nla_put_u32(skb, OMR_EV_A_TOKEN, e->token) ||
	    omr_nla_put_addr(skb, OMR_EV_A_LOCAL_ADDR, &e->saddr) ||
	    nla_put_u16(skb, OMR_EV_A_LOCAL_PORT, ntohs(e->sport)) ||
	    omr_nla_put_addr(skb, OMR_EV_A_REMOTE_ADDR, &e->daddr) ||
	    nla_put_u16(skb, OMR_EV_A_REMOTE_PORT, ntohs(e->dport)) ||
	    (e->error && nla_put_u32(skb, OMR_EV_A_ERROR, e->error))) {
		nlmsg_free(skb);
		return;
	}
	omr_ev_send(pn, skb, nest);
}

/* The path a subflow is on: its bound device, else its source address. */
static int omr_ev_path_of(struct omr_pm_net *pn, int ifindex,
			  const struct omr_addr *saddr)
{
	int i;

	for (i = 0; i < pn->npaths; i++) {
		const struct omr_pm_path *p = &pn->paths[i];

		if (ifindex ? ifindex == p->ifindex :
		    omr_addr_eq(saddr, &p->addr[omr_fam_idx(saddr->family)]))
			return i;
	}
	return -1;
}

static int omr_ev_rem_of(const struct omr_pm_conn *c,
			 const struct omr_addr *daddr, __be16 dport)
{
	int r;

	for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
		if (c->rem[r].used && omr_addr_eq(&c->rem[r].addr, daddr) &&
		    c->rem[r].port == dport)
			return r;
	return -1;
}

/* Why a subflow closed: the PM's own note, else what its state says. */
static u8 omr_ev_close_reason(struct omr_pm_conn *c, const struct omr_ev_sf *e)
{
	struct omr_ev_kill *k;
	int i, r;

	for (i = 0; i < OMR_EV_KILLS; i++) {
		k = &c->ev.kill[i];
		if (k->reason && omr_addr_eq(&k->saddr, &e->saddr) &&
		    k->sport == e->sport) {
			u8 reason = k->reason;

			k->reason = OMR_EV_R_NONE;
			return reason;
		}
	}
	r = omr_ev_rem_of(c, &e->daddr, e->dport);
	if (e->path >= 0 && r >= 0 &&
	    omr_conn_sub(c, e->path, r)->state == OMR_SUB_CONNECTING)
		return OMR_EV_R_JOIN_FAILED;
	return OMR_EV_R_PEER;
}

/*
 * MPTCP's own events for a connection the PM follows: a subflow up (the
 * first one with the connection, ESTABLISHED; joins, SUB_ESTABLISHED) or
 * closed (SUB_CLOSED).
 */
void omr_ev_mptcp(struct omr_pm_net *pn, struct omr_pm_conn *c,
		  const struct omr_pm_event *ev)
{
	struct omr_ev_sf e = {
		.token = ev->token, .error = ev->error,
		.saddr = ev->saddr, .daddr = ev->daddr,
		.sport = ev->sport, .dport = ev->dport,
	};

	switch (ev->type) {
	case MPTCP_EVENT_ESTABLISHED:
	case MPTCP_EVENT_SUB_ESTABLISHED:
		e.type = OMR_EV_SF_CREATED;
		e.reason = OMR_EV_R_NONE;
		break;
	case MPTCP_EVENT_SUB_CLOSED:
		e.type = OMR_EV_SF_CLOSED;
		break;
	default:
		return;
	}
	e.path = omr_ev_path_of(pn, ev->ifindex, &ev->saddr);
	if (e.type == OMR_EV_SF_CLOSED)
		e.reason = omr_ev_close_reason(c, &e);
	omr_ev_subflow(pn, &e);
}

/* The PM is about to destroy this subflow, for @reason. */
void omr_ev_kill_note(struct omr_pm_conn *c, const struct omr_addr *saddr,
		      __be16 sport, int path, u8 reason)
{
	struct omr_ev_kill *k = &c->ev.kill[c->ev.nkill];

	c->ev.nkill = (c->ev.nkill + 1) % OMR_EV_KILLS;
	*k = (struct omr_ev_kill){ .saddr = *saddr, .sport = sport,
				   .reason = reason, .path = path };
}

/* A join on @path came up (@ok), or went away before it did. */
void omr_ev_join(struct omr_pm_net *pn, int path, bool ok)
{
	struct omr_path_stats *st = &pn->paths[path].st;

	if (ok) {
		st->join_fails = 0;
		return;
	}
	st->join_fails++;
	st->join_fails_total++;
	if (st->join_fails == OMR_STRIPPED_JOIN_FAILS)
		pr_info_ratelimited("path %s: %u joins failed in a row: MPTCP stripped on the way?\n",
				    pn->paths[path].dev, st->join_fails);
}

/*
 * Joins keep failing on a path that works otherwise: a middlebox strips or
 * drops MPTCP's options there. A demoted path is left out: joins into a
 * black hole fail too, and its health already says why.
 */
bool omr_ev_stripped(const struct omr_pm_path *p)
{
	return p->link_up && p->health == OMR_HEALTH_OK &&
	       p->st.join_fails >= OMR_STRIPPED_JOIN_FAILS;
}

/* Read the counters of an established subflow; msk socket lock held. */
void omr_ev_obs(struct omr_obs_stats *os, const struct sock *ssk)
{
	const struct tcp_sock *tp = tcp_sk(ssk);

	os->acked = READ_ONCE(tp->bytes_acked);
	os->rcvd = READ_ONCE(tp->bytes_received);
	os->srtt_us = READ_ONCE(tp->srtt_us) >> 3;
	os->sport = inet_sk(ssk)->inet_sport;
}

static u8 omr_ev_lowest(u8 mask)
{
	return mask ? __ffs(mask) : 0xff;
}

/*
 * After the PM brought one path (to one peer address) of a connection in
 * line: account its traffic, note whether it carries a regular or a backup
 * subflow now (@up: one is established and was not destroyed).
 */
void omr_ev_conn_path(struct omr_pm_net *pn, struct omr_pm_conn *c, int path,
		      int rem, const struct omr_obs_stats *os, bool up,
		      u32 loss)
{
	struct omr_pm_path *p = &pn->paths[path];
	struct omr_sub_stats *ss = &omr_conn_sub(c, path, rem)->st;
	struct omr_path_stats *st = &p->st;

	if (!up) {
		ss->sport = 0;
		return;
	}
	if (p->backup || p->health == OMR_HEALTH_DEMOTED)
		c->ev.backup_now |= BIT(path);
	else
		c->ev.regular_now |= BIT(path);
	st->p_subflows++;
	st->p_srtt_us = max(st->p_srtt_us, os->srtt_us);
	st->p_loss = max(st->p_loss, loss);
	/* The same subflow as last pass (a new one on the port would restart). */
	if (ss->sport == os->sport && st->win_on && os->acked >= ss->acked &&
	    os->rcvd >= ss->rcvd) {
		st->tx[st->win_cur] += os->acked - ss->acked;
		st->rx[st->win_cur] += os->rcvd - ss->rcvd;
	}
	ss->acked = os->acked;
	ss->rcvd = os->rcvd;
	ss->sport = os->sport;
}

/* The reason a connection lost its regular subflows on @path. */
static u8 omr_ev_lost_reason(struct omr_pm_net *pn, struct omr_pm_conn *c,
			     int path)
{
	const struct omr_pm_path *p = &pn->paths[path];
	int i;

	if (!p->link_up)
		return OMR_EV_R_LINK_DOWN;
	if (p->backup || p->health == OMR_HEALTH_DEMOTED)
		return OMR_EV_R_DEMOTED;
	for (i = 0; i < OMR_EV_KILLS; i++)
		if (c->ev.kill[i].reason && c->ev.kill[i].path == path)
			return c->ev.kill[i].reason;
	return OMR_EV_R_PEER;
}

/* End of a connection's pass: a failover when its regular paths are gone. */
void omr_ev_conn_end(struct omr_pm_net *pn, struct omr_pm_conn *c)
{
	u8 from, to, was = c->ev.regular, now = c->ev.regular_now;
	struct nlattr *nest;
	struct sk_buff *skb;

	to = omr_ev_lowest(now ? now : c->ev.backup_now);
	c->ev.regular = now;
	c->ev.regular_now = 0;
	c->ev.backup_now = 0;
	if (!c->ev.seen || !was || (was & now)) {
		c->ev.seen = true;
		return;
	}
	from = omr_ev_lowest(was);
	if (from >= pn->npaths)
		return;
	skb = omr_ev_new(pn, OMR_EV_FAILOVER,
			 omr_ev_lost_reason(pn, c, from), &nest);
	if (!skb)
		return;
	if (omr_ev_put_path(skb, &pn->paths[from], OMR_EV_A_IFNAME,
			    OMR_EV_A_IFINDEX) ||
	    nla_put_u32(skb, OMR_EV_A_TOKEN, c->token) ||
	    (to < pn->npaths &&
	     omr_ev_put_path(skb, &pn->paths[to], OMR_EV_A_TO_IFNAME,
			     OMR_EV_A_TO_IFINDEX))) {
		nlmsg_free(skb);
		return;
	}
	omr_ev_send(pn, skb, nest);
}

/* Move the window on to @now's bucket, emptying those it passes. */
void omr_ev_win_roll(struct omr_path_stats *st, unsigned long now)
{
	unsigned long n;

	if (!st->win_on) {
		st->win_on = true;
		st->win_t0 = now;
		st->since = now;
		return;
	}
	if (time_before(now, st->win_t0 + HZ))
		return;
	n = (now - st->win_t0) / HZ;
	st->win_t0 += n * HZ;
	n = min_t(unsigned long, n, OMR_WIN_BUCKETS);
	while (n--) {
		st->win_cur = (st->win_cur + 1) % OMR_WIN_BUCKETS;
		st->tx[st->win_cur] = 0;
		st->rx[st->win_cur] = 0;
	}
}

/* The scheduler's loss estimate (OMR_ONE = 100 %) in parts per million. */
u32 omr_ev_loss_ppm(u32 loss)
{
	return div_u64((u64)loss * 1000000, OMR_ONE);
}

u32 omr_ev_win_ms(const struct omr_path_stats *st, unsigned long now)
{
	u32 ms = OMR_WINDOW_SECS * MSEC_PER_SEC +
		 jiffies_to_msecs(now - st->win_t0);

	if (!st->win_on)
		return 0;
	return min(ms, jiffies_to_msecs(now - st->since));
}

void omr_ev_win_sum(const struct omr_path_stats *st, u64 *tx, u64 *rx)
{
	int i;

	*tx = 0;
	*rx = 0;
	for (i = 0; i < OMR_WIN_BUCKETS; i++) {
		*tx += st->tx[i];
		*rx += st->rx[i];
	}
}

/* End of a pass over every connection: publish what it saw of each path. */
void omr_ev_pass_end(struct omr_pm_net *pn, unsigned long now)
{
	int i;

	for (i = 0; i < pn->npaths; i++) {
		struct omr_path_stats *st = &pn->paths[i].st;

		/*
		 * Idle connections are not looked at every pass: the count
		 * is the path's own, RTT and loss those of the last pass that
		 * saw a subflow on it.
		 */
		st->subflows = pn->paths[i].nup;
		if (st->p_subflows || !st->subflows) {
			st->srtt_us = st->p_srtt_us;
			st->loss = st->p_loss;
		}
		st->p_subflows = 0;
		st->p_srtt_us = 0;
		st->p_loss = 0;
		omr_ev_win_roll(st, now);
	}
}
