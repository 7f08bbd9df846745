// SPDX-License-Identifier: GPL-2.0
/*
 * omr-xfer - measuring MPTCP bulk transfer / latency probe for omr selftests.
 *
 * One process per side. The client sends a small header describing the
 * transfer, so the server needs nothing but a listen address. Data is a
 * deterministic pseudo-random stream that the receiver regenerates and
 * compares byte by byte; both sides print a digest of what they sent or
 * received, plus per-subflow MPTCP statistics taken just before close.
 *
 * Exit status: 0 ok, 1 data mismatch / short transfer, 2 usage, 3 network.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * linux/tcp.h rather than netinet/tcp.h: glibc's struct tcp_info stops
 * before tcpi_bytes_sent, and the two headers cannot be mixed.
 */
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/tcp.h>


#define EXIT_OK		0
#define EXIT_DATA	1
#define EXIT_USAGE	2
#define EXIT_NET	3

#define XFER_MAGIC	0x6f6d7278u	/* "omrx" */
#define XFER_VERSION	1
#define XFER_ACK	0x06
#define XFER_NAK	0x15

#define MODE_BULK	0
#define MODE_ECHO	1

#define DIR_UP		1	/* client -> server */
#define DIR_DOWN	2	/* server -> client */
#define DIR_BOTH	(DIR_UP | DIR_DOWN)

#define BUF_SIZE	(256 * 1024)	/* multiple of 8: words never straddle */
#define MAX_SUBFLOWS	16
#define MAX_MSG_SIZE	(1024 * 1024)
#define DEFAULT_SEED	0x6f6d72ULL

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;

/* Wire header, all big endian. Fixed 32 bytes so it is read in one go. */
struct xfer_hdr {
	u32 magic;
	u8 version;
	u8 mode;
	u8 dir;
	u8 pad;
	u64 size;	/* bulk: bytes per direction; echo: message size */
	u64 seed;
	u64 duration_ms;	/* bulk: each sender stops after this; 0 = by size */
} __attribute__((packed));

struct opts {
	bool server;
	bool tcp;		/* -T: plain TCP instead of MPTCP */
	bool json;
	bool forever;		/* -n */
	bool seed_set;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct sockaddr_storage proxy;	/* -x: SOCKS5 proxy, family 0 if none */
	socklen_t proxylen;
	u64 size;
	int dir;
	u64 seed;
	int wait_s;
	int interval_ms;	/* -i progress */
	long rr_count;		/* -r */
	size_t msg_size;	/* -m */
	int rr_interval_ms;	/* -R */
	int timeout_s;		/* -t, 0 = none */
	u64 duration_ms;	/* -D, 0 = none */
	const char *out_path;
};

static struct opts opt = {
	.size = 0,
	.dir = DIR_UP,
	.seed = DEFAULT_SEED,
	.wait_s = 5,
	.msg_size = 64,
	.rr_interval_ms = 10,
	.timeout_s = -1,
};

static u64 deadline_ns;		/* 0 = none; set once at startup */
static FILE *out_fp;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* small helpers */

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "omr-xfer: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Remaining time before the global deadline, as a poll() timeout. */
static int poll_timeout_ms(u64 extra_deadline)
{
	u64 dl = deadline_ns, now = now_ns();

	if (extra_deadline && (!dl || extra_deadline < dl))
		dl = extra_deadline;
	if (!dl)
		return -1;
	if (now >= dl)
		return 0;
	/* round up so we do not spin on a sub-millisecond remainder */
	return (int)((dl - now + 999999) / 1000000);
}

