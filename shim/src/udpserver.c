// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server role, UDP (SIP004 per-packet AEAD, as ss-server -u): datagrams
 * from clients on the server port are opened, their target checked
 * against the policy and sent from a per-client socket (the NAT entry);
 * what comes back to that socket is sealed with its source address and
 * sent to the client from the server port. Entries expire after
 * udp_timeout idle seconds; at udp_max_associations the least recently
 * used goes (ss-server keeps a 512-entry LRU cache the same way).
 * All of it runs on worker 0's loop: one socket per listen address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "log.h"
#include "shim.h"
#include "udpnat.h"

/* Room kept before a target's reply for the address header. */
#define HDR_ROOM 32

struct udp_server {
	struct worker *w;
	int fd[CFG_MAX_SERVERS];
	ev_io io[CFG_MAX_SERVERS];
	int n;
	struct udp_nat nat;
	ev_timer sweep;
};

/* One client address; its sockets towards targets, one per family. */
struct nat_entry {
	struct nat_link l;	/* first: the table hands back &l */
	struct udp_server *us;
	int lfd;		/* the server socket it came in on: replies leave by it */
	struct sockaddr_storage client;
	socklen_t clen;
	int fd[2];		/* IPv4, IPv6; -1 until a target of that family */
	ev_io io[2];
	/* The last domain target and its address, resolved at named_at: the
	 * flow's next datagrams to it go without a lookup (named_len 0: none). */
	struct ss_addr named;
	struct sockaddr_storage named_dst;
	socklen_t named_len;
	double named_at;
};

/* How long a resolved domain target is reused (no TTL from getaddrinfo). */
#define NAMED_SECS 60

static void entry_free(struct udp_server *us, struct nat_entry *e)
{
	int i;

	nat_remove(&us->nat, &e->l);
	stat_inc(&us->w->st, ST_UDP_ASSOC_CLOSED);
	for (i = 0; i < 2; i++) {
		ev_io_stop(us->w->loop, &e->io[i]);
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	}
	free(e);
}

/* A target answered: seal [its address][data] and send it to the client. */
static bool target_reply(struct nat_entry *e, int fd)
{
	struct worker *w = e->us->w;
	struct sockaddr_storage src;
	socklen_t slen = sizeof(src);
	uint8_t hdr[SS_ADDR_MAX];
	struct ss_addr a;
	size_t hl;
	long n;

	n = recvfrom(fd, w->sin + HDR_ROOM, SS_UDP_BUF - HDR_ROOM, 0,
		     (struct sockaddr *)&src, &slen);
	if (n < 0)
		return false;
	ss_addr_from_sockaddr(&a, (struct sockaddr *)&src);
	hl = ss_addr_encode(&a, hdr);
	memcpy(w->sin + HDR_ROOM - hl, hdr, hl);
	n = udp_seal(w, w->sin + HDR_ROOM - hl, hl + (size_t)n, w->sout);
	if (n < 0 || sendto(e->lfd, w->sout, (size_t)n, 0,
			    (struct sockaddr *)&e->client, e->clen) < 0) {
		log_dbg("UDP: reply of %ld bytes not sent: %s", n,
			n < 0 ? "too large" : strerror(errno));
		return true;
	}
	stat_inc(&w->st, ST_UDP_TO_TUN);
	nat_touch(&e->us->nat, &e->l, ev_now(w->loop));
	return true;
}

static void target_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct nat_entry *e = io->data;
	int i;

	(void)loop;
	(void)revents;
	/* A bounded batch, so one busy target cannot starve the loop. */
	for (i = 0; i < 16 && target_reply(e, io->fd); i++)
		;
}

