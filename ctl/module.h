/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omrctl module load|unload|status (module.c, libkmod): what main.c needs
 * to call it. The exit codes are omrctl's (docs/omrctl.8).
 */
#ifndef OMRCTL_MODULE_H
#define OMRCTL_MODULE_H

#include <stdbool.h>

/* argv[0] is the subcommand: load [PATH], unload, status. */
int omr_module_cmd(int argc, char **argv);

#endif /* OMRCTL_MODULE_H */
