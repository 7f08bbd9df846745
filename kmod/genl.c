// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "omr" (uapi/linux/omr.h documents every command,
 * attribute and error): status, the path manager's paths and settings, and
 * every MPTCP connection of the namespace with its subflows.
 *
 * One source of truth: these commands are the only way to change omr's
 * configuration at run time. The PM's module parameters are read-only
 * defaults of new namespaces. The scheduler's tunables are one global set
 * (params.c, published with RCU) that SET_SCHED and the module parameters
 * both change, with the same ranges.
 *
 * A leaf (pm.h draws the layers). Every doit and the first round of every
 * dump run with genetlink's cb_lock held for reading, and a writer queued on
 * cb_lock (any genl_register_family(), which any user can cause through
 * CTRL_CMD_GETFAMILY's request_module()) stops new readers. So nothing here
 * enters genetlink or waits for anything that does:
 *  - changes go through the PM's requests (omr_pm_req_*(), pm_cfg.c), which
 *    validate and store under pn->cfg_lock and kick the work; enabling the
 *    PM is such a request (the work opens its sockets to MPTCP's family);
 *  - replies are built from the configuration (copied under cfg_lock, which
 *    nobody holds across a send) and from the snapshot the work publishes
 *    (RCU); a read has no side effect and never waits for the work;
 *  - GET_CONNS takes each connection's msk socket lock to read its live
 *    subflows. No holder of an msk lock waits for genetlink: the PM's work
 *    sends its MPTCP commands with no socket lock held, MPTCP's own PM
 *    doits take the msk lock after cb_lock (they hold it already), and
 *    MPTCP's events are multicast (no cb_lock) from under the msk lock.
 *
 * The family is parallel_ops: no genl_mutex around our callbacks, which
 * would serialise them with nothing to gain.
 *
 * Privacy. GET_CONNS and the "events" group need CAP_NET_ADMIN over the
 * namespace: both show every user's connections (addresses, ports, live
 * traffic). GET_STATUS, GET_PATHS and GET_SCHED stay open: configuration
 * and counters, no connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/netdevice.h>
#include <linux/utsname.h>
#include <net/genetlink.h>
#include <net/tcp.h>
#include "uapi/linux/omr.h"
#include "omr.h"
#include "pm.h"

/* Attributes a request may not carry, with the reason given back. */
#define OMR_REPLY_ONLY { .type = NLA_REJECT, \
			 .reject_message = "attribute is reply-only" }
#define OMR_NOT_HERE { .type = NLA_REJECT, \
		       .reject_message = "attribute not valid for this command" }

/* The top-level attributes no request carries. */
#define OMR_TOP_REPLY_ONLY				\
	[OMR_A_VERSION] = OMR_REPLY_ONLY,		\
	[OMR_A_KERNEL] = OMR_REPLY_ONLY,		\
	[OMR_A_COUNTERS] = OMR_REPLY_ONLY,		\
	[OMR_A_CONN] = OMR_REPLY_ONLY,			\
	[OMR_A_USAGE] = OMR_REPLY_ONLY

/* GET_STATUS, GET_PATHS, GET_CONNS, GET_SCHED: no attribute at all. */
static const struct nla_policy omr_get_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = OMR_NOT_HERE,
	[OMR_A_PATH] = OMR_NOT_HERE,
	[OMR_A_SCHED] = OMR_NOT_HERE,
};

/*
 * Bounds too large for NLA_POLICY_RANGE()'s s16. Every bound is a constant
 * of the spec (uapi/omr.yaml, generated into uapi/linux/omr.h), as are the
 * module parameters' (params.c).
 */
#define OMR_RANGE(name, pfx)						\
	static const struct netlink_range_validation name = {		\
		.min = pfx##_MIN, .max = pfx##_MAX,			\
	}

OMR_RANGE(omr_fail_range, OMR_PM_FAIL_MS);
OMR_RANGE(omr_hold_range, OMR_PM_HOLD_MS);
OMR_RANGE(omr_rtt_hi_range, OMR_PM_RTT_HI_MS);
OMR_RANGE(omr_backoff_min_range, OMR_PM_BACKOFF_MIN_MS);
OMR_RANGE(omr_backoff_max_range, OMR_PM_BACKOFF_MAX_MS);
OMR_RANGE(omr_join_timeout_range, OMR_PM_JOIN_TIMEOUT_MS);
OMR_RANGE(omr_weight_range, OMR_PATH_WEIGHT);
OMR_RANGE(omr_rtt_unknown_range, OMR_SCHED_RTT_UNKNOWN_US);
OMR_RANGE(omr_burst_range, OMR_SCHED_BURST);

/* The small ones, for NLA_POLICY_RANGE(). */
#define OMR_SMALL_RANGE(type, pfx) NLA_POLICY_RANGE(type, pfx##_MIN, pfx##_MAX)

/*
 * The PM's settings: the same bounds as their module parameters (params.c,
 * which are the defaults of a new namespace).
 */
static const struct nla_policy omr_pm_set_nest_policy[OMR_PM_A_MAX + 1] = {
	[OMR_PM_A_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[OMR_PM_A_ADD_ADDR_ACCEPT] = NLA_POLICY_MAX(NLA_U8, 1),
	[OMR_PM_A_PATHS] = OMR_REPLY_ONLY,
	[OMR_PM_A_MAX_PATHS] = OMR_REPLY_ONLY,
	[OMR_PM_A_CONNS] = OMR_REPLY_ONLY,
	[OMR_PM_A_ENABLE_WANTED] = OMR_REPLY_ONLY,
	[OMR_PM_A_ENABLE_ERROR] = OMR_REPLY_ONLY,
	[OMR_PM_A_GEN] = OMR_REPLY_ONLY,
	[OMR_PM_A_GEN_DONE] = OMR_REPLY_ONLY,
	[OMR_PM_A_TICK_MS] = OMR_SMALL_RANGE(NLA_U32, OMR_PM_TICK_MS),
	[OMR_PM_A_STALL_MS] = OMR_SMALL_RANGE(NLA_U32, OMR_PM_STALL_MS),
	[OMR_PM_A_FAIL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_fail_range),
	[OMR_PM_A_HOLD_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_hold_range),
	[OMR_PM_A_LOSS_HI] = OMR_SMALL_RANGE(NLA_U32, OMR_PM_LOSS_HI),
	[OMR_PM_A_LOSS_LO] = OMR_SMALL_RANGE(NLA_U32, OMR_PM_LOSS_LO),
	[OMR_PM_A_RTT_HI_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_rtt_hi_range),
	[OMR_PM_A_BACKOFF_MIN_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_backoff_min_range),
	[OMR_PM_A_BACKOFF_MAX_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_backoff_max_range),
	[OMR_PM_A_JOIN_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_join_timeout_range),
};

static const struct nla_policy omr_pm_set_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = NLA_POLICY_NESTED(omr_pm_set_nest_policy),
	[OMR_A_PATH] = OMR_NOT_HERE,
	[OMR_A_SCHED] = OMR_NOT_HERE,
};

