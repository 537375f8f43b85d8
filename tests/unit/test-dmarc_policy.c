/*
 * test-dmarc_policy.c - unit tests for policy/dmarc_policy.c
 *
 * The first table runs the whole chain (walk, discover, align, eval) over
 * a fake in-memory zone, with RFC 9989 Appendix B.4.1-B.4.3 among the
 * vectors; the second checks the p/sp/np choice, t=, pct= and errors.
 */
#include <string.h>
#include <strings.h>

#include "policy/dmarc_align.h"
#include "policy/dmarc_policy.h"
#include "tests/t.h"

#define TXT_MAX 3

struct zone_rr {
	const char *name; /* NULL ends the zone */
	enum dmarc_dns dns;
	const char *txt[TXT_MAX];
};

/* RFC 9989 B.4.1 and B.4.2 ("_dmarc.com" has none), and more */
static const struct zone_rr zone[] = {
    {"_dmarc.example.com", DMARC_DNS_OK,
	{"v=DMARC1; p=reject; sp=quarantine; "
	 "rua=mailto:dmarc-feedback@example.com"}},
    {"_dmarc.signing.example.com", DMARC_DNS_OK, {"v=DMARC1; p=none"}},
    {"_dmarc.dup.example.com", DMARC_DNS_OK,
	{"v=DMARC1; p=none", "v=DMARC1; p=none"}},
    /* RFC 9989 B.4.3 */
    {"_dmarc.bank.example", DMARC_DNS_OK,
	{"v=DMARC1; p=quarantine; sp=none; np=reject; psd=y"}},
    {"_dmarc.giant.bank.example", DMARC_DNS_OK, {"v=DMARC1; p=quarantine"}},
    {"_dmarc.strict.example", DMARC_DNS_OK,
	{"v=DMARC1; p=reject; adkim=s; aspf=s"}},
    {"_dmarc.broken.example", DMARC_DNS_OK, {"v=DMARC1; p=bogus"}},
    {"_dmarc.rua.example", DMARC_DNS_OK,
	{"v=DMARC1; p=bogus; rua=mailto:r@rua.example"}},
    {"_dmarc.x.flaky.example", DMARC_DNS_OK, {"v=DMARC1; p=reject"}},
    {"_dmarc.flaky.example", DMARC_DNS_TEMPFAIL, {NULL}},
    {"_dmarc.y.flaky.example", DMARC_DNS_TEMPFAIL, {NULL}},
    {NULL, 0, {NULL}},
};

static struct dmarc_walk aw, iw; /* the author's walk, an identifier's */

/* walk - run a whole walk over the zone; the query names into log */
static void
walk(struct dmarc_walk *w, const char *start, char *log, size_t loglen)
{
	char q[DMARC_WALK_QNAME_MAX];
	const struct zone_rr *z;
	const char *txt[TXT_MAX];
	size_t len[TXT_MAX], n, i;

	if (log != NULL)
		log[0] = '\0';
	dmarc_walk_init(w, start);
	for (i = 0; i < 20 && dmarc_walk_next(w, q, sizeof(q)) == 1; i++) {
		if (log != NULL) {
			if (log[0] != '\0')
				(void)strlcat(log, " ", loglen);
			(void)strlcat(log, q, loglen);
		}
		for (z = zone; z->name != NULL; z++)
			if (strcasecmp(z->name, q) == 0)
				break;
		for (n = 0; z->name != NULL && n < TXT_MAX && z->txt[n]; n++) {
			txt[n] = z->txt[n];
			len[n] = strlen(txt[n]);
		}
		dmarc_walk_feed(w,
		    z->name != NULL ? z->dns : DMARC_DNS_NXDOMAIN, txt, len, n);
	}
}

/* id_aligned - walk id if it differs from the author, then align */
static int
id_aligned(const char *author, const struct dmarc_discovery *d, const char *id,
    enum dmarc_amode mode)
{
	char org[DOMAIN_MAX + 1];

	if (id == NULL)
		return 0; /* no passing identifier */
	if (domain_equal(id, author))
		(void)strlcpy(org, d->org_domain, sizeof(org));
	else {
		walk(&iw, id, NULL, 0);
		if (dmarc_walk_orgdomain(&iw, org, sizeof(org)) == -1)
			org[0] = '\0';
	}
	return dmarc_aligned(author, d->org_domain, id, org, mode);
}

