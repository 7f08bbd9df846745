// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Redir role, UDP (as ss-redir -u): nftables TPROXY hands LAN datagrams,
 * unchanged, to one socket on the redir port with IP_TRANSPARENT; each
 * one's original destination comes with it (IP_ORIGDSTADDR). Per LAN
 * client (ip, port) an association: one unconnected socket to the server
 * (udp_tunnel_socket: udp_fwmark, so failover is the local role's), each
 * datagram sealed as SIP004 with its original destination as the target.
 * A reply names its source (that destination): it goes to the client
 * from that very address, through a transparent socket bound to it, kept
 * in a second table by source address, so a client whose socket is
 * connected to the destination takes it. Both tables are bounded by
 * udp_max_associations (least recently used evicted) and expire after
 * udp_timeout idle seconds. All of it runs on worker 0's loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "log.h"
#include "shim.h"
#include "udpnat.h"

/* Room kept before a datagram for the target's address header. */
#define HDR_ROOM 32

struct udp_redir {
	struct worker *w;
	int fd;			/* the TPROXY socket on the redir port */
	int family;
	ev_io io;
	struct udp_nat nat;	/* associations, by LAN client */
	struct udp_nat rep;	/* reply sockets, by the source they send from */
	ev_timer sweep;
};

struct redir_assoc {
	struct nat_link l;	/* first: the table hands back &l */
	struct udp_redir *ur;
	int sfd;		/* to the server */
	ev_io sio;
	struct sockaddr_storage client;
	socklen_t clen;
	struct sockaddr_storage srv;
	socklen_t srvlen;
	struct nat_key srvkey;	/* replies must come from it */
};

/* A transparent socket bound to a (non-local) source; never read. */
struct reply_sock {
	struct nat_link l;
	int fd;
};

static void assoc_free(struct udp_redir *ur, struct redir_assoc *a)
{
	nat_remove(&ur->nat, &a->l);
	ev_io_stop(ur->w->loop, &a->sio);
	close(a->sfd);
	stat_inc(&ur->w->st, ST_UDP_ASSOC_CLOSED);
	free(a);
}

static void reply_free(struct udp_redir *ur, struct reply_sock *r)
{
	nat_remove(&ur->rep, &r->l);
	close(r->fd);
	free(r);
}

static int set_transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

/*
 * The socket that sends from @src: IP_TRANSPARENT lets it bind an
 * address that is not ours, SO_REUSEADDR lets the other instance (the
 * other family's, a restart's) bind it too. It is never connected, so
 * nftables' TPROXY, which looks for a connected socket before the
 * listener, still sends the client's next datagrams to the redir port.
 */
static int reply_fd(struct udp_redir *ur, const struct sockaddr *src, socklen_t slen)
{
	struct reply_sock *r;
	struct nat_link *old;
	struct nat_key k;
	int one = 1, err;

	nat_key(&k, src);
	r = (struct reply_sock *)nat_find(&ur->rep, &k);
	if (r) {
		nat_touch(&ur->rep, &r->l, ev_now(ur->w->loop));
		return r->fd;
	}
	if (ur->rep.count >= ur->rep.max && (old = nat_oldest(&ur->rep)))
		reply_free(ur, (struct reply_sock *)old);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->fd = udp_socket(src->sa_family);
	if (r->fd < 0 || set_transparent(r->fd, src->sa_family) ||
	    setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(r->fd, src, slen)) {
		err = errno;
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		errno = err;
		return -1;
	}
	r->l.key = k;
	nat_insert(&ur->rep, &r->l, ev_now(ur->w->loop));
	return r->fd;
}

/* [source][data] from the server: data to the client, from that source. */
static void reply_deliver(struct redir_assoc *a, const uint8_t *p, size_t n)
{
	struct worker *w = a->ur->w;
	struct sockaddr_storage src;
	struct ss_addr t;
	size_t used;
	socklen_t slen;
	int fd;

	if (ss_addr_parse(p, n, &used, &t, NULL) != P_OK) {
		udp_drop(w, "bad address header from the server", (struct sockaddr *)&a->srv);
		return;
	}
	slen = ss_addr_to_sockaddr(&t, &src);
	if (!slen || src.ss_family != a->client.ss_family) {
		udp_drop(w, "reply source not an address of the client's family",
			 (struct sockaddr *)&a->srv);
		return;
	}
	fd = reply_fd(a->ur, (struct sockaddr *)&src, slen);
	if (fd < 0) {
		udp_drop(w, errno == EPERM ? "reply socket: IP_TRANSPARENT needs CAP_NET_ADMIN" :
			 "reply socket not bound to the reply's source", (struct sockaddr *)&src);
		return;
	}
	if (sendto(fd, p + used, n - used, 0, (struct sockaddr *)&a->client, a->clen) < 0) {
		log_dbg("UDP: reply of %zu bytes not sent to the client: %s", n - used,
			strerror(errno));
		return;
	}
	stat_inc(&w->st, ST_UDP_FROM_TUN);
	nat_touch(&a->ur->nat, &a->l, ev_now(w->loop));
}

static bool server_datagram(struct redir_assoc *a)
{
	struct worker *w = a->ur->w;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct nat_key k;
	ssize_t n = recvfrom(a->sfd, w->sin, SS_UDP_BUF, 0, (struct sockaddr *)&from, &flen);
	long p;

	if (n < 0)
		return false;
	nat_key(&k, (struct sockaddr *)&from);
	if (memcmp(&k, &a->srvkey, sizeof(k))) {
		udp_drop(w, "not from the server", (struct sockaddr *)&from);
		return true;
	}
	p = udp_open(w, w->sin, (size_t)n, w->sout, (struct sockaddr *)&from);
	if (p >= 0)
		reply_deliver(a, w->sout, (size_t)p);
	return true;
}

static void server_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct redir_assoc *a = io->data;
	int i;

	(void)loop;
	(void)revents;
	/* A bounded batch, so one busy association cannot starve the loop. */
	for (i = 0; i < 16 && server_datagram(a); i++)
		;
}

