/*
 * test-from_header.c - RFC 5322 From: -> author domains
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/from_header.h"
#include "tests/t.h"

/* S - a literal and its length, so that a case may hold a NUL byte */
#define S(s) s, sizeof(s) - 1

struct fh_case {
	const char *name;
	const char *in;
	size_t len;
	const char *want; /* the domains, space-separated, or NULL if -1 */
	const char *err;  /* the error when want is NULL */
};

/* clang-format off */
static const struct fh_case cases[] = {
	/* mailbox forms */
	{ "bare addr-spec", S("a@example.com"), "example.com", NULL },
	{ "angle-addr", S("<a@example.com>"), "example.com", NULL },
	{ "display name", S("John Doe <john@Example.COM>"), "example.com",
	    NULL },
	{ "quoted display name", S("\"Doe, John\" <john@example.com>"),
	    "example.com", NULL },
	{ "escapes in display name",
	    S("\"John \\\"JD\\\" Doe \\\\\" <j@example.com>"), "example.com",
	    NULL },
	{ "obs-phrase with a dot", S("J. Smith <j@example.com>"),
	    "example.com", NULL },
	{ "@ in quoted display name", S("\"ceo@bank.example\" <u@x.org>"),
	    "x.org", NULL },
	{ "upper case", S("A@EXAMPLE.COM"), "example.com", NULL },
	{ "trailing dot", S("a@example.com."), "example.com", NULL },
	{ "underscore and hyphen", S("a@_x-y.example"), "_x-y.example", NULL },

	/* encoded words are phrase text, never decoded */
	{ "encoded word q", S("=?utf-8?q?J=C3=B6rg?= <j@example.com>"),
	    "example.com", NULL },
	{ "encoded word hiding an address",
	    S("=?utf-8?b?YUBldmlsLmV4YW1wbGU=?= <u@x.org>"), "x.org", NULL },
	{ "encoded word with =40",
	    S("=?utf-8?q?a=40evil.example?= <u@x.org>"), "x.org", NULL },
	{ "raw @ in an encoded word",
	    S("=?utf-8?q?u@evil.example?= <u@x.org>"), NULL, "bad domain" },

	/* comments */
	{ "trailing comment", S("a@example.com (Comment)"), "example.com",
	    NULL },
	{ "nested comment with escape",
	    S("(c1 (nested) \\) c2) a@example.com"), "example.com", NULL },
	{ "comments everywhere", S("a(c)@(c)example(c).(c)com(c)"),
	    "example.com", NULL },
	{ "comment before domain", S("user@(comment)victim.example"),
	    "victim.example", NULL },
	{ "comment between labels", S("a@x.org(comment).evil.example"),
	    "x.org.evil.example", NULL },
	{ "obs spaces around dots", S("a . b @ x . org"), "x.org", NULL },
	{ "comment with quote and parens",
	    S("a@x.org (say \"hi\" (to them))"), "x.org", NULL },
	{ "open paren in domain", S("a@x.org(.evil.com"), NULL,
	    "unbalanced comment" },
	{ "unterminated comment", S("a@x.org (unterminated"), NULL,
	    "unbalanced comment" },
	{ "stray close paren", S("a@x.org)"), NULL, "unbalanced comment" },

	/* obsolete route */
	{ "obs-route", S("<@a.example:u@b.example>"), "b.example", NULL },
	{ "obs-route list", S("Joe <@a.example,@c.example:u@b.example>"),
	    "b.example", NULL },
	{ "obs-route without colon", S("<@a.example u@b.example>"), NULL,
	    "bad route" },

	/* quoted local parts */
	{ "comma in local part", S("\"a,b\"@x.org"), "x.org", NULL },
	{ "@ in local part", S("\"a@evil.example\"@x.org"), "x.org", NULL },
	{ "angle brackets in local part", S("\"a>b<c\"@x.org"), "x.org",
	    NULL },
	{ "obs local part dots", S("john..doe.@x.org"), "x.org", NULL },
	{ "words without a dot", S("John Smith@x.org"), NULL,
	    "bad local part" },
	{ "unterminated quoted string", S("\"a@x.org"), NULL,
	    "unterminated quoted string" },

	/* several mailboxes, groups */
	{ "CVE-2019-16378 two domains",
	    S("a@victim.example, b@attacker.example"),
	    "victim.example attacker.example", NULL },
	{ "group", S("Group: a@x.org, b@y.org;"), "x.org y.org", NULL },
	{ "group among mailboxes", S("a@x.org, G: b@y.org;, c@z.org"),
	    "x.org y.org z.org", NULL },
	{ "empty group only", S("undisclosed-recipients:;"), NULL,
	    "no address" },
	{ "empty group and a mailbox", S("undisclosed-recipients:;, a@x.org"),
	    "x.org", NULL },
	{ "unterminated group", S("Group: a@x.org"), NULL,
	    "unterminated group" },
	{ "nested group", S("G: H: a@x.org;;"), NULL, "nested group" },
	{ "group without a name", S(": a@x.org;"), NULL,
	    "group without a name" },
	{ "text after group", S("G: a@x.org; b"), NULL,
	    "junk after address" },
	{ "obs empty list element", S("a@x.org,,b@y.org"), "x.org y.org",
	    NULL },
	{ "trailing comma", S("a@x.org,"), "x.org", NULL },
	{ "leading comma", S(", a@x.org"), "x.org", NULL },
	{ "only commas", S(", ,"), NULL, "no address" },
	{ "empty", S(""), NULL, "no address" },
	{ "blank", S("  \t "), NULL, "no address" },
	{ "only a comment", S("(nobody)"), NULL, "no address" },
	{ "duplicates folded", S("a@X.ORG, b@x.org, c@x.org."), "x.org",
	    NULL },
	{ "eight domains",
	    S("a@1.example,a@2.example,a@3.example,a@4.example,"
	      "a@5.example,a@6.example,a@7.example,a@8.example"),
	    "1.example 2.example 3.example 4.example 5.example 6.example "
	    "7.example 8.example",
	    NULL },
	{ "nine domains",
	    S("a@1.example,a@2.example,a@3.example,a@4.example,"
	      "a@5.example,a@6.example,a@7.example,a@8.example,a@9.example"),
	    NULL, "more than 8 author domains" },

	/* addresses without a domain (CVE-2021-34555 shape) */
	{ "CVE-2021-34555", S("u1@x.org, u2, u3@x.org"), NULL,
	    "address without a domain" },
	{ "local part only", S("u"), NULL, "address without a domain" },
	{ "display name only", S("John Doe"), NULL,
	    "address without a domain" },
	{ "angle without domain", S("<u>"), NULL,
	    "address without a domain" },
	{ "at without domain", S("a@"), NULL, "address without a domain" },
	{ "comma in domain", S("a@x.org,evil.example"), NULL,
	    "address without a domain" },
	{ "no local part", S("@x.org"), NULL,
	    "address without a local part" },
	{ "empty angle", S("<>"), NULL, "empty address" },
	{ "empty angle with name", S("John <>"), NULL, "empty address" },
	{ "unterminated angle", S("John <j@x.org"), NULL,
	    "unterminated angle bracket" },
	{ "unterminated empty angle", S("John <"), NULL,
	    "unterminated angle bracket" },
	{ "stray >", S("> a@x.org"), NULL, "unexpected '>'" },
	{ "address in display name", S("a@x.org <b@y.org>"), NULL,
	    "unquoted '@' in display name" },
	{ "two angle-addrs", S("<a@x.org> <b@y.org>"), NULL,
	    "junk after address" },
	{ "two addr-specs", S("a@x.org b@y.org"), NULL,
	    "junk after address" },
	{ "angle then text", S("<a@x.org b>"), NULL, "junk after address" },
	{ "semicolon outside group", S("a@x.org;"), NULL,
	    "junk after address" },

	/* domains */
	{ "domain literal", S("a@[192.0.2.1]"), NULL,
	    "domain literal not allowed" },
	{ "IPv6 literal", S("<a@[IPv6:2001:db8::1]>"), NULL,
	    "domain literal not allowed" },
	{ "unterminated literal", S("a@[192.0.2.1"), NULL,
	    "unterminated domain literal" },
	{ "quoted domain", S("a@\"x.org\""), NULL, "bad domain" },
	{ "two trailing dots", S("a@x.org.."), NULL, "bad domain" },
	{ "leading dot", S("a@.x.org"), NULL, "bad domain" },
	{ "bang in domain", S("a@x!y.org"), NULL, "bad domain" },
	{ "UTF-8 domain", S("a@b\303\274cher.example"),
	    "b\303\274cher.example", NULL },
	{ "UTF-8 domain upper case", S("a@B\303\234CHER.Example"),
	    "b\303\234cher.example", NULL },
	{ "not UTF-8", S("a@\xff.example"), NULL, "domain not UTF-8" },
	{ "overlong UTF-8", S("a@\xc0\xae.example"), NULL,
	    "domain not UTF-8" },
	{ "label of 63",
	    S("a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      ".example"),
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example",
	    NULL },
	{ "label of 64",
	    S("a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      ".example"),
	    NULL, "label too long" },

	/* bytes and line breaks */
	{ "NUL byte", S("a@x.org\0b@y.org"), NULL, "NUL byte" },
	{ "CRLF folding", S("John\r\n Doe <j@x.org>,\r\n\tb@y.org"),
	    "x.org y.org", NULL },
	{ "LF folding", S("a@x.org,\n\tb@y.org"), "x.org y.org", NULL },
	{ "folding in quoted string", S("\"John\r\n Doe\" <j@x.org>"),
	    "x.org", NULL },
	{ "folding in comment", S("a@x.org (a\n b)"), "x.org", NULL },
	{ "trailing CRLF", S("a@x.org\r\n"), "x.org", NULL },
	{ "LF starting a header", S("a@x.org\nBcc: b@y.org"), NULL,
	    "bad line break" },
	{ "bare CR", S("a@x.org\rb"), NULL, "bad line break" },
	{ "control character", S("a@x.org\x01"), NULL, "control character" },
	{ "backslash outside quotes", S("a\\b@x.org"), NULL,
	    "unexpected character" },
};
/* clang-format on */

/* check_domains - fd holds exactly the space-separated list want */
static int
check_domains(const struct from_domains *fd, const char *want)
{
	char buf[FROM_DOMAINS_MAX * (DOMAIN_MAX + 1) + 1];
	size_t k;

	buf[0] = '\0';
	for (k = 0; k < fd->n; k++) {
		if (k > 0)
			strlcat(buf, " ", sizeof(buf));
		strlcat(buf, fd->domain[k], sizeof(buf));
	}
	if (strcmp(buf, want) != 0) {
		printf("  domains \"%s\", want \"%s\"\n", buf, want);
		return 0;
	}
	return 1;
}

static void
test_table(void)
{
	struct from_domains fd;
	const struct fh_case *c;
	const char *err;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		t_begin(c->name);
		from_domains_init(&fd);
		err = NULL;
		r = from_header_parse(c->in, c->len, &fd, &err);
		if (c->want != NULL) {
			T_ASSERT_INTEQ(r, 0);
			T_ASSERT_STREQ(err, NULL);
			T_ASSERT_IDX(check_domains(&fd, c->want), i);
		} else {
			T_ASSERT_INTEQ(r, -1);
			T_ASSERT_STREQ(err, c->err);
		}
		t_end();
	}
}

/* two From: headers accumulate, duplicates across them folded */
static void
test_accumulate(void)
{
	struct from_domains fd;
	const char *err = NULL;

	t_begin("several From: headers accumulate");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(S("a@x.org, b@y.org"), &fd, &err), 0);
	T_ASSERT_INTEQ(from_header_parse(S("c@Y.org, d@z.org"), &fd, &err), 0);
	T_ASSERT(check_domains(&fd, "x.org y.org z.org"));
	T_ASSERT_STREQ(err, NULL);
	t_end();

	t_begin("the domain cap counts earlier headers");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(S("a@1.example,a@2.example,"
					   "a@3.example,a@4.example,"
					   "a@5.example,a@6.example,"
					   "a@7.example"),
			   &fd, &err),
	    0);
	T_ASSERT_INTEQ(from_header_parse(S("a@8.example, a@1.example"), &fd,
			   &err),
	    0);
	T_ASSERT_INTEQ(fd.n, 8);
	T_ASSERT_INTEQ(from_header_parse(S("a@9.example"), &fd, &err), -1);
	T_ASSERT_STREQ(err, "more than 8 author domains");
	T_ASSERT_INTEQ(fd.n, 8);
	t_end();

	t_begin("partial result before an error");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(S("a@x.org, u2"), &fd, &err), -1);
	T_ASSERT_STREQ(err, "address without a domain");
	T_ASSERT(check_domains(&fd, "x.org"));
	t_end();

	t_begin("NULL errstr_r is allowed");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(S("u"), &fd, NULL), -1);
	T_ASSERT_INTEQ(fd.n, 0);
	t_end();
}

