// SPDX-License-Identifier: GPL-2.0
/*
 * omr-stress: tight loops for selftests/omr_genl_stress.sh, one long-lived
 * process per kind of load (a process spawned in the test VM costs ~0.5 s,
 * so shell loops would be far too slow to hit a race).
 *
 *   omr-stress cfg SECONDS             PM enable/disable, path add/del and
 *                                      GET_CONNS dumps ("omr" family; root)
 *   omr-stress read SECONDS THREADS    GET_STATUS and GET_PATHS (any user)
 *   omr-stress mod SECONDS KO...       load and unload the modules (each
 *                                      registers a genl family: a cb_lock
 *                                      writer) with finit_module and
 *                                      delete_module (root)
 *   omr-stress sink ADDR PORT SECONDS  MPTCP server: accepts, reads, counts
 *   omr-stress conns ADDR PORT SECONDS N
 *                                      N MPTCP connections sending all the
 *                                      time; one is closed and reopened
 *                                      every 500 ms
 *
 * Every loop runs until SECONDS have passed, then prints one line
 * "summary mode=M ops=N errors=E [...]" and exits 0 if it did work (ops >
 * 0), 1 if not, 2 on bad usage. A loop stuck in the kernel never prints:
 * the test's deadline catches that.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/omr.h>


static double t_end;
static atomic_ulong ops, errs;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool running(void)
{
	return now() < t_end;
}

/* ---- raw generic netlink ------------------------------------------------ */

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
	char buf[65536];
};

struct req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	char attrs[256];
};

static void req_init(struct req *r, uint16_t type, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->g.cmd = cmd;
	r->g.version = 1;
}

/* Put an attribute; returns it (for nests, whose length is fixed later). */
static struct nlattr *put(struct req *r, uint16_t type, const void *d, int len)
{
	size_t at = NLMSG_ALIGN(r->nlh.nlmsg_len) - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)(r->attrs + at);

	if (at + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(r->attrs))
		abort();	/* a bug of this tool: its requests are small */
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, d, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void nest_end(struct req *r, struct nlattr *a)
{
	a->nla_len = (char *)r + r->nlh.nlmsg_len - (char *)a;
}

/*
 * Send @r and read every answer up to the ACK, the error or NLMSG_DONE.
 * Returns 0 or the kernel's -errno; @cb, if any, sees each data message.
 */
static int nl_talk(struct nl *n, struct req *r,
		   void (*cb)(struct nlmsghdr *h, void *arg), void *arg)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h;
	int len;

	r->nlh.nlmsg_seq = ++n->seq;
	if (sendto(n->fd, r, r->nlh.nlmsg_len, 0, (struct sockaddr *)&k,
		   sizeof(k)) < 0)
		return -errno;
	for (;;) {
		len = recv(n->fd, n->buf, sizeof(n->buf), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)n->buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != n->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(h, arg);
		}
	}
}

static void family_cb(struct nlmsghdr *h, void *arg)
{
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			*(uint16_t *)arg = *(uint16_t *)((char *)a + NLA_HDRLEN);
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

static int nl_open(struct nl *n)
{
	struct timeval tv = { .tv_sec = 120 };
	struct req r;
	int ret;

	memset(n, 0, sizeof(*n));
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (n->fd < 0)
		return -errno;
	/* Far longer than any answer takes: a stuck kernel is the test's to see. */
	setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	put(&r, CTRL_ATTR_FAMILY_NAME, OMR_GENL_NAME, sizeof(OMR_GENL_NAME));
	ret = nl_talk(n, &r, family_cb, &n->family);
	if (!ret && !n->family)
		ret = -ENOENT;
	return ret;
}

static void count(int ret)
{
	atomic_fetch_add(ret ? &errs : &ops, 1);
}

/* ---- cfg: the PM's configuration, as root --------------------------------- */

static int set_pm(struct nl *n, uint8_t on)
{
	struct nlattr *nest;
	struct req r;

	req_init(&r, n->family, OMR_CMD_SET_PM, NLM_F_ACK);
	nest = put(&r, OMR_A_PM | NLA_F_NESTED, NULL, 0);
	put(&r, OMR_PM_A_ENABLED, &on, 1);
	nest_end(&r, nest);
	return nl_talk(n, &r, NULL, NULL);
}

static int path_cmd(struct nl *n, uint8_t cmd, const char *dev)
{
	struct nlattr *nest;
	struct req r;

	req_init(&r, n->family, cmd, NLM_F_ACK);
	nest = put(&r, OMR_A_PATH | NLA_F_NESTED, NULL, 0);
	put(&r, OMR_PATH_A_IFNAME, dev, strlen(dev) + 1);
	nest_end(&r, nest);
	return nl_talk(n, &r, NULL, NULL);
}

static int get(struct nl *n, uint8_t cmd, bool dump)
{
	struct req r;

	req_init(&r, n->family, cmd, dump ? NLM_F_DUMP : NLM_F_ACK);
	return nl_talk(n, &r, NULL, NULL);
}

static int run_cfg(void)
{
	unsigned long i;
	char dev[16];
	struct nl *n = malloc(sizeof(*n));
	int ret = n ? nl_open(n) : -ENOMEM;

	if (ret) {
		fprintf(stderr, "omr-stress cfg: family: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; running(); i++) {
		snprintf(dev, sizeof(dev), "st%lu", i % 4);
		count(set_pm(n, 1));
		count(path_cmd(n, OMR_CMD_PATH_ADD, dev));
		count(get(n, OMR_CMD_GET_CONNS, true));
		count(path_cmd(n, OMR_CMD_PATH_DEL, dev));
		/* Off now and then: the next enable opens the sockets again. */
		if (i % 4 == 3)
			count(set_pm(n, 0));
	}
	count(set_pm(n, 1));
	return 0;
}

/* ---- read: GET_STATUS and GET_PATHS, any user ----------------------------- */

static void *reader(void *arg)
{
	struct nl *n = malloc(sizeof(*n));

	(void)arg;
	if (!n || nl_open(n)) {
		count(-1);
		free(n);
		return NULL;
	}
	while (running()) {
		count(get(n, OMR_CMD_GET_STATUS, false));
		count(get(n, OMR_CMD_GET_PATHS, true));
	}
	close(n->fd);
	free(n);
	return NULL;
}

static int run_read(int threads)
{
	pthread_t t[16];
	int i;

	if (threads < 1 || threads > 16)
		return 2;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, reader, NULL))
			return 1;
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* ---- mod: genl families registered and unregistered ---------------------- */

static int run_mod(int argc, char **argv)
{
	int i, fd;

	while (running()) {
		for (i = 0; i < argc; i++) {
			const char *name = strrchr(argv[i], '/');
			char mod[64];

			name = name ? name + 1 : argv[i];
			snprintf(mod, sizeof(mod), "%.*s", (int)strcspn(name, "."), name);
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return 1;
			count(syscall(SYS_finit_module, fd, "", 0) ? -errno : 0);
			close(fd);
			count(syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0);
		}
	}
	return 0;
}

/* ---- MPTCP traffic --------------------------------------------------------- */

static unsigned long long bytes;

static int mptcp_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
}

