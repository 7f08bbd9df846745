// SPDX-License-Identifier: GPL-2.0
/*
 * omrctl: configure omr.ko and look at its paths and connections, through
 * the "omr" generic netlink family (uapi/linux/omr.h). docs/omrctl.8 is the
 * manual: commands, JSON keys, exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/omr.h>
#include "module.h"

/* Exit codes (docs/omrctl.8). */
enum {
	EX_OK = 0,
	EX_KERNEL = 1,		/* the kernel refused the request */
	EX_USAGE = 2,		/* bad command line */
	EX_NOMOD = 3,		/* omr.ko not loaded, or no netlink */
	EX_NETNS = 4,		/* -n NETNS cannot be entered */
};

static bool json;
static bool stats;	/* -s: conn show's per-path summary */
static const char *prog = "omrctl";

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- netlink ------------------------------------------------------------ */

struct req {
	struct nl_sock *sk;
	int family;
	const char *what;	/* for error messages: "path add" */
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
	bool done;
	int error;		/* errno from the kernel, positive */
	char extack[256];	/* its extended ACK message */
	int parse_err;
	int open_err;		/* exit code of a failed open_family() */
	int count;		/* dump: entries printed so far */
	/* The request's attributes by offset, to name the one the kernel blames. */
	struct {
		uint32_t off;
		char arg[64];
	} args[24];
	int nargs;
	int64_t bad_off;	/* NLMSGERR_ATTR_OFFS, or -1 */
};

/* The next attribute put into @msg is the command-line argument @fmt. */
static void __attribute__((format(printf, 3, 4)))
mark(struct req *r, struct nl_msg *msg, const char *fmt, ...)
{
	va_list ap;

	if (r->nargs == (int)(sizeof(r->args) / sizeof(r->args[0])))
		return;
	r->args[r->nargs].off = NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len);
	va_start(ap, fmt);
	vsnprintf(r->args[r->nargs].arg, sizeof(r->args[0].arg), fmt, ap);
	va_end(ap);
	r->nargs++;
}

static const char *blamed_arg(const struct req *r)
{
	int i;

	for (i = 0; r->bad_off >= 0 && i < r->nargs; i++)
		if (r->args[i].off == r->bad_off)
			return r->args[i].arg;
	return NULL;
}

static int open_family(struct req *r)
{
	int one = 1, fd;

	r->sk = nl_socket_alloc();
	if (!r->sk) {
		err("out of memory");
		return EX_NOMOD;
	}
	if (genl_connect(r->sk)) {
		err("cannot open a generic netlink socket");
		return EX_NOMOD;
	}
	fd = nl_socket_get_fd(r->sk);
	/* Extended ACKs (messages), and errors without our request echoed. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	r->family = genl_ctrl_resolve(r->sk, OMR_GENL_NAME);
	if (r->family < 0) {
		err("no generic netlink family '%s': is omr.ko loaded? (modprobe omr)",
		    OMR_GENL_NAME);
		return EX_NOMOD;
	}
	return EX_OK;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct nlattr *tb[OMR_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, OMR_A_MAX, NULL) < 0) {
		r->parse_err = 1;
		return NL_SKIP;
	}
	if (r->parse && r->parse(tb, r->arg ? r->arg : r))
		r->parse_err = 1;
	return NL_OK;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct req *)arg)->done = true;
	return NL_STOP;
}

/* The error and its extended ACK (NLMSGERR_ATTR_MSG), if there is one. */
static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct req *r = arg;
	size_t off;

	(void)nla;
	r->error = -e->error;
	r->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off >= nlh->nlmsg_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + NLMSG_ALIGN(off)),
		      nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off), NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(r->extack, sizeof(r->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) == 4)
		r->bad_off = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	return NL_STOP;
}

/* Send @msg (consumed) and read the answer: data, then ACK or DONE. */
static int transact(struct req *r, struct nl_msg *msg)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		err("out of memory");
		return EX_KERNEL;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_finish, r);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, r);
	r->bad_off = -1;
	ret = nl_send_auto(r->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !r->done)
		ret = nl_recvmsgs(r->sk, cb);
	nl_cb_put(cb);
	if (r->error) {
		const char *arg = blamed_arg(r);
		char what[160];

		snprintf(what, sizeof(what), "%s%s%s%s", r->what,
			 arg ? ": '" : "", arg ? arg : "", arg ? "'" : "");
		if (r->extack[0])
			err("%s: %s (kernel: %s)", what, strerror(r->error),
			    r->extack);
		else
			err("%s: %s", what, strerror(r->error));
		return EX_KERNEL;
	}
	if (ret < 0) {
		err("%s: netlink: %s", r->what, nl_geterror(ret));
		return EX_KERNEL;
	}
	if (r->parse_err) {
		err("%s: malformed reply from the kernel", r->what);
		return EX_KERNEL;
	}
	return EX_OK;
}

