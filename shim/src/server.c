// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server role: reads the salt and the first chunk(s), takes the target
 * header from the plaintext, applies the target policy, resolves names
 * off-loop (getaddrinfo_a) and connects.
 */

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "log.h"
#include "shim.h"

struct dns_req {
	struct gaicb cb;
	struct gaicb *list[1];
	struct addrinfo hints;
	char port[8];
	struct conn *c;
	struct worker *w;
	struct dns_req *next;		/* on w->dns_done */
	struct dns_req *pnext, **pprev;	/* on w->dns_pending */
};

static void server_connected_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn *c = ((struct pipe *)io->data)->c;
	int err = conn_connect_error(c->rfd);
	char t[SS_ADDR_STRLEN];

	(void)loop;
	(void)revents;
	if (err) {
		ss_addr_format(&c->target, t, sizeof(t));
		log_dbg("conn %llu: connect %s: %s", (unsigned long long)c->id,
			t, strerror(err));
		conn_close(c);
		return;
	}
	conn_start_relay(c);
}

static void connect_addr(struct conn *c, const struct sockaddr *sa,
			 socklen_t len)
{
	struct shim *s = c->w->s;
	char t[SS_ADDR_STRLEN];

	if (!target_allowed(s->cfg.allow, s->cfg.nallow, sa)) {
		sockaddr_format(sa, t, sizeof(t));
		log_info("conn %llu: target %s refused: internal range (see \"allow\")",
			 (unsigned long long)c->id, t);
		c->w->st.refused++;
		conn_close(c);
		return;
	}
	c->rfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->rfd < 0)
		goto err_close;
	net_tune(c->rfd, s->cfg.no_delay);
	if (connect(c->rfd, sa, len) && errno != EINPROGRESS)
		goto err_close;
	if (conn_enc_start(c))
		goto err_close;
	pipe_setup(&c->up, c, PIPE_DEC, c->cfd, c->rfd);
	pipe_setup(&c->down, c, PIPE_ENC, c->rfd, c->cfd);
	ev_set_cb(&c->up.wr, server_connected_cb);
	ev_io_start(c->w->loop, &c->up.wr);
	c->state = CS_CONNECTING;
	return;
err_close:
	log_dbg("conn %llu: connect: %s", (unsigned long long)c->id, strerror(errno));
	conn_close(c);
}

/*
 * A request is over: hand it to the loop. Runs on glibc's notification
 * thread, or on the worker for a request gai_cancel() dropped (glibc
 * notifies only requests that ran). The unlock is the last touch of w:
 * shutdown waits for dns_inflight to reach 0 before the worker's memory
 * and loop go, however late the resolver answers.
 */
static void dns_report(struct dns_req *r)
{
	struct worker *w = r->w;

	pthread_mutex_lock(&w->dns_mu);
	r->next = w->dns_done;
	w->dns_done = r;
	ev_async_send(w->loop, &w->dns_ev);
	w->dns_inflight--;
	pthread_cond_signal(&w->dns_cv);
	pthread_mutex_unlock(&w->dns_mu);
}

static void dns_notify(union sigval sv)
{
	dns_report(sv.sival_ptr);
}

static void dns_inflight_add(struct worker *w, int d)
{
	pthread_mutex_lock(&w->dns_mu);
	w->dns_inflight += d;
	pthread_mutex_unlock(&w->dns_mu);
}

static void resolve(struct conn *c)
{
	struct worker *w = c->w;
	struct dns_req *r = calloc(1, sizeof(*r));
	struct sigevent sev;

	if (!r)
		goto err_close;
	r->c = c;
	r->w = w;
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	snprintf(r->port, sizeof(r->port), "%u", c->target.port);
	r->cb.ar_name = (const char *)c->target.host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	r->list[0] = &r->cb;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = dns_notify;
	sev.sigev_value.sival_ptr = r;
	dns_inflight_add(w, 1);
	if (getaddrinfo_a(GAI_NOWAIT, r->list, 1, &sev)) {
		dns_inflight_add(w, -1);
		free(r);
		goto err_close;
	}
	r->pnext = w->dns_pending;
	if (r->pnext)
		r->pnext->pprev = &r->pnext;
	r->pprev = &w->dns_pending;
	w->dns_pending = r;
	c->dns = r;
	c->state = CS_RESOLVING;
	return;
err_close:
	conn_close(c);
}

static void dns_finish(struct dns_req *r)
{
	struct conn *c = r->c;
	struct addrinfo *ai, *res = r->cb.ar_result;
	int rc = gai_error(&r->cb);
	char t[SS_ADDR_STRLEN];

	*r->pprev = r->pnext;
	if (r->pnext)
		r->pnext->pprev = r->pprev;
	c->dns = NULL;
	if (c->dead) {
		free(c);
		goto out;
	}
	if (rc) {
		ss_addr_format(&c->target, t, sizeof(t));
		log_dbg("conn %llu: resolve %s: %s", (unsigned long long)c->id, t,
			gai_strerror(rc));
		conn_close(c);
		goto out;
	}
	/* First address the policy allows; refused only if none is. */
	for (ai = res; ai; ai = ai->ai_next)
		if (target_allowed(c->w->s->cfg.allow, c->w->s->cfg.nallow, ai->ai_addr))
			break;
	connect_addr(c, ai ? ai->ai_addr : res->ai_addr,
		     ai ? ai->ai_addrlen : res->ai_addrlen);
out:
	if (res)
		freeaddrinfo(res);
	free(r);
}

