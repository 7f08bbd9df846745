// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Connection lifetime and the two-way relay shared by both roles.
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

static struct conn *conn_new(struct worker *w, int cfd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->w = w;
	c->cfd = cfd;
	c->rfd = -1;
	c->id = ++w->next_id;
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
 * Take an accepted client socket: a connection in @state whose handshake
 * bytes go to @hs_read. On allocation failure the socket is closed and the
 * connection count given back; NULL then.
 */
struct conn *conn_accept(struct worker *w, int fd, enum conn_state state,
			 void (*hs_read)(struct ev_loop *, ev_io *, int))
{
	struct conn *c = conn_new(w, fd);

	if (!c) {
		atomic_fetch_sub(&w->s->nconn, 1);
		close(fd);
		return NULL;
	}
	c->counted = true;
	c->state = state;
	net_tune(fd, w->s->cfg.no_delay);
	c->up.c = c;
	c->down.c = c;
	ev_io_init(&c->up.rd, hs_read, fd, EV_READ);
	c->up.rd.data = &c->up;
	ev_io_start(w->loop, &c->up.rd);
	return c;
}

/*
 * Starts the sending half with a fresh salt and enters that salt in the
 * replay filter, as shadowsocks-libev does: a recording of what we send,
 * reflected back to us, then fails the replay check like any replay.
 * Without this a server->client stream sent back to the server decrypts
 * (same key, the salt derives the subkey) and is taken as a request.
 * A drawn salt already in the filter (chance 2^-128) is drawn again.
 */
int conn_enc_start(struct conn *c)
{
	struct shim *s = c->w->s;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (ss_enc_init(&c->enc, &s->key, NULL))
			return -1;
		if (!salt_filter_check_add(&s->salts, c->enc.salt, s->key.m->key_len)) {
			c->enc_ready = true;
			return 0;
		}
		ss_enc_free(&c->enc);
	}
	return -1;
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
	pipe_release(&c->up, w->loop);
	pipe_release(&c->down, w->loop);
	ev_timer_stop(w->loop, &c->timer);
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->rfd >= 0)
		close(c->rfd);
	c->cfd = c->rfd = -1;
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
	w->st.closed++;
	c->dead = true;
	/* A resolver thread still holds c: it frees it when it reports back. */
	if (!c->dns)
		free(c);
}

/*
 * One read per loop iteration, so a peer that never stops sending gets
 * its turn like every other connection and no more. Ends at EOF, when
 * the byte budget is spent, or at the deadline (the timer).
 */