/* The family is looked up here, once the command line has been checked. */
static struct nl_msg *new_msg(struct req *r, uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	if (!r->sk) {
		r->open_err = open_family(r);
		if (r->open_err)
			return NULL;
	}
	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, r->family, 0, flags,
			 cmd, OMR_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- output helpers ----------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *addr4(const struct nlattr *a, char *buf)
{
	struct in_addr in;

	if (!a || nla_len(a) != sizeof(in))
		return NULL;
	memcpy(&in, nla_data(a), sizeof(in));
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
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

static const char *stra(const struct nlattr *a)
{
	if (!a || nla_len(a) < 1 || ((const char *)nla_data(a))[nla_len(a) - 1])
		return NULL;
	return nla_data(a);
}

static const char *tcp_state(unsigned int s)
{
	static const char *const names[] = {
		"unknown", "established", "syn-sent", "syn-recv", "fin-wait-1",
		"fin-wait-2", "time-wait", "close", "close-wait", "last-ack",
		"listen", "closing", "new-syn-recv", "bound-inactive",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static int nest_parse(struct nlattr **tb, int max, struct nlattr *nest)
{
	return nest ? nla_parse_nested(tb, max, nest, NULL) : -1;
}

/* ---- status, pm show ----------------------------------------------------- */

struct status {
	bool seen;
	char version[64], kernel[128];
	bool enabled, add_addr;
	bool has_gen, wanted;	/* a module where enabling is a request */
	uint32_t gen, gen_done, enable_error;
	uint32_t paths, max_paths, conns;
	uint32_t set[OMR_PM_A_MAX + 1];		/* the PM's settings */
	uint64_t cnt[OMR_CNT_A_MAX + 1];
	bool usage, usage_all;
	uint32_t sched_conns, netns, netns_sched, netns_pm;
	uint32_t sched[OMR_SCHED_A_MAX + 1];	/* the scheduler's tunables */
};

/* The scheduler's tunables: omrctl's key (JSON key, sched set KEY). */
static const char *const sched_keys[OMR_SCHED_A_MAX + 1] = {
	[OMR_SCHED_A_LOSS_PENALTY] = "loss_penalty",
	[OMR_SCHED_A_LOSS_GAIN] = "loss_gain",
	[OMR_SCHED_A_RTT_UNKNOWN_US] = "rtt_unknown_us",
	[OMR_SCHED_A_BURST] = "burst",
};

/* The PM's settings: omrctl's key (JSON key, pm set KEY) per attribute. */
static const char *const pm_keys[OMR_PM_A_MAX + 1] = {
	[OMR_PM_A_TICK_MS] = "tick_ms",
	[OMR_PM_A_STALL_MS] = "stall_ms",
	[OMR_PM_A_FAIL_MS] = "fail_ms",
	[OMR_PM_A_HOLD_MS] = "hold_ms",
	[OMR_PM_A_LOSS_HI] = "loss_hi",
	[OMR_PM_A_LOSS_LO] = "loss_lo",
	[OMR_PM_A_RTT_HI_MS] = "rtt_hi_ms",
	[OMR_PM_A_BACKOFF_MIN_MS] = "backoff_min_ms",
	[OMR_PM_A_BACKOFF_MAX_MS] = "backoff_max_ms",
	[OMR_PM_A_JOIN_TIMEOUT_MS] = "join_timeout_ms",
};

static const char *const cnt_names[OMR_CNT_A_MAX + 1] = {
	[OMR_CNT_A_CREATES] = "creates",
	[OMR_CNT_A_CREATE_ERRORS] = "create_errors",
	[OMR_CNT_A_CLOSED] = "closed",
	[OMR_CNT_A_DEMOTES] = "demotes",
	[OMR_CNT_A_PROMOTES] = "promotes",
	[OMR_CNT_A_REMOVES] = "removes",
	[OMR_CNT_A_ABORTS] = "aborts",
	[OMR_CNT_A_EV_OVERFLOWS] = "event_overflows",
};

static int parse_status(struct nlattr **tb, void *arg)
{
	struct nlattr *pm[OMR_PM_A_MAX + 1], *cnt[OMR_CNT_A_MAX + 1];
	struct nlattr *use[OMR_USAGE_A_MAX + 1], *sch[OMR_SCHED_A_MAX + 1];
	struct status *s = arg;
	const char *v;
	int i;

	if (nest_parse(pm, OMR_PM_A_MAX, tb[OMR_A_PM]) ||
	    nest_parse(cnt, OMR_CNT_A_MAX, tb[OMR_A_COUNTERS]))
		return -1;
	v = stra(tb[OMR_A_VERSION]);
	snprintf(s->version, sizeof(s->version), "%s", v ? v : "");
	v = stra(tb[OMR_A_KERNEL]);
	snprintf(s->kernel, sizeof(s->kernel), "%s", v ? v : "");
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
	for (i = 0; i <= OMR_CNT_A_MAX; i++)
		s->cnt[i] = u64a(cnt[i]);
	for (i = 0; i <= OMR_PM_A_MAX; i++)
		if (pm_keys[i])
			s->set[i] = u32a(pm[i]);
	if (!nest_parse(sch, OMR_SCHED_A_MAX, tb[OMR_A_SCHED]))
		for (i = 0; i <= OMR_SCHED_A_MAX; i++)
			s->sched[i] = u32a(sch[i]);
	if (!nest_parse(use, OMR_USAGE_A_MAX, tb[OMR_A_USAGE])) {
		s->usage = true;
		s->sched_conns = u32a(use[OMR_USAGE_A_SCHED_CONNS]);
		s->usage_all = use[OMR_USAGE_A_NETNS];
		s->netns = u32a(use[OMR_USAGE_A_NETNS]);
		s->netns_sched = u32a(use[OMR_USAGE_A_NETNS_SCHED]);
		s->netns_pm = u32a(use[OMR_USAGE_A_NETNS_PM]);
	}
	s->seen = true;
	return 0;
}

static int get_status(struct req *r, struct status *s)
{
	struct nl_msg *msg = new_msg(r, OMR_CMD_GET_STATUS, 0);
	int ret;

	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	r->parse = parse_status;
	r->arg = s;
	ret = transact(r, msg);
	if (!ret && !s->seen) {
		err("%s: no reply from the kernel", r->what);
		return EX_KERNEL;
	}
	return ret;
}

static void print_pm_json(const struct status *s)
{
	int i;

	printf("{\"enabled\":%s,\"add_addr\":\"%s\",\"paths\":%u,\"max_paths\":%u,\"conns\":%u",
	       s->enabled ? "true" : "false", s->add_addr ? "accept" : "ignore",
	       s->paths, s->max_paths, s->conns);
	for (i = 0; i <= OMR_PM_A_MAX; i++)
		if (pm_keys[i])
			printf(",\"%s\":%u", pm_keys[i], s->set[i]);
	if (s->has_gen)
		printf(",\"enable_wanted\":%s,\"enable_error\":%u",
		       s->wanted ? "true" : "false", s->enable_error);
	putchar('}');
}

static void print_pm_settings(const struct status *s)
{
	const char *sep = "";
	int i;

	for (i = 0; i <= OMR_PM_A_MAX; i++) {
		if (pm_keys[i]) {
			printf("%s%s %u", sep, pm_keys[i], s->set[i]);
			sep = " ";
		}
	}
	putchar('\n');
}

static int cmd_status(struct req *r, int argc, char **argv)
{
	struct status s = { 0 };
	int i, ret;

	(void)argv;
	if (argc) {
		err("status: unexpected argument '%s'", argv[0]);
		return EX_USAGE;
	}
	ret = get_status(r, &s);
	if (ret)
		return ret;
	if (json) {
		printf("{\"version\":");
		json_str(s.version);
		printf(",\"kernel\":");
		json_str(s.kernel);
		printf(",\"pm\":");
		print_pm_json(&s);
		printf(",\"counters\":{");
		for (i = 1; i <= OMR_CNT_A_MAX; i++)
			if (cnt_names[i])
				printf("%s\"%s\":%" PRIu64, i == OMR_CNT_A_CREATES ? "" : ",",
				       cnt_names[i], s.cnt[i]);
		printf("},\"sched\":{");
		for (i = 1; i <= OMR_SCHED_A_MAX; i++)
			printf("%s\"%s\":%u", i == 1 ? "" : ",", sched_keys[i],
			       s.sched[i]);
		printf("},\"usage\":{\"sched_conns\":%u,\"pm_enabled\":%s",
		       s.sched_conns, s.enabled ? "true" : "false");
		if (s.usage_all)
			printf(",\"netns\":%u,\"netns_sched\":%u,\"netns_pm\":%u",
			       s.netns, s.netns_sched, s.netns_pm);
		printf("}}\n");
		return EX_OK;
	}
	printf("omr %s, kernel %s\n", s.version, s.kernel);
	printf("pm: %s, add_addr %s, %u/%u paths, %u connections\n",
	       s.enabled ? "enabled" : "disabled",
	       s.add_addr ? "accept" : "ignore", s.paths, s.max_paths, s.conns);
	if (s.has_gen && s.wanted && !s.enabled)
		printf("pm: enable requested, %s\n", s.enable_error ?
		       strerror(s.enable_error) : "pending");
	printf("pm settings: ");
	print_pm_settings(&s);
	printf("sched:");
	for (i = 1; i <= OMR_SCHED_A_MAX; i++)
		printf(" %s %u", sched_keys[i], s.sched[i]);
	printf("\n");
	printf("this netns: %u connection(s) on the omr scheduler, path manager %s\n",
	       s.sched_conns, s.enabled ? "enabled" : "disabled");
	if (s.usage_all)
		printf("all netns: %u, %u with omr-scheduled connections, %u with the path manager enabled\n",
		       s.netns, s.netns_sched, s.netns_pm);
	printf("counters:");
	for (i = 1; i <= OMR_CNT_A_MAX; i++)
		if (cnt_names[i])
			printf(" %s %" PRIu64, cnt_names[i], s.cnt[i]);
	printf("\n");
	return EX_OK;
}

/* ---- pm show | set ------------------------------------------------------- */

/* A decimal u32 for KEY; a usage error names both. */
static int parse_u32(const char *what, const char *key, const char *v,
		     uint32_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (v && *v >= '0' && *v <= '9') {
		n = strtoull(v, &end, 10);
		if (!errno && !*end && n <= UINT32_MAX) {
			*out = n;
			return 0;
		}
	}
	err("%s: %s '%s': expected a number (0 to %u)", what, key,
	    v ? v : "", UINT32_MAX);
	return -1;
}

static int pm_key(const char *k)
{
	int i;

	for (i = 0; i <= OMR_PM_A_MAX; i++)
		if (pm_keys[i] && !strcmp(pm_keys[i], k))
			return i;
	return -1;
}

/*
 * Enabling or disabling is a request the kernel's path manager carries out
 * in its own work (opening its sockets to MPTCP's netlink family cannot be
 * done under the request). Wait, up to 3 s, until GET_STATUS shows the
 * configuration this request stored as applied, then say how it went.
 */
static int pm_wait(struct req *r, int enable)
{
	const char *what = enable ? "pm set: enable" : "pm set: disable";
	struct status s;
	uint32_t gen = 0;
	int i, ret;

	for (i = 0; i < 60; i++) {
		memset(&s, 0, sizeof(s));
		r->done = false;
		r->error = 0;
		r->parse_err = 0;
		r->extack[0] = '\0';
		r->what = what;
		ret = get_status(r, &s);
		if (ret)
			return ret;
		if (!s.has_gen)
			return EX_OK;	/* an older module: it was synchronous */
		if (i == 0)
			gen = s.gen;	/* ours, or a later one */
		if ((int32_t)(s.gen_done - gen) >= 0) {
			if (!enable || s.enabled)
				return EX_OK;
			err("%s: the path manager could not be enabled: %s",
			    what, s.enable_error ? strerror(s.enable_error) :
			    "disabled again meanwhile");
			return EX_KERNEL;
		}
		usleep(50 * 1000);
	}
	err("%s: the path manager did not act on it within 3 s", what);
	return EX_KERNEL;
}

static int cmd_pm(struct req *r, int argc, char **argv)
{
	uint32_t val[OMR_PM_A_MAX + 1];
	bool given[OMR_PM_A_MAX + 1] = { 0 };
	int enable = -1, accept = -1, i, k;
	struct status s = { 0 };
	struct nlattr *nest;
	struct nl_msg *msg;
	bool any = false;
	int ret;

	if (argc == 0 || !strcmp(argv[0], "show")) {
		if (argc > 1) {
			err("pm show: unexpected argument '%s'", argv[1]);
			return EX_USAGE;
		}
		r->what = "pm show";
		ret = get_status(r, &s);
		if (ret)
			return ret;
		if (json) {
			print_pm_json(&s);
			putchar('\n');
		} else {
			printf("pm %s\nadd_addr %s\nsettings ",
			       s.enabled ? "enabled" : "disabled",
			       s.add_addr ? "accept" : "ignore");
			print_pm_settings(&s);
		}
		return EX_OK;
	}
	if (strcmp(argv[0], "set")) {
		err("pm: unknown command '%s' (show, set)", argv[0]);
		return EX_USAGE;
	}
	r->what = "pm set";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "enable")) {
			enable = 1;
		} else if (!strcmp(argv[i], "disable")) {
			enable = 0;
		} else if (!strcmp(argv[i], "add_addr")) {
			if (i + 1 == argc) {
				err("pm set: add_addr needs 'accept' or 'ignore'");
				return EX_USAGE;
			}
			i++;
			if (!strcmp(argv[i], "accept")) {
				accept = 1;
			} else if (!strcmp(argv[i], "ignore")) {
				accept = 0;
			} else {
				err("pm set: add_addr '%s': expected 'accept' or 'ignore'",
				    argv[i]);
				return EX_USAGE;
			}
		} else if ((k = pm_key(argv[i])) >= 0) {
			if (parse_u32("pm set", argv[i], i + 1 < argc ? argv[i + 1] : NULL,
				      &val[k]))
				return EX_USAGE;
			given[k] = true;
			any = true;
			i++;
		} else {
			err("pm set: unknown setting '%s' (enable, disable, add_addr accept|ignore, or KEY VALUE with KEY one of tick_ms stall_ms fail_ms hold_ms loss_hi loss_lo rtt_hi_ms backoff_min_ms backoff_max_ms join_timeout_ms)",
			    argv[i]);
			return EX_USAGE;
		}
	}
	if (enable < 0 && accept < 0 && !any) {
		err("pm set: nothing to set (enable, disable, add_addr accept|ignore, KEY VALUE)");
		return EX_USAGE;
	}
	msg = new_msg(r, OMR_CMD_SET_PM, 0);
	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	nest = nla_nest_start(msg, OMR_A_PM | NLA_F_NESTED);
	if (!nest)
		goto nomem;
	if (enable >= 0) {
		mark(r, msg, "%s", enable ? "enable" : "disable");
		if (nla_put_u8(msg, OMR_PM_A_ENABLED, enable))
			goto nomem;
	}
	if (accept >= 0) {
		mark(r, msg, "add_addr %s", accept ? "accept" : "ignore");
		if (nla_put_u8(msg, OMR_PM_A_ADD_ADDR_ACCEPT, accept))
			goto nomem;
	}
	for (k = 0; k <= OMR_PM_A_MAX; k++) {
		if (!given[k])
			continue;
		mark(r, msg, "%s %u", pm_keys[k], val[k]);
		if (nla_put_u32(msg, k, val[k]))
			goto nomem;
	}
	nla_nest_end(msg, nest);
	r->parse = NULL;
	ret = transact(r, msg);
	if (ret || enable < 0)
		return ret;
	return pm_wait(r, enable);
nomem:
	nlmsg_free(msg);
	return EX_KERNEL;
}

/* ---- sched show | set ----------------------------------------------------- */


static int parse_sched(struct nlattr **tb, void *arg)
{
	struct nlattr *a[OMR_SCHED_A_MAX + 1];
	const char *sep = "";
	int i;

	(void)arg;
	if (nest_parse(a, OMR_SCHED_A_MAX, tb[OMR_A_SCHED]))
		return -1;
	if (json)
		putchar('{');
	for (i = 0; i <= OMR_SCHED_A_MAX; i++) {
		if (!sched_keys[i])
			continue;
		if (json)
			printf("%s\"%s\":%u", sep, sched_keys[i], u32a(a[i]));
		else
			printf("%s%s %u", sep, sched_keys[i], u32a(a[i]));
		sep = json ? "," : " ";
	}
	printf(json ? "}\n" : "\n");
	return 0;
}

static int cmd_sched(struct req *r, int argc, char **argv)
{
	struct nlattr *nest;
	struct nl_msg *msg;
	uint32_t v;
	int i, k;

	if (argc == 0 || !strcmp(argv[0], "show")) {
		if (argc > 1) {
			err("sched show: unexpected argument '%s'", argv[1]);
			return EX_USAGE;
		}
		r->what = "sched show";
		msg = new_msg(r, OMR_CMD_GET_SCHED, 0);
		if (!msg)
			return r->open_err ? r->open_err : EX_KERNEL;
		r->parse = parse_sched;
		return transact(r, msg);
	}
	if (strcmp(argv[0], "set")) {
		err("sched: unknown command '%s' (show, set)", argv[0]);
		return EX_USAGE;
	}
	r->what = "sched set";
	if (argc < 2) {
		err("sched set: nothing to set (KEY VALUE: loss_penalty, loss_gain, rtt_unknown_us, burst)");
		return EX_USAGE;
	}
	/* Check the whole command line before the family is looked up. */
	for (i = 1; i < argc; i += 2) {
		for (k = 0; k <= OMR_SCHED_A_MAX; k++)
			if (sched_keys[k] && !strcmp(sched_keys[k], argv[i]))
				break;
		if (k > OMR_SCHED_A_MAX) {
			err("sched set: unknown tunable '%s' (loss_penalty, loss_gain, rtt_unknown_us, burst)",
			    argv[i]);
			return EX_USAGE;
		}
		if (parse_u32("sched set", argv[i], i + 1 < argc ? argv[i + 1] : NULL, &v))
			return EX_USAGE;
	}
	msg = new_msg(r, OMR_CMD_SET_SCHED, 0);
	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	nest = nla_nest_start(msg, OMR_A_SCHED | NLA_F_NESTED);
	if (!nest)
		goto nomem;
	for (i = 1; i < argc; i += 2) {
		for (k = 0; k <= OMR_SCHED_A_MAX; k++)
			if (sched_keys[k] && !strcmp(sched_keys[k], argv[i]))
				break;
		parse_u32("sched set", argv[i], argv[i + 1], &v);
		mark(r, msg, "%s %s", argv[i], argv[i + 1]);
		if (nla_put_u32(msg, k, v))
			goto nomem;
	}
	nla_nest_end(msg, nest);
	r->parse = NULL;
	return transact(r, msg);
nomem:
	nlmsg_free(msg);
	return EX_KERNEL;
}

/* ---- path add | del | show ----------------------------------------------- */

static int parse_path(struct nlattr **tb, void *arg)
{
	struct nlattr *p[OMR_PATH_A_MAX + 1];
	static const char *const health[] = { "ok", "demoted" };
	struct req *r = arg;
	char buf[INET_ADDRSTRLEN], sbuf[INET_ADDRSTRLEN], gbuf[INET_ADDRSTRLEN];
	const char *name, *a, *sa, *gw;
	unsigned int h;
	bool enabled;

	if (nest_parse(p, OMR_PATH_A_MAX, tb[OMR_A_PATH]))
		return -1;
	name = stra(p[OMR_PATH_A_IFNAME]);
	if (!name)
		return -1;
	a = addr4(p[OMR_PATH_A_ADDR4], buf);
	sa = addr4(p[OMR_PATH_A_SADDR4], sbuf);
	gw = addr4(p[OMR_PATH_A_GW4], gbuf);
	/* Older modules have no OMR_PATH_A_ENABLED: their paths are enabled. */
	enabled = !p[OMR_PATH_A_ENABLED] || u8a(p[OMR_PATH_A_ENABLED]);
	h = u8a(p[OMR_PATH_A_HEALTH]);
	if (json) {
		printf("%s{\"dev\":", r->count ? "," : "");
		json_str(name);
		printf(",\"ifindex\":%u,\"link\":\"%s\",\"addr\":",
		       u32a(p[OMR_PATH_A_IFINDEX]),
		       u8a(p[OMR_PATH_A_LINK_UP]) ? "up" : "down");
		if (a)
			printf("\"%s\"", a);
		else
			printf("null");
		printf(",\"backup\":%s,\"health\":\"%s\",\"enabled\":%s,\"weight\":%u,\"saddr\":",
		       u32a(p[OMR_PATH_A_FLAGS]) & OMR_PATH_F_BACKUP ? "true" : "false",
		       h < 2 ? health[h] : "unknown", enabled ? "true" : "false",
		       u32a(p[OMR_PATH_A_WEIGHT]));
		if (sa)
			printf("\"%s\"", sa);
		else
			printf("null");
		printf(",\"gw\":");
		if (gw)
			printf("\"%s\"}", gw);
		else
			printf("null}");
	} else {
		printf("path dev %s ifindex %u link %s addr %s backup %d health %s enabled %d weight %u saddr %s gw %s\n",
		       name, u32a(p[OMR_PATH_A_IFINDEX]),
		       u8a(p[OMR_PATH_A_LINK_UP]) ? "up" : "down", a ? a : "-",
		       !!(u32a(p[OMR_PATH_A_FLAGS]) & OMR_PATH_F_BACKUP),
		       h < 2 ? health[h] : "unknown", enabled,
		       u32a(p[OMR_PATH_A_WEIGHT]), sa ? sa : "-", gw ? gw : "-");
	}
	r->count++;
	return 0;
}

static int path_show(struct req *r)
{
	struct nl_msg *msg = new_msg(r, OMR_CMD_GET_PATHS, NLM_F_DUMP);
	int ret;

	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	r->parse = parse_path;
	r->arg = NULL;
	r->count = 0;
	if (json)
		putchar('[');
	ret = transact(r, msg);
	if (json)
		printf("]\n");
	return ret;
}

/* "dev IFNAME": the device's name, which must fit IFNAMSIZ. */
static const char *dev_arg(const char *what, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "dev")) {
		err("%s: expected 'dev IFNAME'%s%s%s", what,
		    argc ? ", got '" : "", argc ? argv[0] : "", argc ? "'" : "");
		return NULL;
	}
	if (!argv[1][0] || strlen(argv[1]) >= IFNAMSIZ) {
		err("%s: interface name '%s' must be 1 to %d bytes", what,
		    argv[1], IFNAMSIZ - 1);
		return NULL;
	}
	return argv[1];
}

