// SPDX-License-Identifier: GPL-2.0
/*
 * omr-watch - one long-lived sampler for the omr selftests.
 *
 * Under TCG each process a test spawns costs about half a second, so a
 * shell loop that runs ip/ss every 50 ms measures itself. This process,
 * started once inside a namespace, prints timestamped lines instead:
 *
 *   T link DEV up|down|gone   at start and on every change (rtnetlink
 *                             event: the moment the kernel made it)
 *   T loss DEV PCT            netem loss of DEV's root qdisc, at start and
 *                             on every change (the tc change itself)
 *   T route TABLE DEV add|del an IPv4 default route of TABLE through DEV
 *                             came or went (from start on)
 *   T sf N SF...              every -i ms: the N established TCP sockets
 *                             that match -r/-p, each as
 *                             LOCAL,REMOTE,FLAGS,BYTES_ACKED,BYTES_RECEIVED
 *                             (FLAGS as ss: b we asked for backup, B the
 *                             peer did, j/J a join from us/the peer,
 *                             e fully established; - none)
 *   T dev DEV RX TX...        every -i ms with -d: the byte counters of the
 *                             -d devices, in that order (/proc/net/dev of
 *                             the namespace; a device not there keeps its
 *                             last values, 0 at first)
 *   T cpu PCT BUSY TOTAL      every -i ms with -c: the guest's CPU busy %
 *                             over the last interval, and the cumulative
 *                             busy and total ticks of all CPUs (/proc/stat;
 *                             busy: all but idle and iowait), so that any
 *                             window's busy % is dBUSY / dTOTAL
 *   T end SAMPLES LATE MAXLATE on exit: samples taken, samples late by more
 *                             than one interval, the largest delay of a
 *                             sample after its due time (ms)
 *
 * T is CLOCK_MONOTONIC in ms, the clock of omr-xfer's *_mono_ms. All lines
 * of one sample carry the same T. -S leaves out the sf lines (a counter
 * sampler only); -P runs the sampler at a real-time priority, so that the
 * transfers it measures, which keep the guest's CPUs busy, do not delay
 * its samples.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#define MAX_IFS		64
#define LINK_LOWER_UP	0x10000	/* IFF_LOWER_UP: linux/if.h clashes with net/if.h */
#define ST_ESTABLISHED	1	/* TCP_ESTABLISHED */
#define BUF_SIZE	(64 * 1024)
#define MAX_DEVS	8

static struct {
	int ival_ms;
	int time_s;
	bool have_raddr;
	struct in_addr raddr;
	int lport;
	bool no_sf;
	bool cpu;
	bool rt;
	int ndevs;
	char *devs[MAX_DEVS];
} opt = { .ival_ms = 50, .time_s = 60, .lport = -1 };

/* The counter sources, open for the whole run (-d and -c). */
static struct {
	int dev_fd;
	int stat_fd;
	unsigned long long rx[MAX_DEVS], tx[MAX_DEVS];
	unsigned long long busy, total;	/* of the previous sample */
} ctr = { .dev_fd = -1, .stat_fd = -1 };

static struct {
	int ifindex;
	char name[IF_NAMESIZE];
	int up;		/* -1 unknown */
	long loss;	/* percent, -1 unknown */
} ifs[MAX_IFS];

static volatile sig_atomic_t stop;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int if_slot(int ifindex, const char *name)
{
	int i, free_slot = -1;

	for (i = 0; i < MAX_IFS; i++) {
		if (ifs[i].ifindex == ifindex)
			break;
		if (!ifs[i].ifindex && free_slot < 0)
			free_slot = i;
	}
	if (i == MAX_IFS) {
		if (free_slot < 0)
			return -1;
		i = free_slot;
		ifs[i].ifindex = ifindex;
		ifs[i].up = -1;
		ifs[i].loss = -1;
	}
	if (name)
		snprintf(ifs[i].name, sizeof(ifs[i].name), "%s", name);
	else if (!ifs[i].name[0] && !if_indextoname((unsigned int)ifindex, ifs[i].name))
		snprintf(ifs[i].name, sizeof(ifs[i].name), "if%d", ifindex);
	return i;
}

static struct rtattr *rta_find(struct rtattr *rta, int len, int type)
{
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) == type)
			return rta;
	return NULL;
}

static void on_link(struct nlmsghdr *n)
{
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	struct rtattr *a = rta_find(IFLA_RTA(ifi), (int)IFLA_PAYLOAD(n), IFLA_IFNAME);
	int i = if_slot(ifi->ifi_index, a ? RTA_DATA(a) : NULL), up;

	if (i < 0)
		return;
	if (n->nlmsg_type == RTM_DELLINK) {
		printf("%.1f link %s gone\n", now_ms(), ifs[i].name);
		ifs[i].ifindex = 0;
		ifs[i].name[0] = '\0';
		return;
	}
	up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & LINK_LOWER_UP);
	if (up != ifs[i].up)
		printf("%.1f link %s %s\n", now_ms(), ifs[i].name, up ? "up" : "down");
	ifs[i].up = up;
}

