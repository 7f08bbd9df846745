// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Address header (SOCKS5 / shadowsocks ATYP form) and target policy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "log.h"

static int addr_fail(int *why, int code)
{
	if (why)
		*why = code;
	return P_ERR;
}

int ss_addr_parse(const uint8_t *b, size_t n, size_t *used, struct ss_addr *a,
		  int *why)
{
	size_t need;

	if (why)
		*why = ADDR_ERR_NONE;
	if (n < 1)
		return P_NEED_MORE;
	memset(a, 0, sizeof(*a));
	a->atyp = b[0];
	switch (b[0]) {
	case ATYP_IPV4:
		a->hlen = 4;
		need = 1 + 4 + 2;
		break;
	case ATYP_IPV6:
		a->hlen = 16;
		need = 1 + 16 + 2;
		break;
	case ATYP_DOMAIN:
		if (n < 2)
			return P_NEED_MORE;
		if (b[1] == 0)
			return addr_fail(why, ADDR_ERR_DOMAIN);
		a->hlen = b[1];
		need = 2 + a->hlen + 2;
		break;
	default:
		return addr_fail(why, ADDR_ERR_ATYP);
	}
	if (n < need)
		return P_NEED_MORE;
	memcpy(a->host, b + need - 2 - a->hlen, a->hlen);
	/* An embedded NUL would silently truncate the name we resolve. */
	if (a->atyp == ATYP_DOMAIN && memchr(a->host, 0, a->hlen))
		return addr_fail(why, ADDR_ERR_DOMAIN);
	a->port = (uint16_t)(b[need - 2] << 8 | b[need - 1]);
	*used = need;
	return P_OK;
}

size_t ss_addr_encode(const struct ss_addr *a, uint8_t *out)
{
	size_t o = 0;

	out[o++] = a->atyp;
	if (a->atyp == ATYP_DOMAIN)
		out[o++] = a->hlen;
	memcpy(out + o, a->host, a->hlen);
	o += a->hlen;
	out[o++] = (uint8_t)(a->port >> 8);
	out[o++] = (uint8_t)a->port;
	return o;
}

/* The domain is peer-controlled: escaped, as everything logged from a peer. */
void ss_addr_format(const struct ss_addr *a, char *buf, size_t len)
{
	char h[4 * 255 + 1];	/* a domain, every byte escaped */

	if (a->atyp == ATYP_IPV4) {
		inet_ntop(AF_INET, a->host, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, a->port);
	} else if (a->atyp == ATYP_IPV6) {
		inet_ntop(AF_INET6, a->host, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, a->port);
	} else {
		log_escape(h, sizeof(h), a->host, a->hlen);
		snprintf(buf, len, "%s:%u", h, a->port);
	}
}

void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

void ss_addr_from_sockaddr(struct ss_addr *a, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET6 && memcmp(s6->sin6_addr.s6_addr, mapped, 12)) {
		a->atyp = ATYP_IPV6;
		a->hlen = 16;
		memcpy(a->host, s6->sin6_addr.s6_addr, 16);
		a->port = ntohs(s6->sin6_port);
		return;
	}
	a->atyp = ATYP_IPV4;
	a->hlen = 4;
	if (sa->sa_family == AF_INET6) {
		memcpy(a->host, s6->sin6_addr.s6_addr + 12, 4);
		a->port = ntohs(s6->sin6_port);
	} else {
		memcpy(a->host, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	}
}

socklen_t ss_addr_to_sockaddr(const struct ss_addr *a,
			      struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (void *)ss;
	struct sockaddr_in *s4 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->atyp == ATYP_IPV4) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->host, 4);
		s4->sin_port = htons(a->port);
		return sizeof(*s4);
	}
	if (a->atyp == ATYP_IPV6) {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->host, 16);
		s6->sin6_port = htons(a->port);
		return sizeof(*s6);
	}
	return 0;
}

int cidr_parse(const char *s, struct cidr *c)
{
	char tmp[64], *slash, *end;
	long plen;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	memset(c, 0, sizeof(*c));
	slash = strchr(tmp, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, tmp, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	c->plen = c->family == AF_INET ? 32 : 128;
	if (slash) {
		if (!slash[1])
			return -1;
		plen = strtol(slash + 1, &end, 10);
		if (*end || plen < 0 || plen > c->plen)
			return -1;
		c->plen = (int)plen;
	}
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, int plen)
{
	int full = plen / 8, rem = plen % 8;

	if (memcmp(a, b, (size_t)full))
		return false;
	if (!rem)
		return true;
	return ((a[full] ^ b[full]) & (0xff << (8 - rem))) == 0;
}

/* IPv4-mapped IPv6 is judged as the IPv4 address it carries. */
static int sa_bytes(const struct sockaddr *sa, const uint8_t **p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		*p = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (!memcmp(*p, mapped, 12)) {
			*p += 12;
			return AF_INET;
		}
		return AF_INET6;
	}
	return -1;
}

bool cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const uint8_t *p = NULL;

	return sa_bytes(sa, &p) == c->family && prefix_eq(p, c->addr, c->plen);
}

bool target_is_internal(const struct sockaddr *sa)
{
	static const char *const blocked[] = {
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
		"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
		"::/127", "fc00::/7", "fe80::/10", "ff00::/8",
	};
	struct cidr c;
	size_t i;

	for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		if (cidr_parse(blocked[i], &c))
			abort();	/* table typo: fail loudly in tests */
		if (cidr_match(&c, sa))
			return true;
	}
	return false;
}

bool target_allowed(const struct cidr *allow, size_t nallow,
		    const struct sockaddr *sa)
{
	size_t i;

	for (i = 0; i < nallow; i++)
		if (cidr_match(&allow[i], sa))
			return true;
	return !target_is_internal(sa);
}
