// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: the SIP004 chunk decoder. Raw input is fed as ciphertext
 * (must never crash, whatever the split); then the input is used as
 * plaintext, sealed, optionally corrupted at a fuzzer-chosen byte, and
 * decoded in fuzzer-chosen pieces: intact streams must round-trip and
 * corrupted ones must be rejected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sscodec.h"

static struct ss_key keys[3];
static uint8_t ct[1 << 20], out[1 << 20];

static int init_keys(void)
{
	static const char *const m[] = { "chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm" };
	int i;

	for (i = 0; i < 3; i++)
		if (ss_key_init(&keys[i], m[i], "fuzz"))
			abort();
	return 0;
}

/* Decodes buf in pieces of `step`; returns produced bytes or -1 on reject. */
static long decode(const struct ss_key *k, const uint8_t *buf, size_t n, size_t step)
{
	struct ss_dec d;
	size_t off = 0, have = 0, total = 0, used, prod;
	static uint8_t win[SS_MAX_SALT + SS_MAX_CHUNK + 4096];

	ss_dec_init(&d, k);
	while (off < n) {
		size_t take = n - off < step ? n - off : step;

		if (have + take > sizeof(win))
			take = sizeof(win) - have;
		memcpy(win + have, buf + off, take);
		have += take;
		off += take;
		if (ss_dec_feed(&d, win, have, &used, out + total, sizeof(out) - total,
				&prod) != SS_DEC_OK) {
			ss_dec_free(&d);
			return -1;
		}
		total += prod;
		memmove(win, win + used, have - used);
		have -= used;
	}
	ss_dec_free(&d);
	return (long)total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const struct ss_key *k;
	struct ss_enc e;
	uint8_t salt[SS_MAX_SALT] = { 1, 2, 3 };
	size_t step, flip;
	long len;

	if (!ready)
		ready = !init_keys();
	if (size < 4 || size > 200000)
		return 0;
	k = &keys[data[0] % 3];
	step = 1 + data[1] * 64 + data[2];
	decode(k, data + 4, size - 4, step);

	if (ss_enc_init(&e, k, NULL, salt))
		abort();
	len = ss_enc_feed(&e, data + 4, size - 4, ct);
	ss_enc_free(&e);
	if (len < 0 || (size_t)len > sizeof(ct))
		abort();
	if (decode(k, ct, (size_t)len, step) != (long)(size - 4) ||
	    memcmp(out, data + 4, size - 4))
		abort();
	flip = ((size_t)data[3] * 7919u) % (size_t)len;
	if (size - 4 > 0) {
		ct[flip] ^= 0x80;
		if (decode(k, ct, (size_t)len, step) != -1)
			abort();
	}
	return 0;
}
