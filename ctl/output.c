// SPDX-License-Identifier: GPL-2.0
/*
 * The printers of output.h. Each field is written once, with its JSON key
 * and its text format; print.c decides which is used.
 */
#include <arpa/inet.h>
#include <string.h>
#include "output.h"
#include "print.h"

/* An address, or NULL (JSON null) if @has is false. */
static const char *ip4(bool has, const struct in_addr *a, char *buf)
{
	return has ? inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN) : NULL;
}

/* Connections' addresses: "" in JSON when missing, "?" in text. */
static const char *addr_or_empty(bool has, const struct in_addr *a, char *buf)
{
	if (has)
		return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
	return is_json() ? "" : NULL;
}

/* A connection's, a subflow's or an event's two ends. */
static void print_ends(bool has_l, const struct in_addr *l, uint16_t lport,
		       bool has_r, const struct in_addr *r, uint16_t rport)
{
	char a[INET_ADDRSTRLEN];

	print_string_or(PRINT_ANY, "local_addr", " %s",
			addr_or_empty(has_l, l, a), "?");
	print_uint(PRINT_ANY, "local_port", ":%u", lport);
	print_string_or(PRINT_ANY, "remote_addr", " -> %s",
			addr_or_empty(has_r, r, a), "?");
	print_uint(PRINT_ANY, "remote_port", ":%u", rport);
}

static void print_pm_settings(const struct omr_status *s)
{
	const char *sep = "";
	char fmt[64];
	int i;

	for (i = 0; i <= OMR_PM_A_MAX; i++) {
		if (!pm_keys[i])
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s %%u", sep, pm_keys[i]);
		print_uint(PRINT_ANY, pm_keys[i], fmt, s->pm[i]);
		sep = " ";
	}
}

void print_pm(const char *key, const struct omr_status *s)
{
	open_json_object(key);
	print_bool(PRINT_JSON, "enabled", NULL, s->enabled);
	print_string(PRINT_JSON, "add_addr", NULL, s->add_addr ? "accept" : "ignore");
	print_uint(PRINT_JSON, "paths", NULL, s->paths);
	print_uint(PRINT_JSON, "max_paths", NULL, s->max_paths);
	print_uint(PRINT_JSON, "conns", NULL, s->conns);
	if (!key) {	/* pm show's text */
		print_fp("pm %s\nadd_addr %s\nsettings ",
			 s->enabled ? "enabled" : "disabled",
			 s->add_addr ? "accept" : "ignore");
	}
	print_pm_settings(s);
	if (s->has_gen) {
		print_bool(PRINT_JSON, "enable_wanted", NULL, s->wanted);
		print_uint(PRINT_JSON, "enable_error", NULL, s->enable_error);
	}
	if (!key)
		print_nl();
	close_json_object();
}

void print_sched(const char *key, const uint32_t sched[OMR_SCHED_A_MAX + 1])
{
	char fmt[64];
	int i;

	open_json_object(key);
	for (i = 1; i <= OMR_SCHED_A_MAX; i++) {
		snprintf(fmt, sizeof(fmt), "%s%s %%u", key ? " " : i > 1 ? " " : "",
			 sched_keys[i]);
		print_uint(PRINT_ANY, sched_keys[i], fmt, sched[i]);
	}
	if (!key)
		print_nl();
	close_json_object();
}

void print_counters(const struct omr_status *s)
{
	char fmt[64];
	int i;

	print_fp("counters:");
	open_json_object("counters");
	for (i = 1; i <= OMR_CNT_A_MAX; i++) {
		if (!cnt_names[i])
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%llu", cnt_names[i]);
		print_u64(PRINT_ANY, cnt_names[i], fmt, s->cnt[i]);
	}
	close_json_object();
	print_nl();
}

