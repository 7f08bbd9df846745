// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to MPTCP's path-manager interface from inside the kernel.
 *
 * A namespace the omr PM runs in has net.mptcp.pm_type=1: MPTCP's own
 * userspace-PM interface (include/uapi/linux/mptcp_pm.h, generic netlink
 * family "mptcp_pm") then drives its connections, and omr.ko is that
 * "userspace" PM. It uses only the UAPI: it joins the family's event group
 * and sends SUBFLOW_CREATE / SUBFLOW_DESTROY / REMOVE / SET_FLAGS commands,
 * exactly as mptcpd would. No MPTCP function is called directly, so nothing
 * here depends on MPTCP's private symbols.
 *
 * Two kernel netlink sockets per enabled namespace:
 *   cmd: sends commands. The commands are GENL_UNS_ADMIN_PERM, and the
 *        permission check (__netlink_ns_capable) dereferences the sending
 *        socket's file, so this one gets a file (sock_alloc_file). Delivery
 *        to the kernel is synchronous: when kernel_sendmsg() returns, the
 *        doit has run and its ACK is queued on cmd; we read it at once.
 *   ev:  joined to the "mptcp_pm_events" group; its sk_data_ready kicks the
 *        namespace's work, which drains it (omr_pm_ev_next()).
 * Both are created, used and closed only by the namespace's work (a kworker:
 * full capabilities, process context, no lock held), never from an "omr"
 * doit: a doit runs under genetlink's cb_lock, and these sends take it
 * again (pm.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <uapi/linux/mptcp.h>
#include <uapi/linux/mptcp_pm.h>
#include "compat.h"
#include "pm.h"

/*
 * Resolved by the first work that needs it, with no lock held across the
 * request: works of several namespaces may resolve at once and store the
 * same values; omr_family_lock only makes the store of both at once.
 */
static struct omr_pm_family omr_family;
static DEFINE_SPINLOCK(omr_family_lock);

/* A message under construction in pn->buf. */
struct omr_msg {
	struct nlmsghdr *nlh;
	int err;
};

static void omr_msg_init(struct omr_msg *m, void *buf, u16 type, u8 cmd,
			 u8 version)
{
	struct genlmsghdr *g;

	m->nlh = buf;
	m->err = 0;
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = nlmsg_data(m->nlh);
	g->cmd = cmd;
	g->version = version;
}

static struct nlattr *omr_msg_put(struct omr_msg *m, int type, const void *data,
				  int len)
{
	struct nlattr *nla;

	if (m->err || m->nlh->nlmsg_len + nla_total_size(len) > OMR_PM_BUF) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	nla = (void *)m->nlh + m->nlh->nlmsg_len;
	nla->nla_type = type;
	nla->nla_len = nla_attr_size(len);
	if (len)
		memcpy(nla_data(nla), data, len);
	memset((void *)nla + nla->nla_len, 0, nla_padlen(len));
	m->nlh->nlmsg_len += nla_total_size(len);
	return nla;
}

static void omr_msg_u8(struct omr_msg *m, int type, u8 v)
{
	omr_msg_put(m, type, &v, sizeof(v));
}

static void omr_msg_u16(struct omr_msg *m, int type, u16 v)
{
	omr_msg_put(m, type, &v, sizeof(v));
}

static void omr_msg_u32(struct omr_msg *m, int type, u32 v)
{
	omr_msg_put(m, type, &v, sizeof(v));
}

static struct nlattr *omr_msg_nest(struct omr_msg *m, int type)
{
	return omr_msg_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void omr_msg_nest_end(struct omr_msg *m, struct nlattr *nest)
{
	if (nest && !m->err)
		nest->nla_len = (void *)m->nlh + m->nlh->nlmsg_len - (void *)nest;
}

/* Drop whatever an earlier, interrupted exchange left queued on cmd. */
static void omr_cmd_drain(struct omr_pm_net *pn)
{
	struct kvec iov = { .iov_base = pn->rx, .iov_len = OMR_PM_BUF };
	struct msghdr msg = {};

	while (kernel_recvmsg(pn->cmd, &msg, &iov, 1, OMR_PM_BUF,
			      MSG_DONTWAIT) >= 0)
		memset(&msg, 0, sizeof(msg));
}

/* Send pn->buf to the kernel and return the doit's answer (0 or -errno). */
static int omr_msg_send(struct omr_pm_net *pn, struct omr_msg *m,
			const char *what)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel,
			      .msg_namelen = sizeof(kernel) };
	struct kvec iov = { .iov_base = pn->buf, .iov_len = m->nlh->nlmsg_len };
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	int ret;

	if (m->err)
		return m->err;
	omr_cmd_drain(pn);
	ret = kernel_sendmsg(pn->cmd, &msg, &iov, 1, iov.iov_len);
	if (ret < 0)
		return ret;

	/* The doit ran synchronously: its reply or its ACK is queued. */
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = pn->rx;
	iov.iov_len = OMR_PM_BUF;
	ret = kernel_recvmsg(pn->cmd, &msg, &iov, 1, OMR_PM_BUF, MSG_DONTWAIT);
	if (ret < 0)
		return ret == -EAGAIN ? -EPROTO : ret;
	nlh = pn->rx;
	if (ret < NLMSG_HDRLEN || !nlmsg_ok(nlh, ret))
		return -EPROTO;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return ret;	/* a reply (GETFAMILY): the caller parses it */
	if (nlh->nlmsg_len < nlmsg_msg_size(sizeof(*e)))
		return -EPROTO;
	e = nlmsg_data(nlh);
	if (e->error)
		pr_debug("%s: %d\n", what, e->error);
	return e->error;
}