/* on|off */
static int parse_onoff(const char *key, const char *v)
{
	if (v && !strcmp(v, "on"))
		return 1;
	if (v && !strcmp(v, "off"))
		return 0;
	err("path change: %s '%s': expected 'on' or 'off'", key, v ? v : "");
	return -1;
}

/* An IPv4 address, or "none" (0: back to the default). */
static int parse_addr(const char *key, const char *v, struct in_addr *a)
{
	if (v && !strcmp(v, "none")) {
		a->s_addr = 0;
		return 0;
	}
	if (v && inet_pton(AF_INET, v, a) == 1)
		return 0;
	err("path change: %s '%s': expected an IPv4 address or 'none'", key,
	    v ? v : "");
	return -1;
}

/*
 * path change dev IFNAME [backup on|off] [enabled on|off] [weight N]
 * [saddr A|none] [gw A|none]: checked whole, then one request.
 */
static int path_change(struct req *r, const char *dev, int argc, char **argv)
{
	int backup = -1, enabled = -1, i;
	struct in_addr saddr, gw;
	bool has_saddr = false, has_gw = false, has_weight = false;
	uint32_t weight = 0;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (!argc) {
		err("path change: nothing to change (backup, enabled, weight, saddr, gw)");
		return EX_USAGE;
	}
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "backup")) {
			backup = parse_onoff(k, v);
			if (backup < 0)
				return EX_USAGE;
		} else if (!strcmp(k, "enabled")) {
			enabled = parse_onoff(k, v);
			if (enabled < 0)
				return EX_USAGE;
		} else if (!strcmp(k, "weight")) {
			if (parse_u32("path change", k, v, &weight))
				return EX_USAGE;
			has_weight = true;
		} else if (!strcmp(k, "saddr")) {
			if (parse_addr(k, v, &saddr))
				return EX_USAGE;
			has_saddr = true;
		} else if (!strcmp(k, "gw")) {
			if (parse_addr(k, v, &gw))
				return EX_USAGE;
			has_gw = true;
		} else {
			err("path change: unknown setting '%s' (backup, enabled, weight, saddr, gw)",
			    k);
			return EX_USAGE;
		}
	}
	msg = new_msg(r, OMR_CMD_PATH_CHANGE, 0);
	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	nest = nla_nest_start(msg, OMR_A_PATH | NLA_F_NESTED);
	if (!nest)
		goto nomem;
	mark(r, msg, "dev %s", dev);
	if (nla_put_string(msg, OMR_PATH_A_IFNAME, dev))
		goto nomem;
	if (backup >= 0) {
		mark(r, msg, "backup %s", backup ? "on" : "off");
		if (nla_put_u32(msg, OMR_PATH_A_FLAGS,
				backup ? OMR_PATH_F_BACKUP : 0))
			goto nomem;
	}
	if (enabled >= 0) {
		mark(r, msg, "enabled %s", enabled ? "on" : "off");
		if (nla_put_u8(msg, OMR_PATH_A_ENABLED, enabled))
			goto nomem;
	}
	if (has_weight) {
		mark(r, msg, "weight %u", weight);
		if (nla_put_u32(msg, OMR_PATH_A_WEIGHT, weight))
			goto nomem;
	}
	if (has_saddr) {
		mark(r, msg, "saddr %s", inet_ntoa(saddr));
		if (nla_put(msg, OMR_PATH_A_SADDR4, 4, &saddr))
			goto nomem;
	}
	if (has_gw) {
		mark(r, msg, "gw %s", inet_ntoa(gw));
		if (nla_put(msg, OMR_PATH_A_GW4, 4, &gw))
			goto nomem;
	}
	nla_nest_end(msg, nest);
	r->parse = NULL;
	return transact(r, msg);
