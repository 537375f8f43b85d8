/*
 * dmarc_walk.h - DNS Tree Walk, policy discovery and Organizational Domain
 * (RFC 9989 4.10, 4.10.1, 4.10.2)
 *
 * An iterator: the caller does the DNS, this module never touches a socket.
 *
 *	dmarc_walk_init(&w, domain);     normalized, see domain_normalize()
 *	while (dmarc_walk_next(&w, qname, sizeof(qname)) == 1) {
 *		query TXT at qname, concatenating the strings of each RR;
 *		dmarc_walk_feed(&w, status, txt, txtlen, ntxt);
 *	}
 *	dmarc_walk_discover(&w, &disc);  or dmarc_walk_orgdomain()
 *
 * dmarc_walk_next() returns 1 with qname = "_dmarc." + target (qnamelen
 * must be at least DMARC_WALK_QNAME_MAX), or 0 when the walk is over.
 * Called again before feed, it gives the same name.  Too small a qname
 * buffer ends the walk with tempfail set (a caller bug must not pass for
 * "no policy").
 *
 * Walk (RFC 9989 4.10): the start first; then, while the target has x
 * labels, x >= 8 cuts it to its rightmost 7 labels and x < 8 drops the
 * leftmost label, down to and including the one-label TLD: at most
 * DMARC_WALK_MAX queries.  At each name, TXT records that do not start
 * with v=DMARC1 are ignored; several DMARC records are all discarded
 * (step.multiple, as if none); a single one is "found", whether it parses
 * (DMARC_RECORD_OK) or not (DMARC_RECORD_INVALID, step.err says why).  A
 * found OK record with psd=y or psd=n ends the walk.  DMARC_DNS_TEMPFAIL
 * ends it with tempfail set; NXDOMAIN, NODATA and INVALID mean no record.
 *
 * dmarc_walk_orgdomain(): RFC 9989 4.10.2 over the found records, longest
 * name first: psd=n -> that name; psd=y at a name other than the start ->
 * the name one label below it on the way to the start; else the found
 * record with the fewest labels; no record -> the start itself.  Only OK
 * records are trusted for psd=; an INVALID one still counts as found.
 * Returns 0, or -1 while the walk is not over or after a tempfail.
 *
 * dmarc_walk_discover(): the record that applies (RFC 9989 4.10.1) is the
 * start's own (DMARC_SRC_AUTHOR), else the one at the Organizational
 * Domain (DMARC_SRC_ORG), else a psd=y record above the start
 * (DMARC_SRC_PSD), else none; never a record met half-way that is none
 * of these.  A found INVALID record still applies (dmarc_policy_eval()
 * makes it permerror).  policy_domain is the name of that record ("" if
 * none), org_domain as above ("" if unknown), tempfail is copied.
 *
 * Stopping early: a caller that needs only the start's own record (for
 * example under strict alignment, or to learn quickly that the author
 * has one) may stop calling next() once step[0] was fed.  discover() then
 * reports DMARC_SRC_AUTHOR if step[0].found, else DMARC_SRC_NONE, with
 * org_domain "" in both cases; relaxed alignment needs the whole walk.
 *
 * All state is in the caller's struct dmarc_walk (about 45 KB: keep it off
 * small stacks if need be).  Thread-safe; never allocates.
 */
#ifndef DMARC_WALK_H
#define DMARC_WALK_H

#include <stddef.h>

#include "policy/dmarc_record.h"
#include "policy/domain.h"

#define DMARC_WALK_MAX	     8 /* RFC 9989 4.10: at most eight queries */
#define DMARC_WALK_QNAME_MAX (sizeof("_dmarc.") - 1 + DOMAIN_MAX + 1)

enum dmarc_dns {
	DMARC_DNS_OK,
	DMARC_DNS_NXDOMAIN,
	DMARC_DNS_NODATA,
	DMARC_DNS_TEMPFAIL,
	DMARC_DNS_INVALID
};

struct dmarc_walk_step {
	char domain[DOMAIN_MAX + 1];
	enum dmarc_dns dns;
	int found;    /* exactly one TXT starting with v=DMARC1 */
	int multiple; /* more than one: all discarded, as if none */
	enum dmarc_record_status status;
	const char *err; /* static, for status DMARC_RECORD_INVALID */
	struct dmarc_record rec;
};

struct dmarc_walk {
	char start[DOMAIN_MAX + 1];
	size_t nstep;
	struct dmarc_walk_step step[DMARC_WALK_MAX];
	int done;
	int tempfail;
	int pending; /* next() gave step[nstep].domain, feed() not yet */
};

void dmarc_walk_init(struct dmarc_walk *w, const char *domain);
int dmarc_walk_next(struct dmarc_walk *w, char *qname, size_t qnamelen);
void dmarc_walk_feed(struct dmarc_walk *w, enum dmarc_dns dns,
    const char *const *txt, const size_t *txtlen, size_t ntxt);
int dmarc_walk_orgdomain(const struct dmarc_walk *w, char *out, size_t outlen);

enum dmarc_source {
	DMARC_SRC_NONE,
	DMARC_SRC_AUTHOR,
	DMARC_SRC_ORG,
	DMARC_SRC_PSD
};

struct dmarc_discovery {
	enum dmarc_source source;
	const struct dmarc_walk_step *step; /* record applied, or NULL */
	char policy_domain[DOMAIN_MAX + 1];
	char org_domain[DOMAIN_MAX + 1];
	int tempfail;
};

void dmarc_walk_discover(const struct dmarc_walk *w, struct dmarc_discovery *d);

#endif
