/*
 * session.c - the evaluation session: SPF at MAIL FROM, DKIM over the
 * headers and body, DMARC (RFC 9989) at end of message
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <idn2.h>

#include "auth/dkimv.h"
#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "auth/session.h"
#include "auth/spf.h"
#include "conf/config.h"
#include "policy/dmarc_align.h"
#include "policy/sbuf.h"

#define SESSION_WALKS_MAX 24 /* distinct names walked per message */

struct cache_ent {
	char name[DOMAIN_MAX + 8];
	int type;
	struct resolver_answer *ans;
};

struct walk_ent {
	struct dmarc_walk *w; /* heap: a walk holds 8 parsed records */
};

struct session {
	struct engine *eng;
	char client_ip[INET6_ADDRSTRLEN + 1];
	char helo[DOMAIN_MAX + 2];

	/* per message */
	char mailfrom[512];
	int have_mailfrom, null_sender;
	struct spf_check spf;
	int spf_done;
	struct dkimv_msg *dkim;
	struct from_domains from;
	const char *from_err;
	unsigned int nfromhdr;
	unsigned int nar;
	unsigned int ar_forged[SESSION_AR_FORGED_MAX];
	size_t nforged;
	int pct_fixed;
	unsigned int pct_roll;
	int leadspc;
	struct cache_ent cache[SESSION_DNS_CACHE];
	size_t ncache, cache_next;
	struct walk_ent walk[SESSION_WALKS_MAX];
	size_t nwalk;
};

/* engine_new - what every thread of a process shares */
int
engine_new(const struct config *cfg, struct engine **eng_r, char *err,
    size_t errlen)
{
	struct resolver_opts ro;
	struct engine *eng;

	*eng_r = NULL;
	if ((eng = calloc(1, sizeof(*eng))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	eng->cfg = cfg;
	if (cfg->authserv_id[0] != '\0') {
		if (strlcpy(eng->authserv_id, cfg->authserv_id,
			sizeof(eng->authserv_id)) >= sizeof(eng->authserv_id)) {
			snprintf(err, errlen, "AuthservID too long");
			goto fail;
		}
	} else if (gethostname(eng->authserv_id,
		       sizeof(eng->authserv_id) - 1) == -1 ||
	    eng->authserv_id[0] == '\0')
		strlcpy(eng->authserv_id, "localhost",
		    sizeof(eng->authserv_id));

	memset(&ro, 0, sizeof(ro));
	ro.zone_file = cfg->dns_zone_file[0] ? cfg->dns_zone_file : NULL;
	ro.nameservers = cfg->nameservers[0] ? cfg->nameservers : NULL;
	ro.timeout_ms = cfg->dns_timeout_ms;
	if (resolver_new(&ro, &eng->res, err, errlen) == -1)
		goto fail;
	if (spf_ctx_new(eng->res, &eng->spf, err, errlen) == -1)
		goto fail;
	if (dkimv_lib_new(eng->res, cfg->max_dkim_sigs, &eng->dkim, err,
		errlen) == -1)
		goto fail;
	if (cfg->org_domain_method == CONF_ORG_PSL &&
	    orgdomain_psl_new(cfg->psl_file, &eng->psl, err, errlen) == -1)
		goto fail;
	*eng_r = eng;
	return 0;
fail:
	engine_free(&eng);
	return -1;
}

/* engine_free - NULL is fine; clears the pointer */
void
engine_free(struct engine **engp)
{
	struct engine *eng;

	if (engp == NULL || (eng = *engp) == NULL)
		return;
	orgdomain_psl_free(&eng->psl);
	dkimv_lib_free(&eng->dkim);
	spf_ctx_free(&eng->spf);
	resolver_free(&eng->res);
	free(eng);
	*engp = NULL;
}

struct session *
session_new(struct engine *eng)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->eng = eng;
	from_domains_init(&s->from);
	return s;
}

/* session_reset - forget the message, keep the connection */
void
session_reset(struct session *s)
{
	size_t i;

	dkimv_msg_free(&s->dkim);
	for (i = 0; i < s->ncache; i++)
		resolver_answer_free(&s->cache[i].ans);
	for (i = 0; i < s->nwalk; i++)
		free(s->walk[i].w);
	s->ncache = s->cache_next = s->nwalk = 0;
	s->mailfrom[0] = '\0';
	s->have_mailfrom = s->null_sender = s->spf_done = 0;
	memset(&s->spf, 0, sizeof(s->spf));
	from_domains_init(&s->from);
	s->from_err = NULL;
	s->nfromhdr = s->nar = 0;
	s->nforged = 0;
}

void
session_free(struct session **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	session_reset(*sp);
	free(*sp);
	*sp = NULL;
}

void
session_set_leadspc(struct session *s)
{
	s->leadspc = 1;
}

void
session_set_pct_roll(struct session *s, unsigned int roll)
{
	s->pct_fixed = 1;
	s->pct_roll = roll % 100;
}

size_t
session_forged_ar(const struct session *s, const unsigned int **idx_r)
{
	*idx_r = s->ar_forged;
	return s->nforged;
}

/* session_connect - the client address, as text; hostile if it came by XCLIENT */
int
session_connect(struct session *s, const char *client_ip)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (client_ip == NULL ||
	    strlcpy(s->client_ip, client_ip, sizeof(s->client_ip)) >=
		sizeof(s->client_ip) ||
	    (inet_pton(AF_INET, client_ip, buf) != 1 &&
		inet_pton(AF_INET6, client_ip, buf) != 1)) {
		s->client_ip[0] = '\0';
		return -1;
	}
	return 0;
}

