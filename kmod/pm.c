// SPDX-License-Identifier: GPL-2.0
/*
 * The omr path manager: one subflow per usable WAN for every MPTCP connection
 * a router namespace opens, re-created when a WAN comes back, removed at once
 * when it goes down, demoted to backup while it is unhealthy.
 *
 * This file holds the per-namespace plumbing: the state (pernet), the one
 * work item that does everything, the device/address notifiers that kick it,
 * and turning a namespace's PM on and off. docs/path-manager.md describes
 * the whole design and the state machine of a path.
 *
 * Contexts. Notifiers (process context under RTNL for netdevice and inetaddr)
 * and the event socket's data_ready (softirq, or process context with an msk
 * lock held) only set a pending bit and queue the work; they take no mutex and
 * no socket lock. The genl requests (pm_cfg.c) store the configuration and
 * queue the work too. The work (one per namespace, on our unbound workqueue,
 * never concurrent with itself) owns everything else and does the rest with
 * no lock held: apply the configuration (enabling opens the sockets), drain
 * events, look at the devices, reconcile every connection, publish the
 * snapshot readers use, re-arm itself. pm.h has the locking rules.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <linux/memcontrol.h>
#include <linux/netdevice.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/netns/generic.h>
#include <uapi/linux/mptcp_pm.h>
#include "pm.h"

/* How soon the work looks again at an IPv6 address in DAD. */
#define OMR_PM_DAD_RECHECK	(HZ / 4)

static unsigned int omr_pm_net_id;
static struct workqueue_struct *omr_pm_wq;

struct omr_pm_net *omr_pm_net(struct net *net)
{
	return net_generic(net, omr_pm_net_id);
}

/* Any context. */
void omr_pm_kick(struct omr_pm_net *pn, int bit, unsigned long delay)
{
	unsigned long flags;

	spin_lock_irqsave(&pn->lock, flags);
	if (bit >= 0)
		set_bit(bit, &pn->pending);
	if (!pn->stopping)
		mod_delayed_work(omr_pm_wq, &pn->work, delay);
	spin_unlock_irqrestore(&pn->lock, flags);
}

/*
 * The IPv4 address a path's subflows leave from: @want if @dev has it (any
 * scope), else, @want 0, its first global primary one. RCU or RTNL held.
 */
static bool omr_dev_addr4(struct net_device *dev, __be32 want,
			  struct omr_addr *out)
{
	struct in_device *in_dev = __in_dev_get_rcu(dev);
	const struct in_ifaddr *ifa;

	if (!in_dev)
		return false;
	in_dev_for_each_ifa_rcu(ifa, in_dev) {
		if (want ? ifa->ifa_local == want :
		    ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
		    !(ifa->ifa_flags & IFA_F_SECONDARY)) {
			omr_addr4(out, ifa->ifa_local);
			return true;
		}
	}
	return false;
}

/*
 * The same for IPv6: @want, else the first global address. One still in
 * duplicate address detection (tentative, not optimistic) cannot be a
 * source yet and is skipped, but *@dad says one is there: no notifier
 * tells when DAD ends, so the work looks again (omr_pm_pass()). RCU held:
 * the device's address list is walked as ipv6_dev_get_saddr() does.
 */
static bool omr_dev_addr6(struct net_device *dev, const struct in6_addr *want,
			  struct omr_addr *out, bool *dad)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct inet6_dev *idev = __in6_dev_get(dev);
	const struct inet6_ifaddr *ifp;

	if (!idev)
		return false;
	list_for_each_entry_rcu(ifp, &idev->addr_list, if_list) {
		if (want ? !ipv6_addr_equal(&ifp->addr, want) :
		    ifp->scope)	/* 0: global scope (IFA_GLOBAL) */
			continue;
		if (ifp->flags & IFA_F_DADFAILED)
			continue;
		if ((ifp->flags & (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)) ==
		    IFA_F_TENTATIVE) {
			*dad = true;
			continue;
		}
		omr_addr6(out, &ifp->addr);
		return true;
	}
#endif
	return false;
}

/* Whether @dev has @want now (any scope; DAD done). RCU or RTNL held. */
bool omr_dev_has_addr(struct net_device *dev, const struct omr_addr *want)
{
	struct omr_addr a;
	bool dad = false;

	if (want->family == AF_INET6)
		return omr_dev_addr6(dev, &want->a6, &a, &dad);
	return omr_dev_addr4(dev, want->a4, &a);
}

/*
 * The device @name's index and the addresses, per family, a path with
 * @saddr (configured, or family 0) leaves from; returns whether the path's
 * link is usable (running, carrier, an address of either family). *@dad
 * is set when an IPv6 address is still in DAD. RCU held. A pure read:
 * GET_PATHS uses it too.
 */