static bool timed_out(void)
{
	return deadline_ns && now_ns() >= deadline_ns;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Blocking-style I/O on a non-blocking socket, bounded by the deadline.
 * Returns 0 on success, -ETIMEDOUT, -EPIPE on early EOF, or -errno.
 */
static int wait_fd(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do {
		r = poll(&p, 1, poll_timeout_ms(0));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

/*
 * Move exactly len bytes to (tx) or from the socket, waiting on EAGAIN;
 * the peer closing before all arrived is -EPIPE.
 */
static int io_all(int fd, u8 *p, size_t len, bool tx)
{
	while (len) {
		ssize_t n = tx ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n == 0 && !tx)
			return -EPIPE;
		if (n < 0) {
			int r;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = wait_fd(fd, tx ? POLLOUT : POLLIN);
			if (r)
				return r;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	return io_all(fd, (u8 *)buf, len, true);
}

static int read_all(int fd, void *buf, size_t len)
{
	return io_all(fd, buf, len, false);
}

static void fmt_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

/* ------------------------------------------------------------------ */
/* data stream and digest */

static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * xorshift64* keyed by seed and direction, so the two directions of a
 * "both" transfer carry different data and a crossed stream is caught.
 */
struct stream {
	u64 x;
	u8 *buf;
	size_t pos;	/* bytes of buf already consumed */
	u64 off;	/* stream offset of buf[pos] */
};

static int stream_init(struct stream *s, u64 seed, int dir)
{
	s->x = splitmix64(seed ^ ((u64)dir << 56));
	if (!s->x)
		s->x = 1;
	s->buf = malloc(BUF_SIZE);
	s->pos = BUF_SIZE;	/* empty: first use refills */
	s->off = 0;
	return s->buf ? 0 : -ENOMEM;
}

static void stream_refill(struct stream *s)
{
	u64 x = s->x;
	size_t i;

	for (i = 0; i < BUF_SIZE; i += 8) {
		u64 w;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		w = htole64(x * 0x2545f4914f6cdd1dULL);
		memcpy(s->buf + i, &w, 8);
	}
	s->x = x;
	s->pos = 0;
}

/* Next unconsumed piece of the stream; at most BUF_SIZE bytes. */
static const u8 *stream_peek(struct stream *s, size_t *len)
{
	if (s->pos == BUF_SIZE)
		stream_refill(s);
	*len = BUF_SIZE - s->pos;
	return s->buf + s->pos;
}

static void stream_advance(struct stream *s, size_t n)
{
	s->pos += n;
	s->off += n;
}

/* Compare received bytes with the stream; returns index of mismatch or -1. */
static long stream_check(struct stream *s, const u8 *data, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t avail, m, i;
		const u8 *exp = stream_peek(s, &avail);

		m = n - done < avail ? n - done : avail;
		if (memcmp(exp, data + done, m)) {
			for (i = 0; exp[i] == data[done + i]; i++)
				;
			return (long)(done + i);
		}
		stream_advance(s, m);
		done += m;
	}
	return -1;
}

/*
 * 64-bit digest over little-endian 8-byte words: cheap enough not to be
 * the bottleneck at loopback speed, unlike byte-wise FNV. Bytes arriving
 * in odd-sized reads are carried over to the next call.
 */
struct digest {
	u64 h;
	u64 len;
	u8 carry[8];
	unsigned int nc;
};

static inline u64 digest_mix(u64 h, u64 w)
{
	h ^= w * 0x9e3779b97f4a7c15ULL;
	h = (h << 29) | (h >> 35);
	return h * 0xbf58476d1ce4e5b9ULL;
}

static void digest_init(struct digest *d)
{
	memset(d, 0, sizeof(*d));
	d->h = 0x6f6d722d78666572ULL;
}

static void digest_update(struct digest *d, const u8 *p, size_t n)
{
	u64 h = d->h, w;

	d->len += n;
	if (d->nc) {
		while (d->nc < 8 && n) {
			d->carry[d->nc++] = *p++;
			n--;
		}
		if (d->nc < 8) {
			d->h = h;
			return;
		}
		memcpy(&w, d->carry, 8);
		h = digest_mix(h, le64toh(w));
		d->nc = 0;
	}
	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = digest_mix(h, le64toh(w));
	}
	memcpy(d->carry, p, n);
	d->nc = (unsigned int)n;
	d->h = h;
}

static u64 digest_final(const struct digest *d)
{
	u64 h = d->h, w = 0;

	if (d->nc) {
		u8 tmp[8] = { 0 };

		memcpy(tmp, d->carry, d->nc);
		memcpy(&w, tmp, 8);
		h = digest_mix(h, le64toh(w));
	}
	h ^= d->len;
	return splitmix64(h);
}

/* ------------------------------------------------------------------ */
/* statistics */

struct sf_stat {
	char local[64];
	char remote[64];
	char dev[IF_NAMESIZE];
	size_t ti_len;		/* bytes of tcp_info the kernel filled */
	struct tcp_info ti;
};

struct conn_stats {
	bool is_mptcp;		/* socket opened as MPTCP */
	bool have_info;		/* MPTCP_INFO answered */
	bool fallback;
	u8 pm_subflows;		/* mptcpi_subflows: additional subflows */
	int n;
	struct sf_stat sf[MAX_SUBFLOWS];
};

#define TI_HAS(s, f) \
	((s)->ti_len >= offsetof(struct tcp_info, f) + sizeof((s)->ti.f))

static const void *sa_addr(const struct sockaddr *sa, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*len = 4;
		return &((const struct sockaddr_in *)sa)->sin_addr;
	}
	*len = 16;
	return &((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static void nl_put_attr(struct nlmsghdr *n, int type, const void *data,
			size_t len)
{
	struct rtattr *rta = (void *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int rtm_oif(struct nlmsghdr *n)
{
	struct rtattr *rta = RTM_RTA(NLMSG_DATA(n));
	int rlen = (int)RTM_PAYLOAD(n), oif = 0;

	for (; RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen))
		if (rta->rta_type == RTA_OIF)
			memcpy(&oif, RTA_DATA(rta), sizeof(oif));
	return oif;
}

/*
 * Which device the kernel routes local -> remote through, like
 * "ip route get REMOTE from LOCAL": with source routing for extra
 * subflows the owner of the local address is often not the egress device.
 */
static int route_oif(const struct sockaddr *local, const struct sockaddr *remote)
{
	struct {
		struct nlmsghdr n;
		struct rtmsg r;
		/* cppcheck-suppress unusedStructMember ; room for the rtattrs */
		char buf[64];
	} req;
	char resp[4096];
	struct nlmsghdr *n = (void *)resp;
	size_t alen;
	const void *a;
	ssize_t len;
	int fd;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.r.rtm_family = (unsigned char)remote->sa_family;
	a = sa_addr(remote, &alen);
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	nl_put_attr(&req.n, RTA_DST, a, alen);
	a = sa_addr(local, &alen);
	req.r.rtm_src_len = (unsigned char)(alen * 8);
	nl_put_attr(&req.n, RTA_SRC, a, alen);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return 0;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0) {
		close(fd);
		return 0;
	}
	len = recv(fd, resp, sizeof(resp), 0);
	close(fd);
	if (len < (ssize_t)NLMSG_LENGTH(sizeof(struct rtmsg)) ||
	    !NLMSG_OK(n, (unsigned int)len) || n->nlmsg_type != RTM_NEWROUTE)
		return 0;
	return rtm_oif(n);
}

/* Fallback when routing cannot tell: the device owning the local address. */
static void local_addr_dev(const struct sockaddr *sa, char *dev, size_t len)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr *a = i->ifa_addr;
		const void *x, *y;
		size_t xl, yl;

		if (!a || a->sa_family != sa->sa_family)
			continue;
		x = sa_addr(a, &xl);
		y = sa_addr(sa, &yl);
		if (!memcmp(x, y, xl))
			break;
	}
	if (i)
		snprintf(dev, len, "%s", i->ifa_name);
	freeifaddrs(ifa);
}

static void subflow_dev(const struct sockaddr *local,
			const struct sockaddr *remote, char *dev, size_t len)
{
	char name[IF_NAMESIZE];
	int oif;

	dev[0] = '\0';
	if (local->sa_family != AF_INET && local->sa_family != AF_INET6)
		return;
	oif = route_oif(local, remote);
	if (oif > 0 && if_indextoname((unsigned int)oif, name)) {
		snprintf(dev, len, "%s", name);
		return;
	}
	local_addr_dev(local, dev, len);
}

/* Plain TCP or MPTCP fallback: the socket itself is the only "subflow". */
static void stats_single(int fd, struct conn_stats *st)
{
	struct sf_stat *s = &st->sf[0];
	struct sockaddr_storage l, r;
	socklen_t sl = sizeof(struct tcp_info);

	memset(s, 0, sizeof(*s));
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &s->ti, &sl))
		s->ti_len = sl;
	sl = sizeof(l);
	if (getsockname(fd, (struct sockaddr *)&l, &sl))
		l.ss_family = AF_UNSPEC;
	sl = sizeof(r);
	if (getpeername(fd, (struct sockaddr *)&r, &sl))
		r.ss_family = AF_UNSPEC;
	fmt_sockaddr((struct sockaddr *)&l, s->local, sizeof(s->local));
	fmt_sockaddr((struct sockaddr *)&r, s->remote, sizeof(s->remote));
	if (l.ss_family == r.ss_family)
		subflow_dev((struct sockaddr *)&l, (struct sockaddr *)&r,
			    s->dev, sizeof(s->dev));
	st->n = 1;
}

/*
 * MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS return a header followed by one
 * element per subflow; the kernel shrinks size_user to what it filled,
 * which is how an older kernel's missing tcp_info tail is detected.
 */
static int stats_subflows(int fd, struct conn_stats *st)
{
	struct {
		struct mptcp_subflow_data d;
		struct tcp_info ti[MAX_SUBFLOWS];
	} ti;
	struct {
		struct mptcp_subflow_data d;
		struct mptcp_subflow_addrs a[MAX_SUBFLOWS];
	} ad;
	socklen_t len = sizeof(ti);
	u32 i, n, na;

	memset(&ti, 0, sizeof(ti));
	ti.d.size_subflow_data = sizeof(ti.d);
	ti.d.size_user = sizeof(struct tcp_info);
	if (getsockopt(fd, SOL_MPTCP, MPTCP_TCPINFO, &ti, &len))
		return -errno;

	memset(&ad, 0, sizeof(ad));
	ad.d.size_subflow_data = sizeof(ad.d);
	ad.d.size_user = sizeof(struct mptcp_subflow_addrs);
	len = sizeof(ad);
	if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &ad, &len))
		ad.d.num_subflows = 0;

	n = ti.d.num_subflows < MAX_SUBFLOWS ? ti.d.num_subflows : MAX_SUBFLOWS;
	na = ad.d.num_subflows < MAX_SUBFLOWS ? ad.d.num_subflows : MAX_SUBFLOWS;
	/* cppcheck-suppress knownConditionTrueFalse ; getsockopt() filled ti */
	for (i = 0; i < n; i++) {
		struct sf_stat *s = &st->sf[i];

		memset(s, 0, sizeof(*s));
		s->ti_len = ti.d.size_user;
		/* elements are packed at size_user stride, not ours */
		memcpy(&s->ti, (u8 *)ti.ti + (size_t)i * ti.d.size_user,
		       ti.d.size_user);
		/* both lists walk conn_list in order; only pair if same length */
		if (na == n && ad.d.size_user >= sizeof(struct mptcp_subflow_addrs)) {
			struct mptcp_subflow_addrs *a = &ad.a[i];

			fmt_sockaddr(&a->sa_local, s->local, sizeof(s->local));
			fmt_sockaddr(&a->sa_remote, s->remote, sizeof(s->remote));
			subflow_dev(&a->sa_local, &a->sa_remote, s->dev,
				    sizeof(s->dev));
		}
	}
	st->n = (int)n;
	return 0;
}

