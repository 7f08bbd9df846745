// SPDX-License-Identifier: GPL-2.0
/*
 * The printers of output.h. Each field is written once, with its JSON key
 * and its text format; print.c decides which is used.
 */
#include <arpa/inet.h>
#include <string.h>
#include "output.h"
#include "print.h"

/* Connections' addresses: "" in JSON when missing, "?" in text. */
static const char *addr_or_empty(const struct omr_ip *a, char *buf)
{
	if (a->family)
		return ip_ntop(a, buf);
	return is_json() ? "" : NULL;
}

/* One end, "ADDR:PORT" in text, "[ADDR]:PORT" for IPv6. */
static void print_end(const char *akey, const char *pkey, const char *pre,
		      const struct omr_ip *ip, uint16_t port)
{
	bool v6 = ip->family == AF_INET6;
	char a[OMR_IP_STRLEN], fmt[16];

	snprintf(fmt, sizeof(fmt), "%s%s%%s", pre, v6 ? "[" : "");
	print_string_or(PRINT_ANY, akey, fmt, addr_or_empty(ip, a), "?");
	print_uint(PRINT_ANY, pkey, v6 ? "]:%u" : ":%u", port);
}

/* A connection's, a subflow's or an event's two ends. */
static void print_ends(const struct omr_ip *l, uint16_t lport,
		       const struct omr_ip *r, uint16_t rport)
{
	print_end("local_addr", "local_port", " ", l, lport);
	print_end("remote_addr", "remote_port", " -> ", r, rport);
}

/*
 * A path's source addresses, one per family: text " addr A" for each
 * (" addr -" if none); JSON "addr", the first (null if none), and
 * "addrs", all of them.
 */
static void print_path_addrs(const struct omr_path *p, bool text)
{
	char a[OMR_IP_STRLEN];
	int i;

	print_string(text ? PRINT_ANY : PRINT_JSON, "addr", " addr %s",
		     p->naddr ? ip_ntop(&p->addr[0], a) : NULL);
	for (i = 1; text && i < p->naddr; i++)
		print_string(PRINT_FP, NULL, " addr %s", ip_ntop(&p->addr[i], a));
	open_json_array("addrs");
	for (i = 0; i < p->naddr; i++)
		print_string(PRINT_JSON, NULL, NULL, ip_ntop(&p->addr[i], a));
	close_json_array();
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
	if (s->max_conns)
		print_uint(PRINT_JSON, "max_conns", NULL, s->max_conns);
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

/*
 * Connections that run plain TCP, in words, only when there are some: the
 * PM cannot follow them, and the commonest cause (a full token table) is
 * fixed by RAM, not by omr.
 */
static void print_fallbacks_line(const struct omr_fallbacks *fb)
{
	uint64_t all = fb->token_table + fb->peer + fb->other;

	if (is_json() || !all)
		return;
	print_fp("mptcp: %llu connection(s) of this netns fell back to plain TCP (one path):",
		 (unsigned long long)all);
	if (fb->token_table)
		print_fp(" %llu with the kernel's MPTCP token table full (a bucket per MB of RAM),",
			 (unsigned long long)fb->token_table);
	if (fb->peer)
		print_fp(" %llu with a peer that did not take or offer MPTCP,",
			 (unsigned long long)fb->peer);
	if (fb->other)
		print_fp(" %llu for other reasons (nstat -az 'MPTcpExt*Fallback*'),",
			 (unsigned long long)fb->other);
	print_fp(" since the netns started\n");
}

static void print_fallbacks_json(const struct omr_fallbacks *fb)
{
	if (!fb->seen) {
		print_null(PRINT_JSON, "mptcp_fallbacks", NULL, NULL);
		return;
	}
	open_json_object("mptcp_fallbacks");
	print_u64(PRINT_JSON, "token_table", NULL, fb->token_table);
	print_u64(PRINT_JSON, "peer", NULL, fb->peer);
	print_u64(PRINT_JSON, "other", NULL, fb->other);
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
	/* Never silent: connections the PM does not follow, and why. */
	if (s->cnt[OMR_CNT_A_UNTRACKED])
		print_fp("pm: %llu connection(s) not followed (at most %u: the module parameter pm_max_conns; or no memory)\n",
			 (unsigned long long)s->cnt[OMR_CNT_A_UNTRACKED],
			 s->max_conns);
	print_fallbacks_line(&s->fb);
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
		print_fallbacks_json(&s->fb);
		print_sched("sched", s->sched);
		print_usage(s);
	}
	close_json_object();
}

void print_path(const struct omr_path *p)
{
	char sa[OMR_IP_STRLEN], gw[OMR_IP_STRLEN];
	static const char *const health[] = { "ok", "demoted" };

	open_json_object(NULL);
	print_string(PRINT_ANY, "dev", "path dev %s", p->dev);
	print_uint(PRINT_ANY, "ifindex", " ifindex %u", p->ifindex);
	print_string(PRINT_ANY, "link", " link %s", p->link_up ? "up" : "down");
	print_path_addrs(p, true);
	print_bool(PRINT_ANY, "backup", " backup %d", p->backup);
	print_string(PRINT_ANY, "health", " health %s",
		     p->health < 2 ? health[p->health] : "unknown");
	print_bool(PRINT_ANY, "enabled", " enabled %d", p->enabled);
	print_uint(PRINT_ANY, "weight", " weight %u", p->weight);
	print_string(PRINT_ANY, "saddr", " saddr %s", ip_ntop(&p->saddr, sa));
	print_string(PRINT_ANY, "gw", " gw %s", ip_ntop(&p->gw, gw));
	print_string(PRINT_ANY, "cc", " cc %s", p->cc[0] ? p->cc : NULL);
	print_nl();
	close_json_object();
}

void print_path_sum(const struct omr_path *p, uint64_t total, uint32_t conns)
{
	char why[96];
	double share = total ? 100.0 * (p->tx + p->rx) / total : 0;
	bool demoted = p->health == OMR_PATH_HEALTH_DEMOTED;

	open_json_object(NULL);
	print_string(PRINT_ANY, "dev", "path %-8s", p->dev);
	print_uint(PRINT_JSON, "ifindex", NULL, p->ifindex);
	print_string(PRINT_ANY, "link", " %-4s", p->link_up ? "up" : "down");
	print_path_addrs(p, false);
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
	print_ends(&sf->laddr, sf->lport, &sf->raddr, sf->rport);
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
	print_ends(&c->laddr, c->lport, &c->raddr, c->rport);
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
		print_ends(&e->laddr, e->lport, &e->raddr, e->rport);
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
