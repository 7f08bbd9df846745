// SPDX-License-Identifier: GPL-2.0
/*
 * omrctl: configure omr.ko and look at its paths and connections, through
 * the "omr" generic netlink family (uapi/linux/omr.h). docs/omrctl.8 is the
 * manual: commands, JSON keys, exit codes. This file holds the options and
 * the command tables; the commands are in show.c, set.c, monitor.c,
 * udproute.c, stats.c, setconf.c and module.c.
 */
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "print.h"
#include "util.h"

#ifndef OMR_VERSION
#define OMR_VERSION "unknown"
#endif

static const struct cmd path_cmds[] = {
	{ "show", 1, do_path_show, "show\t\t\tconfigured paths: device, link, address, health", NULL, 0 },
	{ "add", 1, do_path_add, "add dev IFNAME [backup] [cc NAME]\ta WAN path (the device may not exist yet)", NULL, 0 },
	{ "change", 1, do_path_change, "change dev IFNAME [backup on|off] [enabled on|off] [weight N]\n"
				       "\t\t[saddr ADDR|none] [gw ADDR|none] [cc NAME|default]", NULL, 0 },
	{ "del", 1, do_path_del, "del dev IFNAME\t\tdelete it", NULL, 0 },
};

static const struct cmd pm_cmds[] = {
	{ "show", 2, do_pm_show, "show\t\t\tpath manager state and settings", NULL, 0 },
	{ "set", 2, do_pm_set, "set [enable|disable] [add_addr accept|ignore] [KEY VALUE]...\n"
			       "\tKEY: tick_ms stall_ms fail_ms hold_ms loss_hi\n"
			       "\tloss_lo rtt_hi_ms backoff_min_ms backoff_max_ms\n"
			       "\tjoin_timeout_ms", NULL, 0 },
};

static const struct cmd sched_cmds[] = {
	{ "show", 2, do_sched_show, "show\t\t\tthe omr scheduler's tunables (global)", NULL, 0 },
	{ "set", 2, do_sched_set, "set KEY VALUE...\tloss_penalty loss_gain rtt_unknown_us burst", NULL, 0 },
};

static const struct cmd conn_cmds[] = {
	{ "show", 1, do_conn_show, "show [-s] [dev IFNAME] [addr ADDR] [port PORT]\n"
				   "\t\t\tMPTCP connections and subflows, filtered as ss;\n"
				   "\t\t\t-s: per path up?, subflows, RTT, loss, share, why", NULL, 0 },
};

static int do_help(struct ctx *c, int argc, char **argv);

static const struct cmd module_cmds[] = {
	{ "status", 1, do_module_status, "status\t\tMPTCP in the kernel; omr.ko loaded? refcount, version", NULL, 0 },
	{ "load", 1, do_module_load, "load [PATH]\t\tload omr.ko (installed, or the file PATH)", NULL, 0 },
	{ "unload", 1, do_module_unload, "unload\t\tunload it (refused while in use)", NULL, 0 },
};

#define SUB(t) t, (int)ARRAY_SIZE(t)

static const struct cmd cmds[] = {
	{ "status", 1, do_status, "status\t\t\tmodule, kernel, PM state and counters", NULL, 0 },
	{ "path", 1, NULL, NULL, SUB(path_cmds) },
	{ "pm", 2, NULL, NULL, SUB(pm_cmds) },
	{ "sched", 2, NULL, NULL, SUB(sched_cmds) },
	{ "conn", 1, NULL, NULL, SUB(conn_cmds) },
	{ "monitor", 1, do_monitor, "monitor [-t] [EVENT...]\tthe module's events as they happen (CAP_NET_ADMIN);\n"
				    "\t\t\t-t: timestamps; EVENT: path_up path_down sf_created\n"
				    "\t\t\tsf_closed path_demoted path_promoted failover", NULL, 0 },
	{ "udp-route", 1, do_udp_route, "udp-route fwmark MARK table TABLE [pref PREF] [sticky] [keep]\n"
					"\t\t\tkeep UDP marked MARK (omr-shim's udp_fwmark) on the\n"
					"\t\t\tbest WAN: rule and route, moved on the PM's events", NULL, 0 },
	{ "stats", 0, do_stats, "stats [--prometheus]\tper path and PM counters; Prometheus text format", NULL, 0 },
	{ "setconf", 4, do_setconf, "setconf FILE\t\tapply an omr.conf (checked whole first)", NULL, 0 },
	{ "showconf", 4, do_showconf, "showconf\t\tthe current state as an omr.conf", NULL, 0 },
	{ "module", 3, NULL, NULL, SUB(module_cmds) },
	{ "help", 1, do_help, "help\t\t\tthis text", NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
		"  -j, --json         JSON output (show commands, status, monitor)\n"
		"  -s, --stats        conn show: the per-path summary\n"
		"  -t, --timestamp    monitor: the time of each event\n"
		"  -n, --netns NETNS  act in the network namespace /run/netns/NETNS\n"
		"  -h, --help         this text\n"
		"  -V, --version      omrctl's version\n\n"
		"Commands (any unambiguous prefix; 'help' at every level):\n", prog);
	cmd_usage(f, "", cmds, ARRAY_SIZE(cmds));
	fprintf(f, "\nExit status: 0 done, 1 refused by the kernel, 2 bad usage, "
		"3 omr.ko not loaded, 4 NETNS cannot be entered.\n");
}

static int do_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	usage(stdout);
	return EX_OK;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (!name[0] || strchr(name, '/')) {
		err("-n '%s': not a namespace name", name);
		return EX_NETNS;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err("-n %s: %s: %m", name, path);
		return EX_NETNS;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err("-n %s: setns: %m", name);
		close(fd);
		return EX_NETNS;
	}
	close(fd);
	return EX_OK;
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "stats", no_argument, NULL, 's' },
	{ "timestamp", no_argument, NULL, 't' },
	{ "netns", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The options; -1 to go on, else the exit code. */
static int options(int argc, char **argv, struct ctx *c, const char **netns)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "+jstn:hV", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			print_set_json(true);
			break;
		case 's':
			c->stats = true;
			break;
		case 't':
			c->timestamps = true;
			break;
		case 'n':
			*netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("omrctl %s\n", OMR_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	const char *netns = NULL;
	int ret;

	ret = options(argc, argv, &c, &netns);
	if (ret >= 0)
		return ret;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (netns && find_word((struct word[]){ { "help", 1 } }, 1, argv[0]) < 0) {
		ret = enter_netns(netns);
		if (ret)
			return ret;
	}
	if (argc == 1 && !strcmp(argv[0], "help")) {
		usage(stdout);
		return EX_OK;
	}
	c.nl = omr_nl_new();
	if (!c.nl) {
		err("out of memory");
		return EX_KERNEL;
	}
	ret = cmd_run(&c, "", cmds, ARRAY_SIZE(cmds), argc, argv);
	omr_nl_free(c.nl);
	return ret;
}