static void print_usage(const struct omr_status *s)
{
	open_json_object("usage");
	print_uint(PRINT_ANY, "sched_conns",
		   "this netns: %u connection(s) on the omr scheduler", s->sched_conns);
	print_bool(PRINT_JSON, "pm_enabled", NULL, s->enabled);
	print_fp(", path manager %s\n", s->enabled ? "enabled" : "disabled");
	if (s->usage_all) {
		print_uint(PRINT_ANY, "netns", "all netns: %u", s->netns);
		print_uint(PRINT_ANY, "netns_sched",
			   ", %u with omr-scheduled connections", s->netns_sched);
		print_uint(PRINT_ANY, "netns_pm",
			   ", %u with the path manager enabled\n", s->netns_pm);
	}
	close_json_object();
}

void print_status(const struct omr_status *s)
{
	open_json_object(NULL);
	print_string(PRINT_ANY, "version", "omr %s", s->version);
	print_string(PRINT_ANY, "kernel", ", kernel %s\n", s->kernel);
	print_fp("pm: %s, add_addr %s, %u/%u paths, %u connections\n",
		 s->enabled ? "enabled" : "disabled",
		 s->add_addr ? "accept" : "ignore", s->paths, s->max_paths,
		 s->conns);
	if (s->has_gen && s->wanted && !s->enabled)
		print_fp("pm: enable requested, %s\n", s->enable_error ?
			 strerror(s->enable_error) : "pending");
	print_fp("pm settings: ");
	print_pm("pm", s);
	print_nl();
	if (!is_json()) {
		print_fp("sched:");
		print_sched("sched", s->sched);
		print_nl();
		print_usage(s);
		print_counters(s);
	} else {
		print_counters(s);
		print_sched("sched", s->sched);
		print_usage(s);
	}
	close_json_object();
}

