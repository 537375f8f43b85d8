/*
 * test-report.c - "dmarcctl report" end to end: an SQLite store, a zone
 * file for DNS, a fake sendmail, and the files and mails that come out
 *
 * report_run() is called with a fixed clock (2024-01-03 01:00 UTC, so
 * "yesterday" is 2024-01-02); its stdout and stderr are captured.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
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
#include "tools/report.h"

extern char **environ;

#define DAY1 1704067200LL /* 2024-01-01 */
#define DAY2 (DAY1 + 86400)
#define NOW  (DAY2 + 86400 + 3600)

static char dir[64], db[128], out[128], fake[128], zonef[128];
static char argvfile[128], stdinfile[128];
static char capout[128], caperr[128];
static struct report_opts opts;

static const char fake_sh[] = "#!/bin/sh\n"
			      "n=$(ls \"$FAKE_DIR\" | grep -c '^argv')\n"
			      "for a in \"$@\"; do printf '%s\\n' \"$a\"; done "
			      ">\"$FAKE_DIR/argv.$n\"\n"
			      "cat >\"$FAKE_DIR/stdin.$n\"\n"
			      "exit \"${FAKE_EXIT:-0}\"\n";

static const char zone[] =
    "_dmarc.example.com TXT \"v=DMARC1; p=reject\"\n"
    "example.com._report._dmarc.vendor.example TXT \"v=DMARC1\"\n";

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(fp);
	if (len_r != NULL)
		*len_r = (size_t)n;
	return buf;
}

static void
spit(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp != NULL) {
		fputs(s, fp);
		fclose(fp);
	}
}

