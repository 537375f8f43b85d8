/*
 * summary.c - "dmarcctl summary": who sends as the domain, from the
 * aggregate reports "dmarcctl ingest" stored
 *
 * Per source (IP address and header_from domain): volume, SPF and DKIM
 * results, their alignment (policy_evaluated), DMARC pass rate, and the
 * sources whose mail fails DMARC, i.e. would be rejected under p=reject
 * (RFC 9989 receiver actions).
 *
 * The sending addresses are then grouped by organisation: the
 * organizational domain (Public Suffix List) of the address's reverse
 * name, when that name is forward-confirmed (its A or AAAA records include
 * the address); else the address stands alone.  Lookups go through the
 * daemon's resolver (Nameservers, DNSTimeout, DNSZoneFile or --dns-zone),
 * for the --dns-max busiest addresses only (SUMMARY_DNS_DEFAULT), with
 * SUMMARY_DNS_THREADS queries in flight and SUMMARY_DNS_BUDGET seconds in
 * all; --no-dns skips them.
 *
 * --html writes one page with inline CSS and SVG, no network needed (its
 * Content-Security-Policy forbids any fetch and any script).
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "conf/config.h"
#include "policy/domain.h"
#include "report/ingest.h"
#include "tools/dmarcctl.h"

#define SUMMARY_DAYS_MAX    36500  /* a century: anything more is a typo */
#define SUMMARY_SOURCES_MAX 100000 /* distinct (ip, header_from) kept */
#define SUMMARY_TOP	    10	   /* failing sources in the chart */
#define SUMMARY_DNS_DEFAULT 200	   /* addresses looked up, the busiest */
#define SUMMARY_DNS_MAX	    100000 /* --dns-max at most */
#define SUMMARY_DNS_THREADS 8	   /* lookups in flight */
#define SUMMARY_DNS_BUDGET  30	   /* seconds for all the lookups */
#define SUMMARY_PTR_MAX	    10	   /* PTR names tried per address */
#define SUMMARY_GROUP_SHOW  10	   /* addresses per group, text output */

/* what the reverse DNS of one address says */
enum rdns {
	RDNS_NOT_ASKED,	  /* --no-dns, past --dns-max or past the budget */
	RDNS_NONE,	  /* no PTR record */
	RDNS_FAILED,	  /* DNS error, or no usable name */
	RDNS_UNCONFIRMED, /* PTR names, none resolving to the address */
	RDNS_CONFIRMED	  /* forward-confirmed: the name is trusted */
};

/* one sending address, all its header_from domains together */
struct sum_ip {
	char ip[46];
	unsigned long long n, pass;
	enum rdns rdns;
	char *name; /* the confirmed name, else the first PTR name */
	char *org;  /* organizational domain of a confirmed name */
};

/* addresses of one organisation (or one address): ip[first..+nip) */
struct sum_group {
	const char *key; /* ip_key() of its addresses */
	size_t first, nip;
	unsigned long long n, pass;
};

struct sum_src {
	char ip[46];
	char from[254];
	unsigned long long n, spf, dkim, spf_al, dkim_al, pass;
};

struct sum_day {
	long long day; /* unix day */
	unsigned long long pass, fail;
};

struct sum {
	struct sum_src *src;
	size_t nsrc, srccap;
	size_t *idx; /* hash of (ip, from): src index + 1, 0 = free */
	size_t idxcap;
	struct sum_day *day;
	size_t nday, daycap;
	unsigned long long total, pass, dropped;
	size_t nreports;
	char last_org[256], last_id[256];
	long long first, last;
	struct sum_ip *ip; /* by organisation once grouped */
	size_t nip;
	struct sum_group *grp;
	size_t ngrp;
	int dns;	  /* lookups wanted */
	size_t dns_asked; /* addresses looked up (the busiest) */
	size_t dns_late;  /* of those, left out: the budget ran out */
};

static void
summary_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl summary [--config FILE] [--db URI] "
	    "[--domain D] [--days N] [--html FILE]\n"
	    "                        [--no-dns | --dns-zone FILE] "
	    "[--dns-max N]\n");
}

static int
is_pass(const char *s)
{
	return strcmp(s, "pass") == 0;
}

