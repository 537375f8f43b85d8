/*
 * aggregate.h - RFC 9990 aggregate reports from recorded outcomes
 *
 * An aggregator takes the store's records of one UTC day, grouped by
 * policy domain (store_foreach() order), and turns each policy domain's
 * records into one report: the XML document, its gzip form (RFC 1952),
 * the Report-ID and the RFC 9990 file name.
 *
 *	agg_new(&meta, day_begin, emit, arg, &a, &errstr);
 *	store_foreach(st, day_begin, day_begin + 86400, agg_add_cb, a);
 *	agg_finish(a);          emits the last policy domain
 *	agg_free(&a);
 *
 * agg_add(a, rec): rec is hostile (whatever the store holds).  Records
 * with has_policy 0, or whose policy domain is not a valid domain name,
 * are not reported (counted in agg_stats).  When rec's policy domain
 * differs from the previous record's, the previous domain's report is
 * finished and handed to emit(rep, arg); rep and its buffers belong to
 * the aggregator and are valid only during the call.  A policy domain
 * that comes back after another one was emitted is an error (the input
 * is not grouped): -1 with agg_error() saying so, as when emit() returns
 * -1.  Returns 0 or -1; after -1 the aggregator only accepts agg_free().
 *
 * One report per policy domain and day (RFC 9990 2.1):
 * - policy_published comes from the last record of the day (RFC 9990
 *   2.1 "SHOULD note only the final configuration observed"); sp is
 *   written as published, else as p (its default); np only if published.
 * - One <record> per distinct (source IP, disposition, policy_evaluated
 *   dkim/spf, reasons and comment, header_from, envelope_from,
 *   envelope_to, the set of DKIM results, the SPF result), with its
 *   count.  Rows are written sorted by their bytes, so rebuilding a day
 *   gives the same document and the same gzip bytes, whatever the order
 *   the store returned the records in.
 * - disposition: the schema allows none, pass, quarantine and reject.
 *   "pass" is written for a DMARC pass under an enforcing policy
 *   (quarantine or reject).  A "tempfail" (message deferred with 4xx
 *   after a DNS temporary error) is written as "none" with a reason of
 *   type "other" and the comment AGG_TEMPFAIL_COMMENT: the message was
 *   not accepted, and the domain owner learns that lookups failed.
 * - reason: the stored override types (unknown words become "other"),
 *   the stored comment on the first; and when a DMARC fail's disposition
 *   is none of the policies that could apply and no reason was stored,
 *   "other" with AGG_DIFFERS_COMMENT (RFC 9990 2.1: a reason whenever the
 *   disposition differs from the published policy).
 * - DKIM results: every stored signature (at most AGG_DKIM_MAX), with
 *   its selector always present (RFC 9990 2.1), sorted; results outside
 *   RFC 8601 2.7.1 become "permerror".  SPF: written when a result was
 *   stored; scope only when "mfrom" (the schema's one value); results
 *   outside RFC 8601 2.7.2 become "permerror".
 * - Every value is XML-escaped; control characters and bytes that are
 *   not UTF-8 become '?', so any input gives a well-formed document.
 *   A source IP that parses is written in its canonical form
 *   (IPv4-mapped IPv6 as IPv4).
 * Caps per report, so that a report fits in memory and in a mail:
 * AGG_ROWS_MAX rows and AGG_XML_MAX bytes of rows.  Messages of rows
 * that do not fit are counted in omitted and named in the report's
 * <error> element.
 *
 * Report-ID: the first AGG_ID_LEN hex digits of SHA-256 over receiver,
 * policy domain and day: the same day rebuilt has the same ID and file
 * name (RFC 9990 "MUST use the same filename" on re-sending).  gzip: no
 * file name, mtime 0, fixed level: the same bytes on every rebuild.
 *
 * agg_report_id() and agg_filename() give those names alone.  One
 * aggregator belongs to one thread; it allocates (rows: hash table).
 */
#ifndef AGGREGATE_H
#define AGGREGATE_H

#include <stddef.h>

#include "policy/domain.h"

#define AGG_ROWS_MAX	 50000 /* rows per report; far above real traffic */
#define AGG_XML_MAX	 (48UL << 20) /* row bytes: the gzip fits a 10 MB mail */
#define AGG_DKIM_MAX	 16    /* signatures per row, as the store keeps */
#define AGG_META_MAX	 1024  /* org name, email, contact info, generator */
#define AGG_ID_LEN	 32    /* hex digits of the Report-ID */
#define AGG_DAY		 86400 /* a report covers one UTC day */
#define AGG_RUA_MAX	 1024  /* as the store keeps it */
/* receiver "!" domain "!" begin "!" end "!" id ".xml.gz" */
#define AGG_FILENAME_MAX (2 * (DOMAIN_MAX + 1) + 2 * 21 + AGG_ID_LEN + 8)

#define AGG_TEMPFAIL_COMMENT "temporary DNS error: delivery deferred (4xx)"
#define AGG_DIFFERS_COMMENT  "disposition differs from the published policy"

struct store_record;

struct agg_meta {
	const char *org_name;	  /* ReportOrgName */
	const char *email;	  /* ReportEmail */
	const char *contact_info; /* ReportContactInfo; NULL or "": omitted */
	const char *receiver;	  /* ReportDomain: a domain name */
	const char *generator;	  /* "dmarc-milter 0.1.0" */
};

struct agg_report {
	char policy_domain[DOMAIN_MAX + 1];
	char rua[AGG_RUA_MAX]; /* of the last record */
	char report_id[AGG_ID_LEN + 1];
	char filename[AGG_FILENAME_MAX];
	long long begin, end;	     /* date_range; end = begin + 86399 */
	unsigned long long messages; /* in the rows */
	unsigned long long omitted;  /* past the caps, not in the rows */
	size_t nrows;
	const char *xml; /* the document, xmllen bytes */
	size_t xmllen;
	const unsigned char *gz; /* gzip of the document */
	size_t gzlen;
};

struct agg_stats {
	unsigned long long records;    /* given to agg_add() */
	unsigned long long no_policy;  /* has_policy 0: not reported */
	unsigned long long bad_domain; /* policy domain not a domain */
	unsigned long long outside;    /* received outside the day */
	size_t reports;		       /* emitted */
};

struct agg;

int agg_new(const struct agg_meta *meta, long long day_begin,
    int (*emit)(const struct agg_report *rep, void *arg), void *arg,
    struct agg **a_r, const char **errstr_r);
int agg_add(struct agg *a, const struct store_record *rec);
int agg_finish(struct agg *a);
void agg_free(struct agg **a);
const char *agg_error(const struct agg *a);
void agg_get_stats(const struct agg *a, struct agg_stats *st);

/* store_foreach() callback: agg_add(arg, rec) */
int agg_add_cb(const struct store_record *rec, void *arg);

/* agg_day_begin - 00:00:00 UTC of "YYYY-MM-DD"; 0 or -1 */
int agg_day_begin(const char *day, long long *begin_r);
/* agg_day_str - "YYYY-MM-DD" of a time; buf of at least 11 bytes */
void agg_day_str(long long t, char *buf, size_t bufsize);

void agg_report_id(const char *receiver, const char *policy_domain,
    long long begin, char id[AGG_ID_LEN + 1]);
int agg_filename(const char *receiver, const char *policy_domain,
    long long begin, const char *id, char *buf, size_t bufsize);

#endif