static void drain_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn *c = io->data;
	size_t len = c->drain_left < SCRATCH_LEN ? c->drain_left : SCRATCH_LEN;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(c->cfd, c->w->sin, len, 0);
	if (n > 0) {
		c->drain_left -= (size_t)n;
		if (!c->drain_left)
			conn_close(c);
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

/*
 * Stop relaying and swallow the client's input: at most @budget bytes,
 * until the deadline the caller sets on c->timer. Used by the server for
 * probes and by the local side after a refusal.
 */
void conn_drain(struct conn *c, size_t budget)
{
	struct ev_loop *loop = c->w->loop;

	ev_io_stop(loop, &c->up.rd);
	ev_io_stop(loop, &c->up.wr);
	ev_io_stop(loop, &c->down.rd);
	ev_io_stop(loop, &c->down.wr);
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = -1;
	c->state = CS_DRAIN;
	c->expire = NULL;
	c->drain_left = budget;
	ev_io_init(&c->up.rd, drain_cb, c->cfd, EV_READ);
	c->up.rd.data = c;
	ev_io_start(loop, &c->up.rd);
}

/*
 * Bad ciphertext from a tunnel peer. The server does not answer and does
 * not close at a data-dependent moment: it swallows input until the
 * handshake timeout, the same as for a peer that is merely slow, so
 * active probes learn nothing. Hence no byte budget here: the deadline
 * bounds it, and each read yields to the loop. The local side just
 * closes (its peer is the server it chose).
 */
void conn_fail(struct conn *c)
{
	struct ev_loop *loop = c->w->loop;

	if (c->w->s->cfg.role == ROLE_LOCAL || c->state == CS_DRAIN) {
		conn_close(c);
		return;
	}
	c->w->st.probes++;
	conn_drain(c, SIZE_MAX);
	/* Deadline counts from the last valid input (c->last, touched only
	 * by input that decoded), not from the failure. */
	c->limit = c->w->s->cfg.handshake_timeout;
	c->timer.repeat = 0.001;
	ev_timer_again(loop, &c->timer);
}

int conn_connect_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

void pipe_maybe_shut(struct pipe *p)
{
	struct conn *c = p->c;
	int to = p->wr.fd;

	if (!p->eof || p->pend_len || p->shut)
		return;
	p->shut = true;
	shutdown(to, SHUT_WR);
	if (c->up.shut && c->down.shut)
		conn_close(c);
}

/* Writes what it can now and keeps the rest; false if c was closed. */
bool pipe_send(struct pipe *p, const uint8_t *buf, size_t len)
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

static void pipe_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct pipe *p = io->data;
	ssize_t n;

	(void)revents;
	n = send(io->fd, p->pend + p->pend_off, p->pend_len - p->pend_off,
		 MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(p->c);
		return;
	}
	p->bytes += (size_t)n;
	p->pend_off += (size_t)n;
	if (p->pend_off < p->pend_len)
		return;
	free(p->pend);
	p->pend = NULL;
	p->pend_len = p->pend_off = 0;
	ev_io_stop(loop, io);
	if (p->eof)
		pipe_maybe_shut(p);
	else
		ev_io_start(loop, &p->rd);
}

/* Keeps an incomplete chunk for the next read; false if c was closed. */
static bool pipe_keep_rem(struct pipe *p, const uint8_t *b, size_t n)
{
	if (!n) {
		free(p->rem);
		p->rem = NULL;
		p->rem_len = 0;
		return true;
	}
	if (!p->rem) {
		p->rem = malloc(SS_MAX_SALT + SS_MAX_CHUNK);
		if (!p->rem) {
			conn_close(p->c);
			return false;
		}
	}
	memmove(p->rem, b, n);
	p->rem_len = n;
	return true;
}

/*
 * Records whether the tunnel really runs MPTCP. Done when the peer's first
 * chunk authenticates: the handshake is certainly over by then (with Fast
 * Open, connect() returns before it even starts) and a fallback forced by
 * a middlebox that strips MPTCP options is visible.
 */
static void account_tunnel(struct conn *c)
{
	struct worker *w = c->w;
	int tfd = w->s->cfg.role == ROLE_LOCAL ? c->rfd : c->cfd;

	c->tun = net_tunnel_kind(tfd, &c->subflows);
	if (c->tun == TUN_MPTCP)
		w->st.tun_mptcp++;
	else if (c->tun == TUN_FALLBACK)
		w->st.tun_fallback++;
	else
		w->st.tun_tcp++;
	/* Asked for MPTCP, got TCP: worth a (rate-limited) word to the admin. */
	if (c->tun == TUN_FALLBACK && w->s->cfg.role == ROLE_LOCAL &&
	    ev_now(w->loop) - w->last_fallback_log > 60) {
		w->last_fallback_log = ev_now(w->loop);
		log_warn("tunnel fell back to plain TCP: server without MPTCP, or a middlebox strips the MPTCP option");
	}
	log_dbg("conn %llu: tunnel %s, %d subflow(s)", (unsigned long long)c->id,
		tun_kind_name(c->tun), c->subflows);
}

/*
 * Turns in[0..n) into wire bytes in w->sout. For a decrypting pipe the
 * unconsumed tail (partial chunk) is kept. Returns the output length, or
 * -1 after the connection has been failed or closed.
 */
