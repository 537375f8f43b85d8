/*
 * sbuf.h - a capped string buffer over caller-owned storage
 *
 * The rest of the code builds strings with these calls instead of pointer
 * arithmetic.  sbuf_init(sb, storage, cap) points sb at cap bytes of
 * storage and makes it the empty string.  Every sbuf_add*() appends what
 * fits, keeps buf NUL-terminated (buf[len] == '\0', len < cap), and sets
 * overflow = 1 when anything was cut: the flag stays set until the next
 * sbuf_init() or sbuf_truncate(), so callers may append a whole line and
 * check once.  A buffer whose cap is 0 holds nothing and overflows on the
 * first non-empty append (storage may then be NULL).
 *
 *   sbuf_add(sb, p, n)      n bytes of p (p need not be NUL-terminated)
 *   sbuf_adds(sb, s)        the string s
 *   sbuf_addc(sb, c)        one byte
 *   sbuf_addf(sb, fmt, ...) printf-style; an encoding error sets overflow
 *   sbuf_truncate(sb, len)  cut back to len bytes (len <= sb->len) and
 *                           clear overflow: used to undo a partial append
 * Bytes are copied as given: callers must not add NUL bytes, or the
 * string ends early.  Never allocates; thread-safe on distinct buffers.
 */
#ifndef SBUF_H
#define SBUF_H

#include <stddef.h>

struct sbuf {
	char *buf;    /* caller's storage, always NUL-terminated if cap > 0 */
	size_t len;   /* bytes in buf, not counting the NUL */
	size_t cap;   /* size of the storage, NUL included */
	int overflow; /* 1 once something did not fit */
};

void sbuf_init(struct sbuf *sb, char *storage, size_t cap);
void sbuf_add(struct sbuf *sb, const char *p, size_t n);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, int c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sbuf_truncate(struct sbuf *sb, size_t len);

/*
 * utf8_len(p, n) - length of the well-formed UTF-8 sequence at p (RFC 3629
 * 4), n >= 1 bytes available; 0 if ill-formed (overlong, surrogate,
 * beyond U+10FFFF, truncated).  For the writers and parsers that must
 * tell UTF-8 text from junk.
 */
size_t utf8_len(const unsigned char *p, size_t n);

#endif
