// SPDX-License-Identifier: GPL-2.0
/*
 * udp-route's decisions (uroute.c): its words, the order in which paths
 * are preferred, stickiness, a refused route, and why a move happened.
 */
#include <stdio.h>
#include <string.h>
#include "uroute.h"
#include "util.h"
#include "test.h"

static int args(struct uroute_opts *o, const char *line)
{
	char buf[256], *argv[16], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return uroute_args(o, argc, argv);
}

static void test_args(void)
{
	struct uroute_opts o;

	ok(!args(&o, "fwmark 7 table 207") && o.fwmark == 7 && o.table == 207 &&
	   o.pref == UROUTE_PREF_DEFAULT && !o.sticky && !o.keep,
	   "udp-route: fwmark 7 table 207, pref by default, not sticky, not kept");
	ok(!args(&o, "table 1000 fwmark 0x70 pref 100 sticky keep") && o.fwmark == 0x70 &&
	   o.table == 1000 && o.pref == 100 && o.sticky && o.keep,
	   "udp-route: hex mark, any order, sticky and keep");
	ok(args(&o, "fwmark 7") == EX_USAGE && args(&o, "table 207") == EX_USAGE &&
	   args(&o, "fwmark 0 table 207") == EX_USAGE &&
	   args(&o, "fwmark 7 table 254") == EX_USAGE &&
	   args(&o, "fwmark 7 table 207 pref 32766") == EX_USAGE &&
	   args(&o, "fwmark 7 table") == EX_USAGE &&
	   args(&o, "fwmark 7 table 207 frob") == EX_USAGE &&
	   args(&o, "fwmark x7 table 207") == EX_USAGE,
	   "udp-route: missing mark or table, mark 0, main table, pref past main's, no value, unknown word, bad number: usage errors");
}

static struct omr_path path(const char *dev, uint32_t ifindex, bool backup)
{
	struct omr_path p = { .ifindex = ifindex, .link_up = true, .enabled = true,
			      .backup = backup };

	snprintf(p.dev, sizeof(p.dev), "%s", dev);
	return p;
}

/* Three WANs in configuration order, each with a gateway. */
static void three(struct omr_path *p, struct uroute_cand *c)
{
	int i;

	p[0] = path("eth1", 11, false);
	p[1] = path("eth2", 12, false);
	p[2] = path("eth3", 13, true);
	memset(c, 0, 3 * sizeof(*c));
	for (i = 0; i < 3; i++) {
		c[i].p = &p[i];
		c[i].has_nh = true;
	}
}

static void test_pick(void)
{
	struct omr_path p[3], *e1 = &p[0], *e2 = &p[1], *e3 = &p[2];
	struct uroute_cand c[3];
	bool r = true;

	three(p, c);
	r &= uroute_pick(c, 3, -1, false) == 0;		/* the first */
	e1->link_up = false;
	r &= uroute_pick(c, 3, 0, false) == 1;		/* eth1 down */
	e1->link_up = true;
	r &= uroute_pick(c, 3, 1, false) == 0;		/* back: preferred */
	r &= uroute_pick(c, 3, 1, true) == 1;		/* sticky: stays */
	e1->health = OMR_PATH_HEALTH_DEMOTED;
	r &= uroute_pick(c, 3, 0, true) == 1;		/* demoted: left even sticky */
	e2->enabled = false;
	r &= uroute_pick(c, 3, 0, false) == 2;		/* a healthy backup before a demoted one */
	e3->link_up = false;
	r &= uroute_pick(c, 3, 2, false) == 0;		/* demoted, better than nothing */
	e1->link_up = false;
	r &= uroute_pick(c, 3, 0, false) == -1;		/* none left */
	ok(r, "pick: config order, a returning path preferred unless sticky, healthy backup before demoted, demoted before none");
	three(p, c);
	c[0].has_nh = false;
	c[1].refused = true;
	ok(uroute_pick(c, 3, -1, false) == 2 && uroute_find(c, 3, 0, "eth3") == 2 &&
	   uroute_find(c, 3, 12, NULL) == 1 && uroute_find(c, 3, 0, "eth9") == -1,
	   "pick: no next hop or a refused route skips a path; find by name or ifindex");
}

static bool why_is(const struct uroute_cand *c, int cur, const char *dev, int to,
		   const char *key, const char *text)
{
	const char *k = NULL;
	char buf[160];

	uroute_why(c, cur, dev, to, &k, buf, sizeof(buf));
	return same("why key", k, key) && same("why text", buf, text);
}

static void test_why(void)
{
	struct omr_path p[3], *e1 = &p[0];
	struct uroute_cand c[3];
	bool r = true;

	three(p, c);
	r &= why_is(c, -1, "", 0, "start", "no route yet");
	r &= why_is(c, -1, "wan9", 0, "deleted", "path wan9 deleted");
	r &= why_is(c, 0, "eth1", 0, "route_lost", "the route via eth1 was removed");
	r &= why_is(c, 1, "eth2", 0, "preferred", "eth1 is preferred to eth2");
	e1->link_up = false;
	r &= why_is(c, 0, "eth1", 1, "down", "eth1 down");
	e1->link_up = true;
	e1->enabled = false;
	r &= why_is(c, 0, "eth1", 1, "disabled", "eth1 disabled");
	e1->enabled = true;
	e1->health = OMR_PATH_HEALTH_DEMOTED;
	e1->health_reason = OMR_EV_R_STALL;
	r &= why_is(c, 0, "eth1", 1, "demoted", "eth1 demoted (stall)");
	e1->health = OMR_PATH_HEALTH_OK;
	c[0].has_nh = false;
	r &= why_is(c, 0, "eth1", 1, "no_gateway",
		    "eth1 has no default route (path change dev eth1 gw ADDR)");
	c[0].has_nh = true;
	c[0].refused = true;
	c[0].err = 100;	/* ENETDOWN */
	r &= why_is(c, 0, "eth1", 1, "refused", "eth1: route refused (Network is down)");
	ok(r, "why: start, deleted, route lost, preferred, down, disabled, demoted (reason), no gateway, refused");
}

void test_uroute(void)
{
	test_args();
	test_pick();
	test_why();
}