/* The event group's id among the family's multicast groups, or 0. */
static u32 omr_family_ev_group(struct nlattr *groups)
{
	struct nlattr *grp, *g[CTRL_ATTR_MCAST_GRP_MAX + 1];
	int rem;

	nla_for_each_nested(grp, groups, rem) {
		if (nla_parse_nested_deprecated(g, CTRL_ATTR_MCAST_GRP_MAX, grp,
						NULL, NULL))
			continue;
		if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
		    !nla_strcmp(g[CTRL_ATTR_MCAST_GRP_NAME], MPTCP_PM_EV_GRP_NAME))
			return nla_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

/* CTRL_CMD_GETFAMILY "mptcp_pm": the family id and the event group id. */
static int omr_family_resolve(struct omr_pm_net *pn)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct omr_pm_family f = {};
	struct omr_msg m;
	int ret;

	if (smp_load_acquire(&omr_family.id))	/* pairs with the release */
		return 0;
	omr_msg_init(&m, pn->buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2);
	omr_msg_put(&m, CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME,
		    sizeof(MPTCP_PM_NAME));
	/* The reply is the answer; an ACK after it would be read as the next's. */
	m.nlh->nlmsg_flags = NLM_F_REQUEST;
	ret = omr_msg_send(pn, &m, "getfamily");
	if (ret <= 0) {
		pr_warn_ratelimited("MPTCP's netlink family '%s' not found (%d)\n",
				    MPTCP_PM_NAME, ret);
		return ret ? ret : -ENOENT;
	}
	ret = nla_parse_deprecated(tb, CTRL_ATTR_MAX,
				   genlmsg_data(nlmsg_data(pn->rx)),
				   genlmsg_len(nlmsg_data(pn->rx)), NULL, NULL);
	if (!ret && tb[CTRL_ATTR_FAMILY_ID] && tb[CTRL_ATTR_MCAST_GROUPS]) {
		f.ev_group = omr_family_ev_group(tb[CTRL_ATTR_MCAST_GROUPS]);
		f.id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	}
	if (!f.ev_group || !f.id) {
		pr_warn_ratelimited("MPTCP's netlink family '%s' has no event group '%s'\n",
				    MPTCP_PM_NAME, MPTCP_PM_EV_GRP_NAME);
		return -ENOENT;
	}
	spin_lock(&omr_family_lock);
	if (!omr_family.ev_group)
		omr_family.ev_group = f.ev_group;
	/* Last: an id seen (acquire) means ev_group is there too. */
	smp_store_release(&omr_family.id, f.id);
	spin_unlock(&omr_family_lock);
	return 0;
}

static void omr_ev_data_ready(struct sock *sk)
{
	struct omr_pm_net *pn;

	rcu_read_lock();
	pn = rcu_dereference_sk_user_data(sk);
	if (pn)
		omr_pm_kick(pn, OMR_PM_EV, 0);
	rcu_read_unlock();
}

