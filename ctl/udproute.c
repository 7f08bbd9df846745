// SPDX-License-Identifier: GPL-2.0
/*
 * udp-route fwmark MARK table TABLE [pref PREF] [sticky] [keep]: keep UDP
 * marked MARK (omr-shim's udp_fwmark) on the WAN omr's path manager judges
 * best. It installs the rule "fwmark MARK lookup TABLE" and keeps TABLE's
 * one default route via that WAN's gateway. It re-decides (uroute.c) after
 * the PM's path events, after any default route changes (a gateway comes
 * or goes, the kernel flushes a downed device's routes), and every 10 s;
 * each decision reads the paths (GET_PATHS) and the default routes afresh,
 * so a lost event costs at most that delay. One line per move.
 * docs/shim.md, "UDP over several WANs", has the design and its numbers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/rtnetlink.h>
#include "cmd.h"
#include "print.h"
#include "rtnl.h"
#include "uroute.h"
#include "util.h"

#define UR_RESYNC_MS 10000	/* re-decide this often without an event */
#define UR_SETTLE_MS 20		/* a burst of events: decide at most this late */

static volatile sig_atomic_t stop_ur;

static void on_signal(int sig)
{
	(void)sig;
	stop_ur = 1;
}

struct ur {
	struct uroute_opts o;
	struct omr_nl *q;		/* GET_PATHS (c->nl hears the events) */
	struct rtnl *rt, *watch;
	bool dirty, started;
	char cur_dev[IFNAMSIZ];		/* the path in use, "" none */
	struct omr_paths l;
	struct rt_default *d;		/* every default route, this decision */
	int nd;
	struct uroute_cand *c;
};

