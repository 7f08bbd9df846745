// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Local role: SOCKS5 front end. The reply to CONNECT goes out at once and
 * the tunnel is dialled in parallel; the target header is sent in the
 * same AEAD chunk as the client's first bytes, so no round trip is spent
 * on the address (as shadowsocks-libev does).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include "log.h"
#include "shim.h"
#include "socks5.h"

static bool reply(struct conn *c, const uint8_t *b, size_t n)
{
	/* Tiny replies to a fresh socket fit its buffer; anything else is broken. */
	return send(c->cfd, b, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* What a refused client may still send before we close anyway. */
#define REFUSE_DRAIN_BYTES (64 * 1024)
#define REFUSE_DRAIN_TIME 1.0

/*
 * Full-length reply with the code, then close (RFC 1928 section 6).
 * Unread input would turn close() into an RST that can destroy the reply
 * in flight, so the reply is followed by our FIN and the client's input
 * is swallowed until its EOF, but bounded in bytes and time and one read
 * per loop iteration (conn_drain): a client that never stops sending
 * must not hold the worker.
 */
static void refuse(struct conn *c, int rep)
{
	uint8_t r[S5_REPLY_LEN];

	log_dbg("conn %llu: SOCKS5 refused (rep %d)", (unsigned long long)c->id, rep);
	if (rep == S5_REP_NONE) {
		conn_close(c);
		return;
	}
	s5_build_reply(r, (uint8_t)rep);
	if (!reply(c, r, sizeof(r)) || shutdown(c->cfd, SHUT_WR)) {
		conn_close(c);
		return;
	}
	conn_drain(c, REFUSE_DRAIN_BYTES);
	conn_set_limit(c, REFUSE_DRAIN_TIME);
}

static int dial(struct conn *c);

/*
 * Server c->srv refused or did not answer (err): c moves to the next one,
 * and so do new connections (srv_cur, compared-and-swapped so racing
 * workers move it once). False, with the log line, when every server has
 * been tried. Nothing was sent to the failed server, so the same salt and
 * the buffered first bytes go to the next one.
 */
static bool next_server(struct conn *c, int err)
{
	struct shim *s = c->w->s;
	struct worker *w = c->w;
	int from = c->srv, next = (c->srv + 1) % s->nsrv;
	bool log = ev_now(w->loop) - w->last_dial_log > 5;

	ev_io_stop(w->loop, &c->up.wr);
	close(c->rfd);
	c->rfd = -1;
	if (++c->dials >= s->nsrv) {
		/* Once per 5 s per worker: a dead server must not flood the log. */
		if (log) {
			w->last_dial_log = ev_now(w->loop);
			log_warn("cannot reach server %s: %s", s->cfg.server[from], strerror(err));
		}
		return false;
	}
	if (atomic_compare_exchange_strong(&s->srv_cur, &from, next) && log) {
		w->last_dial_log = ev_now(w->loop);
		log_warn("server %s unreachable (%s): switching to %s",
			 s->cfg.server[c->srv], strerror(err), s->cfg.server[next]);
	}
	c->srv = next;
	return true;
}

static void dial_expired(struct conn *c)
{
	if (!next_server(c, ETIMEDOUT) || dial(c))
		conn_close(c);
}

static void local_connected_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn *c;
	struct pipe *p = io->data;
	uint8_t plain[SS_MAX_PAYLOAD];
	size_t hl;
	ssize_t n;
	long out;
	int err;

	(void)revents;
	c = p->c;
	err = conn_connect_error(c->rfd);
	if (err) {
		if (!next_server(c, err) || dial(c))
			conn_close(c);
		return;
	}
	/* Header plus whatever the client already sent, as one chunk. */
	hl = ss_addr_encode(&c->target, plain);
	memcpy(plain + hl, c->hbuf, c->hlen);
	hl += c->hlen;
	n = recv(c->cfd, plain + hl, sizeof(plain) - hl, MSG_DONTWAIT);
	if (n > 0)
		hl += (size_t)n;
	else if (n == 0)
		c->up.eof = true;
	out = ss_enc_feed(&c->enc, plain, hl, c->w->sout);
	if (out < 0) {
		conn_close(c);
		return;
	}
	conn_start_relay(c);
	if (c->up.eof)
		ev_io_stop(loop, &c->up.rd);
	/* A client that already closed still gets its half-close relayed. */
	if (pipe_send(&c->up, c->w->sout, (size_t)out) && c->up.eof)
		pipe_maybe_shut(&c->up);
}

/*
 * Opens the tunnel connection to server c->srv, or the next ones if it
 * fails at once; the first chunk goes out when it is writable. -1 when
 * no server could be dialled.
 */
static int dial(struct conn *c)
{
	struct shim *s = c->w->s;
	bool mp;

	ev_io_stop(c->w->loop, &c->up.rd);
	c->rfd = net_socket(s->srv[c->srv].ss_family, &s->ms, &mp);
	if (c->rfd < 0) {
		log_warn("socket: %s", strerror(errno));
		return -1;
	}
	net_tune(c->rfd, s->cfg.no_delay);
	if (s->cfg.fast_open && net_fastopen(c->rfd, false))
		log_dbg("TCP_FASTOPEN_CONNECT: %s", strerror(errno));
	/* With Fast Open (cookie cached) this returns 0 and the SYN waits for
	 * our first write, so it carries the header. */
	if (connect(c->rfd, (struct sockaddr *)&s->srv[c->srv], s->srvlen[c->srv]) &&
	    errno != EINPROGRESS) {
		log_dbg("connect to server %s: %s", s->cfg.server[c->srv], strerror(errno));
		return next_server(c, errno) ? dial(c) : -1;
	}
	pipe_setup(&c->up, c, PIPE_ENC, c->cfd, c->rfd);
	pipe_setup(&c->down, c, PIPE_DEC, c->rfd, c->cfd);
	ev_set_cb(&c->up.wr, local_connected_cb);
	ev_io_start(c->w->loop, &c->up.wr);
	c->state = CS_CONNECTING;
	c->expire = dial_expired;
	conn_set_limit(c, s->cfg.handshake_timeout);
	return 0;
}

static void local_dial(struct conn *c)
{
	if (dial(c))
		conn_close(c);
}

static void local_wait_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	local_dial(((struct pipe *)io->data)->c);
}

