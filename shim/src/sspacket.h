/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_SSPACKET_H
#define OMR_SHIM_SSPACKET_H

#include "aead.h"

/*
 * SIP004 UDP: one datagram is [salt][AEAD(payload)][tag], the subkey
 * derived from that salt (HKDF-SHA1 "ss-subkey") and the nonce zero.
 * The payload is an ATYP address followed by the data.
 */
/* Largest UDP payload over IPv4; a buffer of SS_UDP_BUF holds any datagram. */
#define SS_UDP_MAX 65507
#define SS_UDP_BUF 65536

/* Bytes ss_packet_seal() adds to len. */
size_t ss_packet_overhead(const struct ss_key *k);
/*
 * Seals in[0..len) into out (len + overhead bytes) under r's key and salt,
 * or a random salt when salt is NULL. Returns the bytes written, or -1.
 */
long ss_packet_seal(struct ss_rekey *r, const uint8_t *salt,
		    const uint8_t *in, size_t len, uint8_t *out);
/*
 * Opens one datagram into out (len - overhead bytes). -1 if it is too
 * short to hold a byte of payload (as shadowsocks-libev) or its tag is
 * bad; then nothing in out is meaningful.
 */
long ss_packet_open(struct ss_rekey *r, const uint8_t *in, size_t len,
		    uint8_t *out);

#endif
