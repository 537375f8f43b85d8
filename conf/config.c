/*
 * config.c - parse dmarc-milter.conf into an immutable struct config
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "conf/cidr.h"
#include "conf/config.h"
#include "policy/dmarc_policy.h"

static const char *const temperror_words[] = {"tempfail", "accept", NULL};
static const char *const missingfrom_words[] = {"accept", "reject",
    "quarantine", NULL};
static const char *const orgmethod_words[] = {"treewalk", "psl", NULL};
static const char *const rejectaction_words[] = {"reject", "quarantine", NULL};
static const char *const quarantineaction_words[] = {"tag", "hold", "reject",
    "accept", NULL};
/* the usual facility names of syslog.conf(5); same order as the values */
static const char *const facility_words[] = {"mail", "daemon", "user", "auth",
    "authpriv", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7", NULL};
static const int facility_values[] = {LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_AUTH,
    LOG_AUTHPRIV, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
    LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

#define OFF(f) offsetof(struct config, f)

/* The table of keys.  Names follow OpenDMARC where the meaning is the same. */
/* clang-format off */
const struct config_key config_keys[] = {
	{ "AuthservID", CONF_STRING, OFF(authserv_id), "", 0, 0, NULL,
	    "authserv-id of our Authentication-Results headers "
	    "(empty: this host's name)" },
	{ "DNSZoneFile", CONF_STRING, OFF(dns_zone_file), "", 0, 0, NULL,
	    "answer every DNS query from this zone file (tests, offline use)" },
	{ "Nameservers", CONF_STRING, OFF(nameservers), "", 0, 0, NULL,
	    "forwarders as IP[@PORT],... (empty: /etc/resolv.conf)" },
	{ "DNSTimeout", CONF_TIME, OFF(dns_timeout_ms), "5s", 100, 60000, NULL,
	    "time allowed for one DNS query (100ms to 60s)" },
	{ "HonorPct", CONF_BOOL, OFF(honor_pct), "yes", 0, 0, NULL,
	    "apply the legacy RFC 7489 pct= sampling (pct=0 is always t=y)" },
	{ "TempErrorAction", CONF_ENUM, OFF(temperror_action), "tempfail", 0, 0,
	    temperror_words, "dmarc=temperror: tempfail (451 4.7.5) or accept" },
	{ "MissingFromAction", CONF_ENUM, OFF(missing_from_action), "accept", 0,
	    0, missingfrom_words,
	    "no usable From: domain (dmarc=permerror): accept, reject or "
	    "quarantine" },
	{ "OrgDomainMethod", CONF_ENUM, OFF(org_domain_method), "treewalk", 0,
	    0, orgmethod_words,
	    "organizational domain: treewalk (RFC 9989) or psl (RFC 7489)" },
	{ "PublicSuffixList", CONF_STRING, OFF(psl_file), PSL_FILE, 0, 0, NULL,
	    "public suffix list for OrgDomainMethod psl (.dat or .dafsa)" },
	{ "MaxDKIMSignatures", CONF_UINT, OFF(max_dkim_sigs), "10", 1, 64, NULL,
	    "DKIM signatures verified per message (1 to 64)" },

	/* the daemon */
	{ "Socket", CONF_SOCKET, OFF(socket), "inet:8893@127.0.0.1", 0, 0, NULL,
	    "where the MTA connects: inet:PORT@HOST, inet6:PORT@HOST, "
	    "unix:PATH or local:PATH" },
	{ "SocketMode", CONF_MODE, OFF(socket_mode), "0660", 0, 0777, NULL,
	    "permissions of a unix socket (octal)" },
	{ "PidFile", CONF_STRING, OFF(pid_file), "", 0, 0, NULL,
	    "write the process id to this file (empty: none)" },
	{ "UserID", CONF_USER, OFF(user_id), "", 0, 0, NULL,
	    "user[:group] to run as once the socket is open (empty: stay)" },
	{ "SyslogFacility", CONF_ENUM, OFF(syslog_facility), "mail", 0, 0,
	    facility_words, "syslog facility of the log lines" },

	/* actions */
	{ "RejectFailures", CONF_BOOL, OFF(reject_failures), "yes", 0, 0, NULL,
	    "act on failing messages (no: monitor mode, only A-R and log)" },
	{ "RejectAction", CONF_ENUM, OFF(reject_action), "reject", 0, 0,
	    rejectaction_words,
	    "disposition reject: reject (550 5.7.1) or quarantine" },
	{ "QuarantineAction", CONF_ENUM, OFF(quarantine_action), "tag", 0, 0,
	    quarantineaction_words,
	    "disposition quarantine: tag, hold, reject or accept" },
	{ "QuarantineHeader", CONF_HEADER, OFF(quarantine_header),
	    "X-DMARC-Quarantine", 1, CONFIG_HEADER_MAX, NULL,
	    "header added to a tagged message" },
	{ "QuarantineSubjectPrefix", CONF_TEXT,
	    OFF(quarantine_subject_prefix), "", 0, 64, NULL,
	    "put before the Subject of a tagged message (empty: none)" },
	{ "RejectText", CONF_TEXT, OFF(reject_text),
	    "DMARC policy of {domain} rejects this message", 1,
	    CONFIG_TEXT_MAX, NULL, "text of the 550 5.7.1 reply" },
	{ "TempErrorText", CONF_TEXT, OFF(temperror_text),
	    "DMARC policy of {domain} could not be checked, try again later",
	    1, CONFIG_TEXT_MAX, NULL, "text of the 451 4.7.5 reply" },

	/* local policy */
	{ "IgnoreHosts", CONF_CIDRS, OFF(ignore_hosts), "127.0.0.0/8, ::1", 0,
	    0, NULL, "clients not checked at all (networks, or a file)" },
	{ "IgnoreAuthenticatedClients", CONF_BOOL, OFF(ignore_auth_clients),
	    "yes", 0, 0, NULL, "do not check mail sent with SMTP AUTH" },
	{ "TrustedForwarders", CONF_CIDRS, OFF(trusted_forwarders), "", 0, 0,
	    NULL, "failing mail from these networks is not acted on" },
	{ "TrustedForwarderDomains", CONF_DOMAINS,
	    OFF(trusted_forwarder_domains), "", 0, 0, NULL,
	    "failing mail with a passing DKIM signature of these domains is "
	    "not acted on" },
	{ "PolicyOverrides", CONF_OVERRIDES, OFF(policy_overrides), "", 0, 0,
	    NULL, "DOMAIN=none|quarantine|reject: our disposition of failing "
	    "mail of that policy domain" },

	/* outcomes and aggregate reports (RFC 9990) */
	{ "HistoryDB", CONF_STRING, OFF(history_db),
	    "sqlite:" LOCALSTATEDIR "/lib/dmarc-milter/history.db", 0, 0, NULL,
	    "where outcomes are recorded: sqlite:PATH or a postgresql:// URI "
	    "(empty: not recorded)" },
	{ "SpoolDirectory", CONF_STRING, OFF(spool_dir),
	    LOCALSTATEDIR "/spool/dmarc-milter", 0, 0, NULL,
	    "intent log and journal of outcomes (empty: none)" },
	{ "SpoolMax", CONF_UINT, OFF(spool_max_mb), "256", 1, 65536, NULL,
	    "size cap of that journal in MiB" },
	{ "ReportDomain", CONF_STRING, OFF(report_domain), "", 0, 0, NULL,
	    "the reporting organization's domain (empty: this host's name)" },
	{ "ReportEmail", CONF_STRING, OFF(report_email), "", 0, 0, NULL,
	    "From: of aggregate reports (empty: noreply-dmarc@ReportDomain)" },
	{ "ReportOrgName", CONF_STRING, OFF(report_org_name), "", 0, 0, NULL,
	    "org_name of aggregate reports (empty: ReportDomain)" },
	{ "ReportContactInfo", CONF_STRING, OFF(report_contact_info), "", 0,
	    0, NULL, "extra_contact_info of aggregate reports (empty: none)" },
	{ "SendmailPath", CONF_STRING, OFF(sendmail_path), "/usr/sbin/sendmail",
	    0, 0, NULL, "the MTA's sendmail binary that sends reports" },

	/* failure reports (RFC 9991) */
	{ "FailureReports", CONF_BOOL, OFF(failure_reports), "no", 0, 0, NULL,
	    "send DMARC failure reports to verified ruf= addresses" },
	{ "FailureReportsRedact", CONF_BOOL, OFF(failure_reports_redact),
	    "yes", 0, 0, NULL,
	    "replace the local parts of addresses in failure reports" },
	{ "FailureReportRate", CONF_UINT, OFF(failure_report_rate), "10", 1,
	    3600, NULL, "failure reports an hour to one address (1 to 3600)" },
	{ "FailureReportsQueue", CONF_UINT, OFF(failure_reports_queue), "256",
	    1, 4096, NULL,
	    "failure reports waiting to be sent, kept in memory (1 to 4096)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL }
};
/* clang-format on */

/* parse_bool - yes/no words of OpenDMARC's config files */
static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* parse_time - "N" or "Ns" seconds, "Nms" milliseconds */
static int
parse_time(const char *v, unsigned long *ms, const char **errstr)
{
	char num[32];
	size_t n = strspn(v, "0123456789");
	unsigned long mult;
	long long x;

	if (n == 0 || n >= sizeof(num)) {
		*errstr = "not a number";
		return -1;
	}
	if (strcmp(v + n, "") == 0 || strcmp(v + n, "s") == 0)
		mult = 1000;
	else if (strcmp(v + n, "ms") == 0)
		mult = 1;
	else {
		*errstr = "unit must be s or ms";
		return -1;
	}
	memcpy(num, v, n);
	num[n] = '\0';
	x = strtonum(num, 0, 86400000LL, errstr);
	if (*errstr != NULL)
		return -1;
	*ms = (unsigned long)x * mult;
	return 0;
}

/* parse_mode - an octal file mode, "0660" or "660" */
static int
parse_mode(const char *v, unsigned long max, unsigned long *out)
{
	unsigned long m = 0;
	size_t i, n = strlen(v);

	if (n == 0 || n > 4 || strspn(v, "01234567") != n)
		return -1;
	for (i = 0; i < n; i++)
		m = m * 8 + (unsigned long)(v[i] - '0');
	if (m > max)
		return -1;
	*out = m;
	return 0;
}

/* host_ok - an IP literal of the family, or a host name */
static int
host_ok(const char *h, int af)
{
	char buf[DOMAIN_MAX + 3];
	unsigned char a[16];
	const char *errstr;
	size_t n = strlen(h);

	if (n == 0 || n >= sizeof(buf))
		return 0;
	if (h[0] == '[') { /* libmilter takes "[addr]" as a literal */
		if (n < 3 || h[n - 1] != ']')
			return 0;
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(af, buf, a) == 1;
	}
	if (inet_pton(af, h, a) == 1)
		return 1;
	/* a name, resolved by libmilter when the socket is opened */
	return domain_normalize(h, n, buf, sizeof(buf), &errstr) == 0 &&
	    strspn(h, "0123456789.") != n;
}

/*
 * socket_check - the libmilter connection spec, checked here so that a
 * typo is a config error naming the line, not a failure at start-up
 */
static int
socket_check(const char *v, const char **errstr)
{
	struct sockaddr_un sun;
	const char *colon = strchr(v, ':'), *rest, *at;
	char port[8];
	size_t plen;

	*errstr = "expected inet:PORT@HOST, inet6:PORT@HOST, unix:PATH or "
		  "local:PATH";
	if (colon == NULL)
		return -1;
	rest = colon + 1;
	plen = (size_t)(colon - v);
	if ((plen == 4 && strncasecmp(v, "unix", 4) == 0) ||
	    (plen == 5 && strncasecmp(v, "local", 5) == 0)) {
		const unsigned char *p;

		if (rest[0] != '/') {
			*errstr = "a unix socket path must be absolute";
			return -1;
		}
		if (strlen(rest) >= sizeof(sun.sun_path)) {
			*errstr = "unix socket path too long";
			return -1;
		}
		for (p = (const unsigned char *)rest; *p != '\0'; p++) {
			if (*p < 0x21 || *p == 0x7f) {
				*errstr = "unix socket path with a control "
					  "character or space";
				return -1;
			}
		}
		return 0;
	}
	if (!((plen == 4 && strncasecmp(v, "inet", 4) == 0) ||
		(plen == 5 && strncasecmp(v, "inet6", 5) == 0)))
		return -1;
	at = strchr(rest, '@');
	plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
	if (plen == 0 || plen >= sizeof(port) ||
	    strspn(rest, "0123456789") != plen) {
		*errstr = "bad port (1 to 65535)";
		return -1;
	}
	memcpy(port, rest, plen);
	port[plen] = '\0';
	if (strtonum(port, 1, 65535, errstr) == 0) {
		*errstr = "bad port (1 to 65535)";
		return -1;
	}
	if (at != NULL && !host_ok(at + 1, v[4] == '6' ? AF_INET6 : AF_INET)) {
		*errstr = v[4] == '6' ? "bad host (an IPv6 address or a name)"
				      : "bad host (an IPv4 address or a name)";
		return -1;
	}
	*errstr = NULL;
	return 0;
}

/* name_ok - a user or group name: POSIX portable characters */
static int
name_ok(const char *p, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	return n > 0 && n <= 32 && p[0] != '-' && strspn(p, ok) >= n;
}

/* user_check - "" or "user" or "user:group"; existence is checked later */
static int
user_check(const char *v)
{
	const char *colon = strchr(v, ':');

	if (*v == '\0')
		return 0;
	if (colon == NULL)
		return name_ok(v, strlen(v)) ? 0 : -1;
	return name_ok(v, (size_t)(colon - v)) &&
		name_ok(colon + 1, strlen(colon + 1))
	    ? 0
	    : -1;
}

/* text_check - printable ASCII only: it goes into SMTP replies and headers */
static const char *
text_check(const char *v, const struct config_key *k)
{
	const unsigned char *p;
	size_t n = strlen(v);

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return "only printable ASCII is allowed";
	}
	if (n < k->min)
		return "must not be empty";
	if (n > k->max)
		return "too long";
	return NULL;
}

/* header_check - RFC 5322 2.2: printable US-ASCII but ':' */
static int
header_check(const char *v, const struct config_key *k)
{
	const unsigned char *p;
	size_t n = strlen(v);

	if (n < k->min || n > k->max)
		return -1;
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 33 || *p > 126 || *p == ':')
			return -1;
	}
	return 0;
}

