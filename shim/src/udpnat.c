// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UDP NAT table bookkeeping: hash by client address, LRU list. No
 * sockets and no event loop here, so the unit tests drive it directly.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "aead.h"
#include "udpnat.h"

int nat_init(struct udp_nat *n, size_t max)
{
	size_t nb = 16;

	memset(n, 0, sizeof(*n));
	while (nb < max)	/* load factor <= 1 */
		nb <<= 1;
	n->bucket = calloc(nb, sizeof(*n->bucket));
	if (!n->bucket)
		return -1;
	n->mask = nb - 1;
	n->max = max;
	/* Clients choose their ports: keep chains unpredictable. */
	if (ss_random((uint8_t *)&n->seed, sizeof(n->seed))) {
		nat_free(n);
		return -1;
	}
	return 0;
}

void nat_free(struct udp_nat *n)
{
	free(n->bucket);
	n->bucket = NULL;
}

void nat_key(struct nat_key *k, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET6) {
		memcpy(k->b, &s6->sin6_addr, 16);
		memcpy(k->b + 16, &s6->sin6_port, 2);
		return;
	}
	k->b[10] = k->b[11] = 0xff;
	memcpy(k->b + 12, &s4->sin_addr, 4);
	memcpy(k->b + 16, &s4->sin_port, 2);
}

static size_t nat_hash(const struct udp_nat *n, const struct nat_key *k)
{
	uint64_t h = n->seed ^ 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) & n->mask;
}

struct nat_link *nat_find(struct udp_nat *n, const struct nat_key *k)
{
	struct nat_link *l;

	for (l = n->bucket[nat_hash(n, k)]; l; l = l->hnext)
		if (!memcmp(l->key.b, k->b, sizeof(k->b)))
			return l;
	return NULL;
}

static void lru_unlink(struct udp_nat *n, struct nat_link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		n->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		n->tail = l->prev;
	l->prev = l->next = NULL;
}

static void lru_push(struct udp_nat *n, struct nat_link *l, double now)
{
	l->last = now;
	l->prev = NULL;
	l->next = n->head;
	if (n->head)
		n->head->prev = l;
	n->head = l;
	if (!n->tail)
		n->tail = l;
}

void nat_insert(struct udp_nat *n, struct nat_link *l, double now)
{
	size_t b = nat_hash(n, &l->key);

	l->hnext = n->bucket[b];
	n->bucket[b] = l;
	lru_push(n, l, now);
	n->count++;
}

void nat_remove(struct udp_nat *n, struct nat_link *l)
{
	struct nat_link **pp = &n->bucket[nat_hash(n, &l->key)];

	while (*pp && *pp != l)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = l->hnext;
	lru_unlink(n, l);
	n->count--;
}

void nat_touch(struct udp_nat *n, struct nat_link *l, double now)
{
	lru_unlink(n, l);
	lru_push(n, l, now);
}
