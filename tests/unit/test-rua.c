/*
 * test-rua.c - rua= destinations: parsing, address checks, size limits
 * and the RFC 9990 3 external-destination check against a zone file
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/orgdomain.h"
#include "auth/resolver.h"
#include "report/rua.h"
#include "tests/t.h"

#define PSL_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"

static void
test_parse(void)
{
	static const struct {
		const char *in;
		enum rua_status st;
		const char *addr; /* RUA_OK: the address; else why */
		unsigned long long max;
	} v[] = {
	    {"mailto:dmarc@example.com", RUA_OK, "dmarc@example.com", 0},
	    {"  mailto:Dmarc@Example.COM\t", RUA_OK, "Dmarc@example.com", 0},
	    {"MAILTO:a@example.com", RUA_OK, "a@example.com", 0},
	    {"mailto:a@example.com.", RUA_OK, "a@example.com", 0},
	    {"mailto:a@example.com!10k", RUA_OK, "a@example.com", 10240},
	    {"mailto:a@example.com ! 10M ", RUA_OK, "a@example.com", 10485760},
	    {"mailto:a@example.com!1g", RUA_OK, "a@example.com", 1ULL << 30},
	    {"mailto:a@example.com!2t", RUA_OK, "a@example.com", 2ULL << 40},
	    {"mailto:a@example.com!5", RUA_OK, "a@example.com", 5},
	    {"mailto:a@example.com!", RUA_INVALID, "bad size limit", 0},
	    {"mailto:a@example.com!k", RUA_INVALID, "bad size limit", 0},
	    {"mailto:a@example.com!10x", RUA_INVALID, "bad size limit", 0},
	    {"mailto:a@example.com!-1", RUA_INVALID, "bad size limit", 0},
	    {"mailto:a@example.com!99999999999999999999", RUA_INVALID,
		"bad size limit", 0},
	    {"mailto:a@example.com!16777216t", RUA_INVALID, "bad size limit",
		0},
	    {"mailto:a@example.com?subject=x&to=b@evil.example", RUA_OK,
		"a@example.com", 0},
	    {"mailto:dmarc%2Breports@example.com", RUA_OK,
		"dmarc+reports@example.com", 0},
	    {"mailto:%64mar%63@example.com", RUA_OK, "dmarc@example.com", 0},
	    {"mailto:a_b=c-d.e@example.com", RUA_OK, "a_b=c-d.e@example.com",
		0},
	    {"https://example.com/dmarc", RUA_UNSUPPORTED, "not a mailto: URI",
		0},
	    {"ftp:x", RUA_UNSUPPORTED, "not a mailto: URI", 0},
	    {"example.com", RUA_INVALID, "not a URI", 0},
	    {"a@example.com", RUA_INVALID, "not a URI", 0},
	    {":x", RUA_INVALID, "not a URI", 0},
	    {"mailto:", RUA_INVALID, "empty address", 0},
	    {"mailto:example.com", RUA_INVALID, "no '@' in address", 0},
	    {"mailto:a@example.com%2Cb@example.org", RUA_INVALID,
		"several addresses in one URI", 0},
	    {"mailto:;rm%20-rf%20/@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a;rm -rf /@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:-oQ/tmp/x@example.com", RUA_INVALID,
		"address begins with '-'", 0},
	    {"mailto:%2DoQ/tmp@example.com", RUA_INVALID,
		"address begins with '-'", 0},
	    {"mailto:a b@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a%0Ab@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a%0D%0ABcc:%20x@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a%00b@example.com", RUA_INVALID, "NUL byte in address", 0},
	    {"mailto:\"q\"@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:'q'@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a$(id)@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a`id`@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a|b@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a&b@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a>b@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a\\b@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:caf%C3%A9@example.com", RUA_INVALID,
		"character not allowed in local part", 0},
	    {"mailto:a@example.com%20-X/tmp/log", RUA_INVALID,
		"address domain is not a host name", 0},
	    {"mailto:a@[192.0.2.1]", RUA_INVALID,
		"address domain is not a host name", 0},
	    {"mailto:a@localhost", RUA_INVALID,
		"address domain is not a host name", 0},
	    {"mailto:a@-x.example", RUA_INVALID,
		"address domain is not a host name", 0},
	    {"mailto:a@b@example.com", RUA_INVALID,
		"address domain is not a host name", 0},
	    {"mailto:a@", RUA_INVALID, "address domain is not a host name", 0},
	    {"mailto:@example.com", RUA_INVALID, "bad local part length", 0},
	    {"mailto:.a@example.com", RUA_INVALID,
		"misplaced dot in local part", 0},
	    {"mailto:a.@example.com", RUA_INVALID,
		"misplaced dot in local part", 0},
	    {"mailto:a..b@example.com", RUA_INVALID,
		"misplaced dot in local part", 0},
	    {"mailto:a@example.com%", RUA_INVALID, "bad percent-encoding", 0},
	    {"mailto:a@example.com%4", RUA_INVALID, "bad percent-encoding", 0},
	    {"mailto:a%zz@example.com", RUA_INVALID, "bad percent-encoding", 0},
	};
	struct rua_list l;
	size_t i;

	t_begin("rua_parse: one URI each: schemes, sizes, hostile addresses");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rua_parse(v[i].in, strlen(v[i].in), &l);
		T_ASSERT_IDX(l.n == 1, i);
		if (l.n != 1)
			continue;
		T_ASSERT_IDX(l.d[0].status == v[i].st, i);
		if (v[i].st == RUA_OK) {
			T_ASSERT_STREQ(l.d[0].addr, v[i].addr);
			T_ASSERT_STREQ(l.d[0].why, NULL);
			T_ASSERT_IDX(l.d[0].max_size == v[i].max, i);
			T_ASSERT_IDX(strcmp(l.d[0].domain,
					 strchr(v[i].addr, '@') + 1) == 0,
			    i);
		} else {
			T_ASSERT_STREQ(l.d[0].why, v[i].addr);
			T_ASSERT_STREQ(l.d[0].addr, "");
		}
	}
	t_end();
}

