/*
 * test-check.c - unit tests for the parsers of tools/check.c
 *
 * check.c keeps its parsers static (its only interface is cmd_check()),
 * so this file includes it.  Hostile inputs are copied into heap buffers
 * of exactly their length, so that a read past the end shows under ASan.
 * The whole command is tested by tests/check/run-check.sh.
 */
#include "tools/check.c"

#include "tests/t.h"

#define S(x) x, sizeof(x) - 1

/* exact - a heap copy of len bytes with nothing after them */
static char *
exact(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	return p;
}

static void
test_b64(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *out;
	} v[] = {
	    {"", 0, ""}, {"TWFu", 0, "Man"}, {"TWE=", 0, "Ma"},
	    {"TQ==", 0, "M"},
	    {"TW\r\n Fu", 0, "Man"}, /* FWS inside p= (RFC 6376 3.6.1) */
	    {"TWFuTWFu", 0, "ManMan"},
	    {"T", -1, NULL},	  /* 6 bits make no octet */
	    {"TWFu=A", -1, NULL}, /* data after padding */
	    {"TQ===", -1, NULL},  /* three pad characters */
	    {"TW@u", -1, NULL},
	    {"TW-u", -1, NULL}, /* base64url is not base64 */
	};
	unsigned char out[16];
	size_t i, n;

	t_begin("b64_decode: table");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *in = exact(v[i].in, strlen(v[i].in));
		struct span s = {in, strlen(v[i].in)};
		int rc = b64_decode(s, out, sizeof(out), &n);

		T_ASSERT_IDX(rc == v[i].rc, i);
		if (rc == 0 && v[i].rc == 0)
			T_ASSERT_IDX(n == strlen(v[i].out) &&
				memcmp(out, v[i].out, n) == 0,
			    i);
		free(in);
	}
	t_end();

	t_begin("b64_decode: output full is an error, not an overflow");
	{
		struct span s = {"TWFuTWFu", 8};

		T_ASSERT_INTEQ(b64_decode(s, out, 5, &n), -1);
		T_ASSERT_INTEQ(b64_decode(s, out, 6, &n), 0);
		T_ASSERT_INTEQ(n, 6);
	}
	{
		char nul[] = {'T', 'W', '\0', 'u'};
		struct span s = {nul, sizeof(nul)};

		T_ASSERT_INTEQ(b64_decode(s, out, sizeof(out), &n), -1);
	}
	t_end();
}

static void
test_dkim_key(void)
{
	static const struct {
		const char *in;
		const char *err; /* NULL: valid */
	} v[] = {
	    {"v=DKIM1; k=rsa; p=AAAA", NULL},
	    {"p=AAAA", NULL},
	    {"v=DKIM1; p=", NULL},		  /* revoked, still valid */
	    {"v=DKIM1; p=AAAA;", NULL},		  /* trailing ';' */
	    {"v=DKIM1;; p=AAAA", NULL},		  /* empty tag-spec */
	    {" v = DKIM1 ; p = AA\r\n BB", NULL}, /* FWS */
	    {"v=DKIM1; x-y=1; p=A", "a bad tag name"},
	    {"v=DKIM1; foo=bar; p=A", NULL}, /* unknown tags ignored */
	    {"k=rsa; v=DKIM1; p=A", "v= is not the first tag"},
	    {"v=DKIM2; p=A", "v= is not DKIM1"},
	    {"v=dkim1; p=A", "v= is not DKIM1"},
	    {"p=A; p=B", "a tag given twice (RFC 6376 3.2)"},
	    {"v=DKIM1", "no p= tag"},
	    {"", "no p= tag"},
	    {"v=DKIM1; k", "a tag without '='"},
	    {"=x; p=A", "a tag without a name"},
	    {"1a=x; p=A", "a bad tag name"},
	};
	struct dkim_key k;
	size_t i;

	t_begin("dkim_key_parse: table");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *in = exact(v[i].in, strlen(v[i].in));
		const char *e = dkim_key_parse(in, strlen(v[i].in), &k);

		if (v[i].err == NULL)
			T_ASSERT_IDX(e == NULL && k.have_p, i);
		else
			T_ASSERT_IDX(e != NULL && strcmp(e, v[i].err) == 0, i);
		free(in);
	}
	t_end();

	t_begin("dkim_key_parse: values");
	{
		static const char rec[] = "v=DKIM1; k=ed25519; h=sha1:sha256; "
					  "t=y:s; s=email; p= AB CD ";
		char *in = exact(rec, sizeof(rec) - 1);

		T_ASSERT(dkim_key_parse(in, sizeof(rec) - 1, &k) == NULL);
		T_ASSERT(span_is(k.k, "ed25519"));
		T_ASSERT(span_is(k.p, "AB CD"));
		T_ASSERT(list_has(k.h, "sha256") && list_has(k.h, "sha1"));
		T_ASSERT(list_has(k.t, "y") && !list_has(k.t, "x"));
		T_ASSERT(list_has(k.s, "email"));
		free(in);
	}
	{
		char nul[] = {'p', '=', 'A', '\0', 'B'};

		T_ASSERT_STREQ(dkim_key_parse(nul, sizeof(nul), &k),
		    "NUL byte in the key record");
	}
	t_end();
}