/* The scheduler's tunables: the bounds of their module parameters. */
static const struct nla_policy omr_sched_set_nest_policy[OMR_SCHED_A_MAX + 1] = {
	[OMR_SCHED_A_LOSS_PENALTY] = OMR_SMALL_RANGE(NLA_U32, OMR_SCHED_LOSS_PENALTY),
	[OMR_SCHED_A_LOSS_GAIN] = OMR_SMALL_RANGE(NLA_U32, OMR_SCHED_LOSS_GAIN),
	[OMR_SCHED_A_RTT_UNKNOWN_US] = NLA_POLICY_FULL_RANGE(NLA_U32,
							     &omr_rtt_unknown_range),
	[OMR_SCHED_A_BURST] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_burst_range),
};

static const struct nla_policy omr_sched_set_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = OMR_NOT_HERE,
	[OMR_A_PATH] = OMR_NOT_HERE,
	[OMR_A_SCHED] = NLA_POLICY_NESTED(omr_sched_set_nest_policy),
};

#define OMR_PATH_REPLY_ONLY				\
	[OMR_PATH_A_IFINDEX] = OMR_REPLY_ONLY,		\
	[OMR_PATH_A_LINK_UP] = OMR_REPLY_ONLY,		\
	[OMR_PATH_A_ADDR] = OMR_REPLY_ONLY,		\
	[OMR_PATH_A_HEALTH] = OMR_REPLY_ONLY

#define OMR_PATH_CHANGE_ONLY				\
	[OMR_PATH_A_ENABLED] = OMR_NOT_HERE,		\
	[OMR_PATH_A_WEIGHT] = OMR_NOT_HERE,		\
	[OMR_PATH_A_SADDR] = OMR_NOT_HERE,		\
	[OMR_PATH_A_GW] = OMR_NOT_HERE

/* A congestion control's name: its charset is checked by omr_cc_valid(). */
#define OMR_PATH_CC_POLICY { .type = NLA_NUL_STRING, .len = TCP_CA_NAME_MAX - 1 }