/* sum_hash - FNV-1a over the source's address and header_from */
static size_t
sum_hash(const char *ip, const char *from)
{
	size_t h = 2166136261U;

	for (; *ip != '\0'; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619U;
	h = (h ^ 0xff) * 16777619U;
	for (; *from != '\0'; from++)
		h = (h ^ (unsigned char)*from) * 16777619U;
	return h;
}

/* sum_rehash - double the index (kept at most half full) */
static int
sum_rehash(struct sum *s)
{
	size_t nc = s->idxcap == 0 ? 256 : s->idxcap * 2, i, h;
	size_t *ni = calloc(nc, sizeof(*ni));

	if (ni == NULL)
		return -1;
	for (i = 0; i < s->nsrc; i++) {
		h = sum_hash(s->src[i].ip, s->src[i].from) & (nc - 1);
		while (ni[h] != 0)
			h = (h + 1) & (nc - 1);
		ni[h] = i + 1;
	}
	free(s->idx);
	s->idx = ni;
	s->idxcap = nc;
	return 0;
}

/* ip_canon - one spelling per address (2001:DB8::1 = 2001:db8:0::1) */
static void
ip_canon(const char *in, char *out, size_t size)
{
	unsigned char a[16];

	if ((inet_pton(AF_INET, in, a) == 1 &&
		inet_ntop(AF_INET, a, out, (socklen_t)size) != NULL) ||
	    (inet_pton(AF_INET6, in, a) == 1 &&
		inet_ntop(AF_INET6, a, out, (socklen_t)size) != NULL))
		return;
	(void)strlcpy(out, in, size);
}

/* sum_row - add one stored row (ingest_db_foreach callback) */
static int
sum_row(const struct ingest_report *rep, const struct ingest_row *row,
    void *arg)
{
	struct sum *s = arg;
	struct sum_src *src = NULL;
	unsigned long long c = (unsigned long long)row->count;
	long long day = rep->begin / 86400;
	char ip[46];
	int pass;
	size_t h;

	if (strcmp(rep->org_name, s->last_org) != 0 ||
	    strcmp(rep->report_id, s->last_id) != 0) {
		s->nreports++;
		(void)strlcpy(s->last_org, rep->org_name, sizeof(s->last_org));
		(void)strlcpy(s->last_id, rep->report_id, sizeof(s->last_id));
	}
	if (s->total == 0 || rep->begin < s->first)
		s->first = rep->begin;
	if (rep->end > s->last)
		s->last = rep->end;
	if (s->nsrc * 2 >= s->idxcap && sum_rehash(s) == -1)
		return -1;
	ip_canon(row->source_ip, ip, sizeof(ip));
	h = sum_hash(ip, row->header_from) & (s->idxcap - 1);
	for (; s->idx[h] != 0; h = (h + 1) & (s->idxcap - 1)) {
		struct sum_src *x = &s->src[s->idx[h] - 1];

		if (strcmp(x->ip, ip) == 0 &&
		    strcmp(x->from, row->header_from) == 0) {
			src = x;
			break;
		}
	}
	if (src == NULL && s->nsrc < SUMMARY_SOURCES_MAX) {
		if (s->nsrc == s->srccap) {
			size_t nc = s->srccap == 0 ? 64 : s->srccap * 2;
			struct sum_src *ns =
			    reallocarray(s->src, nc, sizeof(*ns));

			if (ns == NULL)
				return -1;
			s->src = ns;
			s->srccap = nc;
		}
		s->idx[h] = s->nsrc + 1;
		src = &s->src[s->nsrc++];
		memset(src, 0, sizeof(*src));
		(void)strlcpy(src->ip, ip, sizeof(src->ip));
		(void)strlcpy(src->from, row->header_from, sizeof(src->from));
	}
	/* RFC 9989: DMARC passes when an aligned identifier passes */
	pass = is_pass(row->dkim_eval) || is_pass(row->spf_eval);
	if (src != NULL) {
		src->n += c;
		src->spf += is_pass(row->spf_result) ? c : 0;
		src->dkim += is_pass(row->dkim_result) ? c : 0;
		src->spf_al += is_pass(row->spf_eval) ? c : 0;
		src->dkim_al += is_pass(row->dkim_eval) ? c : 0;
		src->pass += pass ? c : 0;
	} else
		s->dropped += c;
	s->total += c;
	s->pass += pass ? c : 0;
	if (s->nday == 0 || s->day[s->nday - 1].day != day) {
		if (s->nday == s->daycap) {
			size_t nc = s->daycap == 0 ? 32 : s->daycap * 2;
			struct sum_day *nd =
			    reallocarray(s->day, nc, sizeof(*nd));

			if (nd == NULL)
				return -1;
			s->day = nd;
			s->daycap = nc;
		}
		memset(&s->day[s->nday], 0, sizeof(s->day[0]));
		s->day[s->nday++].day = day;
	}
	if (pass)
		s->day[s->nday - 1].pass += c;
	else
		s->day[s->nday - 1].fail += c;
	return 0;
}

static int
by_volume(const void *a, const void *b)
{
	const struct sum_src *x = a, *y = b;

	int c;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	if ((c = strcmp(x->ip, y->ip)) != 0)
		return c;
	return strcmp(x->from, y->from);
}

static int
by_failures(const void *a, const void *b)
{
	const struct sum_src *x = a, *y = b;
	unsigned long long fx = x->n - x->pass, fy = y->n - y->pass;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	return by_volume(a, b);
}

static double
pct(unsigned long long a, unsigned long long n)
{
	return n == 0 ? 0.0 : 100.0 * (double)a / (double)n;
}

static void
fmt_day(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		(void)strlcpy(buf, "?", size);
}

/* ---- sending addresses and their organisations ---- */

static int
by_ip(const void *a, const void *b)
{
	const struct sum_src *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ip, y->ip)) != 0)
		return c;
	return strcmp(x->from, y->from);
}

