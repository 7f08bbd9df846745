// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIP004 UDP packets: every datagram carries its own salt, so each one
 * derives its own subkey and is sealed with the zero nonce. Bytes in,
 * bytes out, like sscodec.c; the contexts (struct ss_rekey) are the
 * caller's, one per thread, so no datagram allocates.
 */
#include <string.h>
#include "sspacket.h"

size_t ss_packet_overhead(const struct ss_key *k)
{
	return k->m->key_len + SS_TAG_LEN;
}

long ss_packet_seal(struct ss_rekey *r, const uint8_t *salt,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	size_t slen = r->k->m->key_len;

	if (salt)
		memcpy(out, salt, slen);
	else if (ss_random(out, slen))
		return -1;
	if (ss_rekey(r, out, true) || ss_aead_seal(&r->a, out + slen, in, len))
		return -1;
	return (long)(len + slen + SS_TAG_LEN);
}

long ss_packet_open(struct ss_rekey *r, const uint8_t *in, size_t len,
		    uint8_t *out)
{
	size_t slen = r->k->m->key_len;

	if (len <= slen + SS_TAG_LEN)
		return -1;
	if (ss_rekey(r, in, false) || ss_aead_open(&r->a, out, in + slen, len - slen))
		return -1;
	return (long)(len - slen - SS_TAG_LEN);
}
