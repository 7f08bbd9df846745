/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The omr path manager: state shared between pm.c (namespaces, work,
 * notifiers), pm_genl.c (MPTCP's generic netlink PM interface), pm_conn.c
 * (connections and subflows), pm_cfg.c (configuration, and the read-only
 * /proc/net/omr_pm) and genl.c (the "omr" family, which changes it).
 *
 * Locking, in one place:
 *   pn->lock (spinlock): pending bits and the stopping flag; taken by the
 *     notifiers and the event socket's data_ready (any context) to kick the
 *     work, and by the teardown to stop it.
 *   pn->mutex: everything else in struct omr_pm_net; held by the work, by
 *     the genl commands and by the /proc reader. Never held while the
 *     caller holds an msk socket lock, and the work sends MPTCP genl
 *     commands (whose doits take msk locks) only while it holds no msk
 *     lock.
 */
#ifndef _OMR_PM_H
#define _OMR_PM_H

#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <net/net_namespace.h>
#include "events.h"

#define OMR_PM_MAX_PATHS	8
#define OMR_PM_MAX_REMOTES	4	/* the peer's own address + 3 announced */
#define OMR_PM_MAX_CONNS	1024

/* Per connection, per path: what the PM did and will do on that path. */
enum omr_pm_sub_state {
	OMR_SUB_NONE,		/* nothing there, retry when due */
	OMR_SUB_CONNECTING,	/* SUBFLOW_CREATE sent, no subflow up yet */
	OMR_SUB_UP,		/* an established subflow on this path */
};

struct omr_pm_sub {
	u8 state;		/* enum omr_pm_sub_state */
	u8 bkup_sent;		/* 0: nothing asked; else 1 + the backup flag asked */
	u32 backoff_ms;		/* next retry delay; 0: retry at once */
	unsigned long retry_at;	/* jiffies: no create before this */
	unsigned long sent_at;	/* jiffies: when the last create was sent */
	unsigned long busy_at;	/* jiffies: data in flight since, or 0 */
	struct omr_sub_stats st;	/* events.c: traffic accounting */
};

/* A peer address subflows go to: [0] the connection's, then ADD_ADDRs. */
struct omr_pm_remote {
	__be32 addr;
	__be16 port;
	u8 id;			/* the peer's address id */
	bool used;
};

struct omr_pm_conn {
	struct list_head node;
	u32 token;
	__be32 saddr, daddr;	/* the connection's first subflow */
	__be16 sport, dport;
	bool established;	/* fully established: joins allowed */
	struct omr_pm_remote rem[OMR_PM_MAX_REMOTES];
	struct omr_pm_sub sub[OMR_PM_MAX_PATHS][OMR_PM_MAX_REMOTES];
	struct omr_conn_ev ev;		/* events.c: close reasons, failover */
};

enum omr_pm_health {
	OMR_HEALTH_OK,
	OMR_HEALTH_DEMOTED,	/* loss, RTT or a stall: backup until it heals */
};

struct omr_pm_path {
	char dev[IFNAMSIZ];
	bool backup;		/* configured as backup */
	bool enabled;		/* false: no subflow on it, the path is kept */
	u32 weight;		/* reserved: stored and shown, not used yet */
	__be32 saddr;		/* configured source address, or 0: the first */
	__be32 gw;		/* informational: omr installs no route */
	/* Re-evaluated on every pass from the device (RTNL/RCU state). */
	int ifindex;
	bool link_up;
	__be32 addr;
	/* Health, from the subflows on this path. */
	u8 health;		/* enum omr_pm_health */
	unsigned long health_at;	/* jiffies of the last change */
	unsigned long good_since;	/* jiffies: healthy since, or 0 */
	struct omr_path_stats st;	/* events.c: what GET_PATHS shows */
};

struct omr_pm_counters {
	u64 creates, create_err, closed, demotes, promotes, removes, aborts;
};

struct omr_pm_tunables {
	u32 tick_ms, stall_ms, fail_ms, hold_ms, loss_hi, loss_lo, rtt_hi_ms;
	u32 backoff_min_ms, backoff_max_ms, join_timeout_ms;
};

/* Bits in omr_pm_net.pending: why the work was kicked. */
enum {
	OMR_PM_EV,		/* MPTCP PM events are queued */
	OMR_PM_LINK,		/* a device or address changed */
	OMR_PM_CFG,		/* configuration changed */
};

struct omr_pm_net {
	struct net *net;
	spinlock_t lock;		/* pending, stopping, queuing work */
	unsigned long pending;
	bool stopping;
	struct delayed_work work;

	struct mutex mutex;		/* the work, genl, /proc: the state below */
	bool enabled;
	bool add_addr_accept;	/* join the addresses the peer announces */
	int npaths;
	struct omr_pm_path paths[OMR_PM_MAX_PATHS];
	struct list_head conns;
	int nconns;
	struct omr_pm_counters cnt;
	struct omr_pm_tunables cfg;	/* the settings (OMR_CMD_SET_PM) */
	struct omr_pm_tunables tun;	/* this pass's snapshot of cfg */

	/* MPTCP's PM over generic netlink: commands, and the event group. */
	struct socket *cmd, *ev;
	struct file *cmd_file;
	void (*ev_ready_orig)(struct sock *sk);
	void *buf;		/* the message going out, OMR_PM_BUF bytes */
	void *rx;		/* the message coming in, OMR_PM_BUF bytes */
	int ev_overflow;
};

#define OMR_PM_BUF	8192

/* The IDs of MPTCP's genl family and event group: global, resolved once. */
struct omr_pm_family {
	u16 id;
	u32 ev_group;
};

/* pm.c */
int omr_pm_init(void);
void omr_pm_exit(void);
struct omr_pm_net *omr_pm_net(struct net *net);
void omr_pm_kick(struct omr_pm_net *pn, int bit, unsigned long delay);
int omr_pm_enable(struct omr_pm_net *pn, bool on);
void omr_pm_links_eval(struct omr_pm_net *pn);
__be32 omr_dev_addr4(struct net_device *dev, __be32 want);

/* pm_genl.c */
int omr_pm_sock_open(struct omr_pm_net *pn);
void omr_pm_sock_close(struct omr_pm_net *pn);
int omr_pm_create(struct omr_pm_net *pn, u32 token, u8 id, __be32 saddr,
		  int ifindex, bool backup, __be32 daddr, __be16 dport);
int omr_pm_destroy(struct omr_pm_net *pn, u32 token, __be32 saddr,
		   __be16 sport, __be32 daddr, __be16 dport);
int omr_pm_remove(struct omr_pm_net *pn, u32 token, u8 id);
int omr_pm_set_backup(struct omr_pm_net *pn, u32 token, __be32 saddr,
		      __be32 daddr, bool backup);

struct omr_pm_event {
	u8 type;		/* enum mptcp_event_type */
	bool server_side;
	u8 rem_id;
	u32 token;
	__be32 saddr, daddr;
	__be16 sport, dport;
	int ifindex;
	u32 error;
};

int omr_pm_ev_next(struct omr_pm_net *pn, struct omr_pm_event *ev);

/* pm_conn.c */
void omr_pm_conn_event(struct omr_pm_net *pn, const struct omr_pm_event *ev);
unsigned long omr_pm_conns_run(struct omr_pm_net *pn);
void omr_pm_conns_flush(struct omr_pm_net *pn);
int omr_pm_conns_resync(struct omr_pm_net *pn);

/* pm_cfg.c: configuration changes, pn->mutex held; the caller kicks. */
int omr_pm_path_add(struct omr_pm_net *pn, const char *dev, bool backup);
struct omr_pm_path *omr_pm_path_get(struct omr_pm_net *pn, const char *dev);
int omr_pm_path_del(struct omr_pm_net *pn, const char *dev);
int omr_pm_proc_init(struct net *net);
void omr_pm_proc_exit(struct net *net);

/* params.c */
void omr_pm_tunables_defaults(struct omr_pm_tunables *t);

#endif /* _OMR_PM_H */