long pipe_transform(struct pipe *p, const uint8_t *in, size_t n)
{
	struct conn *c = p->c;
	struct worker *w = c->w;
	size_t used, produced;
	long out;

	if (p->mode == PIPE_ENC) {
		out = ss_enc_feed(&c->enc, in, n, w->sout);
		if (out < 0)
			conn_close(c);
		return out;
	}
	if (ss_dec_feed(&c->dec, in, n, &used, w->sout, SCRATCH_LEN,
			&produced) != SS_DEC_OK) {
		conn_fail(c);
		return -1;
	}
	if (c->dec.authed && !c->salt_checked) {
		c->salt_checked = true;
		account_tunnel(c);
		if (salt_filter_check_add(&w->s->salts, c->dec.salt,
					  w->s->key.m->key_len)) {
			w->st.replays++;
			log_dbg("conn %llu: replayed salt", (unsigned long long)c->id);
			conn_fail(c);
			return -1;
		}
	}
	if (!pipe_keep_rem(p, in + used, n - used))
		return -1;
	return (long)produced;
}

static void pipe_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct pipe *p = io->data;
	struct conn *c = p->c;
	uint8_t *in = c->w->sin;
	size_t have = p->rem_len;
	ssize_t n;
	long out;

	(void)revents;
	if (have)
		memcpy(in, p->rem, have);
	n = recv(io->fd, in + have, RELAY_READ, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {
		/* EOF inside a chunk means a truncated stream: drop it. */
		if (have) {
			conn_close(c);
			return;
		}
		p->eof = true;
		ev_io_stop(loop, io);
		pipe_maybe_shut(p);
		return;
	}
	out = pipe_transform(p, in, have + (size_t)n);
	if (out <= 0)
		return;
	/* Only input that decoded is activity (not a partial chunk, not the
	 * read that held a bad one): after a bad chunk, conn_fail's deadline
	 * counts from the last valid input. */
	conn_touch(c);
	pipe_send(p, c->w->sout, (size_t)out);
}

void pipe_setup(struct pipe *p, struct conn *c, enum pipe_mode mode, int from,
		int to)
{
	p->c = c;
	p->mode = mode;
	ev_io_init(&p->rd, pipe_read_cb, from, EV_READ);
	ev_io_init(&p->wr, pipe_write_cb, to, EV_WRITE);
	p->rd.data = p;
	p->wr.data = p;
}

/* Both sockets are up: flush anything queued and start relaying. */
void conn_start_relay(struct conn *c)
{
	struct ev_loop *loop = c->w->loop;

	c->state = CS_RELAY;
	c->expire = NULL;
	conn_set_limit(c, c->w->s->cfg.timeout);
	ev_set_cb(&c->up.rd, pipe_read_cb);
	ev_set_cb(&c->up.wr, pipe_write_cb);
	ev_io_stop(loop, &c->up.wr);
	if (c->up.pend_len)
		ev_io_start(loop, &c->up.wr);
	else
		ev_io_start(loop, &c->up.rd);
	if (c->down.pend_len)
		ev_io_start(loop, &c->down.wr);
	else
		ev_io_start(loop, &c->down.rd);
}

static const char *state_name(enum conn_state s)
{
	static const char *const n[] = {
		"greeting", "auth", "request", "header", "resolving",
		"wait-data", "connecting", "relay", "drain",
	};

	return (size_t)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

void conn_status(struct conn *c)
{
	struct shim *s = c->w->s;
	int tfd = s->cfg.role == ROLE_LOCAL ? c->rfd : c->cfd;
	char t[SS_ADDR_STRLEN];
	int sub = 0;
	enum tun_kind k = tfd >= 0 ? net_tunnel_kind(tfd, &sub) : TUN_NONE;

	ss_addr_format(&c->target, t, sizeof(t));
	log_info("status: worker %d conn %llu state %s target %s tunnel %s subflows %d up %llu down %llu",
		 c->w->id, (unsigned long long)c->id, state_name(c->state),
		 c->target.atyp ? t : "-", tun_kind_name(k), sub,
		 (unsigned long long)c->up.bytes, (unsigned long long)c->down.bytes);
}
