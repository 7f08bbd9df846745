// SPDX-License-Identifier: GPL-2.0
/* Running a word of a command table (cmd.h), as ip does. */
#include <string.h>
#include "cmd.h"
#include "util.h"

/* One usage line: "WORDS\tTEXT" in two columns; "\tTEXT" continues one. */
static void usage_line(FILE *f, const char *prefix, const char *u, int len)
{
	const char *tab = memchr(u, '\t', len);
	int left = tab ? tab - u : len;
	char words[128];

	snprintf(words, sizeof(words), "%s%.*s", left ? prefix : "", left, u);
	if (!tab) {
		fprintf(f, "  %s\n", words);
		return;
	}
	while (tab < u + len && *tab == '\t')
		tab++;
	if (strlen(words) > 28)
		fprintf(f, "  %s\n  %-28s %.*s\n", words, "", (int)(u + len - tab), tab);
	else
		fprintf(f, "  %-28s %.*s\n", words, (int)(u + len - tab), tab);
}

void cmd_usage(FILE *f, const char *prefix, const struct cmd *t, int n)
{
	const char *u, *nl;
	char sub[64];
	int i;

	for (i = 0; i < n; i++) {
		if (t[i].sub) {
			snprintf(sub, sizeof(sub), "%s%s ", prefix, t[i].name);
			cmd_usage(f, sub, t[i].sub, t[i].nsub);
			continue;
		}
		for (u = t[i].usage; u && *u; u = nl ? nl + 1 : u + strlen(u)) {
			nl = strchr(u, '\n');
			usage_line(f, u == t[i].usage ? prefix : "", u,
				   nl ? (int)(nl - u) : (int)strlen(u));
		}
	}
}

int cmd_begin(struct ctx *c, const char *what, int argc, char **argv)
{
	if (argc) {
		err("%s: unexpected argument '%s'", what, argv[0]);
		return EX_USAGE;
	}
	omr_nl_what(c->nl, what);
	return EX_OK;
}

static bool is_help(const char *w)
{
	return !strcmp(w, "help") || !strcmp(w, "-h") || !strcmp(w, "--help");
}

int cmd_run(struct ctx *c, const char *what, const struct cmd *t, int n,
	    int argc, char **argv)
{
	struct word w[32];
	char sub[64];
	int i, k = 0;

	if (argc > 1 && is_help(argv[0]))	/* help path: path help */
		return cmd_run(c, what, t, n, 2, (char *[]){ argv[1], argv[0], NULL });
	if (argc && is_help(argv[0])) {
		printf("Usage:\n");
		cmd_usage(stdout, what, t, n);
		return EX_OK;
	}
	/* "conn -s": options of the default command */
	if (argc && argv[0][0] != '-') {
		for (i = 0; i < n && i < (int)ARRAY_SIZE(w); i++) {
			w[i].name = t[i].name;
			w[i].shortest = t[i].shortest;
		}
		/* "path: " in errors; what is "path " (top level: "") */
		snprintf(sub, sizeof(sub), "%.*s%s", *what ? (int)strlen(what) - 1 : 0,
			 what, *what ? ": " : "");
		k = match_word(sub, w, i, argv[0]);
		if (k < 0)
			return EX_USAGE;
		argc--;
		argv++;
	}
	if (t[k].sub) {
		snprintf(sub, sizeof(sub), "%s%s ", what, t[k].name);
		return cmd_run(c, sub, t[k].sub, t[k].nsub, argc, argv);
	}
	if (argc && is_help(argv[0])) {
		printf("Usage:\n");
		cmd_usage(stdout, what, &t[k], 1);
		return EX_OK;
	}
	return t[k].fn(c, argc, argv);
}
