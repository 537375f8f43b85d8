/*
 * test-authres.c - Authentication-Results writer and parsers, and the
 * sbuf they are built on
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/authres.h"
#include "policy/sbuf.h"
#include "tests/t.h"

/* S - a literal and its length, so that a case may hold a NUL byte */
#define S(s) s, sizeof(s) - 1

/* ---- sbuf ---- */

static void
test_sbuf(void)
{
	struct sbuf sb;
	char b[8], canary[4];

	t_begin("sbuf: append within the cap");
	sbuf_init(&sb, b, sizeof(b));
	T_ASSERT_STREQ(sb.buf, "");
	sbuf_adds(&sb, "abc");
	sbuf_addc(&sb, 'd');
	sbuf_add(&sb, "efXX", 2);
	T_ASSERT_STREQ(b, "abcdef");
	T_ASSERT_INTEQ(sb.len, 6);
	T_ASSERT_INTEQ(sb.overflow, 0);
	sbuf_add(&sb, "", 0);
	T_ASSERT_INTEQ(sb.overflow, 0);
	sbuf_addc(&sb, 'g'); /* 7 bytes and the NUL: full, not over */
	T_ASSERT_STREQ(b, "abcdefg");
	T_ASSERT_INTEQ(sb.overflow, 0);
	t_end();

	t_begin("sbuf: overflow keeps what fits and says so");
	sbuf_addc(&sb, 'h');
	T_ASSERT_STREQ(b, "abcdefg");
	T_ASSERT_INTEQ(sb.len, 7);
	T_ASSERT_INTEQ(sb.overflow, 1);
	sbuf_init(&sb, b, sizeof(b));
	sbuf_adds(&sb, "0123456789");
	T_ASSERT_STREQ(b, "0123456");
	T_ASSERT_INTEQ(sb.overflow, 1);
	t_end();

	t_begin("sbuf: the flag stays set until truncate");
	sbuf_add(&sb, "", 0);
	T_ASSERT_INTEQ(sb.overflow, 1);
	sbuf_truncate(&sb, 3);
	T_ASSERT_STREQ(b, "012");
	T_ASSERT_INTEQ(sb.len, 3);
	T_ASSERT_INTEQ(sb.overflow, 0);
	sbuf_truncate(&sb, 5); /* longer than len: no change */
	T_ASSERT_STREQ(b, "012");
	t_end();

	t_begin("sbuf: addf fits");
	sbuf_init(&sb, b, sizeof(b));
	sbuf_addf(&sb, "%d-%s", 12, "ab");
	T_ASSERT_STREQ(b, "12-ab");
	T_ASSERT_INTEQ(sb.len, 5);
	T_ASSERT_INTEQ(sb.overflow, 0);
	t_end();

	t_begin("sbuf: addf overflows");
	sbuf_addf(&sb, "%s", "xyz");
	T_ASSERT_STREQ(b, "12-abxy");
	T_ASSERT_INTEQ(sb.len, 7);
	T_ASSERT_INTEQ(sb.overflow, 1);
	sbuf_init(&sb, b, sizeof(b));
	sbuf_addf(&sb, "%s", "");
	T_ASSERT_INTEQ(sb.overflow, 0);
	T_ASSERT_STREQ(b, "");
	t_end();

	t_begin("sbuf: never writes past cap");
	memset(canary, 'Z', sizeof(canary));
	sbuf_init(&sb, canary, 2);
	sbuf_adds(&sb, "abcdef");
	sbuf_addf(&sb, "%08d", 1);
	sbuf_addc(&sb, 'q');
	T_ASSERT_STREQ(canary, "a");
	T_ASSERT(canary[2] == 'Z' && canary[3] == 'Z');
	T_ASSERT_INTEQ(sb.overflow, 1);
	t_end();

	t_begin("sbuf: cap 1 holds only the NUL");
	sbuf_init(&sb, b, 1);
	sbuf_addc(&sb, 'x');
	T_ASSERT_STREQ(b, "");
	T_ASSERT_INTEQ(sb.len, 0);
	T_ASSERT_INTEQ(sb.overflow, 1);
	t_end();

	t_begin("sbuf: cap 0 holds nothing");
	sbuf_init(&sb, NULL, 0);
	sbuf_adds(&sb, "");
	T_ASSERT_INTEQ(sb.overflow, 0);
	sbuf_adds(&sb, "x");
	T_ASSERT_INTEQ(sb.overflow, 1);
	sbuf_init(&sb, NULL, 0);
	sbuf_addf(&sb, "%s", "x");
	T_ASSERT_INTEQ(sb.overflow, 1);
	T_ASSERT_INTEQ(sb.len, 0);
	t_end();
}

