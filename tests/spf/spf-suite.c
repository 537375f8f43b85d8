/*
 * spf-suite.c - run the RFC 7208 test suite through spf_check_mfrom()
 *
 * usage: spf-suite DIR
 *
 * DIR holds what tests/spf/rfc7208.py made: cases.txt and one zone file
 * per scenario.  Each case is checked as pyspf's testspf.py does it: the
 * MAIL FROM identity with the given HELO (an empty MAIL FROM is the null
 * sender, i.e. postmaster@HELO); for those the HELO identity is checked
 * too, through spf_check_helo(), as an extra case "NAME (helo)" with the
 * same accepted results.  Explanations are not compared: the API does not
 * return them (spf.h).
 *
 * A case we knowingly cannot pass is listed in known_failures[] with its
 * reason and counted as skipped, never silently; a listed case that
 * passes is a failure, so that the table stays true.  The last line is
 * "N passed, N failed, N skipped"; the exit status is 1 on any failure.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/resolver.h"
#include "auth/spf.h"

#define SUITE_LINE_MAX 4096 /* longest case line is far shorter */
#define SUITE_FIELDS   7
#define SUITE_RESULTS  4 /* accepted results of one case */

/*
 * Cases we knowingly cannot pass, "SCENARIO/CASE" as printed, and why.
 * Keep each reason precise: it is the documentation of a known deviation.
 */
static const struct {
	const char *name;
	const char *reason;
} known_failures[] = {{NULL, NULL}};

struct suite_case {
	char *field[SUITE_FIELDS]; /* zone, scenario, case, host, helo,
					 * mailfrom, results */
};

enum { F_ZONE, F_SCEN, F_CASE, F_HOST, F_HELO, F_FROM, F_RESULTS };

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape - decode the C escapes of rfc7208.py in place */
static int
unescape(char *s)
{
	char *o = s;
	int hi, lo;

	while (*s != '\0') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		switch (s[1]) {
		case '\\':
			*o++ = '\\';
			s += 2;
			break;
		case 't':
			*o++ = '\t';
			s += 2;
			break;
		case 'n':
			*o++ = '\n';
			s += 2;
			break;
		case 'x':
			if ((hi = hexval(s[2])) == -1 ||
			    (lo = hexval(s[3])) == -1 || (hi == 0 && lo == 0))
				return -1;
			*o++ = (char)(hi << 4 | lo);
			s += 4;
			break;
		default:
			return -1;
		}
	}
	*o = '\0';
	return 0;
}

/* split - TAB-separated fields of one line, unescaped */
static int
split(char *line, struct suite_case *c)
{
	char *p = line;
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < SUITE_FIELDS; i++) {
		c->field[i] = strsep(&p, "\t");
		if (c->field[i] == NULL || unescape(c->field[i]) == -1)
			return -1;
	}
	return p == NULL ? 0 : -1;
}

static const char *
known_failure(const char *name)
{
	size_t i;

	for (i = 0; known_failures[i].name != NULL; i++)
		if (strcmp(known_failures[i].name, name) == 0)
			return known_failures[i].reason;
	return NULL;
}

/* accepted - is got one of the comma-separated results? */
static int
accepted(const char *results, const char *got)
{
	char buf[128], *p, *r;

	if (strlcpy(buf, results, sizeof(buf)) >= sizeof(buf))
		return 0;
	for (p = buf; (r = strsep(&p, ",")) != NULL;)
		if (strcmp(r, got) == 0)
			return 1;
	return 0;
}

struct tally {
	int pass, fail, skip;
};

/* judge - print and count one outcome */
static void
judge(struct tally *t, const char *name, const char *want,
    const struct spf_check *out, int rc)
{
	const char *got = rc == 0 ? spf_result_str(out->result) : "(error)";
	const char *why = known_failure(name);
	int ok = rc == 0 && accepted(want, got);

	if (ok && why == NULL) {
		printf("ok %s\n", name);
		t->pass++;
	} else if (ok) {
		printf("FAIL %s: passes, remove it from known_failures[]\n",
		    name);
		t->fail++;
	} else if (why != NULL) {
		printf("skip %s: got %s, want %s: %s\n", name, got, want, why);
		t->skip++;
	} else {
		printf("FAIL %s: got %s, want %s (%s)\n", name, got, want,
		    out->reason);
		t->fail++;
	}
}

int
main(int argc, char **argv)
{
	struct resolver_opts opts;
	struct resolver *res = NULL;
	struct spf_ctx *ctx = NULL;
	struct suite_case c;
	struct spf_check out;
	struct tally t = {0, 0, 0};
	char path[1024], line[SUITE_LINE_MAX], zone[64] = "", err[512];
	char name[512];
	FILE *f;
	int rc, lineno = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: spf-suite DIR\n");
		return 2;
	}
	if (snprintf(path, sizeof(path), "%s/cases.txt", argv[1]) >=
		(int)sizeof(path) ||
	    (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "spf-suite: %s: cannot open\n", path);
		return 2;
	}
	memset(&opts, 0, sizeof(opts));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (split(line, &c) == -1) {
			printf("FAIL cases.txt:%d: malformed line\n", lineno);
			t.fail++;
			continue;
		}
		/* one resolver per scenario: its zone file */
		if (strcmp(zone, c.field[F_ZONE]) != 0) {
			spf_ctx_free(&ctx);
			resolver_free(&res);
			if (strlcpy(zone, c.field[F_ZONE], sizeof(zone)) >=
			    sizeof(zone))
				return 2;
			if (snprintf(path, sizeof(path), "%s/%s", argv[1],
				zone) >= (int)sizeof(path))
				return 2;
			opts.zone_file = path;
			if (resolver_new(&opts, &res, err, sizeof(err)) == -1 ||
			    spf_ctx_new(res, &ctx, err, sizeof(err)) == -1) {
				printf("FAIL %s: %s\n", zone, err);
				t.fail++;
				zone[0] = '\0';
				continue;
			}
		}
		if (ctx == NULL) {
			t.fail++;
			continue;
		}
		(void)snprintf(name, sizeof(name), "%s/%s", c.field[F_SCEN],
		    c.field[F_CASE]);
		rc = spf_check_mfrom(ctx, c.field[F_HOST], c.field[F_HELO],
		    c.field[F_FROM], &out);
		judge(&t, name, c.field[F_RESULTS], &out, rc);
		if (c.field[F_FROM][0] == '\0') {
			(void)snprintf(name, sizeof(name), "%s/%s (helo)",
			    c.field[F_SCEN], c.field[F_CASE]);
			rc = spf_check_helo(ctx, c.field[F_HOST],
			    c.field[F_HELO], &out);
			judge(&t, name, c.field[F_RESULTS], &out, rc);
		}
	}
	fclose(f);
	spf_ctx_free(&ctx);
	resolver_free(&res);
	if (lineno == 0) {
		printf("FAIL cases.txt: no cases\n");
		t.fail++;
	}
	printf("%d passed, %d failed, %d skipped\n", t.pass, t.fail, t.skip);
	return t.fail != 0;
}
