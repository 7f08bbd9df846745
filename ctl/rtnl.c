// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink for udp-route (rtnl.h), IPv4 and IPv6, with libnl's core: messages built with
 * nlmsg_* and nla_put_*, one request at a time, its ACK or error (and the
 * kernel's extended ACK message) read back on the same socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include "nl.h"
#include "rtnl.h"

struct rtnl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	bool done;
	int error;		/* negative errno of the last request */
	char extack[256];
	void (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	bool saw_change;	/* watch sockets: a default route changed */
};

const char *rtnl_extack(const struct rtnl *r)
{
	return r->extack;
}

int rtnl_fd(const struct rtnl *r)
{
	return nl_socket_get_fd(r->sk);
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct rtnl *r = arg;

	if (r->parse)
		r->parse(nlmsg_hdr(msg), r->arg);
	return NL_OK;
}

static int cb_done(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct rtnl *)arg)->done = true;
	return NL_STOP;
}

static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct rtnl *r = arg;

	(void)nla;
	r->error = e->error;
	r->done = true;
	if (nl_extack_parse(e, tb) && tb[NLMSGERR_ATTR_MSG])
		snprintf(r->extack, sizeof(r->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

/* A default route changed (or notifications were lost). */
static int cb_notify(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rtnl *r = arg;
	struct rtmsg *rtm = nlmsg_data(nlh);

	if ((nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_DELROUTE) &&
	    nlmsg_datalen(nlh) >= (int)sizeof(*rtm) && rtm->rtm_dst_len == 0)
		r->saw_change = true;
	return NL_OK;
}

static int cb_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int setup(struct rtnl *r, bool watch)
{
	int one = 1, fd;

	r->sk = nl_socket_alloc();
	r->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!r->sk || !r->cb || nl_connect(r->sk, NETLINK_ROUTE))
		return -1;
	fd = nl_socket_get_fd(r->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (watch) {
		/* Notifications carry no sequence number of ours. */
		nl_cb_set(r->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_any_seq, NULL);
		nl_cb_set(r->cb, NL_CB_VALID, NL_CB_CUSTOM, cb_notify, r);
		if (nl_socket_set_nonblocking(r->sk))
			return -1;
		return nl_socket_add_memberships(r->sk, RTNLGRP_IPV4_ROUTE,
						 RTNLGRP_IPV6_ROUTE, 0) ? -1 : 0;
	}
	nl_cb_set(r->cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, r);
	nl_cb_set(r->cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_done, r);
	nl_cb_set(r->cb, NL_CB_ACK, NL_CB_CUSTOM, cb_done, r);
	nl_cb_err(r->cb, NL_CB_CUSTOM, cb_error, r);
	return 0;
}

struct rtnl *rtnl_open(bool watch)
{
	struct rtnl *r = calloc(1, sizeof(*r));

	if (r && setup(r, watch)) {
		rtnl_close(r);
		r = NULL;
	}
	return r;
}

void rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	if (r->sk)
		nl_socket_free(r->sk);
	if (r->cb)
		nl_cb_put(r->cb);
	free(r);
}

/*
 * Send @msg (consumed) and read its answer, each reply to @parse with @arg
 * (NULL: none): 0 or a negative errno.
 */
static int transact_parse(struct rtnl *r, struct nl_msg *msg,
			  void (*parse)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	int ret;

	r->parse = parse;
	r->arg = arg;
	r->done = false;
	r->error = 0;
	r->extack[0] = '\0';
	ret = nl_send_auto(r->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !r->done)
		ret = nl_recvmsgs(r->sk, r->cb);
	r->parse = NULL;
	r->arg = NULL;
	if (r->error)
		return r->error;
	return ret < 0 ? -EIO : 0;
}

static int transact(struct rtnl *r, struct nl_msg *msg)
{
	return transact_parse(r, msg, NULL, NULL);
}

int rtnl_rule(struct rtnl *r, int family, bool add, uint32_t mark,
	      uint32_t table, uint32_t pref)
{
	struct fib_rule_hdr frh = {
		.family = family,
		.table = table < 256 ? table : RT_TABLE_UNSPEC,
		.action = FR_ACT_TO_TBL,
	};
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(add ? RTM_NEWRULE : RTM_DELRULE,
				 add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	if (!msg || nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) ||
	    nla_put_u32(msg, FRA_FWMARK, mark) ||
	    nla_put_u32(msg, FRA_FWMASK, UINT32_MAX) ||
	    nla_put_u32(msg, FRA_TABLE, table) ||
	    nla_put_u32(msg, FRA_PRIORITY, pref)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(r, msg);
}

/* An rtmsg for table @table's default route of @family, with RTA_TABLE. */
static struct nl_msg *route_msg(int type, int flags, int family, uint32_t table,
				unsigned char scope)
{
	struct rtmsg rtm = {
		.rtm_family = family,
		.rtm_table = table < 256 ? table : RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = scope,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) ||
	    nla_put_u32(msg, RTA_TABLE, table)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* @a (NULL: none) as attribute @type: 0, or -1. */
static int put_ip(struct nl_msg *msg, int type, const struct omr_ip *a)
{
	const void *b;
	int len;

	if (!a)
		return 0;
	b = ip_bytes(a, &len);
	return nla_put(msg, type, len, b) ? -1 : 0;
}

int rtnl_route_replace(struct rtnl *r, int family, uint32_t table,
		       uint32_t ifindex, const struct omr_ip *gw,
		       const struct omr_ip *src)
{
	struct nl_msg *msg;

	msg = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, family, table,
			gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (!msg || nla_put_u32(msg, RTA_OIF, ifindex) ||
	    put_ip(msg, RTA_GATEWAY, gw) || put_ip(msg, RTA_PREFSRC, src)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(r, msg);
}

int rtnl_route_del(struct rtnl *r, int family, uint32_t table)
{
	struct nl_msg *msg = route_msg(RTM_DELROUTE, 0, family, table,
				       RT_SCOPE_NOWHERE);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = transact(r, msg);
	return ret == -ESRCH ? 0 : ret;
}

struct defaults {
	struct rt_default *d;
	int n, cap;
	bool nomem;
};

/* @nla, an address of @family, into @a (left family 0 if it is not one). */
static void get_ip(const struct nlattr *nla, int family, struct omr_ip *a)
{
	int len = family == AF_INET ? 4 : 16;

	if (!nla || nla_len(nla) != len)
		return;
	a->family = family;
	memcpy(family == AF_INET ? (void *)&a->v4 : (void *)&a->v6, nla_data(nla), len);
}

static void fill_default(struct rtmsg *rtm, struct nlattr **tb,
			 struct rt_default *d)
{
	memset(d, 0, sizeof(*d));
	d->family = rtm->rtm_family;
	d->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	d->ifindex = nla_get_u32(tb[RTA_OIF]);
	d->metric = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
	get_ip(tb[RTA_GATEWAY], d->family, &d->gw);
	get_ip(tb[RTA_PREFSRC], d->family, &d->src);
	d->has_gw = d->gw.family != 0;
}

static void parse_route(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[RTA_MAX + 1];
	struct defaults *l = arg;
	struct rtmsg *rtm;
	void *grown;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return;
	rtm = nlmsg_data(nlh);
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    rtm->rtm_dst_len ||
	    rtm->rtm_type != RTN_UNICAST || !tb[RTA_OIF] || nla_len(tb[RTA_OIF]) != 4)
		return;
	if (l->n == l->cap) {
		grown = realloc(l->d, (l->cap * 2 + 8) * sizeof(*l->d));
		if (!grown) {
			l->nomem = true;
			return;
		}
		l->d = grown;
		l->cap = l->cap * 2 + 8;
	}
	fill_default(rtm, tb, &l->d[l->n++]);
}

/* @family's default routes appended to @l: 0 or a negative errno. */
static int dump_defaults(struct rtnl *r, int family, struct defaults *l)
{
	struct rtmsg rtm = { .rtm_family = family };
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact_parse(r, msg, parse_route, l);
}

int rtnl_defaults(struct rtnl *r, bool v6, struct rt_default **out, int *n)
{
	struct defaults l = { 0 };
	int ret;

	ret = dump_defaults(r, AF_INET, &l);
	if (!ret && v6)
		ret = dump_defaults(r, AF_INET6, &l);
	if (!ret && l.nomem)
		ret = -ENOMEM;
	if (ret) {
		free(l.d);
		l.d = NULL;
		l.n = 0;
	}
	*out = l.d;
	*n = l.n;
	return ret;
}

int rtnl_watch_read(struct rtnl *r, bool *changed)
{
	int ret;

	r->saw_change = false;
	ret = nl_recvmsgs(r->sk, r->cb);
	if (r->saw_change || ret == -NLE_NOMEM)	/* ENOBUFS: changes lost */
		*changed = true;
	if (ret == -NLE_NOMEM)
		return 0;
	return ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN ? -EIO : 0;
}
