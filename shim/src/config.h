/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_CONFIG_H
#define OMR_SHIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "addr.h"

enum shim_role { ROLE_NONE, ROLE_LOCAL, ROLE_SERVER, ROLE_REDIR };
/* "mode" (libev): what is relayed. -u and -U set the latter two. */
enum shim_mode { MODE_TCP_ONLY, MODE_TCP_AND_UDP, MODE_UDP_ONLY };
/* "quic": unset until config_validate() gives local and redir the default,
 * block (docs/shim.md, "QUIC": measured); the server takes none. */
enum shim_quic { QUIC_UNSET, QUIC_RELAY, QUIC_BLOCK };

#define CFG_MAX_SERVERS 8
#define CFG_MAX_ALLOW 32
#define CFG_STR 256
#define CFG_ERR_LEN 256

struct shim_config {
	enum shim_role role;
	char server[CFG_MAX_SERVERS][CFG_STR];
	size_t nserver;
	int server_port;
	char local_address[CFG_STR];
	int local_port;
	char password[1024];
	char method[64];
	int timeout;		/* idle seconds */
	int handshake_timeout;	/* seconds until the first bytes must be valid */
	bool mptcp;
	bool no_delay;
	bool fast_open;
	bool tcp_tproxy;	/* redir: TPROXY (IP_TRANSPARENT), not REDIRECT */
	int workers;
	int max_conn;
	int nofile;
	size_t salt_filter;
	struct cidr allow[CFG_MAX_ALLOW];
	size_t nallow;
	char socks_user[CFG_STR];
	char socks_pass[CFG_STR];
	char user[CFG_STR];	/* run as this user once listening; "" = stay */
	int log_level;
	char config_path[1024];
	int mode;		/* enum shim_mode */
	int udp_timeout;	/* idle seconds of a UDP NAT entry; 0: timeout */
	int udp_max;		/* NAT entries (server), associations (local) */
	int udp_fwmark;		/* local: SO_MARK of the sockets to the server; 0 none */
	int quic;		/* enum shim_quic; block: drop UDP to port 443 (browsers fall back to TCP) */
	char stats_socket[CFG_STR];	/* Unix socket serving the counters, or "" */
	char stats_file[CFG_STR];	/* Prometheus text file, or "" */
	int stats_interval;	/* seconds between stats_file writes */
};

static inline bool cfg_block_quic(const struct shim_config *c)
{
	return c->quic == QUIC_BLOCK;
}

static inline bool cfg_udp(const struct shim_config *c)
{
	return c->mode != MODE_TCP_ONLY;
}

static inline bool cfg_tcp(const struct shim_config *c)
{
	return c->mode != MODE_UDP_ONLY;
}

/* A UDP NAT entry's idle seconds: udp_timeout, or timeout when unset. */
static inline int cfg_udp_timeout(const struct shim_config *c)
{
	return c->udp_timeout ? c->udp_timeout : c->timeout;
}

/* The UDP idle sweep's period: half the idle time, at most 5 s. */
static inline double cfg_udp_sweep_every(const struct shim_config *c)
{
	int idle = cfg_udp_timeout(c);

	return idle < 10 ? idle / 2.0 : 5;
}

void config_defaults(struct shim_config *c);
/* Pure: parses a JSON document into c. 0, or -1 with a message in err. */
int config_parse_json(struct shim_config *c, const char *buf, size_t len,
		      char *err, size_t errlen);
int config_load_file(struct shim_config *c, const char *path, char *err,
		     size_t errlen);
/* argv[0] is the role word; applies -c first, then the other flags. */
int config_parse_args(struct shim_config *c, int argc, char **argv, char *err,
		      size_t errlen);
/*
 * A reload (SIGHUP) from a to b: the first option (JSON key, else long
 * flag) that differs and that a reload cannot apply, or NULL. Every option
 * needs a restart unless its row in the option table says otherwise.
 */
const char *config_restart_key(const struct shim_config *a,
			       const struct shim_config *b);
/* Copies the options a reload applies from src into dst. */
void config_reload(struct shim_config *dst, const struct shim_config *src);
int config_validate(struct shim_config *c, char *err, size_t errlen);
void config_usage(void);
/* The man page's OPTIONS section (roff), from the same table as --help. */
void config_man(FILE *f);

#endif
