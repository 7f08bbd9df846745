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
#include "sspacket.h"
#include "stats.h"
#include "udp.h"

#ifndef OMR_SHIM_VERSION
#define OMR_SHIM_VERSION "0.1"
#endif

/* Bytes read per syscall: four full SIP004 chunks of plaintext. */
#define RELAY_READ (4 * SS_MAX_PAYLOAD)
/* Scratch must hold a saved partial chunk plus one read, or its ciphertext. */
#define SCRATCH_LEN (RELAY_READ + SS_MAX_SALT + SS_MAX_CHUNK + 8 * SS_CHUNK_OVERHEAD)
#define HS_BUF 600

struct shim;
struct worker;
struct conn;

/*
 * What a pipe does to the bytes it reads: PLAIN hands them over as they
 * are (local's SOCKS5 handshake), ENC seals them into SIP004 chunks,
 * DEC opens chunks.
 */
enum pipe_mode { PIPE_PLAIN, PIPE_ENC, PIPE_DEC };

/*
 * One direction of a connection, and the only read->transform->send loop
 * (pipe_pump): data goes from `rd`'s fd to `wr`'s fd through the
 * per-worker scratch buffers. Until the connection relays, what the
 * transform produced goes to the role's input op instead of `wr`. Only
 * what the peer could not take yet (pend) and the bytes carried into the
 * next read (rem: an incomplete chunk for DEC, the target header for ENC)
 * are kept per connection, and reading stops while pend is non-empty:
 * that is the backpressure, and it bounds memory per connection to about
 * one read.
 */