nomem:
	nlmsg_free(msg);
	return EX_KERNEL;
}

static int cmd_path(struct req *r, int argc, char **argv)
{
	struct nlattr *nest;
	struct nl_msg *msg;
	const char *dev;
	uint32_t flags = 0;
	bool add;

	if (argc == 0 || !strcmp(argv[0], "show")) {
		if (argc > 1) {
			err("path show: unexpected argument '%s'", argv[1]);
			return EX_USAGE;
		}
		r->what = "path show";
		return path_show(r);
	}
	if (!strcmp(argv[0], "change")) {
		r->what = "path change";
		dev = dev_arg(r->what, argc - 1, argv + 1);
		if (!dev)
			return EX_USAGE;
		return path_change(r, dev, argc - 3, argv + 3);
	}
	add = !strcmp(argv[0], "add");
	if (!add && strcmp(argv[0], "del")) {
		err("path: unknown command '%s' (add, change, del, show)", argv[0]);
		return EX_USAGE;
	}
	r->what = add ? "path add" : "path del";
	dev = dev_arg(r->what, argc - 1, argv + 1);
	if (!dev)
		return EX_USAGE;
	if (argc > 3) {
		if (add && argc == 4 && !strcmp(argv[3], "backup")) {
			flags |= OMR_PATH_F_BACKUP;
		} else {
			err("%s: unexpected argument '%s'%s", r->what, argv[3],
			    add ? " (only 'backup')" : "");
			return EX_USAGE;
		}
	}
	msg = new_msg(r, add ? OMR_CMD_PATH_ADD : OMR_CMD_PATH_DEL, 0);
	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	nest = nla_nest_start(msg, OMR_A_PATH | NLA_F_NESTED);
	if (!nest || nla_put_string(msg, OMR_PATH_A_IFNAME, dev) ||
	    (add && nla_put_u32(msg, OMR_PATH_A_FLAGS, flags))) {
		nlmsg_free(msg);
		return EX_KERNEL;
	}
	nla_nest_end(msg, nest);
	r->parse = NULL;
	return transact(r, msg);
}