/* read_file - a whole file, capped; 0, or -1 with err "PATH: reason" */
static int
read_file(const char *path, char **buf_r, size_t *len_r, char *err,
    size_t errlen)
{
	char *buf = NULL, eb[128];
	size_t len = 0, cap = 0, n;
	FILE *fp;

	*buf_r = NULL;
	*len_r = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    strerror_r(errno, eb, sizeof(eb)));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= CONFIG_FILE_MAX) {
				snprintf(err, errlen, "%s: file too large",
				    path);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(fp);
	*buf_r = buf;
	*len_r = len;
	return 0;
fail:
	free(buf);
	fclose(fp);
	return -1;
}

/* parse_cidrs - networks inline, or the file an absolute path names */
static int
parse_cidrs(const char *v, struct cidr_list **list_r, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if (v[0] != '/')
		return cidr_list_parse(v, strlen(v), NULL, list_r, err, errlen);
	if (read_file(v, &buf, &len, err, errlen) == -1)
		return -1;
	rc = cidr_list_parse(buf != NULL ? buf : "", len, v, list_r, err,
	    errlen);
	free(buf);
	return rc;
}

static void
domains_free(struct conf_domains **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	free((*lp)->v);
	free(*lp);
	*lp = NULL;
}

/* parse_domains - "a.example, b.example" or, with overrides, "a.example=reject" */
static int
parse_domains(const char *v, int overrides, struct conf_domains **list_r,
    char *why, size_t whylen)
{
	static const char *const disp_words[] = {"none", "quarantine",
	    "reject"};
	static const unsigned int disp_values[] = {DMARC_DISP_NONE,
	    DMARC_DISP_QUARANTINE, DMARC_DISP_REJECT};
	struct conf_domains *l;
	const char *p = v, *errstr;
	size_t cap = 0;

	*list_r = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (;;) {
		struct conf_domain *d;
		const char *tok, *eq;
		size_t n, dn, i;

		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		tok = p;
		n = strcspn(p, ", \t");
		p += n;
		if (l->n >= CONFIG_LIST_MAX) {
			snprintf(why, whylen, "more than %d entries",
			    CONFIG_LIST_MAX);
			goto fail;
		}
		if (l->n == cap) {
			struct conf_domain *nv;

			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(l->v, cap, sizeof(*nv))) ==
			    NULL) {
				snprintf(why, whylen, "out of memory");
				goto fail;
			}
			l->v = nv;
		}
		d = &l->v[l->n];
		memset(d, 0, sizeof(*d));
		eq = memchr(tok, '=', n);
		dn = eq != NULL ? (size_t)(eq - tok) : n;
		if (overrides) {
			if (eq == NULL)
				goto bad_entry;
			for (i = 0; i < 3; i++) {
				if (strlen(disp_words[i]) == n - dn - 1 &&
				    strncasecmp(eq + 1, disp_words[i],
					n - dn - 1) == 0)
					break;
			}
			if (i == 3)
				goto bad_entry;
			d->disp = disp_values[i];
		} else if (eq != NULL)
			goto bad_entry;
		if (domain_normalize(tok, dn, d->name, sizeof(d->name),
			&errstr) == -1) {
			snprintf(why, whylen, "bad domain \"%.*s\": %s",
			    (int)(dn > 64 ? 64 : dn), tok, errstr);
			goto fail;
		}
		if (config_domains_find(l, d->name) != NULL) {
			snprintf(why, whylen, "\"%s\" listed twice", d->name);
			goto fail;
		}
		l->n++;
		continue;
	bad_entry:
		snprintf(why, whylen,
		    "\"%.*s\" is not DOMAIN=none|quarantine|reject",
		    (int)(n > 64 ? 64 : n), tok);
		goto fail;
	}
	*list_r = l;
	return 0;