/* fill - n copies of s, NUL-terminated, in a new buffer */
static char *
fill(const char *head, const char *s, size_t n, const char *tail)
{
	size_t hl = strlen(head), sl = strlen(s), tl = strlen(tail), k;
	char *b;

	if ((b = calloc(1, hl + sl * n + tl + 1)) == NULL)
		abort();
	memcpy(b, head, hl);
	for (k = 0; k < n; k++)
		memcpy(b + hl + k * sl, s, sl);
	memcpy(b + hl + n * sl, tail, tl);
	return b;
}

/* limits: addresses, lengths, and the time a hostile header costs */
static void
test_limits(void)
{
	struct from_domains fd;
	const char *err = NULL;
	char *b;
	clock_t t0;
	double secs;

	t_begin("64 addresses");
	b = fill("", "a@x.org,", FROM_ADDRS_MAX, "");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), 0);
	T_ASSERT(check_domains(&fd, "x.org"));
	free(b);
	t_end();

	t_begin("65 addresses");
	b = fill("", "a@x.org,", FROM_ADDRS_MAX + 1, "");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), -1);
	T_ASSERT_STREQ(err, "too many addresses");
	free(b);
	t_end();

	t_begin("domain of 253 octets");
	/* 4 labels of 61 and their dots (248) + "examp" (5) = 253 */
	b = fill("a@",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 4,
	    "examp");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(strlen(b) - 2, 253);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), 0);
	T_ASSERT_INTEQ(strlen(fd.domain[0]), 253);
	free(b);
	t_end();

	t_begin("domain of 254 octets");
	b = fill("a@",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 4,
	    "exampl");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), -1);
	T_ASSERT_STREQ(err, "domain too long");
	free(b);
	t_end();

	t_begin("253 octets and a trailing dot");
	b = fill("a@",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 4,
	    "examp.");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), 0);
	T_ASSERT_INTEQ(strlen(fd.domain[0]), 253);
	free(b);
	t_end();

	t_begin("FROM_HEADER_MAX + 1 is too long");
	b = fill("a@x.org", " ", FROM_HEADER_MAX + 1 - 7, "");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), -1);
	T_ASSERT_STREQ(err, "too long");
	T_ASSERT_INTEQ(from_header_parse(b, FROM_HEADER_MAX, &fd, &err), 0);
	free(b);
	t_end();

	t_begin("1 MB header refused at once");
	b = fill("", "a@x.org,", 1024 * 1024 / 8, "");
	from_domains_init(&fd);
	t0 = clock();
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), -1);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	T_ASSERT_STREQ(err, "too long");
	T_ASSERT_INTEQ(fd.n, 0);
	T_ASSERT(secs < 0.01);
	free(b);
	t_end();

	t_begin("deeply nested comment is linear");
	b = fill("a@x.org ", "(", 30000, "");
	{
		char *c = fill(b, ")", 30000, "");

		free(b);
		b = c;
	}
	from_domains_init(&fd);
	t0 = clock();
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	T_ASSERT(check_domains(&fd, "x.org"));
	T_ASSERT(secs < 0.1);
	free(b);
	t_end();

	t_begin("64 KB of empty elements");
	b = fill("", ",", FROM_HEADER_MAX, "");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), -1);
	T_ASSERT_STREQ(err, "no address");
	free(b);
	t_end();

	t_begin("64 KB display name");
	b = fill("", "w ", (FROM_HEADER_MAX - 16) / 2, "<a@x.org>");
	from_domains_init(&fd);
	t0 = clock();
	T_ASSERT_INTEQ(from_header_parse(b, strlen(b), &fd, &err), 0);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	T_ASSERT(check_domains(&fd, "x.org"));
	T_ASSERT(secs < 0.1);
	free(b);
	t_end();
}

