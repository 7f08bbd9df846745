/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition format (version 0.0.4) of omr's state:
 * per path bytes, RTT, loss, state and share, and the PM's counters. The
 * output suits node_exporter's textfile collector.
 */
#ifndef OMRCTL_PROM_H
#define OMRCTL_PROM_H

#include <stdio.h>
#include "model.h"

void prom_write(FILE *f, const struct omr_status *s, const struct omr_paths *l);

#endif /* OMRCTL_PROM_H */
