// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The counters as a whole: a snapshot summed over the workers' sets
 * (read without a lock, see stats.h), and its two renderings, the
 * Prometheus text format and JSON, both from one table of samples so
 * that they cannot drift apart.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "shim.h"
#include "stats.h"

/* Values that are not a counter of the sets. */
enum { V_ACTIVE = ST_N, V_WORKERS, V_UPTIME, V_UDP_ACTIVE };

/*
 * One sample per row. A row with a type starts a metric (HELP and TYPE
 * lines); the rows after it without one are more samples of it, told
 * apart by their labels. JSON puts the value at group.key (no group:
 * at the top level).
 */
struct sample {
	const char *name;	/* after "omr_shim_" */
	const char *type, *help;
	const char *labels;	/* after the instance's labels, or NULL */
	const char *group, *key;
	int id;			/* enum stat_id or V_* */
	bool udp;		/* only when UDP is relayed */
};

static const struct sample samples[] = {
	{ "uptime_seconds", "gauge", "Seconds since omr-shim started.",
	  NULL, NULL, "uptime_seconds", V_UPTIME, false },
	{ "workers", "gauge", "Worker threads (event loops).",
	  NULL, NULL, "workers", V_WORKERS, false },
	{ "connections_accepted_total", "counter",
	  "TCP connections accepted (local, redir: from clients; server: tunnels).",
	  NULL, "connections", "accepted", ST_ACCEPTED, false },
	{ "connections_active", "gauge",
	  "TCP connections open, as counted against max_connections.",
	  NULL, "connections", "active", V_ACTIVE, false },
	{ "connections_closed_total", "counter", "TCP connections closed.",
	  NULL, "connections", "closed", ST_CLOSED, false },
	{ "connections_refused_total", "counter",
	  "TCP connections closed at once: max_connections reached (limit), or the target is in an internal range (policy).",
	  "reason=\"limit\"", "connections", "refused_limit", ST_REFUSED_LIMIT, false },
	{ "connections_refused_total", NULL, NULL,
	  "reason=\"policy\"", "connections", "refused_policy", ST_REFUSED_POLICY, false },
	{ "tunnels_total", "counter",
	  "Tunnel connections by transport, taken when the peer's first chunk opened (fallback: MPTCP asked for, TCP got).",
	  "transport=\"mptcp\"", "tunnels", "mptcp", ST_TUN_MPTCP, false },
	{ "tunnels_total", NULL, NULL,
	  "transport=\"fallback\"", "tunnels", "fallback", ST_TUN_FALLBACK, false },
	{ "tunnels_total", NULL, NULL,
	  "transport=\"tcp\"", "tunnels", "tcp", ST_TUN_TCP, false },
	{ "bytes_total", "counter",
	  "Bytes read (rx) from and written (tx) to the plain (application) and tunnel (Shadowsocks AEAD) sockets.",
	  "side=\"plain\",direction=\"rx\"", "bytes", "plain_rx", ST_PLAIN_RX, false },
	{ "bytes_total", NULL, NULL,
	  "side=\"plain\",direction=\"tx\"", "bytes", "plain_tx", ST_PLAIN_TX, false },
	{ "bytes_total", NULL, NULL,
	  "side=\"tunnel\",direction=\"rx\"", "bytes", "tunnel_rx", ST_TUN_RX, false },
	{ "bytes_total", NULL, NULL,
	  "side=\"tunnel\",direction=\"tx\"", "bytes", "tunnel_tx", ST_TUN_TX, false },
	{ "auth_failures_total", "counter",
	  "Input refused: bad_tag (the first chunk or datagram does not open: wrong password or method, a probe), bad_chunk (a later chunk), replay (salt seen before: a replay or a reflection), bad_header (malformed target address), socks_auth (RFC 1929 credentials).",
	  "proto=\"tcp\",reason=\"bad_tag\"", "auth_failures", "bad_tag", ST_AUTH_BAD_TAG, false },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"tcp\",reason=\"bad_chunk\"", "auth_failures", "bad_chunk", ST_AUTH_BAD_CHUNK, false },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"tcp\",reason=\"replay\"", "auth_failures", "replay", ST_AUTH_REPLAY, false },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"tcp\",reason=\"bad_header\"", "auth_failures", "bad_header", ST_AUTH_BAD_HEADER, false },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"tcp\",reason=\"socks_auth\"", "auth_failures", "socks_auth", ST_AUTH_SOCKS, false },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"udp\",reason=\"bad_tag\"", "auth_failures", "udp_bad_tag", ST_UDP_BAD_TAG, true },
	{ "auth_failures_total", NULL, NULL,
	  "proto=\"udp\",reason=\"replay\"", "auth_failures", "udp_replay", ST_UDP_REPLAY, true },
	{ "udp_datagrams_total", "counter",
	  "UDP datagrams relayed towards the tunnel peer (to_tunnel) and from it (from_tunnel).",
	  "direction=\"to_tunnel\"", "udp", "to_tunnel", ST_UDP_TO_TUN, true },
	{ "udp_datagrams_total", NULL, NULL,
	  "direction=\"from_tunnel\"", "udp", "from_tunnel", ST_UDP_FROM_TUN, true },
	{ "udp_dropped_total", "counter",
	  "UDP datagrams dropped, for any reason (auth failures and policy refusals included).",
	  NULL, "udp", "dropped", ST_UDP_DROPPED, true },
	{ "udp_refused_total", "counter",
	  "UDP datagrams dropped because the target is in an internal range.",
	  NULL, "udp", "refused_policy", ST_UDP_REFUSED, true },
	{ "udp_associations_total", "counter",
	  "UDP associations made (local: SOCKS5 UDP ASSOCIATE; server: NAT entries, one per client address; redir: one per LAN client address).",
	  NULL, "udp", "associations", ST_UDP_ASSOC, true },
	{ "udp_associations_active", "gauge", "UDP associations open.",
	  NULL, "udp", "associations_active", V_UDP_ACTIVE, true },
	{ "udp_nat_evicted_total", "counter",
	  "Server and redir: NAT entries (associations) evicted, least recently used first, at udp_max_associations.",
	  NULL, "udp", "nat_evicted", ST_UDP_EVICTED, true },
	{ "udp_nat_expired_total", "counter",
	  "Server and redir: NAT entries (associations) closed after udp_timeout idle seconds.",
	  NULL, "udp", "nat_expired", ST_UDP_EXPIRED, true },
	{ "udp_lookups_total", "counter", "Server: UDP domain targets looked up.",
	  NULL, "udp", "lookups", ST_UDP_LOOKUPS, true },
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void stats_snap(struct shim *s, struct stat_snap *out)
{
	int i, k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->nworkers; i++)
		for (k = 0; k < ST_N; k++)
			out->c[k] += stat_get(&s->workers[i].st, k);
	out->active = atomic_load(&s->nconn);
	out->workers = s->nworkers;
	out->uptime = mono_now() - s->started;
}

