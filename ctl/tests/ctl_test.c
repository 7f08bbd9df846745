// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of omrctl's kernel-free parts (no netlink, no root), KTAP:
 * prefix matching, the printers (text and JSON from the same struct, and
 * today's output byte for byte), JSON escaping, the Prometheus format,
 * omr.conf's parser (errors with their line) and its round trip, and the
 * kernel's messages in words. Built under ASan/UBSan by make check.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "conf.h"
#include "fallbacks.h"
#include "model.h"
#include "output.h"
#include "print.h"
#include "prom.h"
#include "util.h"

#include "test.h"

static int n_test, n_fail;

void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		n_fail++;
}

/* What @fn prints for @arg, as text (json false) or JSON. */
char *capture(bool json, void (*fn)(const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	print_set_json(json);
	print_set_file(f);
	fn(arg);
	fclose(f);
	print_set_file(NULL);
	print_set_json(false);
	return buf;
}

bool same(const char *what, const char *got, const char *want)
{
	if (!strcmp(got, want))
		return true;
	printf("# %s:\n#  got  '%s'\n#  want '%s'\n", what, got, want);
	return false;
}

static void test_words(void)
{
	static const struct word top[] = {
		{ "status", 1 }, { "path", 1 }, { "pm", 2 }, { "sched", 2 },
		{ "conn", 1 }, { "monitor", 1 }, { "stats", 0 }, { "setconf", 4 },
		{ "showconf", 4 }, { "module", 3 }, { "help", 1 },
	};
	static const struct word sub[] = { { "show", 2 }, { "set", 2 } };
	int n = ARRAY_SIZE(top);

	ok(find_word(top, n, "p") == 1, "prefix: 'p' is path (ip's order), not pm");
	ok(find_word(top, n, "pm") == 2 && find_word(top, n, "pa") == 1,
	   "prefix: 'pm' and 'pa'");
	ok(find_word(top, n, "stats") == 6 && find_word(top, n, "stat") == 0,
	   "prefix: 'stats' exact wins, 'stat' is status");
	ok(find_word(top, n, "mo") == 5 && find_word(top, n, "mod") == 9,
	   "prefix: 'mo' monitor, 'mod' module");
	ok(find_word(sub, 2, "s") == -2 && find_word(sub, 2, "sh") == 0 &&
	   find_word(sub, 2, "se") == 1, "prefix: 's' ambiguous among show/set");
	ok(find_word(top, n, "x") == -1 && find_word(top, n, "") == -1 &&
	   find_word(top, n, "paths") == -1, "prefix: no match");
}

static void do_path(const void *p)
{
	print_path(p);
}

static void do_path_sum(const void *p)
{
	print_path_sum(p, 4000, 1);	/* one connection: "ok" */
}

struct omr_path sample_path(void)
{
	struct omr_path p = {
		.dev = "eth1", .ifindex = 3, .weight = 2, .link_up = true,
		.enabled = true, .naddr = 1, .subflows = 1,
		.srtt_us = 12345, .loss_ppm = 2500, .tx = 1000, .rx = 1000,
		.window_ms = 3000,
	};

	ip_pton("10.0.1.1", &p.addr[0]);
	return p;
}

/* Each JSON key of a path is in its text as "key value", same value. */
static bool text_has_json(const char *text, struct json_object *o)
{
	const char *v;
	char want[128];

	json_object_object_foreach(o, k, val) {
		if (!strcmp(k, "addrs"))
			continue;	/* JSON only: the "addr" ones, as a list */
		if (!val)
			v = "-";
		else if (json_object_is_type(val, json_type_boolean))
			v = json_object_get_boolean(val) ? "1" : "0";
		else
			v = json_object_get_string(val);
		if (!strcmp(k, "link"))
			snprintf(want, sizeof(want), " link %s", v);
		else
			snprintf(want, sizeof(want), "%s %s", k, v);
		if (!strstr(text, want)) {
			printf("# '%s' not in '%s'\n", want, text);
			return false;
		}
	}
	return true;
}

static void test_path_printer(void)
{
	struct omr_path p = sample_path();
	struct json_object *o;
	char *t, *j;

	t = capture(false, do_path, &p);
	j = capture(true, do_path, &p);
	ok(same("path text", t, "path dev eth1 ifindex 3 link up addr 10.0.1.1 backup 0 health ok enabled 1 weight 2 saddr - gw - cc -\n"),
	   "print_path: text as before");
	ok(same("path json", j, "{\"dev\":\"eth1\",\"ifindex\":3,\"link\":\"up\",\"addr\":\"10.0.1.1\",\"addrs\":[\"10.0.1.1\"],\"backup\":false,\"health\":\"ok\",\"enabled\":true,\"weight\":2,\"saddr\":null,\"gw\":null,\"cc\":null}\n"),
	   "print_path: JSON as before");
	o = json_tokener_parse(j);
	ok(o && text_has_json(t, o), "print_path: text and JSON carry the same values");
	json_object_put(o);
	free(t);
	free(j);
	ip_pton("2001:db8:1::1", &p.addr[p.naddr++]);
	ip_pton("2001:db8:1::1", &p.saddr);
	t = capture(false, do_path, &p);
	j = capture(true, do_path, &p);
	ok(strstr(t, " addr 10.0.1.1 addr 2001:db8:1::1 backup 0 ") &&
	   strstr(t, " saddr 2001:db8:1::1 gw - ") &&
	   strstr(j, "\"addr\":\"10.0.1.1\",\"addrs\":[\"10.0.1.1\",\"2001:db8:1::1\"]") &&
	   strstr(j, "\"saddr\":\"2001:db8:1::1\""),
	   "print_path: IPv4 and IPv6 addresses, text and JSON");
	free(t);
	free(j);
	p.naddr = 1;
	memset(&p.saddr, 0, sizeof(p.saddr));
	snprintf(p.cc, sizeof(p.cc), "bbr");
	t = capture(false, do_path, &p);
	j = capture(true, do_path, &p);
	ok(strstr(t, " gw - cc bbr\n") && strstr(j, ",\"cc\":\"bbr\"}"),
	   "print_path: a path's congestion control, text and JSON");
	free(t);
	free(j);
	p.cc[0] = '\0';
	t = capture(false, do_path_sum, &p);
	j = capture(true, do_path_sum, &p);
	ok(same("path -s text", t, "path eth1     up   sf 1 rtt   12.3 ms loss  0.25% share  50.0% (3.0 s)  ok\n"),
	   "print_path_sum: text as before");
	ok(same("path -s json", j, "{\"dev\":\"eth1\",\"ifindex\":3,\"link\":\"up\",\"addr\":\"10.0.1.1\",\"addrs\":[\"10.0.1.1\"],\"backup\":false,\"health\":\"ok\",\"demoted_reason\":null,\"subflows\":1,\"srtt_us\":12345,\"loss_ppm\":2500,\"tx_bytes\":1000,\"rx_bytes\":1000,\"window_ms\":3000,\"share_pct\":50.0,\"join_fails\":0,\"join_fails_total\":0,\"mptcp_stripped\":false,\"why\":\"ok\"}\n"),
	   "print_path_sum: JSON as before");
	free(t);
	free(j);
}

static void do_path_sums(const void *l)
{
	print_path_sums(l, 1);
}

/* stats, conn show -s: shares of all paths' bytes, and why, per path. */
static void test_path_sums(void)
{
	struct omr_path p[3] = { sample_path(), sample_path(), sample_path() };
	struct omr_paths l;
	char *t;

	snprintf(p[1].dev, sizeof(p[1].dev), "eth2");
	p[1].link_up = false;
	p[1].tx = 2000;
	p[1].rx = 0;
	snprintf(p[2].dev, sizeof(p[2].dev), "eth3");
	p[2].subflows = 0;
	p[2].join_fails = 3;
	p[2].tx = p[2].rx = 0;
	l.p = p;
	l.n = 3;
	t = capture(false, do_path_sums, &l);
	ok(same("path sums", t,
		"path eth1     up   sf 1 rtt   12.3 ms loss  0.25% share  50.0% (3.0 s)  ok\n"
		"path eth2     down sf 1 rtt   12.3 ms loss  0.25% share  50.0% (3.0 s)  link down\n"
		"path eth3     up   sf 0 rtt   12.3 ms loss  0.25% share   0.0% (3.0 s)  no subflow: joins failing (3), backing off\n"),
	   "print_path_sums: each path's share of all bytes and why");
	free(t);
}

static void do_conn(const void *c)
{
	print_conn(c, true);
}

static void test_conn_printer(void)
{
	struct omr_sf sf = {
		.id = 2, .has_dev = true, .dev = "eth2", .ifindex = 4,
		.lport = 40000,
		.rport = 5201, .state = 1, .flags = 1 << 2, .srtt_us = 20000,
		.rttvar_us = 5000, .has_loss = false, .cwnd = 10, .sent = 5,
		.acked = 4, .received = 3, .retrans = 1, .cc = "bbr",
	};
	struct omr_conn c = {
		.token = 0xabc,
		.lport = 40000, .rport = 5201, .state = 1, .flags = 4,
		.has_sched = true, .sched = "omr", .sf = &sf, .nsf = 1,
	};
	struct json_object *o, *sfo, *loss;
	char *t, *j;

	ip_pton("10.0.2.1", &sf.laddr);
	ip_pton("10.9.0.1", &sf.raddr);
	c.laddr = sf.laddr;
	t = capture(false, do_conn, &c);
	j = capture(true, do_conn, &c);
	ok(same("conn text", t, "conn 00000abc 10.0.2.1:40000 -> ?:5201 established sched omr pm\n"
		"  sf 2 dev eth2 10.0.2.1:40000 -> 10.9.0.1:5201 established rtt 20.0/5.0 ms cwnd 10 sent 5 acked 4 received 3 retrans 1 cc bbr join\n"),
	   "print_conn: text as before");
	o = json_tokener_parse(j);
	ok(o && !strcmp(json_object_get_string(json_object_object_get(o, "remote_addr")), "") &&
	   json_object_get_boolean(json_object_object_get(o, "pm")) &&
	   json_object_array_length(json_object_object_get(o, "subflows")) == 1,
	   "print_conn: JSON: remote_addr \"\", pm true, one subflow");
	sfo = o ? json_object_array_get_idx(json_object_object_get(o, "subflows"), 0) : NULL;
	/* _get_ex: the key is there, and null (a missing key is NULL too). */
	ok(sfo && json_object_get_boolean(json_object_object_get(sfo, "join")) &&
	   json_object_object_get_ex(sfo, "loss_ppm", &loss) && !loss,
	   "print_sf: JSON join true, loss_ppm null");
	json_object_put(o);
	free(t);
	free(j);
	ip_pton("2001:db8:2::1", &sf.laddr);
	ip_pton("2001:db8:9::1", &sf.raddr);
	c.laddr = sf.laddr;
	c.raddr = sf.raddr;
	t = capture(false, do_conn, &c);
	j = capture(true, do_conn, &c);
	ok(strstr(t, "conn 00000abc [2001:db8:2::1]:40000 -> [2001:db8:9::1]:5201 ") &&
	   strstr(t, "  sf 2 dev eth2 [2001:db8:2::1]:40000 -> [2001:db8:9::1]:5201 ") &&
	   strstr(j, "\"local_addr\":\"2001:db8:2::1\",\"local_port\":40000,\"remote_addr\":\"2001:db8:9::1\""),
	   "print_conn: IPv6 ends, [ADDR]:PORT in text, the address alone in JSON");
	free(t);
	free(j);
}

static void test_ip(void)
{
	struct omr_ip a, b;
	char buf[OMR_IP_STRLEN];

	ok(!ip_pton("10.1.2.3", &a) && a.family == AF_INET &&
	   !strcmp(ip_ntop(&a, buf), "10.1.2.3"), "ip_pton: IPv4");
	ok(!ip_pton("2001:db8::1", &b) && b.family == AF_INET6 &&
	   !strcmp(ip_ntop(&b, buf), "2001:db8::1") && !ip_eq(&a, &b),
	   "ip_pton: IPv6");
	ok(!ip_pton("::ffff:10.1.2.3", &b) && ip_eq(&a, &b),
	   "ip_pton: an IPv4-mapped address is the IPv4 one");
	ok(ip_pton("10.1.2", &a) && ip_pton("2001:db8::1::2", &a) &&
	   ip_pton("", &a), "ip_pton: refuses what is neither");
}

static void test_escape(void)
{
	struct omr_path p = sample_path();
	struct json_object *o;
	char *j;

	snprintf(p.dev, sizeof(p.dev), "a\"b\\c\n\x01/");
	j = capture(true, do_path, &p);
	o = json_tokener_parse(j);
	ok(o && !strcmp(json_object_get_string(json_object_object_get(o, "dev")), p.dev),
	   "JSON: a device name with quote, backslash, control bytes round-trips");
	json_object_put(o);
	free(j);
}

static void do_status(const void *s)
{
	print_status(s);
}

struct omr_status sample_status(void)
{
	struct omr_status s = { .enabled = true, .paths = 2, .max_paths = 8,
				.conns = 1, .sched_conns = 1 };
	int i;

	snprintf(s.version, sizeof(s.version), "0.1.0");
	snprintf(s.kernel, sizeof(s.kernel), "6.12.0");
	for (i = 0; i <= OMR_PM_A_MAX; i++)
		s.pm[i] = pm_keys[i] ? 100 + i : 0;
	for (i = 0; i <= OMR_SCHED_A_MAX; i++)
		s.sched[i] = 1000 + i;
	for (i = 0; i <= OMR_CNT_A_MAX; i++)
		s.cnt[i] = i;
	return s;
}

static void test_status_printer(void)
{
	struct omr_status s = sample_status();
	struct json_object *o, *pm, *x;
	char *t, *j;
	int i;

	s.cnt[OMR_CNT_A_UNTRACKED] = 0;
	t = capture(false, do_status, &s);
	j = capture(true, do_status, &s);
	ok(strstr(t, "omr 0.1.0, kernel 6.12.0\npm: enabled, add_addr ignore, 2/8 paths, 1 connections\npm settings: tick_ms 106 stall_ms 107 ") == t &&
	   strstr(t, "\nsched: loss_penalty 1001 loss_gain 1002 rtt_unknown_us 1003 burst 1004\nthis netns: 1 connection(s) on the omr scheduler, path manager enabled\ncounters: creates 2 "),
	   "print_status: text as before");
	o = json_tokener_parse(j);
	pm = o ? json_object_object_get(o, "pm") : NULL;
	ok(pm && json_object_get_boolean(json_object_object_get(pm, "enabled")) &&
	   json_object_get_int(json_object_object_get(pm, "tick_ms")) == 106 &&
	   json_object_object_get_ex(o, "counters", &x) &&
	   json_object_get_int(json_object_object_get(x, "event_overflows")) == OMR_CNT_A_EV_OVERFLOWS,
	   "print_status: JSON pm and counters");
	for (i = 1; pm && i <= OMR_PM_A_MAX; i++) {
		char w[64];

		if (!pm_keys[i])
			continue;
		snprintf(w, sizeof(w), " %s %d", pm_keys[i],
			 json_object_get_int(json_object_object_get(pm, pm_keys[i])));
		if (!strstr(t, w))
			break;
	}
	ok(i > OMR_PM_A_MAX, "print_status: every PM setting, same in text and JSON");
	json_object_put(o);
	free(t);
	free(j);
	/* Connections past pm_max_conns: never silent, in text and JSON. */
	s.max_conns = 100;
	s.cnt[OMR_CNT_A_UNTRACKED] = 50;
	t = capture(false, do_status, &s);
	j = capture(true, do_status, &s);
	ok(strstr(t, "1 connections\npm: 50 connection(s) not followed (at most 100: the module parameter pm_max_conns; or no memory)\npm settings: ") &&
	   strstr(j, "\"max_conns\":100") && strstr(j, "\"untracked\":50"),
	   "print_status: connections not followed (untracked), text and JSON");
	free(t);
	free(j);
}

/* MPTCP's fallback counters: parsed by name from netstat's two lines. */
static void test_fallbacks(void)
{
	static const char good[] =
		"TcpExt: SyncookiesSent EmbryonicRsts\nTcpExt: 1 2\n"
		"MPTcpExt: MPCapableSYNRX MPFallbackTokenInit MPCapableFallbackSYNACK MPCapableFallbackACK DssFallback\n"
		"MPTcpExt: 5 7 2 1 3\n";
	static const char bad[] = "MPTcpExt: MPFallbackTokenInit DssFallback\nMPTcpExt: 7\n";
	struct omr_fallbacks fb;
	struct omr_status s = sample_status();
	char *t, *j;
	FILE *f;
	int r1, r2, r3;

	f = fmemopen((void *)good, sizeof(good) - 1, "r");
	r1 = fallbacks_parse(f, &fb);
	fclose(f);
	ok(!r1 && fb.seen && fb.token_table == 7 && fb.peer == 3 && fb.other == 3,
	   "mib: MPTcpExt fallback counters by name: token table 7, peer 2+1, other 3");
	f = fmemopen((void *)bad, sizeof(bad) - 1, "r");
	r2 = fallbacks_parse(f, &fb);
	fclose(f);
	f = fmemopen((void *)good, 30, "r");	/* TcpExt only */
	r3 = fallbacks_parse(f, &fb);
	fclose(f);
	ok(r2 && r3 && !fb.seen, "mib: names without as many values, or no MPTcpExt, are refused");

	s.cnt[OMR_CNT_A_UNTRACKED] = 0;
	s.fb = (struct omr_fallbacks){ .seen = true, .token_table = 7, .peer = 3 };
	t = capture(false, do_status, &s);
	j = capture(true, do_status, &s);
	ok(strstr(t, "1 connections\nmptcp: 10 connection(s) of this netns fell back to plain TCP (one path): 7 with the kernel's MPTCP token table full (a bucket per MB of RAM), 3 with a peer that did not take or offer MPTCP, since the netns started\npm settings: ") &&
	   strstr(j, "\"mptcp_fallbacks\":{\"token_table\":7,\"peer\":3,\"other\":0}"),
	   "print_status: connections in TCP fallback, text and JSON");
	free(t);
	free(j);
	s.fb = (struct omr_fallbacks){ 0 };
	t = capture(false, do_status, &s);
	j = capture(true, do_status, &s);
	ok(!strstr(t, "mptcp:") && strstr(j, "\"mptcp_fallbacks\":null"),
	   "print_status: no fallback line without any; JSON null without MPTCP's MIB");
	free(t);
	free(j);
}

static void do_event(const void *e)
{
	print_event(e, true);
}

static void test_event_printer(void)
{
	struct omr_event e = { .type = OMR_EV_FAILOVER, .reason = OMR_EV_R_STALL,
			       .has_dev = true, .dev = "eth1", .has_token = true,
			       .token = 0x12, .ts_sec = 1700000000, .ts_msec = 5 };
	char *t, *j;

	t = capture(false, do_event, &e);
	j = capture(true, do_event, &e);
	ok(same("event text", t, "[1700000000.005] failover dev eth1 token 00000012 to none reason stall\n"),
	   "print_event -t: text");
	ok(same("event json", j, "{\"ts\":1700000000.005,\"event\":\"failover\",\"reason\":\"stall\",\"dev\":\"eth1\",\"token\":\"00000012\",\"to_dev\":null}\n"),
	   "print_event: JSON as before");
	free(t);
	free(j);
	e = (struct omr_event){ .type = OMR_EV_SF_CREATED, .has_dev = true,
				.dev = "eth1", .has_addrs = true, .lport = 1000,
				.rport = 80, .ts_sec = 1700000000 };
	ip_pton("10.0.0.1", &e.laddr);
	ip_pton("10.0.0.2", &e.raddr);
	t = capture(false, do_event, &e);
	j = capture(true, do_event, &e);
	ok(same("event addrs text", t, "[1700000000.000] sf_created dev eth1 10.0.0.1:1000 -> 10.0.0.2:80\n") &&
	   same("event addrs json", j, "{\"ts\":1700000000.000,\"event\":\"sf_created\",\"reason\":null,\"dev\":\"eth1\",\"local_addr\":\"10.0.0.1\",\"local_port\":1000,\"remote_addr\":\"10.0.0.2\",\"remote_port\":80}\n"),
	   "print_event: a subflow's addresses and ports, text and JSON");
	free(t);
	free(j);
}

static void test_words_kernel(void)
{
	char out[256];

	omr_words("OMR_A_SCHED is required", out, sizeof(out));
	ok(same("words", out, "missing scheduler settings"), "kernel message: OMR_A_SCHED is required");
	omr_words("OMR_PM_A_LOSS_LO (200) must be below OMR_PM_A_LOSS_HI (200)", out, sizeof(out));
	ok(same("words", out, "loss_lo (200) must be below loss_hi (200)"), "kernel message: PM keys in words");
	omr_words("OMR_PATH_A_IFNAME: no path on this device", out, sizeof(out));
	ok(same("words", out, "dev: no path on this device"), "kernel message: dev");
	omr_words("too many paths (at most 8)", out, sizeof(out));
	ok(same("words", out, "too many paths (at most 8)"), "kernel message without names: unchanged");
	omr_words("OMR_SCHED_A_BURST OMR_SCHED_A_BURST OMR_SCHED_A_BURST", out, 12);
	ok(strlen(out) < 12, "kernel message: cut to the buffer");
}

int main(void)
{
	printf("KTAP version 1\n1..%d\n", N_TESTS);
	test_words();
	test_path_printer();
	test_path_sums();
	test_conn_printer();
	test_ip();
	test_escape();
	test_status_printer();
	test_fallbacks();
	test_event_printer();
	test_prom();
	test_words_kernel();
	test_conf();
	test_uroute();
	return n_fail ? 1 : 0;
}