static const struct nla_policy omr_path_add_nest_policy[OMR_PATH_A_MAX + 1] = {
	[OMR_PATH_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[OMR_PATH_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, OMR_PATH_F_MASK),
	[OMR_PATH_A_CC] = OMR_PATH_CC_POLICY,
	OMR_PATH_REPLY_ONLY,
	OMR_PATH_CHANGE_ONLY,
};

static const struct nla_policy omr_path_del_nest_policy[OMR_PATH_A_MAX + 1] = {
	[OMR_PATH_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[OMR_PATH_A_FLAGS] = OMR_NOT_HERE,
	[OMR_PATH_A_CC] = OMR_NOT_HERE,
	OMR_PATH_REPLY_ONLY,
	OMR_PATH_CHANGE_ONLY,
};

static const struct nla_policy omr_path_change_nest_policy[OMR_PATH_A_MAX + 1] = {
	[OMR_PATH_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[OMR_PATH_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, OMR_PATH_F_MASK),
	OMR_PATH_REPLY_ONLY,
	[OMR_PATH_A_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[OMR_PATH_A_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32, &omr_weight_range),
	[OMR_PATH_A_SADDR] = NLA_POLICY_NESTED(omr_addr_policy),
	[OMR_PATH_A_GW] = NLA_POLICY_NESTED(omr_addr_policy),
	[OMR_PATH_A_CC] = OMR_PATH_CC_POLICY,
};

static const struct nla_policy omr_path_add_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = OMR_NOT_HERE,
	[OMR_A_PATH] = NLA_POLICY_NESTED(omr_path_add_nest_policy),
	[OMR_A_SCHED] = OMR_NOT_HERE,
};

static const struct nla_policy omr_path_del_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = OMR_NOT_HERE,
	[OMR_A_PATH] = NLA_POLICY_NESTED(omr_path_del_nest_policy),
	[OMR_A_SCHED] = OMR_NOT_HERE,
};

static const struct nla_policy omr_path_change_policy[OMR_A_MAX + 1] = {
	OMR_TOP_REPLY_ONLY,
	[OMR_A_PM] = OMR_NOT_HERE,
	[OMR_A_PATH] = NLA_POLICY_NESTED(omr_path_change_nest_policy),
	[OMR_A_SCHED] = OMR_NOT_HERE,
};

static struct genl_family omr_genl_family;

static struct omr_pm_net *omr_genl_pn(struct genl_info *info)
{
	return omr_pm_net(genl_info_net(info));
}

/* ---- GET_STATUS -------------------------------------------------------- */

/* OMR_A_SCHED: the scheduler's tunables, in GET_STATUS and GET_SCHED. */
static int omr_put_sched(struct sk_buff *msg)
{
	struct omr_tunables t;
	struct nlattr *nest;

	omr_tunables_get(&t);
	nest = nla_nest_start(msg, OMR_A_SCHED);
	if (!nest ||
	    nla_put_u32(msg, OMR_SCHED_A_LOSS_PENALTY, t.loss_penalty) ||
	    nla_put_u32(msg, OMR_SCHED_A_LOSS_GAIN, t.loss_gain) ||
	    nla_put_u32(msg, OMR_SCHED_A_RTT_UNKNOWN_US, t.rtt_unknown_us) ||
	    nla_put_u32(msg, OMR_SCHED_A_BURST, t.burst))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Which namespaces use the omr scheduler and the PM (OMR_A_USAGE). */
struct omr_usage {
	u32 sched_conns;	/* the caller's namespace's omr-scheduled msks */
	bool all;		/* the counts below were taken */
	u32 netns, netns_sched, netns_pm;
};

/* How many of @net's MPTCP connections omr schedules (@stop: stop at one). */
static u32 omr_sched_conns(struct net *net, bool stop)
{
	long slot = 0, num = 0;
	struct mptcp_sock *msk;
	u32 n = 0;

	while ((msk = mptcp_token_iter_next(net, &slot, &num))) {
		if (omr_sched_is_ours(msk))
			n++;
		sock_put((struct sock *)msk);
		if (stop && n)
			break;
		cond_resched();
	}
	return n;
}

/*
 * Every namespace, only for CAP_NET_ADMIN over the initial user namespace:
 * which namespaces exist and what they run is the host's business, not a
 * container's. Under net_rwsem (read): the list is stable and each listed
 * namespace's pernet state (pn) is initialised and not yet torn down.
 */
static void omr_usage_all(struct omr_usage *u)
{
	struct net *net;

	u->all = true;
	down_read(&net_rwsem);
	for_each_net(net) {
		u->netns++;
		if (READ_ONCE(omr_pm_net(net)->enabled))
			u->netns_pm++;
		if (omr_sched_conns(net, true))
			u->netns_sched++;
	}
	up_read(&net_rwsem);
}

static int omr_put_usage(struct sk_buff *msg, const struct omr_usage *u,
			 bool pm_enabled)
{
	struct nlattr *nest = nla_nest_start(msg, OMR_A_USAGE);

	if (!nest ||
	    nla_put_u32(msg, OMR_USAGE_A_SCHED_CONNS, u->sched_conns) ||
	    nla_put_u8(msg, OMR_USAGE_A_PM_ENABLED, pm_enabled))
		return -EMSGSIZE;
	if (u->all &&
	    (nla_put_u32(msg, OMR_USAGE_A_NETNS, u->netns) ||
	     nla_put_u32(msg, OMR_USAGE_A_NETNS_SCHED, u->netns_sched) ||
	     nla_put_u32(msg, OMR_USAGE_A_NETNS_PM, u->netns_pm)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int omr_put_pm_settings(struct sk_buff *msg,
			       const struct omr_pm_tunables *t)
{
	if (nla_put_u32(msg, OMR_PM_A_TICK_MS, t->tick_ms) ||
	    nla_put_u32(msg, OMR_PM_A_STALL_MS, t->stall_ms) ||
	    nla_put_u32(msg, OMR_PM_A_FAIL_MS, t->fail_ms) ||
	    nla_put_u32(msg, OMR_PM_A_HOLD_MS, t->hold_ms) ||
	    nla_put_u32(msg, OMR_PM_A_LOSS_HI, t->loss_hi) ||
	    nla_put_u32(msg, OMR_PM_A_LOSS_LO, t->loss_lo) ||
	    nla_put_u32(msg, OMR_PM_A_RTT_HI_MS, t->rtt_hi_ms) ||
	    nla_put_u32(msg, OMR_PM_A_BACKOFF_MIN_MS, t->backoff_min_ms) ||
	    nla_put_u32(msg, OMR_PM_A_BACKOFF_MAX_MS, t->backoff_max_ms) ||
	    nla_put_u32(msg, OMR_PM_A_JOIN_TIMEOUT_MS, t->join_timeout_ms))
		return -EMSGSIZE;
	return 0;
}

/* The PM's configuration and the work's view of it (OMR_A_PM). */
static int omr_put_pm(struct sk_buff *msg, const struct omr_pm_config *cf,
		      const struct omr_pm_snap *sn)
{
	struct nlattr *nest = nla_nest_start(msg, OMR_A_PM);

	if (!nest ||
	    nla_put_u8(msg, OMR_PM_A_ENABLED, sn && sn->enabled) ||
	    nla_put_u8(msg, OMR_PM_A_ENABLE_WANTED, cf->enabled) ||
	    nla_put_u32(msg, OMR_PM_A_ENABLE_ERROR, sn ? -sn->err : 0) ||
	    nla_put_u32(msg, OMR_PM_A_GEN, cf->gen) ||
	    nla_put_u32(msg, OMR_PM_A_GEN_DONE, sn ? sn->gen : 0) ||
	    nla_put_u8(msg, OMR_PM_A_ADD_ADDR_ACCEPT, cf->add_addr_accept) ||
	    nla_put_u32(msg, OMR_PM_A_PATHS, cf->npaths) ||
	    nla_put_u32(msg, OMR_PM_A_MAX_PATHS, OMR_PM_MAX_PATHS) ||
	    nla_put_u32(msg, OMR_PM_A_CONNS, sn ? sn->ntokens : 0) ||
	    nla_put_u32(msg, OMR_PM_A_MAX_CONNS,
			sn ? sn->max_conns : omr_pm_conns_limit()) ||
	    omr_put_pm_settings(msg, &cf->tun))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int omr_put_counters(struct sk_buff *msg,
			    const struct omr_pm_counters *k)
{
	struct nlattr *nest = nla_nest_start(msg, OMR_A_COUNTERS);

	if (!nest ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_CREATES, k->creates, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_CREATE_ERRORS, k->create_err,
			      OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_CLOSED, k->closed, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_DEMOTES, k->demotes, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_PROMOTES, k->promotes,
			      OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_REMOVES, k->removes, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_ABORTS, k->aborts, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_EV_OVERFLOWS, k->ev_overflow,
			      OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_CC_SET, k->cc_set, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_CC_ERRORS, k->cc_err,
			      OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_UNTRACKED, k->untracked,
			      OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_VISITS, k->visits, OMR_CNT_A_PAD) ||
	    nla_put_u64_64bit(msg, OMR_CNT_A_WORK_NS, k->work_ns,
			      OMR_CNT_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * The release of the caller's UTS namespace (utsname(), not the host's:
 * a container sees what uname(2) tells it). From the snapshot and the
 * configuration only: under RCU, no wait for the work.
 */
static int omr_put_status(struct sk_buff *msg, struct omr_pm_net *pn,
			  const struct omr_pm_config *cf,
			  const struct omr_usage *u)
{
	static const struct omr_pm_counters none;
	const struct omr_pm_snap *sn;
	int ret;

	if (nla_put_string(msg, OMR_A_VERSION, OMR_VERSION) ||
	    nla_put_string(msg, OMR_A_KERNEL, utsname()->release))
		return -EMSGSIZE;
	rcu_read_lock();
	sn = rcu_dereference(pn->snap);
	ret = omr_put_pm(msg, cf, sn) ||
	      omr_put_counters(msg, sn ? &sn->cnt : &none) ||
	      omr_put_sched(msg) ||
	      omr_put_usage(msg, u, sn && sn->enabled);
	rcu_read_unlock();
	return ret ? -EMSGSIZE : 0;
}

static int omr_genl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct omr_pm_net *pn = omr_genl_pn(info);
	struct omr_usage u = {};
	struct omr_pm_config *cf;
	struct sk_buff *msg;
	void *hdr;
	int ret = -ENOMEM;

	u.sched_conns = omr_sched_conns(genl_info_net(info), false);
	if (netlink_capable(skb, CAP_NET_ADMIN))
		omr_usage_all(&u);

	cf = kmalloc(sizeof(*cf), GFP_KERNEL);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!cf || !msg)
		goto err;
	omr_pm_cfg_read(pn, cf);
	hdr = genlmsg_put_reply(msg, info, &omr_genl_family, 0,
				OMR_CMD_GET_STATUS);
	ret = hdr ? omr_put_status(msg, pn, cf, &u) : -EMSGSIZE;
	if (ret)
		goto err;
	kfree(cf);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	kfree(cf);
	nlmsg_free(msg);
	return ret;
}

/* ---- GET_PATHS (dump; cb->args[0]: the next path's index) -------------- */

/* What the PM's passes saw of the path, as published; zero if none yet. */
static int omr_put_path_stats(struct sk_buff *skb,
			      const struct omr_pm_snap_path *sp)
{
	return nla_put_u32(skb, OMR_PATH_A_SUBFLOWS, sp->subflows) ||
	       nla_put_u32(skb, OMR_PATH_A_SRTT_US, sp->srtt_us) ||
	       nla_put_u32(skb, OMR_PATH_A_LOSS, sp->loss_ppm) ||
	       nla_put_u64_64bit(skb, OMR_PATH_A_TX_BYTES, sp->tx,
				 OMR_PATH_A_PAD) ||
	       nla_put_u64_64bit(skb, OMR_PATH_A_RX_BYTES, sp->rx,
				 OMR_PATH_A_PAD) ||
	       nla_put_u32(skb, OMR_PATH_A_WINDOW_MS, sp->window_ms) ||
	       nla_put_u8(skb, OMR_PATH_A_HEALTH_REASON, sp->health_reason) ||
	       nla_put_u32(skb, OMR_PATH_A_JOIN_FAILS, sp->join_fails) ||
	       nla_put_u32(skb, OMR_PATH_A_JOIN_FAILS_TOTAL,
			   sp->join_fails_total) ||
	       nla_put_u8(skb, OMR_PATH_A_STRIPPED, sp->stripped);
}

/* @p as configured, with what the work last published of it (@sp). */
static int omr_put_path(struct sk_buff *skb, const struct omr_pm_path_cfg *p,
			const struct omr_pm_snap_path *sp)
{
	struct nlattr *nest = nla_nest_start(skb, OMR_A_PATH);

	if (!nest ||
	    nla_put_string(skb, OMR_PATH_A_IFNAME, p->dev) ||
	    nla_put_u32(skb, OMR_PATH_A_FLAGS, p->backup ? OMR_PATH_F_BACKUP : 0) ||
	    nla_put_u32(skb, OMR_PATH_A_IFINDEX, sp->ifindex) ||
	    nla_put_u8(skb, OMR_PATH_A_LINK_UP, sp->link_up) ||
	    (sp->addr[OMR_FAM_V4].family &&
	     omr_nla_put_addr(skb, OMR_PATH_A_ADDR, &sp->addr[OMR_FAM_V4])) ||
	    (sp->addr[OMR_FAM_V6].family &&
	     omr_nla_put_addr(skb, OMR_PATH_A_ADDR, &sp->addr[OMR_FAM_V6])) ||
	    nla_put_u8(skb, OMR_PATH_A_HEALTH, sp->demoted ?
		       OMR_PATH_HEALTH_DEMOTED : OMR_PATH_HEALTH_OK) ||
	    nla_put_u8(skb, OMR_PATH_A_ENABLED, p->enabled) ||
	    nla_put_u32(skb, OMR_PATH_A_WEIGHT, p->weight) ||
	    (p->saddr.family &&
	     omr_nla_put_addr(skb, OMR_PATH_A_SADDR, &p->saddr)) ||
	    (p->gw.family && omr_nla_put_addr(skb, OMR_PATH_A_GW, &p->gw)) ||
	    (p->cc[0] && nla_put_string(skb, OMR_PATH_A_CC, p->cc)) ||
	    omr_put_path_stats(skb, sp))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The published state of the path @p (a zeroed one if none yet), with its
 * device's index, link and address read now (a pure read, as ip-link(8)
 * would): a path just added or changed shows its link at once.
 */
static void omr_snap_path(struct omr_pm_net *pn,
			  const struct omr_pm_path_cfg *p,
			  struct omr_pm_snap_path *out)
{
	const struct omr_pm_snap *sn;
	int i;

	memset(out, 0, sizeof(*out));
	rcu_read_lock();
	sn = rcu_dereference(pn->snap);
	for (i = 0; sn && i < sn->npaths; i++) {
		if (!strcmp(sn->paths[i].dev, p->dev)) {
			*out = sn->paths[i];
			break;
		}
	}
	out->link_up = omr_pm_link_read(pn->net, p->dev, &p->saddr,
					&out->ifindex, out->addr);
	rcu_read_unlock();
}

/*
 * The configured paths (read-your-writes: a path just added is listed),
 * each with what the work last published for its device.
 */
static int omr_genl_get_paths(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct omr_pm_net *pn = omr_pm_net(sock_net(skb->sk));
	struct omr_pm_snap_path sp;
	struct omr_pm_config *cf;
	int i, ret = 0;
	void *hdr;

	cf = kmalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	omr_pm_cfg_read(pn, cf);
	for (i = cb->args[0]; i < cf->npaths; i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &omr_genl_family,
				  NLM_F_MULTI, OMR_CMD_GET_PATHS);
		if (!hdr) {
			ret = -EMSGSIZE;
			break;
		}
		omr_snap_path(pn, &cf->paths[i], &sp);
		if (omr_put_path(skb, &cf->paths[i], &sp)) {
			genlmsg_cancel(skb, hdr);
			ret = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	kfree(cf);
	cb->args[0] = i;
	/* A path that does not fit in an empty message never will. */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

/* ---- SET_PM ------------------------------------------------------------ */

/* OMR_PM_A_* settings and the field of struct omr_pm_tunables each sets. */
static const struct {
	u16 attr;
	u16 off;
} omr_pm_settings[] = {
	{ OMR_PM_A_TICK_MS, offsetof(struct omr_pm_tunables, tick_ms) },
	{ OMR_PM_A_STALL_MS, offsetof(struct omr_pm_tunables, stall_ms) },
	{ OMR_PM_A_FAIL_MS, offsetof(struct omr_pm_tunables, fail_ms) },
	{ OMR_PM_A_HOLD_MS, offsetof(struct omr_pm_tunables, hold_ms) },
	{ OMR_PM_A_LOSS_HI, offsetof(struct omr_pm_tunables, loss_hi) },
	{ OMR_PM_A_LOSS_LO, offsetof(struct omr_pm_tunables, loss_lo) },
	{ OMR_PM_A_RTT_HI_MS, offsetof(struct omr_pm_tunables, rtt_hi_ms) },
	{ OMR_PM_A_BACKOFF_MIN_MS,
	  offsetof(struct omr_pm_tunables, backoff_min_ms) },
	{ OMR_PM_A_BACKOFF_MAX_MS,
	  offsetof(struct omr_pm_tunables, backoff_max_ms) },
	{ OMR_PM_A_JOIN_TIMEOUT_MS,
	  offsetof(struct omr_pm_tunables, join_timeout_ms) },
};

/* The attribute to blame for a cross-field error: @a if given, else @b. */
static const struct nlattr *omr_blame(struct nlattr **tb, int a, int b)
{
	return tb[a] ? tb[a] : tb[b];
}

/* The extended ACK of a broken cross-field rule (pm_cfg.c judged it). */
static void omr_pm_rule_msg(const struct omr_pm_set_req *req,
			    struct nlattr **tb, struct netlink_ext_ack *extack)
{
	const struct omr_pm_tunables *t = &req->res;

	switch (req->rule) {
	case OMR_PM_RULE_LOSS:
		NL_SET_ERR_MSG_ATTR_FMT(extack,
					omr_blame(tb, OMR_PM_A_LOSS_LO, OMR_PM_A_LOSS_HI),
					"OMR_PM_A_LOSS_LO (%u) must be below OMR_PM_A_LOSS_HI (%u)",
					t->loss_lo, t->loss_hi);
		break;
	case OMR_PM_RULE_BACKOFF:
		NL_SET_ERR_MSG_ATTR_FMT(extack,
					omr_blame(tb, OMR_PM_A_BACKOFF_MIN_MS,
						  OMR_PM_A_BACKOFF_MAX_MS),
					"OMR_PM_A_BACKOFF_MIN_MS (%u) must not exceed OMR_PM_A_BACKOFF_MAX_MS (%u)",
					t->backoff_min_ms, t->backoff_max_ms);
		break;
	case OMR_PM_RULE_FAIL:
		NL_SET_ERR_MSG_ATTR_FMT(extack,
					omr_blame(tb, OMR_PM_A_FAIL_MS, OMR_PM_A_STALL_MS),
					"OMR_PM_A_FAIL_MS (%u) must not be below OMR_PM_A_STALL_MS (%u)",
					t->fail_ms, t->stall_ms);
		break;
	}
}

/*
 * All or nothing: the request (pm_cfg.c) applies the settings to a copy,
 * checks the cross-field rules and stores only if all hold. Enabling or
 * disabling is stored too, as a wish: the work carries it out, and
 * GET_STATUS tells when it did (OMR_PM_A_GEN_DONE) and how
 * (OMR_PM_A_ENABLED, OMR_PM_A_ENABLE_ERROR).
 */
static int omr_genl_set_pm(struct sk_buff *skb, struct genl_info *info)
{
	struct omr_pm_net *pn = omr_genl_pn(info);
	struct nlattr *tb[OMR_PM_A_MAX + 1];
	struct omr_pm_set_req req = { .enabled = -1, .add_addr_accept = -1 };
	bool any = false;
	int i, ret;

	if (GENL_REQ_ATTR_CHECK(info, OMR_A_PM)) {
		NL_SET_ERR_MSG(info->extack, "OMR_A_PM is required");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, OMR_PM_A_MAX, info->attrs[OMR_A_PM],
			       omr_pm_set_nest_policy, info->extack);
	if (ret)
		return ret;
	for (i = 1; i <= OMR_PM_A_MAX; i++)
		any |= !!tb[i];
	if (!any) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[OMR_A_PM],
				    "OMR_A_PM needs at least one setting");
		return -EINVAL;
	}
	BUILD_BUG_ON(ARRAY_SIZE(omr_pm_settings) > OMR_PM_SET_MAX);
	for (i = 0; i < ARRAY_SIZE(omr_pm_settings); i++) {
		if (!tb[omr_pm_settings[i].attr])
			continue;
		req.v[req.n].off = omr_pm_settings[i].off;
		req.v[req.n++].val = nla_get_u32(tb[omr_pm_settings[i].attr]);
	}
	if (tb[OMR_PM_A_ENABLED])
		req.enabled = nla_get_u8(tb[OMR_PM_A_ENABLED]);
	if (tb[OMR_PM_A_ADD_ADDR_ACCEPT])
		req.add_addr_accept = nla_get_u8(tb[OMR_PM_A_ADD_ADDR_ACCEPT]);
	ret = omr_pm_req_set(pn, &req);
	if (ret == -EINVAL)
		omr_pm_rule_msg(&req, tb, info->extack);
	return ret;
}

/* ---- GET_SCHED, SET_SCHED: global, like the scheduler ----------------- */

static int omr_genl_get_sched(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &omr_genl_family, 0,
				OMR_CMD_GET_SCHED);
	if (!hdr || omr_put_sched(msg))
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* U32_MAX (no tunable has it in its range) when not given. */
static u32 omr_u32_or_none(const struct nlattr *a)
{
	return a ? nla_get_u32(a) : U32_MAX;
}

/*
 * Every value was range-checked by the policy before this runs; the new
 * values are published together as one set (params.c), or on -ENOMEM not
 * at all: a request is applied whole or not at all, and a scheduling
 * decision sees all of it or none.
 */
static int omr_genl_set_sched(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[OMR_SCHED_A_MAX + 1];
	struct omr_tunables t;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, OMR_A_SCHED)) {
		NL_SET_ERR_MSG(info->extack, "OMR_A_SCHED is required");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, OMR_SCHED_A_MAX, info->attrs[OMR_A_SCHED],
			       omr_sched_set_nest_policy, info->extack);
	if (ret)
		return ret;
	if (!tb[OMR_SCHED_A_LOSS_PENALTY] && !tb[OMR_SCHED_A_LOSS_GAIN] &&
	    !tb[OMR_SCHED_A_RTT_UNKNOWN_US] && !tb[OMR_SCHED_A_BURST]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[OMR_A_SCHED],
				    "OMR_A_SCHED needs at least one tunable");
		return -EINVAL;
	}
	t.loss_penalty = omr_u32_or_none(tb[OMR_SCHED_A_LOSS_PENALTY]);
	t.loss_gain = omr_u32_or_none(tb[OMR_SCHED_A_LOSS_GAIN]);
	t.rtt_unknown_us = omr_u32_or_none(tb[OMR_SCHED_A_RTT_UNKNOWN_US]);
	t.burst = omr_u32_or_none(tb[OMR_SCHED_A_BURST]);
	return omr_tunables_set(&t);
}

/* ---- PATH_ADD, PATH_DEL, PATH_CHANGE ----------------------------------- */

/*
 * A congestion control's name as TCP's modules spell theirs: [a-z0-9_], or
 * "" (none). Only the syntax: the kernel exports no lookup of a name, so
 * whether it exists is checked by the client (omrctl) and, for anything
 * else, counted when the PM applies it (OMR_CNT_A_CC_ERRORS).
 */
static bool omr_cc_valid(const char *s)
{
	for (; *s; s++)
		if (!islower(*s) && !isdigit(*s) && *s != '_')
			return false;
	return true;
}

/* The OMR_PATH_A_* of a PATH_* command, with a valid device name and cc. */
static int omr_genl_path_attrs(struct genl_info *info,
			       const struct nla_policy *policy,
			       struct nlattr **tb)
{
	const char *name;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, OMR_A_PATH)) {
		NL_SET_ERR_MSG(info->extack, "OMR_A_PATH is required");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, OMR_PATH_A_MAX, info->attrs[OMR_A_PATH],
			       policy, info->extack);
	if (ret)
		return ret;
	if (!tb[OMR_PATH_A_IFNAME]) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[OMR_A_PATH],
				     OMR_PATH_A_IFNAME);
		NL_SET_ERR_MSG(info->extack, "OMR_PATH_A_IFNAME is required");
		return -EINVAL;
	}
	name = nla_data(tb[OMR_PATH_A_IFNAME]);
	if (!dev_valid_name(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OMR_PATH_A_IFNAME],
				    "OMR_PATH_A_IFNAME is not a valid interface name");
		return -EINVAL;
	}
	if (tb[OMR_PATH_A_CC] && !omr_cc_valid(nla_data(tb[OMR_PATH_A_CC]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OMR_PATH_A_CC],
				    "OMR_PATH_A_CC: a congestion control name is [a-z0-9_]");
		return -EINVAL;
	}
	return 0;
}

