/*
 * test-failure.c - report/failure: the fo= decision, Identity-Alignment,
 * the header copy, the AFRF message (read back with Python's email
 * package), redaction, hostile values, the rate limiter, the queue and
 * its thread, and one job sent through a fake sendmail with a zone file
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/resolver.h"
#include "auth/session.h"
#include "report/failure.h"
#include "report/rua.h"
#include "tests/t.h"

#define PY "/usr/bin/python3"

static char tmpdir[64];

/* vd - a verdict: a record with one ruf applied to example.com */
static void
vd(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->has_record = 1;
	v->source = DMARC_SRC_AUTHOR;
	v->rec.p = DMARC_P_REJECT;
	v->rec.fo = DMARC_FO_0;
	v->rec.nruf = 1;
	strlcpy(v->rec.ruf[0].uri, "mailto:ruf@example.com",
	    sizeof(v->rec.ruf[0].uri));
	v->dmarc.result = DMARC_RESULT_FAIL;
	strlcpy(v->header_from, "example.com", sizeof(v->header_from));
	strlcpy(v->policy_domain, "example.com", sizeof(v->policy_domain));
	strlcpy(v->org_domain, "example.com", sizeof(v->org_domain));
	v->spf.result = SPF_RES_FAIL;
	strlcpy(v->spf.domain, "example.com", sizeof(v->spf.domain));
	strlcpy(v->authres,
	    "mx.test.example; spf=fail smtp.mailfrom=user@example.com; "
	    "dmarc=fail (p=reject) header.from=example.com",
	    sizeof(v->authres));
}

static void
add_sig(struct verdict *v, const char *d, const char *s, enum dkimv_result r,
    int aligned)
{
	struct verdict_dkim *k = &v->dkim[v->ndkim++];

	memset(k, 0, sizeof(*k));
	k->sig.result = r;
	strlcpy(k->sig.domain, d, sizeof(k->sig.domain));
	strlcpy(k->sig.selector, s, sizeof(k->sig.selector));
	strlcpy(k->sig.algorithm, "rsa-sha256", sizeof(k->sig.algorithm));
	k->aligned = aligned;
}

#define NOSIG DKIMV_NONE /* no signature at all */

static void
test_wanted(void)
{
	static const struct {
		const char *name;
		unsigned fo;
		enum dmarc_result res;
		enum spf_result spf;
		int spf_al;
		enum dkimv_result dkim; /* NOSIG: none */
		int dkim_al;
		unsigned want;
	} c[] = {
	    {"fo=0, both fail", DMARC_FO_0, DMARC_RESULT_FAIL, SPF_RES_FAIL, 0,
		DKIMV_FAIL, 0, DMARC_FO_0},
	    {"fo=0, aligned DKIM pass", DMARC_FO_0, DMARC_RESULT_PASS,
		SPF_RES_FAIL, 0, DKIMV_PASS, 1, 0},
	    {"fo=0, aligned SPF pass, DKIM fail", DMARC_FO_0, DMARC_RESULT_PASS,
		SPF_RES_PASS, 1, DKIMV_FAIL, 0, 0},
	    {"fo unset reads as 0", 0, DMARC_RESULT_FAIL, SPF_RES_FAIL, 0,
		NOSIG, 0, DMARC_FO_0},
	    {"fo=1, aligned DKIM pass, SPF fail", DMARC_FO_1, DMARC_RESULT_PASS,
		SPF_RES_FAIL, 0, DKIMV_PASS, 1, DMARC_FO_1},
	    {"fo=1, both aligned", DMARC_FO_1, DMARC_RESULT_PASS, SPF_RES_PASS,
		1, DKIMV_PASS, 1, 0},
	    {"fo=1, both fail", DMARC_FO_1, DMARC_RESULT_FAIL, SPF_RES_FAIL, 0,
		NOSIG, 0, DMARC_FO_1},
	    {"fo=d, a signature fails, DMARC passes", DMARC_FO_D,
		DMARC_RESULT_PASS, SPF_RES_PASS, 1, DKIMV_FAIL, 0, DMARC_FO_D},
	    {"fo=d, temperror counts", DMARC_FO_D, DMARC_RESULT_FAIL,
		SPF_RES_FAIL, 0, DKIMV_TEMPERROR, 0, DMARC_FO_D},
	    {"fo=d, signature passes", DMARC_FO_D, DMARC_RESULT_PASS,
		SPF_RES_FAIL, 0, DKIMV_PASS, 1, 0},
	    {"fo=d, no signature", DMARC_FO_D, DMARC_RESULT_FAIL, SPF_RES_FAIL,
		0, NOSIG, 0, 0},
	    {"fo=s, softfail", DMARC_FO_S, DMARC_RESULT_FAIL, SPF_RES_SOFTFAIL,
		0, NOSIG, 0, DMARC_FO_S},
	    {"fo=s, neutral is no failure", DMARC_FO_S, DMARC_RESULT_FAIL,
		SPF_RES_NEUTRAL, 0, NOSIG, 0, 0},
	    {"fo=s, pass", DMARC_FO_S, DMARC_RESULT_PASS, SPF_RES_PASS, 1,
		NOSIG, 0, 0},
	    {"fo=s, permerror", DMARC_FO_S, DMARC_RESULT_FAIL,
		SPF_RES_PERMERROR, 0, NOSIG, 0, DMARC_FO_S},
	    {"fo=0:1:d:s, all fail",
		DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S,
		DMARC_RESULT_FAIL, SPF_RES_FAIL, 0, DKIMV_FAIL, 0,
		DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S},
	    {"permerror: no report", DMARC_FO_1, DMARC_RESULT_PERMERROR,
		SPF_RES_FAIL, 0, NOSIG, 0, 0},
	    {"temperror: no report", DMARC_FO_1, DMARC_RESULT_TEMPERROR,
		SPF_RES_FAIL, 0, NOSIG, 0, 0},
	    {"none: no report", DMARC_FO_1, DMARC_RESULT_NONE, SPF_RES_FAIL, 0,
		NOSIG, 0, 0},
	};
	struct verdict *v = malloc(sizeof(*v));
	size_t i;

	t_begin("failure_wanted: the fo= table (RFC 9989 4.7)");
	for (i = 0; v != NULL && i < sizeof(c) / sizeof(c[0]); i++) {
		vd(v);
		v->rec.fo = c[i].fo;
		v->dmarc.result = c[i].res;
		v->spf.result = c[i].spf;
		v->spf_aligned = c[i].spf_al;
		if (c[i].dkim != NOSIG)
			add_sig(v, "example.com", "s1", c[i].dkim,
			    c[i].dkim_al);
		v->dkim_aligned = c[i].dkim_al;
		if (failure_wanted(v) != c[i].want)
			printf("  case \"%s\": got %#x, want %#x\n", c[i].name,
			    failure_wanted(v), c[i].want);
		T_ASSERT_IDX(failure_wanted(v) == c[i].want, i);
	}
	t_end();

	t_begin("failure_wanted: no ruf, no record, PSD records");
	vd(v);
	T_ASSERT_INTEQ(failure_wanted(v), DMARC_FO_0);
	v->rec.nruf = 0;
	T_ASSERT_INTEQ(failure_wanted(v), 0);
	vd(v);
	v->has_record = 0;
	T_ASSERT_INTEQ(failure_wanted(v), 0);
	vd(v);
	v->rec.psd = DMARC_PSD_Y; /* RFC 9991 2 */
	T_ASSERT_INTEQ(failure_wanted(v), 0);
	vd(v);
	v->source = DMARC_SRC_PSD;
	T_ASSERT_INTEQ(failure_wanted(v), 0);
	vd(v);
	v->rec.psd = DMARC_PSD_N;
	v->source = DMARC_SRC_ORG;
	v->rec.testing = 1; /* t= does not matter for reports */
	T_ASSERT_INTEQ(failure_wanted(v), DMARC_FO_0);
	t_end();
	free(v);
}