/* netem keeps its random loss as a fraction of UINT32_MAX in tc_netem_qopt */
static void on_qdisc(struct nlmsghdr *n)
{
	struct tcmsg *t = NLMSG_DATA(n);
	int len = (int)(n->nlmsg_len - NLMSG_LENGTH(sizeof(*t)));
	struct rtattr *kind = rta_find(TCA_RTA(t), len, TCA_KIND);
	struct rtattr *o = rta_find(TCA_RTA(t), len, TCA_OPTIONS);
	struct tc_netem_qopt q;
	long pct;
	int i;

	if (n->nlmsg_type != RTM_NEWQDISC || t->tcm_parent != TC_H_ROOT || !kind ||
	    strcmp(RTA_DATA(kind), "netem") || !o || RTA_PAYLOAD(o) < sizeof(q))
		return;
	memcpy(&q, RTA_DATA(o), sizeof(q));
	pct = (long)(((double)q.loss * 100.0) / UINT32_MAX + 0.5);
	i = if_slot(t->tcm_ifindex, NULL);
	if (i < 0 || pct == ifs[i].loss)
		return;
	printf("%.1f loss %s %ld\n", now_ms(), ifs[i].name, pct);
	ifs[i].loss = pct;
}

static void on_route(struct nlmsghdr *n)
{
	struct rtmsg *r = NLMSG_DATA(n);
	int len = (int)RTM_PAYLOAD(n);
	struct rtattr *tb = rta_find(RTM_RTA(r), len, RTA_TABLE);
	struct rtattr *oif = rta_find(RTM_RTA(r), len, RTA_OIF);
	unsigned int table = r->rtm_table;
	int i, ifindex = 0;

	if (r->rtm_family != AF_INET || r->rtm_dst_len || r->rtm_type != RTN_UNICAST)
		return;
	if (tb && RTA_PAYLOAD(tb) >= sizeof(table))
		memcpy(&table, RTA_DATA(tb), sizeof(table));
	if (oif && RTA_PAYLOAD(oif) >= sizeof(ifindex))
		memcpy(&ifindex, RTA_DATA(oif), sizeof(ifindex));
	i = ifindex ? if_slot(ifindex, NULL) : -1;
	printf("%.1f route %u %s %s\n", now_ms(), table, i < 0 ? "-" : ifs[i].name,
	       n->nlmsg_type == RTM_NEWROUTE ? "add" : "del");
}

/* Handles what a read brought: events and dump parts alike; 1 at DONE. */
static int rtnl_handle(char *buf, ssize_t len)
{
	struct nlmsghdr *n;
	int done = 0;

	for (n = (void *)buf; NLMSG_OK(n, (unsigned int)len); n = NLMSG_NEXT(n, len)) {
		switch (n->nlmsg_type) {
		case NLMSG_DONE:
		case NLMSG_ERROR:
			done = 1;
			break;
		case RTM_NEWLINK:
		case RTM_DELLINK:
			on_link(n);
			break;
		case RTM_NEWQDISC:
			on_qdisc(n);
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			on_route(n);
			break;
		}
	}
	return done;
}

