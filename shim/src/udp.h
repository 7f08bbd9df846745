/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_UDP_H
#define OMR_SHIM_UDP_H

#include <stdint.h>
#include <ev.h>
#include <sys/socket.h>
#include "aead.h"

struct shim;
struct worker;
struct udp_server;
struct udp_assoc;
struct udp_redir;

/* Per-worker UDP state (its counters are in the worker's stat_set). */
struct udp_worker {
	struct udp_server *srv;		/* server role, worker 0 only */
	struct udp_assoc *assocs;	/* local role: SOCKS5 UDP ASSOCIATEs */
	struct udp_redir *redir;	/* redir role (TPROXY), worker 0 only */
	struct ss_rekey pkt;		/* this worker's datagram crypto */
	uint64_t unlogged;		/* drops since the last drop log line */
	int lookups;			/* server: domain targets resolving */
	ev_tstamp last_log;
};

/* The UDP replay filter (its own: a datagram flood must not age out the
 * TCP salts). Only when UDP is relayed. */
int udp_init(struct shim *s);
void udp_free(struct shim *s);
/* The worker's datagram crypto context, only when UDP is relayed. */
int udp_worker_init(struct worker *w);
void udp_worker_free(struct worker *w);
/*
 * Seals a payload into one datagram with a fresh salt, entered in the
 * replay filter (so a reflected datagram is refused like a replay).
 * Returns its length, or -1 (also if it would exceed SS_UDP_MAX).
 */
long udp_seal(struct worker *w, const uint8_t *in, size_t len, uint8_t *out);
/* Opens a datagram: its payload length, or -1 (bad, logged and counted). */
long udp_open(struct worker *w, const uint8_t *in, size_t len, uint8_t *out,
	      const struct sockaddr *from);
/* Counts a dropped datagram; one log line per 5 s at most, per worker. */
void udp_drop(struct worker *w, const char *why, const struct sockaddr *from);
/* Non-blocking UDP socket, IPv6 sockets IPv6-only. */
int udp_socket(int family);
/* Unconnected, with udp_fwmark's SO_MARK: to the current server, in @srv. */
int udp_tunnel_socket(struct shim *s, struct sockaddr_storage *srv, socklen_t *len);
void udp_status(struct worker *w);

#endif
