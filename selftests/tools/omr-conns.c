// SPDX-License-Identifier: GPL-2.0
/*
 * omr-conns - many MPTCP connections, opened and held by one process, for
 * the path manager's connection-count test and benchmark (issue #13).
 *
 *   omr-conns serve ADDR PORT [-t SEC]
 *       accepts MPTCP connections on ADDR:PORT and holds them, reading
 *       what they send; prints "T bytes TOTAL conns N" when that changed
 *       (at most every 100 ms).
 *
 *   omr-conns open ADDR PORT N [-t SEC] [-a LOCAL,...] [-f CMD] [-r CMD]
 *                  [-s BYTES] [-w SEC] [-d SEC]
 *       opens N MPTCP connections to ADDR:PORT (128 connects in flight at
 *       once), writes one byte on each (an MPTCP client is fully
 *       established, and may be joined, once data was acknowledged) and
 *       holds them until -t SEC have passed (default 600):
 *         T opening D S              every 2 s while they open: D
 *                                    connected, S connects started
 *         T connected N MS           all N connected, after MS ms
 *         T tcp K                    K of them run plain TCP (MPTCP fell
 *                                    back: TCP_IS_MPTCP)
 *         T sf ROUND A1 A2...        per round of counting: how many of
 *                                    the N have an established subflow
 *                                    from each -a LOCAL address
 *                                    (MPTCP_SUBFLOW_ADDRS and
 *                                    MPTCP_TCPINFO on every msk)
 *         T ready MS                 all N have one from every -a address,
 *                                    MS ms after they connected (-w SEC:
 *                                    the bound, default 120; "T noready"
 *                                    past it; then up to 8 "T miss I
 *                                    port P mptcp 0|1 sf ADDR:PORT/STATE..."
 *                                    lines, the connections that lack one)
 *       then, after -d SEC (default 0), with -f CMD (a path failure, run
 *       with system()):
 *         T failover MS              none of the N has a subflow from the
 *                                    first -a address any more, MS ms
 *                                    after CMD started ("T nofailover")
 *         T sent N BYTES             with -s: BYTES written on each of the
 *                                    N (the server's total says they came)
 *       and with -r CMD (the path back):
 *         T recovery MS              all N have a subflow from every -a
 *                                    address again ("T norecovery")
 *         T end                      when it stops holding them
 *
 * T is CLOCK_MONOTONIC in ms. RLIMIT_NOFILE is raised to what N needs
 * (root in the test VM). Exit status 0 unless a step failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/mptcp.h>
#include <netinet/tcp.h>

/* getsockopt(SOL_TCP): 1 if the socket runs MPTCP, 0 if it fell back.
 * Linux 5.16 uapi; Debian 12's libc headers do not have it. */
#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43
#endif

#define MAX_LOCAL	8
#define MAX_SF		16
#define INFLIGHT	128

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "omr-conns: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Room for @n descriptors, or as many as the hard limit allows. */
static void nofile(long n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };

	if (!setrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit(RLIMIT_NOFILE)");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || (long)rl.rlim_max < n + 16)
		fprintf(stderr, "omr-conns: RLIMIT_NOFILE %ld, %ld wanted\n",
			(long)rl.rlim_cur, n + 64);
}

static struct sockaddr_in sin_of(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	sa.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "omr-conns: bad IPv4 address '%s'\n", addr);
		exit(2);
	}
	return sa;
}

static int serve(struct sockaddr_in sa, int secs)
{
	int64_t end = mono_ms() + secs * 1000LL, last = 0;
	long long total = 0, shown = -1;
	struct epoll_event ev, evs[256];
	int one = 1, ls, ep, n, i, conns = 0;
	char buf[65536];

	nofile(200000);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_MPTCP);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4096))
		die("bind/listen");
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("%lld listening\n", (long long)mono_ms());
	fflush(stdout);
	while (mono_ms() < end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c;
			ssize_t r;

			if (fd == ls) {
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					conns++;
				}
				continue;
			}
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				total += r;
			if (r == 0) {
				close(fd);
				conns--;
			}
		}
		if (total != shown && mono_ms() - last >= 100) {
			last = mono_ms();
			shown = total;
			printf("%lld bytes %lld conns %d\n", (long long)last, total, conns);
			fflush(stdout);
		}
	}
	return 0;
}