/* ---- authres_format ---- */

/* clang-format off */
static const struct authres_result three[] = {
	{ "spf", "pass", NULL, 1,
	    { { "smtp", "mailfrom", "a@example.com" } } },
	{ "dkim", "pass", NULL, 2,
	    { { "header", "d", "example.com" }, { "header", "s", "s1" } } },
	{ "dmarc", "fail", "p=reject", 2,
	    { { "policy", "dmarc", "reject" },
		{ "header", "from", "example.com" } } },
};
/* clang-format on */

static void
test_format(void)
{
	char out[AUTHRES_MAX];
	struct authres_result r[2];

	t_begin("format: no results");
	T_ASSERT_INTEQ(authres_format("mx.example.net", NULL, 0, 0, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "mx.example.net; none");
	T_ASSERT_INTEQ(authres_format("mx.example.net", NULL, 0, 1, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "mx.example.net; none");
	t_end();

	t_begin("format: one line");
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 0, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out,
	    "mx.example.net; spf=pass smtp.mailfrom=a@example.com; "
	    "dkim=pass header.d=example.com header.s=s1; dmarc=fail "
	    "(p=reject) policy.dmarc=reject header.from=example.com");
	t_end();

	t_begin("format: folded");
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 1, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out,
	    "mx.example.net;\n"
	    "\tspf=pass smtp.mailfrom=a@example.com;\n"
	    "\tdkim=pass header.d=example.com header.s=s1;\n"
	    "\tdmarc=fail (p=reject) policy.dmarc=reject "
	    "header.from=example.com");
	t_end();

	t_begin("format: a long result folds between its parts");
	memset(r, 0, sizeof(r));
	r[0] = (struct authres_result){"dkim", "pass",
	    "2048-bit key; signature verified", 4,
	    {{"header", "d", "mail.subdomain.example.com"},
		{"header", "i", "@mail.subdomain.example.com"},
		{"header", "s", "selector2024"}, {"header", "b", "AbCdEfGh"}}};
	r[1] = (struct authres_result){"spf", "none", NULL, 0, {{0}}};
	T_ASSERT_INTEQ(authres_format("mx.example.net", r, 2, 1, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out,
	    "mx.example.net;\n"
	    "\tdkim=pass (2048-bit key; signature verified)\n"
	    "\theader.d=mail.subdomain.example.com "
	    "header.i=@mail.subdomain.example.com\n"
	    "\theader.s=selector2024 header.b=AbCdEfGh;\n"
	    "\tspf=none");
	{
		/* every line within AUTHRES_LINE_MAX octets */
		const char *p = out, *nl;
		size_t first = 1, worst = 0, n;

		for (;; p = nl + 1, first = 0) {
			nl = strchr(p, '\n');
			n = (nl ? (size_t)(nl - p) : strlen(p)) +
			    (first ? 24 : 0);
			if (n > worst)
				worst = n;
			if (nl == NULL)
				break;
		}
		T_ASSERT(worst <= AUTHRES_LINE_MAX);
	}
	T_ASSERT_INTEQ(authres_format("mx.example.net", r, 2, 0, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out,
	    "mx.example.net; dkim=pass (2048-bit key; signature verified) "
	    "header.d=mail.subdomain.example.com "
	    "header.i=@mail.subdomain.example.com header.s=selector2024 "
	    "header.b=AbCdEfGh; spf=none");
	t_end();

	t_begin("format: a quoted authserv-id");
	T_ASSERT_INTEQ(authres_format("my \"id\"", NULL, 0, 0, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "\"my \\\"id\\\"\"; none");
	t_end();
}

/* hostile values: what a sender controls must come out inert */
/* clang-format off */
static const struct {
	const char *name, *in, *want;
} values[] = {
	{ "token", "s1", "s1" },
	{ "domain", "example.com", "example.com" },
	{ "address", "user@example.com", "user@example.com" },
	{ "@domain", "@example.com", "@example.com" },
	{ "SRS address", "SRS0=x1=AB=example.org=u@fwd.example",
	    "SRS0=x1=AB=example.org=u@fwd.example" },
	{ "empty", "", "\"\"" },
	{ "quote", "a\"b", "\"a\\\"b\"" },
	{ "backslash", "\\", "\"\\\\\"" },
	{ "open paren", "(", "\"(\"" },
	{ "close paren", ")", "\")\"" },
	{ "header injection", "x\r\nBcc: evil@example.com",
	    "\"x??Bcc: evil@example.com\"" },
	{ "LF", "a\nb", "\"a?b\"" },
	{ "tab and DEL", "a\tb\x7f", "\"a?b?\"" },
	{ "semicolon", "a;dkim=pass", "\"a;dkim=pass\"" },
	{ "space", "a b", "\"a b\"" },
	{ "two @", "a@b@example.com", "\"a@b@example.com\"" },
	{ "space in local part", "a b@example.com", "\"a b@example.com\"" },
	{ "underscore domain", "u@_x.example", "\"u@_x.example\"" },
	{ "single-label domain", "u@localhost", "\"u@localhost\"" },
	{ "dot-dot local part", "a..b@example.com", "\"a..b@example.com\"" },
	{ "UTF-8", "b\303\274cher", "\"b\303\274cher\"" },
	{ "not UTF-8", "a\xff\xc3", "\"a??\"" },
	{ "surrogate", "\xed\xa0\x80", "\"???\"" },
};
/* clang-format on */

static void
test_format_values(void)
{
	char out[AUTHRES_MAX], want[256];
	struct authres_result r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.method = "dkim";
	r.result = "fail";
	r.nprop = 1;
	r.prop[0].ptype = "header";
	r.prop[0].property = "s";
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		t_begin(values[i].name);
		r.prop[0].value = values[i].in;
		snprintf(want, sizeof(want),
		    "mx.example; dkim=fail header.s=%s", values[i].want);
		T_ASSERT_INTEQ(authres_format("mx.example", &r, 1, 0, out,
				   sizeof(out)),
		    0);
		T_ASSERT_STREQ(out, want);
		T_ASSERT(strpbrk(out, "\r\n") == NULL);
		t_end();
	}

	t_begin("format: hostile comment");
	r.prop[0].value = "s1";
	r.comment = "p=reject (x) \\ y\r\nBcc: z";
	T_ASSERT_INTEQ(authres_format("mx.example", &r, 1, 1, out, sizeof(out)),
	    0);
	T_ASSERT_STREQ(out,
	    "mx.example;\n\tdkim=fail "
	    "(p=reject \\(x\\) \\\\ yBcc: z) header.s=s1");
	r.comment = ")";
	T_ASSERT_INTEQ(authres_format("mx.example", &r, 1, 0, out, sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "mx.example; dkim=fail (\\)) header.s=s1");
	r.comment = "";
	T_ASSERT_INTEQ(authres_format("mx.example", &r, 1, 0, out, sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "mx.example; dkim=fail header.s=s1");
	t_end();

	t_begin("format: hostile authserv-id");
	T_ASSERT_INTEQ(authres_format("mx\r\nX-Evil: 1", NULL, 0, 0, out,
			   sizeof(out)),
	    0);
	T_ASSERT_STREQ(out, "\"mx??X-Evil: 1\"; none");
	t_end();
}

static void
test_format_errors(void)
{
	char out[AUTHRES_MAX + 64], big[AUTHRES_MAX];
	struct authres_result r;
	size_t need;

	t_begin("format: exact fit and one byte short");
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 0, out,
			   sizeof(out)),
	    0);
	need = strlen(out) + 1;
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 0, out, need),
	    0);
	T_ASSERT_INTEQ(strlen(out) + 1, need);
	memset(out, 'Z', sizeof(out));
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 0, out,
			   need - 1),
	    -1);
	T_ASSERT_STREQ(out, "");
	T_ASSERT(out[need - 1] == 'Z');
	T_ASSERT_INTEQ(authres_format("mx.example.net", three, 3, 0, out, 0),
	    -1);
	T_ASSERT_INTEQ(authres_format("mx.example.net", NULL, 0, 0, out, 5),
	    -1);
	T_ASSERT_STREQ(out, "");
	t_end();

	t_begin("format: never past AUTHRES_MAX");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.method = "dkim";
	r.result = "pass";
	r.nprop = 1;
	r.prop[0] = (struct authres_prop){"header", "s", big};
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	T_ASSERT_STREQ(out, "");
	big[AUTHRES_MAX - 40] = '\0';
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), 0);
	T_ASSERT(strlen(out) < AUTHRES_MAX);
	t_end();

	t_begin("format: caller bugs are refused");
	r.prop[0].value = "s1";
	T_ASSERT_INTEQ(authres_format(NULL, &r, 1, 0, out, sizeof(out)), -1);
	T_ASSERT_INTEQ(authres_format("", &r, 1, 0, out, sizeof(out)), -1);
	memset(big, 'a', AUTHRES_SERVID_MAX + 1);
	big[AUTHRES_SERVID_MAX + 1] = '\0';
	T_ASSERT_INTEQ(authres_format(big, &r, 1, 0, out, sizeof(out)), -1);
	big[AUTHRES_SERVID_MAX] = '\0';
	T_ASSERT_INTEQ(authres_format(big, &r, 1, 0, out, sizeof(out)), 0);
	T_ASSERT_INTEQ(authres_format("mx", NULL, 1, 0, out, sizeof(out)), -1);
	r.method = "sp f";
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	r.method = "dkim";
	r.result = "pass;x=y";
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	r.result = "pass";
	r.prop[0].property = "s\n";
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	r.prop[0].property = "s";
	r.prop[0].value = NULL;
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	r.prop[0].value = "s1";
	r.nprop = AUTHRES_PROPS_MAX + 1;
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), -1);
	T_ASSERT_STREQ(out, "");
	r.nprop = 1;
	T_ASSERT_INTEQ(authres_format("mx", &r, 1, 0, out, sizeof(out)), 0);
	T_ASSERT_STREQ(out, "mx; dkim=pass header.s=s1");
	t_end();
}

