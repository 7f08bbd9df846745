// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: JSON configuration parser and validation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shim_config c;
	char err[CFG_ERR_LEN];

	config_defaults(&c);
	err[0] = 0;
	if (config_parse_json(&c, (const char *)data, size, err, sizeof(err))) {
		if (!err[0])
			abort();	/* every rejection must say why */
		return 0;
	}
	c.role = size & 1 ? ROLE_LOCAL : ROLE_SERVER;
	if (config_validate(&c, err, sizeof(err)) && !err[0])
		abort();
	if (c.nserver > CFG_MAX_SERVERS || c.nallow > CFG_MAX_ALLOW)
		abort();
	return 0;
}
