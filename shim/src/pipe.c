// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pipe: connection lifetime and the one read->transform->send loop
 * every byte of both roles goes through. The role (local.c, server.c)
 * supplies struct role_ops; this file never calls a role directly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "log.h"
#include "shim.h"

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct conn *c = t->data;
	ev_tstamp deadline = c->last + c->limit, now = ev_now(loop);

	(void)revents;
	if (now >= deadline && c->expire) {
		void (*expire)(struct conn *) = c->expire;

		c->expire = NULL;
		expire(c);
		return;
	}
	if (now >= deadline) {
		log_dbg("conn %llu: %s timeout", (unsigned long long)c->id,
			c->state == CS_RELAY ? "idle" :
			c->state == CS_DRAIN ? "drain" : "handshake");
		conn_close(c);
		return;
	}
	t->repeat = deadline - now;
	ev_timer_again(loop, t);
}

void conn_touch(struct conn *c)
{
	c->last = ev_now(c->w->loop);
}

void conn_set_limit(struct conn *c, ev_tstamp limit)
{
	c->limit = limit;
	conn_touch(c);
	c->timer.repeat = limit;
	ev_timer_again(c->w->loop, &c->timer);
}

/* Counts n bytes read (rx) or written by p: to_tun reads the plain
 * socket and writes the tunnel, from_tun the other way round. */
static void pipe_count(struct pipe *p, bool rx, ssize_t n)
{
	bool plain = (p == &p->c->to_tun) == rx;

	if (n > 0)
		stat_add(&p->c->w->st, plain ? (rx ? ST_PLAIN_RX : ST_PLAIN_TX) :
			 (rx ? ST_TUN_RX : ST_TUN_TX), (uint64_t)n);
}

static void pipe_read_cb(struct ev_loop *loop, ev_io *io, int revents);
static void pipe_write_cb(struct ev_loop *loop, ev_io *io, int revents);

static void pipe_init(struct pipe *p, struct conn *c, enum pipe_mode mode)
{
	p->c = c;
	p->mode = mode;
	p->cap = RELAY_READ;
	ev_init(&p->rd, pipe_read_cb);
	ev_init(&p->wr, pipe_write_cb);
	p->rd.data = p;
	p->wr.data = p;
}

/*
 * Points the watchers of one side at its socket; they must be stopped.
 * Only a side whose socket is new: ev_io_set() makes libev register the
 * fd again at the next start (a wasted epoll_ctl if it did not change).
 */
static void conn_set_fds(struct conn *c, bool tunnel)
{
	if (tunnel) {
		ev_io_set(&c->to_tun.wr, c->tunnel, EV_WRITE);
		ev_io_set(&c->from_tun.rd, c->tunnel, EV_READ);
	} else {
		ev_io_set(&c->to_tun.rd, c->plain, EV_READ);
		ev_io_set(&c->from_tun.wr, c->plain, EV_WRITE);
	}
}

static struct conn *conn_new(struct worker *w)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->w = w;
	c->plain = c->tunnel = -1;
	c->id = ++w->next_id;
	pipe_init(&c->to_tun, c, PIPE_ENC);
	pipe_init(&c->from_tun, c, PIPE_DEC);
	ev_init(&c->timer, timer_cb);
	c->timer.data = c;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	conn_set_limit(c, w->s->cfg.handshake_timeout);
	return c;
}

/*
 * Take an accepted socket: it is the tunnel or the plain side as the
 * role says, and the role's open op starts the handshake. On allocation
 * failure the socket is closed and the connection count given back.
 */
struct conn *conn_accept(struct worker *w, int fd, bool mptcp)
{
	const struct role_ops *ops = w->s->ops;
	struct conn *c = conn_new(w);

	if (!c) {
		atomic_fetch_sub(&w->s->nconn, 1);
		close(fd);
		return NULL;
	}
	c->counted = true;
	if (ops->tunnel_accepted)
		c->tunnel = fd;
	else
		c->plain = fd;
	c->tun_made = ops->tunnel_accepted && mptcp ? TS_MAYBE : TS_TCP;
	net_tune(fd, w->s->cfg.no_delay);
	conn_set_fds(c, ops->tunnel_accepted);
	ops->open(c);
	return c;
}