static int
ip_by_volume(const void *a, const void *b)
{
	const struct sum_ip *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->ip, y->ip);
}

/* ip_key - the group of an address: its organisation, else itself */
static const char *
ip_key(const struct sum_ip *p)
{
	return p->org != NULL ? p->org : p->ip;
}

static int
ip_by_key(const void *a, const void *b)
{
	const struct sum_ip *x = a, *y = b;
	int c;

	if ((c = strcmp(ip_key(x), ip_key(y))) != 0)
		return c;
	return ip_by_volume(a, b);
}

/* sum_ips - the sources merged per address, the busiest first */
static int
sum_ips(struct sum *s)
{
	struct sum_ip *p = NULL;
	size_t i;

	if (s->nsrc == 0)
		return 0;
	if ((s->ip = calloc(s->nsrc, sizeof(*s->ip))) == NULL)
		return -1;
	qsort(s->src, s->nsrc, sizeof(*s->src), by_ip);
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		if (p == NULL || strcmp(p->ip, x->ip) != 0) {
			p = &s->ip[s->nip++];
			(void)strlcpy(p->ip, x->ip, sizeof(p->ip));
		}
		p->n += x->n;
		p->pass += x->pass;
	}
	qsort(s->src, s->nsrc, sizeof(*s->src), by_volume);
	qsort(s->ip, s->nip, sizeof(*s->ip), ip_by_volume);
	return 0;
}

struct rdns_pool {
	struct resolver *res;
	const struct orgdomain_psl *psl;
	struct sum_ip *ip;
	size_t n, next;
	time_t deadline; /* CLOCK_MONOTONIC seconds */
	pthread_mutex_t lock;
};

static int
past_deadline(const struct rdns_pool *pl)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 1;
	return now.tv_sec >= pl->deadline;
}

