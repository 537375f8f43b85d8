/*
 * test-aggregate.c - RFC 9990 reports from store records
 *
 * Records are fed to the aggregator directly; every emitted report is
 * kept, inspected as text and validated with xmllint against
 * tests/report/dmarc-2.0.xsd (found through $top_srcdir, "." by default).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#include "report/aggregate.h"
#include "report/store.h"
#include "tests/t.h"

extern char **environ;

#define DAY0   1704067200LL /* 2024-01-01 00:00:00 UTC */
#define MAXREP 16

struct got {
	size_t n;
	struct {
		char domain[DOMAIN_MAX + 1];
		char id[AGG_ID_LEN + 1];
		char filename[AGG_FILENAME_MAX];
		char rua[AGG_RUA_MAX];
		long long begin, end;
		unsigned long long messages, omitted;
		size_t nrows;
		char *xml;
		size_t xmllen;
		unsigned char *gz;
		size_t gzlen;
	} r[MAXREP];
	int fail_emit;
};

static const struct agg_meta meta = {"Example Receiver",
    "dmarc-noreply@mx.example.net", "https://mx.example.net/dmarc",
    "mx.example.net", "dmarc-milter 0.1.0"};

static int
collect(const struct agg_report *rep, void *arg)
{
	struct got *g = arg;

	if (g->fail_emit || g->n == MAXREP)
		return -1;
	strlcpy(g->r[g->n].domain, rep->policy_domain,
	    sizeof(g->r[g->n].domain));
	strlcpy(g->r[g->n].id, rep->report_id, sizeof(g->r[g->n].id));
	strlcpy(g->r[g->n].filename, rep->filename,
	    sizeof(g->r[g->n].filename));
	strlcpy(g->r[g->n].rua, rep->rua, sizeof(g->r[g->n].rua));
	g->r[g->n].begin = rep->begin;
	g->r[g->n].end = rep->end;
	g->r[g->n].messages = rep->messages;
	g->r[g->n].omitted = rep->omitted;
	g->r[g->n].nrows = rep->nrows;
	g->r[g->n].xml = strndup(rep->xml, rep->xmllen);
	g->r[g->n].xmllen = rep->xmllen;
	g->r[g->n].gz = malloc(rep->gzlen);
	memcpy(g->r[g->n].gz, rep->gz, rep->gzlen);
	g->r[g->n].gzlen = rep->gzlen;
	g->n++;
	return 0;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->r[i].xml);
		free(g->r[i].gz);
	}
	memset(g, 0, sizeof(*g));
}

/* base - a DMARC pass from 192.0.2.1 for example.com under p=reject */
static void
base(struct store_record *r)
{
	memset(r, 0, sizeof(*r));
	r->received = DAY0 + 3600;
	strlcpy(r->source_ip, "192.0.2.1", sizeof(r->source_ip));
	strlcpy(r->env_from_domain, "example.com", sizeof(r->env_from_domain));
	strlcpy(r->env_to_domain, "example.net", sizeof(r->env_to_domain));
	strlcpy(r->header_from, "example.com", sizeof(r->header_from));
	strlcpy(r->policy_domain, "example.com", sizeof(r->policy_domain));
	r->has_policy = 1;
	strlcpy(r->p, "reject", sizeof(r->p));
	r->adkim = 'r';
	r->aspf = 'r';
	strlcpy(r->fo, "0", sizeof(r->fo));
	strlcpy(r->discovery, "treewalk", sizeof(r->discovery));
	strlcpy(r->rua, "mailto:dmarc@example.com", sizeof(r->rua));
	strlcpy(r->dmarc_result, "pass", sizeof(r->dmarc_result));
	r->spf_aligned = 1;
	r->dkim_aligned = 1;
	strlcpy(r->disposition, "none", sizeof(r->disposition));
	strlcpy(r->spf_domain, "example.com", sizeof(r->spf_domain));
	strlcpy(r->spf_scope, "mfrom", sizeof(r->spf_scope));
	strlcpy(r->spf_result, "pass", sizeof(r->spf_result));
	r->ndkim = 1;
	strlcpy(r->dkim[0].domain, "example.com", sizeof(r->dkim[0].domain));
	strlcpy(r->dkim[0].selector, "s1", sizeof(r->dkim[0].selector));
	strlcpy(r->dkim[0].result, "pass", sizeof(r->dkim[0].result));
}