static void
test_chain(void)
{
	static const struct {
		const char *author, *spf, *dkim; /* passing ids, or NULL */
		int nxdomain, tempfail_action;
		const char *queries; /* the author's walk, or NULL */
		enum dmarc_source source;
		const char *policy_domain, *org_domain;
		int spf_aligned, dkim_aligned;
		enum dmarc_result result;
		enum dmarc_p policy;
		enum dmarc_disp disp;
	} v[] = {
	    /* B.4.1: simple, the author's own record */
	    {"example.com", "example.com", "signing.example.com", 0, 1,
		"_dmarc.example.com _dmarc.com", DMARC_SRC_AUTHOR,
		"example.com", "example.com", 1, 1, DMARC_RESULT_PASS,
		DMARC_P_REJECT, DMARC_DISP_NONE},
	    {"example.com", NULL, "signing.example.com", 0, 1, NULL,
		DMARC_SRC_AUTHOR, "example.com", "example.com", 0, 1,
		DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE},
	    {"example.com", "attacker.example.net", NULL, 0, 1, NULL,
		DMARC_SRC_AUTHOR, "example.com", "example.com", 0, 0,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT},
	    /* B.4.2: deep walk, the Organizational Domain's record */
	    {"a.b.c.d.e.f.g.h.i.j.k.example.com", "example.com",
		"signing.example.com", 0, 1,
		"_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com "
		"_dmarc.g.h.i.j.k.example.com _dmarc.h.i.j.k.example.com "
		"_dmarc.i.j.k.example.com _dmarc.j.k.example.com "
		"_dmarc.k.example.com _dmarc.example.com _dmarc.com",
		DMARC_SRC_ORG, "example.com", "example.com", 1, 1,
		DMARC_RESULT_PASS, DMARC_P_QUARANTINE, DMARC_DISP_NONE},
	    {"a.b.c.d.e.f.g.h.i.j.k.example.com", NULL, NULL, 0, 1, NULL,
		DMARC_SRC_ORG, "example.com", "example.com", 0, 0,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE},
	    {"gone.example.com", NULL, NULL, 1, 1, NULL, DMARC_SRC_ORG,
		"example.com", "example.com", 0, 0, DMARC_RESULT_FAIL,
		DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE}, /* no np */
	    /* B.4.3: a PSD record with psd=y */
	    {"giant.bank.example", "mail.giant.bank.example",
		"mail.mega.bank.example", 0, 1,
		"_dmarc.giant.bank.example _dmarc.bank.example",
		DMARC_SRC_AUTHOR, "giant.bank.example", "giant.bank.example", 1,
		0, DMARC_RESULT_PASS, DMARC_P_QUARANTINE, DMARC_DISP_NONE},
	    {"giant.bank.example", NULL, "mail.mega.bank.example", 0, 1, NULL,
		DMARC_SRC_AUTHOR, "giant.bank.example", "giant.bank.example", 0,
		0, DMARC_RESULT_FAIL, DMARC_P_QUARANTINE,
		DMARC_DISP_QUARANTINE},
	    {"mail.giant.bank.example", NULL, NULL, 0, 1,
		"_dmarc.mail.giant.bank.example _dmarc.giant.bank.example "
		"_dmarc.bank.example",
		DMARC_SRC_ORG, "giant.bank.example", "giant.bank.example", 0, 0,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE},
	    /* the PSD's record: sp for an existing name, np for NXDOMAIN */
	    {"shop.bank.example", NULL, NULL, 0, 1, NULL, DMARC_SRC_PSD,
		"bank.example", "shop.bank.example", 0, 0, DMARC_RESULT_FAIL,
		DMARC_P_NONE, DMARC_DISP_NONE},
	    {"ghost.bank.example", NULL, NULL, 1, 1, NULL, DMARC_SRC_PSD,
		"bank.example", "ghost.bank.example", 0, 0, DMARC_RESULT_FAIL,
		DMARC_P_REJECT, DMARC_DISP_REJECT},
	    /* strict alignment */
	    {"strict.example", "mail.strict.example", "strict.example", 0, 1,
		NULL, DMARC_SRC_AUTHOR, "strict.example", "strict.example", 0,
		1, DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE},
	    {"strict.example", NULL, "sub.strict.example", 0, 1, NULL,
		DMARC_SRC_AUTHOR, "strict.example", "strict.example", 0, 0,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT},
	    /* several records at the author: discarded, as if none */
	    {"dup.example.com", NULL, NULL, 0, 1, NULL, DMARC_SRC_ORG,
		"example.com", "example.com", 0, 0, DMARC_RESULT_FAIL,
		DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE},
	    /* bad p: permerror, or p=none when rua is valid */
	    {"broken.example", "broken.example", NULL, 0, 1, NULL,
		DMARC_SRC_AUTHOR, "broken.example", "broken.example", 1, 0,
		DMARC_RESULT_PERMERROR, DMARC_P_UNSPEC, DMARC_DISP_NONE},
	    {"rua.example", NULL, NULL, 0, 1, NULL, DMARC_SRC_AUTHOR,
		"rua.example", "rua.example", 0, 0, DMARC_RESULT_FAIL,
		DMARC_P_NONE, DMARC_DISP_NONE},
	    /* a DNS failure: temperror, tempfail only if asked */
	    {"x.flaky.example", NULL, NULL, 0, 0,
		"_dmarc.x.flaky.example _dmarc.flaky.example", DMARC_SRC_AUTHOR,
		"x.flaky.example", "(tempfail)", 0, 0, DMARC_RESULT_TEMPERROR,
		DMARC_P_UNSPEC, DMARC_DISP_NONE},
	    {"y.flaky.example", NULL, NULL, 0, 1, "_dmarc.y.flaky.example",
		DMARC_SRC_NONE, "", "(tempfail)", 0, 0, DMARC_RESULT_TEMPERROR,
		DMARC_P_UNSPEC, DMARC_DISP_TEMPFAIL},
	    /* no record anywhere */
	    {"nowhere.test", "nowhere.test", NULL, 0, 1,
		"_dmarc.nowhere.test _dmarc.test", DMARC_SRC_NONE, "",
		"nowhere.test", 1, 0, DMARC_RESULT_NONE, DMARC_P_UNSPEC,
		DMARC_DISP_NONE},
	};
	struct dmarc_discovery d;
	struct dmarc_policy_in in;
	struct dmarc_policy_out out;
	char log[8 * DMARC_WALK_QNAME_MAX];
	enum dmarc_amode aspf, adkim;
	size_t i;

	t_begin("walk, discover, align, eval: RFC 9989 B.4 and more");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		walk(&aw, v[i].author, log, sizeof(log));
		if (v[i].queries != NULL)
			T_ASSERT_STREQ(log, v[i].queries);
		dmarc_walk_discover(&aw, &d);
		T_ASSERT_IDX(d.source == v[i].source, i);
		T_ASSERT_STREQ(d.policy_domain, v[i].policy_domain);
		T_ASSERT_STREQ(d.tempfail ? "(tempfail)" : d.org_domain,
		    v[i].org_domain);
		aspf = adkim = DMARC_AMODE_RELAXED;
		if (d.step != NULL && d.step->status == DMARC_RECORD_OK) {
			aspf = d.step->rec.aspf;
			adkim = d.step->rec.adkim;
		}
		memset(&in, 0, sizeof(in));
		in.disc = &d;
		in.author_nxdomain = v[i].nxdomain;
		in.spf_aligned = id_aligned(v[i].author, &d, v[i].spf, aspf);
		in.dkim_aligned = id_aligned(v[i].author, &d, v[i].dkim, adkim);
		in.temperror_tempfail = v[i].tempfail_action;
		T_ASSERT_IDX(in.spf_aligned == v[i].spf_aligned, i);
		T_ASSERT_IDX(in.dkim_aligned == v[i].dkim_aligned, i);
		dmarc_policy_eval(&in, &out);
		T_ASSERT_STREQ(dmarc_result_str(out.result),
		    dmarc_result_str(v[i].result));
		T_ASSERT_STREQ(dmarc_p_str(out.policy),
		    dmarc_p_str(v[i].policy));
		T_ASSERT_STREQ(dmarc_disp_str(out.disp),
		    dmarc_disp_str(v[i].disp));
	}
	t_end();
}