/* rev_name - RFC 1035 3.5 (in-addr.arpa), RFC 3596 2.5 (ip6.arpa) */
static void
rev_name(const unsigned char *a, size_t alen, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (alen == 4) {
		(void)snprintf(buf, size, "%u.%u.%u.%u.in-addr.arpa", a[3],
		    a[2], a[1], a[0]);
		return;
	}
	for (i = alen; i-- > 0 && o + 4 < size;) {
		buf[o++] = hex[a[i] & 0x0f];
		buf[o++] = '.';
		buf[o++] = hex[a[i] >> 4];
		buf[o++] = '.';
	}
	buf[o] = '\0';
	(void)strlcpy(buf + o, "ip6.arpa", size - o);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * rdns_one - the reverse name of one address, trusted only when it is
 * forward-confirmed: one of its PTR names has an A (AAAA) record equal to
 * the address (the "iprev" check of RFC 8601 3, "FCrDNS").  PTR names are
 * hostile: at most SUMMARY_PTR_MAX are tried, each a valid host name, in
 * name order so that the result does not depend on the answer's order
 * (RFC 7208 4.6.4 caps its own PTR walk the same way).
 */
static void
rdns_one(struct rdns_pool *pl, struct sum_ip *p)
{
	char names[SUMMARY_PTR_MAX][DOMAIN_MAX + 1], rev[80],
	    org[DOMAIN_MAX + 1];
	struct resolver_answer *ans = NULL;
	enum resolver_status st;
	unsigned char a[16];
	const char *errstr;
	size_t alen, i, k, nn = 0, hit = 0;
	int type;

	if (inet_pton(AF_INET, p->ip, a) == 1) {
		alen = 4;
		type = RESOLVER_T_A;
	} else if (inet_pton(AF_INET6, p->ip, a) == 1) {
		alen = 16;
		type = RESOLVER_T_AAAA;
	} else {
		p->rdns = RDNS_FAILED;
		return;
	}
	rev_name(a, alen, rev, sizeof(rev));
	st = resolver_query(pl->res, rev, RESOLVER_T_PTR, &ans);
	for (i = 0; st == RESOLVER_OK && i < ans->nrr && nn < SUMMARY_PTR_MAX;
	     i++)
		if (ans->rr[i].type == RESOLVER_T_PTR &&
		    domain_normalize((const char *)ans->rr[i].data,
			ans->rr[i].len, names[nn], sizeof(names[nn]),
			&errstr) == 0 &&
		    domain_labels(names[nn]) >= 2)
			nn++;
	resolver_answer_free(&ans);
	if (st == RESOLVER_NXDOMAIN || st == RESOLVER_NODATA) {
		p->rdns = RDNS_NONE;
		return;
	}
	if (st != RESOLVER_OK || nn == 0) {
		p->rdns = RDNS_FAILED;
		return;
	}
	qsort(names, nn, sizeof(names[0]), by_name);
	p->rdns = RDNS_UNCONFIRMED;
	for (k = 0; k < nn && p->rdns == RDNS_UNCONFIRMED; k++) {
		if (past_deadline(pl)) {
			p->rdns = RDNS_NOT_ASKED;
			return;
		}
		if (resolver_query(pl->res, names[k], type, &ans) ==
		    RESOLVER_OK)
			for (i = 0; i < ans->nrr; i++)
				if (ans->rr[i].type == type &&
				    ans->rr[i].len == alen &&
				    memcmp(ans->rr[i].data, a, alen) == 0) {
					p->rdns = RDNS_CONFIRMED;
					hit = k;
					break;
				}
		resolver_answer_free(&ans);
	}
	p->name = strdup(names[hit]);
	if (p->rdns == RDNS_CONFIRMED) {
		/* the name itself when the list knows nothing better */
		if (pl->psl == NULL ||
		    orgdomain_psl_org(pl->psl, names[hit], org, sizeof(org)) ==
			-1)
			(void)strlcpy(org, names[hit], sizeof(org));
		p->org = strdup(org);
		if (p->org == NULL || p->name == NULL) {
			free(p->org);
			p->org = NULL;
			p->rdns = RDNS_FAILED;
		}
	}
}

static void *
rdns_worker(void *arg)
{
	struct rdns_pool *pl = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&pl->lock);
		i = pl->next++;
		pthread_mutex_unlock(&pl->lock);
		if (i >= pl->n)
			return NULL;
		if (!past_deadline(pl))
			rdns_one(pl, &pl->ip[i]);
	}
}

/* sum_resolve - reverse names of the max busiest addresses */
static void
sum_resolve(struct sum *s, struct resolver *res,
    const struct orgdomain_psl *psl, size_t max)
{
	pthread_t th[SUMMARY_DNS_THREADS];
	struct rdns_pool pl;
	struct timespec now;
	size_t i, nth = 0;

	memset(&pl, 0, sizeof(pl));
	pl.res = res;
	pl.psl = psl;
	pl.ip = s->ip;
	pl.n = s->nip < max ? s->nip : max;
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return;
	pl.deadline = now.tv_sec + SUMMARY_DNS_BUDGET;
	pthread_mutex_init(&pl.lock, NULL);
	while (nth < SUMMARY_DNS_THREADS && nth < pl.n &&
	    pthread_create(&th[nth], NULL, rdns_worker, &pl) == 0)
		nth++;
	if (nth == 0)
		(void)rdns_worker(&pl);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pl.lock);
	s->dns_asked = pl.n;
	for (i = 0; i < pl.n; i++)
		if (s->ip[i].rdns == RDNS_NOT_ASKED)
			s->dns_late++;
}