static void
test_alignment(void)
{
	struct verdict *v = malloc(sizeof(*v));

	t_begin("failure_alignment: Identity-Alignment (RFC 9991 4)");
	if (v == NULL) {
		T_ASSERT(v != NULL);
		t_end();
		return;
	}
	/* SPF example.com failed, no signature */
	vd(v);
	T_ASSERT_INTEQ(failure_alignment(v), FAILURE_ALIGN_SPF);
	/* relaxed: a subdomain of the org domain is aligned */
	strlcpy(v->spf.domain, "bounce.example.com", sizeof(v->spf.domain));
	T_ASSERT_INTEQ(failure_alignment(v), FAILURE_ALIGN_SPF);
	v->rec.aspf = DMARC_AMODE_STRICT;
	T_ASSERT_INTEQ(failure_alignment(v), 0);
	/* another organization: not aligned, "none" */
	vd(v);
	strlcpy(v->spf.domain, "other.example", sizeof(v->spf.domain));
	add_sig(v, "evil.example", "s1", DKIMV_FAIL, 0);
	T_ASSERT_INTEQ(failure_alignment(v), 0);
	/* "notexample.com" is no subdomain of example.com */
	strlcpy(v->spf.domain, "notexample.com", sizeof(v->spf.domain));
	T_ASSERT_INTEQ(failure_alignment(v), 0);
	/* an aligned signature that failed */
	vd(v);
	add_sig(v, "mail.example.com", "s2", DKIMV_FAIL, 0);
	T_ASSERT_INTEQ(failure_alignment(v),
	    FAILURE_ALIGN_DKIM | FAILURE_ALIGN_SPF);
	v->rec.adkim = DMARC_AMODE_STRICT;
	T_ASSERT_INTEQ(failure_alignment(v), FAILURE_ALIGN_SPF);
	/* DKIM authenticated an aligned identifier: not listed */
	vd(v);
	add_sig(v, "example.com", "s1", DKIMV_PASS, 1);
	add_sig(v, "example.com", "s2", DKIMV_FAIL, 0);
	v->dkim_aligned = 1;
	v->dmarc.result = DMARC_RESULT_PASS;
	T_ASSERT_INTEQ(failure_alignment(v), FAILURE_ALIGN_SPF);
	/* unknown org domain: the author domain stands in */
	vd(v);
	v->org_domain[0] = '\0';
	strlcpy(v->spf.domain, "a.example.com", sizeof(v->spf.domain));
	T_ASSERT_INTEQ(failure_alignment(v), FAILURE_ALIGN_SPF);
	t_end();
	free(v);
}

static void
test_hdrs(void)
{
	struct failure_hdrs h;
	char big[8192];
	size_t i, n;

	t_begin("failure_hdrs: fields kept in order, capped, reports seen");
	failure_hdrs_init(&h);
	T_ASSERT_INTEQ(failure_hdrs_add(&h, "From", " a@example.com"), 0);
	T_ASSERT_INTEQ(failure_hdrs_add(&h, "Subject", " hi"), 0);
	T_ASSERT_INTEQ(h.nfields, 2);
	T_ASSERT_INTEQ(h.len,
	    strlen("From") + 1 + strlen(" a@example.com") + 1 +
		strlen("Subject") + 1 + strlen(" hi") + 1);
	T_ASSERT(
	    memcmp(h.buf, "From\0 a@example.com\0Subject\0 hi\0", h.len) == 0);
	T_ASSERT_INTEQ(h.is_report, 0);
	T_ASSERT_INTEQ(failure_hdrs_add(&h, "content-type",
			   " Multipart/Report; report-type=feedback-report"),
	    0);
	T_ASSERT_INTEQ(h.is_report, 1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 20; i++)
		(void)failure_hdrs_add(&h, "X-Big", big);
	n = h.nfields;
	T_ASSERT_INTEQ(h.truncated, 1);
	T_ASSERT(h.len <= FAILURE_HDRS_MAX);
	T_ASSERT_INTEQ(n, 3 + (FAILURE_HDRS_MAX - 80) / (sizeof(big) + 6));
	T_ASSERT_INTEQ(h.dropped, 20 - (n - 3));
	/* once cut, a small field is not kept either: no holes */
	T_ASSERT_INTEQ(failure_hdrs_add(&h, "X-Small", "1"), 0);
	T_ASSERT_INTEQ(h.nfields, n);
	T_ASSERT_INTEQ(h.dropped, 20 - (n - 3) + 1);
	failure_hdrs_clear(&h);
	T_ASSERT(h.buf == NULL && h.len == 0 && h.nfields == 0 &&
	    !h.truncated && !h.is_report);
	t_end();
}

