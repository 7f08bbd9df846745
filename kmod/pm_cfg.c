// SPDX-License-Identifier: GPL-2.0
/*
 * The path manager's configuration, and /proc/net/omr_pm: its status, per
 * network namespace (a process sees its own namespace's file), read-only.
 * The "omr" generic netlink family (genl.c, omrctl) is the one way to
 * change the configuration; this file only shows it, for a quick look with
 * cat and for tests.
 *
 * Read: one line per item, a keyword then "key value" pairs:
 *   pm enabled|disabled
 *   add_addr accept|ignore
 *   settings tick_ms 100 stall_ms 500 fail_ms 1000 hold_ms 3000 ...
 *   path dev eth1 ifindex 3 link up addr 10.0.1.1 backup 0 health ok enabled 1
 *        weight 1 saddr - gw -              (one line)
 *   conn token 1a2b3c4d remote 10.99.0.2:5201 established 1
 *   sub token 1a2b3c4d dev eth2 id 2 remote 10.99.0.2:5201 state up retry_ms 0
 *   counters creates N create_err N closed N demotes N promotes N ...
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pm.h"

static const char *const omr_sub_state_name[] = {
	[OMR_SUB_NONE] = "down",
	[OMR_SUB_CONNECTING] = "connecting",
	[OMR_SUB_UP] = "up",
};

static void omr_pm_show_conn(struct seq_file *seq, struct omr_pm_net *pn,
			     const struct omr_pm_conn *c, unsigned long now)
{
	int i, r;

	seq_printf(seq, "conn token %08x remote %pI4:%u established %d\n",
		   c->token, &c->daddr, ntohs(c->dport), c->established);
	for (i = 0; i < pn->npaths; i++) {
		for (r = 0; r < OMR_PM_MAX_REMOTES; r++) {
			const struct omr_pm_sub *s = &c->sub[i][r];
			const char *state = omr_sub_state_name[s->state];
			long retry = 0;

			if (!c->rem[r].used)
				continue;
			if (s->state == OMR_SUB_NONE &&
			    time_after(s->retry_at, now)) {
				state = "backoff";
				retry = jiffies_to_msecs(s->retry_at - now);
			}
			seq_printf(seq,
				   "sub token %08x dev %s id %d remote %pI4:%u state %s retry_ms %ld\n",
				   c->token, pn->paths[i].dev, i + 1,
				   &c->rem[r].addr, ntohs(c->rem[r].port), state,
				   retry);
		}
	}
}

static void omr_seq_addr(struct seq_file *seq, const char *key, __be32 a)
{
	if (a)
		seq_printf(seq, "%s%pI4", key, &a);
	else
		seq_printf(seq, "%s-", key);
}

static void omr_pm_show_settings(struct seq_file *seq,
				 const struct omr_pm_tunables *t)
{
	seq_printf(seq,
		   "settings tick_ms %u stall_ms %u fail_ms %u hold_ms %u loss_hi %u loss_lo %u rtt_hi_ms %u backoff_min_ms %u backoff_max_ms %u join_timeout_ms %u\n",
		   t->tick_ms, t->stall_ms, t->fail_ms, t->hold_ms, t->loss_hi,
		   t->loss_lo, t->rtt_hi_ms, t->backoff_min_ms,
		   t->backoff_max_ms, t->join_timeout_ms);
}

static int omr_pm_show(struct seq_file *seq, void *v)
{
	struct omr_pm_net *pn = omr_pm_net(seq_file_single_net(seq));
	const struct omr_pm_counters *k = &pn->cnt;
	unsigned long now = jiffies;
	struct omr_pm_conn *c;
	int i;

	mutex_lock(&pn->mutex);
	if (pn->enabled)
		omr_pm_links_eval(pn);
	seq_printf(seq, "pm %s\n", pn->enabled ? "enabled" : "disabled");
	seq_printf(seq, "add_addr %s\n", pn->add_addr_accept ? "accept" : "ignore");
	omr_pm_show_settings(seq, &pn->cfg);
	for (i = 0; i < pn->npaths; i++) {
		const struct omr_pm_path *p = &pn->paths[i];

		seq_printf(seq, "path dev %s ifindex %d link %s addr ", p->dev,
			   p->ifindex, p->link_up ? "up" : "down");
		if (p->addr)
			seq_printf(seq, "%pI4", &p->addr);
		else
			seq_puts(seq, "-");
		seq_printf(seq, " backup %d health %s enabled %d weight %u",
			   p->backup, p->health == OMR_HEALTH_OK ? "ok" : "demoted",
			   p->enabled, p->weight);
		omr_seq_addr(seq, " saddr ", p->saddr);
		omr_seq_addr(seq, " gw ", p->gw);
		seq_putc(seq, '\n');
	}
	list_for_each_entry(c, &pn->conns, node)
		omr_pm_show_conn(seq, pn, c, now);
	seq_printf(seq,
		   "counters creates %llu create_err %llu closed %llu demotes %llu promotes %llu removes %llu aborts %llu overflows %d\n",
		   k->creates, k->create_err, k->closed, k->demotes, k->promotes,
		   k->removes, k->aborts, pn->ev_overflow);
	mutex_unlock(&pn->mutex);
	return 0;
}

static int omr_pm_path_find(struct omr_pm_net *pn, const char *dev)
{
	int i;

	for (i = 0; i < pn->npaths; i++)
		if (!strcmp(pn->paths[i].dev, dev))
			return i;
	return -1;
}

struct omr_pm_path *omr_pm_path_get(struct omr_pm_net *pn, const char *dev)
{
	int i = omr_pm_path_find(pn, dev);

	lockdep_assert_held(&pn->mutex);
	return i < 0 ? NULL : &pn->paths[i];
}

int omr_pm_path_add(struct omr_pm_net *pn, const char *dev, bool backup)
{
	struct omr_pm_path *p;

	lockdep_assert_held(&pn->mutex);
	if (omr_pm_path_find(pn, dev) >= 0)
		return -EEXIST;
	if (pn->npaths >= OMR_PM_MAX_PATHS)
		return -ENOSPC;
	p = &pn->paths[pn->npaths++];
	memset(p, 0, sizeof(*p));
	strscpy(p->dev, dev, sizeof(p->dev));
	p->backup = backup;
	p->enabled = true;
	p->weight = 1;
	return 0;
}

/*
 * Deleting a path shifts the later ones down; connection slots shift with
 * them so each keeps describing its path. Subflows already on the deleted
 * path stay (as with a deleted endpoint of the kernel PM).
 */
int omr_pm_path_del(struct omr_pm_net *pn, const char *dev)
{
	struct omr_pm_conn *c;
	int i = omr_pm_path_find(pn, dev), n;

	lockdep_assert_held(&pn->mutex);
	if (i < 0)
		return -ENOENT;
	n = pn->npaths - i - 1;
	memmove(&pn->paths[i], &pn->paths[i + 1], n * sizeof(pn->paths[0]));
	list_for_each_entry(c, &pn->conns, node) {
		memmove(&c->sub[i], &c->sub[i + 1], n * sizeof(c->sub[0]));
		memset(&c->sub[pn->npaths - 1], 0, sizeof(c->sub[0]));
	}
	pn->npaths--;
	return 0;
}

int omr_pm_proc_init(struct net *net)
{
	/* Read-only: root's open for writing fails too (no write method). */
	if (!proc_create_net_single("omr_pm", 0444, net->proc_net, omr_pm_show,
				    NULL))
		return -ENOMEM;
	return 0;
}

void omr_pm_proc_exit(struct net *net)
{
	remove_proc_entry("omr_pm", net->proc_net);
}