static int omr_genl_path_add(struct sk_buff *skb, struct genl_info *info)
{
	struct omr_pm_net *pn = omr_genl_pn(info);
	struct nlattr *tb[OMR_PATH_A_MAX + 1];
	const char *name;
	bool backup;
	int ret;

	ret = omr_genl_path_attrs(info, omr_path_add_nest_policy, tb);
	if (ret)
		return ret;
	name = nla_data(tb[OMR_PATH_A_IFNAME]);
	backup = tb[OMR_PATH_A_FLAGS] &&
		 (nla_get_u32(tb[OMR_PATH_A_FLAGS]) & OMR_PATH_F_BACKUP);

	ret = omr_pm_req_path_add(pn, name, backup,
				  tb[OMR_PATH_A_CC] ? nla_data(tb[OMR_PATH_A_CC]) : NULL);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OMR_PATH_A_IFNAME],
				    "OMR_PATH_A_IFNAME: a path on this device exists");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG_FMT(info->extack, "too many paths (at most %d)",
				   OMR_PM_MAX_PATHS);
	return ret;
}

static int omr_genl_path_del(struct sk_buff *skb, struct genl_info *info)
{
	struct omr_pm_net *pn = omr_genl_pn(info);
	struct nlattr *tb[OMR_PATH_A_MAX + 1];
	int ret;

	ret = omr_genl_path_attrs(info, omr_path_del_nest_policy, tb);
	if (ret)
		return ret;
	ret = omr_pm_req_path_del(pn, nla_data(tb[OMR_PATH_A_IFNAME]));
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OMR_PATH_A_IFNAME],
				    "OMR_PATH_A_IFNAME: no path on this device");
	return ret;
}

