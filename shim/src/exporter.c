// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stats exporter: a thread of its own, so that a reader never
 * stalls an event loop. It serves "stats_socket" (a Unix stream socket:
 * a client sends "prometheus" or "json", or just closes its sending
 * side, gets the snapshot and EOF) and writes "stats_file" every
 * "stats_interval" seconds (to FILE.tmp, then rename(): a reader such as
 * node_exporter's textfile collector sees the old or the new file whole).
 * The counters are read without a lock (stats.h); nothing here touches
 * a worker's other state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "log.h"
#include "shim.h"

/* How long a client of the socket has to send its request. */
#define REQ_WAIT_MS 1000

static struct {
	pthread_t th;
	int lfd;		/* stats_socket listener, or -1 */
	int stop[2];		/* a byte on stop[1] ends the thread */
	bool running, file_failing;
} ex = { .lfd = -1, .stop = { -1, -1 } };

/* The snapshot in the format asked for, into a malloc'd buffer. */
static char *render(struct shim *s, bool json, size_t *len)
{
	struct stat_snap sn;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	stats_snap(s, &sn);
	if (json)
		stats_json(s, &sn, f);
	else
		stats_prometheus(s, &sn, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/*
 * One client: its request (a line, or EOF, or nothing within
 * REQ_WAIT_MS: Prometheus), the answer, close. The send timeout keeps a
 * client that does not read from holding the thread.
 */
static void serve_client(struct shim *s, int fd)
{
	struct timeval tv = { 1, 0 };
	struct pollfd p = { fd, POLLIN, 0 };
	char req[64] = "";
	size_t len;
	ssize_t n;
	char *out;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (poll(&p, 1, REQ_WAIT_MS) == 1) {
		n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT);
		req[n > 0 ? n : 0] = 0;
	}
	req[strcspn(req, "\r\n")] = 0;
	if (req[0] && strcmp(req, "prometheus") && strcmp(req, "json")) {
		write_all(fd, "error: unknown request (send \"prometheus\" or \"json\")\n", 54);
		return;
	}
	out = render(s, !strcmp(req, "json"), &len);
	if (out)
		write_all(fd, out, len);
	free(out);
}

static void accept_client(struct shim *s)
{
	int fd = accept4(ex.lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	serve_client(s, fd);
	close(fd);
}

/* FILE.tmp, then rename over FILE. Logged when it starts or stops failing. */
static void write_file(struct shim *s)
{
	const char *path = s->cfg.stats_file;
	char tmp[CFG_STR + 8];
	size_t len = 0;
	char *out = render(s, false, &len);
	int fd = -1, ok = 0, e = ENOMEM;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (out)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ok = write(fd, out, len) == (ssize_t)len;
		ok &= !close(fd);
		ok = ok && !rename(tmp, path);
	}
	if (!ok) {
		e = out ? errno : e;
		if (fd >= 0)
			unlink(tmp);
	}
	if (!ok && !ex.file_failing)
		log_warn("stats_file %s: %s", path, strerror(e));
	else if (ok && ex.file_failing)
		log_info("stats_file %s: written again", path);
	ex.file_failing = !ok;
	free(out);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *exporter_main(void *arg)
{
	struct shim *s = arg;
	struct pollfd p[2] = { { ex.stop[0], POLLIN, 0 }, { ex.lfd, POLLIN, 0 } };
	bool file = s->cfg.stats_file[0];
	double next = mono_now(), now;
	int ms;

	for (;;) {
		now = mono_now();
		if (file && now >= next) {
			write_file(s);
			next = now + s->cfg.stats_interval;
		}
		ms = file ? (int)((next - now) * 1000) + 1 : -1;
		if (poll(p, ex.lfd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_client(s);
	}
	return NULL;
}

/*
 * A socket at the path already: another instance's (it answers: refused),
 * or a stale one (removed). Anything that is not a socket stays.
 */
static int stale_socket(const struct sockaddr_un *a)
{
	struct stat st;
	int fd, rc;

	if (lstat(a->sun_path, &st))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	close(fd);
	if (!rc) {
		errno = EADDRINUSE;
		return -1;
	}
	return unlink(a->sun_path);
}

/* The listener, mode 0660 (stats are the admin's business). */
static int stats_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd;

	/* config_validate() checked that it fits. */
	if (n >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, n + 1);
	if (stale_socket(&a))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(path, 0660) ||
	    listen(fd, 16)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int exporter_start(struct shim *s)
{
	const struct shim_config *c = &s->cfg;

	if (!c->stats_socket[0] && !c->stats_file[0])
		return 0;
	if (c->stats_socket[0]) {
		ex.lfd = stats_listen(c->stats_socket);
		if (ex.lfd < 0) {
			log_err("stats_socket %s: %s", c->stats_socket, strerror(errno));
			return -1;
		}
	}
	if (pipe2(ex.stop, O_CLOEXEC) || pthread_create(&ex.th, NULL, exporter_main, s)) {
		log_err("stats exporter: %s", strerror(errno));
		exporter_stop(s);
		return -1;
	}
	ex.running = true;
	if (c->stats_socket[0])
		log_info("stats on %s", c->stats_socket);
	return 0;
}

/* Before the workers go: the thread reads their counters. */
void exporter_stop(struct shim *s)
{
	if (ex.running) {
		if (write(ex.stop[1], "x", 1) != 1)
			log_warn("stats exporter: %s", strerror(errno));
		pthread_join(ex.th, NULL);
		ex.running = false;
	}
	if (ex.lfd >= 0) {
		close(ex.lfd);
		unlink(s->cfg.stats_socket);
		ex.lfd = -1;
	}
	/* A file left behind would show a stopped instance as frozen. */
	if (s->cfg.stats_file[0])
		unlink(s->cfg.stats_file);
	if (ex.stop[0] >= 0) {
		close(ex.stop[0]);
		close(ex.stop[1]);
		ex.stop[0] = ex.stop[1] = -1;
	}
}
