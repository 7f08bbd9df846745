// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIP004 primitives on top of OpenSSL 3: password to master key
 * (EVP_BytesToKey with MD5, as every shadowsocks implementation does),
 * HKDF-SHA1 "ss-subkey" per-session subkeys, and chunk seal/open with a
 * 12-byte little-endian nonce counter.
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "aead.h"

static const struct ss_method methods[] = {
	{ "chacha20-ietf-poly1305", "ChaCha20-Poly1305", 32 },
	{ "aes-256-gcm", "AES-256-GCM", 32 },
	{ "aes-128-gcm", "AES-128-GCM", 16 },
};

const struct ss_method *ss_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			return &methods[i];
	return NULL;
}

const char *ss_method_list(void)
{
	return "chacha20-ietf-poly1305, aes-256-gcm, aes-128-gcm";
}

int ss_key_init(struct ss_key *k, const char *method, const char *password)
{
	uint8_t iv[EVP_MAX_IV_LENGTH];

	memset(k, 0, sizeof(*k));
	k->m = ss_method_find(method);
	if (!k->m)
		return -1;
	k->cipher = EVP_CIPHER_fetch(NULL, k->m->evp_name, NULL);
	k->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!k->cipher || !k->hmac) {
		ss_key_free(k);
		return -1;
	}
	/* The legacy KDF shadowsocks uses for the master key: MD5, 1 round. */
	if (!EVP_BytesToKey(k->cipher, EVP_md5(), NULL,
			    (const unsigned char *)password, (int)strlen(password),
			    1, k->key, iv)) {
		ss_key_free(k);
		return -1;
	}
	return 0;
}

void ss_key_free(struct ss_key *k)
{
	EVP_CIPHER_free(k->cipher);
	EVP_MAC_free(k->hmac);
	OPENSSL_cleanse(k->key, sizeof(k->key));
	k->cipher = NULL;
	k->hmac = NULL;
}

EVP_MAC_CTX *ss_kdf_new(const struct ss_key *k)
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(k->hmac);
	OSSL_PARAM params[2];

	if (!m)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(m, params) != 1) {
		EVP_MAC_CTX_free(m);
		return NULL;
	}
	return m;
}

void ss_kdf_free(EVP_MAC_CTX *kdf)
{
	EVP_MAC_CTX_free(kdf);
}

/* HMAC(key, a || b || c) into out (20 bytes). */
static int hmac3(EVP_MAC_CTX *m, const uint8_t *key, size_t klen,
		 const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 const uint8_t *c, size_t clen, uint8_t *out)
{
	size_t n;

	return EVP_MAC_init(m, key, klen, NULL) == 1 &&
	       (!alen || EVP_MAC_update(m, a, alen) == 1) &&
	       (!blen || EVP_MAC_update(m, b, blen) == 1) &&
	       (!clen || EVP_MAC_update(m, c, clen) == 1) &&
	       EVP_MAC_final(m, out, &n, SHA_DIGEST_LENGTH) == 1 ? 0 : -1;
}

/*
 * HKDF-SHA1 (RFC 5869), info "ss-subkey", from HMAC-SHA1 keyed anew for
 * each step of one prepared context. OpenSSL 3.0's own HKDF runs each of
 * its HMACs through EVP_Q_mac(), which fetches HMAC by name every time:
 * most of a derivation's cost (3.1 us against 1.9 us here), four times a
 * connection. tests/unit.c checks this one against OpenSSL's.
 */
