/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_NET_H
#define OMR_SHIM_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

/* Tunnel transport state as reported in the status dump. */
enum tun_kind { TUN_NONE, TUN_TCP, TUN_MPTCP, TUN_FALLBACK };

/*
 * What a tunnel socket was made as: TCP, MPTCP (socket() with
 * IPPROTO_MPTCP: it stays one, fallen back or not), or accepted from an
 * MPTCP listener, which hands out a plain TCP socket to a TCP client.
 */
enum tun_sock { TS_TCP, TS_MPTCP, TS_MAYBE };

/*
 * Shared switch: once the kernel refuses IPPROTO_MPTCP we stop asking
 * and log it exactly once.
 */
struct mptcp_switch {
	bool want;
	atomic_int unavailable;
};

int net_socket(int family, struct mptcp_switch *ms, bool *is_mptcp);
int net_listen(const struct sockaddr *sa, socklen_t len, struct mptcp_switch *ms,
	       bool *is_mptcp);
int net_resolve(const char *host, int port, bool passive,
		struct sockaddr_storage *out, socklen_t *outlen);
void net_tune(int fd, bool nodelay);
int net_probe_free(const struct sockaddr *sa, socklen_t len);
int net_fastopen(int fd, bool listener);
/*
 * TUN_MPTCP with *subflows filled, TUN_FALLBACK or TUN_TCP. The kernel is
 * asked only what @made leaves open: a TCP socket is TCP, an MPTCP one
 * needs MPTCP_INFO only, an accepted one SO_PROTOCOL first.
 */
enum tun_kind net_tunnel_kind(int fd, enum tun_sock made, int *subflows);
const char *tun_kind_name(enum tun_kind k);

#endif
