/*
 * domain.h - DNS domain names as DMARC compares them (RFC 1035, RFC 4343)
 *
 * domain_normalize(in, len, out, outlen, errstr_r): in is hostile, len
 * bytes, not NUL-terminated.  Writes a lower-case copy without one
 * trailing dot and returns 0, or returns -1 with *errstr_r set to a
 * static string.  Accepted: labels of [A-Za-z0-9_-], 1..DOMAIN_LABEL_MAX
 * octets each, at most DOMAIN_MAX octets in all.  Rejected: an empty
 * name, an empty label (".."), a NUL, any 8-bit byte ("not an A-label":
 * callers convert U-labels to A-labels with libidn2 first), spaces and
 * every other character ('(' ',' '@' ...).
 *
 * The other functions take NUL-terminated names that may end in one dot
 * and never allocate:
 *   domain_labels(d)        number of labels ("" -> 0)
 *   domain_equal(a, b)      1 if equal ignoring ASCII case and one
 *                           trailing dot on either side; an empty name
 *                           equals nothing
 *   domain_is_sub(d, p)     1 if d equals p or ends in "." + p
 *   domain_parent(d)        the name after the first dot, or NULL for a
 *                           single label
 *   domain_rightmost(d, n)  the rightmost n labels of d (a pointer into d;
 *                           d itself if it has n labels or fewer)
 * Thread-safe; no locale: case folding is ASCII only.
 */
#ifndef DOMAIN_H
#define DOMAIN_H

#include <stddef.h>

#define DOMAIN_MAX	 253 /* RFC 1035 2.3.4, presentation form, no dot */
#define DOMAIN_LABEL_MAX 63  /* RFC 1035 2.3.4 */

int domain_normalize(const char *in, size_t len, char *out, size_t outlen,
    const char **errstr_r);
size_t domain_labels(const char *d);
int domain_equal(const char *a, const char *b);
int domain_is_sub(const char *d, const char *parent);
const char *domain_parent(const char *d);
const char *domain_rightmost(const char *d, size_t n);

/*
 * envelope_address(in, out, outlen): the RFC 5321 4.1.2 reverse-path as
 * libmilter or a command line gives it ("<user@example.com>", or bare):
 * outer white space and the outer angle brackets removed, a '>' inside a
 * quoted local part kept.  "" is the null sender.  0, or -1 when it does
 * not fit (out is then "").
 * envelope_domain(addr): the domain of such an address, after the last
 * '@' that is not inside a quoted local part; "" when there is none.
 */
int envelope_address(const char *in, char *out, size_t outlen);
const char *envelope_domain(const char *addr);

#endif