/*
 * All or nothing (pm_cfg.c): the path is found and the source address
 * checked before anything is stored. The work, kicked after, does what the
 * change means for the connections.
 */
/* An optional address: @set if given; the unspecified one clears (family 0). */
static int omr_genl_opt_addr(const struct nlattr *nla, const char *name,
			     bool *set, struct omr_addr *a,
			     struct netlink_ext_ack *extack)
{
	int ret;

	*set = !!nla;
	if (!nla)
		return 0;
	ret = omr_nla_get_addr(nla, name, a, extack);
	if (ret)
		return ret;
	if (omr_addr_any(a))
		memset(a, 0, sizeof(*a));
	return 0;
}

static int omr_genl_path_change_addrs(struct nlattr **tb,
				      struct omr_pm_path_change *ch,
				      struct netlink_ext_ack *extack)
{
	return omr_genl_opt_addr(tb[OMR_PATH_A_SADDR], "OMR_PATH_A_SADDR",
				 &ch->set_saddr, &ch->saddr, extack) ?:
	       omr_genl_opt_addr(tb[OMR_PATH_A_GW], "OMR_PATH_A_GW",
				 &ch->set_gw, &ch->gw, extack);
}

static int omr_genl_path_change(struct sk_buff *skb, struct genl_info *info)
{
	struct omr_pm_net *pn = omr_genl_pn(info);
	struct nlattr *tb[OMR_PATH_A_MAX + 1];
	struct omr_pm_path_change ch = { .backup = -1, .enabled = -1 };
	int ret;

	ret = omr_genl_path_attrs(info, omr_path_change_nest_policy, tb);
	if (ret)
		return ret;
	if (!tb[OMR_PATH_A_FLAGS] && !tb[OMR_PATH_A_ENABLED] &&
	    !tb[OMR_PATH_A_WEIGHT] && !tb[OMR_PATH_A_SADDR] &&
	    !tb[OMR_PATH_A_GW] && !tb[OMR_PATH_A_CC]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[OMR_A_PATH],
				    "OMR_A_PATH has nothing to change");
		return -EINVAL;
	}
	ch.dev = nla_data(tb[OMR_PATH_A_IFNAME]);
	if (tb[OMR_PATH_A_FLAGS])
		ch.backup = !!(nla_get_u32(tb[OMR_PATH_A_FLAGS]) &
			       OMR_PATH_F_BACKUP);
	if (tb[OMR_PATH_A_ENABLED])
		ch.enabled = nla_get_u8(tb[OMR_PATH_A_ENABLED]);
	if (tb[OMR_PATH_A_WEIGHT])
		ch.weight = nla_get_u32(tb[OMR_PATH_A_WEIGHT]);
	ret = omr_genl_path_change_addrs(tb, &ch, info->extack);
	if (ret)
		return ret;
	if (tb[OMR_PATH_A_CC])
		ch.cc = nla_data(tb[OMR_PATH_A_CC]);

	ret = omr_pm_req_path_change(pn, &ch);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[OMR_PATH_A_IFNAME],
				    "OMR_PATH_A_IFNAME: no path on this device");
	else if (ret == -EADDRNOTAVAIL && ch.saddr.family == AF_INET6)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[OMR_PATH_A_SADDR],
					"OMR_PATH_A_SADDR: %pI6c is not an address of %s",
					&ch.saddr.a6, ch.dev);
	else if (ret == -EADDRNOTAVAIL)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[OMR_PATH_A_SADDR],
					"OMR_PATH_A_SADDR: %pI4 is not an address of %s",
					&ch.saddr.a4, ch.dev);
	return ret;
}

