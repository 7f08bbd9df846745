// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shim-tt: traffic tool for omr-shim tests and benchmarks. Plain blocking
 * sockets and threads, so it is much faster than the proxies it measures
 * (python's http.server tops out near 1 GB/s).
 *
 *   shim-tt sink PORT                 count bytes until EOF, answer the count
 *   shim-tt echo PORT                 echo server
 *   shim-tt blast SOCKSPORT DPORT BYTES STREAMS   upload through SOCKS5
 *   shim-tt conns SOCKSPORT DPORT N PAR           N echo round trips
 *   shim-tt alt DPORT N SOCKSPORT...              N round trips per port, one
 *                                                 port after the other
 *   shim-tt idle SOCKSPORT DPORT N SECONDS        hold N idle connections
 * All addresses are 127.0.0.1: this tool never talks to anything else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int full_write(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int full_read(int fd, void *b, size_t n)
{
	char *p = b;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int do_listen(int port)
{
	struct sockaddr_in a = lo(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&a, sizeof(a)) || listen(fd, 4096)) {
		perror("listen");
		exit(1);
	}
	return fd;
}

static void *sink_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[1 << 17];
	uint64_t want = 0, total = 0;
	ssize_t n;

	/* Length-prefixed: shadowsocks-libev does not relay half-closes. */
	if (full_read(fd, &want, sizeof(want)))
		goto out;
	while (total < want) {
		size_t ask = want - total < sizeof(buf) ? want - total : sizeof(buf);

		n = read(fd, buf, ask);
		if (n <= 0)
			break;
		total += (uint64_t)n;
	}
	full_write(fd, &total, sizeof(total));
out:
	close(fd);
	return NULL;
}

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (full_write(fd, buf, (size_t)n))
			break;
	close(fd);
	return NULL;
}

static __attribute__((noreturn)) void serve(int port, void *(*fn)(void *))
{
	int lfd = do_listen(port);
	pthread_attr_t at;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 1 << 20);
	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (pthread_create(&t, &at, fn, (void *)(intptr_t)fd))
			close(fd);
	}
}

/* SOCKS5 no-auth CONNECT to 127.0.0.1:dport; returns the fd or -1. */
static int socks_connect(int sport, int dport)
{
	struct sockaddr_in a = lo(sport);
	uint8_t req[10] = { 5, 1, 0, 1, 127, 0, 0, 1, (uint8_t)(dport >> 8), (uint8_t)dport };
	uint8_t r[10];
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (void *)&a, sizeof(a)) ||
	    full_write(fd, "\x05\x01\x00", 3) || full_read(fd, r, 2) ||
	    r[0] != 5 || r[1] != 0 || full_write(fd, req, sizeof(req)) ||
	    full_read(fd, r, 10) || r[1] != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct job {
	int sport, dport;
	uint64_t bytes;
	int ok;
};

static void *blast_one(void *arg)
{
	struct job *j = arg;
	static __thread char buf[1 << 17];
	uint64_t left = j->bytes, got = 0;
	int fd = socks_connect(j->sport, j->dport);

	if (fd < 0)
		return NULL;
	memset(buf, 'x', sizeof(buf));
	if (full_write(fd, &j->bytes, sizeof(j->bytes)))
		goto out;
	while (left) {
		size_t n = left > sizeof(buf) ? sizeof(buf) : left;

		if (full_write(fd, buf, n))
			goto out;
		left -= n;
	}
	if (!full_read(fd, &got, sizeof(got)) && got == j->bytes)
		j->ok = 1;
out:
	close(fd);
	return NULL;
}

static int blast(int sport, int dport, uint64_t bytes, int streams)
{
	pthread_t t[64];
	struct job j[64];
	double t0 = now(), dt;
	int i, ok = 0;

	if (streams < 1 || streams > 64)
		return 2;
	for (i = 0; i < streams; i++) {
		j[i] = (struct job){ sport, dport, bytes, 0 };
		pthread_create(&t[i], NULL, blast_one, &j[i]);
	}
	for (i = 0; i < streams; i++) {
		pthread_join(t[i], NULL);
		ok += j[i].ok;
	}
	dt = now() - t0;
	printf("streams %d ok %d bytes %llu seconds %.3f MBps %.1f\n", streams, ok,
	       (unsigned long long)(bytes * streams), dt, bytes * streams / dt / 1e6);
	return ok == streams ? 0 : 1;
}

struct cjob {
	int sport, dport, n, ok, no_socks, no_echo;
	double lat, worst, fail_worst;
};

