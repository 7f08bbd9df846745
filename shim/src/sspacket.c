// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIP004 UDP packets: every datagram carries its own salt, so each one
 * derives its own subkey and is sealed with the zero nonce. Pure
 * functions (key + bytes in, bytes out), like sscodec.c.
 */
#include <string.h>
#include "sspacket.h"

size_t ss_packet_overhead(const struct ss_key *k)
{
	return k->m->key_len + SS_TAG_LEN;
}

long ss_packet_seal(const struct ss_key *k, const uint8_t *salt,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	size_t slen = k->m->key_len;
	struct ss_aead a;
	int rc;

	if (salt)
		memcpy(out, salt, slen);
	else if (ss_random(out, slen))
		return -1;
	if (ss_aead_init(&a, k, out, true))
		return -1;
	rc = ss_aead_seal(&a, out + slen, in, len);
	ss_aead_free(&a);
	return rc ? -1 : (long)(len + slen + SS_TAG_LEN);
}

long ss_packet_open(const struct ss_key *k, const uint8_t *in, size_t len,
		    uint8_t *out)
{
	size_t slen = k->m->key_len;
	struct ss_aead a;
	int rc;

	if (len <= slen + SS_TAG_LEN)
		return -1;
	if (ss_aead_init(&a, k, in, false))
		return -1;
	rc = ss_aead_open(&a, out, in + slen, len - slen);
	ss_aead_free(&a);
	return rc ? -1 : (long)(len - slen - SS_TAG_LEN);
}
