// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Out of fds, memory or local ports: the worker stops taking new
 * connections for a moment. The pending connection stays queued and the
 * listener stays readable, so retrying at once would spin; open
 * connections keep being served meanwhile, and free fds (and ports) as
 * they close.
 *
 * The shortage shows at whichever allocation meets the limit first: the
 * accept() of a connection or the socket() of its second side (the dial
 * to the server or the target), depending on how many fds the process
 * holds besides; a port runs out at the dial's connect(). All pause
 * alike, and a dial that failed for want of our own fds or ports is never
 * counted against the server (local.c).
 */
#include <errno.h>
#include <string.h>
#include "log.h"
#include "shim.h"

#define RELISTEN_AFTER	0.2	/* seconds */

/*
 * EADDRNOTAVAIL from connect(): no local port left (ip_local_port_range;
 * a router's MPTCP joins hold ports too, docs/path-manager.md). Ours as
 * well, and never the server's fault.
 */
bool short_of(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS ||
	       err == EADDRNOTAVAIL;
}

void shortage_pause(struct worker *w, const char *what, int err)
{
	int i;

	for (i = 0; i < w->nl; i++)
		ev_io_stop(w->loop, &w->lw[i]);
	if (ev_now(w->loop) - w->last_limit_log > 5) {
		w->last_limit_log = ev_now(w->loop);
		log_warn("%s: %s%s: pausing new connections", what, strerror(err),
			 err == EADDRNOTAVAIL ?
			 " (no local port left: net.ipv4.ip_local_port_range)" : "");
	}
	ev_timer_set(&w->relisten, RELISTEN_AFTER, 0);
	ev_timer_start(w->loop, &w->relisten);
}

static void relisten_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;
	int i;

	(void)revents;
	for (i = 0; i < w->nl; i++)
		ev_io_start(loop, &w->lw[i]);
}

void shortage_init(struct worker *w)
{
	ev_init(&w->relisten, relisten_cb);
	w->relisten.data = w;
}
