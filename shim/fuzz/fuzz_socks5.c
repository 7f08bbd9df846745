// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: SOCKS5 greeting, RFC 1929 auth and request parsers in sequence. */
#include <stdint.h>
#include <stdlib.h>
#include "socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s5_auth a;
	struct s5_request r;
	size_t used = 0, off = 1;
	uint8_t m, rep_buf[S5_REPLY_LEN];
	int rep;

	if (size < 1)
		return 0;
	if (s5_parse_greeting(data + off, size - off, &used, data[0] & 1, &m) != P_OK)
		return 0;
	if (used > size - off)
		abort();
	off += used;
	if (m == S5_M_USERPASS) {
		if (s5_parse_auth(data + off, size - off, &used, &a) != P_OK)
			return 0;
		if (used > size - off || a.ulen == 0)
			abort();
		off += used;
	}
	if (s5_parse_request(data + off, size - off, &used, &r, &rep) == P_OK) {
		if (used > size - off || r.dst.hlen == 0)
			abort();
	} else if (rep != S5_REP_NONE) {
		s5_build_reply(rep_buf, (uint8_t)rep);
	}
	return 0;
}