struct pipe {
	struct conn *c;
	enum pipe_mode mode;
	ev_io rd, wr;
	uint8_t *pend;
	size_t pend_off, pend_len;
	uint8_t *rem;
	size_t rem_len;
	size_t cap;		/* bytes per read */
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

/*
 * The two sockets are named by side: `plain` carries application bytes
 * (local: the SOCKS5 client; server: the target), `tunnel` carries
 * SIP004 (local: to the server; server: from the local). One of them is
 * accepted, the other dialled (conn_dial), which one is the role's.
 */
struct conn {
	struct worker *w;
	struct conn *prev, *next;
	enum conn_state state;
	int plain, tunnel;
	struct pipe to_tun;	/* plain -> tunnel: seals */
	struct pipe from_tun;	/* tunnel -> plain: opens */
	ev_timer timer;
	ev_tstamp last, limit;
	struct ss_enc enc;
	struct ss_dec dec;
	bool enc_ready, salt_checked, dead, counted;
	enum tun_sock tun_made;	/* what the tunnel socket was made as */
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

/*
 * A role's behaviour; pipe.c calls it only through these pointers, so no
 * file calls back into the role that called it.
 */
struct role_ops {
	const char *name;
	/* The accepted socket is the tunnel (server) or the plain side (local). */
	bool tunnel_accepted;
	/* A new connection: set up its handshake and start reading. */
	void (*open)(struct conn *c);
	/* Handshake bytes, already opened if they came from the tunnel;
	 * NULL at EOF. Relaying bytes never come here. */
	void (*input)(struct conn *c, const uint8_t *b, size_t n);
	/* The socket conn_dial() opened is connected (err 0) or failed. */
	void (*connected)(struct conn *c, int err);
	/* Bad ciphertext or a replayed salt from the tunnel peer. */
	void (*fail)(struct conn *c);
};

extern const struct role_ops local_ops, server_ops, redir_ops;

struct worker {
	struct shim *s;
	int id;
	pthread_t th;
	struct ev_loop *loop;
	int lfd[CFG_MAX_SERVERS];
	ev_io lw[CFG_MAX_SERVERS];
	bool lmp[CFG_MAX_SERVERS];	/* listener i is MPTCP */
	int nl;
	ev_async stop_ev, status_ev, dns_ev;
	ev_async pause_ev;	/* workers_pause(): park until resumed */
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
	struct ss_randpool rnd;	/* salts of the connections' sending halves */
	EVP_MAC_CTX *kdf;	/* their subkeys' HKDF (ss_kdf_new) */
	struct stat_set st;	/* this worker's counters (stats.h) */
	uint64_t next_id;
	ev_tstamp last_limit_log, last_dial_log, last_fallback_log;
	ev_tstamp last_redir_log;	/* redir: connections not redirected */
	ev_timer relisten;	/* re-arms the listeners after EMFILE */
	struct udp_worker udp;
};

struct shim {
	struct shim_config cfg;
	const struct role_ops *ops;
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
	struct salt_filter usalts;	/* UDP: udp.c */
	atomic_int nassoc;		/* local: UDP associations open */
	struct worker *workers;
	int nworkers;
	double started;			/* CLOCK_MONOTONIC seconds */
};

/* salt.c: the sending half's salt drawn (and filtered); the peer's first
 * chunk opened: false if its salt is a replay. */
int conn_enc_start(struct conn *c);
bool conn_authenticated(struct conn *c);

/* pipe.c */
struct conn *conn_accept(struct worker *w, int fd, bool mptcp);
int conn_dial(struct conn *c, const struct sockaddr *sa, socklen_t len);
void conn_dial_abort(struct conn *c);
void conn_close(struct conn *c);
void conn_fail(struct conn *c);
void conn_stop_io(struct conn *c);
void conn_touch(struct conn *c);
void conn_set_limit(struct conn *c, ev_tstamp limit);
bool conn_start_relay(struct conn *c);
int pipe_carry(struct pipe *p, const uint8_t *a, size_t alen,
	       const uint8_t *b, size_t blen);
void pipe_pump(struct pipe *p);

/* drain.c: stop relaying and swallow the accepted peer's input, at most
 * @budget bytes, until the deadline the caller sets on c->timer. */
void conn_drain(struct conn *c, size_t budget);
/* Server: bad ciphertext, drained until the handshake deadline. */
void conn_probe_drain(struct conn *c);

/* local.c: the tunnel side, shared with redir.c (its target is known). */
int local_tunnel_begin(struct conn *c);
void local_tunnel_early(struct conn *c);
void local_dial(struct conn *c);
void local_connecting_input(struct conn *c, const uint8_t *b, size_t n);
void local_connected(struct conn *c, int err);

/* redir.c: the original destination of a redirected or TPROXY'd socket. */
int redir_orig_dst(int fd, bool tproxy, int port, struct sockaddr_storage *dst);
int redir_listener(int fd, int family);
const char *redir_udp_loop(const struct shim *s, const struct sockaddr_storage *dst);

/* dns.c: @done runs on the loop with the result (freed after it). */
int dns_resolve(struct conn *c, void (*done)(struct conn *c,
					      const struct addrinfo *res, int rc));
/* The same for a name without a connection (UDP): @fn runs on the loop,
 * also at shutdown (dns_stop), so it must check what it needs still exists. */
int dns_lookup(struct worker *w, const char *name, uint16_t port,
	       void (*fn)(struct worker *w, void *arg,
			  const struct addrinfo *res, int rc), void *arg);
void dns_collect(struct worker *w);
bool dns_stop(struct worker *w);

/* udpserver.c: the server's UDP relay, on worker 0's loop. */
int udp_server_start(struct worker *w);
void udp_server_stop(struct worker *w);
void udp_server_status(struct worker *w);

/* udpredir.c: the redir role's transparent UDP (TPROXY), on worker 0's loop. */
int udp_redir_start(struct worker *w);
void udp_redir_stop(struct worker *w);
void udp_redir_status(struct worker *w);

/* udplocal.c: SOCKS5 UDP ASSOCIATE. Takes ctl (the control TCP
 * connection, its reply sent) and returns 0, or a SOCKS5 reply code. */
int udp_assoc_open(struct worker *w, int ctl, const struct ss_addr *hint);
void udp_assoc_close_all(struct worker *w);

/* exporter.c: stats_socket and stats_file, served by a thread of its
 * own; started once the workers run (and before privileges drop, for
 * the socket's bind), stopped before they go. */
int exporter_start(struct shim *s);
void exporter_stop(struct shim *s);

/*
 * shortage.c: out of fds, memory or local ports (short_of(errno)), the
 * worker stops taking connections for a moment (logged as "what: error")
 * rather than spin on a listener that stays readable, or blame a server
 * for it.
 */
bool short_of(int err);
void shortage_pause(struct worker *w, const char *what, int err);
void shortage_init(struct worker *w);

/* worker.c */
int workers_start(struct shim *s);
void workers_stop(struct shim *s);
void workers_status(struct shim *s);
/*
 * A reload's quiescent point: workers_pause() returns once every worker
 * is parked in its loop (so none reads s->cfg); workers_resume() lets them
 * go. Connections stay open and their bytes queue in the kernel meanwhile.
 */
void workers_pause(struct shim *s);
void workers_resume(struct shim *s);

#endif
