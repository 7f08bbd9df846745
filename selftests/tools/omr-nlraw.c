// SPDX-License-Identifier: GPL-2.0
/*
 * omr-nlraw: send one hand-made request to the "omr" generic netlink family
 * and say how the kernel answered; for tests of malformed requests that
 * omrctl never sends.
 *
 *   omr-nlraw [-d] CMD [HEX]
 *
 * CMD is the command number (uapi/linux/omr.h), HEX the bytes that follow
 * the genl header (attributes, as the test builds them), -d makes it a dump.
 * Prints "ok" (ACK or a complete dump) or "error ENAME: extack message", and
 * exits 0, 1 (error), 2 (usage) or 3 (no family).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

struct ans {
	int done, error;
	char msg[256];
};

static int on_finish(struct nl_msg *m, void *arg)
{
	(void)m;
	((struct ans *)arg)->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct ans *a = arg;
	size_t off = sizeof(*e);

	(void)nla;
	a->error = -e->error;
	a->done = 1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + NLMSG_ALIGN(off) < nlh->nlmsg_len &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)e + NLMSG_ALIGN(off)),
		       nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off), NULL) &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(a->msg, sizeof(a->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned char buf[4096];
	struct ans a = { 0 };
	struct nl_sock *sk;
	struct nl_msg *msg;
	struct nl_cb *cb;
	int dump = 0, fam, one = 1, ret, i = 1;
	size_t n = 0, k;
	const char *hex;

	if (argc > 1 && !strcmp(argv[1], "-d")) {
		dump = 1;
		i++;
	}
	if (argc - i < 1 || argc - i > 2) {
		fprintf(stderr, "usage: omr-nlraw [-d] CMD [HEX]\n");
		return 2;
	}
	hex = argc - i == 2 ? argv[i + 1] : "";
	if (strlen(hex) % 2 || strlen(hex) / 2 > sizeof(buf)) {
		fprintf(stderr, "omr-nlraw: HEX must be an even number of digits, at most %zu bytes\n",
			sizeof(buf));
		return 2;
	}
	for (k = 0; hex[k]; k += 2) {
		int hi = hexval(hex[k]), lo = hexval(hex[k + 1]);

		if (hi < 0 || lo < 0) {
			fprintf(stderr, "omr-nlraw: bad hex digit at %zu\n", k);
			return 2;
		}
		buf[n++] = hi << 4 | lo;
	}
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk))
		return 3;
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	fam = genl_ctrl_resolve(sk, "omr");
	if (fam < 0) {
		fprintf(stderr, "omr-nlraw: no generic netlink family 'omr'\n");
		return 3;
	}
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0,
			 dump ? NLM_F_DUMP : 0, atoi(argv[i]), 1) ||
	    (n && nlmsg_append(msg, buf, n, 0)))
		return 3;
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &a);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &a);
	ret = nl_send_auto(sk, msg);
	while (ret >= 0 && !a.done)
		ret = nl_recvmsgs(sk, cb);
	if (a.error) {
		printf("error %s: %s\n", strerrorname_np(a.error), a.msg);
		return 1;
	}
	if (ret < 0) {
		printf("error netlink: %s\n", nl_geterror(ret));
		return 1;
	}
	printf("ok\n");
	return 0;
}
