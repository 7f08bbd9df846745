/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omrctl's leaf helpers: exit codes, error messages, number parsing and
 * prefix matching of command words. Every other file may use these; this
 * file uses none of them (no call cycle between files: scripts/structure.sh).
 */
#ifndef OMRCTL_UTIL_H
#define OMRCTL_UTIL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (docs/omrctl.8). */
enum {
	EX_OK = 0,
	EX_KERNEL = 1,		/* the kernel refused the request */
	EX_USAGE = 2,		/* bad command line */
	EX_NOMOD = 3,		/* omr.ko not loaded, or no netlink */
	EX_NETNS = 4,		/* -n NETNS cannot be entered */
};

extern const char *prog;

void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A decimal u32 (0 to UINT32_MAX); -1 on anything else. No message. */
int strtou32(const char *v, uint32_t *out);

/* strtou32, or a usage error naming WHAT, KEY and V. */
int parse_u32(const char *what, const char *key, const char *v, uint32_t *out);

/*
 * A command word of a table, as ip matches them. A word matches the names
 * it is a prefix of. An exact name wins; then the first entry whose
 * "shortest" abbreviation length the word reaches (path: 1, so "p" is
 * path and not pm). Otherwise one candidate or an error naming them all.
 */
struct word {
	const char *name;
	unsigned int shortest;	/* 0: only unique prefixes */
};

/* Index into @w (@n entries), or -1 after an error message about @what. */
int match_word(const char *what, const struct word *w, int n, const char *arg);

/* Like match_word, silently: -1 no match, -2 ambiguous. */
int find_word(const struct word *w, int n, const char *arg);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An IPv4 or IPv6 address; family 0: none. */
struct omr_ip {
	int family;		/* AF_INET, AF_INET6, 0 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

#define OMR_IP_STRLEN INET6_ADDRSTRLEN

/*
 * @s as an IPv4 or IPv6 address (an IPv4-mapped IPv6 one becomes IPv4, as
 * the kernel takes it); 0, or -1 if it is neither.
 */
int ip_pton(const char *s, struct omr_ip *a);

/* @a as text in @buf (OMR_IP_STRLEN bytes); NULL for family 0. */
const char *ip_ntop(const struct omr_ip *a, char *buf);

bool ip_eq(const struct omr_ip *a, const struct omr_ip *b);

/* The address's bytes and their length (4 or 16). */
const void *ip_bytes(const struct omr_ip *a, int *len);

/* The first line of a small file, without its newline; NULL if unreadable. */
char *read_line(const char *path, char *buf, size_t len);

#endif /* OMRCTL_UTIL_H */
