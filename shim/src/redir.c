// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Redir role: the transparent front end, as ss-redir. nftables sends LAN
 * TCP to our listener, either by REDIRECT (NAT: the original destination
 * is in conntrack, read with SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST) or
 * by TPROXY (no NAT: the accepted socket's local address is the original
 * destination; the listener needs IP_TRANSPARENT). That destination is
 * the target; from there on the connection is the local role's tunnel
 * side (local.c): the same dial, failover, header-in-the-first-chunk and
 * Fast Open, through the same pipe.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "log.h"
#include "shim.h"

/* linux/netfilter_ipv4.h and linux/netfilter_ipv6/ip6_tables.h */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static int sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static socklen_t sa_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET ? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6);
}

/* Same family, address and port (IPv6: scope ignored). */
static bool sa_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family || sa_port(a) != sa_port(b))
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/*
 * Whether @sa's address is one of this host's: only then can a socket be
 * bound to it. If that cannot be told, say yes (the caller refuses).
 */
static bool addr_is_local(const struct sockaddr_storage *sa)
{
	struct sockaddr_storage b = *sa;
	int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool local;

	if (fd < 0)
		return true;
	if (b.ss_family == AF_INET)
		((struct sockaddr_in *)&b)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&b)->sin6_port = 0;
	local = !bind(fd, (struct sockaddr *)&b, sa_len(&b));
	close(fd);
	return local;
}

/*
 * The original destination of accepted socket @fd into @dst. -1 with
 * errno: ENOENT (REDIRECT: no conntrack entry, the firewall did not send
 * it), ELOOP (the client came straight to our port @port: taking it
 * would send the tunnel to ourselves), or the syscall's error.
 */
int redir_orig_dst(int fd, bool tproxy, int port, struct sockaddr_storage *dst)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me), dlen = sizeof(*dst);
	int rc;

	if (getsockname(fd, (struct sockaddr *)&me, &len))
		return -1;
	if (me.ss_family != AF_INET && me.ss_family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(dst, 0, sizeof(*dst));
	if (tproxy) {
		*dst = me;
	} else {
		rc = me.ss_family == AF_INET ?
		     getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, dst, &dlen) :
		     getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, dst, &dlen);
		if (rc)
			return -1;
		/* Tracked but not NATed: the destination was us all along. */
		if (sa_same(dst, &me) || dst->ss_family != me.ss_family) {
			errno = ELOOP;
			return -1;
		}
	}
	if (sa_port(dst) == port && addr_is_local(dst)) {
		errno = ELOOP;
		return -1;
	}
	return 0;
}

/* IP_TRANSPARENT on a listener, for TPROXY (needs CAP_NET_ADMIN). */
int redir_listener(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

/* A target that is one of the servers we tunnel to: a firewall that
 * caught our own tunnel connections would loop forever. */
static bool is_server(const struct shim *s, const struct sockaddr_storage *dst)
{
	int i;

	for (i = 0; i < s->nsrv; i++)
		if (sa_same(dst, &s->srv[i]))
			return true;
	return false;
}

/*
 * Why a datagram TPROXY'd to @dst must not be relayed (udpredir.c), or
 * NULL: sent straight to our port (its original destination is this
 * host, at the redir port), or to a server (the ruleset caught the
 * tunnel). addr_is_local() costs a socket: only at our port.
 */
const char *redir_udp_loop(const struct shim *s, const struct sockaddr_storage *dst)
{
	if (sa_port(dst) == s->cfg.local_port && addr_is_local(dst))
		return "its destination is this listener (not TPROXY'd)";
	if (is_server(s, dst))
		return "its destination is the tunnel server (the ruleset must bypass it)";
	return NULL;
}

/* Once per 5 s per worker: a firewall mistake must not flood the log. */
static void refused(struct conn *c, const char *why)
{
	struct worker *w = c->w;

	log_dbg("conn %llu: not redirected: %s", (unsigned long long)c->id, why);
	if (ev_now(w->loop) - w->last_redir_log > 5) {
		w->last_redir_log = ev_now(w->loop);
		log_warn("closing a connection that was not redirected to us: %s", why);
	}
	conn_close(c);
}

static void redir_open(struct conn *c)
{
	struct shim *s = c->w->s;
	struct sockaddr_storage dst;
	char a[64];

	if (redir_orig_dst(c->plain, s->cfg.tcp_tproxy, s->cfg.local_port, &dst)) {
		refused(c, errno == ELOOP ? "its destination is this listener" :
			errno == ENOENT ? "no NAT entry (REDIRECT rule missing, or TPROXY without --tcp-tproxy)" :
			strerror(errno));
		return;
	}
	if (is_server(s, &dst)) {
		refused(c, "its destination is the tunnel server (the ruleset must bypass it)");
		return;
	}
	ss_addr_from_sockaddr(&c->target, (struct sockaddr *)&dst);
	if (log_level_get() >= L_DEBUG) {
		sockaddr_format((struct sockaddr *)&dst, a, sizeof(a));
		log_dbg("conn %llu: redirected to %s", (unsigned long long)c->id, a);
	}
	if (local_tunnel_begin(c)) {
		conn_close(c);
		return;
	}
	local_tunnel_early(c);
}

/*
 * Nothing is read before the relay but Fast Open's wait for the client's
 * first bytes (local_tunnel_early): they, or EOF, start the dial.
 */
static void redir_input(struct conn *c, const uint8_t *b, size_t n)
{
	if (c->state == CS_CONNECTING) {	/* after Fast Open's wait */
		local_connecting_input(c, b, n);
		return;
	}
	if (c->state != CS_WAIT_DATA) {
		conn_close(c);
		return;
	}
	if (b) {
		memcpy(c->hbuf + c->hlen, b, n);
		c->hlen += n;
	}
	local_dial(c);
}

const struct role_ops redir_ops = {
	.name = "redir",
	.tunnel_accepted = false,
	.open = redir_open,
	.input = redir_input,
	.connected = local_connected,
	.fail = conn_close,
};