/* the parser never reads past len: the byte after it must not count */
static void
test_bounds(void)
{
	struct from_domains fd;
	const char *err = NULL;
	char *b;

	t_begin("reads only len bytes");
	if ((b = malloc(7)) == NULL)
		abort();
	memcpy(b, "a@x.org", 7); /* no NUL: ASan catches a read past it */
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(b, 7, &fd, &err), 0);
	T_ASSERT(check_domains(&fd, "x.org"));
	T_ASSERT_INTEQ(from_header_parse(b, 3, &fd, &err), 0);
	T_ASSERT(check_domains(&fd, "x.org x"));
	free(b);
	t_end();

	t_begin("every prefix of a header parses or fails cleanly");
	{
		static const char h[] =
		    "\"D, J\" (c (n)) <@r.example:j@Ex.org>, G: a@y.org;, "
		    "=?utf-8?q?x?= <b@z.org.>";
		size_t n;
		int ok = 1;

		for (n = 0; n <= sizeof(h) - 1; n++) {
			if ((b = malloc(n + 1)) == NULL)
				abort();
			memcpy(b, h, n);
			from_domains_init(&fd);
			err = NULL;
			if (from_header_parse(b, n, &fd, &err) == 0)
				ok &= err == NULL && fd.n > 0;
			else
				ok &= err != NULL;
			free(b);
		}
		T_ASSERT(ok);
		from_domains_init(&fd);
		T_ASSERT_INTEQ(from_header_parse(S(h), &fd, &err), 0);
		T_ASSERT(check_domains(&fd, "ex.org y.org z.org"));
	}
	t_end();
}

