/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The omr path manager, per network namespace (struct omr_pm_net).
 *
 * Layers (docs/architecture.md, "Locking", draws them):
 *   genl.c      the "omr" netlink server: a leaf. It builds replies from the
 *               configuration and the published snapshot, and changes
 *               anything only through the request functions below
 *               (omr_pm_req_*()).
 *   pm_cfg.c    the configuration and the requests that change it.
 *   pm.c        the namespace's work: applies the configuration, runs the
 *               passes (pm_conn.c), publishes the snapshot.
 *   pm_conn.c   connections and their subflows; events.c, what the PM
 *               reports (events, per-path statistics); pm_core.c, the
 *               decisions (kernel-free, unit-tested in userspace).
 *   pm_genl.c   the transport: MPTCP's own genl PM family, from kernel
 *               sockets.
 *
 * Locking, in one place. genetlink runs every doit and the first round of
 * every dump of ours with its cb_lock held for reading; a writer queued on
 * cb_lock (any genl_register_family()) stops new readers. So nothing that
 * runs under cb_lock may enter genetlink or wait for anything that does,
 * and nothing that enters genetlink may hold a lock our doits wait for.
 *
 *   pn->lock (spinlock): the pending bits and the stopping flag; taken by
 *     the notifiers, the event socket's data_ready (any context) and the
 *     requests to kick the work, and by the teardown to stop it.
 *   pn->cfg_lock (mutex): the configuration (pn->conf, pn->req_memcg).
 *     Held by the requests to validate and store, by the readers to copy,
 *     and by the work to copy at the start of a pass: never across a
 *     netlink send, a socket lock, an allocation that could wait for
 *     genetlink, or anything else that sleeps on genetlink.
 *   pn->snap (RCU): the snapshot the work publishes after every pass;
 *     readers take rcu_read_lock(), never wait for the work.
 *   Everything else in struct omr_pm_net is the work's own: only the
 *     namespace's work touches it (a work item never runs concurrently
 *     with itself; the teardown runs it after the work was stopped), so it
 *     needs no lock, and the work sends MPTCP commands and multicasts
 *     events holding no lock at all. pn->enabled is also read locklessly
 *     (READ_ONCE) by the notifiers and GET_STATUS's namespace count.
 *   msk socket locks are taken by the work and by GET_CONNS, one at a
 *     time, with nothing else held but cb_lock (GET_CONNS); an idle
 *     connection is only peeked at, with the token table's reference and
 *     racy reads, no lock (pm_conn.c, omr_conn_peek()); no holder of
 *     an msk lock waits for genetlink (genl.c explains why). Under one,
 *     the work may take a subflow's socket lock (MPTCP's own order), in
 *     tcp_setsockopt(TCP_CONGESTION): pm_conn.c, omr_sf_give_cc().
 */
#ifndef _OMR_PM_H
#define _OMR_PM_H

#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/tcp.h>		/* TCP_CA_NAME_MAX */
#include "addr.h"
#include "events.h"
#include "pm_core.h"	/* struct omr_pm_tunables, the decisions */

#define OMR_PM_MAX_PATHS	8
#define OMR_PM_MAX_REMOTES	4	/* the peer's own address + 3 announced */
/*
 * How many connections a namespace's PM follows: the module parameter
 * pm_max_conns (params.c), OMR_PM_MAX_CONNS by default. One more is not
 * followed and counted (OMR_CNT_A_UNTRACKED); pm_conn.c says what it costs.
 */
#define OMR_PM_MAX_CONNS	32768
#define OMR_PM_HASH_BITS	12	/* token buckets: 32 KB while enabled */
#define OMR_PM_WHEEL_BITS	9	/* due-time slots ... */
#define OMR_PM_WHEEL_SHIFT	3	/* ... of 8 jiffies each */
#define OMR_PM_WHEEL		BIT(OMR_PM_WHEEL_BITS)

struct mem_cgroup;

/* ---- configuration (pn->cfg_lock) --------------------------------------- */