static void stats_collect(int fd, struct conn_stats *st)
{
	struct mptcp_info mi;
	socklen_t len = sizeof(mi);

	st->n = 0;
	if (!st->is_mptcp) {
		stats_single(fd, st);
		return;
	}
	memset(&mi, 0, sizeof(mi));
	if (!getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &len)) {
		st->have_info = true;
		st->pm_subflows = mi.mptcpi_subflows;
		st->fallback = !!(mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK);
	} else {
		/* older kernels pass SOL_MPTCP to TCP once fallen back */
		st->fallback = true;
	}
	if (st->fallback || stats_subflows(fd, st))
		stats_single(fd, st);
}

/* Let the peer ack what we sent so tcpi_bytes_acked is final; best effort. */
static void wait_outq_drained(int fd)
{
	u64 end = now_ns() + 2000000000ULL;
	int outq;

	while (now_ns() < end && !timed_out()) {
		if (ioctl(fd, SIOCOUTQ, &outq) || outq <= 1)
			return;
		usleep(1000);
	}
}

/* ------------------------------------------------------------------ */
/* bulk transfer */

struct xfer {
	/* setup */
	int fd;
	bool do_tx, do_rx;
	u64 size;		/* rx: the most we expect; tx: see tx_size */
	u64 seed;
	u64 duration_ns;	/* 0: by size; else the sender stops then */
	/* tx side */
	u64 tx_size;		/* what we send: size, or what we sent when time ran out */
	struct stream tx_s;
	struct digest tx_d;
	u64 tx_bytes, tx_t0, tx_t1;	/* first write, last byte written */
	u64 tx_drain;			/* then waiting for it to be acked */
	/* rx side */
	struct stream rx_s;
	struct digest rx_d;
	u64 rx_bytes, rx_first, rx_last, rx_max_gap;
	u64 rx_max_gap_end;	/* when the longest gap ended (mono ns) */
	long long mismatch;	/* stream offset, -1 if none */
	/* outcome */
	struct conn_stats *st;
	bool st_taken;
	u64 t_start;
	int status;
	char error[128];
};

static void xfer_fail(struct xfer *x, int status, const char *fmt, ...)
{
	va_list ap;

	if (x->status)
		return;		/* keep the first cause */
	x->status = status;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
}

static void xfer_progress(struct xfer *x, const char *role, u64 now)
{
	double el = (double)(now - x->t_start) / 1e9;

	fprintf(stderr, "omr-xfer %s: t=%.3fs rx=%" PRIu64 " tx=%" PRIu64 "\n",
		role, el, x->rx_bytes, x->tx_bytes);
}

/*
 * Bounded batches per poll round: on loopback the socket may never run
 * dry, and an unbounded loop would starve the other direction of "both"
 * and the progress ticks.
 */
#define XFER_BATCH	8

/* Read what is there; returns 1 on EOF, 0 if more may come, <0 on error. */
static int xfer_rx(struct xfer *x, u8 *buf)
{
	int i;

	for (i = 0; i < XFER_BATCH; i++) {
		ssize_t n = recv(x->fd, buf, BUF_SIZE, 0);
		u64 now;

		if (n == 0)
			return 1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		now = now_ns();
		if (!x->do_rx) {
			xfer_fail(x, EXIT_DATA, "unexpected data from peer");
			return -EPROTO;
		}
		if (x->rx_bytes) {
			if (now - x->rx_last > x->rx_max_gap) {
				x->rx_max_gap = now - x->rx_last;
				x->rx_max_gap_end = now;
			}
		} else {
			x->rx_first = now;
		}
		x->rx_last = now;
		digest_update(&x->rx_d, buf, (size_t)n);
		if (x->mismatch < 0 && x->rx_bytes < x->size) {
			size_t cmp = (size_t)n;
			long bad;

			if (x->rx_bytes + cmp > x->size)
				cmp = (size_t)(x->size - x->rx_bytes);
			bad = stream_check(&x->rx_s, buf, cmp);
			if (bad >= 0)
				x->mismatch = (long long)(x->rx_bytes + (u64)bad);
		}
		x->rx_bytes += (u64)n;
	}
	return 0;
}

