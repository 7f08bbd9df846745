// SPDX-License-Identifier: GPL-2.0
/* The kernel's replies and events, parsed into model.h's structs (nl.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include "nl_int.h"
#include "util.h"

/*
 * An OMR_ADDR_A_* nest (uapi/linux/omr.h) into @out; family 0 (and false)
 * if absent or malformed: a family of the two, its length.
 */
static bool addra(struct nlattr *nest, struct omr_ip *out)
{
	struct nlattr *a[OMR_ADDR_A_MAX + 1];
	int family, len;

	memset(out, 0, sizeof(*out));
	if (!nest || nla_parse_nested(a, OMR_ADDR_A_MAX, nest, NULL) ||
	    !a[OMR_ADDR_A_FAMILY] || !a[OMR_ADDR_A_ADDR] ||
	    nla_len(a[OMR_ADDR_A_FAMILY]) != 2)
		return false;
	family = nla_get_u16(a[OMR_ADDR_A_FAMILY]);
	len = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	if (!len || nla_len(a[OMR_ADDR_A_ADDR]) != len)
		return false;
	out->family = family;
	memcpy(family == AF_INET ? (void *)&out->v4 : (void *)&out->v6,
	       nla_data(a[OMR_ADDR_A_ADDR]), len);
	return true;
}

static uint64_t u64a(const struct nlattr *a)
{
	return a && nla_len(a) == 8 ? nla_get_u64((struct nlattr *)a) : 0;
}

static uint32_t u32a(const struct nlattr *a)
{
	return a && nla_len(a) == 4 ? nla_get_u32((struct nlattr *)a) : 0;
}

static uint16_t u16a(const struct nlattr *a)
{
	return a && nla_len(a) == 2 ? nla_get_u16((struct nlattr *)a) : 0;
}

static uint8_t u8a(const struct nlattr *a)
{
	return a && nla_len(a) == 1 ? nla_get_u8((struct nlattr *)a) : 0;
}

/* A NUL-terminated string attribute into @buf; false if none. */
static bool stra(const struct nlattr *a, char *buf, size_t len)
{
	if (!a || nla_len(a) < 1 || ((const char *)nla_data(a))[nla_len(a) - 1])
		return false;
	snprintf(buf, len, "%s", (const char *)nla_data(a));
	return true;
}

static int nest_parse(struct nlattr **tb, int max, struct nlattr *nest)
{
	return nest ? nla_parse_nested(tb, max, nest, NULL) : -1;
}

static void parse_usage(struct nlattr *nest, struct omr_status *s)
{
	struct nlattr *use[OMR_USAGE_A_MAX + 1];

	if (nest_parse(use, OMR_USAGE_A_MAX, nest))
		return;
	s->sched_conns = u32a(use[OMR_USAGE_A_SCHED_CONNS]);
	s->usage_all = use[OMR_USAGE_A_NETNS];
	s->netns = u32a(use[OMR_USAGE_A_NETNS]);
	s->netns_sched = u32a(use[OMR_USAGE_A_NETNS_SCHED]);
	s->netns_pm = u32a(use[OMR_USAGE_A_NETNS_PM]);
}

static int parse_status(struct nlattr **tb, void *arg)
{
	struct nlattr *pm[OMR_PM_A_MAX + 1], *cnt[OMR_CNT_A_MAX + 1];
	struct nlattr *sch[OMR_SCHED_A_MAX + 1];
	struct omr_status *s = arg;
	int i;

	if (nest_parse(pm, OMR_PM_A_MAX, tb[OMR_A_PM]) ||
	    nest_parse(cnt, OMR_CNT_A_MAX, tb[OMR_A_COUNTERS]))
		return -1;
	stra(tb[OMR_A_VERSION], s->version, sizeof(s->version));
	stra(tb[OMR_A_KERNEL], s->kernel, sizeof(s->kernel));
	s->enabled = u8a(pm[OMR_PM_A_ENABLED]);
	s->has_gen = pm[OMR_PM_A_GEN_DONE];
	s->wanted = u8a(pm[OMR_PM_A_ENABLE_WANTED]);
	s->gen = u32a(pm[OMR_PM_A_GEN]);
	s->gen_done = u32a(pm[OMR_PM_A_GEN_DONE]);
	s->enable_error = u32a(pm[OMR_PM_A_ENABLE_ERROR]);
	s->add_addr = u8a(pm[OMR_PM_A_ADD_ADDR_ACCEPT]);
	s->paths = u32a(pm[OMR_PM_A_PATHS]);
	s->max_paths = u32a(pm[OMR_PM_A_MAX_PATHS]);
	s->conns = u32a(pm[OMR_PM_A_CONNS]);
	s->max_conns = u32a(pm[OMR_PM_A_MAX_CONNS]);
	for (i = 0; i <= OMR_CNT_A_MAX; i++)
		s->cnt[i] = u64a(cnt[i]);
	for (i = 0; i <= OMR_PM_A_MAX; i++)
		if (pm_keys[i])
			s->pm[i] = u32a(pm[i]);
	if (!nest_parse(sch, OMR_SCHED_A_MAX, tb[OMR_A_SCHED]))
		for (i = 0; i <= OMR_SCHED_A_MAX; i++)
			s->sched[i] = u32a(sch[i]);
	parse_usage(tb[OMR_A_USAGE], s);
	s->seen = true;
	return 0;
}

