/*
 * test-dmarc_walk.c - unit tests for policy/dmarc_walk.c, driven by a fake
 * in-memory zone
 */
#include <string.h>
#include <strings.h>

#include "policy/dmarc_walk.h"
#include "tests/t.h"

#define TXT_MAX 3

/* one owner name: a DNS status and up to TXT_MAX TXT RRs */
struct zone_rr {
	const char *name; /* "_dmarc.example.com"; NULL ends the zone */
	enum dmarc_dns dns;
	const char *txt[TXT_MAX];
};

static struct dmarc_walk w; /* 45 KB: not on the stack */
static char qlog[DMARC_WALK_MAX + 4][DMARC_WALK_QNAME_MAX];
static size_t nq;

/* answer - feed the answer for qname; a name not in the zone is NXDOMAIN */
static void
answer(const struct zone_rr *zone, const char *qname)
{
	const char *txt[TXT_MAX];
	size_t len[TXT_MAX], n = 0;

	for (; zone != NULL && zone->name != NULL; zone++) {
		if (strcasecmp(zone->name, qname) != 0)
			continue;
		for (n = 0; n < TXT_MAX && zone->txt[n] != NULL; n++) {
			txt[n] = zone->txt[n];
			len[n] = strlen(txt[n]);
		}
		dmarc_walk_feed(&w, zone->dns, txt, len, n);
		return;
	}
	dmarc_walk_feed(&w, DMARC_DNS_NXDOMAIN, NULL, NULL, 0);
}

/* run - the whole walk for start, logging each query; maxq stops early */
static void
run(const struct zone_rr *zone, const char *start, size_t maxq)
{
	char q[DMARC_WALK_QNAME_MAX];

	dmarc_walk_init(&w, start);
	for (nq = 0; nq < maxq && dmarc_walk_next(&w, q, sizeof(q)) == 1;
	     nq++) {
		if (nq >= sizeof(qlog) / sizeof(qlog[0]))
			break; /* the walk must have stopped long before */
		memcpy(qlog[nq], q, sizeof(q));
		answer(zone, q);
	}
}

static const char *
org(void)
{
	static char buf[DOMAIN_MAX + 1];

	if (dmarc_walk_orgdomain(&w, buf, sizeof(buf)) == -1)
		return "(fail)";
	return buf;
}

static void
test_names(void)
{
	static const char *const want[] =
	    {"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"_dmarc.g.h.i.j.mail.example.com",
		"_dmarc.h.i.j.mail.example.com", "_dmarc.i.j.mail.example.com",
		"_dmarc.j.mail.example.com", "_dmarc.mail.example.com",
		"_dmarc.example.com", "_dmarc.com"};
	static const struct {
		const char *start;
		size_t nq;
		const char *second;
	} v[] = {
	    {"com", 1, NULL},
	    {"example.com", 2, "_dmarc.com"},
	    {"a.b.c.d.e.f.g", 7, "_dmarc.b.c.d.e.f.g"},
	    {"a.b.c.d.e.f.g.h", 8, "_dmarc.b.c.d.e.f.g.h"},
	    {"a.b.c.d.e.f.g.h.i", 8, "_dmarc.c.d.e.f.g.h.i"},
	};
	size_t i;

	t_begin("dmarc_walk: the eight names of RFC 9989 4.10");
	run(NULL, "a.b.c.d.e.f.g.h.i.j.mail.example.com", 99);
	T_ASSERT_INTEQ(nq, 8);
	for (i = 0; i < 8 && i < nq; i++)
		T_ASSERT_STREQ(qlog[i], want[i]);
	T_ASSERT(w.done && !w.tempfail);
	T_ASSERT_STREQ(org(), "a.b.c.d.e.f.g.h.i.j.mail.example.com");
	t_end();

	t_begin("dmarc_walk: query counts by label count");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		run(NULL, v[i].start, 99);
		T_ASSERT_IDX(nq == v[i].nq, i);
		if (v[i].second != NULL && nq > 1)
			T_ASSERT_STREQ(qlog[1], v[i].second);
		if (nq > 0) { /* always down to the TLD */
			T_ASSERT_STREQ(strrchr(qlog[nq - 1], '.'),
			    strrchr(v[i].start, '.') != NULL
				? strrchr(v[i].start, '.')
				: ".com");
			T_ASSERT_INTEQ(domain_labels(qlog[nq - 1]), 2);
		}
	}
	t_end();
}

