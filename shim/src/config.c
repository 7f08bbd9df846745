// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Configuration: shadowsocks-libev JSON keys (so existing files work) plus
 * a few shim keys, then command-line flags on top. Every bad value gets an
 * error naming the key and what was expected; nothing is half-applied
 * because main() exits on the first error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>
#include <json-c/json.h>
#include "aead.h"
#include "config.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void config_defaults(struct shim_config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	strcpy(c->method, "chacha20-ietf-poly1305");
	c->timeout = 300;
	c->handshake_timeout = 10;
	c->mptcp = true;
	c->no_delay = true;
	c->workers = n > 0 ? (n > 64 ? 64 : (int)n) : 1;
	c->max_conn = 4096;
	c->salt_filter = 1u << 16;
	c->log_level = 2;
	c->server_port = -1;
	c->local_port = -1;
	c->udp_max = 512;	/* ss-server's UDP cache size */
	c->stats_interval = 10;
}

/* Strict decimal: whole string, no sign, within [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* JSON numbers or numeric strings: libev configs use both. */
static int json_int(json_object *v, const char *key, long lo, long hi,
		    long *out, char *err, size_t errlen)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x < lo || x > hi)
			return fail(err, errlen, "\"%s\": %lld is out of range %ld..%ld",
				    key, (long long)x, lo, hi);
		*out = (long)x;
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    !parse_int(json_object_get_string(v), lo, hi, out))
		return 0;
	return fail(err, errlen, "\"%s\": expected an integer in %ld..%ld", key,
		    lo, hi);
}

static int json_str(json_object *v, const char *key, char *dst, size_t cap,
		    char *err, size_t errlen)
{
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "\"%s\": expected a string", key);
	if (copy_str(dst, cap, json_object_get_string(v)))
		return fail(err, errlen, "\"%s\": must be 1..%zu characters",
			    key, cap - 1);
	return 0;
}

static int cfg_json_bool(json_object *v, const char *key, bool *out, char *err,
		     size_t errlen)
{
	if (!json_object_is_type(v, json_type_boolean))
		return fail(err, errlen, "\"%s\": expected true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int add_server(struct shim_config *c, const char *s, char *err,
		      size_t errlen)
{
	if (c->nserver >= CFG_MAX_SERVERS)
		return fail(err, errlen, "\"server\": at most %d addresses",
			    CFG_MAX_SERVERS);
	if (copy_str(c->server[c->nserver], CFG_STR, s))
		return fail(err, errlen, "\"server\": bad address \"%.64s\"", s);
	c->nserver++;
	return 0;
}

static int add_allow(struct shim_config *c, const char *s, char *err,
		     size_t errlen)
{
	if (c->nallow >= CFG_MAX_ALLOW)
		return fail(err, errlen, "\"allow\": at most %d entries",
			    CFG_MAX_ALLOW);
	if (cidr_parse(s, &c->allow[c->nallow]))
		return fail(err, errlen,
			    "\"allow\": \"%.64s\" is not an address or CIDR", s);
	c->nallow++;
	return 0;
}

static int json_str_list(struct shim_config *c, json_object *v, const char *key,
			 int (*add)(struct shim_config *, const char *, char *, size_t),
			 char *err, size_t errlen)
{
	size_t i, n;

	if (json_object_is_type(v, json_type_string))
		return add(c, json_object_get_string(v), err, errlen);
	if (!json_object_is_type(v, json_type_array))
		return fail(err, errlen, "\"%s\": expected a string or an array of strings", key);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			return fail(err, errlen, "\"%s\"[%zu]: expected a string", key, i);
		if (add(c, json_object_get_string(e), err, errlen))
			return -1;
	}
	return 0;
}

/* Keys that carry no setting. */
static const char *const ignored_keys[] = { "_comment", "comment" };

/*
 * shadowsocks-libev keys the shim does not implement. Ignoring them would
 * run something other than what the file asks for (a resolver, an ACL, a
 * source address), so each is refused with the reason.
 */
