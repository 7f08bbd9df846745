// SPDX-License-Identifier: GPL-2.0
/*
 * The path manager's connections: what each needs and what it has.
 *
 * Level-triggered. Every pass (an event, a link change, or the 100 ms tick)
 * looks at each connection's real subflows under its socket lock, compares
 * them with the configured paths, and then, with no socket lock held, sends
 * the MPTCP PM commands that close the difference:
 *
 *   path up,   no subflow on it        -> SUBFLOW_CREATE (when the retry is due)
 *   path up,   two or more on it       -> SUBFLOW_DESTROY the extra ones
 *   path up,   join pending too long   -> SUBFLOW_DESTROY it, back off
 *   path down  (or disabled), subflows -> REMOVE its address id (RM_ADDR: the
 *                                         peer drops its end and re-sends at
 *                                         once) and SUBFLOW_DESTROY each (our
 *                                         end re-sends what was in flight)
 *
 * A lost subflow is re-created after a backoff that starts at backoff_min,
 * doubles up to backoff_max, with up to 25 % jitter so that many connections
 * do not retry in step; it resets to zero when a subflow comes up on the path
 * and when the path's link comes back, so a returning WAN is used at once.
 *
 * Health. A path's subflow is stalled when it has data in flight and no ACK
 * for stall_ms, or two of its base retransmission timeouts (srtt + 4 mdev,
 * at least 200 ms) if that is longer: a long satellite RTT is not a stall,
 * and neither is one ordinary RTO; lossy when the scheduler's smoothed loss estimate (shared, not
 * measured twice: kmod/conn.c) exceeds loss_hi. Either demotes the whole path
 * to backup: SET_FLAGS (MP_PRIO, and our scheduler stops using it at once).
 * A subflow still stalled at fail_ms (or four base RTOs) is removed like a dead one (the MP_PRIO
 * cannot cross a black hole, but RM_ADDR goes out on another subflow), as long
 * as another path of the connection is up and not stalled; it is re-joined as
 * backup. A demoted path is promoted back once every subflow on
 * it has been healthy (no stall, loss below loss_lo) for hold_ms, with at
 * least one up: the gap between loss_hi and loss_lo and the hold time are the
 * hysteresis that keeps a marginal path from flapping.
 *
 * Congestion control. A path with a cc gives it to the connection's up
 * subflow on it, once per subflow and per change (omr_sf_give_cc()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <uapi/linux/mptcp_pm.h>
#include "omr.h"
#include "pm.h"

/* What a pass saw of one path in one connection. */
struct omr_obs_path {
	u8 up, connecting;
	bool bkup;		/* our request_bkup on the first up subflow */
	__be16 sport, dport;	/* that subflow's ports */
	u32 stall_ms;		/* how long it has waited for an ACK, or 0 */
	u32 rto_ms;		/* its base RTO: srtt + 4 mdev, >= 200 ms */
	u32 srtt_ms;
	u32 loss;		/* the scheduler's loss estimate, OMR_ONE = 100 % */
	struct omr_obs_stats st;	/* events.c: its counters */
};

/* A subflow as the PM commands name it. */
struct omr_obs_sf {
	struct omr_addr saddr, daddr;
	__be16 sport, dport;
	s16 local_id;
	u8 path, rem;
	bool mapped;		/* an IPv6 socket, IPv4-mapped addresses */
	bool extra;		/* a second one on its path, or a stuck join */
	u8 why;			/* enum omr_ev_reason, if extra */
};

#define OMR_OBS_SF	48

struct omr_obs {
	struct omr_obs_path p[OMR_PM_MAX_PATHS][OMR_PM_MAX_REMOTES];
	struct omr_obs_sf sf[OMR_OBS_SF];
	int nsf;
	int joins;		/* live joins, against the kernel's limit */
	int joins_max;
	bool gone;		/* the connection no longer exists */
	bool inflight;		/* the msk has data not yet acked */
	u64 acked, rcvd;	/* the msk's bytes acked and received */
};

static u32 omr_conn_hash(u32 token)
{
	return hash_32(token, OMR_PM_HASH_BITS);
}

static struct omr_pm_conn *omr_conn_find(struct omr_pm_net *pn, u32 token)
{
	struct omr_pm_conn *c;

	hlist_for_each_entry(c, &pn->hash[omr_conn_hash(token)], hnode)
		if (c->token == token)
			return c;
	return NULL;
}

/*
 * Put @c in the wheel slot of @due: never before the next slot a pass will
 * look at (pn->wheel_at), nor past the wheel's end (a pass that finds it
 * early puts it back where it belongs).
 */
static void omr_conn_due(struct omr_pm_net *pn, struct omr_pm_conn *c,
			 unsigned long due)
{
	unsigned long at = due, last;

	last = pn->wheel_at + ((OMR_PM_WHEEL - 1) << OMR_PM_WHEEL_SHIFT);
	c->due = due;
	if (time_before(at, pn->wheel_at))
		at = pn->wheel_at;
	if (time_after(at, last))
		at = last;
	list_move_tail(&c->due_node,
		       &pn->wheel[(at >> OMR_PM_WHEEL_SHIFT) & (OMR_PM_WHEEL - 1)]);
}

/* An event concerns @c: the next pass looks at it under its lock. */
static void omr_conn_kick(struct omr_pm_net *pn, struct omr_pm_conn *c)
{
	c->peek = false;
	omr_conn_due(pn, c, jiffies);
}