/* a job as failure_job_new() makes it from a verdict */
static struct failure_job *
make_job(int with_headers)
{
	struct verdict *v = malloc(sizeof(*v));
	struct failure_env env;
	struct failure_hdrs h;
	struct failure_job *j = NULL;

	if (v == NULL)
		return NULL;
	vd(v);
	v->rec.fo = DMARC_FO_0 | DMARC_FO_D;
	add_sig(v, "example.com", "s1", DKIMV_FAIL, 0);
	v->rec.nruf = 2;
	strlcpy(v->rec.ruf[1].uri, "mailto:big@example.com",
	    sizeof(v->rec.ruf[1].uri));
	v->rec.ruf[1].max_size = 10240;
	failure_hdrs_init(&h);
	if (with_headers) {
		(void)failure_hdrs_add(&h, "Received",
		    " from mta.example.net (mta.example.net [203.0.113.66])\n"
		    "\tby mx.test.example for <rcpt@example.org>; Tue, 14 Nov "
		    "2023 22:13:20 +0000");
		(void)failure_hdrs_add(&h, "DKIM-Signature",
		    " v=1; a=rsa-sha256; d=example.com; s=s1;\n"
		    "\ti=@example.com; h=from:to; bh=AAAA; b=BBBB");
		(void)failure_hdrs_add(&h, "From",
		    " \"User Name\" <user.name@example.com>");
		(void)failure_hdrs_add(&h, "To",
		    " Recipient <rcpt@example.org>, \"J D\"@example.net");
		(void)failure_hdrs_add(&h, "Subject", " corpus message");
		(void)failure_hdrs_add(&h, "Message-ID",
		    " <abc.123@mta.example.net>");
		(void)failure_hdrs_add(&h, "List-Unsubscribe",
		    " <mailto:unsub-42@lists.example.com>");
	}
	memset(&env, 0, sizeof(env));
	env.queue_id = "4ABC123 D";
	env.client_ip = "203.0.113.66";
	env.mail_from = "<bounce+x=y@example.com>";
	env.arrival = 1700000000;
	env.delivery = FAILURE_REJECT;
	if (failure_job_new(v, &env, &h, failure_wanted(v), &j) == -1)
		j = NULL;
	failure_hdrs_clear(&h);
	free(v);
	return j;
}

static void
test_job(void)
{
	struct failure_job *j = make_job(1);

	t_begin("failure_job_new: a self-contained copy");
	T_ASSERT(j != NULL);
	if (j != NULL) {
		T_ASSERT_INTEQ(j->why, DMARC_FO_0 | DMARC_FO_D);
		T_ASSERT_INTEQ(j->align,
		    FAILURE_ALIGN_DKIM | FAILURE_ALIGN_SPF);
		T_ASSERT_STREQ(j->queue_id, "4ABC123?D");
		T_ASSERT_STREQ(j->ruf,
		    "mailto:ruf@example.com,mailto:big@example.com!10240");
		T_ASSERT_INTEQ(j->has_dkim, 1);
		T_ASSERT_STREQ(j->dkim_domain, "example.com");
		T_ASSERT_STREQ(j->dkim_selector, "s1");
		T_ASSERT_INTEQ(j->has_spf, 1);
		T_ASSERT_STREQ(j->spf_domain, "example.com");
		T_ASSERT_INTEQ(j->hdrs.nfields, 7);
		T_ASSERT_STREQ(j->mail_from, "<bounce+x=y@example.com>");
	}
	failure_job_free(&j);
	T_ASSERT(j == NULL);
	failure_job_free(&j);
	t_end();
}