/* ---- authres_parse_servid, authres_is_ours ---- */

/* clang-format off */
static const struct {
	const char *name, *in;
	size_t len;
	const char *want; /* NULL: -1 */
} servids[] = {
	{ "plain", S("example.org; none"), "example.org" },
	{ "upper case", S("Example.ORG; none"), "example.org" },
	{ "leading space", S("   example.org;spf=pass"), "example.org" },
	{ "leading fold", S("\r\n example.org;\r\n spf=pass"), "example.org" },
	{ "leading LF fold", S("\n\texample.org; none"), "example.org" },
	{ "comment before", S("(comment) example.org; none"), "example.org" },
	{ "nested comments", S("(a (b) \\) c) example.org (d (e)); none"),
	    "example.org" },
	{ "version", S("example.org 1; none"), "example.org" },
	{ "version with comments", S("example.org (x) 1 (y); none"),
	    "example.org" },
	{ "RFC 8601 B.7", S("foo.example.net (foobar) 1 (baz);\n"
			    "    dkim (Because I like it) / 1 (One yay) = "
			    "(wait for it) fail"),
	    "foo.example.net" },
	{ "quoted", S("\"example.org\"; none"), "example.org" },
	{ "quoted with escape", S("\"Ex\\\"ample\"; none"), "ex\"ample" },
	{ "quoted with space", S("\"my id\" ; none"), "my id" },
	{ "no space", S("mx.example.net;dkim=pass"), "mx.example.net" },
	{ "comment glued", S("mx.example.net(c);dkim=pass"),
	    "mx.example.net" },
	{ "folded before semicolon", S("example.org\r\n\t; spf=pass"),
	    "example.org" },
	{ "8-bit id", S("mx.b\303\274cher.example; none"),
	    "mx.b\303\274cher.example" },
	{ "empty", S(""), NULL },
	{ "blank", S("  \t"), NULL },
	{ "only a comment", S("(example.org)"), NULL },
	{ "unterminated comment", S("(x example.org; none"), NULL },
	{ "stray close paren", S(") example.org; none"), NULL },
	{ "no id", S("; spf=pass"), NULL },
	{ "no semicolon", S("example.org"), NULL },
	{ "method instead of semicolon", S("example.org spf=pass"), NULL },
	{ "unterminated quote", S("\"example.org; none"), NULL },
	{ "NUL byte", S("example.org\0; none"), NULL },
	{ "NUL later", S("example.org; spf=pass\0"), NULL },
	{ "bad fold", S("example.org\nX-Evil: y; none"), NULL },
	{ "dotted version", S("example.org 1.0; none"), NULL },
	{ "slash in id", S("example.org/x; none"), NULL },
};
/* clang-format on */

