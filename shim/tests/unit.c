// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the pure parts of omr-shim: AEAD framing (known-answer
 * vectors from tests/vectors/aead.txt, derived with python3-cryptography),
 * SOCKS5 and address parsers, target policy, salt filter, configuration.
 * Prints one "ok - name" / "not ok - name" line per test; tests/run.sh
 * numbers them into the TAP stream. `unit --count` prints the test count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include "aead.h"
#include "addr.h"
#include "config.h"
#include "log.h"
#include "saltfilter.h"
#include "socks5.h"
#include "sscodec.h"
#include "sspacket.h"
#include "udpnat.h"
#include "shim.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

static const char *vec_path = "tests/vectors/aead.txt";
static const char *const methods[] = { "chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm" };

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2, i;
	unsigned v;

	if (n > cap)
		return 0;
	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static void sha256_hex(const uint8_t *b, size_t n, char *hex)
{
	uint8_t md[32];
	unsigned l = 0, i;

	EVP_Digest(b, n, md, &l, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(7 * i + 3);
	return p;
}

/* Decrypts ct feeding `step` bytes at a time; returns plaintext length or -1. */
static long dec_all(const struct ss_key *k, const uint8_t *ct, size_t n,
		    size_t step, uint8_t *out, size_t cap)
{
	struct ss_dec d;
	uint8_t buf[SS_MAX_SALT + SS_MAX_CHUNK + 65536];
	size_t have = 0, off = 0, used, prod, total = 0;

	ss_dec_init(&d, k);
	while (off < n || have) {
		size_t take = n - off < step ? n - off : step;

		memcpy(buf + have, ct + off, take);
		have += take;
		off += take;
		if (ss_dec_feed(&d, buf, have, &used, out + total, cap - total,
				&prod) != SS_DEC_OK) {
			ss_dec_free(&d);
			return -1;
		}
		total += prod;
		memmove(buf, buf + used, have - used);
		have -= used;
		if (!take && !used)
			break;
	}
	ss_dec_free(&d);
	return have ? -2 : (long)total;
}

static void t_vectors(void)
{
	FILE *f = fopen(vec_path, "r");
	char method[64], pwhex[256], salthex[80], sha[80], *full = malloc(2048);
	size_t plen;
	int n = 0;

	CHECK(f != NULL);
	if (!f) {
		free(full);
		return;
	}
	while (fscanf(f, "%63s %255s %79s %zu %79s %2047s", method, pwhex, salthex,
		      &plen, sha, full) == 6) {
		uint8_t pw[128] = { 0 }, salt[32], *pt = pattern(plen);
		uint8_t *ct = malloc(plen + 4096), *back = malloc(plen + 1);
		struct ss_key k;
		struct ss_enc e;
		char got[65];
		long len;

		unhex(pwhex, pw, sizeof(pw) - 1);
		unhex(salthex, salt, sizeof(salt));
		CHECK(!ss_key_init(&k, method, (char *)pw));
		CHECK(!ss_enc_init(&e, &k, NULL, salt));
		len = ss_enc_feed(&e, pt, plen, ct);
		CHECK(len > 0 && (size_t)len <= ss_enc_bound(&e, 0) + plen + 3 * SS_CHUNK_OVERHEAD + 32);
		sha256_hex(ct, (size_t)len, got);
		CHECK(!strcmp(got, sha));
		if (strcmp(full, "-")) {
			uint8_t exp[512];

			CHECK(unhex(full, exp, sizeof(exp)) == (size_t)len);
			CHECK(!memcmp(exp, ct, (size_t)len));
		}
		CHECK(dec_all(&k, ct, (size_t)len, 65536, back, plen + 1) == (long)plen);
		CHECK(!memcmp(back, pt, plen));
		CHECK(dec_all(&k, ct, (size_t)len, 1, back, plen + 1) == (long)plen);
		CHECK(!memcmp(back, pt, plen));
		ss_enc_free(&e);
		ss_key_free(&k);
		free(pt);
		free(ct);
		free(back);
		n++;
	}
	fclose(f);
	free(full);
	CHECK(n == 12);
}

static long enc_pattern(const char *m, size_t plen, uint8_t *ct, struct ss_key *k)
{
	struct ss_enc e;
	uint8_t *pt = pattern(plen);
	long len;

	ss_key_init(k, m, "secret");
	ss_enc_init(&e, k, NULL, NULL);
	len = ss_enc_feed(&e, pt, plen, ct);
	ss_enc_free(&e);
	free(pt);
	return len;
}

static void t_tamper(void)
{
	static uint8_t ct[70000], out[70000];
	size_t i;

	for (i = 0; i < 3; i++) {
		struct ss_key k;
		long len = enc_pattern(methods[i], 20000, ct, &k);
		size_t klen = k.m->key_len;
		size_t spots[] = { 0, klen, klen + 1, klen + 2, klen + 17,
				   klen + 18, klen + 18 + 16383 + 15, (size_t)len - 1 };
		size_t j;

		CHECK(dec_all(&k, ct, (size_t)len, 4096, out, sizeof(out)) == 20000);
		for (j = 0; j < sizeof(spots) / sizeof(spots[0]); j++) {
			ct[spots[j]] ^= 0x40;
			CHECK(dec_all(&k, ct, (size_t)len, 4096, out, sizeof(out)) == -1);
			ct[spots[j]] ^= 0x40;
		}
		/* Truncation is not an error for the parser, just incomplete. */
		CHECK(dec_all(&k, ct, (size_t)len - 1, 4096, out, sizeof(out)) == -2);
		ss_key_free(&k);
	}
}

/* A correctly sealed but forbidden length must still be rejected. */
static void t_bad_length(void)
{
	const uint16_t lens[] = { 0, 0x4000, 0xffff };
	size_t i, m;

	for (m = 0; m < 3; m++) {
		for (i = 0; i < 3; i++) {
			struct ss_key k;
			struct ss_aead a;
			uint8_t salt[32] = { 9 }, ct[32 + 18 + 64], out[64];
			uint8_t hdr[2] = { (uint8_t)(lens[i] >> 8), (uint8_t)lens[i] };
			size_t used, prod, kl;

			CHECK(!ss_key_init(&k, methods[m], "pw"));
			kl = k.m->key_len;
			memcpy(ct, salt, kl);
			CHECK(!ss_aead_init(&a, &k, NULL, salt, true));
			CHECK(!ss_aead_seal(&a, ct + kl, hdr, 2));
			struct ss_dec d;

			ss_dec_init(&d, &k);
			CHECK(ss_dec_feed(&d, ct, kl + 18, &used, out, sizeof(out), &prod) == SS_DEC_ERR);
			ss_dec_free(&d);
			ss_aead_free(&a);
			ss_key_free(&k);
		}
	}
}

/* OpenSSL's own HKDF-SHA1 "ss-subkey", the reference for ss_subkey(). */
static int ref_subkey(const struct ss_key *k, const uint8_t *salt, uint8_t *out)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int rc;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA1", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)k->key, k->m->key_len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, "ss-subkey", 9);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, k->m->key_len);
	p[4] = OSSL_PARAM_construct_end();
	rc = c && EVP_KDF_derive(c, out, k->m->key_len, p) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
	return rc;
}

