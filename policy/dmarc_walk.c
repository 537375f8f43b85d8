/*
 * dmarc_walk.c - DNS Tree Walk, policy discovery and Organizational Domain
 * (RFC 9989 4.10)
 */
#include <stdio.h>
#include <string.h>

#include "policy/dmarc_walk.h"

/* dmarc_walk_init - start a walk at a normalized domain */
void
dmarc_walk_init(struct dmarc_walk *w, const char *domain)
{
	/* each step is cleared as next() starts it (all of them: 46 KB) */
	w->nstep = 0;
	w->done = w->tempfail = w->pending = 0;
	if (strlcpy(w->start, domain, sizeof(w->start)) >= sizeof(w->start) ||
	    domain_labels(w->start) == 0) {
		w->start[0] = '\0'; /* nothing to walk: no record, no org */
		w->done = 1;
	}
}

/* dmarc_walk_next - the next name to query, if any */
int
dmarc_walk_next(struct dmarc_walk *w, char *qname, size_t qnamelen)
{
	struct dmarc_walk_step *s;
	const char *target, *prev;
	size_t x;
	int n;

	if (w->done)
		return 0;
	s = &w->step[w->nstep];
	if (!w->pending) {
		if (w->nstep == 0)
			target = w->start; /* RFC 9989 4.10 step 1 */
		else {
			prev = w->step[w->nstep - 1].domain;
			if ((x = domain_labels(prev)) <= 1) {
				w->done = 1; /* step 7: no labels left */
				return 0;
			}
			/* step 4: at most 8 queries for any name */
			target = x >= 8 ? domain_rightmost(prev, 7)
					: domain_parent(prev);
		}
		memset(s, 0, sizeof(*s));
		/* a suffix of start, which fit: cannot be cut */
		(void)strlcpy(s->domain, target, sizeof(s->domain));
		w->pending = 1;
	}
	n = snprintf(qname, qnamelen, "_dmarc.%s", s->domain);
	if (n < 0 || (size_t)n >= qnamelen) {
		w->pending = 0;
		w->done = 1;
		w->tempfail = 1; /* never "no policy" by mistake */
		return 0;
	}
	return 1;
}

/* dmarc_walk_feed - the TXT answer for the name next() gave */
void
dmarc_walk_feed(struct dmarc_walk *w, enum dmarc_dns dns,
    const char *const *txt, const size_t *txtlen, size_t ntxt)
{
	struct dmarc_walk_step *s;
	size_t i, ndmarc = 0, first = 0;

	if (w->done || !w->pending)
		return; /* no question asked */
	s = &w->step[w->nstep++];
	w->pending = 0;
	s->dns = dns;
	switch (dns) {
	case DMARC_DNS_TEMPFAIL:
		w->tempfail = 1; /* RFC 9989 4.10.1: left to the receiver */
		w->done = 1;
		return;
	case DMARC_DNS_OK:
		/* RFC 9989 4.10 steps 2 and 6 */
		for (i = 0; i < ntxt; i++) {
			if (txt[i] == NULL ||
			    !dmarc_record_is_dmarc(txt[i], txtlen[i]))
				continue; /* not DMARC: discarded */
			if (ndmarc++ == 0)
				first = i;
		}
		if (ndmarc > 1)
			s->multiple = 1; /* all discarded, as if none */
		else if (ndmarc == 1) {
			s->found = 1;
			s->status = dmarc_record_parse(txt[first],
			    txtlen[first], &s->rec, &s->err);
			if (s->status == DMARC_RECORD_OK &&
			    s->rec.psd != DMARC_PSD_U)
				w->done = 1; /* psd=y or psd=n: stop */
		}
		break;
	case DMARC_DNS_NXDOMAIN:
	case DMARC_DNS_NODATA:
	case DMARC_DNS_INVALID:
		break; /* no record here */
	}
	if (domain_labels(s->domain) <= 1 || w->nstep == DMARC_WALK_MAX)
		w->done = 1;
}

/* org_of - RFC 9989 4.10.2 Organizational Domain of a finished walk */
static const char *
org_of(const struct dmarc_walk *w)
{
	const struct dmarc_walk_step *s;
	const char *last = NULL;
	size_t i;

	for (i = 0; i < w->nstep; i++) { /* longest name first */
		s = &w->step[i];
		if (!s->found)
			continue;
		if (s->status == DMARC_RECORD_OK && s->rec.psd == DMARC_PSD_N)
			return s->domain; /* rule 1 */
		if (s->status == DMARC_RECORD_OK && s->rec.psd == DMARC_PSD_Y &&
		    i > 0) /* rule 2 */
			return domain_rightmost(w->start,
			    domain_labels(s->domain) + 1);
		last = s->domain;
	}
	return last != NULL ? last : w->start; /* rule 3, or the start */
}

/* dmarc_walk_orgdomain - the Organizational Domain of the start */
int
dmarc_walk_orgdomain(const struct dmarc_walk *w, char *out, size_t outlen)
{
	if (!w->done || w->tempfail || w->start[0] == '\0')
		return -1;
	if (strlcpy(out, org_of(w), outlen) >= outlen)
		return -1;
	return 0;
}

/* dmarc_walk_discover - RFC 9989 4.10.1: which record applies */
void
dmarc_walk_discover(const struct dmarc_walk *w, struct dmarc_discovery *d)
{
	const struct dmarc_walk_step *s;
	const char *org;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->tempfail = w->tempfail;
	if (w->nstep > 0 && w->step[0].found) {
		d->source = DMARC_SRC_AUTHOR; /* the Author Domain's own */
		d->step = &w->step[0];
	}
	if (w->done && !w->tempfail && w->start[0] != '\0') {
		org = org_of(w);
		(void)strlcpy(d->org_domain, org, sizeof(d->org_domain));
		/* else the Organizational Domain's record */
		for (i = 1; d->step == NULL && i < w->nstep; i++) {
			s = &w->step[i];
			if (s->found && domain_equal(s->domain, org)) {
				d->source = DMARC_SRC_ORG;
				d->step = s;
			}
		}
		/* else the Public Suffix Domain's */
		for (i = 1; d->step == NULL && i < w->nstep; i++) {
			s = &w->step[i];
			if (s->found && s->status == DMARC_RECORD_OK &&
			    s->rec.psd == DMARC_PSD_Y) {
				d->source = DMARC_SRC_PSD;
				d->step = s;
			}
		}
	}
	if (d->step != NULL)
		(void)strlcpy(d->policy_domain, d->step->domain,
		    sizeof(d->policy_domain));
}