void conn_stop_io(struct conn *c)
{
	struct ev_loop *loop = c->w->loop;

	ev_io_stop(loop, &c->to_tun.rd);
	ev_io_stop(loop, &c->to_tun.wr);
	ev_io_stop(loop, &c->from_tun.rd);
	ev_io_stop(loop, &c->from_tun.wr);
}

static void dial_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn *c = ((struct pipe *)io->data)->c;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)revents;
	ev_io_stop(loop, io);
	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	c->w->s->ops->connected(c, err);
}

/*
 * Opens the side the role did not accept (the tunnel with MPTCP and Fast
 * Open as configured, or the plain side) and connects it; the role's
 * connected op runs when it is up. The accepted side's reading goes on
 * (stopping it until the next loop iteration would cost an epoll_ctl now
 * and another one at the restart): bytes read meanwhile go to the role
 * (PLAIN), or the read stops then (pipe_read_cb). -1 with errno if the
 * connect failed at once (nothing is left open then).
 */
int conn_dial(struct conn *c, const struct sockaddr *sa, socklen_t len)
{
	struct shim *s = c->w->s;
	struct mptcp_switch plain = { .want = false };
	bool tun = s->ops->tunnel_accepted == false, mp;
	int fd, *side = tun ? &c->tunnel : &c->plain;
	struct pipe *p = tun ? &c->to_tun : &c->from_tun;

	fd = net_socket(sa->sa_family, tun ? &s->ms : &plain, &mp);
	if (fd < 0)
		return -1;
	net_tune(fd, s->cfg.no_delay);
	if (tun && s->cfg.fast_open && net_fastopen(fd, false))
		log_dbg("TCP_FASTOPEN_CONNECT: %s", strerror(errno));
	/* With Fast Open (cookie cached) this returns 0 and the SYN waits for
	 * our first write, so it carries the header. */
	if (connect(fd, sa, len) && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	*side = fd;
	if (tun)
		c->tun_made = mp ? TS_MPTCP : TS_TCP;
	conn_set_fds(c, tun);
	ev_set_cb(&p->wr, dial_cb);
	ev_io_start(c->w->loop, &p->wr);
	c->state = CS_CONNECTING;
	return 0;
}

/* Gives up the socket conn_dial() opened, for another try. */
void conn_dial_abort(struct conn *c)
{
	int *side = c->w->s->ops->tunnel_accepted ? &c->plain : &c->tunnel;

	conn_stop_io(c);
	ev_set_cb(&c->to_tun.wr, pipe_write_cb);
	ev_set_cb(&c->from_tun.wr, pipe_write_cb);
	if (*side >= 0)
		close(*side);
	*side = -1;
}

static void pipe_release(struct pipe *p, struct ev_loop *loop)
{
	ev_io_stop(loop, &p->rd);
	ev_io_stop(loop, &p->wr);
	free(p->pend);
	free(p->rem);
	p->pend = p->rem = NULL;
	p->pend_len = p->rem_len = p->pend_off = 0;
}

void conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->dead)
		return;
	pipe_release(&c->to_tun, w->loop);
	pipe_release(&c->from_tun, w->loop);
	ev_timer_stop(w->loop, &c->timer);
	if (c->plain >= 0)
		close(c->plain);
	if (c->tunnel >= 0)
		close(c->tunnel);
	c->plain = c->tunnel = -1;
	if (c->enc_ready)
		ss_enc_free(&c->enc);
	ss_dec_free(&c->dec);
	c->enc_ready = false;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->counted)
		atomic_fetch_sub(&w->s->nconn, 1);
	stat_inc(&w->st, ST_CLOSED);
	c->dead = true;
	/* A resolver thread still holds c: it frees it when it reports back. */
	if (!c->dns)
		free(c);
}

/* Bad input from the tunnel peer: the role decides (close, or drain). */
void conn_fail(struct conn *c)
{
	if (c->state == CS_DRAIN)
		conn_close(c);
	else
		c->w->s->ops->fail(c);
}