/* Up subflows of @c's used peer addresses, per path, into the paths' nup. */
static void omr_conn_nup(struct omr_pm_net *pn, struct omr_pm_conn *c,
			 int npaths, int r0, int r1, int sign)
{
	int i, r;

	for (r = r0; r < r1; r++) {
		if (!c->rem[r].used)
			continue;
		for (i = 0; i < npaths && i < c->width; i++)
			if (omr_conn_sub(c, i, r)->state == OMR_SUB_UP)
				pn->paths[i].nup += sign;
	}
}

/* Followed from now on; NULL (and counted) past the limit or without memory. */
static struct omr_pm_conn *omr_conn_add(struct omr_pm_net *pn, u32 token)
{
	struct omr_pm_conn *c = omr_conn_find(pn, token);

	if (c)
		return c;
	if (pn->nconns >= pn->max_conns)
		goto err_untracked;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		goto err_untracked;
	c->width = max(pn->npaths, 1);
	c->sub[0] = kcalloc(c->width, sizeof(*c->sub[0]), GFP_KERNEL_ACCOUNT);
	if (!c->sub[0])
		goto err_free;
	c->token = token;
	INIT_LIST_HEAD(&c->due_node);
	list_add_tail(&c->node, &pn->conns);
	hlist_add_head(&c->hnode, &pn->hash[omr_conn_hash(token)]);
	omr_conn_kick(pn, c);
	pn->nconns++;
	pn->conns_changed = true;
	return c;

err_free:
	kfree(c);
err_untracked:
	pn->cnt.untracked++;
	pr_warn_ratelimited("path manager: a connection not followed: %d followed, the limit is pm_max_conns=%u\n",
			    pn->nconns, pn->max_conns);
	return NULL;
}

static void omr_conn_del(struct omr_pm_net *pn, struct omr_pm_conn *c)
{
	int r;

	omr_conn_nup(pn, c, pn->npaths, 0, OMR_PM_MAX_REMOTES, -1);
	list_del(&c->node);
	list_del(&c->due_node);
	hlist_del(&c->hnode);
	for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
		kfree(c->sub[r]);
	pn->nconns--;
	pn->conns_changed = true;
	kfree(c);
}

void omr_pm_conns_flush(struct omr_pm_net *pn)
{
	struct omr_pm_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &pn->conns, node)
		omr_conn_del(pn, c);
}

/* The token table and the wheel, while the PM is enabled. */
int omr_pm_conns_init(struct omr_pm_net *pn)
{
	size_t hsz = sizeof(*pn->hash) << OMR_PM_HASH_BITS;
	int i;

	if (pn->hash)
		return 0;
	pn->hash = kvzalloc(hsz + sizeof(*pn->wheel) * OMR_PM_WHEEL,
			    GFP_KERNEL_ACCOUNT);
	if (!pn->hash)
		return -ENOMEM;
	pn->wheel = (struct list_head *)((char *)pn->hash + hsz);
	for (i = 0; i < OMR_PM_WHEEL; i++)
		INIT_LIST_HEAD(&pn->wheel[i]);
	pn->wheel_at = jiffies & ~((1UL << OMR_PM_WHEEL_SHIFT) - 1);
	pn->max_conns = omr_pm_conns_limit();
	return 0;
}

/* After omr_pm_conns_flush(): nothing is left in them. */
void omr_pm_conns_exit(struct omr_pm_net *pn)
{
	kvfree(pn->hash);
	pn->hash = NULL;
	pn->wheel = NULL;
}

/* A path changed (link, configuration): every connection is looked at. */
void omr_pm_conns_all_due(struct omr_pm_net *pn)
{
	pn->all_due = true;
}

static void omr_conn_set_addrs(struct omr_pm_conn *c,
			       const struct omr_addr *saddr, __be16 sport,
			       const struct omr_addr *daddr, __be16 dport)
{
	c->saddr = *saddr;
	c->sport = sport;
	c->daddr = *daddr;
	c->dport = dport;
	c->rem[0].addr = *daddr;
	c->rem[0].port = dport;
	c->rem[0].used = true;
}

/*
 * A peer address the peer announced. One of the other family is not
 * joined: a connection's subflows stay in its family (an IPv4 msk takes no
 * IPv6 subflow, and MPTCP wants both ends of one in one family).
 */
static void omr_conn_remote_add(struct omr_pm_conn *c, u8 id,
				const struct omr_addr *addr, __be16 port)
{
	int r, free = -1;

	if (addr->family != c->daddr.family)
		return;
	for (r = 1; r < OMR_PM_MAX_REMOTES; r++) {
		if (c->rem[r].used && c->rem[r].id == id)
			return;
		if (!c->rem[r].used && free < 0)
			free = r;
	}
	if ((omr_addr_eq(addr, &c->daddr) && port == c->dport) || free < 0)
		return;
	/* Its row is allocated once, kept (and zeroed) for the next one. */
	if (!c->sub[free])
		c->sub[free] = kcalloc(c->width, sizeof(*c->sub[free]),
				       GFP_KERNEL_ACCOUNT);
	if (!c->sub[free])
		return;
	memset(c->sub[free], 0, c->width * sizeof(*c->sub[free]));
	c->rem[free] = (struct omr_pm_remote){ .addr = *addr, .port = port,
					       .id = id, .used = true };
}