static const struct {
	const char *key, *why;
} unsupported_keys[] = {
	{ "acl", "ACL files are not supported; the server's target policy is \"allow\"" },
	{ "nameserver", "not supported: the server resolves with the system resolver (/etc/resolv.conf)" },
	{ "local_ipv4_address", "not supported: outgoing connections use the routing table's source" },
	{ "local_ipv6_address", "not supported: outgoing connections use the routing table's source" },
	{ "tunnel_address", "ss-tunnel mode is not supported" },
	{ "manager_address", "ss-manager is not supported" },
	{ "mtu", "not supported: UDP datagrams are relayed whole, up to 65507 bytes" },
	{ "dscp", "not supported" },
	{ "key", "raw keys are not supported, use \"password\"" },
};

static int set_quic(struct shim_config *c, const char *q, char *err,
		    size_t errlen)
{
	if (strcmp(q, "relay") && strcmp(q, "block"))
		return fail(err, errlen, "\"quic\": \"%.32s\" unsupported (relay or block)", q);
	c->quic = strcmp(q, "block") ? QUIC_RELAY : QUIC_BLOCK;
	return 0;
}

static int set_mode(struct shim_config *c, const char *m, char *err,
		    size_t errlen)
{
	static const char *const names[] = { "tcp_only", "tcp_and_udp", "udp_only" };
	int i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(m, names[i])) {
			c->mode = i;
			return 0;
		}
	}
	return fail(err, errlen, "\"mode\": \"%.32s\" unsupported (tcp_only, tcp_and_udp, udp_only)", m);
}

/* Accepted only with the value that means what the shim does anyway. */
static int fixed_bool(json_object *v, const char *key, bool want,
		      const char *why, char *err, size_t errlen)
{
	bool b = want;

	if (cfg_json_bool(v, key, &b, err, errlen))
		return -1;
	if (b != want)
		return fail(err, errlen, "\"%s\": %s", key, why);
	return 0;
}

static int check_reuse_port(json_object *v, const char *key, char *err,
			    size_t errlen)
{
	return fixed_bool(v, key, true, "SO_REUSEPORT is always on (one listener per worker)",
			  err, errlen);
}

static int check_ipv6_first(json_object *v, const char *key, char *err,
			    size_t errlen)
{
	return fixed_bool(v, key, false,
			  "true is not supported: the first address the resolver returns that the policy allows is used",
			  err, errlen);
}

static int check_plugin(json_object *v, const char *key, char *err,
			size_t errlen)
{
	if (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))
		return 0;
	return fail(err, errlen, "\"%s\": SIP003 plugins are not supported", key);
}

/*
 * The one option table: JSON key, flags, type, range, field and help.
 * The JSON loader, getopt_long, --help and the man page's OPTIONS
 * section (config_man(), which the tests compare with omr-shim.1) are
 * all driven by it.
 */
enum opt_type {
	OT_STR,		/* char[] field */
	OT_INT,		/* int field in lo..hi (JSON: number or numeric string) */
	OT_SIZE,	/* size_t field in lo..hi */
	OT_BOOL,	/* bool field; the flag sets it */
	OT_FALSE,	/* flag only: clears a bool field */
	OT_LIST,	/* JSON: string or array; the first flag replaces, more add */
	OT_LEVEL,	/* log level: the flag (or JSON true) sets lo */
	OT_CHECK,	/* JSON only: a value that means what the shim does anyway */
	OT_NAME,	/* JSON only: a string handed to add() (the field it sets) */
	OT_SET,		/* flag only: sets an int field to lo */
	OT_CONFIG,	/* -c */
	OT_HELP,	/* -h */
};

struct opt_def {
	const char *key;	/* JSON key, or NULL */
	int shrt;		/* short flag, or 0 */
	const char *lng;	/* long flag, or NULL */
	enum opt_type type;
	long lo, hi;
	size_t off, size;	/* the field (OT_LIST: its count) */
	const char *arg;	/* the flag's argument, or NULL */
	const char *help;
	int (*add)(struct shim_config *c, const char *s, char *err, size_t errlen);
	int (*check)(json_object *v, const char *key, char *err, size_t errlen);
};

#define FIELD(f) offsetof(struct shim_config, f), sizeof(((struct shim_config *)0)->f)