/* from_header_scan: the domains of a field the parser refused */
static const struct {
	const char *in;
	const char *want; /* domains joined by ' ' */
} scan_cases[] = {
	{ "ceo@Victim.Example, u2", "victim.example" },
	{ "u1@x.org, u2, u3@x.org", "x.org" },
	{ "ceo@victim.example <attacker@evil.example>",
	    "victim.example evil.example" },
	{ "a@x.org(.evil.com", "x.org" },
	{ "x@victim.example.", "victim.example" },
	{ "x@a..b.example, y@ok.example", "ok.example" },
	{ "no at sign here", "" },
	{ "@", "" },
	{ "a@@b.example", "b.example" },
	/* a name that is not UTF-8 is no name: the others still count */
	{ "ceo@victim.example, u@\xff\xfe.example", "victim.example" },
	{ "u@\xc3.example, ceo@victim.example", "victim.example" },
	{ "u@\xed\xa0\x80.example ceo@b\xc3\xbc" "cher.example",
	    "b\xc3\xbc" "cher.example" },
	{ "a@1.example b@2.example c@3.example d@4.example e@5.example "
	  "f@6.example g@7.example h@8.example i@9.example",
	    "1.example 2.example 3.example 4.example 5.example 6.example "
	    "7.example 8.example" },
};