static void
test_lists(void)
{
	static const char list[] = "mailto:a@example.com, https://x.example/r "
				   ",mailto:b@example.com!1m,"
				   ",mailto:a@EXAMPLE.com,mailto:A@example.com";
	static const char nul[] = "mailto:a@exa\0mple.com,mailto:b@example.com";
	char many[2048], addr[RUA_ADDR_MAX + 1];
	const char *e = NULL;
	struct rua_list l;
	size_t i, n;

	t_begin("rua_parse: lists, duplicates, caps, NUL, printable copies");
	rua_parse(list, strlen(list), &l);
	T_ASSERT_INTEQ(l.n, 5);
	T_ASSERT(l.d[0].status == RUA_OK);
	T_ASSERT(l.d[1].status == RUA_UNSUPPORTED);
	T_ASSERT_STREQ(l.d[1].uri, "https://x.example/r");
	T_ASSERT(l.d[2].status == RUA_OK && l.d[2].max_size == 1048576);
	T_ASSERT_STREQ(l.d[2].uri, "mailto:b@example.com!1m");
	T_ASSERT(l.d[3].status == RUA_DUPLICATE); /* domains compare lower */
	T_ASSERT_STREQ(l.d[3].why, "address given twice");
	T_ASSERT(l.d[4].status == RUA_OK); /* local parts keep their case */
	T_ASSERT_INTEQ(l.ndropped, 0);

	rua_parse(nul, sizeof(nul) - 1, &l);
	T_ASSERT_INTEQ(l.n, 2);
	T_ASSERT(l.d[0].status == RUA_INVALID);
	T_ASSERT_STREQ(l.d[0].why, "NUL byte in URI");
	T_ASSERT_STREQ(l.d[0].uri, "mailto:a@exa?mple.com");
	T_ASSERT(l.d[1].status == RUA_OK);

	/* the length is obeyed: no read past len */
	rua_parse(list, 20, &l);
	T_ASSERT_INTEQ(l.n, 1);
	T_ASSERT(l.d[0].status == RUA_OK);
	T_ASSERT_STREQ(l.d[0].addr, "a@example.com");

	rua_parse("", 0, &l);
	T_ASSERT_INTEQ(l.n, 0);
	rua_parse(" , ,,", 5, &l);
	T_ASSERT_INTEQ(l.n, 0);

	many[0] = '\0';
	for (i = 0; i < RUA_DEST_MAX + 3; i++) {
		n = strlen(many);
		snprintf(many + n, sizeof(many) - n,
		    "%smailto:r%zu@example.com", i ? "," : "", i);
	}
	rua_parse(many, strlen(many), &l);
	T_ASSERT_INTEQ(l.n, RUA_DEST_MAX);
	T_ASSERT_INTEQ(l.ndropped, 3);
	T_ASSERT_STREQ(l.d[RUA_DEST_MAX - 1].addr, "r15@example.com");

	rua_parse("mailto:a%0Ab\x01@example.com",
	    strlen("mailto:a%0Ab\x01@example.com"), &l);
	T_ASSERT_STREQ(l.d[0].uri, "mailto:a%0Ab?@example.com");

	/* the local part's limit is 64 */
	memset(many, 'a', 64);
	strlcpy(many + 64, "@example.com", sizeof(many) - 64);
	T_ASSERT(
	    rua_addr_check(many, strlen(many), addr, sizeof(addr), &e) == 0);
	memset(many, 'a', 65);
	strlcpy(many + 65, "@example.com", sizeof(many) - 65);
	T_ASSERT(
	    rua_addr_check(many, strlen(many), addr, sizeof(addr), &e) == -1);
	T_ASSERT_STREQ(e, "bad local part length");
	T_ASSERT(rua_addr_check("a@b.example", 11, addr, 5, &e) == -1);
	T_ASSERT_STREQ(e, "address too long");
	T_ASSERT(
	    rua_addr_check("A@B.Example", 11, addr, sizeof(addr), &e) == 0);
	T_ASSERT_STREQ(addr, "A@b.example");
	t_end();

	t_begin("rua_addr_check: every shell metacharacter, alone, refused");
	{
		static const char meta[] =
		    "\"'`$|&;<>()\\ \t\n\r*?[]{}~#!%^/,:";
		char one[32];

		for (i = 0; i < sizeof(meta) - 1; i++) {
			snprintf(one, sizeof(one), "a%cb@example.com", meta[i]);
			e = NULL;
			T_ASSERT_IDX(rua_addr_check(one, strlen(one), addr,
					 sizeof(addr), &e) == -1,
			    i);
			T_ASSERT_STREQ(e,
			    "character not allowed in local part");
		}
	}
	t_end();
}

