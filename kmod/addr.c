// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses on the "omr" family's wire: an OMR_ADDR_A_* nest of a family
 * and 4 or 16 bytes (uapi/linux/omr.h), for IPv4 and IPv6 alike. A leaf:
 * genl.c and events.c put them, genl.c takes them from requests.
 */
#include <net/netlink.h>
#include "addr.h"

/* The length is checked against the family in omr_nla_get_addr(). */
const struct nla_policy omr_addr_policy[OMR_ADDR_A_MAX + 1] = {
	[OMR_ADDR_A_FAMILY] = { .type = NLA_U16 },
	[OMR_ADDR_A_ADDR] = { .type = NLA_BINARY,
			      .len = sizeof(struct in6_addr) },
};

int omr_nla_put_addr(struct sk_buff *skb, int type, const struct omr_addr *a)
{
	bool v6 = a->family == AF_INET6;
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put_u16(skb, OMR_ADDR_A_FAMILY, a->family) ||
	    nla_put(skb, OMR_ADDR_A_ADDR, v6 ? sizeof(a->a6) : sizeof(a->a4),
		    v6 ? (const void *)&a->a6 : (const void *)&a->a4))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The address in @nest (already validated against omr_addr_policy), named
 * @what in the extended ACK: a family of the two and the bytes of its
 * length, else -EINVAL. An IPv4-mapped IPv6 address becomes IPv4 (addr.h).
 */
int omr_nla_get_addr(const struct nlattr *nest, const char *what,
		     struct omr_addr *out, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[OMR_ADDR_A_MAX + 1];
	int ret, len;
	u16 family;

	ret = nla_parse_nested(tb, OMR_ADDR_A_MAX, nest, omr_addr_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[OMR_ADDR_A_FAMILY] || !tb[OMR_ADDR_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, nest,
					"%s: OMR_ADDR_A_FAMILY and OMR_ADDR_A_ADDR are required",
					what);
		return -EINVAL;
	}
	family = nla_get_u16(tb[OMR_ADDR_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[OMR_ADDR_A_FAMILY],
					"%s: family %u is neither AF_INET (2) nor AF_INET6 (10)",
					what, family);
		return -EINVAL;
	}
	len = family == AF_INET ? sizeof(struct in_addr) :
				  sizeof(struct in6_addr);
	if (nla_len(tb[OMR_ADDR_A_ADDR]) != len) {
		NL_SET_ERR_MSG_ATTR_FMT(extack, tb[OMR_ADDR_A_ADDR],
					"%s: %d address bytes, %s takes %d",
					what, nla_len(tb[OMR_ADDR_A_ADDR]),
					family == AF_INET ? "AF_INET" : "AF_INET6",
					len);
		return -EINVAL;
	}
	if (family == AF_INET)
		omr_addr4(out, nla_get_in_addr(tb[OMR_ADDR_A_ADDR]));
	else
		omr_addr6(out, nla_data(tb[OMR_ADDR_A_ADDR]));
	return 0;
}