/* build - one day of records through a new aggregator; 0 or -1 */
static int
build(const struct store_record *recs, size_t n, struct got *g,
    const char **err_r)
{
	struct agg *a = NULL;
	const char *e = NULL;
	size_t i;
	int rc = 0;

	*err_r = NULL;
	if (agg_new(&meta, DAY0, collect, g, &a, &e) == -1) {
		*err_r = e;
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = agg_add_cb(&recs[i], a);
	if (rc == 0)
		rc = agg_finish(a);
	if (rc != 0) {
		static char buf[400];

		strlcpy(buf, agg_error(a) ? agg_error(a) : "?", sizeof(buf));
		*err_r = buf;
	}
	agg_free(&a);
	return rc == 0 ? 0 : -1;
}

/* count_of - occurrences of needle in hay */
static int
count_of(const char *hay, const char *needle)
{
	int n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static const char *
schema_path(void)
{
	static char path[4096];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/report/dmarc-2.0.xsd",
	    top != NULL ? top : ".");
	return path;
}

/* xmllint - 0 if text validates against the schema; else its exit code */
static int
xmllint(const char *text, size_t len)
{
	char file[] = "/tmp/test-aggregate-XXXXXX",
	     out[] = "/tmp/test-agg-out-XXXXXX";
	char *argv[] = {"xmllint", "--noout", "--schema", NULL, file, NULL};
	posix_spawn_file_actions_t fa;
	int fd, ofd, status = -1;
	pid_t pid;

	argv[3] = (char *)schema_path();
	if ((fd = mkstemp(file)) == -1 || (ofd = mkstemp(out)) == -1)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, ofd, 2);
	if (posix_spawnp(&pid, "xmllint", &fa, NULL, argv, environ) != 0) {
		printf("xmllint not found (Debian: libxml2-utils)\n");
		status = -1;
	} else if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		status = -1;
	else
		status = WEXITSTATUS(status);
	posix_spawn_file_actions_destroy(&fa);
	if (status != 0) {
		char buf[1024];
		ssize_t k;

		lseek(ofd, 0, SEEK_SET);
		if ((k = read(ofd, buf, sizeof(buf) - 1)) > 0) {
			buf[k] = '\0';
			printf("xmllint: %s", buf);
		}
	}
	close(ofd);
	unlink(out);
	unlink(file);
	return status;
}

/* gunzip - inflate a gzip member; malloc'd, NUL-terminated */
static char *
gunzip(const unsigned char *gz, size_t gzlen, size_t *len_r)
{
	z_stream zs;
	size_t cap = gzlen * 20 + 1024;
	char *out = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	if (out == NULL || inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)(cap - 1);
	if (inflate(&zs, Z_FINISH) != Z_STREAM_END) {
		inflateEnd(&zs);
		free(out);
		return NULL;
	}
	*len_r = zs.total_out;
	out[*len_r] = '\0';
	inflateEnd(&zs);
	return out;
}

static void
test_days(void)
{
	static const struct {
		const char *in;
		long long want; /* -1: invalid */
	} v[] = {
	    {"1970-01-01", 0},
	    {"2024-01-01", DAY0},
	    {"2024-02-29", DAY0 + 59 * 86400LL},
	    {"2024-03-01", DAY0 + 60 * 86400LL},
	    {"2000-02-29", 951782400LL},
	    {"2100-12-31", 4133894400LL},
	    {"2023-02-29", -1},
	    {"1900-02-28", -1},
	    {"1969-12-31", -1},
	    {"2024-13-01", -1},
	    {"2024-00-10", -1},
	    {"2024-04-31", -1},
	    {"2024-1-01", -1},
	    {"2024-01-01x", -1},
	    {"2024/01/01", -1},
	    {"", -1},
	    {"+024-01-01", -1},
	};
	size_t i;
	long long b;
	char s[16];

	t_begin("agg_day_begin/agg_day_str: dates, leap years, bad input");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b = -7;
		if (v[i].want == -1) {
			T_ASSERT_IDX(agg_day_begin(v[i].in, &b) == -1, i);
			continue;
		}
		T_ASSERT_IDX(agg_day_begin(v[i].in, &b) == 0, i);
		T_ASSERT_IDX(b == v[i].want, i);
		agg_day_str(b + 86399, s, sizeof(s));
		T_ASSERT_STREQ(s, v[i].in);
	}
	t_end();
}

static void
test_names(void)
{
	char id[AGG_ID_LEN + 1], id2[AGG_ID_LEN + 1], fn[AGG_FILENAME_MAX];
	char want[AGG_FILENAME_MAX];
	size_t i;

	t_begin("report ID and file name: deterministic, RFC 9990 2.5 form");
	agg_report_id("mx.example.net", "example.com", DAY0, id);
	T_ASSERT_INTEQ(strlen(id), AGG_ID_LEN);
	for (i = 0; i < AGG_ID_LEN; i++)
		T_ASSERT_IDX(strchr("0123456789abcdef", id[i]) != NULL, i);
	agg_report_id("mx.example.net", "example.com", DAY0, id2);
	T_ASSERT_STREQ(id, id2);
	agg_report_id("mx.example.net", "example.com", DAY0 + 86400, id2);
	T_ASSERT(strcmp(id, id2) != 0);
	agg_report_id("mx.example.net", "example.org", DAY0, id2);
	T_ASSERT(strcmp(id, id2) != 0);
	agg_report_id("mx2.example.net", "example.com", DAY0, id2);
	T_ASSERT(strcmp(id, id2) != 0);
	/* the separator matters: "a" + "bc" is not "ab" + "c" */
	agg_report_id("a.example", "bc.example", DAY0, id);
	agg_report_id("a.exampleb", "c.example", DAY0, id2);
	T_ASSERT(strcmp(id, id2) != 0);

	agg_report_id("mx.example.net", "example.com", DAY0, id);
	T_ASSERT(agg_filename("mx.example.net", "example.com", DAY0, id, fn,
		     sizeof(fn)) == 0);
	snprintf(want, sizeof(want),
	    "mx.example.net!example.com!1704067200!1704153599!%s.xml.gz", id);
	T_ASSERT_STREQ(fn, want);
	T_ASSERT(agg_filename("mx.example.net", "example.com", DAY0, id, fn,
		     20) == -1);
	t_end();
}

