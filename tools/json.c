/*
 * json.c - streaming JSON writer
 */
#include "autoconf.h"

#include <string.h>

#include "tools/json.h"

void
json_init(struct json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
	j->first[0] = 1;
}

/* put_string - RFC 8259 7 string, invalid UTF-8 replaced by U+FFFD */
static void
put_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', fp);
	while (*p != '\0') {
		unsigned char c = *p;
		size_t n, k;

		if (c == '"' || c == '\\') {
			fputc('\\', fp);
			fputc(c, fp);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(fp, "\\u%04x", c);
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, fp);
			p++;
			continue;
		}
		/* a UTF-8 sequence: check its length and continuation bytes */
		n = c >= 0xf0 && c <= 0xf4 ? 4
		    : c >= 0xe0		   ? 3
		    : c >= 0xc2		   ? 2
					   : 0;
		for (k = 1; n != 0 && k < n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		}
		if (n == 0) {
			fputs("\xef\xbf\xbd", fp);
			p++;
			continue;
		}
		fwrite(p, 1, n, fp);
		p += n;
	}
	fputc('"', fp);
}

/* item - comma and key before a value */
static void
item(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->fp);
	j->first[j->depth] = 0;
	if (key != NULL) {
		put_string(j->fp, key);
		fputc(':', j->fp);
	}
}

static void
open_(struct json *j, const char *key, int c)
{
	item(j, key);
	fputc(c, j->fp);
	if (j->depth + 1 < JSON_DEPTH_MAX)
		j->depth++;
	j->first[j->depth] = 1;
}

static void
close_(struct json *j, int c)
{
	fputc(c, j->fp);
	if (j->depth > 0)
		j->depth--;
}

void
json_obj_begin(struct json *j, const char *key)
{
	open_(j, key, '{');
}

void
json_obj_end(struct json *j)
{
	close_(j, '}');
}

void
json_arr_begin(struct json *j, const char *key)
{
	open_(j, key, '[');
}

void
json_arr_end(struct json *j)
{
	close_(j, ']');
}

void
json_str(struct json *j, const char *key, const char *val)
{
	item(j, key);
	put_string(j->fp, val != NULL ? val : "");
}

void
json_bool(struct json *j, const char *key, int val)
{
	item(j, key);
	fputs(val ? "true" : "false", j->fp);
}

void
json_uint(struct json *j, const char *key, unsigned long long val)
{
	item(j, key);
	fprintf(j->fp, "%llu", val);
}
