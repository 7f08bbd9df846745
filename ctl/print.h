/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printer for text and JSON, after iproute2's json_print.h: each field
 * is printed once, print_T(PRINT_ANY, "key", "text format", value). In
 * JSON mode the value goes into a json-c object under "key" (json-c does
 * the escaping); in text mode it is printed with the format. PRINT_FP is
 * text only, PRINT_JSON JSON only. The outermost object or array is
 * written, one line, when it is closed.
 */
#ifndef OMRCTL_PRINT_H
#define OMRCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = 3,
};

void print_set_json(bool on);
bool is_json(void);
/* Text and JSON go to @f (stdout by default); for tests. */
void print_set_file(FILE *f);

/* @key is NULL inside an array or at the outermost level. */
void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

/* NULL @val: JSON null, and the text format gets @null_text. */
void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val);
void print_string_or(enum output_type t, const char *key, const char *fmt,
		     const char *val, const char *null_text);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val);
void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val);
/* JSON: true/false; text: @fmt with "1"/"0"-like @val as an int. */
void print_bool(enum output_type t, const char *key, const char *fmt, bool val);
/* Text: @fmt only when @val (a flag word: " backup"). JSON: the bool. */
void print_flag(enum output_type t, const char *key, const char *word, bool val);
/* JSON: a number written as @fmt writes it ("%.1f"), or null if !@valid. */
void print_float(enum output_type t, const char *key, const char *fmt,
		 double val, bool valid, const char *null_text);
void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text);
/* Text only. */
void print_fp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_nl(void);

#endif /* OMRCTL_PRINT_H */
