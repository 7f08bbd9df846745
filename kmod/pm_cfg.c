// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/omr_pm: the path manager's configuration and state, per network
 * namespace (a process sees its own namespace's file). A stop-gap until the
 * generic netlink interface exists; keep it small.
 *
 * Write one command per write(2):
 *   enable | disable
 *   path add dev IFNAME [backup]      (at most OMR_PM_MAX_PATHS)
 *   path del dev IFNAME
 *   path flush
 *   add_addr accept | ignore          (join what the peer announces; default ignore)
 * A bad command fails with EINVAL (and one dmesg line naming the bad word),
 * a duplicate add with EEXIST, an unknown del with ENOENT, one path too many
 * with ENOSPC; nothing changes on error.
 *
 * Read: one line per item, a keyword then "key value" pairs:
 *   pm enabled|disabled
 *   add_addr accept|ignore
 *   path dev eth1 ifindex 3 link up addr 10.0.1.1 backup 0 health ok
 *   conn token 1a2b3c4d remote 10.99.0.2:5201 established 1
 *   sub token 1a2b3c4d dev eth2 id 2 remote 10.99.0.2:5201 state up retry_ms 0
 *   counters creates N create_err N closed N demotes N promotes N ...
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
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
	for (i = 0; i < pn->npaths; i++) {
		const struct omr_pm_path *p = &pn->paths[i];

		seq_printf(seq, "path dev %s ifindex %d link %s addr ", p->dev,
			   p->ifindex, p->link_up ? "up" : "down");
		if (p->addr)
			seq_printf(seq, "%pI4", &p->addr);
		else
			seq_puts(seq, "-");
		seq_printf(seq, " backup %d health %s\n", p->backup,
			   p->health == OMR_HEALTH_OK ? "ok" : "demoted");
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

/* Split @buf into at most @max words; returns how many, or -EINVAL. */
static int omr_words(char *buf, char **w, int max)
{
	int n = 0;
	char *tok;

	while ((tok = strsep(&buf, " \t\n"))) {
		if (!*tok)
			continue;
		if (n == max)
			return -EINVAL;
		w[n++] = tok;
	}
	return n;
}

static int omr_pm_cmd(struct omr_pm_net *pn, char **w, int n)
{
	bool backup;

	if (n == 1 && !strcmp(w[0], "enable"))
		return omr_pm_enable(pn, true);
	if (n == 1 && !strcmp(w[0], "disable"))
		return omr_pm_enable(pn, false);
	if (n == 2 && !strcmp(w[0], "add_addr") &&
	    (!strcmp(w[1], "accept") || !strcmp(w[1], "ignore"))) {
		pn->add_addr_accept = !strcmp(w[1], "accept");
		return 0;
	}
	if (n < 2 || strcmp(w[0], "path")) {
		pr_warn("omr_pm: unknown command '%s'\n", n ? w[0] : "");
		return -EINVAL;
	}
	if (n == 2 && !strcmp(w[1], "flush")) {
		while (pn->npaths)
			omr_pm_path_del(pn, pn->paths[0].dev);
		return 0;
	}
	if (n < 4 || strcmp(w[2], "dev")) {
		pr_warn("omr_pm: expected 'path add|del dev IFNAME', got '%s'\n",
			n > 2 ? w[2] : w[1]);
		return -EINVAL;
	}
	if (strlen(w[3]) >= IFNAMSIZ || !dev_valid_name(w[3])) {
		pr_warn("omr_pm: bad interface name '%s'\n", w[3]);
		return -EINVAL;
	}
	backup = n == 5 && !strcmp(w[4], "backup");
	if (!strcmp(w[1], "add") && (n == 4 || backup))
		return omr_pm_path_add(pn, w[3], backup);
	if (!strcmp(w[1], "del") && n == 4)
		return omr_pm_path_del(pn, w[3]);
	pr_warn("omr_pm: unknown path command or option '%s'\n",
		n == 5 ? w[4] : w[1]);
	return -EINVAL;
}

static int omr_pm_write(struct file *file, char *buf, size_t len)
{
	struct omr_pm_net *pn = omr_pm_net(seq_file_single_net(file->private_data));
	char *w[6];
	int n, ret;

	n = omr_words(buf, w, ARRAY_SIZE(w));
	if (n < 0) {
		pr_warn("omr_pm: too many words in command\n");
		return n;
	}
	mutex_lock(&pn->mutex);
	ret = omr_pm_cmd(pn, w, n);
	mutex_unlock(&pn->mutex);
	if (!ret)
		omr_pm_kick(pn, OMR_PM_CFG, 0);
	return ret;
}

int omr_pm_proc_init(struct net *net)
{
	if (!proc_create_net_single_write("omr_pm", 0600, net->proc_net,
					  omr_pm_show, omr_pm_write, NULL))
		return -ENOMEM;
	return 0;
}

void omr_pm_proc_exit(struct net *net)
{
	remove_proc_entry("omr_pm", net->proc_net);
}