/* Push as much as the socket takes; returns 0 or -errno. */
static int xfer_tx(struct xfer *x)
{
	int i;

	for (i = 0; i < XFER_BATCH && x->tx_bytes < x->tx_size; i++) {
		size_t len;
		const u8 *p = stream_peek(&x->tx_s, &len);
		ssize_t n;

		if (len > x->tx_size - x->tx_bytes)
			len = (size_t)(x->tx_size - x->tx_bytes);
		n = send(x->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (!x->tx_bytes)
			x->tx_t0 = now_ns();
		digest_update(&x->tx_d, p, (size_t)n);
		stream_advance(&x->tx_s, (size_t)n);
		x->tx_bytes += (u64)n;
		if (x->tx_bytes == x->tx_size)
			x->tx_t1 = now_ns();
	}
	return 0;
}

/*
 * A transfer bounded by time (-D): once its time is up the sender's
 * stream ends where it is, and the receiver takes EOF as its end.
 */
static u64 xfer_tx_deadline(const struct xfer *x)
{
	if (!x->duration_ns || !x->do_tx || x->tx_bytes >= x->tx_size)
		return 0;
	return x->t_start + x->duration_ns;
}

/*
 * SIGUSR1 ends a transfer bounded by time now, as if its -D had run out:
 * a test bounds it by a long -D and cuts it once it saw what it waited
 * for, so a slow machine cannot end the transfer before the test's events.
 */
static volatile sig_atomic_t cut_requested;

static void on_sigusr1(int sig)
{
	(void)sig;
	cut_requested = 1;
}

static void xfer_tx_cut(struct xfer *x, u64 now)
{
	u64 dl = xfer_tx_deadline(x);

	if (dl && (now >= dl || cut_requested)) {
		x->tx_size = x->tx_bytes;
		x->tx_t1 = now;
	}
}

/*
 * Our write side may be shut when we sent everything and, if we receive,
 * got the announced size too; a side that sends nothing waits for EOF.
 */
static bool xfer_can_shut(const struct xfer *x, bool eof)
{
	if (!x->do_tx)
		return eof;
	/* -D: the peer's stream has no announced size, only its EOF */
	return x->tx_bytes == x->tx_size &&
	       (!x->do_rx || eof || x->rx_bytes >= x->size || x->duration_ns);
}

/*
 * Snapshot the subflows before our FIN: once both DATA_FINs are through
 * the kernel may already disconnect the subflows and zero their tcp_info.
 * Waiting for our data to be acked first makes tcpi_bytes_acked final.
 */
static void xfer_finish_tx(struct xfer *x)
{
	if (x->do_tx) {
		u64 t = now_ns();

		wait_outq_drained(x->fd);
		x->tx_drain = now_ns() - t;
	}
	stats_collect(x->fd, x->st);
	x->st_taken = true;
}

/* The earlier of the progress tick (receivers) and the end of -D. */
static u64 xfer_next_wake(const struct xfer *x, u64 next_tick)
{
	u64 a = x->do_rx ? next_tick : 0, b = xfer_tx_deadline(x);

	if (!a || (b && b < a))
		return b;
	return a;
}

/*
 * One poll loop for all directions, so "both" really overlaps. The rule
 * that makes both ends finish cleanly: a sender shuts down its write side
 * after the last byte; a side that sends nothing shuts down only after
 * it saw EOF. Each side then reads to EOF, so when the sender sees EOF
 * the receiver has consumed everything.
 */
static void xfer_run(struct xfer *x, const char *role)
{
	u64 tick = opt.interval_ms ? (u64)opt.interval_ms * 1000000ULL : 0;
	u64 next_tick = x->t_start + tick;
	bool eof = false, shut = false;
	u8 *buf = malloc(BUF_SIZE);
	int r;

	if (!buf) {
		xfer_fail(x, EXIT_NET, "out of memory");
		return;
	}
	for (;;) {
		struct pollfd p = { .fd = x->fd };
		u64 now;

		if (!shut && xfer_can_shut(x, eof)) {
			xfer_finish_tx(x);
			if (shutdown(x->fd, SHUT_WR)) {
				xfer_fail(x, EXIT_NET, "shutdown: %s", strerror(errno));
				break;
			}
			shut = true;
		}
		if (eof && shut)
			break;
		if (!eof)
			p.events |= POLLIN;
		if (x->do_tx && x->tx_bytes < x->tx_size)
			p.events |= POLLOUT;

		r = poll(&p, 1, poll_timeout_ms(xfer_next_wake(x, tick ? next_tick : 0)));
		if (r < 0 && errno != EINTR) {
			xfer_fail(x, EXIT_NET, "poll: %s", strerror(errno));
			break;
		}
		now = now_ns();
		xfer_tx_cut(x, now);
		if (tick && x->do_rx && now >= next_tick) {
			xfer_progress(x, role, now);
			while (next_tick <= now)
				next_tick += tick;
		}
		if (timed_out()) {
			xfer_fail(x, EXIT_NET, "timeout");
			break;
		}
		if (r <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = xfer_rx(x, buf);
			if (r < 0) {
				xfer_fail(x, EXIT_NET, "recv: %s", strerror(-r));
				break;
			}
			eof = r == 1;
		}
		if (p.revents & POLLOUT) {
			r = xfer_tx(x);
			if (r < 0) {
				xfer_fail(x, EXIT_NET, "send: %s", strerror(-r));
				break;
			}
		}
	}
	free(buf);

	/* on error or timeout, whatever the subflows still tell is useful */
	if (!x->st_taken)
		stats_collect(x->fd, x->st);
	if (!x->do_rx)
		return;
	if (x->mismatch >= 0)
		xfer_fail(x, EXIT_DATA, "data mismatch at offset %lld", x->mismatch);
	else if (x->rx_bytes != x->size && eof && !x->duration_ns)
		xfer_fail(x, EXIT_DATA, "received %" PRIu64 " of %" PRIu64 " bytes",
			  x->rx_bytes, x->size);
}

static int xfer_setup(struct xfer *x, int fd, const struct xfer_hdr *h,
		      u64 seed, bool server, struct conn_stats *st)
{
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->st = st;
	x->size = h->size;
	x->duration_ns = h->duration_ms * 1000000ULL;
	/* bounded by time alone (-s 0 -D MS): as much as fits in the time */
	if (x->duration_ns && !x->size)
		x->size = UINT64_MAX;
	x->tx_size = x->size;
	x->seed = seed;
	x->mismatch = -1;
	x->do_tx = server ? h->dir & DIR_DOWN : h->dir & DIR_UP;
	x->do_rx = server ? h->dir & DIR_UP : h->dir & DIR_DOWN;
	digest_init(&x->tx_d);
	digest_init(&x->rx_d);
	/* each direction has its own stream, keyed by its direction */
	if (stream_init(&x->tx_s, seed, server ? DIR_DOWN : DIR_UP) ||
	    stream_init(&x->rx_s, seed, server ? DIR_UP : DIR_DOWN)) {
		free(x->tx_s.buf);
		free(x->rx_s.buf);
		return -ENOMEM;
	}
	return 0;
}

static void xfer_free(struct xfer *x)
{
	free(x->tx_s.buf);
	free(x->rx_s.buf);
}

/* ------------------------------------------------------------------ */
/* latency probe */

struct lat {
	int fd;
	long count;
	u32 *rtt_us;
	long done;
	int status;
	char error[128];
};

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile over a sorted array */
static u32 pct(const u32 *v, long n, int p)
{
	long idx = (n * p + 99) / 100 - 1;

	if (idx < 0)
		idx = 0;
	return v[idx];
}

static void *lat_thread(void *arg)
{
	struct lat *l = arg;
	u8 *tx = malloc(opt.msg_size), *rx = malloc(opt.msg_size);
	u64 start = now_ns(), ival = (u64)opt.rr_interval_ms * 1000000ULL;
	long i;

	if (!tx || !rx) {
		l->status = EXIT_NET;
		snprintf(l->error, sizeof(l->error), "out of memory");
		goto out;
	}
	for (i = 0; i < l->count; i++) {
		u64 t0, t1, next = start + (u64)i * ival;
		struct timespec ts = {
			.tv_sec = (time_t)(next / 1000000000ULL),
			.tv_nsec = (long)(next % 1000000000ULL),
		};
		int r;

		/* fixed schedule, so a slow reply does not shift later probes */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		memset(tx, (int)(i & 0xff), opt.msg_size);
		memcpy(tx, &i, opt.msg_size < sizeof(i) ? opt.msg_size : sizeof(i));
		t0 = now_ns();
		r = write_all(l->fd, tx, opt.msg_size);
		if (!r)
			r = read_all(l->fd, rx, opt.msg_size);
		t1 = now_ns();
		if (r) {
			l->status = EXIT_NET;
			snprintf(l->error, sizeof(l->error), "probe %ld: %s", i,
				 strerror(-r));
			break;
		}
		if (memcmp(tx, rx, opt.msg_size)) {
			l->status = EXIT_DATA;
			snprintf(l->error, sizeof(l->error), "probe %ld: echo mismatch", i);
			break;
		}
		l->rtt_us[l->done++] = (u32)((t1 - t0) / 1000);
	}
out:
	free(tx);
	free(rx);
	shutdown(l->fd, SHUT_WR);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* reporting */

/* JSON string; device names and error texts are not ours to trust. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_tcpinfo_u64(FILE *f, const char *key, bool has, u64 v)
{
	if (has)
		fprintf(f, ",\"%s\":%" PRIu64, key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

static void json_subflows(FILE *f, const struct conn_stats *st)
{
	int i;

	fprintf(f, ",\"subflows\":[");
	for (i = 0; i < st->n; i++) {
		const struct sf_stat *s = &st->sf[i];

		fprintf(f, "%s{\"local\":\"%s\",\"remote\":\"%s\",\"dev\":",
			i ? "," : "", s->local, s->remote);
		if (s->dev[0])
			json_str(f, s->dev);
		else
			fprintf(f, "null");
		json_tcpinfo_u64(f, "bytes_sent", TI_HAS(s, tcpi_bytes_sent),
				 s->ti.tcpi_bytes_sent);
		json_tcpinfo_u64(f, "bytes_acked", TI_HAS(s, tcpi_bytes_acked),
				 s->ti.tcpi_bytes_acked);
		json_tcpinfo_u64(f, "bytes_received",
				 TI_HAS(s, tcpi_bytes_received),
				 s->ti.tcpi_bytes_received);
		json_tcpinfo_u64(f, "retrans", TI_HAS(s, tcpi_total_retrans),
				 s->ti.tcpi_total_retrans);
		json_tcpinfo_u64(f, "rtt_us", TI_HAS(s, tcpi_rtt),
				 s->ti.tcpi_rtt);
		json_tcpinfo_u64(f, "cwnd", TI_HAS(s, tcpi_snd_cwnd),
				 s->ti.tcpi_snd_cwnd);
		fprintf(f, "}");
	}
	fprintf(f, "]");
}

static double ms(u64 ns)
{
	return (double)ns / 1e6;
}

static double mbps(u64 bytes, u64 ns)
{
	return ns ? (double)bytes * 8.0 / ((double)ns / 1e9) / 1e6 : 0.0;
}

static const char *dir_name(int dir)
{
	return dir == DIR_UP ? "up" : dir == DIR_DOWN ? "down" :
	       dir == DIR_BOTH ? "both" : "?";
}

static void json_tx(FILE *f, const struct xfer *x)
{
	u64 d = x->tx_t1 > x->tx_t0 && x->tx_bytes ? x->tx_t1 - x->tx_t0 : 0;

	fprintf(f, ",\"tx\":{\"bytes\":%" PRIu64 ",\"digest\":\"%016" PRIx64
		"\",\"duration_ms\":%.3f,\"goodput_mbps\":%.2f,\"drain_ms\":%.3f"
		",\"first_mono_ms\":%.3f,\"last_mono_ms\":%.3f}",
		x->tx_bytes, digest_final(&x->tx_d), ms(d), mbps(x->tx_bytes, d),
		ms(x->tx_drain), ms(x->tx_t0), ms(x->tx_t1));
}

static void json_rx(FILE *f, const struct xfer *x)
{
	u64 d = x->rx_last - x->rx_first;

	fprintf(f, ",\"rx\":{\"bytes\":%" PRIu64 ",\"digest\":\"%016" PRIx64
		"\",\"duration_ms\":%.3f,\"goodput_mbps\":%.2f,\"max_gap_ms\":%.3f"
		",\"max_gap_end_mono_ms\":%.3f"
		",\"mismatch_offset\":%lld,\"first_mono_ms\":%.3f,\"last_mono_ms\":%.3f}",
		x->rx_bytes, digest_final(&x->rx_d), ms(d), mbps(x->rx_bytes, d),
		ms(x->rx_max_gap), ms(x->rx_max_gap_end), x->mismatch,
		ms(x->rx_first), ms(x->rx_last));
}

static void json_flat(FILE *f, const struct xfer *x)
{
	/*
	 * Flat keys describe the received stream if this side receives,
	 * otherwise the sent one: in up/down the script compares the two
	 * sides' flat "digest" directly.
	 */
	if (x->do_rx) {
		u64 d = x->rx_last - x->rx_first;

		fprintf(f, ",\"bytes\":%" PRIu64 ",\"digest\":\"%016" PRIx64
			"\",\"duration_ms\":%.3f,\"goodput_mbps\":%.2f,"
			"\"max_gap_ms\":%.3f",
			x->rx_bytes, digest_final(&x->rx_d), ms(d),
			mbps(x->rx_bytes, d), ms(x->rx_max_gap));
	} else if (x->do_tx) {
		u64 d = x->tx_t1 > x->tx_t0 && x->tx_bytes ? x->tx_t1 - x->tx_t0 : 0;

		fprintf(f, ",\"bytes\":%" PRIu64 ",\"digest\":\"%016" PRIx64
			"\",\"duration_ms\":%.3f,\"goodput_mbps\":%.2f,"
			"\"max_gap_ms\":null",
			x->tx_bytes, digest_final(&x->tx_d), ms(d),
			mbps(x->tx_bytes, d));
	} else {
		fprintf(f, ",\"bytes\":0,\"digest\":null,\"duration_ms\":0,"
			"\"goodput_mbps\":0,\"max_gap_ms\":null");
	}
}

static void json_latency(FILE *f, const struct lat *l)
{
	fprintf(f, ",\"latency\":{\"count\":%ld", l->done);
	if (l->done)
		fprintf(f, ",\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u",
			pct(l->rtt_us, l->done, 50), pct(l->rtt_us, l->done, 90),
			pct(l->rtt_us, l->done, 99), l->rtt_us[l->done - 1]);
	if (l->status) {
		fprintf(f, ",\"error\":");
		json_str(f, l->error);
	}
	fprintf(f, "}");
}

static void report_json(FILE *f, const char *role, int dir, const struct xfer *x,
			const struct conn_stats *st, const struct lat *l, int status)
{
	fprintf(f, "{\"role\":\"%s\",\"proto\":\"%s\",\"dir\":\"%s\",\"size\":%" PRIu64
		",\"seed\":\"%#" PRIx64 "\",\"ok\":%s,\"status\":%d",
		role, st->is_mptcp ? "mptcp" : "tcp", dir_name(dir), x->size,
		x->seed, status ? "false" : "true", status);
	if (x->status) {
		fprintf(f, ",\"error\":");
		json_str(f, x->error);
	} else if (l && l->status) {
		char e[160];

		snprintf(e, sizeof(e), "latency: %s", l->error);
		fprintf(f, ",\"error\":");
		json_str(f, e);
	}
	json_flat(f, x);
	if (x->do_tx)
		json_tx(f, x);
	if (x->do_rx)
		json_rx(f, x);
	fprintf(f, ",\"mptcp\":%s,\"fallback\":%s",
		st->is_mptcp && !st->fallback ? "true" : "false",
		st->fallback ? "true" : "false");
	if (st->have_info)
		fprintf(f, ",\"pm_subflows\":%u", st->pm_subflows);
	json_subflows(f, st);
	if (l)
		json_latency(f, l);
	fprintf(f, "}\n");
}

static void human_u64(FILE *f, const char *label, bool has, u64 v)
{
	if (has)
		fprintf(f, " %s %" PRIu64, label, v);
	else
		fprintf(f, " %s -", label);
}

static void report_human(FILE *f, const char *role, int dir, const struct xfer *x,
			 const struct conn_stats *st, const struct lat *l, int status)
{
	int i;

	fprintf(f, "omr-xfer %s: %s %s %" PRIu64 " bytes seed %#" PRIx64 ": %s",
		role, st->is_mptcp ? "mptcp" : "tcp", dir_name(dir), x->size,
		x->seed, status ? "FAIL" : "OK");
	if (x->status)
		fprintf(f, " (%s)", x->error);
	else if (l && l->status)
		fprintf(f, " (latency: %s)", l->error);
	fputc('\n', f);
	if (x->do_tx) {
		u64 d = x->tx_t1 > x->tx_t0 && x->tx_bytes ? x->tx_t1 - x->tx_t0 : 0;

		fprintf(f, "  tx: %" PRIu64 " bytes in %.1f ms = %.1f Mbit/s, digest %016"
			PRIx64 ", acked %.1f ms later\n", x->tx_bytes, ms(d),
			mbps(x->tx_bytes, d), digest_final(&x->tx_d), ms(x->tx_drain));
	}
	if (x->do_rx) {
		u64 d = x->rx_last - x->rx_first;

		fprintf(f, "  rx: %" PRIu64 " bytes in %.1f ms = %.1f Mbit/s, digest %016"
			PRIx64 ", max gap %.2f ms\n", x->rx_bytes, ms(d),
			mbps(x->rx_bytes, d), digest_final(&x->rx_d),
			ms(x->rx_max_gap));
	}
	if (st->is_mptcp)
		fprintf(f, "  mptcp: %d subflow(s)%s\n", st->n,
			st->fallback ? ", FALLBACK to TCP" : "");
	for (i = 0; i < st->n; i++) {
		const struct sf_stat *s = &st->sf[i];

		fprintf(f, "  #%d %s -> %s (%s):", i, s->local, s->remote,
			s->dev[0] ? s->dev : "?");
		human_u64(f, "sent", TI_HAS(s, tcpi_bytes_sent), s->ti.tcpi_bytes_sent);
		human_u64(f, "acked", TI_HAS(s, tcpi_bytes_acked), s->ti.tcpi_bytes_acked);
		human_u64(f, "rcvd", TI_HAS(s, tcpi_bytes_received),
			  s->ti.tcpi_bytes_received);
		human_u64(f, "retrans", TI_HAS(s, tcpi_total_retrans),
			  s->ti.tcpi_total_retrans);
		human_u64(f, "rtt_us", TI_HAS(s, tcpi_rtt), s->ti.tcpi_rtt);
		human_u64(f, "cwnd", TI_HAS(s, tcpi_snd_cwnd), s->ti.tcpi_snd_cwnd);
		fputc('\n', f);
	}
	if (l && l->done)
		fprintf(f, "  latency: %ld probes of %zu bytes, p50 %u us, p90 %u us, "
			"p99 %u us, max %u us\n", l->done, opt.msg_size,
			pct(l->rtt_us, l->done, 50), pct(l->rtt_us, l->done, 90),
			pct(l->rtt_us, l->done, 99), l->rtt_us[l->done - 1]);
}

static void report(const char *role, int dir, const struct xfer *x,
		   const struct conn_stats *st, const struct lat *l, int status)
{
	pthread_mutex_lock(&out_lock);
	if (opt.json || opt.out_path) {
		report_json(out_fp, role, dir, x, st, l, status);
		fflush(out_fp);
	}
	if (!opt.json) {
		report_human(stdout, role, dir, x, st, l, status);
		fflush(stdout);
	}
	pthread_mutex_unlock(&out_lock);
}

static void report_error(const char *role, int status, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s: %s", role, msg);
	/* scripts parse the JSON, so a failure still produces one object */
	if (opt.json || opt.out_path) {
		pthread_mutex_lock(&out_lock);
		fprintf(out_fp, "{\"role\":\"%s\",\"proto\":\"%s\",\"ok\":false,"
			"\"status\":%d,\"error\":", role,
			opt.tcp ? "tcp" : "mptcp", status);
		json_str(out_fp, msg);
		fprintf(out_fp, "}\n");
		fflush(out_fp);
		pthread_mutex_unlock(&out_lock);
	}
}

/* ------------------------------------------------------------------ */
/* sockets and wire header */

static int open_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, opt.tcp ? IPPROTO_TCP : IPPROTO_MPTCP);

	if (fd < 0 && !opt.tcp)
		warnx("MPTCP socket: %s (kernel without MPTCP, or "
		      "net.mptcp.enabled=0? -T uses plain TCP)", strerror(errno));
	else if (fd < 0)
		warnx("socket: %s", strerror(errno));
	return fd;
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* without it Nagle + delayed ACK dominate small request/response RTTs */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		warnx("TCP_NODELAY: %s", strerror(errno));
}