int
session_helo(struct session *s, const char *helo)
{
	if (helo == NULL ||
	    strlcpy(s->helo, helo, sizeof(s->helo)) >= sizeof(s->helo))
		s->helo[0] = '\0'; /* an absurd HELO is no identity */
	return 0;
}

/* session_mailfrom - RFC 5321 reverse-path; SPF is checked here (RFC 7208 2.4) */
int
session_mailfrom(struct session *s, const char *mailfrom)
{
	const char *p = mailfrom != NULL ? mailfrom : "";
	const char *why = NULL;

	session_reset(s);
	/* RFC 5321 4.5.3.1.3: a path is at most 256 octets */
	if (envelope_address(p, s->mailfrom, sizeof(s->mailfrom)) == -1)
		why = "MAIL FROM too long";
	else if (s->client_ip[0] == '\0')
		why = "no client address"; /* an unknown socket family */
	s->have_mailfrom = 1;
	s->null_sender = why == NULL && s->mailfrom[0] == '\0';
	if (why != NULL) {
		/* no identity to check: SPF none */
		memset(&s->spf, 0, sizeof(s->spf));
		s->spf.result = SPF_RES_NONE;
		strlcpy(s->spf.scope, "mfrom", sizeof(s->spf.scope));
		strlcpy(s->spf.reason, why, sizeof(s->spf.reason));
	} else if (spf_check_mfrom(s->eng->spf, s->client_ip, s->helo,
		       s->mailfrom, &s->spf) == -1) {
		memset(&s->spf, 0, sizeof(s->spf));
		s->spf.result = SPF_RES_TEMPERROR;
		strlcpy(s->spf.scope, "mfrom", sizeof(s->spf.scope));
		strlcpy(s->spf.reason, "SPF check failed",
		    sizeof(s->spf.reason));
	}
	s->spf_done = 1;
	return 0;
}

/* message_start - the DKIM state of a new message */
static int
message_start(struct session *s)
{
	if ((s->dkim = dkimv_msg_new(s->eng->dkim, NULL)) == NULL)
		return -1;
	if (s->leadspc)
		dkimv_msg_leadspc(s->dkim);
	return 0;
}

/* session_header - one header field as received */
int
session_header(struct session *s, const char *name, const char *value)
{
	size_t len = strlen(value);

	if (s->dkim == NULL && message_start(s) == -1)
		return -1;
	(void)dkimv_header(s->dkim, name, value);

	if (strcasecmp(name, "From") == 0) {
		s->nfromhdr++;
		/* RFC 9989 5.3.1; several From: headers all count (DESIGN §1) */
		const char *err = NULL;

		if (from_header_parse(value, len, &s->from, &err) == -1) {
			if (s->from_err == NULL)
				s->from_err = err != NULL
				    ? err
				    : "unparseable From: header";
			(void)from_header_scan(value, len, &s->from);
		}
	} else if (strcasecmp(name, "Authentication-Results") == 0) {
		s->nar++;
		/* RFC 8601 5: our authserv-id on an incoming header is forged */
		if (authres_is_ours(value, len, s->eng->authserv_id) &&
		    s->nforged < SESSION_AR_FORGED_MAX)
			s->ar_forged[s->nforged++] = s->nar;
	}
	return 0;
}