/* Once per association (verbose): which client, and where TPROXY said it went. */
static void assoc_logged(const struct sockaddr *from, const struct sockaddr_storage *dst)
{
	char c[64], d[64];

	if (log_level_get() < L_DEBUG)
		return;
	sockaddr_format(from, c, sizeof(c));
	sockaddr_format((const struct sockaddr *)dst, d, sizeof(d));
	log_dbg("UDP: new association for %s, redirected to %s", c, d);
}

/*
 * The client's association, made (with its server socket) on first use;
 * @dst, the datagram's original destination, is only logged.
 */
static struct redir_assoc *assoc_get(struct udp_redir *ur, const struct sockaddr *from,
				     socklen_t flen, const struct sockaddr_storage *dst)
{
	struct redir_assoc *a;
	struct nat_link *old;
	struct nat_key k;

	nat_key(&k, from);
	a = (struct redir_assoc *)nat_find(&ur->nat, &k);
	if (a)
		return a;
	if (ur->nat.count >= ur->nat.max && (old = nat_oldest(&ur->nat))) {
		assoc_free(ur, (struct redir_assoc *)old);
		stat_inc(&ur->w->st, ST_UDP_EVICTED);
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->ur = ur;
	a->sfd = udp_tunnel_socket(ur->w->s, &a->srv, &a->srvlen);
	if (a->sfd < 0) {
		free(a);
		return NULL;
	}
	nat_key(&a->srvkey, (struct sockaddr *)&a->srv);
	memcpy(&a->client, from, flen);
	a->clen = flen;
	a->l.key = k;
	ev_io_init(&a->sio, server_cb, a->sfd, EV_READ);
	a->sio.data = a;
	ev_io_start(ur->w->loop, &a->sio);
	nat_insert(&ur->nat, &a->l, ev_now(ur->w->loop));
	stat_inc(&ur->w->st, ST_UDP_ASSOC);
	assoc_logged(from, dst);
	return a;
}

/* The original destination the TPROXY rule kept, from the control data. */
static bool orig_dst(struct msghdr *mh, struct sockaddr_storage *dst)
{
	struct cmsghdr *cm;
	size_t len;

	if (mh->msg_flags & MSG_CTRUNC)
		return false;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (!(cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGDSTADDR) &&
		    !(cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_ORIGDSTADDR))
			continue;
		len = cm->cmsg_len - CMSG_LEN(0);
		if (len > sizeof(*dst) || len < sizeof(struct sockaddr_in))
			return false;
		memset(dst, 0, sizeof(*dst));
		memcpy(dst, CMSG_DATA(cm), len);
		return true;
	}
	return false;
}

/* Why a LAN datagram to @dst is not relayed, or NULL. */
static const char *lan_refused(struct udp_redir *ur, struct msghdr *mh,
			       struct sockaddr_storage *dst)
{
	const struct shim *s = ur->w->s;

	if (mh->msg_flags & MSG_TRUNC)
		return "too large";
	if (!orig_dst(mh, dst) || dst->ss_family != ur->family)
		return "no original destination (IP_ORIGDSTADDR)";
	/* sin_port and sin6_port are at the same offset. */
	if (cfg_block_quic(&s->cfg) && ntohs(((struct sockaddr_in *)dst)->sin_port) == 443)
		return "UDP port 443 (QUIC) blocked: \"quic\": \"block\" (the default)";
	return redir_udp_loop(s, dst);
}

/* A LAN datagram of @n bytes at w->sin + HDR_ROOM: sealed to the server. */
static void lan_datagram(struct udp_redir *ur, struct msghdr *mh, size_t n)
{
	struct worker *w = ur->w;
	struct sockaddr *from = mh->msg_name;
	struct sockaddr_storage dst;
	struct redir_assoc *a;
	const char *why = lan_refused(ur, mh, &dst);
	uint8_t hdr[SS_ADDR_MAX];
	struct ss_addr t;
	size_t hl;
	long len;

	if (why) {
		udp_drop(w, why, from);
		return;
	}
	ss_addr_from_sockaddr(&t, (struct sockaddr *)&dst);
	hl = ss_addr_encode(&t, hdr);
	memcpy(w->sin + HDR_ROOM - hl, hdr, hl);
	len = udp_seal(w, w->sin + HDR_ROOM - hl, hl + n, w->sout);
	if (len < 0) {
		udp_drop(w, "too large to seal into one datagram", from);
		return;
	}
	a = assoc_get(ur, from, mh->msg_namelen, &dst);
	if (!a || sendto(a->sfd, w->sout, (size_t)len, 0, (struct sockaddr *)&a->srv,
			 a->srvlen) < 0) {
		log_dbg("UDP: datagram of %zu bytes not sent to the server: %s", n,
			strerror(errno));
		return;
	}
	stat_inc(&w->st, ST_UDP_TO_TUN);
	nat_touch(&ur->nat, &a->l, ev_now(w->loop));
}

