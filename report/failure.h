/*
 * failure.h - DMARC failure reports (RFC 9991: the RFC 6591 Authentication
 * Failure Reporting Format, an RFC 5965 ARF report, with the DMARC
 * additions): when to send one, what it says, how often, and the one
 * thread that sends them
 *
 * Deciding (pure, thread-safe):
 *
 * failure_wanted(v): the fo= options (RFC 9989 4.7 "fo") of the record
 * that applied to verdict v which ask for a report, as DMARC_FO_* bits;
 * 0 means no report.  Nothing is wanted unless a record applied
 * (v->has_record) and was usable (dmarc result pass or fail), it lists at
 * least one ruf URI, and it is not a Public Suffix Domain's (psd=y, or
 * found as the PSD: RFC 9991 2, ruf of such records MUST NOT be
 * considered).  Then, with "aligned" meaning a passing identifier aligned
 * with the author domain (v->spf_aligned, v->dkim_aligned):
 *   0  neither SPF nor DKIM is aligned (the DMARC result is fail)
 *   1  SPF or DKIM is not aligned (also when DMARC passed by the other)
 *   d  a DKIM signature was evaluated to anything but pass
 *   s  SPF gave fail, softfail, temperror or permerror
 * The record's t= does not matter (RFC 9989 4.7 "t": reports are not
 * affected).
 *
 * failure_alignment(v): the Identity-Alignment field (RFC 9991 4 item 2),
 * the mechanisms that failed to authenticate an aligned identifier, as
 * FAILURE_ALIGN_* bits (0 is written "none"): DKIM when a signature whose
 * d= is aligned with the author domain did not pass, SPF when the SPF
 * domain is aligned and SPF did not pass.  The alignment of a failed
 * identifier is judged without DNS: strict mode, the same name; relaxed,
 * the same name or a name at or below the author's organizational domain
 * (v->org_domain; the author domain itself when that is unknown).
 *
 * Collecting the header (per message, one thread):
 *
 * failure_hdrs_add(h, name, value) keeps one header field as received,
 * in order, while the fields fit in FAILURE_HDRS_MAX bytes; the first one
 * that does not fit sets h->truncated and it and every later field are
 * counted in h->dropped, not kept.  A Content-Type field naming
 * multipart/report sets h->is_report (a report is never answered with a
 * report: RFC 9991 5.1, mail loops).  0, or -1 when out of memory (the
 * field is dropped and truncated set).  failure_hdrs_clear() frees and
 * empties; init() makes an empty set without allocating.
 *
 * A job (struct failure_job) is a self-contained copy of what a report
 * needs; failure_job_new(v, env, hdrs, why, &job) makes one from a
 * verdict and takes over the header fields of hdrs (left empty).  0, or
 * -1 when out of memory.  failure_job_free() accepts NULL and clears the
 * pointer.
 *
 * Building (pure, thread-safe):
 *
 * failure_build(j, o, to, &msg, &len, &errstr): the whole report for one
 * destination, LF line ends, in a buffer to free():
 *
 *	From: FROM / To: TO / Date / Message-ID: <ID@REPORTER>
 *	Subject: DMARC failure report for HEADER-FROM-DOMAIN
 *	MIME-Version: 1.0
 *	Content-Type: multipart/report; report-type=feedback-report;
 *	    boundary="..."                          (RFC 6522, RFC 5965 2)
 *	Auto-Submitted: auto-generated              (RFC 3834 5)
 *
 *	1. text/plain: what this is, in words
 *	2. message/feedback-report (RFC 5965 3.1, RFC 6591 3, RFC 9991 4):
 *	   Feedback-Type: auth-failure, User-Agent, Version: 1,
 *	   Original-Mail-From, Arrival-Date, Source-IP, Reported-Domain,
 *	   Authentication-Results, Auth-Failure, Identity-Alignment,
 *	   Delivery-Result; DKIM-Domain, DKIM-Identity ("@" d=) and
 *	   DKIM-Selector of the failed signature when DKIM is in
 *	   Identity-Alignment or fo=d fired; SPF-DNS (txt : DOMAIN : "TEXT")
 *	   when SPF is in Identity-Alignment or fo=s fired and j->spf_dns
 *	   holds the record
 *	3. text/rfc822-headers: the message's header fields as kept (8bit
 *	   when any byte is not ASCII), with a note in part 1 when cut
 *
 * Auth-Failure is "dmarc" (RFC 9991 4 item 3) when fo 0 or 1 asked for
 * the report; when only fo=d or fo=s did, the mechanism's own RFC 6591
 * type: "signature" or "spf".  Identity-Alignment lists the j->align bits
 * ("dkim", "spf", "dkim, spf") or says "none".
 *
 * With o->redact, the local part of every address (the text before an
 * '@' that is followed by a domain) in part 3, in Original-Mail-From and
 * in Authentication-Results is replaced by FAILURE_REDACTED (RFC 9991 7,
 * RFC 6590); message identifiers (Message-ID, In-Reply-To, References,
 * Resent-Message-ID, Content-ID) are not addresses and stay, so that the
 * domain owner can find the message.
 * Checked first, refused (-1, *errstr_r static) before a byte is written:
 * from and to as rua_addr_check() takes them, the reporter, header-from,
 * DKIM and SPF domains as host names, the selector as a DKIM selector
 * (RFC 6376 3.1), the source IP as an address, the user agent and the ID
 * as tokens.  Free text (Authentication-Results, the envelope sender, the
 * header fields, the SPF record) is cleaned instead: control bytes
 * become '?', a line break inside a field value is kept only as a fold
 * (followed by a blank), field names that are not RFC 5322 names are
 * dropped, so no input can add a field or a MIME boundary.  The boundary
 * is built from the ID and changed until no part contains it.
 *
 * Rate limiting (pure, thread-safe):
 *
 * failure_rl_take(rl, addr, per_hour, now_ms): a token bucket per
 * destination address (ASCII case ignored) holding at most per_hour
 * reports, refilled at per_hour an hour, starting full.  1 and one token
 * taken, or 0: over the limit.  The table keeps FAILURE_RL_MAX addresses
 * (or the max given to failure_rl_new()); a new address past that evicts
 * the least recently used one, which starts full again if it comes back.
 * now_ms is the caller's clock (tests inject one); going backwards
 * refills nothing.
 *
 * Sending (the sender thread only):
 *
 * failure_send_job(j, c): RFC 9991 2 and 5 for one job.  Parses j->ruf
 * (mailto: only), verifies external destinations through
 * <policy-domain>._report._dmarc.<host> with rua_verify() (RFC 9991 5,
 * RFC 9990 3; its step 9 replaces an address with the authorizing
 * record's rua=, the tag it knows, where RFC 9991 5 would read ruf=),
 * looks up the SPF record for SPF-DNS when needed, then for
 * each destination: rate limit, build, size limit ("!size"), and
 * send_sendmail() to that address alone.  One log line through c->log per
 * destination: sent, or skipped and why.
 *
 * failure_queue_start(max, fn, arg, &q) starts ONE thread that takes jobs
 * in order and calls fn(arg, job), then frees the job.  failure_queue_put
 * (q, job): 0 when queued (the queue owns the job), -1 when the queue
 * holds max jobs or is stopping (the caller keeps and frees the job).
 * failure_queue_stop(q, wait_ms): refuses new jobs, lets the thread work
 * through what is queued for at most wait_ms, then drops (frees) the rest
 * and returns how many were dropped; the thread is joined if it finished,
 * else left to run out its current job.  failure_queue_free(&q): frees a
 * stopped queue whose thread has ended and returns 0 (also for NULL);
 * otherwise returns -1 and leaves it, with what the thread uses, alone
 * (the process is exiting).  Either way the pointer is cleared.
 */