/* readback - the message as Python's email package reads it */
static char *
readback(const char *msg, size_t len)
{
	static const char script[] =
	    "import email, sys\n"
	    "m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n"
	    "o = []\n"
	    "for k in ('From', 'To', 'Subject', 'Message-ID', "
	    "'Auto-Submitted'):\n"
	    "    o.append('%s=%s' % (k, m[k]))\n"
	    "o.append('type=' + m.get_content_type())\n"
	    "o.append('report-type=' + str(m.get_param('report-type')))\n"
	    "p = m.get_payload()\n"
	    "o.append('parts=' + ','.join(x.get_content_type() for x in p))\n"
	    "fb = p[1].get_payload()[0]\n"
	    "for k in fb.keys():\n"
	    "    o.append('f.%s=%s' % (k, ' '.join(str(fb[k]).split())))\n"
	    "o.append('cte3=' + str(p[2]['Content-Transfer-Encoding']))\n"
	    "h = email.message_from_string(p[2].get_payload())\n"
	    "for k in h.keys():\n"
	    "    o.append('h.%s=%s' % (k, ' '.join(str(h[k]).split())))\n"
	    "print('\\n'.join(o))\n";
	char path[128], spath[128], cmd[512], *out;
	size_t n = 0;
	FILE *fp, *pp;

	snprintf(path, sizeof(path), "%s/msg.eml", tmpdir);
	snprintf(spath, sizeof(spath), "%s/check.py", tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fwrite(msg, 1, len, fp);
	fclose(fp);
	if ((fp = fopen(spath, "w")) == NULL)
		return NULL;
	fputs(script, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", PY, spath, path);
	if ((pp = popen(cmd, "r")) == NULL || (out = calloc(1, 65536)) == NULL)
		return NULL;
	n = fread(out, 1, 65535, pp);
	out[n] = '\0';
	pclose(pp);
	return out;
}

static void
opts(struct failure_opts *o, int redact)
{
	memset(o, 0, sizeof(*o));
	o->from = "noreply-dmarc@mx.test.example";
	o->reporter = "mx.test.example";
	o->user_agent = "dmarc-milter/1.0";
	o->id = "1700000000123.0badf00d.0";
	o->date = 1700000100;
	o->redact = redact;
}

static void
test_build(void)
{
	static const char want_plain[] =
	    "From=noreply-dmarc@mx.test.example\n"
	    "To=ruf@example.com\n"
	    "Subject=DMARC failure report for example.com\n"
	    "Message-ID=<1700000000123.0badf00d.0@mx.test.example>\n"
	    "Auto-Submitted=auto-generated\n"
	    "type=multipart/report\n"
	    "report-type=feedback-report\n"
	    "parts=text/plain,message/feedback-report,text/rfc822-headers\n"
	    "f.Feedback-Type=auth-failure\n"
	    "f.User-Agent=dmarc-milter/1.0\n"
	    "f.Version=1\n"
	    "f.Original-Mail-From=<bounce+x=y@example.com>\n"
	    "f.Arrival-Date=Tue, 14 Nov 2023 22:13:20 +0000\n"
	    "f.Source-IP=203.0.113.66\n"
	    "f.Reported-Domain=example.com\n"
	    "f.Authentication-Results=mx.test.example; spf=fail "
	    "smtp.mailfrom=user@example.com; dmarc=fail (p=reject) "
	    "header.from=example.com\n"
	    "f.Auth-Failure=dmarc\n"
	    "f.Identity-Alignment=dkim, spf\n"
	    "f.Delivery-Result=reject\n"
	    "f.DKIM-Domain=example.com\n"
	    "f.DKIM-Identity=@example.com\n"
	    "f.DKIM-Selector=s1\n"
	    "f.SPF-DNS=txt : example.com : \"v=spf1 ip4:192.0.2.10 -all\"\n"
	    "cte3=7bit\n"
	    "h.Received=from mta.example.net (mta.example.net "
	    "[203.0.113.66]) by mx.test.example for <rcpt@example.org>; "
	    "Tue, 14 Nov 2023 22:13:20 +0000\n"
	    "h.DKIM-Signature=v=1; a=rsa-sha256; d=example.com; s=s1; "
	    "i=@example.com; h=from:to; bh=AAAA; b=BBBB\n"
	    "h.From=\"User Name\" <user.name@example.com>\n"
	    "h.To=Recipient <rcpt@example.org>, \"J D\"@example.net\n"
	    "h.Subject=corpus message\n"
	    "h.Message-ID=<abc.123@mta.example.net>\n"
	    "h.List-Unsubscribe=<mailto:unsub-42@lists.example.com>\n";
	struct failure_job *j = make_job(1);
	struct failure_opts o;
	char *msg = NULL, *got;
	size_t len = 0;
	const char *e = NULL;

	t_begin("failure_build: an AFRF report read back by Python");
	T_ASSERT(j != NULL);
	if (j == NULL) {
		t_end();
		return;
	}
	strlcpy(j->spf_dns, "v=spf1 ip4:192.0.2.10 -all", sizeof(j->spf_dns));
	opts(&o, 0);
	T_ASSERT_INTEQ(failure_build(j, &o, "ruf@example.com", &msg, &len, &e),
	    0);
	T_ASSERT(msg != NULL && strlen(msg) == len);
	if (msg != NULL) {
		got = readback(msg, len);
		T_ASSERT_STREQ(got, want_plain);
		free(got);
		/* checked in C too: exact lines of the report */
		T_ASSERT(strstr(msg,
			     "\nContent-Type: multipart/report; "
			     "report-type=feedback-report;\n"
			     "\tboundary=\"=_dmarc_fr_1700000000123."
			     "0badf00d.0\"\n") != NULL);
		T_ASSERT(
		    strstr(msg, "\nIdentity-Alignment: dkim, spf\n") != NULL);
		T_ASSERT(strstr(msg, "\nAuth-Failure: dmarc\n") != NULL);
		T_ASSERT(strstr(msg,
			     "\nDate: Tue, 14 Nov 2023 22:15:00 "
			     "+0000\n") != NULL);
		T_ASSERT(strstr(msg, "Only the first") == NULL);
		T_ASSERT(msg[len - 1] == '\n');
	}
	free(msg);
	msg = NULL;

	/* no headers kept; fo=d alone names the mechanism */
	failure_job_free(&j);
	j = make_job(0);
	T_ASSERT(j != NULL);
	if (j != NULL) {
		j->why = DMARC_FO_D;
		j->align = 0;
		j->has_spf = 0;
		T_ASSERT_INTEQ(failure_build(j, &o, "ruf@example.com", &msg,
				   &len, &e),
		    0);
		T_ASSERT(msg != NULL &&
		    strstr(msg, "\nAuth-Failure: signature\n") != NULL &&
		    strstr(msg, "\nIdentity-Alignment: none\n") != NULL &&
		    strstr(msg, "\nDKIM-Selector: s1\n") != NULL &&
		    strstr(msg, "SPF-DNS") == NULL &&
		    strstr(msg, "header of the message was not kept") != NULL);
		free(msg);
		msg = NULL;
	}
	failure_job_free(&j);
	t_end();
}

static void
test_redact(void)
{
	struct failure_job *j = make_job(1);
	struct failure_opts o;
	char *msg = NULL, *got = NULL;
	size_t len = 0;
	const char *e = NULL;

	t_begin("failure_build: redaction of local parts (RFC 9991 7)");
	T_ASSERT(j != NULL);
	opts(&o, 1);
	if (j != NULL &&
	    failure_build(j, &o, "ruf@example.com", &msg, &len, &e) == 0)
		got = readback(msg, len);
	T_ASSERT(got != NULL);
	if (got != NULL) {
		T_ASSERT(strstr(got,
			     "\nf.Original-Mail-From=<redacted@"
			     "example.com>\n") != NULL);
		T_ASSERT(strstr(got, " smtp.mailfrom=redacted@example.com;") !=
		    NULL);
		T_ASSERT(strstr(got,
			     "\nh.From=\"User Name\" "
			     "<redacted@example.com>\n") != NULL);
		T_ASSERT(strstr(got,
			     "\nh.To=Recipient <redacted@example.org>, "
			     "redacted@example.net\n") != NULL);
		T_ASSERT(strstr(got, "for <redacted@example.org>;") != NULL);
		T_ASSERT(strstr(got,
			     "\nh.List-Unsubscribe=<mailto:"
			     "redacted@lists.example.com>\n") != NULL);
		/* tag=value: the tag stays; an empty local part stays */
		T_ASSERT(strstr(got, " i=@example.com; ") != NULL);
		/* message identifiers are not addresses */
		T_ASSERT(strstr(got,
			     "\nh.Message-ID=<abc.123@mta.example.net>"
			     "\n") != NULL);
		/* no local part left anywhere */
		T_ASSERT(strstr(msg, "user.name") == NULL &&
		    strstr(msg, "rcpt@") == NULL &&
		    strstr(msg, "bounce+") == NULL &&
		    strstr(msg, "user@") == NULL &&
		    strstr(msg, "unsub-42") == NULL);
		T_ASSERT(strstr(msg, "are replaced by \"redacted\"") != NULL);
	}
	free(got);
	free(msg);
	failure_job_free(&j);
	t_end();
}

static void
test_hostile(void)
{
	static const struct {
		const char *field, *value, *why;
	} bad[] = {
	    {"selector", "s1\r\nBcc: evil@example.net", "bad DKIM selector"},
	    {"dkim_domain", "example.com\nX-Evil: 1", "bad DKIM domain"},
	    {"header_from", "example.com\r\nX-Evil: 1", "bad From: domain"},
	    {"policy_domain", "example.com\n", "bad policy domain"},
	    {"source_ip", "192.0.2.1\r\nX-Evil: 1", "bad source IP address"},
	    {"spf_domain", "example.com\rX", "bad SPF domain"},
	    {"to", "ruf@example.com\nBcc: evil@example.net",
		"bad destination address"},
	    {"from", "-oQ/tmp@example.com", "bad sender address"},
	    {"id", "1.2\n", "bad report id"},
	    {"user_agent", "x\r\nX-Evil: 1", "bad user agent"},
	};
	struct failure_job *j;
	struct failure_opts o;
	char *msg = NULL, *got = NULL;
	const char *e, *to;
	size_t i, len;

	t_begin("failure_build: hostile values cannot add header fields");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((j = make_job(0)) == NULL)
			break;
		strlcpy(j->spf_dns, "v=spf1 -all", sizeof(j->spf_dns));
		opts(&o, 0);
		to = "ruf@example.com";
		if (strcmp(bad[i].field, "selector") == 0)
			strlcpy(j->dkim_selector, bad[i].value,
			    sizeof(j->dkim_selector));
		else if (strcmp(bad[i].field, "dkim_domain") == 0)
			strlcpy(j->dkim_domain, bad[i].value,
			    sizeof(j->dkim_domain));
		else if (strcmp(bad[i].field, "header_from") == 0)
			strlcpy(j->header_from, bad[i].value,
			    sizeof(j->header_from));
		else if (strcmp(bad[i].field, "policy_domain") == 0)
			strlcpy(j->policy_domain, bad[i].value,
			    sizeof(j->policy_domain));
		else if (strcmp(bad[i].field, "source_ip") == 0)
			strlcpy(j->source_ip, bad[i].value,
			    sizeof(j->source_ip));
		else if (strcmp(bad[i].field, "spf_domain") == 0)
			strlcpy(j->spf_domain, bad[i].value,
			    sizeof(j->spf_domain));
		else if (strcmp(bad[i].field, "to") == 0)
			to = bad[i].value;
		else if (strcmp(bad[i].field, "from") == 0)
			o.from = bad[i].value;
		else if (strcmp(bad[i].field, "id") == 0)
			o.id = bad[i].value;
		else
			o.user_agent = bad[i].value;
		e = NULL;
		msg = NULL;
		T_ASSERT_IDX(failure_build(j, &o, to, &msg, &len, &e) == -1, i);
		T_ASSERT_IDX(msg == NULL, i);
		T_ASSERT_STREQ(e, bad[i].why);
		failure_job_free(&j);
	}

	/* free text is cleaned: A-R, envelope sender, SPF record, fields */
	j = make_job(0);
	T_ASSERT(j != NULL);
	if (j == NULL) {
		t_end();
		return;
	}
	strlcpy(j->authres, "mx.test.example; dmarc=fail\r\nX-Injected: 1",
	    sizeof(j->authres));
	strlcpy(j->mail_from, "<a@example.com>\r\nX-Injected2: 1",
	    sizeof(j->mail_from));
	strlcpy(j->spf_dns, "v=spf1 \"x\\y\"\r\nX-Injected3: 1 -all",
	    sizeof(j->spf_dns));
	(void)failure_hdrs_add(&j->hdrs, "Subject",
	    " one\r\n\r\nX-Evil: 1\n\n--=_dmarc_fr_1700000000123.0badf00d.0--"
	    "\r\n");
	(void)failure_hdrs_add(&j->hdrs, "Bad Name", " dropped");
	(void)failure_hdrs_add(&j->hdrs,
	    "--=_dmarc_fr_1700000000123.0badf00d.0_1",
	    " a field named like the next boundary");
	(void)failure_hdrs_add(&j->hdrs, "X-Ctl", " a\001b\177c\tend");
	(void)failure_hdrs_add(&j->hdrs, "X-8bit", " caf\xc3\xa9");
	opts(&o, 0);
	T_ASSERT_INTEQ(failure_build(j, &o, "ruf@example.com", &msg, &len, &e),
	    0);
	if (msg != NULL) {
		/* no line starts with an injected name */
		T_ASSERT(strstr(msg, "\nX-Injected") == NULL);
		T_ASSERT(strstr(msg, "\nX-Evil") == NULL);
		T_ASSERT(strstr(msg, "dmarc=fail??X-Injected: 1") != NULL);
		T_ASSERT(strstr(msg,
			     "\nOriginal-Mail-From: <a@example.com>??"
			     "X-Injected2: 1\n") != NULL);
		T_ASSERT(strstr(msg,
			     "\"v=spf1 \\\"x\\\\y\\\"??X-Injected3: "
			     "1 -all\"") != NULL);
		T_ASSERT(
		    strstr(msg, "\nSubject: one\n\tX-Evil: 1\n\t--=_") != NULL);
		T_ASSERT(strstr(msg, "Bad Name") == NULL);
		T_ASSERT(strstr(msg, "\nX-Ctl: a?b?c\tend\n") != NULL);
		T_ASSERT(
		    strstr(msg, "Content-Transfer-Encoding: 8bit") != NULL);
		/* the boundary is one that no part holds */
		T_ASSERT(strstr(msg,
			     "boundary=\"=_dmarc_fr_1700000000123."
			     "0badf00d.0_2\"") != NULL);
		got = readback(msg, len);
		T_ASSERT(got != NULL &&
		    strstr(got,
			"\nparts=text/plain,message/feedback-report,"
			"text/rfc822-headers\n") != NULL);
		T_ASSERT(got != NULL && strstr(got, "\nh.X-Evil") == NULL &&
		    strstr(got, "\nf.X-Injected") == NULL);
		T_ASSERT(got != NULL &&
		    strstr(got, "\nh.X-Ctl=a?b?c end\n") != NULL);
		free(got);
	}
	free(msg);
	failure_job_free(&j);
	t_end();
}

static void
test_fold(void)
{
	struct failure_job *j = make_job(0);
	struct failure_opts o;
	char *msg = NULL, *p, *got = NULL;
	const char *e;
	size_t len, i, col = 0, maxcol = 0;

	t_begin("failure_build: long fields are folded, unfolding restores");
	T_ASSERT(j != NULL);
	if (j == NULL) {
		t_end();
		return;
	}
	strlcpy(j->authres,
	    "mx.test.example; spf=fail smtp.mailfrom=example.com; dkim=fail "
	    "(bad signature) header.d=example.com header.s=s1 "
	    "header.a=rsa-sha256; dmarc=fail (p=reject) "
	    "policy.dmarc=reject header.from=example.com",
	    sizeof(j->authres));
	opts(&o, 0);
	T_ASSERT_INTEQ(failure_build(j, &o, "ruf@example.com", &msg, &len, &e),
	    0);
	p = msg != NULL ? strstr(msg, "\nAuthentication-Results:") : NULL;
	T_ASSERT(p != NULL);
	for (i = 0; p != NULL && p[i + 1] != '\0'; i++) {
		if (p[i + 1] == '\n') {
			if (p[i + 2] != ' ')
				break;
			col = 0;
			continue;
		}
		if (++col > maxcol)
			maxcol = col;
	}
	T_ASSERT(maxcol <= FAILURE_LINE_MAX);
	if (msg != NULL)
		got = readback(msg, len);
	T_ASSERT(got != NULL &&
	    strstr(got,
		"\nf.Authentication-Results=mx.test.example; "
		"spf=fail smtp.mailfrom=example.com; dkim=fail (bad "
		"signature) header.d=example.com header.s=s1 "
		"header.a=rsa-sha256; dmarc=fail (p=reject) "
		"policy.dmarc=reject header.from=example.com\n") != NULL);
	free(got);
	free(msg);
	failure_job_free(&j);
	t_end();
}

static void
test_truncated_note(void)
{
	struct failure_job *j = make_job(0);
	struct failure_opts o;
	char big[4096], *msg = NULL;
	const char *e;
	size_t len, i;

	t_begin("failure_build: a cut header is said so");
	T_ASSERT(j != NULL);
	if (j == NULL) {
		t_end();
		return;
	}
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 20; i++)
		(void)failure_hdrs_add(&j->hdrs, "X-Fill", big);
	opts(&o, 1);
	T_ASSERT_INTEQ(failure_build(j, &o, "ruf@example.com", &msg, &len, &e),
	    0);
	T_ASSERT(msg != NULL &&
	    strstr(msg,
		"Only the first 15 fields are: 5 more did not fit in "
		"65536 bytes.") != NULL);
	free(msg);
	failure_job_free(&j);
	t_end();
}