static int
grp_by_volume(const void *a, const void *b)
{
	const struct sum_group *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* sum_groups - the addresses by organisation, the busiest group first */
static int
sum_groups(struct sum *s)
{
	struct sum_group *g = NULL;
	size_t i;

	if (s->nip == 0)
		return 0;
	if ((s->grp = calloc(s->nip, sizeof(*s->grp))) == NULL)
		return -1;
	qsort(s->ip, s->nip, sizeof(*s->ip), ip_by_key);
	for (i = 0; i < s->nip; i++) {
		if (g == NULL || strcmp(g->key, ip_key(&s->ip[i])) != 0) {
			g = &s->grp[s->ngrp++];
			g->key = ip_key(&s->ip[i]);
			g->first = i;
		}
		g->nip++;
		g->n += s->ip[i].n;
		g->pass += s->ip[i].pass;
	}
	qsort(s->grp, s->ngrp, sizeof(*s->grp), grp_by_volume);
	return 0;
}

/* rdns_note - what the text says after an address and its name */
static const char *
rdns_note(const struct sum *s, const struct sum_ip *p)
{
	switch (p->rdns) {
	case RDNS_CONFIRMED:
		return "";
	case RDNS_UNCONFIRMED:
		return "not forward-confirmed";
	case RDNS_NONE:
		return "no reverse name";
	case RDNS_FAILED:
		return "DNS error";
	default:
		return s->dns ? "not looked up" : "";
	}
}

/* dns_note - how the groups were made, one line */
static void
dns_note(FILE *fp, const struct sum *s)
{
	if (!s->dns) {
		fputs("reverse DNS not looked up (--no-dns)", fp);
		return;
	}
	if (s->dns_asked == s->nip)
		fprintf(fp,
		    "reverse DNS names, forward-confirmed; all %zu addresses "
		    "looked up",
		    s->nip);
	else
		fprintf(fp,
		    "reverse DNS names, forward-confirmed; the %zu busiest of "
		    "%zu addresses looked up",
		    s->dns_asked, s->nip);
	if (s->dns_late > 0)
		fprintf(fp, "; %zu left out when the %d s DNS budget ran out",
		    s->dns_late, SUMMARY_DNS_BUDGET);
}

/* print_groups - the sending organisations, their addresses and names */
static void
print_groups(const struct sum *s)
{
	size_t i, k;

	printf("\nSending organisations (");
	dns_note(stdout, s);
	printf("):\n%-39s %9s %6s  %s\n", "ORGANISATION", "MESSAGES", "DMARC",
	    "ADDRESSES");
	for (i = 0; i < s->ngrp; i++) {
		const struct sum_group *g = &s->grp[i];

		for (k = 0; k < g->nip && k < SUMMARY_GROUP_SHOW; k++) {
			const struct sum_ip *p = &s->ip[g->first + k];
			const char *note = rdns_note(s, p);

			if (k == 0)
				printf("%-39s %9llu %5.1f%%  ", g->key, g->n,
				    pct(g->pass, g->n));
			else
				printf("%-39s %9s %6s  ", "", "", "");
			printf("%s%s%s%s%s%s\n", p->ip, p->name ? " " : "",
			    p->name ? p->name : "", note[0] ? " (" : "", note,
			    note[0] ? ")" : "");
		}
		if (g->nip > SUMMARY_GROUP_SHOW)
			printf("%-39s %9s %6s  ... and %zu more\n", "", "", "",
			    g->nip - SUMMARY_GROUP_SHOW);
	}
}

static void
print_text(struct sum *s, const char *domain)
{
	char d1[16], d2[16];
	size_t i, nfail = 0;

	fmt_day(s->first, d1, sizeof(d1));
	fmt_day(s->last, d2, sizeof(d2));
	printf("DMARC aggregate reports for %s: %zu reports, %llu messages, "
	       "%s to %s\n",
	    domain != NULL ? domain : "all domains", s->nreports, s->total, d1,
	    d2);
	printf("DMARC pass: %.1f%%\n\n", pct(s->pass, s->total));
	printf("%-39s %-28s %9s %6s %6s %6s %6s %6s\n", "SOURCE IP",
	    "HEADER FROM", "MESSAGES", "SPF", "DKIM", "SPF-AL", "DKIM-AL",
	    "DMARC");
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		printf("%-39s %-28.28s %9llu %5.1f%% %5.1f%% %5.1f%% %5.1f%% "
		       "%5.1f%%\n",
		    x->ip, x->from, x->n, pct(x->spf, x->n), pct(x->dkim, x->n),
		    pct(x->spf_al, x->n), pct(x->dkim_al, x->n),
		    pct(x->pass, x->n));
		if (x->pass < x->n)
			nfail++;
	}
	if (s->dropped > 0)
		printf("(%llu messages from sources past %d not listed)\n",
		    s->dropped, SUMMARY_SOURCES_MAX);
	printf("\nWould break under p=reject: %zu source%s\n", nfail,
	    nfail == 1 ? "" : "s");
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		if (x->pass < x->n)
			printf("  %-39s %-28.28s %llu of %llu messages fail "
			       "DMARC (SPF aligned %.0f%%, DKIM aligned "
			       "%.0f%%)\n",
			    x->ip, x->from, x->n - x->pass, x->n,
			    pct(x->spf_al, x->n), pct(x->dkim_al, x->n));
	}
	print_groups(s);
}