static const struct opt_def opts[] = {
	{ NULL, 'c', "config", OT_CONFIG, 0, 0, 0, 0, "FILE",
	  "shadowsocks-libev style JSON config (strict JSON); flags override it", NULL, NULL },
	{ "server", 's', "server", OT_LIST, 0, 0, FIELD(nserver), "HOST",
	  "server address: local dials it (several: failover), server listens on it",
	  add_server, NULL },
	{ "server_port", 'p', "server-port", OT_INT, 1, 65535, FIELD(server_port),
	  "PORT", "server port", NULL, NULL },
	{ "local_address", 'b', "local-address", OT_STR, 0, 0, FIELD(local_address),
	  "ADDR", "listen address (local: SOCKS5, default 127.0.0.1; redir: 0.0.0.0)", NULL, NULL },
	{ "local_port", 'l', "local-port", OT_INT, 1, 65535, FIELD(local_port),
	  "PORT", "listen port (local: SOCKS5; redir; default 1080)", NULL, NULL },
	{ "password", 'k', "password", OT_STR, 0, 0, FIELD(password), "PASS",
	  "shared password", NULL, NULL },
	{ "method", 'm', "method", OT_STR, 0, 0, FIELD(method), "METHOD",
	  "chacha20-ietf-poly1305 (default), aes-256-gcm or aes-128-gcm", NULL, NULL },
	{ "timeout", 't', "timeout", OT_INT, 1, 86400 * 7, FIELD(timeout), "SEC",
	  "idle timeout (default 300)", NULL, NULL },
	{ "handshake_timeout", 0, "handshake-timeout", OT_INT, 1, 3600,
	  FIELD(handshake_timeout), "SEC",
	  "seconds for the handshake and for draining a probe (default 10)", NULL, NULL },
	{ "workers", 'w', "workers", OT_INT, 1, 64, FIELD(workers), "N",
	  "worker threads, each with its own listener (default: CPU count)", NULL, NULL },
	{ "max_connections", 0, "max-conn", OT_INT, 1, 1000000, FIELD(max_conn), "N",
	  "connection limit (default 4096)", NULL, NULL },
	{ "nofile", 'n', "nofile", OT_INT, 64, 1048576, FIELD(nofile), "N",
	  "set RLIMIT_NOFILE (default: raised to what max-conn needs)", NULL, NULL },
	{ "salt_filter_size", 0, "salt-filter", OT_SIZE, 16, 1L << 24,
	  FIELD(salt_filter), "N", "replay filter generation size (default 65536)", NULL, NULL },
	{ "mptcp", 0, "mptcp", OT_BOOL, 0, 0, FIELD(mptcp), NULL,
	  "MPTCP for the tunnel (default on)", NULL, NULL },
	{ NULL, 0, "no-mptcp", OT_FALSE, 0, 0, FIELD(mptcp), NULL,
	  "plain TCP for the tunnel", NULL, NULL },
	{ "no_delay", 0, "no-delay", OT_BOOL, 0, 0, FIELD(no_delay), NULL,
	  "TCP_NODELAY on (default)", NULL, NULL },
	{ NULL, 0, "delay", OT_FALSE, 0, 0, FIELD(no_delay), NULL,
	  "TCP_NODELAY off", NULL, NULL },
	{ "fast_open", 0, "fast-open", OT_BOOL, 0, 0, FIELD(fast_open), NULL,
	  "TCP Fast Open on the tunnel (MPTCP or TCP)", NULL, NULL },
	{ "tcp_tproxy", 'T', "tcp-tproxy", OT_BOOL, 0, 0, FIELD(tcp_tproxy), NULL,
	  "redir: LAN TCP comes by TPROXY (IP_TRANSPARENT listener), not REDIRECT", NULL, NULL },
	{ "user", 'a', "user", OT_STR, 0, 0, FIELD(user), "USER",
	  "become USER (and its groups) once the listeners are bound", NULL, NULL },
	{ "allow", 0, "allow", OT_LIST, 0, 0, FIELD(nallow), "CIDR",
	  "server: permit targets in this internal range (repeatable)",
	  add_allow, NULL },
	{ "socks_username", 0, "socks-user", OT_STR, 0, 0, FIELD(socks_user), "USER",
	  "local: require RFC 1929 authentication with this user", NULL, NULL },
	{ "socks_password", 0, "socks-pass", OT_STR, 0, 0, FIELD(socks_pass), "PASS",
	  "local: and this password", NULL, NULL },
	{ "verbose", 'v', "verbose", OT_LEVEL, 3, 0, FIELD(log_level), NULL,
	  "log each connection (debug)", NULL, NULL },
	{ NULL, 'q', "quiet", OT_LEVEL, 1, 0, FIELD(log_level), NULL,
	  "log warnings and errors only", NULL, NULL },
	{ "log_level", 0, NULL, OT_INT, 0, 3, FIELD(log_level), NULL,
	  "0 errors, 1 warnings, 2 information (default), 3 debug", NULL, NULL },
	{ "mode", 0, NULL, OT_NAME, 0, 0, FIELD(mode), NULL,
	  "\"tcp_only\" (default), \"tcp_and_udp\" (as -u) or \"udp_only\" (as -U, server and redir)",
	  set_mode, NULL },
	{ NULL, 'u', "udp", OT_SET, MODE_TCP_AND_UDP, 0, FIELD(mode), NULL,
	  "relay UDP too: server on its UDP port, local by SOCKS5 UDP ASSOCIATE, redir by TPROXY (CAP_NET_ADMIN)", NULL, NULL },
	{ NULL, 'U', "udp-only", OT_SET, MODE_UDP_ONLY, 0, FIELD(mode), NULL,
	  "server, redir: relay UDP only (no TCP listener)", NULL, NULL },
	{ "udp_timeout", 0, "udp-timeout", OT_INT, 1, 86400 * 7, FIELD(udp_timeout), "SEC",
	  "idle seconds of a UDP NAT entry (default: timeout)", NULL, NULL },
	{ "udp_max_associations", 0, "udp-max", OT_INT, 1, 65536, FIELD(udp_max), "N",
	  "server: UDP NAT entries, the least recently used goes (default 512); local: UDP associations; redir: LAN UDP clients, and reply sockets", NULL, NULL },
	{ "reuse_port", 0, NULL, OT_CHECK, 0, 0, 0, 0, NULL,
	  "true only: SO_REUSEPORT is always on", NULL, check_reuse_port },
	{ "ipv6_first", 0, NULL, OT_CHECK, 0, 0, 0, 0, NULL,
	  "false only", NULL, check_ipv6_first },
	{ "plugin", 0, NULL, OT_CHECK, 0, 0, 0, 0, NULL,
	  "\"\" only: SIP003 plugins are not supported", NULL, check_plugin },
	{ "udp_fwmark", 0, "udp-fwmark", OT_INT, 1, 0x7fffffff, FIELD(udp_fwmark), "MARK",
	  "local, redir: SO_MARK on the UDP sockets to the server (policy routing picks the WAN; needs CAP_NET_ADMIN)",
	  NULL, NULL },
	{ "quic", 0, NULL, OT_NAME, 0, 0, FIELD(quic), NULL,
	  "local, redir: \"block\" (default): drop UDP datagrams to port 443, so browsers fall back to TCP, which MPTCP spreads over every WAN; \"relay\": relay them on one WAN",
	  set_quic, NULL },
	{ NULL, 0, "block-quic", OT_SET, QUIC_BLOCK, 0, FIELD(quic), NULL,
	  "local, redir: as \"quic\": \"block\" (the default)", NULL, NULL },
	{ NULL, 0, "relay-quic", OT_SET, QUIC_RELAY, 0, FIELD(quic), NULL,
	  "local, redir: as \"quic\": \"relay\"", NULL, NULL },
	{ "stats_socket", 0, "stats-socket", OT_STR, 0, 0, FIELD(stats_socket), "PATH",
	  "serve the counters on this Unix stream socket (mode 0660): a client sends \"prometheus\" (or nothing) or \"json\", reads, gets EOF",
	  NULL, NULL },
	{ "stats_file", 0, "stats-file", OT_STR, 0, 0, FIELD(stats_file), "PATH",
	  "write the counters in the Prometheus text format to PATH every stats_interval seconds (PATH.tmp, then rename: for node_exporter's textfile collector)",
	  NULL, NULL },
	{ "stats_interval", 0, "stats-interval", OT_INT, 1, 3600, FIELD(stats_interval), "SEC",
	  "seconds between two stats_file writes (default 10)", NULL, NULL },
	{ NULL, 'h', "help", OT_HELP, 0, 0, 0, 0, NULL, "this help", NULL, NULL },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))
