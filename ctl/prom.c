// SPDX-License-Identifier: GPL-2.0
/* prom.h: one HELP and one TYPE line per metric, then its samples. */
#include <inttypes.h>
#include "prom.h"

void prom_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP omr_%s %s\n# TYPE omr_%s %s\n", name, help, name, type);
}

/* A sample of metric omr_NAME for path @p. */
static void path_sample(FILE *f, const char *name, const struct omr_path *p,
			double v)
{
	fprintf(f, "omr_%s{dev=\"", name);
	prom_label(f, p->dev);
	fprintf(f, "\"} %.10g\n", v);
}

static const struct {
	const char *name, *type, *help;
} path_metrics[] = {
	{ "path_up", "gauge", "1 if the path's link is up." },
	{ "path_demoted", "gauge", "1 if the path manager demoted the path (lossy or stalled)." },
	{ "path_backup", "gauge", "1 if the path is a backup path." },
	{ "path_enabled", "gauge", "1 if the path is enabled." },
	{ "path_subflows", "gauge", "Established subflows on the path." },
	{ "path_rtt_seconds", "gauge", "Largest smoothed RTT among the path's subflows." },
	{ "path_loss_ratio", "gauge", "Largest loss estimate among the path's subflows (0 to 1)." },
	{ "path_tx_bytes", "gauge", "Bytes acked by the peer on the path during the window." },
	{ "path_rx_bytes", "gauge", "Bytes received on the path during the window." },
	{ "path_window_seconds", "gauge", "Length of the window of the byte counts." },
	{ "path_share_ratio", "gauge", "The path's share of all paths' bytes in the window (0 to 1)." },
	{ "path_join_failures_total", "counter", "Failed MP_JOINs on the path." },
};

static double path_value(int m, const struct omr_path *p, uint64_t total)
{
	switch (m) {
	case 0: return p->link_up;
	case 1: return p->health == OMR_PATH_HEALTH_DEMOTED;
	case 2: return p->backup;
	case 3: return p->enabled;
	case 4: return p->subflows;
	case 5: return p->srtt_us / 1e6;
	case 6: return p->loss_ppm / 1e6;
	case 7: return p->tx;
	case 8: return p->rx;
	case 9: return p->window_ms / 1e3;
	case 10: return total ? (double)(p->tx + p->rx) / total : 0;
	default: return p->join_fails_total;
	}
}

static void write_pm(FILE *f, const struct omr_status *s)
{
	int i;

	head(f, "pm_enabled", "gauge", "1 if omr's path manager is enabled in this namespace.");
	fprintf(f, "omr_pm_enabled %d\n", s->enabled);
	head(f, "pm_paths", "gauge", "Configured paths.");
	fprintf(f, "omr_pm_paths %u\n", s->paths);
	head(f, "pm_connections", "gauge", "Connections the path manager follows.");
	fprintf(f, "omr_pm_connections %u\n", s->conns);
	head(f, "pm_events_total", "counter", "Path manager actions, by kind.");
	for (i = 1; i <= OMR_CNT_A_MAX; i++)
		if (cnt_names[i])
			fprintf(f, "omr_pm_events_total{kind=\"%s\"} %" PRIu64 "\n",
				cnt_names[i], s->cnt[i]);
}

void prom_write(FILE *f, const struct omr_status *s, const struct omr_paths *l)
{
	uint64_t total = paths_bytes(l);
	size_t m;
	int i;

	head(f, "info", "gauge", "The omr module's version and the kernel.");
	fputs("omr_info{version=\"", f);
	prom_label(f, s->version);
	fputs("\",kernel=\"", f);
	prom_label(f, s->kernel);
	fputs("\"} 1\n", f);
	write_pm(f, s);
	for (m = 0; m < sizeof(path_metrics) / sizeof(path_metrics[0]); m++) {
		head(f, path_metrics[m].name, path_metrics[m].type, path_metrics[m].help);
		for (i = 0; i < l->n; i++)
			path_sample(f, path_metrics[m].name, &l->p[i],
				    path_value(m, &l->p[i], total));
	}
}
