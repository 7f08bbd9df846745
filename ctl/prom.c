// SPDX-License-Identifier: GPL-2.0
/* prom.h: one HELP and one TYPE line per metric, then its samples. */
#include <inttypes.h>
#include "prom.h"

/* A label value, escaped: backslash, double quote and newline. */
static void prom_label(FILE *f, const char *v)
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

enum {
	M_UP, M_DEMOTED, M_BACKUP, M_ENABLED, M_SUBFLOWS, M_RTT, M_LOSS, M_TX,
	M_RX, M_WINDOW, M_SHARE, M_JOIN_FAILS,
};

static const struct {
	const char *name, *type, *help;
} path_metrics[] = {
	[M_UP] = { "path_up", "gauge", "1 if the path's link is up." },
	[M_DEMOTED] = { "path_demoted", "gauge", "1 if the path manager demoted the path (lossy or stalled)." },
	[M_BACKUP] = { "path_backup", "gauge", "1 if the path is a backup path." },
	[M_ENABLED] = { "path_enabled", "gauge", "1 if the path is enabled." },
	[M_SUBFLOWS] = { "path_subflows", "gauge", "Established subflows on the path." },
	[M_RTT] = { "path_rtt_seconds", "gauge", "Largest smoothed RTT among the path's subflows." },
	[M_LOSS] = { "path_loss_ratio", "gauge", "Largest loss estimate among the path's subflows (0 to 1)." },
	[M_TX] = { "path_tx_bytes", "gauge", "Bytes acked by the peer on the path during the window." },
	[M_RX] = { "path_rx_bytes", "gauge", "Bytes received on the path during the window." },
	[M_WINDOW] = { "path_window_seconds", "gauge", "Length of the window of the byte counts." },
	[M_SHARE] = { "path_share_ratio", "gauge", "The path's share of all paths' bytes in the window (0 to 1)." },
	[M_JOIN_FAILS] = { "path_join_failures_total", "counter", "Failed MP_JOINs on the path." },
};

static double path_value(int m, const struct omr_path *p, uint64_t total)
{
	switch (m) {
	case M_UP: return p->link_up;
	case M_DEMOTED: return p->health == OMR_PATH_HEALTH_DEMOTED;
	case M_BACKUP: return p->backup;
	case M_ENABLED: return p->enabled;
	case M_SUBFLOWS: return p->subflows;
	case M_RTT: return p->srtt_us / 1e6;
	case M_LOSS: return p->loss_ppm / 1e6;
	case M_TX: return p->tx;
	case M_RX: return p->rx;
	case M_WINDOW: return p->window_ms / 1e3;
	case M_SHARE: return total ? (double)(p->tx + p->rx) / total : 0;
	default: return p->join_fails_total;	/* M_JOIN_FAILS */
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
		if (cnt_names[i] && i != OMR_CNT_A_WORK_NS)
			fprintf(f, "omr_pm_events_total{kind=\"%s\"} %" PRIu64 "\n",
				cnt_names[i], s->cnt[i]);
	head(f, "pm_work_seconds_total", "counter", "CPU time of the path manager's work.");
	fprintf(f, "omr_pm_work_seconds_total %.9f\n", s->cnt[OMR_CNT_A_WORK_NS] / 1e9);
	if (!s->fb.seen)
		return;
	head(f, "mptcp_fallbacks_total", "counter",
	     "MPTCP connections of this namespace that fell back to plain TCP, by reason.");
	fprintf(f, "omr_mptcp_fallbacks_total{reason=\"token_table\"} %" PRIu64 "\n",
		s->fb.token_table);
	fprintf(f, "omr_mptcp_fallbacks_total{reason=\"peer\"} %" PRIu64 "\n", s->fb.peer);
	fprintf(f, "omr_mptcp_fallbacks_total{reason=\"other\"} %" PRIu64 "\n", s->fb.other);
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