static void omr_conn_remote_del(struct omr_pm_net *pn, struct omr_pm_conn *c,
				u8 id)
{
	int r;

	for (r = 1; r < OMR_PM_MAX_REMOTES; r++)
		if (c->rem[r].used && c->rem[r].id == id) {
			omr_conn_nup(pn, c, pn->npaths, r, r + 1, -1);
			c->rem[r].used = false;
		}
}

void omr_pm_conn_event(struct omr_pm_net *pn, const struct omr_pm_event *ev)
{
	struct omr_pm_conn *c;

	/* We manage what this namespace initiates; the VPS side only accepts. */
	if (ev->server_side)
		return;
	c = omr_conn_find(pn, ev->token);
	if (c)
		omr_conn_kick(pn, c);
	switch (ev->type) {
	case MPTCP_EVENT_CREATED:
	case MPTCP_EVENT_ESTABLISHED:
		/* Counted once if not followed: at CREATED. */
		if (!c && (ev->type == MPTCP_EVENT_CREATED ||
			   pn->nconns < pn->max_conns))
			c = omr_conn_add(pn, ev->token);
		if (!c)
			return;
		omr_conn_set_addrs(c, &ev->saddr, ev->sport, &ev->daddr,
				   ev->dport);
		if (ev->type == MPTCP_EVENT_ESTABLISHED) {
			c->established = true;
			omr_ev_mptcp(pn, c, ev);
		}
		break;
	case MPTCP_EVENT_ANNOUNCED:
		if (c && pn->add_addr_accept && ev->daddr.family &&
		    !omr_addr_any(&ev->daddr))
			omr_conn_remote_add(c, ev->rem_id, &ev->daddr,
					    ev->dport ? ev->dport : c->dport);
		break;
	case MPTCP_EVENT_REMOVED:
		/* The kernel closes the subflows to it; stop re-creating them. */
		if (c)
			omr_conn_remote_del(pn, c, ev->rem_id);
		break;
	case MPTCP_EVENT_CLOSED:
		if (c)
			omr_conn_del(pn, c);
		break;
	case MPTCP_EVENT_SUB_ESTABLISHED:
		if (c)
			omr_ev_mptcp(pn, c, ev);
		break;
	case MPTCP_EVENT_SUB_CLOSED:
		if (c) {
			pn->cnt.closed++;
			omr_ev_mptcp(pn, c, ev);
		}
		break;
	}
}

/*
 * Which configured path a subflow (local address @la) is on: its bound
 * device, else its address, the path's of that family.
 */
static int omr_sf_path(struct omr_pm_net *pn, const struct sock *ssk,
		       const struct omr_addr *la)
{
	int i;

	for (i = 0; i < pn->npaths; i++) {
		const struct omr_pm_path *p = &pn->paths[i];

		if (ssk->sk_bound_dev_if ? ssk->sk_bound_dev_if == p->ifindex :
		    omr_addr_eq(la, &p->addr[omr_fam_idx(la->family)]))
			return i;
	}
	return -1;
}

/* Which of the connection's peer addresses a subflow (to @ra) goes to. */
static int omr_sf_remote(const struct omr_pm_conn *c, const struct sock *ssk,
			 const struct omr_addr *ra)
{
	int r;

	for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
		if (c->rem[r].used && omr_addr_eq(ra, &c->rem[r].addr) &&
		    inet_sk(ssk)->inet_dport == c->rem[r].port)
			return r;
	return -1;
}

static void omr_obs_sf_add(struct omr_obs *o, const struct sock *ssk, int path,
			   int rem, const struct mptcp_subflow_context *sf,
			   bool extra, u8 why)
{
	struct omr_obs_sf *k;

	if (o->nsf >= OMR_OBS_SF)
		return;
	k = &o->sf[o->nsf++];
	omr_addr_sk(ssk, &k->saddr, &k->daddr);
	k->mapped = ssk->sk_family == AF_INET6 && k->saddr.family == AF_INET;
	k->sport = inet_sk(ssk)->inet_sport;
	k->dport = inet_sk(ssk)->inet_dport;
	k->local_id = READ_ONCE(sf->local_id);
	k->path = path;
	k->rem = rem;
	k->extra = extra;
	k->why = why;
}

/* The scheduler's loss estimate for a subflow, if omr schedules this msk. */
static u32 omr_sf_loss(struct omr_conn *sc, u32 subflow_id)
{
	int i;

	for (i = 0; sc && i < OMR_MAX_SUBFLOWS; i++)
		if (sc->sf[i].id == subflow_id)
			return sc->sf[i].loss;
	return 0;
}

/*
 * How long the subflow has waited for an ACK with data in flight. The last
 * ACK of a subflow that was idle (a backup, or a demoted path) is as old as
 * its idleness, so the wait counts from the later of that ACK and the first
 * pass that saw data in flight again: else a path promoted after a long
 * rest would look stalled the moment it carries data, and be demoted again.
 */
static void omr_obs_stall(struct omr_obs_path *op, struct omr_pm_sub *s,
			  const struct tcp_sock *tp, unsigned long now)
{
	u32 since_ack;

	if (!READ_ONCE(tp->packets_out)) {
		s->busy_at = 0;
		return;
	}
	if (!s->busy_at)
		s->busy_at = now;
	since_ack = jiffies_to_msecs(tcp_jiffies32 - READ_ONCE(tp->rcv_tstamp));
	op->stall_ms = min(since_ack, jiffies_to_msecs(now - s->busy_at));
}