static bool omr_pm_link_read_dad(struct net *net, const char *name,
				 const struct omr_addr *saddr, int *ifindex,
				 struct omr_addr *addr, bool *dad)
{
	struct net_device *dev = dev_get_by_name_rcu(net, name);
	bool want4 = saddr->family == AF_INET, want6 = saddr->family == AF_INET6;
	bool any = false;

	memset(addr, 0, OMR_NFAM * sizeof(*addr));
	*ifindex = dev ? dev->ifindex : 0;
	if (!dev)
		return false;
	any |= omr_dev_addr4(dev, want4 ? saddr->a4 : 0, &addr[OMR_FAM_V4]);
	any |= omr_dev_addr6(dev, want6 ? &saddr->a6 : NULL,
			     &addr[OMR_FAM_V6], dad);
	return netif_running(dev) && netif_carrier_ok(dev) && any;
}

bool omr_pm_link_read(struct net *net, const char *name,
		      const struct omr_addr *saddr, int *ifindex,
		      struct omr_addr *addr)
{
	bool dad = false;

	return omr_pm_link_read_dad(net, name, saddr, ifindex, addr, &dad);
}

/*
 * Refresh every path's device index, link state and addresses. Returns
 * whether an address is in DAD (to look again soon).
 */
bool omr_pm_links_eval(struct omr_pm_net *pn)
{
	bool was_up[OMR_PM_MAX_PATHS];
	bool dad = false;
	int i;

	rcu_read_lock();
	for (i = 0; i < pn->npaths; i++) {
		struct omr_pm_path *p = &pn->paths[i];

		was_up[i] = p->link_up;
		p->link_up = omr_pm_link_read_dad(pn->net, p->dev, &p->saddr,
						  &p->ifindex, p->addr, &dad);
	}
	rcu_read_unlock();
	/* Out of the RCU section: an event is allocated with GFP_KERNEL. */
	for (i = 0; i < pn->npaths; i++)
		omr_ev_path_link(pn, &pn->paths[i], was_up[i]);
	return dad;
}

static void omr_pm_drain_events(struct omr_pm_net *pn)
{
	struct omr_pm_event ev;
	int ret, n = 0;

	/* Bounded: a storm must not keep the work from the rest. */
	while (n++ < 4096) {
		ret = omr_pm_ev_next(pn, &ev);
		if (ret == 0)
			return;
		if (ret == -ENOBUFS) {
			/* Events were lost: rebuild the list from the kernel's. */
			pn->cnt.ev_overflow++;
			omr_pm_conns_resync(pn);
			continue;
		}
		if (ret > 0)
			omr_pm_conn_event(pn, &ev);
	}
	omr_pm_kick(pn, OMR_PM_EV, 0);
}

static int omr_pm_path_index(const struct omr_pm_path *paths, int n,
			     const char *dev)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(paths[i].dev, dev))
			return i;
	return -1;
}

/*
 * Bring the work's paths in line with the configuration @cf, by device
 * name: a path keeps its state (health, statistics, its connections'
 * per-path state) wherever it moves; a new one starts afresh; a deleted
 * one's state goes. Returns false (nothing changed) without memory.
 */
static bool omr_pm_paths_apply(struct omr_pm_net *pn,
			       const struct omr_pm_config *cf)
{
	struct omr_pm_path *old;
	int map[OMR_PM_MAX_PATHS], i, j;
	bool moved = cf->npaths != pn->npaths;

	old = kmemdup(pn->paths, sizeof(pn->paths), GFP_KERNEL_ACCOUNT);
	if (!old)
		return false;
	for (j = 0; j < cf->npaths; j++) {
		const struct omr_pm_path_cfg *pc = &cf->paths[j];
		struct omr_pm_path *p = &pn->paths[j];

		i = omr_pm_path_index(old, pn->npaths, pc->dev);
		map[j] = i;
		moved |= i != j;
		if (i >= 0)
			*p = old[i];
		else
			memset(p, 0, sizeof(*p));
		strscpy(p->dev, pc->dev, sizeof(p->dev));
		p->backup = pc->backup;
		p->enabled = pc->enabled;
		p->weight = pc->weight;
		p->saddr = pc->saddr;
		p->gw = pc->gw;
		/* A new name is given to the path's subflows again (pm_conn.c). */
		if (strcmp(p->cc, pc->cc)) {
			strscpy(p->cc, pc->cc, sizeof(p->cc));
			p->cc_seq++;
		}
	}
	for (j = cf->npaths; j < OMR_PM_MAX_PATHS; j++)
		memset(&pn->paths[j], 0, sizeof(pn->paths[j]));
	kfree(old);
	if (moved)
		omr_pm_conns_remap(pn, map, cf->npaths);
	pn->npaths = cf->npaths;
	return true;
}