static void hdr_pack(struct xfer_hdr *h, int mode, int dir, u64 size, u64 seed)
{
	memset(h, 0, sizeof(*h));
	h->magic = htonl(XFER_MAGIC);
	h->version = XFER_VERSION;
	h->mode = (u8)mode;
	h->dir = (u8)dir;
	h->size = htobe64(size);
	h->seed = htobe64(seed);
	if (mode == MODE_BULK)
		h->duration_ms = htobe64(opt.duration_ms);
}

/* Returns 0 and a host-order header, or a negative errno / -EPROTO. */
static int hdr_recv(int fd, struct xfer_hdr *h)
{
	int r = read_all(fd, h, sizeof(*h));

	if (r)
		return r;
	h->magic = ntohl(h->magic);
	h->size = be64toh(h->size);
	h->seed = be64toh(h->seed);
	h->duration_ms = be64toh(h->duration_ms);
	if (h->magic != XFER_MAGIC || h->version != XFER_VERSION)
		return -EPROTO;
	if (h->mode == MODE_BULK && (h->dir < DIR_UP || h->dir > DIR_BOTH))
		return -EPROTO;
	if (h->mode == MODE_ECHO && (!h->size || h->size > MAX_MSG_SIZE))
		return -EPROTO;
	if (h->mode != MODE_BULK && h->mode != MODE_ECHO)
		return -EPROTO;
	return 0;
}

