/*
 * test-config.c - the config parser: defaults, every type, every error
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/cidr.h"
#include "conf/config.h"
#include "policy/dmarc_policy.h"
#include "tests/t.h"

static int
load(const char *text, struct config **cfg, char *err, size_t errlen)
{
	return config_load_mem(text, strlen(text), "t.conf", cfg, err, errlen);
}

static void
test_defaults(void)
{
	struct config *cfg = NULL;

	t_begin("defaults");
	T_ASSERT(config_default(&cfg) == 0);
	T_ASSERT_STREQ(cfg->authserv_id, "");
	T_ASSERT_INTEQ(cfg->dns_timeout_ms, 5000);
	T_ASSERT_INTEQ(cfg->honor_pct, 1);
	T_ASSERT_INTEQ(cfg->temperror_action, CONF_TEMPERROR_TEMPFAIL);
	T_ASSERT_INTEQ(cfg->missing_from_action, CONF_MISSINGFROM_ACCEPT);
	T_ASSERT_INTEQ(cfg->org_domain_method, CONF_ORG_TREEWALK);
	T_ASSERT_INTEQ(cfg->max_dkim_sigs, 10);
	T_ASSERT_STREQ(cfg->socket, "inet:8893@127.0.0.1");
	T_ASSERT(config_socket_path(cfg) == NULL);
	T_ASSERT_INTEQ(cfg->socket_mode, 0660);
	T_ASSERT_STREQ(cfg->pid_file, "");
	T_ASSERT_STREQ(cfg->user_id, "");
	T_ASSERT_INTEQ(config_syslog_facility(cfg), LOG_MAIL);
	T_ASSERT_INTEQ(cfg->reject_failures, 1);
	T_ASSERT_INTEQ(cfg->reject_action, CONF_REJECT_REJECT);
	T_ASSERT_INTEQ(cfg->quarantine_action, CONF_QUARANTINE_TAG);
	T_ASSERT_STREQ(cfg->quarantine_header, "X-DMARC-Quarantine");
	T_ASSERT_STREQ(cfg->quarantine_subject_prefix, "");
	T_ASSERT_STREQ(cfg->reject_text,
	    "DMARC policy of {domain} rejects this message");
	T_ASSERT_STREQ(cfg->temperror_text,
	    "DMARC policy of {domain} could not be checked, try again later");
	T_ASSERT(cfg->ignore_hosts != NULL && cfg->ignore_hosts->n == 2);
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "127.0.0.2") == 1);
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "::1") == 1);
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "192.0.2.1") == 0);
	T_ASSERT_INTEQ(cfg->ignore_auth_clients, 1);
	T_ASSERT(cfg->trusted_forwarders != NULL &&
	    cfg->trusted_forwarders->n == 0);
	T_ASSERT(cfg->trusted_forwarder_domains != NULL &&
	    cfg->trusted_forwarder_domains->n == 0);
	T_ASSERT(cfg->policy_overrides != NULL &&
	    cfg->policy_overrides->n == 0);
	T_ASSERT_INTEQ(config_key_line(cfg, "Socket"), 0);
	config_free(&cfg);
	T_ASSERT(cfg == NULL);
	config_free(&cfg); /* NULL is fine */
	t_end();
}

static void
test_values(void)
{
	struct config *cfg = NULL;
	char err[256] = "";

	t_begin("values of every type");
	T_ASSERT(load("# comment\n"
		      "  authservid   mx.example.net  # trailing\n"
		      "DNSTimeout 250ms\r\n"
		      "HonorPct off\n"
		      "TempErrorAction ACCEPT\n"
		      "MissingFromAction quarantine\n"
		      "OrgDomainMethod psl\n"
		      "MaxDKIMSignatures 64\n"
		      "\n\t\n"
		      "Nameservers 127.0.0.1@5353, ::1\n",
		     &cfg, err, sizeof(err)) == 0);
	T_ASSERT_STREQ(err, "");
	if (cfg != NULL) {
		T_ASSERT_STREQ(cfg->authserv_id, "mx.example.net");
		T_ASSERT_INTEQ(cfg->dns_timeout_ms, 250);
		T_ASSERT_INTEQ(cfg->honor_pct, 0);
		T_ASSERT_INTEQ(cfg->temperror_action, CONF_TEMPERROR_ACCEPT);
		T_ASSERT_INTEQ(cfg->missing_from_action,
		    CONF_MISSINGFROM_QUARANTINE);
		T_ASSERT_INTEQ(cfg->org_domain_method, CONF_ORG_PSL);
		T_ASSERT_INTEQ(cfg->max_dkim_sigs, 64);
		T_ASSERT_STREQ(cfg->nameservers, "127.0.0.1@5353, ::1");
	}
	config_free(&cfg);
	T_ASSERT(load("DNSTimeout 7\n", &cfg, err, sizeof(err)) == 0);
	if (cfg != NULL)
		T_ASSERT_INTEQ(cfg->dns_timeout_ms, 7000);
	config_free(&cfg);
	t_end();
}

