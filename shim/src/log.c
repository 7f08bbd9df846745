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

char *log_escape(char *out, size_t outlen, const void *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i, o = 0;

	if (!outlen)
		return out;
	for (i = 0; i < n; i++) {
		unsigned char ch = p[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)ch;
			continue;
		}
		if (o + 4 >= outlen)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	out[o] = 0;
	return out;
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