static void *sink_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct timeval tv = { .tv_sec = 1 };
	char buf[65536];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (running()) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n > 0)
			__atomic_fetch_add(&bytes, n, __ATOMIC_RELAXED);
	}
	close(fd);
	return NULL;
}

static int run_sink(struct sockaddr_in *sa)
{
	int one = 1, lfd = mptcp_socket(), fd;
	pthread_t t;

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)sa, sizeof(*sa)) || listen(lfd, 64))
		return 1;
	/* poll, not SO_RCVTIMEO: an MPTCP accept waits on its subflow listener. */
	while (running()) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		if (poll(&p, 1, 500) <= 0)
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		atomic_fetch_add(&ops, 1);
		if (pthread_create(&t, NULL, sink_conn, (void *)(intptr_t)fd))
			close(fd);
		else
			pthread_detach(t);
	}
	sleep(1);	/* the readers notice the end */
	return 0;
}

static int conn_open(struct sockaddr_in *sa)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd = mptcp_socket();

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa))) {
		close(fd);
		return -1;
	}
	atomic_fetch_add(&ops, 1);
	return fd;
}

static int run_conns(struct sockaddr_in *sa, int n)
{
	static char buf[16384];
	double churn = now() + 0.5;
	int fds[32], i, next = 0;
	ssize_t w;

	if (n < 1 || n > 32)
		return 2;
	for (i = 0; i < n; i++)
		fds[i] = conn_open(sa);
	while (running()) {
		for (i = 0; i < n; i++) {
			if (fds[i] < 0) {
				fds[i] = conn_open(sa);
				continue;
			}
			w = send(fds[i], buf, sizeof(buf), MSG_NOSIGNAL);
			if (w > 0)
				bytes += w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				count(-1);
		}
		if (now() >= churn) {
			churn += 0.5;
			if (fds[next] >= 0)
				close(fds[next]);
			fds[next] = conn_open(sa);
			next = (next + 1) % n;
		}
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

static int addr(struct sockaddr_in *sa, const char *a, const char *p)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(p));
	return inet_pton(AF_INET, a, &sa->sin_addr) == 1 ? 0 : -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: omr-stress cfg SECONDS | read SECONDS THREADS | mod SECONDS KO...\n"
		"       | sink ADDR PORT SECONDS | conns ADDR PORT SECONDS N\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct sockaddr_in sa;
	int ret, secs_arg = 2;

	if (!strcmp(mode, "sink") || !strcmp(mode, "conns"))
		secs_arg = 4;
	if (argc <= secs_arg || atoi(argv[secs_arg]) <= 0)
		return usage();
	t_end = now() + atoi(argv[secs_arg]);
	if (!strcmp(mode, "cfg") && argc == 3)
		ret = run_cfg();
	else if (!strcmp(mode, "read") && argc == 4)
		ret = run_read(atoi(argv[3]));
	else if (!strcmp(mode, "mod") && argc > 3)
		ret = run_mod(argc - 3, argv + 3);
	else if (!strcmp(mode, "sink") && argc == 5 && !addr(&sa, argv[2], argv[3]))
		ret = run_sink(&sa);
	else if (!strcmp(mode, "conns") && argc == 6 && !addr(&sa, argv[2], argv[3]))
		ret = run_conns(&sa, atoi(argv[5]));
	else
		return usage();
	if (ret == 2)
		return usage();
	printf("summary mode=%s ops=%lu errors=%lu bytes=%llu\n", mode,
	       atomic_load(&ops), atomic_load(&errs),
	       __atomic_load_n(&bytes, __ATOMIC_RELAXED));
	return ret ? ret : atomic_load(&ops) > 0 ? 0 : 1;
}