static void
test_daemon_values(void)
{
	static const char text[] =
	    "# daemon\n"
	    "Socket unix:/run/dmarc-milter/milter.sock\n"
	    "SocketMode 600\n"
	    "PidFile /run/dmarc-milter/pid\n"
	    "UserID dmarc-milter:postfix\n"
	    "SyslogFacility LOCAL3\n"
	    "RejectFailures no\n"
	    "RejectAction quarantine\n"
	    "QuarantineAction hold\n"
	    "QuarantineHeader X-Spam-DMARC\n"
	    "QuarantineSubjectPrefix [DMARC] 100%\n"
	    "RejectText Go away, {domain}\n"
	    "TempErrorText Later\n"
	    "IgnoreHosts 10.0.0.0/8 2001:db8::/32\n"
	    "IgnoreAuthenticatedClients off\n"
	    "TrustedForwarders 198.51.100.0/24\n"
	    "TrustedForwarderDomains Lists.Example.ORG., fwd.example\n"
	    "PolicyOverrides bank.example=reject,news.example=NONE "
	    "shop.example=quarantine\n";
	struct config *cfg = NULL;
	const struct conf_domain *d;
	char err[256] = "";

	t_begin("daemon, action and local policy keys");
	T_ASSERT(load(text, &cfg, err, sizeof(err)) == 0);
	T_ASSERT_STREQ(err, "");
	if (cfg == NULL) {
		t_end();
		return;
	}
	T_ASSERT_STREQ(config_socket_path(cfg), "/run/dmarc-milter/milter.sock");
	T_ASSERT_INTEQ(cfg->socket_mode, 0600);
	T_ASSERT_STREQ(cfg->pid_file, "/run/dmarc-milter/pid");
	T_ASSERT_STREQ(cfg->user_id, "dmarc-milter:postfix");
	T_ASSERT_INTEQ(config_syslog_facility(cfg), LOG_LOCAL3);
	T_ASSERT_INTEQ(cfg->reject_failures, 0);
	T_ASSERT_INTEQ(cfg->reject_action, CONF_REJECT_QUARANTINE);
	T_ASSERT_INTEQ(cfg->quarantine_action, CONF_QUARANTINE_HOLD);
	T_ASSERT_STREQ(cfg->quarantine_header, "X-Spam-DMARC");
	T_ASSERT_STREQ(cfg->quarantine_subject_prefix, "[DMARC] 100%");
	T_ASSERT_STREQ(cfg->reject_text, "Go away, {domain}");
	T_ASSERT_STREQ(cfg->temperror_text, "Later");
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "10.1.1.1") == 1);
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "127.0.0.1") == 0);
	T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "2001:db8::25") == 1);
	T_ASSERT_INTEQ(cfg->ignore_auth_clients, 0);
	T_ASSERT(cidr_list_match_str(cfg->trusted_forwarders,
		     "198.51.100.9") == 1);
	T_ASSERT_INTEQ(cfg->trusted_forwarder_domains->n, 2);
	d = config_domains_find(cfg->trusted_forwarder_domains,
	    "lists.example.org");
	T_ASSERT(d != NULL && strcmp(d->name, "lists.example.org") == 0);
	T_ASSERT(config_domains_find(cfg->trusted_forwarder_domains,
		     "sub.fwd.example") == NULL);
	T_ASSERT_INTEQ(cfg->policy_overrides->n, 3);
	d = config_domains_find(cfg->policy_overrides, "BANK.example");
	T_ASSERT(d != NULL && d->disp == DMARC_DISP_REJECT);
	d = config_domains_find(cfg->policy_overrides, "news.example");
	T_ASSERT(d != NULL && d->disp == DMARC_DISP_NONE);
	d = config_domains_find(cfg->policy_overrides, "shop.example.");
	T_ASSERT(d != NULL && d->disp == DMARC_DISP_QUARANTINE);
	T_ASSERT(config_domains_find(NULL, "x.example") == NULL);
	T_ASSERT_INTEQ(config_key_line(cfg, "Socket"), 2);
	T_ASSERT_INTEQ(config_key_line(cfg, "userid"), 5);
	T_ASSERT_INTEQ(config_key_line(cfg, "AuthservID"), 0);
	T_ASSERT_INTEQ(config_key_line(cfg, "NoSuchKey"), 0);
	T_ASSERT_STREQ(cfg->source, "t.conf");
	config_free(&cfg);

	/* the other socket forms, and an empty list */
	T_ASSERT(load("Socket local:/tmp/s\nIgnoreHosts\n", &cfg, err,
		     sizeof(err)) == 0);
	if (cfg != NULL) {
		T_ASSERT_STREQ(config_socket_path(cfg), "/tmp/s");
		T_ASSERT(cfg->ignore_hosts != NULL &&
		    cfg->ignore_hosts->n == 0);
	}
	config_free(&cfg);
	T_ASSERT(load("Socket inet6:8893@[::1]\n", &cfg, err, sizeof(err)) ==
	    0);
	config_free(&cfg);
	T_ASSERT(load("Socket inet6:8893@::1\n", &cfg, err, sizeof(err)) == 0);
	config_free(&cfg);
	T_ASSERT(load("Socket inet:8893@localhost\n", &cfg, err,
		     sizeof(err)) == 0);
	config_free(&cfg);
	T_ASSERT(load("Socket inet:8893\n", &cfg, err, sizeof(err)) == 0);
	config_free(&cfg);
	T_ASSERT(load("Socket INET:65535@[192.0.2.1]\n", &cfg, err,
		     sizeof(err)) == 0);
	config_free(&cfg);
	t_end();
}