static struct nat_entry *entry_new(struct udp_server *us, int lfd,
				   const struct sockaddr *from, socklen_t flen,
				   const struct nat_key *k)
{
	struct nat_entry *e;
	struct nat_link *old;

	if (us->nat.count >= us->nat.max && (old = nat_oldest(&us->nat))) {
		entry_free(us, (struct nat_entry *)old);
		stat_inc(&us->w->st, ST_UDP_EVICTED);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->us = us;
	e->lfd = lfd;
	e->l.key = *k;
	memcpy(&e->client, from, flen);
	e->clen = flen;
	e->fd[0] = e->fd[1] = -1;
	nat_insert(&us->nat, &e->l, ev_now(us->w->loop));
	stat_inc(&us->w->st, ST_UDP_ASSOC);
	return e;
}

/* The entry's socket for a target of this family, opened on first use. */
static int entry_fd(struct nat_entry *e, int family)
{
	int i = family == AF_INET6;

	if (e->fd[i] >= 0)
		return e->fd[i];
	e->fd[i] = udp_socket(family);
	if (e->fd[i] < 0)
		return -1;
	ev_io_init(&e->io[i], target_cb, e->fd[i], EV_READ);
	e->io[i].data = e;
	ev_io_start(e->us->w->loop, &e->io[i]);
	return e->fd[i];
}

/* Sends data to dst from the client's NAT entry (made on first use): the
 * entry, or NULL if nothing was sent. */
static struct nat_entry *relay_out(struct udp_server *us, int lfd, const struct sockaddr *from,
		      socklen_t flen, const struct sockaddr *dst, socklen_t dlen,
		      const uint8_t *data, size_t n)
{
	struct worker *w = us->w;
	struct nat_entry *e;
	struct nat_key k;
	int fd;

	if (!target_allowed(w->s->cfg.allow, w->s->cfg.nallow, dst)) {
		stat_inc(&w->st, ST_UDP_REFUSED);
		udp_drop(w, "target in an internal range (see \"allow\")", from);
		return NULL;
	}
	nat_key(&k, from);
	e = (struct nat_entry *)nat_find(&us->nat, &k);
	if (!e && !(e = entry_new(us, lfd, from, flen, &k)))
		return NULL;
	fd = entry_fd(e, dst->sa_family);
	if (fd < 0 || sendto(fd, data, n, 0, dst, dlen) < 0) {
		log_dbg("UDP: send to target: %s", strerror(errno));
		return NULL;
	}
	stat_inc(&w->st, ST_UDP_FROM_TUN);
	nat_touch(&us->nat, &e->l, ev_now(w->loop));
	return e;
}

/* The address of domain target t from the client's entry, if still fresh. */
static socklen_t named_target(struct udp_server *us, const struct sockaddr *from,
			      const struct ss_addr *t, struct sockaddr_storage *dst)
{
	struct nat_entry *e;
	struct nat_key k;

	nat_key(&k, from);
	e = (struct nat_entry *)nat_find(&us->nat, &k);
	if (!e || !e->named_len || ev_now(us->w->loop) - e->named_at > NAMED_SECS ||
	    e->named.port != t->port || e->named.hlen != t->hlen ||
	    memcmp(e->named.host, t->host, t->hlen))
		return 0;
	memcpy(dst, &e->named_dst, e->named_len);
	return e->named_len;
}

/* A datagram for a domain target, kept while the name resolves. */
struct udp_pending {
	struct ss_addr t;
	int lfd;
	struct sockaddr_storage from;
	socklen_t flen;
	size_t n;
	uint8_t data[];
};

/* Resolved (or cancelled at shutdown, when the server is gone already). */
static void resolved(struct worker *w, void *arg, const struct addrinfo *res,
		     int rc)
{
	struct udp_pending *p = arg;
	const struct addrinfo *ai;
	struct nat_entry *e;

	w->udp.lookups--;
	if (rc || !w->udp.srv) {
		if (rc)
			udp_drop(w, "domain target does not resolve", (struct sockaddr *)&p->from);
		free(p);
		return;
	}
	/* First address the policy allows, as for TCP. */
	for (ai = res; ai; ai = ai->ai_next)
		if (target_allowed(w->s->cfg.allow, w->s->cfg.nallow, ai->ai_addr))
			break;
	if (!ai)
		ai = res;
	e = relay_out(w->udp.srv, p->lfd, (struct sockaddr *)&p->from, p->flen,
		      ai->ai_addr, ai->ai_addrlen, p->data, p->n);
	if (e && ai->ai_addrlen <= sizeof(e->named_dst)) {
		e->named = p->t;
		memcpy(&e->named_dst, ai->ai_addr, ai->ai_addrlen);
		e->named_len = ai->ai_addrlen;
		e->named_at = ev_now(w->loop);
	}
	free(p);
}

/* Lookups in flight per server: a flood of names must not pile up. */
#define UDP_MAX_LOOKUPS 64

static void resolve_target(struct udp_server *us, int lfd, const struct ss_addr *t,
			   const struct sockaddr *from, socklen_t flen,
			   const uint8_t *data, size_t n)
{
	struct worker *w = us->w;
	struct udp_pending *p;

	if (w->udp.lookups >= UDP_MAX_LOOKUPS) {
		udp_drop(w, "too many domain targets resolving", from);
		return;
	}
	p = malloc(sizeof(*p) + n);
	if (!p)
		return;
	p->t = *t;
	p->lfd = lfd;
	memcpy(&p->from, from, flen);
	p->flen = flen;
	p->n = n;
	memcpy(p->data, data, n);
	if (dns_lookup(w, (const char *)t->host, t->port, resolved, p)) {
		free(p);
		return;
	}
	w->udp.lookups++;
	stat_inc(&w->st, ST_UDP_LOOKUPS);
}

/* Opened payload [target][data] from a client: resolve, policy, NAT, send. */
static void client_payload(struct udp_server *us, int lfd, const uint8_t *p,
			   size_t n, const struct sockaddr *from, socklen_t flen)
{
	struct sockaddr_storage dst;
	struct ss_addr t;
	size_t used = 0;
	socklen_t dlen;

	if (ss_addr_parse(p, n, &used, &t, NULL) != P_OK) {
		udp_drop(us->w, "bad address header", from);
		return;
	}
	dlen = ss_addr_to_sockaddr(&t, &dst);
	if (!dlen)
		dlen = named_target(us, from, &t, &dst);
	if (!dlen)
		resolve_target(us, lfd, &t, from, flen, p + used, n - used);
	else
		relay_out(us, lfd, from, flen, (struct sockaddr *)&dst, dlen,
			  p + used, n - used);
}

static void server_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_server *us = io->data;
	struct worker *w = us->w;
	struct sockaddr_storage from;
	socklen_t flen;
	long n, p;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 16; i++) {
		flen = sizeof(from);
		n = recvfrom(io->fd, w->sin, SS_UDP_BUF, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		p = udp_open(w, w->sin, (size_t)n, w->sout, (struct sockaddr *)&from);
		if (p >= 0)
			client_payload(us, io->fd, w->sout, (size_t)p,
				       (struct sockaddr *)&from, flen);
	}
}