#ifndef FAILURE_H
#define FAILURE_H

#include <stddef.h>

#include "auth/dkimv.h"
#include "auth/spf.h"
#include "policy/authres.h"
#include "policy/dmarc_policy.h"
#include "policy/dmarc_record.h"
#include "policy/domain.h"

struct verdict;
struct resolver;
struct orgdomain_psl;

/* Postfix keeps at most 102400 bytes of header (header_size_limit); a
 * report needs the first fields, and a queue of reports is held in
 * memory: 64 KiB per message bounds it */
#define FAILURE_HDRS_MAX       65536
#define FAILURE_ADDR_MAX       512  /* an envelope sender as the MTA gives it */
#define FAILURE_QID_MAX	       64   /* a queue id, for log lines */
#define FAILURE_SEL_MAX	       64   /* DKIM s=, as auth/dkimv.h keeps it */
#define FAILURE_SPF_MAX	       1024 /* the SPF record quoted in SPF-DNS */
#define FAILURE_ID_MAX	       64   /* Message-ID left part and boundary seed */
#define FAILURE_RL_MAX	       1024 /* destinations whose buckets are kept */
#define FAILURE_RATE_MAX       3600 /* reports an hour per destination */
#define FAILURE_LINE_MAX       78   /* RFC 5322 2.1.1: fold longer lines */
#define FAILURE_UA_MAX	       64   /* User-Agent */
#define FAILURE_NAME_MAX       256  /* longer field names are not copied */
#define FAILURE_BOUNDARY_TRIES 16   /* boundaries tried before giving up */
/* every ruf URI of a record with its "!size", comma-separated */
#define FAILURE_RUF_MAX	       (DMARC_URIS_MAX * (DMARC_URI_MAX + 24))
#define FAILURE_REDACTED       "redacted" /* replaces redacted local parts */

