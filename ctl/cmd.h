/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omrctl's commands: a table per level (main.c), and the functions that
 * carry them out (show.c, set.c, monitor.c, stats.c, setconf.c, module.c).
 * Each takes the words after its name.
 */
#ifndef OMRCTL_CMD_H
#define OMRCTL_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include "nl.h"

struct ctx {
	struct omr_nl *nl;
	bool stats;		/* -s: conn show's per-path summary */
	bool timestamps;	/* -t: monitor prints the time first */
};

struct cmd {
	const char *name;
	unsigned int shortest;	/* util.h struct word */
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *usage;	/* one or more lines, without indent */
	const struct cmd *sub;	/* a level below (path add ...), or NULL */
	int nsub;
};

/* Print @t's usage lines, each prefixed by @prefix ("path "). */
void cmd_usage(FILE *f, const char *prefix, const struct cmd *t, int n);
/*
 * Run @argv[0] of @t, as a prefix; no word: @t[0]. "help" (or a
 * trailing "help") prints the level's usage. @what names the level in
 * errors ("path: ").
 */
int cmd_run(struct ctx *c, const char *what, const struct cmd *t, int n,
	    int argc, char **argv);
/* A command that takes no words, named @what in netlink's errors. */
int cmd_begin(struct ctx *c, const char *what, int argc, char **argv);

/* show.c */
int do_status(struct ctx *c, int argc, char **argv);
int do_pm_show(struct ctx *c, int argc, char **argv);
int do_sched_show(struct ctx *c, int argc, char **argv);
int do_path_show(struct ctx *c, int argc, char **argv);
int do_conn_show(struct ctx *c, int argc, char **argv);
/* set.c */
int do_pm_set(struct ctx *c, int argc, char **argv);
int do_sched_set(struct ctx *c, int argc, char **argv);
int do_path_add(struct ctx *c, int argc, char **argv);
int do_path_del(struct ctx *c, int argc, char **argv);
int do_path_change(struct ctx *c, int argc, char **argv);
/* monitor.c */
int do_monitor(struct ctx *c, int argc, char **argv);
/* udproute.c */
int do_udp_route(struct ctx *c, int argc, char **argv);
/* stats.c */
int do_stats(struct ctx *c, int argc, char **argv);
/* setconf.c */
int do_setconf(struct ctx *c, int argc, char **argv);
int do_showconf(struct ctx *c, int argc, char **argv);
/* module.c: libkmod, no netlink */
int do_module_status(struct ctx *c, int argc, char **argv);
int do_module_load(struct ctx *c, int argc, char **argv);
int do_module_unload(struct ctx *c, int argc, char **argv);

#endif /* OMRCTL_CMD_H */