/* A path as configured. */
struct omr_pm_path_cfg {
	char dev[IFNAMSIZ];
	bool backup;		/* configured as backup */
	bool enabled;		/* false: no subflow on it, the path is kept */
	u32 weight;		/* reserved: stored and shown, not used yet */
	/* The configured source address of its family; family 0: none. */
	struct omr_addr saddr;
	struct omr_addr gw;	/* informational: omr installs no route */
	char cc[TCP_CA_NAME_MAX];	/* the subflows' CC; "": leave theirs */
};

struct omr_pm_config {
	u32 gen;		/* bumped by every change */
	bool enabled;		/* the PM is wanted; the work makes it so */
	bool add_addr_accept;	/* join the addresses the peer announces */
	int npaths;
	struct omr_pm_path_cfg paths[OMR_PM_MAX_PATHS];
	struct omr_pm_tunables tun;
};

/* ---- the snapshot (RCU) ------------------------------------------------- */

struct omr_pm_counters {
	u64 creates, create_err, closed, demotes, promotes, removes, aborts;
	u64 ev_overflow;
	u64 cc_set, cc_err;	/* pm_conn.c: the path's CC given, refused */
	u64 untracked;		/* connections not followed: limit, memory */
	u64 visits;		/* connections looked at under their lock */
	u64 work_ns;		/* time the work ran */
};

/* A path as the last pass saw it; computed when published. */
struct omr_pm_snap_path {
	char dev[IFNAMSIZ];
	int ifindex;
	bool link_up, demoted, stripped;
	struct omr_addr addr[OMR_NFAM];	/* family 0: none of that family */
	u8 health_reason;	/* enum omr_ev_reason of the last demotion */
	u32 subflows, srtt_us, loss_ppm;
	u64 tx, rx;		/* bytes in the share window */
	u32 window_ms;
	u32 join_fails, join_fails_total;
};

struct omr_pm_snap {
	struct rcu_head rcu;
	u32 gen;		/* the configuration generation applied */
	bool enabled;		/* the PM runs (its sockets are open) */
	int err;		/* -errno of the last failed enable, or 0 */
	int npaths;
	struct omr_pm_snap_path paths[OMR_PM_MAX_PATHS];
	struct omr_pm_counters cnt;
	u32 ntokens;		/* connections followed */
	u32 max_conns;		/* the limit (pm_max_conns) */
	const struct omr_pm_tokens *tok;	/* their tokens (pm.c) */
};

/* The followed connections' tokens, sorted; rebuilt when the set changes. */
struct omr_pm_tokens {
	struct rcu_head rcu;
	u32 n;
	u32 tokens[];
};

/* ---- the work's own state ----------------------------------------------- */

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
	unsigned long bkup_at;	/* jiffies: when it was asked */
	unsigned long retry_at;	/* jiffies: no create before this */
	unsigned long sent_at;	/* jiffies: when the last create was sent */
	unsigned long busy_at;	/* jiffies: data in flight since, or 0 */
	/* The up subflow given the path's cc (MPTCP's subflow id) and which. */
	u32 cc_sfid, cc_seq;
	struct omr_sub_stats st;	/* events.c: traffic accounting */
};

/* A peer address subflows go to: [0] the connection's, then ADD_ADDRs. */
struct omr_pm_remote {
	struct omr_addr addr;
	__be16 port;
	u8 id;			/* the peer's address id */
	bool used;
};

/*
 * A connection the PM follows. On pn->conns (all of them), in pn->hash (by
 * token, for MPTCP's events) and in one slot of pn->wheel (by c->due: the
 * pass looks at it then, and at no other time unless an event or a change
 * of a path asks for it). Its per-path state is sparse: a row per peer
 * address in use (the first at once, announced ones when announced), each
 * as wide as there are paths (c->width >= pn->npaths; omr_pm_conns_remap()
 * reallocates them when the paths change).
 */
