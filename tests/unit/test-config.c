/*
 * test-config.c - the config parser: defaults, every type, every error
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
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
	    test_errors, test_long_line, test_sample, NULL};

	return t_run(tests);
}