int omr_get_status(struct omr_nl *nl, struct omr_status *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = nl_query(nl, OMR_CMD_GET_STATUS, 0, parse_status, s);
	if (!ret && !s->seen) {
		err("%s: no reply from the kernel", nl->what);
		return EX_KERNEL;
	}
	return ret;
}

static int parse_sched(struct nlattr **tb, void *arg)
{
	struct nlattr *a[OMR_SCHED_A_MAX + 1];
	uint32_t *sched = arg;
	int i;

	if (nest_parse(a, OMR_SCHED_A_MAX, tb[OMR_A_SCHED]))
		return -1;
	for (i = 0; i <= OMR_SCHED_A_MAX; i++)
		sched[i] = u32a(a[i]);
	return 0;
}

int omr_get_sched(struct omr_nl *nl, uint32_t sched[OMR_SCHED_A_MAX + 1])
{
	return nl_query(nl, OMR_CMD_GET_SCHED, 0, parse_sched, sched);
}

/* OMR_PATH_A_ADDR, repeated: one per family. */
static void fill_path_addrs(struct nlattr *nest, struct omr_path *ps)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == OMR_PATH_A_ADDR &&
		    ps->naddr < (int)ARRAY_SIZE(ps->addr) &&
		    addra(a, &ps->addr[ps->naddr]))
			ps->naddr++;
}

static void fill_path(struct nlattr **p, struct omr_path *ps)
{
	ps->ifindex = u32a(p[OMR_PATH_A_IFINDEX]);
	ps->link_up = u8a(p[OMR_PATH_A_LINK_UP]);
	addra(p[OMR_PATH_A_SADDR], &ps->saddr);
	addra(p[OMR_PATH_A_GW], &ps->gw);
	ps->backup = u32a(p[OMR_PATH_A_FLAGS]) & OMR_PATH_F_BACKUP;
	/* Older modules have no OMR_PATH_A_ENABLED: their paths are enabled. */
	ps->enabled = !p[OMR_PATH_A_ENABLED] || u8a(p[OMR_PATH_A_ENABLED]);
	ps->weight = u32a(p[OMR_PATH_A_WEIGHT]);
	ps->health = u8a(p[OMR_PATH_A_HEALTH]);
	ps->subflows = u32a(p[OMR_PATH_A_SUBFLOWS]);
	ps->srtt_us = u32a(p[OMR_PATH_A_SRTT_US]);
	ps->loss_ppm = u32a(p[OMR_PATH_A_LOSS]);
	ps->tx = u64a(p[OMR_PATH_A_TX_BYTES]);
	ps->rx = u64a(p[OMR_PATH_A_RX_BYTES]);
	ps->window_ms = u32a(p[OMR_PATH_A_WINDOW_MS]);
	ps->health_reason = u8a(p[OMR_PATH_A_HEALTH_REASON]);
	ps->join_fails = u32a(p[OMR_PATH_A_JOIN_FAILS]);
	ps->join_fails_total = u32a(p[OMR_PATH_A_JOIN_FAILS_TOTAL]);
	ps->stripped = u8a(p[OMR_PATH_A_STRIPPED]);
	stra(p[OMR_PATH_A_CC], ps->cc, sizeof(ps->cc));
}

static int parse_path(struct nlattr **tb, void *arg)
{
	struct nlattr *p[OMR_PATH_A_MAX + 1];
	struct omr_paths *l = arg;
	struct omr_path *ps, *grown;

	if (nest_parse(p, OMR_PATH_A_MAX, tb[OMR_A_PATH]))
		return -1;
	if (!p[OMR_PATH_A_IFNAME] || nla_len(p[OMR_PATH_A_IFNAME]) > IFNAMSIZ)
		return -1;
	grown = realloc(l->p, (l->n + 1) * sizeof(*l->p));
	if (!grown)
		return -1;
	l->p = grown;
	ps = &l->p[l->n];
	memset(ps, 0, sizeof(*ps));
	if (!stra(p[OMR_PATH_A_IFNAME], ps->dev, sizeof(ps->dev)))
		return -1;
	fill_path(p, ps);
	fill_path_addrs(tb[OMR_A_PATH], ps);
	l->n++;
	return 0;
}