static void
test_grouping(void)
{
	struct store_record r[8];
	struct got g;
	const char *err;
	size_t i;

	memset(&g, 0, sizeof(g));
	t_begin("grouping: rows per key with counts, one report per domain");
	for (i = 0; i < 8; i++) {
		base(&r[i]);
		r[i].received = DAY0 + (long long)i * 60;
	}
	/* example.com: 3 identical passes, 2 fails from another IP */
	for (i = 3; i < 5; i++) {
		strlcpy(r[i].source_ip, "198.51.100.7", sizeof(r[i].source_ip));
		strlcpy(r[i].dmarc_result, "fail", sizeof(r[i].dmarc_result));
		strlcpy(r[i].disposition, "reject", sizeof(r[i].disposition));
		r[i].spf_aligned = r[i].dkim_aligned = 0;
		strlcpy(r[i].spf_result, "fail", sizeof(r[i].spf_result));
		r[i].ndkim = 0;
	}
	/* example.com: one with another envelope recipient domain */
	strlcpy(r[5].env_to_domain, "example.org", sizeof(r[5].env_to_domain));
	/* example.org: two, the second publishes p=none */
	for (i = 6; i < 8; i++) {
		strlcpy(r[i].policy_domain, "Example.ORG",
		    sizeof(r[i].policy_domain));
		strlcpy(r[i].header_from, "example.org",
		    sizeof(r[i].header_from));
		strlcpy(r[i].rua, "mailto:d@example.org", sizeof(r[i].rua));
	}
	strlcpy(r[7].p, "none", sizeof(r[7].p));
	T_ASSERT(build(r, 8, &g, &err) == 0);
	T_ASSERT_INTEQ(g.n, 2);
	if (g.n == 2) {
		T_ASSERT_STREQ(g.r[0].domain, "example.com");
		T_ASSERT_INTEQ(g.r[0].messages, 6);
		T_ASSERT_INTEQ(g.r[0].nrows, 3);
		T_ASSERT_INTEQ(g.r[0].omitted, 0);
		T_ASSERT_INTEQ(count_of(g.r[0].xml, "<record>"), 3);
		T_ASSERT_INTEQ(count_of(g.r[0].xml, "<count>3</count>"), 1);
		T_ASSERT_INTEQ(count_of(g.r[0].xml, "<count>2</count>"), 1);
		T_ASSERT_INTEQ(count_of(g.r[0].xml, "<count>1</count>"), 1);
		T_ASSERT(strstr(g.r[0].xml,
			     "<source_ip>198.51.100.7</source_ip>\n"
			     "      <count>2</count>\n"
			     "      <policy_evaluated>\n"
			     "        <disposition>reject</disposition>\n"
			     "        <dkim>fail</dkim>\n"
			     "        <spf>fail</spf>\n"
			     "      </policy_evaluated>") != NULL);
		T_ASSERT_INTEQ(g.r[0].begin, DAY0);
		T_ASSERT_INTEQ(g.r[0].end, DAY0 + 86399);
		T_ASSERT(
		    strstr(g.r[0].xml, "<begin>1704067200</begin>") != NULL);
		T_ASSERT(strstr(g.r[0].xml, "<end>1704153599</end>") != NULL);
		T_ASSERT_STREQ(g.r[0].rua, "mailto:dmarc@example.com");
		T_ASSERT_STREQ(g.r[1].domain, "example.org");
		T_ASSERT_INTEQ(g.r[1].messages, 2);
		T_ASSERT_INTEQ(g.r[1].nrows, 2); /* pass vs none */
		/* the last record's policy is the one published */
		T_ASSERT(strstr(g.r[1].xml, "<p>none</p>") != NULL);
		T_ASSERT(
		    strstr(g.r[1].xml, "<domain>example.org</domain>") != NULL);
		T_ASSERT(strstr(g.r[0].xml, "<report_id>") != NULL &&
		    strstr(g.r[0].xml, g.r[0].id) != NULL);
		T_ASSERT(strstr(g.r[0].filename, g.r[0].id) != NULL);
		T_ASSERT(xmllint(g.r[0].xml, g.r[0].xmllen) == 0);
		T_ASSERT(xmllint(g.r[1].xml, g.r[1].xmllen) == 0);
	}
	got_free(&g);
	t_end();
}

static void
test_skipped(void)
{
	struct store_record r[6];
	struct got g;
	const char *err;
	struct agg *a = NULL;
	struct agg_stats st;
	size_t i;

	memset(&g, 0, sizeof(g));
	t_begin("no policy, bad policy domain, outside the day: not reported");
	for (i = 0; i < 6; i++)
		base(&r[i]);
	r[0].has_policy = 0; /* a domain without policy gets no report */
	strlcpy(r[0].policy_domain, "a.example", sizeof(r[0].policy_domain));
	strlcpy(r[1].policy_domain, "b.example", sizeof(r[1].policy_domain));
	r[1].has_policy = 0;
	strlcpy(r[2].policy_domain, "bad domain!", sizeof(r[2].policy_domain));
	memset(r[3].policy_domain, 'x', sizeof(r[3].policy_domain));
	r[4].received = DAY0 - 1;
	r[5].received = DAY0 + 86400;
	T_ASSERT(agg_new(&meta, DAY0, collect, &g, &a, &err) == 0);
	for (i = 0; i < 6; i++)
		T_ASSERT_IDX(agg_add(a, &r[i]) == 0, i);
	T_ASSERT(agg_finish(a) == 0);
	agg_get_stats(a, &st);
	T_ASSERT_INTEQ(st.records, 6);
	T_ASSERT_INTEQ(st.no_policy, 2);
	T_ASSERT_INTEQ(st.bad_domain, 2);
	T_ASSERT_INTEQ(st.outside, 2);
	T_ASSERT_INTEQ(st.reports, 0);
	T_ASSERT_INTEQ(g.n, 0);
	agg_free(&a);
	agg_free(&a); /* NULL is fine */
	got_free(&g);
	t_end();
}