/* ---- GET_CONNS (dump; cb->args[0..1]: the token table iterator) -------- */

/* The device a subflow leaves through: its bound one, else its route's. */
static int omr_sf_ifindex(struct sock *ssk)
{
	struct dst_entry *dst;
	int ifindex = READ_ONCE(ssk->sk_bound_dev_if);

	if (ifindex)
		return ifindex;
	dst = sk_dst_get(ssk);
	if (dst) {
		if (dst->dev)
			ifindex = dst->dev->ifindex;
		dst_release(dst);
	}
	return ifindex;
}

static u32 omr_sf_flags(const struct mptcp_subflow_context *sf)
{
	u32 flags = 0;

	if (sf->request_bkup)
		flags |= OMR_SF_F_BACKUP;
	if (sf->backup)
		flags |= OMR_SF_F_PEER_BACKUP;
	if (sf->request_join || sf->mp_join)
		flags |= OMR_SF_F_JOIN;
	if (READ_ONCE(sf->fully_established))
		flags |= OMR_SF_F_FULLY_ESTABLISHED;
	if (sf->stale)	/* a bit-field up to 6.12, a u8 later */
		flags |= OMR_SF_F_STALE;
	return flags;
}

/* The omr scheduler's loss estimate in ppm, or -1 if it has none. */
static s64 omr_sf_loss_ppm(const struct omr_conn *sc, u32 id)
{
	int i;

	for (i = 0; sc && i < OMR_MAX_SUBFLOWS; i++)
		if (sc->sf[i].id == id)
			return div_u64((u64)sc->sf[i].loss * 1000000, OMR_ONE);
	return -1;
}