static void
test_orgdomain(void)
{
	/* RFC 9989 4.10.2, the three closing examples */
	static const struct zone_rr z1[] = {
	    {"_dmarc.mail.example.com", DMARC_DNS_OK, {"v=DMARC1"}},
	    {"_dmarc.example.com", DMARC_DNS_OK, {"v=DMARC1"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr z2[] = {
	    {"_dmarc.mail.example.com", DMARC_DNS_OK, {"v=DMARC1; psd=n"}},
	    {"_dmarc.example.com", DMARC_DNS_OK, {"v=DMARC1"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr z3[] = {
	    {"_dmarc.com", DMARC_DNS_OK, {"v=DMARC1; psd=y"}},
	    {NULL, 0, {NULL}},
	};

	t_begin("dmarc_walk_orgdomain: RFC 9989 4.10.2 examples");
	run(z1, "a.mail.example.com", 99);
	T_ASSERT_INTEQ(nq, 4);
	T_ASSERT_STREQ(org(), "example.com");
	run(z2, "a.mail.example.com", 99);
	T_ASSERT_INTEQ(nq, 2); /* psd=n stops the walk */
	T_ASSERT_STREQ(org(), "mail.example.com");
	run(z3, "a.mail.example.com", 99);
	T_ASSERT_INTEQ(nq, 4);
	T_ASSERT_STREQ(org(), "example.com");
	t_end();
}

static void
test_discover(void)
{
	static const struct zone_rr zb3[] = {
	    /* RFC 9989 B.4.3 */
	    {"_dmarc.bank.example", DMARC_DNS_OK,
		{"v=DMARC1; p=reject; psd=y"}},
	    {"_dmarc.giant.bank.example", DMARC_DNS_OK,
		{"v=DMARC1; p=quarantine"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr zh[] = {
	    /* a record met half-way */
	    {"_dmarc.b.c.example", DMARC_DNS_OK, {"v=DMARC1; p=none"}},
	    {"_dmarc.example", DMARC_DNS_OK, {"v=DMARC1; p=reject; psd=y"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr zo[] = {
	    {"_dmarc.b.c.example", DMARC_DNS_OK, {"v=DMARC1; p=none"}},
	    {"_dmarc.c.example", DMARC_DNS_OK, {"v=DMARC1; p=reject"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr zy[] = {
	    {"_dmarc.bank.example", DMARC_DNS_OK,
		{"v=DMARC1; p=reject; psd=y"}},
	    {"_dmarc.corp.example", DMARC_DNS_OK,
		{"v=DMARC1; p=reject; psd=n"}},
	    {"_dmarc.example", DMARC_DNS_OK, {"v=DMARC1"}},
	    {NULL, 0, {NULL}},
	};
	static const struct zone_rr zi[] = {
	    {"_dmarc.x.example", DMARC_DNS_OK, {"v=DMARC1; p=bogus"}},
	    {"_dmarc.n.example", DMARC_DNS_OK, {"v=DMARC1; p=bogus; psd=n"}},
	    {"_dmarc.example", DMARC_DNS_OK, {"v=DMARC1; p=reject"}},
	    {NULL, 0, {NULL}},
	};
	struct dmarc_discovery d;

	t_begin("dmarc_walk_discover: RFC 9989 B.4.3 walks");
	run(zb3, "giant.bank.example", 99);
	T_ASSERT_INTEQ(nq, 2);
	T_ASSERT_STREQ(qlog[1], "_dmarc.bank.example");
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	T_ASSERT(d.step == &w.step[0]);
	T_ASSERT_STREQ(d.policy_domain, "giant.bank.example");
	T_ASSERT_STREQ(d.org_domain, "giant.bank.example");
	run(zb3, "mail.giant.bank.example", 99);
	T_ASSERT_INTEQ(nq, 3);
	T_ASSERT_STREQ(org(), "giant.bank.example");
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_ORG);
	T_ASSERT_STREQ(d.policy_domain, "giant.bank.example");
	run(zb3, "mail.mega.bank.example", 99);
	T_ASSERT_INTEQ(nq, 3);
	T_ASSERT_STREQ(qlog[0], "_dmarc.mail.mega.bank.example");
	T_ASSERT_STREQ(qlog[1], "_dmarc.mega.bank.example");
	T_ASSERT_STREQ(org(), "mega.bank.example");
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_PSD);
	T_ASSERT_STREQ(d.policy_domain, "bank.example");
	T_ASSERT_STREQ(d.org_domain, "mega.bank.example");
	t_end();

	t_begin("dmarc_walk_discover: never a record met half-way");
	run(zh, "a.b.c.example", 99);
	T_ASSERT_INTEQ(nq, 4);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_STREQ(d.org_domain, "c.example");
	T_ASSERT_INTEQ(d.source, DMARC_SRC_PSD);
	T_ASSERT_STREQ(d.policy_domain, "example");
	run(zo, "a.b.c.example", 99);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_STREQ(d.org_domain, "c.example");
	T_ASSERT_INTEQ(d.source, DMARC_SRC_ORG);
	T_ASSERT_STREQ(d.policy_domain, "c.example");
	T_ASSERT_INTEQ(d.step->rec.p, DMARC_P_REJECT);
	run(zo, "b.c.example", 99);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	T_ASSERT_INTEQ(d.step->rec.p, DMARC_P_NONE);
	t_end();

	t_begin("dmarc_walk_discover: psd=y and psd=n at the start");
	run(zy, "bank.example", 99);
	T_ASSERT_INTEQ(nq, 1);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	T_ASSERT_STREQ(d.org_domain, "bank.example");
	run(zy, "x.corp.example", 99);
	T_ASSERT_INTEQ(nq, 2);
	T_ASSERT_STREQ(org(), "corp.example");
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_ORG);
	run(zy, "corp.example", 99);
	T_ASSERT_INTEQ(nq, 1);
	T_ASSERT_STREQ(org(), "corp.example");
	t_end();

	t_begin("dmarc_walk_discover: an INVALID record is found and applies");
	run(zi, "x.example", 99);
	T_ASSERT_INTEQ(nq, 2);
	T_ASSERT(w.step[0].found);
	T_ASSERT_INTEQ(w.step[0].status, DMARC_RECORD_INVALID);
	T_ASSERT_STREQ(w.step[0].err, "p: unknown policy");
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	T_ASSERT_STREQ(d.org_domain, "example");
	run(zi, "y.x.example", 99);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_ORG);
	T_ASSERT_STREQ(d.policy_domain, "example");
	run(zi, "a.n.example", 99); /* psd=n of an INVALID record: unheeded */
	T_ASSERT_INTEQ(nq, 3);
	T_ASSERT_STREQ(org(), "example");
	t_end();
}

static void
test_answers(void)
{
	static const struct zone_rr zm[] = {
	    {"_dmarc.two.example", DMARC_DNS_OK,
		{"v=spf1 -all", "v=DMARC1; p=reject", "v=DMARC1; p=none"}},
	    {"_dmarc.one.example", DMARC_DNS_OK,
		{"v=spf1 -all", "v=DMARC1; p=reject", "v=DMARC10"}},
	    {"_dmarc.empty.example", DMARC_DNS_OK, {NULL}},
	    {"_dmarc.nodata.example", DMARC_DNS_NODATA, {NULL}},
	    {"_dmarc.bad.example", DMARC_DNS_INVALID, {NULL}},
	    {"_dmarc.example", DMARC_DNS_OK, {"v=DMARC1; p=quarantine"}},
	    {NULL, 0, {NULL}},
	};
	static const char *const nodmarc[] = {"two.example", "empty.example",
	    "nodata.example", "bad.example"};
	struct dmarc_discovery d;
	size_t i;

	t_begin("dmarc_walk_feed: several DMARC records are all discarded");
	run(zm, "two.example", 99);
	T_ASSERT(w.step[0].multiple && !w.step[0].found);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_ORG);
	T_ASSERT_STREQ(d.policy_domain, "example");
	run(zm, "one.example", 99);
	T_ASSERT(w.step[0].found && !w.step[0].multiple);
	T_ASSERT_INTEQ(w.step[0].rec.p, DMARC_P_REJECT);
	t_end();

	t_begin("dmarc_walk_feed: no record, walk on");
	for (i = 0; i < sizeof(nodmarc) / sizeof(nodmarc[0]); i++) {
		run(zm, nodmarc[i], 99);
		T_ASSERT_IDX(nq == 2 && w.done && !w.tempfail, i);
		T_ASSERT_IDX(!w.step[0].found, i);
		dmarc_walk_discover(&w, &d);
		T_ASSERT_IDX(d.source == DMARC_SRC_ORG, i);
		T_ASSERT_STREQ(d.org_domain, "example");
	}
	T_ASSERT_INTEQ(w.step[0].dns, DMARC_DNS_INVALID);
	t_end();
}

static void
test_tempfail(void)
{
	static const char *const names[] =
	    {"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"_dmarc.g.h.i.j.mail.example.com",
		"_dmarc.h.i.j.mail.example.com", "_dmarc.i.j.mail.example.com",
		"_dmarc.j.mail.example.com", "_dmarc.mail.example.com",
		"_dmarc.example.com", "_dmarc.com"};
	static const struct zone_rr za[] = {
	    {"_dmarc.mail.example.com", DMARC_DNS_OK, {"v=DMARC1; p=reject"}},
	    {"_dmarc.com", DMARC_DNS_TEMPFAIL, {NULL}},
	    {NULL, 0, {NULL}},
	};
	struct zone_rr z[2];
	struct dmarc_discovery d;
	char buf[DOMAIN_MAX + 1];
	size_t i;

	t_begin("dmarc_walk: tempfail at each of the eight steps");
	for (i = 0; i < 8; i++) {
		memset(z, 0, sizeof(z));
		z[0].name = names[i];
		z[0].dns = DMARC_DNS_TEMPFAIL;
		run(z, "a.b.c.d.e.f.g.h.i.j.mail.example.com", 99);
		T_ASSERT_IDX(nq == i + 1, i);
		T_ASSERT_IDX(w.done && w.tempfail, i);
		T_ASSERT_IDX(dmarc_walk_orgdomain(&w, buf, sizeof(buf)) == -1,
		    i);
		dmarc_walk_discover(&w, &d);
		T_ASSERT_IDX(d.tempfail && d.source == DMARC_SRC_NONE, i);
		T_ASSERT_IDX(d.org_domain[0] == '\0', i);
	}
	run(za, "mail.example.com", 99);
	T_ASSERT_INTEQ(nq, 3);
	dmarc_walk_discover(&w, &d);
	T_ASSERT(d.tempfail);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	t_end();
}

static void
test_api(void)
{
	static const struct zone_rr z[] = {
	    {"_dmarc.mail.example.com", DMARC_DNS_OK, {"v=DMARC1; p=reject"}},
	    {NULL, 0, {NULL}},
	};
	struct dmarc_discovery d;
	char q[DMARC_WALK_QNAME_MAX], q2[DMARC_WALK_QNAME_MAX], small[10];
	char buf[DOMAIN_MAX + 1];

	t_begin("dmarc_walk: stopping after the author's own query");
	run(z, "mail.example.com", 1);
	T_ASSERT(!w.done);
	T_ASSERT(dmarc_walk_orgdomain(&w, buf, sizeof(buf)) == -1);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_AUTHOR);
	T_ASSERT_STREQ(d.policy_domain, "mail.example.com");
	T_ASSERT_STREQ(d.org_domain, "");
	run(z, "x.mail.example.com", 1);
	dmarc_walk_discover(&w, &d);
	T_ASSERT_INTEQ(d.source, DMARC_SRC_NONE);
	T_ASSERT(d.step == NULL && !d.tempfail);
	t_end();

	t_begin("dmarc_walk_next: repeat, feed without next, small buffer");
	dmarc_walk_init(&w, "a.example");
	dmarc_walk_feed(&w, DMARC_DNS_TEMPFAIL, NULL, NULL, 0); /* no-op */
	T_ASSERT(!w.tempfail && w.nstep == 0);
	T_ASSERT(dmarc_walk_next(&w, q, sizeof(q)) == 1);
	T_ASSERT(dmarc_walk_next(&w, q2, sizeof(q2)) == 1);
	T_ASSERT_STREQ(q, "_dmarc.a.example");
	T_ASSERT_STREQ(q2, q);
	dmarc_walk_feed(&w, DMARC_DNS_NXDOMAIN, NULL, NULL, 0);
	T_ASSERT(dmarc_walk_next(&w, q, sizeof(q)) == 1);
	T_ASSERT_STREQ(q, "_dmarc.example");
	dmarc_walk_feed(&w, DMARC_DNS_NODATA, NULL, NULL, 0);
	T_ASSERT(w.done); /* the TLD was the last name */
	T_ASSERT(dmarc_walk_orgdomain(&w, buf, sizeof(buf)) == 0);
	T_ASSERT_STREQ(buf, "a.example");
	T_ASSERT(dmarc_walk_next(&w, q, sizeof(q)) == 0);
	T_ASSERT(w.done && w.nstep == 2);
	dmarc_walk_init(&w, "a.example");
	T_ASSERT(dmarc_walk_next(&w, small, sizeof(small)) == 0);
	T_ASSERT(w.done && w.tempfail);
	t_end();

	t_begin("dmarc_walk_init: empty start");
	dmarc_walk_init(&w, "");
	T_ASSERT(dmarc_walk_next(&w, q, sizeof(q)) == 0);
	T_ASSERT(dmarc_walk_orgdomain(&w, buf, sizeof(buf)) == -1);
	dmarc_walk_discover(&w, &d);
	T_ASSERT(d.source == DMARC_SRC_NONE && !d.tempfail);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_names, test_orgdomain,
	    test_discover, test_answers, test_tempfail, test_api, NULL};

	return t_run(tests);
}
