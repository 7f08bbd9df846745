// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: SIP004 UDP packets and the datagram address header. Raw
 * input is opened as a datagram under each cipher (must never crash;
 * junk must be refused); then it is sealed as a payload and opened again
 * (must round-trip) and, with a fuzzer-chosen byte flipped, refused. A
 * parsed IP address must survive ss_addr -> sockaddr -> ss_addr.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "sspacket.h"

static struct ss_key keys[3];
static struct ss_rekey ctx[3];
static uint8_t pkt[SS_UDP_BUF + 64], out[SS_UDP_BUF + 64];

static int init_keys(void)
{
	static const char *const m[] = { "chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm" };
	int i;

	for (i = 0; i < 3; i++)
		if (ss_key_init(&keys[i], m[i], "fuzz") || ss_rekey_init(&ctx[i], &keys[i]))
			abort();
	return 0;
}

static void addr_roundtrip(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct ss_addr a, b;
	size_t used = 0;

	if (ss_addr_parse(data, size, &used, &a, NULL) != P_OK)
		return;
	if (!ss_addr_to_sockaddr(&a, &ss)) {
		if (a.atyp != ATYP_DOMAIN)
			abort();
		return;
	}
	ss_addr_from_sockaddr(&b, (struct sockaddr *)&ss);
	/* An IPv4-mapped IPv6 address comes back as IPv4, by design. */
	if (a.port != b.port || (a.atyp == b.atyp && memcmp(a.host, b.host, a.hlen)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	const struct ss_key *k;
	struct ss_rekey *r;
	long n;

	if (!once)
		once = !init_keys();
	if (size > SS_UDP_MAX || size < 1)
		return 0;
	k = &keys[data[0] % 3];
	r = &ctx[data[0] % 3];
	/* Random bytes under a random salt: a forged tag is never accepted. */
	if (ss_packet_open(r, data, size, out) >= 0)
		abort();
	addr_roundtrip(data, size);
	if (size + ss_packet_overhead(k) > SS_UDP_MAX)
		return 0;
	n = ss_packet_seal(r, NULL, data, size, pkt);
	if (n != (long)(size + ss_packet_overhead(k)))
		abort();
	if (ss_packet_open(r, pkt, (size_t)n, out) != (long)size || memcmp(out, data, size))
		abort();
	pkt[data[size - 1] % n] ^= 0x40;
	if (ss_packet_open(r, pkt, (size_t)n, out) >= 0)
		abort();
	return 0;
}