static void
test_errors(void)
{
	struct store_record r[3];
	struct got g;
	const char *err;
	struct agg *a = NULL;
	struct agg_meta m = meta;
	size_t i;

	memset(&g, 0, sizeof(g));
	t_begin("errors: records out of order, emit failure, bad metadata");
	for (i = 0; i < 3; i++)
		base(&r[i]);
	strlcpy(r[1].policy_domain, "example.org", sizeof(r[1].policy_domain));
	T_ASSERT(build(r, 3, &g, &err) == -1);
	T_ASSERT_STREQ(err,
	    "records not grouped by policy domain: "
	    "example.com seen again");
	got_free(&g);

	g.fail_emit = 1;
	T_ASSERT(build(r, 1, &g, &err) == -1);
	T_ASSERT_STREQ(err, "report not delivered");
	got_free(&g);

	m.receiver = "not a domain";
	T_ASSERT(agg_new(&m, DAY0, collect, &g, &a, &err) == -1);
	T_ASSERT_STREQ(err, "report domain (receiver) is not a domain name");
	T_ASSERT(a == NULL);
	m = meta;
	m.email = "";
	T_ASSERT(agg_new(&m, DAY0, collect, &g, &a, &err) == -1);
	T_ASSERT_STREQ(err, "report email missing or too long");
	m = meta;
	T_ASSERT(agg_new(&m, DAY0 + 5, collect, &g, &a, &err) == -1);
	T_ASSERT_STREQ(err, "day does not start at 00:00:00 UTC");
	t_end();
}

/* one record -> its report's XML, NULL if none */
static char *
one_xml(const struct store_record *r, struct got *g)
{
	const char *err;

	memset(g, 0, sizeof(*g));
	if (build(r, 1, g, &err) == -1 || g->n != 1)
		return NULL;
	return g->r[0].xml;
}

static void
test_disposition(void)
{
	static const struct {
		const char *p, *sp, *np, *from, *result, *disp, *reasons;
		const char *comment;
		const char *want;  /* must appear in the XML */
		const char * not ; /* must not appear, or NULL */
	} v[] = {
	    /* pass under an enforcing policy: "pass"; under none: "none" */
	    {"reject", "", "", "example.com", "pass", "none", "", "",
		"<disposition>pass</disposition>", "<reason>"},
	    {"none", "", "", "example.com", "pass", "none", "", "",
		"<disposition>none</disposition>", "<reason>"},
	    {"none", "reject", "", "a.example.com", "pass", "none", "", "",
		"<disposition>pass</disposition>", "<reason>"},
	    /* fail, policy applied: no reason */
	    {"quarantine", "", "", "example.com", "fail", "quarantine", "", "",
		"<disposition>quarantine</disposition>", "<reason>"},
	    {"reject", "quarantine", "", "a.example.com", "fail", "quarantine",
		"", "", "<disposition>quarantine</disposition>", "<reason>"},
	    {"reject", "quarantine", "none", "nx.example.com", "fail", "none",
		"", "", "<disposition>none</disposition>", "<reason>"},
	    /* test mode, with its stored reason */
	    {"quarantine", "", "", "example.com", "fail", "none",
		"policy_test_mode", "",
		"<reason>\n          <type>policy_test_mode</type>\n"
		"        </reason>",
		NULL},
	    /* local policy with a comment; unknown words are "other" */
	    {"reject", "", "", "example.com", "fail", "none",
		"local_policy, bogus", "RejectFailures no",
		"<reason>\n          <type>local_policy</type>\n"
		"          <comment>RejectFailures no</comment>\n"
		"        </reason>\n        <reason>\n"
		"          <type>other</type>\n        </reason>",
		NULL},
	    /* differs with nothing stored: "other" with our comment */
	    {"reject", "", "", "example.com", "fail", "none", "", "",
		"<type>other</type>\n          <comment>" AGG_DIFFERS_COMMENT
		"</comment>",
		NULL},
	    /* tempfail is not in the schema: none + other + comment */
	    {"reject", "", "", "example.com", "temperror", "tempfail", "", "",
		"<disposition>none</disposition>\n        <dkim>pass</dkim>\n"
		"        <spf>pass</spf>\n        <reason>\n"
		"          <type>other</type>\n          "
		"<comment>" AGG_TEMPFAIL_COMMENT "</comment>",
		"tempfail<"},
	    /* an unknown stored disposition is never written */
	    {"reject", "", "", "example.com", "fail", "discard", "", "",
		"<disposition>none</disposition>", "discard"},
	    /* a bad p is reported as none */
	    {"bogus", "", "", "example.com", "fail", "none", "", "",
		"<p>none</p>", "bogus"},
	};
	struct store_record r;
	struct got g;
	size_t i;
	char *x;

	t_begin("policy_evaluated: disposition mapping and reasons");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		base(&r);
		strlcpy(r.p, v[i].p, sizeof(r.p));
		strlcpy(r.sp, v[i].sp, sizeof(r.sp));
		strlcpy(r.np, v[i].np, sizeof(r.np));
		strlcpy(r.header_from, v[i].from, sizeof(r.header_from));
		strlcpy(r.dmarc_result, v[i].result, sizeof(r.dmarc_result));
		strlcpy(r.disposition, v[i].disp, sizeof(r.disposition));
		strlcpy(r.reasons, v[i].reasons, sizeof(r.reasons));
		strlcpy(r.reason_comment, v[i].comment,
		    sizeof(r.reason_comment));
		x = one_xml(&r, &g);
		T_ASSERT_IDX(x != NULL, i);
		if (x != NULL) {
			T_ASSERT_IDX(strstr(x, v[i].want) != NULL, i);
			if (v[i].not != NULL)
				T_ASSERT_IDX(strstr(x, v[i].not ) == NULL, i);
			T_ASSERT_IDX(xmllint(x, strlen(x)) == 0, i);
			if (strstr(x, v[i].want) == NULL)
				printf("%s", x);
		}
		got_free(&g);
	}
	t_end();
}