/*
 * How many of the @n connections run plain TCP (TCP_IS_MPTCP 0): MPTCP fell
 * back, most often because the kernel's token table had no room for their
 * token (MPFallbackTokenInit; docs/path-manager.md, "Connection count").
 */
static int count_tcp(const int *fds, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int v = 1;
		socklen_t len = sizeof(v);

		if (!getsockopt(fds[i], SOL_TCP, TCP_IS_MPTCP, &v, &len) && !v)
			k++;
	}
	return k;
}

/* Open @n connections, INFLIGHT at once; their fds in @fds. */
static int open_all(struct sockaddr_in sa, int *fds, int n)
{
	int ep = epoll_create1(0), started = 0, done = 0, pending = 0, i, k;
	struct epoll_event ev, evs[INFLIGHT];
	int64_t t0 = mono_ms(), shown = t0;

	while (done < n) {
		while (pending < INFLIGHT && started < n) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_MPTCP);

			if (fd < 0)
				die("socket");
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
				die("connect");
			fds[started] = fd;
			ev = (struct epoll_event){ .events = EPOLLOUT, .data.u32 = started };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			started++;
			pending++;
		}
		k = epoll_wait(ep, evs, INFLIGHT, 10000);
		if (k <= 0) {
			fprintf(stderr, "omr-conns: connects stalled at %d of %d\n", done, n);
			return -1;
		}
		for (i = 0; i < k; i++) {
			int fd = fds[evs[i].data.u32], err = 0;
			socklen_t len = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				errno = err;
				die("connect (completion)");
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			/*
			 * One byte, as a real client's request: an MPTCP
			 * client is fully established (joins allowed) only
			 * once the peer acknowledges data.
			 */
			if (write(fd, "", 1) != 1)
				die("write (first byte)");
			pending--;
			done++;
		}
		if (mono_ms() - shown >= 2000) {
			shown = mono_ms();
			printf("%lld opening %d %d\n", (long long)shown, done, started);
		}
	}
	close(ep);
	printf("%lld connected %d %lld\n", (long long)mono_ms(), n,
	       (long long)(mono_ms() - t0));
	printf("%lld tcp %d\n", (long long)mono_ms(), count_tcp(fds, n));
	fflush(stdout);
	return 0;
}

struct sfbuf {
	struct mptcp_subflow_data d;
	struct mptcp_subflow_addrs a[MAX_SF];
};

struct tibuf {
	struct mptcp_subflow_data d;
	struct tcp_info t[MAX_SF];
};

/* One msk's subflow addresses and tcp_info, in the same list order. */
static int sf_read(int fd, struct sfbuf *b, struct tibuf *ti)
{
	socklen_t len = sizeof(*b), tlen = sizeof(*ti);

	memset(b, 0, sizeof(b->d));
	memset(ti, 0, sizeof(ti->d));
	b->d.size_subflow_data = sizeof(b->d);
	b->d.size_user = sizeof(b->a[0]);
	ti->d.size_subflow_data = sizeof(ti->d);
	ti->d.size_user = sizeof(ti->t[0]);
	if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, b, &len) ||
	    getsockopt(fd, SOL_MPTCP, MPTCP_TCPINFO, ti, &tlen))
		return -1;
	return 0;
}

/*
 * The established subflows' local addresses of one msk. MPTCP keeps its
 * first subflow in the list after it is closed (msk->first, disconnected),
 * with its address: MPTCP_SUBFLOW_ADDRS alone would still show it. The
 * states come from MPTCP_TCPINFO, in the same list order; a subflow that
 * came or went between the two calls shows as a count that differs, and
 * the connection is read again.
 */
static int sf_established(int fd, struct in_addr *out)
{
	struct sfbuf b;
	struct tibuf ti;
	int tries, j, n = 0;

	for (tries = 0; tries < 3; tries++) {
		if (sf_read(fd, &b, &ti))
			return 0;
		if (b.d.num_subflows == ti.d.num_subflows)
			break;
	}
	for (j = 0; j < (int)b.d.num_subflows && j < MAX_SF; j++)
		if (b.a[j].sa_family == AF_INET &&
		    ti.t[j].tcpi_state == 1 /* TCP_ESTABLISHED */)
			out[n++] = b.a[j].sin_local.sin_addr;
	return n;
}