/* False if that closed c (both directions done). */
static bool pipe_maybe_shut(struct pipe *p)
{
	struct conn *c = p->c;

	if (!p->eof || p->pend_len || p->shut)
		return true;
	p->shut = true;
	shutdown(p->wr.fd, SHUT_WR);
	if (!c->to_tun.shut || !c->from_tun.shut)
		return true;
	conn_close(c);
	return false;
}

/* Writes what it can now and keeps the rest; false if c was closed. */
static bool pipe_send(struct pipe *p, const uint8_t *buf, size_t len)
{
	struct ev_loop *loop = p->c->w->loop;
	ssize_t n;

	if (!len)
		return true;
	n = send(p->wr.fd, buf, len, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_close(p->c);
			return false;
		}
		n = 0;
	}
	p->bytes += (size_t)n;
	pipe_count(p, false, n);
	if ((size_t)n == len)
		return true;
	p->pend = malloc(len - (size_t)n);
	if (!p->pend) {
		conn_close(p->c);
		return false;
	}
	memcpy(p->pend, buf + n, len - (size_t)n);
	p->pend_len = len - (size_t)n;
	p->pend_off = 0;
	ev_io_stop(loop, &p->rd);
	ev_io_start(loop, &p->wr);
	return true;
}

/*
 * Sends what the peer could not take before; once all is out, reading
 * resumes (or the half-close follows). False if c was closed.
 */
static bool pipe_flush(struct pipe *p)
{
	struct ev_loop *loop = p->c->w->loop;
	ssize_t n;

	n = send(p->wr.fd, p->pend + p->pend_off, p->pend_len - p->pend_off,
		 MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			ev_io_start(loop, &p->wr);
			return true;
		}
		conn_close(p->c);
		return false;
	}
	p->bytes += (size_t)n;
	pipe_count(p, false, n);
	p->pend_off += (size_t)n;
	if (p->pend_off < p->pend_len) {
		ev_io_start(loop, &p->wr);
		return true;
	}
	free(p->pend);
	p->pend = NULL;
	p->pend_len = p->pend_off = 0;
	ev_io_stop(loop, &p->wr);
	if (p->eof)
		return pipe_maybe_shut(p);
	ev_io_start(loop, &p->rd);
	return true;
}

static void pipe_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	pipe_flush(io->data);
}

/*
 * Bytes for the next read to put first: @a then @b (local: the target
 * header and the client's early bytes, sealed in one chunk with what the
 * client sends next). Also keeps an incomplete chunk (@a only). -1 if
 * out of memory.
 */
int pipe_carry(struct pipe *p, const uint8_t *a, size_t alen,
	       const uint8_t *b, size_t blen)
{
	if (!alen && !blen) {
		free(p->rem);
		p->rem = NULL;
		p->rem_len = 0;
		return 0;
	}
	if (!p->rem) {
		p->rem = malloc(SS_MAX_SALT + SS_MAX_CHUNK);
		if (!p->rem)
			return -1;
	}
	memmove(p->rem, a, alen);
	if (blen)
		memcpy(p->rem + alen, b, blen);
	p->rem_len = alen + blen;
	return 0;
}

/*
 * Turns in[0..n) into what goes on in *out. An incomplete chunk is kept
 * for the next read. Returns the output length, or -1 after the
 * connection has been failed or closed.
 */
static long pipe_transform(struct pipe *p, uint8_t *in, size_t n,
			   const uint8_t **out)
{
	struct conn *c = p->c;
	size_t used, produced;
	long len;

	*out = c->w->sout;
	if (p->mode == PIPE_PLAIN) {
		*out = in;
		return (long)n;
	}
	if (p->mode == PIPE_ENC) {
		len = ss_enc_feed(&c->enc, in, n, c->w->sout);
		if (len < 0 || pipe_carry(p, NULL, 0, NULL, 0))
			conn_close(c);
		return len;
	}
	if (ss_dec_feed(&c->dec, in, n, &used, c->w->sout, SCRATCH_LEN,
			&produced) != SS_DEC_OK) {
		stat_inc(&c->w->st, c->dec.authed ? ST_AUTH_BAD_CHUNK : ST_AUTH_BAD_TAG);
		conn_fail(c);
		return -1;
	}
	if (c->dec.authed && !c->salt_checked && !conn_authenticated(c)) {
		conn_fail(c);
		return -1;
	}
	if (pipe_carry(p, in + used, n - used, NULL, 0)) {
		conn_close(c);
		return -1;
	}
	return (long)produced;
}

