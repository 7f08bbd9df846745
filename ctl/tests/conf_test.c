// SPDX-License-Identifier: GPL-2.0
/*
 * omr.conf: showconf's text parses back to the same configuration, and
 * each kind of bad file is refused with its line and what is wrong.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "conf.h"
#include "test.h"

static int parse_str(const char *text, struct omr_conf *c, char *err, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret = conf_parse(f, "omr.conf", c, err, len);

	fclose(f);
	return ret;
}

static char *write_str(const struct omr_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	conf_write(f, c);
	fclose(f);
	return buf;
}

static void test_round_trip(void)
{
	struct omr_status s = sample_status();
	struct omr_path p[2] = { sample_path(), sample_path() };
	struct omr_paths l;
	struct omr_conf c, back;
	char msg[256], *one, *two;

	snprintf(p[1].dev, sizeof(p[1].dev), "wan2");
	p[1].backup = true;
	p[1].enabled = false;
	ip_pton("2001:db8:2::9", &p[1].saddr);
	ip_pton("10.0.2.2", &p[1].gw);
	snprintf(p[1].cc, sizeof(p[1].cc), "bbr");
	l.p = p;
	l.n = 2;
	conf_from_state(&s, &l, &c);
	one = write_str(&c);
	ok(parse_str(one, &back, msg, sizeof(msg)) == 0, "omr.conf: showconf's text parses");
	two = write_str(&back);
	ok(same("round trip", two, one) && back.npaths == 2 &&
	   back.paths[1].set.backup == 1 && back.paths[1].set.enabled == 0 &&
	   back.pm.enable == 1 && back.sched.given[OMR_SCHED_A_BURST] &&
	   !strcmp(back.paths[1].set.cc, "bbr") && back.paths[0].set.has_cc &&
	   !back.paths[0].set.cc[0],
	   "omr.conf: showconf -> parse -> showconf is the same text");
	ok(strstr(one, "[PathManager]\nenable = yes\nadd_addr = ignore\ntick_ms = 106\n") &&
	   strstr(one, "\n[Path]\ndev = wan2\nbackup = yes\nenabled = no\nweight = 2\nsaddr = 2001:db8:2::9\ngw = 10.0.2.2\ncc = bbr\n") &&
	   strstr(one, "gw = none\ncc = default\n"),
	   "omr.conf: sections and keys as documented");
	free(one);
	free(two);
	conf_free(&c);
	conf_free(&back);
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ "[PathManager]\ntick_ms = 50\nfrob = 1\n", "omr.conf:3: unknown key 'frob' in [PathManager]" },
	{ "# c\n\n[Scheduler]\nburst = lots\n", "omr.conf:4: burst = 'lots': expected a number" },
	{ "[Path]\ndev = eth1\n[Path]\nbackup = yes\n", "omr.conf:3: [Path] without dev" },
	{ "[Path]\ndev = eth1\n\n[Path]\ndev = eth1\n", "omr.conf:5: dev = eth1: a [Path] on line 1 has it already" },
	{ "tick_ms = 5\n", "omr.conf:1: key 'tick_ms' outside a section" },
	{ "[Interface]\n", "omr.conf:1: unknown section [Interface]" },
	{ "[PathManager]\nenable = maybe\n", "omr.conf:2: enable = 'maybe': expected yes or no" },
	{ "[PathManager]\nadd_addr = always\n", "omr.conf:2: add_addr = 'always': expected accept or ignore" },
	{ "[PathManager]\nloss_hi = 1\nloss_hi = 2\n", "omr.conf:3: loss_hi is given twice" },
	{ "[Scheduler]\nburst = 1\n\nburst = 2\n", "omr.conf:4: burst is given twice" },
	{ "[Scheduler]\nfrob = 1\n", "omr.conf:2: unknown key 'frob' in [Scheduler] (loss_penalty, loss_gain, rtt_unknown_us, burst)" },
	{ "[PathManager]\n[PathManager]\n", "omr.conf:2: a second [PathManager]" },
	{ "[Path]\ndev = eth1\ngw = 10.0.0\n", "omr.conf:3: gw = '10.0.0': expected an IPv4 or IPv6 address or none" },
	{ "[Path]\ndev = eth1\nsaddr = 2001:db8::1::2\n", "omr.conf:3: saddr = '2001:db8::1::2': expected an IPv4 or IPv6 address or none" },
	{ "[Path]\ndev = abcdefghijklmnop\n", "omr.conf:2: dev = 'abcdefghijklmnop': not an interface name" },
	{ "[Scheduler\n", "omr.conf:1: '[Scheduler': a section header ends with ']'" },
	{ "[Scheduler]\nburst\n", "omr.conf:2: 'burst': expected KEY = VALUE or [Section]" },
	{ "[Path]\ndev = eth1\nmtu = 1400\n", "omr.conf:3: unknown key 'mtu' in [Path]" },
	{ "[Path]\n", "omr.conf:1: [Path] without dev" },
	{ "[Path]\ndev = eth1\ncc = tcp-bbr\n", "omr.conf:3: cc = 'tcp-bbr': expected a congestion control's name (a-z, 0-9, _; at most 15) or default" },
	{ "[Path]\ndev = eth1\ncc = bbr\ncc = cubic\n", "omr.conf:4: cc is given twice in this [Path]" },
};

void test_conf(void)
{
	struct omr_conf c;
	char msg[512];
	FILE *f;
	size_t i, good = 0;

	test_round_trip();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		if (parse_str(bad[i].text, &c, msg, sizeof(msg)) && !strncmp(msg, bad[i].err, strlen(bad[i].err)))
			good++;
		else
			printf("# '%s': got '%s', want '%s...'\n", bad[i].text, msg, bad[i].err);
		conf_free(&c);
	}
	ok(good == i, "omr.conf: %zu bad files refused, each naming its line and the fault", i);
	ok(parse_str("# all optional\n[PathManager]\n  enable=no  \n; comment\n[Scheduler]\n", &c, msg, sizeof(msg)) == 0 &&
	   c.pm.enable == 0 && c.npaths == 0 && c.pm.add_addr == -1,
	   "omr.conf: spaces, comments, empty sections, keys left out");
	conf_free(&c);
	f = fopen("omr.conf.example", "r");
	ok(f && !conf_parse(f, "omr.conf.example", &c, msg, sizeof(msg)) &&
	   c.npaths == 3 && c.paths[2].set.backup == 1 && c.pm.enable == 1,
	   "omr.conf.example parses: 3 paths, lte0 a backup, the PM enabled");
	if (f)
		fclose(f);
	conf_free(&c);
}
