// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>
#include "aead.h"
#include "saltfilter.h"

static int gen_alloc(struct salt_gen *g, size_t nslots)
{
	g->slot = calloc(nslots, SALT_KEY_LEN);
	g->used = calloc(nslots, 1);
	g->count = 0;
	return g->slot && g->used ? 0 : -1;
}

int salt_filter_init(struct salt_filter *f, size_t cap)
{
	memset(f, 0, sizeof(*f));
	if (cap < 16)
		cap = 16;
	f->cap = cap;
	f->nslots = 1;
	while (f->nslots < cap * 2)	/* load factor <= 0.5 */
		f->nslots <<= 1;
	if (gen_alloc(&f->gen[0], f->nslots) || gen_alloc(&f->gen[1], f->nslots))
		goto err_free;
	/* Only authenticated and self-drawn salts get in, but keep slots
	 * unpredictable anyway. */
	if (ss_random((uint8_t *)&f->seed, sizeof(f->seed)))
		goto err_free;
	if (pthread_mutex_init(&f->mu, NULL))
		goto err_free;
	return 0;
err_free:
	salt_filter_free(f);
	return -1;
}

void salt_filter_free(struct salt_filter *f)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(f->gen[i].slot);
		free(f->gen[i].used);
		f->gen[i].slot = NULL;
		f->gen[i].used = NULL;
	}
}

static size_t salt_hash(const struct salt_filter *f, const uint8_t *k)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	a ^= f->seed;
	a = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	return (size_t)(a ^ (a >> 29)) & (f->nslots - 1);
}

/* Returns the slot holding k, or the empty slot where it would go. */
static size_t gen_find(const struct salt_filter *f, const struct salt_gen *g,
		       const uint8_t *k, bool *found)
{
	size_t i = salt_hash(f, k);

	while (g->used[i]) {
		if (!memcmp(g->slot[i], k, SALT_KEY_LEN)) {
			*found = true;
			return i;
		}
		i = (i + 1) & (f->nslots - 1);
	}
	*found = false;
	return i;
}

bool salt_filter_check_add(struct salt_filter *f, const uint8_t *salt,
			   size_t len)
{
	uint8_t k[SALT_KEY_LEN] = { 0 };
	struct salt_gen *cur, *old;
	bool found;
	size_t i;

	memcpy(k, salt, len < SALT_KEY_LEN ? len : SALT_KEY_LEN);
	pthread_mutex_lock(&f->mu);
	cur = &f->gen[f->cur];
	old = &f->gen[!f->cur];
	gen_find(f, old, k, &found);
	if (found)
		goto out;
	i = gen_find(f, cur, k, &found);
	if (found)
		goto out;
	if (cur->count >= f->cap) {
		/* Rotate: forget the oldest generation. */
		memset(old->used, 0, f->nslots);
		old->count = 0;
		f->cur = !f->cur;
		cur = old;
		i = gen_find(f, cur, k, &found);
	}
	memcpy(cur->slot[i], k, SALT_KEY_LEN);
	cur->used[i] = 1;
	cur->count++;
out:
	pthread_mutex_unlock(&f->mu);
	return found;
}
