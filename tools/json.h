/*
 * json.h - a small streaming JSON writer for dmarcctl's --json output
 *
 * Strings are escaped per RFC 8259 7 (control bytes as \u00XX); bytes
 * that are not valid UTF-8 are written as U+FFFD so the output always
 * parses.  Nesting is capped at JSON_DEPTH_MAX (our own documents only).
 */
#ifndef JSON_H
#define JSON_H

#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *fp;
	int depth;
	int first[JSON_DEPTH_MAX];
};

void json_init(struct json *j, FILE *fp);
void json_obj_begin(struct json *j, const char *key); /* key NULL in arrays */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_bool(struct json *j, const char *key, int val);
void json_uint(struct json *j, const char *key, unsigned long long val);

#endif
