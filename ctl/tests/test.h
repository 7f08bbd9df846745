/* SPDX-License-Identifier: GPL-2.0 */
/* Between the host tests' files (ctl_test.c, prom_test.c, conf_test.c,
 * uroute_test.c). */
#ifndef OMRCTL_TEST_H
#define OMRCTL_TEST_H

#include <stdbool.h>
#include "model.h"

#define N_TESTS 46

void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What @fn prints for @arg, as text or JSON; free() it. */
char *capture(bool json, void (*fn)(const void *), const void *arg);
/* @got is @want, or both are shown. */
bool same(const char *what, const char *got, const char *want);
struct omr_status sample_status(void);
struct omr_path sample_path(void);

void test_prom(void);
void test_conf(void);
void test_uroute(void);

#endif /* OMRCTL_TEST_H */
