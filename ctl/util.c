// SPDX-License-Identifier: GPL-2.0
/* omrctl's leaf helpers (util.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

const char *prog = "omrctl";

void err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int strtou32(const char *v, uint32_t *out)
{
	unsigned long long n;
	char *end;

	if (!v || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > UINT32_MAX)
		return -1;
	*out = n;
	return 0;
}

int parse_u32(const char *what, const char *key, const char *v, uint32_t *out)
{
	if (!strtou32(v, out))
		return 0;
	err("%s: %s '%s': expected a number (0 to %u)", what, key,
	    v ? v : "", UINT32_MAX);
	return -1;
}

int find_word(const struct word *w, int n, const char *arg)
{
	size_t len = strlen(arg);
	int i, found = -1, preferred = -1, count = 0;

	if (!len)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(w[i].name, arg, len))
			continue;
		if (!w[i].name[len])
			return i;		/* exact */
		if (preferred < 0 && w[i].shortest && len >= w[i].shortest)
			preferred = i;
		found = i;
		count++;
	}
	if (preferred >= 0)
		return preferred;
	if (count > 1)
		return -2;
	return found;
}

int match_word(const char *what, const struct word *w, int n, const char *arg)
{
	size_t len = strlen(arg);
	char names[256] = "";
	int i, k = find_word(w, n, arg);

	if (k >= 0)
		return k;
	for (i = 0; i < n; i++) {
		if (k == -2 && strncmp(w[i].name, arg, len))
			continue;
		if (strlen(names) + strlen(w[i].name) + 3 >= sizeof(names))
			break;
		if (names[0])
			strcat(names, ", ");
		strcat(names, w[i].name);
	}
	if (k == -2)
		err("%s'%s' is ambiguous: %s", what, arg, names);
	else
		err("%sunknown command '%s' (%s)", what, arg, names);
	return -1;
}

/* The first line of a small file, without its newline; NULL if unreadable. */
char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return NULL;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return buf;
}

int ip_pton(const char *s, struct omr_ip *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) != 1)
		return -1;
	a->family = AF_INET6;
	if (!memcmp(a->v6.s6_addr, mapped, sizeof(mapped))) {
		struct in_addr v4;

		memcpy(&v4, a->v6.s6_addr + 12, 4);
		memset(a, 0, sizeof(*a));
		a->family = AF_INET;
		a->v4 = v4;
	}
	return 0;
}

const char *ip_ntop(const struct omr_ip *a, char *buf)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return NULL;
	return inet_ntop(a->family, a->family == AF_INET6 ? (const void *)&a->v6 :
			 (const void *)&a->v4, buf, OMR_IP_STRLEN);
}

bool ip_eq(const struct omr_ip *a, const struct omr_ip *b)
{
	int la, lb;
	const void *pa = ip_bytes(a, &la), *pb = ip_bytes(b, &lb);

	return a->family == b->family && la == lb && !memcmp(pa, pb, la);
}

const void *ip_bytes(const struct omr_ip *a, int *len)
{
	*len = a->family == AF_INET6 ? 16 : 4;
	return a->family == AF_INET6 ? (const void *)&a->v6 : (const void *)&a->v4;
}
