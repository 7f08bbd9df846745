// SPDX-License-Identifier: GPL-2.0
/*
 * omrctl module load|unload|status: omr.ko through libkmod, and whether the
 * kernel's MPTCP is there for it. Needs no netlink: it works (and says why
 * not) when the module is not loaded. docs/omrctl.8 lists the JSON keys and
 * the exit codes, which are omrctl's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <libkmod.h>
#include "cmd.h"
#include "module.h"
#include "print.h"
#include "util.h"

#define MOD_NAME "omr"
#define MPTCP_SYSCTL "/proc/sys/net/mptcp"
#define MAX_NS 64

static bool mptcp_present(void)
{
	struct stat st;

	return !stat(MPTCP_SYSCTL, &st) && S_ISDIR(st.st_mode);
}

/*
 * The named namespaces (/run/netns) whose net.mptcp.scheduler is omr: an
 * MPTCP socket created there takes a reference on the module, which is what
 * makes an unload fail. Reading another namespace's sysctl means entering
 * it (/proc/sys/net follows the reader's namespace); without the privilege
 * to, the list is just shorter. Returns how many were found.
 */
static int sched_netns(char names[][256], int max)
{
	int self, fd, n = 0;
	struct dirent *de;
	char path[512], val[64];
	DIR *d;

	d = opendir("/run/netns");
	if (!d)
		return 0;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		closedir(d);
		return 0;
	}
	/* readdir_r() is deprecated; one thread reads this stream. */
	// cppcheck-suppress readdirCalled
	while (n < max && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!setns(fd, CLONE_NEWNET)) {
			if (read_line(MPTCP_SYSCTL "/scheduler", val, sizeof(val)) &&
			    !strcmp(val, MOD_NAME))
				snprintf(names[n++], 256, "%s", de->d_name);
			/* Back home; if that fails, nothing after this is right. */
			if (setns(self, CLONE_NEWNET)) {
				err("cannot return to our network namespace: %s",
				     strerror(errno));
				exit(EX_KERNEL);
			}
		}
		close(fd);
	}
	close(self);
	closedir(d);
	return n;
}

/* libkmod's own log: silent, the messages here say what went wrong. */
static void kmod_quiet(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

struct kmod_ctx *kmod_ctx_quiet(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx) {
		err("libkmod: cannot initialise (no /lib/modules/$(uname -r)?)");
		return NULL;
	}
	kmod_set_log_fn(ctx, kmod_quiet, NULL);
	return ctx;
}

/* Why init_module() failed, in words an admin can act on. */
static const char *load_hint(int e)
{
	switch (e) {
	case EPERM:
		return "loading modules needs root (CAP_SYS_MODULE), or module loading is disabled";
	case ENOSYS:
		return "this kernel has no module support";
	case ENOEXEC:
		return "not a module for this kernel (built for another release?)";
	case ENOENT:
		return "the module needs a symbol this kernel lacks (see dmesg)";
	case EKEYREJECTED:
	case EBADMSG:
		return "signature rejected (Secure Boot: sign the module or use DKMS)";
	case EEXIST:
		return "a scheduler named 'omr' is registered already (see dmesg)";
	default:
		return "see the kernel log (dmesg)";
	}
}

static int load_path(struct kmod_ctx *ctx, const char *path)
{
	struct kmod_module *mod;
	int ret;

	ret = kmod_module_new_from_path(ctx, path, &mod);
	if (ret < 0) {
		err("module load: %s: %s", path, strerror(-ret));
		return EX_NOMOD;
	}
	if (strcmp(kmod_module_get_name(mod), MOD_NAME)) {
		err("module load: %s: is module '%s', not '%s'", path,
		     kmod_module_get_name(mod), MOD_NAME);
		kmod_module_unref(mod);
		return EX_USAGE;
	}
	ret = kmod_module_insert_module(mod, 0, NULL);
	kmod_module_unref(mod);
	if (ret == -EEXIST) {
		/* The module itself, rather than its init's -EEXIST? */
		if (access("/sys/module/" MOD_NAME "/initstate", F_OK) == 0) {
			printf("omr is already loaded\n");
			return EX_OK;
		}
	}
	if (ret < 0) {
		err("module load: %s: %s: %s", path, strerror(-ret), load_hint(-ret));
		return EX_KERNEL;
	}
	printf("omr loaded from %s\n", path);
	return EX_OK;
}

static void not_installed(void)
{
	struct utsname u;

	uname(&u);
	err("module load: module '%s' not found in /lib/modules/%s (install it, or give its file: omrctl module load PATH/omr.ko)",
	     MOD_NAME, u.release);
}