struct omr_pm_conn {
	struct list_head node;
	struct hlist_node hnode;
	struct list_head due_node;
	unsigned long due;	/* jiffies: when a pass looks at it next */
	u64 seen_acked, seen_rcvd;	/* the msk's bytes at the last look */
	bool peek;		/* idle at the last look: peek first */
	u8 width;		/* paths in each row of sub[] */
	u32 token;
	struct omr_addr saddr, daddr;	/* its first subflow; its family */
	__be16 sport, dport;
	bool established;	/* fully established: joins allowed */
	struct omr_pm_remote rem[OMR_PM_MAX_REMOTES];
	struct omr_conn_ev ev;		/* events.c: close reasons, failover */
	/* Per path and peer address: omr_conn_sub(). */
	struct omr_pm_sub *sub[OMR_PM_MAX_REMOTES];
};

static inline struct omr_pm_sub *omr_conn_sub(struct omr_pm_conn *c, int path,
					      int rem)
{
	return &c->sub[rem][path];
}

enum omr_pm_health {
	OMR_HEALTH_OK,
	OMR_HEALTH_DEMOTED,	/* loss, RTT or a stall: backup until it heals */
};

/* A path in the work: its configuration (copied each pass) and its state. */
struct omr_pm_path {
	char dev[IFNAMSIZ];
	bool backup;
	bool enabled;
	u32 weight;
	struct omr_addr saddr, gw;
	char cc[TCP_CA_NAME_MAX];
	u32 cc_seq;		/* bumped when cc changes: given again */
	/* Re-evaluated from the device (RTNL/RCU state) on a change. */
	int ifindex;
	bool link_up;		/* up, carrier, an address of either family */
	/* Its source address per family (family 0: none): a connection's
	 * subflows use the one of the connection's family.
	 */
	struct omr_addr addr[OMR_NFAM];
	u32 nup;		/* connections' subflows up on it (OMR_SUB_UP) */
	/* Health, from the subflows on this path. */
	u8 health;		/* enum omr_pm_health */
	unsigned long health_at;	/* jiffies of the last change */
	unsigned long good_since;	/* jiffies: healthy since, or 0 */
	struct omr_path_stats st;	/* events.c: what GET_PATHS shows */
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
	bool watch;		/* notifiers kick the work (paths or PM on) */
	struct delayed_work work;

	struct mutex cfg_lock;		/* conf, req_memcg */
	struct omr_pm_config conf;
	struct mem_cgroup *req_memcg;	/* the enabler's, for the work to take */

	struct omr_pm_snap __rcu *snap;

	/* The work's own (see the top of this file). */
	bool enabled;		/* WRITE_ONCE here, READ_ONCE elsewhere */
	int enable_err;
	u32 gen_done;		/* the configuration generation applied */
	bool add_addr_accept;
	int npaths;
	struct omr_pm_path paths[OMR_PM_MAX_PATHS];
	struct list_head conns;
	int nconns;
	struct hlist_head *hash;	/* 1 << OMR_PM_HASH_BITS, while enabled */
	struct list_head *wheel;	/* OMR_PM_WHEEL slots, same allocation */
	unsigned long wheel_at;	/* jiffies: the next slot to look at */
	bool all_due;		/* the next pass looks at every connection */
	bool conns_changed;	/* the set changed since the tokens were published */
	u32 max_conns;		/* pm_max_conns when the PM was enabled */
	struct omr_pm_tokens *tok;	/* the published tokens (also in snap) */
	struct omr_pm_counters cnt;
	struct omr_pm_tunables tun;
	struct mem_cgroup *memcg;	/* allocations are charged to it */

