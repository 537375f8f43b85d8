/*
 * test-dmarc_record.c - unit tests for policy/dmarc_record.c
 *
 * Every record is copied into a heap buffer of exactly its length, with no
 * NUL after it, so that a read past the end shows under ASan.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/dmarc_record.h"
#include "tests/t.h"

#define S(x) x, sizeof(x) - 1

static struct dmarc_record rec;

/* parse - parse a copy of exactly len bytes */
static enum dmarc_record_status
parse(const char *txt, size_t len, const char **err)
{
	enum dmarc_record_status st;
	char *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, txt, len);
	*err = NULL;
	st = dmarc_record_parse(copy, len, &rec, err);
	free(copy);
	return st;
}

static void
test_full(void)
{
	const char *err;

	t_begin("dmarc_record_parse: every tag");
	T_ASSERT(parse(S("v=DMARC1; p=reject; sp=quarantine; np=none; "
			 "adkim=s; aspf=s; pct=50; fo=1:d; ri=3600; rf=afrf; "
			 "rua=mailto:a@example.com, mailto:b@example.net!10m;"
			 " ruf=mailto:f@example.com; t=y; psd=n"),
		     &err) == DMARC_RECORD_OK);
	T_ASSERT(err == NULL);
	T_ASSERT_INTEQ(rec.p, DMARC_P_REJECT);
	T_ASSERT(rec.p_explicit);
	T_ASSERT_INTEQ(rec.sp, DMARC_P_QUARANTINE);
	T_ASSERT_INTEQ(rec.np, DMARC_P_NONE);
	T_ASSERT_INTEQ(rec.adkim, DMARC_AMODE_STRICT);
	T_ASSERT_INTEQ(rec.aspf, DMARC_AMODE_STRICT);
	T_ASSERT_INTEQ(rec.pct, 50);
	T_ASSERT(rec.pct_explicit);
	T_ASSERT_INTEQ(rec.fo, DMARC_FO_1 | DMARC_FO_D);
	T_ASSERT_INTEQ(rec.ri, 3600);
	T_ASSERT_INTEQ(rec.nrua, 2);
	T_ASSERT_STREQ(rec.rua[0].uri, "mailto:a@example.com");
	T_ASSERT_INTEQ(rec.rua[0].max_size, 0);
	T_ASSERT_STREQ(rec.rua[1].uri, "mailto:b@example.net");
	T_ASSERT_INTEQ(rec.rua[1].max_size, 10ULL << 20);
	T_ASSERT_INTEQ(rec.nruf, 1);
	T_ASSERT_STREQ(rec.ruf[0].uri, "mailto:f@example.com");
	T_ASSERT(rec.testing);
	T_ASSERT_INTEQ(rec.psd, DMARC_PSD_N);
	T_ASSERT_INTEQ(rec.nwarn, 0);
	t_end();

	t_begin("dmarc_record_parse: defaults");
	T_ASSERT(parse(S("v=DMARC1"), &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.p, DMARC_P_NONE); /* RFC 9989: absent p is none */
	T_ASSERT(!rec.p_explicit);
	T_ASSERT_INTEQ(rec.sp, DMARC_P_UNSPEC);
	T_ASSERT_INTEQ(rec.np, DMARC_P_UNSPEC);
	T_ASSERT_INTEQ(rec.psd, DMARC_PSD_U);
	T_ASSERT(!rec.testing);
	T_ASSERT_INTEQ(rec.adkim, DMARC_AMODE_RELAXED);
	T_ASSERT_INTEQ(rec.aspf, DMARC_AMODE_RELAXED);
	T_ASSERT_INTEQ(rec.pct, 100);
	T_ASSERT(!rec.pct_explicit);
	T_ASSERT_INTEQ(rec.fo, DMARC_FO_0);
	T_ASSERT_INTEQ(rec.ri, 86400);
	T_ASSERT_INTEQ(rec.nrua + rec.nruf + rec.nwarn, 0);
	t_end();
}

static void
test_version(void)
{
	static const struct {
		const char *txt;
		enum dmarc_record_status want;
		enum dmarc_p p;
	} v[] = {
	    {"v=DMARC1; p=reject", DMARC_RECORD_OK, DMARC_P_REJECT},
	    {"v = DMARC1 ; p = reject ;", DMARC_RECORD_OK, DMARC_P_REJECT},
	    {"V=DMARC1;P=REJECT", DMARC_RECORD_OK, DMARC_P_REJECT},
	    {" v=DMARC1;p=Quarantine", DMARC_RECORD_OK, DMARC_P_QUARANTINE},
	    {"v=DMARC1\t;\tp=quarantine;;", DMARC_RECORD_OK,
		DMARC_P_QUARANTINE},
	    {"v=DMARC1;", DMARC_RECORD_OK, DMARC_P_NONE},
	    {"v=DMARC1; v=DMARC2; p=reject", DMARC_RECORD_OK, DMARC_P_REJECT},
	    {"", DMARC_RECORD_NOT_DMARC, DMARC_P_UNSPEC},
	    {"v=DMARC10; p=reject", DMARC_RECORD_NOT_DMARC, 0},
	    {"v=dmarc1; p=reject", DMARC_RECORD_NOT_DMARC, 0},
	    {"v=DMARC2; p=reject", DMARC_RECORD_NOT_DMARC, 0},
	    {"v=DMARC1 p=reject", DMARC_RECORD_NOT_DMARC, 0},
	    {"v=DMARC", DMARC_RECORD_NOT_DMARC, 0},
	    {"p=reject; v=DMARC1", DMARC_RECORD_NOT_DMARC, 0},
	    {"xv=DMARC1; p=reject", DMARC_RECORD_NOT_DMARC, 0},
	    {"v=spf1 -all", DMARC_RECORD_NOT_DMARC, 0},
	    {"DMARC1", DMARC_RECORD_NOT_DMARC, 0},
	};
	const char *err;
	size_t i;

	t_begin("dmarc_record_parse: v=DMARC1 first, exact");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		T_ASSERT_IDX(parse(v[i].txt, strlen(v[i].txt), &err) ==
			v[i].want,
		    i);
		T_ASSERT_IDX(dmarc_record_is_dmarc(v[i].txt,
				 strlen(v[i].txt)) ==
			(v[i].want == DMARC_RECORD_OK),
		    i);
		if (v[i].want == DMARC_RECORD_OK)
			T_ASSERT_IDX(rec.p == v[i].p, i);
	}
	t_end();
}

