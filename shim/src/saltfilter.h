/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_SALTFILTER_H
#define OMR_SHIM_SALTFILTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SALT_KEY_LEN 16

/*
 * Replay filter: two generations of open-addressing tables. When the
 * current one holds `cap` salts it becomes the old one and the oldest
 * generation is forgotten, so memory is fixed and old salts age out.
 */
struct salt_gen {
	uint8_t (*slot)[SALT_KEY_LEN];
	uint8_t *used;
	size_t count;
};

struct salt_filter {
	pthread_mutex_t mu;
	size_t cap, nslots;
	uint64_t seed;
	struct salt_gen gen[2];
	int cur;
};

int salt_filter_init(struct salt_filter *f, size_t cap);
void salt_filter_free(struct salt_filter *f);
/* true if salt was seen recently; otherwise records it and returns false. */
bool salt_filter_check_add(struct salt_filter *f, const uint8_t *salt,
			   size_t len);

#endif