fail:
	domains_free(&l);
	return -1;
}

/* set_string - replace a string value */
static int
set_string(char **sp, const char *v, char *why, size_t whylen)
{
	char *s = strdup(v);

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	free(*sp);
	*sp = s;
	return 0;
}

/* set_value - store one value; -1 with *why on a bad value */
static int
set_value(struct config *cfg, const struct config_key *k, const char *v,
    char *why, size_t whylen)
{
	char *base = (char *)cfg + k->offset, err[512];
	const char *errstr = NULL;
	unsigned long ul;
	size_t i;
	int b;

	switch (k->type) {
	case CONF_STRING:
		return set_string((char **)(void *)base, v, why, whylen);
	case CONF_BOOL:
		if (parse_bool(v, &b) == -1) {
			snprintf(why, whylen,
			    "%s: expected yes or no, not \"%.64s\"", k->name,
			    v);
			return -1;
		}
		*(int *)(void *)base = b;
		return 0;
	case CONF_UINT:
		ul = (unsigned long)strtonum(v, (long long)k->min,
		    (long long)k->max, &errstr);
		if (errstr != NULL) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is %s (%lu to %lu)", k->name, v,
			    errstr, k->min, k->max);
			return -1;
		}
		*(unsigned int *)(void *)base = (unsigned int)ul;
		return 0;
	case CONF_TIME:
		if (parse_time(v, &ul, &errstr) == -1 || ul < k->min ||
		    ul > k->max) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is %s (%lums to %lums)", k->name, v,
			    errstr != NULL ? errstr : "out of range", k->min,
			    k->max);
			return -1;
		}
		*(unsigned int *)(void *)base = (unsigned int)ul;
		return 0;
	case CONF_ENUM:
		for (i = 0; k->words[i] != NULL; i++) {
			if (strcasecmp(v, k->words[i]) == 0) {
				*(unsigned int *)(void *)base = (unsigned int)i;
				return 0;
			}
		}
		snprintf(why, whylen, "%s: \"%.64s\" is not one of", k->name,
		    v);
		for (i = 0; k->words[i] != NULL; i++) {
			size_t l = strlen(why);

			snprintf(why + l, whylen - l, "%s %s", i ? "," : "",
			    k->words[i]);
		}
		return -1;
	case CONF_MODE:
		if (parse_mode(v, k->max, &ul) == -1) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is not an octal mode (0 to 0%lo)",
			    k->name, v, k->max);
			return -1;
		}
		*(unsigned int *)(void *)base = (unsigned int)ul;
		return 0;
	case CONF_SOCKET:
		if (socket_check(v, &errstr) == -1) {
			snprintf(why, whylen, "%s: \"%.64s\": %s", k->name, v,
			    errstr);
			return -1;
		}
		return set_string((char **)(void *)base, v, why, whylen);
	case CONF_USER:
		if (user_check(v) == -1) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is not user or user:group", k->name,
			    v);
			return -1;
		}
		return set_string((char **)(void *)base, v, why, whylen);
	case CONF_TEXT:
		if ((errstr = text_check(v, k)) != NULL) {
			snprintf(why, whylen, "%s: %s (%lu to %lu characters)",
			    k->name, errstr, k->min, k->max);
			return -1;
		}
		return set_string((char **)(void *)base, v, why, whylen);
	case CONF_HEADER:
		if (header_check(v, k) == -1) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is not a header field name", k->name,
			    v);
			return -1;
		}
		return set_string((char **)(void *)base, v, why, whylen);
	case CONF_CIDRS: {
		struct cidr_list **lp = (struct cidr_list **)(void *)base;
		struct cidr_list *l;

		if (parse_cidrs(v, &l, err, sizeof(err)) == -1) {
			snprintf(why, whylen, "%s: %s", k->name, err);
			return -1;
		}
		cidr_list_free(lp);
		*lp = l;
		return 0;
	}
	case CONF_DOMAINS:
	case CONF_OVERRIDES: {
		struct conf_domains **lp = (struct conf_domains **)(void *)base;
		struct conf_domains *l;

		if (parse_domains(v, k->type == CONF_OVERRIDES, &l, err,
			sizeof(err)) == -1) {
			snprintf(why, whylen, "%s: %s", k->name, err);
			return -1;
		}
		domains_free(lp);
		*lp = l;
		return 0;
	}
	}
	snprintf(why, whylen, "%s: bad key type", k->name);
	return -1;
}

