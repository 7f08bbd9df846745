// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's messages (extended ACKs) name attributes by their enum
 * names: "OMR_PM_A_LOSS_LO (200) must be below OMR_PM_A_LOSS_HI (200)".
 * omrctl shows them in its own words: "loss_lo (200) must be below
 * loss_hi (200)", and "OMR_A_SCHED is required" as "missing scheduler
 * settings" (model.h, omr_words()).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "util.h"

/* The kernel's attribute names, in the words omrctl uses for them. */
static const struct {
	const char *attr, *word;
} attr_words[] = {
	{ "OMR_A_PM", "path manager settings" },
	{ "OMR_A_SCHED", "scheduler settings" },
	{ "OMR_A_PATH", "path settings" },
	{ "OMR_PATH_A_IFNAME", "dev" },
	{ "OMR_PATH_A_FLAGS", "backup" },
	{ "OMR_PM_A_ADD_ADDR_ACCEPT", "add_addr" },
	{ "OMR_PM_A_ENABLED", "enable" },
};

/* One OMR_*_A_* name at @s (@n bytes) into @out: the table, or its tail. */
static void word_of(const char *s, size_t n, char *out, size_t len)
{
	const char *tail;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attr_words); i++)
		if (strlen(attr_words[i].attr) == n &&
		    !strncmp(attr_words[i].attr, s, n)) {
			snprintf(out, len, "%s", attr_words[i].word);
			return;
		}
	tail = strstr(s, "_A_") + 3;	/* pm and sched keys: LOSS_LO */
	for (i = 0; tail + i < s + n && i + 1 < len; i++)
		out[i] = tolower((unsigned char)tail[i]);
	out[i] = '\0';
}

#define ATTR_CHARS "_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* The length of an OMR_*_A_* name at @s, or 0. */
static size_t attr_len(const char *s)
{
	size_t n = strspn(s, ATTR_CHARS);
	const char *a = strstr(s, "_A_");

	if (strncmp(s, "OMR_", 4) || !a || a + 3 > s + n)
		return 0;
	return n;
}

void omr_words(const char *in, char *out, size_t len)
{
	size_t o = 0, n = attr_len(in);
	char w[64];

	/* "OMR_A_SCHED is required": "missing scheduler settings" */
	if (n && !strcmp(in + n, " is required")) {
		word_of(in, n, w, sizeof(w));
		snprintf(out, len, "missing %s", w);
		return;
	}
	while (*in && o + 1 < len) {
		n = attr_len(in);
		if (n) {
			word_of(in, n, w, sizeof(w));
			o += snprintf(out + o, len - o, "%s", w);
			if (o >= len)
				return;	/* cut: snprintf ended it */
			in += n;
			continue;
		}
		out[o++] = *in++;
	}
	out[o < len ? o : len - 1] = '\0';
}