void server_dns_done(struct worker *w)
{
	struct dns_req *r, *next;

	pthread_mutex_lock(&w->dns_mu);
	r = w->dns_done;
	w->dns_done = NULL;
	pthread_mutex_unlock(&w->dns_mu);
	for (; r; r = next) {
		next = r->next;
		dns_finish(r);
	}
}

/* Longer than any resolv.conf allows in practice, shorter than systemd's
 * default stop timeout (90 s). */
#define DNS_STOP_MAX 60

/*
 * Shutdown, loop stopped and every connection closed: the worker may go
 * only when no resolver thread can touch it any more. Queued requests
 * are cancelled; one already running cannot be, so this waits for it:
 * at most the resolver's own limit (resolv.conf timeout x attempts x
 * servers; 5 s x 2 x 1 by default). Returns false if some request has
 * still not reported after DNS_STOP_MAX (glibc loses a notification when
 * it cannot create its thread): the caller must then keep the worker's
 * memory, which the imminent exit reclaims.
 */
bool server_dns_stop(struct worker *w)
{
	struct dns_req *r;
	struct timespec until;
	int left;

	for (r = w->dns_pending; r; r = r->pnext)
		if (gai_cancel(&r->cb) == EAI_CANCELED)
			dns_report(r);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DNS_STOP_MAX;
	pthread_mutex_lock(&w->dns_mu);
	while (w->dns_inflight &&
	       pthread_cond_timedwait(&w->dns_cv, &w->dns_mu, &until) != ETIMEDOUT)
		;
	left = w->dns_inflight;
	pthread_mutex_unlock(&w->dns_mu);
	if (left) {
		log_warn("worker %d: %d name resolution(s) still running after %d s: exiting without freeing the worker",
			 w->id, left, DNS_STOP_MAX);
		return false;
	}
	server_dns_done(w);
	return true;
}

static void connect_target(struct conn *c)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	ev_io_stop(c->w->loop, &c->up.rd);
	if (c->target.atyp == ATYP_IPV4) {
		memset(&in4, 0, sizeof(in4));
		in4.sin_family = AF_INET;
		memcpy(&in4.sin_addr, c->target.host, 4);
		in4.sin_port = htons(c->target.port);
		connect_addr(c, (struct sockaddr *)&in4, sizeof(in4));
	} else if (c->target.atyp == ATYP_IPV6) {
		memset(&in6, 0, sizeof(in6));
		in6.sin6_family = AF_INET6;
		memcpy(&in6.sin6_addr, c->target.host, 16);
		in6.sin6_port = htons(c->target.port);
		connect_addr(c, (struct sockaddr *)&in6, sizeof(in6));
	} else {
		resolve(c);
	}
}

/* Plaintext arrived while waiting for the header: parse or keep it. */
static void header_plain(struct conn *c, const uint8_t *p, size_t n)
{
	size_t used = 0, tot = c->hlen + n;
	uint8_t *buf = malloc(tot);
	int ret;

	if (!buf) {
		conn_close(c);
		return;
	}
	memcpy(buf, c->hbuf, c->hlen);
	memcpy(buf + c->hlen, p, n);
	ret = ss_addr_parse(buf, tot, &used, &c->target, NULL);
	if (ret != P_OK) {
		if (ret == P_NEED_MORE) {	/* tot < SS_ADDR_MAX < HS_BUF */
			memcpy(c->hbuf, buf, tot);
			c->hlen = tot;
		}
		free(buf);
		if (ret == P_ERR)
			conn_fail(c);
		return;
	}
	c->hlen = 0;
	if (used < tot) {
		c->up.pend = buf;
		c->up.pend_off = used;
		c->up.pend_len = tot;
	} else {
		free(buf);
	}
	connect_target(c);
}

static void server_hs_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct pipe *p = io->data;
	struct conn *c = p->c;
	uint8_t *in = c->w->sin;
	size_t have = p->rem_len;
	ssize_t n;
	long out;

	(void)loop;
	(void)revents;
	if (have)
		memcpy(in, p->rem, have);
	n = recv(c->cfd, in + have, RELAY_READ, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	/* No conn_touch(): the handshake deadline is absolute, so trickled
	 * bytes cannot hold a connection open. */
	out = pipe_transform(p, in, have + (size_t)n);
	if (out > 0)
		header_plain(c, c->w->sout, (size_t)out);
}

void server_accept(struct worker *w, int fd)
{
	struct conn *c = conn_accept(w, fd, CS_HEADER, server_hs_read_cb);

	/* Nothing has been read yet: the loop runs the callback later. */
	if (c) {
		ss_dec_init(&c->dec, &w->s->key);
		c->up.mode = PIPE_DEC;
	}
}