static int load_installed(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod;
	const char *path;
	int ret;

	ret = kmod_module_new_from_lookup(ctx, MOD_NAME, &list);
	if (ret < 0 || !list) {
		not_installed();
		return EX_NOMOD;
	}
	mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	path = kmod_module_get_path(mod);
	if (kmod_module_get_initstate(mod) == KMOD_MODULE_LIVE) {
		printf("omr is already loaded\n");
		kmod_module_unref(mod);
		return EX_OK;
	}
	if (!path) {
		not_installed();
		kmod_module_unref(mod);
		return EX_NOMOD;
	}
	/* modprobe: dependencies first, install commands and blacklist too. */
	ret = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
					      NULL, NULL, NULL, NULL);
	if (ret > 0) {
		err("module load: %s is blacklisted (modprobe.d)", MOD_NAME);
		kmod_module_unref(mod);
		return EX_KERNEL;
	}
	if (ret < 0) {
		err("module load: %s: %s: %s", path, strerror(-ret), load_hint(-ret));
		kmod_module_unref(mod);
		return EX_KERNEL;
	}
	printf("omr loaded from %s\n", path);
	kmod_module_unref(mod);
	return EX_OK;
}

int do_module_load(struct ctx *c, int argc, char **argv)
{
	struct kmod_ctx *ctx;
	int ret;

	(void)c;
	if (argc > 1) {
		err("module load: unexpected argument '%s' (load [PATH])", argv[1]);
		return EX_USAGE;
	}
	/* Check the file before MPTCP: a wrong path is the likelier mistake. */
	if (argc == 1 && access(argv[0], R_OK)) {
		err("module load: %s: %s", argv[0], strerror(errno));
		return EX_NOMOD;
	}
	if (!mptcp_present()) {
		err("module load: this kernel has no MPTCP (%s is missing: CONFIG_MPTCP is off); omr needs it",
		     MPTCP_SYSCTL);
		return EX_NOMOD;
	}
	ctx = kmod_ctx_quiet();
	if (!ctx)
		return EX_KERNEL;
	ret = argc == 1 ? load_path(ctx, argv[0]) : load_installed(ctx);
	kmod_unref(ctx);
	return ret;
}

/* "a, b" of a module's holders into buf; returns how many there are. */
static int holders_str(struct kmod_module *mod, char *buf, size_t len)
{
	struct kmod_list *l, *it;
	const char *sep = "";
	size_t off = 0;
	int n = 0;

	buf[0] = '\0';
	l = kmod_module_get_holders(mod);
	kmod_list_foreach(it, l) {
		struct kmod_module *h = kmod_module_get_module(it);

		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s",
					sep, kmod_module_get_name(h));
		sep = ", ";
		kmod_module_unref(h);
		n++;
	}
	kmod_module_unref_list(l);
	return n;
}

int do_module_unload(struct ctx *c, int argc, char **argv)
{
	char names[MAX_NS][256], holders[512];
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int ret, refcnt, n, i;

	(void)c;
	if (argc) {
		err("module unload: unexpected argument '%s'", argv[0]);
		return EX_USAGE;
	}
	ctx = kmod_ctx_quiet();
	if (!ctx)
		return EX_KERNEL;
	ret = kmod_module_new_from_name(ctx, MOD_NAME, &mod);
	if (ret < 0) {
		err("module unload: %s", strerror(-ret));
		kmod_unref(ctx);
		return EX_KERNEL;
	}
	if (kmod_module_get_initstate(mod) < 0) {
		err("module unload: omr is not loaded");
		ret = EX_NOMOD;
		goto out;
	}
	ret = kmod_module_remove_module(mod, KMOD_REMOVE_NOLOG);
	if (!ret) {
		printf("omr unloaded\n");
		goto out;
	}
	if (ret == -EBUSY) {
		/* Not live: another load or unload of it is under way. */
		err("module unload: omr is busy being loaded or unloaded; try again");
		ret = EX_KERNEL;
		goto out;
	}
	/* A reference held (delete_module() without waiting: EWOULDBLOCK). */
	if (ret != -EAGAIN) {
		err("module unload: %s%s", strerror(-ret),
		     ret == -EPERM ? " (unloading modules needs root, CAP_SYS_MODULE)" : "");
		ret = EX_KERNEL;
		goto out;
	}
	refcnt = kmod_module_get_refcnt(mod);
	n = holders_str(mod, holders, sizeof(holders));
	err("module unload: omr is in use (refcount %d%s%s): MPTCP sockets with the omr scheduler hold it; close them or set net.mptcp.scheduler back to 'default' and let them end",
	     refcnt, n ? ", held by " : "", n ? holders : "");
	n = sched_netns(names, MAX_NS);
	for (i = 0; i < n; i++)
		err("module unload: namespace '%s' has net.mptcp.scheduler=omr", names[i]);
	ret = EX_KERNEL;
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return ret;
}

static const char *state_str(int st)
{
	switch (st) {
	case KMOD_MODULE_BUILTIN:
		return "builtin";
	case KMOD_MODULE_LIVE:
		return "live";
	case KMOD_MODULE_COMING:
		return "coming";
	case KMOD_MODULE_GOING:
		return "going";
	default:
		return "unloaded";
	}
}

/* The installed module's file (modules.dep), NULL if there is none. */
static char *installed_path(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod;
	char *path = NULL;

	if (kmod_module_new_from_lookup(ctx, MOD_NAME, &list) < 0 || !list)
		return NULL;
	mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	if (kmod_module_get_path(mod))
		path = strdup(kmod_module_get_path(mod));
	kmod_module_unref(mod);
	return path;
}