/*
 * Give an established subflow its path's congestion control, once: the
 * subflow (MPTCP's id) and the path's cc_seq are recorded whatever the
 * outcome, so a refusal is counted and logged once, never retried; a new
 * subflow or a new name on the path is given it again.
 *
 * How (checked against 6.12 and 7.3): nothing that looks a CC up by name is
 * exported, so this is the subflow's own setsockopt, tcp_setsockopt(), an
 * indirect call through tcp_prot (address-taken: it has its ENDBR under
 * IBT). do_tcp_setsockopt()'s TCP_CONGESTION takes the subflow's socket
 * lock itself, so it is not held here, and calls
 * tcp_set_congestion_control(load = true, cap = ns_capable(CAP_NET_ADMIN)):
 * the work's kworker has the initial credentials, which pass that check in
 * every namespace, and may load tcp_NAME (request_module; omrctl loads it
 * before it sends the name, so this does not normally wait).
 *
 * Held: the msk socket lock (the caller's), as MPTCP's own TCP_CONGESTION
 * on the msk holds it around the same call per subflow (lock order msk,
 * then subflow). It is what keeps the subflow alive and not destroyed: a
 * subflow leaves the msk's list and is closed only under the msk lock, and
 * tcp_set_congestion_control() on a destroyed socket would put the old CC
 * module a second time (tcp_cleanup_congestion_control() does not clear
 * icsk_ca_ops). A reference alone would not keep it from that.
 *
 * MPTCP re-syncs a subflow's CC from the msk only when a subflow joins
 * after an application's setsockopt (mptcp_sockopt_sync_locked()), before
 * it is established; an application that sets TCP_CONGESTION on its msk
 * sets every subflow it has then, which overrides this (documented).
 *
 * noinline, and no call between the load of the pointer and the call:
 * otherwise 7.3's build spilled the loaded setsockopt pointer to the
 * stack, where scripts/indirect-calls.pl cannot tell it from a resolved
 * address (it fails closed).
 */
static noinline void omr_sf_give_cc(struct omr_pm_net *pn,
				    const struct omr_pm_path *p,
				    struct omr_pm_sub *s, struct sock *ssk,
				    u32 sfid)
{
	char name[TCP_CA_NAME_MAX];
	ssize_t len;
	int err;

	if (!p->cc[0] || (s->cc_sfid == sfid && s->cc_seq == p->cc_seq))
		return;
	s->cc_sfid = sfid;
	s->cc_seq = p->cc_seq;
	/* A copy: a sockptr is not const. Its length without a strlen() call
	 * between the load of the setsockopt pointer and the call (see above).
	 */
	len = strscpy(name, p->cc, sizeof(name));
	if (len <= 0)
		return;
	err = ssk->sk_prot->setsockopt(ssk, SOL_TCP, TCP_CONGESTION,
				       KERNEL_SOCKPTR(name), len);
	if (!err) {
		pn->cnt.cc_set++;
		return;
	}
	pn->cnt.cc_err++;
	pr_warn_ratelimited("path %s: congestion control '%s' refused for a subflow: %d\n",
			    p->dev, p->cc, err);
}

static void omr_obs_subflow(struct omr_pm_net *pn, struct omr_pm_conn *c,
			    struct omr_obs *o, struct omr_conn *sc,
			    struct mptcp_subflow_context *sf, unsigned long now)
{
	struct sock *ssk = mptcp_subflow_tcp_sock(sf);
	const struct tcp_sock *tp = tcp_sk(ssk);
	int state = inet_sk_state_load(ssk);
	struct omr_obs_path *op;
	struct omr_addr la, ra;
	bool stuck;
	int i, r;

	if (state != TCP_ESTABLISHED && state != TCP_SYN_SENT)
		return;
	if (sf->request_join)
		o->joins++;
	omr_addr_sk(ssk, &la, &ra);
	i = omr_sf_path(pn, ssk, &la);
	r = omr_sf_remote(c, ssk, &ra);
	if (i < 0 || r < 0)
		return;
	op = &o->p[i][r];
	if (state == TCP_SYN_SENT ||
	    (sf->request_join && !READ_ONCE(sf->fully_established))) {
		/* A join in progress; one that is too old will not make it. */
		stuck = omr_conn_sub(c, i, r)->state == OMR_SUB_CONNECTING &&
			time_after(now, omr_conn_sub(c, i, r)->sent_at +
				   msecs_to_jiffies(pn->tun.join_timeout_ms));
		omr_obs_sf_add(o, ssk, i, r, sf,
			       op->connecting++ || op->up || stuck,
			       stuck ? OMR_EV_R_JOIN_TIMEOUT : OMR_EV_R_DUPLICATE);
		return;
	}
	omr_obs_sf_add(o, ssk, i, r, sf, op->up++, OMR_EV_R_DUPLICATE);
	if (op->up > 1)
		return;
	op->bkup = sf->request_bkup;	/* a bit-field: a plain, racy read */
	op->sport = inet_sk(ssk)->inet_sport;
	op->dport = inet_sk(ssk)->inet_dport;
	op->loss = omr_sf_loss(sc, sf->subflow_id);
	omr_ev_obs(&op->st, ssk);
	omr_obs_stall(op, omr_conn_sub(c, i, r), tp, now);
	op->srtt_ms = (READ_ONCE(tp->srtt_us) >> 3) / USEC_PER_MSEC;
	op->rto_ms = max_t(u32, (READ_ONCE(tp->srtt_us) >> 3) / USEC_PER_MSEC +
			   READ_ONCE(tp->mdev_us) / USEC_PER_MSEC,
			   jiffies_to_msecs(TCP_RTO_MIN));
	omr_sf_give_cc(pn, &pn->paths[i], omr_conn_sub(c, i, r), ssk,
		       sf->subflow_id);
}