static void on_event(const struct omr_event *e, void *arg)
{
	struct ur *u = arg;

	/* Subflow events do not change a path's standing. */
	if (e->type != OMR_EV_SF_CREATED && e->type != OMR_EV_SF_CLOSED)
		u->dirty = true;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * @c's next hop: the path's configured gateway, else a default route
 * through its device in another table than ours (main first: a single
 * WAN's router; else a per-WAN table, as OpenMPTCProuter's).
 */
static void next_hop(const struct ur *u, struct uroute_cand *c)
{
	const struct rt_default *best = NULL;
	int i;

	/* IPv4 routes: an IPv6 gateway is not one of theirs. */
	if (c->p->gw.family == AF_INET) {
		c->has_nh = c->has_gw = true;
		c->gw = c->p->gw.v4;
		return;
	}
	for (i = 0; i < u->nd; i++) {
		const struct rt_default *d = &u->d[i];

		if (d->ifindex != c->p->ifindex || d->table == u->o.table)
			continue;
		if (!best || (best->table != RT_TABLE_MAIN &&
			      (d->table == RT_TABLE_MAIN || d->metric < best->metric)))
			best = d;
	}
	if (!best)
		return;
	c->has_nh = true;
	c->has_gw = best->has_gw;
	c->gw = best->gw;
}

/* Table @u->o.table's default route, or NULL. */
static const struct rt_default *installed(const struct ur *u)
{
	int i;

	for (i = 0; i < u->nd; i++)
		if (u->d[i].table == u->o.table)
			return &u->d[i];
	return NULL;
}

static void print_move(const struct ur *u, const struct uroute_cand *to,
		       const char *key, const char *why)
{
	struct timespec ts;
	char gw[INET_ADDRSTRLEN];

	clock_gettime(CLOCK_REALTIME, &ts);
	open_json_object(NULL);
	print_float(PRINT_ANY, "ts", "[%.3f] ", ts.tv_sec + ts.tv_nsec / 1e9, true, NULL);
	print_string(PRINT_ANY, "event", "%s", "udp_route");
	print_string_or(PRINT_ANY, "from", " %s", u->cur_dev[0] ? u->cur_dev : NULL, "none");
	print_string_or(PRINT_ANY, "to", " -> %s", to ? to->p->dev : NULL, "none");
	if (to && to->has_gw)
		print_string(PRINT_ANY, "via", " via %s",
			     inet_ntop(AF_INET, &to->gw, gw, sizeof(gw)));
	print_uint(PRINT_JSON, "table", NULL, u->o.table);
	print_string(PRINT_ANY, "why", ": %s", key);
	print_string(PRINT_ANY, "text", " (%s)", why);
	print_nl();
	close_json_object();
	fflush(stdout);
}

/*
 * Make table's route the one via @c: 1 done, 0 it was already, or a
 * negative errno after a message (@c is then marked refused).
 */
static int install(struct ur *u, struct uroute_cand *c)
{
	const struct rt_default *t = installed(u);
	const struct omr_ip *src = path_addr(c->p, AF_INET);
	int ret;

	if (t && t->ifindex == c->p->ifindex && t->has_gw == c->has_gw &&
	    (!c->has_gw || t->gw.s_addr == c->gw.s_addr))
		return 0;
	ret = rtnl_route_replace(u->rt, u->o.table, c->p->ifindex,
				 c->has_gw ? &c->gw : NULL,
				 src ? &src->v4 : NULL);
	if (!ret)
		return 1;
	err("udp-route: route via %s in table %u: %s%s%s%s", c->p->dev, u->o.table,
	    strerror(-ret), rtnl_extack(u->rt)[0] ? " (kernel: " : "",
	    rtnl_extack(u->rt), rtnl_extack(u->rt)[0] ? ")" : "");
	c->refused = true;
	c->err = -ret;
	return ret;
}

/* No path left: table's route goes, marked UDP falls through the rules. */
static void withdraw(struct ur *u, int cur)
{
	const char *key;
	char why[160];
	int ret;

	if (installed(u)) {
		ret = rtnl_route_del(u->rt, u->o.table);
		if (ret)
			err("udp-route: removing table %u's route: %s", u->o.table,
			    strerror(-ret));
	}
	if (!u->cur_dev[0] && u->started)
		return;
	uroute_why(u->c, cur, u->cur_dev, -1, &key, why, sizeof(why));
	if (!u->started && !u->l.n)
		snprintf(why, sizeof(why), "no path configured (omrctl path add)");
	else if (!u->started)
		snprintf(why, sizeof(why), "no path is up with a gateway");
	print_move(u, NULL, u->started ? key : "start", why);
	u->cur_dev[0] = '\0';
}

/* Choose and install, the next best path if the kernel refuses one. */
static void choose(struct ur *u)
{
	int cur = u->cur_dev[0] ? uroute_find(u->c, u->l.n, 0, u->cur_dev) : -1;
	const char *key;
	char why[160];
	int to, tries, ret;

	for (tries = 0; tries <= u->l.n; tries++) {
		to = uroute_pick(u->c, u->l.n, cur, u->o.sticky);
		if (to < 0)
			break;
		ret = install(u, &u->c[to]);
		if (ret < 0)
			continue;
		if (!ret && to == cur && u->started)
			return;
		uroute_why(u->c, cur, u->cur_dev, to, &key, why, sizeof(why));
		if (to == cur && installed(u)) {	/* there, via another gateway */
			key = "gateway";
			snprintf(why, sizeof(why), "%s's gateway changed", u->cur_dev);
		}
		print_move(u, &u->c[to], u->started ? key : "start", why);
		snprintf(u->cur_dev, sizeof(u->cur_dev), "%s", u->c[to].p->dev);
		return;
	}
	withdraw(u, cur);
}

/* One decision from the paths and routes as they are now; an exit code. */
static int decide(struct ur *u)
{
	int i, ret;

	free(u->l.p);
	free(u->d);
	free(u->c);
	u->c = NULL;
	u->d = NULL;
	ret = omr_get_paths(u->q, &u->l);
	if (ret)
		return ret;
	ret = rtnl_defaults(u->rt, &u->d, &u->nd);
	if (ret) {
		err("udp-route: reading the routes: %s", strerror(-ret));
		return EX_KERNEL;
	}
	u->c = calloc(u->l.n + 1, sizeof(*u->c));
	if (!u->c) {
		err("out of memory");
		return EX_KERNEL;
	}
	for (i = 0; i < u->l.n; i++) {
		u->c[i].p = &u->l.p[i];
		next_hop(u, &u->c[i]);
	}
	choose(u);
	u->started = true;
	return EX_OK;
}

/* The rule, at start: there already (a kept one) is fine. */
static int add_rule(struct ur *u)
{
	int ret = rtnl_rule(u->rt, true, u->o.fwmark, u->o.table, u->o.pref);

	if (!ret || ret == -EEXIST)
		return EX_OK;
	err("udp-route: rule fwmark %#x lookup %u pref %u: %s%s%s%s%s", u->o.fwmark,
	    u->o.table, u->o.pref, strerror(-ret),
	    ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "",
	    rtnl_extack(u->rt)[0] ? " (kernel: " : "", rtnl_extack(u->rt),
	    rtnl_extack(u->rt)[0] ? ")" : "");
	return EX_KERNEL;
}

/* At exit, unless keep: the route, then the rule. */
static int remove_all(struct ur *u)
{
	int ret = rtnl_route_del(u->rt, u->o.table), rc = EX_OK;

	if (ret) {
		err("udp-route: removing table %u's route: %s", u->o.table, strerror(-ret));
		rc = EX_KERNEL;
	}
	ret = rtnl_rule(u->rt, false, u->o.fwmark, u->o.table, u->o.pref);
	if (ret && ret != -ENOENT) {
		err("udp-route: removing the rule fwmark %#x lookup %u: %s",
		    u->o.fwmark, u->o.table, strerror(-ret));
		rc = EX_KERNEL;
	}
	return rc;
}

/*
 * Until a signal: decide at once, then after a burst of events or route
 * changes has been read (at most UR_SETTLE_MS after it began), and every
 * UR_RESYNC_MS.
 */
static int run(struct ur *u, struct omr_nl *ev)
{
	struct pollfd pfd[2] = {
		{ .fd = omr_events_fd(ev), .events = POLLIN },
		{ .fd = rtnl_fd(u->watch), .events = POLLIN },
	};
	long long since = mono_ms(), now;
	int n, ret;

	u->dirty = true;
	while (!stop_ur) {
		now = mono_ms();
		if (!u->dirty)
			since = now;
		n = poll(pfd, 2, u->dirty ? 0 : UR_RESYNC_MS);
		if (n < 0 && errno != EINTR) {
			err("udp-route: poll: %s", strerror(errno));
			return EX_KERNEL;
		}
		if (n == 0 || (u->dirty && now - since >= UR_SETTLE_MS)) {
			ret = decide(u);
			if (ret)
				return ret;
			u->dirty = false;
		}
		if (n > 0 && pfd[0].revents) {
			ret = omr_events_read(ev, &u->dirty);
			if (ret)
				return ret;
		}
		if (n > 0 && pfd[1].revents && rtnl_watch_read(u->watch, &u->dirty)) {
			err("udp-route: reading route changes failed");
			return EX_KERNEL;
		}
	}
	return EX_OK;
}

static int open_all(struct ctx *c, struct ur *u)
{
	int ret;

	omr_nl_what(c->nl, "udp-route");
	u->q = omr_nl_new();
	u->rt = rtnl_open(false);
	u->watch = rtnl_open(true);
	if (!u->q || !u->rt || !u->watch) {
		err("udp-route: cannot open the netlink sockets");
		return EX_KERNEL;
	}
	omr_nl_what(u->q, "udp-route");
	ret = omr_events_join(c->nl, on_event, u);
	return ret ? ret : add_rule(u);
}

int do_udp_route(struct ctx *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ur u = { 0 };
	int ret, rc;

	ret = uroute_args(&u.o, argc, argv);
	if (ret)
		return ret;
	/* No SA_RESTART: SIGINT/SIGTERM wake poll() up. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = open_all(c, &u);
	if (!ret) {
		ret = run(&u, c->nl);
		if (!u.o.keep) {
			rc = remove_all(&u);
			ret = ret ? ret : rc;
		}
	}
	free(u.l.p);
	free(u.d);
	free(u.c);
	rtnl_close(u.rt);
	rtnl_close(u.watch);
	omr_nl_free(u.q);
	return ret;
}
