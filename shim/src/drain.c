// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bounded drain: a connection stops relaying and swallows what its
 * accepted peer still sends, one read per loop iteration, until EOF, a
 * byte budget or a deadline. For probes (server: bad ciphertext gets no
 * answer and no data-dependent close) and after a refusal (local: an
 * unread input would turn close() into an RST destroying the reply).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/socket.h>
#include "shim.h"

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
	n = recv(io->fd, c->w->sin, len, 0);
	if (n > 0) {
		stat_add(&c->w->st, c->w->s->ops->tunnel_accepted ? ST_TUN_RX :
			 ST_PLAIN_RX, (uint64_t)n);
		c->drain_left -= (size_t)n;
		if (!c->drain_left)
			conn_close(c);
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

/*
 * Stop relaying and swallow the accepted peer's input: at most @budget
 * bytes, until the deadline the caller sets on c->timer. The dialled side
 * is closed. Used for probes (server) and after a refusal (local).
 */
void conn_drain(struct conn *c, size_t budget)
{
	bool tun = c->w->s->ops->tunnel_accepted;
	int *gone = tun ? &c->plain : &c->tunnel;
	struct pipe *p = tun ? &c->from_tun : &c->to_tun;

	conn_stop_io(c);
	if (*gone >= 0)
		close(*gone);
	*gone = -1;
	c->state = CS_DRAIN;
	c->expire = NULL;
	c->drain_left = budget;
	ev_set_cb(&p->rd, drain_cb);
	p->rd.data = c;
	ev_io_start(c->w->loop, &p->rd);
}

/*
 * Server's answer to bad ciphertext: it does not answer and does not
 * close at a data-dependent moment: it swallows input until the
 * handshake timeout, the same as for a peer that is merely slow, so
 * active probes learn nothing. Hence no byte budget here: the deadline
 * bounds it, and each read yields to the loop.
 */
void conn_probe_drain(struct conn *c)
{
	conn_drain(c, SIZE_MAX);
	/* Deadline counts from the last valid input (c->last, touched only
	 * by input that decoded), not from the failure. */
	c->limit = c->w->s->cfg.handshake_timeout;
	c->timer.repeat = 0.001;
	ev_timer_again(c->w->loop, &c->timer);
}