/*
 * The subflow's congestion control. Read without its socket lock (a pass of
 * the PM or the subflow's owner may switch it meanwhile): under RCU, as
 * tcp_unregister_congestion_control() waits for a grace period before a
 * module's ops may go, and the name is copied out before the unlock.
 */
static void omr_sf_cc(struct sock *ssk, char *name, size_t len)
{
	const struct tcp_congestion_ops *ca;

	rcu_read_lock();
	ca = READ_ONCE(inet_csk(ssk)->icsk_ca_ops);
	strscpy(name, ca ? ca->name : "", len);
	rcu_read_unlock();
}

/* msk socket lock held. */
static int omr_put_subflow(struct sk_buff *skb, struct net *net,
			   const struct omr_conn *sc,
			   struct mptcp_subflow_context *sf)
{
	struct sock *ssk = mptcp_subflow_tcp_sock(sf);
	const struct tcp_sock *tp = tcp_sk(ssk);
	const struct inet_sock *inet = inet_sk(ssk);
	char name[IFNAMSIZ] = "", cc[TCP_CA_NAME_MAX];
	struct omr_addr la, ra;
	struct net_device *dev;
	struct nlattr *nest;
	int ifindex;
	s64 loss;

	ifindex = omr_sf_ifindex(ssk);
	if (ifindex) {
		rcu_read_lock();
		dev = dev_get_by_index_rcu(net, ifindex);
		if (dev)
			strscpy(name, dev->name, sizeof(name));
		rcu_read_unlock();
	}
	loss = omr_sf_loss_ppm(sc, sf->subflow_id);
	omr_sf_cc(ssk, cc, sizeof(cc));
	omr_addr_sk(ssk, &la, &ra);