static void
test_rl(void)
{
	struct failure_rl *rl = failure_rl_new(0);
	const long long H = 3600000, M = 60000;
	long long t0 = 1700000000000LL;
	char longaddr[400];

	t_begin("failure_rl: burst, refill with a fixed clock, limits");
	T_ASSERT(rl != NULL);
	if (rl == NULL) {
		t_end();
		return;
	}
	/* a burst of 3, then nothing */
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "A@EXAMPLE.COM", 3, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0), 0);
	/* another address has its own bucket */
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@example.com", 3, t0), 1);
	/* 3 an hour: one every 20 minutes */
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 19 * M), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 20 * M), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 20 * M), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 39 * M), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 40 * M), 1);
	/* the clock going back refills nothing */
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 - H), 0);
	/* a long pause fills the bucket, not more */
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 10 * H), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 10 * H), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 10 * H), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@example.com", 3, t0 + 10 * H), 0);
	/* a lower rate caps what was saved */
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@example.com", 1, t0 + 10 * H), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@example.com", 1, t0 + 10 * H), 0);
	T_ASSERT_INTEQ(failure_rl_count(rl), 2);
	memset(longaddr, 'x', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	T_ASSERT_INTEQ(failure_rl_take(rl, longaddr, 3, t0), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, NULL, 3, t0), 0);
	T_ASSERT_INTEQ(failure_rl_count(rl), 2);
	failure_rl_free(&rl);
	T_ASSERT(rl == NULL);
	t_end();

	t_begin("failure_rl: a bounded table, least recently used goes");
	rl = failure_rl_new(2);
	T_ASSERT(rl != NULL);
	if (rl == NULL) {
		t_end();
		return;
	}
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@x.example", 1, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@x.example", 1, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@x.example", 1, t0), 0);
	/* c evicts b (a was used later) */
	T_ASSERT_INTEQ(failure_rl_take(rl, "c@x.example", 1, t0), 1);
	T_ASSERT_INTEQ(failure_rl_count(rl), 2);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@x.example", 1, t0), 0);
	/* b comes back with a full bucket, evicting c */
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@x.example", 1, t0), 1);
	T_ASSERT_INTEQ(failure_rl_take(rl, "b@x.example", 1, t0), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, "a@x.example", 1, t0), 0);
	T_ASSERT_INTEQ(failure_rl_take(rl, "c@x.example", 1, t0), 1);
	T_ASSERT_INTEQ(failure_rl_count(rl), 2);
	failure_rl_free(&rl);
	failure_rl_free(&rl);
	t_end();
}

