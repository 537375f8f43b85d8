/*
 * report.c - "dmarcctl report": build, write and send aggregate reports
 *
 * A day at a time: the store's records go through the aggregator, whose
 * finished reports are kept (compressed) until the store has been read,
 * so that writing, DNS checks, sending and the sent-log never run inside
 * the store's iteration.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "conf/config.h"
#include "policy/domain.h"
#include "report/aggregate.h"
#include "report/rua.h"
#include "report/send.h"
#include "report/store.h"
#include "tools/dmarcctl.h"
#include "tools/report.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#define GENERATOR	 "dmarc-milter " PACKAGE_VERSION

/* one finished report, kept until the store has been read */
struct held {
	struct agg_report rep; /* xml NULL; gz points to gz below */
	unsigned char *gz;
};

struct day_run {
	struct held *v;
	size_t n, cap;
	int oom;
};

struct args {
	const char *db, *out;
	long long first, last; /* day starts, inclusive */
	int send, dry_run, force, out_given;
};

static void
report_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl report [--config FILE] [--db URI]\n"
	    "                       [--day YYYY-MM-DD | --from DATE --to "
	    "DATE]\n"
	    "                       [--out DIR] [--send] [--dry-run] "
	    "[--force]\n");
}

/* keep - the aggregator's emit(): copy the report, drop the XML */
static int
keep(const struct agg_report *rep, void *arg)
{
	struct day_run *d = arg;
	struct held *h;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;

		if ((h = reallocarray(d->v, ncap, sizeof(*h))) == NULL) {
			d->oom = 1;
			return -1;
		}
		d->v = h;
		d->cap = ncap;
	}
	h = &d->v[d->n];
	h->rep = *rep;
	h->rep.xml = NULL;
	h->rep.xmllen = 0;
	if ((h->gz = malloc(rep->gzlen)) == NULL) {
		d->oom = 1;
		return -1;
	}
	memcpy(h->gz, rep->gz, rep->gzlen);
	h->rep.gz = h->gz;
	d->n++;
	return 0;
}