static void
test_servid(void)
{
	char id[AUTHRES_SERVID_MAX + 1], small[5];
	size_t i;
	int r;

	for (i = 0; i < sizeof(servids) / sizeof(servids[0]); i++) {
		t_begin(servids[i].name);
		memset(id, 'Z', sizeof(id));
		r = authres_parse_servid(servids[i].in, servids[i].len, id,
		    sizeof(id));
		if (servids[i].want != NULL) {
			T_ASSERT_INTEQ(r, 0);
			T_ASSERT_STREQ(id, servids[i].want);
		} else {
			T_ASSERT_INTEQ(r, -1);
			T_ASSERT_STREQ(id, "");
		}
		t_end();
	}

	t_begin("servid: buffer too small");
	T_ASSERT_INTEQ(authres_parse_servid(S("abcd; none"), small,
			   sizeof(small)),
	    0);
	T_ASSERT_STREQ(small, "abcd");
	T_ASSERT_INTEQ(authres_parse_servid(S("abcde; none"), small,
			   sizeof(small)),
	    -1);
	T_ASSERT_STREQ(small, "");
	T_ASSERT_INTEQ(authres_parse_servid(S("abcde; none"), small, 0), -1);
	t_end();

	t_begin("servid: AUTHRES_SERVID_MAX");
	{
		char v[AUTHRES_SERVID_MAX + 16], want[AUTHRES_SERVID_MAX + 2];
		char big[AUTHRES_SERVID_MAX + 1];
		struct authres_parsed p;

		memset(want, 'a', sizeof(want));
		want[AUTHRES_SERVID_MAX] = '\0';
		snprintf(v, sizeof(v), "%s; none", want);
		T_ASSERT_INTEQ(authres_parse_servid(v, strlen(v), big,
				   sizeof(big)),
		    0);
		T_ASSERT_STREQ(big, want);
		T_ASSERT_INTEQ(authres_is_ours(v, strlen(v), want), 1);
		T_ASSERT_INTEQ(authres_parse(v, strlen(v), &p), 0);
		T_ASSERT_STREQ(p.servid, want);
		want[AUTHRES_SERVID_MAX] = 'a';
		want[AUTHRES_SERVID_MAX + 1] = '\0';
		snprintf(v, sizeof(v), "%s; none", want);
		T_ASSERT_INTEQ(authres_parse_servid(v, strlen(v), big,
				   sizeof(big)),
		    -1);
		T_ASSERT_INTEQ(authres_is_ours(v, strlen(v), want), 0);
		T_ASSERT_INTEQ(authres_parse(v, strlen(v), &p), -1);
	}
	t_end();
}

