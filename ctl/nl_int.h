/* SPDX-License-Identifier: GPL-2.0 */
/* Between nl.c (requests, replies, errors) and nl_set.c (changes). */
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
};

/* The next attribute put into @msg is the command-line argument @fmt. */
void nl_mark(struct omr_nl *nl, struct nl_msg *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A request of @cmd; NULL with *@ret set (an exit code) if none. */
struct nl_msg *nl_new_msg(struct omr_nl *nl, uint8_t cmd, int flags, int *ret);
/* Send @msg (consumed), read the answer: an exit code, errors reported. */
int nl_transact(struct omr_nl *nl, struct nl_msg *msg);

#endif /* OMRCTL_NL_INT_H */
