// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Name resolution off the loop (getaddrinfo_a): requests are started on
 * the worker, finished on glibc's notification thread, and handed back
 * to the worker's loop, where the caller's done function runs.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "shim.h"

struct dns_req {
	struct gaicb cb;
	struct gaicb *list[1];
	struct addrinfo hints;
	char port[8];
	struct conn *c;
	struct worker *w;
	void (*done)(struct conn *c, const struct addrinfo *res, int rc);
	/* dns_lookup(): no connection, a callback with an argument. */
	void (*fn)(struct worker *w, void *arg, const struct addrinfo *res, int rc);
	void *arg;
	char name[256];
	struct dns_req *next;		/* on w->dns_done */
	struct dns_req *pnext, **pprev;	/* on w->dns_pending */
};

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

/* Starts r (ar_name, port and hints set); -1 if it could not start. */
static int dns_start(struct worker *w, struct dns_req *r, int socktype,
		     uint16_t port)
{
	struct sigevent sev;

	r->w = w;
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = socktype;
	snprintf(r->port, sizeof(r->port), "%u", port);
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
		return -1;
	}
	r->pnext = w->dns_pending;
	if (r->pnext)
		r->pnext->pprev = &r->pnext;
	r->pprev = &w->dns_pending;
	w->dns_pending = r;
	return 0;
}

/* Resolves c->target (a name); -1 if the request could not start. */
int dns_resolve(struct conn *c, void (*done)(struct conn *c,
					      const struct addrinfo *res, int rc))
{
	struct dns_req *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->c = c;
	r->done = done;
	r->cb.ar_name = (const char *)c->target.host;
	if (dns_start(c->w, r, SOCK_STREAM, c->target.port)) {
		free(r);
		return -1;
	}
	c->dns = r;
	return 0;
}

int dns_lookup(struct worker *w, const char *name, uint16_t port,
	       void (*fn)(struct worker *w, void *arg,
			  const struct addrinfo *res, int rc), void *arg)
{
	struct dns_req *r = calloc(1, sizeof(*r));

	if (!r || strlen(name) >= sizeof(r->name)) {
		free(r);
		return -1;
	}
	strcpy(r->name, name);
	r->fn = fn;
	r->arg = arg;
	r->cb.ar_name = r->name;
	if (dns_start(w, r, SOCK_DGRAM, port)) {
		free(r);
		return -1;
	}
	return 0;
}

static void dns_finish(struct dns_req *r)
{
	struct conn *c = r->c;
	struct addrinfo *res = r->cb.ar_result;

	*r->pprev = r->pnext;
	if (r->pnext)
		r->pnext->pprev = r->pprev;
	if (!c) {
		r->fn(r->w, r->arg, res, gai_error(&r->cb));
		goto out;
	}
	c->dns = NULL;
	/* conn_close() left a connection with a request to us to free. */
	if (c->dead)
		free(c);
	else
		r->done(c, res, gai_error(&r->cb));
out:
	if (res)
		freeaddrinfo(res);
	free(r);
}

/* On the loop: finishes the requests the resolver reported. */
void dns_collect(struct worker *w)
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
bool dns_stop(struct worker *w)
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
	dns_collect(w);
	return true;
}
