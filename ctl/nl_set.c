// SPDX-License-Identifier: GPL-2.0
/*
 * Requests that change the kernel's state (nl.h): each is one netlink
 * message, whose attributes are marked with the words they came from so
 * that an error names the one the kernel blames.
 */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include "nl_int.h"
#include "util.h"

/*
 * Enabling or disabling is a request the kernel's path manager carries out
 * in its own work (opening its sockets to MPTCP's netlink family cannot be
 * done under the request). Wait, up to 3 s, until GET_STATUS shows the
 * configuration this request stored as applied, then say how it went.
 */
static int pm_wait(struct omr_nl *nl, int enable)
{
	const char *what = enable ? "pm set: enable" : "pm set: disable";
	const char *saved = nl->what;
	struct omr_status s;
	uint32_t gen = 0;
	int i, ret = EX_KERNEL;

	nl->what = what;
	for (i = 0; i < 60; i++) {
		ret = omr_get_status(nl, &s);
		if (ret || !s.has_gen)	/* an older module was synchronous */
			goto out;
		if (i == 0)
			gen = s.gen;	/* ours, or a later one */
		if ((int32_t)(s.gen_done - gen) >= 0) {
			if (!enable || s.enabled)
				goto out;
			err("%s: the path manager could not be enabled: %s",
			    what, s.enable_error ? strerror(s.enable_error) :
			    "disabled again meanwhile");
			ret = EX_KERNEL;
			goto out;
		}
		usleep(50 * 1000);
	}
	err("%s: the path manager did not act on it within 3 s", what);
	ret = EX_KERNEL;
out:
	nl->what = saved;
	return ret;
}

static int put_pm(struct omr_nl *nl, struct nl_msg *msg, const void *arg)
{
	const struct omr_pm_set *s = arg;
	int k;

	if (s->enable >= 0) {
		nl_mark(nl, msg, "%s", s->enable ? "enable" : "disable");
		if (nla_put_u8(msg, OMR_PM_A_ENABLED, s->enable))
			return -1;
	}
	if (s->add_addr >= 0) {
		nl_mark(nl, msg, "add_addr %s", s->add_addr ? "accept" : "ignore");
		if (nla_put_u8(msg, OMR_PM_A_ADD_ADDR_ACCEPT, s->add_addr))
			return -1;
	}
	for (k = 0; k <= OMR_PM_A_MAX; k++) {
		if (!s->given[k])
			continue;
		nl_mark(nl, msg, "%s %u", pm_keys[k], s->val[k]);
		if (nla_put_u32(msg, k, s->val[k]))
			return -1;
	}
	return 0;
}

int omr_set_pm(struct omr_nl *nl, const struct omr_pm_set *s)
{
	int ret = nl_change(nl, OMR_CMD_SET_PM, OMR_A_PM, put_pm, s);

	if (ret || s->enable < 0)
		return ret;
	return pm_wait(nl, s->enable);
}

static int put_sched(struct omr_nl *nl, struct nl_msg *msg, const void *arg)
{
	const struct omr_sched_set *s = arg;
	int k;

	for (k = 0; k <= OMR_SCHED_A_MAX; k++) {
		if (!s->given[k])
			continue;
		nl_mark(nl, msg, "%s %u", sched_keys[k], s->val[k]);
		if (nla_put_u32(msg, k, s->val[k]))
			return -1;
	}
	return 0;
}

int omr_set_sched(struct omr_nl *nl, const struct omr_sched_set *s)
{
	return nl_change(nl, OMR_CMD_SET_SCHED, OMR_A_SCHED, put_sched, s);
}

struct path_req {
	const char *dev;
	int backup;		/* -1: not sent */
	const char *cc;		/* NULL: not sent */
};

static int put_path(struct omr_nl *nl, struct nl_msg *msg, const void *arg)
{
	const struct path_req *r = arg;

	/*
	 * Not marked: the device is the request, and callers (selftests/lib.sh
	 * pm_cmd) read "path add: File exists" with no argument quoted.
	 */
	if (nla_put_string(msg, OMR_PATH_A_IFNAME, r->dev) ||
	    (r->backup >= 0 && nla_put_u32(msg, OMR_PATH_A_FLAGS,
					   r->backup ? OMR_PATH_F_BACKUP : 0)))
		return -1;
	if (!r->cc)
		return 0;
	nl_mark(nl, msg, "cc %s", r->cc);
	return nla_put_string(msg, OMR_PATH_A_CC, r->cc);
}

int omr_path_add(struct omr_nl *nl, const char *dev, bool backup,
		 const char *cc)
{
	struct path_req r = { dev, backup, cc };

	return nl_change(nl, OMR_CMD_PATH_ADD, OMR_A_PATH, put_path, &r);
}

int omr_path_del(struct omr_nl *nl, const char *dev)
{
	struct path_req r = { dev, -1, NULL };

	return nl_change(nl, OMR_CMD_PATH_DEL, OMR_A_PATH, put_path, &r);
}

/*
 * An address as an OMR_ADDR_A_* nest; "none" (family 0) is sent as
 * 0.0.0.0, which the kernel takes as "clear it".
 */
static int put_ip(struct nl_msg *msg, int type, const struct omr_ip *ip)
{
	struct omr_ip none = { .family = AF_INET };
	const struct omr_ip *a = ip->family ? ip : &none;
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);
	const void *bytes;
	int len;

	bytes = ip_bytes(a, &len);
	if (!nest || nla_put_u16(msg, OMR_ADDR_A_FAMILY, a->family) ||
	    nla_put(msg, OMR_ADDR_A_ADDR, len, bytes))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_change(struct omr_nl *nl, struct nl_msg *msg, const void *arg)
{
	const struct omr_path_set *s = arg;
	char a[OMR_IP_STRLEN];

	nl_mark(nl, msg, "dev %s", s->dev);
	if (nla_put_string(msg, OMR_PATH_A_IFNAME, s->dev))
		return -1;
	if (s->backup >= 0) {
		nl_mark(nl, msg, "backup %s", s->backup ? "on" : "off");
		if (nla_put_u32(msg, OMR_PATH_A_FLAGS,
				s->backup ? OMR_PATH_F_BACKUP : 0))
			return -1;
	}
	if (s->enabled >= 0) {
		nl_mark(nl, msg, "enabled %s", s->enabled ? "on" : "off");
		if (nla_put_u8(msg, OMR_PATH_A_ENABLED, s->enabled))
			return -1;
	}
	if (s->has_weight) {
		nl_mark(nl, msg, "weight %u", s->weight);
		if (nla_put_u32(msg, OMR_PATH_A_WEIGHT, s->weight))
			return -1;
	}
	if (s->has_saddr) {
		nl_mark(nl, msg, "saddr %s", s->saddr.family ?
			ip_ntop(&s->saddr, a) : "none");
		if (put_ip(msg, OMR_PATH_A_SADDR, &s->saddr))
			return -1;
	}
	if (s->has_gw) {
		nl_mark(nl, msg, "gw %s", s->gw.family ? ip_ntop(&s->gw, a) : "none");
		if (put_ip(msg, OMR_PATH_A_GW, &s->gw))
			return -1;
	}
	if (s->has_cc) {
		nl_mark(nl, msg, "cc %s", s->cc[0] ? s->cc : "default");
		if (nla_put_string(msg, OMR_PATH_A_CC, s->cc))
			return -1;
	}
	return 0;
}

int omr_path_change(struct omr_nl *nl, const struct omr_path_set *s)
{
	return nl_change(nl, OMR_CMD_PATH_CHANGE, OMR_A_PATH, put_change, s);
}