static int rtnl_dump(int fd, int type, size_t hdrlen, char *buf)
{
	struct {
		struct nlmsghdr n;
		/* cppcheck-suppress unusedStructMember ; room for the request's header */
		char body[sizeof(struct ifinfomsg) + sizeof(struct tcmsg)];
	} req;
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = (unsigned int)NLMSG_LENGTH(hdrlen);
	req.n.nlmsg_type = (unsigned short)type;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	do {
		len = recv(fd, buf, BUF_SIZE, 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -errno;
	} while (!rtnl_handle(buf, len));
	return 0;
}

static int rtnl_open(char *buf)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_TC | RTMGRP_IPV4_ROUTE,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	if (rtnl_dump(fd, RTM_GETLINK, sizeof(struct ifinfomsg), buf) ||
	    rtnl_dump(fd, RTM_GETQDISC, sizeof(struct tcmsg), buf)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sf_flags(struct rtattr *ulp, int len, char *out)
{
	struct rtattr *m = rta_find(ulp, len, INET_ULP_INFO_MPTCP), *f;
	unsigned int fl = 0;
	char *p = out;

	if (m) {
		f = rta_find(RTA_DATA(m), (int)RTA_PAYLOAD(m), MPTCP_SUBFLOW_ATTR_FLAGS);
		if (f && RTA_PAYLOAD(f) >= sizeof(fl))
			memcpy(&fl, RTA_DATA(f), sizeof(fl));
	}
	if (fl & MPTCP_SUBFLOW_FLAG_BKUP_LOC)
		*p++ = 'b';
	if (fl & MPTCP_SUBFLOW_FLAG_BKUP_REM)
		*p++ = 'B';
	if (fl & MPTCP_SUBFLOW_FLAG_JOIN_LOC)
		*p++ = 'j';
	if (fl & MPTCP_SUBFLOW_FLAG_JOIN_REM)
		*p++ = 'J';
	if (fl & MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED)
		*p++ = 'e';
	if (p == out)
		*p++ = '-';
	*p = '\0';
}

/* One socket of the dump as " LOCAL,REMOTE,FLAGS,ACKED,RCVD"; 0 if filtered. */
static int sf_format(struct nlmsghdr *n, char *out, size_t size)
{
	struct inet_diag_msg *d = NLMSG_DATA(n);
	int len = (int)(n->nlmsg_len - NLMSG_LENGTH(sizeof(*d)));
	struct rtattr *rta = (struct rtattr *)(d + 1), *a;
	char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN], fl[8] = "-";
	struct tcp_info ti;

	if (opt.have_raddr && d->id.idiag_dst[0] != opt.raddr.s_addr)
		return 0;
	if (opt.lport >= 0 && ntohs(d->id.idiag_sport) != opt.lport)
		return 0;
	memset(&ti, 0, sizeof(ti));
	a = rta_find(rta, len, INET_DIAG_INFO);
	if (a)
		memcpy(&ti, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(ti) ? RTA_PAYLOAD(a) : sizeof(ti));
	a = rta_find(rta, len, INET_DIAG_ULP_INFO);
	if (a)
		sf_flags(RTA_DATA(a), (int)RTA_PAYLOAD(a), fl);
	inet_ntop(AF_INET, d->id.idiag_src, l, sizeof(l));
	inet_ntop(AF_INET, d->id.idiag_dst, r, sizeof(r));
	snprintf(out, size, " %s:%u,%s:%u,%s,%llu,%llu", l, ntohs(d->id.idiag_sport),
		 r, ntohs(d->id.idiag_dport), fl, (unsigned long long)ti.tcpi_bytes_acked,
		 (unsigned long long)ti.tcpi_bytes_received);
	return 1;
}

static int diag_request(int fd)
{
	struct {
		struct nlmsghdr n;
		struct inet_diag_req_v2 r;
	} req;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = sizeof(req);
	req.n.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1 << ST_ESTABLISHED;
	req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	return send(fd, &req, sizeof(req), 0) < 0 ? -errno : 0;
}

/* The sf line: a dump of the established TCP sockets, printed on one line. */
static int sample_sf(int fd, char *buf, double t)
{
	static char line[BUF_SIZE];
	size_t used = 0;
	int count = 0, done = 0;
	ssize_t len;

	if (diag_request(fd))
		return -1;
	line[0] = '\0';
	while (!done) {
		struct nlmsghdr *n;

		len = recv(fd, buf, BUF_SIZE, 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -1;
		for (n = (void *)buf; NLMSG_OK(n, (unsigned int)len); n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_type == NLMSG_DONE || n->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (used + 128 < sizeof(line) &&
			    sf_format(n, line + used, sizeof(line) - used)) {
				used += strlen(line + used);
				count++;
			}
		}
	}
	printf("%.1f sf %d%s\n", t, count, line);
	return 0;
}

/* The whole of a small /proc file, read again from its start. */
static ssize_t proc_read(int fd, char *buf, size_t size)
{
	ssize_t len;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	len = read(fd, buf, size - 1);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

/* "T dev DEV RX TX ..." from /proc/net/dev, -d's devices in -d's order. */
static void sample_devs(double t, char *buf)
{
	unsigned long long rx, tx;
	char *line, *save = NULL, name[IF_NAMESIZE + 1];
	int i;

	if (proc_read(ctr.dev_fd, buf, BUF_SIZE) > 0) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			/* "  eth1: RXBYTES 7 more fields TXBYTES ..." */
			if (sscanf(line, " %16[^:]: %llu %*u %*u %*u %*u %*u %*u %*u %llu",
				   name, &rx, &tx) != 3)
				continue;
			for (i = 0; i < opt.ndevs; i++) {
				if (strcmp(name, opt.devs[i]))
					continue;
				ctr.rx[i] = rx;
				ctr.tx[i] = tx;
			}
		}
	}
	printf("%.1f dev", t);
	for (i = 0; i < opt.ndevs; i++)
		printf(" %s %llu %llu", opt.devs[i], ctr.rx[i], ctr.tx[i]);
	printf("\n");
}

/* "T cpu PCT BUSY TOTAL" from /proc/stat's first line (all CPUs). */
static void sample_cpu(double t, char *buf)
{
	unsigned long long v[8] = { 0 }, busy, total;
	double pct = 0;

	if (proc_read(ctr.stat_fd, buf, BUF_SIZE) <= 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
		return;
	/* user nice system idle iowait irq softirq steal */
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	total = busy + v[3] + v[4];
	if (ctr.total && total > ctr.total)
		pct = 100.0 * (double)(busy - ctr.busy) / (double)(total - ctr.total);
	printf("%.1f cpu %.1f %llu %llu\n", t, pct, busy, total);
	ctr.busy = busy;
	ctr.total = total;
}

static void usage(void) __attribute__((noreturn));

/* -d eth1,eth2,eth3: the list, split in place. */
static void parse_devs(char *list)
{
	char *save = NULL, *d;

	for (d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		if (opt.ndevs == MAX_DEVS || strlen(d) >= IF_NAMESIZE)
			usage();
		opt.devs[opt.ndevs++] = d;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: omr-watch [-i MS] [-t SEC] [-r IPV4] [-p LOCALPORT] [-d DEV,...] [-c] [-S] [-P]\n"
		"  -i MS    sample interval (default 50)\n"
		"  -t SEC   stop after SEC s (default 60); SIGTERM/SIGINT stop too\n"
		"  -r IPV4  only sockets to this remote address\n"
		"  -p PORT  only sockets on this local port\n"
		"  -d DEVS  also the byte counters of these devices (comma-separated)\n"
		"  -c       also the CPU busy %% of the machine\n"
		"  -S       no subflow (sf) lines\n"
		"  -P       real-time priority (SCHED_FIFO), for a steady interval\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:t:r:p:d:cSP")) != -1) {
		switch (c) {
		case 'i':
			opt.ival_ms = atoi(optarg);
			break;
		case 't':
			opt.time_s = atoi(optarg);
			break;
		case 'r':
			if (inet_pton(AF_INET, optarg, &opt.raddr) != 1)
				usage();
			opt.have_raddr = true;
			break;
		case 'p':
			opt.lport = atoi(optarg);
			break;
		case 'd':
			parse_devs(optarg);
			break;
		case 'c':
			opt.cpu = true;
			break;
		case 'S':
			opt.no_sf = true;
			break;
		case 'P':
			opt.rt = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.ival_ms < 1 || opt.time_s < 1)
		usage();
}

/* One sample: every line of it with the same time. */
static int sample(int diag, char *buf)
{
	double t = now_ms();

	if (opt.ndevs)
		sample_devs(t, buf);
	if (opt.cpu)
		sample_cpu(t, buf);
	return opt.no_sf ? 0 : sample_sf(diag, buf, t);
}

static void run(int rt, int diag, char *buf)
{
	double start = now_ms(), end = start + opt.time_s * 1e3, next = start, t;
	double maxlate = 0;
	long samples = 0, late = 0;
	ssize_t len;

	while (!stop && (t = now_ms()) < end) {
		struct pollfd p = { .fd = rt, .events = POLLIN };

		if (t >= next) {
			if (t - next > opt.ival_ms)
				late++;
			if (t - next > maxlate)
				maxlate = t - next;
			if (sample(diag, buf))
				break;
			samples++;
			while (next <= t)
				next += opt.ival_ms;
			fflush(stdout);
			continue;
		}
		if (poll(&p, 1, (int)(next - t) + 1) > 0) {
			len = recv(rt, buf, BUF_SIZE, MSG_DONTWAIT);
			if (len > 0)
				rtnl_handle(buf, len);
			fflush(stdout);
		}
	}
	printf("%.1f end %ld %ld %.1f\n", now_ms(), samples, late, maxlate);
}

/* Above the transfers' tasks and ksoftirqd, below the kernel's RT threads. */
static int set_rt(void)
{
	struct sched_param sp = { .sched_priority = 10 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("omr-watch: SCHED_FIFO");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[BUF_SIZE];
	struct sigaction sa = { .sa_handler = on_signal };
	int rt, diag;

	parse_args(argc, argv);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* /proc/net/dev is the namespace's at open time: ours, for good */
	if (opt.ndevs)
		ctr.dev_fd = open("/proc/net/dev", O_RDONLY | O_CLOEXEC);
	if (opt.cpu)
		ctr.stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if ((opt.ndevs && ctr.dev_fd < 0) || (opt.cpu && ctr.stat_fd < 0)) {
		perror("omr-watch: /proc");
		return 1;
	}
	if (opt.rt && set_rt())
		return 1;
	rt = rtnl_open(buf);
	diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (rt < 0 || diag < 0) {
		perror("omr-watch: netlink");
		return 1;
	}
	fflush(stdout);
	run(rt, diag, buf);
	fflush(stdout);
	return 0;
}