/*
 * Turn the PM on (open the sockets, resolving MPTCP's family, and pick up
 * existing connections) or off (close them, forget all connection state;
 * subflows already made stay). The work's own context: no lock is held,
 * so entering genetlink here is safe. A failure is kept for GET_STATUS.
 */
static void omr_pm_enable(struct omr_pm_net *pn, bool on)
{
	struct mem_cgroup *memcg;
	int ret;

	if (!on)
		pn->enable_err = 0;	/* nothing asked, nothing failed */
	if (on == pn->enabled)
		return;
	if (!on) {
		WRITE_ONCE(pn->enabled, false);
		omr_pm_conns_flush(pn);
		omr_pm_conns_exit(pn);
		omr_pm_sock_close(pn);
		return;
	}
	memcg = omr_pm_cfg_take_memcg(pn);
	if (memcg) {
		mem_cgroup_put(pn->memcg);
		pn->memcg = memcg;
	}
	ret = omr_pm_conns_init(pn);
	if (!ret)
		ret = omr_pm_sock_open(pn);
	pn->enable_err = ret;
	if (ret) {
		omr_pm_conns_exit(pn);
		pr_warn_ratelimited("cannot enable the path manager: MPTCP's netlink family (%d)\n",
				    ret);
		return;
	}
	WRITE_ONCE(pn->enabled, true);
	omr_pm_conns_resync(pn);
}

/* The work's copy of the configuration, when it changed; true if it did. */
static bool omr_pm_cfg_apply(struct omr_pm_net *pn)
{
	struct omr_pm_config *cf;
	bool changed = false;

	cf = kmalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return false;
	omr_pm_cfg_read(pn, cf);
	if (cf->gen != pn->gen_done && omr_pm_paths_apply(pn, cf)) {
		pn->add_addr_accept = cf->add_addr_accept;
		pn->tun = cf->tun;
		pn->gen_done = cf->gen;
		omr_pm_enable(pn, cf->enabled);
		changed = true;
	}
	kfree(cf);
	return changed;
}

/* Whether a path's share window still holds traffic to age out. */
static bool omr_pm_windows_busy(struct omr_pm_net *pn)
{
	u64 tx, rx;
	int i;

	for (i = 0; i < pn->npaths; i++) {
		omr_ev_win_sum(&pn->paths[i].st, &tx, &rx);
		if (tx || rx)
			return true;
	}
	return false;
}

static void omr_pm_snap_path(struct omr_pm_snap_path *sp,
			     struct omr_pm_path *p, unsigned long now)
{
	struct omr_path_stats *st = &p->st;

	omr_ev_win_roll(st, now);
	strscpy(sp->dev, p->dev, sizeof(sp->dev));
	sp->ifindex = p->ifindex;
	sp->link_up = p->link_up;
	memcpy(sp->addr, p->addr, sizeof(sp->addr));
	sp->demoted = p->health == OMR_HEALTH_DEMOTED;
	sp->stripped = omr_ev_stripped(p);
	sp->health_reason = st->health_reason;
	sp->subflows = st->subflows;
	sp->srtt_us = st->srtt_us;
	sp->loss_ppm = omr_ev_loss_ppm(st->loss);
	omr_ev_win_sum(st, &sp->tx, &sp->rx);
	sp->window_ms = omr_ev_win_ms(st, now);
	sp->join_fails = st->join_fails;
	sp->join_fails_total = st->join_fails_total;
}

static int omr_u32_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The followed connections' tokens, sorted, when the set changed since the
 * last ones: not at every pass, which would cost O(n log n) per tick. The
 * old ones are freed after a grace period, once no snapshot names them.
 */
static void omr_pm_tokens_publish(struct omr_pm_net *pn)
{
	struct omr_pm_tokens *t, *old = pn->tok;
	struct omr_pm_conn *c;
	u32 n = 0;

	if (!pn->conns_changed && old)
		return;
	t = kvmalloc(struct_size(t, tokens, pn->nconns), GFP_KERNEL_ACCOUNT);
	if (!t)
		return;		/* the old ones stay, tried again next pass */
	list_for_each_entry(c, &pn->conns, node)
		if (n < pn->nconns)
			t->tokens[n++] = c->token;
	t->n = n;
	sort(t->tokens, n, sizeof(t->tokens[0]), omr_u32_cmp, NULL);
	pn->tok = t;
	pn->conns_changed = false;
	if (old)
		kvfree_rcu(old, rcu);
}

