// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that change state: pm set, sched set, path add|del|change.
 * The whole command line is checked into a model.h change struct before
 * the family is looked up; nl_set.c sends it as one request.
 */
#include <arpa/inet.h>
#include <string.h>
#include "cc.h"
#include "cmd.h"
#include "util.h"

static int pm_set_word(struct omr_pm_set *s, int argc, char **argv, int i)
{
	char keys[256];
	int k;

	if (!strcmp(argv[i], "enable") || !strcmp(argv[i], "disable")) {
		s->enable = !strcmp(argv[i], "enable");
		return i;
	}
	if (!strcmp(argv[i], "add_addr")) {
		if (i + 1 == argc) {
			err("pm set: add_addr needs 'accept' or 'ignore'");
			return -1;
		}
		if (strcmp(argv[i + 1], "accept") && strcmp(argv[i + 1], "ignore")) {
			err("pm set: add_addr '%s': expected 'accept' or 'ignore'",
			    argv[i + 1]);
			return -1;
		}
		s->add_addr = !strcmp(argv[i + 1], "accept");
		return i + 1;
	}
	k = key_index(pm_keys, OMR_PM_A_MAX, argv[i]);
	if (k < 0) {
		err("pm set: unknown setting '%s' (enable, disable, add_addr accept|ignore, or KEY VALUE with KEY one of %s)",
		    argv[i], key_list(pm_keys, OMR_PM_A_MAX, " ", keys, sizeof(keys)));
		return -1;
	}
	if (parse_u32("pm set", argv[i], i + 1 < argc ? argv[i + 1] : NULL,
		      &s->val[k]))
		return -1;
	s->given[k] = true;
	return i + 1;
}

int do_pm_set(struct ctx *c, int argc, char **argv)
{
	struct omr_pm_set s = { .enable = -1, .add_addr = -1 };
	int i;

	for (i = 0; i < argc; i++) {
		i = pm_set_word(&s, argc, argv, i);
		if (i < 0)
			return EX_USAGE;
	}
	if (!argc) {
		err("pm set: nothing to set (enable, disable, add_addr accept|ignore, KEY VALUE)");
		return EX_USAGE;
	}
	omr_nl_what(c->nl, "pm set");
	return omr_set_pm(c->nl, &s);
}

int do_sched_set(struct ctx *c, int argc, char **argv)
{
	struct omr_sched_set s = { 0 };
	char keys[256];
	int i, k;

	key_list(sched_keys, OMR_SCHED_A_MAX, ", ", keys, sizeof(keys));
	if (!argc) {
		err("sched set: nothing to set (KEY VALUE: %s)", keys);
		return EX_USAGE;
	}
	for (i = 0; i < argc; i += 2) {
		k = key_index(sched_keys, OMR_SCHED_A_MAX, argv[i]);
		if (k < 0) {
			err("sched set: unknown tunable '%s' (%s)", argv[i], keys);
			return EX_USAGE;
		}
		if (parse_u32("sched set", argv[i], i + 1 < argc ? argv[i + 1] : NULL,
			      &s.val[k]))
			return EX_USAGE;
		s.given[k] = true;
	}
	omr_nl_what(c->nl, "sched set");
	return omr_set_sched(c->nl, &s);
}

/* "dev IFNAME": the device's name, which must fit IFNAMSIZ. */
static const char *dev_arg(const char *what, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "dev")) {
		err("%s: expected 'dev IFNAME'%s%s%s", what,
		    argc ? ", got '" : "", argc ? argv[0] : "", argc ? "'" : "");
		return NULL;
	}
	if (!argv[1][0] || strlen(argv[1]) >= IFNAMSIZ) {
		err("%s: interface name '%s' must be 1 to %d bytes", what,
		    argv[1], IFNAMSIZ - 1);
		return NULL;
	}
	return argv[1];
}