static void
test_policy_published(void)
{
	struct store_record r;
	struct got g;
	char *x;

	t_begin("policy_published: last record's tags, defaults, omissions");
	base(&r);
	strlcpy(r.p, "quarantine", sizeof(r.p));
	strlcpy(r.np, "reject", sizeof(r.np));
	r.adkim = 's';
	r.aspf = 0;
	r.testing = 1;
	strlcpy(r.fo, "d:s", sizeof(r.fo));
	strlcpy(r.discovery, "psl", sizeof(r.discovery));
	x = one_xml(&r, &g);
	T_ASSERT(x != NULL);
	if (x != NULL) {
		T_ASSERT(strstr(x,
			     "<policy_published>\n"
			     "    <domain>example.com</domain>\n"
			     "    <p>quarantine</p>\n"
			     "    <sp>quarantine</sp>\n"
			     "    <np>reject</np>\n"
			     "    <adkim>s</adkim>\n"
			     "    <aspf>r</aspf>\n"
			     "    <discovery_method>psl</discovery_method>\n"
			     "    <fo>d:s</fo>\n"
			     "    <testing>y</testing>\n"
			     "  </policy_published>\n") != NULL);
		T_ASSERT(strstr(x,
			     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<feedback xmlns=\"urn:ietf:params:xml:ns:"
			     "dmarc-2.0\">\n  <version>1.0</version>\n") == x);
		T_ASSERT(
		    strstr(x, "<org_name>Example Receiver</org_name>") != NULL);
		T_ASSERT(
		    strstr(x, "<email>dmarc-noreply@mx.example.net</email>") !=
		    NULL);
		T_ASSERT(strstr(x,
			     "<extra_contact_info>https://mx.example.net/"
			     "dmarc</extra_contact_info>") != NULL);
		T_ASSERT(
		    strstr(x, "<generator>dmarc-milter 0.1.0</generator>") !=
		    NULL);
		T_ASSERT(strstr(x, "<error>") == NULL);
		T_ASSERT(xmllint(x, strlen(x)) == 0);
	}
	got_free(&g);
	strlcpy(r.sp, "none", sizeof(r.sp));
	strlcpy(r.np, "", sizeof(r.np));
	strlcpy(r.discovery, "other", sizeof(r.discovery));
	r.fo[0] = '\0';
	x = one_xml(&r, &g);
	T_ASSERT(x != NULL && strstr(x, "<sp>none</sp>") != NULL);
	T_ASSERT(x != NULL && strstr(x, "<np>") == NULL);
	T_ASSERT(x != NULL && strstr(x, "<discovery_method>") == NULL);
	T_ASSERT(x != NULL && strstr(x, "<fo>") == NULL);
	got_free(&g);
	t_end();
}