/* clang-format off */
static const struct {
	const char *name, *in;
	size_t len;
	int want;
} ours[] = {
	{ "ours", S("mx.example.net; none"), 1 },
	{ "ours, other case", S("MX.Example.NET; spf=pass"), 1 },
	{ "ours, folded and commented",
	    S("\r\n (forged) \"mx.example.NET\" 1 (x);\r\n\tdmarc=pass"), 1 },
	{ "ours, malformed after the id", S("mx.example.net dmarc=pass"), 1 },
	{ "ours, NUL after the id", S("mx.example.net\0; x"), 1 },
	{ "ours, version 2", S("mx.example.net 2; dmarc=pass"), 1 },
	{ "longer name", S("mx.example.net.evil; none"), 0 },
	{ "shorter name", S("example.net; none"), 0 },
	{ "other id first", S("evil.example mx.example.net; none"), 0 },
	{ "ours only in a property",
	    S("other.example; spf=pass smtp.mailfrom=mx.example.net"), 0 },
	{ "ours only in a comment", S("(mx.example.net) other.example; none"),
	    0 },
	{ "empty", S(""), 0 },
	{ "unterminated comment", S("(mx.example.net; none"), 0 },
};
/* clang-format on */

static void
test_is_ours(void)
{
	size_t i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		t_begin(ours[i].name);
		T_ASSERT_INTEQ(authres_is_ours(ours[i].in, ours[i].len,
				   "mx.example.net"),
		    ours[i].want);
		t_end();
	}
	t_begin("is_ours: empty or NULL own id");
	T_ASSERT_INTEQ(authres_is_ours(S("; none"), ""), 0);
	T_ASSERT_INTEQ(authres_is_ours(S("x; none"), NULL), 0);
	t_end();
}

/* ---- authres_parse ---- */

