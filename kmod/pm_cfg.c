// SPDX-License-Identifier: GPL-2.0
/*
 * The path manager's configuration, and the requests that change it.
 *
 * A request (from a genl doit, under genetlink's cb_lock) validates and
 * stores under pn->cfg_lock, bumps the generation and kicks the work; it
 * never waits for the work. The work copies the configuration at the start
 * of a pass (omr_pm_cfg_read()) and brings its own state in line: opens or
 * closes the MPTCP sockets, adds, drops and reorders its per-path state by
 * device name. cfg_lock is held only for the copy or the store: never
 * across a netlink send, a socket lock or anything that enters genetlink.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include "pm.h"

/* cfg_lock held: a change is stored; the work applies it. */
static void omr_pm_cfg_changed(struct omr_pm_net *pn)
{
	lockdep_assert_held(&pn->cfg_lock);
	pn->conf.gen++;
	WRITE_ONCE(pn->watch, pn->conf.enabled || pn->conf.npaths);
}

static int omr_pm_path_find(const struct omr_pm_config *c, const char *dev)
{
	int i;

	for (i = 0; i < c->npaths; i++)
		if (!strcmp(c->paths[i].dev, dev))
			return i;
	return -1;
}

/* What no single range can check: the hysteresis, backoff, stall order. */
static int omr_pm_tunables_rule(const struct omr_pm_tunables *t)
{
	if (t->loss_lo >= t->loss_hi)
		return OMR_PM_RULE_LOSS;
	if (t->backoff_min_ms > t->backoff_max_ms)
		return OMR_PM_RULE_BACKOFF;
	if (t->fail_ms < t->stall_ms)
		return OMR_PM_RULE_FAIL;
	return OMR_PM_RULE_OK;
}

/*
 * The memory cgroup of the task that enables the PM: the namespace's
 * connection entries and buffers are charged to it (the work runs in a
 * kworker, which has none of its own).
 */
static struct mem_cgroup *omr_pm_requester_memcg(void)
{
	return current->mm ? get_mem_cgroup_from_mm(current->mm) : NULL;
}

/*
 * All or nothing: the settings are applied to a copy, checked, and stored
 * only if every rule holds. Enabling is a request: the work opens the
 * sockets, and GET_STATUS shows whether it did (or why not).
 */
int omr_pm_req_set(struct omr_pm_net *pn, struct omr_pm_set_req *req)
{
	struct mem_cgroup *memcg = NULL;
	struct omr_pm_tunables t;
	int i;

	if (req->enabled == 1)
		memcg = omr_pm_requester_memcg();
	mutex_lock(&pn->cfg_lock);
	t = pn->conf.tun;
	for (i = 0; i < req->n && i < OMR_PM_SET_MAX; i++)
		*(u32 *)((char *)&t + req->v[i].off) = req->v[i].val;
	req->rule = omr_pm_tunables_rule(&t);
	if (req->rule != OMR_PM_RULE_OK) {
		req->res = t;
		mutex_unlock(&pn->cfg_lock);
		mem_cgroup_put(memcg);
		return -EINVAL;
	}
	pn->conf.tun = t;
	if (req->add_addr_accept >= 0)
		pn->conf.add_addr_accept = req->add_addr_accept;
	if (req->enabled >= 0)
		pn->conf.enabled = req->enabled;
	if (memcg)
		swap(memcg, pn->req_memcg);
	omr_pm_cfg_changed(pn);
	mutex_unlock(&pn->cfg_lock);
	mem_cgroup_put(memcg);	/* the one replaced, if any */
	omr_pm_kick(pn, OMR_PM_CFG, 0);
	return 0;
}

int omr_pm_req_path_add(struct omr_pm_net *pn, const char *dev, bool backup,
			const char *cc)
{
	struct omr_pm_path_cfg *p;
	int ret = 0;

	mutex_lock(&pn->cfg_lock);
	if (omr_pm_path_find(&pn->conf, dev) >= 0) {
		ret = -EEXIST;
		goto out;
	}
	if (pn->conf.npaths >= OMR_PM_MAX_PATHS) {
		ret = -ENOSPC;
		goto out;
	}
	p = &pn->conf.paths[pn->conf.npaths++];
	memset(p, 0, sizeof(*p));
	strscpy(p->dev, dev, sizeof(p->dev));
	p->backup = backup;
	if (cc)
		strscpy(p->cc, cc, sizeof(p->cc));
	p->enabled = true;
	p->weight = 1;
	omr_pm_cfg_changed(pn);
out:
	mutex_unlock(&pn->cfg_lock);
	if (!ret)
		omr_pm_kick(pn, OMR_PM_CFG, 0);
	return ret;
}

