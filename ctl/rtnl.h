/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few rtnetlink requests udp-route makes, IPv4 and IPv6 alike, over
 * libnl's core (no libnl-route): one fwmark rule of a family, one default
 * route of a family in a table, the default routes of every table, and the
 * notifications that they changed.
 * Functions return 0 or a negative errno; rtnl_extack() is the kernel's
 * message about the last refusal ("" if none).
 */
#ifndef OMRCTL_RTNL_H
#define OMRCTL_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "util.h"

struct rtnl;

/* @watch: a socket that only hears route changes (rtnl_watch_read). */
struct rtnl *rtnl_open(bool watch);
void rtnl_close(struct rtnl *r);
const char *rtnl_extack(const struct rtnl *r);
int rtnl_fd(const struct rtnl *r);

/*
 * @family's (AF_INET, AF_INET6) rule "fwmark @mark lookup @table pref
 * @pref": add (-EEXIST if there) or del.
 */
int rtnl_rule(struct rtnl *r, int family, bool add, uint32_t mark,
	      uint32_t table, uint32_t pref);

/* A default route (0.0.0.0/0 or ::/0) of some table. */
struct rt_default {
	int family;
	uint32_t table, ifindex, metric;
	bool has_gw;
	struct omr_ip gw, src;		/* of its family; family 0: none */
};

/*
 * Every IPv4 default route with one next hop, then (@v6) every IPv6 one;
 * *@out is malloc'ed.
 */
int rtnl_defaults(struct rtnl *r, bool v6, struct rt_default **out, int *n);

/*
 * Table @table's default route of @family becomes the one via @gw (NULL:
 * "dev" only, for a point-to-point device) on @ifindex, source @src (NULL:
 * the kernel's choice); @gw and @src are addresses of @family.
 */
int rtnl_route_replace(struct rtnl *r, int family, uint32_t table,
		       uint32_t ifindex, const struct omr_ip *gw,
		       const struct omr_ip *src);
/* Table @table's default route of @family removed (0 if there was none). */
int rtnl_route_del(struct rtnl *r, int family, uint32_t table);

/* What is pending on a watch socket; *@changed if a default route changed. */
int rtnl_watch_read(struct rtnl *r, bool *changed);

#endif /* OMRCTL_RTNL_H */