struct mstatus {
	bool mptcp, loaded;
	const char *en, *sc, *ver, *srcver;
	int st, refcnt, nh, nns;
	char holders[512];	/* "a, b" */
	char *file;
	char names[MAX_NS][256];
	char enabled[16], sched[64], version[64], srcversion[64];
};

static void mstatus_get(struct kmod_ctx *ctx, struct mstatus *m)
{
	struct kmod_module *mod = NULL;

	m->st = -ENOENT;
	m->refcnt = -1;
	m->mptcp = mptcp_present();
	if (m->mptcp) {
		m->en = read_line(MPTCP_SYSCTL "/enabled", m->enabled, sizeof(m->enabled));
		m->sc = read_line(MPTCP_SYSCTL "/scheduler", m->sched, sizeof(m->sched));
	}
	if (!kmod_module_new_from_name(ctx, MOD_NAME, &mod)) {
		m->st = kmod_module_get_initstate(mod);
		if (m->st >= 0) {
			m->refcnt = kmod_module_get_refcnt(mod);
			m->nh = holders_str(mod, m->holders, sizeof(m->holders));
		}
		kmod_module_unref(mod);
	}
	m->loaded = m->st >= 0;
	if (m->loaded) {
		m->ver = read_line("/sys/module/" MOD_NAME "/version", m->version,
				   sizeof(m->version));
		m->srcver = read_line("/sys/module/" MOD_NAME "/srcversion",
				      m->srcversion, sizeof(m->srcversion));
	}
	m->file = installed_path(ctx);
	m->nns = sched_netns(m->names, MAX_NS);
}

static void print_holders(const struct mstatus *m)
{
	char buf[sizeof(m->holders)], *h, *save = NULL;

	open_json_array("holders");
	snprintf(buf, sizeof(buf), "%s", m->holders);
	for (h = strtok_r(buf, ", ", &save); h; h = strtok_r(NULL, ", ", &save))
		print_string(PRINT_JSON, NULL, NULL, h);
	close_json_array();
}

static void print_mptcp(const struct mstatus *m)
{
	print_bool(PRINT_JSON, "mptcp", NULL, m->mptcp);
	if (m->en)
		print_bool(PRINT_JSON, "mptcp_enabled", NULL, strcmp(m->en, "0"));
	else
		print_null(PRINT_JSON, "mptcp_enabled", NULL, NULL);
	print_string(PRINT_JSON, "scheduler", NULL, m->sc);
	if (m->mptcp)
		print_fp("mptcp: available, %s, scheduler %s\n",
			 !m->en ? "enabled ?" : strcmp(m->en, "0") ? "enabled" :
			 "disabled (net.mptcp.enabled=0)", m->sc ? m->sc : "?");
	else
		print_fp("mptcp: missing (no %s: the kernel is built without CONFIG_MPTCP)\n",
			 MPTCP_SYSCTL);
}

static void print_mstatus(const struct mstatus *m)
{
	int i;

	open_json_object(NULL);
	print_mptcp(m);
	print_bool(PRINT_JSON, "loaded", NULL, m->loaded);
	print_string(PRINT_JSON, "state", NULL, state_str(m->st));
	if (m->refcnt >= 0)
		print_uint(PRINT_JSON, "refcount", NULL, m->refcnt);
	else
		print_null(PRINT_JSON, "refcount", NULL, NULL);
	print_holders(m);
	print_string(PRINT_JSON, "version", NULL, m->ver);
	print_string(PRINT_JSON, "srcversion", NULL, m->srcver);
	print_string(PRINT_JSON, "file", NULL, m->file);
	if (m->loaded)
		print_fp("omr: loaded (%s), refcount %d%s%s, version %s, srcversion %s\n",
			 state_str(m->st), m->refcnt, m->nh ? ", holders " : "",
			 m->holders, m->ver ? m->ver : "?", m->srcver ? m->srcver : "?");
	else
		print_fp("omr: not loaded\n");
	print_string_or(PRINT_FP, NULL, "file: %s\n", m->file,
			"not installed for this kernel (load a build with 'omrctl module load PATH')");
	open_json_array("sched_netns");
	if (m->nns)
		print_fp("net.mptcp.scheduler=omr in:");
	for (i = 0; i < m->nns; i++)
		print_string(PRINT_ANY, NULL, " %s", m->names[i]);
	if (m->nns)
		print_nl();
	close_json_array();
	close_json_object();
}

int do_module_status(struct ctx *c, int argc, char **argv)
{
	struct kmod_ctx *ctx;
	struct mstatus *m;

	(void)c;
	if (argc) {
		err("module status: unexpected argument '%s'", argv[0]);
		return EX_USAGE;
	}
	m = calloc(1, sizeof(*m));
	ctx = m ? kmod_ctx_quiet() : NULL;
	if (!ctx) {
		free(m);
		return EX_KERNEL;
	}
	mstatus_get(ctx, m);
	kmod_unref(ctx);
	print_mstatus(m);
	free(m->file);
	free(m);
	return EX_OK;
}
