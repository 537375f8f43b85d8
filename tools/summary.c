/*
 * summary.c - "dmarcctl summary": who sends as the domain, from the
 * aggregate reports "dmarcctl ingest" stored
 *
 * Per source (IP address and header_from domain): volume, SPF and DKIM
 * results, their alignment (policy_evaluated), DMARC pass rate, and the
 * sources whose mail fails DMARC, i.e. would be rejected under p=reject
 * (RFC 9989 receiver actions).  Names are not resolved: no DNS here.
 * --html writes one page with inline CSS and SVG, no network needed.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "report/ingest.h"
#include "tools/dmarcctl.h"

#define SUMMARY_DAYS_MAX    36500  /* a century: anything more is a typo */
#define SUMMARY_SOURCES_MAX 100000 /* distinct (ip, header_from) kept */
#define SUMMARY_TOP	    10	   /* failing sources in the chart */

struct sum_src {
	char ip[46];
	char from[254];
	unsigned long long n, spf, dkim, spf_al, dkim_al, pass;
};

struct sum_day {
	long long day; /* unix day */
	unsigned long long pass, fail;
};

struct sum {
	struct sum_src *src;
	size_t nsrc, srccap;
	size_t *idx; /* hash of (ip, from): src index + 1, 0 = free */
	size_t idxcap;
	struct sum_day *day;
	size_t nday, daycap;
	unsigned long long total, pass, dropped;
	size_t nreports;
	char last_org[256], last_id[256];
	long long first, last;
};

static void
summary_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl summary [--config FILE] [--db URI] "
	    "[--domain D] [--days N] [--html FILE]\n");
}

static int
is_pass(const char *s)
{
	return strcmp(s, "pass") == 0;
}

/* sum_hash - FNV-1a over the source's address and header_from */
static size_t
sum_hash(const char *ip, const char *from)
{
	size_t h = 2166136261U;

	for (; *ip != '\0'; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619U;
	h = (h ^ 0xff) * 16777619U;
	for (; *from != '\0'; from++)
		h = (h ^ (unsigned char)*from) * 16777619U;
	return h;
}

/* sum_rehash - double the index (kept at most half full) */
static int
sum_rehash(struct sum *s)
{
	size_t nc = s->idxcap == 0 ? 256 : s->idxcap * 2, i, h;
	size_t *ni = calloc(nc, sizeof(*ni));

	if (ni == NULL)
		return -1;
	for (i = 0; i < s->nsrc; i++) {
		h = sum_hash(s->src[i].ip, s->src[i].from) & (nc - 1);
		while (ni[h] != 0)
			h = (h + 1) & (nc - 1);
		ni[h] = i + 1;
	}
	free(s->idx);
	s->idx = ni;
	s->idxcap = nc;
	return 0;
}

/* sum_row - add one stored row (ingest_db_foreach callback) */
static int
sum_row(const struct ingest_report *rep, const struct ingest_row *row,
    void *arg)
{
	struct sum *s = arg;
	struct sum_src *src = NULL;
	unsigned long long c = (unsigned long long)row->count;
	long long day = rep->begin / 86400;
	int pass;
	size_t h;

	if (strcmp(rep->org_name, s->last_org) != 0 ||
	    strcmp(rep->report_id, s->last_id) != 0) {
		s->nreports++;
		(void)strlcpy(s->last_org, rep->org_name, sizeof(s->last_org));
		(void)strlcpy(s->last_id, rep->report_id, sizeof(s->last_id));
	}
	if (s->total == 0 || rep->begin < s->first)
		s->first = rep->begin;
	if (rep->end > s->last)
		s->last = rep->end;
	if (s->nsrc * 2 >= s->idxcap && sum_rehash(s) == -1)
		return -1;
	h = sum_hash(row->source_ip, row->header_from) & (s->idxcap - 1);
	for (; s->idx[h] != 0; h = (h + 1) & (s->idxcap - 1)) {
		struct sum_src *x = &s->src[s->idx[h] - 1];

		if (strcmp(x->ip, row->source_ip) == 0 &&
		    strcmp(x->from, row->header_from) == 0) {
			src = x;
			break;
		}
	}
	if (src == NULL && s->nsrc < SUMMARY_SOURCES_MAX) {
		if (s->nsrc == s->srccap) {
			size_t nc = s->srccap == 0 ? 64 : s->srccap * 2;
			struct sum_src *ns =
			    reallocarray(s->src, nc, sizeof(*ns));

			if (ns == NULL)
				return -1;
			s->src = ns;
			s->srccap = nc;
		}
		s->idx[h] = s->nsrc + 1;
		src = &s->src[s->nsrc++];
		memset(src, 0, sizeof(*src));
		(void)strlcpy(src->ip, row->source_ip, sizeof(src->ip));
		(void)strlcpy(src->from, row->header_from, sizeof(src->from));
	}
	/* RFC 9989: DMARC passes when an aligned identifier passes */
	pass = is_pass(row->dkim_eval) || is_pass(row->spf_eval);
	if (src != NULL) {
		src->n += c;
		src->spf += is_pass(row->spf_result) ? c : 0;
		src->dkim += is_pass(row->dkim_result) ? c : 0;
		src->spf_al += is_pass(row->spf_eval) ? c : 0;
		src->dkim_al += is_pass(row->dkim_eval) ? c : 0;
		src->pass += pass ? c : 0;
	} else
		s->dropped += c;
	s->total += c;
	s->pass += pass ? c : 0;
	if (s->nday == 0 || s->day[s->nday - 1].day != day) {
		if (s->nday == s->daycap) {
			size_t nc = s->daycap == 0 ? 32 : s->daycap * 2;
			struct sum_day *nd =
			    reallocarray(s->day, nc, sizeof(*nd));

			if (nd == NULL)
				return -1;
			s->day = nd;
			s->daycap = nc;
		}
		memset(&s->day[s->nday], 0, sizeof(s->day[0]));
		s->day[s->nday++].day = day;
	}
	if (pass)
		s->day[s->nday - 1].pass += c;
	else
		s->day[s->nday - 1].fail += c;
	return 0;
}

static int
by_volume(const void *a, const void *b)
{
	const struct sum_src *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->ip, y->ip);
}