/* Look at the connection's subflows, under its socket lock. */
static void omr_obs_take(struct omr_pm_net *pn, struct omr_pm_conn *c,
			 struct omr_obs *o, unsigned long now)
{
	struct mptcp_subflow_context *sf;
	struct mptcp_sock *msk;
	struct sock *sk;

	memset(o, 0, sizeof(*o));
	msk = mptcp_token_get_sock(pn->net, c->token);
	if (!msk) {
		o->gone = true;
		return;
	}
	sk = (struct sock *)msk;
	lock_sock(sk);
	if (sk->sk_state == TCP_CLOSE) {
		o->gone = true;
	} else {
		struct omr_conn *sc = omr_conn_lookup(msk);

		o->joins_max = omr_pm_joins_max(msk);
		mptcp_for_each_subflow(msk, sf)
			omr_obs_subflow(pn, c, o, sc, sf, now);
		o->inflight = READ_ONCE(msk->snd_una) != READ_ONCE(msk->snd_nxt);
		o->acked = READ_ONCE(msk->bytes_acked);
		o->rcvd = READ_ONCE(msk->bytes_received);
	}
	release_sock(sk);
	sock_put(sk);
}

static void omr_sub_backoff(struct omr_pm_net *pn, struct omr_pm_sub *s,
			    unsigned long now)
{
	u32 ms;

	s->backoff_ms = omr_pm_backoff_next(s->backoff_ms, &pn->tun);
	ms = omr_pm_backoff_delay(s->backoff_ms, get_random_u32());
	s->retry_at = now + msecs_to_jiffies(ms);
	s->state = OMR_SUB_NONE;
}

/*
 * SUBFLOW_DESTROY the subflows seen on @path (only the extra ones unless
 * @all), after one REMOVE per address id when @all: the peer learns at once
 * (RM_ADDR travels on another subflow) and re-sends what it had in flight.
 */
static void omr_obs_kill(struct omr_pm_net *pn, struct omr_pm_conn *c,
			 struct omr_obs *o, int path, int rem, bool all,
			 u8 why)
{
	int i, j;

	for (i = 0; i < o->nsf; i++) {
		struct omr_obs_sf *k = &o->sf[i];

		if (k->path != path || k->rem != rem || !(all || k->extra))
			continue;
		if (all && k->local_id >= 0) {
			for (j = 0; j < i; j++)
				if (o->sf[j].path == path &&
				    o->sf[j].local_id == k->local_id)
					break;
			if (j == i && !omr_pm_remove(pn, c->token, k->local_id))
				pn->cnt.removes++;
		}
		omr_ev_kill_note(c, &k->saddr, k->sport, path,
				 all ? why : k->why);
		if (!omr_pm_destroy(pn, c->token, &k->saddr, k->sport, &k->daddr,
				    k->dport, k->mapped))
			pn->cnt.aborts++;
	}
}

/*
 * Whether another path of the connection has a subflow up and not stalled.
 * A stall on every path at once says nothing against one of them: the peer
 * or this host stopped for a while (a busy VM's clock jumps over the time it
 * was not run). Removing every subflow would end the connection, which the
 * subflows' own retransmissions carry through, so a stalled path is removed
 * only while another one can take its data.
 */
static bool omr_obs_other_ok(const struct omr_pm_net *pn,
			     const struct omr_obs *o, int i)
{
	int j, r;

	for (j = 0; j < pn->npaths; j++) {
		for (r = 0; r < OMR_PM_MAX_REMOTES; r++) {
			const struct omr_obs_path *op = &o->p[j][r];

			if (j != i && op->up &&
			    !omr_pm_stalled(op->stall_ms, op->rto_ms, &pn->tun))
				return true;
		}
	}
	return false;
}

/*
 * Bring one path, to one peer address, of one connection to what it should
 * be. Its subflows leave from the path's address of the peer address's
 * family (la): a connection's subflows stay in its family.
 */
static void omr_conn_path_run(struct omr_pm_net *pn, struct omr_pm_conn *c,
			      struct omr_obs *o, int i, int r, unsigned long now)
{
	const struct omr_pm_path *p = &pn->paths[i];
	const struct omr_pm_remote *rem = &c->rem[r];
	const struct omr_addr *la = &p->addr[omr_fam_idx(rem->addr.family)];
	struct omr_pm_sub *s = omr_conn_sub(c, i, r);
	struct omr_obs_path *op = &o->p[i][r];
	bool want_bkup = p->backup || p->health == OMR_HEALTH_DEMOTED;
	/* A disabled path, or one without the peer's family, is a down one. */
	bool usable = p->link_up && p->enabled && la->family;
	bool gone = !usable;

	if (op->up && omr_pm_dead(op->stall_ms, op->rto_ms, &pn->tun) &&
	    omr_obs_other_ok(pn, o, i))
		gone = true;	/* black hole: MP_PRIO cannot cross it */
	if (gone && (op->up || op->connecting)) {
		omr_obs_kill(pn, c, o, i, r, true, p->link_up ? OMR_EV_R_STALL :
			     OMR_EV_R_LINK_DOWN);
		op->up = 0;
		op->connecting = 0;
		if (!usable) {
			/* Back at once when the link (or the path) is. */
			s->state = OMR_SUB_NONE;
			s->backoff_ms = 0;
			s->retry_at = now;
		}
	} else {
		omr_obs_kill(pn, c, o, i, r, false, OMR_EV_R_NONE);
	}