static void
test_list_files(void)
{
	char dir[] = "/tmp/test-config.XXXXXX", path[64], text[512];
	char err[512] = "", want[512];
	struct config *cfg = NULL;
	FILE *fp;

	t_begin("IgnoreHosts and TrustedForwarders from a file");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	fp = fopen(path, "w");
	T_ASSERT(fp != NULL);
	if (fp == NULL) {
		t_end();
		return;
	}
	fputs("# our relays\n192.0.2.0/24\n\n2001:db8::1 # v6 relay\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "IgnoreHosts %s\nTrustedForwarders %s\n",
	    path, path);
	T_ASSERT(load(text, &cfg, err, sizeof(err)) == 0);
	if (cfg != NULL) {
		T_ASSERT_INTEQ(cfg->ignore_hosts->n, 2);
		T_ASSERT(cidr_list_match_str(cfg->ignore_hosts, "192.0.2.9"));
		T_ASSERT(cidr_list_match_str(cfg->trusted_forwarders,
		    "2001:db8::1"));
		T_ASSERT(!cidr_list_match_str(cfg->ignore_hosts, "127.0.0.1"));
	}
	config_free(&cfg);

	/* a bad entry names the config line, the list file and its line */
	fp = fopen(path, "a");
	T_ASSERT(fp != NULL);
	if (fp != NULL) {
		fputs("mail.example.net\n", fp);
		fclose(fp);
	}
	snprintf(text, sizeof(text), "\nIgnoreHosts %s\n", path);
	T_ASSERT(load(text, &cfg, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want),
	    "t.conf:2: IgnoreHosts: %s:5: bad entry \"mail.example.net\": "
	    "not an IP address",
	    path);
	T_ASSERT_STREQ(err, want);
	unlink(path);

	/* a missing file */
	T_ASSERT(load(text, &cfg, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want),
	    "t.conf:2: IgnoreHosts: %s: No such file or directory", path);
	T_ASSERT_STREQ(err, want);
	T_ASSERT(cfg == NULL);
	rmdir(dir);
	t_end();
}