/*
 * Idle entries go from the LRU tail. The period is taken again each time:
 * a reload may have changed the idle time.
 */
static void sweep_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct udp_server *us = t->data;
	const struct shim_config *c = &us->w->s->cfg;
	double idle = cfg_udp_timeout(c);
	struct nat_link *l;

	(void)revents;
	while ((l = nat_idle(&us->nat, ev_now(loop), idle))) {
		entry_free(us, (struct nat_entry *)l);
		stat_inc(&us->w->st, ST_UDP_EXPIRED);
	}
	t->repeat = cfg_udp_sweep_every(c);
	ev_timer_again(loop, t);
}

static int server_bind(struct udp_server *us, const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (net_resolve(host, port, true, &ss, &len))
		return -1;
	fd = udp_socket(ss.ss_family);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len)) {
		log_err("UDP: listen on %s port %d: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	us->fd[us->n] = fd;
	ev_io_init(&us->io[us->n], server_cb, fd, EV_READ);
	us->io[us->n].data = us;
	ev_io_start(us->w->loop, &us->io[us->n]);
	us->n++;
	log_info("UDP relay on %s port %d", host, port);
	return 0;
}

int udp_server_start(struct worker *w)
{
	struct shim_config *c = &w->s->cfg;
	struct udp_server *us;
	double every = cfg_udp_sweep_every(c);
	size_t i;

	if (c->role != ROLE_SERVER || !cfg_udp(c) || w->id)
		return 0;
	us = calloc(1, sizeof(*us));
	if (!us)
		return -1;
	us->w = w;
	w->udp.srv = us;
	if (nat_init(&us->nat, (size_t)c->udp_max))
		return -1;
	for (i = 0; i < c->nserver; i++)
		if (server_bind(us, c->server[i], c->server_port))
			return -1;
	ev_timer_init(&us->sweep, sweep_cb, every, every);
	us->sweep.data = us;
	ev_timer_start(w->loop, &us->sweep);
	return 0;
}

void udp_server_stop(struct worker *w)
{
	struct udp_server *us = w->udp.srv;
	struct nat_link *l;
	int i;

	if (!us)
		return;
	while ((l = nat_oldest(&us->nat)))
		entry_free(us, (struct nat_entry *)l);
	nat_free(&us->nat);
	ev_timer_stop(w->loop, &us->sweep);
	for (i = 0; i < us->n; i++) {
		ev_io_stop(w->loop, &us->io[i]);
		close(us->fd[i]);
	}
	free(us);
	w->udp.srv = NULL;
}

void udp_server_status(struct worker *w)
{
	if (w->udp.srv)
		log_info("status: udp nat entries %zu of %zu",
			 w->udp.srv->nat.count, w->udp.srv->nat.max);
}