/* ---- conn show ------------------------------------------------------------ */

static void print_sf(struct nlattr *a, bool first)
{
	struct nlattr *sf[OMR_SF_A_MAX + 1];
	char l[INET_ADDRSTRLEN], rm[INET_ADDRSTRLEN];
	const char *dev, *la, *ra;
	uint32_t flags;
	bool has_loss;

	if (nla_parse_nested(sf, OMR_SF_A_MAX, a, NULL) < 0)
		return;
	dev = stra(sf[OMR_SF_A_IFNAME]);
	la = addr4(sf[OMR_SF_A_LOCAL_ADDR4], l);
	ra = addr4(sf[OMR_SF_A_REMOTE_ADDR4], rm);
	flags = u32a(sf[OMR_SF_A_FLAGS]);
	has_loss = sf[OMR_SF_A_LOSS];
	if (json) {
		printf("%s{\"id\":%u,\"dev\":", first ? "" : ",", u32a(sf[OMR_SF_A_ID]));
		if (dev)
			json_str(dev);
		else
			printf("null");
		printf(",\"ifindex\":%u,\"local_addr\":\"%s\",\"local_port\":%u,"
		       "\"remote_addr\":\"%s\",\"remote_port\":%u,\"state\":\"%s\","
		       "\"backup\":%s,\"peer_backup\":%s,\"join\":%s,"
		       "\"fully_established\":%s,\"stale\":%s,\"srtt_us\":%u,"
		       "\"rttvar_us\":%u,\"loss_ppm\":",
		       u32a(sf[OMR_SF_A_IFINDEX]), la ? la : "",
		       u16a(sf[OMR_SF_A_LOCAL_PORT]), ra ? ra : "",
		       u16a(sf[OMR_SF_A_REMOTE_PORT]),
		       tcp_state(u8a(sf[OMR_SF_A_STATE])),
		       flags & OMR_SF_F_BACKUP ? "true" : "false",
		       flags & OMR_SF_F_PEER_BACKUP ? "true" : "false",
		       flags & OMR_SF_F_JOIN ? "true" : "false",
		       flags & OMR_SF_F_FULLY_ESTABLISHED ? "true" : "false",
		       flags & OMR_SF_F_STALE ? "true" : "false",
		       u32a(sf[OMR_SF_A_SRTT_US]), u32a(sf[OMR_SF_A_RTTVAR_US]));
		if (has_loss)
			printf("%u", u32a(sf[OMR_SF_A_LOSS]));
		else
			printf("null");
		printf(",\"cwnd\":%u,\"bytes_sent\":%" PRIu64 ",\"bytes_acked\":%" PRIu64
		       ",\"bytes_received\":%" PRIu64 ",\"retrans\":%u}",
		       u32a(sf[OMR_SF_A_CWND]), u64a(sf[OMR_SF_A_BYTES_SENT]),
		       u64a(sf[OMR_SF_A_BYTES_ACKED]),
		       u64a(sf[OMR_SF_A_BYTES_RECEIVED]), u32a(sf[OMR_SF_A_RETRANS]));
		return;
	}
	printf("  sf %u dev %s %s:%u -> %s:%u %s rtt %.1f/%.1f ms",
	       u32a(sf[OMR_SF_A_ID]), dev ? dev : "-", la ? la : "?",
	       u16a(sf[OMR_SF_A_LOCAL_PORT]), ra ? ra : "?",
	       u16a(sf[OMR_SF_A_REMOTE_PORT]), tcp_state(u8a(sf[OMR_SF_A_STATE])),
	       u32a(sf[OMR_SF_A_SRTT_US]) / 1000.0,
	       u32a(sf[OMR_SF_A_RTTVAR_US]) / 1000.0);
	if (has_loss)
		printf(" loss %.2f%%", u32a(sf[OMR_SF_A_LOSS]) / 10000.0);
	printf(" cwnd %u sent %" PRIu64 " acked %" PRIu64 " received %" PRIu64
	       " retrans %u%s%s%s%s\n",
	       u32a(sf[OMR_SF_A_CWND]), u64a(sf[OMR_SF_A_BYTES_SENT]),
	       u64a(sf[OMR_SF_A_BYTES_ACKED]), u64a(sf[OMR_SF_A_BYTES_RECEIVED]),
	       u32a(sf[OMR_SF_A_RETRANS]),
	       flags & OMR_SF_F_BACKUP ? " backup" : "",
	       flags & OMR_SF_F_PEER_BACKUP ? " peer-backup" : "",
	       flags & OMR_SF_F_JOIN ? " join" : "",
	       flags & OMR_SF_F_STALE ? " stale" : "");
}