/* config_default - a config holding the embedded defaults */
int
config_default(struct config **cfg_r)
{
	struct config *cfg;
	char why[256];
	size_t i;

	*cfg_r = NULL;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return -1;
	for (i = 0; config_keys[i].name != NULL; i++) {
		if (set_value(cfg, &config_keys[i], config_keys[i].dflt, why,
			sizeof(why)) == -1) {
			config_free(&cfg);
			return -1;
		}
	}
	if ((cfg->source = strdup("(defaults)")) == NULL) {
		config_free(&cfg);
		return -1;
	}
	*cfg_r = cfg;
	return 0;
}

/* trim - strip white space at both ends, in place */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* parse_line - one "Key value" line; 0, or -1 with why */
static int
parse_line(struct config *cfg, char *line, unsigned int lineno, char *why,
    size_t whylen)
{
	char *key, *val, *p;
	size_t i;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	key = trim(line);
	if (*key == '\0')
		return 0;
	val = key + strcspn(key, " \t");
	if (*val != '\0')
		*val++ = '\0';
	val = trim(val);
	for (i = 0; config_keys[i].name != NULL; i++) {
		if (strcasecmp(key, config_keys[i].name) == 0)
			break;
	}
	if (config_keys[i].name == NULL) {
		snprintf(why, whylen, "unknown option \"%.64s\"", key);
		return -1;
	}
	if (cfg->key_line[i] != 0) {
		snprintf(why, whylen, "%s given twice", config_keys[i].name);
		return -1;
	}
	cfg->key_line[i] = lineno;
	return set_value(cfg, &config_keys[i], val, why, whylen);
}