/* ss_subkey() equals OpenSSL's HKDF for random salts and passwords; a
 * thread's prepared context keys exactly as a fresh one, salt after
 * salt; the salt pool hands out distinct bytes past a refill. */
static void t_shared_kdf(void)
{
	static uint8_t seen[100][32];
	struct ss_randpool pool;
	size_t m, i;

	for (m = 0; m < 3; m++) {
		struct ss_key k;
		EVP_MAC_CTX *kdf;

		CHECK(!ss_key_init(&k, methods[m], "pw"));
		CHECK((kdf = ss_kdf_new(&k)) != NULL);
		for (i = 0; i < 200; i++) {
			uint8_t salt[32], mine[32], ref[32];

			CHECK(!ss_random(salt, sizeof(salt)));
			if (i % 50 == 0) {	/* another master key now and then */
				ss_key_free(&k);
				CHECK(!ss_random(salt, 8));
				snprintf((char *)mine, sizeof(mine), "pw%02x%02x", salt[0], salt[1]);
				CHECK(!ss_key_init(&k, methods[m], (char *)mine));
			}
			CHECK(!ss_subkey(kdf, &k, salt, mine));
			CHECK(!ref_subkey(&k, salt, ref));
			CHECK(!memcmp(mine, ref, k.m->key_len));
		}
		for (i = 0; i < 4; i++) {
			uint8_t salt[32] = { (uint8_t)i, 7 }, c1[40], c2[40];
			struct ss_aead a1, a2;

			CHECK(!ss_aead_init(&a1, &k, NULL, salt, true));
			CHECK(!ss_aead_init(&a2, &k, kdf, salt, true));
			CHECK(!ss_aead_seal(&a1, c1, (const uint8_t *)"payload", 8));
			CHECK(!ss_aead_seal(&a2, c2, (const uint8_t *)"payload", 8));
			CHECK(!memcmp(c1, c2, 8 + SS_TAG_LEN));
			ss_aead_free(&a1);
			ss_aead_free(&a2);
		}
		ss_kdf_free(kdf);
		ss_key_free(&k);
	}
	ss_randpool_init(&pool);
	for (i = 0; i < 100; i++) {	/* 3200 bytes: past one refill */
		size_t j;

		CHECK(!ss_randpool_get(&pool, seen[i], 32));
		for (j = 0; j < i; j++)
			CHECK(memcmp(seen[i], seen[j], 32));
	}
}

static void t_roundtrip(void)
{
	static uint8_t ct[200000], out[200000];
	const size_t sizes[] = { 1, 2, 16382, 16383, 16384, 32766, 65536, 100000 };
	size_t m, i;

	for (m = 0; m < 3; m++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct ss_key k;
			long len = enc_pattern(methods[m], sizes[i], ct, &k);
			uint8_t *pt = pattern(sizes[i]);

			CHECK(dec_all(&k, ct, (size_t)len, 777, out, sizeof(out)) == (long)sizes[i]);
			CHECK(!memcmp(out, pt, sizes[i]));
			free(pt);
			ss_key_free(&k);
		}
}

static void t_keys(void)
{
	struct ss_key k;

	CHECK(ss_key_init(&k, "rc4-md5", "pw") == -1);
	CHECK(ss_key_init(&k, "", "pw") == -1);
	CHECK(ss_method_find("aes-192-gcm") == NULL);
	CHECK(!ss_key_init(&k, "aes-128-gcm", "") && k.m->key_len == 16);
	ss_key_free(&k);
}

/* Every strict prefix of a valid message must ask for more, never fail. */
static void prefixes_need_more(const uint8_t *b, size_t n, int kind)
{
	size_t i, used;
	uint8_t m;
	struct s5_auth a;
	struct s5_request r;
	int rep;

	for (i = 0; i < n; i++) {
		int ret = kind == 0 ? s5_parse_greeting(b, i, &used, false, &m)
			: kind == 1 ? s5_parse_auth(b, i, &used, &a)
			: s5_parse_request(b, i, &used, &r, &rep);
		CHECK(ret == P_NEED_MORE);
	}
}

static void t_s5_greeting(void)
{
	const uint8_t ok[] = { 5, 2, 0, 2 }, only_up[] = { 5, 1, 2 };
	const uint8_t bad_ver[] = { 4, 1, 0 }, zero[] = { 5, 0 }, http[] = "GET / HTTP/1.1";
	size_t used = 0;
	uint8_t m;

	CHECK(s5_parse_greeting(ok, sizeof(ok), &used, false, &m) == P_OK && m == 0 && used == 4);
	CHECK(s5_parse_greeting(ok, sizeof(ok), &used, true, &m) == P_OK && m == 2);
	CHECK(s5_parse_greeting(only_up, 3, &used, false, &m) == P_OK && m == 0xff);
	CHECK(s5_parse_greeting(bad_ver, 3, &used, false, &m) == P_ERR);
	CHECK(s5_parse_greeting(zero, 2, &used, false, &m) == P_ERR);
	CHECK(s5_parse_greeting(http, sizeof(http), &used, false, &m) == P_ERR);
	prefixes_need_more(ok, sizeof(ok), 0);
}

