// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the two UDP roles share: the packet crypto with the replay filter,
 * the drop accounting and its rate-limited log line, the sockets.
 * shadowsocks-libev checks no salt on UDP at all; we record the salts of
 * authenticated and of sent datagrams, as for TCP, so a replayed datagram
 * and a server reply sent back to the server are both dropped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "shim.h"

int udp_init(struct shim *s)
{
	if (!cfg_udp(&s->cfg))
		return 0;
	return salt_filter_init(&s->usalts, s->cfg.salt_filter);
}

void udp_free(struct shim *s)
{
	if (cfg_udp(&s->cfg))
		salt_filter_free(&s->usalts);
}

int udp_worker_init(struct worker *w)
{
	if (!cfg_udp(&w->s->cfg))
		return 0;
	return ss_rekey_init(&w->udp.pkt, &w->s->key);
}

void udp_worker_free(struct worker *w)
{
	ss_rekey_free(&w->udp.pkt);
}

long udp_seal(struct worker *w, const uint8_t *in, size_t len, uint8_t *out)
{
	struct shim *s = w->s;
	size_t slen = s->key.m->key_len;
	long n;
	int tries;

	if (len + ss_packet_overhead(&s->key) > SS_UDP_MAX)
		return -1;
	/* A drawn salt already in the filter (chance 2^-128) is drawn again. */
	for (tries = 0; tries < 4; tries++) {
		n = ss_packet_seal(&w->udp.pkt, NULL, in, len, out);
		if (n < 0)
			return -1;
		if (!salt_filter_check_add(&s->usalts, out, slen))
			return n;
	}
	return -1;
}

long udp_open(struct worker *w, const uint8_t *in, size_t len, uint8_t *out,
	      const struct sockaddr *from)
{
	struct shim *s = w->s;
	long n = ss_packet_open(&w->udp.pkt, in, len, out);

	if (n < 0) {
		stat_inc(&w->st, ST_UDP_BAD_TAG);
		udp_drop(w, len <= ss_packet_overhead(&s->key) ? "truncated datagram" :
			 "bad tag", from);
		return -1;
	}
	/* Recorded only once authenticated, so junk cannot fill the filter. */
	if (salt_filter_check_add(&s->usalts, in, s->key.m->key_len)) {
		stat_inc(&w->st, ST_UDP_REPLAY);
		udp_drop(w, "replayed salt", from);
		return -1;
	}
	return n;
}

void udp_drop(struct worker *w, const char *why, const struct sockaddr *from)
{
	char a[64];

	stat_inc(&w->st, ST_UDP_DROPPED);
	w->udp.unlogged++;
	if (ev_now(w->loop) - w->udp.last_log < 5)
		return;
	w->udp.last_log = ev_now(w->loop);
	sockaddr_format(from, a, sizeof(a));
	log_info("UDP: dropped a datagram from %s: %s (%llu dropped since the last line)",
		 a, why, (unsigned long long)w->udp.unlogged);
	w->udp.unlogged = 0;
}

int udp_socket(int family)
{
	int one = 1, fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	return fd;
}

/*
 * The socket to the server (the one new connections dial). Not connected:
 * connect() would fix the source address of the WAN routed at that
 * moment, and after a failover (udp_fwmark: a policy-routing rule moved
 * to another WAN) the datagrams would leave by the new WAN with the old
 * WAN's address. Unconnected, each sendto() picks the source of the route
 * in force; the caller checks what comes back against @srv instead.
 */
int udp_tunnel_socket(struct shim *s, struct sockaddr_storage *srv, socklen_t *len)
{
	int i = atomic_load(&s->srv_cur), mark = s->cfg.udp_fwmark, fd;

	memcpy(srv, &s->srv[i], s->srvlen[i]);
	*len = s->srvlen[i];
	fd = udp_socket(s->srv[i].ss_family);
	if (fd < 0)
		return -1;
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))) {
		log_warn("UDP: SO_MARK %d: %s (needs CAP_NET_ADMIN)", mark, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void udp_status(struct worker *w)
{
	struct stat_set *st = &w->st;

	if (!cfg_udp(&w->s->cfg))
		return;
	log_info("status: worker %d udp in %llu out %llu dropped %llu replays %llu policy-refused %llu nat-evicted %llu nat-expired %llu lookups %llu associations %llu",
		 w->id, (unsigned long long)stat_get(st, ST_UDP_FROM_TUN),
		 (unsigned long long)stat_get(st, ST_UDP_TO_TUN),
		 (unsigned long long)stat_get(st, ST_UDP_DROPPED),
		 (unsigned long long)stat_get(st, ST_UDP_REPLAY),
		 (unsigned long long)stat_get(st, ST_UDP_REFUSED),
		 (unsigned long long)stat_get(st, ST_UDP_EVICTED),
		 (unsigned long long)stat_get(st, ST_UDP_EXPIRED),
		 (unsigned long long)stat_get(st, ST_UDP_LOOKUPS),
		 (unsigned long long)stat_get(st, ST_UDP_ASSOC));
}
