// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink layer (nl.h): the socket, one request and its answer, the
 * kernel's errors in words, and the replies parsed into model.h's structs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include "model.h"
#include "nl_int.h"
#include "util.h"

struct omr_nl *omr_nl_new(void)
{
	struct omr_nl *nl = calloc(1, sizeof(*nl));

	if (nl)
		nl->what = "omrctl";
	return nl;
}

void omr_nl_free(struct omr_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

void omr_nl_what(struct omr_nl *nl, const char *what)
{
	nl->what = what;
}

void nl_mark(struct omr_nl *nl, struct nl_msg *msg, const char *fmt, ...)
{
	va_list ap;

	if (nl->nargs == (int)ARRAY_SIZE(nl->args))
		return;
	nl->args[nl->nargs].off = NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len);
	va_start(ap, fmt);
	vsnprintf(nl->args[nl->nargs].arg, sizeof(nl->args[0].arg), fmt, ap);
	va_end(ap);
	nl->nargs++;
}

static const char *blamed_arg(const struct omr_nl *nl)
{
	int i;

	for (i = 0; nl->bad_off >= 0 && i < nl->nargs; i++)
		if (nl->args[i].off == nl->bad_off)
			return nl->args[i].arg;
	return NULL;
}

static int open_family(struct omr_nl *nl)
{
	int one = 1, fd;

	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		err("out of memory");
		return EX_NOMOD;
	}
	if (genl_connect(nl->sk)) {
		err("cannot open a generic netlink socket");
		return EX_NOMOD;
	}
	fd = nl_socket_get_fd(nl->sk);
	/* Extended ACKs (messages), and errors without our request echoed. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, OMR_GENL_NAME);
	if (nl->family < 0) {
		err("no generic netlink family '%s': is omr.ko loaded? (modprobe omr)",
		    OMR_GENL_NAME);
		return EX_NOMOD;
	}
	return EX_OK;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct omr_nl *nl = arg;
	struct nlattr *tb[OMR_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, OMR_A_MAX, NULL) < 0) {
		nl->parse_err = 1;
		return NL_SKIP;
	}
	if (nl->parse && nl->parse(tb, nl->arg))
		nl->parse_err = 1;
	return NL_OK;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct omr_nl *)arg)->done = true;
	return NL_STOP;
}

/*
 * The extended ACK's attributes (NLMSGERR_ATTR_*) of an error message, in
 * @tb (NLMSGERR_ATTR_MAX + 1 of them); false if it carries none. Shared
 * with rtnl.c.
 */
bool nl_extack_parse(struct nlmsgerr *e, struct nlattr **tb)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return false;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + NLMSG_ALIGN(off) >= nlh->nlmsg_len)
		return false;
	return nla_parse(tb, NLMSGERR_ATTR_MAX,
			 (struct nlattr *)((char *)e + NLMSG_ALIGN(off)),
			 nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off), NULL) >= 0;
}

/* The error and its extended ACK (NLMSGERR_ATTR_MSG), if there is one. */
static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct omr_nl *nl = arg;

	(void)nla;
	nl->error = -e->error;
	nl->done = true;
	if (!nl_extack_parse(e, tb))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		omr_words(nla_get_string(tb[NLMSGERR_ATTR_MSG]), nl->extack,
			  sizeof(nl->extack));
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) == 4)
		nl->bad_off = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	return NL_STOP;
}

static int report(struct omr_nl *nl, int ret)
{
	const char *arg = blamed_arg(nl);
	char what[160];

	if (nl->error) {
		snprintf(what, sizeof(what), "%s%s%s%s", nl->what,
			 arg ? ": '" : "", arg ? arg : "", arg ? "'" : "");
		if (nl->extack[0])
			err("%s: %s (kernel: %s)", what, strerror(nl->error),
			    nl->extack);
		else
			err("%s: %s", what, strerror(nl->error));
		return EX_KERNEL;
	}
	if (ret < 0) {
		err("%s: netlink: %s", nl->what, nl_geterror(ret));
		return EX_KERNEL;
	}
	if (nl->parse_err) {
		err("%s: malformed reply from the kernel", nl->what);
		return EX_KERNEL;
	}
	return EX_OK;
}

/* Send @msg (consumed), read the answer: an exit code, errors reported. */
static int transact(struct omr_nl *nl, struct nl_msg *msg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		err("out of memory");
		return EX_KERNEL;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, nl);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, nl);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_finish, nl);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, nl);
	nl->done = false;
	nl->error = 0;
	nl->parse_err = 0;
	nl->extack[0] = '\0';
	nl->bad_off = -1;
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !nl->done)
		ret = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	ret = report(nl, ret);
	nl->nargs = 0;
	nl->parse = NULL;
	return ret;
}

int nl_open(struct omr_nl *nl)
{
	return nl->sk ? EX_OK : open_family(nl);
}

/* A request of @cmd; NULL with *@ret set (an exit code) if none. */
static struct nl_msg *new_msg(struct omr_nl *nl, uint8_t cmd, int flags,
			      int *ret)
{
	struct nl_msg *msg;

	*ret = nl_open(nl);
	if (*ret)
		return NULL;
	*ret = EX_KERNEL;
	msg = nlmsg_alloc();
	if (!msg) {
		err("out of memory");
		return NULL;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, OMR_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	nl->nargs = 0;
	return msg;
}

int nl_query(struct omr_nl *nl, uint8_t cmd, int flags,
	     int (*parse)(struct nlattr **tb, void *arg), void *arg)
{
	struct nl_msg *msg;
	int ret;

	msg = new_msg(nl, cmd, flags, &ret);
	if (!msg)
		return ret;
	nl->parse = parse;
	nl->arg = arg;
	ret = transact(nl, msg);
	nl->arg = NULL;
	return ret;
}

int nl_change(struct omr_nl *nl, uint8_t cmd, int nest,
	      int (*put)(struct omr_nl *nl, struct nl_msg *msg, const void *arg),
	      const void *arg)
{
	struct nlattr *start;
	struct nl_msg *msg;
	int ret;

	msg = new_msg(nl, cmd, 0, &ret);
	if (!msg)
		return ret;
	start = nla_nest_start(msg, nest | NLA_F_NESTED);
	if (!start || put(nl, msg, arg)) {
		nlmsg_free(msg);
		err("%s: out of memory", nl->what);
		return EX_KERNEL;
	}
	nla_nest_end(msg, start);
	return transact(nl, msg);
}