/* Per -a address: how many connections have a subflow from it. */
static void count(const int *fds, int n, const struct in_addr *loc, int nloc,
		  int *have)
{
	struct in_addr est[MAX_SF];
	int i, j, k, m;

	memset(have, 0, sizeof(*have) * nloc);
	for (i = 0; i < n; i++) {
		bool seen[MAX_LOCAL] = {};

		m = sf_established(fds[i], est);
		for (j = 0; j < m; j++)
			for (k = 0; k < nloc; k++)
				if (est[j].s_addr == loc[k].s_addr)
					seen[k] = true;
		for (k = 0; k < nloc; k++)
			have[k] += seen[k];
	}
}

/*
 * One connection that misses an -a address, described for the test's log
 * (at most a few of them, when a step timed out):
 *   T miss I port P mptcp 0|1 [err E] sf ADDR:STATE...
 * "mptcp 0" is a connection in TCP fallback (TCP_IS_MPTCP): the SOL_MPTCP
 * options then fail, and it has no subflow list to show.
 */
static void describe(int i, int fd)
{
	struct sockaddr_in me = {};
	socklen_t len = sizeof(me), ilen = sizeof(int);
	struct sfbuf b;
	struct tibuf ti;
	int is_mptcp = -1, j;

	getsockname(fd, (struct sockaddr *)&me, &len);
	getsockopt(fd, SOL_TCP, TCP_IS_MPTCP, &is_mptcp, &ilen);
	printf("%lld miss %d port %u mptcp %d", (long long)mono_ms(), i,
	       ntohs(me.sin_port), is_mptcp);
	if (sf_read(fd, &b, &ti)) {
		printf(" err %s\n", strerror(errno));
		return;
	}
	printf(" sf");
	for (j = 0; j < (int)b.d.num_subflows && j < MAX_SF; j++) {
		char a[INET_ADDRSTRLEN] = "?";

		if (b.a[j].sa_family == AF_INET)
			inet_ntop(AF_INET, &b.a[j].sin_local.sin_addr, a, sizeof(a));
		printf(" %s:%u/%u", a, ntohs(b.a[j].sin_local.sin_port),
		       j < (int)ti.d.num_subflows ? ti.t[j].tcpi_state : 0);
	}
	printf("\n");
}

/* The first few connections that lack a subflow from an -a address. */
static void describe_missing(const int *fds, int n, const struct in_addr *loc,
			     int nloc)
{
	struct in_addr est[MAX_SF];
	int i, j, k, m, shown = 0;

	for (i = 0; i < n && shown < 8; i++) {
		int seen = 0;

		m = sf_established(fds[i], est);
		for (k = 0; k < nloc; k++)
			for (j = 0; j < m; j++)
				if (est[j].s_addr == loc[k].s_addr) {
					seen++;
					break;
				}
		if (seen < nloc) {
			describe(i, fds[i]);
			shown++;
		}
	}
	fflush(stdout);
}

static bool all_have(const int *have, int nloc, int n);

/*
 * Count rounds until @done says so or @bound_ms passes; prints each round.
 * Returns the ms from @t0 to the end of the round that satisfied it, or -1.
 */
static long long rounds(const int *fds, int n, const struct in_addr *loc,
			int nloc, int64_t t0, int64_t bound_ms,
			bool (*done)(const int *have, int nloc, int n))
{
	int have[MAX_LOCAL], r = 0, k;

	for (;;) {
		count(fds, n, loc, nloc, have);
		printf("%lld sf %d", (long long)mono_ms(), r++);
		for (k = 0; k < nloc; k++)
			printf(" %d", have[k]);
		printf("\n");
		fflush(stdout);
		if (done(have, nloc, n))
			return mono_ms() - t0;
		if (mono_ms() - t0 > bound_ms) {
			if (done == all_have)
				describe_missing(fds, n, loc, nloc);
			return -1;
		}
		usleep(20000);
	}
}

static bool all_have(const int *have, int nloc, int n)
{
	int k;

	for (k = 0; k < nloc; k++)
		if (have[k] != n)
			return false;
	return true;
}

static bool first_gone(const int *have, int nloc, int n)
{
	(void)nloc;
	(void)n;
	return have[0] == 0;
}