/* run - report_run() with "report" and the given words; output captured */
static int
run(const char *a1, const char *a2, const char *a3, const char *a4,
    const char *a5, char **out_r, char **err_r)
{
	char *argv[8] = {"report", (char *)a1, (char *)a2, (char *)a3,
	    (char *)a4, (char *)a5, NULL, NULL};
	int argc = 1, so, se, fo, fe, rc;

	while (argc < 6 && argv[argc] != NULL)
		argc++;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(capout, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(caperr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = report_run(&opts, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	*out_r = slurp(capout, NULL);
	*err_r = slurp(caperr, NULL);
	return rc;
}

static void
rec(struct store_record *r, long long when, const char *ip, const char *policy,
    const char *rua)
{
	memset(r, 0, sizeof(*r));
	r->received = when;
	strlcpy(r->source_ip, ip, sizeof(r->source_ip));
	strlcpy(r->env_from_domain, policy, sizeof(r->env_from_domain));
	strlcpy(r->env_to_domain, "mx.example.net", sizeof(r->env_to_domain));
	strlcpy(r->header_from, policy, sizeof(r->header_from));
	strlcpy(r->policy_domain, policy, sizeof(r->policy_domain));
	r->has_policy = 1;
	strlcpy(r->p, "reject", sizeof(r->p));
	r->adkim = r->aspf = 'r';
	strlcpy(r->discovery, "treewalk", sizeof(r->discovery));
	strlcpy(r->rua, rua, sizeof(r->rua));
	strlcpy(r->dmarc_result, "pass", sizeof(r->dmarc_result));
	r->spf_aligned = r->dkim_aligned = 1;
	strlcpy(r->disposition, "none", sizeof(r->disposition));
	strlcpy(r->spf_domain, policy, sizeof(r->spf_domain));
	strlcpy(r->spf_scope, "mfrom", sizeof(r->spf_scope));
	strlcpy(r->spf_result, "pass", sizeof(r->spf_result));
	r->ndkim = 1;
	strlcpy(r->dkim[0].domain, policy, sizeof(r->dkim[0].domain));
	strlcpy(r->dkim[0].selector, "s1", sizeof(r->dkim[0].selector));
	strlcpy(r->dkim[0].result, "pass", sizeof(r->dkim[0].result));
}

static void
setup(void)
{
	struct store_opts so;
	struct store *st = NULL;
	struct store_record r;
	char err[256];
	int i;

	snprintf(dir, sizeof(dir), "/tmp/test-report-XXXXXX");
	if (mkdtemp(dir) == NULL)
		exit(1);
	snprintf(db, sizeof(db), "sqlite:%s/history.db", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	mkdir(out, 0755);
	snprintf(fake, sizeof(fake), "%s/fake/sendmail", dir);
	snprintf(zonef, sizeof(zonef), "%s/dns.zone", dir);
	snprintf(capout, sizeof(capout), "%s/stdout", dir);
	snprintf(caperr, sizeof(caperr), "%s/stderr", dir);
	snprintf(argvfile, sizeof(argvfile), "%s/fake/argv.0", dir);
	snprintf(stdinfile, sizeof(stdinfile), "%s/fake/stdin.0", dir);
	snprintf(err, sizeof(err), "%s/fake", dir);
	mkdir(err, 0755);
	setenv("FAKE_DIR", err, 1);
	spit(fake, fake_sh);
	chmod(fake, 0755);
	spit(zonef, zone);

	memset(&opts, 0, sizeof(opts));
	opts.org_name = "Example Receiver";
	opts.email = "dmarc-noreply@mx.example.net";
	opts.receiver = "mx.example.net";
	opts.sendmail_path = fake;
	opts.history_db = db;
	opts.dns.zone_file = zonef;
	opts.now = NOW;

	memset(&so, 0, sizeof(so));
	if (store_open(db, &so, &st, err, sizeof(err)) == -1) {
		printf("store_open: %s\n", err);
		exit(1);
	}
	/* 2024-01-02: example.com, 3 messages from one IP, 1 from another */
	for (i = 0; i < 3; i++) {
		rec(&r, DAY2 + 100 + i, "192.0.2.1", "example.com",
		    "mailto:dmarc@example.com, https://r.example/x,"
		    "mailto:ext@vendor.example!10m,"
		    "mailto:ext@novendor.example,"
		    "mailto:;rm%20-rf%20~@example.com");
		store_put(st, &r);
	}
	rec(&r, DAY2 + 200, "2001:db8::25", "example.com",
	    "mailto:dmarc@example.com, https://r.example/x,"
	    "mailto:ext@vendor.example!10m,mailto:ext@novendor.example,"
	    "mailto:;rm%20-rf%20~@example.com");
	strlcpy(r.header_from, "a<b>&\"c'.example.com", sizeof(r.header_from));
	store_put(st, &r);
	/* example.org wants at most 1 KB */
	rec(&r, DAY2 + 300, "198.51.100.1", "example.org",
	    "mailto:d@example.org!1k");
	store_put(st, &r);
	/* no rua, no policy: no report */
	rec(&r, DAY2 + 400, "198.51.100.2", "norua.example", "");
	store_put(st, &r);
	rec(&r, DAY2 + 500, "198.51.100.3", "nopolicy.example",
	    "mailto:d@nopolicy.example");
	r.has_policy = 0;
	store_put(st, &r);
	/* 2024-01-01: example.com once */
	rec(&r, DAY1 + 10, "192.0.2.9", "example.com",
	    "mailto:dmarc@example.com");
	store_put(st, &r);
	/* today: not yet reportable */
	rec(&r, NOW - 10, "192.0.2.10", "example.com",
	    "mailto:dmarc@example.com");
	store_put(st, &r);
	store_close(&st);
}

/* listing - the file names in out/, sorted, one per line */
static char *
listing(void)
{
	struct dirent **ents;
	int n, i;
	char *s = calloc(1, 8192);

	n = scandir(out, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			strlcat(s, ents[i]->d_name, 8192);
			strlcat(s, "\n", 8192);
		}
		free(ents[i]);
	}
	free(ents);
	return s;
}

static void
clear_out(void)
{
	struct dirent **ents;
	char p[512];
	int n, i;

	n = scandir(out, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", out, ents[i]->d_name);
			unlink(p);
		}
		free(ents[i]);
	}
	free(ents);
}

/* valid - the gzip file inflates to a document the schema accepts */
static int
valid(const char *path, char **xml_r)
{
	char xf[160], *xsd, *argv[6];
	const char *top = getenv("top_srcdir");
	unsigned char *gz;
	char *xml;
	size_t gzlen;
	z_stream zs;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1, ok;

	gz = (unsigned char *)slurp(path, &gzlen);
	if (gz == NULL)
		return 0;
	xml = malloc(1 << 20);
	memset(&zs, 0, sizeof(zs));
	inflateInit2(&zs, 31);
	zs.next_in = gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)xml;
	zs.avail_out = (1 << 20) - 1;
	ok = inflate(&zs, Z_FINISH) == Z_STREAM_END;
	xml[zs.total_out] = '\0';
	inflateEnd(&zs);
	free(gz);
	if (!ok) {
		free(xml);
		return 0;
	}
	snprintf(xf, sizeof(xf), "%s/check.xml", dir);
	spit(xf, xml);
	if (asprintf(&xsd, "%s/tests/report/dmarc-2.0.xsd",
		top != NULL ? top : ".") < 0)
		return 0;
	argv[0] = "xmllint";
	argv[1] = "--noout";
	argv[2] = "--schema";
	argv[3] = xsd;
	argv[4] = xf;
	argv[5] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xmllint", &fa, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
	free(xsd);
	unlink(xf);
	if (xml_r != NULL)
		*xml_r = xml;
	else
		free(xml);
	return st == 0;
}

/* sent_line - some line of out starts with "sent " */
static int
sent_line(const char *o)
{
	return o != NULL &&
	    (strncmp(o, "sent ", 5) == 0 || strstr(o, "\nsent ") != NULL);
}

static const char *
name_of(const char *domain, long long day, char *buf, size_t len)
{
	char id[AGG_ID_LEN + 1];

	agg_report_id("mx.example.net", domain, day, id);
	agg_filename("mx.example.net", domain, day, id, buf, len);
	return buf;
}

static void
test_out(void)
{
	char *o, *e, *l, *xml = NULL, want[2048], n1[600], n2[600], p[800];
	char *first, *second;
	size_t len1, len2;

	t_begin("report --out: yesterday's reports, valid, rebuilt alike");
	T_ASSERT_INTEQ(run("--out", out, NULL, NULL, NULL, &o, &e), 0);
	name_of("example.com", DAY2, n1, sizeof(n1));
	name_of("example.org", DAY2, n2, sizeof(n2));
	snprintf(want, sizeof(want),
	    "wrote %s/%s (4 messages, 2 records)\n"
	    "wrote %s/%s (1 messages, 1 records)\n",
	    out, n1, out, n2);
	T_ASSERT_STREQ(o, want);
	T_ASSERT_STREQ(e, "");
	free(o);
	free(e);
	l = listing();
	snprintf(want, sizeof(want), "%s\n%s\n", n1, n2);
	T_ASSERT_STREQ(l, want);
	free(l);
	snprintf(p, sizeof(p), "%s/%s", out, n1);
	T_ASSERT(valid(p, &xml));
	T_ASSERT(xml != NULL &&
	    strstr(xml,
		"<header_from>a&lt;b&gt;&amp;"
		"&quot;c&apos;.example.com"
		"</header_from>") != NULL);
	T_ASSERT(xml != NULL &&
	    strstr(xml,
		"<source_ip>2001:db8::25"
		"</source_ip>") != NULL);
	T_ASSERT(xml != NULL && strstr(xml, "<count>3</count>") != NULL);
	free(xml);
	first = slurp(p, &len1);
	snprintf(p, sizeof(p), "%s/%s", out, n2);
	T_ASSERT(valid(p, NULL));

	/* again: the same names, the same bytes */
	T_ASSERT_INTEQ(run("--out", out, "--day", "2024-01-02", NULL, &o, &e),
	    0);
	free(o);
	free(e);
	snprintf(p, sizeof(p), "%s/%s", out, n1);
	second = slurp(p, &len2);
	T_ASSERT(first != NULL && second != NULL && len1 == len2 &&
	    memcmp(first, second, len1) == 0);
	free(first);
	free(second);
	l = listing();
	T_ASSERT_STREQ(l, want);
	free(l);
	clear_out();

	/* a range: both days */
	T_ASSERT_INTEQ(run("--from", "2024-01-01", "--to", "2024-01-02",
			   "--out="
			   "/nonexistent-dir",
			   &o, &e),
	    1);
	T_ASSERT(strstr(e, "--out /nonexistent-dir: not a directory") != NULL);
	free(o);
	free(e);
	{
		char *argv2 = NULL;

		if (asprintf(&argv2, "--out=%s", out) > 0) {
			T_ASSERT_INTEQ(run("--from", "2024-01-01", "--to",
					   "2024-01-02", argv2, &o, &e),
			    0);
			free(o);
			free(e);
			free(argv2);
		}
	}
	l = listing();
	name_of("example.com", DAY1, p, sizeof(p));
	snprintf(want, sizeof(want), "%s\n%s\n%s\n", p, n1, n2);
	T_ASSERT_STREQ(l, want);
	free(l);
	clear_out();

	/* dry run: nothing written */
	T_ASSERT_INTEQ(run("--out", out, "--dry-run", NULL, NULL, &o, &e), 0);
	snprintf(want, sizeof(want),
	    "would write %s/%s (4 messages, 2 records)\n"
	    "would write %s/%s (1 messages, 1 records)\n"
	    "skip norua.example 2024-01-02: no rua tag\n",
	    out, n1, out, n2);
	T_ASSERT_STREQ(o, want);
	free(o);
	free(e);
	l = listing();
	T_ASSERT_STREQ(l, "");
	free(l);
	t_end();
}

static void
test_send(void)
{
	char *o, *e, *got, want[4096], n1[600], n2[600], id[AGG_ID_LEN + 1];
	struct store *st = NULL;
	struct store_opts so;
	char err[256];
	size_t glen;

	t_begin("report --send: verified rua only, sent-log, --force");
	name_of("example.com", DAY2, n1, sizeof(n1));
	name_of("example.org", DAY2, n2, sizeof(n2));

	T_ASSERT_INTEQ(run("--send", "--dry-run", NULL, NULL, NULL, &o, &e), 0);
	T_ASSERT(strstr(o,
		     "skip example.com 2024-01-02: https://r.example/x: "
		     "not a mailto: URI\n") != NULL);
	T_ASSERT(strstr(o,
		     "skip example.com 2024-01-02: "
		     "mailto:ext@novendor.example: external destination "
		     "not authorized (no _report._dmarc record)\n") != NULL);
	T_ASSERT(strstr(o,
		     "skip example.com 2024-01-02: "
		     "mailto:;rm%20-rf%20~@example.com: character not "
		     "allowed in local part\n") != NULL);
	snprintf(want, sizeof(want), "would send %s (", n1);
	T_ASSERT(strstr(o, want) != NULL);
	T_ASSERT(
	    strstr(o, " bytes) to dmarc@example.com, ext@vendor.example\n") !=
	    NULL);
	T_ASSERT(strstr(o,
		     "skip example.org 2024-01-02: "
		     "mailto:d@example.org!1k: report of ") != NULL);
	T_ASSERT(strstr(o, " bytes exceeds its limit of 1024\n") != NULL);
	T_ASSERT(
	    strstr(o, "would write") == NULL && strstr(o, "wrote") == NULL);
	T_ASSERT_STREQ(e, "");
	free(o);
	free(e);
	T_ASSERT(access(argvfile, F_OK) == -1);

	/* for real */
	T_ASSERT_INTEQ(run("--send", NULL, NULL, NULL, NULL, &o, &e), 0);
	snprintf(want, sizeof(want),
	    "sent %s to dmarc@example.com, ext@vendor.example\n", n1);
	T_ASSERT(strstr(o, want) != NULL);
	T_ASSERT_STREQ(e, "");
	free(o);
	free(e);
	got = slurp(argvfile, NULL);
	T_ASSERT_STREQ(got,
	    "-i\n-f\ndmarc-noreply@mx.example.net\n--\n"
	    "dmarc@example.com\next@vendor.example\n");
	free(got);
	got = slurp(stdinfile, &glen);
	snprintf(want, sizeof(want), "filename=\"%s\"", n1);
	T_ASSERT(got != NULL && strstr(got, want) != NULL);
	T_ASSERT(got != NULL &&
	    strstr(got,
		"\nSubject: Report Domain: example.com\n"
		" Submitter: mx.example.net\n Report-ID: <") != NULL);
	free(got);
	/* the sent-log knows */
	memset(&so, 0, sizeof(so));
	T_ASSERT(store_open(db, &so, &st, err, sizeof(err)) == 0);
	id[0] = '\0';
	T_ASSERT(store_sent_check(st, "example.com", "2024-01-02",
		     "dmarc@example.com", id, sizeof(id)) == 1);
	T_ASSERT(strlen(id) == AGG_ID_LEN && strstr(n1, id) != NULL);
	T_ASSERT(store_sent_check(st, "example.com", "2024-01-02",
		     "ext@vendor.example", NULL, 0) == 1);
	T_ASSERT(store_sent_check(st, "example.com", "2024-01-02",
		     "ext@novendor.example", NULL, 0) == 0);
	T_ASSERT(store_sent_check(st, "example.org", "2024-01-02",
		     "d@example.org", NULL, 0) == 0);
	store_close(&st);

	/* not twice */
	T_ASSERT_INTEQ(run("--send", NULL, NULL, NULL, NULL, &o, &e), 0);
	T_ASSERT(strstr(o,
		     "skip example.com 2024-01-02: already sent to "
		     "dmarc@example.com (--force sends again)\n") != NULL);
	T_ASSERT(!sent_line(o));
	free(o);
	free(e);
	snprintf(want, sizeof(want), "%s/fake/argv.1", dir);
	T_ASSERT(access(want, F_OK) == -1);

	/* unless --force */
	T_ASSERT_INTEQ(run("--send", "--force", NULL, NULL, NULL, &o, &e), 0);
	T_ASSERT(sent_line(o));
	free(o);
	free(e);
	T_ASSERT(access(want, F_OK) == 0);

	/* a sendmail failure is an error, and nothing is recorded */
	setenv("FAKE_EXIT", "75", 1);
	T_ASSERT_INTEQ(run("--send", "--day", "2024-01-01", NULL, NULL, &o, &e),
	    1);
	snprintf(want, sizeof(want),
	    "dmarcctl: example.com 2024-01-01: not sent: %s: exit status 75\n",
	    fake);
	T_ASSERT_STREQ(e, want);
	free(o);
	free(e);
	unsetenv("FAKE_EXIT");
	T_ASSERT(store_open(db, &so, &st, err, sizeof(err)) == 0);
	T_ASSERT(store_sent_check(st, "example.com", "2024-01-01",
		     "dmarc@example.com", NULL, 0) == 0);
	store_close(&st);
	t_end();
}

static void
test_usage(void)
{
	static const struct {
		const char *a1, *a2, *a3, *a4;
		int rc;
		const char *err;
	} v[] = {
	    {"--day", "2024-02-30", NULL, NULL, 2,
		"dmarcctl: report: --day: \"2024-02-30\" is not a date "
		"(YYYY-MM-DD)\n"},
	    {"--day", "2024-01-01", "--from", "2024-01-01", 2,
		"dmarcctl: report: --day or --from/--to, not both\n"},
	    {"--from", "2024-01-01", NULL, NULL, 2,
		"dmarcctl: report: --from and --to go together\n"},
	    {"--from", "2024-01-02", "--to", "2024-01-01", 2,
		"dmarcctl: report: --from is after --to\n"},
	    {"--from", "2022-01-01", "--to", "2024-01-01", 2,
		"dmarcctl: report: more than 366 days\n"},
	    {"--send", "--day", "2024-01-03", NULL, 2,
		"dmarcctl: report: --send: the day is not over yet\n"},
	    {"--bogus", NULL, NULL, NULL, 2, NULL},
	    {"extra", NULL, NULL, NULL, 2,
		"dmarcctl: report: unexpected \"extra\"\n"},
	    {"--db", "sqlite:/dev/null/x.db", "--out", "/tmp", 1, NULL},
	};
	char *o, *e;
	size_t i;
	int rc;

	t_begin("report: usage errors exit 2, run-time errors 1");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = run(v[i].a1, v[i].a2, v[i].a3, v[i].a4, NULL, &o, &e);
		T_ASSERT_IDX(rc == v[i].rc, i);
		if (v[i].err != NULL)
			T_ASSERT_IDX(strncmp(e, v[i].err, strlen(v[i].err)) ==
				0,
			    i);
		else
			T_ASSERT_IDX(e[0] != '\0', i);
		T_ASSERT_STREQ(o, "");
		free(o);
		free(e);
	}
	rc = run("--help", NULL, NULL, NULL, NULL, &o, &e);
	T_ASSERT(rc == 0 && strncmp(o, "usage: dmarcctl report", 22) == 0);
	free(o);
	free(e);
	/* the day being written is allowed without --send */
	rc = run("--day", "2024-01-03", "--out", out, NULL, &o, &e);
	T_ASSERT_INTEQ(rc, 0);
	T_ASSERT(strstr(o, "(1 messages, 1 records)") != NULL);
	free(o);
	free(e);
	clear_out();
	t_end();
}

static void
cleanup(void)
{
	char *argv[] = {"rm", "-rf", dir, NULL};
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_out, test_send, test_usage, NULL};
	int rc;

	setup();
	rc = t_run(tests);
	cleanup();
	return rc;
}