#define FAILURE_ALIGN_DKIM 0x1
#define FAILURE_ALIGN_SPF  0x2

unsigned failure_wanted(const struct verdict *v);
unsigned failure_alignment(const struct verdict *v);

struct failure_hdrs {
	char *buf; /* per field: name NUL value NUL, in order */
	size_t len, cap;
	size_t nfields;
	size_t dropped; /* fields not kept */
	int truncated;
	int is_report; /* Content-Type: multipart/report */
};

void failure_hdrs_init(struct failure_hdrs *h);
int failure_hdrs_add(struct failure_hdrs *h, const char *name,
    const char *value);
void failure_hdrs_clear(struct failure_hdrs *h);

/* RFC 6591 3.1 / RFC 5965 3.2 Delivery-Result */
enum failure_delivery {
	FAILURE_DELIVERED,
	FAILURE_SPAM,
	FAILURE_POLICY,
	FAILURE_REJECT,
	FAILURE_OTHER
};

/* what a verdict does not hold */
struct failure_env {
	const char *queue_id;  /* for log lines */
	const char *client_ip; /* "" if none */
	const char *mail_from; /* envelope sender as given: "<a@b>", "<>" */
	long long arrival;     /* seconds since the epoch */
	enum failure_delivery delivery;
};

struct failure_job {
	unsigned why;	/* DMARC_FO_* that asked for it */
	unsigned align; /* FAILURE_ALIGN_* */
	enum failure_delivery delivery;
	long long arrival;
	char queue_id[FAILURE_QID_MAX];
	char source_ip[64];
	char mail_from[FAILURE_ADDR_MAX + 1];
	char header_from[DOMAIN_MAX + 1];   /* Reported-Domain */
	char policy_domain[DOMAIN_MAX + 1]; /* whose ruf */
	char authres[AUTHRES_MAX];	    /* our A-R field body */
	int has_dkim;			    /* the DKIM-* fields are written */
	char dkim_domain[DOMAIN_MAX + 1];
	char dkim_selector[FAILURE_SEL_MAX + 1];
	int has_spf; /* SPF-DNS is written when spf_dns is set */
	char spf_domain[DOMAIN_MAX + 1];
	char spf_dns[FAILURE_SPF_MAX + 1]; /* failure_send_job() fills it */
	char ruf[FAILURE_RUF_MAX];
	struct failure_hdrs hdrs;
};

int failure_job_new(const struct verdict *v, const struct failure_env *env,
    struct failure_hdrs *hdrs, unsigned why, struct failure_job **job_r);
void failure_job_free(struct failure_job **job);

struct failure_opts {
	const char *from;	/* ReportEmail */
	const char *reporter;	/* ReportDomain: the Message-ID's domain */
	const char *user_agent; /* "dmarc-milter/1.0" */
	const char *id;		/* unique: 1*(ALPHA / DIGIT / ".") */
	long long date;		/* Date:, seconds since the epoch */
	int redact;		/* FailureReportsRedact */
};

int failure_build(const struct failure_job *j, const struct failure_opts *o,
    const char *to, char **msg_r, size_t *len_r, const char **errstr_r);

struct failure_rl;

struct failure_rl *failure_rl_new(size_t max);
void failure_rl_free(struct failure_rl **rl);
int failure_rl_take(struct failure_rl *rl, const char *addr, unsigned per_hour,
    long long now_ms);
size_t failure_rl_count(struct failure_rl *rl);

/* how failure_send_job() works; the caller's, for one job */
struct failure_ctx {
	struct resolver *res;
	const struct orgdomain_psl *psl; /* OrgDomainMethod psl, or NULL */
	const char *sendmail_path;
	const char *from;     /* ReportEmail (or its default) */
	const char *reporter; /* ReportDomain (or its default) */
	const char *user_agent;
	int redact;
	unsigned rate; /* per hour per destination */
	struct failure_rl *rl;
	long long now_ms; /* 0: the clock */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

void failure_send_job(struct failure_job *j, const struct failure_ctx *c);

/*
 * failure_defaults - ReportDomain (empty: this host's name, which must be
 * a domain name) and ReportEmail (empty: noreply-dmarc@ReportDomain) into
 * dom and email; 0, or -1 with *errstr_r
 */
int failure_defaults(const char *report_domain, const char *report_email,
    char *dom, size_t domlen, char *email, size_t emaillen,
    const char **errstr_r);

struct failure_queue;
typedef void failure_handler(void *arg, struct failure_job *job);

int failure_queue_start(size_t max, failure_handler *fn, void *arg,
    struct failure_queue **q_r);
int failure_queue_put(struct failure_queue *q, struct failure_job *job);
size_t failure_queue_stop(struct failure_queue *q, unsigned wait_ms);
int failure_queue_free(struct failure_queue **q);

#endif
