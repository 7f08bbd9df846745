// SPDX-License-Identifier: GPL-2.0
/*
 * setconf FILE, showconf: omr.conf (conf.h) from and to the kernel.
 *
 * setconf parses the whole file first: a bad file is refused with its
 * line and nothing is sent. The file is the whole configuration: paths it
 * does not name are deleted; keys it leaves out keep their value. It is
 * applied in steps (scheduler, PM settings, paths, then enable), each one
 * request the kernel checks whole; if the kernel refuses one, the state
 * read before the first is put back, so that a refused file changes
 * nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cc.h"
#include "cmd.h"
#include "conf.h"
#include "util.h"

static int read_state(struct ctx *c, struct omr_conf *conf)
{
	struct omr_status s;
	struct omr_paths l;
	int ret;

	ret = omr_get_state(c->nl, &s, &l);
	if (ret)
		return ret;
	ret = conf_from_state(&s, &l, conf) ? EX_KERNEL : EX_OK;
	free(l.p);
	if (ret)
		err("out of memory");
	return ret;
}

int do_showconf(struct ctx *c, int argc, char **argv)
{
	struct omr_conf conf = { 0 };
	int ret = cmd_begin(c, "showconf", argc, argv);

	if (ret)
		return ret;
	ret = read_state(c, &conf);
	if (!ret)
		conf_write(stdout, &conf);
	conf_free(&conf);
	return ret;
}

static bool in_conf(const struct omr_conf *conf, const char *dev)
{
	int i;

	for (i = 0; i < conf->npaths; i++)
		if (!strcmp(conf->paths[i].set.dev, dev))
			return true;
	return false;
}

static bool any(const bool *given, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (given[i])
			return true;
	return false;
}

/* Paths: the ones @conf lacks go, the new ones come, all get their keys. */
static int apply_paths(struct ctx *c, const struct omr_conf *now,
		       const struct omr_conf *conf)
{
	const struct omr_path_set *s;
	int i, ret;

	for (i = 0; i < now->npaths; i++) {
		if (in_conf(conf, now->paths[i].set.dev))
			continue;
		ret = omr_path_del(c->nl, now->paths[i].set.dev);
		if (ret)
			return ret;
	}
	for (i = 0; i < conf->npaths; i++) {
		s = &conf->paths[i].set;
		if (!in_conf(now, s->dev)) {
			ret = omr_path_add(c->nl, s->dev, s->backup > 0, NULL);
			if (ret)
				return ret;
		}
		if (s->backup < 0 && s->enabled < 0 && !s->has_weight &&
		    !s->has_saddr && !s->has_gw && !s->has_cc)
			continue;
		ret = omr_path_change(c->nl, s);
		if (ret)
			return ret;
	}
	return EX_OK;
}

static int apply(struct ctx *c, const struct omr_conf *now,
		 const struct omr_conf *conf)
{
	struct omr_pm_set pm = conf->pm;
	int ret;

	if (any(conf->sched.given, OMR_SCHED_A_MAX + 1)) {
		ret = omr_set_sched(c->nl, &conf->sched);
		if (ret)
			return ret;
	}
	pm.enable = -1;
	if (pm.add_addr >= 0 || any(pm.given, OMR_PM_A_MAX + 1)) {
		ret = omr_set_pm(c->nl, &pm);
		if (ret)
			return ret;
	}
	ret = apply_paths(c, now, conf);
	if (ret || conf->pm.enable < 0)
		return ret;
	memset(&pm, 0, sizeof(pm));
	pm.enable = conf->pm.enable;
	pm.add_addr = -1;
	return omr_set_pm(c->nl, &pm);
}

static int parse_file(const char *file, struct omr_conf *conf)
{
	char msg[512];
	FILE *f;
	int ret;

	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		err("setconf: %s: %s", file, strerror(errno));
		return EX_USAGE;
	}
	ret = conf_parse(f, file, conf, msg, sizeof(msg));
	if (f != stdin)
		fclose(f);
	if (ret) {
		err("setconf: %s", msg);
		return EX_USAGE;
	}
	return EX_OK;
}

/* Every [Path]'s cc is one this kernel has, before anything is sent. */
static int check_ccs(const struct omr_conf *conf)
{
	const struct omr_path_set *s;
	int i, ret;

	for (i = 0; i < conf->npaths; i++) {
		s = &conf->paths[i].set;
		if (s->has_cc && s->cc[0]) {
			ret = cc_check("setconf", s->cc);
			if (ret)
				return ret;
		}
	}
	return EX_OK;
}

int do_setconf(struct ctx *c, int argc, char **argv)
{
	struct omr_conf conf = { 0 }, now = { 0 }, cur = { 0 };
	int ret;

	if (argc != 1) {
		err("setconf: %s (setconf FILE)", argc ? "one file only" : "missing FILE");
		return EX_USAGE;
	}
	ret = parse_file(argv[0], &conf);
	if (ret)
		goto out;
	ret = check_ccs(&conf);
	if (ret)
		goto out;
	omr_nl_what(c->nl, "setconf");
	ret = read_state(c, &now);
	if (ret)
		goto out;
	ret = apply(c, &now, &conf);
	if (ret) {
		/* Put the state read before back; its errors are the same. */
		err("setconf: %s refused: putting the previous configuration back",
		    argv[0]);
		if (read_state(c, &cur) || apply(c, &cur, &now))
			err("setconf: the previous configuration could not be restored whole");
		conf_free(&cur);
	}
	conf_free(&now);
out:
	conf_free(&conf);
	return ret;
}
