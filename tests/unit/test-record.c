/*
 * test-record.c - a verdict becomes the store_record the reports read
 */
#include "autoconf.h"

#include <string.h>

#include "auth/session.h"
#include "report/record.h"
#include "tests/t.h"

static void
verdict_fail(struct verdict *v)
{
	const char *err = NULL;

	memset(v, 0, sizeof(*v));
	v->spf.result = SPF_RES_PASS;
	strlcpy(v->spf.domain, "esp.example", sizeof(v->spf.domain));
	v->ndkim = 2;
	v->dkim[0].sig.result = DKIMV_PASS;
	strlcpy(v->dkim[0].sig.domain, "esp.example",
	    sizeof(v->dkim[0].sig.domain));
	strlcpy(v->dkim[0].sig.selector, "s1", sizeof(v->dkim[0].sig.selector));
	v->dkim[1].sig.result = DKIMV_FAIL;
	strlcpy(v->dkim[1].sig.domain, "a<b>&\"c.example",
	    sizeof(v->dkim[1].sig.domain));
	v->dmarc.result = DMARC_RESULT_FAIL;
	v->dmarc.policy = DMARC_P_REJECT;
	v->dmarc.disp = DMARC_DISP_QUARANTINE;
	v->dmarc.reasons =
	    DMARC_REASON_SAMPLED_OUT | DMARC_REASON_TRUSTED_FORWARDER;
	strlcpy(v->header_from, "example.com", sizeof(v->header_from));
	strlcpy(v->policy_domain, "example.com", sizeof(v->policy_domain));
	v->has_record = 1;
	(void)dmarc_record_parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; "
				 "pct=50; fo=1:d; rua=mailto:a@example.com!10m,"
				 "mailto:b@example.net",
	    strlen("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; "
		   "fo=1:d; rua=mailto:a@example.com!10m,mailto:b@example.net"),
	    &v->rec, &err);
}

static void
test_fail(void)
{
	struct store_record rec;
	struct verdict v;
	struct record_env env = {1795000000LL, "ABC123", "192.0.2.1",
	    "ESP.Example", "mx.esp.example", "example.org", "treewalk"};

	t_begin("a failing, sampled-out, forwarded message");
	verdict_fail(&v);
	record_from_verdict(&v, &env, &rec);
	T_ASSERT_INTEQ(rec.received, 1795000000LL);
	T_ASSERT_STREQ(rec.queue_id, "ABC123");
	T_ASSERT_STREQ(rec.source_ip, "192.0.2.1");
	T_ASSERT_STREQ(rec.env_from_domain, "esp.example");
	T_ASSERT_STREQ(rec.env_to_domain, "example.org");
	T_ASSERT_STREQ(rec.header_from, "example.com");
	T_ASSERT_STREQ(rec.policy_domain, "example.com");
	T_ASSERT_INTEQ(rec.has_policy, 1);
	T_ASSERT_STREQ(rec.p, "reject");
	T_ASSERT_STREQ(rec.sp, "quarantine");
	T_ASSERT_STREQ(rec.np, "");
	T_ASSERT_INTEQ(rec.adkim, 's');
	T_ASSERT_INTEQ(rec.aspf, 'r');
	T_ASSERT_STREQ(rec.fo, "1:d");
	T_ASSERT_STREQ(rec.rua,
	    "mailto:a@example.com!10485760,mailto:b@example.net");
	T_ASSERT_STREQ(rec.ruf, "");
	T_ASSERT_STREQ(rec.dmarc_result, "fail");
	T_ASSERT_STREQ(rec.disposition, "quarantine");
	T_ASSERT_STREQ(rec.reasons, "other,trusted_forwarder");
	T_ASSERT_STREQ(rec.reason_comment, "sampled_out");
	T_ASSERT_STREQ(rec.spf_domain, "esp.example");
	T_ASSERT_STREQ(rec.spf_scope, "mfrom");
	T_ASSERT_STREQ(rec.spf_result, "pass");
	T_ASSERT_INTEQ(rec.ndkim, 2);
	T_ASSERT_STREQ(rec.dkim[0].selector, "s1");
	T_ASSERT_STREQ(rec.dkim[0].result, "pass");
	T_ASSERT_STREQ(rec.dkim[1].domain, "a<b>&\"c.example");
	T_ASSERT_STREQ(rec.dkim[1].result, "fail");
	t_end();
}

static void
test_null_sender(void)
{
	struct store_record rec;
	struct verdict v;
	struct record_env env = {0, NULL, NULL, "<>", "mx.example.net", NULL,
	    "psl"};
	size_t i;

	t_begin("null sender, no policy, more signatures than the store keeps");
	memset(&v, 0, sizeof(v));
	v.dmarc.result = DMARC_RESULT_NONE;
	v.ndkim = DKIMV_SIGS_MAX;
	for (i = 0; i < v.ndkim; i++)
		strlcpy(v.dkim[i].sig.domain, "x.example",
		    sizeof(v.dkim[i].sig.domain));
	record_from_verdict(&v, &env, &rec);
	T_ASSERT_STREQ(rec.env_from_domain, "mx.example.net");
	T_ASSERT_STREQ(rec.env_to_domain, "");
	T_ASSERT_STREQ(rec.queue_id, "");
	T_ASSERT_INTEQ(rec.has_policy, 0);
	T_ASSERT_STREQ(rec.p, "");
	T_ASSERT_STREQ(rec.discovery, "psl");
	T_ASSERT_STREQ(rec.dmarc_result, "none");
	T_ASSERT_STREQ(rec.disposition, "none");
	T_ASSERT_STREQ(rec.reasons, "");
	T_ASSERT_INTEQ(rec.ndkim, STORE_DKIM_MAX);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_fail, test_null_sender, NULL};

	return t_run(tests);
}
