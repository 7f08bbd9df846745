/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_SSCODEC_H
#define OMR_SHIM_SSCODEC_H

#include "aead.h"

/* Sending half of a SIP004 stream: salt first, then chunks. */
struct ss_enc {
	const struct ss_key *k;
	EVP_MAC_CTX *kdf;	/* the thread's (ss_kdf_new), or NULL */
	struct ss_aead a;
	uint8_t salt[SS_MAX_SALT];
	bool salt_sent;
};

/* Receiving half: salt, then alternating length and payload units. */
struct ss_dec {
	const struct ss_key *k;
	EVP_MAC_CTX *kdf;	/* the thread's (ss_kdf_new), or NULL: set after init */
	struct ss_aead a;
	uint8_t salt[SS_MAX_SALT];
	bool have_salt;
	bool authed;		/* first length tag verified: salt is genuine */
	size_t plen;		/* payload length of the chunk in progress, 0 = none */
};

enum { SS_DEC_OK = 0, SS_DEC_ERR = -1 };

/* salt NULL draws a random one (the fixed form exists for test vectors);
 * kdf as for ss_aead_init(). */
int ss_enc_init(struct ss_enc *e, const struct ss_key *k, EVP_MAC_CTX *kdf,
		const uint8_t *salt);
void ss_enc_free(struct ss_enc *e);
/* Upper bound on the bytes ss_enc_feed() writes for len plaintext bytes. */
size_t ss_enc_bound(const struct ss_enc *e, size_t len);
/* Returns bytes written to out, or -1 on an OpenSSL failure. */
long ss_enc_feed(struct ss_enc *e, const uint8_t *in, size_t len, uint8_t *out);

void ss_dec_init(struct ss_dec *d, const struct ss_key *k);
void ss_dec_free(struct ss_dec *d);
/*
 * Decrypts every complete unit in in[0..len) whose payload fits in out.
 * *used gets the ciphertext consumed, *produced the plaintext written.
 * SS_DEC_ERR on a bad tag or a malformed (zero or oversize) length: the
 * caller must then drop the stream; nothing about the failure is visible
 * in what was produced before.
 */
int ss_dec_feed(struct ss_dec *d, const uint8_t *in, size_t len, size_t *used,
		uint8_t *out, size_t outcap, size_t *produced);

#endif
