/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_ADDR_H
#define OMR_SHIM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum { ATYP_IPV4 = 1, ATYP_DOMAIN = 3, ATYP_IPV6 = 4 };
/* Parser results shared by every pure parser in the shim. */
enum { P_NEED_MORE = 0, P_OK = 1, P_ERR = -1 };
enum { ADDR_ERR_NONE, ADDR_ERR_ATYP, ADDR_ERR_DOMAIN };

#define SS_ADDR_MAX (1 + 1 + 255 + 2)

/* A SOCKS5 / shadowsocks target: ATYP, address, port (host order). */
struct ss_addr {
	uint8_t atyp;
	uint8_t hlen;		/* 4, 16 or the domain length */
	uint8_t host[256];	/* domain is NUL-terminated for getaddrinfo */
	uint16_t port;
};

/* *why gets ADDR_ERR_ATYP or ADDR_ERR_DOMAIN on P_ERR (may be NULL). */
int ss_addr_parse(const uint8_t *b, size_t n, size_t *used, struct ss_addr *a,
		  int *why);
/* ss_addr_format's longest output: a 255-byte domain, every byte escaped. */
#define SS_ADDR_STRLEN (4 * 255 + sizeof(":65535"))
size_t ss_addr_encode(const struct ss_addr *a, uint8_t *out);
void ss_addr_format(const struct ss_addr *a, char *buf, size_t len);
void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);
/* IPv4-mapped IPv6 becomes ATYP 1, as the peer expects an IPv4 source. */
void ss_addr_from_sockaddr(struct ss_addr *a, const struct sockaddr *sa);
/* 0 for a domain (it needs resolving), else the sockaddr's length. */
socklen_t ss_addr_to_sockaddr(const struct ss_addr *a,
			      struct sockaddr_storage *ss);

/* Target policy: refuse internal ranges unless an allow entry covers them. */
struct cidr {
	int family;
	uint8_t addr[16];
	int plen;
};

int cidr_parse(const char *s, struct cidr *c);
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);
bool target_is_internal(const struct sockaddr *sa);
bool target_allowed(const struct cidr *allow, size_t nallow,
		    const struct sockaddr *sa);

#endif
