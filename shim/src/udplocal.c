// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Local role, UDP: SOCKS5 UDP ASSOCIATE (RFC 1928 section 7). Each
 * association has its own client-facing UDP socket (its address is the
 * reply's BND) and its own socket to the server, so the server sees one
 * NAT entry per association. Datagrams are accepted only from
 * the control connection's client IP (and the port the request named,
 * if any); the first accepted one fixes the client's port. FRAG != 0 is
 * dropped (no reassembly, as the RFC allows). The association ends when
 * its TCP control connection closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "log.h"
#include "shim.h"
#include "socks5.h"
#include "udpnat.h"

struct udp_assoc {
	struct worker *w;
	struct udp_assoc *prev, *next;
	int ctl, cfd, sfd;	/* control TCP, client side, server side */
	ev_io ctl_io, cio, sio;
	struct nat_key peer;	/* the client's IP, and port if it is fixed */
	bool port_known;	/* the request named it, or a datagram fixed it */
	struct sockaddr_storage client;
	socklen_t clen;
	struct sockaddr_storage srv;	/* the server */
	socklen_t srvlen;
	struct nat_key srvkey;		/* compared on receipt */
};

static void assoc_close(struct udp_assoc *a)
{
	struct worker *w = a->w;

	ev_io_stop(w->loop, &a->ctl_io);
	ev_io_stop(w->loop, &a->cio);
	ev_io_stop(w->loop, &a->sio);
	close(a->ctl);
	close(a->cfd);
	close(a->sfd);
	if (a->prev)
		a->prev->next = a->next;
	else
		w->udp.assocs = a->next;
	if (a->next)
		a->next->prev = a->prev;
	atomic_fetch_sub(&w->s->nassoc, 1);
	stat_inc(&w->st, ST_UDP_ASSOC_CLOSED);
	free(a);
}

/* The client may not send on the control connection; EOF ends it all. */
static void ctl_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_assoc *a = io->data;
	ssize_t n = recv(a->ctl, a->w->sin, 4096, 0);

	(void)loop;
	(void)revents;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		assoc_close(a);
}

/* From the client's IP only; the port once known. */
static bool from_client(struct udp_assoc *a, const struct sockaddr *from)
{
	struct nat_key k;

	nat_key(&k, from);
	if (memcmp(k.b, a->peer.b, 16))
		return false;
	return !a->port_known || !memcmp(k.b + 16, a->peer.b + 16, 2);
}

/* [RSV RSV FRAG][ATYP addr port][data] from the client: to the server. */
static void client_datagram(struct udp_assoc *a, size_t n,
			    const struct sockaddr *from, socklen_t flen)
{
	struct worker *w = a->w;
	struct ss_addr t;
	size_t used;
	long len;
	const char *why = NULL;

	if (!from_client(a, from))
		why = "not from the associated client";
	else if (n < 3 + 1)
		why = "truncated SOCKS5 UDP header";
	else if (w->sin[2])
		why = "FRAG != 0 (fragments are not reassembled)";
	else if (ss_addr_parse(w->sin + 3, n - 3, &used, &t, NULL) != P_OK)
		why = "bad address header";
	else if (t.port == 443 && cfg_block_quic(&w->s->cfg))
		why = "UDP port 443 (QUIC) blocked: \"quic\": \"block\" (the default)";
	if (why) {
		udp_drop(w, why, from);
		return;
	}
	if (!a->port_known) {
		nat_key(&a->peer, from);
		a->port_known = true;
	}
	memcpy(&a->client, from, flen);
	a->clen = flen;
	len = udp_seal(w, w->sin + 3, n - 3, w->sout);
	if (len < 0 || sendto(a->sfd, w->sout, (size_t)len, 0,
			      (struct sockaddr *)&a->srv, a->srvlen) < 0) {
		log_dbg("UDP: datagram of %zu bytes not sent to the server: %s", n,
			len < 0 ? "too large" : strerror(errno));
		return;
	}
	stat_inc(&w->st, ST_UDP_TO_TUN);
}

static void client_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_assoc *a = io->data;
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 16; i++) {
		flen = sizeof(from);
		n = recvfrom(a->cfd, a->w->sin, SS_UDP_BUF, 0,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		client_datagram(a, (size_t)n, (struct sockaddr *)&from, flen);
	}
}

/* A datagram from the server: opened, then [0 0 0][payload] to the client. */
static bool server_datagram(struct udp_assoc *a)
{
	struct worker *w = a->w;
	struct sockaddr_storage srv;
	socklen_t slen = sizeof(srv);
	struct ss_addr t;
	struct nat_key k;
	size_t used;
	ssize_t n = recvfrom(a->sfd, w->sin, SS_UDP_BUF, 0, (struct sockaddr *)&srv, &slen);
	long p;

	if (n < 0)
		return errno != EAGAIN && errno != EWOULDBLOCK;
	nat_key(&k, (struct sockaddr *)&srv);
	if (memcmp(&k, &a->srvkey, sizeof(k))) {
		udp_drop(w, "not from the server", (struct sockaddr *)&srv);
		return true;
	}
	p = udp_open(w, w->sin, (size_t)n, w->sout + 3, (struct sockaddr *)&srv);
	if (p < 0)
		return true;
	if (ss_addr_parse(w->sout + 3, (size_t)p, &used, &t, NULL) != P_OK) {
		udp_drop(w, "bad address header from the server", (struct sockaddr *)&srv);
		return true;
	}
	if (!a->clen)
		return true;
	memset(w->sout, 0, 3);
	if (sendto(a->cfd, w->sout, (size_t)p + 3, 0, (struct sockaddr *)&a->client,
		   a->clen) >= 0)
		stat_inc(&w->st, ST_UDP_FROM_TUN);
	return true;
}

