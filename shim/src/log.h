/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_LOG_H
#define OMR_SHIM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum { L_ERR, L_WARN, L_INFO, L_DEBUG };

/*
 * Process-wide logging setup: in main() before threads start, and again on
 * a reload while every worker is paused. Lines carry journald's "<N>"
 * priority prefix when stderr is the journal ($JOURNAL_STREAM).
 */
void log_setup(const char *role, int level);
/* sd_notify(3)'s message (e.g. "READY=1") to $NOTIFY_SOCKET, if set: 0, or -1. */
int log_notify(const char *msg);
int log_level_get(void);
void log_msg(int lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Peer-controlled bytes (a SOCKS5 or tunnel domain) made safe to print:
 * printable ASCII except the backslash is copied, every other byte becomes
 * \xNN, so a newline or an escape sequence cannot forge or hide a line.
 * Always NUL-terminates (truncating) when outlen > 0; returns out.
 */
char *log_escape(char *out, size_t outlen, const void *in, size_t n);

#define log_err(...) log_msg(L_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(L_WARN, __VA_ARGS__)
#define log_info(...) log_msg(L_INFO, __VA_ARGS__)
#define log_dbg(...) do { if (log_level_get() >= L_DEBUG) log_msg(L_DEBUG, __VA_ARGS__); } while (0)

#endif
