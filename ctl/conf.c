// SPDX-License-Identifier: GPL-2.0
/*
 * omr.conf, read and written (conf.h). The parser reads the whole file
 * before anything is applied, and stops at the first error with its line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "util.h"

enum section { SEC_NONE, SEC_PM, SEC_SCHED, SEC_PATH };

struct parser {
	const char *name;
	int line;
	enum section sec;
	struct omr_conf *c;
	char *err;
	size_t errlen;
	bool seen_pm, seen_sched;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int yes_no(struct parser *p, const char *k, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return fail(p, "%s = '%s': expected yes or no", k, v);
}

static int number(struct parser *p, const char *k, const char *v, uint32_t *out)
{
	if (!strtou32(v, out))
		return 0;
	return fail(p, "%s = '%s': expected a number (0 to %u)", k, v, UINT32_MAX);
}

static int address(struct parser *p, const char *k, const char *v,
		   struct omr_ip *a)
{
	if (!strcmp(v, "none")) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (!ip_pton(v, a))
		return 0;
	return fail(p, "%s = '%s': expected an IPv4 or IPv6 address or none", k, v);
}

/* KEY = N of a settings table: entry @i of @given and @val. */
static int table_key(struct parser *p, int i, bool *given, uint32_t *val,
		     const char *k, const char *v)
{
	if (given[i])
		return fail(p, "%s is given twice", k);
	given[i] = true;
	return number(p, k, v, &val[i]);
}

static int pm_key(struct parser *p, const char *k, const char *v)
{
	struct omr_pm_set *s = &p->c->pm;
	char keys[256];
	int i;

	if (!strcmp(k, "enable")) {
		if (s->enable >= 0)
			return fail(p, "enable is given twice");
		s->enable = yes_no(p, k, v);
		return s->enable < 0 ? -1 : 0;
	}
	if (!strcmp(k, "add_addr")) {
		if (s->add_addr >= 0)
			return fail(p, "add_addr is given twice");
		if (strcmp(v, "accept") && strcmp(v, "ignore"))
			return fail(p, "add_addr = '%s': expected accept or ignore", v);
		s->add_addr = !strcmp(v, "accept");
		return 0;
	}
	i = key_index(pm_keys, OMR_PM_A_MAX, k);
	if (i < 0)
		return fail(p, "unknown key '%s' in [PathManager] (enable, add_addr, %s)",
			    k, key_list(pm_keys, OMR_PM_A_MAX, ", ", keys, sizeof(keys)));
	return table_key(p, i, s->given, s->val, k, v);
}

static int sched_key(struct parser *p, const char *k, const char *v)
{
	struct omr_sched_set *s = &p->c->sched;
	int i = key_index(sched_keys, OMR_SCHED_A_MAX, k);
	char keys[256];

	if (i < 0)
		return fail(p, "unknown key '%s' in [Scheduler] (%s)", k,
			    key_list(sched_keys, OMR_SCHED_A_MAX, ", ", keys, sizeof(keys)));
	return table_key(p, i, s->given, s->val, k, v);
}