static int
by_failures(const void *a, const void *b)
{
	const struct sum_src *x = a, *y = b;
	unsigned long long fx = x->n - x->pass, fy = y->n - y->pass;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	return by_volume(a, b);
}

static double
pct(unsigned long long a, unsigned long long n)
{
	return n == 0 ? 0.0 : 100.0 * (double)a / (double)n;
}

static void
fmt_day(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		(void)strlcpy(buf, "?", size);
}

static void
print_text(struct sum *s, const char *domain)
{
	char d1[16], d2[16];
	size_t i, nfail = 0;

	fmt_day(s->first, d1, sizeof(d1));
	fmt_day(s->last, d2, sizeof(d2));
	printf("DMARC aggregate reports for %s: %zu reports, %llu messages, "
	       "%s to %s\n",
	    domain != NULL ? domain : "all domains", s->nreports, s->total, d1,
	    d2);
	printf("DMARC pass: %.1f%%\n\n", pct(s->pass, s->total));
	printf("%-39s %-28s %9s %6s %6s %6s %6s %6s\n", "SOURCE IP",
	    "HEADER FROM", "MESSAGES", "SPF", "DKIM", "SPF-AL", "DKIM-AL",
	    "DMARC");
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		printf("%-39s %-28.28s %9llu %5.1f%% %5.1f%% %5.1f%% %5.1f%% "
		       "%5.1f%%\n",
		    x->ip, x->from, x->n, pct(x->spf, x->n), pct(x->dkim, x->n),
		    pct(x->spf_al, x->n), pct(x->dkim_al, x->n),
		    pct(x->pass, x->n));
		if (x->pass < x->n)
			nfail++;
	}
	if (s->dropped > 0)
		printf("(%llu messages from sources past %d not listed)\n",
		    s->dropped, SUMMARY_SOURCES_MAX);
	printf("\nWould break under p=reject: %zu source%s\n", nfail,
	    nfail == 1 ? "" : "s");
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		if (x->pass < x->n)
			printf("  %-39s %-28.28s %llu of %llu messages fail "
			       "DMARC (SPF aligned %.0f%%, DKIM aligned "
			       "%.0f%%)\n",
			    x->ip, x->from, x->n - x->pass, x->n,
			    pct(x->spf_al, x->n), pct(x->dkim_al, x->n));
	}
}