static double value(const struct stat_snap *sn, int id)
{
	switch (id) {
	case V_ACTIVE:
		return (double)sn->active;
	case V_WORKERS:
		return sn->workers;
	case V_UPTIME:
		return sn->uptime;
	case V_UDP_ACTIVE:
		return (double)(sn->c[ST_UDP_ASSOC] - sn->c[ST_UDP_ASSOC_CLOSED]);
	default:
		return (double)sn->c[id];
	}
}

static int listen_port(const struct shim *s)
{
	return s->ops->tunnel_accepted ? s->cfg.server_port : s->cfg.local_port;
}

/*
 * Every sample carries the instance's role and port, so the files of
 * several instances (a router's local and redir) can sit side by side
 * in node_exporter's textfile directory. Label values come from fixed
 * tables and the validated config: nothing to escape.
 */
void stats_prometheus(const struct shim *s, const struct stat_snap *sn, FILE *f)
{
	const struct sample *r;
	char inst[64];
	double v;

	snprintf(inst, sizeof(inst), "role=\"%s\",port=\"%d\"", s->ops->name,
		 listen_port(s));
	fprintf(f, "# HELP omr_shim_info The instance: role, listening port, version, cipher, MPTCP asked for.\n"
		"# TYPE omr_shim_info gauge\n"
		"omr_shim_info{%s,version=\"%s\",method=\"%s\",mptcp=\"%s\"} 1\n",
		inst, OMR_SHIM_VERSION, s->cfg.method, s->cfg.mptcp ? "true" : "false");
	for (r = samples; r < samples + NSAMPLES; r++) {
		if (r->udp && !cfg_udp(&s->cfg))
			continue;
		if (r->type)
			fprintf(f, "# HELP omr_shim_%s %s\n# TYPE omr_shim_%s %s\n",
				r->name, r->help, r->name, r->type);
		v = value(sn, r->id);
		fprintf(f, "omr_shim_%s{%s%s%s} ", r->name, inst, r->labels ? "," : "",
			r->labels ? r->labels : "");
		if (r->id == V_UPTIME)
			fprintf(f, "%.3f\n", v);
		else
			fprintf(f, "%" PRIu64 "\n", r->id < ST_N ? sn->c[r->id] : (uint64_t)v);
	}
}

/* The object for group g in root, made on first use; NULL: root. */
static json_object *group(json_object *root, const char *g)
{
	json_object *o;

	if (!g)
		return root;
	if (json_object_object_get_ex(root, g, &o))
		return o;
	o = json_object_new_object();
	json_object_object_add(root, g, o);
	return o;
}

int stats_json(const struct shim *s, const struct stat_snap *sn, FILE *f)
{
	json_object *root = json_object_new_object();
	const struct sample *r;

	if (!root)
		return -1;
	json_object_object_add(root, "role", json_object_new_string(s->ops->name));
	json_object_object_add(root, "port", json_object_new_int(listen_port(s)));
	json_object_object_add(root, "version", json_object_new_string(OMR_SHIM_VERSION));
	json_object_object_add(root, "method", json_object_new_string(s->cfg.method));
	json_object_object_add(root, "mptcp", json_object_new_boolean(s->cfg.mptcp));
	for (r = samples; r < samples + NSAMPLES; r++) {
		if (r->udp && !cfg_udp(&s->cfg))
			continue;
		json_object_object_add(group(root, r->group), r->key,
				       r->id == V_UPTIME ? json_object_new_double(sn->uptime) :
				       json_object_new_uint64(r->id < ST_N ? sn->c[r->id] :
							      (uint64_t)value(sn, r->id)));
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return 0;
}