static void
test_auth_results(void)
{
	struct store_record r[3];
	struct got g;
	const char *err;
	size_t i;
	char *x;

	t_begin("auth_results: every DKIM with its selector, sorted; SPF");
	for (i = 0; i < 3; i++)
		base(&r[i]);
	/* the same two signatures in two orders: one row, count 2 */
	r[0].ndkim = r[1].ndkim = 2;
	strlcpy(r[0].dkim[1].domain, "esp.example",
	    sizeof(r[0].dkim[1].domain));
	strlcpy(r[0].dkim[1].selector, "", sizeof(r[0].dkim[1].selector));
	strlcpy(r[0].dkim[1].result, "fail", sizeof(r[0].dkim[1].result));
	r[1].dkim[0] = r[0].dkim[1];
	r[1].dkim[1] = r[0].dkim[0];
	/* helo scope and an unknown result */
	strlcpy(r[2].spf_scope, "helo", sizeof(r[2].spf_scope));
	strlcpy(r[2].spf_result, "maybe", sizeof(r[2].spf_result));
	strlcpy(r[2].dkim[0].result, "ignore", sizeof(r[2].dkim[0].result));
	r[2].env_from_domain[0] = '\0'; /* null reverse-path */
	r[2].env_to_domain[0] = '\0';
	memset(&g, 0, sizeof(g));
	T_ASSERT(build(r, 3, &g, &err) == 0 && g.n == 1);
	x = g.n == 1 ? g.r[0].xml : NULL;
	T_ASSERT(x != NULL);
	if (x != NULL) {
		T_ASSERT_INTEQ(g.r[0].nrows, 2);
		T_ASSERT(strstr(x, "<count>2</count>") != NULL);
		T_ASSERT(strstr(x,
			     "<auth_results>\n"
			     "      <dkim>\n"
			     "        <domain>esp.example</domain>\n"
			     "        <selector></selector>\n"
			     "        <result>fail</result>\n"
			     "      </dkim>\n"
			     "      <dkim>\n"
			     "        <domain>example.com</domain>\n"
			     "        <selector>s1</selector>\n"
			     "        <result>pass</result>\n"
			     "      </dkim>\n"
			     "      <spf>\n"
			     "        <domain>example.com</domain>\n"
			     "        <scope>mfrom</scope>\n"
			     "        <result>pass</result>\n"
			     "      </spf>\n"
			     "    </auth_results>\n") != NULL);
		T_ASSERT(strstr(x,
			     "<identifiers>\n"
			     "      <header_from>example.com</header_from>\n"
			     "      <envelope_from></envelope_from>\n"
			     "    </identifiers>\n") != NULL);
		T_ASSERT(strstr(x,
			     "        <selector>s1</selector>\n"
			     "        <result>permerror</result>\n") != NULL);
		T_ASSERT(strstr(x,
			     "      <spf>\n"
			     "        <domain>example.com</domain>\n"
			     "        <result>permerror</result>\n"
			     "      </spf>\n") != NULL);
		T_ASSERT(
		    strstr(x, "helo") == NULL && strstr(x, "maybe") == NULL);
		T_ASSERT(xmllint(x, strlen(x)) == 0);
	}
	got_free(&g);

	/* 16 signatures, all kept; a hostile ndkim is capped */
	base(&r[0]);
	r[0].ndkim = 1000;
	for (i = 0; i < STORE_DKIM_MAX; i++) {
		snprintf(r[0].dkim[i].domain, sizeof(r[0].dkim[i].domain),
		    "d%02zu.example", i);
		snprintf(r[0].dkim[i].selector, sizeof(r[0].dkim[i].selector),
		    "s%zu", i);
		strlcpy(r[0].dkim[i].result, "pass",
		    sizeof(r[0].dkim[i].result));
	}
	x = one_xml(&r[0], &g);
	T_ASSERT(x != NULL && count_of(x, "<selector>") == STORE_DKIM_MAX);
	T_ASSERT(x != NULL && xmllint(x, strlen(x)) == 0);
	got_free(&g);

	/* no SPF result stored: no <spf> */
	base(&r[0]);
	r[0].spf_result[0] = '\0';
	x = one_xml(&r[0], &g);
	T_ASSERT(x != NULL && strstr(x, "<spf>\n") == NULL);
	T_ASSERT(x != NULL && xmllint(x, strlen(x)) == 0);
	got_free(&g);
	t_end();
}