static void t_s5_auth(void)
{
	const uint8_t ok[] = { 1, 3, 'b', 'o', 'b', 2, 'p', 'w' };
	const uint8_t empty_pw[] = { 1, 1, 'u', 0 };
	const uint8_t bad_ver[] = { 5, 1, 'u', 1, 'p' }, zero_user[] = { 1, 0, 1, 'p' };
	struct s5_auth a;
	size_t used = 0;

	CHECK(s5_parse_auth(ok, sizeof(ok), &used, &a) == P_OK && used == 8 &&
	      a.ulen == 3 && !memcmp(a.user, "bob", 3) && a.plen == 2);
	CHECK(s5_parse_auth(empty_pw, 4, &used, &a) == P_OK && a.plen == 0);
	CHECK(s5_parse_auth(bad_ver, sizeof(bad_ver), &used, &a) == P_ERR);
	CHECK(s5_parse_auth(zero_user, sizeof(zero_user), &used, &a) == P_ERR);
	prefixes_need_more(ok, sizeof(ok), 1);
}

static void t_s5_request_ok(void)
{
	const uint8_t v4[] = { 5, 1, 0, 1, 93, 184, 216, 34, 0, 80, 'x', 'y' };
	const uint8_t v6[] = { 5, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
			       0, 0, 0, 1, 1, 0xbb };
	const uint8_t dom[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.',
				'o', 'r', 'g', 0x1f, 0x90 };
	const uint8_t bind[] = { 5, 2, 0, 1, 1, 2, 3, 4, 0, 1 };
	struct s5_request r;
	size_t used = 0;
	int rep;
	char s[300];

	CHECK(s5_parse_request(v4, sizeof(v4), &used, &r, &rep) == P_OK && used == 10);
	ss_addr_format(&r.dst, s, sizeof(s));
	CHECK(!strcmp(s, "93.184.216.34:80") && r.cmd == S5_CMD_CONNECT);
	CHECK(s5_parse_request(v6, sizeof(v6), &used, &r, &rep) == P_OK && used == 22);
	ss_addr_format(&r.dst, s, sizeof(s));
	CHECK(!strcmp(s, "[2001:db8::1]:443"));
	CHECK(s5_parse_request(dom, sizeof(dom), &used, &r, &rep) == P_OK && used == sizeof(dom));
	ss_addr_format(&r.dst, s, sizeof(s));
	CHECK(!strcmp(s, "example.org:8080") && r.dst.host[11] == 0);
	CHECK(s5_parse_request(bind, sizeof(bind), &used, &r, &rep) == P_OK && r.cmd == 2);
	prefixes_need_more(v4, 10, 2);
	prefixes_need_more(v6, sizeof(v6), 2);
	prefixes_need_more(dom, sizeof(dom), 2);
}

/* Peer text in the log: only printable ASCII comes out, reversibly. */
static void t_log_escape(void)
{
	const uint8_t dom[] = { 5, 1, 0, 3, 9, 'a', '\n', 'b', 0x1b, '[', '\\', 'c', 0x80, 0xff,
				0, 80 };
	uint8_t all[256];
	char s[SS_ADDR_STRLEN], small[6];
	struct s5_request r;
	size_t used = 0, i;
	int rep;

	CHECK(s5_parse_request(dom, sizeof(dom), &used, &r, &rep) == P_OK);
	ss_addr_format(&r.dst, s, sizeof(s));
	CHECK(!strcmp(s, "a\\x0ab\\x1b[\\x5cc\\x80\\xff:80"));
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	log_escape(s, sizeof(s), all, sizeof(all));
	CHECK(strlen(s) == 94 + 162 * 4);	/* backslash is escaped too */
	for (i = 0; s[i]; i++)
		CHECK(s[i] >= 0x20 && s[i] < 0x7f);
	/* Truncation never splits an escape and always terminates. */
	CHECK(!strcmp(log_escape(small, sizeof(small), "ab\n", 3), "ab"));
	CHECK(!strcmp(log_escape(small, sizeof(small), "\n\n", 2), "\\x0a"));
	CHECK(!strcmp(log_escape(small, 1, "x", 1), ""));
}

static void t_s5_request_bad(void)
{
	const uint8_t bad_ver[] = { 4, 1, 0, 1, 1, 2, 3, 4, 0, 80 };
	const uint8_t bad_atyp[] = { 5, 1, 0, 9, 1, 2, 3, 4, 0, 80 };
	const uint8_t zero_dom[] = { 5, 1, 0, 3, 0, 0, 80 };
	const uint8_t nul_dom[] = { 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80 };
	uint8_t big[3 + 2 + 255 + 2 + 100];
	struct s5_request r;
	size_t used = 0;
	int rep;

	CHECK(s5_parse_request(bad_ver, sizeof(bad_ver), &used, &r, &rep) == P_ERR && rep == S5_REP_NONE);
	CHECK(s5_parse_request(bad_atyp, sizeof(bad_atyp), &used, &r, &rep) == P_ERR && rep == S5_REP_ATYP_UNSUPP);
	CHECK(s5_parse_request(zero_dom, sizeof(zero_dom), &used, &r, &rep) == P_ERR && rep == S5_REP_FAIL);
	CHECK(s5_parse_request(nul_dom, sizeof(nul_dom), &used, &r, &rep) == P_ERR && rep == S5_REP_FAIL);
	/* Longest legal name (255) followed by extra bytes: exact length used. */
	memset(big, 'a', sizeof(big));
	big[0] = 5; big[1] = 1; big[2] = 0; big[3] = 3; big[4] = 255;
	CHECK(s5_parse_request(big, sizeof(big), &used, &r, &rep) == P_OK &&
	      used == 3 + 2 + 255 + 2 && r.dst.hlen == 255);
	prefixes_need_more(big, 3 + 2 + 255 + 2, 2);
}

static void t_s5_reply(void)
{
	uint8_t r[S5_REPLY_LEN];
	const uint8_t exp[] = { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 };

	CHECK(s5_build_reply(r, S5_REP_CMD_UNSUPP) == 10 && !memcmp(r, exp, 10));
}

static void t_addr_roundtrip(void)
{
	const uint8_t in[] = { 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x1f, 0x90 };
	uint8_t out[SS_ADDR_MAX];
	struct ss_addr a;
	size_t used = 0;
	int why;

	CHECK(ss_addr_parse(in, sizeof(in), &used, &a, &why) == P_OK && used == sizeof(in));
	CHECK(ss_addr_encode(&a, out) == sizeof(in) && !memcmp(in, out, sizeof(in)));
	CHECK(ss_addr_parse((const uint8_t *)"\x02", 1, &used, &a, &why) == P_ERR && why == ADDR_ERR_ATYP);
	CHECK(ss_addr_parse((const uint8_t *)"\x03\x00", 2, &used, &a, &why) == P_ERR && why == ADDR_ERR_DOMAIN);
}

