// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of one scheduling decision (kmod/sched_core.c), in
 * userspace, against a baseline measured in the same run: the arithmetic of
 * the kernel's default scheduler (argmin of wmem_queued << 32 / pacing_rate
 * over active subflows). Prints ns per decision for 1, 2, 4, 8 and 16
 * subflows and the ratio omr/baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sched_core.h"

struct base_in {
	u64 wmem;
	u64 pacing;
	int active;
};

static int base_pick(const struct base_in *s, int n)
{
	u64 best = ~0ULL, t;
	int i, pick = -1;

	for (i = 0; i < n; i++) {
		if (!s[i].active || !s[i].pacing)
			continue;
		t = (s[i].wmem << 32) / s[i].pacing;
		if (t < best) {
			best = t;
			pick = i;
		}
	}
	return pick;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 1, 2, 4, 8, 16 };
	const struct omr_tunables t = { 100, 64, 100000, 65428 };
	long iters = argc > 1 ? atol(argv[1]) : 2000000;
	struct omr_sf_in in[OMR_MAX_SUBFLOWS];
	struct base_in b[OMR_MAX_SUBFLOWS];
	volatile int sink = 0;
	unsigned int k;
	long it;
	int i;

	printf("%-9s %14s %14s %8s\n", "subflows", "omr ns/pick", "default ns/pick", "ratio");
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];
		double t0, t1, t2;

		for (i = 0; i < n; i++) {
			in[i] = (struct omr_sf_in){ 10000 + i * 3000, 2000, 1448,
				20 + i, 5 + i, 1000 * i, (u32)(i * 300), 1, 0, 1, 1 };
			b[i] = (struct base_in){ 20000 + i * 7000, 1250000 + i * 1000, 1 };
		}
		t0 = now_ns();
		for (it = 0; it < iters; it++) {
			in[it % n].unsent = (u32)it;	/* defeat hoisting */
			sink += omr_pick(in, n, false, 0, 0, &t, NULL, NULL);
		}
		t1 = now_ns();
		for (it = 0; it < iters; it++) {
			b[it % n].wmem = (u64)it;
			sink += base_pick(b, n);
		}
		t2 = now_ns();
		printf("%-9d %14.1f %14.1f %8.2f\n", n, (t1 - t0) / iters,
		       (t2 - t1) / iters, (t1 - t0) / (t2 - t1));
	}
	return sink == 42 ? 1 : 0;
}
