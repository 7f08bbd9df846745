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
	ssize_t w = send(c->plain, b, n, MSG_NOSIGNAL);

	if (w > 0)
		stat_add(&c->w->st, ST_PLAIN_TX, (uint64_t)w);
	return w == (ssize_t)n;
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
	if (!reply(c, r, sizeof(r)) || shutdown(c->plain, SHUT_WR)) {
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

	conn_dial_abort(c);
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

/*
 * The tunnel is up: the target header and the client's early bytes are
 * carried into the pipe's first read, so they leave sealed in one chunk
 * with whatever the client has sent by now.
 */
void local_connected(struct conn *c, int err)
{
	uint8_t hdr[SS_ADDR_MAX];
	size_t hl;

	if (err) {
		if (!next_server(c, err) || dial(c))
			conn_close(c);
		return;
	}
	c->to_tun.mode = PIPE_ENC;
	c->to_tun.cap = RELAY_READ;
	hl = ss_addr_encode(&c->target, hdr);
	if (pipe_carry(&c->to_tun, hdr, hl, c->hbuf, c->hlen)) {
		conn_close(c);
		return;
	}
	c->hlen = 0;
	if (conn_start_relay(c))
		pipe_pump(&c->to_tun);
}

/*
 * Opens the tunnel connection to server c->srv, or the next ones if it
 * fails at once. -1 when no server could be dialled.
 */
static int dial(struct conn *c)
{
	struct shim *s = c->w->s;

	/* Until it connects, what the client sends goes to hbuf. */
	c->to_tun.mode = PIPE_PLAIN;
	c->to_tun.cap = HS_BUF - c->hlen;
	if (!c->to_tun.cap)
		ev_io_stop(c->w->loop, &c->to_tun.rd);
	if (conn_dial(c, (struct sockaddr *)&s->srv[c->srv], s->srvlen[c->srv])) {
		log_dbg("connect to server %s: %s", s->cfg.server[c->srv], strerror(errno));
		/* Our own shortage, not the server's fault: no switching. */
		if (short_of(errno)) {
			shortage_pause(c->w, "connect to server", errno);
			return -1;
		}
		return next_server(c, errno) ? dial(c) : -1;
	}
	c->expire = dial_expired;
	conn_set_limit(c, s->cfg.handshake_timeout);
	return 0;
}

/*
 * The client's bytes while the tunnel connects (the plain side is read
 * on, which spares libev two epoll_ctl calls): kept in hbuf, to go with
 * the target header in the first chunk; reading stops when it is full,
 * and at EOF, which the relay then reads again.
 */
void local_connecting_input(struct conn *c, const uint8_t *b, size_t n)
{
	if (b) {
		memcpy(c->hbuf + c->hlen, b, n);
		c->hlen += n;
		c->to_tun.cap = HS_BUF - c->hlen;
	}
	if (!b || !c->to_tun.cap)
		ev_io_stop(c->w->loop, &c->to_tun.rd);
}

void local_dial(struct conn *c)
{
	if (dial(c))
		conn_close(c);
}

/* How long Fast Open waits for the client's first bytes to put in the SYN. */
#define FO_WAIT 0.05

/*
 * The tunnel half of a connection whose target is known (SOCKS5 CONNECT,
 * or the redir role's original destination): the sending half's salt,
 * the server to dial, and without Fast Open the dial itself. -1 if
 * nothing could be started (the caller answers and closes).
 */
int local_tunnel_begin(struct conn *c)
{
	struct shim *s = c->w->s;

	if (conn_enc_start(c))
		return -1;
	ss_dec_init(&c->dec, &s->key);
	c->dec.kdf = c->w->kdf;
	c->srv = atomic_load(&s->srv_cur);
	return s->cfg.fast_open ? 0 : dial(c);
}

/*
 * With Fast Open, after local_tunnel_begin(): dial now if early bytes are
 * in hbuf, else wait for them a moment, reading (the role's input op
 * calls local_dial on the first bytes or EOF). Nothing without Fast Open.
 */
void local_tunnel_early(struct conn *c)
{
	if (!c->w->s->cfg.fast_open)
		return;
	if (c->hlen) {		/* early data came with the request */
		local_dial(c);
		return;
	}
	/* Client-speaks-first protocols (HTTP, TLS) send at once: wait a
	 * moment so those bytes ride in the SYN; the timer dials anyway
	 * (server-speaks-first protocol). */
	c->state = CS_WAIT_DATA;
	c->to_tun.mode = PIPE_PLAIN;
	c->to_tun.cap = HS_BUF - c->hlen;
	c->expire = local_dial;
	conn_set_limit(c, FO_WAIT);
	ev_io_start(c->w->loop, &c->to_tun.rd);
}

static void start_tunnel(struct conn *c)
{
	uint8_t r[S5_REPLY_LEN];

	/* Without Fast Open this dials first, so a local failure gets REP 0x01. */
	if (local_tunnel_begin(c)) {
		refuse(c, S5_REP_FAIL);
		return;
	}
	s5_build_reply(r, S5_REP_OK);
	if (!reply(c, r, sizeof(r))) {
		conn_close(c);
		return;
	}
	local_tunnel_early(c);
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

/*
 * A SOCKS5 message is incomplete: the next read must fit what hbuf has
 * left. No message is longer than hbuf, so a full one is refused.
 */
static bool need_more(struct conn *c)
{
	c->to_tun.cap = HS_BUF - c->hlen;
	if (!c->to_tun.cap)
		conn_close(c);
	return false;
}

/* Returns true when the greeting (or auth) is done and parsing may go on. */
static bool step_greeting(struct conn *c, bool want_auth)
{
	uint8_t r[2] = { 5, S5_M_NONE };
	size_t used = 0;
	int ret = s5_parse_greeting(c->hbuf, c->hlen, &used, want_auth, &r[1]);

	if (ret == P_NEED_MORE)
		return need_more(c);
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
		return need_more(c);
	if (ret == P_OK && auth_ok(&c->w->s->cfg, &a))
		r[1] = 0;
	else
		stat_inc(&c->w->st, ST_AUTH_SOCKS);
	OPENSSL_cleanse(&a, sizeof(a));
	if (ret == P_ERR || !reply(c, r, 2) || r[1]) {
		conn_close(c);
		return false;
	}
	consume(c, used);
	c->state = CS_REQUEST;
	return true;
}

/* UDP ASSOCIATE: the control connection now belongs to the association. */
static void associate(struct conn *c, const struct ss_addr *hint)
{
	int rep = udp_assoc_open(c->w, c->plain, hint);

	if (rep) {
		refuse(c, rep);
		return;
	}
	c->plain = -1;
	conn_close(c);
}

static void step_request(struct conn *c)
{
	struct s5_request rq;
	size_t used = 0;
	int rep, ret = s5_parse_request(c->hbuf, c->hlen, &used, &rq, &rep);

	if (ret == P_NEED_MORE) {
		need_more(c);
		return;
	}
	if (ret == P_ERR) {
		refuse(c, rep);
		return;
	}
	if (rq.cmd == S5_CMD_UDP && cfg_udp(&c->w->s->cfg)) {
		associate(c, &rq.dst);
		return;
	}
	if (rq.cmd != S5_CMD_CONNECT) {
		refuse(c, S5_REP_CMD_UNSUPP);
		return;
	}
	c->target = rq.dst;
	consume(c, used);
	start_tunnel(c);
}

/*
 * SOCKS5 bytes from the pipe (PLAIN until the tunnel is dialled; each
 * read fits what hbuf has left), or the client's EOF (NULL). In
 * CS_WAIT_DATA the first early bytes, or EOF, start the dial.
 */
static void local_input(struct conn *c, const uint8_t *b, size_t n)
{
	bool want_auth = c->w->s->cfg.socks_user[0] != 0;

	if (c->state == CS_CONNECTING) {
		local_connecting_input(c, b, n);
		return;
	}
	if (!b) {
		if (c->state == CS_WAIT_DATA)
			local_dial(c);
		else
			conn_close(c);
		return;
	}
	memcpy(c->hbuf + c->hlen, b, n);
	c->hlen += n;
	if (c->state == CS_WAIT_DATA) {
		local_dial(c);
		return;
	}
	if (c->state == CS_GREETING && !step_greeting(c, want_auth))
		return;
	if (c->state == CS_AUTH && !step_auth(c))
		return;
	if (c->state == CS_REQUEST)
		step_request(c);
}

static void local_open(struct conn *c)
{
	c->state = CS_GREETING;
	c->to_tun.mode = PIPE_PLAIN;
	c->to_tun.cap = HS_BUF;
	ev_io_start(c->w->loop, &c->to_tun.rd);
}

const struct role_ops local_ops = {
	.name = "local",
	.tunnel_accepted = false,
	.open = local_open,
	.input = local_input,
	.connected = local_connected,
	.fail = conn_close,
};