	if (op->up) {
		if (s->state != OMR_SUB_UP) {
			s->backoff_ms = 0;
			omr_ev_join(pn, i, true);
		}
		s->state = OMR_SUB_UP;
		/*
		 * Ask for the backup state this path should have; again after
		 * a second if the subflow still does not have it (the request
		 * can miss: the subflow it named was replaced meanwhile).
		 */
		if (op->bkup != want_bkup &&
		    (s->bkup_sent != want_bkup + 1 ||
		     time_after(now, s->bkup_at + HZ)) &&
		    !omr_pm_set_backup(pn, c->token, la, op->sport,
				       &rem->addr, op->dport, want_bkup)) {
			s->bkup_sent = want_bkup + 1;
			s->bkup_at = now;
		}
		return;
	}
	s->bkup_sent = 0;
	if (op->connecting) {
		s->state = OMR_SUB_CONNECTING;
		return;
	}
	if (s->state == OMR_SUB_CONNECTING)
		omr_ev_join(pn, i, false);
	if (s->state != OMR_SUB_NONE)
		omr_sub_backoff(pn, s, now);	/* it died, or its join did */
	if (!c->established || !usable || time_before(now, s->retry_at))
		return;
	if (o->joins_max && o->joins >= o->joins_max)
		return;
	if (omr_pm_create(pn, c->token, i + 1, la, p->ifindex, want_bkup,
			  &rem->addr, rem->port)) {
		pn->cnt.create_err++;
		omr_sub_backoff(pn, s, now);
		return;
	}
	pn->cnt.creates++;
	o->joins++;
	s->state = OMR_SUB_CONNECTING;
	s->sent_at = now;
}

static void omr_agg_add(struct omr_pm_net *pn, struct omr_path_agg *agg,
			const struct omr_obs *o)
{
	int i, r;

	for (i = 0; i < pn->npaths; i++) {
		for (r = 0; r < OMR_PM_MAX_REMOTES; r++) {
			const struct omr_obs_path *op = &o->p[i][r];

			if (!op->up)
				continue;
			if (omr_pm_stalled(op->stall_ms, op->rto_ms, &pn->tun))
				agg[i].stalled = true;
			agg[i].loss = max(agg[i].loss, op->loss);
			agg[i].srtt_ms = max(agg[i].srtt_ms, op->srtt_ms);
		}
	}
}

static const char *const omr_why_text[] = {
	[OMR_PM_WHY_STALL] = "no ACK with data in flight",
	[OMR_PM_WHY_RTT] = "RTT above pm_rtt_hi_ms",
	[OMR_PM_WHY_LOSS] = "loss above pm_loss_hi",
};

static const u8 omr_why_reason[] = {
	[OMR_PM_WHY_STALL] = OMR_EV_R_STALL,
	[OMR_PM_WHY_RTT] = OMR_EV_R_RTT,
	[OMR_PM_WHY_LOSS] = OMR_EV_R_LOSS,
};

/*
 * Demote a path that stalls, loses or is too slow; promote it after hold_ms
 * of health (pm_core.c decides; this applies it and tells).
 */
static void omr_path_health(struct omr_pm_net *pn, struct omr_pm_path *p,
			    const struct omr_path_agg *a, unsigned long now)
{
	int why, v;

	v = omr_pm_health_eval(p->health == OMR_HEALTH_DEMOTED, p->link_up, a,
			       &pn->tun, &why);
	switch (v) {
	case OMR_PM_H_KEEP:
		return;
	case OMR_PM_H_DEMOTE:
		p->health = OMR_HEALTH_DEMOTED;
		p->health_at = now;
		p->good_since = 0;
		pn->cnt.demotes++;
		pr_info_ratelimited("path %s demoted: %s\n", p->dev,
				    omr_why_text[why]);
		omr_ev_health(pn, p, omr_why_reason[why]);
		return;
	case OMR_PM_H_BAD:
		p->good_since = 0;
		return;
	}
	if (!p->good_since)
		p->good_since = now;
	if (!omr_pm_promote(jiffies_to_msecs(now - p->good_since), &pn->tun))
		return;
	p->health = OMR_HEALTH_OK;
	p->health_at = now;
	pn->cnt.promotes++;
	pr_info_ratelimited("path %s promoted: healthy for %u ms\n", p->dev,
			    pn->tun.hold_ms);
	omr_ev_health(pn, p, OMR_EV_R_NONE);
}

/* How long an idle connection goes between two peeks. */
static unsigned long omr_idle_jiffies(const struct omr_pm_net *pn)
{
	return msecs_to_jiffies(max(pn->tun.tick_ms, pn->tun.stall_ms));
}

