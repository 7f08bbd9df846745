// SPDX-License-Identifier: GPL-2.0
/*
 * udp-route's decisions (uroute.h): pure functions of the PM's paths and
 * their next hops, so that make check tests them without a kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uroute.h"
#include "util.h"

/* A number, decimal or 0x hex (marks are often written in hex). */
static int num(const char *key, const char *v, uint32_t lo, uint32_t hi,
	       uint32_t *out)
{
	unsigned long long n;
	char *end;

	if (!v) {
		err("udp-route: %s needs a value", key);
		return -1;
	}
	errno = 0;
	n = strtoull(v, &end, 0);
	if (*v < '0' || *v > '9' || errno || *end || n < lo || n > hi) {
		err("udp-route: %s '%s': expected a number from %u to %u", key, v,
		    lo, hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* Tables of the kernel's own: a table of udp-route's own is emptied. */
static int check_table(uint32_t t)
{
	static const char *const names[] = { [253] = "default", [254] = "main",
					     [255] = "local" };

	if (t < 253 || t > 255)
		return 0;
	err("udp-route: table %u is the '%s' table: give UDP a table of its own (e.g. 207)",
	    t, names[t]);
	return -1;
}

static int one_arg(struct uroute_opts *o, int argc, char **argv, int *i)
{
	const char *k = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(k, "sticky") || !strcmp(k, "keep")) {
		*(k[0] == 's' ? &o->sticky : &o->keep) = true;
		return 0;
	}
	(*i)++;
	if (!strcmp(k, "fwmark"))
		return num(k, v, 1, UINT32_MAX, &o->fwmark);
	if (!strcmp(k, "table"))
		return num(k, v, 1, UINT32_MAX, &o->table) ?: check_table(o->table);
	if (!strcmp(k, "pref"))
		return num(k, v, 1, 32765, &o->pref);
	err("udp-route: unknown argument '%s' (fwmark MARK, table TABLE, pref PREF, sticky, keep)",
	    k);
	return -1;
}

int uroute_args(struct uroute_opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->pref = UROUTE_PREF_DEFAULT;
	for (i = 0; i < argc; i++)
		if (one_arg(o, argc, argv, &i))
			return EX_USAGE;
	if (!o->fwmark || !o->table) {
		err("udp-route: missing %s (the mark is omr-shim's udp_fwmark; the table, one for UDP alone)",
		    !o->fwmark ? "fwmark MARK" : "table TABLE");
		return EX_USAGE;
	}
	return EX_OK;
}

int uroute_tier(const struct uroute_cand *c)
{
	const struct omr_path *p = c->p;

	if (!p->enabled || !p->link_up || !p->ifindex || !c->has_nh || c->refused)
		return -1;
	return (p->health == OMR_PATH_HEALTH_DEMOTED) * 2 + p->backup;
}

int uroute_pick(const struct uroute_cand *c, int n, int cur, bool sticky)
{
	int i, t, best = -1, best_t = 4;

	if (sticky && cur >= 0 && cur < n) {
		t = uroute_tier(&c[cur]);
		if (t == 0 || t == 1)
			return cur;
	}
	for (i = 0; i < n; i++) {
		t = uroute_tier(&c[i]);
		if (t >= 0 && t < best_t) {
			best = i;
			best_t = t;
		}
	}
	return best;
}

int uroute_find(const struct uroute_cand *c, int n, uint32_t ifindex,
		const char *dev)
{
	int i;

	for (i = 0; i < n; i++)
		if (ifindex ? c[i].p->ifindex == ifindex : !strcmp(c[i].p->dev, dev))
			return i;
	return -1;
}

/* Why @c (the path in use) is left: its key, and the words. */
static const char *left_why(const struct uroute_cand *c, const char **key,
			    char *buf, size_t len)
{
	const struct omr_path *p = c->p;

	if (!p->enabled)
		*key = "disabled";
	else if (!p->link_up || !p->ifindex)
		*key = "down";
	else if (c->refused)
		*key = "refused";
	else if (!c->has_nh)
		*key = "no_gateway";
	else if (p->health == OMR_PATH_HEALTH_DEMOTED)
		*key = "demoted";
	else
		*key = "preferred";
	if (c->refused)
		snprintf(buf, len, "%s: route refused (%s)", p->dev, strerror(c->err));
	else if (!strcmp(*key, "no_gateway"))
		snprintf(buf, len, "%s has no default route (path change dev %s gw ADDR)",
			 p->dev, p->dev);
	else if (!strcmp(*key, "demoted"))
		snprintf(buf, len, "%s demoted (%s)", p->dev, reason_name(p->health_reason));
	else
		snprintf(buf, len, "%s %s", p->dev, *key);
	return buf;
}

const char *uroute_why(const struct uroute_cand *c, int cur,
		       const char *cur_dev, int to, const char **key,
		       char *buf, size_t len)
{
	int t = cur >= 0 ? uroute_tier(&c[cur]) : -1;

	if (cur < 0 && cur_dev && cur_dev[0]) {
		*key = "deleted";
		snprintf(buf, len, "path %s deleted", cur_dev);
	} else if (cur < 0) {
		*key = "start";
		snprintf(buf, len, "no route yet");
	} else if (cur == to) {
		*key = "route_lost";
		snprintf(buf, len, "the route via %s was removed", c[cur].p->dev);
	} else if (to >= 0 && (t == 0 || t == 1)) {
		*key = "preferred";
		snprintf(buf, len, "%s is preferred to %s", c[to].p->dev, c[cur].p->dev);
	} else {
		left_why(&c[cur], key, buf, len);
	}
	return buf;
}