/* prefetch - forward declared below; walks the author domains early */
static void prefetch(struct session *s);

/*
 * session_eoh - the headers are complete: the From: domains are known, so
 * their DNS Tree Walks run now, while the MTA streams the body (it does
 * not wait for our end-of-headers reply), and end of message finds the
 * answers in the per-message cache (DESIGN §2).
 */
int
session_eoh(struct session *s)
{
	if (s->dkim == NULL && message_start(s) == -1)
		return -1;
	if (dkimv_eoh(s->dkim) == -1)
		return -1;
	prefetch(s);
	return 0;
}

int
session_body(struct session *s, const unsigned char *p, size_t len)
{
	if (s->dkim == NULL)
		return -1;
	return dkimv_body(s->dkim, p, len);
}

/* ---- DNS with one answer cache per message ---- */

/* cached_query - the answer stays valid until the next cached_query() */
static const struct resolver_answer *
cached_query(struct session *s, const char *name, int type)
{
	struct cache_ent *ce;
	size_t i;

	for (i = 0; i < s->ncache; i++) {
		if (s->cache[i].type == type &&
		    strcasecmp(s->cache[i].name, name) == 0)
			return s->cache[i].ans;
	}
	if (s->ncache < SESSION_DNS_CACHE)
		ce = &s->cache[s->ncache++];
	else { /* full: reuse the oldest slot */
		ce = &s->cache[s->cache_next];
		s->cache_next = (s->cache_next + 1) % SESSION_DNS_CACHE;
		resolver_answer_free(&ce->ans);
	}
	if (strlcpy(ce->name, name, sizeof(ce->name)) >= sizeof(ce->name))
		ce->name[0] = '\0';
	ce->type = type;
	(void)resolver_query(s->eng->res, name, type, &ce->ans);
	return ce->ans;
}

