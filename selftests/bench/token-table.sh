#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How many MPTCP connections fall back to plain TCP for want of room in the
# kernel's token table (MPFallbackTokenInit), by simulation of
# net/mptcp/token.c's rule: BUCKETS buckets (one per MB of RAM, rounded to a
# power of two, at most 65536; the boot log's "MPTCP token hash table
# entries"), at most 4 tokens in a bucket (TOKEN_MAX_CHAIN_LEN), a new
# connection draws a random token up to TRIES times (4 on the connecting
# side, mptcp_token_new_connect(); 5 on the accepting side,
# subflow_check_req()) and falls back when every draw hits a full bucket.
#
#   selftests/bench/token-table.sh BUCKETS N TRIES[,TRIES...] [RUNS]
#
# Each connection takes one token per TRIES entry, in one table: "4" is a
# router (its connections' client ends), "5" a VPS, "4,5" both ends in one
# kernel (the test VM). Prints the mean fallbacks per run and the share of
# runs with any: docs/path-manager.md, "Many connections".
set -eu
[ $# -ge 3 ] || { sed -n '/^#   /p' "$0" >&2; exit 2; }
awk -v E="$1" -v N="$2" -v T="$3" -v R="${4:-20}" 'BEGIN {
	srand(); nt = split(T, tries, ",")
	for (r = 0; r < R; r++) {
		delete b; f = 0
		for (i = 0; i < N; i++)
			for (s = 1; s <= nt; s++) {
				for (t = 0; t < tries[s]; t++) {
					k = int(rand() * E)
					if (b[k] < 4) { b[k]++; break }
				}
				if (t == tries[s]) f++
			}
		sum += f; any += f > 0
	}
	printf "buckets %d, %d connections, tries %s: %.2f fall back per run (%.3f%%), %d of %d runs with any\n",
		E, N, T, sum / R, 100 * sum / R / N, any, R
}'