	/* MPTCP's PM over generic netlink: commands, and the event group. */
	struct socket *cmd, *ev;
	struct file *cmd_file;
	void (*ev_ready_orig)(struct sock *sk);
	void *buf;		/* the message going out, OMR_PM_BUF bytes */
	void *rx;		/* the message coming in, OMR_PM_BUF bytes */
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
bool omr_pm_links_eval(struct omr_pm_net *pn);
bool omr_pm_link_read(struct net *net, const char *name,
		      const struct omr_addr *saddr, int *ifindex,
		      struct omr_addr *addr);
bool omr_dev_has_addr(struct net_device *dev, const struct omr_addr *want);
bool omr_pm_snap_follows(const struct omr_pm_snap *s, u32 token);

/* pm_genl.c */
int omr_pm_sock_open(struct omr_pm_net *pn);
void omr_pm_sock_close(struct omr_pm_net *pn);
int omr_pm_create(struct omr_pm_net *pn, u32 token, u8 id,
		  const struct omr_addr *saddr, int ifindex, bool backup,
		  const struct omr_addr *daddr, __be16 dport);
int omr_pm_destroy(struct omr_pm_net *pn, u32 token,
		   const struct omr_addr *saddr, __be16 sport,
		   const struct omr_addr *daddr, __be16 dport, bool mapped);
int omr_pm_remove(struct omr_pm_net *pn, u32 token, u8 id);
int omr_pm_set_backup(struct omr_pm_net *pn, u32 token,
		      const struct omr_addr *saddr, __be16 sport,
		      const struct omr_addr *daddr, __be16 dport, bool backup);

struct omr_pm_event {
	u8 type;		/* enum mptcp_event_type */
	bool server_side;
	u8 rem_id;
	u32 token;
	struct omr_addr saddr, daddr;
	__be16 sport, dport;
	int ifindex;
	u32 error;
};

int omr_pm_ev_next(struct omr_pm_net *pn, struct omr_pm_event *ev);

/* pm_conn.c: the work only */
void omr_pm_conn_event(struct omr_pm_net *pn, const struct omr_pm_event *ev);
unsigned long omr_pm_conns_run(struct omr_pm_net *pn);
void omr_pm_conns_flush(struct omr_pm_net *pn);
int omr_pm_conns_resync(struct omr_pm_net *pn);
void omr_pm_conns_remap(struct omr_pm_net *pn, const int *map, int n);
int omr_pm_conns_init(struct omr_pm_net *pn);
void omr_pm_conns_exit(struct omr_pm_net *pn);
void omr_pm_conns_all_due(struct omr_pm_net *pn);

/* pm_cfg.c: the requests (genl.c), and the work's copy of the config */

/* Cross-field rules a settings request can break. */
enum {
	OMR_PM_RULE_OK,
	OMR_PM_RULE_LOSS,	/* loss_lo < loss_hi */
	OMR_PM_RULE_BACKOFF,	/* backoff_min <= backoff_max */
	OMR_PM_RULE_FAIL,	/* fail_ms >= stall_ms */
};

#define OMR_PM_SET_MAX	10

struct omr_pm_set_req {
	s8 enabled;		/* -1: unchanged */
	s8 add_addr_accept;	/* -1: unchanged */
	int n;
	struct {
		u16 off;	/* offsetof(struct omr_pm_tunables, field) */
		u32 val;
	} v[OMR_PM_SET_MAX];
	/* Out, when a rule is broken: which, and the settings it judged. */
	int rule;
	struct omr_pm_tunables res;
};

struct omr_pm_path_change {
	const char *dev;
	s8 backup, enabled;	/* -1: unchanged */
	u32 weight;		/* 0: unchanged */
	bool set_saddr, set_gw;
	struct omr_addr saddr, gw;	/* family 0: clear it */
	const char *cc;		/* NULL: unchanged; "": cleared */
};

int omr_pm_req_set(struct omr_pm_net *pn, struct omr_pm_set_req *req);
int omr_pm_req_path_add(struct omr_pm_net *pn, const char *dev, bool backup,
			const char *cc);
int omr_pm_req_path_del(struct omr_pm_net *pn, const char *dev);
int omr_pm_req_path_change(struct omr_pm_net *pn,
			   const struct omr_pm_path_change *ch);
void omr_pm_cfg_read(struct omr_pm_net *pn, struct omr_pm_config *out);
struct mem_cgroup *omr_pm_cfg_take_memcg(struct omr_pm_net *pn);
void omr_pm_cfg_init(struct omr_pm_net *pn);
void omr_pm_cfg_exit(struct omr_pm_net *pn);

/* params.c */
void omr_pm_tunables_defaults(struct omr_pm_tunables *t);
u32 omr_pm_conns_limit(void);

#endif /* _OMR_PM_H */