/*
 * The later paths move down; the work moves its per-path state with them
 * (by device name). Subflows already on the deleted path stay (as with a
 * deleted endpoint of the kernel PM).
 */
int omr_pm_req_path_del(struct omr_pm_net *pn, const char *dev)
{
	struct omr_pm_config *c = &pn->conf;
	int i, n;

	mutex_lock(&pn->cfg_lock);
	i = omr_pm_path_find(c, dev);
	if (i < 0) {
		mutex_unlock(&pn->cfg_lock);
		return -ENOENT;
	}
	n = c->npaths - i - 1;
	memmove(&c->paths[i], &c->paths[i + 1], n * sizeof(c->paths[0]));
	c->npaths--;
	omr_pm_cfg_changed(pn);
	mutex_unlock(&pn->cfg_lock);
	omr_pm_kick(pn, OMR_PM_CFG, 0);
	return 0;
}

/* Whether the device exists and has @addr (RCU: a snapshot of a moment). */
static bool omr_dev_name_has_addr(struct net *net, const char *name,
				  const struct omr_addr *addr)
{
	struct net_device *dev;
	bool ok;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	ok = dev && omr_dev_has_addr(dev, addr);
	rcu_read_unlock();
	return ok;
}

/*
 * All or nothing: the path is found and the source address checked before
 * anything is stored. The work does what the change means for the
 * connections: MP_PRIO for a backup change, REMOVE and SUBFLOW_DESTROY for
 * a disabled path, SUBFLOW_CREATE for an enabled one or a new address.
 */
int omr_pm_req_path_change(struct omr_pm_net *pn,
			   const struct omr_pm_path_change *ch)
{
	struct omr_pm_path_cfg *p;
	int i;

	if (ch->set_saddr && ch->saddr.family &&
	    !omr_dev_name_has_addr(pn->net, ch->dev, &ch->saddr))
		return -EADDRNOTAVAIL;
	mutex_lock(&pn->cfg_lock);
	i = omr_pm_path_find(&pn->conf, ch->dev);
	if (i < 0) {
		mutex_unlock(&pn->cfg_lock);
		return -ENOENT;
	}
	p = &pn->conf.paths[i];
	if (ch->backup >= 0)
		p->backup = ch->backup;
	if (ch->enabled >= 0)
		p->enabled = ch->enabled;
	if (ch->weight)
		p->weight = ch->weight;
	if (ch->set_saddr)
		p->saddr = ch->saddr;
	if (ch->set_gw)
		p->gw = ch->gw;
	if (ch->cc)
		strscpy(p->cc, ch->cc, sizeof(p->cc));
	omr_pm_cfg_changed(pn);
	mutex_unlock(&pn->cfg_lock);
	omr_pm_kick(pn, OMR_PM_CFG, 0);
	return 0;
}

/* A copy of the configuration (the work, at the start of a pass; readers). */
void omr_pm_cfg_read(struct omr_pm_net *pn, struct omr_pm_config *out)
{
	mutex_lock(&pn->cfg_lock);
	*out = pn->conf;
	mutex_unlock(&pn->cfg_lock);
}

/* The work takes the enabler's memory cgroup (a reference), if one waits. */
struct mem_cgroup *omr_pm_cfg_take_memcg(struct omr_pm_net *pn)
{
	struct mem_cgroup *memcg;

	mutex_lock(&pn->cfg_lock);
	memcg = pn->req_memcg;
	pn->req_memcg = NULL;
	mutex_unlock(&pn->cfg_lock);
	return memcg;
}

void omr_pm_cfg_init(struct omr_pm_net *pn)
{
	mutex_init(&pn->cfg_lock);
	/* The module parameters are only this: a new namespace's defaults. */
	omr_pm_tunables_defaults(&pn->conf.tun);
}

void omr_pm_cfg_exit(struct omr_pm_net *pn)
{
	mem_cgroup_put(pn->req_memcg);
	pn->req_memcg = NULL;
	mutex_destroy(&pn->cfg_lock);
}