struct rl_thr {
	struct failure_rl *rl;
	int granted;
};

static void *
rl_worker(void *arg)
{
	struct rl_thr *t = arg;
	int i;

	for (i = 0; i < 1000; i++)
		t->granted +=
		    failure_rl_take(t->rl, "r@example.com", 3600, 1000000);
	return NULL;
}

static void
test_rl_threads(void)
{
	struct rl_thr t[4];
	pthread_t th[4];
	int i, total = 0;
	struct failure_rl *rl = failure_rl_new(16);

	t_begin("failure_rl: thread-safe (4 threads, 3600 tokens)");
	T_ASSERT(rl != NULL);
	for (i = 0; rl != NULL && i < 4; i++) {
		t[i].rl = rl;
		t[i].granted = 0;
		T_ASSERT(pthread_create(&th[i], NULL, rl_worker, &t[i]) == 0);
	}
	for (i = 0; rl != NULL && i < 4; i++) {
		pthread_join(th[i], NULL);
		total += t[i].granted;
	}
	T_ASSERT_INTEQ(total, 3600);
	failure_rl_free(&rl);
	t_end();
}

/* the queue's handler: records arrivals, may be held */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static long long handled[16];
static int nhandled, hold, entered;

static void
handler(void *arg, struct failure_job *j)
{
	(void)arg;
	pthread_mutex_lock(&qlock);
	entered++;
	pthread_cond_broadcast(&qcond);
	while (hold)
		pthread_cond_wait(&qcond, &qlock);
	if (nhandled < 16)
		handled[nhandled++] = j->arrival;
	pthread_mutex_unlock(&qlock);
}

