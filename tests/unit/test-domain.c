/*
 * test-domain.c - unit tests for policy/domain.c
 */
#include <stddef.h>
#include <string.h>

#include "policy/domain.h"
#include "tests/t.h"

#define S(x) x, sizeof(x) - 1

/* a name of n labels "a.a.a..." or one label of n bytes */
static void
fill(char *buf, size_t n, int dots)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = dots && i % 2 ? '.' : 'a';
	buf[n] = '\0';
}

static void
test_normalize(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want; /* NULL: must fail */
		const char *err;
	} v[] = {
	    {S("Example.COM"), "example.com", NULL},
	    {S("example.com."), "example.com", NULL},
	    {S("com"), "com", NULL},
	    {S("_dmarc.x-y.Example"), "_dmarc.x-y.example", NULL},
	    {S("xn--bcher-kva.example"), "xn--bcher-kva.example", NULL},
	    {S("123.example"), "123.example", NULL},
	    {S(""), NULL, "empty domain"},
	    {S("."), NULL, "empty domain"},
	    {S("example.com.."), NULL, "empty label"},
	    {S("a..b"), NULL, "empty label"},
	    {S(".example.com"), NULL, "empty label"},
	    {S("exa\0mple.com"), NULL, "NUL byte in domain"},
	    {S("b\xc3\xbc"
	       "cher.example"),
		NULL, "not an A-label"},
	    {S("exa mple.com"), NULL, "invalid character in domain"},
	    {S("example.com("), NULL, "invalid character in domain"},
	    {S("a,b.example"), NULL, "invalid character in domain"},
	    {S("user@example.com"), NULL, "invalid character in domain"},
	    {S("example.com\n"), NULL, "invalid character in domain"},
	};
	char out[DOMAIN_MAX + 1], big[400];
	const char *err;
	size_t i;
	int rc;

	t_begin("domain_normalize: table");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err = NULL;
		rc =
		    domain_normalize(v[i].in, v[i].len, out, sizeof(out), &err);
		if (v[i].want != NULL) {
			T_ASSERT_IDX(rc == 0, i);
			T_ASSERT_STREQ(out, v[i].want);
		} else {
			T_ASSERT_IDX(rc == -1, i);
			T_ASSERT_STREQ(err, v[i].err);
			T_ASSERT_IDX(out[0] == '\0', i);
		}
	}
	t_end();

	t_begin("domain_normalize: length caps");
	fill(big, DOMAIN_LABEL_MAX, 0);
	T_ASSERT(
	    domain_normalize(big, strlen(big), out, sizeof(out), &err) == 0);
	fill(big, DOMAIN_LABEL_MAX + 1, 0);
	T_ASSERT(
	    domain_normalize(big, strlen(big), out, sizeof(out), &err) == -1);
	T_ASSERT_STREQ(err, "label too long");
	fill(big, DOMAIN_MAX, 1); /* 127 labels, 253 bytes */
	T_ASSERT(
	    domain_normalize(big, strlen(big), out, sizeof(out), &err) == 0);
	T_ASSERT_INTEQ(strlen(out), DOMAIN_MAX);
	big[DOMAIN_MAX] = '.'; /* 254 with the root dot: still fine */
	T_ASSERT(
	    domain_normalize(big, DOMAIN_MAX + 1, out, sizeof(out), &err) == 0);
	fill(big, DOMAIN_MAX + 2, 1); /* 255 bytes */
	T_ASSERT(
	    domain_normalize(big, strlen(big), out, sizeof(out), &err) == -1);
	T_ASSERT_STREQ(err, "domain too long");
	T_ASSERT(domain_normalize(S("example.com"), out, 11, &err) == -1);
	T_ASSERT_STREQ(err, "domain buffer too small");
	T_ASSERT(domain_normalize(S("example.com"), out, 12, &err) == 0);
	t_end();
}

