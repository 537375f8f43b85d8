/*
 * zone.h - an offline DNS zone file: answers for resolver.h without network
 *
 * Format (RFC 1035 5.1 presentation format, one RR per line):
 *
 *	name [ttl] [IN] TYPE rdata		; comment
 *
 *   - names are absolute whether or not they end in a dot, and compare
 *     case-insensitively (ASCII); octets such as blanks are written \032
 *     or \X (an escaped dot is refused); "." alone is the root, allowed
 *     only as an MX target (RFC 7505 null MX, answered as an empty name);
 *     "@", $ORIGIN and relative names are not supported; a line starting
 *     with a blank reuses the previous owner;
 *   - ttl and class may come in either order (RFC 1035 5.1); class is IN;
 *   - $TTL N sets the TTL of the RRs that follow (default 3600);
 *   - ";" starts a comment, except inside a quoted string;
 *   - types: A, AAAA, MX (pref name), PTR, CNAME, NS (name),
 *     TXT and SPF (one or more character-strings, quoted or bare, each at
 *     most 255 octets, with the escapes \" \\ \X and \DDD; the strings of
 *     one RR are concatenated in the answer, RFC 7208 3.3);
 *   - no wildcards, no multi-line "( ... )" records.
 *
 * Fault directives, to test error paths:
 *
 *	$SERVFAIL name TYPE	queries for (name, TYPE) fail: RESOLVER_TEMPFAIL,
 *				why "SERVFAIL (zone)"
 *	$TIMEOUT name TYPE	the same with why "timeout (zone)"; the answer
 *				comes at once (tests stay fast), only the
 *				status tells it was a timeout
 *
 * TYPE may be ANY (every type).  A fault also applies when a CNAME chain
 * reaches that name.
 *
 * Answers: the RRs of that type (CNAMEs followed, at most ZONE_CNAME_MAX
 * links; a longer chain or a loop is RESOLVER_TEMPFAIL, as a recursive
 * server answers SERVFAIL); a name with RRs of other types, or with no RR
 * but names below it (an empty non-terminal, RFC 8020), answers NODATA;
 * any other name NXDOMAIN.  A query name is raw octets between dots (a
 * macro-expanded SPF name may hold blanks or "%"); one with an empty
 * label, a label over 63 octets, over 253 octets in all, or a control
 * octet answers RESOLVER_INVALID, and so does an answer over
 * RESOLVER_RR_MAX RRs or RESOLVER_ANSWER_MAX octets.
 *
 * zone_load(path, &z, err, errlen) and zone_load_mem(text, len, label, &z,
 * err, errlen) return 0, or -1 with err set to "FILE:LINE: message" (FILE
 * is the path or label).  text is hostile: it need not be NUL-terminated,
 * and a NUL byte is an error.  A loaded zone is immutable: zone_query() is
 * thread-safe and allocates *ans_r (free with resolver_answer_free()).
 *
 * zone_name_canon(name, buf, bufsize) checks a query name as above and
 * writes it lower-cased without a trailing dot; 0 or -1 (invalid).  The
 * resolver uses it for both backends.
 */
#ifndef ZONE_H
#define ZONE_H

#include <stddef.h>

#include "auth/resolver.h"

/* A 65535-octet TXT rdata written in \DDD escapes (4 chars an octet) with
 * quotes and blanks around its 257 strings still fits in one line. */
#define ZONE_LINE_MAX	 300000
#define ZONE_FILE_MAX	 (64 * 1024 * 1024) /* far above any test zone */
#define ZONE_CNAME_MAX	 8 /* links followed; longer chains are broken */
#define ZONE_TTL_DEFAULT 3600

struct zone;

int zone_load(const char *path, struct zone **z_r, char *err, size_t errlen);
int zone_load_mem(const char *text, size_t len, const char *label,
    struct zone **z_r, char *err, size_t errlen);
void zone_free(struct zone **z);

enum resolver_status zone_query(const struct zone *z, const char *name,
    int type, struct resolver_answer **ans_r);

int zone_name_canon(const char *name, char *buf, size_t bufsize);

#endif
