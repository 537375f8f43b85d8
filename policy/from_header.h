/*
 * from_header.h - RFC 5322 From: field body -> author domains
 *
 * RFC 9989 5.3.1 ("Extract Author Domain") on the RFC 5322 3.4 and 3.6.2
 * grammar, with the obsolete forms of RFC 5322 4 that still occur, groups
 * (RFC 6854) and UTF-8 (RFC 6532).
 *
 * from_domains_init(fd) empties fd.
 *
 * from_header_parse(value, len, fd, errstr_r): value is the raw field body
 * of one From: header as received, hostile, len bytes, not NUL-terminated,
 * possibly folded (CRLF or LF followed by a space or tab).  Appends every
 * author domain not yet in fd: lower case (ASCII only), one trailing dot
 * removed; 8-bit bytes (UTF-8 U-labels) are kept as they came, the caller
 * converts them to A-labels.  Call it once per From: header: several
 * headers accumulate in fd.  Returns 0, or -1 with *errstr_r set to a
 * static string; fd may then hold some domains, and the caller treats the
 * message as a DMARC permerror.  Never allocates; thread-safe; linear in
 * len.
 *
 * Accepted: display names (atoms, quoted strings, encoded words, which are
 * phrase text and never decoded), angle-addr, bare addr-spec, nested
 * comments anywhere CFWS may stand, quoted local parts, an obsolete route
 * ("<@a.example:u@b.example>": the route is skipped), groups, empty list
 * elements ("a@x.org,,b@y.org"), a space or comment around the dots of a
 * domain (RFC 5322 4.4 obs-domain).
 * Refused (errstr): "too long", "NUL byte", "no address" (nothing but
 * empty elements or empty groups), "address without a domain",
 * "address without a local part", "empty address" ("<>"),
 * "domain literal not allowed", "bad domain", "label too long",
 * "domain too long", "domain not UTF-8", "unbalanced comment",
 * "unterminated quoted string", "unterminated domain literal",
 * "unterminated angle bracket", "unterminated group", "nested group",
 * "group without a name", "bad route", "bad local part",
 * "unquoted '@' in display name" ("a@x.org <b@y.org>"),
 * "junk after address", "unexpected character", "unexpected '>'",
 * "control character", "bad line break", "too many addresses",
 * "more than 8 author domains".
 */
#ifndef FROM_HEADER_H
#define FROM_HEADER_H

#include <stddef.h>

#include "policy/domain.h"

/* distinct author domains evaluated per message (DESIGN.md 1) */
#define FROM_DOMAINS_MAX 8
/* longer From: values are refused, a sender gains nothing by it */
#define FROM_HEADER_MAX	 65536
/* mailboxes examined in one header: more is abuse, not correspondence */
#define FROM_ADDRS_MAX	 64

struct from_domains {
	size_t n;      /* domains used in domain[] */
	int truncated; /* more distinct domains than FROM_DOMAINS_MAX */
	char domain[FROM_DOMAINS_MAX][DOMAIN_MAX + 1];
};

void from_domains_init(struct from_domains *fd);
int from_header_parse(const char *value, size_t len, struct from_domains *fd,
    const char **errstr_r);

/*
 * from_header_scan(value, len, fd): for a field that from_header_parse()
 * refused, add every domain that follows an '@' (see from_header.c for
 * why); returns fd->n.
 */
size_t from_header_scan(const char *value, size_t len, struct from_domains *fd);

#endif
