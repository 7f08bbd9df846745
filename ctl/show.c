// SPDX-License-Identifier: GPL-2.0
/*
 * The show commands: status, pm show, sched show, path show, conn show.
 * Each asks nl.c for the structs and hands them to output.c's printers.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "fallbacks.h"
#include "output.h"
#include "print.h"
#include "util.h"

int do_status(struct ctx *c, int argc, char **argv)
{
	struct omr_status s;
	int ret = cmd_begin(c, "status", argc, argv);

	if (!ret)
		ret = omr_get_status(c->nl, &s);
	if (!ret) {
		fallbacks_read(&s.fb);
		print_status(&s);
	}
	return ret;
}

int do_pm_show(struct ctx *c, int argc, char **argv)
{
	struct omr_status s;
	int ret = cmd_begin(c, "pm show", argc, argv);

	if (!ret)
		ret = omr_get_status(c->nl, &s);
	if (!ret)
		print_pm(NULL, &s);
	return ret;
}

int do_sched_show(struct ctx *c, int argc, char **argv)
{
	uint32_t sched[OMR_SCHED_A_MAX + 1] = { 0 };
	int ret = cmd_begin(c, "sched show", argc, argv);

	if (!ret)
		ret = omr_get_sched(c->nl, sched);
	if (!ret)
		print_sched(NULL, sched);
	return ret;
}

int do_path_show(struct ctx *c, int argc, char **argv)
{
	struct omr_paths l;
	int i, ret = cmd_begin(c, "path show", argc, argv);

	if (ret)
		return ret;
	ret = omr_get_paths(c->nl, &l);
	if (!ret) {
		open_json_array(NULL);
		for (i = 0; i < l.n; i++)
			print_path(&l.p[i]);
		close_json_array();
	}
	free(l.p);
	return ret;
}

/* conn show's filters, as ss has them: any of a connection's subflows. */
struct conn_filter {
	const char *dev;
	bool has_addr, has_port;
	struct omr_ip addr;
	uint16_t port;
	bool subflows;
};

static bool sf_matches(const struct conn_filter *f, const struct omr_sf *sf)
{
	if (f->dev && (!sf->has_dev || strcmp(sf->dev, f->dev)))
		return false;
	if (f->has_addr && !ip_eq(&sf->laddr, &f->addr) &&
	    !ip_eq(&sf->raddr, &f->addr))
		return false;
	return !f->has_port || sf->lport == f->port || sf->rport == f->port;
}

static bool conn_matches(const struct conn_filter *f, const struct omr_conn *c)
{
	int i;

	if (!f->dev && !f->has_addr && !f->has_port)
		return true;
	if (!f->dev &&
	    (!f->has_addr || ip_eq(&c->laddr, &f->addr) ||
	     ip_eq(&c->raddr, &f->addr)) &&
	    (!f->has_port || c->lport == f->port || c->rport == f->port))
		return true;
	for (i = 0; i < c->nsf; i++)
		if (sf_matches(f, &c->sf[i]))
			return true;
	return false;
}

static void show_conn(const struct omr_conn *c, void *arg)
{
	const struct conn_filter *f = arg;

	if (conn_matches(f, c))
		print_conn(c, f->subflows);
}

static int conn_filter_arg(struct conn_filter *f, const char *k, const char *v)
{
	uint32_t port;

	if (!strcmp(k, "dev")) {
		if (!v || !v[0] || strlen(v) >= IFNAMSIZ)
			goto err_value;
		f->dev = v;
	} else if (!strcmp(k, "addr")) {
		if (!v || ip_pton(v, &f->addr))
			goto err_value;
		f->has_addr = true;
	} else if (!strcmp(k, "port")) {
		if (strtou32(v, &port) || port > 65535)
			goto err_value;
		f->has_port = true;
		f->port = port;
	} else {
		err("conn show: unknown filter '%s' (-s, dev IFNAME, addr ADDR, port PORT)", k);
		return EX_USAGE;
	}
	return EX_OK;
err_value:
	err("conn show: %s '%s': expected %s", k, v ? v : "",
	    !strcmp(k, "dev") ? "an interface name" :
	    !strcmp(k, "addr") ? "an IPv4 or IPv6 address" : "a port (0 to 65535)");
	return EX_USAGE;
}

static int conn_args(int argc, char **argv, struct ctx *c, struct conn_filter *f)
{
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-s")) {
			c->stats = true;
			continue;
		}
		ret = conn_filter_arg(f, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		if (ret)
			return ret;
		i++;
	}
	return EX_OK;
}

static int conn_summary(struct ctx *c)
{
	struct omr_status st;
	struct omr_paths l;
	int ret;

	ret = omr_get_state(c->nl, &st, &l);
	if (ret)
		return ret;
	print_path_sums(&l, st.conns);
	free(l.p);
	return EX_OK;
}

int do_conn_show(struct ctx *c, int argc, char **argv)
{
	struct conn_filter f = { 0 };
	int ret;

	ret = conn_args(argc, argv, c, &f);
	if (ret)
		return ret;
	omr_nl_what(c->nl, "conn show");
	f.subflows = !c->stats;
	if (c->stats) {
		open_json_object(NULL);
		ret = conn_summary(c);
		if (ret)
			return ret;	/* nothing printed: the JSON is dropped */
	}
	open_json_array(c->stats ? "conns" : NULL);
	ret = omr_get_conns(c->nl, show_conn, &f);
	close_json_array();
	if (c->stats)
		close_json_object();
	return ret;
}
