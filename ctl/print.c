// SPDX-License-Identifier: GPL-2.0
/*
 * print.h on json-c: a stack of open containers; the outermost is written
 * when it is closed. No JSON is written by hand here: json-c escapes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "print.h"

#define DEPTH 8

static bool json;
static FILE *out;
static struct json_object *stack[DEPTH];
static const char *stack_key[DEPTH];
static int depth;

void print_set_json(bool on)
{
	json = on;
}

bool is_json(void)
{
	return json;
}

void print_set_file(FILE *f)
{
	out = f;
}

static FILE *fp(void)
{
	return out ? out : stdout;
}

/* Put @v under @key in the open container (or print it if none is). */
static void add(const char *key, struct json_object *v)
{
	struct json_object *top = depth ? stack[depth - 1] : NULL;

	if (!top) {
		fprintf(fp(), "%s\n", json_object_to_json_string_ext(v,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(v);
	} else if (json_object_is_type(top, json_type_array)) {
		json_object_array_add(top, v);
	} else {
		json_object_object_add(top, key ? key : "", v);
	}
}

static void open_container(const char *key, struct json_object *o)
{
	if (depth == DEPTH)
		abort();	/* a printer bug, not input */
	stack_key[depth] = key;
	stack[depth++] = o;
}

static void close_container(void)
{
	struct json_object *o;

	if (!depth)
		abort();
	o = stack[--depth];
	add(stack_key[depth], o);
}

void open_json_object(const char *key)
{
	if (json)
		open_container(key, json_object_new_object());
}

void close_json_object(void)
{
	if (json)
		close_container();
}

void open_json_array(const char *key)
{
	if (json)
		open_container(key, json_object_new_array());
}

void close_json_array(void)
{
	if (json)
		close_container();
}

void print_string_or(enum output_type t, const char *key, const char *fmt,
		     const char *val, const char *null_text)
{
	if (json && (t & PRINT_JSON))
		add(key, val ? json_object_new_string(val) : NULL);
	else if (!json && (t & PRINT_FP) && fmt)
		fprintf(fp(), fmt, val ? val : null_text);
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val)
{
	print_string_or(t, key, fmt, val, "-");
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val)
{
	if (json && (t & PRINT_JSON))
		add(key, json_object_new_uint64(val));
	else if (!json && (t & PRINT_FP) && fmt)
		fprintf(fp(), fmt, val);
}

void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val)
{
	if (json && (t & PRINT_JSON))
		add(key, json_object_new_uint64(val));
	else if (!json && (t & PRINT_FP) && fmt)
		fprintf(fp(), fmt, (unsigned long long)val);
}

void print_bool(enum output_type t, const char *key, const char *fmt, bool val)
{
	if (json && (t & PRINT_JSON))
		add(key, json_object_new_boolean(val));
	else if (!json && (t & PRINT_FP) && fmt)
		fprintf(fp(), fmt, (int)val);
}

void print_flag(enum output_type t, const char *key, const char *word, bool val)
{
	if (json && (t & PRINT_JSON))
		add(key, json_object_new_boolean(val));
	else if (!json && (t & PRINT_FP) && word && val)
		fputs(word, fp());
}

void print_float(enum output_type t, const char *key, const char *fmt,
		 double val, bool valid, const char *null_text)
{
	const char *dot = fmt ? strchr(fmt, '.') : NULL;
	int prec = dot && dot[1] >= '0' && dot[1] <= '9' ? dot[1] - '0' : 1;
	char buf[64];

	if (json && (t & PRINT_JSON)) {
		if (!valid) {
			add(key, NULL);
			return;
		}
		/* The number as the text shows it, without the unit. */
		snprintf(buf, sizeof(buf), "%.*f", prec, val);
		add(key, json_object_new_double_s(val, buf));
	} else if (!json && (t & PRINT_FP) && fmt) {
		if (valid)
			fprintf(fp(), fmt, val);
		else if (null_text)
			fputs(null_text, fp());
	}
}

void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text)
{
	if (json && (t & PRINT_JSON))
		add(key, NULL);
	else if (!json && (t & PRINT_FP) && fmt)
		fprintf(fp(), fmt, text);
}

void print_fp(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vfprintf(fp(), fmt, ap);
	va_end(ap);
}

void print_nl(void)
{
	if (!json)
		fputc('\n', fp());
}