static void
test_escaping(void)
{
	struct store_record r;
	struct got g;
	char *x;

	t_begin("hostile values: escaped, controls and bad UTF-8 replaced");
	base(&r);
	strlcpy(r.header_from, "a<b>&\"c'.example", sizeof(r.header_from));
	strlcpy(r.env_from_domain, "x\x01y\n\r\tz\x7f.example",
	    sizeof(r.env_from_domain));
	strlcpy(r.env_to_domain,
	    "caf\xc3\xa9.example \xff\xc0\xaf \xed\xa0\x80"
	    " \xef\xbf\xbe end\xe2\x82",
	    sizeof(r.env_to_domain));
	strlcpy(r.source_ip, "<script>", sizeof(r.source_ip));
	strlcpy(r.dmarc_result, "fail", sizeof(r.dmarc_result));
	strlcpy(r.disposition, "none", sizeof(r.disposition));
	strlcpy(r.reasons, "other", sizeof(r.reasons));
	strlcpy(r.reason_comment, "]]><!-- &amp; -->",
	    sizeof(r.reason_comment));
	strlcpy(r.dkim[0].domain, "d<&>", sizeof(r.dkim[0].domain));
	strlcpy(r.dkim[0].selector, "s\"'", sizeof(r.dkim[0].selector));
	strlcpy(r.spf_domain, "</domain><x>", sizeof(r.spf_domain));
	strlcpy(r.fo, "<&>", sizeof(r.fo));
	x = one_xml(&r, &g);
	T_ASSERT(x != NULL);
	if (x != NULL) {
		T_ASSERT(strstr(x,
			     "<header_from>a&lt;b&gt;&amp;&quot;c&apos;."
			     "example</header_from>") != NULL);
		T_ASSERT(strstr(x,
			     "<envelope_from>x?y???z?.example"
			     "</envelope_from>") != NULL);
		T_ASSERT(strstr(x,
			     "<envelope_to>caf\xc3\xa9.example ??? ??? "
			     "??? end?"
			     "?</envelope_to>") != NULL);
		T_ASSERT(
		    strstr(x, "<source_ip>&lt;script&gt;</source_ip>") != NULL);
		T_ASSERT(strstr(x,
			     "<comment>]]&gt;&lt;!-- &amp;amp; --&gt;"
			     "</comment>") != NULL);
		T_ASSERT(strstr(x, "<domain>d&lt;&amp;&gt;</domain>") != NULL);
		T_ASSERT(
		    strstr(x, "<selector>s&quot;&apos;</selector>") != NULL);
		T_ASSERT(
		    strstr(x, "<domain>&lt;/domain&gt;&lt;x&gt;</domain>") !=
		    NULL);
		T_ASSERT(strstr(x, "<fo>&lt;&amp;&gt;</fo>") != NULL);
		T_ASSERT(xmllint(x, strlen(x)) == 0);
	}
	got_free(&g);

	/* fields filled to the last byte, without a NUL */
	base(&r);
	memset(r.header_from, '&', sizeof(r.header_from));
	memset(r.env_from_domain, '<', sizeof(r.env_from_domain));
	memset(r.env_to_domain, '"', sizeof(r.env_to_domain));
	memset(r.reason_comment, '\'', sizeof(r.reason_comment));
	strlcpy(r.reasons, "local_policy", sizeof(r.reasons));
	memset(r.spf_domain, '>', sizeof(r.spf_domain));
	memset(r.spf_result, 'x', sizeof(r.spf_result));
	memset(r.source_ip, '&', sizeof(r.source_ip));
	memset(r.dkim[0].domain, '&', sizeof(r.dkim[0].domain));
	memset(r.dkim[0].selector, '&', sizeof(r.dkim[0].selector));
	memset(r.dkim[0].result, '&', sizeof(r.dkim[0].result));
	memset(r.fo, '&', sizeof(r.fo));
	memset(r.disposition, 'r', sizeof(r.disposition));
	memset(r.reasons, 'z', sizeof(r.reasons));
	x = one_xml(&r, &g);
	T_ASSERT(x != NULL);
	T_ASSERT(x != NULL && count_of(x, "&amp;") == 254 + 46 + 254 + 65 + 15);
	T_ASSERT(x != NULL && xmllint(x, strlen(x)) == 0);
	got_free(&g);
	t_end();
}

static void
test_ip(void)
{
	struct store_record r[5];
	struct got g;
	const char *err;
	size_t i;

	t_begin("source_ip: canonical IPv4 and IPv6, IPv4-mapped as IPv4");
	for (i = 0; i < 5; i++)
		base(&r[i]);
	strlcpy(r[0].source_ip, "2001:DB8::1", sizeof(r[0].source_ip));
	strlcpy(r[1].source_ip, "2001:db8:0:0::1", sizeof(r[1].source_ip));
	strlcpy(r[2].source_ip, "::ffff:192.0.2.1", sizeof(r[2].source_ip));
	strlcpy(r[3].source_ip, "192.0.2.1", sizeof(r[3].source_ip));
	strlcpy(r[4].source_ip, "2001:db8:ffff:ffff:ffff:ffff:255.255.255.255",
	    sizeof(r[4].source_ip));
	memset(&g, 0, sizeof(g));
	T_ASSERT(build(r, 5, &g, &err) == 0 && g.n == 1);
	if (g.n == 1) {
		T_ASSERT_INTEQ(g.r[0].nrows, 3);
		T_ASSERT(strstr(g.r[0].xml,
			     "<source_ip>2001:db8::1</source_ip>"
			     "\n      <count>2</count>") != NULL);
		T_ASSERT(strstr(g.r[0].xml,
			     "<source_ip>192.0.2.1</source_ip>"
			     "\n      <count>2</count>") != NULL);
		T_ASSERT(strstr(g.r[0].xml,
			     "<source_ip>2001:db8:ffff:ffff:ffff:ffff:ffff:"
			     "ffff</source_ip>") != NULL);
		T_ASSERT(xmllint(g.r[0].xml, g.r[0].xmllen) == 0);
	}
	got_free(&g);
	t_end();
}

