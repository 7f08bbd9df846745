// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket helpers: MPTCP sockets with a one-time fallback to TCP, and the
 * MPTCP_INFO probe that tells whether a connection really kept MPTCP
 * (middleboxes that strip the option make the kernel fall back silently).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/mptcp.h>
#include "log.h"
#include "net.h"

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

int net_socket(int family, struct mptcp_switch *ms, bool *is_mptcp)
{
	int fd, type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;

	*is_mptcp = false;
	if (ms->want && !atomic_load(&ms->unavailable)) {
		fd = socket(family, type, IPPROTO_MPTCP);
		if (fd >= 0) {
			*is_mptcp = true;
			return fd;
		}
		/* Disabled by sysctl or not built: say so once, then use TCP. */
		if (errno == EPROTONOSUPPORT || errno == ENOPROTOOPT ||
		    errno == EINVAL || errno == EAFNOSUPPORT) {
			if (!atomic_exchange(&ms->unavailable, 1))
				log_warn("MPTCP unavailable (%s): falling back to plain TCP",
					 strerror(errno));
		} else {
			return -1;
		}
	}
	return socket(family, type, IPPROTO_TCP);
}

int net_listen(const struct sockaddr *sa, socklen_t len, struct mptcp_switch *ms,
	       bool *is_mptcp)
{
	int one = 1, fd = net_socket(sa->sa_family, ms, is_mptcp);

	if (fd < 0)
		return -1;
	/* One listener per worker: the kernel spreads connections by hash. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err_close;
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len) || listen(fd, 1024))
		goto err_close;
	return fd;
err_close:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

int net_resolve(const char *host, int port, bool passive,
		struct sockaddr_storage *out, socklen_t *outlen)
{
	struct addrinfo hints = { 0 }, *res;
	char pstr[8];
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
	snprintf(pstr, sizeof(pstr), "%d", port);
	rc = getaddrinfo(host, pstr, &hints, &res);
	if (rc) {
		log_err("cannot resolve \"%s\": %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void net_tune(int fd, bool nodelay)
{
	int one = 1;

	if (nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

enum tun_kind net_tunnel_kind(int fd, enum tun_sock made, int *subflows)
{
	struct mptcp_info info;
	socklen_t len = sizeof(info);
	int proto = 0;
	socklen_t plen = sizeof(proto);

	*subflows = 0;
	if (made == TS_TCP)
		return TUN_TCP;
	if (made == TS_MAYBE &&
	    (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) ||
	     proto != IPPROTO_MPTCP))
		return TUN_TCP;
	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len))
		return TUN_FALLBACK;	/* kernel refuses MPTCP_INFO after fallback */
	if (info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK)
		return TUN_FALLBACK;
	*subflows = info.mptcpi_subflows + 1;	/* count excludes the initial one */
	return TUN_MPTCP;
}

const char *tun_kind_name(enum tun_kind k)
{
	static const char *const n[] = { "none", "tcp", "mptcp", "mptcp-fallback" };

	return n[k];
}

/*
 * SO_REUSEPORT would let a second instance silently share (and steal from)
 * our port. Bind once without it first: an existing listener makes that
 * fail with EADDRINUSE, which we report instead.
 */
int net_probe_free(const struct sockaddr *sa, socklen_t len)
{
	int one = 1, ret = 0, fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len))
		ret = -1;
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return ret;
}

/*
 * TCP Fast Open, for MPTCP sockets too (Linux 6.2+). Client: the SYN is
 * deferred to the first write and carries the target header (and early
 * data) once a cookie is cached. Server: accept data in the SYN.
 */
int net_fastopen(int fd, bool listener)
{
	int qlen = 256, one = 1;

	if (listener)
		return setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen));
	return setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
}
