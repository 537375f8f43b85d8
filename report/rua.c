/*
 * rua.c - aggregate report destinations: parse, check, verify
 *
 * Everything here is about not mailing a report where it must not go:
 * to a scheme we do not speak, to an address a program could mistake for
 * an option, to a host that never asked for other domains' reports
 * (RFC 9990 3), or past a size the destination refuses.
 *
 * UNSAFE: rua_parse() and parse_one() walk the list with pointers, each
 * bounded by the end of the list or of the URI.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "policy/dmarc_record.h"
#include "policy/dmarc_walk.h"
#include "policy/domain.h"
#include "report/rua.h"

#define EXT_PREFIX "._report._dmarc." /* RFC 9990 3 step 2 */

struct span {
	const char *p;
	size_t n;
};

/* trim - drop RFC 5234 WSP on both sides */
static struct span
trim(const char *p, size_t n)
{
	struct span s = {p, n};

	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* show - a printable copy of hostile text for messages */
static void
show(char *dst, size_t dstlen, const char *p, size_t n)
{
	size_t i;

	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		dst[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = '\0';
}

/* parse_size - RFC 7489 6.2 size = 1*DIGIT [ "k" / "m" / "g" / "t" ] */
static int
parse_size(struct span s, unsigned long long *size_r)
{
	unsigned long long v = 0;
	unsigned shift = 0;
	size_t i;

	if (s.n > 1) {
		switch (tolower((unsigned char)s.p[s.n - 1])) {
		case 'k':
			shift = 10;
			break;
		case 'm':
			shift = 20;
			break;
		case 'g':
			shift = 30;
			break;
		case 't':
			shift = 40;
			break;
		}
		if (shift != 0)
			s.n--;
	}
	if (s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		d = (unsigned)(s.p[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > (ULLONG_MAX >> shift))
		return -1;
	*size_r = v << shift;
	return 0;
}

/* local_char - the characters allowed in a local part (see rua.h) */
static int
local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '_' ||
	    c == '=' || c == '-';
}

/*
 * rua_addr_check - one plain addr-spec (RFC 5322 3.4.1, dot-atom local
 * part, narrowed as rua.h says); writes local@domain with the domain
 * lower-cased into out
 */
int
rua_addr_check(const char *addr, size_t len, char *out, size_t outlen,
    const char **errstr_r)
{
	const char *at, *e;
	char dom[DOMAIN_MAX + 1];
	size_t nlocal, i;

	if (len == 0) {
		*errstr_r = "empty address";
		return -1;
	}
	if (memchr(addr, '\0', len) != NULL) {
		*errstr_r = "NUL byte in address";
		return -1;
	}
	if (addr[0] == '-') {
		*errstr_r = "address begins with '-'";
		return -1;
	}
	if (len > RUA_ADDR_MAX) {
		*errstr_r = "address too long";
		return -1;
	}
	if ((at = memchr(addr, '@', len)) == NULL) {
		*errstr_r = "no '@' in address";
		return -1;
	}
	nlocal = (size_t)(at - addr);
	if (nlocal == 0 || nlocal > RUA_LOCAL_MAX) {
		*errstr_r = "bad local part length";
		return -1;
	}
	/* at is inside addr (memchr), so addr[i] is set: the analyzer does
	 * not bound memchr()'s result.  NOLINTBEGIN(clang-analyzer-core.*) */
	for (i = 0; i < nlocal; i++) {
		if (!local_char((unsigned char)addr[i])) {
			*errstr_r = "character not allowed in local part";
			return -1;
		}
		/* RFC 5322 3.2.3 dot-atom: no leading, trailing or double dot */
		if (addr[i] == '.' &&
		    (i == 0 || i + 1 == nlocal || addr[i + 1] == '.')) {
			*errstr_r = "misplaced dot in local part";
			return -1;
		}
	}
	/* NOLINTEND(clang-analyzer-core.*) */
	if (domain_normalize(at + 1, len - nlocal - 1, dom, sizeof(dom), &e) ==
	    -1) {
		*errstr_r = "address domain is not a host name";
		return -1;
	}
	if (domain_labels(dom) < 2 || dom[0] == '-') {
		*errstr_r = "address domain is not a host name";
		return -1;
	}
	if (nlocal + 1 + strlen(dom) >= outlen) {
		*errstr_r = "address too long";
		return -1;
	}
	memcpy(out, addr, nlocal);
	out[nlocal] = '@';
	memcpy(out + nlocal + 1, dom, strlen(dom) + 1);
	return 0;
}

/* parse_one - one URI of the list (RFC 9989 4.8 dmarc-uri) */
static void
parse_one(struct span el, struct rua_dest *d)
{
	struct span u = el, sz, to;
	const char *bang, *q, *at;
	char dec[RUA_ADDR_MAX + 1];
	size_t i, n = 0;

	memset(d, 0, sizeof(*d));
	show(d->uri, sizeof(d->uri), el.p, el.n);
	d->status = RUA_INVALID;
	if (memchr(el.p, '\0', el.n) != NULL) {
		d->why = "NUL byte in URI";
		return;
	}
	/* RFC 9989 4.8: a '!' in a URI is encoded, so one here is a size */
	if ((bang = memchr(el.p, '!', el.n)) != NULL) {
		u = trim(el.p, (size_t)(bang - el.p));
		sz = trim(bang + 1, (size_t)(el.p + el.n - bang - 1));
		if (parse_size(sz, &d->max_size) == -1) {
			d->why = "bad size limit";
			return;
		}
	}
	if (u.n < 7 || strncasecmp(u.p, "mailto:", 7) != 0) {
		for (i = 0; i < u.n && u.p[i] != ':'; i++)
			if (!isalnum((unsigned char)u.p[i]) && u.p[i] != '+' &&
			    u.p[i] != '-' && u.p[i] != '.')
				break;
		if (i == 0 || i == u.n || u.p[i] != ':') {
			d->why = "not a URI";
			return;
		}
		d->status = RUA_UNSUPPORTED;
		d->why = "not a mailto: URI";
		return;
	}
	to.p = u.p + 7;
	to.n = u.n - 7;
	/* RFC 6068 2: hfields after '?' are the sender's business, not ours:
	 * the report message has its own header */
	if ((q = memchr(to.p, '?', to.n)) != NULL)
		to.n = (size_t)(q - to.p);
	/* RFC 3986 2.1 percent-decoding */
	for (i = 0; i < to.n; i++) {
		unsigned char c = (unsigned char)to.p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= to.n) {
				d->why = "bad percent-encoding";
				return;
			}
			hi = hexval((unsigned char)to.p[i + 1]);
			lo = hexval((unsigned char)to.p[i + 2]);
			if (hi < 0 || lo < 0) {
				d->why = "bad percent-encoding";
				return;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (n + 1 >= sizeof(dec)) {
			d->why = "address too long";
			return;
		}
		dec[n++] = (char)c;
	}
	if (memchr(dec, ',', n) != NULL) {
		d->why = "several addresses in one URI";
		return;
	}
	if (rua_addr_check(dec, n, d->addr, sizeof(d->addr), &d->why) == -1)
		return;
	at = strchr(d->addr, '@');
	strlcpy(d->domain, at + 1, sizeof(d->domain));
	d->status = RUA_OK;
	d->why = NULL;
}

/* rua_parse - every URI of a rua list */
void
rua_parse(const char *list, size_t len, struct rua_list *l)
{
	const char *p = list, *end = list + len, *c;
	struct span el;
	size_t i;

	memset(l, 0, sizeof(*l));
	if (len == 0)
		return;
	for (; p != NULL; p = c != NULL ? c + 1 : NULL) {
		c = memchr(p, ',', (size_t)(end - p));
		el = trim(p, (size_t)((c != NULL ? c : end) - p));
		if (el.n == 0)
			continue;
		if (l->n == RUA_DEST_MAX) {
			l->ndropped++;
			continue;
		}
		parse_one(el, &l->d[l->n]);
		if (l->d[l->n].status == RUA_OK) {
			for (i = 0; i < l->n; i++) {
				if (l->d[i].status == RUA_OK &&
				    strcmp(l->d[i].addr, l->d[l->n].addr) ==
					0) {
					l->d[l->n].status = RUA_DUPLICATE;
					l->d[l->n].why = "address given twice";
					break;
				}
			}
		}
		l->n++;
	}
}

/* dns_status - resolver answers as the tree walk takes them */
static enum dmarc_dns
dns_status(enum resolver_status st)
{
	switch (st) {
	case RESOLVER_OK:
		return DMARC_DNS_OK;
	case RESOLVER_NXDOMAIN:
		return DMARC_DNS_NXDOMAIN;
	case RESOLVER_NODATA:
		return DMARC_DNS_NODATA;
	case RESOLVER_TEMPFAIL:
		return DMARC_DNS_TEMPFAIL;
	case RESOLVER_INVALID:
		break;
	}
	return DMARC_DNS_INVALID;
}

/*
 * org_domain - RFC 9989 4.10.2 Organizational Domain (or the PSL's
 * registrable domain); 0, 1 on a DNS temporary failure, -1 otherwise
 */
static int
org_domain(struct resolver *res, const struct orgdomain_psl *psl,
    const char *domain, char *out, size_t outlen)
{
	const char *txt[RESOLVER_RR_MAX];
	size_t len[RESOLVER_RR_MAX], n, i;
	char qname[DMARC_WALK_QNAME_MAX];
	struct dmarc_walk *w;
	int rc;

	if (psl != NULL)
		return orgdomain_psl_org(psl, domain, out, outlen) == 0 ? 0
									: -1;
	if ((w = malloc(sizeof(*w))) == NULL)
		return -1;
	dmarc_walk_init(w, domain);
	while (dmarc_walk_next(w, qname, sizeof(qname)) == 1) {
		struct resolver_answer *a = NULL;
		enum resolver_status st;

		st = resolver_query(res, qname, RESOLVER_T_TXT, &a);
		n = 0;
		for (i = 0; st == RESOLVER_OK && a != NULL && i < a->nrr &&
		     n < RESOLVER_RR_MAX;
		     i++) {
			if (a->rr[i].type != RESOLVER_T_TXT)
				continue;
			txt[n] = (const char *)a->rr[i].data;
			len[n++] = a->rr[i].len;
		}
		dmarc_walk_feed(w, dns_status(st), txt, len, n);
		resolver_answer_free(&a);
	}
	if (w->tempfail)
		rc = 1;
	else
		rc = dmarc_walk_orgdomain(w, out, outlen) == 0 ? 0 : -1;
	free(w);
	return rc;
}

/* override_addr - an override URI (RFC 9990 3 step 9) as a destination;
 * 0 if it is a mailto: address at the same host, else -1 */
static int
override_addr(const struct dmarc_uri *u, const char *host, struct rua_dest *out)
{
	parse_one((struct span){u->uri, strlen(u->uri)}, out);
	out->max_size = u->max_size;
	if (out->status != RUA_OK)
		return -1;
	return strcmp(out->domain, host) == 0 ? 0 : -1;
}

/*
 * verify_one - RFC 9990 3 steps 1-9 for one destination whose
 * Organizational Domain differs from the policy domain's
 */
static void
verify_one(struct rua_list *l, size_t k, const char *policy_domain,
    struct resolver *res)
{
	struct rua_dest *d = &l->d[k], ov[DMARC_URIS_MAX];
	struct resolver_answer *a = NULL;
	struct dmarc_record *rec = NULL;
	char qname[2 * (DOMAIN_MAX + 1) + sizeof(EXT_PREFIX)];
	enum resolver_status st;
	const char *e;
	size_t i, nov = 0;
	int found = 0;

	/* steps 1-4: <policy-domain>._report._dmarc.<destination host> */
	if (strlen(policy_domain) + strlen(EXT_PREFIX) + strlen(d->domain) >
	    DOMAIN_MAX) {
		d->status = RUA_UNVERIFIED;
		d->why = "verification name exceeds DNS limits";
		return;
	}
	strlcpy(qname, policy_domain, sizeof(qname));
	strlcat(qname, EXT_PREFIX, sizeof(qname));
	strlcat(qname, d->domain, sizeof(qname));
	/* step 5 */
	st = resolver_query(res, qname, RESOLVER_T_TXT, &a);
	if (st == RESOLVER_TEMPFAIL) {
		d->status = RUA_TEMPFAIL;
		d->why = "DNS temporary failure verifying external destination";
		goto out;
	}
	/* steps 6-8: any record starting with v=DMARC1 authorizes */
	for (i = 0; st == RESOLVER_OK && i < a->nrr; i++) {
		const char *txt = (const char *)a->rr[i].data;

		if (a->rr[i].type != RESOLVER_T_TXT ||
		    !dmarc_record_is_dmarc(txt, a->rr[i].len))
			continue;
		found = 1;
		/* step 9: its rua= may replace ours, on the same host only */
		if (rec == NULL && (rec = malloc(sizeof(*rec))) == NULL) {
			d->status = RUA_TEMPFAIL;
			d->why = "out of memory";
			goto out;
		}
		if (dmarc_record_parse(txt, a->rr[i].len, rec, &e) !=
		    DMARC_RECORD_OK)
			continue;
		for (nov = 0; nov < rec->nrua; nov++) {
			if (override_addr(&rec->rua[nov], d->domain,
				&ov[nov]) == -1) {
				d->status = RUA_UNVERIFIED;
				d->why = "external destination redirects to "
					 "another host";
				goto out;
			}
		}
		break;
	}
	if (!found) {
		d->status = RUA_UNVERIFIED;
		d->why = "external destination not authorized "
			 "(no _report._dmarc record)";
		goto out;
	}
	d->external = 1;
	if (nov > 0) {
		char uri[RUA_URI_SHOW + 1];

		strlcpy(uri, d->uri, sizeof(uri));
		strlcpy(d->addr, ov[0].addr, sizeof(d->addr));
		d->max_size = ov[0].max_size;
		for (i = 1; i < nov && l->n < RUA_DEST_MAX; i++) {
			l->d[l->n] = ov[i];
			strlcpy(l->d[l->n].uri, uri, sizeof(l->d[l->n].uri));
			l->d[l->n].external = 1;
			l->n++;
		}
	}
out:
	free(rec);
	resolver_answer_free(&a);
}

/* rua_verify - RFC 9990 3 for every destination still RUA_OK */
size_t
rua_verify(struct rua_list *l, const char *policy_domain, struct resolver *res,
    const struct orgdomain_psl *psl)
{
	char porg[DOMAIN_MAX + 1], dorg[DOMAIN_MAX + 1];
	size_t i, j, n = l->n, nok = 0;
	int prc = -2, rc;

	for (i = 0; i < n; i++) {
		struct rua_dest *d = &l->d[i];

		if (d->status != RUA_OK ||
		    domain_equal(d->domain, policy_domain))
			continue;
		if (prc == -2)
			prc = org_domain(res, psl, policy_domain, porg,
			    sizeof(porg));
		rc = org_domain(res, psl, d->domain, dorg, sizeof(dorg));
		if (prc == 1 || rc == 1) {
			d->status = RUA_TEMPFAIL;
			d->why = "DNS temporary failure finding organizational "
				 "domains";
			continue;
		}
		if (prc == 0 && rc == 0 && domain_equal(porg, dorg))
			continue; /* the same organization: no check */
		verify_one(l, i, policy_domain, res);
	}
	/* overrides may repeat an address */
	for (i = 0; i < l->n; i++) {
		if (l->d[i].status != RUA_OK)
			continue;
		for (j = 0; j < i; j++) {
			if (l->d[j].status == RUA_OK &&
			    strcmp(l->d[j].addr, l->d[i].addr) == 0) {
				l->d[i].status = RUA_DUPLICATE;
				l->d[i].why = "address given twice";
				break;
			}
		}
		if (l->d[i].status == RUA_OK)
			nok++;
	}
	return nok;
}

/* rua_fits - RFC 9990 2.5: a URI whose size limit is exceeded is unused */
int
rua_fits(const struct rua_dest *d, size_t size)
{
	return d->max_size == 0 || (unsigned long long)size <= d->max_size;
}

const char *
rua_status_str(enum rua_status st)
{
	switch (st) {
	case RUA_OK:
		return "ok";
	case RUA_UNSUPPORTED:
		return "unsupported";
	case RUA_INVALID:
		return "invalid";
	case RUA_DUPLICATE:
		return "duplicate";
	case RUA_UNVERIFIED:
		return "unverified";
	case RUA_TEMPFAIL:
		return "tempfail";
	}
	return "invalid";
}
