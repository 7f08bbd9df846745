// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * omr-shim: SOCKS5 front end (local) and Shadowsocks AEAD server over
 * kernel MPTCP. main() owns the process: configuration, key, signals.
 * Exit codes: 0 clean stop, 1 runtime failure (bind, resources),
 * 2 usage or configuration error.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "log.h"
#include "shim.h"

enum { EXIT_RUNTIME = 1, EXIT_CONFIG = 2 };

static int parse_role(const char *r)
{
	if (!strcmp(r, "local"))
		return ROLE_LOCAL;
	if (!strcmp(r, "server"))
		return ROLE_SERVER;
	if (!strcmp(r, "redir"))
		return ROLE_REDIR;
	return ROLE_NONE;
}

static const struct role_ops *role_ops_of(enum shim_role r)
{
	return r == ROLE_LOCAL ? &local_ops : r == ROLE_REDIR ? &redir_ops : &server_ops;
}

static int load_config(struct shim_config *cfg, int argc, char **argv)
{
	char err[CFG_ERR_LEN];

	config_defaults(cfg);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		config_usage();
		return argc < 2 ? -1 : 1;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("omr-shim %s\n", OMR_SHIM_VERSION);
		return 1;
	}
	cfg->role = parse_role(argv[1]);
	if (cfg->role == ROLE_NONE) {
		fprintf(stderr, "omr-shim: unknown role \"%.32s\" (local, server or redir)\n", argv[1]);
		return -1;
	}
	if (config_parse_args(cfg, argc - 1, argv + 1, err, sizeof(err)) ||
	    config_validate(cfg, err, sizeof(err))) {
		if (!strcmp(err, "help")) {
			config_usage();
			return 1;
		}
		fprintf(stderr, "omr-shim: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * Each relayed connection needs two fds; with UDP, an association (local)
 * up to three, a NAT entry (server) up to two, udp_max of them. Without an
 * explicit "nofile", raise the soft limit towards what those limits need,
 * up to the hard limit (the usual 1024 soft limit would otherwise cap us
 * at ~500 connections).
 */
static void raise_nofile(const struct shim_config *c)
{
	int want = c->nofile;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (want <= 0) {
		rlim_t need = (rlim_t)c->max_conn * 2 + 64 +
			      (cfg_udp(c) ? (rlim_t)c->udp_max * 3 : 0);

		if (rl.rlim_cur >= need)
			return;
		rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		return;
	}
	rl.rlim_cur = (rlim_t)want;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn("nofile %d: %s", want, strerror(errno));
}

static int shim_init(struct shim *s)
{
	struct shim_config *c = &s->cfg;
	struct timespec now;

	if (ss_key_init(&s->key, c->method, c->password)) {
		log_err("cannot set up cipher %s", c->method);
		return -1;
	}
	if (salt_filter_init(&s->salts, c->salt_filter)) {
		log_err("out of memory for the salt filter");
		goto err_key;
	}
	s->ops = role_ops_of(c->role);
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->started = now.tv_sec + now.tv_nsec / 1e9;
	s->ms.want = c->mptcp;
	for (s->nsrv = 0; s->ops != &server_ops && s->nsrv < (int)c->nserver; s->nsrv++)
		if (net_resolve(c->server[s->nsrv], c->server_port, false,
				&s->srv[s->nsrv], &s->srvlen[s->nsrv]))
			goto err_salts;
	raise_nofile(c);
	return 0;
err_salts:
	salt_filter_free(&s->salts);
err_key:
	ss_key_free(&s->key);
	return -1;
}

/*
 * "user": once the listeners are bound (a port below 1024 needs root only
 * for bind), become that user, groups included, as ss-server -a does.
 * glibc applies setgroups/setgid/setuid to every thread of the process.
 */
static int drop_privileges(const char *user)
{
	struct passwd pwd, *pw = NULL;
	char buf[4096];
	int err;

	if (!user[0])
		return 0;
	/* The reentrant lookup: worker threads already run. */
	err = getpwnam_r(user, &pwd, buf, sizeof(buf), &pw);
	if (!pw) {
		log_err("user \"%s\": %s", user, err ? strerror(err) : "no such user");
		return -1;
	}
	if (geteuid() == pw->pw_uid && getegid() == pw->pw_gid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid)) {
		log_err("cannot become user \"%s\": %s", user, strerror(errno));
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", user, (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	return 0;
}

/*
 * SIGHUP (systemctl reload): read the same command line and file again.
 * The option table (config.c) says what a reload changes: timeouts
 * (udp_timeout too), max_connections, no_delay, allow,
 * socks_username/socks_password and the log level. The rest is bound to
 * the listeners, the key every open connection uses, or privileges: a
 * change to it refuses the reload, naming the key. So does any error: the
 * running configuration then stays whole. Applied while every worker is
 * parked (workers_pause), so no thread sees half of it; open connections
 * stay (they keep their own cipher state and sockets).
 */
static void reload(struct shim *s, int argc, char **argv)
{
	static struct shim_config next;	/* big: off the stack */
	char err[CFG_ERR_LEN];
	const char *key;

	log_notify("RELOADING=1");
	config_defaults(&next);
	next.role = s->cfg.role;
	if (config_parse_args(&next, argc - 1, argv + 1, err, sizeof(err)) ||
	    config_validate(&next, err, sizeof(err))) {
		log_err("reload refused, the running configuration stays: %s", err);
		goto out;
	}
	key = config_restart_key(&s->cfg, &next);
	if (key) {
		log_err("reload refused, the running configuration stays: \"%s\" changed, which needs a restart",
			key);
		goto out;
	}
	workers_pause(s);
	config_reload(&s->cfg, &next);
	log_setup(s->ops->name, s->cfg.log_level);
	workers_resume(s);
	raise_nofile(&s->cfg);
	log_info("reloaded: timeout %d, handshake_timeout %d, max_connections %d, %zu allowed ranges, log level %d",
		 s->cfg.timeout, s->cfg.handshake_timeout, s->cfg.max_conn,
		 s->cfg.nallow, s->cfg.log_level);
out:
	log_notify("READY=1");
}

/*
 * Signals, taken by this thread only: SIGTERM/SIGINT stop, SIGHUP reloads
 * the configuration, SIGUSR1 logs a status report.
 */
static int run(struct shim *s, int argc, char **argv)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	/* Workers inherit the mask; only this thread takes signals. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (workers_start(s))
		return -1;
	if (exporter_start(s) || drop_privileges(s->cfg.user)) {
		exporter_stop(s);
		workers_stop(s);
		return -1;
	}
	log_info("started: %d workers, method %s, mptcp %s", s->nworkers,
		 s->cfg.method, s->cfg.mptcp ? "on" : "off");
	/* Every listener is bound (workers_start): systemd's Type=notify. */
	log_notify("READY=1");
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGUSR1)
			workers_status(s);
		else if (sig == SIGHUP)
			reload(s, argc, argv);
		else if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	log_notify("STOPPING=1");
	log_info("stopping");
	exporter_stop(s);
	workers_stop(s);
	return 0;
}

int main(int argc, char **argv)
{
	static struct shim s;	/* big (config arrays): keep it off the stack */
	int ret = load_config(&s.cfg, argc, argv);

	if (ret)
		return ret > 0 ? 0 : EXIT_CONFIG;
	log_setup(role_ops_of(s.cfg.role)->name,
		  s.cfg.log_level);
	if (shim_init(&s))
		return EXIT_RUNTIME;
	ret = run(&s, argc, argv) ? EXIT_RUNTIME : 0;
	salt_filter_free(&s.salts);
	ss_key_free(&s.key);
	return ret;
}