static int step(const char *name, const char *cmd, const int *fds, int n,
		const struct in_addr *loc, int nloc, int64_t bound_ms,
		bool (*done)(const int *have, int nloc, int n))
{
	int64_t t0 = mono_ms();
	long long ms;

	if (cmd && system(cmd) != 0) {
		fprintf(stderr, "omr-conns: '%s' failed\n", cmd);
		return 1;
	}
	ms = rounds(fds, n, loc, nloc, t0, bound_ms, done);
	printf("%lld %s%s %lld\n", (long long)mono_ms(), ms < 0 ? "no" : "",
	       name, ms);
	fflush(stdout);
	return ms < 0;
}

static int send_all(const int *fds, int n, int bytes)
{
	char *buf = calloc(1, bytes);
	int i, ok = 0;

	for (i = 0; buf && i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLOUT };

		if (poll(&p, 1, 5000) == 1 && write(fds[i], buf, bytes) == bytes)
			ok++;
	}
	free(buf);
	printf("%lld sent %d %d\n", (long long)mono_ms(), ok, bytes);
	fflush(stdout);
	return ok != n;
}

struct opts {
	int secs, wait_s, bytes, nloc, delay_s;
	const char *fail, *rec;
	struct in_addr loc[MAX_LOCAL];
};

static void parse_locals(struct opts *o, char *list)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok && o->nloc < MAX_LOCAL;
	     tok = strtok_r(NULL, ",", &save))
		if (inet_pton(AF_INET, tok, &o->loc[o->nloc++]) != 1) {
			fprintf(stderr, "omr-conns: bad -a address '%s'\n", tok);
			exit(2);
		}
}

static int open_cmd(struct sockaddr_in sa, int n, struct opts *o)
{
	int64_t end = mono_ms() + o->secs * 1000LL, t0;
	int *fds = calloc(n, sizeof(*fds)), rc = 0;

	if (!fds)
		die("calloc");
	nofile(n);
	if (open_all(sa, fds, n))
		return 1;
	t0 = mono_ms();
	if (o->nloc && rounds(fds, n, o->loc, o->nloc, t0, o->wait_s * 1000LL,
			      all_have) < 0) {
		printf("%lld noready\n", (long long)mono_ms());
		return 1;
	}
	printf("%lld ready %lld\n", (long long)mono_ms(), (long long)(mono_ms() - t0));
	fflush(stdout);
	if (o->delay_s)
		sleep(o->delay_s);
	if (o->fail)
		rc |= step("failover", o->fail, fds, n, o->loc, o->nloc,
			   o->wait_s * 1000LL, first_gone);
	if (o->fail && o->bytes)
		rc |= send_all(fds, n, o->bytes);
	if (o->rec)
		rc |= step("recovery", o->rec, fds, n, o->loc, o->nloc,
			   o->wait_s * 1000LL, all_have);
	while (mono_ms() < end)
		usleep(100000);
	printf("%lld end\n", (long long)mono_ms());
	fflush(stdout);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: omr-conns serve ADDR PORT [-t SEC]\n"
		"       omr-conns open ADDR PORT N [-t SEC] [-a LOCAL,...] [-f CMD] [-r CMD] [-s BYTES] [-w SEC] [-d SEC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .secs = 600, .wait_s = 120 };
	bool srv;
	int c, n = 0;

	if (argc < 4)
		usage();
	srv = !strcmp(argv[1], "serve");
	if (!srv && (strcmp(argv[1], "open") || argc < 5))
		usage();
	if (!srv)
		n = atoi(argv[4]);
	optind = srv ? 4 : 5;
	while ((c = getopt(argc, argv, "t:a:f:r:s:w:d:")) != -1) {
		switch (c) {
		case 't': o.secs = atoi(optarg); break;
		case 'a': parse_locals(&o, optarg); break;
		case 'f': o.fail = optarg; break;
		case 'r': o.rec = optarg; break;
		case 's': o.bytes = atoi(optarg); break;
		case 'w': o.wait_s = atoi(optarg); break;
		case 'd': o.delay_s = atoi(optarg); break;
		default: usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (srv)
		return serve(sin_of(argv[2], argv[3]), o.secs);
	if (n <= 0)
		usage();
	return open_cmd(sin_of(argv[2], argv[3]), n, &o);
}