void print_path(const struct omr_path *p)
{
	char a[INET_ADDRSTRLEN], sa[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	static const char *const health[] = { "ok", "demoted" };

	open_json_object(NULL);
	print_string(PRINT_ANY, "dev", "path dev %s", p->dev);
	print_uint(PRINT_ANY, "ifindex", " ifindex %u", p->ifindex);
	print_string(PRINT_ANY, "link", " link %s", p->link_up ? "up" : "down");
	print_string(PRINT_ANY, "addr", " addr %s", ip4(p->has_addr, &p->addr, a));
	print_bool(PRINT_ANY, "backup", " backup %d", p->backup);
	print_string(PRINT_ANY, "health", " health %s",
		     p->health < 2 ? health[p->health] : "unknown");
	print_bool(PRINT_ANY, "enabled", " enabled %d", p->enabled);
	print_uint(PRINT_ANY, "weight", " weight %u", p->weight);
	print_string(PRINT_ANY, "saddr", " saddr %s",
		     ip4(p->has_saddr, &p->saddr, sa));
	print_string(PRINT_ANY, "gw", " gw %s", ip4(p->has_gw, &p->gw, gw));
	print_string(PRINT_ANY, "cc", " cc %s", p->cc[0] ? p->cc : NULL);
	print_nl();
	close_json_object();
}

void print_path_sum(const struct omr_path *p, uint64_t total, uint32_t conns)
{
	char a[INET_ADDRSTRLEN], why[96];
	double share = total ? 100.0 * (p->tx + p->rx) / total : 0;
	bool demoted = p->health == OMR_PATH_HEALTH_DEMOTED;

	open_json_object(NULL);
	print_string(PRINT_ANY, "dev", "path %-8s", p->dev);
	print_uint(PRINT_JSON, "ifindex", NULL, p->ifindex);
	print_string(PRINT_ANY, "link", " %-4s", p->link_up ? "up" : "down");
	print_string(PRINT_JSON, "addr", NULL, ip4(p->has_addr, &p->addr, a));
	print_bool(PRINT_JSON, "backup", NULL, p->backup);
	print_string(PRINT_JSON, "health", NULL, demoted ? "demoted" : "ok");
	print_string(PRINT_JSON, "demoted_reason", NULL, p->health_reason ?
		     reason_name(p->health_reason) : NULL);
	print_uint(PRINT_ANY, "subflows", " sf %u", p->subflows);
	print_float(PRINT_FP, NULL, " rtt %6.1f ms", p->srtt_us / 1000.0, true, NULL);
	print_uint(PRINT_JSON, "srtt_us", NULL, p->srtt_us);
	print_float(PRINT_FP, NULL, " loss %5.2f%%", p->loss_ppm / 10000.0, true, NULL);
	print_uint(PRINT_JSON, "loss_ppm", NULL, p->loss_ppm);
	print_u64(PRINT_JSON, "tx_bytes", NULL, p->tx);
	print_u64(PRINT_JSON, "rx_bytes", NULL, p->rx);
	print_uint(PRINT_JSON, "window_ms", NULL, p->window_ms);
	print_float(PRINT_JSON, "share_pct", "%.1f", share, total, NULL);
	print_float(PRINT_FP, NULL, " share %5.1f%%", share, true, NULL);
	print_float(PRINT_FP, NULL, " (%.1f s)", p->window_ms / 1000.0, true, NULL);
	print_flag(PRINT_FP, NULL, " backup", p->backup);
	print_uint(PRINT_JSON, "join_fails", NULL, p->join_fails);
	print_uint(PRINT_JSON, "join_fails_total", NULL, p->join_fails_total);
	print_bool(PRINT_JSON, "mptcp_stripped", NULL, p->stripped);
	print_string(PRINT_ANY, "why", "  %s\n",
		     path_why(p, conns, why, sizeof(why)));
	close_json_object();
}

void print_path_sums(const struct omr_paths *l, uint32_t conns)
{
	uint64_t total = paths_bytes(l);
	int i;

	open_json_array("paths");
	for (i = 0; i < l->n; i++)
		print_path_sum(&l->p[i], total, conns);
	close_json_array();
}

static void print_sf_flags(uint32_t flags)
{
	print_flag(PRINT_ANY, "backup", " backup", flags & OMR_SF_F_BACKUP);
	print_flag(PRINT_ANY, "peer_backup", " peer-backup",
		   flags & OMR_SF_F_PEER_BACKUP);
	print_flag(PRINT_ANY, "join", " join", flags & OMR_SF_F_JOIN);
	print_flag(PRINT_JSON, "fully_established", NULL,
		   flags & OMR_SF_F_FULLY_ESTABLISHED);
	print_flag(PRINT_ANY, "stale", " stale", flags & OMR_SF_F_STALE);
}

static void print_sf(const struct omr_sf *sf)
{
	open_json_object(NULL);
	print_uint(PRINT_ANY, "id", "  sf %u", sf->id);
	print_string(PRINT_ANY, "dev", " dev %s", sf->has_dev ? sf->dev : NULL);
	print_uint(PRINT_JSON, "ifindex", NULL, sf->ifindex);
	print_ends(sf->has_laddr, &sf->laddr, sf->lport, sf->has_raddr,
		   &sf->raddr, sf->rport);
	print_string(PRINT_ANY, "state", " %s", tcp_state_name(sf->state));
	if (is_json())
		print_sf_flags(sf->flags);
	print_float(PRINT_FP, NULL, " rtt %.1f", sf->srtt_us / 1000.0, true, NULL);
	print_uint(PRINT_JSON, "srtt_us", NULL, sf->srtt_us);
	print_float(PRINT_FP, NULL, "/%.1f ms", sf->rttvar_us / 1000.0, true, NULL);
	print_uint(PRINT_JSON, "rttvar_us", NULL, sf->rttvar_us);
	if (sf->has_loss)
		print_uint(PRINT_JSON, "loss_ppm", NULL, sf->loss_ppm);
	else
		print_null(PRINT_JSON, "loss_ppm", NULL, NULL);
	print_float(PRINT_FP, NULL, " loss %.2f%%", sf->loss_ppm / 10000.0,
		    sf->has_loss, NULL);
	print_uint(PRINT_ANY, "cwnd", " cwnd %u", sf->cwnd);
	print_u64(PRINT_ANY, "bytes_sent", " sent %llu", sf->sent);
	print_u64(PRINT_ANY, "bytes_acked", " acked %llu", sf->acked);
	print_u64(PRINT_ANY, "bytes_received", " received %llu", sf->received);
	print_uint(PRINT_ANY, "retrans", " retrans %u", sf->retrans);
	if (sf->cc[0])	/* older modules do not tell */
		print_string(PRINT_ANY, "cc", " cc %s", sf->cc);
	if (!is_json())
		print_sf_flags(sf->flags);
	print_nl();
	close_json_object();
}

void print_conn(const struct omr_conn *c, bool subflows)
{
	char tok[16];
	int i;

	snprintf(tok, sizeof(tok), "%08x", c->token);
	open_json_object(NULL);
	print_string(PRINT_ANY, "token", "conn %s", tok);
	print_ends(c->has_laddr, &c->laddr, c->lport, c->has_raddr, &c->raddr,
		   c->rport);
	print_string(PRINT_ANY, "state", " %s", tcp_state_name(c->state));
	print_flag(PRINT_JSON, "server_side", NULL, c->flags & OMR_CONN_F_SERVER_SIDE);
	print_flag(PRINT_JSON, "fully_established", NULL,
		   c->flags & OMR_CONN_F_FULLY_ESTABLISHED);
	print_flag(PRINT_JSON, "pm", NULL, c->flags & OMR_CONN_F_PM);
	print_flag(PRINT_JSON, "fallback", NULL, c->flags & OMR_CONN_F_FALLBACK);
	print_string(PRINT_ANY, "sched", " sched %s", c->has_sched ? c->sched : NULL);
	print_flag(PRINT_FP, NULL, " server-side", c->flags & OMR_CONN_F_SERVER_SIDE);
	print_flag(PRINT_FP, NULL, " pm", c->flags & OMR_CONN_F_PM);
	print_flag(PRINT_FP, NULL, " fallback-to-TCP", c->flags & OMR_CONN_F_FALLBACK);
	print_nl();
	if (subflows || is_json()) {
		open_json_array("subflows");
		for (i = 0; i < c->nsf; i++)
			print_sf(&c->sf[i]);
		close_json_array();
	}
	close_json_object();
}

void print_event(const struct omr_event *e, bool ts)
{
	char t[16];

	open_json_object(NULL);
	if (is_json() || ts)
		print_float(PRINT_ANY, "ts", "[%.3f] ", e->ts_sec + e->ts_msec / 1000.0,
			    true, NULL);
	print_string(PRINT_ANY, "event", "%s", event_name(e->type));
	print_string(PRINT_JSON, "reason", NULL, e->reason ? reason_name(e->reason) : NULL);
	print_string(PRINT_JSON, "dev", NULL, e->has_dev ? e->dev : NULL);
	if (e->has_dev)
		print_fp(" dev %s", e->dev);
	if (e->has_ifindex)
		print_uint(PRINT_JSON, "ifindex", NULL, e->ifindex);
	if (e->has_token) {
		snprintf(t, sizeof(t), "%08x", e->token);
		print_string(PRINT_ANY, "token", " token %s", t);
	}
	if (e->has_addrs)
		print_ends(true, &e->laddr, e->lport, true, &e->raddr, e->rport);
	if (e->has_error)
		print_uint(PRINT_JSON, "error", NULL, e->error);
	if (e->type == OMR_EV_FAILOVER)
		print_string_or(PRINT_ANY, "to_dev", " to %s",
				e->has_to_dev ? e->to_dev : NULL, "none");
	if (e->has_to_ifindex)
		print_uint(PRINT_JSON, "to_ifindex", NULL, e->to_ifindex);
	if (e->reason)
		print_fp(" reason %s", reason_name(e->reason));
	if (e->has_error)
		print_fp(" error %s", strerror(e->error));
	print_nl();
	close_json_object();
}
