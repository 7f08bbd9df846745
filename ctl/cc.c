// SPDX-License-Identifier: GPL-2.0
/*
 * A path's congestion control (path add|change dev X cc NAME, omr.conf's
 * [Path] cc = NAME). The kernel checks only the name's syntax: it exports
 * no lookup of a congestion control by name, and finds out only when it
 * gives a subflow the name (OMR_CNT_A_CC_ERRORS, after the request was
 * accepted). So omrctl checks, before it sends anything, that this kernel
 * has it: listed in tcp_available_congestion_control, else after loading
 * the module tcp_NAME with libkmod (what the kernel's own autoload would
 * load, here with an answer in words).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libkmod.h>
#include "cc.h"
#include "model.h"
#include "module.h"
#include "util.h"

#define CC_AVAIL "/proc/sys/net/ipv4/tcp_available_congestion_control"

/* 1 if @name is in the kernel's list (copied to @list), 0 if not, -1 unreadable. */
static int cc_listed(const char *name, char *list, size_t len)
{
	size_t n = strlen(name);
	const char *p;

	if (!read_line(CC_AVAIL, list, len))
		return -1;
	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* Load tcp_@name as modprobe would; 0 or -errno (-ENOENT: no such module). */
static int cc_load(const char *name)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_ctx *ctx = kmod_ctx_quiet();
	char mod[OMR_CC_MAX + 4];
	int ret;

	if (!ctx)
		return -ENOMEM;
	snprintf(mod, sizeof(mod), "tcp_%s", name);
	ret = kmod_module_new_from_lookup(ctx, mod, &list);
	if (!ret && !list)
		ret = -ENOENT;
	kmod_list_foreach(it, list) {
		struct kmod_module *m = kmod_module_get_module(it);

		ret = kmod_module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST,
						      NULL, NULL, NULL, NULL);
		kmod_module_unref(m);
		if (ret > 0)	/* blacklisted */
			ret = -EPERM;
		if (!ret)
			break;
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return ret;
}

int cc_check(const char *what, const char *name)
{
	char list[512] = "";
	int ret;

	if (!cc_name_ok(name)) {
		err("%s: cc '%s': expected a congestion control's name (1 to %d of a-z, 0-9, _) or 'default'",
		    what, name, OMR_CC_MAX - 1);
		return EX_USAGE;
	}
	ret = cc_listed(name, list, sizeof(list));
	if (ret > 0)
		return EX_OK;
	if (ret < 0) {
		err("%s: cc %s: cannot read %s: %s", what, name, CC_AVAIL,
		    strerror(errno));
		return EX_USAGE;
	}
	ret = cc_load(name);
	if (cc_listed(name, list, sizeof(list)) > 0)
		return EX_OK;
	err("%s: cc %s: no such congestion control in this kernel (it has: %s; module tcp_%s: %s); nothing changed",
	    what, name, list, name, ret ? strerror(-ret) : "loaded, but it registered no such name");
	return EX_USAGE;
}