/* config_load_mem - parse a whole file held in memory */
int
config_load_mem(const char *text, size_t len, const char *label,
    struct config **cfg_r, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX + 1], why[1024];
	struct config *cfg;
	size_t pos = 0, n;
	unsigned lineno = 0;

	*cfg_r = NULL;
	_Static_assert(CONFIG_KEYS_MAX >=
		sizeof(config_keys) / sizeof(config_keys[0]),
	    "CONFIG_KEYS_MAX too small");
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in file", label);
		return -1;
	}
	if (config_default(&cfg) == -1) {
		snprintf(err, errlen, "%s: out of memory", label);
		return -1;
	}
	free(cfg->source);
	if ((cfg->source = strdup(label)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", label);
		config_free(&cfg);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", label,
			    lineno);
			config_free(&cfg);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (parse_line(cfg, line, lineno, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", label, lineno, why);
			config_free(&cfg);
			return -1;
		}
	}
	*cfg_r = cfg;
	return 0;
}

/* config_load - read and parse FILE */
int
config_load(const char *path, struct config **cfg_r, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	*cfg_r = NULL;
	if (read_file(path, &buf, &len, err, errlen) == -1)
		return -1;
	rc = config_load_mem(buf != NULL ? buf : "", len, path, cfg_r, err,
	    errlen);
	free(buf);
	return rc;
}

