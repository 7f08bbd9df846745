/* SPDX-License-Identifier: GPL-2.0 */
#ifndef OMRCTL_MODULE_H
#define OMRCTL_MODULE_H

struct kmod_ctx;

/*
 * A libkmod context whose own log is silent (omrctl's messages say what
 * went wrong); NULL, with a message, if libkmod cannot start. The caller
 * drops it with kmod_unref().
 */
struct kmod_ctx *kmod_ctx_quiet(void);

#endif
