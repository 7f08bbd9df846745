/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OMR_SHIM_LOG_H
#define OMR_SHIM_LOG_H

enum { L_ERR, L_WARN, L_INFO, L_DEBUG };

/* Process-wide logging setup: set once in main() before threads start. */
void log_setup(const char *role, int level);
int log_level_get(void);
void log_msg(int lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(L_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(L_WARN, __VA_ARGS__)
#define log_info(...) log_msg(L_INFO, __VA_ARGS__)
#define log_dbg(...) do { if (log_level_get() >= L_DEBUG) log_msg(L_DEBUG, __VA_ARGS__); } while (0)

#endif