static int omr_ev_sock_open(struct omr_pm_net *pn)
{
	struct sockaddr_nl any = { .nl_family = AF_NETLINK };
	u32 grp = omr_family.ev_group;
	int ret;

	ret = sock_create_kern(pn->net, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC,
			       &pn->ev);
	if (ret)
		return ret;
	/*
	 * Bind first: multicast skips sockets whose portid equals the sender's
	 * (0, the kernel), and an unbound socket has portid 0.
	 */
	ret = kernel_bind(pn->ev, omr_sockaddr(&any), sizeof(any));
	if (!ret)
		ret = pn->ev->ops->setsockopt(pn->ev, SOL_NETLINK,
					      NETLINK_ADD_MEMBERSHIP,
					      KERNEL_SOCKPTR(&grp), sizeof(grp));
	if (ret) {
		sock_release(pn->ev);
		pn->ev = NULL;
		return ret;
	}
	/*
	 * Room for event bursts (connection storms), but no more than
	 * net.core.rmem_max allows a socket of the namespace (global in the
	 * kernels we build for; sock_set_rcvbuf() would bypass it). What does
	 * not fit is lost, the socket reports ENOBUFS, and the work rebuilds
	 * its list from the token table (omr_pm_conns_resync()).
	 */
	sock_set_rcvbuf(pn->ev->sk, min_t(u32, 4 << 20,
					  READ_ONCE(sysctl_rmem_max)));
	write_lock_bh(&pn->ev->sk->sk_callback_lock);
	rcu_assign_sk_user_data(pn->ev->sk, pn);
	pn->ev_ready_orig = pn->ev->sk->sk_data_ready;
	pn->ev->sk->sk_data_ready = omr_ev_data_ready;
	write_unlock_bh(&pn->ev->sk->sk_callback_lock);
	return 0;
}

int omr_pm_sock_open(struct omr_pm_net *pn)
{
	struct socket *sock;
	struct file *file;
	int ret;

	pn->buf = kmalloc(2 * OMR_PM_BUF, GFP_KERNEL_ACCOUNT);
	if (!pn->buf)
		return -ENOMEM;
	pn->rx = pn->buf + OMR_PM_BUF;
	ret = sock_create_kern(pn->net, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC,
			       &sock);
	if (ret)
		goto err_buf;
	file = sock_alloc_file(sock, 0, NULL);	/* releases sock on error */
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_buf;
	}
	pn->cmd = sock;
	pn->cmd_file = file;

	ret = omr_family_resolve(pn);
	if (ret)
		goto err_cmd;
	ret = omr_ev_sock_open(pn);
	if (ret)
		goto err_cmd;
	return 0;

err_cmd:
	pn->cmd = NULL;
	pn->cmd_file = NULL;
	__fput_sync(file);
err_buf:
	kfree(pn->buf);
	pn->buf = NULL;
	pn->rx = NULL;
	return ret;
}

/* Runs in a kthread (our workqueue or cleanup_net): __fput_sync requires it. */
void omr_pm_sock_close(struct omr_pm_net *pn)
{
	if (pn->ev) {
		write_lock_bh(&pn->ev->sk->sk_callback_lock);
		rcu_assign_sk_user_data(pn->ev->sk, NULL);
		pn->ev->sk->sk_data_ready = pn->ev_ready_orig;
		write_unlock_bh(&pn->ev->sk->sk_callback_lock);
		sock_release(pn->ev);
		pn->ev = NULL;
	}
	if (pn->cmd_file) {
		__fput_sync(pn->cmd_file);
		pn->cmd_file = NULL;
		pn->cmd = NULL;
	}
	kfree(pn->buf);
	pn->buf = NULL;
	pn->rx = NULL;
}

/* An endpoint in MPTCP's terms: its family and ADDR4 or ADDR6. */
static void omr_msg_addr(struct omr_msg *m, int type,
			 const struct omr_addr *addr, u8 id, __be16 port,
			 int ifindex, u32 flags, bool with_id)
{
	struct nlattr *nest = omr_msg_nest(m, type);

	omr_msg_u16(m, MPTCP_PM_ADDR_ATTR_FAMILY, addr->family);
	if (addr->family == AF_INET6)
		omr_msg_put(m, MPTCP_PM_ADDR_ATTR_ADDR6, &addr->a6,
			    sizeof(addr->a6));
	else
		omr_msg_put(m, MPTCP_PM_ADDR_ATTR_ADDR4, &addr->a4,
			    sizeof(addr->a4));
	if (with_id)
		omr_msg_u8(m, MPTCP_PM_ADDR_ATTR_ID, id);
	if (port)
		omr_msg_u16(m, MPTCP_PM_ADDR_ATTR_PORT, ntohs(port));
	if (ifindex)
		omr_msg_u32(m, MPTCP_PM_ADDR_ATTR_IF_IDX, ifindex);
	if (flags)
		omr_msg_u32(m, MPTCP_PM_ADDR_ATTR_FLAGS, flags);
	omr_msg_nest_end(m, nest);
}

