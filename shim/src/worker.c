// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Worker threads: each owns an event loop and its own SO_REUSEPORT
 * listener(s), so the kernel spreads connections across cores and a busy
 * connection only ever occupies one of them. Nothing is shared between
 * workers but the read-only key, the connection counter and the salt
 * filter (mutex, touched twice per connection: salt received, salt drawn).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "log.h"
#include "shim.h"

/*
 * One connection per readiness event, as ss-local and nginx (without
 * multi_accept) take them: connections mostly come one at a time, and a
 * loop until EAGAIN costs each of them a second accept4() that fails. A
 * burst is taken one per loop iteration (the listener stays readable),
 * between the other connections' events.
 */
static void accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	struct shim *s = w->s;
	int fd;

	(void)revents;
	fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (short_of(errno))
			shortage_pause(w, "accept", errno);
		return;
	}
	if (atomic_fetch_add(&s->nconn, 1) >= s->cfg.max_conn) {
		atomic_fetch_sub(&s->nconn, 1);
		close(fd);
		stat_inc(&w->st, ST_REFUSED_LIMIT);
		if (ev_now(loop) - w->last_limit_log > 5) {
			w->last_limit_log = ev_now(loop);
			log_warn("connection limit %d reached: refusing",
				 s->cfg.max_conn);
		}
		return;
	}
	stat_inc(&w->st, ST_ACCEPTED);
	conn_accept(w, fd, w->lmp[io - w->lw]);
}

static void stop_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)a;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static const char *state_name(enum conn_state s)
{
	static const char *const n[] = {
		"greeting", "auth", "request", "header", "resolving",
		"wait-data", "connecting", "relay", "drain",
	};

	return (size_t)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

/*
 * "eof" names the sides whose EOF has been seen (and relayed): a
 * connection whose client closed still counts against the limit until
 * the other side's EOF comes back, and this shows it is one of those.
 */
static void conn_status(struct conn *c)
{
	static const char *const eof[] = { "none", "plain", "tunnel", "both" };
	char t[SS_ADDR_STRLEN];
	int sub = 0;
	enum tun_kind k = c->tunnel >= 0 ? net_tunnel_kind(c->tunnel, c->tun_made, &sub) : TUN_NONE;

	ss_addr_format(&c->target, t, sizeof(t));
	log_info("status: worker %d conn %llu state %s target %s tunnel %s subflows %d to-tunnel %llu from-tunnel %llu eof %s",
		 c->w->id, (unsigned long long)c->id, state_name(c->state),
		 c->target.atyp ? t : "-", tun_kind_name(k), sub,
		 (unsigned long long)c->to_tun.bytes,
		 (unsigned long long)c->from_tun.bytes,
		 eof[c->to_tun.eof + 2 * c->from_tun.eof]);
}

static void status_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct worker *w = a->data;
	struct stat_set *st = &w->st;
	struct conn *c;

	(void)loop;
	(void)revents;
	log_info("status: worker %d accepted %llu closed %llu limit-refused %llu tunnels mptcp %llu fallback %llu tcp %llu auth-failures bad-tag %llu bad-chunk %llu replay %llu bad-header %llu socks %llu policy-refused %llu",
		 w->id, (unsigned long long)stat_get(st, ST_ACCEPTED),
		 (unsigned long long)stat_get(st, ST_CLOSED),
		 (unsigned long long)stat_get(st, ST_REFUSED_LIMIT),
		 (unsigned long long)stat_get(st, ST_TUN_MPTCP),
		 (unsigned long long)stat_get(st, ST_TUN_FALLBACK),
		 (unsigned long long)stat_get(st, ST_TUN_TCP),
		 (unsigned long long)stat_get(st, ST_AUTH_BAD_TAG),
		 (unsigned long long)stat_get(st, ST_AUTH_BAD_CHUNK),
		 (unsigned long long)stat_get(st, ST_AUTH_REPLAY),
		 (unsigned long long)stat_get(st, ST_AUTH_BAD_HEADER),
		 (unsigned long long)stat_get(st, ST_AUTH_SOCKS),
		 (unsigned long long)stat_get(st, ST_REFUSED_POLICY));
	for (c = w->conns; c; c = c->next)
		conn_status(c);
	udp_status(w);
	udp_server_status(w);
	udp_redir_status(w);
}

