// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: shadowsocks address header and allow-list CIDR parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_addr a, b;
	uint8_t enc[SS_ADDR_MAX];
	char s[SS_ADDR_STRLEN];
	struct cidr c;
	size_t used = 0, n, u2 = 0;

	if (ss_addr_parse(data, size, &used, &a, NULL) == P_OK) {
		if (used > size)
			abort();
		/* Encoding what was parsed must give back the same bytes. */
		n = ss_addr_encode(&a, enc);
		if (n != used || memcmp(enc, data, n))
			abort();
		if (ss_addr_parse(enc, n, &u2, &b, NULL) != P_OK || u2 != n)
			abort();
		ss_addr_format(&a, s, sizeof(s));
		/* Formatted for the log: nothing but printable ASCII. */
		for (n = 0; s[n]; n++)
			if (s[n] < 0x20 || s[n] > 0x7e)
				abort();
	}
	if (size < 64) {
		memcpy(s, data, size);
		s[size] = 0;
		if (!cidr_parse(s, &c) && (c.plen < 0 || c.plen > 128))
			abort();
	}
	return 0;
}