static void
test_warnings(void)
{
	static const struct {
		const char *txt;
		const char *tag, *why;
	} v[] = {
	    {"adkim=x", "adkim", "adkim: must be r or s"},
	    {"aspf=strict", "aspf", "aspf: must be r or s"},
	    {"t=yes", "t", "t: must be y or n"},
	    {"psd=maybe", "psd", "psd: must be y, n or u"},
	    {"fo=2", "fo", "fo: must be 0, 1, d or s, colon-separated"},
	    {"fo=0:", "fo", "fo: must be 0, 1, d or s, colon-separated"},
	    {"FO=", "FO", "fo: must be 0, 1, d or s, colon-separated"},
	    {"pct=101", "pct", "pct: must be an integer from 0 to 100"},
	    {"pct=-1", "pct", "pct: must be an integer from 0 to 100"},
	    {"pct=5 0", "pct", "pct: must be an integer from 0 to 100"},
	    {"ri=0", "ri", "ri: must be 1 to 4294967295 seconds"},
	    {"ri=4294967296", "ri", "ri: must be 1 to 4294967295 seconds"},
	    {"rf=xml", "rf", "rf: must be afrf or iodef"},
	    {"p=none", "p", "p: duplicate tag, first one kept"},
	    {"Adkim=s", "Adkim", "adkim: duplicate tag, first one kept"},
	    {"foo", "foo", "tag without '=', ignored"},
	    {"adkim", "adkim", "adkim: no '=', ignored"},
	    {"\x01"
	     "bad\x7f",
		"?bad?", "tag without '=', ignored"},
	    {"rua=mailto:a@x,,mailto:b@y", "rua", "rua: empty URI"},
	    {"rua=not a uri", "rua", "rua: invalid URI"},
	    {"ruf=mailto:a%4@x", "ruf", "ruf: invalid URI"},
	    {"ruf=1mailto:a@x", "ruf", "ruf: invalid URI"},
	    {"ruf=mailto:", "ruf", "ruf: invalid URI"},
	    {"rua=mailto:a@x!10x", "rua", "rua: bad size limit"},
	    {"rua=mailto:a@x!", "rua", "rua: bad size limit"},
	    {"rua=mailto:a@x!99999999999999999999", "rua",
		"rua: bad size limit"},
	};
	char buf[256];
	const char *err;
	size_t i;
	int n;

	t_begin("dmarc_record_parse: bad optional tags give warnings");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* adkim=r first, so "Adkim=s" is a duplicate */
		n = snprintf(buf, sizeof(buf), "v=DMARC1; p=reject; %s%s",
		    strncmp(v[i].txt, "Adkim", 5) == 0 ? "adkim=r; " : "",
		    v[i].txt);
		T_ASSERT_IDX(n > 0 && (size_t)n < sizeof(buf), i);
		T_ASSERT_IDX(parse(buf, (size_t)n, &err) == DMARC_RECORD_OK, i);
		T_ASSERT_IDX(rec.p == DMARC_P_REJECT, i);
		T_ASSERT_IDX(rec.nwarn == 1, i);
		T_ASSERT_STREQ(rec.warn[0].tag, v[i].tag);
		T_ASSERT_STREQ(rec.warn[0].why, v[i].why);
		/* the defaults stay */
		T_ASSERT_IDX(rec.adkim == DMARC_AMODE_RELAXED, i);
		T_ASSERT_IDX(rec.aspf == DMARC_AMODE_RELAXED, i);
		T_ASSERT_IDX(!rec.testing && rec.psd == DMARC_PSD_U, i);
		T_ASSERT_IDX(rec.fo == DMARC_FO_0 && rec.ri == 86400, i);
		T_ASSERT_IDX(rec.pct == 100 && !rec.pct_explicit, i);
	}
	t_end();

	t_begin("dmarc_record_parse: warnings are capped");
	T_ASSERT(parse(S("v=DMARC1; a; b; c; d; e; f; g; h; i; j; k; "
			 "adkim=q; p=reject"),
		     &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nwarn, DMARC_WARN_MAX);
	T_ASSERT_STREQ(rec.warn[DMARC_WARN_MAX - 1].tag, "h");
	T_ASSERT_INTEQ(rec.p, DMARC_P_REJECT);
	t_end();
}