static enum dmarc_dns
dns_status(const struct resolver_answer *a)
{
	if (a == NULL)
		return DMARC_DNS_TEMPFAIL;
	switch (a->status) {
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

/* walk_run - drive a DNS Tree Walk (RFC 9989 4.10) to its end */
static void
walk_run(struct session *s, struct dmarc_walk *w)
{
	const char *txt[RESOLVER_RR_MAX];
	size_t len[RESOLVER_RR_MAX], n, i;
	char qname[DOMAIN_MAX + 16];

	while (dmarc_walk_next(w, qname, sizeof(qname)) == 1) {
		const struct resolver_answer *a;

		a = cached_query(s, qname, RESOLVER_T_TXT);
		n = 0;
		if (a != NULL && a->status == RESOLVER_OK) {
			for (i = 0; i < a->nrr && n < RESOLVER_RR_MAX; i++) {
				if (a->rr[i].type != RESOLVER_T_TXT)
					continue;
				txt[n] = (const char *)a->rr[i].data;
				len[n++] = a->rr[i].len;
			}
		}
		dmarc_walk_feed(w, dns_status(a), txt, len, n);
	}
}

/* walk_get - the finished walk starting at domain; NULL past the cap */
static const struct dmarc_walk *
walk_get(struct session *s, const char *domain)
{
	struct dmarc_walk *w;
	size_t i;

	for (i = 0; i < s->nwalk; i++) {
		if (domain_equal(s->walk[i].w->start, domain))
			return s->walk[i].w;
	}
	if (s->nwalk >= SESSION_WALKS_MAX || (w = malloc(sizeof(*w))) == NULL)
		return NULL;
	dmarc_walk_init(w, domain);
	walk_run(s, w);
	s->walk[s->nwalk++].w = w;
	return w;
}

/*
 * org_domain - the organizational domain of a name: RFC 9989 4.10.2, or
 * the public suffix list with OrgDomainMethod psl.  0, or -1 when it
 * cannot be known now (DNS temporary failure: *tempfail set).
 */
static int
org_domain(struct session *s, const char *domain, char *out, size_t outlen,
    int *tempfail)
{
	const struct dmarc_walk *w;

	if (s->eng->psl != NULL)
		return orgdomain_psl_org(s->eng->psl, domain, out, outlen);
	if ((w = walk_get(s, domain)) == NULL)
		return -1;
	if (w->tempfail) {
		*tempfail = 1;
		return -1;
	}
	return dmarc_walk_orgdomain(w, out, outlen);
}

/* one author domain's evaluation */
struct author_eval {
	char domain[DOMAIN_MAX + 1];
	struct dmarc_discovery disc;
	struct dmarc_policy_out out;
	int spf_aligned, dkim_aligned;
	int dkim_al[DKIMV_SIGS_MAX];
};

/* is_aligned - RFC 9989 4.4 identifier alignment; *tempfail when unknowable */
static int
is_aligned(struct session *s, const struct author_eval *ae, const char *id,
    enum dmarc_amode mode, int *tempfail)
{
	char org[DOMAIN_MAX + 1];
	int tf = 0;

	if (domain_equal(ae->domain, id))
		return 1;
	if (mode == DMARC_AMODE_STRICT)
		return 0;
	if (ae->disc.org_domain[0] == '\0') {
		*tempfail = 1;
		return 0;
	}
	if (org_domain(s, id, org, sizeof(org), &tf) == -1) {
		if (tf)
			*tempfail = 1;
		return 0;
	}
	return dmarc_aligned(ae->domain, ae->disc.org_domain, id, org, mode);
}

/* discover - RFC 9989 4.10.1 policy discovery for one author domain */
static void
discover(struct session *s, struct author_eval *ae)
{
	struct dmarc_discovery *d = &ae->disc;
	const struct dmarc_walk *w;

	memset(d, 0, sizeof(*d));
	if (s->eng->psl != NULL) {
		/* RFC 7489 6.6.3 with the list: author, org, then PSD */
		static const enum dmarc_source src[3] = {DMARC_SRC_AUTHOR,
		    DMARC_SRC_ORG, DMARC_SRC_PSD};
		char names[3][DOMAIN_MAX + 1];
		size_t i;

		strlcpy(names[0], ae->domain, sizeof(names[0]));
		if (orgdomain_psl_org(s->eng->psl, ae->domain, names[1],
			sizeof(names[1])) == -1)
			strlcpy(names[1], ae->domain, sizeof(names[1]));
		if (orgdomain_psl_suffix(s->eng->psl, ae->domain, names[2],
			sizeof(names[2])) == -1)
			names[2][0] = '\0';
		strlcpy(d->org_domain, names[1], sizeof(d->org_domain));
		for (i = 0; i < 3; i++) {
			const struct dmarc_walk_step *st;

			if (names[i][0] == '\0' ||
			    (i > 0 && domain_equal(names[i], names[i - 1])))
				continue;
			if ((w = walk_get(s, names[i])) == NULL ||
			    w->nstep == 0)
				return;
			st = &w->step[0];
			if (st->dns == DMARC_DNS_TEMPFAIL) {
				d->tempfail = 1;
				return;
			}
			if (!st->found ||
			    (i == 2 &&
				!(st->status == DMARC_RECORD_OK &&
				    st->rec.psd == DMARC_PSD_Y)))
				continue;
			d->source = src[i];
			d->step = st;
			strlcpy(d->policy_domain, names[i],
			    sizeof(d->policy_domain));
			return;
		}
		return;
	}
	if ((w = walk_get(s, ae->domain)) == NULL) {
		d->tempfail = 1;
		return;
	}
	if (!w->tempfail) {
		dmarc_walk_discover(w, d);
		return;
	}
	/*
	 * The walk failed part-way.  If the author domain's own record was
	 * found first, that record applies all the same (4.10.1); only
	 * relaxed alignment with another name then needs the org domain.
	 */
	if (w->nstep > 0 && w->step[0].found &&
	    w->step[0].dns == DMARC_DNS_OK) {
		d->source = DMARC_SRC_AUTHOR;
		d->step = &w->step[0];
		strlcpy(d->policy_domain, ae->domain, sizeof(d->policy_domain));
		return;
	}
	d->tempfail = 1;
}

/* evaluate - one author domain */
static void
evaluate(struct session *s, const struct verdict *v, struct author_eval *ae)
{
	const struct dmarc_record *rec = NULL;
	enum dmarc_amode aspf = DMARC_AMODE_RELAXED,
			 adkim = DMARC_AMODE_RELAXED;
	struct dmarc_policy_in in;
	int tempfail = 0;
	size_t i;

	discover(s, ae);
	if (ae->disc.step != NULL && ae->disc.step->status == DMARC_RECORD_OK) {
		rec = &ae->disc.step->rec;
		aspf = rec->aspf;
		adkim = rec->adkim;
	}
	if (!ae->disc.tempfail) {
		if (v->spf.result == SPF_RES_PASS && v->spf.domain[0] != '\0')
			ae->spf_aligned =
			    is_aligned(s, ae, v->spf.domain, aspf, &tempfail);
		for (i = 0; i < v->ndkim; i++) {
			if (v->dkim[i].sig.result != DKIMV_PASS)
				continue;
			ae->dkim_al[i] = is_aligned(s, ae,
			    v->dkim[i].sig.domain, adkim, &tempfail);
			ae->dkim_aligned |= ae->dkim_al[i];
		}
		/*
		 * An identifier that would align but whose check failed for
		 * now might still pass (RFC 7208 2.6.6, RFC 6376 6.1.2): like
		 * an unknowable alignment below, it keeps a message without
		 * an aligned pass from failing (RFC 9989 5.3.7).
		 */
		if (v->spf.result == SPF_RES_TEMPERROR &&
		    v->spf.domain[0] != '\0' &&
		    is_aligned(s, ae, v->spf.domain, aspf, &tempfail))
			tempfail = 1;
		for (i = 0; i < v->ndkim; i++)
			if (v->dkim[i].sig.result == DKIMV_TEMPERROR &&
			    is_aligned(s, ae, v->dkim[i].sig.domain, adkim,
				&tempfail))
				tempfail = 1;
	}

	memset(&in, 0, sizeof(in));
	in.disc = &ae->disc;
	in.spf_aligned = ae->spf_aligned;
	in.dkim_aligned = ae->dkim_aligned;
	in.honor_pct = s->eng->cfg->honor_pct;
	in.pct_roll = s->pct_fixed ? s->pct_roll : arc4random_uniform(100);
	in.temperror_tempfail =
	    s->eng->cfg->temperror_action == CONF_TEMPERROR_TEMPFAIL;

	/*
	 * A name needed for relaxed alignment could not be walked: with no
	 * aligned pass the message can neither pass nor fail (RFC 9989 5.3.7).
	 */
	if (tempfail && !ae->spf_aligned && !ae->dkim_aligned &&
	    ae->disc.source != DMARC_SRC_NONE)
		ae->disc.tempfail = 1;

	/* np needs to know whether the author domain exists (RFC 9989 2) */
	if (!ae->disc.tempfail &&
	    (ae->disc.source == DMARC_SRC_ORG ||
		ae->disc.source == DMARC_SRC_PSD) &&
	    !ae->spf_aligned && !ae->dkim_aligned) {
		const struct resolver_answer *a;

		a = cached_query(s, ae->domain, RESOLVER_T_A);
		if (a == NULL || a->status == RESOLVER_TEMPFAIL)
			ae->disc.tempfail = 1;
		else
			in.author_nxdomain = a->status == RESOLVER_NXDOMAIN;
	}
	dmarc_policy_eval(&in, &ae->out);
}

/* author_domain - RFC 9989 5.3.1: U-labels become A-labels */
static int
author_domain(const char *raw, char *out, size_t outlen, const char **errstr)
{
	const unsigned char *p;
	char *ace = NULL;
	int rc;

	for (p = (const unsigned char *)raw; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0')
		return domain_normalize(raw, strlen(raw), out, outlen, errstr);
	if (idn2_to_ascii_8z(raw, &ace, IDN2_NONTRANSITIONAL) != IDN2_OK) {
		*errstr = "From: domain is not a valid IDN";
		return -1;
	}
	rc = domain_normalize(ace, strlen(ace), out, outlen, errstr);
	idn2_free(ace);
	return rc;
}

/* prefetch - the author domains' walks, into the per-message cache */
static void
prefetch(struct session *s)
{
	char d[DOMAIN_MAX + 1];
	const char *errstr = NULL;
	size_t i;

	if (s->eng->psl != NULL)
		return; /* discover() walks the PSL names itself */
	for (i = 0; i < s->from.n; i++) {
		if (author_domain(s->from.domain[i], d, sizeof(d), &errstr) ==
		    0)
			(void)walk_get(s, d);
	}
}

/* build_authres - RFC 8601 field body with RFC 9989 9.1 policy.dmarc */
void
session_authres(struct session *s, struct verdict *v)
{
	struct authres_result r[2 + DKIMV_SIGS_MAX];
	char pol[32], mf[sizeof(s->mailfrom)], note[128];
	size_t n = 0, i;

	memset(r, 0, sizeof(r));
	if (s->spf_done) {
		r[n].method = "spf";
		r[n].result = spf_result_str(v->spf.result);
		if (!v->spf_null_sender) {
			strlcpy(mf, s->mailfrom, sizeof(mf));
			r[n].prop[r[n].nprop++] =
			    (struct authres_prop){"smtp", "mailfrom", mf};
		} else if (s->helo[0] != '\0') {
			r[n].prop[r[n].nprop++] =
			    (struct authres_prop){"smtp", "helo", s->helo};
		}
		n++;
	}
	for (i = 0; i < v->ndkim; i++) {
		const struct dkimv_sig *sig = &v->dkim[i].sig;

		r[n].method = "dkim";
		r[n].result = dkimv_result_str(sig->result);
		if (sig->result != DKIMV_PASS && sig->reason[0] != '\0')
			r[n].comment = sig->reason;
		r[n].prop[0] =
		    (struct authres_prop){"header", "d", sig->domain};
		r[n].prop[1] =
		    (struct authres_prop){"header", "s", sig->selector};
		r[n].nprop = 2;
		n++;
	}
	if (v->ndkim == 0) {
		r[n].method = "dkim";
		r[n].result = "none";
		n++;
	}
	r[n].method = "dmarc";
	r[n].result = dmarc_result_str(v->dmarc.result);
	if (v->header_from[0] != '\0') {
		r[n].prop[r[n].nprop++] =
		    (struct authres_prop){"header", "from", v->header_from};
	}
	if (v->dmarc.policy != DMARC_P_UNSPEC &&
	    (v->dmarc.result == DMARC_RESULT_PASS ||
		v->dmarc.result == DMARC_RESULT_FAIL)) {
		/* RFC 9989 9.1: the policy applied after t=, pct= and sp/np */
		strlcpy(pol,
		    v->dmarc.disp == DMARC_DISP_TEMPFAIL
			? "none"
			: dmarc_disp_str(v->dmarc.disp),
		    sizeof(pol));
		r[n].prop[r[n].nprop++] =
		    (struct authres_prop){"policy", "dmarc", pol};
	}
	if (v->from_error != NULL)
		r[n].comment = v->from_error;
	else if (v->from_note != NULL) {
		snprintf(note, sizeof(note), "malformed From: %s",
		    v->from_note);
		r[n].comment = note;
	}
	n++;
	if (authres_format(s->eng->authserv_id, r, n, 0, v->authres,
		sizeof(v->authres)) == -1) {
		/* hostile values too long to write: say so, never truncate */
		snprintf(v->authres, sizeof(v->authres), "%s; dmarc=%s",
		    s->eng->authserv_id, dmarc_result_str(v->dmarc.result));
	}
	if (authres_format(s->eng->authserv_id, r, n, 1, v->authres_folded,
		sizeof(v->authres_folded)) == -1)
		strlcpy(v->authres_folded, v->authres,
		    sizeof(v->authres_folded));
}

/* session_eom - finish DKIM, decide DMARC for every author domain */
int
session_eom(struct session *s, struct verdict *v)
{
	struct dkimv_sig sigs[DKIMV_SIGS_MAX];
	struct author_eval *ae, *best = NULL;
	const struct config *cfg = s->eng->cfg;
	const char *malformed = NULL, *bad = NULL;
	size_t nsig = 0, i, j, na = 0;

	memset(v, 0, sizeof(*v));
	if (s->dkim == NULL && session_eoh(s) == -1)
		return -1;
	if (dkimv_eom(s->dkim, sigs, DKIMV_SIGS_MAX, &nsig) == -1)
		nsig = 0;
	for (i = 0; i < nsig && i < DKIMV_SIGS_MAX; i++)
		v->dkim[i].sig = sigs[i];
	v->ndkim = i;
	if (s->spf_done)
		v->spf = s->spf;
	else {
		v->spf.result = SPF_RES_NONE;
		strlcpy(v->spf.scope, "mfrom", sizeof(v->spf.scope));
	}
	v->spf_null_sender = s->null_sender;

	/*
	 * A malformed From: that still names domains is evaluated for each
	 * of them (from_header_scan()): a forger must not turn a reject into
	 * a permerror by breaking the syntax.  The A-R comment says why.
	 */
	if (s->nfromhdr == 0)
		v->from_error = "no From: header";
	else if (s->from.n == 0)
		v->from_error = s->from_err != NULL
		    ? s->from_err
		    : "no author domain in From:";
	else if (s->from_err != NULL)
		malformed = s->from_err;

	if (v->from_error == NULL) {
		if ((ae = calloc(s->from.n, sizeof(*ae))) == NULL)
			return -1;
		/*
		 * Every author domain that is a usable name is evaluated; one
		 * that is not (an invalid IDN, say) does not take the others'
		 * policies away: it is noted, and only when none is usable is
		 * the result a permerror.
		 */
		for (i = na = 0; i < s->from.n; i++) {
			const char *errstr = NULL;

			if (author_domain(s->from.domain[i], ae[na].domain,
				sizeof(ae[na].domain), &errstr) == -1) {
				if (bad == NULL)
					bad = errstr != NULL
					    ? errstr
					    : "bad From: domain";
				continue;
			}
			na++;
		}
		if (na == 0)
			v->from_error = bad;
		else if (malformed == NULL)
			malformed = bad;
		for (i = 0; v->from_error == NULL && i < na; i++) {
			evaluate(s, v, &ae[i]);
			/* DESIGN §1: the strictest outcome applies */
			if (best == NULL ||
			    dmarc_verdict_worse(&best->out, &ae[i].out))
				best = &ae[i];
		}
		if (best != NULL && v->from_error == NULL) {
			v->dmarc = best->out;
			v->spf_aligned = best->spf_aligned;
			v->dkim_aligned = best->dkim_aligned;
			for (j = 0; j < v->ndkim; j++)
				v->dkim[j].aligned = best->dkim_al[j];
			strlcpy(v->header_from, best->domain,
			    sizeof(v->header_from));
			strlcpy(v->org_domain, best->disc.org_domain,
			    sizeof(v->org_domain));
			v->source = best->disc.source;
			if (best->disc.step != NULL) {
				strlcpy(v->policy_domain,
				    best->disc.policy_domain,
				    sizeof(v->policy_domain));
				if (best->disc.step->status ==
				    DMARC_RECORD_OK) {
					v->has_record = 1;
					v->rec = best->disc.step->rec;
				} else if (best->disc.step->status ==
				    DMARC_RECORD_INVALID)
					v->record_error =
					    best->disc.step->err != NULL
					    ? best->disc.step->err
					    : "invalid DMARC record";
			}
			v->nfrom = na;
		}
		free(ae);
	}
	if (v->from_error == NULL && s->from.truncated) {
		/*
		 * More author domains than are evaluated: one left out could
		 * be the spoofed one.  No mail has that many authors, so the
		 * strictest outcome is assumed (RFC 9989 5.3.1 leaves a
		 * message with several author domains to local policy).
		 */
		v->dmarc.result = DMARC_RESULT_FAIL;
		v->dmarc.disp = DMARC_DISP_REJECT;
		v->dmarc.reasons |= DMARC_REASON_LOCAL_POLICY;
		v->spf_aligned = v->dkim_aligned = 0;
		for (j = 0; j < v->ndkim; j++)
			v->dkim[j].aligned = 0;
		malformed = "more than 8 author domains";
	}
	if (v->from_error != NULL) {
		/* DESIGN §1: no usable author domain is a permerror */
		memset(&v->dmarc, 0, sizeof(v->dmarc));
		v->header_from[0] = v->policy_domain[0] = v->org_domain[0] =
		    '\0';
		v->dmarc.result = DMARC_RESULT_PERMERROR;
		switch (cfg->missing_from_action) {
		case CONF_MISSINGFROM_REJECT:
			v->dmarc.disp = DMARC_DISP_REJECT;
			v->dmarc.reasons |= DMARC_REASON_LOCAL_POLICY;
			break;
		case CONF_MISSINGFROM_QUARANTINE:
			v->dmarc.disp = DMARC_DISP_QUARANTINE;
			v->dmarc.reasons |= DMARC_REASON_LOCAL_POLICY;
			break;
		default:
			v->dmarc.disp = DMARC_DISP_NONE;
		}
		for (j = 0; j < v->ndkim; j++)
			v->dkim[j].aligned = 0;
	}
	if (v->from_error == NULL && malformed != NULL)
		v->from_note = malformed;
	session_authres(s, v);
	return 0;
}
