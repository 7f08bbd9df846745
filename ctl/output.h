/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printer per struct of model.h, for text and JSON alike (print.h).
 * The caller opens the outermost array or object where there is a list.
 */
#ifndef OMRCTL_OUTPUT_H
#define OMRCTL_OUTPUT_H

#include "model.h"

void print_status(const struct omr_status *s);
/* pm show: the PM's state; as a JSON object under @key (status: "pm"). */
void print_pm(const char *key, const struct omr_status *s);
void print_sched(const char *key, const uint32_t sched[OMR_SCHED_A_MAX + 1]);
/* The PM's counters, as "counters" (text: one line). */
void print_counters(const struct omr_status *s);
void print_path(const struct omr_path *p);
/* conn show -s: one path's share of @total bytes, and why (path_why). */
void print_path_sum(const struct omr_path *p, uint64_t total, uint32_t conns);
/* conn show -s, stats: "paths", each with its share and why. */
void print_path_sums(const struct omr_paths *l, uint32_t conns);
/* @subflows: print them (not with conn show -s in text). */
void print_conn(const struct omr_conn *c, bool subflows);
/* @ts: the time first (monitor -t; JSON always has "ts"). */
void print_event(const struct omr_event *e, bool ts);

#endif /* OMRCTL_OUTPUT_H */