/* opt_apply() keeps a bit per row. */
_Static_assert(NOPTS <= 64, "more than 64 options");

static void *field(struct shim_config *c, const struct opt_def *d)
{
	return (char *)c + d->off;
}

/*
 * The options a reload (SIGHUP) applies, by field. Every other option,
 * and so any option added later, needs a restart.
 */
static const size_t reloadable[] = {
	offsetof(struct shim_config, timeout),
	offsetof(struct shim_config, udp_timeout),	/* read at each NAT sweep */
	offsetof(struct shim_config, handshake_timeout),
	offsetof(struct shim_config, max_conn),
	offsetof(struct shim_config, no_delay),
	offsetof(struct shim_config, nallow),
	offsetof(struct shim_config, socks_user),
	offsetof(struct shim_config, socks_pass),
	offsetof(struct shim_config, log_level),
};

static bool opt_reloads(const struct opt_def *d)
{
	size_t i;

	for (i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
		if (d->off == reloadable[i])
			return true;
	return false;
}

static const void *cfield(const struct shim_config *c, const struct opt_def *d)
{
	return (const char *)c + d->off;
}

/* A list's entries (its row's field is the count): their offset and size. */
static size_t list_off(const struct opt_def *d, size_t *item)
{
	if (d->add == add_server) {
		*item = sizeof(((struct shim_config *)0)->server[0]);
		return offsetof(struct shim_config, server);
	}
	*item = sizeof(((struct shim_config *)0)->allow[0]);
	return offsetof(struct shim_config, allow);
}

/* Whether option d has the same value in a and b (strings to their NUL). */
static bool opt_same(const struct shim_config *a, const struct shim_config *b,
		     const struct opt_def *d)
{
	size_t n, item, off, i;

	if (d->type == OT_STR)
		return !strcmp(cfield(a, d), cfield(b, d));
	if (d->type != OT_LIST)
		return !memcmp(cfield(a, d), cfield(b, d), d->size);
	n = *(const size_t *)cfield(a, d);
	if (n != *(const size_t *)cfield(b, d))
		return false;
	for (i = 0, off = list_off(d, &item); i < n; i++, off += item)
		if (d->add == add_server ? strcmp((const char *)a + off, (const char *)b + off) :
		    memcmp((const char *)a + off, (const char *)b + off, item))
			return false;
	return true;
}

const char *config_restart_key(const struct shim_config *a,
			       const struct shim_config *b)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].size && !opt_reloads(&opts[i]) && !opt_same(a, b, &opts[i]))
			return opts[i].key ? opts[i].key : opts[i].lng;
	return NULL;
}

