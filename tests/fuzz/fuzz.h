/*
 * fuzz.h - what the fuzz targets share (header-only, include it once)
 *
 * Every tests/fuzz/fuzz-<parser>.c defines LLVMFuzzerTestOneInput(data,
 * size), the libFuzzer entry point.  The same file is linked either with
 * libFuzzer (clang -fsanitize=fuzzer, make fuzz-smoke) or with
 * tests/fuzz/standalone.c, whose main() replays files and directories of
 * inputs (make check replays the corpora and the crash reproducers).
 *
 * A target must hold for any bytes: no crash, no sanitizer report, no
 * leak, and FUZZ_ASSERT() on what the module's header promises.  A failed
 * invariant prints "file:line: invariant failed: EXPR" and aborts, which
 * libFuzzer reports as a crash with the input saved.
 *
 * Helpers:
 *   fuzz_str_ok(s, max, bad)  s is NUL-terminated within max bytes and
 *                             holds no byte of bad (a NUL-terminated set)
 *   fuzz_no_ctl(s)            no byte below 0x20 and no DEL
 *   fuzz_is_lower(s)          no ASCII upper-case letter
 *   fuzz_domain_ok(d)         a name as the parsers store one: 1..253
 *                             octets, labels of 1..63, no ASCII upper case,
 *                             no trailing dot, none of '(' ')' ',' '@' '<'
 *                             '>' ';' '"' '\' blank or control octets
 *   fuzz_memfd_path(text, len, path, pathsize)
 *                             a memory file holding text, named by a
 *                             /proc/self/fd path for the APIs that want a
 *                             file name (resolver_new's zone_file); the
 *                             descriptor is returned, -1 on failure
 *   fuzz_memfd_rewrite(fd, text, len)
 *                             replace its contents; 0 or -1
 *   struct fuzz_buf, fuzz_buf_add(b, p, n), fuzz_buf_adds(b, s),
 *   fuzz_buf_txt(b, p, n)     a growing text (abort on out of memory;
 *                             free b->p), used to write zone files;
 *                             fuzz_buf_txt() appends p as the quoted
 *                             character-strings of one TXT RR, 255 octets
 *                             each, every octet outside 0x21-0x7e (and
 *                             '"', '\', ';') as \DDD (zone.h)
 *   fuzz_uri_ok(u)            (with policy/dmarc_record.h included first)
 *                             a rua/ruf URI as dmarc_record_parse() keeps
 *                             one: scheme ":" then RFC 3986 characters or
 *                             %HH, without ',' '!' ';' or blanks
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                         \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
			    __FILE__, __LINE__, #c);                           \
			abort();                                               \
		}                                                              \
	} while (0)

/* FUZZ_NELEM - entries of an array */
#define FUZZ_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline int
fuzz_str_ok(const char *s, size_t max, const char *bad)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return 0;
	return strcspn(s, bad) == n;
}

static inline int
fuzz_no_ctl(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static inline int
fuzz_is_lower(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 0;
	return 1;
}

static inline int
fuzz_domain_ok(const char *d)
{
	size_t n, lab = 0, i;

	n = strnlen(d, 254);
	if (n == 0 || n > 253 || d[n - 1] == '.' || d[0] == '.')
		return 0;
	if (!fuzz_no_ctl(d) || !fuzz_is_lower(d) ||
	    strpbrk(d, "()<>,@;\"\\ ") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (++lab > 63)
			return 0;
	}
	return 1;
}

static inline int
fuzz_memfd_rewrite(int fd, const char *text, size_t len)
{
	size_t off = 0;
	ssize_t n;

	if (ftruncate(fd, 0) == -1)
		return -1;
	while (off < len) {
		n = pwrite(fd, text + off, len - off, (off_t)off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static inline int
fuzz_memfd_path(const char *text, size_t len, char *path, size_t pathsize)
{
	int fd, n;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		return -1;
	n = snprintf(path, pathsize, "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= pathsize ||
	    fuzz_memfd_rewrite(fd, text, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

struct fuzz_buf {
	char *p;
	size_t len, cap;
};

static inline void
fuzz_buf_add(struct fuzz_buf *b, const void *p, size_t n)
{
	char *np;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		if ((np = realloc(b->p, cap)) == NULL)
			abort();
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void
fuzz_buf_adds(struct fuzz_buf *b, const char *s)
{
	fuzz_buf_add(b, s, strlen(s));
}

static inline void
fuzz_buf_txt(struct fuzz_buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	char esc[8];
	size_t i;

	if (len == 0)
		fuzz_buf_adds(b, " \"\"");
	for (i = 0; i < len; i++) {
		if (i % 255 == 0)
			fuzz_buf_adds(b, i == 0 ? " \"" : "\" \"");
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' &&
		    p[i] != ';')
			fuzz_buf_add(b, p + i, 1);
		else {
			snprintf(esc, sizeof(esc), "\\%03u", p[i]);
			fuzz_buf_adds(b, esc);
		}
	}
	if (len > 0)
		fuzz_buf_adds(b, "\"");
}

#ifdef DMARC_RECORD_H
static inline int
fuzz_hexdig(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* fuzz_uri_ok - what parse_uris() keeps (RFC 9989 4.8, RFC 3986 3.1) */
static inline int
fuzz_uri_ok(const struct dmarc_uri *u)
{
	const unsigned char *p = (const unsigned char *)u->uri;
	size_t n = strnlen(u->uri, sizeof(u->uri)), i;

	if (n == 0 || n >= sizeof(u->uri))
		return 0;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':' */
	for (i = 1; i < n && p[i] != ':'; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
			(p[i] >= 'A' && p[i] <= 'Z') ||
			(p[i] >= '0' && p[i] <= '9') || strchr("+-.", p[i])))
			return 0;
	if (i + 1 >= n)
		return 0; /* no ':' or nothing after it */
	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n || !fuzz_hexdig(p[i + 1]) ||
			    !fuzz_hexdig(p[i + 2]))
				return 0;
			i += 2;
			continue;
		}
		/* RFC 3986 2.2-2.3 less ',' and '!'; ';' ends the tag */
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
			(p[i] >= 'A' && p[i] <= 'Z') ||
			(p[i] >= '0' && p[i] <= '9') ||
			strchr("-._~:/?#[]@$&'()*+=", p[i])))
			return 0;
	}
	return 1;
}
#endif /* DMARC_RECORD_H */

#endif