/* The reload's rendezvous: one per process, like the reload itself. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int parked;
	bool hold;
} pause_st = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

static void pause_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)a;
	(void)revents;
	pthread_mutex_lock(&pause_st.mu);
	pause_st.parked++;
	pthread_cond_broadcast(&pause_st.cv);
	while (pause_st.hold)
		pthread_cond_wait(&pause_st.cv, &pause_st.mu);
	pause_st.parked--;
	pthread_mutex_unlock(&pause_st.mu);
}

void workers_pause(struct shim *s)
{
	int i;

	pthread_mutex_lock(&pause_st.mu);
	pause_st.hold = true;
	pthread_mutex_unlock(&pause_st.mu);
	for (i = 0; i < s->nworkers; i++)
		ev_async_send(s->workers[i].loop, &s->workers[i].pause_ev);
	pthread_mutex_lock(&pause_st.mu);
	while (pause_st.parked < s->nworkers)
		pthread_cond_wait(&pause_st.cv, &pause_st.mu);
	pthread_mutex_unlock(&pause_st.mu);
}

void workers_resume(struct shim *s)
{
	(void)s;
	pthread_mutex_lock(&pause_st.mu);
	pause_st.hold = false;
	pthread_cond_broadcast(&pause_st.cv);
	pthread_mutex_unlock(&pause_st.mu);
}

static void dns_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	dns_collect(a->data);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	ev_run(w->loop, 0);
	return NULL;
}

static int worker_listen(struct worker *w)
{
	struct shim *s = w->s;
	struct sockaddr_storage ss;
	socklen_t len;
	bool mp, tunnel = s->cfg.role == ROLE_SERVER;
	struct mptcp_switch plain = { .want = false };
	/* udp_only: the server has no TCP listener. */
	size_t i, n = !cfg_tcp(&s->cfg) ? 0 : tunnel ? s->cfg.nserver : 1;
	int port = tunnel ? s->cfg.server_port : s->cfg.local_port;

	for (i = 0; i < n; i++) {
		const char *host = tunnel ? s->cfg.server[i] : s->cfg.local_address;

		if (net_resolve(host, port, true, &ss, &len))
			return -1;
		if (w->id == 0 && net_probe_free((struct sockaddr *)&ss, len)) {
			log_err("listen on %s port %d: %s", host, port, strerror(errno));
			return -1;
		}
		/* SOCKS clients are on the LAN: only the tunnel side is MPTCP. */
		w->lfd[i] = net_listen((struct sockaddr *)&ss, len,
				       tunnel ? &s->ms : &plain, &mp);
		if (w->lfd[i] < 0) {
			log_err("listen on %s port %d: %s", host, port, strerror(errno));
			return -1;
		}
		if (s->cfg.tcp_tproxy && redir_listener(w->lfd[i], ss.ss_family)) {
			log_err("IP_TRANSPARENT on %s port %d (TPROXY needs CAP_NET_ADMIN): %s",
				host, port, strerror(errno));
			return -1;
		}
		if (tunnel && s->cfg.fast_open && net_fastopen(w->lfd[i], true) &&
		    w->id == 0)
			log_warn("TCP Fast Open unavailable on the listener: %s",
				 strerror(errno));
		if (w->id == 0)
			log_info("listening on %s port %d (%s)", host, port,
				 mp ? "MPTCP, TCP accepted" : "TCP");
		w->lmp[i] = mp;
		w->nl++;
		ev_io_init(&w->lw[i], accept_cb, w->lfd[i], EV_READ);
		w->lw[i].data = w;
		ev_io_start(w->loop, &w->lw[i]);
	}
	return 0;
}