/* The peer half-closed: relayed once what was carried is out. */
static void pipe_eof(struct pipe *p, uint8_t *in, size_t have)
{
	struct conn *c = p->c;
	const uint8_t *out;
	long len = 0;

	if (c->state != CS_RELAY) {
		c->w->s->ops->input(c, NULL, 0);
		return;
	}
	/* EOF inside a chunk means a truncated stream: drop it. */
	if (have && p->mode == PIPE_DEC) {
		conn_close(c);
		return;
	}
	if (have)
		len = pipe_transform(p, in, have, &out);
	if (len < 0 || (len && !pipe_send(p, out, (size_t)len)))
		return;
	p->eof = true;
	ev_io_stop(c->w->loop, &p->rd);
	pipe_maybe_shut(p);
}

/*
 * The loop: one read from p's source (after the carried bytes), the
 * transform, then to the peer, or to the role while it handshakes.
 */
void pipe_pump(struct pipe *p)
{
	struct conn *c = p->c;
	uint8_t *in = c->w->sin;
	const uint8_t *out;
	size_t have = p->rem_len;
	ssize_t n;
	long len;

	if (have)
		memcpy(in, p->rem, have);
	n = recv(p->rd.fd, in + have, p->cap, 0);
	pipe_count(p, true, n);
	if (n == 0) {
		pipe_eof(p, in, have);
		return;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		conn_close(c);
		return;
	}
	/* Carried plaintext goes out even if nothing new came. */
	if (n < 0 && !(have && p->mode == PIPE_ENC))
		return;
	len = pipe_transform(p, in, have + (size_t)(n > 0 ? n : 0), &out);
	if (len <= 0)
		return;
	if (c->state != CS_RELAY) {
		c->w->s->ops->input(c, out, (size_t)len);
		return;
	}
	/* Only input that decoded is activity (not a partial chunk, not the
	 * read that held a bad one): after a bad chunk, the probe drain's
	 * deadline counts from the last valid input. */
	conn_touch(c);
	pipe_send(p, out, (size_t)len);
}

static void pipe_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct pipe *p = io->data;
	enum conn_state st = p->c->state;

	(void)revents;
	/* The server's tunnel input while its target resolves or connects
	 * waits in the socket: stopped only now that some came. */
	if ((st == CS_RESOLVING || st == CS_CONNECTING) && p->mode != PIPE_PLAIN) {
		ev_io_stop(loop, io);
		return;
	}
	pipe_pump(p);
}

/*
 * Relaying starts: what is queued goes out now (the socket just
 * connected, so it is writable: no loop iteration spent waiting for
 * that), else reading starts. False if c was closed.
 */
static bool pipe_start(struct pipe *p, struct ev_loop *loop)
{
	ev_set_cb(&p->rd, pipe_read_cb);
	ev_set_cb(&p->wr, pipe_write_cb);
	p->rd.data = p;
	if (p->pend_len)
		return pipe_flush(p);
	if (!p->eof)
		ev_io_start(loop, &p->rd);
	return true;
}

/*
 * Both sockets are up: flush anything queued and start relaying. False
 * if c was closed (the peer went away meanwhile).
 */
bool conn_start_relay(struct conn *c)
{
	c->state = CS_RELAY;
	c->expire = NULL;
	conn_set_limit(c, c->w->s->cfg.timeout);
	conn_stop_io(c);
	return pipe_start(&c->to_tun, c->w->loop) &&
	       pipe_start(&c->from_tun, c->w->loop);
}
