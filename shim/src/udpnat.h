/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_UDPNAT_H
#define OMR_SHIM_UDPNAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * The server's UDP NAT table: one entry per client address (ip, port),
 * found by hash, kept in least-recently-used order so that the idle
 * sweep and the eviction at the size bound both take from the tail.
 * Only the bookkeeping lives here; an entry's sockets are its owner's
 * (struct nat_link is embedded first in the owner's entry).
 */
struct nat_key {
	uint8_t b[18];		/* IPv6 (IPv4 mapped), then the port */
};

struct nat_link {
	struct nat_key key;
	struct nat_link *hnext;		/* hash chain */
	struct nat_link *prev, *next;	/* LRU: head is the most recent */
	double last;			/* last use, event-loop time */
};

struct udp_nat {
	struct nat_link **bucket;
	size_t mask, count, max;
	struct nat_link *head, *tail;
	uint64_t seed;
};

int nat_init(struct udp_nat *n, size_t max);
/* The table only; the caller removes (and frees) its entries first. */
void nat_free(struct udp_nat *n);
void nat_key(struct nat_key *k, const struct sockaddr *sa);
struct nat_link *nat_find(struct udp_nat *n, const struct nat_key *k);
/* Adds l (its key set) as the most recent; the caller keeps count <= max. */
void nat_insert(struct udp_nat *n, struct nat_link *l, double now);
void nat_remove(struct udp_nat *n, struct nat_link *l);
void nat_touch(struct udp_nat *n, struct nat_link *l, double now);
/* The least recently used entry, or NULL. */
static inline struct nat_link *nat_oldest(const struct udp_nat *n)
{
	return n->tail;
}

/* The least recently used entry if unused for @idle s at @now, or NULL. */
static inline struct nat_link *nat_idle(const struct udp_nat *n, double now, double idle)
{
	return n->tail && now - n->tail->last >= idle ? n->tail : NULL;
}

#endif