static int parse_conn(struct nlattr **tb, void *arg)
{
	struct nlattr *c[OMR_CONN_A_MAX + 1], *a;
	char l[INET_ADDRSTRLEN], rm[INET_ADDRSTRLEN];
	const char *la, *ra, *sched;
	struct req *r = arg;
	int rem;
	uint32_t flags;
	bool first = true;

	if (nest_parse(c, OMR_CONN_A_MAX, tb[OMR_A_CONN]) || !c[OMR_CONN_A_TOKEN])
		return -1;
	la = addr4(c[OMR_CONN_A_LOCAL_ADDR4], l);
	ra = addr4(c[OMR_CONN_A_REMOTE_ADDR4], rm);
	sched = stra(c[OMR_CONN_A_SCHED]);
	flags = u32a(c[OMR_CONN_A_FLAGS]);
	if (json) {
		printf("%s{\"token\":\"%08x\",\"local_addr\":\"%s\",\"local_port\":%u,"
		       "\"remote_addr\":\"%s\",\"remote_port\":%u,\"state\":\"%s\","
		       "\"server_side\":%s,\"fully_established\":%s,\"pm\":%s,"
		       "\"fallback\":%s,\"sched\":",
		       r->count ? "," : "", u32a(c[OMR_CONN_A_TOKEN]), la ? la : "",
		       u16a(c[OMR_CONN_A_LOCAL_PORT]), ra ? ra : "",
		       u16a(c[OMR_CONN_A_REMOTE_PORT]),
		       tcp_state(u8a(c[OMR_CONN_A_STATE])),
		       flags & OMR_CONN_F_SERVER_SIDE ? "true" : "false",
		       flags & OMR_CONN_F_FULLY_ESTABLISHED ? "true" : "false",
		       flags & OMR_CONN_F_PM ? "true" : "false",
		       flags & OMR_CONN_F_FALLBACK ? "true" : "false");
		if (sched)
			json_str(sched);
		else
			printf("null");
		printf(",\"subflows\":[");
	} else {
		printf("conn %08x %s:%u -> %s:%u %s sched %s%s%s%s\n",
		       u32a(c[OMR_CONN_A_TOKEN]), la ? la : "?",
		       u16a(c[OMR_CONN_A_LOCAL_PORT]), ra ? ra : "?",
		       u16a(c[OMR_CONN_A_REMOTE_PORT]),
		       tcp_state(u8a(c[OMR_CONN_A_STATE])), sched ? sched : "-",
		       flags & OMR_CONN_F_SERVER_SIDE ? " server-side" : "",
		       flags & OMR_CONN_F_PM ? " pm" : "",
		       flags & OMR_CONN_F_FALLBACK ? " fallback-to-TCP" : "");
	}
	if (stats && !json) {
		r->count++;
		return 0;
	}
	if (c[OMR_CONN_A_SUBFLOWS]) {
		nla_for_each_nested(a, c[OMR_CONN_A_SUBFLOWS], rem) {
			print_sf(a, first);
			first = false;
		}
	}
	if (json)
		printf("]}");
	r->count++;
	return 0;
}

/* ---- conn show -s: per path, why aggregation does (not) work -------------- */

static const char *const reason_names[] = {
	[OMR_EV_R_NONE] = "none",
	[OMR_EV_R_LINK_DOWN] = "link_down",
	[OMR_EV_R_STALL] = "stall",
	[OMR_EV_R_LOSS] = "loss",
	[OMR_EV_R_RTT] = "rtt",
	[OMR_EV_R_DUPLICATE] = "duplicate",
	[OMR_EV_R_JOIN_TIMEOUT] = "join_timeout",
	[OMR_EV_R_JOIN_FAILED] = "join_failed",
	[OMR_EV_R_PEER] = "peer",
	[OMR_EV_R_DEMOTED] = "demoted",
};

static const char *reason_name(unsigned int r)
{
	return r < sizeof(reason_names) / sizeof(reason_names[0]) &&
	       reason_names[r] ? reason_names[r] : "unknown";
}

struct path_sum {
	char dev[IFNAMSIZ], addr[INET_ADDRSTRLEN];
	uint32_t ifindex, subflows, srtt_us, loss_ppm, window_ms;
	uint32_t join_fails, join_fails_total;
	uint64_t tx, rx;
	bool link_up, backup, demoted, stripped;
	uint8_t demote_reason;
	char why[96];
};

struct path_list {
	struct path_sum p[64];
	int n;
};

static int parse_path_sum(struct nlattr **tb, void *arg)
{
	struct nlattr *p[OMR_PATH_A_MAX + 1];
	struct path_list *l = arg;
	struct path_sum *ps;
	const char *name, *a;

	if (nest_parse(p, OMR_PATH_A_MAX, tb[OMR_A_PATH]))
		return -1;
	name = stra(p[OMR_PATH_A_IFNAME]);
	if (!name || strlen(name) >= IFNAMSIZ)
		return -1;
	if (l->n == (int)(sizeof(l->p) / sizeof(l->p[0])))
		return 0;
	ps = &l->p[l->n++];
	memset(ps, 0, sizeof(*ps));
	snprintf(ps->dev, sizeof(ps->dev), "%s", name);
	a = addr4(p[OMR_PATH_A_ADDR4], ps->addr);
	if (!a)
		ps->addr[0] = 0;
	ps->ifindex = u32a(p[OMR_PATH_A_IFINDEX]);
	ps->link_up = u8a(p[OMR_PATH_A_LINK_UP]);
	ps->backup = u32a(p[OMR_PATH_A_FLAGS]) & OMR_PATH_F_BACKUP;
	ps->demoted = u8a(p[OMR_PATH_A_HEALTH]) == OMR_PATH_HEALTH_DEMOTED;
	ps->subflows = u32a(p[OMR_PATH_A_SUBFLOWS]);
	ps->srtt_us = u32a(p[OMR_PATH_A_SRTT_US]);
	ps->loss_ppm = u32a(p[OMR_PATH_A_LOSS]);
	ps->tx = u64a(p[OMR_PATH_A_TX_BYTES]);
	ps->rx = u64a(p[OMR_PATH_A_RX_BYTES]);
	ps->window_ms = u32a(p[OMR_PATH_A_WINDOW_MS]);
	ps->demote_reason = u8a(p[OMR_PATH_A_HEALTH_REASON]);
	ps->join_fails = u32a(p[OMR_PATH_A_JOIN_FAILS]);
	ps->join_fails_total = u32a(p[OMR_PATH_A_JOIN_FAILS_TOTAL]);
	ps->stripped = u8a(p[OMR_PATH_A_STRIPPED]);
	return 0;
}

