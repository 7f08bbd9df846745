/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MPTCP's own counts of connections that fell back to plain TCP (one path,
 * nothing for the path manager to follow), from the MIB of omrctl's network
 * namespace (/proc/net/netstat, read after -n).
 */
#ifndef OMRCTL_FALLBACKS_H
#define OMRCTL_FALLBACKS_H

#include <stdio.h>
#include "model.h"

/* Parse the "MPTcpExt:" name and value lines of a netstat file into @fb. */
int fallbacks_parse(FILE *f, struct omr_fallbacks *fb);
/* The same from /proc/net/netstat; fb->seen false if it has no MPTcpExt. */
void fallbacks_read(struct omr_fallbacks *fb);

#endif /* OMRCTL_FALLBACKS_H */