static void
day_run_clear(struct day_run *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].gz);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* write_file - DIR/NAME through a temporary file and rename() */
static int
write_file(const char *dir, const char *name, const unsigned char *p, size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, w;
	size_t off = 0;

	w = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (w < 0 || (size_t)w >= sizeof(path) ||
	    (w = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name)) < 0 ||
	    (size_t)w >= sizeof(tmp)) {
		fprintf(stderr, "dmarcctl: %.100s/%s: path too long\n", dir,
		    name);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1) {
		fprintf(stderr, "dmarcctl: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	while (off < n) {
		ssize_t k = write(fd, p + off, n - off);

		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			fprintf(stderr, "dmarcctl: %s: %s\n", tmp,
			    strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)k;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fprintf(stderr, "dmarcctl: %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		fprintf(stderr, "dmarcctl: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* print_list - "a, b, c" of n addresses */
static void
print_list(const char *const *to, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%s", i > 0 ? ", " : "", to[i]);
}

/*
 * send_one - mail one report to its verified destinations not yet in the
 * sent-log; 0, or -1 when something could not be sent now
 */
static int
send_one(const struct report_opts *o, const struct args *a, struct store *st,
    struct resolver *res, const struct orgdomain_psl *psl, const struct held *h,
    const char *day, long long now)
{
	const struct agg_report *rep = &h->rep;
	struct rua_list *l;
	const char *to[SEND_TO_MAX], *e;
	const struct rua_dest *dest[SEND_TO_MAX];
	struct send_report sr;
	char *msg = NULL, err[512];
	size_t i, nto = 0, nfit = 0, len = 0;
	int rc = 0, s;

	if ((l = malloc(sizeof(*l))) == NULL) {
		fprintf(stderr, "dmarcctl: out of memory\n");
		return -1;
	}
	rua_parse(rep->rua, strlen(rep->rua), l);
	rua_verify(l, rep->policy_domain, res, psl);
	for (i = 0; i < l->n; i++) {
		const struct rua_dest *d = &l->d[i];

		if (d->status == RUA_TEMPFAIL) {
			fprintf(stderr,
			    "dmarcctl: %s %s: %s: %s: not sent, run again "
			    "later\n",
			    rep->policy_domain, day, d->uri, d->why);
			rc = -1;
			continue;
		}
		if (d->status != RUA_OK) {
			printf("skip %s %s: %s: %s\n", rep->policy_domain, day,
			    d->uri, d->why);
			continue;
		}
		if (!a->force) {
			s = store_sent_check(st, rep->policy_domain, day,
			    d->addr, NULL, 0);
			if (s == -1) {
				fprintf(stderr,
				    "dmarcctl: %s %s: sent-log "
				    "unreadable\n",
				    rep->policy_domain, day);
				rc = -1;
				continue;
			}
			if (s == 1) {
				printf("skip %s %s: already sent to %s "
				       "(--force sends again)\n",
				    rep->policy_domain, day, d->addr);
				continue;
			}
		}
		if (nto < SEND_TO_MAX) {
			dest[nto] = d;
			to[nto++] = d->addr;
		}
	}
	if (l->ndropped > 0)
		printf("skip %s %s: %zu rua URIs past the first %d\n",
		    rep->policy_domain, day, l->ndropped, RUA_DEST_MAX);
	if (nto == 0)
		goto out;

	memset(&sr, 0, sizeof(sr));
	sr.from = o->email;
	sr.org_name = o->org_name;
	sr.submitter = o->receiver;
	sr.policy_domain = rep->policy_domain;
	sr.report_id = rep->report_id;
	sr.filename = rep->filename;
	sr.begin = rep->begin;
	sr.end = rep->end;
	sr.gz = rep->gz;
	sr.gzlen = rep->gzlen;
	sr.date = now;
	/* RFC 9990 2.5: a URI whose limit the message (encoded) exceeds is
	 * not used; measured with every address, the largest header */
	if (send_build(&sr, to, nto, &msg, &len, &e) == -1) {
		fprintf(stderr, "dmarcctl: %s %s: %s\n", rep->policy_domain,
		    day, e);
		rc = -1;
		goto out;
	}
	for (i = 0; i < nto; i++) {
		if (!rua_fits(dest[i], len)) {
			printf("skip %s %s: %s: report of %zu bytes exceeds "
			       "its limit of %llu\n",
			    rep->policy_domain, day, dest[i]->uri, len,
			    dest[i]->max_size);
			continue;
		}
		dest[nfit] = dest[i];
		to[nfit++] = to[i];
	}
	free(msg);
	msg = NULL;
	if (nfit == 0)
		goto out;
	if (send_build(&sr, to, nfit, &msg, &len, &e) == -1) {
		fprintf(stderr, "dmarcctl: %s %s: %s\n", rep->policy_domain,
		    day, e);
		rc = -1;
		goto out;
	}
	if (a->dry_run) {
		printf("would send %s (%zu bytes) to ", rep->filename, len);
		print_list(to, nfit);
		printf("\n");
		goto out;
	}
	if (send_sendmail(o->sendmail_path, o->email, to, nfit, msg, len, err,
		sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s %s: not sent: %s\n",
		    rep->policy_domain, day, err);
		rc = -1;
		goto out;
	}
	printf("sent %s to ", rep->filename);
	print_list(to, nfit);
	printf("\n");
	for (i = 0; i < nfit; i++) {
		if (store_sent_mark(st, rep->policy_domain, day, to[i],
			rep->report_id) == -1) {
			fprintf(stderr,
			    "dmarcctl: %s %s: sent to %s but not "
			    "recorded in the sent-log\n",
			    rep->policy_domain, day, to[i]);
			rc = -1;
		}
	}
out:
	free(msg);
	free(l);
	return rc;
}

/* progress - one line kept up to date on a terminal */
static void
progress(int on, const char *day, size_t i, size_t n)
{
	if (on)
		fprintf(stderr, "\rdmarcctl report %s: %zu/%zu", day, i, n);
}

/* run_day - build one day's reports, then write and send them */
static int
run_day(const struct report_opts *o, const struct args *a, struct store *st,
    struct resolver *res, const struct orgdomain_psl *psl, long long begin,
    long long now)
{
	struct agg_meta meta;
	struct agg *agg = NULL;
	struct agg_stats stats;
	struct day_run d;
	char day[16];
	const char *e;
	size_t i;
	int rc = 0, frc, tty;

	memset(&d, 0, sizeof(d));
	agg_day_str(begin, day, sizeof(day));
	meta.org_name = o->org_name;
	meta.email = o->email;
	meta.contact_info = o->contact_info;
	meta.receiver = o->receiver;
	meta.generator = GENERATOR;
	if (agg_new(&meta, begin, keep, &d, &agg, &e) == -1) {
		fprintf(stderr, "dmarcctl: report: %s\n", e);
		return -1;
	}
	frc = store_foreach(st, begin, begin + AGG_DAY, agg_add_cb, agg);
	if (agg_error(agg) == NULL && frc == 0)
		agg_finish(agg);
	if (agg_error(agg) != NULL || frc != 0) {
		fprintf(stderr, "dmarcctl: %s: %s\n", day,
		    d.oom			 ? "out of memory"
			: agg_error(agg) != NULL ? agg_error(agg)
						 : "cannot read the store");
		rc = -1;
		goto out;
	}
	agg_get_stats(agg, &stats);

	tty = isatty(STDERR_FILENO) && d.n >= REPORT_PROGRESS_MIN;
	for (i = 0; i < d.n; i++) {
		const struct held *h = &d.v[i];

		progress(tty, day, i, d.n);
		if (h->rep.rua[0] == '\0') {
			/* RFC 9989 4.7 "rua": no tag, no aggregate report */
			if (a->dry_run)
				printf("skip %s %s: no rua tag\n",
				    h->rep.policy_domain, day);
			continue;
		}
		if (!a->send || a->out_given) {
			if (a->dry_run)
				printf("would write %s/%s (%llu messages, "
				       "%zu records)\n",
				    a->out, h->rep.filename, h->rep.messages,
				    h->rep.nrows);
			else if (write_file(a->out, h->rep.filename, h->gz,
				     h->rep.gzlen) == -1)
				rc = -1;
			else
				printf("wrote %s/%s (%llu messages, %zu "
				       "records)\n",
				    a->out, h->rep.filename, h->rep.messages,
				    h->rep.nrows);
		}
		if (h->rep.omitted > 0)
			fprintf(stderr,
			    "dmarcctl: %s %s: %llu messages left out "
			    "(report caps)\n",
			    h->rep.policy_domain, day, h->rep.omitted);
		if (a->send && send_one(o, a, st, res, psl, h, day, now) == -1)
			rc = -1;
	}
	if (tty) {
		progress(tty, day, d.n, d.n);
		fputc('\n', stderr);
	}
out:
	agg_free(&agg);
	day_run_clear(&d);
	return rc;
}

/* parse_day - a --day/--from/--to value; 0 or -1 with a message */
static int
parse_day(const char *opt, const char *val, long long *begin_r)
{
	if (agg_day_begin(val, begin_r) == -1) {
		fprintf(stderr,
		    "dmarcctl: report: %s: \"%.32s\" is not a date "
		    "(YYYY-MM-DD)\n",
		    opt, val);
		return -1;
	}
	return 0;
}

/* report_run - the command, with the configuration already read */
int
report_run(const struct report_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 'b'},
	    {"day", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"out", required_argument, NULL, 'o'},
	    {"send", no_argument, NULL, 's'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"force", no_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct args a;
	struct store *st = NULL;
	struct store_opts so;
	struct resolver *res = NULL;
	struct orgdomain_psl *psl = NULL;
	long long now, today, day, from = -1, to = -1, one = -1;
	char err[512];
	struct stat sb;
	int ch, rc = 0;

	memset(&a, 0, sizeof(a));
	a.out = ".";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			break; /* read by cmd_report() */
		case 'b':
			a.db = optarg;
			break;
		case 'd':
			if (parse_day("--day", optarg, &one) == -1)
				return EXIT_USAGE;
			break;
		case 'f':
			if (parse_day("--from", optarg, &from) == -1)
				return EXIT_USAGE;
			break;
		case 't':
			if (parse_day("--to", optarg, &to) == -1)
				return EXIT_USAGE;
			break;
		case 'o':
			a.out = optarg;
			a.out_given = 1;
			break;
		case 's':
			a.send = 1;
			break;
		case 'n':
			a.dry_run = 1;
			break;
		case 'F':
			a.force = 1;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dmarcctl: report: unexpected \"%.64s\"\n",
		    argv[optind]);
		report_usage(stderr);
		return EXIT_USAGE;
	}
	if (one >= 0 && (from >= 0 || to >= 0)) {
		fprintf(stderr,
		    "dmarcctl: report: --day or --from/--to, not both\n");
		return EXIT_USAGE;
	}
	if ((from >= 0) != (to >= 0)) {
		fprintf(stderr,
		    "dmarcctl: report: --from and --to go together\n");
		return EXIT_USAGE;
	}
	now = o->now != 0 ? o->now : (long long)time(NULL);
	today = now - now % AGG_DAY;
	if (one >= 0)
		a.first = a.last = one;
	else if (from >= 0) {
		a.first = from;
		a.last = to;
	} else
		a.first = a.last = today - AGG_DAY; /* yesterday, UTC */
	if (a.first > a.last) {
		fprintf(stderr, "dmarcctl: report: --from is after --to\n");
		return EXIT_USAGE;
	}
	if ((a.last - a.first) / AGG_DAY >= REPORT_DAYS_MAX) {
		fprintf(stderr, "dmarcctl: report: more than %d days\n",
		    REPORT_DAYS_MAX);
		return EXIT_USAGE;
	}
	if (a.send && a.last >= today) {
		/* its report would be sent before its last messages came */
		fprintf(stderr,
		    "dmarcctl: report: --send: the day is not over yet\n");
		return EXIT_USAGE;
	}
	if ((!a.send || a.out_given) &&
	    (stat(a.out, &sb) == -1 || !S_ISDIR(sb.st_mode))) {
		fprintf(stderr, "dmarcctl: report: --out %s: not a directory\n",
		    a.out);
		return 1;
	}
	if (a.db == NULL)
		a.db = o->history_db;
	if (a.db == NULL || a.db[0] == '\0') {
		fprintf(stderr,
		    "dmarcctl: report: no store: set HistoryDB or "
		    "use --db\n");
		return 1;
	}
	if (a.send) {
		if (o->sendmail_path == NULL || o->sendmail_path[0] != '/') {
			fprintf(stderr,
			    "dmarcctl: report: SendmailPath must "
			    "be an absolute path\n");
			return 1;
		}
		if (resolver_new(&o->dns, &res, err, sizeof(err)) == -1) {
			fprintf(stderr, "dmarcctl: %s\n", err);
			return 1;
		}
		if (o->psl_file != NULL &&
		    orgdomain_psl_new(o->psl_file, &psl, err, sizeof(err)) ==
			-1) {
			fprintf(stderr, "dmarcctl: %s\n", err);
			rc = 1;
			goto out;
		}
	}
	memset(&so, 0, sizeof(so)); /* no writer thread, no journal */
	if (store_open(a.db, &so, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		rc = 1;
		goto out;
	}
	for (day = a.first; day <= a.last; day += AGG_DAY)
		if (run_day(o, &a, st, res, psl, day, now) == -1)
			rc = 1;
	if (fflush(stdout) != 0)
		rc = 1;
out:
	store_close(&st);
	orgdomain_psl_free(&psl);
	resolver_free(&res);
	return rc;
}

/*
 * report_opts_defaults - what is unset: ReportDomain is this host's name,
 * ReportEmail noreply-dmarc@ReportDomain, ReportOrgName ReportDomain,
 * SendmailPath /usr/sbin/sendmail; buf holds the strings made here
 */
static int
report_opts_defaults(struct report_opts *o, char *buf, size_t buflen,
    const char **errstr_r)
{
	char dom[DOMAIN_MAX + 1];
	const char *e;
	size_t n;
	int w;

	if (buflen < 2 * (DOMAIN_MAX + 1) + sizeof("noreply-dmarc@")) {
		*errstr_r = "buffer too small";
		return -1;
	}
	if (o->receiver == NULL || o->receiver[0] == '\0') {
		if (gethostname(buf, DOMAIN_MAX + 1) == -1 ||
		    domain_normalize(buf, strnlen(buf, DOMAIN_MAX + 1), dom,
			sizeof(dom), &e) == -1 ||
		    domain_labels(dom) < 2) {
			*errstr_r = "ReportDomain is not set and the host name "
				    "is not a domain name";
			return -1;
		}
		memcpy(buf, dom, strlen(dom) + 1);
		o->receiver = buf;
	}
	n = strlen(buf) + 1;
	if (o->email == NULL || o->email[0] == '\0') {
		w = snprintf(buf + n, buflen - n, "noreply-dmarc@%s",
		    o->receiver);
		if (w < 0 || (size_t)w >= buflen - n) {
			*errstr_r = "ReportDomain too long";
			return -1;
		}
		o->email = buf + n;
	}
	if (o->org_name == NULL || o->org_name[0] == '\0')
		o->org_name = o->receiver;
	if (o->sendmail_path == NULL || o->sendmail_path[0] == '\0')
		o->sendmail_path = DEFAULT_SENDMAIL;
	return 0;
}

/* report_opts_from_config - the settings report_run() needs */
int
report_opts_from_config(const struct config *cfg, struct report_opts *o,
    char *buf, size_t buflen, const char **errstr_r)
{
	memset(o, 0, sizeof(*o));
	buf[0] = '\0';
	o->dns.zone_file =
	    cfg->dns_zone_file[0] != '\0' ? cfg->dns_zone_file : NULL;
	o->dns.nameservers =
	    cfg->nameservers[0] != '\0' ? cfg->nameservers : NULL;
	o->dns.timeout_ms = cfg->dns_timeout_ms;
	o->psl_file =
	    cfg->org_domain_method == CONF_ORG_PSL ? cfg->psl_file : NULL;
	o->receiver = cfg->report_domain;
	o->email = cfg->report_email;
	o->org_name = cfg->report_org_name;
	o->contact_info = cfg->report_contact_info;
	o->sendmail_path = cfg->sendmail_path;
	o->history_db = cfg->history_db;
	return report_opts_defaults(o, buf, buflen, errstr_r);
}

/* cmd_report - "dmarcctl report" */
int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 0},
	    {"day", required_argument, NULL, 0},
	    {"from", required_argument, NULL, 0},
	    {"to", required_argument, NULL, 0},
	    {"out", required_argument, NULL, 0}, {"send", no_argument, NULL, 0},
	    {"dry-run", no_argument, NULL, 0}, {"force", no_argument, NULL, 0},
	    {"help", no_argument, NULL, 0}, {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *e;
	struct config *cfg = NULL;
	struct report_opts o;
	char err[512], host[REPORT_OPTS_BUF];
	int ch, rc;

	/* first pass: only --config; report_run() reads the rest */
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (ch == 'c')
			cfgpath = optarg;
	opterr = 1;
	if (cfgpath == NULL &&
	    access(SYSCONFDIR "/dmarc-milter.conf", R_OK) == 0)
		cfgpath = SYSCONFDIR "/dmarc-milter.conf";
	if (cfgpath != NULL ? config_load(cfgpath, &cfg, err, sizeof(err))
			    : config_default(&cfg)) {
		fprintf(stderr, "dmarcctl: %s\n",
		    cfgpath != NULL ? err : "out of memory");
		return 1;
	}
	if (report_opts_from_config(cfg, &o, host, sizeof(host), &e) == -1) {
		fprintf(stderr, "dmarcctl: report: %s\n", e);
		config_free(&cfg);
		return 1;
	}
	rc = report_run(&o, argc, argv);
	config_free(&cfg);
	return rc;
}