/* The one phrase that says why a path carries what it carries. */
static void path_why(struct path_sum *p, uint32_t conns)
{
	if (!p->link_up)
		snprintf(p->why, sizeof(p->why), "link down");
	else if (p->demoted)
		snprintf(p->why, sizeof(p->why), "demoted: %s",
			 reason_name(p->demote_reason));
	else if (p->stripped)
		snprintf(p->why, sizeof(p->why),
			 "MPTCP stripped? %u joins failed in a row", p->join_fails);
	else if (!conns)
		snprintf(p->why, sizeof(p->why), "idle: no connection");
	else if (!p->subflows && p->join_fails)
		snprintf(p->why, sizeof(p->why),
			 "no subflow: joins failing (%u), backing off", p->join_fails);
	else if (!p->subflows)
		snprintf(p->why, sizeof(p->why), "no subflow: joining or backing off");
	else if (p->backup)
		snprintf(p->why, sizeof(p->why), "backup");
	else
		snprintf(p->why, sizeof(p->why), "ok");
}

static int conn_summary(struct req *r, struct path_list *l, struct status *st)
{
	struct nl_msg *msg;
	int ret, i;

	r->what = "conn show";
	ret = get_status(r, st);
	if (ret)
		return ret;
	msg = new_msg(r, OMR_CMD_GET_PATHS, NLM_F_DUMP);
	if (!msg)
		return r->open_err ? r->open_err : EX_KERNEL;
	r->parse = parse_path_sum;
	r->arg = l;
	r->done = false;
	ret = transact(r, msg);
	if (ret)
		return ret;
	for (i = 0; i < l->n; i++)
		path_why(&l->p[i], st->conns);
	return EX_OK;
}

static void print_path_sum(const struct path_list *l)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < l->n; i++)
		total += l->p[i].tx + l->p[i].rx;
	if (json)
		printf("\"paths\":[");
	for (i = 0; i < l->n; i++) {
		const struct path_sum *p = &l->p[i];
		double share = total ? 100.0 * (p->tx + p->rx) / total : 0;

		if (json) {
			printf("%s{\"dev\":", i ? "," : "");
			json_str(p->dev);
			printf(",\"ifindex\":%u,\"link\":\"%s\",\"addr\":", p->ifindex,
			       p->link_up ? "up" : "down");
			if (p->addr[0])
				printf("\"%s\"", p->addr);
			else
				printf("null");
			printf(",\"backup\":%s,\"health\":\"%s\",\"demoted_reason\":",
			       p->backup ? "true" : "false",
			       p->demoted ? "demoted" : "ok");
			if (p->demote_reason)
				printf("\"%s\"", reason_name(p->demote_reason));
			else
				printf("null");
			printf(",\"subflows\":%u,\"srtt_us\":%u,\"loss_ppm\":%u,"
			       "\"tx_bytes\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
			       ",\"window_ms\":%u,\"share_pct\":",
			       p->subflows, p->srtt_us, p->loss_ppm, p->tx, p->rx,
			       p->window_ms);
			if (total)
				printf("%.1f", share);
			else
				printf("null");
			printf(",\"join_fails\":%u,\"join_fails_total\":%u,"
			       "\"mptcp_stripped\":%s,\"why\":",
			       p->join_fails, p->join_fails_total,
			       p->stripped ? "true" : "false");
			json_str(p->why);
			putchar('}');
			continue;
		}
		printf("path %-8s %-4s sf %u rtt %6.1f ms loss %5.2f%% share %5.1f%%"
		       " (%.1f s)%s  %s\n", p->dev, p->link_up ? "up" : "down",
		       p->subflows, p->srtt_us / 1000.0, p->loss_ppm / 10000.0,
		       share, p->window_ms / 1000.0, p->backup ? " backup" : "",
		       p->why);
	}
	if (json)
		printf("]");
}

static int cmd_conn(struct req *r, int argc, char **argv)
{
	struct path_list *l = NULL;
	struct status st = { 0 };
	struct nl_msg *msg;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-s")) {
			stats = true;
		} else if (i || strcmp(argv[i], "show")) {
			err("conn: unknown command or argument '%s' (show [-s])",
			    argv[i]);
			return EX_USAGE;
		}
	}
	if (stats) {
		l = calloc(1, sizeof(*l));
		if (!l) {
			err("out of memory");
			return EX_KERNEL;
		}
		ret = conn_summary(r, l, &st);
		if (ret)
			goto out;
		if (json)
			putchar('{');
		print_path_sum(l);
	}
	r->what = "conn show";
	r->done = false;
	msg = new_msg(r, OMR_CMD_GET_CONNS, NLM_F_DUMP);
	if (!msg) {
		ret = r->open_err ? r->open_err : EX_KERNEL;
		goto out;
	}
	r->parse = parse_conn;
	r->arg = NULL;
	r->count = 0;
	if (json)
		printf("%s[", stats ? ",\"conns\":" : "");
	ret = transact(r, msg);
	if (json)
		printf("]%s\n", stats ? "}" : "");
out:
	free(l);
	return ret;
}

/* ---- monitor ---------------------------------------------------------------- */

static volatile sig_atomic_t stop_monitor;

static void on_signal(int sig)
{
	(void)sig;
	stop_monitor = 1;
}

static const char *const event_names[] = {
	[OMR_EV_PATH_UP] = "path_up",
	[OMR_EV_PATH_DOWN] = "path_down",
	[OMR_EV_SF_CREATED] = "sf_created",
	[OMR_EV_SF_CLOSED] = "sf_closed",
	[OMR_EV_PATH_DEMOTED] = "path_demoted",
	[OMR_EV_PATH_PROMOTED] = "path_promoted",
	[OMR_EV_FAILOVER] = "failover",
};

