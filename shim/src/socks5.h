/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_SOCKS5_H
#define OMR_SHIM_SOCKS5_H

#include "addr.h"

enum {
	S5_REP_OK = 0x00,
	S5_REP_FAIL = 0x01,
	S5_REP_NOT_ALLOWED = 0x02,
	S5_REP_HOST_UNREACH = 0x04,
	S5_REP_REFUSED = 0x05,
	S5_REP_CMD_UNSUPP = 0x07,
	S5_REP_ATYP_UNSUPP = 0x08,
	S5_REP_NONE = 0x100,	/* not SOCKS5 at all: close without a reply */
};

enum { S5_CMD_CONNECT = 1, S5_CMD_BIND = 2, S5_CMD_UDP = 3 };
enum { S5_M_NOAUTH = 0x00, S5_M_USERPASS = 0x02, S5_M_NONE = 0xff };

/* Picks the method to answer: want_auth selects RFC 1929 user/password. */
int s5_parse_greeting(const uint8_t *b, size_t n, size_t *used, bool want_auth,
		      uint8_t *method);

struct s5_auth {
	uint8_t ulen, plen;
	char user[256], pass[256];
};
int s5_parse_auth(const uint8_t *b, size_t n, size_t *used, struct s5_auth *a);

struct s5_request {
	uint8_t cmd;
	struct ss_addr dst;
};
/*
 * On P_ERR *rep holds the reply code to send (full-length reply, then
 * close), or S5_REP_NONE when the bytes are not a SOCKS5 request at all.
 * A well-formed BIND or UDP ASSOCIATE parses as P_OK; the caller refuses it.
 */
int s5_parse_request(const uint8_t *b, size_t n, size_t *used,
		     struct s5_request *r, int *rep);
#define S5_REPLY_LEN 10
size_t s5_build_reply(uint8_t *out, uint8_t rep);

#endif