static const struct {
	const char *text, *err;
} bad[] = {
    {"Bogus 1\n", "t.conf:1: unknown option \"Bogus\""},
    {"\n\nHonorPct maybe\n",
	"t.conf:3: HonorPct: expected yes or no, not \"maybe\""},
    {"MaxDKIMSignatures 0\n",
	"t.conf:1: MaxDKIMSignatures: \"0\" is too small (1 to 64)"},
    {"MaxDKIMSignatures 65\n",
	"t.conf:1: MaxDKIMSignatures: \"65\" is too large (1 to 64)"},
    {"MaxDKIMSignatures ten\n",
	"t.conf:1: MaxDKIMSignatures: \"ten\" is invalid (1 to 64)"},
    {"DNSTimeout 5m\n",
	"t.conf:1: DNSTimeout: \"5m\" is unit must be s "
	"or ms (100ms to 60000ms)"},
    {"DNSTimeout 99ms\n",
	"t.conf:1: DNSTimeout: \"99ms\" is out of range (100ms to 60000ms)"},
    {"TempErrorAction drop\n",
	"t.conf:1: TempErrorAction: \"drop\" is "
	"not one of tempfail, accept"},
    {"AuthservID a\nauthservid b\n", "t.conf:2: AuthservID given twice"},
    {"HonorPct\n", "t.conf:1: HonorPct: expected yes or no, not \"\""},
    {"Socket 8893\n",
	"t.conf:1: Socket: \"8893\": expected inet:PORT@HOST, "
	"inet6:PORT@HOST, unix:PATH or local:PATH"},
    {"Socket tcp:8893@127.0.0.1\n",
	"t.conf:1: Socket: \"tcp:8893@127.0.0.1\": expected inet:PORT@HOST, "
	"inet6:PORT@HOST, unix:PATH or local:PATH"},
    {"Socket inet:0@127.0.0.1\n",
	"t.conf:1: Socket: \"inet:0@127.0.0.1\": bad port (1 to 65535)"},
    {"Socket inet:65536@127.0.0.1\n",
	"t.conf:1: Socket: \"inet:65536@127.0.0.1\": bad port (1 to 65535)"},
    {"Socket inet:smtp@127.0.0.1\n",
	"t.conf:1: Socket: \"inet:smtp@127.0.0.1\": bad port (1 to 65535)"},
    {"Socket inet:8893@\n",
	"t.conf:1: Socket: \"inet:8893@\": bad host (an IPv4 address or a "
	"name)"},
    {"Socket inet:8893@::1\n",
	"t.conf:1: Socket: \"inet:8893@::1\": bad host (an IPv4 address or "
	"a name)"},
    {"Socket inet6:8893@127.0.0.1\n",
	"t.conf:1: Socket: \"inet6:8893@127.0.0.1\": bad host (an IPv6 "
	"address or a name)"},
    {"Socket inet:8893@300.1.1.1\n",
	"t.conf:1: Socket: \"inet:8893@300.1.1.1\": bad host (an IPv4 "
	"address or a name)"},
    {"Socket unix:milter.sock\n",
	"t.conf:1: Socket: \"unix:milter.sock\": a unix socket path must be "
	"absolute"},
    {"Socket unix:/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	"t.conf:1: Socket: \"unix:/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxx\": unix socket path too long"},
    {"SocketMode 0999\n",
	"t.conf:1: SocketMode: \"0999\" is not an octal mode (0 to 0777)"},
    {"SocketMode 1777\n",
	"t.conf:1: SocketMode: \"1777\" is not an octal mode (0 to 0777)"},
    {"UserID root:\n",
	"t.conf:1: UserID: \"root:\" is not user or user:group"},
    {"UserID a b\n", "t.conf:1: UserID: \"a b\" is not user or user:group"},
    {"UserID -x\n", "t.conf:1: UserID: \"-x\" is not user or user:group"},
    {"SyslogFacility kern\n",
	"t.conf:1: SyslogFacility: \"kern\" is not one of mail, daemon, "
	"user, auth, authpriv, local0, local1, local2, local3, local4, "
	"local5, local6, local7"},
    {"RejectAction drop\n",
	"t.conf:1: RejectAction: \"drop\" is not one of reject, quarantine"},
    {"QuarantineAction discard\n",
	"t.conf:1: QuarantineAction: \"discard\" is not one of tag, hold, "
	"reject, accept"},
    {"QuarantineHeader X-DMARC:\n",
	"t.conf:1: QuarantineHeader: \"X-DMARC:\" is not a header field "
	"name"},
    {"QuarantineHeader\n",
	"t.conf:1: QuarantineHeader: \"\" is not a header field name"},
    {"RejectText\n",
	"t.conf:1: RejectText: must not be empty (1 to 200 characters)"},
    {"RejectText caf\xc3\xa9\n",
	"t.conf:1: RejectText: only printable ASCII is allowed (1 to 200 "
	"characters)"},
    {"QuarantineSubjectPrefix "
     "[12345678901234567890123456789012345678901234567890123456789012345]\n",
	"t.conf:1: QuarantineSubjectPrefix: too long (0 to 64 characters)"},
    {"IgnoreHosts 127.0.0.1, localhost\n",
	"t.conf:1: IgnoreHosts: bad entry \"localhost\": not an IP address"},
    {"TrustedForwarders 192.0.2.0/33\n",
	"t.conf:1: TrustedForwarders: bad entry \"192.0.2.0/33\": prefix "
	"length over 32"},
    {"TrustedForwarderDomains a.example, b..example\n",
	"t.conf:1: TrustedForwarderDomains: bad domain \"b..example\": "
	"empty label"},
    {"TrustedForwarderDomains a.example=none\n",
	"t.conf:1: TrustedForwarderDomains: \"a.example=none\" is not "
	"DOMAIN=none|quarantine|reject"},
    {"TrustedForwarderDomains a.example A.example.\n",
	"t.conf:1: TrustedForwarderDomains: \"a.example\" listed twice"},
    {"PolicyOverrides a.example\n",
	"t.conf:1: PolicyOverrides: \"a.example\" is not "
	"DOMAIN=none|quarantine|reject"},
    {"PolicyOverrides a.example=drop\n",
	"t.conf:1: PolicyOverrides: \"a.example=drop\" is not "
	"DOMAIN=none|quarantine|reject"},
    {"PolicyOverrides a.example = reject\n",
	"t.conf:1: PolicyOverrides: \"a.example\" is not "
	"DOMAIN=none|quarantine|reject"},
    {"PolicyOverrides =reject\n",
	"t.conf:1: PolicyOverrides: bad domain \"\": empty domain"},
};