static void
test_determinism(void)
{
	struct store_record r[6], s[6];
	struct got g1, g2;
	const char *err;
	char *x;
	size_t i, n;

	t_begin("determinism: same day rebuilt in another order, same bytes");
	for (i = 0; i < 6; i++) {
		base(&r[i]);
		r[i].received = DAY0 + 100 + (long long)i;
		snprintf(r[i].source_ip, sizeof(r[i].source_ip), "192.0.2.%zu",
		    i % 3);
	}
	strlcpy(r[5].env_to_domain, "other.example",
	    sizeof(r[5].env_to_domain));
	for (i = 0; i < 6; i++) /* reversed, last record's policy kept */
		s[i] = r[5 - i];
	for (i = 0; i < 6; i++) {
		s[i].received = r[i].received;
	}
	memset(&g1, 0, sizeof(g1));
	memset(&g2, 0, sizeof(g2));
	T_ASSERT(build(r, 6, &g1, &err) == 0 && g1.n == 1);
	T_ASSERT(build(s, 6, &g2, &err) == 0 && g2.n == 1);
	if (g1.n == 1 && g2.n == 1) {
		T_ASSERT_STREQ(g1.r[0].id, g2.r[0].id);
		T_ASSERT_STREQ(g1.r[0].filename, g2.r[0].filename);
		T_ASSERT_INTEQ(g1.r[0].xmllen, g2.r[0].xmllen);
		T_ASSERT(strcmp(g1.r[0].xml, g2.r[0].xml) == 0);
		T_ASSERT_INTEQ(g1.r[0].gzlen, g2.r[0].gzlen);
		T_ASSERT(g1.r[0].gzlen == g2.r[0].gzlen &&
		    memcmp(g1.r[0].gz, g2.r[0].gz, g1.r[0].gzlen) == 0);
		/* RFC 1952 header: deflate, no FNAME, mtime 0 */
		T_ASSERT(g1.r[0].gzlen > 18 && g1.r[0].gz[0] == 0x1f &&
		    g1.r[0].gz[1] == 0x8b && g1.r[0].gz[2] == 8 &&
		    g1.r[0].gz[3] == 0 && g1.r[0].gz[4] == 0 &&
		    g1.r[0].gz[5] == 0 && g1.r[0].gz[6] == 0 &&
		    g1.r[0].gz[7] == 0);
		x = gunzip(g1.r[0].gz, g1.r[0].gzlen, &n);
		T_ASSERT(x != NULL && n == g1.r[0].xmllen &&
		    memcmp(x, g1.r[0].xml, n) == 0);
		free(x);
		/* rows come sorted by their text, not by arrival */
		T_ASSERT(strstr(g1.r[0].xml, "192.0.2.0") <
		    strstr(g1.r[0].xml, "192.0.2.1"));
	}
	got_free(&g1);
	got_free(&g2);
	t_end();
}

static void
test_caps(void)
{
	struct store_record *r;
	struct got g;
	struct agg *a = NULL;
	const char *err;
	size_t i, n = AGG_ROWS_MAX + 7;

	t_begin("caps: rows past AGG_ROWS_MAX are counted and named");
	memset(&g, 0, sizeof(g));
	r = malloc(sizeof(*r));
	base(r);
	T_ASSERT(agg_new(&meta, DAY0, collect, &g, &a, &err) == 0);
	for (i = 0; i < n && a != NULL; i++) {
		snprintf(r->source_ip, sizeof(r->source_ip),
		    "2001:db8::%zx:%zx", i >> 16, i & 0xffff);
		T_ASSERT_IDX(agg_add(a, r) == 0, i);
	}
	/* a known row still counts past the cap */
	snprintf(r->source_ip, sizeof(r->source_ip), "2001:db8::0:0");
	T_ASSERT(a != NULL && agg_add(a, r) == 0);
	T_ASSERT(a != NULL && agg_finish(a) == 0);
	agg_free(&a);
	T_ASSERT_INTEQ(g.n, 1);
	if (g.n == 1) {
		T_ASSERT_INTEQ(g.r[0].nrows, AGG_ROWS_MAX);
		T_ASSERT_INTEQ(g.r[0].omitted, 7);
		T_ASSERT_INTEQ(g.r[0].messages, AGG_ROWS_MAX + 1);
		T_ASSERT(strstr(g.r[0].xml,
			     "<error>7 messages not reported: "
			     "more than 50000 rows") != NULL);
		T_ASSERT(strstr(g.r[0].xml, "<count>2</count>") != NULL);
		T_ASSERT(xmllint(g.r[0].xml, g.r[0].xmllen) == 0);
	}
	got_free(&g);
	free(r);
	t_end();
}

static void
test_schema(void)
{
	static const char bad[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
	    "<report_metadata><org_name>o</org_name><email>e</email>"
	    "<report_id>1</report_id><date_range><begin>0</begin><end>1</end>"
	    "</date_range></report_metadata>\n"
	    "<policy_published><domain>d</domain><p>none</p>"
	    "</policy_published>\n"
	    "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
	    "<policy_evaluated><disposition>tempfail</disposition>"
	    "<dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
	    "<identifiers><header_from>d</header_from></identifiers>"
	    "<auth_results/></record>\n</feedback>\n";
	char shared[4096], buf[65536], buf2[65536];
	const char *top = getenv("top_srcdir");
	FILE *a, *b;
	size_t na, nb;

	t_begin("schema: the copy is the shared one; xmllint can say no");
	snprintf(shared, sizeof(shared), "%s/../shared/schemas/dmarc-2.0.xsd",
	    top != NULL ? top : ".");
	a = fopen(schema_path(), "r");
	T_ASSERT(a != NULL);
	if (a != NULL && (b = fopen(shared, "r")) != NULL) {
		na = fread(buf, 1, sizeof(buf), a);
		nb = fread(buf2, 1, sizeof(buf2), b);
		T_ASSERT(na > 10000 && na == nb && memcmp(buf, buf2, na) == 0);
		fclose(b);
	}
	if (a != NULL)
		fclose(a);
	/* the validator is real: "tempfail" is not a disposition */
	T_ASSERT(xmllint(bad, strlen(bad)) != 0);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_days, test_names,
	    test_grouping, test_skipped, test_errors, test_disposition,
	    test_policy_published, test_auth_results, test_escaping, test_ip,
	    test_determinism, test_caps, test_schema, NULL};

	return t_run(tests);
}
