// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 1928 / RFC 1929 parsers. Pure functions over a byte buffer: they
 * never allocate and never look past n, so truncated input is simply
 * P_NEED_MORE and the caller bounds how much it is willing to buffer.
 */
#include <string.h>
#include "socks5.h"

int s5_parse_greeting(const uint8_t *b, size_t n, size_t *used, bool want_auth,
		      uint8_t *method)
{
	size_t i;
	bool noauth = false, userpass = false;

	if (n < 1)
		return P_NEED_MORE;
	if (b[0] != 5)
		return P_ERR;
	if (n < 2)
		return P_NEED_MORE;
	if (b[1] == 0)
		return P_ERR;
	if (n < 2 + (size_t)b[1])
		return P_NEED_MORE;
	for (i = 0; i < b[1]; i++) {
		noauth |= b[2 + i] == S5_M_NOAUTH;
		userpass |= b[2 + i] == S5_M_USERPASS;
	}
	if (want_auth)
		*method = userpass ? S5_M_USERPASS : S5_M_NONE;
	else
		*method = noauth ? S5_M_NOAUTH : S5_M_NONE;
	*used = 2 + b[1];
	return P_OK;
}

int s5_parse_auth(const uint8_t *b, size_t n, size_t *used, struct s5_auth *a)
{
	size_t ulen, plen;

	if (n < 1)
		return P_NEED_MORE;
	if (b[0] != 1)
		return P_ERR;
	if (n < 2)
		return P_NEED_MORE;
	ulen = b[1];
	if (ulen == 0)
		return P_ERR;
	if (n < 2 + ulen + 1)
		return P_NEED_MORE;
	plen = b[2 + ulen];
	if (n < 3 + ulen + plen)
		return P_NEED_MORE;
	memset(a, 0, sizeof(*a));
	a->ulen = (uint8_t)ulen;
	a->plen = (uint8_t)plen;
	memcpy(a->user, b + 2, ulen);
	memcpy(a->pass, b + 3 + ulen, plen);
	*used = 3 + ulen + plen;
	return P_OK;
}

int s5_parse_request(const uint8_t *b, size_t n, size_t *used,
		     struct s5_request *r, int *rep)
{
	size_t alen = 0;
	int ret, why;

	*rep = S5_REP_NONE;
	if (n < 1)
		return P_NEED_MORE;
	if (b[0] != 5)
		return P_ERR;
	if (n < 4)
		return P_NEED_MORE;
	memset(r, 0, sizeof(*r));
	r->cmd = b[1];
	ret = ss_addr_parse(b + 3, n - 3, &alen, &r->dst, &why);
	if (ret == P_ERR) {
		*rep = why == ADDR_ERR_ATYP ? S5_REP_ATYP_UNSUPP : S5_REP_FAIL;
		return P_ERR;
	}
	if (ret == P_NEED_MORE)
		return P_NEED_MORE;
	*used = 3 + alen;
	*rep = S5_REP_OK;
	return P_OK;
}

size_t s5_build_reply(uint8_t *out, uint8_t rep)
{
	/* BND.ADDR 0.0.0.0:0: clients never use it for CONNECT. */
	static const uint8_t tail[8] = { 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0 };

	out[0] = 5;
	out[1] = rep;
	memcpy(out + 2, tail, sizeof(tail));
	return S5_REPLY_LEN;
}
