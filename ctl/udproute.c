// SPDX-License-Identifier: GPL-2.0
/*
 * udp-route fwmark MARK table TABLE [pref PREF] [sticky] [keep]: keep UDP
 * marked MARK (omr-shim's udp_fwmark) on the WAN omr's path manager judges
 * best. It installs the rule "fwmark MARK lookup TABLE", IPv4 and IPv6, and
 * keeps TABLE's one default route of each family via that WAN's gateway of
 * the family (a WAN with one family's gateway: the other family's route
 * goes, its marked traffic falls through the rules). It re-decides (uroute.c) after
 * the PM's path events, after any default route changes (a gateway comes
 * or goes, the kernel flushes a downed device's routes), and every 10 s;
 * each decision reads the paths (GET_PATHS) and the default routes afresh,
 * so a lost event costs at most that delay. One line per move.
 * docs/shim.md, "UDP over several WANs", has the design and its numbers.
 */
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

static const int fams[2] = UROUTE_FAMILIES;
static const char *const fam_names[2] = { "IPv4", "IPv6" };

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
	bool v6;			/* the kernel has IPv6: routed too */
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

/* How many of fams[] udp-route routes. */
static int nfams(const struct ur *u)
{
	return u->v6 ? 2 : 1;
}

/*
 * @c's next hop of fams[@f]: the path's configured gateway if it is of
 * that family, else a default route of the family through its device in
 * another table than ours (main first: a single WAN's router; else a
 * per-WAN table, as OpenMPTCProuter's).
 */
static void next_hop_of(const struct ur *u, struct uroute_cand *c, int f)
{
	const struct rt_default *best = NULL, *d;
	struct uroute_nh *nh = &c->nh[f];
	int i;

	if (c->p->gw.family == fams[f]) {
		nh->ok = nh->has_gw = true;
		nh->gw = c->p->gw;
		return;
	}
	for (i = 0; i < u->nd; i++) {
		d = &u->d[i];
		if (d->family != fams[f] || d->ifindex != c->p->ifindex ||
		    d->table == u->o.table)
			continue;
		if (!best || (best->table != RT_TABLE_MAIN &&
			      (d->table == RT_TABLE_MAIN || d->metric < best->metric)))
			best = d;
	}
	if (!best)
		return;
	nh->ok = true;
	nh->has_gw = best->has_gw;
	nh->gw = best->gw;
}

static void next_hop(const struct ur *u, struct uroute_cand *c)
{
	int f;

	for (f = 0; f < nfams(u); f++) {
		next_hop_of(u, c, f);
		c->has_nh |= c->nh[f].ok;
	}
}

/* Table @u->o.table's default route of fams[@f] (-1: either), or NULL. */
static const struct rt_default *installed(const struct ur *u, int f)
{
	int i;

	for (i = 0; i < u->nd; i++)
		if (u->d[i].table == u->o.table &&
		    (f < 0 || u->d[i].family == fams[f]))
			return &u->d[i];
	return NULL;
}

/* @to's gateway of fams[@f] as @key, if it has one. */
static void print_via(const struct uroute_cand *to, int f, const char *key,
		      const char *fmt)
{
	char buf[OMR_IP_STRLEN];

	if (to && to->nh[f].ok && to->nh[f].has_gw)
		print_string(PRINT_ANY, key, fmt, ip_ntop(&to->nh[f].gw, buf));
}

static void print_move(const struct ur *u, const struct uroute_cand *to,
		       const char *key, const char *why)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	open_json_object(NULL);
	print_float(PRINT_ANY, "ts", "[%.3f] ", ts.tv_sec + ts.tv_nsec / 1e9, true, NULL);
	print_string(PRINT_ANY, "event", "%s", "udp_route");
	print_string_or(PRINT_ANY, "from", " %s", u->cur_dev[0] ? u->cur_dev : NULL, "none");
	print_string_or(PRINT_ANY, "to", " -> %s", to ? to->p->dev : NULL, "none");
	print_via(to, 0, "via", " via %s");
	print_via(to, 1, "via6", " via6 %s");
	print_uint(PRINT_JSON, "table", NULL, u->o.table);
	print_string(PRINT_ANY, "why", ": %s", key);
	print_string(PRINT_ANY, "text", " (%s)", why);
	print_nl();
	close_json_object();
	fflush(stdout);
}

/* Table's route of fams[@f] removed: 1 done, 0 it failed (after a message). */
static int del_family(struct ur *u, int f)
{
	int ret = rtnl_route_del(u->rt, fams[f], u->o.table);

	if (!ret)
		return 1;
	err("udp-route: removing table %u's %s route: %s", u->o.table, fam_names[f],
	    strerror(-ret));
	return 0;
}

