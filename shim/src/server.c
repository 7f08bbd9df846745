// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Server role: the pipe opens the salt and the first chunk(s); this file
 * takes the target header from that plaintext, applies the target
 * policy, resolves names off-loop (dns.c) and dials the target.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "log.h"
#include "shim.h"

static void server_open(struct conn *c)
{
	ss_dec_init(&c->dec, &c->w->s->key);
	c->dec.kdf = c->w->kdf;
	c->state = CS_HEADER;
	ev_io_start(c->w->loop, &c->from_tun.rd);
}

static void server_connected(struct conn *c, int err)
{
	char t[SS_ADDR_STRLEN];

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
		stat_inc(&c->w->st, ST_REFUSED_POLICY);
		conn_close(c);
		return;
	}
	if (conn_enc_start(c) || conn_dial(c, sa, len)) {
		log_dbg("conn %llu: connect: %s", (unsigned long long)c->id,
			strerror(errno));
		if (short_of(errno))
			shortage_pause(c->w, "connect to target", errno);
		conn_close(c);
	}
}

static void resolved(struct conn *c, const struct addrinfo *res, int rc)
{
	const struct addrinfo *ai;
	char t[SS_ADDR_STRLEN];

	if (rc) {
		ss_addr_format(&c->target, t, sizeof(t));
		log_dbg("conn %llu: resolve %s: %s", (unsigned long long)c->id, t,
			gai_strerror(rc));
		conn_close(c);
		return;
	}
	/* First address the policy allows; refused only if none is. */
	for (ai = res; ai; ai = ai->ai_next)
		if (target_allowed(c->w->s->cfg.allow, c->w->s->cfg.nallow, ai->ai_addr))
			break;
	if (!ai)
		ai = res;
	connect_addr(c, ai->ai_addr, ai->ai_addrlen);
}

static void connect_target(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len;

	/* Reading goes on until input comes meanwhile (pipe_read_cb). */
	len = ss_addr_to_sockaddr(&c->target, &ss);
	if (len)
		connect_addr(c, (struct sockaddr *)&ss, len);
	else if (dns_resolve(c, resolved))
		conn_close(c);
	else
		c->state = CS_RESOLVING;
}

/*
 * Plaintext arrived while waiting for the header: parse or keep it.
 * No conn_touch(): the handshake deadline is absolute, so trickled bytes
 * cannot hold a connection open.
 */
static void server_input(struct conn *c, const uint8_t *p, size_t n)
{
	size_t used = 0, tot = c->hlen + n;
	uint8_t *buf;
	int ret;

	if (!p || !(buf = malloc(tot))) {
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
		if (ret == P_ERR) {
			stat_inc(&c->w->st, ST_AUTH_BAD_HEADER);
			conn_fail(c);
		}
		return;
	}
	c->hlen = 0;
	if (used < tot) {	/* the first bytes for the target */
		c->from_tun.pend = buf;
		c->from_tun.pend_off = used;
		c->from_tun.pend_len = tot;
	} else {
		free(buf);
	}
	connect_target(c);
}

const struct role_ops server_ops = {
	.name = "server",
	.tunnel_accepted = true,
	.open = server_open,
	.input = server_input,
	.connected = server_connected,
	.fail = conn_probe_drain,
};