int ss_subkey(EVP_MAC_CTX *kdf, const struct ss_key *k, const uint8_t *salt,
	      uint8_t *out)
{
	static const uint8_t info[] = "ss-subkey";
	uint8_t prk[SHA_DIGEST_LENGTH], t[SHA_DIGEST_LENGTH];
	size_t len = k->m->key_len, done = 0, tlen = 0, n;
	uint8_t i = 1;
	int rc = hmac3(kdf, salt, len, k->key, len, NULL, 0, NULL, 0, prk);

	while (!rc && done < len) {
		rc = hmac3(kdf, prk, sizeof(prk), t, tlen, info, sizeof(info) - 1,
			   &i, 1, t);
		tlen = sizeof(t);
		n = len - done < tlen ? len - done : tlen;
		memcpy(out + done, t, n);
		done += n;
		i++;
	}
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/*
 * Derives salt's subkey (the salt is key_len bytes, as the subkey) and
 * binds it to a->ctx once; each chunk then only resets the IV. The nonce
 * starts again at zero.
 */
static int aead_key(struct ss_aead *a, const struct ss_key *k,
		    EVP_MAC_CTX *kdf, const uint8_t *salt, bool enc)
{
	uint8_t subkey[SS_MAX_KEY];
	int rc = -1;

	memset(a->nonce, 0, sizeof(a->nonce));
	a->enc = enc;
	if (!ss_subkey(kdf, k, salt, subkey) &&
	    EVP_CipherInit_ex(a->ctx, k->cipher, NULL, subkey, NULL, enc) == 1)
		rc = 0;
	OPENSSL_cleanse(subkey, sizeof(subkey));
	return rc;
}

int ss_aead_init(struct ss_aead *a, const struct ss_key *k, EVP_MAC_CTX *kdf,
		 const uint8_t *salt, bool enc)
{
	/* Making the context (digest fetched by name) costs about as much as
	 * the derivation: a thread that keys many does it once. */
	EVP_MAC_CTX *kctx = kdf ? kdf : ss_kdf_new(k);
	int rc = -1;

	memset(a, 0, sizeof(*a));
	a->ctx = EVP_CIPHER_CTX_new();
	if (kctx && a->ctx)
		rc = aead_key(a, k, kctx, salt, enc);
	if (!kdf)
		ss_kdf_free(kctx);
	if (rc)
		ss_aead_free(a);
	return rc;
}

int ss_rekey_init(struct ss_rekey *r, const struct ss_key *k)
{
	memset(r, 0, sizeof(*r));
	r->k = k;
	r->kdf = ss_kdf_new(k);
	r->a.ctx = EVP_CIPHER_CTX_new();
	if (r->kdf && r->a.ctx)
		return 0;
	ss_rekey_free(r);
	return -1;
}

void ss_rekey_free(struct ss_rekey *r)
{
	ss_kdf_free(r->kdf);
	r->kdf = NULL;
	ss_aead_free(&r->a);
}

int ss_rekey(struct ss_rekey *r, const uint8_t *salt, bool enc)
{
	return aead_key(&r->a, r->k, r->kdf, salt, enc);
}

void ss_aead_free(struct ss_aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	a->ctx = NULL;
}

static void nonce_inc(uint8_t *n)
{
	size_t i;

	for (i = 0; i < SS_NONCE_LEN; i++)
		if (++n[i])
			break;
}

int ss_aead_seal(struct ss_aead *a, uint8_t *out, const uint8_t *in, size_t len)
{
	int l1 = 0, l2 = 0;

	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, a->nonce, 1) != 1 ||
	    EVP_CipherUpdate(a->ctx, out, &l1, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(a->ctx, out + l1, &l2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, SS_TAG_LEN,
				out + len) != 1)
		return -1;
	nonce_inc(a->nonce);
	return 0;
}

int ss_aead_open(struct ss_aead *a, uint8_t *out, const uint8_t *in, size_t len)
{
	int l1 = 0, l2 = 0;

	if (len < SS_TAG_LEN)
		return -1;
	len -= SS_TAG_LEN;
	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, a->nonce, 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, SS_TAG_LEN,
				(void *)(in + len)) != 1 ||
	    EVP_CipherUpdate(a->ctx, out, &l1, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(a->ctx, out + l1, &l2) != 1)
		return -1;
	nonce_inc(a->nonce);
	return 0;
}

int ss_random(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

void ss_randpool_init(struct ss_randpool *p)
{
	p->off = sizeof(p->buf);
}

int ss_randpool_get(struct ss_randpool *p, uint8_t *out, size_t len)
{
	if (len > sizeof(p->buf))
		return ss_random(out, len);
	if (sizeof(p->buf) - p->off < len) {
		if (ss_random(p->buf, sizeof(p->buf)))
			return -1;
		p->off = 0;
	}
	memcpy(out, p->buf + p->off, len);
	/* Handed out: nobody else gets these bytes. */
	OPENSSL_cleanse(p->buf + p->off, len);
	p->off += len;
	return 0;
}