static void
test_fits(void)
{
	struct rua_dest d;

	t_begin("rua_fits: the legacy !size limit");
	memset(&d, 0, sizeof(d));
	T_ASSERT(rua_fits(&d, 1u << 30) == 1);
	d.max_size = 100;
	T_ASSERT(rua_fits(&d, 100) == 1);
	T_ASSERT(rua_fits(&d, 101) == 0);
	T_ASSERT_STREQ(rua_status_str(RUA_UNVERIFIED), "unverified");
	T_ASSERT_STREQ(rua_status_str(RUA_TEMPFAIL), "tempfail");
	t_end();
}

static const char zone[] =
    "_dmarc.example.com                   TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.sub.example.com               TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.example.net                   TXT \"v=DMARC1; p=none\"\n"
    "example.com._report._dmarc.vendor.example TXT \"v=DMARC1\"\n"
    "example.com._report._dmarc.multi.example  TXT \"something else\"\n"
    "example.com._report._dmarc.multi.example  TXT \"v=DMARC1;\"\n"
    "example.com._report._dmarc.override.example TXT \"v=DMARC1; "
    "rua=mailto:other@override.example,mailto:third@override.example!1m\"\n"
    "example.com._report._dmarc.evil.example TXT \"v=DMARC1; "
    "rua=mailto:x@elsewhere.example\"\n"
    "example.com._report._dmarc.notdmarc.example TXT \"v=spf1 -all\"\n"
    "example.com._report._dmarc.v10.example TXT \"v=DMARC10\"\n"
    "$SERVFAIL example.com._report._dmarc.flaky.example TXT\n"
    "$TIMEOUT _dmarc.tf.example TXT\n"
    "sub.example.com._report._dmarc.vendor.example TXT \"v=DMARC1\"\n";