static struct sockaddr_storage sa_of(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s->sin6_addr);
	} else {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s->sin_addr);
	}
	return ss;
}

static void t_policy(void)
{
	const char *internal[] = { "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1", "fd00::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "100.64.0.1", "224.0.0.1" };
	const char *external[] = { "93.184.216.34", "172.32.0.1", "1.1.1.1", "2001:4860::8888",
		"::ffff:8.8.8.8", "11.0.0.1" };
	struct cidr allow[2];
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(internal) / sizeof(*internal); i++) {
		ss = sa_of(internal[i]);
		CHECK(target_is_internal((struct sockaddr *)&ss));
		CHECK(!target_allowed(NULL, 0, (struct sockaddr *)&ss));
	}
	for (i = 0; i < sizeof(external) / sizeof(*external); i++) {
		ss = sa_of(external[i]);
		CHECK(target_allowed(NULL, 0, (struct sockaddr *)&ss));
	}
	CHECK(!cidr_parse("127.0.0.0/8", &allow[0]) && !cidr_parse("fd00::/8", &allow[1]));
	ss = sa_of("127.5.5.5");
	CHECK(target_allowed(allow, 2, (struct sockaddr *)&ss));
	ss = sa_of("fd12::1");
	CHECK(target_allowed(allow, 2, (struct sockaddr *)&ss));
	ss = sa_of("10.0.0.1");
	CHECK(!target_allowed(allow, 2, (struct sockaddr *)&ss));
	CHECK(cidr_parse("1.2.3.4/33", &allow[0]) == -1);
	CHECK(cidr_parse("1.2.3.4/", &allow[0]) == -1);
	CHECK(cidr_parse("nonsense", &allow[0]) == -1);
	CHECK(cidr_parse("::1/129", &allow[0]) == -1);
	CHECK(!cidr_parse("::1", &allow[0]) && allow[0].plen == 128);
}

static void t_saltfilter(void)
{
	struct salt_filter f;
	uint8_t s[32] = { 0 };
	unsigned i;

	CHECK(!salt_filter_init(&f, 100));
	CHECK(!salt_filter_check_add(&f, s, 32));
	CHECK(salt_filter_check_add(&f, s, 32));
	for (i = 1; i < 150; i++) {
		memcpy(s, &i, sizeof(i));
		CHECK(!salt_filter_check_add(&f, s, 32));
	}
	memset(s, 0, sizeof(s));
	CHECK(salt_filter_check_add(&f, s, 32));	/* still in the old generation */
	for (i = 1000; i < 1300; i++) {
		memcpy(s, &i, sizeof(i));
		salt_filter_check_add(&f, s, 32);
	}
	memset(s, 0, sizeof(s));
	CHECK(!salt_filter_check_add(&f, s, 32));	/* aged out */
	salt_filter_free(&f);
}

static int cfg_json(struct shim_config *c, const char *json, char *err)
{
	config_defaults(c);
	return config_parse_json(c, json, strlen(json), err, CFG_ERR_LEN);
}

static void t_config_ok(void)
{
	const char *libev = "{\"server\":[\"198.51.100.7\",\"::\"],\"server_port\":\"8388\","
		"\"local_address\":\"0.0.0.0\",\"local_port\":1080,\"password\":\"p4ss\","
		"\"method\":\"aes-256-gcm\",\"timeout\":600,\"mptcp\":false,\"fast_open\":true,"
		"\"mode\":\"tcp_only\",\"reuse_port\":true,\"no_delay\":true}";
	struct shim_config c;
	char err[CFG_ERR_LEN] = "";

	CHECK(!cfg_json(&c, libev, err));
	CHECK(c.nserver == 2 && !strcmp(c.server[1], "::") && c.server_port == 8388);
	CHECK(c.local_port == 1080 && c.timeout == 600 && !c.mptcp);
	CHECK(!strcmp(c.method, "aes-256-gcm") && !strcmp(c.password, "p4ss"));
	c.role = ROLE_LOCAL;
	CHECK(!config_validate(&c, err, sizeof(err)));
	CHECK(!cfg_json(&c, "{\"server\":\"h\",\"allow\":[\"127.0.0.0/8\",\"::1\"],"
		       "\"workers\":3,\"socks_username\":\"u\",\"socks_password\":\"p\"}", err));
	CHECK(c.nallow == 2 && c.workers == 3 && !strcmp(c.socks_user, "u"));
}

static void t_config_bad(void)
{
	static const char *const bad[] = {
		"", "{", "[]", "\"x\"", "{\"server_port\":0}", "{\"server_port\":65536}",
		"{\"server_port\":\"80a\"}", "{\"server_port\":-1}", "{\"server_port\":true}",
		"{\"local_port\":\"\"}", "{\"timeout\":0}", "{\"timeout\":\"abc\"}",
		"{\"mptcp\":\"yes\"}", "{\"password\":\"\"}", "{\"password\":5}",
		"{\"server\":5}", "{\"server\":[1]}", "{\"server\":\"\"}", "{\"allow\":\"10.0.0.0/40\"}",
		"{\"allow\":[\"x\"]}", "{\"plugin\":\"obfs-local\"}", "{\"mode\":\"udp\"}", "{\"mode\":1}",
		"{\"bogus_key\":1}", "{\"workers\":0}", "{\"workers\":65}", "{} trailing",
		"{\"a\":1}{}", "{\"key\":\"abc\"}",
		"{\"method\":\"\"}", "{\"local_address\":[]}", "{\"nofile\":1}",
	};
	struct shim_config c;
	char err[CFG_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = 0;
		if (cfg_json(&c, bad[i], err) != -1 || !err[0]) {
			fprintf(stderr, "# accepted bad config: %s\n", bad[i]);
			failures++;
		}
	}
	CHECK(config_parse_json(&c, "{\"a\0\":1}", 8, err, sizeof(err)) == -1);
}

