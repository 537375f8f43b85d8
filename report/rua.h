/*
 * rua.h - aggregate report destinations: parse, check, verify (RFC 9989
 * 4.7 "rua", RFC 9990 2.5 and 3, RFC 6068 mailto:)
 *
 * rua_parse(list, len, l): list is the rua value as published (or as the
 * store keeps it): hostile, len bytes, not NUL-terminated.  Each
 * comma-separated URI gets one entry in l->d[] (past RUA_DEST_MAX they
 * are counted in l->ndropped), with status:
 *   RUA_OK           a mailto: URI with one plain address (not yet
 *                    verified: see rua_verify())
 *   RUA_UNSUPPORTED  another scheme: ignored (RFC 9989 4.7 "rua": URIs of
 *                    schemes the receiver does not support MUST be ignored)
 *   RUA_INVALID      a bad URI, "!size" or address; why says which
 *   RUA_DUPLICATE    an address given earlier in the list
 * The legacy RFC 7489 "!size" suffix (digits and k, m, g or t, powers of
 * two) is kept in max_size (0: no limit).
 *
 * Addresses (rua_addr_check): the mailto: "to" part is percent-decoded
 * (RFC 3986 2.1) and must be one addr-spec local@domain with
 *   local   1..RUA_LOCAL_MAX of [A-Za-z0-9.+_=-], a dot-atom that does
 *           not begin with '-': no quotes, blanks, control characters,
 *           shell metacharacters or 8-bit bytes, so that an address can
 *           never be read as an option or as more than one word, even
 *           though mail goes out through execv() and never a shell;
 *   domain  a host name as domain_normalize() accepts it, with at least
 *           two labels (no address literals), stored lower-case.
 * Several addresses in one URI (an encoded ',') and header fields after
 * '?' are refused.
 *
 * rua_verify(l, policy_domain, res, psl): RFC 9990 3 "Verifying External
 * Destinations".  For each RUA_OK entry whose domain's Organizational
 * Domain differs from the policy domain's (found with the RFC 9989 DNS
 * Tree Walk through res, or from the Public Suffix List when psl is not
 * NULL), it asks TXT <policy-domain>._report._dmarc.<uri-domain>: a
 * record starting with v=DMARC1 authorizes (external = 1); none, or a name
 * over DNS limits, gives RUA_UNVERIFIED; a DNS temporary failure
 * RUA_TEMPFAIL (try again on a later run).  A rua= in the authorizing
 * record replaces the address when its host is the same (RFC 9990 3 step
 * 9); one with another host refuses the destination.  Returns the number
 * of RUA_OK entries left.
 *
 * rua_fits(d, size): 0 if a message of size bytes exceeds d->max_size
 * (RFC 9990 2.5: such a URI MUST NOT be used), else 1.
 *
 * uri[] keeps a printable copy of the URI for messages: bytes outside
 * 0x21-0x7e become '?', cut to RUA_URI_SHOW bytes.  Thread-safe; never
 * allocates except inside the resolver and the tree walk (heap, 45 KB).
 */
#ifndef RUA_H
#define RUA_H

#include <stddef.h>

#include "policy/domain.h"

struct resolver;
struct orgdomain_psl;

#define RUA_DEST_MAX  16  /* a record keeps 8 URIs; overrides may add */
#define RUA_LOCAL_MAX 64  /* RFC 5321 4.5.3.1.1 */
#define RUA_ADDR_MAX  254 /* RFC 5321 4.5.3.1.3: a path is 256 with <> */
#define RUA_URI_SHOW  128 /* of a URI in messages */

enum rua_status {
	RUA_OK,
	RUA_UNSUPPORTED,
	RUA_INVALID,
	RUA_DUPLICATE,
	RUA_UNVERIFIED,
	RUA_TEMPFAIL
};

struct rua_dest {
	char uri[RUA_URI_SHOW + 1];  /* printable copy, for messages */
	char addr[RUA_ADDR_MAX + 1]; /* local@domain, decoded */
	char domain[DOMAIN_MAX + 1]; /* lower-case */
	unsigned long long max_size; /* bytes; 0 = no limit */
	enum rua_status status;
	const char *why; /* static; NULL when RUA_OK */
	int external;	 /* authorized by _report._dmarc */
};

struct rua_list {
	size_t n;
	struct rua_dest d[RUA_DEST_MAX];
	size_t ndropped; /* URIs past RUA_DEST_MAX */
};

void rua_parse(const char *list, size_t len, struct rua_list *l);
int rua_addr_check(const char *addr, size_t len, char *out, size_t outlen,
    const char **errstr_r);
size_t rua_verify(struct rua_list *l, const char *policy_domain,
    struct resolver *res, const struct orgdomain_psl *psl);
int rua_fits(const struct rua_dest *d, size_t size);
const char *rua_status_str(enum rua_status st);

#endif
