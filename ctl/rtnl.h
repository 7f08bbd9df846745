/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few rtnetlink requests udp-route makes (IPv4), over libnl's core
 * (no libnl-route): one fwmark rule, one default route in a table, the
 * default routes of every table, and the notifications that they changed.
 * Functions return 0 or a negative errno; rtnl_extack() is the kernel's
 * message about the last refusal ("" if none).
 */
#ifndef OMRCTL_RTNL_H
#define OMRCTL_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct rtnl;

/* @watch: a socket that only hears route changes (rtnl_watch_read). */
struct rtnl *rtnl_open(bool watch);
void rtnl_close(struct rtnl *r);
const char *rtnl_extack(const struct rtnl *r);
int rtnl_fd(const struct rtnl *r);

/* "fwmark @mark lookup @table pref @pref": add (-EEXIST if there) or del. */
int rtnl_rule(struct rtnl *r, bool add, uint32_t mark, uint32_t table,
	      uint32_t pref);

/* A default route (0.0.0.0/0) of some table. */
struct rt_default {
	uint32_t table, ifindex, metric;
	bool has_gw;
	struct in_addr gw, src;
};

/* Every IPv4 default route with one next hop; *@out is malloc'ed. */
int rtnl_defaults(struct rtnl *r, struct rt_default **out, int *n);

/*
 * Table @table's default route becomes the one via @gw (NULL: "dev" only,
 * for a point-to-point device) on @ifindex, source @src (NULL: the
 * kernel's choice).
 */
int rtnl_route_replace(struct rtnl *r, uint32_t table, uint32_t ifindex,
		       const struct in_addr *gw, const struct in_addr *src);
/* Table @table's default route removed (0 if there was none). */
int rtnl_route_del(struct rtnl *r, uint32_t table);

/* What is pending on a watch socket; *@changed if a default route changed. */
int rtnl_watch_read(struct rtnl *r, bool *changed);

#endif /* OMRCTL_RTNL_H */