static struct failure_job *
qjob(long long n)
{
	struct failure_job *j = calloc(1, sizeof(*j));

	if (j != NULL)
		j->arrival = n;
	return j;
}

static void
test_queue(void)
{
	struct failure_queue *q = NULL;
	struct failure_job *j;
	int i, ok = 1;

	t_begin("failure_queue: one thread, in order, drained at stop");
	nhandled = hold = entered = 0;
	T_ASSERT_INTEQ(failure_queue_start(8, handler, NULL, &q), 0);
	for (i = 1; q != NULL && i <= 5; i++)
		T_ASSERT_IDX(failure_queue_put(q, qjob(i)) == 0, i);
	T_ASSERT_INTEQ(failure_queue_stop(q, 5000), 0);
	T_ASSERT_INTEQ(nhandled, 5);
	for (i = 0; i < 5; i++)
		ok &= handled[i] == i + 1;
	T_ASSERT(ok);
	j = qjob(9);
	T_ASSERT_INTEQ(failure_queue_put(q, j), -1); /* stopped */
	free(j);
	T_ASSERT_INTEQ(failure_queue_free(&q), 0);
	T_ASSERT(q == NULL);
	T_ASSERT_INTEQ(failure_queue_start(0, handler, NULL, &q), -1);
	t_end();

	t_begin("failure_queue: full, and a bounded wait at stop");
	nhandled = entered = 0;
	hold = 1;
	T_ASSERT_INTEQ(failure_queue_start(1, handler, NULL, &q), 0);
	T_ASSERT_INTEQ(failure_queue_put(q, qjob(1)), 0);
	pthread_mutex_lock(&qlock);
	while (entered == 0)
		pthread_cond_wait(&qcond, &qlock);
	pthread_mutex_unlock(&qlock);
	T_ASSERT_INTEQ(failure_queue_put(q, qjob(2)), 0);
	j = qjob(3);
	T_ASSERT_INTEQ(failure_queue_put(q, j), -1); /* full */
	free(j);
	/* the handler is stuck: job 2 is dropped after 100 ms */
	T_ASSERT_INTEQ(failure_queue_stop(q, 100), 1);
	pthread_mutex_lock(&qlock);
	hold = 0;
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	T_ASSERT_INTEQ(failure_queue_stop(q, 5000), 0);
	T_ASSERT_INTEQ(nhandled, 1);
	T_ASSERT_INTEQ(handled[0], 1);
	T_ASSERT_INTEQ(failure_queue_free(&q), 0);
	T_ASSERT_INTEQ(failure_queue_free(&q), 0);
	t_end();
}

/* log lines of failure_send_job() */
static char loglines[16][1024];
static int nlog;

static void
logcb(void *arg, const char *line)
{
	(void)arg;
	if (nlog < 16)
		strlcpy(loglines[nlog++], line, sizeof(loglines[0]));
}

static int
logged(const char *s)
{
	int i;

	for (i = 0; i < nlog; i++)
		if (strcmp(loglines[i], s) == 0)
			return 1;
	for (i = 0; i < nlog; i++)
		printf("  log: %s\n", loglines[i]);
	return 0;
}

static int
starts(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) == 0)
		return 1;
	printf("  \"%s\" does not start with \"%s\"\n", s, prefix);
	return 0;
}

