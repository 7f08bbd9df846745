/* SPDX-License-Identifier: GPL-2.0 */
/*
 * udp-route's decisions, without netlink (host-tested): its words, which
 * WAN UDP should leave by given the PM's paths and their next hops, and
 * why it moved. udproute.c runs the loop, rtnl.c changes the routes.
 */
#ifndef OMRCTL_UROUTE_H
#define OMRCTL_UROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include "model.h"

#define UROUTE_PREF_DEFAULT 30000	/* before main's 32766 */

struct uroute_opts {
	uint32_t fwmark, table, pref;
	bool sticky;	/* stay on a healthy path even if a better one returns */
	bool keep;	/* leave the rule and the route behind at exit */
};

/* udp-route's words into @o; EX_OK, or EX_USAGE after a message. */
int uroute_args(struct uroute_opts *o, int argc, char **argv);

/* A path's next hop of one family. */
struct uroute_nh {
	bool ok;		/* a gateway, or a device route, is known */
	bool has_gw;		/* false: "default dev X" (point-to-point) */
	struct omr_ip gw;
};

/* The families udp-route routes, in the order of uroute_cand's nh[]. */
#define UROUTE_FAMILIES { AF_INET, AF_INET6 }

/*
 * A path as udp-route sees it: the PM's view and its next hops. Which path
 * is one decision; it gets a route of each family it has a next hop of.
 */
struct uroute_cand {
	const struct omr_path *p;
	bool has_nh;		/* a next hop of one family at least */
	struct uroute_nh nh[2];	/* IPv4, IPv6 */
	bool refused;		/* the kernel refused its routes just now */
	int err;		/* then its errno */
};

/*
 * Its rank: -1 unusable (disabled, link down, no next hop, refused);
 * else 0 healthy, 1 healthy backup, 2 demoted, 3 demoted backup.
 */
int uroute_tier(const struct uroute_cand *c);

/*
 * The index into @c (@n, in the PM's configuration order) of the path to
 * use, -1 if none: the best tier, the first path of it. @cur: the index of
 * the path in use, -1 if none; with @sticky it is kept while healthy
 * (tier 0 or 1).
 */
int uroute_pick(const struct uroute_cand *c, int n, int cur, bool sticky);

/* The index of the path on device @ifindex (@dev if 0), or -1. */
int uroute_find(const struct uroute_cand *c, int n, uint32_t ifindex,
		const char *dev);

/*
 * Why the route moves from @c[@cur] (-1: nothing was in use; @cur_dev names a
 * path that is gone) to @to (-1: none left): a JSON-friendly key into
 * *@key ("down", "demoted", ...) and the words, with the devices, in @buf.
 */
const char *uroute_why(const struct uroute_cand *c, int cur,
		       const char *cur_dev, int to, const char **key,
		       char *buf, size_t len);

#endif /* OMRCTL_UROUTE_H */
