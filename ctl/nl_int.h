/* SPDX-License-Identifier: GPL-2.0 */
/* Between nl.c (requests, replies, errors) and nl_get.c, nl_set.c. */
#ifndef OMRCTL_NL_INT_H
#define OMRCTL_NL_INT_H

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include "nl.h"

struct omr_nl {
	struct nl_sock *sk;
	int family;
	const char *what;	/* for error messages: "path add" */
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
	bool done;
	int error;		/* errno from the kernel, positive */
	char extack[256];	/* its extended ACK message */
	int parse_err;
	/* The request's attributes by offset, to name the one the kernel blames. */
	struct {
		uint32_t off;
		char arg[64];
	} args[24];
	int nargs;
	int64_t bad_off;	/* NLMSGERR_ATTR_OFFS, or -1 */
	/* omr_events_join(): what each event is handed to */
	void (*ev_cb)(const struct omr_event *e, void *arg);
	void *ev_arg;
};

/* The next attribute put into @msg is the command-line argument @fmt. */
void nl_mark(struct omr_nl *nl, struct nl_msg *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The socket and the family, at the first request; an exit code. */
int nl_open(struct omr_nl *nl);
/* A request of @cmd (@flags: NLM_F_DUMP); @parse reads each reply into @arg. */
int nl_query(struct omr_nl *nl, uint8_t cmd, int flags,
	     int (*parse)(struct nlattr **tb, void *arg), void *arg);
/* A request of @cmd whose attributes @put puts from @arg into nest @nest. */
int nl_change(struct omr_nl *nl, uint8_t cmd, int nest,
	      int (*put)(struct omr_nl *nl, struct nl_msg *msg, const void *arg),
	      const void *arg);

#endif /* OMRCTL_NL_INT_H */