static void omr_msg_start(struct omr_pm_net *pn, struct omr_msg *m, u8 cmd,
			  u32 token)
{
	omr_msg_init(m, pn->buf, omr_family.id, cmd, MPTCP_PM_VER);
	omr_msg_u32(m, MPTCP_PM_ATTR_TOKEN, token);
}

/*
 * Both ends in one family (MPTCP refuses a mixed pair: "families
 * mismatch"); the caller takes the path's address of the peer's family.
 */
int omr_pm_create(struct omr_pm_net *pn, u32 token, u8 id,
		  const struct omr_addr *saddr, int ifindex, bool backup,
		  const struct omr_addr *daddr, __be16 dport)
{
	struct omr_msg m;

	omr_msg_start(pn, &m, MPTCP_PM_CMD_SUBFLOW_CREATE, token);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR, saddr, id, 0, ifindex,
		     backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0, true);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR_REMOTE, daddr, 0, dport, 0, 0,
		     false);
	return omr_msg_send(pn, &m, "subflow create");
}

/* @a, or with @mapped its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
static void omr_addr_as_sk(struct omr_addr *out, const struct omr_addr *a,
			   bool mapped)
{
	*out = *a;
	if (mapped && a->family == AF_INET) {
		out->family = AF_INET6;
		ipv6_addr_set_v4mapped(a->a4, &out->a6);
	}
}

/*
 * @mapped: the subflow is an IPv6 socket with IPv4-mapped addresses (the
 * first subflow of a dual-stack socket's connection to an IPv4 address).
 * MPTCP finds the subflow to destroy by its socket's family, so it is
 * named in that form; everywhere else we keep it as IPv4 (addr.h).
 */
int omr_pm_destroy(struct omr_pm_net *pn, u32 token,
		   const struct omr_addr *saddr, __be16 sport,
		   const struct omr_addr *daddr, __be16 dport, bool mapped)
{
	struct omr_addr l, r;
	struct omr_msg m;

	omr_addr_as_sk(&l, saddr, mapped);
	omr_addr_as_sk(&r, daddr, mapped);
	omr_msg_start(pn, &m, MPTCP_PM_CMD_SUBFLOW_DESTROY, token);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR, &l, 0, sport, 0, 0, false);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR_REMOTE, &r, 0, dport, 0, 0,
		     false);
	return omr_msg_send(pn, &m, "subflow destroy");
}

/* RM_ADDR to the peer (sent on another subflow): it drops its end at once. */
int omr_pm_remove(struct omr_pm_net *pn, u32 token, u8 id)
{
	struct omr_msg m;

	omr_msg_start(pn, &m, MPTCP_PM_CMD_REMOVE, token);
	omr_msg_u8(&m, MPTCP_PM_ATTR_LOC_ID, id);
	return omr_msg_send(pn, &m, "remove");
}

/*
 * MP_PRIO: sets our request_bkup (our scheduler obeys it) and tells the peer.
 * The kernel applies it to the first active subflow that matches the two
 * addresses, so the ports name the one subflow meant: without them, a second
 * subflow on the same pair (a duplicate not yet destroyed) could take it.
 */
int omr_pm_set_backup(struct omr_pm_net *pn, u32 token,
		      const struct omr_addr *saddr, __be16 sport,
		      const struct omr_addr *daddr, __be16 dport, bool backup)
{
	struct omr_msg m;

	omr_msg_start(pn, &m, MPTCP_PM_CMD_SET_FLAGS, token);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR, saddr, 0, sport, 0,
		     backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0, false);
	omr_msg_addr(&m, MPTCP_PM_ATTR_ADDR_REMOTE, daddr, 0, dport, 0, 0,
		     false);
	return omr_msg_send(pn, &m, "set flags");
}

/*
 * Events come from the kernel itself: parse liberally (the attributes are
 * not flagged nested, later kernels add more), but check every length.
 */