static void
test_errors(void)
{
	struct config *cfg = NULL;
	char err[256];
	size_t i;

	t_begin("errors name file, line and reason");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		T_ASSERT_IDX(load(bad[i].text, &cfg, err, sizeof(err)) == -1,
		    i);
		T_ASSERT_IDX(cfg == NULL, i);
		T_ASSERT_STREQ(err, bad[i].err);
	}
	T_ASSERT(
	    config_load_mem("A\0B", 3, "t.conf", &cfg, err, sizeof(err)) == -1);
	T_ASSERT_STREQ(err, "t.conf: NUL byte in file");
	t_end();
}

static void
test_long_line(void)
{
	struct config *cfg = NULL;
	char err[256], *text;

	t_begin("a line over the cap is an error, not truncated");
	text = malloc(CONFIG_LINE_MAX + 32);
	T_ASSERT(text != NULL);
	if (text != NULL) {
		memset(text, 'x', CONFIG_LINE_MAX + 20);
		memcpy(text, "AuthservID ", 11);
		text[CONFIG_LINE_MAX + 20] = '\0';
		T_ASSERT(load(text, &cfg, err, sizeof(err)) == -1);
		T_ASSERT_STREQ(err, "t.conf:1: line too long");
		free(text);
	}
	t_end();
}