static int path_key(struct parser *p, const char *k, const char *v)
{
	struct omr_path_set *s = &p->c->paths[p->c->npaths - 1].set;
	int i;

	if (!strcmp(k, "dev")) {
		if (s->dev[0])
			return fail(p, "dev is given twice in this [Path]");
		if (!v[0] || strlen(v) >= IFNAMSIZ || strchr(v, '/') || strchr(v, ' '))
			return fail(p, "dev = '%s': not an interface name (1 to %d bytes)", v, IFNAMSIZ - 1);
		for (i = 0; i < p->c->npaths - 1; i++)
			if (!strcmp(p->c->paths[i].set.dev, v))
				return fail(p, "dev = %s: a [Path] on line %d has it already", v, p->c->paths[i].line);
		snprintf(s->dev, sizeof(s->dev), "%s", v);
		return 0;
	}
	if (!strcmp(k, "backup") || !strcmp(k, "enabled")) {
		int *f = k[0] == 'b' ? &s->backup : &s->enabled;

		if (*f >= 0)
			return fail(p, "%s is given twice in this [Path]", k);
		*f = yes_no(p, k, v);
		return *f < 0 ? -1 : 0;
	}
	if (!strcmp(k, "weight")) {
		if (s->has_weight)
			return fail(p, "weight is given twice in this [Path]");
		s->has_weight = true;
		return number(p, k, v, &s->weight);
	}
	if (!strcmp(k, "saddr") || !strcmp(k, "gw")) {
		bool *has = k[0] == 's' ? &s->has_saddr : &s->has_gw;

		if (*has)
			return fail(p, "%s is given twice in this [Path]", k);
		*has = true;
		return address(p, k, v, k[0] == 's' ? &s->saddr : &s->gw);
	}
	if (!strcmp(k, "cc")) {
		if (s->has_cc)
			return fail(p, "cc is given twice in this [Path]");
		s->has_cc = true;
		if (!strcmp(v, "default"))
			return 0;
		/* The syntax here; setconf checks this kernel has it. */
		if (!cc_name_ok(v))
			return fail(p, "cc = '%s': expected a congestion control's name (a-z, 0-9, _; at most %d) or default",
				    v, OMR_CC_MAX - 1);
		snprintf(s->cc, sizeof(s->cc), "%s", v);
		return 0;
	}
	return fail(p, "unknown key '%s' in [Path] (dev, backup, enabled, weight, saddr, gw, cc)", k);
}

/* The [Path] just ended must have named its device. */
static int path_end(struct parser *p)
{
	struct omr_conf_path *cp;

	if (!p->c->npaths)
		return 0;
	cp = &p->c->paths[p->c->npaths - 1];
	if (cp->set.dev[0])
		return 0;
	p->line = cp->line;
	return fail(p, "[Path] without dev");
}

static int section(struct parser *p, const char *name)
{
	struct omr_conf_path *grown;

	if (p->sec == SEC_PATH && path_end(p))
		return -1;
	if (!strcmp(name, "PathManager") || !strcmp(name, "Scheduler")) {
		bool *seen = name[0] == 'P' ? &p->seen_pm : &p->seen_sched;

		if (*seen)
			return fail(p, "a second [%s]", name);
		*seen = true;
		p->sec = name[0] == 'P' ? SEC_PM : SEC_SCHED;
		return 0;
	}
	if (strcmp(name, "Path"))
		return fail(p, "unknown section [%s] (PathManager, Scheduler, Path)", name);
	grown = realloc(p->c->paths, (p->c->npaths + 1) * sizeof(*grown));
	if (!grown)
		return fail(p, "out of memory");
	p->c->paths = grown;
	memset(&grown[p->c->npaths], 0, sizeof(*grown));
	grown[p->c->npaths].set.backup = -1;
	grown[p->c->npaths].set.enabled = -1;
	grown[p->c->npaths].line = p->line;
	p->c->npaths++;
	p->sec = SEC_PATH;
	return 0;
}

static int parse_line(struct parser *p, char *s)
{
	char *eq, *k, *v;
	size_t n;

	s = trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		n = strlen(s);
		if (s[n - 1] != ']')
			return fail(p, "'%s': a section header ends with ']'", s);
		s[n - 1] = '\0';
		return section(p, trim(s + 1));
	}
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, "'%s': expected KEY = VALUE or [Section]", s);
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	if (!*k)
		return fail(p, "a value without a key");
	switch (p->sec) {
	case SEC_PM:
		return pm_key(p, k, v);
	case SEC_SCHED:
		return sched_key(p, k, v);
	case SEC_PATH:
		return path_key(p, k, v);
	default:
		return fail(p, "key '%s' outside a section ([PathManager], [Scheduler], [Path])", k);
	}
}

