// SPDX-License-Identifier: GPL-2.0
/*
 * stats [--prometheus]: per path bytes, RTT, loss, state and share, and
 * the PM's counters; as text/JSON, or the Prometheus text format (prom.c).
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "fallbacks.h"
#include "output.h"
#include "print.h"
#include "prom.h"
#include "util.h"

int do_stats(struct ctx *c, int argc, char **argv)
{
	struct omr_status s;
	struct omr_paths l;
	bool prom = false;
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
	ret = omr_get_state(c->nl, &s, &l);
	if (ret)
		return ret;
	if (prom) {
		fallbacks_read(&s.fb);
		prom_write(stdout, &s, &l);
	} else {
		open_json_object(NULL);
		print_path_sums(&l, s.conns);
		print_counters(&s);
		close_json_object();
	}
	free(l.p);
	return EX_OK;
}