/* Strict JSON: what the docs call malformed is rejected. */
static void t_config_strict(void)
{
	static const char *const bad[] = {
		"{\"server_port\":8388,}", "{'server_port':8388}",
		"{\"server_port\":8388 /* c */}", "{\"server_port\":8388 // c\n}",
		"{\"server_port\":[8388,]}",
	};
	struct shim_config c;
	char err[CFG_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = 0;
		if (cfg_json(&c, bad[i], err) != -1 || !strstr(err, "invalid JSON")) {
			fprintf(stderr, "# accepted lenient JSON: %s (%s)\n", bad[i], err);
			failures++;
		}
	}
	CHECK(!cfg_json(&c, " {\"server_port\": 8388}\n", err));
}

/* libev keys the shim does not implement are refused by name, not ignored. */
static void t_config_unsupported(void)
{
	static const char *const bad[][2] = {
		{ "{\"acl\":\"/etc/x.acl\"}", "\"acl\"" },
		{ "{\"nameserver\":\"1.1.1.1\"}", "\"nameserver\"" },
		{ "{\"ipv6_first\":true}", "\"ipv6_first\"" },
		{ "{\"local_ipv4_address\":\"1.2.3.4\"}", "\"local_ipv4_address\"" },
		{ "{\"user\":5}", "\"user\"" },
		{ "{\"user\":\"\"}", "\"user\"" },
	};
	struct shim_config c;
	char err[CFG_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = 0;
		if (cfg_json(&c, bad[i][0], err) != -1 || !strstr(err, bad[i][1])) {
			fprintf(stderr, "# %s: \"%s\", want %s\n", bad[i][0], err, bad[i][1]);
			failures++;
		}
	}
	/* The values that mean what the shim does anyway stay accepted. */
	CHECK(!cfg_json(&c, "{\"ipv6_first\":false,\"mode\":\"tcp_only\",\"reuse_port\":true}", err));
	CHECK(!cfg_json(&c, "{\"user\":\"nobody\"}", err));
}

/* Flags override the file: a list flag replaces the file's list. */
static void t_cli_override(void)
{
	struct shim_config c;
	char err[CFG_ERR_LEN], path[] = "/tmp/omrshim-unit-XXXXXX";
	char *a1[] = { "local", "-c", path, "-s", "127.0.0.1", NULL };
	char *a2[] = { "server", "-s", "127.0.0.3", "-c", path, "--allow", "10.0.0.1", NULL };
	char *a3[] = { "local", "-c", path, "--delay", NULL };
	char *a4[] = { "local", "-c", path, NULL };
	const char *js = "{\"server\":[\"127.0.0.2\",\"::2\"],\"allow\":\"10.9.0.0/16\","
			 "\"no_delay\":true}";
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, js, strlen(js)) == (ssize_t)strlen(js));
	if (fd >= 0)
		close(fd);
	config_defaults(&c);
	CHECK(!config_parse_args(&c, 5, a1, err, sizeof(err)));
	CHECK(c.nserver == 1 && !strcmp(c.server[0], "127.0.0.1"));
	config_defaults(&c);
	CHECK(!config_parse_args(&c, 7, a2, err, sizeof(err)));
	CHECK(c.nserver == 1 && !strcmp(c.server[0], "127.0.0.3") && c.nallow == 1 &&
	      c.allow[0].plen == 32);
	config_defaults(&c);
	CHECK(!config_parse_args(&c, 4, a3, err, sizeof(err)) && !c.no_delay);
	config_defaults(&c);
	CHECK(!config_parse_args(&c, 3, a4, err, sizeof(err)) && c.nserver == 2 &&
	      c.no_delay);
	unlink(path);
}

static void t_config_validate(void)
{
	struct shim_config c;
	char err[CFG_ERR_LEN];

	CHECK(!cfg_json(&c, "{\"server_port\":1,\"password\":\"x\",\"method\":\"rc4\"}", err));
	c.role = ROLE_SERVER;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "method"));
	CHECK(!cfg_json(&c, "{\"server_port\":1}", err));
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "password"));
	CHECK(!cfg_json(&c, "{\"server_port\":1,\"password\":\"x\"}", err));
	c.role = ROLE_LOCAL;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "server"));
	CHECK(!cfg_json(&c, "{\"server_port\":1,\"password\":\"x\",\"socks_username\":\"u\"}", err));
	c.role = ROLE_SERVER;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "socks"));
	CHECK(!cfg_json(&c, "{\"server_port\":1,\"password\":\"x\"}", err));
	CHECK(!config_validate(&c, err, sizeof(err)) && c.nserver == 1);
}

static void t_cli(void)
{
	struct shim_config c;
	char err[CFG_ERR_LEN];
	char *good[] = { "server", "-s", "::", "-p", "8388", "-k", "pw", "--allow",
			 "127.0.0.0/8", "--no-mptcp", "-w", "2", NULL };
	char *bad1[] = { "local", "-p", "99999", NULL };
	char *bad2[] = { "local", "--workers", "two", NULL };
	char *bad3[] = { "local", "--frobnicate", NULL };
	char *bad4[] = { "local", "-k", NULL };
	char *bad5[] = { "local", "-c", "/nonexistent/omr.json", NULL };
	char *bad6[] = { "local", "--allow", "300.1.1.1", NULL };
	char *bad7[] = { "local", "stray", NULL };

	config_defaults(&c);
	CHECK(!config_parse_args(&c, 12, good, err, sizeof(err)));
	CHECK(c.server_port == 8388 && !c.mptcp && c.workers == 2 && c.nallow == 1);
	config_defaults(&c);
	CHECK(config_parse_args(&c, 3, bad1, err, sizeof(err)) == -1 && strstr(err, "--server-port"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 3, bad2, err, sizeof(err)) == -1 && strstr(err, "--workers"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 2, bad3, err, sizeof(err)) == -1 && strstr(err, "unknown option"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 2, bad4, err, sizeof(err)) == -1 && strstr(err, "needs a value"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 3, bad5, err, sizeof(err)) == -1 && strstr(err, "No such file"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 3, bad6, err, sizeof(err)) == -1 && strstr(err, "allow"));
	config_defaults(&c);
	CHECK(config_parse_args(&c, 2, bad7, err, sizeof(err)) == -1 && strstr(err, "unexpected"));
}