static int connect_once(int fd)
{
	const struct sockaddr *to = (struct sockaddr *)&opt.addr;
	socklen_t tolen = opt.addrlen;
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (opt.proxy.ss_family) {
		to = (struct sockaddr *)&opt.proxy;
		tolen = opt.proxylen;
	}
	if (!connect(fd, to, tolen))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	r = wait_fd(fd, POLLOUT);
	if (r)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

/*
 * SOCKS5 (RFC 1928) CONNECT to opt.addr through the proxy fd is connected
 * to: no authentication, IPv4 or IPv6 target. Returns 0 once the proxy
 * reported success, -ECONNREFUSED if it reported a failure, -EPROTO on a
 * malformed answer.
 */
static int socks5_connect(int fd)
{
	const struct sockaddr_in *in = (const void *)&opt.addr;
	const struct sockaddr_in6 *in6 = (const void *)&opt.addr;
	static const u8 hello[3] = { 5, 1, 0 };	/* one method: no auth */
	u8 req[22] = { 5, 1, 0 }, rep[260];
	size_t n = 4, alen;
	int r;

	r = write_all(fd, hello, sizeof(hello));
	if (!r)
		r = read_all(fd, rep, 2);
	if (r)
		return r;
	if (rep[0] != 5 || rep[1] != 0)
		return -EPROTO;
	if (opt.addr.ss_family == AF_INET) {
		req[3] = 1;
		memcpy(req + n, &in->sin_addr, 4);
		n += 4;
		memcpy(req + n, &in->sin_port, 2);
	} else {
		req[3] = 4;
		memcpy(req + n, &in6->sin6_addr, 16);
		n += 16;
		memcpy(req + n, &in6->sin6_port, 2);
	}
	n += 2;
	r = write_all(fd, req, n);
	if (!r)
		r = read_all(fd, rep, 4);
	if (r)
		return r;
	if (rep[0] != 5)
		return -EPROTO;
	if (rep[1] != 0)
		return -ECONNREFUSED;
	/* then the bound address (4 or 16 bytes, or a name) and port */
	if (rep[3] == 1)
		alen = 4;
	else if (rep[3] == 4)
		alen = 16;
	else if (rep[3] == 3 && !read_all(fd, rep, 1))
		alen = rep[0];
	else
		return -EPROTO;
	return read_all(fd, rep, alen + 2);
}

/*
 * Connect (retrying while the server is not listening yet), send the
 * header and wait for the ack, so setup stays out of the timed part.
 */
static int client_open(int mode, int dir, u64 size, int *fdp)
{
	u64 wait_end = now_ns() + (u64)opt.wait_s * 1000000000ULL;
	struct xfer_hdr h;
	u8 ack;
	int fd, r;

	for (;;) {
		fd = open_socket(opt.proxy.ss_family ? opt.proxy.ss_family
						      : opt.addr.ss_family);
		if (fd < 0)
			return -errno;
		if (set_nonblock(fd)) {
			r = -errno;
			close(fd);
			return r;
		}
		r = connect_once(fd);
		if (!r && opt.proxy.ss_family)
			r = socks5_connect(fd);
		if (!r)
			break;
		close(fd);
		if (r != -ECONNREFUSED || now_ns() >= wait_end || timed_out())
			return r;
		usleep(100000);
	}
	hdr_pack(&h, mode, dir, size, opt.seed);
	r = write_all(fd, &h, sizeof(h));
	if (!r)
		r = read_all(fd, &ack, 1);
	if (!r && ack != XFER_ACK)
		r = -EPROTO;
	if (r) {
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

/* ------------------------------------------------------------------ */
/* client */

static int run_client(void)
{
	struct conn_stats st = { .is_mptcp = !opt.tcp };
	struct lat lat = { .fd = -1 };
	pthread_t lat_tid;
	/* host-order view of what the client announced */
	struct xfer_hdr h = {
		.dir = (u8)opt.dir, .size = opt.size, .duration_ms = opt.duration_ms,
	};
	struct xfer x;
	int fd, r, status;

	/*
	 * The echo connection is set up first: once the server has acked it,
	 * it knows to wait for it before exiting after the bulk transfer.
	 */
	if (opt.rr_count) {
		r = client_open(MODE_ECHO, 0, opt.msg_size, &lat.fd);
		if (r) {
			report_error("client", EXIT_NET, "latency connect: %s",
				     strerror(-r));
			return EXIT_NET;
		}
		set_nodelay(lat.fd);
		lat.count = opt.rr_count;
		lat.rtt_us = calloc((size_t)opt.rr_count, sizeof(u32));
		if (!lat.rtt_us || pthread_create(&lat_tid, NULL, lat_thread, &lat)) {
			report_error("client", EXIT_NET, "cannot start latency probe");
			return EXIT_NET;
		}
	}

	r = client_open(MODE_BULK, opt.dir, opt.size, &fd);
	if (r) {
		report_error("client", EXIT_NET, "connect: %s", strerror(-r));
		return EXIT_NET;
	}
	if (xfer_setup(&x, fd, &h, opt.seed, false, &st)) {
		report_error("client", EXIT_NET, "out of memory");
		return EXIT_NET;
	}
	x.t_start = now_ns();
	xfer_run(&x, "client");

	if (opt.rr_count) {
		pthread_join(lat_tid, NULL);
		qsort(lat.rtt_us, (size_t)lat.done, sizeof(u32), cmp_u32);
		close(lat.fd);
	}
	status = x.status ? x.status : lat.status;
	report("client", opt.dir, &x, &st, opt.rr_count ? &lat : NULL, status);
	close(fd);
	xfer_free(&x);
	free(lat.rtt_us);
	return status;
}

/* ------------------------------------------------------------------ */
/* server */

static struct {
	pthread_mutex_t lock;
	int active;		/* accepted connections not finished yet */
	int bulk_done;
	int status;		/* worst exit status of finished bulk conns */
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void srv_done(bool bulk, int status)
{
	pthread_mutex_lock(&srv.lock);
	srv.active--;
	if (bulk) {
		srv.bulk_done++;
		if (status > srv.status)
			srv.status = status;
	}
	pthread_mutex_unlock(&srv.lock);
}

static void serve_echo(int fd)
{
	u8 *buf = malloc(MAX_MSG_SIZE);

	set_nodelay(fd);
	while (buf) {
		ssize_t n = recv(fd, buf, MAX_MSG_SIZE, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN))
				break;
			continue;
		}
		if (n <= 0 || write_all(fd, buf, (size_t)n))
			break;
	}
	free(buf);
}

static int serve_bulk(int fd, const struct xfer_hdr *h)
{
	struct conn_stats st = { .is_mptcp = !opt.tcp };
	u64 seed = opt.seed_set ? opt.seed : h->seed;
	struct xfer x;

	if (xfer_setup(&x, fd, h, seed, true, &st)) {
		report_error("server", EXIT_NET, "out of memory");
		return EXIT_NET;
	}
	x.t_start = now_ns();
	xfer_run(&x, "server");
	report("server", h->dir, &x, &st, NULL, x.status);
	xfer_free(&x);
	return x.status;
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg, r, status = EXIT_NET;
	struct xfer_hdr h;
	u8 ack = XFER_ACK;

	r = hdr_recv(fd, &h);
	if (r) {
		u8 nak = XFER_NAK;

		if (r == -EPROTO)
			write_all(fd, &nak, 1);
		report_error("server", EXIT_NET, "bad client header: %s",
			     strerror(-r));
		close(fd);
		srv_done(true, EXIT_NET);
		return NULL;
	}
	/* count the echo connection as live before the client goes on */
	r = write_all(fd, &ack, 1);
	if (h.mode == MODE_ECHO) {
		if (!r)
			serve_echo(fd);
		close(fd);
		srv_done(false, 0);
		return NULL;
	}
	if (r)
		report_error("server", EXIT_NET, "ack: %s", strerror(-r));
	else
		status = serve_bulk(fd, &h);
	close(fd);
	srv_done(true, status);
	return NULL;
}

static int server_listen(void)
{
	int fd = open_socket(opt.addr.ss_family), one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&opt.addr, opt.addrlen) ||
	    listen(fd, 16) || set_nonblock(fd)) {
		warnx("listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int run_server(void)
{
	int lfd = server_listen();
	int status;

	if (lfd < 0) {
		report_error("server", EXIT_NET, "cannot listen");
		return EXIT_NET;
	}
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pthread_t tid;
		bool stop;
		int fd;

		pthread_mutex_lock(&srv.lock);
		stop = (!opt.forever && srv.bulk_done && !srv.active) ||
		       (timed_out() && !srv.active);
		pthread_mutex_unlock(&srv.lock);
		if (stop)
			break;
		/* short poll: the exit condition above is not a file descriptor */
		if (poll(&p, 1, 50) <= 0 || timed_out())
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv.lock);
		srv.active++;
		pthread_mutex_unlock(&srv.lock);
		if (pthread_create(&tid, NULL, conn_thread, (void *)(intptr_t)fd)) {
			warnx("cannot create thread");
			close(fd);
			srv_done(false, 0);
			continue;
		}
		pthread_detach(tid);
	}
	close(lfd);
	status = srv.status;
	if (!srv.bulk_done) {
		report_error("server", EXIT_NET, "timeout: no client");
		status = EXIT_NET;
	}
	return status;
}

/* ------------------------------------------------------------------ */
/* command line */

static void usage(FILE *f)
{
	fprintf(f,
"usage: omr-xfer server -l ADDR:PORT [-T] [-S SEED] [-n] [-i MS] [-j] [-o FILE] [-t SEC]\n"
"       omr-xfer client -c ADDR:PORT [-s BYTES] [-d up|down|both] [-S SEED] [-T]\n"
"                       [-D MS] [-x ADDR:PORT] [-w SEC] [-i MS] [-r COUNT [-m BYTES] [-R MS]]\n"
"                       [-j] [-o FILE] [-t SEC]\n"
"\n"
"  -l ADDR:PORT  listen address (IPv6 as [addr]:port)\n"
"  -c ADDR:PORT  server address to connect to\n"
"  -T            plain TCP instead of MPTCP\n"
"  -s BYTES      bytes per direction, suffix K/M/G = 1024-based (default 0)\n"
"  -d DIR        up = client sends, down = server sends, both (default up)\n"
"  -D MS         bounded by time: each sender stops after MS ms (or -s BYTES,\n"
"                if sooner; -s 0: no size limit) and the receiver takes EOF as\n"
"                the end; SIGUSR1 ends it at once, as if MS had run out; JSON\n"
"                times (*_mono_ms) are CLOCK_MONOTONIC\n"
"  -S SEED       data stream seed (default %#llx); on the server it overrides\n"
"                the client's seed, to provoke a mismatch on purpose\n"
"  -w SEC        client: retry connect while refused for SEC seconds (default 5)\n"
"  -i MS         print progress to stderr every MS milliseconds\n"
"  -r COUNT      client: latency probe of COUNT echo exchanges on a 2nd connection,\n"
"                concurrent with the bulk transfer (alone with -s 0)\n"
"  -m BYTES      latency probe message size (default 64)\n"
"  -R MS         interval between latency probes (default 10)\n"
"  -x ADDR:PORT  client: reach -c through this SOCKS5 proxy (no auth; plain TCP\n"
"                to the proxy, for the bulk and the latency connection)\n"
"  -n            server: keep serving instead of exiting after one transfer\n"
"  -j            print one JSON object on stdout instead of a summary\n"
"  -o FILE       write the JSON object(s) to FILE\n"
"  -t SEC        overall timeout, 0 = none (default 120, none with -n)\n"
"  -h, --usage   this help\n"
"\n"
"exit: 0 ok, 1 data mismatch or short transfer, 2 usage, 3 network error/timeout\n",
		DEFAULT_SEED);
}

static void __attribute__((noreturn)) bad_arg(const char *o, const char *v,
					      const char *why)
{
	fprintf(stderr, "omr-xfer: bad argument for %s: '%s'%s%s\n", o, v,
		why ? ": " : "", why ? why : "");
	fprintf(stderr, "try 'omr-xfer --usage'\n");
	exit(EXIT_USAGE);
}

static u64 parse_u64(const char *o, const char *v, bool suffix, int base)
{
	unsigned long long n;
	char *end;

	if (!*v || *v == '-')
		bad_arg(o, v, "not a non-negative number");
	errno = 0;
	n = strtoull(v, &end, base);
	if (errno || end == v)
		bad_arg(o, v, "not a number");
	if (suffix && *end) {
		int shift = 0;

		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: bad_arg(o, v, "suffix must be K, M or G");
		}
		if (n > (~0ULL >> shift))
			bad_arg(o, v, "too large");
		n <<= shift;
		end++;
	}
	if (*end)
		bad_arg(o, v, "trailing characters");
	return n;
}

