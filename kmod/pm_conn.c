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
	__be32 saddr, daddr;
	__be16 sport, dport;
	s16 local_id;
	u8 path, rem;
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
};

static struct omr_pm_conn *omr_conn_find(struct omr_pm_net *pn, u32 token)
{
	struct omr_pm_conn *c;

	list_for_each_entry(c, &pn->conns, node)
		if (c->token == token)
			return c;
	return NULL;
}

static struct omr_pm_conn *omr_conn_add(struct omr_pm_net *pn, u32 token)
{
	struct omr_pm_conn *c = omr_conn_find(pn, token);

	if (c || pn->nconns >= OMR_PM_MAX_CONNS)
		return c;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->token = token;
	list_add_tail(&c->node, &pn->conns);
	pn->nconns++;
	return c;
}

static void omr_conn_del(struct omr_pm_net *pn, struct omr_pm_conn *c)
{
	list_del(&c->node);
	pn->nconns--;
	kfree(c);
}

void omr_pm_conns_flush(struct omr_pm_net *pn)
{
	struct omr_pm_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &pn->conns, node)
		omr_conn_del(pn, c);
}

static void omr_conn_set_addrs(struct omr_pm_conn *c, __be32 saddr,
			       __be16 sport, __be32 daddr, __be16 dport)
{
	c->saddr = saddr;
	c->sport = sport;
	c->daddr = daddr;
	c->dport = dport;
	c->rem[0].addr = daddr;
	c->rem[0].port = dport;
	c->rem[0].used = true;
}

static void omr_conn_remote_add(struct omr_pm_conn *c, u8 id, __be32 addr,
				__be16 port)
{
	int r, free = -1;

	for (r = 1; r < OMR_PM_MAX_REMOTES; r++) {
		if (c->rem[r].used && c->rem[r].id == id)
			return;
		if (!c->rem[r].used && free < 0)
			free = r;
	}
	if ((addr == c->daddr && port == c->dport) || free < 0)
		return;
	for (r = 0; r < OMR_PM_MAX_PATHS; r++)	/* r: a path here */
		memset(&c->sub[r][free], 0, sizeof(c->sub[r][free]));
	c->rem[free] = (struct omr_pm_remote){ .addr = addr, .port = port,
					       .id = id, .used = true };
}

static void omr_conn_remote_del(struct omr_pm_conn *c, u8 id)
{
	int r;

	for (r = 1; r < OMR_PM_MAX_REMOTES; r++)
		if (c->rem[r].used && c->rem[r].id == id)
			c->rem[r].used = false;
}

void omr_pm_conn_event(struct omr_pm_net *pn, const struct omr_pm_event *ev)
{
	struct omr_pm_conn *c;

	/* We manage what this namespace initiates; the VPS side only accepts. */
	if (ev->server_side)
		return;
	switch (ev->type) {
	case MPTCP_EVENT_CREATED:
	case MPTCP_EVENT_ESTABLISHED:
		c = omr_conn_add(pn, ev->token);
		if (!c)
			return;
		omr_conn_set_addrs(c, ev->saddr, ev->sport, ev->daddr,
				   ev->dport);
		if (ev->type == MPTCP_EVENT_ESTABLISHED) {
			c->established = true;
			omr_ev_mptcp(pn, c, ev);
		}
		break;
	case MPTCP_EVENT_ANNOUNCED:
		c = omr_conn_find(pn, ev->token);
		if (c && pn->add_addr_accept && ev->daddr)
			omr_conn_remote_add(c, ev->rem_id, ev->daddr,
					    ev->dport ? ev->dport : c->dport);
		break;
	case MPTCP_EVENT_REMOVED:
		/* The kernel closes the subflows to it; stop re-creating them. */
		c = omr_conn_find(pn, ev->token);
		if (c)
			omr_conn_remote_del(c, ev->rem_id);
		break;
	case MPTCP_EVENT_CLOSED:
		c = omr_conn_find(pn, ev->token);
		if (c)
			omr_conn_del(pn, c);
		break;
	case MPTCP_EVENT_SUB_ESTABLISHED:
		c = omr_conn_find(pn, ev->token);
		if (c)
			omr_ev_mptcp(pn, c, ev);
		break;
	case MPTCP_EVENT_SUB_CLOSED:
		c = omr_conn_find(pn, ev->token);
		if (c) {
			pn->cnt.closed++;
			omr_ev_mptcp(pn, c, ev);
		}
		break;
	}
}

/* Which configured path a subflow is on: its bound device, else its address. */
static int omr_sf_path(struct omr_pm_net *pn, const struct sock *ssk)
{
	int i;

	for (i = 0; i < pn->npaths; i++) {
		const struct omr_pm_path *p = &pn->paths[i];

		if (ssk->sk_bound_dev_if ? ssk->sk_bound_dev_if == p->ifindex :
		    p->addr && inet_sk(ssk)->inet_saddr == p->addr)
			return i;
	}
	return -1;
}