static void lan_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_redir *ur = io->data;
	uint8_t *buf = ur->w->sin + HDR_ROOM;
	struct sockaddr_storage from;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct sockaddr_in6)) * 2];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 16; i++) {
		iov.iov_base = buf;
		iov.iov_len = SS_UDP_BUF - HDR_ROOM;
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(io->fd, &mh, 0);
		if (n < 0)
			return;
		lan_datagram(ur, &mh, (size_t)n);
	}
}

/* Idle associations and reply sockets go from the LRU tails. */
static void sweep_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct udp_redir *ur = t->data;
	const struct shim_config *c = &ur->w->s->cfg;
	double idle = cfg_udp_timeout(c);
	struct nat_link *l;

	(void)revents;
	while ((l = nat_idle(&ur->nat, ev_now(loop), idle))) {
		assoc_free(ur, (struct redir_assoc *)l);
		stat_inc(&ur->w->st, ST_UDP_EXPIRED);
	}
	while ((l = nat_idle(&ur->rep, ev_now(loop), idle)))
		reply_free(ur, (struct reply_sock *)l);
	t->repeat = cfg_udp_sweep_every(c);
	ev_timer_again(loop, t);
}

/* IP_TRANSPARENT (TPROXY delivers to it) and the original destination. */
static int lan_bind(struct udp_redir *ur)
{
	const struct shim_config *c = &ur->w->s->cfg;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (net_resolve(c->local_address, c->local_port, true, &ss, &len))
		return -1;
	ur->family = ss.ss_family;
	ur->fd = udp_socket(ss.ss_family);
	if (ur->fd < 0 || set_transparent(ur->fd, ss.ss_family) ||
	    (ss.ss_family == AF_INET6 ?
	     setsockopt(ur->fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof(one)) :
	     setsockopt(ur->fd, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one))) ||
	    bind(ur->fd, (struct sockaddr *)&ss, len)) {
		log_err("UDP: TPROXY socket on %s port %d: %s%s", c->local_address,
			c->local_port, strerror(errno),
			errno == EPERM ? " (IP_TRANSPARENT needs CAP_NET_ADMIN)" : "");
		if (ur->fd >= 0)
			close(ur->fd);
		ur->fd = -1;
		return -1;
	}
	ev_io_init(&ur->io, lan_cb, ur->fd, EV_READ);
	ur->io.data = ur;
	ev_io_start(ur->w->loop, &ur->io);
	log_info("UDP: transparent (TPROXY) on %s port %d", c->local_address, c->local_port);
	return 0;
}

int udp_redir_start(struct worker *w)
{
	const struct shim_config *c = &w->s->cfg;
	double every = cfg_udp_sweep_every(c);
	struct udp_redir *ur;

	if (c->role != ROLE_REDIR || !cfg_udp(c) || w->id)
		return 0;
	ur = calloc(1, sizeof(*ur));
	if (!ur)
		return -1;
	ur->w = w;
	ur->fd = -1;
	w->udp.redir = ur;
	ev_init(&ur->sweep, sweep_cb);
	if (nat_init(&ur->nat, (size_t)c->udp_max) || nat_init(&ur->rep, (size_t)c->udp_max) ||
	    lan_bind(ur))
		return -1;
	ur->sweep.repeat = every;
	ur->sweep.data = ur;
	ev_timer_again(w->loop, &ur->sweep);
	return 0;
}

void udp_redir_stop(struct worker *w)
{
	struct udp_redir *ur = w->udp.redir;
	struct nat_link *l;

	if (!ur)
		return;
	while (ur->nat.bucket && (l = nat_oldest(&ur->nat)))
		assoc_free(ur, (struct redir_assoc *)l);
	while (ur->rep.bucket && (l = nat_oldest(&ur->rep)))
		reply_free(ur, (struct reply_sock *)l);
	nat_free(&ur->nat);
	nat_free(&ur->rep);
	ev_timer_stop(w->loop, &ur->sweep);
	if (ur->fd >= 0) {
		ev_io_stop(w->loop, &ur->io);
		close(ur->fd);
	}
	free(ur);
	w->udp.redir = NULL;
}

void udp_redir_status(struct worker *w)
{
	struct udp_redir *ur = w->udp.redir;

	if (ur)
		log_info("status: udp redir associations %zu of %zu reply-sockets %zu of %zu",
			 ur->nat.count, ur->nat.max, ur->rep.count, ur->rep.max);
}