/* How long Fast Open waits for the client's first bytes to put in the SYN. */
#define FO_WAIT 0.05

static void start_tunnel(struct conn *c)
{
	struct shim *s = c->w->s;
	uint8_t r[S5_REPLY_LEN];

	if (conn_enc_start(c)) {
		conn_close(c);
		return;
	}
	ss_dec_init(&c->dec, &s->key);
	c->srv = atomic_load(&s->srv_cur);
	/* Without Fast Open, dial first so a local failure gets REP 0x01. */
	if (!s->cfg.fast_open && dial(c)) {
		refuse(c, S5_REP_FAIL);
		return;
	}
	s5_build_reply(r, S5_REP_OK);
	if (!reply(c, r, sizeof(r))) {
		conn_close(c);
		return;
	}
	if (!s->cfg.fast_open)
		return;
	if (c->hlen) {		/* early data came with the request */
		local_dial(c);
		return;
	}
	/* Client-speaks-first protocols (HTTP, TLS) send at once: wait a
	 * moment so those bytes ride in the SYN; the timer dials anyway. */
	c->state = CS_WAIT_DATA;
	c->expire = local_dial;	/* server-speaks-first protocol: dial anyway */
	ev_set_cb(&c->up.rd, local_wait_cb);
	ev_io_start(c->w->loop, &c->up.rd);
	conn_set_limit(c, FO_WAIT);
}

static void consume(struct conn *c, size_t used)
{
	memmove(c->hbuf, c->hbuf + used, c->hlen - used);
	c->hlen -= used;
}

static bool auth_ok(const struct shim_config *cfg, const struct s5_auth *a)
{
	/* Constant-time compare so the password cannot be guessed bytewise. */
	bool ok = strlen(cfg->socks_user) == a->ulen &&
		  strlen(cfg->socks_pass) == a->plen;

	ok &= !CRYPTO_memcmp(cfg->socks_user, a->user, ok ? a->ulen : 0);
	ok &= !CRYPTO_memcmp(cfg->socks_pass, a->pass, ok ? a->plen : 0);
	return ok;
}

/* Returns true when the greeting (or auth) is done and parsing may go on. */
static bool step_greeting(struct conn *c, bool want_auth)
{
	uint8_t r[2] = { 5, S5_M_NONE };
	size_t used = 0;
	int ret = s5_parse_greeting(c->hbuf, c->hlen, &used, want_auth, &r[1]);

	if (ret == P_NEED_MORE)
		return false;
	if (ret == P_ERR) {
		refuse(c, S5_REP_NONE);
		return false;
	}
	/* 0xFF "no acceptable methods" is the RFC's answer; then close. */
	if (!reply(c, r, 2) || r[1] == S5_M_NONE) {
		conn_close(c);
		return false;
	}
	consume(c, used);
	c->state = want_auth ? CS_AUTH : CS_REQUEST;
	return true;
}

static bool step_auth(struct conn *c)
{
	struct s5_auth a;
	size_t used = 0;
	int ret = s5_parse_auth(c->hbuf, c->hlen, &used, &a);
	uint8_t r[2] = { 1, 1 };

	if (ret == P_NEED_MORE)
		return false;
	if (ret == P_OK && auth_ok(&c->w->s->cfg, &a))
		r[1] = 0;
	OPENSSL_cleanse(&a, sizeof(a));
	if (ret == P_ERR || !reply(c, r, 2) || r[1]) {
		conn_close(c);
		return false;
	}
	consume(c, used);
	c->state = CS_REQUEST;
	return true;
}

static void step_request(struct conn *c)
{
	struct s5_request rq;
	size_t used = 0;
	int rep, ret = s5_parse_request(c->hbuf, c->hlen, &used, &rq, &rep);

	if (ret == P_NEED_MORE)
		return;
	if (ret == P_ERR) {
		refuse(c, rep);
		return;
	}
	if (rq.cmd != S5_CMD_CONNECT) {
		refuse(c, S5_REP_CMD_UNSUPP);
		return;
	}
	c->target = rq.dst;
	consume(c, used);
	ev_io_stop(c->w->loop, &c->up.rd);
	start_tunnel(c);
}

static void local_hs_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct conn *c = ((struct pipe *)io->data)->c;
	bool want_auth = c->w->s->cfg.socks_user[0] != 0;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(c->cfd, c->hbuf + c->hlen, HS_BUF - c->hlen, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	c->hlen += (size_t)n;
	if (c->state == CS_GREETING && !step_greeting(c, want_auth))
		return;
	if (c->state == CS_AUTH && !step_auth(c))
		return;
	if (c->state == CS_REQUEST)
		step_request(c);
}

void local_accept(struct worker *w, int fd)
{
	conn_accept(w, fd, CS_GREETING, local_hs_read_cb);
}