/* config_free - free a config and clear the pointer; NULL is fine */
void
config_free(struct config **cfgp)
{
	struct config *cfg;
	size_t i;

	if (cfgp == NULL || (cfg = *cfgp) == NULL)
		return;
	for (i = 0; config_keys[i].name != NULL; i++) {
		void *base = (char *)cfg + config_keys[i].offset;

		switch (config_keys[i].type) {
		case CONF_STRING:
		case CONF_SOCKET:
		case CONF_USER:
		case CONF_TEXT:
		case CONF_HEADER:
			free(*(char **)base);
			break;
		case CONF_CIDRS:
			cidr_list_free((struct cidr_list **)base);
			break;
		case CONF_DOMAINS:
		case CONF_OVERRIDES:
			domains_free((struct conf_domains **)base);
			break;
		default:
			break;
		}
	}
	free(cfg->source);
	free(cfg);
	*cfgp = NULL;
}

/* config_key_line - the line that set key, 0 if it kept its default */
unsigned int
config_key_line(const struct config *cfg, const char *key)
{
	size_t i;

	for (i = 0; config_keys[i].name != NULL; i++) {
		if (strcasecmp(config_keys[i].name, key) == 0)
			return cfg->key_line[i];
	}
	return 0;
}

/* config_syslog_facility - the LOG_* value of SyslogFacility */
int
config_syslog_facility(const struct config *cfg)
{
	_Static_assert(sizeof(facility_values) / sizeof(facility_values[0]) ==
		sizeof(facility_words) / sizeof(facility_words[0]) - 1,
	    "facility tables differ");
	if (cfg->syslog_facility >=
	    sizeof(facility_values) / sizeof(facility_values[0]))
		return LOG_MAIL;
	return facility_values[cfg->syslog_facility];
}

/* config_socket_path - the path of a unix: or local: Socket, else NULL */
const char *
config_socket_path(const struct config *cfg)
{
	const char *s = cfg->socket;

	if (strncasecmp(s, "unix:", 5) == 0)
		return s + 5;
	if (strncasecmp(s, "local:", 6) == 0)
		return s + 6;
	return NULL;
}

/* config_domains_find - the entry equal to domain, or NULL */
const struct conf_domain *
config_domains_find(const struct conf_domains *list, const char *domain)
{
	size_t i;

	if (list == NULL || domain == NULL)
		return NULL;
	for (i = 0; i < list->n; i++) {
		if (domain_equal(list->v[i].name, domain))
			return &list->v[i];
	}
	return NULL;
}