static void
test_list_has(void)
{
	t_begin("list_has: colon lists with FWS");
	T_ASSERT(list_has((struct span){S("sha1:sha256")}, "sha256"));
	T_ASSERT(list_has((struct span){S(" sha1 : sha256 ")}, "sha256"));
	T_ASSERT(list_has((struct span){S("sha256")}, "sha256"));
	T_ASSERT(!list_has((struct span){S("sha2567")}, "sha256"));
	T_ASSERT(!list_has((struct span){S("")}, "sha256"));
	T_ASSERT(!list_has((struct span){S("sha1:")}, "sha256"));
	t_end();
}

static void
test_strip_cidr(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"a:foo.example/24", "a:foo.example"},
	    {"a:foo.example//64", "a:foo.example"},
	    {"a:foo.example/24//64", "a:foo.example"},
	    {"a/24", "a"},
	    {"mx", "mx"},
	    {"a:foo.example/", "a:foo.example/"},
	    {"a:192.0.2.1.example", "a:192.0.2.1.example"},
	    {"24", "24"},
	};
	size_t i;

	t_begin("strip_cidr: dual-cidr-length (RFC 7208 5.6)");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *in = exact(v[i].in, strlen(v[i].in));
		size_t n = strip_cidr(in, strlen(v[i].in));

		T_ASSERT_IDX(n == strlen(v[i].out) &&
			memcmp(in, v[i].out, n) == 0,
		    i);
		free(in);
	}
	t_end();
}

static void
test_record_kinds(void)
{
	char *p;

	t_begin("looks_like_dmarc and spf_is_v1");
	T_ASSERT(looks_like_dmarc(S("v=DMARC1 p=reject")));
	T_ASSERT(looks_like_dmarc(S(" V = dmarc1;")));
	T_ASSERT(!looks_like_dmarc(S("v=spf1 -all")));
	T_ASSERT(!looks_like_dmarc(S("v=")));
	T_ASSERT(!looks_like_dmarc(S("")));
	p = exact(S("v=dmar"));
	T_ASSERT(!looks_like_dmarc(p, 6));
	free(p);
	T_ASSERT(spf_is_v1(S("v=spf1")));
	T_ASSERT(spf_is_v1(S("V=SPF1 -all")));
	T_ASSERT(!spf_is_v1(S("v=spf10")));
	T_ASSERT(!spf_is_v1(S("v=spf")));
	t_end();
}

static void
test_show(void)
{
	char buf[8];

	t_begin("show_copy: printable, cut with ...");
	show_copy(buf, sizeof(buf), S("ab\033c\n"));
	T_ASSERT_STREQ(buf, "ab?c?");
	show_copy(buf, sizeof(buf), S("abcdefghij"));
	T_ASSERT_STREQ(buf, "abcd...");
	show_copy(buf, sizeof(buf), S("abcdefg"));
	T_ASSERT_STREQ(buf, "abcdefg");
	show_copy(buf, sizeof(buf), S("\xc3\xa9"));
	T_ASSERT_STREQ(buf, "??");
	t_end();
}

static void
test_rsa_bits(void)
{
	/* tests/gen/keys/rsa512.pem, SubjectPublicKeyInfo */
	static const char spki[] =
	    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMjwTmJxD99DZ4BGsMZ76F5ODosePy6P"
	    "oAOJelS65Ki6TVlabgiut5xV0lLg5l0ENXZ+TVbxCnq75x+vicNlGM0CAwEAAQ==";
	unsigned char der[256];
	struct span s = {spki, sizeof(spki) - 1};
	size_t n;

	t_begin("rsa_bits: SPKI, PKCS#1, garbage");
	T_ASSERT(b64_decode(s, der, sizeof(der), &n) == 0);
	T_ASSERT_INTEQ(rsa_bits(der, n), 512);
	/* the PKCS#1 RSAPublicKey inside starts after the 20-octet SPKI
	 * header (SEQUENCE, AlgorithmIdentifier, BIT STRING) */
	T_ASSERT_INTEQ(der[20], 0x30);
	T_ASSERT_INTEQ(rsa_bits(der + 20, n - 20), 512);
	T_ASSERT_INTEQ(rsa_bits(der, n - 10), 0);
	T_ASSERT_INTEQ(rsa_bits((const unsigned char *)"\x30\x00", 2), 0);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_b64, test_dkim_key,
	    test_list_has, test_strip_cidr, test_record_kinds, test_show,
	    test_rsa_bits, NULL};

	return t_run(tests);
}