int omr_get_paths(struct omr_nl *nl, struct omr_paths *l)
{
	int ret;

	l->p = NULL;
	l->n = 0;
	ret = nl_query(nl, OMR_CMD_GET_PATHS, NLM_F_DUMP, parse_path, l);
	if (ret) {
		free(l->p);	/* the paths parsed before the error */
		l->p = NULL;
		l->n = 0;
	}
	return ret;
}

int omr_get_state(struct omr_nl *nl, struct omr_status *s,
		  struct omr_paths *l)
{
	int ret = omr_get_status(nl, s);

	return ret ? ret : omr_get_paths(nl, l);
}

static void fill_sf(struct nlattr **sf, struct omr_sf *s)
{
	s->id = u32a(sf[OMR_SF_A_ID]);
	s->has_dev = stra(sf[OMR_SF_A_IFNAME], s->dev, sizeof(s->dev));
	s->ifindex = u32a(sf[OMR_SF_A_IFINDEX]);
	addra(sf[OMR_SF_A_LOCAL_ADDR], &s->laddr);
	addra(sf[OMR_SF_A_REMOTE_ADDR], &s->raddr);
	s->lport = u16a(sf[OMR_SF_A_LOCAL_PORT]);
	s->rport = u16a(sf[OMR_SF_A_REMOTE_PORT]);
	s->state = u8a(sf[OMR_SF_A_STATE]);
	s->flags = u32a(sf[OMR_SF_A_FLAGS]);
	s->srtt_us = u32a(sf[OMR_SF_A_SRTT_US]);
	s->rttvar_us = u32a(sf[OMR_SF_A_RTTVAR_US]);
	s->has_loss = sf[OMR_SF_A_LOSS];
	s->loss_ppm = u32a(sf[OMR_SF_A_LOSS]);
	s->cwnd = u32a(sf[OMR_SF_A_CWND]);
	s->sent = u64a(sf[OMR_SF_A_BYTES_SENT]);
	s->acked = u64a(sf[OMR_SF_A_BYTES_ACKED]);
	s->received = u64a(sf[OMR_SF_A_BYTES_RECEIVED]);
	s->retrans = u32a(sf[OMR_SF_A_RETRANS]);
	stra(sf[OMR_SF_A_CC], s->cc, sizeof(s->cc));
}

struct conn_cb {
	void (*cb)(const struct omr_conn *c, void *arg);
	void *arg;
};

static int parse_sfs(struct nlattr *nest, struct omr_conn *c)
{
	struct nlattr *a, *sf[OMR_SF_A_MAX + 1];
	int rem, n = 0;

	nla_for_each_nested(a, nest, rem)
		n++;
	c->sf = calloc(n + 1, sizeof(*c->sf));
	if (!c->sf)
		return -1;
	nla_for_each_nested(a, nest, rem) {
		if (nla_parse_nested(sf, OMR_SF_A_MAX, a, NULL) < 0)
			continue;
		fill_sf(sf, &c->sf[c->nsf++]);
	}
	return 0;
}

static int parse_conn(struct nlattr **tb, void *arg)
{
	struct nlattr *a[OMR_CONN_A_MAX + 1];
	struct conn_cb *cc = arg;
	struct omr_conn c = { 0 };

	if (nest_parse(a, OMR_CONN_A_MAX, tb[OMR_A_CONN]) || !a[OMR_CONN_A_TOKEN])
		return -1;
	c.token = u32a(a[OMR_CONN_A_TOKEN]);
	addra(a[OMR_CONN_A_LOCAL_ADDR], &c.laddr);
	addra(a[OMR_CONN_A_REMOTE_ADDR], &c.raddr);
	c.lport = u16a(a[OMR_CONN_A_LOCAL_PORT]);
	c.rport = u16a(a[OMR_CONN_A_REMOTE_PORT]);
	c.state = u8a(a[OMR_CONN_A_STATE]);
	c.flags = u32a(a[OMR_CONN_A_FLAGS]);
	c.has_sched = stra(a[OMR_CONN_A_SCHED], c.sched, sizeof(c.sched));
	if (a[OMR_CONN_A_SUBFLOWS] && parse_sfs(a[OMR_CONN_A_SUBFLOWS], &c))
		return -1;
	cc->cb(&c, cc->arg);
	free(c.sf);
	return 0;
}

