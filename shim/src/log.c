// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Minimal logger: one line per message on stderr so systemd's journal (or
 * the test harness) captures it. stdio locks the stream per call, so lines
 * from worker threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "log.h"

static struct {
	const char *role;
	int level;
} log_cfg = { "omr-shim", L_INFO };

void log_setup(const char *role, int level)
{
	log_cfg.role = role;
	log_cfg.level = level;
}

int log_level_get(void)
{
	return log_cfg.level;
}

void log_msg(int lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;

	if (lvl > log_cfg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "omr-shim %s: %s: %s\n", log_cfg.role, names[lvl], line);
}
