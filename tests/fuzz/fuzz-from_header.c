/*
 * fuzz-from_header.c - one From: field body (policy/from_header.h)
 *
 * Input: the raw field body as received, any bytes.
 *
 * Invariants: from_header_parse() returns 0 with 1 to FROM_DOMAINS_MAX
 * domains, or -1 with one of the refusals its header lists; every domain
 * stored (also after -1) is distinct, 1..253 octets, labels of 1..63,
 * only [a-z0-9_-] and well-formed UTF-8 between single dots, nothing a
 * DNS query, a log line or an A-R header could misread ('(' ',' '@'
 * blanks ...: CVE-2020-12272, CVE-2021-34555).  Parsing the same field
 * again into the same set adds nothing and gives the same answer.
 * from_header_scan() keeps the same character rules (8-bit bytes as they
 * came) and never more than FROM_DOMAINS_MAX domains.
 */
#include <stdint.h>
#include <string.h>

#include "policy/from_header.h"
#include "tests/fuzz/fuzz.h"

/* the refusals of from_header.h */
static const char *const errors[] = {"too long", "NUL byte", "no address",
    "address without a domain", "address without a local part", "empty address",
    "domain literal not allowed", "bad domain", "label too long",
    "domain too long", "domain not UTF-8", "unbalanced comment",
    "unterminated quoted string", "unterminated domain literal",
    "unterminated angle bracket", "unterminated group", "nested group",
    "group without a name", "bad route", "bad local part",
    "unquoted '@' in display name", "junk after address",
    "unexpected character", "unexpected '>'", "control character",
    "bad line break", "too many addresses", "more than 8 author domains"};

/* utf8_ok - RFC 3629 well-formed */
static int
utf8_ok(const unsigned char *p)
{
	size_t need, k;
	unsigned char lo, hi;

	while (*p != '\0') {
		lo = 0x80;
		hi = 0xbf;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			need = 1;
		else if (*p >= 0xe0 && *p <= 0xef) {
			need = 2;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			need = 3;
			if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		for (k = 1; k <= need; k++) {
			if (p[k] < lo || p[k] > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
		p += need + 1;
	}
	return 1;
}

static void
check_domains(const struct from_domains *fd, int utf8)
{
	const unsigned char *p;
	size_t i, j;

	FUZZ_ASSERT(fd->n <= FROM_DOMAINS_MAX);
	for (i = 0; i < fd->n; i++) {
		FUZZ_ASSERT(fuzz_domain_ok(fd->domain[i]));
		for (p = (const unsigned char *)fd->domain[i]; *p != '\0'; p++)
			FUZZ_ASSERT((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' ||
			    *p == '_' || *p == '.' || *p >= 0x80);
		if (utf8)
			FUZZ_ASSERT(
			    utf8_ok((const unsigned char *)fd->domain[i]));
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(fd->domain[i], fd->domain[j]) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct from_domains fd, fd2;
	const char *v = (const char *)data, *err = NULL, *err2 = NULL;
	size_t i, n;
	int rc;

	from_domains_init(&fd);
	rc = from_header_parse(v, size, &fd, &err);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	check_domains(&fd, 1);
	if (rc == 0)
		FUZZ_ASSERT(fd.n >= 1);
	else {
		FUZZ_ASSERT(err != NULL);
		for (i = 0; i < FUZZ_NELEM(errors); i++)
			if (strcmp(err, errors[i]) == 0)
				break;
		FUZZ_ASSERT(i < FUZZ_NELEM(errors));
	}

	/* the same field again: nothing new */
	n = fd.n;
	if (rc == 0) {
		FUZZ_ASSERT(from_header_parse(v, size, &fd, &err2) == 0);
		FUZZ_ASSERT(fd.n == n);
	}
	/* errstr_r may be NULL */
	from_domains_init(&fd2);
	FUZZ_ASSERT(from_header_parse(v, size, &fd2, NULL) == rc);
	FUZZ_ASSERT(fd2.n == n);

	from_domains_init(&fd2);
	n = from_header_scan(v, size, &fd2);
	FUZZ_ASSERT(n == fd2.n);
	check_domains(&fd2, 0);
	return 0;
}