/* clang-format off */
static const struct {
	const char *name, *in;
	size_t len;
	const char *servid; /* NULL: -1 */
	const char *pairs;  /* "method=result ..." */
} parses[] = {
	{ "RFC 8601 B.2", S("example.org 1; none"), "example.org", "" },
	{ "RFC 8601 B.3",
	    S("example.com;\n          spf=pass smtp.mailfrom=example.net"),
	    "example.com", "spf=pass" },
	{ "RFC 8601 B.4 first",
	    S("example.com;\n"
	      "          auth=pass (cram-md5) smtp.auth=sender@example.net;\n"
	      "          spf=pass smtp.mailfrom=example.net"),
	    "example.com", "auth=pass spf=pass" },
	{ "RFC 8601 B.4 second",
	    S("example.com; iprev=pass\n          policy.iprev=192.0.2.200"),
	    "example.com", "iprev=pass" },
	{ "RFC 8601 B.5",
	    S("example.com;\n"
	      "          dkim=pass (good signature) header.d=example.com"),
	    "example.com", "dkim=pass" },
	{ "RFC 8601 B.6",
	    S("example.com;\n"
	      "      dkim=pass reason=\"good signature\"\n"
	      "        header.i=@mail-router.example.net;\n"
	      "      dkim=fail reason=\"bad signature\"\n"
	      "        header.i=@newyork.example.com"),
	    "example.com", "dkim=pass dkim=fail" },
	{ "RFC 8601 B.7",
	    S("foo.example.net (foobar) 1 (baz);\n"
	      "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\n"
	      "      policy (A dot can go here) . (like that) expired\n"
	      "      (this surprised me) = (as I wasn't expecting it) "
	      "1362471462"),
	    "foo.example.net", "dkim=fail" },
	{ "RFC 8601 2.7.6",
	    S("example.com;\n          foo=pass bar.baz=blob (2 of 3 tests OK)"),
	    "example.com", "foo=pass" },
	{ "large provider, folded",
	    S("mx.google.example;\r\n"
	      "       dkim=pass header.i=@example.com header.s=20230601 "
	      "header.b=Ab/Cd+Ef;\r\n"
	      "       spf=pass (google.example: domain of a@example.com "
	      "designates 192.0.2.1 as permitted sender) "
	      "smtp.mailfrom=a@example.com;\r\n"
	      "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) "
	      "header.from=example.com"),
	    "mx.google.example", "dkim=pass spf=pass dmarc=pass" },
	{ "bare key=value and trailing semicolon",
	    S("mx.example; spf=pass smtp.mailfrom=example.com; "
	      "dmarc=pass action=none header.from=example.com;"
	      "compauth=pass reason=100;"),
	    "mx.example", "spf=pass dmarc=pass compauth=pass" },
	{ "upper case", S("MX.Example; DKIM=PASS Header.D=Example.COM"),
	    "mx.example", "dkim=pass" },
	{ "quoted values", S("mx; dkim=pass header.s=\"a;b\" "
			     "smtp.mailfrom=\"a b\"@example.com; spf=fail"),
	    "mx", "dkim=pass spf=fail" },
	{ "empty value", S("mx; spf=none smtp.mailfrom=; dkim=none"), "mx",
	    "spf=none dkim=none" },
	{ "ours round", S("mx.example.net; dmarc=fail (p=reject) "
			  "policy.dmarc=reject header.from=example.com"),
	    "mx.example.net", "dmarc=fail" },
	{ "no servid (Microsoft style)",
	    S("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com"),
	    NULL, NULL },
	{ "id only", S("example.com"), NULL, NULL },
	{ "id and semicolon", S("example.com;"), NULL, NULL },
	{ "method only", S("example.com; spf"), NULL, NULL },
	{ "no result", S("example.com; spf="), NULL, NULL },
	{ "no method", S("example.com; =pass"), NULL, NULL },
	{ "ptype without value", S("example.com; spf=pass smtp"), NULL,
	    NULL },
	{ "property without =", S("example.com; spf=pass smtp.mailfrom"),
	    NULL, NULL },
	{ "unterminated comment", S("example.com; spf=pass (x"), NULL, NULL },
	{ "unterminated quote", S("example.com; spf=pass smtp.mailfrom=\"x"),
	    NULL, NULL },
	{ "version 2", S("example.com 2; spf=pass"), NULL, NULL },
	{ "none then more", S("example.com; none; spf=pass"), NULL, NULL },
	{ "double semicolon", S("example.com; spf=pass;;"), NULL, NULL },
	{ "NUL byte", S("example.com; spf=pass\0"), NULL, NULL },
	{ "bad fold", S("example.com; spf=pass\r\nX: y"), NULL, NULL },
	{ "method too long",
	    S("example.com; abcdefghijabcdefghijabcdefghijab=pass"), NULL,
	    NULL },
	{ "method of 31", S("example.com; abcdefghijabcdefghijabcdefghija=pass"),
	    "example.com", "abcdefghijabcdefghijabcdefghija=pass" },
	{ "method version", S("example.com; dkim/1=pass"), "example.com",
	    "dkim=pass" },
	{ "bad method version", S("example.com; dkim/x=pass"), NULL, NULL },
};
/* clang-format on */

