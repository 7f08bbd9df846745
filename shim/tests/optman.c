// SPDX-License-Identifier: GPL-2.0-or-later
/* Prints the man page's OPTIONS section from the option table (config.c). */
#include <stdio.h>
#include "config.h"

int main(void)
{
	config_man(stdout);
	return 0;
}