static void server_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_assoc *a = io->data;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 16 && server_datagram(a); i++)
		;
}

/* The client side: a UDP socket on the control connection's local address. */
static int client_socket(struct udp_assoc *a, struct sockaddr_storage *bnd,
			 socklen_t *blen)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	*blen = sizeof(*bnd);
	if (getsockname(a->ctl, (struct sockaddr *)bnd, blen) ||
	    getpeername(a->ctl, (struct sockaddr *)&peer, &plen))
		return -1;
	nat_key(&a->peer, (struct sockaddr *)&peer);
	if (bnd->ss_family == AF_INET6)
		((struct sockaddr_in6 *)bnd)->sin6_port = 0;
	else
		((struct sockaddr_in *)bnd)->sin_port = 0;
	a->cfd = udp_socket(bnd->ss_family);
	if (a->cfd < 0 || bind(a->cfd, (struct sockaddr *)bnd, *blen))
		return -1;
	*blen = sizeof(*bnd);
	return getsockname(a->cfd, (struct sockaddr *)bnd, blen);
}

/* The server side: udp_tunnel_socket() (unconnected, udp_fwmark). */
static int server_socket(struct udp_assoc *a)
{
	a->sfd = udp_tunnel_socket(a->w->s, &a->srv, &a->srvlen);
	if (a->sfd < 0)
		return -1;
	nat_key(&a->srvkey, (struct sockaddr *)&a->srv);
	return 0;
}

/* The request's DST.ADDR:DST.PORT, when not zero, names the client's port. */
static void expect_port(struct udp_assoc *a, const struct ss_addr *hint)
{
	if (hint->port && hint->atyp != ATYP_DOMAIN) {
		memcpy(a->peer.b + 16, (uint8_t[2]){ (uint8_t)(hint->port >> 8),
						    (uint8_t)hint->port }, 2);
		a->port_known = true;
	}
}

static void assoc_start(struct udp_assoc *a)
{
	struct worker *w = a->w;

	ev_io_init(&a->ctl_io, ctl_cb, a->ctl, EV_READ);
	ev_io_init(&a->cio, client_cb, a->cfd, EV_READ);
	ev_io_init(&a->sio, server_cb, a->sfd, EV_READ);
	a->ctl_io.data = a->cio.data = a->sio.data = a;
	ev_io_start(w->loop, &a->ctl_io);
	ev_io_start(w->loop, &a->cio);
	ev_io_start(w->loop, &a->sio);
	a->next = w->udp.assocs;
	if (a->next)
		a->next->prev = a;
	w->udp.assocs = a;
	stat_inc(&w->st, ST_UDP_ASSOC);
}

int udp_assoc_open(struct worker *w, int ctl, const struct ss_addr *hint)
{
	uint8_t r[3 + SS_ADDR_MAX] = { 5, S5_REP_OK, 0 };
	struct sockaddr_storage bnd;
	struct udp_assoc *a;
	struct ss_addr b;
	socklen_t blen;
	size_t rl;

	if (atomic_fetch_add(&w->s->nassoc, 1) >= w->s->cfg.udp_max) {
		atomic_fetch_sub(&w->s->nassoc, 1);
		log_dbg("UDP ASSOCIATE refused: %d associations open", w->s->cfg.udp_max);
		return S5_REP_FAIL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		goto err_count;
	a->w = w;
	a->ctl = ctl;
	a->cfd = a->sfd = -1;
	if (client_socket(a, &bnd, &blen) || server_socket(a))
		goto err_free;
	expect_port(a, hint);
	ss_addr_from_sockaddr(&b, (struct sockaddr *)&bnd);
	rl = 3 + ss_addr_encode(&b, r + 3);
	if (send(ctl, r, rl, MSG_NOSIGNAL) != (ssize_t)rl)
		goto err_free;
	assoc_start(a);
	return 0;
err_free:
	log_dbg("UDP ASSOCIATE: %s", strerror(errno));
	if (a->cfd >= 0)
		close(a->cfd);
	if (a->sfd >= 0)
		close(a->sfd);
	free(a);
err_count:
	atomic_fetch_sub(&w->s->nassoc, 1);
	return S5_REP_FAIL;
}

void udp_assoc_close_all(struct worker *w)
{
	while (w->udp.assocs)
		assoc_close(w->udp.assocs);
}