/* Which of the connection's peer addresses a subflow goes to. */
static int omr_sf_remote(const struct omr_pm_conn *c, const struct sock *ssk)
{
	int r;

	for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
		if (c->rem[r].used && inet_sk(ssk)->inet_daddr == c->rem[r].addr &&
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
	k->saddr = inet_sk(ssk)->inet_saddr;
	k->sport = inet_sk(ssk)->inet_sport;
	k->daddr = inet_sk(ssk)->inet_daddr;
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
	bool stuck;
	int i, r;

	if (state != TCP_ESTABLISHED && state != TCP_SYN_SENT)
		return;
	if (sf->request_join)
		o->joins++;
	i = omr_sf_path(pn, ssk);
	r = omr_sf_remote(c, ssk);
	if (i < 0 || r < 0)
		return;
	op = &o->p[i][r];
	if (state == TCP_SYN_SENT ||
	    (sf->request_join && !READ_ONCE(sf->fully_established))) {
		/* A join in progress; one that is too old will not make it. */
		stuck = c->sub[i][r].state == OMR_SUB_CONNECTING &&
			time_after(now, c->sub[i][r].sent_at +
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
	omr_obs_stall(op, &c->sub[i][r], tp, now);
	op->srtt_ms = (READ_ONCE(tp->srtt_us) >> 3) / USEC_PER_MSEC;
	op->rto_ms = max_t(u32, (READ_ONCE(tp->srtt_us) >> 3) / USEC_PER_MSEC +
			   READ_ONCE(tp->mdev_us) / USEC_PER_MSEC,
			   jiffies_to_msecs(TCP_RTO_MIN));
	omr_sf_give_cc(pn, &pn->paths[i], &c->sub[i][r], ssk, sf->subflow_id);
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
		omr_ev_kill_note(c, k->saddr, k->sport, path, all ? why : k->why);
		if (!omr_pm_destroy(pn, c->token, k->saddr, k->sport, k->daddr,
				    k->dport))
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

/* Bring one path, to one peer address, of one connection to what it should be. */
static void omr_conn_path_run(struct omr_pm_net *pn, struct omr_pm_conn *c,
			      struct omr_obs *o, int i, int r, unsigned long now)
{
	const struct omr_pm_path *p = &pn->paths[i];
	const struct omr_pm_remote *rem = &c->rem[r];
	struct omr_pm_sub *s = &c->sub[i][r];
	struct omr_obs_path *op = &o->p[i][r];
	bool want_bkup = p->backup || p->health == OMR_HEALTH_DEMOTED;
	/* A disabled path is a down one that keeps its configuration. */
	bool usable = p->link_up && p->enabled;
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
		    !omr_pm_set_backup(pn, c->token, p->addr, op->sport,
				       rem->addr, op->dport, want_bkup)) {
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
	if (omr_pm_create(pn, c->token, i + 1, p->addr, p->ifindex, want_bkup,
			  rem->addr, rem->port)) {
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
			agg[i].up++;
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

/*
 * One pass over every connection. Returns when to run again (jiffies from
 * now), or 0 when there is nothing to watch.
 */
unsigned long omr_pm_conns_run(struct omr_pm_net *pn)
{
	struct omr_path_agg agg[OMR_PM_MAX_PATHS] = {};
	unsigned long now = jiffies;
	struct omr_pm_conn *c, *tmp;
	struct omr_obs *o;
	int i, r;

	o = kmalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return msecs_to_jiffies(pn->tun.tick_ms);
	list_for_each_entry_safe(c, tmp, &pn->conns, node) {
		omr_obs_take(pn, c, o, now);
		if (o->gone) {
			omr_conn_del(pn, c);
			continue;
		}
		for (i = 0; i < pn->npaths; i++)
			for (r = 0; r < OMR_PM_MAX_REMOTES; r++)
				if (c->rem[r].used) {
					omr_conn_path_run(pn, c, o, i, r, now);
					omr_ev_conn_path(pn, c, i, r,
							 &o->p[i][r].st,
							 o->p[i][r].up,
							 o->p[i][r].loss);
				}
		omr_ev_conn_end(pn, c);
		omr_agg_add(pn, agg, o);
	}
	kfree(o);
	for (i = 0; i < pn->npaths; i++)
		omr_path_health(pn, &pn->paths[i], &agg[i], now);
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
 * The paths were added, deleted or moved: path j is old path map[j] (or
 * new, -1). Each connection's per-path state moves with its path, by the
 * same map, so it keeps describing the same device.
 */
void omr_pm_conns_remap(struct omr_pm_net *pn, const int *map, int n)
{
	struct omr_pm_sub (*old)[OMR_PM_MAX_REMOTES];
	struct omr_pm_conn *c;
	int j, k;

	old = kmalloc(sizeof(c->sub), GFP_KERNEL_ACCOUNT);
	list_for_each_entry(c, &pn->conns, node) {
		if (!old) {
			/* No memory: forget it all rather than mix paths up. */
			memset(c->sub, 0, sizeof(c->sub));
			memset(&c->ev, 0, sizeof(c->ev));
			continue;
		}
		memcpy(old, c->sub, sizeof(c->sub));
		memset(c->sub, 0, sizeof(c->sub));
		for (j = 0; j < n; j++)
			if (map[j] >= 0)
				memcpy(c->sub[j], old[map[j]], sizeof(c->sub[j]));
		c->ev.regular = omr_mask_remap(c->ev.regular, map, n);
		for (k = 0; k < OMR_EV_KILLS; k++) {
			for (j = 0; j < n; j++)
				if (map[j] == c->ev.kill[k].path)
					break;
			c->ev.kill[k].path = j < n ? j : U8_MAX;
		}
	}
	kfree(old);
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
		struct omr_pm_conn *c;

		if (!READ_ONCE(msk->pm.server_side) &&
		    inet_sk_state_load(sk) == TCP_ESTABLISHED) {
			c = omr_conn_add(pn, READ_ONCE(msk->token));
			if (c) {
				omr_conn_set_addrs(c, inet_sk(sk)->inet_saddr,
						   inet_sk(sk)->inet_sport,
						   inet_sk(sk)->inet_daddr,
						   inet_sk(sk)->inet_dport);
				c->established = READ_ONCE(msk->fully_established);
				n++;
			}
		}
		sock_put(sk);
		cond_resched();
	}
	return n;
}
