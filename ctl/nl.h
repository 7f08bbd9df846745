/* SPDX-License-Identifier: GPL-2.0 */
/*
 * omrctl's netlink layer (libnl-genl-3): requests to the "omr" family that
 * fill or send the structs of model.h. Errors are reported here, in words
 * (the kernel's attribute names in its messages become omrctl's keys); the
 * functions return omrctl's exit codes.
 */
#ifndef OMRCTL_NL_H
#define OMRCTL_NL_H

#include <signal.h>
#include "model.h"

struct omr_nl;

struct nlmsgerr;
struct nlattr;
/* An error message's extended ACK attributes in tb; false if none. */
bool nl_extack_parse(struct nlmsgerr *e, struct nlattr **tb);
/* The family is looked up at the first request, not here. */
struct omr_nl *omr_nl_new(void);
void omr_nl_free(struct omr_nl *nl);
/* The command for error messages: "path add". */
void omr_nl_what(struct omr_nl *nl, const char *what);

int omr_get_status(struct omr_nl *nl, struct omr_status *s);
int omr_get_sched(struct omr_nl *nl, uint32_t sched[OMR_SCHED_A_MAX + 1]);
/* Allocates l->p; free() it (NULL after an error). */
int omr_get_paths(struct omr_nl *nl, struct omr_paths *l);
/* omr_get_status, then omr_get_paths: stats, conn show -s, setconf. */
int omr_get_state(struct omr_nl *nl, struct omr_status *s,
		  struct omr_paths *l);
/* @cb for each connection, during the dump; its subflows are in it. */
int omr_get_conns(struct omr_nl *nl,
		  void (*cb)(const struct omr_conn *c, void *arg), void *arg);

int omr_set_pm(struct omr_nl *nl, const struct omr_pm_set *s);
int omr_set_sched(struct omr_nl *nl, const struct omr_sched_set *s);
int omr_path_add(struct omr_nl *nl, const char *dev, bool backup,
		 const char *cc);
int omr_path_del(struct omr_nl *nl, const char *dev);
int omr_path_change(struct omr_nl *nl, const struct omr_path_set *s);

/*
 * The events group, for a caller's own poll loop: join it (@cb gets each
 * event), poll omr_events_fd(), and omr_events_read() when it is readable
 * (*@lost set if the socket overflowed: resynchronise). Exit codes. A
 * handle that joined the group makes no other request.
 */
int omr_events_join(struct omr_nl *nl, void (*cb)(const struct omr_event *e,
						  void *arg), void *arg);
int omr_events_fd(struct omr_nl *nl);
int omr_events_read(struct omr_nl *nl, bool *lost);

/* Events until *@stop: @cb per event. */
int omr_monitor(struct omr_nl *nl, void (*cb)(const struct omr_event *e,
					      void *arg),
		void *arg, const volatile sig_atomic_t *stop);

#endif /* OMRCTL_NL_H */