/*
 * Table's route of fams[@f] made the one via @c, or removed if @c has no
 * next hop of that family: 1 done, 0 it was already, or a negative errno
 * after a message (the family's route is then removed).
 */
static int install_family(struct ur *u, struct uroute_cand *c, int f)
{
	const struct rt_default *t = installed(u, f);
	const struct uroute_nh *nh = &c->nh[f];
	int ret;

	if (!nh->ok)
		return t ? del_family(u, f) : 0;
	if (t && t->ifindex == c->p->ifindex && t->has_gw == nh->has_gw &&
	    (!nh->has_gw || ip_eq(&t->gw, &nh->gw)))
		return 0;
	ret = rtnl_route_replace(u->rt, fams[f], u->o.table, c->p->ifindex,
				 nh->has_gw ? &nh->gw : NULL, path_addr(c->p, fams[f]));
	if (!ret)
		return 1;
	err("udp-route: %s route via %s in table %u: %s%s%s%s", fam_names[f],
	    c->p->dev, u->o.table, strerror(-ret),
	    rtnl_extack(u->rt)[0] ? " (kernel: " : "", rtnl_extack(u->rt),
	    rtnl_extack(u->rt)[0] ? ")" : "");
	if (t)
		del_family(u, f);
	return ret;
}

/*
 * Make table's routes the ones via @c, a family @c has no next hop of
 * withdrawn: 1 done, 0 they were already, or a negative errno when the
 * kernel refused every family @c has a next hop of (@c is then marked
 * refused; one refused family alone is left out, as if @c had none).
 */
static int install(struct ur *u, struct uroute_cand *c)
{
	int f, ret, changed = 0, tried = 0, refused = 0;

	for (f = 0; f < nfams(u); f++) {
		tried += c->nh[f].ok;
		ret = install_family(u, c, f);
		if (ret < 0) {
			c->nh[f].ok = false;
			c->err = -ret;
			refused++;
		} else {
			changed |= ret;
		}
	}
	if (!refused || refused < tried)
		return changed;
	c->refused = true;
	return -c->err;
}

/* No path left: table's route goes, marked UDP falls through the rules. */
static void withdraw(struct ur *u, int cur)
{
	const char *key;
	char why[160];
	int f;

	for (f = 0; f < nfams(u); f++)
		if (installed(u, f))
			del_family(u, f);
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
		if (to == cur && installed(u, -1)) {	/* there, via another gateway */
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
	ret = rtnl_defaults(u->rt, u->v6, &u->d, &u->nd);
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

/*
 * The rules, at start, IPv4 then IPv6: there already (a kept one) is fine;
 * a kernel without IPv6 is routed IPv4 only.
 */
static int add_rules(struct ur *u)
{
	int f, ret;

	u->v6 = true;
	for (f = 0; f < nfams(u); f++) {
		ret = rtnl_rule(u->rt, fams[f], true, u->o.fwmark, u->o.table,
				u->o.pref);
		if (!ret || ret == -EEXIST)
			continue;
		if (f == 1 && ret == -EAFNOSUPPORT) {
			u->v6 = false;
			break;
		}
		err("udp-route: %s rule fwmark %#x lookup %u pref %u: %s%s%s%s%s",
		    fam_names[f], u->o.fwmark, u->o.table, u->o.pref, strerror(-ret),
		    ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "",
		    rtnl_extack(u->rt)[0] ? " (kernel: " : "", rtnl_extack(u->rt),
		    rtnl_extack(u->rt)[0] ? ")" : "");
		return EX_KERNEL;
	}
	return EX_OK;
}

/* At exit, unless keep: each family's route, then its rule. */
static int remove_all(struct ur *u)
{
	int f, ret, rc = EX_OK;

	for (f = 0; f < nfams(u); f++) {
		ret = rtnl_route_del(u->rt, fams[f], u->o.table);
		if (ret) {
			err("udp-route: removing table %u's %s route: %s", u->o.table,
			    fam_names[f], strerror(-ret));
			rc = EX_KERNEL;
		}
		ret = rtnl_rule(u->rt, fams[f], false, u->o.fwmark, u->o.table,
				u->o.pref);
		if (ret && ret != -ENOENT) {
			err("udp-route: removing the %s rule fwmark %#x lookup %u: %s",
			    fam_names[f], u->o.fwmark, u->o.table, strerror(-ret));
			rc = EX_KERNEL;
		}
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
	return ret ? ret : add_rules(u);
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