int conf_parse(FILE *f, const char *name, struct omr_conf *c, char *errbuf,
	       size_t errlen)
{
	struct parser p = { .name = name, .c = c, .err = errbuf, .errlen = errlen };
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->pm.enable = -1;
	c->pm.add_addr = -1;
	while (!ret && (n = getline(&buf, &cap, f)) >= 0) {
		p.line++;
		if ((ssize_t)strlen(buf) != n)
			ret = fail(&p, "a NUL byte");
		else
			ret = parse_line(&p, buf);
	}
	free(buf);
	if (!ret && ferror(f)) {
		snprintf(errbuf, errlen, "%s: read error", name);
		ret = -1;
	}
	if (!ret && p.sec == SEC_PATH)
		ret = path_end(&p);
	return ret;
}

void conf_free(struct omr_conf *c)
{
	free(c->paths);
	c->paths = NULL;
	c->npaths = 0;
}

int conf_from_state(const struct omr_status *s, const struct omr_paths *l,
		    struct omr_conf *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->pm.enable = s->wanted || s->enabled;
	c->pm.add_addr = s->add_addr;
	for (i = 0; i <= OMR_PM_A_MAX; i++) {
		c->pm.given[i] = pm_keys[i];
		c->pm.val[i] = s->pm[i];
	}
	for (i = 0; i <= OMR_SCHED_A_MAX; i++) {
		c->sched.given[i] = sched_keys[i];
		c->sched.val[i] = s->sched[i];
	}
	c->paths = calloc(l->n ? l->n : 1, sizeof(*c->paths));
	if (!c->paths)
		return -1;
	for (i = 0; i < l->n; i++) {
		struct omr_path_set *ps = &c->paths[i].set;

		snprintf(ps->dev, sizeof(ps->dev), "%s", l->p[i].dev);
		ps->backup = l->p[i].backup;
		ps->enabled = l->p[i].enabled;
		ps->has_weight = ps->has_saddr = ps->has_gw = ps->has_cc = true;
		snprintf(ps->cc, sizeof(ps->cc), "%s", l->p[i].cc);
		ps->weight = l->p[i].weight;
		ps->saddr = l->p[i].saddr;
		ps->gw = l->p[i].gw;
	}
	c->npaths = l->n;
	return 0;
}

static const char *addr_text(const struct omr_ip *a, char *buf)
{
	return a->family ? ip_ntop(a, buf) : "none";
}

static void write_path(FILE *f, const struct omr_path_set *s)
{
	char a[OMR_IP_STRLEN];

	fprintf(f, "\n[Path]\ndev = %s\n", s->dev);
	if (s->backup >= 0)
		fprintf(f, "backup = %s\n", s->backup ? "yes" : "no");
	if (s->enabled >= 0)
		fprintf(f, "enabled = %s\n", s->enabled ? "yes" : "no");
	if (s->has_weight)
		fprintf(f, "weight = %u\n", s->weight);
	if (s->has_saddr)
		fprintf(f, "saddr = %s\n", addr_text(&s->saddr, a));
	if (s->has_gw)
		fprintf(f, "gw = %s\n", addr_text(&s->gw, a));
	if (s->has_cc)
		fprintf(f, "cc = %s\n", s->cc[0] ? s->cc : "default");
}

void conf_write(FILE *f, const struct omr_conf *c)
{
	int i;

	fprintf(f, "# omr configuration: omrctl showconf; apply with omrctl setconf FILE\n");
	fprintf(f, "[PathManager]\n");
	if (c->pm.enable >= 0)
		fprintf(f, "enable = %s\n", c->pm.enable ? "yes" : "no");
	if (c->pm.add_addr >= 0)
		fprintf(f, "add_addr = %s\n", c->pm.add_addr ? "accept" : "ignore");
	for (i = 0; i <= OMR_PM_A_MAX; i++)
		if (c->pm.given[i])
			fprintf(f, "%s = %u\n", pm_keys[i], c->pm.val[i]);
	fprintf(f, "\n[Scheduler]\n");
	for (i = 0; i <= OMR_SCHED_A_MAX; i++)
		if (c->sched.given[i])
			fprintf(f, "%s = %u\n", sched_keys[i], c->sched.val[i]);
	for (i = 0; i < c->npaths; i++)
		write_path(f, &c->paths[i].set);
}