static const struct nla_policy omr_ev_policy[MPTCP_ATTR_MAX + 1] = {
	[MPTCP_ATTR_TOKEN]	 = { .type = NLA_U32 },
	[MPTCP_ATTR_FAMILY]	 = { .type = NLA_U16 },
	[MPTCP_ATTR_REM_ID]	 = { .type = NLA_U8 },
	[MPTCP_ATTR_SADDR4]	 = { .type = NLA_U32 },
	[MPTCP_ATTR_DADDR4]	 = { .type = NLA_U32 },
	[MPTCP_ATTR_SADDR6]	 = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[MPTCP_ATTR_DADDR6]	 = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[MPTCP_ATTR_SPORT]	 = { .type = NLA_U16 },
	[MPTCP_ATTR_DPORT]	 = { .type = NLA_U16 },
	[MPTCP_ATTR_ERROR]	 = { .type = NLA_U8 },	/* sk_err, as u8 */
	[MPTCP_ATTR_IF_IDX]	 = { .type = NLA_S32 },
	[MPTCP_ATTR_SERVER_SIDE] = { .type = NLA_U8 },
};

/*
 * The subflow's (or an announced) address pair: ADDR4 or ADDR6, by what is
 * there (the event's FAMILY says the same). Absent stays family 0.
 */
static void omr_ev_addrs(struct nlattr **tb, struct omr_pm_event *ev)
{
	if (tb[MPTCP_ATTR_SADDR4])
		omr_addr4(&ev->saddr, nla_get_in_addr(tb[MPTCP_ATTR_SADDR4]));
	else if (tb[MPTCP_ATTR_SADDR6])
		omr_addr6(&ev->saddr, nla_data(tb[MPTCP_ATTR_SADDR6]));
	if (tb[MPTCP_ATTR_DADDR4])
		omr_addr4(&ev->daddr, nla_get_in_addr(tb[MPTCP_ATTR_DADDR4]));
	else if (tb[MPTCP_ATTR_DADDR6])
		omr_addr6(&ev->daddr, nla_data(tb[MPTCP_ATTR_DADDR6]));
}

/*
 * Take the next event off the event socket. Returns 1 with *ev filled, 0
 * when none is left, -ENOBUFS when the socket overflowed (events were lost:
 * the caller resyncs), other -errno on a malformed message (skipped).
 */
int omr_pm_ev_next(struct omr_pm_net *pn, struct omr_pm_event *ev)
{
	struct nlattr *tb[MPTCP_ATTR_MAX + 1];
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = pn->rx, .iov_len = OMR_PM_BUF };
	struct nlmsghdr *nlh = pn->rx;
	struct genlmsghdr *g;
	int ret;

	ret = kernel_recvmsg(pn->ev, &msg, &iov, 1, OMR_PM_BUF, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return 0;
	if (ret < 0)
		return ret;
	if (!nlmsg_ok(nlh, ret) || nlh->nlmsg_type != omr_family.id ||
	    nlh->nlmsg_len < nlmsg_msg_size(GENL_HDRLEN))
		return -EPROTO;
	g = nlmsg_data(nlh);
	ret = nla_parse_deprecated(tb, MPTCP_ATTR_MAX, genlmsg_data(g),
				   nlh->nlmsg_len - nlmsg_msg_size(GENL_HDRLEN),
				   omr_ev_policy, NULL);
	if (ret)
		return ret;
	memset(ev, 0, sizeof(*ev));
	ev->type = g->cmd;
	if (tb[MPTCP_ATTR_TOKEN])
		ev->token = nla_get_u32(tb[MPTCP_ATTR_TOKEN]);
	if (tb[MPTCP_ATTR_REM_ID])
		ev->rem_id = nla_get_u8(tb[MPTCP_ATTR_REM_ID]);
	omr_ev_addrs(tb, ev);
	if (tb[MPTCP_ATTR_SPORT])
		ev->sport = nla_get_be16(tb[MPTCP_ATTR_SPORT]);
	if (tb[MPTCP_ATTR_DPORT])
		ev->dport = nla_get_be16(tb[MPTCP_ATTR_DPORT]);
	if (tb[MPTCP_ATTR_IF_IDX])
		ev->ifindex = nla_get_s32(tb[MPTCP_ATTR_IF_IDX]);
	if (tb[MPTCP_ATTR_ERROR])
		ev->error = nla_get_u8(tb[MPTCP_ATTR_ERROR]);
	if (tb[MPTCP_ATTR_SERVER_SIDE])
		ev->server_side = nla_get_u8(tb[MPTCP_ATTR_SERVER_SIDE]);
	return 1;
}
