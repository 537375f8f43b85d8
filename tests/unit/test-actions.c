/*
 * test-actions.c - local policy and the action of every disposition
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "milter/actions.h"
#include "tests/t.h"

#define NONE   DMARC_DISP_NONE
#define QUAR   DMARC_DISP_QUARANTINE
#define REJ    DMARC_DISP_REJECT
#define TEMP   DMARC_DISP_TEMPFAIL
#define FAIL   DMARC_RESULT_FAIL
#define PASS   DMARC_RESULT_PASS
#define TERR   DMARC_RESULT_TEMPERROR
#define PERR   DMARC_RESULT_PERMERROR
#define LOCAL  DMARC_REASON_LOCAL_POLICY
#define TFWD   DMARC_REASON_TRUSTED_FORWARDER
#define TEST   DMARC_REASON_POLICY_TEST_MODE
#define SAMPLE DMARC_REASON_SAMPLED_OUT

static const char local_conf[] =
    "TrustedForwarders 198.51.100.0/24, 2001:db8:f::/48\n"
    "TrustedForwarderDomains lists.example.org\n"
    "PolicyOverrides bank.example=reject news.example=none "
    "shop.example=quarantine\n";

static const struct {
	const char *conf; /* appended to local_conf */
	enum dmarc_result result;
	enum dmarc_disp disp;
	unsigned int reasons;
	const char *policy_domain, *ip;
	const char *dkim; /* one passing DKIM d=, or NULL */
	enum action_kind want_action;
	enum dmarc_disp want_disp;
	unsigned int want_reasons;
} table[] = {
    /* 0: defaults: every disposition */
    {"", PASS, NONE, 0, "a.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE, 0},
    {"", FAIL, NONE, 0, "a.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE, 0},
    {"", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL, ACTION_QUARANTINE_TAG,
	QUAR, 0},
    {"", FAIL, REJ, 0, "a.example", "192.0.2.1", NULL, ACTION_REJECT, REJ, 0},
    {"", TERR, TEMP, 0, "a.example", "192.0.2.1", NULL, ACTION_TEMPFAIL, TEMP,
	0},
    {"", TERR, NONE, 0, "a.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE, 0},
    {"", FAIL, QUAR, TEST, "a.example", "192.0.2.1", NULL,
	ACTION_QUARANTINE_TAG, QUAR, TEST},
    /* 7: permerror with MissingFromAction reject comes as REJ + local */
    {"", PERR, REJ, LOCAL, "", "192.0.2.1", NULL, ACTION_REJECT, REJ, LOCAL},
    /* 8: RejectAction quarantine (RFC 9989 7.4) */
    {"RejectAction quarantine\n", FAIL, REJ, 0, "a.example", "192.0.2.1", NULL,
	ACTION_QUARANTINE_TAG, QUAR, LOCAL},
    {"RejectAction quarantine\nQuarantineAction hold\n", FAIL, REJ, 0,
	"a.example", "192.0.2.1", NULL, ACTION_QUARANTINE_HOLD, QUAR, LOCAL},
    {"RejectAction quarantine\nQuarantineAction accept\n", FAIL, REJ, 0,
	"a.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE, LOCAL},
    {"RejectAction quarantine\nQuarantineAction reject\n", FAIL, REJ, 0,
	"a.example", "192.0.2.1", NULL, ACTION_REJECT, REJ, 0},
    /* 12: QuarantineAction for disposition quarantine */
    {"QuarantineAction hold\n", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL,
	ACTION_QUARANTINE_HOLD, QUAR, 0},
    {"QuarantineAction reject\n", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL,
	ACTION_REJECT, REJ, LOCAL},
    {"QuarantineAction accept\n", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, LOCAL},
    {"QuarantineAction tag\n", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL,
	ACTION_QUARANTINE_TAG, QUAR, 0},
    /* 16: monitor mode: never acts; a changed disposition is local */
    {"RejectFailures no\n", FAIL, REJ, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, LOCAL},
    {"RejectFailures no\n", FAIL, QUAR, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, LOCAL},
    {"RejectFailures no\n", TERR, TEMP, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, LOCAL},
    {"RejectFailures no\n", FAIL, NONE, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, 0},
    {"RejectFailures no\n", PASS, NONE, 0, "a.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, 0},
    /* 21: trusted forwarders by IP (v4, v6, v4-mapped) and by DKIM d= */
    {"", FAIL, REJ, 0, "a.example", "198.51.100.20", NULL, ACTION_ACCEPT, NONE,
	TFWD},
    {"", FAIL, QUAR, 0, "a.example", "2001:db8:f:1::25", NULL, ACTION_ACCEPT,
	NONE, TFWD},
    {"", FAIL, REJ, 0, "a.example", "::ffff:198.51.100.1", NULL, ACTION_ACCEPT,
	NONE, TFWD},
    {"", FAIL, REJ, 0, "a.example", "192.0.2.1", "Lists.Example.Org",
	ACTION_ACCEPT, NONE, TFWD},
    {"", FAIL, REJ, 0, "a.example", "192.0.2.1", "example.org", ACTION_REJECT,
	REJ, 0},
    {"", FAIL, REJ, 0, "a.example", "192.0.2.1", "x.lists.example.org",
	ACTION_REJECT, REJ, 0},
    /* 27: a trusted forwarder does not change none or tempfail */
    {"", FAIL, NONE, 0, "a.example", "198.51.100.20", NULL, ACTION_ACCEPT, NONE,
	0},
    {"", TERR, TEMP, 0, "a.example", "198.51.100.20", NULL, ACTION_TEMPFAIL,
	TEMP, 0},
    /* 29: trusted forwarder wins over an override */
    {"", FAIL, NONE, 0, "bank.example", "198.51.100.20", NULL, ACTION_ACCEPT,
	NONE, 0},
    {"", FAIL, QUAR, 0, "bank.example", "198.51.100.20", NULL, ACTION_ACCEPT,
	NONE, TFWD},
    /* 31: PolicyOverrides (exact, case ignored; failing mail only) */
    {"", FAIL, NONE, 0, "bank.example", "192.0.2.1", NULL, ACTION_REJECT, REJ,
	LOCAL},
    {"", FAIL, QUAR, TEST, "BANK.Example", "192.0.2.1", NULL, ACTION_REJECT,
	REJ, LOCAL},
    {"", FAIL, REJ, 0, "news.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE,
	LOCAL},
    {"", FAIL, REJ, 0, "shop.example", "192.0.2.1", NULL, ACTION_QUARANTINE_TAG,
	QUAR, LOCAL},
    {"", FAIL, QUAR, SAMPLE, "bank.example", "192.0.2.1", NULL, ACTION_REJECT,
	REJ, LOCAL},
    {"", FAIL, REJ, 0, "bank.example", "192.0.2.1", NULL, ACTION_REJECT, REJ,
	0},
    {"", FAIL, REJ, 0, "sub.news.example", "192.0.2.1", NULL, ACTION_REJECT,
	REJ, 0},
    {"", PASS, NONE, 0, "bank.example", "192.0.2.1", NULL, ACTION_ACCEPT, NONE,
	0},
    {"", TERR, TEMP, 0, "news.example", "192.0.2.1", NULL, ACTION_TEMPFAIL,
	TEMP, 0},
    /* 40: override then the action settings */
    {"QuarantineAction hold\n", FAIL, NONE, 0, "shop.example", "192.0.2.1",
	NULL, ACTION_QUARANTINE_HOLD, QUAR, LOCAL},
    {"RejectFailures no\n", FAIL, NONE, 0, "bank.example", "192.0.2.1", NULL,
	ACTION_ACCEPT, NONE, LOCAL},
    {"RejectAction quarantine\n", FAIL, NONE, 0, "bank.example", "192.0.2.1",
	NULL, ACTION_QUARANTINE_TAG, QUAR, LOCAL},
    /* 43: no client address, no policy domain */
    {"", FAIL, REJ, 0, "", "", NULL, ACTION_REJECT, REJ, 0},
    {"", FAIL, REJ, 0, NULL, NULL, NULL, ACTION_REJECT, REJ, 0},
};

static void
test_table(void)
{
	char text[1024], err[256];
	size_t i;

	t_begin("action_decide: the decision table");
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct config *cfg = NULL;
		struct action_in in;
		struct action_out out;
		const char *dk[1];

		snprintf(text, sizeof(text), "%s%s", local_conf, table[i].conf);
		T_ASSERT_IDX(config_load_mem(text, strlen(text), "t.conf", &cfg,
				 err, sizeof(err)) == 0,
		    i);
		if (cfg == NULL)
			continue;
		memset(&in, 0, sizeof(in));
		in.cfg = cfg;
		in.result = table[i].result;
		in.disp = table[i].disp;
		in.reasons = table[i].reasons;
		in.policy_domain = table[i].policy_domain;
		in.client_ip = table[i].ip;
		if (table[i].dkim != NULL) {
			dk[0] = table[i].dkim;
			in.dkim_pass = dk;
			in.ndkim_pass = 1;
		}
		memset(&out, 0xa5, sizeof(out));
		action_decide(&in, &out);
		T_ASSERT_IDX(out.action == table[i].want_action, i);
		T_ASSERT_IDX(out.disp == table[i].want_disp, i);
		T_ASSERT_IDX(out.reasons == table[i].want_reasons, i);
		if (out.action != table[i].want_action)
			printf("  [%zu] action %s, want %s\n", i,
			    action_str(out.action),
			    action_str(table[i].want_action));
		config_free(&cfg);
	}
	t_end();
}

static void
test_reply_text(void)
{
	char out[ACTION_REPLY_MAX + 64], big[600];

	t_begin("action_reply_text: {domain}, cleaning, '%', cap");
	action_reply_text("DMARC policy of {domain} rejects this message",
	    "example.com", out, sizeof(out));
	T_ASSERT_STREQ(out, "DMARC policy of example.com rejects this message");
	action_reply_text("{domain}/{domain}", "a.example", out, sizeof(out));
	T_ASSERT_STREQ(out, "a.example/a.example");
	action_reply_text("100% sure: {domain}", "b%x.example", out,
	    sizeof(out));
	T_ASSERT_STREQ(out, "100%% sure: b%%x.example");
	action_reply_text("policy of {domain}", "", out, sizeof(out));
	T_ASSERT_STREQ(out, "policy of unknown");
	action_reply_text("policy of {domain}", NULL, out, sizeof(out));
	T_ASSERT_STREQ(out, "policy of unknown");
	action_reply_text("x {domain} y",
	    "evil\r\n550 5.7.1\x01\xc3\xa9.example", out, sizeof(out));
	T_ASSERT_STREQ(out, "x evil550 5.7.1.example y");
	action_reply_text("{domai} {DOMAIN}", "a", out, sizeof(out));
	T_ASSERT_STREQ(out, "{domai} {DOMAIN}");
	/* the cap: never more than ACTION_REPLY_MAX, never half a "%%" */
	memset(big, '%', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	action_reply_text(big, "a", out, sizeof(out));
	T_ASSERT_INTEQ(strlen(out), ACTION_REPLY_MAX);
	memset(big, 'x', sizeof(big) - 1);
	big[ACTION_REPLY_MAX - 1] = '%';
	action_reply_text(big, "a", out, sizeof(out));
	T_ASSERT_INTEQ(strlen(out), ACTION_REPLY_MAX - 1);
	/* a small buffer */
	action_reply_text("DMARC {domain}", "example.com", out, 9);
	T_ASSERT_STREQ(out, "DMARC ex");
	t_end();
}

static void
test_small_helpers(void)
{
	char out[256];

	t_begin("quarantine header value, action and reason words");
	T_ASSERT(action_quarantine_value(DMARC_P_QUARANTINE, "example.com", out,
		     sizeof(out)) == 0);
	T_ASSERT_STREQ(out, "yes; policy=quarantine domain=example.com");
	T_ASSERT(action_quarantine_value(DMARC_P_REJECT, "a b\r\n.example", out,
		     sizeof(out)) == 0);
	T_ASSERT_STREQ(out, "yes; policy=reject domain=a?b??.example");
	T_ASSERT(
	    action_quarantine_value(DMARC_P_UNSPEC, "", out, sizeof(out)) == 0);
	T_ASSERT_STREQ(out, "yes; policy=none");
	T_ASSERT(action_quarantine_value(DMARC_P_REJECT, "example.com", out,
		     10) == -1);
	T_ASSERT_STREQ(out, "");

	T_ASSERT_STREQ(action_str(ACTION_ACCEPT), "accept");
	T_ASSERT_STREQ(action_str(ACTION_REJECT), "reject");
	T_ASSERT_STREQ(action_str(ACTION_TEMPFAIL), "tempfail");
	T_ASSERT_STREQ(action_str(ACTION_QUARANTINE_TAG), "quarantine-tag");
	T_ASSERT_STREQ(action_str(ACTION_QUARANTINE_HOLD), "quarantine-hold");

	action_reasons_str(0, out, sizeof(out));
	T_ASSERT_STREQ(out, "-");
	action_reasons_str(LOCAL | TFWD, out, sizeof(out));
	T_ASSERT_STREQ(out, "local_policy,trusted_forwarder");
	action_reasons_str(TEST | SAMPLE | DMARC_REASON_MAILING_LIST |
		DMARC_REASON_OTHER,
	    out, sizeof(out));
	T_ASSERT_STREQ(out, "mailing_list,other,policy_test_mode,sampled_out");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_table, test_reply_text, test_small_helpers, NULL};

	return t_run(tests);
}