/* path add dev IFNAME [backup] [cc NAME|default] */
int do_path_add(struct ctx *c, int argc, char **argv)
{
	const char *dev = dev_arg("path add", argc, argv), *cc = NULL;
	bool backup = false;
	int i, ret;

	if (!dev)
		return EX_USAGE;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "backup") && !backup) {
			backup = true;
		} else if (!strcmp(argv[i], "cc") && !cc && i + 1 < argc) {
			cc = argv[++i];
		} else {
			err("path add: unexpected argument '%s' (backup, cc NAME)",
			    argv[i]);
			return EX_USAGE;
		}
	}
	if (cc && !strcmp(cc, "default"))
		cc = NULL;
	if (cc) {
		ret = cc_check("path add", cc);
		if (ret)
			return ret;
	}
	omr_nl_what(c->nl, "path add");
	return omr_path_add(c->nl, dev, backup, cc);
}

int do_path_del(struct ctx *c, int argc, char **argv)
{
	const char *dev = dev_arg("path del", argc, argv);

	if (!dev)
		return EX_USAGE;
	if (argc > 2) {
		err("path del: unexpected argument '%s'", argv[2]);
		return EX_USAGE;
	}
	omr_nl_what(c->nl, "path del");
	return omr_path_del(c->nl, dev);
}

/* on|off */
static int parse_onoff(const char *key, const char *v)
{
	if (v && !strcmp(v, "on"))
		return 1;
	if (v && !strcmp(v, "off"))
		return 0;
	err("path change: %s '%s': expected 'on' or 'off'", key, v ? v : "");
	return -1;
}

/* An IPv4 or IPv6 address, or "none" (family 0: back to the default). */
static int parse_addr(const char *key, const char *v, struct omr_ip *a)
{
	if (v && !strcmp(v, "none")) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (v && !ip_pton(v, a))
		return 0;
	err("path change: %s '%s': expected an IPv4 or IPv6 address or 'none'",
	    key, v ? v : "");
	return -1;
}

static int change_word(struct omr_path_set *s, const char *k, const char *v)
{
	if (!strcmp(k, "backup"))
		return (s->backup = parse_onoff(k, v)) < 0 ? -1 : 0;
	if (!strcmp(k, "enabled"))
		return (s->enabled = parse_onoff(k, v)) < 0 ? -1 : 0;
	if (!strcmp(k, "weight")) {
		s->has_weight = true;
		return parse_u32("path change", k, v, &s->weight);
	}
	if (!strcmp(k, "saddr")) {
		s->has_saddr = true;
		return parse_addr(k, v, &s->saddr);
	}
	if (!strcmp(k, "gw")) {
		s->has_gw = true;
		return parse_addr(k, v, &s->gw);
	}
	if (!strcmp(k, "cc")) {
		s->has_cc = true;
		if (!v) {
			err("path change: cc needs a congestion control's name or 'default'");
			return -1;
		}
		if (strlen(v) >= sizeof(s->cc)) {
			err("path change: cc '%s': at most %zu bytes", v,
			    sizeof(s->cc) - 1);
			return -1;
		}
		/* Checked against the kernel's list once the line parsed. */
		snprintf(s->cc, sizeof(s->cc), "%s", strcmp(v, "default") ? v : "");
		return 0;
	}
	err("path change: unknown setting '%s' (backup, enabled, weight, saddr, gw, cc)", k);
	return -1;
}

/*
 * path change dev IFNAME [backup on|off] [enabled on|off] [weight N]
 * [saddr A|none] [gw A|none] [cc NAME|default]: checked whole (a cc by this
 * kernel's list, loading its module if need be), then one request.
 */
int do_path_change(struct ctx *c, int argc, char **argv)
{
	struct omr_path_set s = { .backup = -1, .enabled = -1 };
	const char *dev = dev_arg("path change", argc, argv);
	int i;

	if (!dev)
		return EX_USAGE;
	snprintf(s.dev, sizeof(s.dev), "%s", dev);
	if (argc == 2) {
		err("path change: nothing to change (backup, enabled, weight, saddr, gw, cc)");
		return EX_USAGE;
	}
	for (i = 2; i < argc; i += 2)
		if (change_word(&s, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
			return EX_USAGE;
	if (s.has_cc && s.cc[0] && cc_check("path change", s.cc))
		return EX_USAGE;
	omr_nl_what(c->nl, "path change");
	return omr_path_change(c->nl, &s);
}