/* When @c's path (@i, @r) needs the pass again, at the latest @due. */
static unsigned long omr_sub_due(struct omr_pm_net *pn, struct omr_pm_conn *c,
				 const struct omr_obs *o, int i, int r,
				 unsigned long due, unsigned long now)
{
	const struct omr_pm_path *p = &pn->paths[i];
	const struct omr_pm_sub *s = omr_conn_sub(c, i, r);
	const struct omr_obs_path *op = &o->p[i][r];
	unsigned long tick = now + msecs_to_jiffies(pn->tun.tick_ms), at = due;
	bool want_bkup = p->backup || p->health == OMR_HEALTH_DEMOTED;

	if (op->up && op->bkup != want_bkup)
		at = tick;	/* MP_PRIO asked: see that it took */
	else if (s->state == OMR_SUB_CONNECTING)
		at = s->sent_at + msecs_to_jiffies(pn->tun.join_timeout_ms);
	else if (s->state == OMR_SUB_NONE && c->established && p->link_up &&
		 p->enabled)
		at = time_after(s->retry_at, tick) ? s->retry_at : tick;
	return time_before(at, due) ? at : due;
}

/*
 * When the pass looks at @c next: at the next tick while data is in flight
 * or moved since the last look (stalls are judged from it), when a retry,
 * a join's timeout or an MP_PRIO is due; else it is idle and only peeked
 * at (omr_conn_peek()) after omr_idle_jiffies().
 */
static void omr_conn_next(struct omr_pm_net *pn, struct omr_pm_conn *c,
			  const struct omr_obs *o, unsigned long now)
{
	unsigned long idle = now + omr_idle_jiffies(pn), due = idle;
	int i, r;

	if (o->inflight || o->acked != c->seen_acked || o->rcvd != c->seen_rcvd)
		due = now + msecs_to_jiffies(pn->tun.tick_ms);
	c->seen_acked = o->acked;
	c->seen_rcvd = o->rcvd;
	for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
		for (i = 0; c->rem[r].used && i < pn->npaths; i++)
			due = omr_sub_due(pn, c, o, i, r, due, now);
	c->peek = due == idle;
	/*
	 * Idle: no pass sees its subflows go quiet, so their busy_at starts
	 * again from the look that finds data in flight (omr_obs_stall()).
	 */
	for (r = 0; c->peek && r < OMR_PM_MAX_REMOTES; r++)
		for (i = 0; c->sub[r] && i < c->width; i++)
			c->sub[r][i].busy_at = 0;
	omr_conn_due(pn, c, due);
}

/*
 * An idle connection, without its lock: the token table's reference keeps
 * the msk's memory, and the counters are read racily (a torn or stale value
 * only makes the pass look at it). True: still idle, nothing to do.
 */
static bool omr_conn_peek(struct omr_pm_net *pn, struct omr_pm_conn *c,
			  unsigned long now)
{
	struct mptcp_sock *msk = mptcp_token_get_sock(pn->net, c->token);
	bool idle;

	if (!msk)
		return false;
	idle = READ_ONCE(msk->snd_una) == READ_ONCE(msk->snd_nxt) &&
	       READ_ONCE(msk->bytes_acked) == c->seen_acked &&
	       READ_ONCE(msk->bytes_received) == c->seen_rcvd &&
	       inet_sk_state_load((struct sock *)msk) != TCP_CLOSE;
	sock_put((struct sock *)msk);
	if (idle)
		omr_conn_due(pn, c, now + omr_idle_jiffies(pn));
	return idle;
}

/* Look at one connection under its lock and bring it in line. */
static void omr_conn_visit(struct omr_pm_net *pn, struct omr_pm_conn *c,
			   struct omr_obs *o, struct omr_path_agg *agg,
			   unsigned long now)
{
	int i, r;

	omr_obs_take(pn, c, o, now);
	pn->cnt.visits++;
	if (o->gone) {
		omr_conn_del(pn, c);
		return;
	}
	omr_conn_nup(pn, c, pn->npaths, 0, OMR_PM_MAX_REMOTES, -1);
	for (i = 0; i < pn->npaths; i++)
		for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
			if (c->rem[r].used) {
				omr_conn_path_run(pn, c, o, i, r, now);
				omr_ev_conn_path(pn, c, i, r, &o->p[i][r].st,
						 o->p[i][r].up, o->p[i][r].loss);
			}
	omr_conn_nup(pn, c, pn->npaths, 0, OMR_PM_MAX_REMOTES, 1);
	omr_ev_conn_end(pn, c);
	omr_agg_add(pn, agg, o);
	omr_conn_next(pn, c, o, now);
}

/*
 * The connections whose time came: the wheel's slots from pn->wheel_at up
 * to now's (all of them at most once). One found early (its due is past
 * the wheel's end, or in now's slot but later) goes back to its slot.
 */
static void omr_wheel_run(struct omr_pm_net *pn, struct omr_obs *o,
			  struct omr_path_agg *agg, unsigned long now)
{
	unsigned long t = pn->wheel_at;
	struct omr_pm_conn *c, *tmp;
	LIST_HEAD(batch);
	int n = 0;

	while (!time_after(t, now) && n++ < OMR_PM_WHEEL) {
		list_splice_tail_init(&pn->wheel[(t >> OMR_PM_WHEEL_SHIFT) &
						 (OMR_PM_WHEEL - 1)], &batch);
		t += 1UL << OMR_PM_WHEEL_SHIFT;
	}
	if (time_before_eq(t, now))	/* the work ran late: all seen */
		t = (now | ((1UL << OMR_PM_WHEEL_SHIFT) - 1)) + 1;
	pn->wheel_at = t;
	list_for_each_entry_safe(c, tmp, &batch, due_node) {
		if (time_after(c->due, now))
			omr_conn_due(pn, c, c->due);
		else if (!c->peek || !omr_conn_peek(pn, c, now))
			omr_conn_visit(pn, c, o, agg, now);
		cond_resched();
	}
}