/* pairs - the parsed results as "method=result ..." */
static void
pairs(const struct authres_parsed *p, char *buf, size_t size)
{
	struct sbuf sb;
	size_t k;

	sbuf_init(&sb, buf, size);
	for (k = 0; k < p->nres; k++)
		sbuf_addf(&sb, "%s%s=%s", k ? " " : "", p->res[k].method,
		    p->res[k].result);
}

static void
test_parse(void)
{
	struct authres_parsed p;
	char buf[1024];
	size_t i;
	int r;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		t_begin(parses[i].name);
		r = authres_parse(parses[i].in, parses[i].len, &p);
		if (parses[i].servid != NULL) {
			T_ASSERT_INTEQ(r, 0);
			T_ASSERT_STREQ(p.servid, parses[i].servid);
			pairs(&p, buf, sizeof(buf));
			T_ASSERT_STREQ(buf, parses[i].pairs);
			T_ASSERT_INTEQ(p.truncated, 0);
		} else {
			T_ASSERT_INTEQ(r, -1);
			T_ASSERT_INTEQ(p.nres, 0);
			T_ASSERT_STREQ(p.servid, "");
		}
		t_end();
	}
}

/* fill_results - "mx;" and n results "m<k>=pass x.y=v" */
static char *
fill_results(size_t n, size_t *len_r)
{
	char *b;
	size_t size = 16 + n * 48;
	struct sbuf sb;
	size_t k;

	if ((b = malloc(size)) == NULL)
		abort();
	sbuf_init(&sb, b, size);
	sbuf_adds(&sb, "mx.example");
	for (k = 0; k < n; k++)
		sbuf_addf(&sb, "; m%zu=pass (c) x.y=v%zu", k, k);
	if (sb.overflow)
		abort();
	*len_r = sb.len;
	return b;
}

static void
test_parse_limits(void)
{
	struct authres_parsed p;
	char *b, *c;
	size_t len, k;
	clock_t t0;

	t_begin("parse: 100 results");
	b = fill_results(100, &len);
	T_ASSERT_INTEQ(authres_parse(b, len, &p), 0);
	T_ASSERT_INTEQ(p.nres, AUTHRES_PARSE_RESULTS_MAX);
	T_ASSERT_INTEQ(p.truncated, 1);
	T_ASSERT_STREQ(p.res[0].method, "m0");
	T_ASSERT_STREQ(p.res[AUTHRES_PARSE_RESULTS_MAX - 1].method, "m63");
	T_ASSERT_STREQ(p.res[AUTHRES_PARSE_RESULTS_MAX - 1].result, "pass");
	free(b);
	t_end();

	t_begin("parse: 64 results, not truncated");
	b = fill_results(AUTHRES_PARSE_RESULTS_MAX, &len);
	T_ASSERT_INTEQ(authres_parse(b, len, &p), 0);
	T_ASSERT_INTEQ(p.nres, AUTHRES_PARSE_RESULTS_MAX);
	T_ASSERT_INTEQ(p.truncated, 0);
	free(b);
	t_end();

	t_begin("parse: a syntax error after the cap still fails");
	b = fill_results(100, &len);
	T_ASSERT_INTEQ(authres_parse(b, len - 1, &p), 0); /* "v9" */
	b[len - 3] = '(';
	T_ASSERT_INTEQ(authres_parse(b, len, &p), -1);
	free(b);
	t_end();

	t_begin("parse: 200000 results in linear time");
	t0 = clock();
	b = fill_results(200000, &len);
	T_ASSERT_INTEQ(authres_parse(b, len, &p), 0);
	T_ASSERT_INTEQ(p.truncated, 1);
	T_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	free(b);
	t_end();

	t_begin("parse: 1 MB of nested comments, no recursion");
	len = 2 * 500000 + 20;
	if ((b = malloc(len)) == NULL)
		abort();
	memset(b, '(', 500000);
	memset(b + 500000, ')', 500000);
	memcpy(b + 1000000, " mx; spf=pass", 13);
	len = 1000013;
	t0 = clock();
	T_ASSERT_INTEQ(authres_parse(b, len, &p), 0);
	T_ASSERT_STREQ(p.servid, "mx");
	T_ASSERT_INTEQ(authres_is_ours(b, len, "MX"), 1);
	T_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	b[999999] = ' '; /* one ")" short */
	T_ASSERT_INTEQ(authres_parse(b, len, &p), -1);
	T_ASSERT_INTEQ(authres_is_ours(b, len, "mx"), 0);
	free(b);
	t_end();

	t_begin("parse: reads only len bytes");
	if ((c = malloc(12)) == NULL)
		abort();
	memcpy(c, "mx; spf=pass", 12);
	T_ASSERT_INTEQ(authres_parse(c, 12, &p), 0);
	T_ASSERT_STREQ(p.res[0].result, "pass");
	T_ASSERT_INTEQ(authres_parse(c, 10, &p), 0);
	T_ASSERT_STREQ(p.res[0].result, "pa");
	for (k = 0; k <= 12; k++)
		T_ASSERT_IDX(authres_parse(c, k, &p) == (k >= 9 ? 0 : -1), k);
	free(c);
	t_end();
}

