/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_AEAD_H
#define OMR_SHIM_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define SS_TAG_LEN 16
#define SS_NONCE_LEN 12
#define SS_MAX_KEY 32
#define SS_MAX_SALT 32
#define SS_MAX_PAYLOAD 0x3FFF
/* Largest wire chunk: encrypted length + tag + payload + tag. */
#define SS_CHUNK_OVERHEAD (2 + 2 * SS_TAG_LEN)
#define SS_MAX_CHUNK (SS_MAX_PAYLOAD + SS_CHUNK_OVERHEAD)

struct ss_method {
	const char *name;
	const char *evp_name;
	size_t key_len;		/* also the salt length in SIP004 */
};

/* Long-lived per-process key material, shared read-only between threads. */
struct ss_key {
	const struct ss_method *m;
	EVP_CIPHER *cipher;
	EVP_MAC *hmac;		/* fetched once: provider lookups are not free */
	uint8_t key[SS_MAX_KEY];
};

/* One direction's AEAD state: subkey context and little-endian counter. */
struct ss_aead {
	EVP_CIPHER_CTX *ctx;
	uint8_t nonce[SS_NONCE_LEN];
	bool enc;
};

const struct ss_method *ss_method_find(const char *name);
const char *ss_method_list(void);
int ss_key_init(struct ss_key *k, const char *method, const char *password);
void ss_key_free(struct ss_key *k);

/*
 * Keys a for salt's subkey. kdf: the calling thread's subkey context from
 * ss_kdf_new(), or NULL to make one for this call.
 */
int ss_aead_init(struct ss_aead *a, const struct ss_key *k, EVP_MAC_CTX *kdf,
		 const uint8_t *salt, bool enc);
/* A subkey context (HMAC-SHA1 for HKDF) for one thread; NULL if out of
 * memory. ss_kdf_free() it. */
EVP_MAC_CTX *ss_kdf_new(const struct ss_key *k);
void ss_kdf_free(EVP_MAC_CTX *kdf);
/* HKDF-SHA1 "ss-subkey" of k's master key for salt (key_len bytes each). */
int ss_subkey(EVP_MAC_CTX *kdf, const struct ss_key *k, const uint8_t *salt,
	      uint8_t *out);
void ss_aead_free(struct ss_aead *a);

/*
 * A context rekeyed per message (SIP004 UDP: a salt, so a subkey, per
 * datagram). The cipher and HKDF contexts are made once, the master key
 * bound, so a datagram costs its derivation and its AEAD only: no
 * allocation, no provider lookup. One per thread.
 */
struct ss_rekey {
	const struct ss_key *k;
	EVP_MAC_CTX *kdf;
	struct ss_aead a;	/* keyed by the last ss_rekey() */
};

int ss_rekey_init(struct ss_rekey *r, const struct ss_key *k);
void ss_rekey_free(struct ss_rekey *r);
/* r->a for salt's subkey, nonce zero: for sealing (enc) or opening. */
int ss_rekey(struct ss_rekey *r, const uint8_t *salt, bool enc);
/* out receives len bytes of ciphertext followed by the tag. */
int ss_aead_seal(struct ss_aead *a, uint8_t *out, const uint8_t *in, size_t len);
/* in holds len bytes of ciphertext followed by the tag. 0 ok, -1 bad tag. */
int ss_aead_open(struct ss_aead *a, uint8_t *out, const uint8_t *in, size_t len);
int ss_random(uint8_t *buf, size_t len);

/*
 * Random bytes drawn ahead, for one thread: a salt per connection costs
 * a copy, not a RAND_bytes() call (with its getpid() fork check) each.
 * The bytes are the same DRBG's; each is handed out once.
 */
#define SS_RANDPOOL 2048
struct ss_randpool {
	uint8_t buf[SS_RANDPOOL];
	size_t off;		/* bytes used; the pool starts used up */
};

void ss_randpool_init(struct ss_randpool *p);
int ss_randpool_get(struct ss_randpool *p, uint8_t *out, size_t len);

#endif
