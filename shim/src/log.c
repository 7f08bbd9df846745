// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Minimal logger: one line per message on stderr so systemd's journal (or
 * the test harness) captures it. stdio locks the stream per call, so lines
 * from worker threads never interleave. When stderr is the journal (its
 * device and inode are the ones $JOURNAL_STREAM names, sd-daemon(3)), each
 * line starts with "<N>", the syslog priority journald files it under.
 *
 * Also systemd's readiness protocol (sd_notify(3)): one datagram to the
 * AF_UNIX socket $NOTIFY_SOCKET names. It is written here rather than
 * linked from libsystemd: the protocol is one sendto() and the shim then
 * needs no systemd library to run anywhere else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "log.h"

static struct {
	const char *role;
	int level;
	bool journal;
} log_cfg = { "omr-shim", L_INFO, false };

/* $JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_setup(const char *role, int level)
{
	log_cfg.role = role;
	log_cfg.level = level;
	log_cfg.journal = stderr_is_journal();
}

int log_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	size_t n;
	ssize_t r;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return 0;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')	/* abstract namespace */
		sa.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
	return r < 0 ? -1 : 0;
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
	/* syslog's LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
	static const char prio[] = { '3', '4', '6', '7' };
	char line[1024];
	va_list ap;

	if (lvl > log_cfg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_cfg.journal)
		fprintf(stderr, "<%c>omr-shim %s: %s: %s\n", prio[lvl], log_cfg.role,
			names[lvl], line);
	else
		fprintf(stderr, "omr-shim %s: %s: %s\n", log_cfg.role, names[lvl], line);
}