/*
 * Publish what readers see: built whole, then swapped in; the old one is
 * freed after a grace period. Without memory the old one stays.
 */
static void omr_pm_publish(struct omr_pm_net *pn)
{
	unsigned long now = jiffies;
	struct omr_pm_snap *s, *old;
	int i;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return;
	omr_pm_tokens_publish(pn);
	s->gen = pn->gen_done;
	s->enabled = pn->enabled;
	s->err = pn->enable_err;
	s->npaths = pn->npaths;
	for (i = 0; i < pn->npaths; i++)
		omr_pm_snap_path(&s->paths[i], &pn->paths[i], now);
	s->cnt = pn->cnt;
	s->tok = pn->tok;
	s->ntokens = pn->tok ? pn->tok->n : 0;
	s->max_conns = pn->max_conns ? pn->max_conns : omr_pm_conns_limit();
	old = rcu_replace_pointer(pn->snap, s, true);
	if (old)
		kfree_rcu(old, rcu);
}

bool omr_pm_snap_follows(const struct omr_pm_snap *s, u32 token)
{
	return s && s->tok &&
	       bsearch(&token, s->tok->tokens, s->tok->n, sizeof(token),
		       omr_u32_cmp);
}

/* One pass; returns when to run again (jiffies from now), or 0: idle. */
static unsigned long omr_pm_pass(struct omr_pm_net *pn, unsigned long pending)
{
	unsigned long next = 0;
	bool dad = false;

	if (omr_pm_cfg_apply(pn))
		pending |= BIT(OMR_PM_CFG);
	if (pending & (BIT(OMR_PM_LINK) | BIT(OMR_PM_CFG))) {
		dad = omr_pm_links_eval(pn);
		omr_pm_conns_all_due(pn);
	}
	if (pn->enabled) {
		omr_pm_drain_events(pn);
		next = omr_pm_conns_run(pn);
	}
	/* No pass while idle: age the share window out at 1 Hz instead. */
	if (!next && omr_pm_windows_busy(pn))
		next = HZ;
	/* An IPv6 address in DAD: its end has no notifier, so look again. */
	if (dad) {
		omr_pm_kick(pn, OMR_PM_LINK, OMR_PM_DAD_RECHECK);
		if (!next || next > OMR_PM_DAD_RECHECK)
			next = OMR_PM_DAD_RECHECK;
	}
	omr_pm_publish(pn);
	return next;
}

/*
 * Holds no lock but, briefly, cfg_lock to copy the configuration: MPTCP
 * commands and events go out with nothing held (pm.h).
 */
static void omr_pm_work(struct work_struct *work)
{
	struct omr_pm_net *pn = container_of(to_delayed_work(work),
					     struct omr_pm_net, work);
	struct mem_cgroup *old_memcg;
	unsigned long pending, next;
	u64 t0;

	spin_lock_irq(&pn->lock);
	pending = xchg(&pn->pending, 0);
	spin_unlock_irq(&pn->lock);

	old_memcg = set_active_memcg(pn->memcg);
	t0 = ktime_get_ns();
	next = omr_pm_pass(pn, pending);
	/* Shown at the next pass: what the PM's CPU costs (OMR_CNT_A_WORK_NS). */
	pn->cnt.work_ns += ktime_get_ns() - t0;
	set_active_memcg(old_memcg);
	if (next)
		omr_pm_kick(pn, -1, next);
}

static int omr_pm_net_init(struct net *net)
{
	struct omr_pm_net *pn = omr_pm_net(net);

	pn->net = net;
	spin_lock_init(&pn->lock);
	INIT_LIST_HEAD(&pn->conns);
	INIT_DELAYED_WORK(&pn->work, omr_pm_work);
	omr_pm_cfg_init(pn);
	return 0;
}

/*
 * Runs for a dying namespace (cleanup_net, a kworker) and for every
 * namespace at rmmod (unregister_pernet_subsys, from rmmod's process). The
 * socket close needs a kthread (__fput_sync), so it always runs on our wq.
 * The work is stopped: this is now the only user of its state.
 */
static void omr_pm_net_close_work(struct work_struct *work)
{
	struct omr_pm_net *pn = container_of(to_delayed_work(work),
					     struct omr_pm_net, work);

	WRITE_ONCE(pn->enabled, false);
	omr_pm_conns_flush(pn);
	omr_pm_conns_exit(pn);
	omr_pm_sock_close(pn);
}