void config_reload(struct shim_config *dst, const struct shim_config *src)
{
	const struct opt_def *d;
	size_t item, off;

	for (d = opts; d < opts + NOPTS; d++) {
		if (!d->size || !opt_reloads(d))
			continue;
		memcpy(field(dst, d), cfield(src, d), d->size);
		if (d->type != OT_LIST)
			continue;
		off = list_off(d, &item);
		memcpy((char *)dst + off, (const char *)src + off,
		       item * *(const size_t *)cfield(src, d));
	}
}

/* A key that sets nothing here: skipped, refused with the reason, or unknown. */
static int apply_no_setting(const char *k, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(ignored_keys) / sizeof(ignored_keys[0]); i++)
		if (!strcmp(k, ignored_keys[i]))
			return 0;
	for (i = 0; i < sizeof(unsupported_keys) / sizeof(unsupported_keys[0]); i++)
		if (!strcmp(k, unsupported_keys[i].key))
			return fail(err, errlen, "\"%s\": %s", k, unsupported_keys[i].why);
	/* Unknown keys are fatal: a typo must not silently drop a setting. */
	return fail(err, errlen, "unknown key \"%.64s\"", k);
}

static int json_apply(struct shim_config *c, const struct opt_def *d,
		      json_object *v, char *err, size_t errlen)
{
	bool b = false;
	long x;

	switch (d->type) {
	case OT_STR:
		return json_str(v, d->key, field(c, d), d->size, err, errlen);
	case OT_INT:
	case OT_SIZE:
		if (json_int(v, d->key, d->lo, d->hi, &x, err, errlen))
			return -1;
		if (d->type == OT_INT)
			*(int *)field(c, d) = (int)x;
		else
			*(size_t *)field(c, d) = (size_t)x;
		return 0;
	case OT_BOOL:
		return cfg_json_bool(v, d->key, field(c, d), err, errlen);
	case OT_LIST:
		return json_str_list(c, v, d->key, d->add, err, errlen);
	case OT_LEVEL:
		if (cfg_json_bool(v, d->key, &b, err, errlen))
			return -1;
		*(int *)field(c, d) = b ? (int)d->lo : 2;
		return 0;
	case OT_CHECK:
		return d->check(v, d->key, err, errlen);
	case OT_NAME:
		if (!json_object_is_type(v, json_type_string))
			return fail(err, errlen, "\"%s\": expected a string", d->key);
		return d->add(c, json_object_get_string(v), err, errlen);
	default:
		return fail(err, errlen, "\"%s\": not a configuration key", d->key);
	}
}

