/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omrctl's data model: what the kernel reports, as plain structs. nl.c
 * fills them from netlink, output.c prints them (text and JSON from one
 * printer each), conf.c writes and reads them as omr.conf. The key tables
 * are the names omrctl uses for the settings everywhere: command line,
 * JSON keys, omr.conf keys, and the words kernel messages are put in.
 */
#ifndef OMRCTL_MODEL_H
#define OMRCTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/omr.h>
#include "util.h"

/* A congestion control's name: TCP_CA_NAME_MAX (linux/tcp.h), with its NUL. */
#define OMR_CC_MAX 16

/* MPTCP connections of this namespace that fell back to plain TCP (fallbacks.c). */
struct omr_fallbacks {
	bool seen;		/* the kernel has MPTCP's MIB */
	uint64_t token_table, peer, other;
};

struct omr_status {
	bool seen;		/* the kernel answered */
	char version[64], kernel[128];
	bool enabled, add_addr;
	bool has_gen, wanted;	/* a module where enabling is a request */
	uint32_t gen, gen_done, enable_error;
	uint32_t paths, max_paths, conns, max_conns;
	uint32_t pm[OMR_PM_A_MAX + 1];		/* settings, by attribute */
	uint64_t cnt[OMR_CNT_A_MAX + 1];
	bool usage_all;
	uint32_t sched_conns, netns, netns_sched, netns_pm;
	uint32_t sched[OMR_SCHED_A_MAX + 1];	/* tunables, by attribute */
	struct omr_fallbacks fb;		/* not netlink: the MIB */
};

struct omr_path {
	char dev[IFNAMSIZ];
	uint32_t ifindex, weight;
	bool link_up, backup, enabled, stripped;
	struct omr_ip addr[2];		/* one per family, IPv4 first */
	int naddr;
	struct omr_ip saddr, gw;	/* family 0: none */
	char cc[OMR_CC_MAX];		/* "": none (the subflows keep theirs) */
	uint8_t health, health_reason;
	uint32_t subflows, srtt_us, loss_ppm, window_ms;
	uint32_t join_fails, join_fails_total;
	uint64_t tx, rx;
};

struct omr_paths {
	struct omr_path *p;
	int n;
};

struct omr_sf {
	uint32_t id, ifindex, flags, srtt_us, rttvar_us, loss_ppm, cwnd, retrans;
	bool has_dev, has_loss;
	char dev[IFNAMSIZ];
	struct omr_ip laddr, raddr;	/* family 0: unknown */
	uint16_t lport, rport;
	uint8_t state;
	uint64_t sent, acked, received;
	char cc[OMR_CC_MAX];		/* its congestion control; "" unknown */
};

struct omr_conn {
	uint32_t token, flags;
	struct omr_ip laddr, raddr;	/* family 0: unknown */
	bool has_sched;
	uint16_t lport, rport;
	uint8_t state;
	char sched[32];
	struct omr_sf *sf;
	int nsf;
};

struct omr_event {
	uint8_t type, reason;
	bool has_dev, has_to_dev, has_ifindex, has_to_ifindex, has_token;
	bool has_addrs, has_error;
	char dev[IFNAMSIZ], to_dev[IFNAMSIZ];
	uint32_t ifindex, to_ifindex, token, error;
	struct omr_ip laddr, raddr;
	uint16_t lport, rport;
	long long ts_sec;
	long ts_msec;
};

/* What a change request carries: omrctl's command line or omr.conf. */
struct omr_pm_set {
	int enable;		/* -1: unchanged, 0, 1 */
	int add_addr;		/* -1: unchanged, 0 ignore, 1 accept */
	bool given[OMR_PM_A_MAX + 1];
	uint32_t val[OMR_PM_A_MAX + 1];
};

struct omr_sched_set {
	bool given[OMR_SCHED_A_MAX + 1];
	uint32_t val[OMR_SCHED_A_MAX + 1];
};

struct omr_path_set {
	char dev[IFNAMSIZ];
	int backup, enabled;	/* -1: unchanged */
	bool has_weight, has_saddr, has_gw, has_cc;
	uint32_t weight;
	struct omr_ip saddr, gw;	/* family 0: none (the default) */
	char cc[OMR_CC_MAX];		/* "": default (cleared) */
};

extern const char *const pm_keys[OMR_PM_A_MAX + 1];
extern const char *const sched_keys[OMR_SCHED_A_MAX + 1];
extern const char *const cnt_names[OMR_CNT_A_MAX + 1];

/* An attribute of table @keys by its key, or -1. */
int key_index(const char *const *keys, int max, const char *k);
/* Table @keys' names (holes skipped), @sep between them, in @buf. */
const char *key_list(const char *const *keys, int max, const char *sep,
		     char *buf, size_t len);
/* The events' names, ", " between them, in @buf. */
const char *event_list(char *buf, size_t len);

const char *tcp_state_name(unsigned int s);
const char *reason_name(unsigned int r);
const char *event_name(unsigned int type);
int event_type(const char *name);	/* -1: no such event */

/* The kernel's message @in with attribute names put in words (words.c). */
void omr_words(const char *in, char *out, size_t len);

/* All paths' bytes in their windows (tx + rx): what shares are of. */
uint64_t paths_bytes(const struct omr_paths *l);

/* The phrase that says why a path carries what it carries, in @buf. */
/* @p's source address of @family (AF_INET, AF_INET6), or NULL. */
const struct omr_ip *path_addr(const struct omr_path *p, int family);

const char *path_why(const struct omr_path *p, uint32_t conns, char *buf,
		     size_t len);

/*
 * Whether @s is a congestion control's name as the kernel takes it for a
 * path (OMR_PATH_A_CC): 1 to OMR_CC_MAX - 1 bytes of [a-z0-9_]. The syntax
 * only; cc.c checks that this kernel has it.
 */
bool cc_name_ok(const char *s);

#endif /* OMRCTL_MODEL_H */
