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
 * no socket lock. The work (one per namespace, on our unbound workqueue, never
 * concurrent with itself) takes pn->mutex and does the rest: drain events,
 * look at the devices, reconcile every connection, re-arm itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include <uapi/linux/mptcp_pm.h>
#include "pm.h"

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
 * The address a path's subflows leave from: @want if @dev has it (any
 * scope), else 0; with @want 0, the first global primary IPv4 address of
 * @dev. RCU or RTNL held.
 */
__be32 omr_dev_addr4(struct net_device *dev, __be32 want)
{
	struct in_device *in_dev = __in_dev_get_rcu(dev);
	const struct in_ifaddr *ifa;

	if (!in_dev)
		return 0;
	in_dev_for_each_ifa_rcu(ifa, in_dev) {
		if (want ? ifa->ifa_local == want :
		    ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
		    !(ifa->ifa_flags & IFA_F_SECONDARY))
			return ifa->ifa_local;
	}
	return 0;
}

/* Refresh every path's device index, link state and address. */
void omr_pm_links_eval(struct omr_pm_net *pn)
{
	bool was_up[OMR_PM_MAX_PATHS];
	struct net_device *dev;
	int i;

	lockdep_assert_held(&pn->mutex);
	rcu_read_lock();
	for (i = 0; i < pn->npaths; i++) {
		struct omr_pm_path *p = &pn->paths[i];

		was_up[i] = p->link_up;
		dev = dev_get_by_name_rcu(pn->net, p->dev);
		p->ifindex = dev ? dev->ifindex : 0;
		p->addr = dev ? omr_dev_addr4(dev, p->saddr) : 0;
		p->link_up = dev && netif_running(dev) && netif_carrier_ok(dev) &&
			     p->addr;
	}
	rcu_read_unlock();
	/* Out of the RCU section: an event is allocated with GFP_KERNEL. */
	for (i = 0; i < pn->npaths; i++)
		omr_ev_path_link(pn, &pn->paths[i], was_up[i]);
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
			pn->ev_overflow++;
			omr_pm_conns_resync(pn);
			continue;
		}
		if (ret > 0)
			omr_pm_conn_event(pn, &ev);
	}
	omr_pm_kick(pn, OMR_PM_EV, 0);
}

static void omr_pm_work(struct work_struct *work)
{
	struct omr_pm_net *pn = container_of(to_delayed_work(work),
					     struct omr_pm_net, work);
	unsigned long pending, next;

	spin_lock_irq(&pn->lock);
	pending = xchg(&pn->pending, 0);
	spin_unlock_irq(&pn->lock);

	mutex_lock(&pn->mutex);
	if (!pn->enabled || !pn->ev) {
		mutex_unlock(&pn->mutex);
		return;
	}
	if (pending & (BIT(OMR_PM_LINK) | BIT(OMR_PM_CFG)))
		omr_pm_links_eval(pn);
	omr_pm_drain_events(pn);
	next = omr_pm_conns_run(pn);
	mutex_unlock(&pn->mutex);

	if (next)
		omr_pm_kick(pn, -1, next);
}

/*
 * Turn the PM on (open the sockets, pick up existing connections) or off
 * (close them, forget all connection state; subflows already made stay).
 */
int omr_pm_enable(struct omr_pm_net *pn, bool on)
{
	int ret;

	lockdep_assert_held(&pn->mutex);
	if (on == pn->enabled)
		return 0;
	if (on) {
		ret = omr_pm_sock_open(pn);
		if (ret)
			return ret;
		pn->enabled = true;
		omr_pm_links_eval(pn);
		omr_pm_conns_resync(pn);
		omr_pm_kick(pn, OMR_PM_CFG, 0);
		return 0;
	}
	pn->enabled = false;
	omr_pm_conns_flush(pn);
	omr_pm_sock_close(pn);
	return 0;
}

static int omr_pm_net_init(struct net *net)
{
	struct omr_pm_net *pn = omr_pm_net(net);

	pn->net = net;
	spin_lock_init(&pn->lock);
	mutex_init(&pn->mutex);
	INIT_LIST_HEAD(&pn->conns);
	INIT_DELAYED_WORK(&pn->work, omr_pm_work);
	/* The module parameters are only this: a new namespace's defaults. */
	omr_pm_tunables_defaults(&pn->cfg);
	return omr_pm_proc_init(net);
}

/*
 * Runs for a dying namespace (cleanup_net, a kworker) and for every
 * namespace at rmmod (unregister_pernet_subsys, from rmmod's process). The
 * socket close needs a kthread (__fput_sync), so it always runs on our wq.
 */
static void omr_pm_net_close_work(struct work_struct *work)
{
	struct omr_pm_net *pn = container_of(to_delayed_work(work),
					     struct omr_pm_net, work);

	mutex_lock(&pn->mutex);
	pn->enabled = false;
	omr_pm_conns_flush(pn);
	omr_pm_sock_close(pn);
	mutex_unlock(&pn->mutex);
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

static void omr_pm_net_exit(struct net *net)
{
	omr_pm_proc_exit(net);
	mutex_destroy(&omr_pm_net(net)->mutex);
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
		if (READ_ONCE(pn->enabled))
			omr_pm_kick(pn, OMR_PM_LINK, 0);
		break;
	}
	return NOTIFY_DONE;
}

static int omr_pm_inetaddr_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	const struct in_ifaddr *ifa = ptr;
	struct omr_pm_net *pn;

	if (!ifa->ifa_dev || !ifa->ifa_dev->dev)
		return NOTIFY_DONE;
	pn = omr_pm_net(dev_net(ifa->ifa_dev->dev));
	if (READ_ONCE(pn->enabled))
		omr_pm_kick(pn, OMR_PM_LINK, 0);
	return NOTIFY_DONE;
}

static struct notifier_block omr_pm_netdev_nb = {
	.notifier_call = omr_pm_netdev_event,
};

static struct notifier_block omr_pm_inetaddr_nb = {
	.notifier_call = omr_pm_inetaddr_event,
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
	return 0;

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
	unregister_inetaddr_notifier(&omr_pm_inetaddr_nb);
	unregister_netdevice_notifier(&omr_pm_netdev_nb);
	unregister_pernet_subsys(&omr_pm_net_ops);
	destroy_workqueue(omr_pm_wq);
}
