/* SPDX-License-Identifier: GPL-2.0 */
/* A path's congestion control: whether this kernel has it (cc.c). */
#ifndef OMRCTL_CC_H
#define OMRCTL_CC_H

/*
 * EX_OK if @name is a congestion control this kernel has (after loading
 * tcp_@name if it was not listed); else an error in words about @what and
 * EX_USAGE. Checks the syntax too (cc_name_ok()).
 */
int cc_check(const char *what, const char *name);

#endif /* OMRCTL_CC_H */