/* html_str - s escaped for HTML text and attribute values */
static void
html_str(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

/* svg_days - stacked bars of passing and failing messages per day */
static void
svg_days(FILE *fp, const struct sum *s)
{
	const int w = 760, h = 260, left = 60, bottom = 40, top = 20;
	unsigned long long max = 1;
	double bw, y0 = h - bottom, scale;
	char d[16];
	size_t i;

	for (i = 0; i < s->nday; i++)
		if (s->day[i].pass + s->day[i].fail > max)
			max = s->day[i].pass + s->day[i].fail;
	bw = s->nday > 0 ? (double)(w - left - 10) / (double)s->nday : 1;
	scale = (double)(h - bottom - top) / (double)max;
	fprintf(fp,
	    "<svg id=\"chart-days\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"DMARC pass and fail per day\">\n",
	    w, h, w, h);
	fprintf(fp,
	    "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" "
	    "stroke=\"#555\"/>\n<text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\" class=\"ax\">%llu</text>\n<text x=\"%d\" "
	    "y=\"%.0f\" text-anchor=\"end\" class=\"ax\">0</text>\n",
	    left, y0, w - 10, y0, left - 4, top + 4, max, left - 4, y0);
	for (i = 0; i < s->nday; i++) {
		double x = left + bw * (double)i + bw * 0.1;
		double hp = (double)s->day[i].pass * scale;
		double hf = (double)s->day[i].fail * scale;

		fmt_day(s->day[i].day * 86400, d, sizeof(d));
		fprintf(fp,
		    "<rect class=\"pass\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"><title>%s: %llu pass</title></rect>\n",
		    x, y0 - hp, bw * 0.8, hp, d, s->day[i].pass);
		fprintf(fp,
		    "<rect class=\"fail\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"><title>%s: %llu fail</title></rect>\n",
		    x, y0 - hp - hf, bw * 0.8, hf, d, s->day[i].fail);
		if (i == 0 || i + 1 == s->nday || s->nday <= 8)
			fprintf(fp,
			    "<text x=\"%.1f\" y=\"%.0f\" "
			    "text-anchor=\"middle\" "
			    "class=\"ax\">%s</text>\n",
			    x + bw * 0.4, y0 + 16, d);
	}
	fputs("</svg>\n", fp);
}

/* svg_top - horizontal bars: the sources failing DMARC the most */
static void
svg_top(FILE *fp, struct sum *s)
{
	const int w = 760, left = 330, row = 26;
	unsigned long long max = 1;
	size_t i, n = 0;
	int h;

	if (s->nsrc > 0)
		qsort(s->src, s->nsrc, sizeof(*s->src), by_failures);
	for (i = 0; i < s->nsrc && n < SUMMARY_TOP; i++)
		if (s->src[i].pass < s->src[i].n)
			n++;
	if (n > 0)
		max = s->src[0].n - s->src[0].pass;
	h = (int)n * row + 20;
	fprintf(fp,
	    "<svg id=\"chart-top\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"top sources failing DMARC\">\n",
	    w, h, w, h);
	if (n == 0)
		fputs("<text x=\"10\" y=\"15\">no source fails DMARC</text>\n",
		    fp);
	for (i = 0; i < n; i++) {
		const struct sum_src *x = &s->src[i];
		unsigned long long f = x->n - x->pass;
		double bl = (double)(w - left - 80) * (double)f / (double)max;

		fprintf(fp, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">",
		    left - 6, i * row + 17);
		html_str(fp, x->ip);
		fputs(" (", fp);
		html_str(fp, x->from);
		fprintf(fp,
		    ")</text>\n<rect class=\"fail\" x=\"%d\" y=\"%zu\" "
		    "width=\"%.1f\" height=\"%d\"/>\n<text x=\"%.1f\" "
		    "y=\"%zu\">%llu</text>\n",
		    left, i * row + 4, bl, row - 8, left + bl + 4, i * row + 17,
		    f);
	}
	fputs("</svg>\n", fp);
	if (s->nsrc > 0)
		qsort(s->src, s->nsrc, sizeof(*s->src), by_volume);
}

/* html_groups - the sending organisations, their addresses and names */
static void
html_groups(FILE *fp, const struct sum *s)
{
	size_t i, k;

	fputs("<h2>Sending organisations</h2>\n<p>", fp);
	dns_note(fp, s);
	fputs(".</p>\n<table class=\"orgs\" id=\"orgs\"><tr>"
	      "<th>Organisation</th><th>Messages</th><th>DMARC</th>"
	      "<th>Addresses and reverse names</th></tr>\n",
	    fp);
	for (i = 0; i < s->ngrp; i++) {
		const struct sum_group *g = &s->grp[i];

		fprintf(fp, "<tr class=\"%s%s\"><td class=\"group\">",
		    s->ip[g->first].org != NULL ? "org" : "addr",
		    g->pass < g->n ? " bad" : "");
		html_str(fp, g->key);
		fprintf(fp,
		    "</td><td>%llu</td><td>%.1f%%</td><td "
		    "class=\"addrs\">",
		    g->n, pct(g->pass, g->n));
		for (k = 0; k < g->nip; k++) {
			const struct sum_ip *p = &s->ip[g->first + k];
			const char *note = rdns_note(s, p);

			fputs(k > 0 ? "<br>" : "", fp);
			fputs("<span class=\"ip\">", fp);
			html_str(fp, p->ip);
			fputs("</span>", fp);
			if (p->name != NULL) {
				fputs(" <span class=\"ptr\">", fp);
				html_str(fp, p->name);
				fputs("</span>", fp);
			}
			if (note[0] != '\0')
				fprintf(fp, " <span class=\"note\">(%s)</span>",
				    note);
		}
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static int
write_html(const char *path, struct sum *s, const char *domain)
{
	FILE *fp;
	char d1[16], d2[16];
	size_t i;
	int rc;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fmt_day(s->first, d1, sizeof(d1));
	fmt_day(s->last, d2, sizeof(d2));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n<meta "
	      "http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>DMARC summary</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{padding:3px 8px;"
	      "border-bottom:1px solid #ddd;text-align:right}\n"
	      "td:first-child,td:nth-child(2),th:first-child,"
	      "th:nth-child(2){text-align:left}\n"
	      "tr.bad td{background:#fde8e8}\n.pass{fill:#3a9a4a}"
	      ".fail{fill:#d0392b}.ax{font-size:11px;fill:#555}\n"
	      "svg text{font-size:12px}\n"
	      "table.orgs td:nth-child(2),table.orgs th:nth-child(2)"
	      "{text-align:right}\ntable.orgs td:last-child,"
	      "table.orgs th:last-child{text-align:left}\n"
	      "table.orgs td{vertical-align:top}\n"
	      ".ptr{color:#555}.note{color:#a33;font-style:italic}\n"
	      "</style></head><body>\n",
	    fp);
	fputs("<h1>DMARC aggregate reports: ", fp);
	html_str(fp, domain != NULL ? domain : "all domains");
	fprintf(fp,
	    "</h1>\n<p>%zu reports, %llu messages, %s to %s; DMARC pass "
	    "%.1f%%.</p>\n",
	    s->nreports, s->total, d1, d2, pct(s->pass, s->total));
	fputs("<h2>Pass and fail per day</h2>\n", fp);
	svg_days(fp, s);
	fputs("<h2>Top sources failing DMARC (would break under "
	      "p=reject)</h2>\n",
	    fp);
	svg_top(fp, s);
	fputs("<h2>Sources</h2>\n<table><tr><th>Source IP</th><th>Header "
	      "From</th><th>Messages</th><th>SPF</th><th>DKIM</th>"
	      "<th>SPF aligned</th><th>DKIM aligned</th><th>DMARC</th>"
	      "</tr>\n",
	    fp);
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		fprintf(fp, "<tr%s><td>",
		    x->pass < x->n ? " class=\"bad\"" : "");
		html_str(fp, x->ip);
		fputs("</td><td>", fp);
		html_str(fp, x->from);
		fprintf(fp,
		    "</td><td>%llu</td><td>%.1f%%</td><td>%.1f%%</td>"
		    "<td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n",
		    x->n, pct(x->spf, x->n), pct(x->dkim, x->n),
		    pct(x->spf_al, x->n), pct(x->dkim_al, x->n),
		    pct(x->pass, x->n));
	}
	fputs("</table>\n", fp);
	html_groups(fp, s);
	fputs("</body></html>\n", fp);
	rc = ferror(fp) ? -1 : 0;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

int
cmd_summary(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"domain", required_argument, NULL, 'D'},
	    {"days", required_argument, NULL, 'n'},
	    {"html", required_argument, NULL, 'H'},
	    {"no-dns", no_argument, NULL, 'N'},
	    {"dns-zone", required_argument, NULL, 'z'},
	    {"dns-max", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *uri = NULL, *domain = NULL, *html = NULL;
	const char *zone = NULL, *errstr = NULL;
	struct config *cfg = NULL;
	struct ingest_db *db = NULL;
	struct resolver *res = NULL;
	struct orgdomain_psl *psl = NULL;
	struct resolver_opts ro;
	struct sum s;
	long long days = 0, since = 0, dns_max = SUMMARY_DNS_DEFAULT;
	char err[512], dom[254];
	size_t i;
	int ch, rc = 1;

	memset(&s, 0, sizeof(s));
	s.dns = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			uri = optarg;
			break;
		case 'D':
			if (strlcpy(dom, optarg, sizeof(dom)) >= sizeof(dom)) {
				fprintf(stderr,
				    "dmarcctl: --domain: too "
				    "long\n");
				return EXIT_USAGE;
			}
			for (i = 0; dom[i] != '\0'; i++)
				if (dom[i] >= 'A' && dom[i] <= 'Z')
					dom[i] = (char)(dom[i] - 'A' + 'a');
			domain = dom;
			break;
		case 'n':
			days = strtonum(optarg, 1, SUMMARY_DAYS_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr,
				    "dmarcctl: --days: %s (1 to "
				    "%d)\n",
				    errstr, SUMMARY_DAYS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			html = optarg;
			break;
		case 'N':
			s.dns = 0;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'm':
			dns_max = strtonum(optarg, 0, SUMMARY_DNS_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr,
				    "dmarcctl: --dns-max: %s (0 to %d)\n",
				    errstr, SUMMARY_DNS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			summary_usage(stdout);
			return 0;
		default:
			summary_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (!s.dns && zone != NULL)) {
		summary_usage(stderr);
		return EXIT_USAGE;
	}
	if (dns_max == 0)
		s.dns = 0;
	/* the resolver's settings come from the configuration too */
	if (uri == NULL || s.dns) {
		if (dmarcctl_config(cfgpath, &cfg) == -1)
			return 1;
	}
	if (uri == NULL)
		uri = cfg->history_db;
	if (uri[0] == '\0') {
		fprintf(stderr, "dmarcctl: summary: no HistoryDB configured\n");
		goto out;
	}
	if (s.dns) {
		memset(&ro, 0, sizeof(ro));
		/* --dns-zone, else DNSZoneFile, else the network */
		ro.zone_file = zone;
		if (zone == NULL && cfg->dns_zone_file[0] != '\0')
			ro.zone_file = cfg->dns_zone_file;
		ro.nameservers = cfg->nameservers[0] ? cfg->nameservers : NULL;
		ro.timeout_ms = cfg->dns_timeout_ms;
		if (resolver_new(&ro, &res, err, sizeof(err)) == -1) {
			fprintf(stderr, "dmarcctl: %s\n", err);
			goto out;
		}
		/* without the list, a confirmed name is its own group */
		if (orgdomain_psl_new(cfg->psl_file, &psl, err, sizeof(err)) ==
		    -1)
			fprintf(stderr, "dmarcctl: summary: warning: %s\n",
			    err);
	}
	if (ingest_db_open(uri, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	if (days > 0)
		since = (long long)time(NULL) - days * 86400;
	if (ingest_db_foreach(db, domain, since, sum_row, &s) != 0) {
		fprintf(stderr, "dmarcctl: summary: %s\n", ingest_db_error(db));
		goto out;
	}
	if (sum_ips(&s) == -1) {
		fprintf(stderr, "dmarcctl: summary: out of memory\n");
		goto out;
	}
	if (s.dns)
		sum_resolve(&s, res, psl, (size_t)dns_max);
	if (sum_groups(&s) == -1) {
		fprintf(stderr, "dmarcctl: summary: out of memory\n");
		goto out;
	}
	print_text(&s, domain);
	if (html != NULL && write_html(html, &s, domain) == -1) {
		fprintf(stderr, "dmarcctl: summary: %s: cannot write\n", html);
		goto out;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	for (i = 0; i < s.nip; i++) {
		free(s.ip[i].name);
		free(s.ip[i].org);
	}
	free(s.ip);
	free(s.grp);
	free(s.src);
	free(s.idx);
	free(s.day);
	ingest_db_close(&db);
	resolver_free(&res);
	orgdomain_psl_free(&psl);
	config_free(&cfg);
	return rc;
}