static struct resolver *
zone_resolver(char *path, size_t pathlen)
{
	struct resolver_opts o = {NULL, NULL, 0};
	struct resolver *res = NULL;
	char err[256];
	FILE *fp;
	int fd;

	snprintf(path, pathlen, "/tmp/test-rua-XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return NULL;
	fputs(zone, fp);
	fclose(fp);
	o.zone_file = path;
	if (resolver_new(&o, &res, err, sizeof(err)) == -1)
		printf("resolver_new: %s\n", err);
	return res;
}

static void
test_verify(void)
{
	static const struct {
		const char *policy, *rua;
		size_t nok;
		enum rua_status st; /* of d[0] */
		const char *addr;   /* of d[0] if OK, else its why */
		int external;
	} v[] = {
	    /* the policy domain itself, and its organization: no query */
	    {"example.com", "mailto:d@example.com", 1, RUA_OK, "d@example.com",
		0},
	    {"example.com", "mailto:d@reports.example.com", 1, RUA_OK,
		"d@reports.example.com", 0},
	    {"sub.example.com", "mailto:d@example.com", 1, RUA_OK,
		"d@example.com", 0},
	    {"sub.example.com", "mailto:d@x.example.com", 1, RUA_OK,
		"d@x.example.com", 0},
	    /* external, authorized */
	    {"example.com", "mailto:d@vendor.example", 1, RUA_OK,
		"d@vendor.example", 1},
	    {"sub.example.com", "mailto:d@vendor.example", 1, RUA_OK,
		"d@vendor.example", 1},
	    {"example.com", "mailto:d@multi.example", 1, RUA_OK,
		"d@multi.example", 1},
	    /* a sibling organization is external too */
	    {"example.net", "mailto:d@vendor.example", 0, RUA_UNVERIFIED,
		"external destination not authorized (no _report._dmarc "
		"record)",
		0},
	    {"example.com", "mailto:d@example.net", 0, RUA_UNVERIFIED,
		"external destination not authorized (no _report._dmarc "
		"record)",
		0},
	    {"example.com", "mailto:d@notdmarc.example", 0, RUA_UNVERIFIED,
		"external destination not authorized (no _report._dmarc "
		"record)",
		0},
	    {"example.com", "mailto:d@v10.example", 0, RUA_UNVERIFIED,
		"external destination not authorized (no _report._dmarc "
		"record)",
		0},
	    /* RFC 9990 3 step 9: override on the same host, or refusal */
	    {"example.com", "mailto:d@override.example", 2, RUA_OK,
		"other@override.example", 1},
	    {"example.com", "mailto:d@evil.example", 0, RUA_UNVERIFIED,
		"external destination redirects to another host", 0},
	    /* DNS trouble: not now */
	    {"example.com", "mailto:d@flaky.example", 0, RUA_TEMPFAIL,
		"DNS temporary failure verifying external destination", 0},
	    {"example.com", "mailto:d@tf.example", 0, RUA_TEMPFAIL,
		"DNS temporary failure finding organizational domains", 0},
	    /* the policy domain itself needs no DNS at all */
	    {"tf.example", "mailto:d@TF.example", 1, RUA_OK, "d@tf.example", 0},
	    /* entries already refused stay as they were */
	    {"example.com", "https://vendor.example/", 0, RUA_UNSUPPORTED,
		"not a mailto: URI", 0},
	    /* the name to ask would be too long for DNS */
	    {"a123456789012345678901234567890123456789012345678901234567890."
	     "b123456789012345678901234567890123456789012345678901234567890."
	     "c123456789012345678901234567890123456789012345678901234567890."
	     "example",
		"mailto:d@r12345678901234567890123456789012345678901234567890"
		"1234567890.example",
		0, RUA_UNVERIFIED, "verification name exceeds DNS limits", 0},
	};
	struct rua_list l;
	struct resolver *res;
	char path[64];
	size_t i, n;

	t_begin("rua_verify: RFC 9990 3 external destinations (zone file)");
	res = zone_resolver(path, sizeof(path));
	T_ASSERT(res != NULL);
	for (i = 0; res != NULL && i < sizeof(v) / sizeof(v[0]); i++) {
		rua_parse(v[i].rua, strlen(v[i].rua), &l);
		n = rua_verify(&l, v[i].policy, res, NULL);
		T_ASSERT_IDX(n == v[i].nok, i);
		T_ASSERT_IDX(l.d[0].status == v[i].st, i);
		T_ASSERT_IDX(l.d[0].external == v[i].external, i);
		if (v[i].st == RUA_OK)
			T_ASSERT_STREQ(l.d[0].addr, v[i].addr);
		else
			T_ASSERT_STREQ(l.d[0].why, v[i].addr);
	}
	/* the override's second URI is added, with its own size limit */
	rua_parse("mailto:d@override.example,mailto:e@override.example",
	    strlen("mailto:d@override.example,mailto:e@override.example"), &l);
	n = res != NULL ? rua_verify(&l, "example.com", res, NULL) : 0;
	T_ASSERT_INTEQ(n, 2);
	T_ASSERT_INTEQ(l.n, 4);
	T_ASSERT_STREQ(l.d[0].addr, "other@override.example");
	T_ASSERT(l.d[1].status == RUA_DUPLICATE); /* e@ became other@ too */
	T_ASSERT_STREQ(l.d[2].addr, "third@override.example");
	T_ASSERT(l.d[2].max_size == 1048576 && l.d[2].external == 1);
	T_ASSERT_STREQ(l.d[2].uri, "mailto:d@override.example");
	T_ASSERT(l.d[3].status == RUA_DUPLICATE);
	resolver_free(&res);
	unlink(path);
	t_end();
}

static void
test_verify_psl(void)
{
	struct orgdomain_psl *psl = NULL;
	struct resolver *res;
	struct rua_list l;
	char path[64], err[256];

	t_begin("rua_verify: organizational domains from the PSL");
	if (access(PSL_DAFSA, R_OK) != 0) {
		printf("skip: %s not installed\n", PSL_DAFSA);
		t_end();
		return;
	}
	res = zone_resolver(path, sizeof(path));
	T_ASSERT(orgdomain_psl_new(PSL_DAFSA, &psl, err, sizeof(err)) == 0);
	if (res != NULL && psl != NULL) {
		/* same registrable domain under a public suffix: no query */
		rua_parse("mailto:d@reports.example.co.uk", 30, &l);
		T_ASSERT_INTEQ(rua_verify(&l, "mail.example.co.uk", res, psl),
		    1);
		T_ASSERT(l.d[0].external == 0);
		/* two registrable domains: checked, and refused */
		rua_parse("mailto:d@other.co.uk", 20, &l);
		T_ASSERT_INTEQ(rua_verify(&l, "example.co.uk", res, psl), 0);
		T_ASSERT(l.d[0].status == RUA_UNVERIFIED);
	}
	orgdomain_psl_free(&psl);
	resolver_free(&res);
	unlink(path);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_parse, test_lists, test_fits,
	    test_verify, test_verify_psl, NULL};

	return t_run(tests);
}
