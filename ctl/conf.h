/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omr.conf (/etc/omr/omr.conf): the PM's settings, the scheduler's
 * tunables and the paths, as INI sections in the spirit of wg-quick and
 * systemd-networkd:
 *
 *   [PathManager]   enable, add_addr and pm set's KEYs
 *   [Scheduler]     sched set's KEYs
 *   [Path]          one per WAN: dev, backup, enabled, weight, saddr, gw
 *
 * Keys are omrctl's words (pm set, sched set, path change, -j). Parsing
 * and writing are here, with no netlink: setconf.c applies a file.
 */
#ifndef OMRCTL_CONF_H
#define OMRCTL_CONF_H

#include <stdio.h>
#include "model.h"

struct omr_conf_path {
	struct omr_path_set set;	/* backup, enabled: -1 if not given */
	int line;			/* of its [Path] */
};

struct omr_conf {
	struct omr_pm_set pm;
	struct omr_sched_set sched;
	struct omr_conf_path *paths;
	int npaths;
};

/*
 * Parse all of @f into @c. On the first error: -1, and @errbuf holds
 * "NAME:LINE: what is wrong". @c is freed by conf_free() either way.
 */
int conf_parse(FILE *f, const char *name, struct omr_conf *c, char *errbuf,
	       size_t errlen);
void conf_free(struct omr_conf *c);

/* The kernel's state as a whole configuration (every key given). */
int conf_from_state(const struct omr_status *s, const struct omr_paths *l,
		    struct omr_conf *c);
/* @c as omr.conf text; conf_parse() reads it back to the same @c. */
void conf_write(FILE *f, const struct omr_conf *c);

#endif /* OMRCTL_CONF_H */