static int parse_int(const char *o, const char *v, long max)
{
	u64 n = parse_u64(o, v, false, 10);

	if (n > (u64)max)
		bad_arg(o, v, "too large");
	return (int)n;
}

/* "1.2.3.4:port" or "[v6addr%scope]:port" */
static void parse_addr(const char *o, const char *v,
		       struct sockaddr_storage *ss, socklen_t *lenp)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port;
	size_t hl;

	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (!rb || rb[1] != ':')
			bad_arg(o, v, "expected [ADDR]:PORT");
		hl = (size_t)(rb - v - 1);
		if (hl >= sizeof(host))
			bad_arg(o, v, "address too long");
		memcpy(host, v + 1, hl);
		port = rb + 2;
	} else {
		const char *c = strrchr(v, ':');

		if (!c || strchr(v, ':') != c)
			bad_arg(o, v, "expected ADDR:PORT (IPv6 as [ADDR]:PORT)");
		hl = (size_t)(c - v);
		if (hl >= sizeof(host))
			bad_arg(o, v, "address too long");
		memcpy(host, v, hl);
		port = c + 1;
	}
	host[hl] = '\0';

	memset(ss, 0, sizeof(*ss));
	if (v[0] != '[') {
		struct sockaddr_in *in = (void *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			bad_arg(o, v, "not an IPv4 address");
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)parse_int(o, port, 65535));
		*lenp = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (void *)ss;
		char *pct_sign = strchr(host, '%');

		if (pct_sign) {
			*pct_sign++ = '\0';
			in6->sin6_scope_id = if_nametoindex(pct_sign);
			if (!in6->sin6_scope_id)
				bad_arg(o, v, "unknown scope interface");
		}
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			bad_arg(o, v, "not an IPv6 address");
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)parse_int(o, port, 65535));
		*lenp = sizeof(*in6);
	}
}

