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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	{ "mtu", "not supported (it applies to UDP relay, which the shim does not do)" },
	{ "dscp", "not supported" },
	{ "key", "raw keys are not supported, use \"password\"" },
};

static int apply_mode(json_object *v, char *err, size_t errlen)
{
	const char *m;

	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "\"mode\": expected a string");
	m = json_object_get_string(v);
	if (!strcmp(m, "tcp_only"))
		return 0;
	if (!strcmp(m, "tcp_and_udp"))
		return fail(err, errlen, "\"mode\": \"tcp_and_udp\": UDP relay is not supported, use \"tcp_only\"");
	return fail(err, errlen, "\"mode\": \"%.32s\" unsupported (tcp_only)", m);
}

/* Accepted only with the value that means what the shim does anyway. */
static int apply_fixed_bool(json_object *v, const char *key, bool want,
			    const char *why, char *err, size_t errlen)
{
	bool b = want;

	if (cfg_json_bool(v, key, &b, err, errlen))
		return -1;
	if (b != want)
		return fail(err, errlen, "\"%s\": %s", key, why);
	return 0;
}

static int apply_int(json_object *v, const char *key, long lo, long hi,
		     int *dst, char *err, size_t errlen)
{
	long x;

	if (json_int(v, key, lo, hi, &x, err, errlen))
		return -1;
	*dst = (int)x;
	return 0;
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

static int apply_key(struct shim_config *c, const char *k, json_object *v,
		     char *err, size_t errlen)
{
	long x;

	if (!strcmp(k, "server"))
		return json_str_list(c, v, k, add_server, err, errlen);
	if (!strcmp(k, "allow"))
		return json_str_list(c, v, k, add_allow, err, errlen);
	if (!strcmp(k, "server_port"))
		return apply_int(v, k, 1, 65535, &c->server_port, err, errlen);
	if (!strcmp(k, "local_port"))
		return apply_int(v, k, 1, 65535, &c->local_port, err, errlen);
	if (!strcmp(k, "local_address"))
		return json_str(v, k, c->local_address, CFG_STR, err, errlen);
	if (!strcmp(k, "password"))
		return json_str(v, k, c->password, sizeof(c->password), err, errlen);
	if (!strcmp(k, "method"))
		return json_str(v, k, c->method, sizeof(c->method), err, errlen);
	if (!strcmp(k, "timeout"))
		return apply_int(v, k, 1, 86400 * 7, &c->timeout, err, errlen);
	if (!strcmp(k, "handshake_timeout"))
		return apply_int(v, k, 1, 3600, &c->handshake_timeout, err, errlen);
	if (!strcmp(k, "workers"))
		return apply_int(v, k, 1, 64, &c->workers, err, errlen);
	if (!strcmp(k, "max_connections"))
		return apply_int(v, k, 1, 1000000, &c->max_conn, err, errlen);
	if (!strcmp(k, "nofile"))
		return apply_int(v, k, 64, 1048576, &c->nofile, err, errlen);
	if (!strcmp(k, "salt_filter_size")) {
		if (json_int(v, k, 16, 1L << 24, &x, err, errlen))
			return -1;
		c->salt_filter = (size_t)x;
		return 0;
	}
	if (!strcmp(k, "mptcp"))
		return cfg_json_bool(v, k, &c->mptcp, err, errlen);
	if (!strcmp(k, "no_delay"))
		return cfg_json_bool(v, k, &c->no_delay, err, errlen);
	if (!strcmp(k, "fast_open"))
		return cfg_json_bool(v, k, &c->fast_open, err, errlen);
	if (!strcmp(k, "socks_username"))
		return json_str(v, k, c->socks_user, CFG_STR, err, errlen);
	if (!strcmp(k, "socks_password"))
		return json_str(v, k, c->socks_pass, CFG_STR, err, errlen);
	if (!strcmp(k, "verbose")) {
		bool b = false;

		if (cfg_json_bool(v, k, &b, err, errlen))
			return -1;
		c->log_level = b ? 3 : 2;
		return 0;
	}
	if (!strcmp(k, "log_level"))
		return apply_int(v, k, 0, 3, &c->log_level, err, errlen);
	if (!strcmp(k, "mode"))
		return apply_mode(v, err, errlen);
	if (!strcmp(k, "user"))
		return json_str(v, k, c->user, CFG_STR, err, errlen);
	if (!strcmp(k, "reuse_port"))
		return apply_fixed_bool(v, k, true, "SO_REUSEPORT is always on (one listener per worker)",
					err, errlen);
	if (!strcmp(k, "ipv6_first"))
		return apply_fixed_bool(v, k, false,
					"true is not supported: the first address the resolver returns that the policy allows is used",
					err, errlen);
	if (!strcmp(k, "plugin")) {
		if (json_object_is_type(v, json_type_string) &&
		    !*json_object_get_string(v))
			return 0;
		return fail(err, errlen, "\"plugin\": SIP003 plugins are not supported");
	}
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

enum {
	OPT_MPTCP = 256, OPT_NO_MPTCP, OPT_NO_DELAY, OPT_ALLOW, OPT_MAX_CONN,
	OPT_HS_TIMEOUT, OPT_SOCKS_USER, OPT_SOCKS_PASS, OPT_SALT, OPT_NOFILE,
	OPT_FAST_OPEN, OPT_DELAY,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "server", required_argument, NULL, 's' },
	{ "server-port", required_argument, NULL, 'p' },
	{ "local-address", required_argument, NULL, 'b' },
	{ "local-port", required_argument, NULL, 'l' },
	{ "password", required_argument, NULL, 'k' },
	{ "method", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, 't' },
	{ "workers", required_argument, NULL, 'w' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "mptcp", no_argument, NULL, OPT_MPTCP },
	{ "no-mptcp", no_argument, NULL, OPT_NO_MPTCP },
	{ "no-delay", no_argument, NULL, OPT_NO_DELAY },
	{ "delay", no_argument, NULL, OPT_DELAY },
	{ "user", required_argument, NULL, 'a' },
	{ "fast-open", no_argument, NULL, OPT_FAST_OPEN },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "max-conn", required_argument, NULL, OPT_MAX_CONN },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT },
	{ "socks-user", required_argument, NULL, OPT_SOCKS_USER },
	{ "socks-pass", required_argument, NULL, OPT_SOCKS_PASS },
	{ "salt-filter", required_argument, NULL, OPT_SALT },
	{ "nofile", required_argument, NULL, OPT_NOFILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void config_usage(void)
{
	fprintf(stderr,
		"usage: omr-shim local|server [-c config.json] [options]\n"
		"  -c, --config FILE          shadowsocks-libev style JSON config\n"
		"  -s, --server HOST          server address (local: connect to, server: listen on)\n"
		"  -p, --server-port PORT     server port\n"
		"  -b, --local-address ADDR   SOCKS5 listen address (local, default 127.0.0.1)\n"
		"  -l, --local-port PORT      SOCKS5 listen port (local, default 1080)\n"
		"  -k, --password PASS        shared password\n"
		"  -m, --method METHOD        %s\n"
		"  -t, --timeout SEC          idle timeout (default 300)\n"
		"  -w, --workers N            worker threads (default: CPU count)\n"
		"      --mptcp / --no-mptcp   use MPTCP for the tunnel (default on)\n"
		"      --no-delay / --delay   TCP_NODELAY on (default) / off\n"
		"  -a, --user USER            run as USER once the listeners are bound\n"
		"      --fast-open            TCP Fast Open on the tunnel (MPTCP or TCP)\n"
		"      --allow CIDR           server: permit an internal target range\n"
		"      --max-conn N           connection limit (default 4096)\n"
		"      --handshake-timeout S  seconds for handshake/probe drain (default 10)\n"
		"      --socks-user U --socks-pass P   require RFC 1929 auth (local)\n"
		"      --salt-filter N        replay filter generation size (default 65536)\n"
		"      --nofile N             raise RLIMIT_NOFILE\n"
		"  -v, --verbose / -q, --quiet\n", ss_method_list());
}

static int opt_int(const char *name, const char *s, long lo, long hi, int *dst,
		   char *err, size_t errlen)
{
	long v;

	if (parse_int(s, lo, hi, &v))
		return fail(err, errlen, "%s: \"%.32s\" is not an integer in %ld..%ld",
			    name, s, lo, hi);
	*dst = (int)v;
	return 0;
}

static int opt_str(const char *name, char *dst, size_t cap, const char *s,
		   char *err, size_t errlen)
{
	if (copy_str(dst, cap, s))
		return fail(err, errlen, "%s: must be 1..%zu characters", name, cap - 1);
	return 0;
}

/* List flags already given: the first one replaces the file's list. */
struct opt_seen {
	bool server, allow;
};

static int apply_opt(struct shim_config *c, struct opt_seen *seen, int o,
		     const char *a, char *err, size_t errlen)
{
	int v = 0;

	switch (o) {
	case 's':
		/* The first -s replaces the file's list; more -s add to it. */
		if (!seen->server)
			c->nserver = 0;
		seen->server = true;
		return add_server(c, a, err, errlen);
	case 'p': return opt_int("--server-port", a, 1, 65535, &c->server_port, err, errlen);
	case 'b': return opt_str("--local-address", c->local_address, CFG_STR, a, err, errlen);
	case 'l': return opt_int("--local-port", a, 1, 65535, &c->local_port, err, errlen);
	case 'k': return opt_str("--password", c->password, sizeof(c->password), a, err, errlen);
	case 'm': return opt_str("--method", c->method, sizeof(c->method), a, err, errlen);
	case 't': return opt_int("--timeout", a, 1, 86400 * 7, &c->timeout, err, errlen);
	case 'w': return opt_int("--workers", a, 1, 64, &c->workers, err, errlen);
	case 'v': c->log_level = 3; return 0;
	case 'q': c->log_level = 1; return 0;
	case OPT_MPTCP: c->mptcp = true; return 0;
	case OPT_NO_MPTCP: c->mptcp = false; return 0;
	case OPT_NO_DELAY: c->no_delay = true; return 0;
	case OPT_DELAY: c->no_delay = false; return 0;
	case 'a': return opt_str("--user", c->user, CFG_STR, a, err, errlen);
	case OPT_FAST_OPEN: c->fast_open = true; return 0;
	case OPT_ALLOW:
		if (!seen->allow)
			c->nallow = 0;
		seen->allow = true;
		return add_allow(c, a, err, errlen);
	case OPT_MAX_CONN: return opt_int("--max-conn", a, 1, 1000000, &c->max_conn, err, errlen);
	case OPT_HS_TIMEOUT: return opt_int("--handshake-timeout", a, 1, 3600, &c->handshake_timeout, err, errlen);
	case OPT_SOCKS_USER: return opt_str("--socks-user", c->socks_user, CFG_STR, a, err, errlen);
	case OPT_SOCKS_PASS: return opt_str("--socks-pass", c->socks_pass, CFG_STR, a, err, errlen);
	case OPT_NOFILE: return opt_int("--nofile", a, 64, 1048576, &c->nofile, err, errlen);
	case OPT_SALT:
		if (opt_int("--salt-filter", a, 16, 1 << 24, &v, err, errlen))
			return -1;
		c->salt_filter = (size_t)v;
		return 0;
	}
	return fail(err, errlen, "unknown option (see --help)");
}

int config_parse_args(struct shim_config *c, int argc, char **argv, char *err,
		      size_t errlen)
{
	struct opt_seen seen = { false, false };
	int o;

	opterr = 0;
	/* Pass 1: only -c, so flags override the file whatever their order. */
	optind = 1;
	while ((o = getopt_long(argc, argv, ":c:s:p:b:l:k:m:t:w:a:vqh", long_opts, NULL)) != -1) {
		if (o == 'c') {
			if (copy_str(c->config_path, sizeof(c->config_path), optarg))
				return fail(err, errlen, "--config: bad path");
			if (config_load_file(c, optarg, err, errlen))
				return -1;
		}
	}
	optind = 1;
	while ((o = getopt_long(argc, argv, ":c:s:p:b:l:k:m:t:w:a:vqh", long_opts, NULL)) != -1) {
		if (o == 'c')
			continue;
		if (o == 'h')
			return fail(err, errlen, "help");
		if (o == '?')
			return fail(err, errlen, "unknown option \"%.32s\" (see --help)",
				    argv[optind - 1]);
		if (o == ':')
			return fail(err, errlen, "option \"%.32s\" needs a value",
				    argv[optind - 1]);
		if (apply_opt(c, &seen, o, optarg, err, errlen))
			return -1;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument \"%.32s\"", argv[optind]);
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
	if (c->role == ROLE_LOCAL) {
		if (!c->nserver)
			return fail(err, errlen, "server is required (\"server\" or -s)");
		if (!c->local_address[0])
			strcpy(c->local_address, "127.0.0.1");
		if (c->local_port < 0)
			c->local_port = 1080;
	} else if (!c->nserver) {
		strcpy(c->server[0], "0.0.0.0");
		c->nserver = 1;
	}
	if (c->workers > c->max_conn)
		c->workers = c->max_conn;
	return 0;
}