/* html_str - s escaped for HTML text and attribute values */
static void
html_str(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

/* svg_days - stacked bars of passing and failing messages per day */
static void
svg_days(FILE *fp, const struct sum *s)
{
	const int w = 760, h = 260, left = 60, bottom = 40, top = 20;
	unsigned long long max = 1;
	double bw, y0 = h - bottom, scale;
	char d[16];
	size_t i;

	for (i = 0; i < s->nday; i++)
		if (s->day[i].pass + s->day[i].fail > max)
			max = s->day[i].pass + s->day[i].fail;
	bw = s->nday > 0 ? (double)(w - left - 10) / (double)s->nday : 1;
	scale = (double)(h - bottom - top) / (double)max;
	fprintf(fp,
	    "<svg id=\"chart-days\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"DMARC pass and fail per day\">\n",
	    w, h, w, h);
	fprintf(fp,
	    "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" "
	    "stroke=\"#555\"/>\n<text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\" class=\"ax\">%llu</text>\n<text x=\"%d\" "
	    "y=\"%.0f\" text-anchor=\"end\" class=\"ax\">0</text>\n",
	    left, y0, w - 10, y0, left - 4, top + 4, max, left - 4, y0);
	for (i = 0; i < s->nday; i++) {
		double x = left + bw * (double)i + bw * 0.1;
		double hp = (double)s->day[i].pass * scale;
		double hf = (double)s->day[i].fail * scale;

		fmt_day(s->day[i].day * 86400, d, sizeof(d));
		fprintf(fp,
		    "<rect class=\"pass\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"><title>%s: %llu pass</title></rect>\n",
		    x, y0 - hp, bw * 0.8, hp, d, s->day[i].pass);
		fprintf(fp,
		    "<rect class=\"fail\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"><title>%s: %llu fail</title></rect>\n",
		    x, y0 - hp - hf, bw * 0.8, hf, d, s->day[i].fail);
		if (i == 0 || i + 1 == s->nday || s->nday <= 8)
			fprintf(fp,
			    "<text x=\"%.1f\" y=\"%.0f\" "
			    "text-anchor=\"middle\" "
			    "class=\"ax\">%s</text>\n",
			    x + bw * 0.4, y0 + 16, d);
	}
	fputs("</svg>\n", fp);
}

/* svg_top - horizontal bars: the sources failing DMARC the most */
static void
svg_top(FILE *fp, struct sum *s)
{
	const int w = 760, left = 330, row = 26;
	unsigned long long max = 1;
	size_t i, n = 0;
	int h;

	if (s->nsrc > 0)
		qsort(s->src, s->nsrc, sizeof(*s->src), by_failures);
	for (i = 0; i < s->nsrc && n < SUMMARY_TOP; i++)
		if (s->src[i].pass < s->src[i].n)
			n++;
	if (n > 0)
		max = s->src[0].n - s->src[0].pass;
	h = (int)n * row + 20;
	fprintf(fp,
	    "<svg id=\"chart-top\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"top sources failing DMARC\">\n",
	    w, h, w, h);
	if (n == 0)
		fputs("<text x=\"10\" y=\"15\">no source fails DMARC</text>\n",
		    fp);
	for (i = 0; i < n; i++) {
		const struct sum_src *x = &s->src[i];
		unsigned long long f = x->n - x->pass;
		double bl = (double)(w - left - 80) * (double)f / (double)max;

		fprintf(fp, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">",
		    left - 6, i * row + 17);
		html_str(fp, x->ip);
		fputs(" (", fp);
		html_str(fp, x->from);
		fprintf(fp,
		    ")</text>\n<rect class=\"fail\" x=\"%d\" y=\"%zu\" "
		    "width=\"%.1f\" height=\"%d\"/>\n<text x=\"%.1f\" "
		    "y=\"%zu\">%llu</text>\n",
		    left, i * row + 4, bl, row - 8, left + bl + 4, i * row + 17,
		    f);
	}
	fputs("</svg>\n", fp);
	if (s->nsrc > 0)
		qsort(s->src, s->nsrc, sizeof(*s->src), by_volume);
}

static int
write_html(const char *path, struct sum *s, const char *domain)
{
	FILE *fp;
	char d1[16], d2[16];
	size_t i;
	int rc;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fmt_day(s->first, d1, sizeof(d1));
	fmt_day(s->last, d2, sizeof(d2));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n<title>DMARC summary</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{padding:3px 8px;"
	      "border-bottom:1px solid #ddd;text-align:right}\n"
	      "td:first-child,td:nth-child(2),th:first-child,"
	      "th:nth-child(2){text-align:left}\n"
	      "tr.bad td{background:#fde8e8}\n.pass{fill:#3a9a4a}"
	      ".fail{fill:#d0392b}.ax{font-size:11px;fill:#555}\n"
	      "svg text{font-size:12px}\n</style></head><body>\n",
	    fp);
	fputs("<h1>DMARC aggregate reports: ", fp);
	html_str(fp, domain != NULL ? domain : "all domains");
	fprintf(fp,
	    "</h1>\n<p>%zu reports, %llu messages, %s to %s; DMARC pass "
	    "%.1f%%.</p>\n",
	    s->nreports, s->total, d1, d2, pct(s->pass, s->total));
	fputs("<h2>Pass and fail per day</h2>\n", fp);
	svg_days(fp, s);
	fputs("<h2>Top sources failing DMARC (would break under "
	      "p=reject)</h2>\n",
	    fp);
	svg_top(fp, s);
	fputs("<h2>Sources</h2>\n<table><tr><th>Source IP</th><th>Header "
	      "From</th><th>Messages</th><th>SPF</th><th>DKIM</th>"
	      "<th>SPF aligned</th><th>DKIM aligned</th><th>DMARC</th>"
	      "</tr>\n",
	    fp);
	for (i = 0; i < s->nsrc; i++) {
		const struct sum_src *x = &s->src[i];

		fprintf(fp, "<tr%s><td>",
		    x->pass < x->n ? " class=\"bad\"" : "");
		html_str(fp, x->ip);
		fputs("</td><td>", fp);
		html_str(fp, x->from);
		fprintf(fp,
		    "</td><td>%llu</td><td>%.1f%%</td><td>%.1f%%</td>"
		    "<td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n",
		    x->n, pct(x->spf, x->n), pct(x->dkim, x->n),
		    pct(x->spf_al, x->n), pct(x->dkim_al, x->n),
		    pct(x->pass, x->n));
	}
	fputs("</table>\n</body></html>\n", fp);
	rc = ferror(fp) ? -1 : 0;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

int
cmd_summary(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"domain", required_argument, NULL, 'D'},
	    {"days", required_argument, NULL, 'n'},
	    {"html", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *uri = NULL, *domain = NULL, *html = NULL;
	const char *errstr = NULL;
	struct config *cfg = NULL;
	struct ingest_db *db = NULL;
	struct sum s;
	long long days = 0, since = 0;
	char err[512], dom[254];
	struct stat sb;
	size_t i;
	int ch, rc = 1;

	memset(&s, 0, sizeof(s));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			uri = optarg;
			break;
		case 'D':
			if (strlcpy(dom, optarg, sizeof(dom)) >= sizeof(dom)) {
				fprintf(stderr,
				    "dmarcctl: --domain: too "
				    "long\n");
				return EXIT_USAGE;
			}
			for (i = 0; dom[i] != '\0'; i++)
				if (dom[i] >= 'A' && dom[i] <= 'Z')
					dom[i] = (char)(dom[i] - 'A' + 'a');
			domain = dom;
			break;
		case 'n':
			days = strtonum(optarg, 1, SUMMARY_DAYS_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr,
				    "dmarcctl: --days: %s (1 to "
				    "%d)\n",
				    errstr, SUMMARY_DAYS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'H':
			html = optarg;
			break;
		case 'h':
			summary_usage(stdout);
			return 0;
		default:
			summary_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		summary_usage(stderr);
		return EXIT_USAGE;
	}
	if (uri == NULL) {
		if (cfgpath == NULL &&
		    stat(SYSCONFDIR "/dmarc-milter.conf", &sb) == 0)
			cfgpath = SYSCONFDIR "/dmarc-milter.conf";
		if (cfgpath != NULL
			? config_load(cfgpath, &cfg, err, sizeof(err))
			: config_default(&cfg)) {
			fprintf(stderr, "dmarcctl: %s\n",
			    cfgpath != NULL ? err : "out of memory");
			return 1;
		}
		uri = cfg->history_db;
	}
	if (uri[0] == '\0') {
		fprintf(stderr, "dmarcctl: summary: no HistoryDB configured\n");
		goto out;
	}
	if (ingest_db_open(uri, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	if (days > 0)
		since = (long long)time(NULL) - days * 86400;
	if (ingest_db_foreach(db, domain, since, sum_row, &s) != 0) {
		fprintf(stderr, "dmarcctl: summary: database error\n");
		goto out;
	}
	if (s.nsrc > 0)
		qsort(s.src, s.nsrc, sizeof(*s.src), by_volume);
	print_text(&s, domain);
	if (html != NULL && write_html(html, &s, domain) == -1) {
		fprintf(stderr, "dmarcctl: summary: %s: cannot write\n", html);
		goto out;
	}
	rc = 0;
out:
	free(s.src);
	free(s.idx);
	free(s.day);
	ingest_db_close(&db);
	config_free(&cfg);
	return rc;
}