static int worker_init(struct worker *w, struct shim *s, int id)
{
	w->s = s;
	w->id = id;
	/* Before anything can fail: worker_free() destroys them. */
	pthread_mutex_init(&w->dns_mu, NULL);
	pthread_cond_init(&w->dns_cv, NULL);
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	ss_randpool_init(&w->rnd);
	w->kdf = ss_kdf_new(&s->key);
	w->sin = malloc(SCRATCH_LEN);
	w->sout = malloc(SCRATCH_LEN);
	if (!w->loop || !w->kdf || !w->sin || !w->sout || udp_worker_init(w))
		return -1;
	shortage_init(w);
	ev_async_init(&w->stop_ev, stop_cb);
	ev_async_init(&w->status_ev, status_cb);
	ev_async_init(&w->dns_ev, dns_cb);
	ev_async_init(&w->pause_ev, pause_cb);
	w->status_ev.data = w;
	w->dns_ev.data = w;
	ev_async_start(w->loop, &w->stop_ev);
	ev_async_start(w->loop, &w->status_ev);
	ev_async_start(w->loop, &w->dns_ev);
	ev_async_start(w->loop, &w->pause_ev);
	if (worker_listen(w) || udp_redir_start(w))
		return -1;
	return udp_server_start(w);
}

/* false: a resolver thread may still touch w, which must then stay. */
static bool worker_free(struct worker *w)
{
	int i;

	/* Closed first, so what the resolver reports is only freed; then
	 * wait for every request (dns_notify touches w). */
	while (w->conns)
		conn_close(w->conns);
	udp_assoc_close_all(w);
	udp_server_stop(w);
	udp_redir_stop(w);
	for (i = 0; i < w->nl; i++)
		close(w->lfd[i]);
	w->nl = 0;
	if (w->loop && !dns_stop(w))
		return false;
	pthread_cond_destroy(&w->dns_cv);
	pthread_mutex_destroy(&w->dns_mu);
	if (w->loop)
		ev_loop_destroy(w->loop);
	ss_kdf_free(w->kdf);
	free(w->sin);
	free(w->sout);
	udp_worker_free(w);
	return true;
}

int workers_start(struct shim *s)
{
	/* More workers than connections would only idle (the limit is global). */
	int i, n = s->cfg.workers < s->cfg.max_conn ? s->cfg.workers : s->cfg.max_conn;

	if (udp_init(s))
		return -1;
	s->workers = calloc((size_t)n, sizeof(*s->workers));
	if (!s->workers) {
		udp_free(s);
		return -1;
	}
	for (i = 0; i < n; i++) {
		s->nworkers = i + 1;
		if (worker_init(&s->workers[i], s, i))
			goto err_stop;
	}
	for (i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i].th, NULL, worker_main, &s->workers[i]))
			goto err_stop_started;
	return 0;
err_stop_started:
	s->nworkers = i;
	workers_stop(s);
	return -1;
err_stop:
	for (i = 0; i < s->nworkers; i++)
		worker_free(&s->workers[i]);
	free(s->workers);
	s->workers = NULL;
	udp_free(s);
	return -1;
}

void workers_stop(struct shim *s)
{
	bool all = true;
	int i;

	for (i = 0; i < s->nworkers; i++)
		ev_async_send(s->workers[i].loop, &s->workers[i].stop_ev);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].th, NULL);
	for (i = 0; i < s->nworkers; i++)
		all &= worker_free(&s->workers[i]);
	/* A worker a resolver may still touch is left to the exit (and
	 * stays reachable from s, so it is no leak either). */
	if (!all)
		return;
	free(s->workers);
	s->workers = NULL;
	udp_free(s);
}

void workers_status(struct shim *s)
{
	int i;

	log_info("status: %d connections open", atomic_load(&s->nconn));
	for (i = 0; i < s->nworkers; i++)
		ev_async_send(s->workers[i].loop, &s->workers[i].status_ev);
}