static int print_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[OMR_A_MAX + 1], *e[OMR_EV_A_MAX + 1];
	char l[INET_ADDRSTRLEN], rm[INET_ADDRSTRLEN];
	const char *dev, *to, *la, *ra, *ev;
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	unsigned int type, reason;
	struct timespec ts;

	(void)arg;
	if (g->cmd != OMR_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, OMR_A_MAX, NULL) < 0 ||
	    nest_parse(e, OMR_EV_A_MAX, tb[OMR_A_EVENT]))
		return NL_SKIP;
	type = u8a(e[OMR_EV_A_TYPE]);
	reason = u8a(e[OMR_EV_A_REASON]);
	ev = type < sizeof(event_names) / sizeof(event_names[0]) &&
	     event_names[type] ? event_names[type] : "unknown";
	dev = stra(e[OMR_EV_A_IFNAME]);
	to = stra(e[OMR_EV_A_TO_IFNAME]);
	la = addr4(e[OMR_EV_A_LOCAL_ADDR4], l);
	ra = addr4(e[OMR_EV_A_REMOTE_ADDR4], rm);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (json) {
		printf("{\"ts\":%lld.%03ld,\"event\":\"%s\",\"reason\":",
		       (long long)ts.tv_sec, ts.tv_nsec / 1000000, ev);
		if (reason)
			printf("\"%s\"", reason_name(reason));
		else
			printf("null");
		printf(",\"dev\":");
		if (dev)
			json_str(dev);
		else
			printf("null");
		if (e[OMR_EV_A_IFINDEX])
			printf(",\"ifindex\":%u", u32a(e[OMR_EV_A_IFINDEX]));
		if (e[OMR_EV_A_TOKEN])
			printf(",\"token\":\"%08x\"", u32a(e[OMR_EV_A_TOKEN]));
		if (la && ra)
			printf(",\"local_addr\":\"%s\",\"local_port\":%u,"
			       "\"remote_addr\":\"%s\",\"remote_port\":%u", la,
			       u16a(e[OMR_EV_A_LOCAL_PORT]), ra,
			       u16a(e[OMR_EV_A_REMOTE_PORT]));
		if (e[OMR_EV_A_ERROR])
			printf(",\"error\":%u", u32a(e[OMR_EV_A_ERROR]));
		if (type == OMR_EV_FAILOVER) {
			printf(",\"to_dev\":");
			if (to)
				json_str(to);
			else
				printf("null");
		}
		if (e[OMR_EV_A_TO_IFINDEX])
			printf(",\"to_ifindex\":%u", u32a(e[OMR_EV_A_TO_IFINDEX]));
		printf("}\n");
	} else {
		printf("%s", ev);
		if (dev)
			printf(" dev %s", dev);
		if (e[OMR_EV_A_TOKEN])
			printf(" token %08x", u32a(e[OMR_EV_A_TOKEN]));
		if (la && ra)
			printf(" %s:%u -> %s:%u", la, u16a(e[OMR_EV_A_LOCAL_PORT]),
			       ra, u16a(e[OMR_EV_A_REMOTE_PORT]));
		if (type == OMR_EV_FAILOVER)
			printf(" to %s", to ? to : "none");
		if (reason)
			printf(" reason %s", reason_name(reason));
		if (e[OMR_EV_A_ERROR])
			printf(" error %s", strerror(u32a(e[OMR_EV_A_ERROR])));
		printf("\n");
	}
	fflush(stdout);
	return NL_OK;
}

static int cmd_monitor(struct req *r, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd;
	int grp, ret;

	if (argc) {
		err("monitor: unexpected argument '%s'", argv[0]);
		return EX_USAGE;
	}
	r->what = "monitor";
	ret = open_family(r);
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(r->sk, OMR_GENL_NAME, OMR_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		err("monitor: no multicast group '%s' in family '%s': %s",
		    OMR_GENL_MCGRP_EVENTS, OMR_GENL_NAME, nl_geterror(grp));
		return EX_NOMOD;
	}
	ret = nl_socket_add_membership(r->sk, grp);
	if (ret < 0) {
		/* libnl maps EPERM to NLE_PERM. */
		err("monitor: cannot join the events group: %s%s", nl_geterror(ret),
		    ret == -NLE_PERM ? " (needs CAP_NET_ADMIN)" : "");
		return EX_KERNEL;
	}
	nl_socket_disable_seq_check(r->sk);
	nl_socket_modify_cb(r->sk, NL_CB_VALID, NL_CB_CUSTOM, print_event, NULL);
	/* No SA_RESTART: SIGINT/SIGTERM wake poll() up. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = nl_socket_get_fd(r->sk);
	pfd.events = POLLIN;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop_monitor) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err("monitor: poll: %s", strerror(errno));
			return EX_KERNEL;
		}
		ret = nl_recvmsgs_default(r->sk);
		if (ret == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed, events were lost. */
			fprintf(stderr, "%s: monitor: events lost (receive buffer full)\n",
				prog);
			continue;
		}
		if (ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN) {
			err("monitor: netlink: %s", nl_geterror(ret));
			return EX_KERNEL;
		}
	}
	return EX_OK;
}

/* ---- module load | unload | status (module.c) ----------------------------- */

static int cmd_module(struct req *r, int argc, char **argv)
{
	(void)r;
	return omr_module_cmd(argc, argv, json);
}

/* ---- main ----------------------------------------------------------------- */

static int cmd_help(struct req *r, int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(struct req *r, int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "status", cmd_status, "status                      module, kernel, PM state and counters" },
	{ "path", cmd_path, "path show                   configured paths: device, link, address, health\n"
			    "  path add dev IFNAME [backup] add a WAN path (the device may not exist yet)\n"
			    "  path change dev IFNAME [backup on|off] [enabled on|off] [weight N]\n"
			    "              [saddr ADDR|none] [gw ADDR|none]\n"
			    "  path del dev IFNAME         delete it" },
	{ "pm", cmd_pm, "pm show                     path manager state and settings\n"
			"  pm set [enable|disable] [add_addr accept|ignore] [KEY VALUE]...\n"
			"         KEY: tick_ms stall_ms fail_ms hold_ms loss_hi loss_lo rtt_hi_ms\n"
			"              backoff_min_ms backoff_max_ms join_timeout_ms" },
	{ "sched", cmd_sched, "sched show                  the omr scheduler's tunables (global)\n"
			      "  sched set KEY VALUE...      loss_penalty loss_gain rtt_unknown_us burst" },
	{ "conn", cmd_conn, "conn show [-s]              MPTCP connections and their subflows;\n"
			    "                              -s: per path up?, subflows, RTT, loss, share, why" },
	{ "monitor", cmd_monitor, "monitor                     print the module's events as they happen (CAP_NET_ADMIN)" },
	{ "module", cmd_module, "module status               MPTCP in the kernel; omr.ko loaded? refcount, version\n"
				"  module load [PATH]          load omr.ko (installed, or the file PATH)\n"
				"  module unload               unload it (refused while in use)" },
	{ "help", cmd_help, "help                        this text" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j] [-s] [-n NETNS] COMMAND [ARGS]\n\n"
		"  -j        JSON output (show commands, status, monitor)\n"
		"  -s        conn show: the per-path summary\n"
		"  -n NETNS  act in the network namespace /run/netns/NETNS\n\n"
		"Commands:\n", prog);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\nExit status: 0 done, 1 refused by the kernel, 2 bad usage, "
		"3 omr.ko not loaded, 4 NETNS cannot be entered.\n");
}

static int cmd_help(struct req *r, int argc, char **argv)
{
	(void)r;
	(void)argc;
	(void)argv;
	usage(stdout);
	return EX_OK;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (!name[0] || strchr(name, '/')) {
		err("-n '%s': not a namespace name", name);
		return EX_NETNS;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err("-n %s: %s: %s", name, path, strerror(errno));
		return EX_NETNS;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err("-n %s: setns: %s", name, strerror(errno));
		close(fd);
		return EX_NETNS;
	}
	close(fd);
	return EX_OK;
}

int main(int argc, char **argv)
{
	struct req r = { 0 };
	const char *netns = NULL;
	size_t i;
	int opt, ret;

	while ((opt = getopt(argc, argv, "+jsn:hV")) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 's':
			stats = true;
			break;
		case 'n':
			netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[0], cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		err("unknown command '%s' (try '%s help')", argv[0], prog);
		return EX_USAGE;
	}
	if (cmds[i].fn == cmd_help)
		return cmd_help(&r, 0, NULL);
	if (netns) {
		ret = enter_netns(netns);
		if (ret)
			return ret;
	}
	r.what = cmds[i].name;
	ret = cmds[i].fn(&r, argc - 1, argv + 1);
	if (r.sk)
		nl_socket_free(r.sk);
	return ret;
}