/*
 * One pass: every connection after a path changed, else those due. The
 * paths' health is judged once, from what the pass saw of the connections
 * it looked at (an idle one has nothing in flight to stall) and from the
 * count of subflows up on each path. Returns when to run again (jiffies
 * from now), or 0 when there is nothing to watch.
 */
unsigned long omr_pm_conns_run(struct omr_pm_net *pn)
{
	struct omr_path_agg agg[OMR_PM_MAX_PATHS] = {};
	unsigned long now = jiffies;
	struct omr_pm_conn *c, *tmp;
	struct omr_obs *o;
	int i;

	o = kmalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return msecs_to_jiffies(pn->tun.tick_ms);
	if (pn->all_due) {
		pn->all_due = false;
		list_for_each_entry_safe(c, tmp, &pn->conns, node) {
			omr_conn_visit(pn, c, o, agg, now);
			cond_resched();
		}
	} else {
		omr_wheel_run(pn, o, agg, now);
	}
	kfree(o);
	for (i = 0; i < pn->npaths; i++) {
		struct omr_pm_path *p = &pn->paths[i];
		u8 health = p->health;

		agg[i].up = p->nup;
		omr_path_health(pn, p, &agg[i], now);
		if (p->health != health)
			pn->all_due = true;	/* backup flags to change */
	}
	omr_ev_pass_end(pn, now);
	return pn->nconns ? msecs_to_jiffies(pn->tun.tick_ms) : 0;
}

/* A connection's per-path bits, moved as @map moves the paths. */
static u8 omr_mask_remap(u8 mask, const int *map, int n)
{
	u8 out = 0;
	int j;

	for (j = 0; j < n; j++)
		if (map[j] >= 0 && (mask & BIT(map[j])))
			out |= BIT(j);
	return out;
}

/*
 * A connection's rows of per-path state, moved as @map moves the paths, in
 * rows as wide as the @n paths now. False without memory: nothing changed.
 */
static bool omr_conn_remap(struct omr_pm_conn *c, const int *map, int n)
{
	struct omr_pm_sub *rows[OMR_PM_MAX_REMOTES] = {};
	int width = max(n, 1), j, r;

	for (r = 0; r < OMR_PM_MAX_REMOTES; r++) {
		if (!c->sub[r])
			continue;
		rows[r] = kcalloc(width, sizeof(*rows[r]), GFP_KERNEL_ACCOUNT);
		if (!rows[r])
			goto err_free;
		for (j = 0; j < n; j++)
			if (map[j] >= 0 && map[j] < c->width)
				rows[r][j] = c->sub[r][map[j]];
	}
	for (r = 0; r < OMR_PM_MAX_REMOTES; r++) {
		kfree(c->sub[r]);
		c->sub[r] = rows[r];
	}
	c->width = width;
	return true;

err_free:
	while (r--)
		kfree(rows[r]);
	return false;
}

/*
 * The paths were added, deleted or moved: path j is old path map[j] (or
 * new, -1). Each connection's per-path state moves with its path, by the
 * same map, so it keeps describing the same device; the paths' counts of
 * up subflows are counted again, and every connection is looked at. One
 * that cannot have its rows without memory is no longer followed (counted
 * as untracked) rather than mix paths up.
 */
void omr_pm_conns_remap(struct omr_pm_net *pn, const int *map, int n)
{
	struct omr_pm_conn *c, *tmp;
	int j, k;

	list_for_each_entry_safe(c, tmp, &pn->conns, node) {
		if (!omr_conn_remap(c, map, n)) {
			pn->cnt.untracked++;
			omr_conn_del(pn, c);
			continue;
		}
		c->ev.regular = omr_mask_remap(c->ev.regular, map, n);
		for (k = 0; k < OMR_EV_KILLS; k++) {
			for (j = 0; j < n; j++)
				if (map[j] == c->ev.kill[k].path)
					break;
			c->ev.kill[k].path = j < n ? j : U8_MAX;
		}
	}
	for (j = 0; j < OMR_PM_MAX_PATHS; j++)
		pn->paths[j].nup = 0;
	list_for_each_entry(c, &pn->conns, node)
		omr_conn_nup(pn, c, n, 0, OMR_PM_MAX_REMOTES, 1);
	pn->all_due = true;
}

/*
 * Pick up the connections this namespace already has (at enable, or after
 * the event socket overflowed): the kernel's token table has them all.
 */
int omr_pm_conns_resync(struct omr_pm_net *pn)
{
	long s_slot = 0, s_num = 0;
	struct mptcp_sock *msk;
	int n = 0;

	while ((msk = mptcp_token_iter_next(pn->net, &s_slot, &s_num))) {
		struct sock *sk = (struct sock *)msk;
		struct omr_addr la, ra;
		struct omr_pm_conn *c;

		if (!READ_ONCE(msk->pm.server_side) &&
		    inet_sk_state_load(sk) == TCP_ESTABLISHED) {
			c = omr_conn_add(pn, READ_ONCE(msk->token));
			if (c) {
				omr_addr_sk(sk, &la, &ra);
				omr_conn_set_addrs(c, &la, inet_sk(sk)->inet_sport,
						   &ra, inet_sk(sk)->inet_dport);
				c->established = READ_ONCE(msk->fully_established);
				n++;
			}
		}
		sock_put(sk);
		cond_resched();
	}
	return n;
}