/* SIP004 UDP: python3-cryptography's packets for salt 00 01 02 ... */
static void t_packet_vectors(void)
{
	static const char *const want[] = {
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f11ca2f2de966bc93470dbe762a1c1d56b683b8c37b45b716e3bbcdb8b72f",
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f416f8cab5ea14280702bf6282969e5ec7bf76e2c902c45ccadfe1d0c6018",
		"000102030405060708090a0b0c0d0e0f80e177839d54f363ffe89eff2bb416d62bd40fcdedd7ea40160a9e59e0f7",
	};
	static const uint8_t pt[] = { 1, 127, 0, 0, 1, 0x1f, 0x90, 'o', 'm', 'r', '-', 'u', 'd', 'p' };
	uint8_t salt[32], exp[128], out[128], back[128];
	struct ss_rekey r;
	struct ss_key k;
	size_t i, n;

	for (i = 0; i < 32; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < 3; i++) {
		CHECK(!ss_key_init(&k, methods[i], "omr-test-password"));
		CHECK(!ss_rekey_init(&r, &k));
		n = unhex(want[i], exp, sizeof(exp));
		CHECK(ss_packet_seal(&r, salt, pt, sizeof(pt), out) == (long)n);
		CHECK(!memcmp(out, exp, n));
		CHECK(ss_packet_open(&r, exp, n, back) == (long)sizeof(pt));
		CHECK(!memcmp(back, pt, sizeof(pt)));
		ss_rekey_free(&r);
		ss_key_free(&k);
	}
}

/* Every flipped bit, every truncation, a wrong key: refused. */
static void t_packet_tamper(void)
{
	uint8_t pt[40], pkt[128], back[128];
	struct ss_key k, other;
	struct ss_rekey r, ro;	/* one context each, reused after every refusal */
	size_t i, b;
	long n;

	memset(pt, 0x5a, sizeof(pt));
	CHECK(!ss_key_init(&k, "aes-256-gcm", "pw"));
	CHECK(!ss_key_init(&other, "aes-256-gcm", "pw2"));
	CHECK(!ss_rekey_init(&r, &k) && !ss_rekey_init(&ro, &other));
	n = ss_packet_seal(&r, NULL, pt, sizeof(pt), pkt);
	CHECK(n == (long)(sizeof(pt) + ss_packet_overhead(&k)));
	CHECK(ss_packet_open(&r, pkt, (size_t)n, back) == (long)sizeof(pt));
	CHECK(ss_packet_open(&ro, pkt, (size_t)n, back) == -1);
	for (i = 0; i < (size_t)n; i++) {
		for (b = 0; b < 8; b += 7) {
			pkt[i] ^= (uint8_t)(1 << b);
			CHECK(ss_packet_open(&r, pkt, (size_t)n, back) == -1);
			pkt[i] ^= (uint8_t)(1 << b);
		}
	}
	for (i = 0; i < (size_t)n; i++)
		CHECK(ss_packet_open(&r, pkt, i, back) == -1);
	/* No payload at all is refused even with a valid tag (libev does). */
	n = ss_packet_seal(&r, NULL, pt, 0, pkt);
	CHECK(n == (long)ss_packet_overhead(&k) && ss_packet_open(&r, pkt, (size_t)n, back) == -1);
	/* After all those refusals the same context still opens a good one. */
	n = ss_packet_seal(&r, NULL, pt, sizeof(pt), pkt);
	CHECK(ss_packet_open(&r, pkt, (size_t)n, back) == (long)sizeof(pt) &&
	      !memcmp(back, pt, sizeof(pt)));
	ss_rekey_free(&r);
	ss_rekey_free(&ro);
	ss_key_free(&k);
	ss_key_free(&other);
}

static void nat_sa(struct sockaddr_in *sa, int i)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(0x7f000001);
	sa->sin_port = htons((uint16_t)(1000 + i));
}

/* Hash lookup by (ip, port), LRU order, removal. */
static void t_nat(void)
{
	struct nat_link l[40];
	struct udp_nat n;
	struct sockaddr_in sa;
	struct sockaddr_in6 s6;
	struct nat_key k;
	int i;

	CHECK(!nat_init(&n, 32));
	for (i = 0; i < 40; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		nat_sa(&sa, i);
		nat_key(&l[i].key, (struct sockaddr *)&sa);
		nat_insert(&n, &l[i], i);
	}
	CHECK(n.count == 40 && nat_oldest(&n) == &l[0]);
	for (i = 0; i < 40; i++) {
		nat_sa(&sa, i);
		nat_key(&k, (struct sockaddr *)&sa);
		CHECK(nat_find(&n, &k) == &l[i]);
	}
	/* The same IPv4 address as IPv4-mapped IPv6 is the same client. */
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	s6.sin6_port = htons(1005);
	nat_key(&k, (struct sockaddr *)&s6);
	CHECK(nat_find(&n, &k) == &l[5]);
	nat_touch(&n, &l[0], 100);
	CHECK(nat_oldest(&n) == &l[1] && n.head == &l[0] && l[0].last == 100);
	for (i = 1; i < 40; i += 2)
		nat_remove(&n, &l[i]);
	CHECK(n.count == 20 && nat_oldest(&n) == &l[2]);
	nat_sa(&sa, 3);
	nat_key(&k, (struct sockaddr *)&sa);
	CHECK(!nat_find(&n, &k));
	for (i = 0; i < 40; i += 2)
		nat_remove(&n, &l[i]);
	CHECK(n.count == 0 && !nat_oldest(&n) && !n.head);
	nat_free(&n);
}

/* mode, -u and -U; udp_only is for the server. */
/* Config "base" plus extra keys (each a "key":value, with its leading comma). */
static int cfg_reload_json(struct shim_config *c, const char *servers,
			   const char *extra, char *err)
{
	char json[512];

	snprintf(json, sizeof(json),
		 "{\"server\":%s,\"server_port\":8388,\"password\":\"p\",\"timeout\":60%s}",
		 servers, extra);
	return cfg_json(c, json, err);
}