static int apply_key(struct shim_config *c, const char *k, json_object *v,
		     char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].key && !strcmp(k, opts[i].key))
			return json_apply(c, &opts[i], v, err, errlen);
	return apply_no_setting(k, err, errlen);
}

/*
 * json-c's strict mode (0.16) still takes 'single-quoted' keys: returns
 * 1 + the offset of a quote outside any string, or 0.
 */
static size_t stray_quote(const char *b, size_t n)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (b[i] == '\\')
				i++;
			else if (b[i] == '"')
				in_str = false;
		} else if (b[i] == '"') {
			in_str = true;
		} else if (b[i] == '\'') {
			return i + 1;
		}
	}
	return 0;
}

int config_parse_json(struct shim_config *c, const char *buf, size_t len,
		      char *err, size_t errlen)
{
	size_t q;
	json_tokener *tok;
	json_object *root;
	enum json_tokener_error jerr;
	int ret = 0;

	if (len > 1 << 20)
		return fail(err, errlen, "config: larger than 1 MiB");
	if (memchr(buf, 0, len))
		return fail(err, errlen, "config: contains a NUL byte");
	tok = json_tokener_new_ex(16);
	if (!tok)
		return fail(err, errlen, "config: out of memory");
	/* No trailing commas, single quotes or comments: the file is JSON. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		ret = fail(err, errlen, "config: invalid JSON at offset %zu: %s",
			   json_tokener_get_parse_end(tok),
			   jerr == json_tokener_continue ? "unexpected end of input"
							 : json_tokener_error_desc(jerr));
		goto out;
	}
	q = stray_quote(buf, len);
	if (q) {
		ret = fail(err, errlen, "config: invalid JSON at offset %zu: single quotes are not JSON",
			   q - 1);
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len &&
	    strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") !=
		    len - json_tokener_get_parse_end(tok)) {
		ret = fail(err, errlen, "config: trailing data after the JSON object");
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		ret = fail(err, errlen, "config: top level must be an object");
		goto out;
	}
	json_object_object_foreach(root, key, val) {
		if (apply_key(c, key, val, err, errlen)) {
			ret = -1;
			break;
		}
	}
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

int config_load_file(struct shim_config *c, const char *path, char *err,
		     size_t errlen)
{
	char *buf = NULL, msg[CFG_ERR_LEN];
	size_t len = 0;
	FILE *f;
	int ret;

	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	buf = malloc((1 << 20) + 1);
	if (!buf) {
		fclose(f);
		return fail(err, errlen, "%s: out of memory", path);
	}
	len = fread(buf, 1, (1 << 20) + 1, f);
	ret = ferror(f) ? fail(err, errlen, "%s: read error", path) : 0;
	fclose(f);
	if (!ret) {
		ret = config_parse_json(c, buf, len, msg, sizeof(msg));
		if (ret)
			fail(err, errlen, "%s: %s", path, msg);
	}
	free(buf);
	return ret;
}

/* Flag argument shown in --help and the man page: "-s, --server HOST". */
static void flag_text(const struct opt_def *d, char *buf, size_t len)
{
	char sh[8] = "    ";

	if (d->shrt)
		snprintf(sh, sizeof(sh), "-%c, ", d->shrt);
	snprintf(buf, len, "%s--%s%s%s", sh, d->lng, d->arg ? " " : "",
		 d->arg ? d->arg : "");
}

void config_usage(void)
{
	char flag[48];
	size_t i;

	fprintf(stderr, "usage: omr-shim local|server|redir [-c config.json] [options]\n");
	for (i = 0; i < NOPTS; i++) {
		if (!opts[i].lng)
			continue;
		flag_text(&opts[i], flag, sizeof(flag));
		fprintf(stderr, "  %-28s %s\n", flag, opts[i].help);
	}
}

/* roff: a hyphen in an option name is "\-". */
static void man_flag(FILE *f, const char *pre, const char *name)
{
	fprintf(f, "\\fB%s", pre);
	for (; *name; name++)
		fprintf(f, "%s%c", *name == '-' ? "\\" : "", *name);
	fprintf(f, "\\fR");
}

void config_man(FILE *f)
{
	const struct opt_def *d;

	for (d = opts; d < opts + NOPTS; d++) {
		if (!d->lng)
			continue;
		fprintf(f, ".TP\n");
		if (d->shrt)
			fprintf(f, "\\fB\\-%c\\fR, ", d->shrt);
		man_flag(f, "\\-\\-", d->lng);
		fprintf(f, "%s%s%s\n", d->arg ? " \\fI" : "", d->arg ? d->arg : "",
			d->arg ? "\\fR" : "");
		fprintf(f, "%s.%s%s%s\n", d->help, d->key ? " JSON key: \\fB" : "",
			d->key ? d->key : "", d->key ? "\\fR." : "");
	}
	for (d = opts; d < opts + NOPTS; d++) {
		if (d->lng)
			continue;
		fprintf(f, ".TP\n\\fB%s\\fR (JSON only)\n%s.\n", d->key, d->help);
	}
}

/* getopt_long's tables from opts[]; a long-only option's value is 256 + i. */
static void getopt_tables(struct option *lo, char *so)
{
	size_t i, n = 0;

	*so++ = ':';
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].shrt) {
			*so++ = (char)opts[i].shrt;
			if (opts[i].arg)
				*so++ = ':';
		}
		if (!opts[i].lng)
			continue;
		lo[n].name = opts[i].lng;
		lo[n].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = opts[i].shrt ? opts[i].shrt : 256 + (int)i;
		n++;
	}
	*so = 0;
	memset(&lo[n], 0, sizeof(lo[n]));
}

