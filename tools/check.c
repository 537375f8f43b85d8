/*
 * check.c - "dmarcctl check": audit one domain's DMARC, SPF and DKIM
 *
 * Everything is asked first and kept in one struct check (heap: about
 * 280 KB), then printed once, as text or as JSON, so that both show the
 * same facts.  Every DNS answer is hostile: records are copied with
 * non-printable bytes replaced (show_dup()) before anything prints them,
 * and every loop over DNS data is bounded by the caps below.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <idn2.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "auth/spf.h"
#include "conf/config.h"
#include "policy/dmarc_record.h"
#include "policy/dmarc_walk.h"
#include "policy/domain.h"
#include "report/rua.h"
#include "tools/check.h"
#include "tools/dmarcctl.h"
#include "tools/json.h"

#define CHECK_SELECTORS_MAX   32  /* --selector options; more is a typo */
#define CHECK_FINDINGS_MAX    160 /* enough for every code a few times */
#define CHECK_MSG_MAX	      384 /* one finding: a sentence and 2 names */
/* octets of a DNS record shown: a record can be 64 KB of anyone's text */
#define CHECK_SHOW_MAX	      600
#define CHECK_WALK_SHOW	      4	  /* DMARC records shown per walk query */
#define CHECK_TAGS_MAX	      24  /* tags of the DMARC record explained */
#define CHECK_VALUE_SHOW      120 /* octets of a tag value shown */
#define CHECK_MEANING_MAX     512 /* one tag explained */
#define CHECK_SPF_NODES_MAX   64  /* SPF records fetched in one tree */
/* include/redirect nesting followed: a deeper chain is past the limit of
 * 10 DNS-querying terms (RFC 7208 4.6.4) anyway */
#define CHECK_SPF_DEPTH_MAX   11
#define CHECK_SPF_QUERIES_MAX 120 /* DNS queries of the SPF walk */
#define CHECK_SPF_NOTES_MAX   8	  /* notes (void terms...) per record */
#define CHECK_NOTE_MAX	      160 /* one note */
#define CHECK_TERM_SHOW	      96  /* octets of an SPF term shown */
/* decoded p= octets: the DER of a 16384-bit RSA key is about 2 KB */
#define CHECK_DKIM_KEY_MAX    4096
#define CHECK_NEXT_MAX	      8			 /* next steps listed */
#define CHECK_EXT_PREFIX      "._report._dmarc." /* RFC 9990 3 */

/*
 * Selectors tried when none is given: the defaults of common mail
 * software and large senders.  Keep in step with dmarcctl(1).
 */
static const char *const common_selectors[] = {"default", "dkim", "mail",
    "selector1", "selector2", "google", "k1", "k2", "k3", "s1", "s2", "key1",
    "key2", "sig1", "smtp", "mx", "fm1", "fm2", "fm3", "protonmail",
    "protonmail2", "protonmail3", "zoho", "mandrill", NULL};
#define CHECK_COMMON_MAX 24 /* entries of common_selectors[] */
_Static_assert(sizeof(common_selectors) / sizeof(common_selectors[0]) ==
	CHECK_COMMON_MAX + 1,
    "CHECK_COMMON_MAX");
#define CHECK_DKIM_MAX                                                         \
	(CHECK_SELECTORS_MAX > CHECK_COMMON_MAX ? CHECK_SELECTORS_MAX          \
						: CHECK_COMMON_MAX)

/* OK lines are shown on a terminal as a check mark, never in JSON */
enum check_level { LV_OK, LV_INFO, LV_WARNING, LV_ERROR };

static const char *const level_names[] = {"ok", "info", "warning", "error"};

struct check_finding {
	enum check_level level;
	const char *area; /* "dmarc", "spf", "dkim" */
	const char *code; /* NULL for LV_OK */
	char msg[CHECK_MSG_MAX];
};

/* one query of the DNS Tree Walk */
struct check_step {
	char qname[DMARC_WALK_QNAME_MAX];
	enum resolver_status st;
	const char *why; /* static, for TEMPFAIL and INVALID */
	size_t ntxt, ndmarc;
	char *badver; /* a TXT that looks like DMARC but is not, shown */
	char *raw;    /* the first DMARC record, rawlen octets */
	size_t rawlen;
	char *show[CHECK_WALK_SHOW]; /* DMARC records, printable */
};

struct check_tag {
	int noeq; /* no '=': a name alone */
	char name[16];
	char value[CHECK_VALUE_SHOW];
	char meaning[CHECK_MEANING_MAX];
};

struct check_dmarc {
	struct dmarc_walk walk;
	struct dmarc_discovery disc;
	struct check_step step[DMARC_WALK_MAX];
	const struct check_step *applied; /* step of disc.step, or NULL */
	const struct dmarc_record *rec;	  /* when it parsed OK */
	enum dmarc_p policy;		  /* for the checked domain */
	const char *policy_tag;		  /* "p" or "sp" */
	int at_org;			  /* record at an org domain or PSD */
	size_t ntag;
	struct check_tag tag[CHECK_TAGS_MAX];
	int have_rua, have_ruf;
	struct rua_list rua, ruf;
};

struct check_spf_node {
	int parent; /* -1 for the domain's own record */
	size_t depth;
	const char *via;	    /* "top", "include", "redirect" */
	char term[CHECK_TERM_SHOW]; /* as published, "" at the top */
	char domain[DOMAIN_MAX + 1];
	/* "ok", "none", "multiple", "syntax", "dns-error", "loop",
	 * "not-followed" */
	const char *status;
	char *record;		 /* printable, or NULL */
	const char *err;	 /* static */
	unsigned lookups, voids; /* of this record's own terms */
	char all;		 /* '+', '-', '~', '?', or 0 */
	int redirect;		 /* the redirect child, or -1 */
	size_t nnote;
	char note[CHECK_SPF_NOTES_MAX][CHECK_NOTE_MAX];
};

struct check_spf {
	size_t nnode;
	struct check_spf_node node[CHECK_SPF_NODES_MAX];
	unsigned lookups, voids, queries;
	int truncated;
	char all; /* what the domain's record ends in, after redirects */
};

struct check_dkim {
	char selector[DOMAIN_MAX + 1];
	char name[DOMAIN_MAX + 1];
	const char *status; /* "found", "missing", "dns-error" */
	char *record;	    /* printable, or NULL */
	size_t nrec;
	char ktype[16]; /* "rsa", "ed25519", or as published */
	unsigned bits;
	int testing, revoked, usable;
	const char *err; /* static: why the key is unusable */
};

struct check {
	struct resolver *res;
	const struct orgdomain_psl *psl;
	char domain[DOMAIN_MAX + 1];
	int color;
	size_t nfind, nlost;
	struct check_finding find[CHECK_FINDINGS_MAX];
	struct check_dmarc dmarc;
	struct check_spf spf;
	int probing; /* no --selector: common_selectors[] */
	size_t nprobed, ndkim;
	struct check_dkim dkim[CHECK_DKIM_MAX];
	const char *stage;
	int partial;
	size_t nnext;
	char next[CHECK_NEXT_MAX][CHECK_MSG_MAX];
};

/* ------------------------------------------------------------ helpers */

static void
oom(void)
{
	fprintf(stderr, "dmarcctl: out of memory\n");
	exit(1);
}

/* show_copy - printable copy of hostile text, cut with "..." */
static void
show_copy(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t i, n;

	if (dstlen == 0)
		return;
	n = len < dstlen - 1 ? len : dstlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = '\0';
	if (n < len && dstlen >= 4)
		memcpy(dst + dstlen - 4, "...", 4);
}

/* show_dup - heap copy of show_copy(), at most CHECK_SHOW_MAX octets */
static char *
show_dup(const char *src, size_t len)
{
	char *s;

	if ((s = malloc(CHECK_SHOW_MAX + 1)) == NULL)
		oom();
	show_copy(s, CHECK_SHOW_MAX + 1, src, len);
	return s;
}