/* A reload: what differs is applied if the option table lets it, else named. */
static void t_config_reload(void)
{
	static const struct {
		const char *servers, *extra, *key;
	} restart[] = {
		{ "[\"h1\",\"h3\"]", "", "server" },
		{ "\"h1\"", "", "server" },
		{ "[\"h1\",\"h2\"]", ",\"server_port\":1", "server_port" },
		{ "[\"h1\",\"h2\"]", ",\"password\":\"q\"", "password" },
		{ "[\"h1\",\"h2\"]", ",\"mode\":\"tcp_and_udp\"", "mode" },
		{ "[\"h1\",\"h2\"]", ",\"quic\":\"relay\"", "quic" },
		{ "[\"h1\",\"h2\"]", ",\"udp_max_associations\":9", "udp_max_associations" },
	};
	static struct shim_config a, b;
	char err[CFG_ERR_LEN];
	const char *key;
	size_t i;

	CHECK(!cfg_reload_json(&a, "[\"h1\",\"h2\"]", "", err));
	/* Reloadable options only: all applied. */
	CHECK(!cfg_reload_json(&b, "[\"h1\",\"h2\"]",
			       ",\"max_connections\":1,\"allow\":[\"10.0.0.0/8\",\"::1\"],"
			       "\"socks_username\":\"u\",\"socks_password\":\"v\",\"log_level\":3,"
			       "\"udp_timeout\":5,\"no_delay\":false,\"handshake_timeout\":4", err));
	b.timeout = 30;
	CHECK(!config_restart_key(&a, &b));
	config_reload(&a, &b);
	CHECK(a.timeout == 30 && a.max_conn == 1 && a.handshake_timeout == 4 && !a.no_delay &&
	      a.log_level == 3 && a.udp_timeout == 5 && !strcmp(a.socks_user, "u") &&
	      !strcmp(a.socks_pass, "v") && a.nallow == 2 &&
	      !memcmp(a.allow, b.allow, 2 * sizeof(a.allow[0])));
	CHECK(!memcmp(&a, &b, sizeof(a)));
	for (i = 0; i < sizeof(restart) / sizeof(restart[0]); i++) {
		CHECK(!cfg_reload_json(&b, restart[i].servers, restart[i].extra, err));
		key = config_restart_key(&a, &b);
		CHECK(key && !strcmp(key, restart[i].key));
	}
	memcpy(&b, &a, sizeof(b));
	b.workers = a.workers % 64 + 1;
	key = config_restart_key(&a, &b);
	CHECK(key && !strcmp(key, "workers"));
}

static void t_config_udp(void)
{
	char *loc[] = { "local", "-u", "-s", "1.2.3.4", "-p", "1", "-k", "x" };
	char *srv[] = { "server", "-U", "-p", "1", "-k", "x", "--udp-timeout", "7" };
	struct shim_config c;
	char err[CFG_ERR_LEN];

	CHECK(!cfg_json(&c, "{\"mode\":\"tcp_and_udp\"}", err) && c.mode == MODE_TCP_AND_UDP);
	CHECK(!cfg_json(&c, "{\"mode\":\"udp_only\",\"udp_max_associations\":4}", err) &&
	      c.mode == MODE_UDP_ONLY && c.udp_max == 4);
	config_defaults(&c);
	c.role = ROLE_LOCAL;
	CHECK(!config_parse_args(&c, 8, loc, err, sizeof(err)) && c.mode == MODE_TCP_AND_UDP);
	CHECK(!config_validate(&c, err, sizeof(err)) && cfg_udp_timeout(&c) == c.timeout);
	c.mode = MODE_UDP_ONLY;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "udp_only"));
	config_defaults(&c);
	c.role = ROLE_SERVER;
	CHECK(!config_parse_args(&c, 8, srv, err, sizeof(err)) && c.mode == MODE_UDP_ONLY);
	CHECK(!config_validate(&c, err, sizeof(err)) && cfg_udp_timeout(&c) == 7 && c.udp_max == 512);
	/* quic: the server takes none (its default stays unset) */
	CHECK(c.quic == QUIC_UNSET && !cfg_block_quic(&c));
	c.quic = QUIC_BLOCK;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "local and redir options"));
	c.quic = QUIC_RELAY;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "local and redir options"));
	CHECK(!cfg_json(&c, "{\"quic\":\"block\",\"udp_fwmark\":7}", err) && cfg_block_quic(&c) &&
	      c.udp_fwmark == 7);
	CHECK(!cfg_json(&c, "{\"quic\":\"relay\"}", err) && c.quic == QUIC_RELAY);
	CHECK(cfg_json(&c, "{\"quic\":\"drop\"}", err) == -1 && strstr(err, "quic"));
	/* local: block by default (measured, docs/shim.md "QUIC"); the flags */
	config_defaults(&c);
	c.role = ROLE_LOCAL;
	CHECK(!config_parse_args(&c, 8, loc, err, sizeof(err)) && !config_validate(&c, err, sizeof(err)) &&
	      c.quic == QUIC_BLOCK && cfg_block_quic(&c));
	{
		char *rq[] = { "local", "-u", "-s", "1.2.3.4", "-p", "1", "-k", "x", "--relay-quic" };
		char *bq[] = { "local", "-u", "-s", "1.2.3.4", "-p", "1", "-k", "x", "--block-quic" };

		config_defaults(&c);
		c.role = ROLE_LOCAL;
		CHECK(!config_parse_args(&c, 9, rq, err, sizeof(err)) &&
		      !config_validate(&c, err, sizeof(err)) && c.quic == QUIC_RELAY && !cfg_block_quic(&c));
		config_defaults(&c);
		c.role = ROLE_LOCAL;
		CHECK(!config_parse_args(&c, 9, bq, err, sizeof(err)) &&
		      !config_validate(&c, err, sizeof(err)) && cfg_block_quic(&c));
	}
}