/* file_text - a whole small file, or "" */
static void
file_text(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

static void
test_send(void)
{
	static const char zone[] =
	    "_dmarc.example.com TXT \"v=DMARC1; p=reject; "
	    "ruf=mailto:ruf@example.com\"\n"
	    "example.com TXT \"v=spf1 ip4:192.0.2.10 -all\"\n"
	    "example.com TXT \"not spf\"\n"
	    "example.com._report._dmarc.auth.example TXT \"v=DMARC1\"\n";
	struct resolver_opts ro = {NULL, NULL, 0};
	struct resolver *res = NULL;
	struct failure_ctx fc;
	struct failure_job *j = make_job(1);
	struct failure_rl *rl = failure_rl_new(0);
	char zpath[128], sm[128], argvlog[128], msgs[128], err[256];
	char buf[65536];
	FILE *fp;

	t_begin("failure_send_job: verified ruf, rate, fake sendmail");
	snprintf(zpath, sizeof(zpath), "%s/zone", tmpdir);
	snprintf(sm, sizeof(sm), "%s/sendmail", tmpdir);
	snprintf(argvlog, sizeof(argvlog), "%s/argv.log", tmpdir);
	snprintf(msgs, sizeof(msgs), "%s/msgs.log", tmpdir);
	if ((fp = fopen(zpath, "w")) != NULL) {
		fputs(zone, fp);
		fclose(fp);
	}
	if ((fp = fopen(sm, "w")) != NULL) {
		fprintf(fp,
		    "#!/bin/sh\necho \"$*\" >>%s\ncat >>%s\necho . >>%s\n",
		    argvlog, msgs, msgs);
		fclose(fp);
	}
	chmod(sm, 0755);
	ro.zone_file = zpath;
	if (resolver_new(&ro, &res, err, sizeof(err)) == -1)
		printf("resolver_new: %s\n", err);
	T_ASSERT(res != NULL && j != NULL && rl != NULL);
	if (res == NULL || j == NULL || rl == NULL)
		goto out;
	strlcpy(j->ruf,
	    "mailto:ruf@example.com,mailto:r@reports.example,"
	    "mailto:x@auth.example,https://x.example/r,"
	    "mailto:big@example.com!1k",
	    sizeof(j->ruf));
	memset(&fc, 0, sizeof(fc));
	fc.res = res;
	fc.sendmail_path = sm;
	fc.from = "noreply-dmarc@mx.test.example";
	fc.reporter = "mx.test.example";
	fc.user_agent = "dmarc-milter/1.0";
	fc.redact = 1;
	fc.rate = 1;
	fc.rl = rl;
	fc.now_ms = 1700000000000LL;
	fc.log = logcb;
	nlog = 0;
	failure_send_job(j, &fc);
	T_ASSERT_STREQ(j->spf_dns, "v=spf1 ip4:192.0.2.10 -all");
	file_text(argvlog, buf, sizeof(buf));
	T_ASSERT_STREQ(buf,
	    "-i -f noreply-dmarc@mx.test.example -- ruf@example.com\n"
	    "-i -f noreply-dmarc@mx.test.example -- x@auth.example\n");
	T_ASSERT_INTEQ(nlog, 5);
	T_ASSERT(
	    logged("4ABC123?D: failure report for example.com to "
		   "mailto:r@reports.example skipped: external destination "
		   "not authorized (no _report._dmarc record)"));
	T_ASSERT(logged("4ABC123?D: failure report for example.com to "
			"https://x.example/r skipped: not a mailto: URI"));
	T_ASSERT(starts(loglines[4],
		     "4ABC123?D: failure report for example.com to "
		     "big@example.com skipped: ") &&
	    strstr(loglines[4], " bytes exceed its limit of 1024") != NULL);
	T_ASSERT(starts(loglines[0],
	    "4ABC123?D: failure report for example.com sent to "
	    "ruf@example.com ("));
	T_ASSERT(starts(loglines[2],
	    "4ABC123?D: failure report for example.com sent to "
	    "x@auth.example ("));
	file_text(msgs, buf, sizeof(buf));
	T_ASSERT(strstr(buf, "\nTo: ruf@example.com\n") != NULL &&
	    strstr(buf, "\nTo: x@auth.example\n") != NULL);
	T_ASSERT(strstr(buf,
		     "\nSPF-DNS: txt : example.com : \"v=spf1 "
		     "ip4:192.0.2.10 -all\"\n") != NULL);
	T_ASSERT(strstr(buf, "user.name@") == NULL);

	/* the same again within the hour: over the rate of 1 */
	nlog = 0;
	failure_send_job(j, &fc);
	file_text(argvlog, buf, sizeof(buf));
	T_ASSERT_STREQ(buf,
	    "-i -f noreply-dmarc@mx.test.example -- ruf@example.com\n"
	    "-i -f noreply-dmarc@mx.test.example -- x@auth.example\n");
	T_ASSERT(logged("4ABC123?D: failure report for example.com to "
			"ruf@example.com skipped: over the limit of 1 an "
			"hour"));
	T_ASSERT(logged("4ABC123?D: failure report for example.com to "
			"x@auth.example skipped: over the limit of 1 an hour"));

	/* a sendmail that fails is logged */
	nlog = 0;
	fc.now_ms += 2 * 3600000LL;
	fc.sendmail_path = "/nonexistent/sendmail";
	strlcpy(j->ruf, "mailto:ruf@example.com", sizeof(j->ruf));
	failure_send_job(j, &fc);
	T_ASSERT_INTEQ(nlog, 1);
	T_ASSERT(strstr(loglines[0],
		     "to ruf@example.com not sent: "
		     "/nonexistent/sendmail: ") != NULL);
out:
	failure_job_free(&j);
	failure_rl_free(&rl);
	resolver_free(&res);
	t_end();
}

static void
test_defaults(void)
{
	char dom[DOMAIN_MAX + 1], email[RUA_ADDR_MAX + 1];
	const char *e = NULL;

	t_begin("failure_defaults: ReportDomain and ReportEmail");
	T_ASSERT_INTEQ(failure_defaults("MX.Example.NET", "", dom, sizeof(dom),
			   email, sizeof(email), &e),
	    0);
	T_ASSERT_STREQ(dom, "mx.example.net");
	T_ASSERT_STREQ(email, "noreply-dmarc@mx.example.net");
	T_ASSERT_INTEQ(failure_defaults("mx.example.net", "dmarc@example.net",
			   dom, sizeof(dom), email, sizeof(email), &e),
	    0);
	T_ASSERT_STREQ(email, "dmarc@example.net");
	T_ASSERT_INTEQ(failure_defaults("bad domain", "", dom, sizeof(dom),
			   email, sizeof(email), &e),
	    -1);
	T_ASSERT_STREQ(e, "ReportDomain is not a domain name");
	T_ASSERT_INTEQ(failure_defaults("mx.example.net", "-x@example.net", dom,
			   sizeof(dom), email, sizeof(email), &e),
	    -1);
	T_ASSERT_STREQ(e, "ReportEmail is not a usable address");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_wanted, test_alignment,
	    test_hdrs, test_job, test_build, test_redact, test_hostile,
	    test_fold, test_truncated_note, test_rl, test_rl_threads,
	    test_queue, test_send, test_defaults, NULL};
	char cmd[128];
	int rc;

	strlcpy(tmpdir, "/tmp/test-failure-XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = t_run(tests);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("cannot remove %s\n", tmpdir);
	return rc;
}