	nest = nla_nest_start(skb, 0);
	if (!nest ||
	    nla_put_u32(skb, OMR_SF_A_ID, sf->subflow_id) ||
	    (ifindex && nla_put_u32(skb, OMR_SF_A_IFINDEX, ifindex)) ||
	    (name[0] && nla_put_string(skb, OMR_SF_A_IFNAME, name)) ||
	    omr_nla_put_addr(skb, OMR_SF_A_LOCAL_ADDR, &la) ||
	    nla_put_u16(skb, OMR_SF_A_LOCAL_PORT, ntohs(inet->inet_sport)) ||
	    omr_nla_put_addr(skb, OMR_SF_A_REMOTE_ADDR, &ra) ||
	    nla_put_u16(skb, OMR_SF_A_REMOTE_PORT, ntohs(inet->inet_dport)) ||
	    nla_put_u8(skb, OMR_SF_A_STATE, inet_sk_state_load(ssk)) ||
	    nla_put_u32(skb, OMR_SF_A_FLAGS, omr_sf_flags(sf)) ||
	    nla_put_u32(skb, OMR_SF_A_SRTT_US, READ_ONCE(tp->srtt_us) >> 3) ||
	    nla_put_u32(skb, OMR_SF_A_RTTVAR_US, READ_ONCE(tp->mdev_us) >> 2) ||
	    (loss >= 0 && nla_put_u32(skb, OMR_SF_A_LOSS, loss)) ||
	    nla_put_u32(skb, OMR_SF_A_CWND, tcp_snd_cwnd(tp)) ||
	    nla_put_u64_64bit(skb, OMR_SF_A_BYTES_SENT,
			      READ_ONCE(tp->bytes_sent), OMR_SF_A_PAD) ||
	    nla_put_u64_64bit(skb, OMR_SF_A_BYTES_ACKED,
			      READ_ONCE(tp->bytes_acked), OMR_SF_A_PAD) ||
	    nla_put_u64_64bit(skb, OMR_SF_A_BYTES_RECEIVED,
			      READ_ONCE(tp->bytes_received), OMR_SF_A_PAD) ||
	    nla_put_u32(skb, OMR_SF_A_RETRANS, READ_ONCE(tp->total_retrans)) ||
	    (cc[0] && nla_put_string(skb, OMR_SF_A_CC, cc)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Whether the PM follows the connection, as its last pass published. */
static bool omr_pm_follows(struct omr_pm_net *pn, u32 token)
{
	bool found;

	rcu_read_lock();
	found = omr_pm_snap_follows(rcu_dereference(pn->snap), token);
	rcu_read_unlock();
	return found;
}

/* One connection, one message; the msk socket lock is taken here. */
static int omr_put_conn(struct sk_buff *skb, struct netlink_callback *cb,
			struct omr_pm_net *pn, struct mptcp_sock *msk)
{
	struct sock *sk = (struct sock *)msk;
	const struct inet_sock *inet = inet_sk(sk);
	struct mptcp_subflow_context *sf;
	struct nlattr *conn, *sfs;
	struct omr_addr la, ra;
	struct omr_conn *sc;
	u32 flags = 0;
	void *hdr;
	int ret = -EMSGSIZE;

	if (omr_pm_follows(pn, READ_ONCE(msk->token)))
		flags |= OMR_CONN_F_PM;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &omr_genl_family, NLM_F_MULTI, OMR_CMD_GET_CONNS);
	if (!hdr)
		return -EMSGSIZE;

	lock_sock(sk);
	if (READ_ONCE(msk->pm.server_side))
		flags |= OMR_CONN_F_SERVER_SIDE;
	if (READ_ONCE(msk->fully_established))
		flags |= OMR_CONN_F_FULLY_ESTABLISHED;
	if (__mptcp_check_fallback(msk))
		flags |= OMR_CONN_F_FALLBACK;
	omr_addr_sk(sk, &la, &ra);
	conn = nla_nest_start(skb, OMR_A_CONN);
	if (!conn ||
	    nla_put_u32(skb, OMR_CONN_A_TOKEN, msk->token) ||
	    omr_nla_put_addr(skb, OMR_CONN_A_LOCAL_ADDR, &la) ||
	    nla_put_u16(skb, OMR_CONN_A_LOCAL_PORT, ntohs(inet->inet_sport)) ||
	    omr_nla_put_addr(skb, OMR_CONN_A_REMOTE_ADDR, &ra) ||
	    nla_put_u16(skb, OMR_CONN_A_REMOTE_PORT, ntohs(inet->inet_dport)) ||
	    nla_put_u8(skb, OMR_CONN_A_STATE, inet_sk_state_load(sk)) ||
	    nla_put_u32(skb, OMR_CONN_A_FLAGS, flags) ||
	    (msk->sched && nla_put_string(skb, OMR_CONN_A_SCHED,
					  msk->sched->name)))
		goto cancel;
	sfs = nla_nest_start(skb, OMR_CONN_A_SUBFLOWS);
	if (!sfs)
		goto cancel;
	sc = omr_conn_lookup(msk);
	mptcp_for_each_subflow(msk, sf)
		if (omr_put_subflow(skb, sock_net(sk), sc, sf))
			goto cancel;
	nla_nest_end(skb, sfs);
	nla_nest_end(skb, conn);
	release_sock(sk);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	release_sock(sk);
	genlmsg_cancel(skb, hdr);
	return ret;
}

static int omr_genl_get_conns(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct omr_pm_net *pn = omr_pm_net(net);
	long slot = cb->args[0], num = cb->args[1];
	struct mptcp_sock *msk;
	int ret = 0;

	while ((msk = mptcp_token_iter_next(net, &slot, &num))) {
		ret = omr_put_conn(skb, cb, pn, msk);
		sock_put((struct sock *)msk);
		if (ret) {
			/* Did not fit: the next message starts with it. */
			num--;
			break;
		}
		cb->args[0] = slot;
		cb->args[1] = num;
		cond_resched();
	}
	cb->args[0] = slot;
	cb->args[1] = num;
	/* A connection that does not fit in an empty message never will. */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static const struct genl_ops omr_genl_ops[] = {
	{
		.cmd = OMR_CMD_GET_STATUS,
		.doit = omr_genl_get_status,
		.policy = omr_get_policy,
		.maxattr = OMR_A_MAX,
	},
	{
		.cmd = OMR_CMD_GET_PATHS,
		.dumpit = omr_genl_get_paths,
		.policy = omr_get_policy,
		.maxattr = OMR_A_MAX,
	},
	{
		.cmd = OMR_CMD_SET_PM,
		.doit = omr_genl_set_pm,
		.policy = omr_pm_set_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = OMR_CMD_PATH_ADD,
		.doit = omr_genl_path_add,
		.policy = omr_path_add_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = OMR_CMD_PATH_DEL,
		.doit = omr_genl_path_del,
		.policy = omr_path_del_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* Every user's connections: the events' policy (uapi). */
		.cmd = OMR_CMD_GET_CONNS,
		.dumpit = omr_genl_get_conns,
		.policy = omr_get_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = OMR_CMD_GET_SCHED,
		.doit = omr_genl_get_sched,
		.policy = omr_get_policy,
		.maxattr = OMR_A_MAX,
	},
	{
		/*
		 * The tunables are global, one set for every namespace:
		 * CAP_NET_ADMIN over the initial user namespace, so that no
		 * container root changes the host's scheduler.
		 */
		.cmd = OMR_CMD_SET_SCHED,
		.doit = omr_genl_set_sched,
		.policy = omr_sched_set_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = OMR_CMD_PATH_CHANGE,
		.doit = omr_genl_path_change,
		.policy = omr_path_change_policy,
		.maxattr = OMR_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * Events (events.c). Joining needs CAP_NET_ADMIN over the namespace: the
 * events trace who connects where, live (uapi/linux/omr.h).
 */
static const struct genl_multicast_group omr_genl_mcgrps[] = {
	{ .name = OMR_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* resv_start_op 0: every op is validated strictly, header and attributes. */
static struct genl_family omr_genl_family __ro_after_init = {
	.name = OMR_GENL_NAME,
	.version = OMR_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = omr_genl_ops,
	.n_ops = ARRAY_SIZE(omr_genl_ops),
	.mcgrps = omr_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(omr_genl_mcgrps),
	.resv_start_op = 0,
};

int omr_genl_init(void)
{
	int ret = genl_register_family(&omr_genl_family);

	if (!ret)
		omr_ev_sink_set(&omr_genl_family);
	return ret;
}

/* Events stop first: the PM's work may still be running. */
void omr_genl_exit(void)
{
	omr_ev_sink_set(NULL);
	genl_unregister_family(&omr_genl_family);
}