/* add - one finding; text outside printable ASCII is replaced */
static void __attribute__((format(printf, 5, 6)))
add(struct check *c, enum check_level lv, const char *area, const char *code,
    const char *fmt, ...)
{
	struct check_finding *f;
	va_list ap;
	char *p;

	if (c->nfind == CHECK_FINDINGS_MAX) {
		c->nlost++;
		return;
	}
	f = &c->find[c->nfind++];
	f->level = lv;
	f->area = area;
	f->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	for (p = f->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

/* has - was a finding with this code made? */
static const struct check_finding *
has(const struct check *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->nfind; i++)
		if (c->find[i].code != NULL &&
		    strcmp(c->find[i].code, code) == 0)
			return &c->find[i];
	return NULL;
}

/* next_step - one more step for the owner, in order of urgency */
static void __attribute__((format(printf, 2, 3)))
next_step(struct check *c, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (c->nnext == CHECK_NEXT_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(c->next[c->nnext], CHECK_MSG_MAX, fmt, ap);
	va_end(ap);
	for (p = c->next[c->nnext]; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	c->nnext++;
}

static int
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* is_fws - RFC 6376 3.2: FWS inside tag lists, folding included */
static int
is_fws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

struct span {
	const char *p;
	size_t n;
};

static struct span
trim_fws(const char *p, size_t n)
{
	struct span s = {p, n};

	while (s.n > 0 && is_fws(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_fws(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* span_is - span equals word, ASCII case-insensitive */
static int
span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

static enum dmarc_dns
dns_of(enum resolver_status st)
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

static int
is_void(enum resolver_status st)
{
	/* RFC 7208 4.6.4: NXDOMAIN, or an answer with no record */
	return st == RESOLVER_NXDOMAIN || st == RESOLVER_NODATA;
}

/* ------------------------------------------------------------- DMARC */

/* looks_like_dmarc - "v=DMARC..." that dmarc_record_is_dmarc() refused */
static int
looks_like_dmarc(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(txt[i]))
		i++;
	if (i == len || (txt[i] != 'v' && txt[i] != 'V'))
		return 0;
	for (i++; i < len && is_wsp(txt[i]); i++)
		;
	if (i == len || txt[i] != '=')
		return 0;
	for (i++; i < len && is_wsp(txt[i]); i++)
		;
	return len - i >= 5 && strncasecmp(txt + i, "dmarc", 5) == 0;
}

static const char *
policy_meaning(enum dmarc_p p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "no action: failing mail is delivered as usual and only "
		       "reported (monitoring)";
	case DMARC_P_QUARANTINE:
		return "failing mail is to be treated as suspicious "
		       "(spam folder, held)";
	case DMARC_P_REJECT:
		return "failing mail is to be refused";
	case DMARC_P_UNSPEC:
		break;
	}
	return "";
}

/* tag_warning - the parser's complaint about a tag, or NULL */
static const char *
tag_warning(const struct dmarc_record *rec, struct span name)
{
	size_t i;

	for (i = 0; i < rec->nwarn; i++) {
		const char *why = rec->warn[i].why;

		/* about a later copy of the tag, not the one that counts */
		if (strstr(why, "duplicate tag") != NULL ||
		    strstr(why, "no '='") != NULL)
			continue;
		if (strlen(rec->warn[i].tag) == name.n &&
		    strncasecmp(rec->warn[i].tag, name.p, name.n) == 0)
			return why;
	}
	return NULL;
}

/* explain - plain words for one tag of the applied record */
static void
explain(const struct check *c, struct span name, char *out, size_t outlen)
{
	const struct check_dmarc *d = &c->dmarc;
	const struct dmarc_record *r = d->rec; /* never NULL here */
	const char *w = tag_warning(r, name);
	int sub_ok = d->at_org;

	if (span_is(name, "v")) {
		(void)snprintf(out, outlen, "version: this is a DMARC record");
	} else if (w != NULL && !span_is(name, "rua") &&
	    !span_is(name, "ruf")) {
		(void)snprintf(out, outlen,
		    "not valid (%s): receivers use the default", w);
	} else if (span_is(name, "p")) {
		(void)snprintf(out, outlen, "policy for %s: %s",
		    d->disc.policy_domain, policy_meaning(r->p));
	} else if (span_is(name, "sp")) {
		(void)snprintf(out, outlen,
		    "policy for existing subdomains: %s%s",
		    policy_meaning(r->sp),
		    sub_ok ? "" : " (ignored: not an organizational domain)");
	} else if (span_is(name, "np")) {
		(void)snprintf(out, outlen,
		    "policy for non-existent subdomains: %s%s",
		    policy_meaning(r->np),
		    sub_ok ? "" : " (ignored: not an organizational domain)");
	} else if (span_is(name, "t")) {
		(void)snprintf(out, outlen, "%s",
		    r->testing
			? "testing: receivers apply one step less "
			  "(reject as quarantine, quarantine as none)"
			: "not testing: the policy applies as published");
	} else if (span_is(name, "psd")) {
		(void)snprintf(out, outlen, "%s",
		    r->psd == DMARC_PSD_Y ? "public suffix domain: the "
					    "record of a registry (PSO)"
			: r->psd == DMARC_PSD_N
			? "this domain is the organizational domain of "
			  "itself and its subdomains"
			: "unknown: the DNS Tree Walk decides");
	} else if (span_is(name, "adkim") || span_is(name, "aspf")) {
		int s = span_is(name, "adkim") ? r->adkim == DMARC_AMODE_STRICT
					       : r->aspf == DMARC_AMODE_STRICT;

		(void)snprintf(out, outlen, "%s alignment %s",
		    span_is(name, "adkim") ? "DKIM d=" : "SPF MAIL FROM",
		    s ? "strict: must equal the From: domain exactly"
		      : "relaxed: any domain of the same organization "
			"counts");
	} else if (span_is(name, "fo")) {
		(void)snprintf(out, outlen, "failure report options:%s%s%s%s%s",
		    r->fo & DMARC_FO_0 ? " 0 (when all checks fail)" : "",
		    r->fo & DMARC_FO_1 ? " 1 (when any check fails)" : "",
		    r->fo & DMARC_FO_D ? " d (DKIM failures)" : "",
		    r->fo & DMARC_FO_S ? " s (SPF failures)" : "",
		    r->nruf > 0 ? "" : "; ignored without ruf=");
	} else if (span_is(name, "rua")) {
		(void)snprintf(out, outlen,
		    "aggregate reports (daily summaries of who sends as "
		    "the domain) go to %zu address%s",
		    r->nrua, r->nrua == 1 ? "" : "es");
	} else if (span_is(name, "ruf")) {
		(void)snprintf(out, outlen,
		    "failure reports (one per failing message; few receivers "
		    "send them) go to %zu address%s",
		    r->nruf, r->nruf == 1 ? "" : "es");
	} else if (span_is(name, "pct")) {
		(void)snprintf(out, outlen,
		    "legacy (RFC 7489, removed in RFC 9989): apply the policy "
		    "to %d%% of failing mail%s",
		    r->pct, r->pct == 0 ? " (read as t=y)" : "");
	} else if (span_is(name, "rf")) {
		(void)snprintf(out, outlen,
		    "legacy (RFC 7489, removed in RFC 9989): failure report "
		    "format; ignored");
	} else if (span_is(name, "ri")) {
		(void)snprintf(out, outlen,
		    "legacy (RFC 7489, removed in RFC 9989): report every %u "
		    "seconds; reports are daily",
		    r->ri);
	} else {
		(void)snprintf(out, outlen,
		    "unknown tag: ignored by receivers (RFC 9989 4.7)");
	}
}

/* tags - split the applied record into tags and explain each */
static void
tags(struct check *c, const struct check_step *s)
{
	static const char *const known[] = {"v", "p", "sp", "np", "t", "psd",
	    "adkim", "aspf", "fo", "rua", "ruf", "pct", "rf", "ri", NULL};
	struct check_dmarc *d = &c->dmarc;
	const char *p = s->raw, *end = s->raw + s->rawlen, *semi, *eq;
	unsigned seen = 0;
	size_t k;
	int dup;

	for (; p < end; p = semi + 1) {
		struct span seg, name, val;
		struct check_tag *t;

		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		seg = trim_fws(p, (size_t)(semi - p));
		if (seg.n == 0)
			continue;
		eq = memchr(seg.p, '=', seg.n);
		name =
		    trim_fws(seg.p, eq != NULL ? (size_t)(eq - seg.p) : seg.n);
		val = eq != NULL
		    ? trim_fws(eq + 1, (size_t)(seg.p + seg.n - eq - 1))
		    : (struct span){seg.p + seg.n, 0};
		for (k = 0; known[k] != NULL && !span_is(name, known[k]); k++)
			;
		/* RFC 9989 4.7: the first of a known tag counts */
		dup = known[k] != NULL && eq != NULL && (seen & (1u << k));
		if (known[k] != NULL && eq != NULL && !dup) {
			seen |= 1u << k;
			if (d->rec != NULL && strcmp(known[k], "rua") == 0) {
				d->have_rua = 1;
				rua_parse(val.p, val.n, &d->rua);
			} else if (d->rec != NULL &&
			    strcmp(known[k], "ruf") == 0) {
				d->have_ruf = 1;
				rua_parse(val.p, val.n, &d->ruf);
			}
		}
		if (d->ntag == CHECK_TAGS_MAX)
			continue;
		t = &d->tag[d->ntag++];
		t->noeq = eq == NULL;
		show_copy(t->name, sizeof(t->name), name.p, name.n);
		show_copy(t->value, sizeof(t->value), val.p, val.n);
		if (eq == NULL)
			(void)snprintf(t->meaning, sizeof(t->meaning),
			    "no '=': ignored");
		else if (dup)
			(void)snprintf(t->meaning, sizeof(t->meaning),
			    "given twice: this one is ignored");
		else if (d->rec == NULL)
			t->meaning[0] = '\0';
		else
			explain(c, name, t->meaning, sizeof(t->meaning));
		if (known[k] == NULL && eq != NULL && d->rec != NULL)
			add(c, LV_INFO, "dmarc", "dmarc-unknown-tag",
			    "unknown tag \"%s\" is ignored by receivers "
			    "(a typo?)",
			    t->name);
	}
}

/* addr_status - what a report address comes to, for text and JSON */
static const char *
addr_status(const struct rua_dest *a)
{
	switch (a->status) {
	case RUA_OK:
		return a->external ? "authorized" : "same-organization";
	case RUA_UNVERIFIED:
		return "unauthorized";
	case RUA_UNSUPPORTED:
		return "unsupported";
	case RUA_INVALID:
		return "invalid";
	case RUA_DUPLICATE:
		return "duplicate";
	case RUA_TEMPFAIL:
		return "tempfail";
	}
	return "invalid";
}

/* report_addrs - RFC 9990 3 / RFC 9991: may reports go there? */
static void
report_addrs(struct check *c, struct rua_list *l, const char *tag)
{
	const char *pd = c->dmarc.disc.policy_domain;
	size_t i, nok;
	int ruf = strcmp(tag, "ruf") == 0;

	nok = rua_verify(l, pd, c->res, c->psl);
	for (i = 0; i < l->n; i++) {
		const struct rua_dest *a = &l->d[i];

		switch (a->status) {
		case RUA_OK:
			if (a->external)
				add(c, LV_OK, "dmarc", NULL,
				    "%s %s: outside the organization, "
				    "authorized by %s%s%s",
				    tag, a->uri, pd, CHECK_EXT_PREFIX,
				    a->domain);
			else
				add(c, LV_OK, "dmarc", NULL,
				    "%s %s: same organization", tag, a->uri);
			break;
		case RUA_UNVERIFIED:
			add(c, LV_WARNING, "dmarc",
			    ruf ? "dmarc-ruf-unauthorized"
				: "dmarc-rua-unauthorized",
			    "%s %s: %s; receivers send no reports there "
			    "until %s%s%s has a TXT record \"v=DMARC1\" "
			    "(RFC 9990 3)",
			    tag, a->uri, a->why, pd, CHECK_EXT_PREFIX,
			    a->domain);
			break;
		case RUA_TEMPFAIL:
			add(c, LV_WARNING, "dmarc",
			    ruf ? "dmarc-ruf-dns-error" : "dmarc-rua-dns-error",
			    "%s %s: %s", tag, a->uri, a->why);
			break;
		case RUA_INVALID:
			add(c, LV_WARNING, "dmarc",
			    ruf ? "dmarc-ruf-invalid" : "dmarc-rua-invalid",
			    "%s %s: %s: receivers ignore it", tag, a->uri,
			    a->why != NULL ? a->why : "invalid");
			break;
		case RUA_UNSUPPORTED:
			add(c, LV_WARNING, "dmarc",
			    ruf ? "dmarc-ruf-unsupported"
				: "dmarc-rua-unsupported",
			    "%s %s: only mailto: is sure to be supported; "
			    "receivers ignore other schemes",
			    tag, a->uri);
			break;
		case RUA_DUPLICATE:
			add(c, LV_INFO, "dmarc",
			    ruf ? "dmarc-ruf-duplicate" : "dmarc-rua-duplicate",
			    "%s %s: given twice", tag, a->uri);
			break;
		}
	}
	if (l->ndropped > 0)
		add(c, LV_WARNING, "dmarc",
		    ruf ? "dmarc-ruf-invalid" : "dmarc-rua-invalid",
		    "%s: %zu more addresses ignored", tag, l->ndropped);
	for (i = 0; i < l->n; i++)
		if (l->d[i].status == RUA_TEMPFAIL)
			nok++; /* unknown yet: the DNS error says it */
	if (!ruf && nok == 0)
		add(c, LV_WARNING, "dmarc", "dmarc-no-rua",
		    "no rua= address can receive aggregate reports: you "
		    "cannot see who sends mail as %s",
		    c->domain);
}

static int
policy_rank(enum dmarc_p p)
{
	return p == DMARC_P_REJECT ? 3 : p == DMARC_P_QUARANTINE ? 2 : 1;
}

/* dmarc_policy_checks - p, sp, np, t, pct and the legacy tags */
static void
dmarc_policy_checks(struct check *c)
{
	struct check_dmarc *d = &c->dmarc;
	const struct dmarc_record *r = d->rec;
	const char *pd = d->disc.policy_domain;
	enum dmarc_p sub;
	size_t i;

	/* the policy that applies to the checked domain (RFC 9989 4.10.1;
	 * np only for names that do not exist, which this one does not) */
	d->policy = r->p;
	d->policy_tag = "p";
	if (d->disc.source != DMARC_SRC_AUTHOR && r->sp != DMARC_P_UNSPEC) {
		d->policy = r->sp;
		d->policy_tag = "sp";
	}
	switch (d->policy) {
	case DMARC_P_REJECT:
		add(c, LV_OK, "dmarc", NULL,
		    "%s=reject: mail failing DMARC is to be refused",
		    d->policy_tag);
		break;
	case DMARC_P_QUARANTINE:
		add(c, LV_INFO, "dmarc", "dmarc-policy-quarantine",
		    "%s=quarantine: failing mail goes to spam; p=reject is "
		    "the last step",
		    d->policy_tag);
		break;
	default:
		add(c, LV_WARNING, "dmarc", "dmarc-policy-none",
		    "%s=none: mail failing DMARC is delivered as usual; the "
		    "record only asks for reports (monitoring)",
		    d->policy_tag);
		break;
	}
	if (r->testing && d->policy != DMARC_P_NONE)
		add(c, LV_WARNING, "dmarc", "dmarc-testing",
		    "t=y (testing): receivers apply %s instead of %s",
		    d->policy == DMARC_P_REJECT ? "quarantine" : "none",
		    dmarc_p_str(d->policy));
	if (r->pct_explicit) {
		if (r->pct < 100 && d->policy != DMARC_P_NONE)
			add(c, LV_WARNING, "dmarc", "dmarc-pct",
			    "pct=%d (RFC 7489, removed in RFC 9989): older "
			    "receivers apply the policy to %d%% of failing "
			    "mail, newer ones read pct<100 as t=y",
			    r->pct, r->pct);
		else
			add(c, LV_INFO, "dmarc", "dmarc-legacy-tag",
			    "pct= was removed in RFC 9989: drop it");
	}
	for (i = 0; i < d->ntag; i++)
		if (strcasecmp(d->tag[i].name, "rf") == 0 ||
		    strcasecmp(d->tag[i].name, "ri") == 0)
			add(c, LV_INFO, "dmarc", "dmarc-legacy-tag",
			    "%s= was removed in RFC 9989 and is ignored: "
			    "drop it",
			    d->tag[i].name);

	/* subdomains: sp and np count only at an org domain or PSD */
	if (!d->at_org) {
		if (r->sp != DMARC_P_UNSPEC || r->np != DMARC_P_UNSPEC)
			add(c, LV_INFO, "dmarc", "dmarc-sp-ignored",
			    "sp=/np= at %s are ignored: it is not an "
			    "organizational domain (RFC 9989 4.10.1)",
			    pd);
	} else {
		sub = r->sp != DMARC_P_UNSPEC ? r->sp : r->p;
		if (r->sp != DMARC_P_UNSPEC &&
		    policy_rank(r->sp) < policy_rank(r->p))
			add(c, LV_WARNING, "dmarc", "dmarc-sp-weaker",
			    "sp=%s is weaker than p=%s: mail from "
			    "subdomains of %s is less protected",
			    dmarc_p_str(r->sp), dmarc_p_str(r->p), pd);
		if (r->np != DMARC_P_UNSPEC &&
		    policy_rank(r->np) < policy_rank(sub))
			add(c, LV_WARNING, "dmarc", "dmarc-np-weaker",
			    "np=%s is weaker than %s=%s: anyone can send as "
			    "made-up subdomains of %s",
			    dmarc_p_str(r->np),
			    r->sp != DMARC_P_UNSPEC ? "sp" : "p",
			    dmarc_p_str(sub), pd);
	}
	if (r->psd == DMARC_PSD_Y && d->disc.source == DMARC_SRC_AUTHOR)
		add(c, LV_WARNING, "dmarc", "dmarc-psd-flag",
		    "psd=y declares %s a public suffix (a registry): its "
		    "subdomains become separate organizations",
		    pd);
	if (d->have_ruf == 0 && (r->fo & ~(unsigned)DMARC_FO_0) != 0)
		add(c, LV_INFO, "dmarc", "dmarc-fo-without-ruf",
		    "fo= is ignored without ruf=");
}

/* dmarc_run - the DNS Tree Walk and everything about the record found */
static void
dmarc_run(struct check *c)
{
	struct check_dmarc *d = &c->dmarc;
	const char *txt[RESOLVER_RR_MAX];
	size_t len[RESOLVER_RR_MAX], n, i, k;
	char qname[DMARC_WALK_QNAME_MAX];
	const struct check_step *s;

	dmarc_walk_init(&d->walk, c->domain);
	while (dmarc_walk_next(&d->walk, qname, sizeof(qname)) == 1) {
		struct check_step *st = &d->step[d->walk.nstep];
		struct resolver_answer *a = NULL;

		(void)strlcpy(st->qname, qname, sizeof(st->qname));
		st->st = resolver_query(c->res, qname, RESOLVER_T_TXT, &a);
		st->why = a->why;
		for (i = n = 0; st->st == RESOLVER_OK && i < a->nrr; i++) {
			const char *t = (const char *)a->rr[i].data;
			size_t tl = a->rr[i].len;

			if (a->rr[i].type != RESOLVER_T_TXT)
				continue;
			txt[n] = t;
			len[n++] = tl;
			if (dmarc_record_is_dmarc(t, tl)) {
				if (st->ndmarc < CHECK_WALK_SHOW)
					st->show[st->ndmarc] = show_dup(t, tl);
				if (st->ndmarc++ == 0) {
					if ((st->raw = malloc(tl + 1)) == NULL)
						oom();
					memcpy(st->raw, t, tl);
					st->raw[tl] = '\0';
					st->rawlen = tl;
				}
			} else if (looks_like_dmarc(t, tl) &&
			    st->badver == NULL)
				st->badver = show_dup(t, tl);
		}
		st->ntxt = n;
		dmarc_walk_feed(&d->walk, dns_of(st->st), txt, len, n);
		resolver_answer_free(&a);
	}
	dmarc_walk_discover(&d->walk, &d->disc);

	if (d->disc.tempfail) {
		s = &d->step[d->walk.nstep - 1];
		add(c, LV_ERROR, "dmarc", "dmarc-dns-error",
		    "DNS lookup of %s failed (%s): receivers answer "
		    "temperror; the check is incomplete",
		    s->qname, s->why != NULL ? s->why : "temporary failure");
		return;
	}
	/* the names the owner controls: the domain and its org domain */
	for (i = 0; i < d->walk.nstep; i++) {
		s = &d->step[i];
		if (i != 0 &&
		    !domain_equal(d->walk.step[i].domain, d->disc.org_domain))
			continue;
		if (d->walk.step[i].multiple)
			add(c, LV_ERROR, "dmarc", "dmarc-multiple-records",
			    "%zu DMARC records at %s: receivers discard them "
			    "all, as if there were none (RFC 9989 4.10)",
			    s->ndmarc, s->qname);
		if (s->badver != NULL)
			add(c, LV_ERROR, "dmarc", "dmarc-bad-version",
			    "the TXT record \"%.60s\" at %s looks like DMARC "
			    "but is ignored: it must start with "
			    "\"v=DMARC1;\" exactly",
			    s->badver, s->qname);
	}
	if (d->disc.step == NULL) {
		add(c, LV_ERROR, "dmarc", "dmarc-missing",
		    "no usable DMARC record for %s: receivers apply no "
		    "policy and send no reports",
		    c->domain);
		return;
	}
	k = (size_t)(d->disc.step - d->walk.step);
	d->applied = s = &d->step[k];
	d->at_org = d->disc.source == DMARC_SRC_PSD ||
	    domain_equal(d->disc.policy_domain, d->disc.org_domain);
	switch (d->disc.source) {
	case DMARC_SRC_ORG:
		add(c, LV_INFO, "dmarc", "dmarc-inherited",
		    "%s has no record of its own: the record of its "
		    "organizational domain %s applies",
		    c->domain, d->disc.policy_domain);
		break;
	case DMARC_SRC_PSD:
		add(c, LV_WARNING, "dmarc", "dmarc-from-psd",
		    "only the public suffix record at %s applies to %s: "
		    "publish a record of your own",
		    s->qname, c->domain);
		break;
	default:
		break;
	}
	if (d->disc.step->status != DMARC_RECORD_OK) {
		add(c, LV_ERROR, "dmarc", "dmarc-invalid",
		    "the record at %s cannot be used (%s): receivers treat "
		    "it as permerror and apply no policy",
		    s->qname, d->disc.step->err);
		d->rec = NULL;
		tags(c, s);
		return;
	}
	d->rec = &d->disc.step->rec;
	add(c, LV_OK, "dmarc", NULL, "DMARC record at %s", s->qname);
	tags(c, s);
	for (i = 0; i < d->rec->nwarn; i++) {
		const struct dmarc_warning *w = &d->rec->warn[i];

		/* bad rua/ruf URIs are reported per address below */
		if ((strncasecmp(w->tag, "rua", 4) == 0 ||
			strncasecmp(w->tag, "ruf", 4) == 0) &&
		    strstr(w->why, "too many") == NULL)
			continue;
		add(c, LV_WARNING, "dmarc", "dmarc-tag-invalid", "%s", w->why);
	}
	dmarc_policy_checks(c);
	if (!d->have_rua)
		add(c, LV_WARNING, "dmarc", "dmarc-no-rua",
		    "no rua=: you receive no aggregate reports, so you "
		    "cannot see who sends mail as %s",
		    c->domain);
	else
		report_addrs(c, &d->rua, "rua");
	if (d->have_ruf)
		report_addrs(c, &d->ruf, "ruf");
}

/* --------------------------------------------------------------- SPF */

/* spf_is_v1 - RFC 7208 4.5: "v=spf1" then a space or the end */
static int
spf_is_v1(const char *p, size_t len)
{
	return len >= 6 && strncasecmp(p, "v=spf1", 6) == 0 &&
	    (len == 6 || p[6] == ' ');
}

static void __attribute__((format(printf, 3, 4)))
note(struct check *c, struct check_spf_node *nd, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (nd->nnote == CHECK_SPF_NOTES_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(nd->note[nd->nnote], CHECK_NOTE_MAX, fmt, ap);
	va_end(ap);
	for (p = nd->note[nd->nnote]; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	nd->nnote++;
	(void)c;
}

/* strip_cidr - RFC 7208 5.6 dual-cidr-length at the end of a or mx */
static size_t
strip_cidr(const char *t, size_t n)
{
	size_t pass, i;

	for (pass = 0; pass < 2; pass++) {
		for (i = n; i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9'; i--)
			;
		if (i == n || i == 0 || t[i - 1] != '/')
			break;
		n = i - 1;
		if (n > 0 && t[n - 1] == '/')
			n--; /* "//" of ip6-cidr-length */
	}
	return n;
}

/* spf_addr_term - a, mx or exists: one lookup, void or not */
static void
spf_addr_term(struct check *c, struct check_spf_node *nd, const char *term,
    const char *target, int mech)
{
	struct resolver_answer *a = NULL;
	enum resolver_status st;
	char shown[CHECK_TERM_SHOW];

	show_copy(shown, sizeof(shown), term, strlen(term));
	if (strchr(target, '%') != NULL) {
		note(c, nd, "%s: macro, resolved only for a message", shown);
		return;
	}
	if (c->spf.queries >= CHECK_SPF_QUERIES_MAX) {
		c->spf.truncated = 1;
		return;
	}
	c->spf.queries++;
	st = resolver_query(c->res, target,
	    mech == 'm' ? RESOLVER_T_MX : RESOLVER_T_A, &a);
	if (mech == 'a' && is_void(st) &&
	    c->spf.queries < CHECK_SPF_QUERIES_MAX) {
		/* a name with an AAAA record is not void for IPv6 */
		resolver_answer_free(&a);
		c->spf.queries++;
		st = resolver_query(c->res, target, RESOLVER_T_AAAA, &a);
	}
	if (is_void(st)) {
		nd->voids++;
		note(c, nd, "%s: void lookup (%s)", shown,
		    resolver_status_str(st));
	} else if (st == RESOLVER_TEMPFAIL || st == RESOLVER_INVALID) {
		note(c, nd, "%s: DNS %s", shown, resolver_status_str(st));
		add(c, LV_ERROR, "spf", "spf-dns-error",
		    "%s in the SPF record of %s: DNS %s (%s)", shown,
		    nd->domain, resolver_status_str(st),
		    a->why != NULL ? a->why : "error");
	} else if (mech == 'm' && a->nrr > SPF_MX_MAX) {
		note(c, nd, "%s: %zu MX records", shown, a->nrr);
		add(c, LV_ERROR, "spf", "spf-mx-too-many",
		    "%s in the SPF record of %s: %zu MX records, more than "
		    "%d is a permerror (RFC 7208 4.6.4)",
		    shown, nd->domain, a->nrr, SPF_MX_MAX);
	}
	resolver_answer_free(&a);
}

/* spf_terms() and spf_visit() recurse once per include and redirect,
 * at most CHECK_SPF_DEPTH_MAX deep.  NOLINTBEGIN(misc-no-recursion) */
static int spf_visit(struct check *c, int parent, const char *via,
    const char *term, const char *target);

/* spf_terms - walk the terms of one checked record */
static void
spf_terms(struct check *c, int idx, const char *rec, size_t len)
{
	struct check_spf_node *nd = &c->spf.node[idx];
	const char *t = rec + 6, *end = rec + len, *redirect = NULL;
	char term[512], target[512], q;
	size_t tl, nl, rl = 0;
	int ptr_seen = 0, child;

	for (;; t += tl) {
		const char *rest;

		while (t < end && *t == ' ')
			t++;
		if (t == end)
			break;
		for (tl = 0; t + tl < end && t[tl] != ' '; tl++)
			;
		if (tl >= sizeof(term)) {
			/* a domain-spec that long cannot resolve */
			c->spf.truncated = 1;
			continue;
		}
		memcpy(term, t, tl);
		term[tl] = '\0';
		for (nl = 0; nl < tl && strchr("=:/", t[nl]) == NULL; nl++)
			;
		if (nl < tl && t[nl] == '=') {
			if (nl == 8 && strncasecmp(t, "redirect", 8) == 0) {
				redirect = t;
				rl = tl;
			}
			continue; /* exp= and unknown modifiers: no query */
		}
		q = strchr("+-~?", term[0]) != NULL ? term[0] : '+';
		rest = term + (strchr("+-~?", term[0]) != NULL);
		for (nl = 0;
		     rest[nl] != '\0' && rest[nl] != ':' && rest[nl] != '/';
		     nl++)
			;
		if (nl == 3 && strncasecmp(rest, "all", 3) == 0) {
			nd->all = q;
		} else if (nl == 7 && strncasecmp(rest, "include", 7) == 0) {
			nd->lookups++;
			if (strchr(rest + 8, '%') != NULL) {
				note(c, nd,
				    "%s: macro, followed only for a "
				    "message",
				    term);
				continue;
			}
			(void)spf_visit(c, idx, "include", term, rest + 8);
			nd = &c->spf.node[idx];
		} else if ((nl == 1 && (rest[0] | 0x20) == 'a') ||
		    (nl == 2 && strncasecmp(rest, "mx", 2) == 0)) {
			size_t n = strip_cidr(rest, strlen(rest));

			nd->lookups++;
			if (n > nl && rest[nl] == ':')
				(void)snprintf(target, sizeof(target), "%.*s",
				    (int)(n - nl - 1), rest + nl + 1);
			else
				(void)strlcpy(target, nd->domain,
				    sizeof(target));
			spf_addr_term(c, nd, term, target, nl == 1 ? 'a' : 'm');
		} else if (nl == 6 && strncasecmp(rest, "exists", 6) == 0) {
			nd->lookups++;
			spf_addr_term(c, nd, term, rest + 7, 'e');
		} else if (nl == 3 && strncasecmp(rest, "ptr", 3) == 0) {
			nd->lookups++;
			if (!ptr_seen++)
				add(c, LV_WARNING, "spf", "spf-ptr",
				    "the SPF record of %s uses ptr: slow, "
				    "unreliable and deprecated (RFC 7208 5.5)",
				    nd->domain);
		}
	}
	if (redirect == NULL)
		return;
	if (nd->all != 0) {
		add(c, LV_INFO, "spf", "spf-redirect-ignored",
		    "the SPF record of %s has both all and redirect=: "
		    "redirect= is ignored (RFC 7208 6.1)",
		    nd->domain);
		return;
	}
	/* RFC 7208 6.1: redirect is a DNS-querying term (4.6.4) */
	nd->lookups++;
	(void)snprintf(term, sizeof(term), "%.*s", (int)rl, redirect);
	if (strchr(term + 9, '%') != NULL) {
		note(c, nd, "%s: macro, followed only for a message", term);
		return;
	}
	child = spf_visit(c, idx, "redirect", term, term + 9);
	c->spf.node[idx].redirect = child;
}

/*
 * spf_visit - fetch and check the SPF record of target, then its terms
 * (depth first, so nodes are in tree order); the node index, or -1
 */
static int
spf_visit(struct check *c, int parent, const char *via, const char *term,
    const char *target)
{
	struct check_spf *sp = &c->spf;
	struct check_spf_node *nd;
	struct resolver_answer *a = NULL;
	const char *text = NULL, *errstr, *what;
	char *out;
	size_t i, nfound = 0, tlen = 0;
	int idx, p, top = parent < 0;

	if (sp->nnode == CHECK_SPF_NODES_MAX) {
		sp->truncated = 1;
		return -1;
	}
	idx = (int)sp->nnode++;
	nd = &sp->node[idx];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->depth = top ? 0 : sp->node[parent].depth + 1;
	nd->via = via;
	nd->redirect = -1;
	show_copy(nd->term, sizeof(nd->term), term, strlen(term));
	show_copy(nd->domain, sizeof(nd->domain), target, strlen(target));
	if (nd->domain[0] != '\0' && nd->domain[strlen(nd->domain) - 1] == '.')
		nd->domain[strlen(nd->domain) - 1] = '\0';
	what = top ? "the domain" : via;

	/* RFC 7208 4.6.4: a loop never ends before the lookup limit */
	for (p = parent; p >= 0; p = sp->node[p].parent) {
		if (domain_equal(sp->node[p].domain, nd->domain)) {
			nd->status = "loop";
			add(c, LV_ERROR, "spf", "spf-include-loop",
			    "SPF loop: %s in the record of %s leads back to "
			    "%s (permerror)",
			    nd->term, sp->node[parent].domain, nd->domain);
			return idx;
		}
	}
	if (nd->depth > CHECK_SPF_DEPTH_MAX ||
	    sp->queries >= CHECK_SPF_QUERIES_MAX) {
		nd->status = "not-followed";
		sp->truncated = 1;
		return idx;
	}
	sp->queries++;
	(void)resolver_query(c->res, nd->domain, RESOLVER_T_TXT, &a);
	switch (a->status) {
	case RESOLVER_OK:
		break;
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA:
		nd->status = "none";
		if (top) {
			add(c, LV_WARNING, "spf", "spf-missing",
			    "no SPF record at %s: receivers cannot tell your "
			    "servers from others (SPF none)",
			    nd->domain);
			goto out;
		}
		nd->voids++; /* RFC 7208 4.6.4 */
		goto missing;
	default:
		nd->status = "dns-error";
		add(c, LV_ERROR, "spf", "spf-dns-error",
		    "DNS %s for the SPF record of %s (%s)",
		    resolver_status_str(a->status), nd->domain,
		    a->why != NULL ? a->why : "error");
		goto out;
	}
	for (i = 0; i < a->nrr; i++) {
		if (a->rr[i].type != RESOLVER_T_TXT ||
		    !spf_is_v1((const char *)a->rr[i].data, a->rr[i].len))
			continue;
		if (nfound++ == 0) {
			text = (const char *)a->rr[i].data;
			tlen = a->rr[i].len;
		}
	}
	if (nfound == 0) {
		nd->status = "none";
		if (top) {
			add(c, LV_WARNING, "spf", "spf-missing",
			    "no SPF record at %s: receivers cannot tell your "
			    "servers from others (SPF none)",
			    nd->domain);
			goto out;
		}
		goto missing;
	}
	nd->record = show_dup(text, tlen);
	if (nfound > 1) {
		/* RFC 7208 4.5 */
		nd->status = "multiple";
		add(c, LV_ERROR, "spf", "spf-multiple-records",
		    "%zu SPF records at %s (%s): a permerror, SPF fails for "
		    "all its mail (RFC 7208 4.5)",
		    nfound, nd->domain, what);
		goto out;
	}
	if ((out = reallocarray(NULL, tlen + 16, 4)) == NULL)
		oom();
	if (spf_record_check(text, tlen, AF_INET, out, (tlen + 16) * 4,
		&errstr) == -1) {
		nd->status = "syntax";
		nd->err = errstr;
		add(c, LV_ERROR, "spf", "spf-syntax",
		    "the SPF record of %s is invalid (%s): a permerror "
		    "(RFC 7208 12)",
		    nd->domain, errstr);
		free(out);
		goto out;
	}
	free(out);
	nd->status = "ok";
	spf_terms(c, idx, text, tlen);
	goto out;
missing:
	/* RFC 7208 5.2 and 6.1: a target without a record is a permerror */
	add(c, LV_ERROR, "spf",
	    strcmp(via, "include") == 0 ? "spf-include-no-record"
					: "spf-redirect-no-record",
	    "%s in the SPF record of %s: %s has no SPF record "
	    "(permerror)",
	    nd->term, sp->node[parent].domain, nd->domain);
out:
	resolver_answer_free(&a);
	return idx;
}
/* NOLINTEND(misc-no-recursion) */

/*
 * spf_all - what the record ends in, following redirect=: the qualifier,
 * 0 for none, or -1 when a redirect= target is broken (reported already)
 */
static int
spf_all(const struct check_spf *sp, int idx)
{
	size_t n;

	for (n = 0; idx >= 0 && n < CHECK_SPF_NODES_MAX; n++) {
		if (strcmp(sp->node[idx].status, "ok") != 0)
			return -1;
		if (sp->node[idx].all != 0)
			return sp->node[idx].all;
		idx = sp->node[idx].redirect;
	}
	return 0;
}

static void
spf_run(struct check *c)
{
	struct check_spf *sp = &c->spf;
	const struct check_spf_node *top;
	size_t i;
	int all;

	(void)spf_visit(c, -1, "top", "", c->domain);
	top = &sp->node[0];
	for (i = 0; i < sp->nnode; i++) {
		sp->lookups += sp->node[i].lookups;
		sp->voids += sp->node[i].voids;
		/* an include that matches everything passes everyone */
		if (sp->node[i].all == '+' &&
		    strcmp(sp->node[i].via, "include") == 0)
			add(c, LV_ERROR, "spf", "spf-plus-all",
			    "%s ends in +all: through it every server on "
			    "the Internet passes SPF for %s",
			    sp->node[i].term, c->domain);
	}
	if (strcmp(top->status, "ok") != 0)
		return;
	add(c, LV_OK, "spf", NULL, "SPF record found at %s", c->domain);
	all = spf_all(sp, 0);
	sp->all = all > 0 ? (char)all : 0;
	switch (all) {
	case '+':
		add(c, LV_ERROR, "spf", "spf-plus-all",
		    "+all: every server on the Internet passes SPF for %s",
		    c->domain);
		break;
	case '?':
		add(c, LV_WARNING, "spf", "spf-neutral-all",
		    "?all: mail from servers not listed is neutral, as if "
		    "there were no SPF; end with -all");
		break;
	case '~':
		add(c, LV_WARNING, "spf", "spf-softfail-all",
		    "~all: mail from servers not listed only soft-fails; "
		    "once every sender is listed, end with -all");
		break;
	case '-':
		add(c, LV_OK, "spf", NULL, "-all: servers not listed fail SPF");
		break;
	case -1:
		break;
	default:
		add(c, LV_WARNING, "spf", "spf-no-all",
		    "no all and no redirect=: servers not listed get "
		    "neutral, as with ?all; end with -all");
		break;
	}
	/* RFC 7208 4.6.4: more is a permerror */
	if (sp->lookups > SPF_DNS_TERMS_MAX)
		add(c, LV_ERROR, "spf", "spf-too-many-lookups",
		    "SPF needs %s%u DNS lookups (limit %d, RFC 7208 4.6.4): "
		    "receivers return permerror and SPF fails for all mail",
		    sp->truncated ? "at least " : "", sp->lookups,
		    SPF_DNS_TERMS_MAX);
	else if (sp->lookups >= SPF_DNS_TERMS_MAX - 2)
		add(c, LV_INFO, "spf", "spf-lookups-near-limit",
		    "SPF needs %u of at most %d DNS lookups: little room "
		    "for another include",
		    sp->lookups, SPF_DNS_TERMS_MAX);
	else
		add(c, LV_OK, "spf", NULL, "%u of at most %d DNS lookups",
		    sp->lookups, SPF_DNS_TERMS_MAX);
	if (sp->voids > SPF_VOID_MAX)
		add(c, LV_ERROR, "spf", "spf-too-many-void-lookups",
		    "SPF has %u void lookups (names without records; limit "
		    "%d, RFC 7208 4.6.4): receivers return permerror",
		    sp->voids, SPF_VOID_MAX);
	if (sp->truncated)
		add(c, LV_INFO, "spf", "spf-check-limit",
		    "the include tree is larger than this check follows "
		    "(%d records, %d levels, %d queries): counts are "
		    "minimums",
		    CHECK_SPF_NODES_MAX, CHECK_SPF_DEPTH_MAX,
		    CHECK_SPF_QUERIES_MAX);
}

/* -------------------------------------------------------------- DKIM */

/* b64_decode - RFC 4648 4, FWS skipped (RFC 6376 3.6.1 p=); -1 if bad */
static int
b64_decode(struct span in, unsigned char *out, size_t outsize, size_t *len_r)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	size_t i, n = 0, bits = 0, pad = 0;
	const char *pos;

	for (i = 0; i < in.n; i++) {
		char ch = in.p[i];

		if (is_fws(ch))
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || ch == '\0' || (pos = strchr(alpha, ch)) == NULL)
			return -1;
		acc = (acc << 6 | (unsigned long)(pos - alpha)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outsize)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	*len_r = n;
	return 0;
}

struct dkim_key {
	struct span v, h, k, n, p, s, t;
	int have_p;
};

/*
 * dkim_key_parse - RFC 6376 3.6.1 key record, tag-list of 3.2; NULL or
 * a static reason.  A repeated tag makes the whole list invalid.
 */
static const char *
dkim_key_parse(const char *txt, size_t len, struct dkim_key *k)
{
	static const char *const names[] = {"v", "h", "k", "n", "p", "s", "t",
	    NULL};
	struct span *slot[7];
	const char *p = txt, *end = txt + len, *semi, *eq;
	unsigned seen = 0;
	size_t i, ntag = 0;

	memset(k, 0, sizeof(*k));
	slot[0] = &k->v;
	slot[1] = &k->h;
	slot[2] = &k->k;
	slot[3] = &k->n;
	slot[4] = &k->p;
	slot[5] = &k->s;
	slot[6] = &k->t;
	if (memchr(txt, '\0', len) != NULL)
		return "NUL byte in the key record";
	for (; p < end; p = semi + 1) {
		struct span seg, name;

		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		seg = trim_fws(p, (size_t)(semi - p));
		if (seg.n == 0) {
			if (semi == end)
				break;
			continue;
		}
		ntag++;
		if ((eq = memchr(seg.p, '=', seg.n)) == NULL)
			return "a tag without '='";
		name = trim_fws(seg.p, (size_t)(eq - seg.p));
		if (name.n == 0)
			return "a tag without a name";
		for (i = 0; i < name.n; i++) {
			char ch = name.p[i];

			if (!((ch >= 'a' && ch <= 'z') ||
				(ch >= 'A' && ch <= 'Z') ||
				(i > 0 &&
				    ((ch >= '0' && ch <= '9') || ch == '_'))))
				return "a bad tag name";
		}
		for (i = 0; names[i] != NULL; i++)
			if (name.n == 1 && name.p[0] == names[i][0])
				break;
		if (names[i] == NULL)
			continue; /* RFC 6376 3.6.1: unknown tags ignored */
		if (seen & (1u << i))
			return "a tag given twice (RFC 6376 3.2)";
		seen |= 1u << i;
		*slot[i] = trim_fws(eq + 1, (size_t)(seg.p + seg.n - eq - 1));
		if (i == 0 && ntag != 1)
			return "v= is not the first tag";
		if (i == 4)
			k->have_p = 1;
	}
	if ((seen & 1) && !(k->v.n == 5 && memcmp(k->v.p, "DKIM1", 5) == 0))
		return "v= is not DKIM1";
	if (!k->have_p)
		return "no p= tag";
	return NULL;
}

/* list_has - a colon-separated tag value holds word */
static int
list_has(struct span list, const char *word)
{
	const char *p = list.p, *end = list.p + list.n, *colon;

	for (; p <= end; p = colon + 1) {
		if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
			colon = end;
		if (span_is(trim_fws(p, (size_t)(colon - p)), word))
			return 1;
		if (colon == end)
			break;
	}
	return 0;
}

/* rsa_bits - size of an RSA key, SubjectPublicKeyInfo or PKCS#1; 0 if bad */
static unsigned
rsa_bits(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *pk;
	int bits = 0;

	if (len > CHECK_DKIM_KEY_MAX)
		return 0;
	if ((pk = d2i_PUBKEY(NULL, &q, (long)len)) == NULL) {
		q = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
	}
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		bits = EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return bits > 0 ? (unsigned)bits : 0;
}

/* dkim_key_checks - what one key record says */
static void
dkim_key_checks(struct check *c, struct check_dkim *k, const char *txt,
    size_t len)
{
	unsigned char der[CHECK_DKIM_KEY_MAX];
	char hv[32];
	struct dkim_key key;
	struct span p;
	size_t dlen, i;
	const char *e;

	k->record = show_dup(txt, len);
	if ((e = dkim_key_parse(txt, len, &key)) != NULL) {
		k->err = e;
		add(c, LV_ERROR, "dkim", "dkim-syntax",
		    "key %s: the record is invalid (%s): signatures with "
		    "this selector fail",
		    k->name, e);
		return;
	}
	if (key.k.n == 0)
		(void)strlcpy(k->ktype, "rsa", sizeof(k->ktype));
	else
		show_copy(k->ktype, sizeof(k->ktype), key.k.p, key.k.n);
	if (key.s.n > 0 && !list_has(key.s, "*") && !list_has(key.s, "email")) {
		k->err = "s= excludes email";
		add(c, LV_ERROR, "dkim", "dkim-not-email",
		    "key %s: s= does not include email or *: it cannot "
		    "verify mail (RFC 6376 3.6.1)",
		    k->name);
	}
	if (key.t.n > 0 && list_has(key.t, "y")) {
		k->testing = 1;
		add(c, LV_WARNING, "dkim", "dkim-testing",
		    "key %s: t=y (testing): verifiers treat the mail as "
		    "unsigned if it fails; remove t=y once signing works",
		    k->name);
	}
	if (key.h.n > 0 && !list_has(key.h, "sha256")) {
		k->err = "h= lacks sha256";
		show_copy(hv, sizeof(hv), key.h.p, key.h.n);
		add(c, LV_ERROR, "dkim", "dkim-sha1-only",
		    "key %s: h=%s lacks sha256: only sha256 signatures "
		    "count, rsa-sha1 must fail (RFC 8301 3.1)",
		    k->name, hv);
	}
	p = key.p;
	for (i = 0; i < p.n && is_fws(p.p[i]); i++)
		;
	if (i == p.n) {
		/* RFC 6376 3.6.1: an empty p= is a revoked key */
		k->revoked = 1;
		k->err = "revoked";
		add(c, LV_WARNING, "dkim", "dkim-revoked",
		    "key %s is revoked (empty p=): mail signed with this "
		    "selector fails DKIM; stop using it",
		    k->name);
		return;
	}
	if (b64_decode(p, der, sizeof(der), &dlen) == -1) {
		k->err = "p= is not base64";
		add(c, LV_ERROR, "dkim", "dkim-bad-key",
		    "key %s: p= is not valid base64 (or over %d octets)",
		    k->name, CHECK_DKIM_KEY_MAX);
		return;
	}
	if (strcmp(k->ktype, "rsa") == 0) {
		if ((k->bits = rsa_bits(der, dlen)) == 0) {
			k->err = "p= is not an RSA public key";
			add(c, LV_ERROR, "dkim", "dkim-bad-key",
			    "key %s: p= is not an RSA public key", k->name);
			return;
		}
		if (k->bits < 1024) {
			/* RFC 8301 3.2: verifiers MUST NOT accept these */
			k->err = "RSA key under 1024 bits";
			add(c, LV_ERROR, "dkim", "dkim-rsa-too-short",
			    "key %s: %u-bit RSA: verifiers must not accept "
			    "keys under 1024 bits (RFC 8301 3.2), signatures "
			    "fail",
			    k->name, k->bits);
			return;
		}
		if (k->bits < 2048)
			add(c, LV_WARNING, "dkim", "dkim-rsa-weak",
			    "key %s: %u-bit RSA: use at least 2048 bits "
			    "(RFC 8301 3.2)",
			    k->name, k->bits);
		else if (k->err == NULL)
			add(c, LV_OK, "dkim", NULL, "key %s: %u-bit RSA",
			    k->name, k->bits);
	} else if (strcmp(k->ktype, "ed25519") == 0) {
		/* RFC 8463 4: the bare 32-octet public key */
		if (dlen != 32) {
			k->err = "p= is not a 32-octet ed25519 key";
			add(c, LV_ERROR, "dkim", "dkim-bad-key",
			    "key %s: p= holds %zu octets, an ed25519 key is "
			    "32 (RFC 8463 4)%s",
			    k->name, dlen,
			    dlen == 44 ? ": publish the bare key, not its "
					 "SubjectPublicKeyInfo"
				       : "");
			return;
		}
		k->bits = 256;
		if (k->err == NULL)
			add(c, LV_OK, "dkim", NULL,
			    "key %s: ed25519 (RFC 8463)", k->name);
	} else {
		k->err = "unknown key type";
		add(c, LV_ERROR, "dkim", "dkim-unknown-key-type",
		    "key %s: k=%s is not a known key type (rsa, ed25519)",
		    k->name, k->ktype);
		return;
	}
	if (k->err == NULL)
		k->usable = 1;
}

/* dkim_one - the key record at selector._domainkey.domain */
static void
dkim_one(struct check *c, const char *sel, int given)
{
	struct check_dkim *k = &c->dkim[c->ndkim];
	struct resolver_answer *a = NULL;
	enum resolver_status st;
	size_t i, first = 0;
	int n;

	memset(k, 0, sizeof(*k));
	(void)strlcpy(k->selector, sel, sizeof(k->selector));
	n = snprintf(k->name, sizeof(k->name), "%s._domainkey.%s", sel,
	    c->domain);
	if (n < 0 || (size_t)n >= sizeof(k->name))
		return; /* not a DNS name: cmd_check() refuses given ones */
	c->nprobed++;
	st = resolver_query(c->res, k->name, RESOLVER_T_TXT, &a);
	for (i = 0; st == RESOLVER_OK && i < a->nrr; i++)
		if (a->rr[i].type == RESOLVER_T_TXT && k->nrec++ == 0)
			first = i;
	if (st == RESOLVER_TEMPFAIL || st == RESOLVER_INVALID) {
		k->status = "dns-error";
		add(c, LV_ERROR, "dkim", "dkim-dns-error", "DNS %s for %s (%s)",
		    resolver_status_str(st), k->name,
		    a->why != NULL ? a->why : "error");
		c->ndkim++;
	} else if (k->nrec == 0) {
		k->status = "missing";
		if (given) {
			add(c, LV_ERROR, "dkim", "dkim-key-missing",
			    "no DKIM key at %s: mail signed with selector %s "
			    "fails DKIM",
			    k->name, sel);
			c->ndkim++;
		}
	} else {
		k->status = "found";
		if (k->nrec > 1)
			add(c, LV_WARNING, "dkim", "dkim-multiple-records",
			    "%zu TXT records at %s: verifiers may pick any; "
			    "publish one (the first is checked)",
			    k->nrec, k->name);
		c->ndkim++;
		dkim_key_checks(c, k, (const char *)a->rr[first].data,
		    a->rr[first].len);
	}
	resolver_answer_free(&a);
}

static void
dkim_run(struct check *c, char **sel, size_t nsel)
{
	size_t i, nusable = 0, nrsa = 0;

	if (nsel == 0) {
		c->probing = 1;
		for (i = 0; common_selectors[i] != NULL; i++) {
			dkim_one(c, common_selectors[i], 0);
			/* DNS is failing: do not wait for every timeout */
			if (has(c, "dkim-dns-error"))
				break;
		}
	}
	for (i = 0; i < nsel; i++)
		dkim_one(c, sel[i], 1);
	for (i = 0; i < c->ndkim; i++) {
		if (!c->dkim[i].usable)
			continue;
		nusable++;
		if (strcmp(c->dkim[i].ktype, "rsa") == 0)
			nrsa++;
	}
	if (c->probing && c->ndkim == 0)
		add(c, LV_WARNING, "dkim", "dkim-none-found",
		    "no DKIM key at the %zu common selectors tried: sign your "
		    "mail with DKIM, or name your selectors with --selector",
		    c->nprobed);
	if (nusable > 0 && nrsa == 0)
		add(c, LV_WARNING, "dkim", "dkim-ed25519-only",
		    "only ed25519 keys: many verifiers do not support them "
		    "yet (RFC 8463); sign with an RSA key as well");
}

/* ----------------------------------------------------------- verdict */

/* verdict - the rollout stage and the next steps, most urgent first */
static void
verdict(struct check *c)
{
	const struct check_dmarc *d = &c->dmarc;
	const struct dmarc_record *r = d->rec;
	const char *dom = c->domain, *od;
	size_t i;

	od = d->disc.org_domain[0] != '\0' ? d->disc.org_domain : dom;
	c->stage = d->disc.tempfail ? "unknown" : "none";
	if (r != NULL && !d->disc.tempfail) {
		c->stage = d->policy == DMARC_P_REJECT ? "reject"
		    : d->policy == DMARC_P_QUARANTINE  ? "quarantine"
						       : "monitoring";
		c->partial = d->policy != DMARC_P_NONE &&
		    (r->testing || (r->pct_explicit && r->pct < 100));
	}

	if (has(c, "dmarc-dns-error") || has(c, "spf-dns-error") ||
	    has(c, "dkim-dns-error"))
		next_step(c,
		    "DNS lookups failed: run the check again before "
		    "changing anything");
	if (has(c, "dmarc-multiple-records"))
		next_step(c,
		    "publish exactly one DMARC record at _dmarc.%s: "
		    "receivers ignore them all while there are several",
		    od);
	if (has(c, "dmarc-invalid") || has(c, "dmarc-bad-version"))
		next_step(c,
		    "fix the DMARC record at %s%s: as published it "
		    "cannot be used",
		    d->applied != NULL ? "" : "_dmarc.",
		    d->applied != NULL ? d->applied->qname : od);
	if (strcmp(c->stage, "none") == 0 && !d->disc.tempfail &&
	    !has(c, "dmarc-multiple-records") && !has(c, "dmarc-invalid") &&
	    !has(c, "dmarc-bad-version"))
		next_step(c,
		    "publish a DMARC record to start monitoring: TXT "
		    "at _dmarc.%s \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s\"",
		    od, od);
	if (has(c, "spf-too-many-lookups"))
		next_step(c,
		    "SPF has %s%u lookups: flatten or remove includes "
		    "(limit %d) %s",
		    c->spf.truncated ? "at least " : "", c->spf.lookups,
		    SPF_DNS_TERMS_MAX,
		    r != NULL && d->policy != DMARC_P_NONE
			? "now: SPF fails with permerror for all mail"
			: "before moving to p=quarantine");
	if (has(c, "spf-too-many-void-lookups"))
		next_step(c,
		    "SPF has %u void lookups: remove the terms naming "
		    "domains without records (limit %d)",
		    c->spf.voids, SPF_VOID_MAX);
	if (has(c, "spf-multiple-records"))
		next_step(c,
		    "merge the SPF records of %s into one: several "
		    "are a permerror",
		    dom);
	for (i = 0; i < c->spf.nnode; i++) {
		const struct check_spf_node *nd = &c->spf.node[i];
		const char *from =
		    nd->parent >= 0 ? c->spf.node[nd->parent].domain : dom;

		if (strcmp(nd->status, "syntax") == 0)
			next_step(c,
			    "fix the SPF record of %s (%s): today it is a "
			    "permerror",
			    nd->domain, nd->err);
		else if (strcmp(nd->status, "loop") == 0)
			next_step(c,
			    "break the SPF include loop: remove %s from the "
			    "record of %s",
			    nd->term, from);
		else if (nd->parent >= 0 && strcmp(nd->status, "none") == 0)
			next_step(c,
			    "remove %s from the SPF record of %s (no SPF "
			    "record there): today it is a permerror",
			    nd->term, from);
	}
	if (has(c, "spf-mx-too-many"))
		next_step(c,
		    "replace the mx term naming more than %d MX hosts "
		    "with ip4:/ip6: terms",
		    SPF_MX_MAX);
	if (has(c, "spf-plus-all"))
		next_step(c,
		    "replace +all in SPF with -all: +all lets every "
		    "server pass");
	for (i = 0; i < c->ndkim; i++) {
		const struct check_dkim *k = &c->dkim[i];

		if (strcmp(k->status, "missing") == 0)
			next_step(c,
			    "publish the DKIM key of selector %s at %s, or "
			    "stop signing with it",
			    k->selector, k->name);
		else if (k->err != NULL && !k->revoked)
			next_step(c,
			    "fix or replace the DKIM key at %s (%s; use "
			    "2048-bit RSA): signatures with it fail today",
			    k->name, k->err);
	}
	if (has(c, "dkim-none-found"))
		next_step(c,
		    "sign outgoing mail with DKIM (2048-bit RSA) and "
		    "run this check with --selector: without DKIM, "
		    "forwarded mail fails DMARC");
	if (has(c, "dmarc-no-rua") && r != NULL)
		next_step(c,
		    "publish rua= to receive reports: add "
		    "rua=mailto:dmarc-reports@%s to the DMARC record",
		    od);
	if (has(c, "dmarc-rua-unauthorized") ||
	    has(c, "dmarc-ruf-unauthorized"))
		next_step(c,
		    "authorize the external report addresses (TXT "
		    "\"v=DMARC1\" at <your domain>._report._dmarc.<their "
		    "domain>) or use addresses in your own domain");
	if (has(c, "spf-missing"))
		next_step(c,
		    "publish an SPF record for %s listing every server "
		    "that sends its mail, ending in -all (\"v=spf1 -all\" "
		    "if it sends none)",
		    dom);
	if (strcmp(c->stage, "monitoring") == 0)
		next_step(c,
		    "read the aggregate reports for a few weeks; when "
		    "every legitimate source passes SPF or DKIM aligned, "
		    "move to %s=quarantine",
		    d->policy_tag);
	else if (c->partial && r != NULL)
		next_step(c,
		    "when reports show no legitimate mail failing, "
		    "remove %s so that %s=%s applies to all mail",
		    r->testing ? "t=y" : "pct=", d->policy_tag,
		    dmarc_p_str(d->policy));
	else if (strcmp(c->stage, "quarantine") == 0)
		next_step(c,
		    "when reports show no legitimate mail quarantined, "
		    "move to %s=reject",
		    d->policy_tag);
	if (has(c, "dmarc-tag-invalid"))
		next_step(c,
		    "correct the invalid DMARC tags: receivers ignore "
		    "them and use the defaults");
	if (has(c, "dmarc-psd-flag"))
		next_step(c,
		    "remove psd=y: it is for public suffix operators "
		    "only");
	if (r != NULL && has(c, "dmarc-sp-weaker"))
		next_step(c,
		    "subdomains are not covered: set sp=%s or remove "
		    "sp=",
		    dmarc_p_str(r->p));
	if (has(c, "dmarc-np-weaker"))
		next_step(c,
		    "made-up subdomains are not covered: set np=reject");
	if (has(c, "dmarc-from-psd"))
		next_step(c, "publish a DMARC record of your own at _dmarc.%s",
		    od);
	for (i = 0; i < c->ndkim; i++) {
		const struct check_dkim *k = &c->dkim[i];

		if (k->usable && strcmp(k->ktype, "rsa") == 0 && k->bits < 2048)
			next_step(c,
			    "replace the %u-bit DKIM key at %s with a "
			    "2048-bit one",
			    k->bits, k->name);
	}
	for (i = 0; i < c->ndkim; i++) {
		const struct check_dkim *k = &c->dkim[i];

		if (k->revoked)
			next_step(c,
			    "stop signing with selector %s (its key is "
			    "revoked), or remove its record",
			    k->selector);
		else if (k->testing)
			next_step(c,
			    "remove t=y from the DKIM key at %s once signing "
			    "works",
			    k->name);
	}
	if (has(c, "dkim-ed25519-only"))
		next_step(c,
		    "sign with a 2048-bit RSA key as well as ed25519: "
		    "not every verifier knows ed25519");
	if (has(c, "spf-softfail-all") || has(c, "spf-neutral-all") ||
	    has(c, "spf-no-all"))
		next_step(c,
		    "once every sender is listed in SPF, end it with "
		    "-all");
	if (has(c, "spf-ptr"))
		next_step(c, "replace ptr in SPF with ip4:/ip6: or a: terms");
	for (i = 0; i < c->nfind && c->nnext == 0; i++)
		if (c->find[i].level >= LV_WARNING)
			next_step(c, "fix the errors and warnings above");
	if (c->nnext == 0)
		next_step(c,
		    "nothing to do: %s is at p=reject with SPF and DKIM "
		    "in order; keep reading the reports",
		    dom);
}

/* ------------------------------------------------------------ output */

#define C_RED	 "\033[31m"
#define C_GREEN	 "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN	 "\033[36m"
#define C_BOLD	 "\033[1m"
#define C_OFF	 "\033[0m"

#define MARK_OK	     "\xe2\x9c\x93"		 /* U+2713 CHECK MARK */
#define MARK_ERR     "\xe2\x9c\x97"		 /* U+2717 BALLOT X */
#define TREE_MID     "\xe2\x94\x9c\xe2\x94\x80 " /* "|- " */
#define TREE_LAST    "\xe2\x94\x94\xe2\x94\x80 " /* "`- " */
#define TREE_BAR     "\xe2\x94\x82  "		 /* "|  " */
#define TREE_PAD_MAX 128 /* prefix of the deepest tree line */

static const char *
col(const struct check *c, const char *code)
{
	return c->color ? code : "";
}

static void
print_findings(const struct check *c, const char *area)
{
	static const char *const mark[] = {MARK_OK, "i", "!", MARK_ERR};
	static const char *const colour[] = {C_GREEN, C_CYAN, C_YELLOW, C_RED};
	static const enum check_level order[] = {LV_OK, LV_ERROR, LV_WARNING,
	    LV_INFO};
	size_t i, k;

	for (k = 0; k < 4; k++)
		for (i = 0; i < c->nfind; i++) {
			const struct check_finding *f = &c->find[i];

			if (strcmp(f->area, area) != 0 || f->level != order[k])
				continue;
			printf("  %s%s%s %s", col(c, colour[f->level]),
			    mark[f->level], col(c, C_OFF), f->msg);
			if (f->code != NULL)
				printf(" [%s]", f->code);
			printf("\n");
		}
}

static const char *
source_str(enum dmarc_source s)
{
	switch (s) {
	case DMARC_SRC_AUTHOR:
		return "author";
	case DMARC_SRC_ORG:
		return "organizational";
	case DMARC_SRC_PSD:
		return "psd";
	case DMARC_SRC_NONE:
		break;
	}
	return "none";
}

static void
print_dmarc(const struct check *c)
{
	const struct check_dmarc *d = &c->dmarc;
	char nv[sizeof(d->tag[0].name) + CHECK_VALUE_SHOW + 1];
	size_t i, k;

	printf("%sDMARC%s (RFC 9989)\n", col(c, C_BOLD), col(c, C_OFF));
	printf("  DNS Tree Walk:\n");
	for (i = 0; i < d->walk.nstep; i++) {
		const struct check_step *s = &d->step[i];

		printf("    TXT %s: %s", s->qname, resolver_status_str(s->st));
		if (s->st == RESOLVER_OK)
			printf(", %zu DMARC record%s in %zu TXT", s->ndmarc,
			    s->ndmarc == 1 ? "" : "s", s->ntxt);
		else if (s->why != NULL)
			printf(" (%s)", s->why);
		printf("\n");
		for (k = 0; k < CHECK_WALK_SHOW; k++)
			if (s->show[k] != NULL)
				printf("      \"%s\"\n", s->show[k]);
		if (s->badver != NULL)
			printf("      not DMARC: \"%s\"\n", s->badver);
	}
	if (d->applied != NULL) {
		printf("  Record that applies: %s, at %s\n",
		    d->disc.source == DMARC_SRC_AUTHOR ? "the domain's own"
			: d->disc.source == DMARC_SRC_ORG
			? "the organizational domain's"
			: "the public suffix domain's",
		    d->applied->qname);
		for (i = 0; i < d->ntag; i++) {
			const struct check_tag *t = &d->tag[i];

			(void)snprintf(nv, sizeof(nv), "%s%s%s", t->name,
			    t->noeq ? "" : "=", t->value);
			if (t->meaning[0] == '\0')
				printf("    %s\n", nv);
			else if (strlen(nv) <= 22)
				printf("    %-22s %s\n", nv, t->meaning);
			else
				printf("    %s\n    %-22s %s\n", nv, "",
				    t->meaning);
		}
	}
	print_findings(c, "dmarc");
}

/* print_spf_node - one record of the include tree and its subtree; it
 * recurses as deep as the tree goes: CHECK_SPF_DEPTH_MAX.
 * NOLINTBEGIN(misc-no-recursion) */
static void
print_spf_node(const struct check *c, int idx, const char *pad)
{
	const struct check_spf *sp = &c->spf;
	const struct check_spf_node *nd = &sp->node[idx];
	char sub[TREE_PAD_MAX];
	size_t i, nkids = 0, kid = 0;
	int last = 1;

	for (i = (size_t)idx + 1; i < sp->nnode; i++)
		if (sp->node[i].parent == idx)
			nkids++;
	if (nd->parent >= 0) {
		for (i = (size_t)idx + 1; i < sp->nnode; i++)
			if (sp->node[i].parent == nd->parent)
				last = 0;
		printf("  %s%s%s", pad, last ? TREE_LAST : TREE_MID, nd->term);
		(void)snprintf(sub, sizeof(sub), "%s%s", pad,
		    last ? "   " : TREE_BAR);
	} else {
		printf("  %s", nd->domain);
		sub[0] = '\0';
	}
	if (nd->record != NULL)
		printf(": \"%s\"", nd->record);
	if (strcmp(nd->status, "ok") != 0)
		printf(" (%s%s%s)", nd->status, nd->err != NULL ? ": " : "",
		    nd->err != NULL ? nd->err : "");
	if (nd->lookups > 0)
		printf(" [%u lookup%s", nd->lookups,
		    nd->lookups == 1 ? "" : "s");
	if (nd->voids > 0)
		printf("%s%u void", nd->lookups > 0 ? ", " : " [", nd->voids);
	printf("%s\n", nd->lookups > 0 || nd->voids > 0 ? "]" : "");
	for (i = 0; i < nd->nnote; i++)
		printf("  %s%s- %s\n", sub, nkids > 0 ? TREE_BAR : "   ",
		    nd->note[i]);
	for (i = (size_t)idx + 1; i < sp->nnode && kid < nkids; i++) {
		if (sp->node[i].parent != idx)
			continue;
		kid++;
		print_spf_node(c, (int)i, sub);
	}
}
/* NOLINTEND(misc-no-recursion) */

static void
print_spf(const struct check *c)
{
	printf("\n%sSPF%s (RFC 7208)\n", col(c, C_BOLD), col(c, C_OFF));
	if (c->spf.nnode > 0)
		print_spf_node(c, 0, "");
	printf("  DNS lookups: %s%u (limit %d), void lookups: %u (limit %d)\n",
	    c->spf.truncated ? "at least " : "", c->spf.lookups,
	    SPF_DNS_TERMS_MAX, c->spf.voids, SPF_VOID_MAX);
	print_findings(c, "spf");
}

static void
print_dkim(const struct check *c)
{
	size_t i, nfound = 0;

	printf("\n%sDKIM%s (RFC 6376, RFC 8301, RFC 8463)\n", col(c, C_BOLD),
	    col(c, C_OFF));
	for (i = 0; i < c->ndkim; i++)
		nfound += strcmp(c->dkim[i].status, "found") == 0;
	if (c->probing)
		printf("  %zu common selector%s tried, %zu key%s found\n",
		    c->nprobed, c->nprobed == 1 ? "" : "s", nfound,
		    nfound == 1 ? "" : "s");
	for (i = 0; i < c->ndkim; i++) {
		const struct check_dkim *k = &c->dkim[i];

		printf("  TXT %s: %s", k->name, k->status);
		if (k->ktype[0] != '\0')
			printf(", k=%s", k->ktype);
		if (k->bits > 0 && strcmp(k->ktype, "rsa") == 0)
			printf(", %u bits", k->bits);
		printf("\n");
		if (k->record != NULL)
			printf("    \"%.72s%s\"\n", k->record,
			    strlen(k->record) > 72 ? "..." : "");
	}
	print_findings(c, "dkim");
}

static void
print_text(const struct check *c)
{
	const char *sc;
	size_t i, n[4] = {0, 0, 0, 0};

	for (i = 0; i < c->nfind; i++)
		n[c->find[i].level]++;
	printf("%sdmarcctl check %s%s\n\n", col(c, C_BOLD), c->domain,
	    col(c, C_OFF));
	print_dmarc(c);
	print_spf(c);
	print_dkim(c);
	if (strcmp(c->stage, "reject") == 0 && !c->partial)
		sc = C_GREEN;
	else if (strcmp(c->stage, "none") == 0 ||
	    strcmp(c->stage, "unknown") == 0)
		sc = C_RED;
	else
		sc = C_YELLOW;
	printf("\n%sVerdict%s\n", col(c, C_BOLD), col(c, C_OFF));
	printf("  Stage: %s%s%s%s\n", col(c, sc), c->stage,
	    c->partial ? " (partial)" : "", col(c, C_OFF));
	printf("  %zu error%s, %zu warning%s, %zu note%s\n", n[LV_ERROR],
	    n[LV_ERROR] == 1 ? "" : "s", n[LV_WARNING],
	    n[LV_WARNING] == 1 ? "" : "s", n[LV_INFO],
	    n[LV_INFO] == 1 ? "" : "s");
	if (c->nlost > 0)
		printf("  (%zu more findings not shown)\n", c->nlost);
	if (c->nnext > 0)
		printf("  Next step: %s\n", c->next[0]);
	if (c->nnext > 1)
		printf("  Then:\n");
	for (i = 1; i < c->nnext; i++)
		printf("    - %s\n", c->next[i]);
}

static void
json_addrs(struct json *j, const char *key, const struct rua_list *l)
{
	size_t i;

	json_arr_begin(j, key);
	for (i = 0; i < l->n; i++) {
		const struct rua_dest *a = &l->d[i];

		json_obj_begin(j, NULL);
		json_str(j, "uri", a->uri);
		if (a->addr[0] != '\0')
			json_str(j, "address", a->addr);
		json_str(j, "status", addr_status(a));
		if (a->why != NULL)
			json_str(j, "reason", a->why);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void
json_dmarc(struct json *j, const struct check *c)
{
	const struct check_dmarc *d = &c->dmarc;
	const struct dmarc_record *r = d->rec;
	size_t i, k;

	json_obj_begin(j, "dmarc");
	json_str(j, "source", source_str(d->disc.source));
	if (d->applied != NULL) {
		json_str(j, "record", d->applied->show[0]);
		json_str(j, "policy_domain", d->disc.policy_domain);
	}
	if (d->disc.org_domain[0] != '\0')
		json_str(j, "org_domain", d->disc.org_domain);
	if (r != NULL) {
		json_str(j, "policy", dmarc_p_str(d->policy));
		json_str(j, "p", dmarc_p_str(r->p));
		if (r->sp != DMARC_P_UNSPEC)
			json_str(j, "sp", dmarc_p_str(r->sp));
		if (r->np != DMARC_P_UNSPEC)
			json_str(j, "np", dmarc_p_str(r->np));
		json_bool(j, "testing", r->testing);
		json_uint(j, "pct", (unsigned long long)r->pct);
		json_arr_begin(j, "tags");
		for (i = 0; i < d->ntag; i++) {
			json_obj_begin(j, NULL);
			json_str(j, "tag", d->tag[i].name);
			json_str(j, "value", d->tag[i].value);
			json_str(j, "meaning", d->tag[i].meaning);
			json_obj_end(j);
		}
		json_arr_end(j);
		if (d->have_rua)
			json_addrs(j, "rua", &d->rua);
		if (d->have_ruf)
			json_addrs(j, "ruf", &d->ruf);
	}
	json_arr_begin(j, "walk");
	for (i = 0; i < d->walk.nstep; i++) {
		const struct check_step *s = &d->step[i];

		json_obj_begin(j, NULL);
		json_str(j, "query", s->qname);
		json_str(j, "status", resolver_status_str(s->st));
		json_uint(j, "txt_records", s->ntxt);
		json_uint(j, "dmarc_records", s->ndmarc);
		json_arr_begin(j, "records");
		for (k = 0; k < CHECK_WALK_SHOW; k++)
			if (s->show[k] != NULL)
				json_str(j, NULL, s->show[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void
json_spf(struct json *j, const struct check *c)
{
	const struct check_spf *sp = &c->spf;
	char all[5] = "?all";
	size_t i, k;

	json_obj_begin(j, "spf");
	if (sp->nnode > 0) {
		json_str(j, "status", sp->node[0].status);
		if (sp->node[0].record != NULL)
			json_str(j, "record", sp->node[0].record);
	}
	if (sp->all != 0) {
		all[0] = sp->all; /* "-all", "~all", "?all" or "+all" */
		json_str(j, "all", all);
	}
	json_uint(j, "lookups", sp->lookups);
	json_uint(j, "void_lookups", sp->voids);
	json_bool(j, "complete", !sp->truncated);
	/* depth first; "parent" indexes this array (JSON nesting stays
	 * shallow however deep the includes go) */
	json_arr_begin(j, "tree");
	for (i = 0; i < sp->nnode; i++) {
		const struct check_spf_node *nd = &sp->node[i];

		json_obj_begin(j, NULL);
		if (nd->parent >= 0)
			json_uint(j, "parent", (unsigned long long)nd->parent);
		json_uint(j, "depth", nd->depth);
		json_str(j, "via", nd->via);
		if (nd->term[0] != '\0')
			json_str(j, "term", nd->term);
		json_str(j, "domain", nd->domain);
		json_str(j, "status", nd->status);
		if (nd->record != NULL)
			json_str(j, "record", nd->record);
		if (nd->err != NULL)
			json_str(j, "error", nd->err);
		json_uint(j, "lookups", nd->lookups);
		json_uint(j, "void_lookups", nd->voids);
		json_arr_begin(j, "notes");
		for (k = 0; k < nd->nnote; k++)
			json_str(j, NULL, nd->note[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void
print_json(const struct check *c)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "domain", c->domain);
	json_str(&j, "stage", c->stage);
	json_bool(&j, "partial", c->partial);
	json_str(&j, "next_step", c->nnext > 0 ? c->next[0] : "");
	json_arr_begin(&j, "next_steps");
	for (i = 0; i < c->nnext; i++)
		json_str(&j, NULL, c->next[i]);
	json_arr_end(&j);
	json_dmarc(&j, c);
	json_spf(&j, c);
	json_arr_begin(&j, "dkim");
	for (i = 0; i < c->ndkim; i++) {
		const struct check_dkim *k = &c->dkim[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "selector", k->selector);
		json_str(&j, "name", k->name);
		json_str(&j, "status", k->status);
		if (k->record != NULL)
			json_str(&j, "record", k->record);
		if (k->ktype[0] != '\0')
			json_str(&j, "key_type", k->ktype);
		if (k->bits > 0)
			json_uint(&j, "bits", k->bits);
		json_bool(&j, "testing", k->testing);
		json_bool(&j, "revoked", k->revoked);
		json_bool(&j, "usable", k->usable);
		if (k->err != NULL)
			json_str(&j, "error", k->err);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "findings");
	for (i = 0; i < c->nfind; i++) {
		const struct check_finding *f = &c->find[i];

		if (f->level == LV_OK)
			continue;
		json_obj_begin(&j, NULL);
		json_str(&j, "level", level_names[f->level]);
		json_str(&j, "area", f->area);
		json_str(&j, "code", f->code);
		json_str(&j, "message", f->msg);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	fputc('\n', stdout);
}

/* ------------------------------------------------------------- main */

static void
check_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl check DOMAIN [--selector S ...] "
	    "[--dns-zone FILE]\n"
	    "                      [--config FILE] [--json] [--no-color]\n");
}

/* check_domain - the command-line name as a normalized A-label name */
static int
check_domain(const char *arg, char *out, size_t outlen)
{
	const char *errstr;
	char *ace = NULL;
	const char *p;
	int rc;

	for (p = arg; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p != '\0') {
		/* a U-label name: IDNA2008 as the daemon reads From: */
		if (idn2_to_ascii_8z(arg, &ace, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK)
			return -1;
		arg = ace;
	}
	rc = domain_normalize(arg, strlen(arg), out, outlen, &errstr);
	idn2_free(ace);
	if (rc == 0 && domain_labels(out) < 2)
		rc = -1; /* a TLD alone is no one's mail domain */
	return rc;
}

static void
check_free(struct check *c)
{
	size_t i, k;

	for (i = 0; i < DMARC_WALK_MAX; i++) {
		free(c->dmarc.step[i].raw);
		free(c->dmarc.step[i].badver);
		for (k = 0; k < CHECK_WALK_SHOW; k++)
			free(c->dmarc.step[i].show[k]);
	}
	for (i = 0; i < c->spf.nnode; i++)
		free(c->spf.node[i].record);
	for (i = 0; i < c->ndkim; i++)
		free(c->dkim[i].record);
	free(c);
}

/* set_opt - replace one string of our own config copy */
static int
set_opt(char **dst, const char *val)
{
	char *s = strdup(val);

	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {{"selector", required_argument,
						     NULL, 's'},
	    {"dns-zone", required_argument, NULL, 'z'},
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"no-color", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	char *sel[CHECK_SELECTORS_MAX], err[512], name[DOMAIN_MAX + 1];
	const char *cfgpath = NULL, *zone = NULL, *nocolor, *errstr;
	struct orgdomain_psl *psl = NULL;
	struct resolver_opts ro;
	struct config *cfg = NULL;
	struct check *c = NULL;
	size_t nsel = 0, i;
	int ch, json = 0, color = 1, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			/* a selector is one or more labels (RFC 6376 3.1) */
			if (domain_normalize(optarg, strlen(optarg), name,
				sizeof(name), &errstr) == -1) {
				fprintf(stderr,
				    "dmarcctl: check: bad selector "
				    "\"%.64s\": %s\n",
				    optarg, errstr);
				return EXIT_USAGE;
			}
			if (nsel == CHECK_SELECTORS_MAX) {
				fprintf(stderr,
				    "dmarcctl: check: more than %d "
				    "selectors\n",
				    CHECK_SELECTORS_MAX);
				return EXIT_USAGE;
			}
			sel[nsel++] = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			color = 0;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		if (optind == argc)
			fprintf(stderr,
			    "dmarcctl: check: DOMAIN is required\n");
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		oom();
	if (check_domain(argv[optind], c->domain, sizeof(c->domain)) == -1) {
		fprintf(stderr,
		    "dmarcctl: check: \"%.64s\" is not a domain "
		    "name\n",
		    argv[optind]);
		free(c);
		return EXIT_USAGE;
	}
	for (i = 0; i < nsel; i++) {
		/* the key name must fit in a DNS name */
		if (strlen(sel[i]) + sizeof("._domainkey.") +
			strlen(c->domain) >
		    DOMAIN_MAX + 1) {
			fprintf(stderr,
			    "dmarcctl: check: selector \"%.64s\" is too long "
			    "for this domain\n",
			    sel[i]);
			free(c);
			return EXIT_USAGE;
		}
	}
	nocolor = getenv("NO_COLOR");
	c->color = color && !json && isatty(STDOUT_FILENO) &&
	    (nocolor == NULL || nocolor[0] == '\0');

	if (cfgpath != NULL ? config_load(cfgpath, &cfg, err, sizeof(err))
			    : config_default(&cfg)) {
		fprintf(stderr, "dmarcctl: %s\n",
		    cfgpath != NULL ? err : "out of memory");
		goto out;
	}
	if (zone != NULL && set_opt(&cfg->dns_zone_file, zone) == -1)
		oom();
	memset(&ro, 0, sizeof(ro));
	ro.zone_file = cfg->dns_zone_file[0] ? cfg->dns_zone_file : NULL;
	ro.nameservers = cfg->nameservers[0] ? cfg->nameservers : NULL;
	ro.timeout_ms = cfg->dns_timeout_ms;
	if (resolver_new(&ro, &c->res, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	if (cfg->org_domain_method == CONF_ORG_PSL) {
		if (orgdomain_psl_new(cfg->psl_file, &psl, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "dmarcctl: %s\n", err);
			goto out;
		}
		c->psl = psl;
	}

	dmarc_run(c);
	spf_run(c);
	dkim_run(c, sel, nsel);
	verdict(c);
	if (json)
		print_json(c);
	else
		print_text(c);
	rc = 0;
	for (i = 0; i < c->nfind; i++)
		if (c->find[i].level >= LV_WARNING)
			rc = 1;
	if (fflush(stdout) != 0)
		rc = 1;
out:
	orgdomain_psl_free(&psl);
	if (c != NULL) {
		resolver_free(&c->res);
		check_free(c);
	}
	config_free(&cfg);
	return rc;
}
