/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_SHIM_H
#define OMR_SHIM_SHIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <netdb.h>
#include <ev.h>
#include "addr.h"
#include "config.h"
#include "net.h"
#include "saltfilter.h"
#include "sscodec.h"

/* Bytes read per syscall: four full SIP004 chunks of plaintext. */
#define RELAY_READ (4 * SS_MAX_PAYLOAD)
/* Scratch must hold a saved partial chunk plus one read, or its ciphertext. */
#define SCRATCH_LEN (RELAY_READ + SS_MAX_SALT + SS_MAX_CHUNK + 8 * SS_CHUNK_OVERHEAD)
#define HS_BUF 600

struct shim;
struct worker;
struct conn;

enum pipe_mode { PIPE_ENC, PIPE_DEC };

/*
 * One direction of a connection. Data goes from `rd`'s fd to `wr`'s fd
 * through the per-worker scratch buffers; only what the peer could not
 * take yet (pend) or an incomplete AEAD chunk (rem) is kept per
 * connection, and reading stops while pend is non-empty: that is the
 * backpressure, and it bounds memory per connection to about one read.
 */
struct pipe {
	struct conn *c;
	enum pipe_mode mode;
	ev_io rd, wr;
	uint8_t *pend;
	size_t pend_off, pend_len;
	uint8_t *rem;
	size_t rem_len;
	bool eof, shut;
	uint64_t bytes;
};

enum conn_state {
	CS_GREETING, CS_AUTH, CS_REQUEST,	/* local: SOCKS5 */
	CS_HEADER, CS_RESOLVING,		/* server: tunnel header, DNS */
	CS_WAIT_DATA,				/* local, fast_open: await first bytes */
	CS_CONNECTING, CS_RELAY, CS_DRAIN,
};

struct dns_req;

struct conn {
	struct worker *w;
	struct conn *prev, *next;
	enum conn_state state;
	int cfd, rfd;		/* client side and remote side sockets */
	struct pipe up, down;	/* up: cfd -> rfd, down: rfd -> cfd */
	ev_timer timer;
	ev_tstamp last, limit;
	struct ss_enc enc;
	struct ss_dec dec;
	bool enc_ready, salt_checked, dead, counted;
	size_t drain_left;	/* CS_DRAIN: bytes still to swallow */
	uint8_t hbuf[HS_BUF];	/* handshake bytes (SOCKS5 or header plaintext) */
	size_t hlen;
	struct ss_addr target;
	struct dns_req *dns;
	enum tun_kind tun;
	int subflows;
	int srv, dials;		/* local: server dialled, servers tried */
	/* At the deadline: this instead of closing (reset to NULL first). */
	void (*expire)(struct conn *c);
	uint64_t id;
};

struct worker_stats {
	uint64_t accepted, rejected_limit, closed, probes, replays, refused;
	uint64_t tun_mptcp, tun_fallback, tun_tcp;
};

struct worker {
	struct shim *s;
	int id;
	pthread_t th;
	struct ev_loop *loop;
	int lfd[CFG_MAX_SERVERS];
	ev_io lw[CFG_MAX_SERVERS];
	int nl;
	ev_async stop_ev, status_ev, dns_ev;
	/* Resolver requests: dns_pending (loop thread only) holds every one
	 * not yet finished; dns_done those reported back. dns_mu guards
	 * dns_done and dns_inflight (reported-back count still due), and
	 * dns_cv signals its drop, for shutdown. */
	pthread_mutex_t dns_mu;
	pthread_cond_t dns_cv;
	struct dns_req *dns_pending;
	struct dns_req *dns_done;
	int dns_inflight;
	struct conn *conns;
	uint8_t *sin, *sout;
	struct worker_stats st;
	uint64_t next_id;
	ev_tstamp last_limit_log, last_dial_log, last_fallback_log;
	ev_timer relisten;	/* re-arms the listeners after EMFILE */
};

struct shim {
	struct shim_config cfg;
	struct ss_key key;
	struct salt_filter salts;
	struct mptcp_switch ms;
	/* local: the servers to dial, in config order; new connections dial
	 * srv[srv_cur], which moves on when one cannot be reached. */
	struct sockaddr_storage srv[CFG_MAX_SERVERS];
	socklen_t srvlen[CFG_MAX_SERVERS];
	int nsrv;
	atomic_int srv_cur;
	atomic_int nconn;
	struct worker *workers;
	int nworkers;
};

/* relay.c */
struct conn *conn_accept(struct worker *w, int fd, enum conn_state state,
			 void (*hs_read)(struct ev_loop *, ev_io *, int));
int conn_enc_start(struct conn *c);
void conn_close(struct conn *c);
void conn_fail(struct conn *c);
void conn_drain(struct conn *c, size_t budget);
void conn_touch(struct conn *c);
void conn_set_limit(struct conn *c, ev_tstamp limit);
void conn_start_relay(struct conn *c);
void pipe_setup(struct pipe *p, struct conn *c, enum pipe_mode mode, int from,
		int to);
bool pipe_send(struct pipe *p, const uint8_t *buf, size_t len);
long pipe_transform(struct pipe *p, const uint8_t *in, size_t n);
void pipe_maybe_shut(struct pipe *p);
int conn_connect_error(int fd);
void conn_status(struct conn *c);

/* local.c / server.c */
void local_accept(struct worker *w, int fd);
void server_accept(struct worker *w, int fd);
void server_dns_done(struct worker *w);
bool server_dns_stop(struct worker *w);

/* worker.c */
int workers_start(struct shim *s);
void workers_stop(struct shim *s);
void workers_status(struct shim *s);

#endif
