// SPDX-License-Identifier: GPL-2.0
/* monitor [-t] [EVENT...]: the module's events, as they happen. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "output.h"
#include "util.h"

static volatile sig_atomic_t stop_monitor;

static void on_signal(int sig)
{
	(void)sig;
	stop_monitor = 1;
}

struct mon {
	bool want[32];		/* by event type; none set: all */
	bool any;
	bool ts;
};

static void on_event(const struct omr_event *e, void *arg)
{
	const struct mon *m = arg;

	if (m->any && (e->type >= ARRAY_SIZE(m->want) || !m->want[e->type]))
		return;
	print_event(e, m->ts);
	fflush(stdout);
}

static int mon_args(struct mon *m, int argc, char **argv)
{
	char names[256];
	int i, t;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-t")) {
			m->ts = true;
			continue;
		}
		t = event_type(argv[i]);
		if (t < 0 || t >= (int)ARRAY_SIZE(m->want)) {
			err("monitor: unknown event '%s' (%s)", argv[i],
			    event_list(names, sizeof(names)));
			return EX_USAGE;
		}
		m->want[t] = true;
		m->any = true;
	}
	return EX_OK;
}

int do_monitor(struct ctx *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct mon m = { .ts = c->timestamps };
	int ret;

	ret = mon_args(&m, argc, argv);
	if (ret)
		return ret;
	omr_nl_what(c->nl, "monitor");
	/* No SA_RESTART: SIGINT/SIGTERM wake poll() up. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return omr_monitor(c->nl, on_event, &m, &stop_monitor);
}