static void
test_scan(void)
{
	struct from_domains fd;
	char got[FROM_DOMAINS_MAX * (DOMAIN_MAX + 2)];
	size_t i, k, n;

	t_begin("from_header_scan finds every @domain of a refused field");
	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		from_domains_init(&fd);
		n = from_header_scan(scan_cases[i].in,
		    strlen(scan_cases[i].in), &fd);
		T_ASSERT_IDX(n == fd.n, i);
		got[0] = '\0';
		for (k = 0; k < fd.n; k++) {
			if (k > 0)
				strlcat(got, " ", sizeof(got));
			strlcat(got, fd.domain[k], sizeof(got));
		}
		T_ASSERT_STREQ(got, scan_cases[i].want);
	}
	t_end();
}

/* a ninth distinct domain is never dropped silently */
static void
test_truncated(void)
{
	static const char nine[] = "a@d1.example, a@d2.example, a@d3.example, "
				   "a@d4.example, a@d5.example, a@d6.example, "
				   "a@d7.example, a@d8.example, a@d9.example";
	static const char eight[] = "a@d1.example, a@d2.example, "
				    "a@d3.example, a@d4.example, a@d5.example, "
				    "a@d6.example, a@d7.example, a@d8.example, "
				    "b@d1.example";
	struct from_domains fd;
	const char *err = NULL;

	t_begin("from_header: more than FROM_DOMAINS_MAX domains is flagged");
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(nine, strlen(nine), &fd, &err), -1);
	T_ASSERT(fd.truncated);
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_scan(nine, strlen(nine), &fd),
	    FROM_DOMAINS_MAX);
	T_ASSERT(fd.truncated);
	T_ASSERT_STREQ(fd.domain[FROM_DOMAINS_MAX - 1], "d8.example");
	/* eight distinct, one repeated: nothing left out */
	from_domains_init(&fd);
	T_ASSERT_INTEQ(from_header_parse(eight, strlen(eight), &fd, &err), 0);
	T_ASSERT_INTEQ(fd.n, 8);
	T_ASSERT(!fd.truncated);
	from_domains_init(&fd);
	(void)from_header_scan(eight, strlen(eight), &fd);
	T_ASSERT(!fd.truncated);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_table, test_accumulate,
	    test_limits, test_bounds, test_scan, test_truncated, NULL};

	return t_run(tests);
}