/* The redir role's keys and flags (ss-redir's -T / "tcp_tproxy", -n). */
static void t_redir_config(void)
{
	struct shim_config c;
	char err[CFG_ERR_LEN];
	char *cli[] = { "redir", "-s", "198.51.100.7", "-p", "8388", "-k", "pw", "-T",
			"-n", "4096", "-l", "1100", NULL };

	CHECK(!cfg_json(&c, "{\"server\":\"h\",\"server_port\":1,\"password\":\"x\","
		       "\"tcp_tproxy\":true}", err));
	c.role = ROLE_REDIR;
	CHECK(c.tcp_tproxy && !config_validate(&c, err, sizeof(err)));
	/* REDIRECT sends to the LAN interface's address: not loopback. */
	CHECK(!strcmp(c.local_address, "0.0.0.0") && c.local_port == 1080);
	c.role = ROLE_LOCAL;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "tcp_tproxy"));
	CHECK(!cfg_json(&c, "{\"server_port\":1,\"password\":\"x\"}", err));
	c.role = ROLE_REDIR;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "server"));
	CHECK(cfg_json(&c, "{\"tcp_tproxy\":1}", err) == -1 && strstr(err, "tcp_tproxy"));
	config_defaults(&c);
	c.role = ROLE_REDIR;
	CHECK(!config_parse_args(&c, 12, cli, err, sizeof(err)) &&
	      !config_validate(&c, err, sizeof(err)));
	CHECK(c.tcp_tproxy && c.nofile == 4096 && c.local_port == 1100 && c.nserver == 1);
	/* Transparent UDP (TPROXY): ss-redir's -u / "mode", with udp_fwmark and quic. */
	CHECK(!cfg_json(&c, "{\"server\":\"h\",\"server_port\":1,\"password\":\"x\","
		       "\"mode\":\"tcp_and_udp\",\"udp_fwmark\":7,\"quic\":\"block\"}", err));
	c.role = ROLE_REDIR;
	CHECK(!config_validate(&c, err, sizeof(err)) && cfg_udp(&c) && cfg_block_quic(&c));
	c.role = ROLE_SERVER;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "udp_fwmark"));
	CHECK(!cfg_json(&c, "{\"server\":\"h\",\"server_port\":1,\"password\":\"x\","
		       "\"mode\":\"udp_only\"}", err));
	c.role = ROLE_REDIR;
	CHECK(!config_validate(&c, err, sizeof(err)) && !cfg_tcp(&c) && cfg_block_quic(&c));
	c.role = ROLE_LOCAL;
	CHECK(config_validate(&c, err, sizeof(err)) == -1 && strstr(err, "udp_only"));
}

/*
 * Original destination without a firewall: with TPROXY it is the accepted
 * socket's local address, refused (ELOOP) when that is our own port;
 * with REDIRECT a connection that no NAT rule touched is refused
 * (ENOENT: not tracked, or ELOOP: tracked, its destination us).
 */
static void t_redir_orig_dst(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_storage d;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), cl = socket(AF_INET, SOCK_STREAM, 0), s = -1;
	int port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(l >= 0 && cl >= 0);
	if (l < 0 || cl < 0) {
		if (l >= 0)
			close(l);
		if (cl >= 0)
			close(cl);
		return;
	}
	CHECK(!bind(l, (struct sockaddr *)&a, sizeof(a)) && !listen(l, 1));
	CHECK(!getsockname(l, (struct sockaddr *)&a, &len));
	port = ntohs(a.sin_port);
	CHECK(!connect(cl, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	errno = 0;
	CHECK(redir_orig_dst(s, true, port, &d) == -1 && errno == ELOOP);
	CHECK(!redir_orig_dst(s, true, port + 1, &d) && d.ss_family == AF_INET);
	CHECK(((struct sockaddr_in *)&d)->sin_port == a.sin_port &&
	      ((struct sockaddr_in *)&d)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	errno = 0;
	CHECK(redir_orig_dst(s, false, port + 1, &d) == -1 &&
	      (errno == ENOENT || errno == ELOOP));
	CHECK(redir_orig_dst(-1, false, port, &d) == -1 && errno == EBADF);
	close(s);
	close(cl);
	close(l);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "unit: AEAD known-answer vectors (python3-cryptography), 3 ciphers", t_vectors },
	{ "unit: AEAD tampered salt/length/payload/tag rejected", t_tamper },
	{ "unit: AEAD zero and oversize lengths rejected", t_bad_length },
	{ "unit: AEAD round trips across chunk boundaries", t_roundtrip },
	{ "unit: HKDF-SHA1 subkeys equal OpenSSL's HKDF; a thread's context keys as a fresh one; salt pool bytes distinct", t_shared_kdf },
	{ "unit: method names and key derivation", t_keys },
	{ "unit: SOCKS5 greeting (bad version, no methods, truncated)", t_s5_greeting },
	{ "unit: SOCKS5 RFC 1929 auth parser", t_s5_auth },
	{ "unit: SOCKS5 CONNECT IPv4/IPv6/domain parse", t_s5_request_ok },
	{ "unit: SOCKS5 malformed requests (version, ATYP, empty/NUL domain, oversize)", t_s5_request_bad },
	{ "unit: SOCKS5 full-length reply", t_s5_reply },
	{ "unit: control bytes of a domain are escaped for the log", t_log_escape },
	{ "unit: address header round trip", t_addr_roundtrip },
	{ "unit: target policy blocks internal ranges, allow-list opens", t_policy },
	{ "unit: salt replay filter detects and ages out", t_saltfilter },
	{ "unit: libev-style JSON config accepted", t_config_ok },
	{ "unit: every bad JSON config value rejected with a message", t_config_bad },
	{ "unit: config validation of required keys", t_config_validate },
	{ "unit: config JSON is strict (no trailing comma, quotes, comments)", t_config_strict },
	{ "unit: libev keys the shim does not implement are refused by name", t_config_unsupported },
	{ "unit: -s and --allow replace the file's list; --delay turns TCP_NODELAY off", t_cli_override },
	{ "unit: command-line flags and their errors", t_cli },
	{ "unit: UDP packet known-answer vectors (python3-cryptography), 3 ciphers", t_packet_vectors },
	{ "unit: UDP packet: flipped bits, truncation, wrong key, empty payload rejected", t_packet_tamper },
	{ "unit: UDP NAT table: lookup by address, LRU order, removal", t_nat },
	{ "unit: mode, -u, -U, udp_timeout defaults; udp_only refused for local, quic/udp_fwmark for server", t_config_udp },
	{ "unit: reload: reloadable options applied, the others refused by name", t_config_reload },
	{ "unit: redir role: tcp_tproxy/-T, -n, -u/-U, udp_fwmark, quic, its defaults and errors", t_redir_config },
	{ "unit: redir original destination: TPROXY address, own port refused, no NAT refused", t_redir_orig_dst },
};

int main(int argc, char **argv)
{
	size_t i, n = sizeof(tests) / sizeof(tests[0]);
	int bad = 0;

	if (argc > 1 && !strcmp(argv[1], "--count")) {
		printf("%zu\n", n);
		return 0;
	}
	if (argc > 1)
		vec_path = argv[1];
	for (i = 0; i < n; i++) {
		failures = 0;
		tests[i].fn();
		printf("%s - %s\n", failures ? "not ok" : "ok", tests[i].name);
		fflush(stdout);
		bad += failures != 0;
	}
	return bad ? 1 : 0;
}
