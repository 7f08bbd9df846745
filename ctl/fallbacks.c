// SPDX-License-Identifier: GPL-2.0
/*
 * MPTCP's fallback counters (net/mptcp/mib.c names), grouped by what an
 * admin can do about them:
 *   token_table  MPFallbackTokenInit: this kernel's token table had no room
 *                for the connection's token (a bucket per MB of RAM, 4
 *                tokens a bucket: docs/path-manager.md, "Many connections")
 *   peer         MPCapableFallbackSYNACK (we offered MPTCP, the peer's
 *                SYN-ACK did not take it: its table full, MPTCP off there,
 *                or a middlebox) and MPCapableFallbackACK (a client that
 *                did not offer it)
 *   other        lost SYNs, mappings or checksums, MD5, simultaneous connect
 * A counter this kernel does not have counts 0.
 */
#include <stdlib.h>
#include <string.h>
#include "fallbacks.h"

static const struct {
	const char *name;
	int group;		/* 0 token_table, 1 peer, 2 other */
} fb_names[] = {
	{ "MPFallbackTokenInit", 0 },
	{ "MPCapableFallbackSYNACK", 1 },
	{ "MPCapableFallbackACK", 1 },
	{ "MPCapableSYNTXDrop", 2 },
	{ "MPCapableDataFallback", 2 },
	{ "DssFallback", 2 },
	{ "DSSCorruptionFallback", 2 },
	{ "MD5SigFallback", 2 },
	{ "SimultConnectFallback", 2 },
};

static void add(struct omr_fallbacks *fb, const char *name, const char *val)
{
	uint64_t v = strtoull(val, NULL, 10);
	size_t i;

	for (i = 0; i < sizeof(fb_names) / sizeof(fb_names[0]); i++) {
		if (strcmp(name, fb_names[i].name))
			continue;
		if (fb_names[i].group == 0)
			fb->token_table += v;
		else if (fb_names[i].group == 1)
			fb->peer += v;
		else
			fb->other += v;
	}
}

int fallbacks_parse(FILE *f, struct omr_fallbacks *fb)
{
	char names[8192], vals[8192];
	char *sn, *sv, *n, *v;

	memset(fb, 0, sizeof(*fb));
	/* A section is two lines: "MPTcpExt: NAME..." then "MPTcpExt: VALUE...". */
	while (fgets(names, sizeof(names), f)) {
		if (strncmp(names, "MPTcpExt:", 9))
			continue;
		if (!fgets(vals, sizeof(vals), f) || strncmp(vals, "MPTcpExt:", 9))
			return -1;
		n = strtok_r(names + 9, " \n", &sn);
		v = strtok_r(vals + 9, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv))
			add(fb, n, v);
		if (n || v)
			return -1;	/* as many names as values, or nothing */
		fb->seen = true;
		return 0;
	}
	return -1;
}

void fallbacks_read(struct omr_fallbacks *fb)
{
	FILE *f = fopen("/proc/net/netstat", "re");

	memset(fb, 0, sizeof(*fb));
	if (!f)
		return;
	if (fallbacks_parse(f, fb))
		memset(fb, 0, sizeof(*fb));
	fclose(f);
}