static void
test_compare(void)
{
	t_begin("domain_labels");
	T_ASSERT_INTEQ(domain_labels(""), 0);
	T_ASSERT_INTEQ(domain_labels("com"), 1);
	T_ASSERT_INTEQ(domain_labels("com."), 1);
	T_ASSERT_INTEQ(domain_labels("a.mail.example.com"), 4);
	T_ASSERT_INTEQ(domain_labels("a.mail.example.com."), 4);
	t_end();

	t_begin("domain_equal");
	T_ASSERT(domain_equal("Example.COM", "example.com."));
	T_ASSERT(domain_equal("example.com.", "EXAMPLE.com"));
	T_ASSERT(
	    domain_equal("xn--bcher-kva.example", "XN--BCHER-KVA.example"));
	T_ASSERT(!domain_equal("example.com", "example.co"));
	T_ASSERT(!domain_equal("example.com", "www.example.com"));
	T_ASSERT(!domain_equal("example.com..", "example.com"));
	T_ASSERT(!domain_equal("", "."));
	t_end();

	t_begin("domain_is_sub");
	T_ASSERT(domain_is_sub("example.com", "example.com"));
	T_ASSERT(domain_is_sub("a.b.Example.com.", "example.COM"));
	T_ASSERT(domain_is_sub("mail.example.com", "com."));
	T_ASSERT(!domain_is_sub("badexample.com", "example.com"));
	T_ASSERT(!domain_is_sub("example.com", "a.example.com"));
	T_ASSERT(!domain_is_sub("t.co", "evil.co"));
	T_ASSERT(!domain_is_sub("example.com", ""));
	t_end();

	t_begin("domain_parent and domain_rightmost");
	T_ASSERT_STREQ(domain_parent("a.mail.example.com"), "mail.example.com");
	T_ASSERT_STREQ(domain_parent("example.com"), "com");
	T_ASSERT(domain_parent("com") == NULL);
	T_ASSERT(domain_parent("com.") == NULL);
	T_ASSERT_STREQ(domain_rightmost("a.b.c.d.e.f.g.h.i.j.mail.example.com",
			   7),
	    "g.h.i.j.mail.example.com");
	T_ASSERT_STREQ(domain_rightmost("a.b.c", 1), "c");
	T_ASSERT_STREQ(domain_rightmost("a.b.c", 3), "a.b.c");
	T_ASSERT_STREQ(domain_rightmost("a.b.c", 9), "a.b.c");
	T_ASSERT_STREQ(domain_rightmost("a.b.c.", 2), "b.c.");
	T_ASSERT_STREQ(domain_rightmost("a.b.c", 0), "");
	T_ASSERT_STREQ(domain_rightmost("a.b.c.", 0), "");
	t_end();
}

/* envelope_address / envelope_domain: RFC 5321 reverse-paths */
static void
test_envelope(void)
{
	static const struct {
		const char *in, *addr, *domain;
	} v[] = {
		{ "<user@Example.COM>", "user@Example.COM", "Example.COM" },
		{ "user@example.com", "user@example.com", "example.com" },
		{ "  <user@example.com>  ", "user@example.com", "example.com" },
		{ "<>", "", "" },
		{ "", "", "" },
		{ "<\"a>b\"@reject.example>", "\"a>b\"@reject.example",
		    "reject.example" },
		{ "<\"a@evil.example\"@good.example>",
		    "\"a@evil.example\"@good.example", "good.example" },
		{ "<\"a\\\"@x\"@y.example>", "\"a\\\"@x\"@y.example",
		    "y.example" },
		{ "<postmaster>", "postmaster", "" },
		{ "<@route.example:u@d.example>", "@route.example:u@d.example",
		    "d.example" },
	};
	char out[64], big[600];
	size_t i;

	t_begin("envelope_address and envelope_domain");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		T_ASSERT_IDX(envelope_address(v[i].in, out, sizeof(out)) == 0,
		    i);
		T_ASSERT_STREQ(out, v[i].addr);
		T_ASSERT_STREQ(envelope_domain(out), v[i].domain);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_ASSERT(envelope_address(big, out, sizeof(out)) == -1);
	T_ASSERT_STREQ(out, "");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_normalize, test_compare, test_envelope, NULL};

	return t_run(tests);
}
