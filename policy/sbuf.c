/*
 * sbuf.c - a capped string buffer over caller-owned storage
 *
 * Invariant while cap > 0: len < cap and buf[len] == '\0'.  All the index
 * arithmetic of policy/ string building lives here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/sbuf.h"

/* sbuf_init - point sb at storage and make it the empty string */
void
sbuf_init(struct sbuf *sb, char *storage, size_t cap)
{
	sb->buf = storage;
	sb->len = 0;
	sb->cap = cap;
	sb->overflow = 0;
	if (cap > 0)
		storage[0] = '\0';
}

/* sbuf_room - bytes that can still be appended (the NUL is reserved) */
static size_t
sbuf_room(const struct sbuf *sb)
{
	return sb->cap == 0 ? 0 : sb->cap - 1 - sb->len;
}

/* sbuf_add - append n bytes, keeping what fits */
void
sbuf_add(struct sbuf *sb, const char *p, size_t n)
{
	size_t room = sbuf_room(sb);

	if (n > room) {
		sb->overflow = 1;
		n = room;
	}
	if (n == 0)
		return;
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

/* sbuf_adds - append a NUL-terminated string */
void
sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}

/* sbuf_addc - append one byte */
void
sbuf_addc(struct sbuf *sb, int c)
{
	char ch = (char)c;

	sbuf_add(sb, &ch, 1);
}

/* sbuf_addf - append printf-style; vsnprintf never writes past room */
void
sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room = sbuf_room(sb);
	int n;

	if (sb->cap == 0) {
		sb->overflow = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0'; /* drop whatever was written */
		sb->overflow = 1;
	} else if ((size_t)n > room) {
		sb->len += room; /* vsnprintf wrote room bytes and a NUL */
		sb->overflow = 1;
	} else
		sb->len += (size_t)n;
}

/* sbuf_truncate - cut back to len bytes and forget an earlier overflow */
void
sbuf_truncate(struct sbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
	sb->overflow = 0;
}

/*
 * utf8_len - length of the well-formed UTF-8 sequence at p (RFC 3629 4),
 * n bytes available; 0 if ill-formed (overlong, surrogate, > U+10FFFF).
 */
size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t need, k;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}