int omr_get_conns(struct omr_nl *nl,
		  void (*cb)(const struct omr_conn *c, void *arg), void *arg)
{
	struct conn_cb cc = { cb, arg };

	return nl_query(nl, OMR_CMD_GET_CONNS, NLM_F_DUMP, parse_conn, &cc);
}

static void fill_event(struct nlattr **e, struct omr_event *ev)
{
	struct timespec ts;

	ev->type = u8a(e[OMR_EV_A_TYPE]);
	ev->reason = u8a(e[OMR_EV_A_REASON]);
	ev->has_dev = stra(e[OMR_EV_A_IFNAME], ev->dev, sizeof(ev->dev));
	ev->has_to_dev = stra(e[OMR_EV_A_TO_IFNAME], ev->to_dev, sizeof(ev->to_dev));
	ev->has_ifindex = e[OMR_EV_A_IFINDEX];
	ev->ifindex = u32a(e[OMR_EV_A_IFINDEX]);
	ev->has_to_ifindex = e[OMR_EV_A_TO_IFINDEX];
	ev->to_ifindex = u32a(e[OMR_EV_A_TO_IFINDEX]);
	ev->has_token = e[OMR_EV_A_TOKEN];
	ev->token = u32a(e[OMR_EV_A_TOKEN]);
	ev->has_addrs = addra(e[OMR_EV_A_LOCAL_ADDR], &ev->laddr) &&
			addra(e[OMR_EV_A_REMOTE_ADDR], &ev->raddr);
	ev->lport = u16a(e[OMR_EV_A_LOCAL_PORT]);
	ev->rport = u16a(e[OMR_EV_A_REMOTE_PORT]);
	ev->has_error = e[OMR_EV_A_ERROR];
	ev->error = u32a(e[OMR_EV_A_ERROR]);
	clock_gettime(CLOCK_REALTIME, &ts);
	ev->ts_sec = ts.tv_sec;
	ev->ts_msec = ts.tv_nsec / 1000000;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[OMR_A_MAX + 1], *e[OMR_EV_A_MAX + 1];
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct omr_nl *nl = arg;
	struct omr_event ev = { 0 };

	if (g->cmd != OMR_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, OMR_A_MAX, NULL) < 0 ||
	    nest_parse(e, OMR_EV_A_MAX, tb[OMR_A_EVENT]))
		return NL_SKIP;
	fill_event(e, &ev);
	nl->ev_cb(&ev, nl->ev_arg);
	return NL_OK;
}

static int join_events(struct omr_nl *nl)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, OMR_GENL_NAME, OMR_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		err("%s: no multicast group '%s' in family '%s': %s", nl->what,
		    OMR_GENL_MCGRP_EVENTS, OMR_GENL_NAME, nl_geterror(grp));
		return EX_NOMOD;
	}
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0) {
		/* libnl maps EPERM to NLE_PERM. */
		err("%s: cannot join the events group: %s%s", nl->what,
		    nl_geterror(ret), ret == -NLE_PERM ? " (needs CAP_NET_ADMIN)" : "");
		return EX_KERNEL;
	}
	return EX_OK;
}

int omr_events_join(struct omr_nl *nl, void (*cb)(const struct omr_event *e,
						  void *arg), void *arg)
{
	int ret;

	ret = nl_open(nl);
	if (ret)
		return ret;
	ret = join_events(nl);
	if (ret)
		return ret;
	nl->ev_cb = cb;
	nl->ev_arg = arg;
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, nl);
	return EX_OK;
}

int omr_events_fd(struct omr_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

int omr_events_read(struct omr_nl *nl, bool *lost)
{
	int ret = nl_recvmsgs_default(nl->sk);

	if (ret == -NLE_NOMEM) {
		/* ENOBUFS: the socket overflowed, events were lost. */
		err("%s: events lost (receive buffer full)", nl->what);
		*lost = true;
		return EX_OK;
	}
	if (ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN) {
		err("%s: netlink: %s", nl->what, nl_geterror(ret));
		return EX_KERNEL;
	}
	return EX_OK;
}

int omr_monitor(struct omr_nl *nl, void (*cb)(const struct omr_event *e,
					      void *arg),
		void *arg, const volatile sig_atomic_t *stop)
{
	struct pollfd pfd;
	bool lost = false;
	int ret;

	ret = omr_events_join(nl, cb, arg);
	if (ret)
		return ret;
	pfd.fd = omr_events_fd(nl);
	pfd.events = POLLIN;
	while (!*stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err("%s: poll: %s", nl->what, strerror(errno));
			return EX_KERNEL;
		}
		ret = omr_events_read(nl, &lost);
		if (ret)
			return ret;
	}
	return EX_OK;
}
