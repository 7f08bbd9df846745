// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Salts, the two places a connection meets the replay filter: the salt
 * the sending half draws, and the peer's once its first chunk opened
 * (the "authenticated" event, where the tunnel is accounted too).
 */
#include <string.h>
#include "log.h"
#include "shim.h"

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
	uint8_t salt[SS_MAX_SALT];
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (ss_randpool_get(&c->w->rnd, salt, s->key.m->key_len) ||
		    ss_enc_init(&c->enc, &s->key, c->w->kdf, salt))
			return -1;
		if (!salt_filter_check_add(&s->salts, c->enc.salt, s->key.m->key_len)) {
			c->enc_ready = true;
			return 0;
		}
		ss_enc_free(&c->enc);
	}
	return -1;
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

	c->tun = net_tunnel_kind(c->tunnel, c->tun_made, &c->subflows);
	if (c->tun == TUN_MPTCP)
		stat_inc(&w->st, ST_TUN_MPTCP);
	else if (c->tun == TUN_FALLBACK)
		stat_inc(&w->st, ST_TUN_FALLBACK);
	else
		stat_inc(&w->st, ST_TUN_TCP);
	/* We asked for MPTCP and got TCP: worth a (rate-limited) word to the
	 * admin. A server cannot ask, so it does not warn. */
	if (c->tun == TUN_FALLBACK && !w->s->ops->tunnel_accepted &&
	    ev_now(w->loop) - w->last_fallback_log > 60) {
		w->last_fallback_log = ev_now(w->loop);
		log_warn("tunnel fell back to plain TCP: server without MPTCP, or a middlebox strips the MPTCP option");
	}
	log_dbg("conn %llu: tunnel %s, %d subflow(s)", (unsigned long long)c->id,
		tun_kind_name(c->tun), c->subflows);
}

/*
 * The "authenticated" event: the peer's first chunk opened with the key.
 * Its salt must be new (replay filter, shared with the salts we draw), and
 * the tunnel is accounted. False for a replay: the caller fails c.
 */
bool conn_authenticated(struct conn *c)
{
	struct shim *s = c->w->s;

	c->salt_checked = true;
	account_tunnel(c);
	if (salt_filter_check_add(&s->salts, c->dec.salt, s->key.m->key_len)) {
		stat_inc(&c->w->st, ST_AUTH_REPLAY);
		log_dbg("conn %llu: replayed salt", (unsigned long long)c->id);
		return false;
	}
	return true;
}