/* options that only make sense on the client are rejected on the server */
static const char client_only[] = "sdDwrmRx";

static void parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "usage", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = NULL;
	bool have_addr = false;
	int c, client_opt = 0;

	opterr = 0;	/* we print our own message naming the option */
	while ((c = getopt_long(argc, argv, ":l:c:s:d:D:S:Tw:i:r:m:R:x:jo:t:nh",
				lopts, NULL)) != -1) {
		char o[3] = { '-', (char)optopt, 0 };

		switch (c) {
		case 'l':
		case 'c':
			o[1] = (char)c;
			parse_addr(o, optarg, &opt.addr, &opt.addrlen);
			have_addr = true;
			opt.server = c == 'l';
			break;
		case 'x':
			parse_addr("-x", optarg, &opt.proxy, &opt.proxylen);
			/* the LAN side of a SOCKS5 proxy is plain TCP */
			opt.tcp = true;
			break;
		case 's':
			opt.size = parse_u64("-s", optarg, true, 10);
			break;
		case 'd':
			if (!strcmp(optarg, "up"))
				opt.dir = DIR_UP;
			else if (!strcmp(optarg, "down"))
				opt.dir = DIR_DOWN;
			else if (!strcmp(optarg, "both"))
				opt.dir = DIR_BOTH;
			else
				bad_arg("-d", optarg, "must be up, down or both");
			break;
		case 'D':
			opt.duration_ms = (u64)parse_int("-D", optarg, 86400000);
			break;
		case 'S':
			opt.seed = parse_u64("-S", optarg, false, 0);
			opt.seed_set = true;
			break;
		case 'T':
			opt.tcp = true;
			break;
		case 'w':
			opt.wait_s = parse_int("-w", optarg, 86400);
			break;
		case 'i':
			opt.interval_ms = parse_int("-i", optarg, 3600000);
			break;
		case 'r':
			opt.rr_count = parse_int("-r", optarg, 10000000);
			break;
		case 'm':
			opt.msg_size = (size_t)parse_u64("-m", optarg, true, 10);
			if (!opt.msg_size || opt.msg_size > MAX_MSG_SIZE)
				bad_arg("-m", optarg, "must be 1..1M");
			break;
		case 'R':
			opt.rr_interval_ms = parse_int("-R", optarg, 3600000);
			break;
		case 'j':
			opt.json = true;
			break;
		case 'o':
			opt.out_path = optarg;
			break;
		case 't':
			opt.timeout_s = parse_int("-t", optarg, 86400 * 365);
			break;
		case 'n':
			opt.forever = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			fprintf(stderr, "omr-xfer: option %s needs an argument\n", o);
			exit(EXIT_USAGE);
		default:
			if (optopt)
				fprintf(stderr, "omr-xfer: unknown option %s\n", o);
			else
				fprintf(stderr, "omr-xfer: unknown option %s\n",
					argv[optind - 1]);
			usage(stderr);
			exit(EXIT_USAGE);
		}
		if (strchr(client_only, c))
			client_opt = c;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "omr-xfer: need exactly one mode, 'server' or 'client'\n");
		usage(stderr);
		exit(EXIT_USAGE);
	}
	mode = argv[optind];
	if (strcmp(mode, "server") && strcmp(mode, "client"))
		bad_arg("mode", mode, "must be server or client");
	if (!have_addr)
		bad_arg(mode, "", !strcmp(mode, "server") ? "-l ADDR:PORT required"
						      : "-c ADDR:PORT required");
	if (opt.server != !strcmp(mode, "server"))
		bad_arg(mode, opt.server ? "-l" : "-c",
			opt.server ? "client mode connects with -c"
				   : "server mode listens with -l");
	if (opt.server && client_opt) {
		char o[3] = { '-', (char)client_opt, 0 };

		bad_arg(o, "", "client-only option (the client announces it)");
	}
	if (!opt.server && opt.forever)
		bad_arg("-n", "", "server-only option");
	if (opt.timeout_s < 0)
		opt.timeout_s = opt.forever ? 0 : 120;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	int status;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	/* no SA_RESTART: the signal wakes xfer_run's poll() */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (opt.timeout_s)
		deadline_ns = now_ns() + (u64)opt.timeout_s * 1000000000ULL;

	out_fp = stdout;
	if (opt.out_path) {
		/* with -n each transfer appends one line: JSON lines */
		out_fp = fopen(opt.out_path, "w");
		if (!out_fp) {
			fprintf(stderr, "omr-xfer: bad argument for -o: '%s': %s\n",
				opt.out_path, strerror(errno));
			return EXIT_USAGE;
		}
	}
	status = opt.server ? run_server() : run_client();
	if (out_fp != stdout)
		fclose(out_fp);
	return status;
}
