/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_STATS_H
#define OMR_SHIM_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Counters, one set per worker. Only the worker's own thread writes its
 * set; the exporter thread reads every set and sums them. A single
 * writer needs no atomic read-modify-write: stat_add() is a relaxed load
 * and a relaxed store (two plain moves on x86-64, no lock prefix, no
 * barrier), and the relaxed loads of the reader see whole values.
 */
enum stat_id {
	ST_ACCEPTED,		/* TCP connections accepted */
	ST_CLOSED,		/* TCP connections closed */
	ST_REFUSED_LIMIT,	/* closed at once: max_connections */
	ST_REFUSED_POLICY,	/* server: target in an internal range */
	ST_TUN_MPTCP,		/* tunnels, at the peer's first chunk: MPTCP */
	ST_TUN_FALLBACK,	/* MPTCP asked for, TCP got */
	ST_TUN_TCP,		/* plain TCP */
	ST_PLAIN_RX,		/* bytes read from plain sockets */
	ST_PLAIN_TX,		/* bytes written to plain sockets */
	ST_TUN_RX,		/* bytes read from tunnel sockets */
	ST_TUN_TX,		/* bytes written to tunnel sockets */
	ST_AUTH_BAD_TAG,	/* the peer's first chunk did not open */
	ST_AUTH_BAD_CHUNK,	/* a later chunk did not */
	ST_AUTH_REPLAY,		/* an opened first chunk with a salt seen before */
	ST_AUTH_BAD_HEADER,	/* server: the target header is malformed */
	ST_AUTH_SOCKS,		/* local: RFC 1929 credentials refused */
	ST_UDP_TO_TUN,		/* datagrams sent towards the tunnel peer */
	ST_UDP_FROM_TUN,	/* datagrams from the tunnel peer, delivered */
	ST_UDP_DROPPED,		/* datagrams dropped, every reason */
	ST_UDP_BAD_TAG,		/* of those: did not open */
	ST_UDP_REPLAY,		/* of those: salt seen before */
	ST_UDP_REFUSED,		/* of those: target in an internal range */
	ST_UDP_ASSOC,		/* associations (local) or NAT entries (server) made */
	ST_UDP_ASSOC_CLOSED,	/* and gone */
	ST_UDP_EVICTED,		/* server: NAT entries evicted at the bound */
	ST_UDP_EXPIRED,		/* server: NAT entries idle too long */
	ST_UDP_LOOKUPS,		/* server: domain targets looked up */
	ST_N
};

struct stat_set {
	_Atomic uint64_t c[ST_N];
};

/* Only from the thread that owns s. */
static inline void stat_add(struct stat_set *s, enum stat_id id, uint64_t n)
{
	atomic_store_explicit(&s->c[id],
			      atomic_load_explicit(&s->c[id], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void stat_inc(struct stat_set *s, enum stat_id id)
{
	stat_add(s, id, 1);
}

static inline uint64_t stat_get(const struct stat_set *s, enum stat_id id)
{
	return atomic_load_explicit(&s->c[id], memory_order_relaxed);
}

struct shim;

/* A snapshot of the whole process: the sum of every worker's set. */
struct stat_snap {
	uint64_t c[ST_N];
	int64_t active;		/* TCP connections open (the limit's count) */
	int workers;
	double uptime;		/* seconds */
};

void stats_snap(struct shim *s, struct stat_snap *out);
/* The Prometheus text exposition format (0.0.4): HELP, TYPE, samples. */
void stats_prometheus(const struct shim *s, const struct stat_snap *sn, FILE *f);
/* The same as one JSON object (json-c), newline-terminated. */
int stats_json(const struct shim *s, const struct stat_snap *sn, FILE *f);

#endif
