// SPDX-License-Identifier: GPL-2.0
/*
 * stats [--prometheus]: per path bytes, RTT, loss, state and share, and
 * the PM's counters; as text/JSON, or the Prometheus text format (prom.c).
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "output.h"
#include "print.h"
#include "prom.h"
#include "util.h"

int do_stats(struct ctx *c, int argc, char **argv)
{
	struct omr_status s;
	struct omr_paths l;
	bool prom = false;
	uint64_t total = 0;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--prometheus") || !strcmp(argv[i], "-p")) {
			prom = true;
		} else {
			err("stats: unexpected argument '%s' (--prometheus)", argv[i]);
			return EX_USAGE;
		}
	}
	omr_nl_what(c->nl, "stats");
	ret = omr_get_status(c->nl, &s);
	if (ret)
		return ret;
	ret = omr_get_paths(c->nl, &l);
	if (ret)
		return ret;
	if (prom) {
		prom_write(stdout, &s, &l);
		free(l.p);
		return EX_OK;
	}
	for (i = 0; i < l.n; i++) {
		path_why(&l.p[i], s.conns);
		total += l.p[i].tx + l.p[i].rx;
	}
	open_json_object(NULL);
	open_json_array("paths");
	for (i = 0; i < l.n; i++)
		print_path_sum(&l.p[i], total);
	close_json_array();
	print_counters(&s);
	close_json_object();
	free(l.p);
	return EX_OK;
}
