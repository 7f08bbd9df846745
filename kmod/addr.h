/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An IPv4 or IPv6 address, as the path manager keeps them: a path's source
 * addresses (one per family), a connection's and a subflow's two ends, an
 * event's. An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) is
 * kept as the IPv4 address it maps: MPTCP judges a subflow by that family
 * too (mptcp_pm_addr_families_match()), and the path's IPv4 address is the
 * one such a subflow leaves from.
 */
#ifndef _OMR_ADDR_H
#define _OMR_ADDR_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "uapi/linux/omr.h"

struct omr_addr {
	u16 family;		/* AF_INET, AF_INET6; 0: none */
	union {
		__be32 a4;
		struct in6_addr a6;
	};
};

/* A path's addresses, by family: [OMR_FAM_V4], [OMR_FAM_V6]. */
enum { OMR_FAM_V4, OMR_FAM_V6, OMR_NFAM };

static inline int omr_fam_idx(u16 family)
{
	return family == AF_INET6 ? OMR_FAM_V6 : OMR_FAM_V4;
}

static inline bool omr_addr_eq(const struct omr_addr *a,
			       const struct omr_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET6)
		return ipv6_addr_equal(&a->a6, &b->a6);
	return a->family != AF_INET || a->a4 == b->a4;
}

static inline void omr_addr4(struct omr_addr *a, __be32 v4)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a4 = v4;
}

/* IPv4-mapped addresses become the IPv4 address (see the top). */
static inline void omr_addr6(struct omr_addr *a, const struct in6_addr *v6)
{
	if (ipv6_addr_v4mapped(v6)) {
		omr_addr4(a, v6->s6_addr32[3]);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	a->a6 = *v6;
}

/* 0.0.0.0 or ::, which clears a configured address. */
static inline bool omr_addr_any(const struct omr_addr *a)
{
	return a->family == AF_INET6 ? ipv6_addr_any(&a->a6) : !a->a4;
}

/* A socket's (a subflow's, an msk's) local and remote address. */
static inline void omr_addr_sk(const struct sock *sk, struct omr_addr *l,
			       struct omr_addr *r)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		omr_addr6(l, &sk->sk_v6_rcv_saddr);
		omr_addr6(r, &sk->sk_v6_daddr);
		return;
	}
#endif
	omr_addr4(l, inet_sk(sk)->inet_saddr);
	omr_addr4(r, inet_sk(sk)->inet_daddr);
}

/* addr.c: on the "omr" family's wire (uapi/linux/omr.h, OMR_ADDR_A_*). */
struct sk_buff;
struct netlink_ext_ack;
struct nla_policy;
extern const struct nla_policy omr_addr_policy[OMR_ADDR_A_MAX + 1];
int omr_nla_put_addr(struct sk_buff *skb, int type, const struct omr_addr *a);
int omr_nla_get_addr(const struct nlattr *nest, const char *what,
		     struct omr_addr *out, struct netlink_ext_ack *extack);

#endif /* _OMR_ADDR_H */