static const struct opt_def *opt_find(int o)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if ((opts[i].shrt && opts[i].shrt == o) || 256 + (int)i == o)
			return &opts[i];
	return NULL;
}

/* @seen: list options already given (bit = index in opts[]). */
static int opt_apply(struct shim_config *c, uint64_t *seen,
		     const struct opt_def *d, const char *a, char *err, size_t errlen)
{
	uint64_t bit = 1ull << (d - opts);
	long v;

	switch (d->type) {
	case OT_STR:
		if (copy_str(field(c, d), d->size, a))
			return fail(err, errlen, "--%s: must be 1..%zu characters",
				    d->lng, d->size - 1);
		return 0;
	case OT_INT:
	case OT_SIZE:
		if (parse_int(a, d->lo, d->hi, &v))
			return fail(err, errlen, "--%s: \"%.32s\" is not an integer in %ld..%ld",
				    d->lng, a, d->lo, d->hi);
		if (d->type == OT_INT)
			*(int *)field(c, d) = (int)v;
		else
			*(size_t *)field(c, d) = (size_t)v;
		return 0;
	case OT_BOOL:
	case OT_FALSE:
		*(bool *)field(c, d) = d->type == OT_BOOL;
		return 0;
	case OT_LIST:
		/* The first flag replaces the file's list; more add to it. */
		if (!(*seen & bit))
			*(size_t *)field(c, d) = 0;
		*seen |= bit;
		return d->add(c, a, err, errlen);
	case OT_LEVEL:
	case OT_SET:
		*(int *)field(c, d) = (int)d->lo;
		return 0;
	default:
		return 0;
	}
}