static void
test_uris(void)
{
	char buf[1024];
	const char *err;
	size_t i;
	int n;

	t_begin("dmarc_record_parse: URIs and legacy size limits");
	T_ASSERT(parse(S("v=DMARC1; rua=mailto:a@x!10 , mailto:b@x!10k,"
			 "mailto:c@x!10M,mailto:d@x!1g,mailto:e@x!1t,"
			 "https://r.example/x?y=%41&z=1,mailto:a%2Cb@x!0,"
			 "https://r.example/%7e"),
		     &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nrua, 8);
	T_ASSERT_INTEQ(rec.nwarn, 0);
	T_ASSERT_STREQ(rec.rua[7].uri, "https://r.example/%7e");
	T_ASSERT_STREQ(rec.rua[0].uri, "mailto:a@x");
	T_ASSERT_INTEQ(rec.rua[0].max_size, 10);
	T_ASSERT_INTEQ(rec.rua[1].max_size, 10240);
	T_ASSERT_INTEQ(rec.rua[2].max_size, 10485760);
	T_ASSERT_INTEQ(rec.rua[3].max_size, 1ULL << 30);
	T_ASSERT_INTEQ(rec.rua[4].max_size, 1ULL << 40);
	T_ASSERT_STREQ(rec.rua[5].uri, "https://r.example/x?y=%41&z=1");
	T_ASSERT_STREQ(rec.rua[6].uri, "mailto:a%2Cb@x");
	T_ASSERT_INTEQ(rec.rua[6].max_size, 0);
	t_end();

	t_begin("dmarc_record_parse: too many and too long URIs");
	n = snprintf(buf, sizeof(buf), "v=DMARC1; ruf=");
	for (i = 0; i < 10; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		    "%smailto:r%zu@example.com", i ? "," : "", i);
	T_ASSERT(parse(buf, (size_t)n, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nruf, DMARC_URIS_MAX);
	T_ASSERT_STREQ(rec.ruf[7].uri, "mailto:r7@example.com");
	T_ASSERT_INTEQ(rec.nwarn, 1);
	T_ASSERT_STREQ(rec.warn[0].why, "ruf: too many URIs, the rest ignored");
	n = snprintf(buf, sizeof(buf), "v=DMARC1; rua=mailto:");
	memset(buf + n, 'a', DMARC_URI_MAX);
	n += DMARC_URI_MAX;
	T_ASSERT(parse(buf, (size_t)n, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nrua, 0);
	T_ASSERT_STREQ(rec.warn[0].why, "rua: URI too long");
	/* the longest that fits: DMARC_URI_MAX - 1 bytes and the NUL */
	n -= 8; /* "mailto:" + 320 - 8 = 319 */
	T_ASSERT(parse(buf, (size_t)n, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nrua, 1);
	T_ASSERT_INTEQ(strlen(rec.rua[0].uri), DMARC_URI_MAX - 1);
	T_ASSERT(parse(buf, (size_t)n + 1, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.nrua, 0);
	t_end();
}

static void
test_policy_errors(void)
{
	static const struct {
		const char *txt;
		const char *err; /* NULL: OK with p=none and a warning */
		const char *why;
	} v[] = {
	    {"v=DMARC1; p=bogus", "p: unknown policy", NULL},
	    {"v=DMARC1; p=", "p: unknown policy", NULL},
	    {"v=DMARC1; p=reject; sp=bogus", "sp: unknown policy", NULL},
	    {"v=DMARC1; p=reject; np=rejected", "np: unknown policy", NULL},
	    {"v=DMARC1; p=bogus; rua=junk", "p: unknown policy", NULL},
	    {"v=DMARC1; sp=x; p=y", "sp: unknown policy", NULL},
	    {"v=DMARC1; p=bogus; rua=mailto:r@example.com", NULL,
		"p: unknown policy, p=none applied since rua is valid"},
	    {"v=DMARC1; p=reject; sp=bogus; np=reject; "
	     "rua=junk,mailto:r@example.com",
		NULL, "sp: unknown policy, p=none applied since rua is valid"},
	};
	const char *err;
	size_t i;

	t_begin("dmarc_record_parse: invalid p, sp, np (RFC 9989 4.10.1)");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].err != NULL) {
			T_ASSERT_IDX(parse(v[i].txt, strlen(v[i].txt), &err) ==
				DMARC_RECORD_INVALID,
			    i);
			T_ASSERT_STREQ(err, v[i].err);
			continue;
		}
		T_ASSERT_IDX(parse(v[i].txt, strlen(v[i].txt), &err) ==
			DMARC_RECORD_OK,
		    i);
		T_ASSERT_IDX(rec.p == DMARC_P_NONE && !rec.p_explicit, i);
		T_ASSERT_IDX(rec.sp == DMARC_P_UNSPEC, i);
		T_ASSERT_IDX(rec.np == DMARC_P_UNSPEC, i);
		T_ASSERT_IDX(rec.nrua == 1, i);
		T_ASSERT_STREQ(rec.warn[rec.nwarn - 1].why, v[i].why);
	}
	t_end();
}

static void
test_hostile(void)
{
	static char big[DMARC_RECORD_MAX + 1];
	const char *err;
	size_t i, n;
	clock_t t0;

	t_begin("dmarc_record_parse: NUL and length");
	T_ASSERT(parse(S("v=DMARC1;\0p=reject"), &err) == DMARC_RECORD_INVALID);
	T_ASSERT_STREQ(err, "NUL byte in record");
	T_ASSERT(
	    parse(S("v=DMARC1; p=reject\0"), &err) == DMARC_RECORD_INVALID);
	T_ASSERT(parse(S("v=spf1 -all\0"), &err) == DMARC_RECORD_NOT_DMARC);
	memcpy(big, "v=DMARC1; p=reject;", 19);
	memset(big + 19, ' ', sizeof(big) - 19);
	T_ASSERT(parse(big, DMARC_RECORD_MAX, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.p, DMARC_P_REJECT);
	T_ASSERT(
	    parse(big, DMARC_RECORD_MAX + 1, &err) == DMARC_RECORD_INVALID);
	T_ASSERT_STREQ(err, "record too long");
	/* len cuts the text: nothing past it is read */
	T_ASSERT(parse("v=DMARC1; p=rejectXX", 18, &err) == DMARC_RECORD_OK);
	T_ASSERT_INTEQ(rec.p, DMARC_P_REJECT);
	t_end();

	t_begin("dmarc_record_parse: 10 000 unknown tags, one pass");
	memcpy(big, "v=DMARC1;", 9);
	for (n = 9, i = 0; i < 10000; i++, n += 4)
		memcpy(big + n, i % 2 ? "x=1;" : "yz ;", 4);
	memcpy(big + n, "p=quarantine", 12);
	n += 12;
	t0 = clock();
	for (i = 0; i < 20; i++)
		T_ASSERT(parse(big, n, &err) == DMARC_RECORD_OK);
	T_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	T_ASSERT_INTEQ(rec.p, DMARC_P_QUARANTINE);
	T_ASSERT_INTEQ(rec.nwarn, DMARC_WARN_MAX); /* the "yz" ones */
	t_end();

	t_begin("dmarc_p_str");
	T_ASSERT_STREQ(dmarc_p_str(DMARC_P_UNSPEC), "");
	T_ASSERT_STREQ(dmarc_p_str(DMARC_P_NONE), "none");
	T_ASSERT_STREQ(dmarc_p_str(DMARC_P_QUARANTINE), "quarantine");
	T_ASSERT_STREQ(dmarc_p_str(DMARC_P_REJECT), "reject");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_full, test_version,
	    test_warnings, test_uris, test_policy_errors, test_hostile, NULL};

	return t_run(tests);
}