static void omr_pm_net_pre_exit(struct net *net)
{
	struct omr_pm_net *pn = omr_pm_net(net);

	spin_lock_irq(&pn->lock);
	pn->stopping = true;
	spin_unlock_irq(&pn->lock);
	cancel_delayed_work_sync(&pn->work);

	/* The work item is idle and can no longer be queued: reuse it. */
	INIT_DELAYED_WORK(&pn->work, omr_pm_net_close_work);
	queue_delayed_work(omr_pm_wq, &pn->work, 0);
	flush_delayed_work(&pn->work);
}

/* No reader is left: a dump or doit holds a socket of the namespace. */
static void omr_pm_net_exit(struct net *net)
{
	struct omr_pm_net *pn = omr_pm_net(net);
	struct omr_pm_snap *s = rcu_replace_pointer(pn->snap, NULL, true);

	if (s)
		kfree_rcu(s, rcu);
	/* Named by that last snapshot only: freed after the same grace. */
	if (pn->tok)
		kvfree_rcu(pn->tok, rcu);
	pn->tok = NULL;
	mem_cgroup_put(pn->memcg);
	pn->memcg = NULL;
	omr_pm_cfg_exit(pn);
}

static struct pernet_operations omr_pm_net_ops = {
	.init = omr_pm_net_init,
	.pre_exit = omr_pm_net_pre_exit,
	.exit = omr_pm_net_exit,
	.id = &omr_pm_net_id,
	.size = sizeof(struct omr_pm_net),
};

static int omr_pm_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct omr_pm_net *pn = omr_pm_net(dev_net(dev));

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_GOING_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_CHANGENAME:
	case NETDEV_REGISTER:
	case NETDEV_UNREGISTER:
		if (READ_ONCE(pn->watch))
			omr_pm_kick(pn, OMR_PM_LINK, 0);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * An address of @dev came or went: the paths re-read their addresses. The
 * IPv6 chain is atomic (the IPv4 one blocking): only a kick (a spinlock).
 */
static void omr_pm_addr_kick(const struct net_device *dev)
{
	struct omr_pm_net *pn;

	if (!dev)
		return;
	pn = omr_pm_net(dev_net(dev));
	if (READ_ONCE(pn->watch))
		omr_pm_kick(pn, OMR_PM_LINK, 0);
}

static int omr_pm_inetaddr_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	const struct in_ifaddr *ifa = ptr;

	if (ifa->ifa_dev)
		omr_pm_addr_kick(ifa->ifa_dev->dev);
	return NOTIFY_DONE;
}

static struct notifier_block omr_pm_netdev_nb = {
	.notifier_call = omr_pm_netdev_event,
};

static struct notifier_block omr_pm_inetaddr_nb = {
	.notifier_call = omr_pm_inetaddr_event,
};

static int omr_pm_inet6addr_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	const struct inet6_ifaddr *ifp = ptr;

	if (ifp->idev)
		omr_pm_addr_kick(ifp->idev->dev);
	return NOTIFY_DONE;
}

static struct notifier_block omr_pm_inet6addr_nb = {
	.notifier_call = omr_pm_inet6addr_event,
};

int omr_pm_init(void)
{
	int ret;

	omr_pm_wq = alloc_workqueue("omr_pm", WQ_UNBOUND, 0);
	if (!omr_pm_wq)
		return -ENOMEM;
	ret = register_pernet_subsys(&omr_pm_net_ops);
	if (ret)
		goto err_wq;
	ret = register_netdevice_notifier(&omr_pm_netdev_nb);
	if (ret)
		goto err_pernet;
	ret = register_inetaddr_notifier(&omr_pm_inetaddr_nb);
	if (ret)
		goto err_netdev;
	ret = register_inet6addr_notifier(&omr_pm_inet6addr_nb);
	if (ret)
		goto err_inetaddr;
	return 0;

err_inetaddr:
	unregister_inetaddr_notifier(&omr_pm_inetaddr_nb);
err_netdev:
	unregister_netdevice_notifier(&omr_pm_netdev_nb);
err_pernet:
	unregister_pernet_subsys(&omr_pm_net_ops);
err_wq:
	destroy_workqueue(omr_pm_wq);
	return ret;
}

void omr_pm_exit(void)
{
	unregister_inet6addr_notifier(&omr_pm_inet6addr_nb);
	unregister_inetaddr_notifier(&omr_pm_inetaddr_nb);
	unregister_netdevice_notifier(&omr_pm_netdev_nb);
	unregister_pernet_subsys(&omr_pm_net_ops);
	destroy_workqueue(omr_pm_wq);
}
