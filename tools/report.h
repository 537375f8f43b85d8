/*
 * report.h - "dmarcctl report": build, write and send aggregate reports
 *
 *	dmarcctl report [--config FILE] [--db URI]
 *	                [--day YYYY-MM-DD | --from DATE --to DATE]
 *	                [--out DIR] [--send] [--dry-run] [--force]
 *
 * For each UTC day (default: yesterday; --from/--to inclusive, at most
 * REPORT_DAYS_MAX days) and each policy domain with records that day and
 * a rua= tag (RFC 9989 4.7: no rua, no report), one RFC 9990 report:
 *   - without --send: written to DIR (--out, default ".") as the RFC 9990
 *     file name, atomically (a temporary file, then rename());
 *   - --send: mailed to each rua= address that is a mailto: URI, passes
 *     the external-destination check and whose "!size" the message fits
 *     (report/rua.h), through SendmailPath (report/send.h); each address
 *     is then recorded in the store's sent-log, and an address already
 *     recorded for that domain and day is skipped unless --force.  The
 *     files are also written when --out is given.  A day that is not over
 *     is refused with --send.
 *   - --dry-run: prints what would be written and sent, and where;
 *     writes, sends and records nothing (DNS is still asked, to verify).
 * One line per action on stdout ("wrote", "sent", "skip ...", "would
 * ..."); errors on stderr.  With stderr on a terminal and at least
 * REPORT_PROGRESS_MIN reports in a day, a progress line is kept there.
 * Exit status: 0 done; 1 some report could not be built, written or sent
 * (including a destination left for later by a DNS temporary failure);
 * 2 usage error.
 *
 * cmd_report(argc, argv) reads the configuration (--config FILE, else
 * SYSCONFDIR/dmarc-milter.conf when it exists, else the defaults) into a
 * struct report_opts and calls report_run(), which tests call directly.
 */
#ifndef REPORT_H
#define REPORT_H

#include "auth/resolver.h"

#define REPORT_DAYS_MAX	    366 /* a --from/--to range; a year at most */
#define REPORT_PROGRESS_MIN 20	/* reports in a day before a progress line */
#define REPORT_OPTS_BUF	    600 /* report_opts_from_config(): 2 domains */

struct config;

struct report_opts {
	const char *org_name;	   /* ReportOrgName */
	const char *email;	   /* ReportEmail: From: and sendmail -f */
	const char *receiver;	   /* ReportDomain: the reporting domain */
	const char *contact_info;  /* ReportContactInfo, NULL or "": none */
	const char *sendmail_path; /* SendmailPath */
	const char *history_db;	   /* HistoryDB, unless --db */
	struct resolver_opts dns;  /* DNSZoneFile, Nameservers, DNSTimeout */
	const char *psl_file;	   /* OrgDomainMethod psl: the list; or NULL */
	long long now;		   /* 0: the clock (tests fix it) */
};

/* report_opts_from_config - fill o from cfg; strings point into cfg or
 * into buf (REPORT_OPTS_BUF bytes), which must outlive o.  Unset:
 * ReportDomain is the host name, ReportEmail noreply-dmarc@ReportDomain,
 * ReportOrgName ReportDomain, SendmailPath /usr/sbin/sendmail. */
int report_opts_from_config(const struct config *cfg, struct report_opts *o,
    char *buf, size_t buflen, const char **errstr_r);
int report_run(const struct report_opts *o, int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