/* Pass 1: only -c, so flags override the file whatever their order. */
static int load_config_flag(struct shim_config *c, int argc, char **argv,
			    const char *so, const struct option *lo, char *err,
			    size_t errlen)
{
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (o != 'c')
			continue;
		if (copy_str(c->config_path, sizeof(c->config_path), optarg))
			return fail(err, errlen, "--config: bad path");
		if (config_load_file(c, optarg, err, errlen))
			return -1;
	}
	return 0;
}

int config_parse_args(struct shim_config *c, int argc, char **argv, char *err,
		      size_t errlen)
{
	static struct option lo[NOPTS + 1];
	static char so[2 * NOPTS + 2];
	const struct opt_def *d;
	uint64_t seen = 0;
	int o;

	getopt_tables(lo, so);
	opterr = 0;
	if (load_config_flag(c, argc, argv, so, lo, err, errlen))
		return -1;
	optind = 1;
	while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (o == '?')
			return fail(err, errlen, "unknown option \"%.32s\" (see --help)",
				    argv[optind - 1]);
		if (o == ':')
			return fail(err, errlen, "option \"%.32s\" needs a value",
				    argv[optind - 1]);
		d = opt_find(o);
		if (d && d->type == OT_HELP)
			return fail(err, errlen, "help");
		if (d && opt_apply(c, &seen, d, optarg, err, errlen))
			return -1;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument \"%.32s\"", argv[optind]);
	return 0;
}

/* The stats paths: absolute, and the socket's fits a sockaddr_un. */
static int check_stats(const struct shim_config *c, char *err, size_t errlen)
{
	if (c->stats_socket[0] && c->stats_socket[0] != '/')
		return fail(err, errlen, "stats_socket: \"%.64s\" is not an absolute path", c->stats_socket);
	if (strlen(c->stats_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail(err, errlen, "stats_socket: longer than %zu characters",
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (c->stats_file[0] && c->stats_file[0] != '/')
		return fail(err, errlen, "stats_file: \"%.64s\" is not an absolute path", c->stats_file);
	if (c->stats_file[0] && !strcmp(c->stats_file, c->stats_socket))
		return fail(err, errlen, "stats_file and stats_socket: the same path");
	return 0;
}

int config_validate(struct shim_config *c, char *err, size_t errlen)
{
	if (!ss_method_find(c->method))
		return fail(err, errlen, "method \"%s\" unsupported (use one of: %s)",
			    c->method, ss_method_list());
	if (!c->password[0])
		return fail(err, errlen, "password is required (\"password\" or -k)");
	if (c->server_port < 0)
		return fail(err, errlen, "server_port is required (\"server_port\" or -p)");
	if (!!c->socks_user[0] != !!c->socks_pass[0])
		return fail(err, errlen, "socks_username and socks_password go together");
	if (c->role == ROLE_SERVER && (c->udp_fwmark || c->quic))
		return fail(err, errlen, "udp_fwmark and quic are local and redir options (the server would ignore them)");
	if (c->role == ROLE_LOCAL && c->mode == MODE_UDP_ONLY)
		return fail(err, errlen, "udp_only (-U) is for the server and redir: UDP ASSOCIATE needs the local's TCP listener");
	if (c->tcp_tproxy && c->role != ROLE_REDIR)
		return fail(err, errlen, "tcp_tproxy is for the redir role only");
	if (check_stats(c, err, errlen))
		return -1;
	if (c->role == ROLE_LOCAL || c->role == ROLE_REDIR) {
		if (!c->nserver)
			return fail(err, errlen, "server is required (\"server\" or -s)");
		/* REDIRECT sends LAN TCP to the LAN interface's address. */
		if (!c->local_address[0])
			strcpy(c->local_address, c->role == ROLE_REDIR ? "0.0.0.0" : "127.0.0.1");
		if (c->local_port < 0)
			c->local_port = 1080;
		if (!c->quic)
			c->quic = QUIC_BLOCK;
	} else if (!c->nserver) {
		strcpy(c->server[0], "0.0.0.0");
		c->nserver = 1;
	}
	return 0;
}