/* rec_step - a walk step holding the parse of txt */
static void
rec_step(struct dmarc_walk_step *st, const char *txt)
{
	memset(st, 0, sizeof(*st));
	st->found = 1;
	st->status = dmarc_record_parse(txt, strlen(txt), &st->rec, &st->err);
}

static void
test_eval(void)
{
	static const struct {
		const char *txt;
		enum dmarc_source source;
		int nxdomain, aligned, honor_pct;
		unsigned roll;
		enum dmarc_result result;
		enum dmarc_p policy;
		enum dmarc_disp disp;
		unsigned reasons;
	} v[] = {
#define ALL "v=DMARC1; p=reject; sp=none; np=quarantine"
	    /* p, sp, np (RFC 9989 4.10.1) */
	    {ALL, DMARC_SRC_AUTHOR, 0, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {ALL, DMARC_SRC_AUTHOR, 1, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {ALL, DMARC_SRC_ORG, 0, 0, 1, 0, DMARC_RESULT_FAIL, DMARC_P_NONE,
		DMARC_DISP_NONE, 0},
	    {ALL, DMARC_SRC_ORG, 1, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE, 0},
	    {ALL, DMARC_SRC_PSD, 1, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE, 0},
	    {ALL, DMARC_SRC_ORG, 0, 1, 1, 0, DMARC_RESULT_PASS, DMARC_P_NONE,
		DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=reject; sp=quarantine", DMARC_SRC_ORG, 1, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE,
		0},
	    {"v=DMARC1; p=reject", DMARC_SRC_ORG, 1, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=none; np=reject", DMARC_SRC_PSD, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_NONE, DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=reject", DMARC_SRC_AUTHOR, 0, 1, 1, 0,
		DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE, 0},
	    {"v=DMARC1", DMARC_SRC_AUTHOR, 0, 0, 1, 0, DMARC_RESULT_FAIL,
		DMARC_P_NONE, DMARC_DISP_NONE, 0},
	    /* t=y, and a legacy pct=0 read as t=y */
	    {"v=DMARC1; p=reject; t=y", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_QUARANTINE,
		DMARC_REASON_POLICY_TEST_MODE},
	    {"v=DMARC1; p=quarantine; t=Y", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_NONE,
		DMARC_REASON_POLICY_TEST_MODE},
	    {"v=DMARC1; p=none; t=y", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_NONE, DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=reject; t=y", DMARC_SRC_AUTHOR, 0, 1, 1, 0,
		DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=reject; t=n", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject; pct=0", DMARC_SRC_AUTHOR, 0, 0, 0, 0,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_QUARANTINE,
		DMARC_REASON_POLICY_TEST_MODE},
	    /* pct sampling (RFC 7489 6.6.4), both sides of the draw */
	    {"v=DMARC1; p=reject; pct=30", DMARC_SRC_AUTHOR, 0, 0, 1, 29,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject; pct=30", DMARC_SRC_AUTHOR, 0, 0, 1, 30,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_QUARANTINE,
		DMARC_REASON_SAMPLED_OUT},
	    {"v=DMARC1; p=quarantine; pct=30", DMARC_SRC_AUTHOR, 0, 0, 1, 99,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_NONE,
		DMARC_REASON_SAMPLED_OUT},
	    {"v=DMARC1; p=quarantine; pct=30", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE,
		0},
	    {"v=DMARC1; p=reject; pct=30", DMARC_SRC_AUTHOR, 0, 0, 0, 99,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject; pct=100", DMARC_SRC_AUTHOR, 0, 0, 1, 99,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject; pct=1x", DMARC_SRC_AUTHOR, 0, 0, 1, 99,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject", DMARC_SRC_AUTHOR, 0, 0, 1, 99,
		DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	    {"v=DMARC1; p=reject; pct=30", DMARC_SRC_AUTHOR, 0, 1, 1, 99,
		DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE, 0},
	    /* invalid p with and without a valid rua */
	    {"v=DMARC1; p=rejekt; rua=mailto:r@example.com", DMARC_SRC_AUTHOR,
		0, 0, 1, 0, DMARC_RESULT_FAIL, DMARC_P_NONE, DMARC_DISP_NONE,
		0},
	    {"v=DMARC1; p=reject; sp=x; rua=mailto:r@example.com",
		DMARC_SRC_ORG, 0, 0, 1, 0, DMARC_RESULT_FAIL, DMARC_P_NONE,
		DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=rejekt", DMARC_SRC_AUTHOR, 0, 0, 1, 0,
		DMARC_RESULT_PERMERROR, DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
	    {"v=DMARC1; p=rejekt", DMARC_SRC_AUTHOR, 0, 1, 1, 0,
		DMARC_RESULT_PERMERROR, DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
	    /* no record */
	    {NULL, DMARC_SRC_NONE, 0, 0, 1, 0, DMARC_RESULT_NONE,
		DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
#undef ALL
	};
	static struct dmarc_walk_step st;
	struct dmarc_discovery d;
	struct dmarc_policy_in in;
	struct dmarc_policy_out out;
	size_t i;

	t_begin("dmarc_policy_eval: policy, t=, pct=, errors");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.source = v[i].source;
		if (v[i].txt != NULL) {
			rec_step(&st, v[i].txt);
			d.step = &st;
		}
		memset(&in, 0, sizeof(in));
		in.disc = &d;
		in.author_nxdomain = v[i].nxdomain;
		in.dkim_aligned = v[i].aligned;
		in.honor_pct = v[i].honor_pct;
		in.pct_roll = v[i].roll;
		in.temperror_tempfail = 1;
		dmarc_policy_eval(&in, &out);
		T_ASSERT_IDX(out.result == v[i].result, i);
		T_ASSERT_IDX(out.policy == v[i].policy, i);
		T_ASSERT_IDX(out.disp == v[i].disp, i);
		T_ASSERT_IDX(out.reasons == v[i].reasons, i);
		in.dkim_aligned = 0; /* SPF counts the same as DKIM */
		in.spf_aligned = v[i].aligned;
		dmarc_policy_eval(&in, &out);
		T_ASSERT_IDX(out.result == v[i].result, i);
	}
	t_end();

	t_begin("dmarc_policy_eval: tempfail and no discovery");
	memset(&d, 0, sizeof(d));
	d.tempfail = 1;
	memset(&in, 0, sizeof(in));
	in.disc = &d;
	in.spf_aligned = 1;
	dmarc_policy_eval(&in, &out);
	T_ASSERT_INTEQ(out.result, DMARC_RESULT_TEMPERROR);
	T_ASSERT_INTEQ(out.disp, DMARC_DISP_NONE);
	in.temperror_tempfail = 1;
	dmarc_policy_eval(&in, &out);
	T_ASSERT_INTEQ(out.disp, DMARC_DISP_TEMPFAIL);
	T_ASSERT_INTEQ(out.policy, DMARC_P_UNSPEC);
	in.disc = NULL;
	dmarc_policy_eval(&in, &out);
	T_ASSERT_INTEQ(out.result, DMARC_RESULT_NONE);
	T_ASSERT_INTEQ(out.disp, DMARC_DISP_NONE);
	t_end();
}

static void
test_worse(void)
{
	/* strictest last */
	static const struct dmarc_policy_out order[] = {
	    {DMARC_RESULT_PASS, DMARC_P_REJECT, DMARC_DISP_NONE, 0},
	    {DMARC_RESULT_NONE, DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
	    {DMARC_RESULT_PERMERROR, DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
	    {DMARC_RESULT_TEMPERROR, DMARC_P_UNSPEC, DMARC_DISP_NONE, 0},
	    {DMARC_RESULT_FAIL, DMARC_P_NONE, DMARC_DISP_NONE, 0},
	    {DMARC_RESULT_FAIL, DMARC_P_QUARANTINE, DMARC_DISP_QUARANTINE, 0},
	    {DMARC_RESULT_TEMPERROR, DMARC_P_UNSPEC, DMARC_DISP_TEMPFAIL, 0},
	    {DMARC_RESULT_FAIL, DMARC_P_REJECT, DMARC_DISP_REJECT, 0},
	};
	size_t i, j, n = sizeof(order) / sizeof(order[0]);

	t_begin("dmarc_verdict_worse: strictest wins");
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			T_ASSERT_IDX(dmarc_verdict_worse(&order[i],
					 &order[j]) == (j > i),
			    i * n + j);
	t_end();

	t_begin("dmarc_result_str and dmarc_disp_str");
	T_ASSERT_STREQ(dmarc_result_str(DMARC_RESULT_NONE), "none");
	T_ASSERT_STREQ(dmarc_result_str(DMARC_RESULT_PASS), "pass");
	T_ASSERT_STREQ(dmarc_result_str(DMARC_RESULT_FAIL), "fail");
	T_ASSERT_STREQ(dmarc_result_str(DMARC_RESULT_TEMPERROR), "temperror");
	T_ASSERT_STREQ(dmarc_result_str(DMARC_RESULT_PERMERROR), "permerror");
	T_ASSERT_STREQ(dmarc_disp_str(DMARC_DISP_NONE), "none");
	T_ASSERT_STREQ(dmarc_disp_str(DMARC_DISP_QUARANTINE), "quarantine");
	T_ASSERT_STREQ(dmarc_disp_str(DMARC_DISP_REJECT), "reject");
	T_ASSERT_STREQ(dmarc_disp_str(DMARC_DISP_TEMPFAIL), "tempfail");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_chain, test_eval, test_worse, NULL};

	return t_run(tests);
}
