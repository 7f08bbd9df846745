// SPDX-License-Identifier: GPL-2.0
/* omrctl's names for the kernel's enums and settings (model.h). */
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "util.h"

const char *const sched_keys[OMR_SCHED_A_MAX + 1] = {
	[OMR_SCHED_A_LOSS_PENALTY] = "loss_penalty",
	[OMR_SCHED_A_LOSS_GAIN] = "loss_gain",
	[OMR_SCHED_A_RTT_UNKNOWN_US] = "rtt_unknown_us",
	[OMR_SCHED_A_BURST] = "burst",
};

const char *const pm_keys[OMR_PM_A_MAX + 1] = {
	[OMR_PM_A_TICK_MS] = "tick_ms",
	[OMR_PM_A_STALL_MS] = "stall_ms",
	[OMR_PM_A_FAIL_MS] = "fail_ms",
	[OMR_PM_A_HOLD_MS] = "hold_ms",
	[OMR_PM_A_LOSS_HI] = "loss_hi",
	[OMR_PM_A_LOSS_LO] = "loss_lo",
	[OMR_PM_A_RTT_HI_MS] = "rtt_hi_ms",
	[OMR_PM_A_BACKOFF_MIN_MS] = "backoff_min_ms",
	[OMR_PM_A_BACKOFF_MAX_MS] = "backoff_max_ms",
	[OMR_PM_A_JOIN_TIMEOUT_MS] = "join_timeout_ms",
};

const char *const cnt_names[OMR_CNT_A_MAX + 1] = {
	[OMR_CNT_A_CREATES] = "creates",
	[OMR_CNT_A_CREATE_ERRORS] = "create_errors",
	[OMR_CNT_A_CLOSED] = "closed",
	[OMR_CNT_A_DEMOTES] = "demotes",
	[OMR_CNT_A_PROMOTES] = "promotes",
	[OMR_CNT_A_REMOVES] = "removes",
	[OMR_CNT_A_ABORTS] = "aborts",
	[OMR_CNT_A_EV_OVERFLOWS] = "event_overflows",
	[OMR_CNT_A_CC_SET] = "cc_set",
	[OMR_CNT_A_CC_ERRORS] = "cc_errors",
	[OMR_CNT_A_UNTRACKED] = "untracked",
	[OMR_CNT_A_VISITS] = "visits",
	[OMR_CNT_A_WORK_NS] = "work_ns",
};

int key_index(const char *const *keys, int max, const char *k)
{
	int i;

	for (i = 0; i <= max; i++)
		if (keys[i] && !strcmp(keys[i], k))
			return i;
	return -1;
}

/* Entry @i of a table of @n names; "unknown" past it or for a hole. */
static const char *name_in(const char *const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : "unknown";
}

const char *key_list(const char *const *keys, int max, const char *sep,
		     char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i <= max && o < len; i++)
		if (keys[i])
			o += snprintf(buf + o, len - o, "%s%s", o ? sep : "",
				      keys[i]);
	return buf;
}

const char *tcp_state_name(unsigned int s)
{
	static const char *const names[] = {
		"unknown", "established", "syn-sent", "syn-recv", "fin-wait-1",
		"fin-wait-2", "time-wait", "close", "close-wait", "last-ack",
		"listen", "closing", "new-syn-recv", "bound-inactive",
	};

	return name_in(names, ARRAY_SIZE(names), s);
}

static const char *const reason_names[] = {
	[OMR_EV_R_NONE] = "none",
	[OMR_EV_R_LINK_DOWN] = "link_down",
	[OMR_EV_R_STALL] = "stall",
	[OMR_EV_R_LOSS] = "loss",
	[OMR_EV_R_RTT] = "rtt",
	[OMR_EV_R_DUPLICATE] = "duplicate",
	[OMR_EV_R_JOIN_TIMEOUT] = "join_timeout",
	[OMR_EV_R_JOIN_FAILED] = "join_failed",
	[OMR_EV_R_PEER] = "peer",
	[OMR_EV_R_DEMOTED] = "demoted",
};

const char *reason_name(unsigned int r)
{
	return name_in(reason_names, ARRAY_SIZE(reason_names), r);
}

static const char *const event_names[] = {
	[OMR_EV_PATH_UP] = "path_up",
	[OMR_EV_PATH_DOWN] = "path_down",
	[OMR_EV_SF_CREATED] = "sf_created",
	[OMR_EV_SF_CLOSED] = "sf_closed",
	[OMR_EV_PATH_DEMOTED] = "path_demoted",
	[OMR_EV_PATH_PROMOTED] = "path_promoted",
	[OMR_EV_FAILOVER] = "failover",
};

const char *event_name(unsigned int type)
{
	return name_in(event_names, ARRAY_SIZE(event_names), type);
}

const char *event_list(char *buf, size_t len)
{
	return key_list(event_names, ARRAY_SIZE(event_names) - 1, ", ", buf, len);
}

int event_type(const char *name)
{
	return key_index(event_names, ARRAY_SIZE(event_names) - 1, name);
}

uint64_t paths_bytes(const struct omr_paths *l)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < l->n; i++)
		total += l->p[i].tx + l->p[i].rx;
	return total;
}

const char *path_why(const struct omr_path *p, uint32_t conns, char *buf,
		     size_t len)
{
	if (!p->link_up)
		snprintf(buf, len, "link down");
	else if (p->health == OMR_PATH_HEALTH_DEMOTED)
		snprintf(buf, len, "demoted: %s",
			 reason_name(p->health_reason));
	else if (p->stripped)
		snprintf(buf, len,
			 "MPTCP stripped? %u joins failed in a row", p->join_fails);
	else if (!conns)
		snprintf(buf, len, "idle: no connection");
	else if (!p->subflows && p->join_fails)
		snprintf(buf, len,
			 "no subflow: joins failing (%u), backing off", p->join_fails);
	else if (!p->subflows)
		snprintf(buf, len, "no subflow: joining or backing off");
	else if (p->backup)
		snprintf(buf, len, "backup");
	else
		snprintf(buf, len, "ok");
	return buf;
}

bool cc_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= OMR_CC_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

const struct omr_ip *path_addr(const struct omr_path *p, int family)
{
	int i;

	for (i = 0; i < p->naddr; i++)
		if (p->addr[i].family == family)
			return &p->addr[i];
	return NULL;
}