static void
test_sample(void)
{
	const char *top = getenv("top_srcdir");
	struct config *cfg = NULL, *dfl = NULL;
	char path[1024], err[512], line[CONFIG_LINE_MAX + 2];
	char *text = NULL;
	size_t len = 0, nkeys = 0, i;
	FILE *fp;

	t_begin("the sample file, uncommented, parses to the defaults");
	snprintf(path, sizeof(path), "%s/conf/dmarc-milter.conf",
	    top != NULL ? top : ".");
	fp = fopen(path, "r");
	T_ASSERT(fp != NULL);
	if (fp == NULL) {
		t_end();
		return;
	}
	/* keep "# Key value" lines, drop the comment mark */
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n;
		char *nt;

		size_t k, w;

		if (strncmp(line, "# ", 2) != 0)
			continue;
		w = strcspn(line + 2, " \n");
		for (k = 0; config_keys[k].name != NULL; k++) {
			if (strlen(config_keys[k].name) == w &&
			    strncmp(line + 2, config_keys[k].name, w) == 0)
				break;
		}
		if (config_keys[k].name == NULL)
			continue;
		n = strlen(line) - 2;
		if ((nt = realloc(text, len + n + 1)) == NULL)
			break;
		text = nt;
		memcpy(text + len, line + 2, n + 1);
		len += n;
		nkeys++;
	}
	fclose(fp);
	for (i = 0; config_keys[i].name != NULL; i++)
		;
	T_ASSERT_INTEQ(nkeys, i);
	T_ASSERT(text != NULL &&
	    config_load_mem(text, len, path, &cfg, err, sizeof(err)) == 0);
	T_ASSERT(config_default(&dfl) == 0);
	if (cfg != NULL && dfl != NULL) {
		T_ASSERT_STREQ(cfg->authserv_id, dfl->authserv_id);
		T_ASSERT_STREQ(cfg->psl_file, dfl->psl_file);
		T_ASSERT_INTEQ(cfg->dns_timeout_ms, dfl->dns_timeout_ms);
		T_ASSERT_INTEQ(cfg->honor_pct, dfl->honor_pct);
		T_ASSERT_INTEQ(cfg->temperror_action, dfl->temperror_action);
		T_ASSERT_INTEQ(cfg->missing_from_action,
		    dfl->missing_from_action);
		T_ASSERT_INTEQ(cfg->org_domain_method, dfl->org_domain_method);
		T_ASSERT_INTEQ(cfg->max_dkim_sigs, dfl->max_dkim_sigs);
		T_ASSERT_STREQ(cfg->socket, dfl->socket);
		T_ASSERT_INTEQ(cfg->socket_mode, dfl->socket_mode);
		T_ASSERT_STREQ(cfg->pid_file, dfl->pid_file);
		T_ASSERT_STREQ(cfg->user_id, dfl->user_id);
		T_ASSERT_INTEQ(cfg->syslog_facility, dfl->syslog_facility);
		T_ASSERT_INTEQ(cfg->reject_failures, dfl->reject_failures);
		T_ASSERT_INTEQ(cfg->reject_action, dfl->reject_action);
		T_ASSERT_INTEQ(cfg->quarantine_action,
		    dfl->quarantine_action);
		T_ASSERT_STREQ(cfg->quarantine_header,
		    dfl->quarantine_header);
		T_ASSERT_STREQ(cfg->quarantine_subject_prefix,
		    dfl->quarantine_subject_prefix);
		T_ASSERT_STREQ(cfg->reject_text, dfl->reject_text);
		T_ASSERT_STREQ(cfg->temperror_text, dfl->temperror_text);
		T_ASSERT_INTEQ(cfg->ignore_hosts->n, dfl->ignore_hosts->n);
		T_ASSERT_INTEQ(cfg->ignore_auth_clients,
		    dfl->ignore_auth_clients);
		T_ASSERT_INTEQ(cfg->trusted_forwarders->n,
		    dfl->trusted_forwarders->n);
		T_ASSERT_INTEQ(cfg->trusted_forwarder_domains->n,
		    dfl->trusted_forwarder_domains->n);
		T_ASSERT_INTEQ(cfg->policy_overrides->n,
		    dfl->policy_overrides->n);
	}
	config_free(&cfg);
	config_free(&dfl);
	free(text);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_defaults, test_values,
	    test_daemon_values, test_list_files, test_errors, test_long_line,
	    test_sample, NULL};

	return t_run(tests);
}
