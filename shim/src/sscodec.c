// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIP004 chunk framing. The decoder is a pure function of (state, bytes)
 * so the relay, the unit tests and the fuzzer all drive the same code.
 */
#include <string.h>
#include "sscodec.h"

int ss_enc_init(struct ss_enc *e, const struct ss_key *k, EVP_MAC_CTX *kdf,
		const uint8_t *salt)
{
	memset(e, 0, sizeof(*e));
	e->k = k;
	e->kdf = kdf;
	if (salt)
		memcpy(e->salt, salt, k->m->key_len);
	else if (ss_random(e->salt, k->m->key_len))
		return -1;
	return ss_aead_init(&e->a, k, kdf, e->salt, true);
}

void ss_enc_free(struct ss_enc *e)
{
	ss_aead_free(&e->a);
}

size_t ss_enc_bound(const struct ss_enc *e, size_t len)
{
	size_t chunks = (len + SS_MAX_PAYLOAD - 1) / SS_MAX_PAYLOAD;

	return (e->salt_sent ? 0 : e->k->m->key_len) + len +
	       chunks * SS_CHUNK_OVERHEAD;
}

long ss_enc_feed(struct ss_enc *e, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *o = out;

	if (!e->salt_sent) {
		memcpy(o, e->salt, e->k->m->key_len);
		o += e->k->m->key_len;
		e->salt_sent = true;
	}
	while (len) {
		size_t n = len > SS_MAX_PAYLOAD ? SS_MAX_PAYLOAD : len;
		uint8_t hdr[2] = { (uint8_t)(n >> 8), (uint8_t)n };

		if (ss_aead_seal(&e->a, o, hdr, 2))
			return -1;
		o += 2 + SS_TAG_LEN;
		if (ss_aead_seal(&e->a, o, in, n))
			return -1;
		o += n + SS_TAG_LEN;
		in += n;
		len -= n;
	}
	return o - out;
}

void ss_dec_init(struct ss_dec *d, const struct ss_key *k)
{
	memset(d, 0, sizeof(*d));
	d->k = k;
}

void ss_dec_free(struct ss_dec *d)
{
	if (d->have_salt)
		ss_aead_free(&d->a);
	d->have_salt = false;
}

/* Decrypts one length unit; its nonce is spent, so remember the result. */
static int dec_length(struct ss_dec *d, const uint8_t *in)
{
	uint8_t hdr[2];
	size_t n;

	if (ss_aead_open(&d->a, hdr, in, 2 + SS_TAG_LEN))
		return SS_DEC_ERR;
	n = ((size_t)hdr[0] << 8) | hdr[1];
	/* Zero or top-bit lengths never come from a correct peer. */
	if (n == 0 || n > SS_MAX_PAYLOAD)
		return SS_DEC_ERR;
	d->authed = true;
	d->plen = n;
	return SS_DEC_OK;
}

int ss_dec_feed(struct ss_dec *d, const uint8_t *in, size_t len, size_t *used,
		uint8_t *out, size_t outcap, size_t *produced)
{
	size_t off = 0, outlen = 0, slen = d->k->m->key_len;

	*used = *produced = 0;
	if (!d->have_salt) {
		if (len < slen)
			return SS_DEC_OK;
		memcpy(d->salt, in, slen);
		if (ss_aead_init(&d->a, d->k, d->kdf, d->salt, false))
			return SS_DEC_ERR;
		d->have_salt = true;
		off = slen;
	}
	for (;;) {
		if (!d->plen) {
			if (len - off < 2 + SS_TAG_LEN)
				break;
			if (dec_length(d, in + off))
				return SS_DEC_ERR;
			off += 2 + SS_TAG_LEN;
		}
		if (len - off < d->plen + SS_TAG_LEN || outcap - outlen < d->plen)
			break;
		if (ss_aead_open(&d->a, out + outlen, in + off,
				 d->plen + SS_TAG_LEN))
			return SS_DEC_ERR;
		off += d->plen + SS_TAG_LEN;
		outlen += d->plen;
		d->plen = 0;
	}
	*used = off;
	*produced = outlen;
	return SS_DEC_OK;
}