/* ---- round trips ---- */

static void
test_round_trip(void)
{
	static const char *const hostile[] = {"a\"b", "x\r\nBcc: evil", "(",
	    ")", "\\", "b\303\274cher", "\xff", "a;spf=pass", "", "x (y) z"};
	char out[AUTHRES_MAX], id[AUTHRES_SERVID_MAX + 1];
	const char *id0;
	struct authres_parsed p;
	struct authres_result r[3];
	size_t i;
	int fold;

	for (fold = 0; fold <= 1; fold++) {
		t_begin(fold ? "round trip, folded" : "round trip, one line");
		T_ASSERT_INTEQ(authres_format("MX.example.net", three, 3, fold,
				   out, sizeof(out)),
		    0);
		T_ASSERT_INTEQ(authres_parse(out, strlen(out), &p), 0);
		T_ASSERT_STREQ(p.servid, "mx.example.net");
		T_ASSERT_INTEQ(p.nres, 3);
		T_ASSERT_STREQ(p.res[0].method, "spf");
		T_ASSERT_STREQ(p.res[0].result, "pass");
		T_ASSERT_STREQ(p.res[1].method, "dkim");
		T_ASSERT_STREQ(p.res[2].method, "dmarc");
		T_ASSERT_STREQ(p.res[2].result, "fail");
		T_ASSERT_INTEQ(authres_is_ours(out, strlen(out),
				   "mx.example.net"),
		    1);
		T_ASSERT_INTEQ(authres_parse_servid(out, strlen(out), id,
				   sizeof(id)),
		    0);
		T_ASSERT_STREQ(id, "mx.example.net");
		t_end();
	}

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		t_begin("round trip of a hostile value");
		memset(r, 0, sizeof(r));
		r[0] = (struct authres_result){"dkim", "fail", hostile[i], 2,
		    {{"header", "d", hostile[i]}, {"header", "s", hostile[i]}}};
		r[1] = (struct authres_result){"spf", "softfail", hostile[i], 1,
		    {{"smtp", "mailfrom", hostile[i]}}};
		r[2] = (struct authres_result){"dmarc", "none", NULL, 0, {{0}}};
		id0 = hostile[i][0] != '\0' ? hostile[i] : "mx";
		for (fold = 0; fold <= 1; fold++) {
			T_ASSERT_IDX(authres_format(id0, r, 3, fold, out,
					 sizeof(out)) == 0,
			    i);
			T_ASSERT_IDX(authres_parse(out, strlen(out), &p) == 0,
			    i);
			T_ASSERT_IDX(p.nres == 3, i);
			T_ASSERT_IDX(strcmp(p.res[0].result, "fail") == 0, i);
			T_ASSERT_IDX(strcmp(p.res[1].method, "spf") == 0, i);
			T_ASSERT_IDX(strcmp(p.res[1].result, "softfail") == 0,
			    i);
			T_ASSERT_IDX(strcmp(p.res[2].method, "dmarc") == 0, i);
			T_ASSERT_IDX(strchr(out, '\r') == NULL, i);
			T_ASSERT_IDX(fold || strchr(out, '\n') == NULL, i);
			/* every line break is a fold */
			{
				const char *nl;

				for (nl = strchr(out, '\n'); nl != NULL;
				     nl = strchr(nl + 1, '\n'))
					T_ASSERT_IDX(nl[1] == '\t', i);
			}
			/* an id is ours again unless cleaning changed it */
			T_ASSERT_IDX(authres_is_ours(out, strlen(out), id0) ==
				(strpbrk(id0, "\r\n\xff") == NULL),
			    i);
		}
		t_end();
	}
}

int
main(void)
{
	static void (*const tests[])(void) = {test_sbuf, test_format,
	    test_format_values, test_format_errors, test_servid, test_is_ours,
	    test_parse, test_parse_limits, test_round_trip, NULL};

	return t_run(tests);
}
