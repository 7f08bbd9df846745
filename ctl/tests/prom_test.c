// SPDX-License-Identifier: GPL-2.0
/*
 * omrctl stats --prometheus: the text exposition format 0.0.4 as
 * node_exporter's textfile collector reads it. Every sample line is
 * NAME{LABELS} VALUE, with label values escaped (\\, \", \n); each
 * metric has one HELP and one TYPE line before its first sample, and
 * its samples are together.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "test.h"

/* NAME[{k="v",...}] VALUE: the name into @name; false if malformed. */
static bool sample_ok(const char *l, char *name, size_t len)
{
	size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz_0123456789:");
	char *end;

	if (!n || n >= len || isdigit((unsigned char)l[0]))
		return false;
	snprintf(name, len, "%.*s", (int)n, l);
	l += n;
	if (*l == '{') {
		do {
			l++;
			n = strspn(l, "abcdefghijklmnopqrstuvwxyz_");
			if (!n || l[n] != '=' || l[n + 1] != '"')
				return false;
			for (l += n + 2; *l && *l != '"'; l++)
				if (*l == '\\' && !strchr("\\\"n", *++l))
					return false;
				else if (*l == '\n')
					return false;
			if (*l++ != '"')
				return false;
		} while (*l == ',');
		if (*l++ != '}')
			return false;
	}
	if (*l++ != ' ')
		return false;
	strtod(l, &end);
	return end != l && *end == '\0';
}

/* The whole exposition: names, HELP/TYPE before samples, grouping. */
static bool exposition_ok(char *text, int *samples)
{
	char name[128], typed[128] = "", done[4096] = " ", key[132];
	char *l, *save = NULL;

	*samples = 0;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "# HELP ", 7))
			continue;
		if (!strncmp(l, "# TYPE ", 7)) {
			if (sscanf(l + 7, "%127s", typed) != 1 ||
			    (!strstr(l, " gauge") && !strstr(l, " counter")))
				return false;
			snprintf(key, sizeof(key), " %s ", typed);
			if (strstr(done, key))
				return false;	/* a second TYPE */
			strncat(done, key + 1, sizeof(done) - strlen(done) - 1);
			continue;
		}
		if (!sample_ok(l, name, sizeof(name)) || strcmp(name, typed)) {
			printf("# bad or untyped sample: '%s'\n", l);
			return false;
		}
		(*samples)++;
	}
	return true;
}

void test_prom(void)
{
	struct omr_status s = sample_status();
	struct omr_path p[2] = { sample_path(), sample_path() };
	struct omr_paths l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool found;
	int samples;

	snprintf(p[1].dev, sizeof(p[1].dev), "we\"ird\\");
	p[1].health = OMR_PATH_HEALTH_DEMOTED;
	l.p = p;
	l.n = 2;
	prom_write(f, &s, &l);
	fclose(f);
	ok(strstr(buf, "omr_path_rtt_seconds{dev=\"eth1\"} 0.012345\n") &&
	   strstr(buf, "omr_path_loss_ratio{dev=\"eth1\"} 0.0025\n") &&
	   strstr(buf, "omr_path_share_ratio{dev=\"eth1\"} 0.5\n") &&
	   strstr(buf, "omr_path_demoted{dev=\"we\\\"ird\\\\\"} 1\n") &&
	   strstr(buf, "omr_pm_events_total{kind=\"creates\"} 2\n") &&
	   strstr(buf, "# TYPE omr_pm_events_total counter\n"),
	   "prometheus: RTT in s, loss and share as ratios, labels escaped, counters");
	samples = -1;
	if (!exposition_ok(buf, &samples))
		samples = -1;
	ok(samples == 1 + 3 + 12 + 1 + 12 * 2,
	   "prometheus: every line HELP, TYPE or a typed sample (%d samples)", samples);
	free(buf);

	/* MPTCP's fallbacks, from the MIB, when the kernel has it. */
	s.fb = (struct omr_fallbacks){ .seen = true, .token_table = 7, .peer = 3 };
	buf = NULL;
	f = open_memstream(&buf, &len);
	prom_write(f, &s, &l);
	fclose(f);
	found = strstr(buf, "omr_mptcp_fallbacks_total{reason=\"token_table\"} 7\n") &&
		strstr(buf, "omr_mptcp_fallbacks_total{reason=\"peer\"} 3\n");
	samples = -1;
	if (!exposition_ok(buf, &samples))	/* cuts buf into lines */
		samples = -1;
	ok(found && samples == 1 + 3 + 12 + 1 + 3 + 12 * 2,
	   "prometheus: MPTCP fallbacks by reason, typed (%d samples)", samples);
	free(buf);
}