static void *conns_one(void *arg)
{
	struct cjob *j = arg;
	char msg[100], back[100];
	int i;

	memset(msg, 'a', sizeof(msg));
	for (i = 0; i < j->n; i++) {
		double t0 = now(), dt;
		int fd = socks_connect(j->sport, j->dport);

		if (fd < 0) {
			j->no_socks++;
			if (now() - t0 > j->fail_worst)
				j->fail_worst = now() - t0;
			continue;
		}
		if (!full_write(fd, msg, sizeof(msg)) &&
		    !full_read(fd, back, sizeof(back)) &&
		    !memcmp(msg, back, sizeof(msg))) {
			dt = now() - t0;
			j->ok++;
			j->lat += dt;
			if (dt > j->worst)
				j->worst = dt;
		} else {
			j->no_echo++;
			if (now() - t0 > j->fail_worst)
				j->fail_worst = now() - t0;
		}
		close(fd);
	}
	return NULL;
}

static int conns(int sport, int dport, int n, int par)
{
	pthread_t t[64];
	struct cjob j[64];
	int i, ok = 0, no_socks = 0, no_echo = 0;
	double lat = 0, worst = 0, fail_worst = 0;

	if (par < 1 || par > 64)
		return 2;
	for (i = 0; i < par; i++) {
		j[i] = (struct cjob){ sport, dport, n / par + (i < n % par), 0, 0, 0, 0, 0, 0 };
		pthread_create(&t[i], NULL, conns_one, &j[i]);
	}
	for (i = 0; i < par; i++) {
		pthread_join(t[i], NULL);
		ok += j[i].ok;
		lat += j[i].lat;
		no_socks += j[i].no_socks;
		no_echo += j[i].no_echo;
		if (j[i].worst > worst)
			worst = j[i].worst;
		if (j[i].fail_worst > fail_worst)
			fail_worst = j[i].fail_worst;
	}
	/* Which step failed (SOCKS5 reply, or the echo through the tunnel)
	 * and after how long tell a handshake timeout from a refusal. */
	printf("conns %d ok %d avg_ms %.3f max_ms %.1f failed: socks %d echo %d, slowest failure after %.1f ms\n",
	       n, ok, ok ? lat / ok * 1e3 : 0, worst * 1e3, no_socks, no_echo, fail_worst * 1e3);
	return ok == n ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Setup latency of several proxies side by side: connection i goes to
 * port (i + j) % k for j = 0..k-1, so each gets every position in turn
 * and a change in the machine's load hits all of them alike (rounds of
 * hundreds of connections each would not be comparable on a shared
 * machine). One line per port: mean and median.
 */
static int alt(int dport, int n, int k, char **ports)
{
	double *v = calloc((size_t)n * k, sizeof(double));
	char msg[100], back[100];
	int i, j, bad = 0;

	memset(msg, 'a', sizeof(msg));
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++) {
			int p = (i + j) % k, fd;
			double t0 = now();

			fd = socks_connect(atoi(ports[p]), dport);
			if (fd < 0 || full_write(fd, msg, sizeof(msg)) ||
			    full_read(fd, back, sizeof(back)) || memcmp(msg, back, sizeof(msg)))
				bad++;
			v[p * n + i] = now() - t0;
			if (fd >= 0)
				close(fd);
		}
	}
	for (j = 0; j < k; j++) {
		double sum = 0, *a = v + (size_t)j * n;

		for (i = 0; i < n; i++)
			sum += a[i];
		qsort(a, (size_t)n, sizeof(double), cmp_double);
		printf("alt %s n %d avg_ms %.3f median_ms %.3f\n", ports[j], n,
		       sum / n * 1e3, a[n / 2] * 1e3);
	}
	free(v);
	return bad ? 1 : 0;
}

static int idle(int sport, int dport, int n, int secs)
{
	int *fds = calloc((size_t)n, sizeof(int)), i, ok = 0;
	char b = 'z';

	for (i = 0; i < n; i++) {
		fds[i] = socks_connect(sport, dport);
		if (fds[i] >= 0 && !full_write(fds[i], &b, 1) && !full_read(fds[i], &b, 1))
			ok++;
	}
	printf("idle %d ok %d\n", n, ok);
	fflush(stdout);
	sleep((unsigned)secs);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "sink"))
		serve(atoi(argv[2]), sink_conn);
	if (argc == 3 && !strcmp(argv[1], "echo"))
		serve(atoi(argv[2]), echo_conn);
	if (argc == 6 && !strcmp(argv[1], "blast"))
		return blast(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 10),
			     atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "conns"))
		return conns(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "alt") && atoi(argv[3]) > 0)
		return alt(atoi(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
	if (argc == 6 && !strcmp(argv[1], "idle"))
		return idle(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of tests/tt.c\n");
	return 2;
}
