/*
 * test-spf.c - SPF checks (auth/spf.c) against a zone written here
 *
 * Every result of RFC 7208, the processing limits, the mechanisms and
 * macros, the null sender, the HELO identity, loopback and IPv6 clients,
 * the record syntax checker, and many threads sharing one context.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/resolver.h"
#include "auth/spf.h"
#include "tests/t.h"

static const char zone_text[] =
    "$TTL 300\n"
    "pass.test        TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "fail.test        TXT \"v=spf1 ip4:198.51.100.1 -all\"\n"
    "soft.test        TXT \"v=spf1 ip4:198.51.100.1 ~all\"\n"
    "neutral.test     TXT \"v=spf1 ip4:198.51.100.1 ?all\"\n"
    "end.test         TXT \"v=spf1 ip4:198.51.100.1\"\n"
    "split.test       TXT \"v=spf1 ip4:192.0.2.0\" \"/24 -all\"\n"
    "none.test        A 192.0.2.1\n"
    "other.test       TXT \"v=spf10 +all\" \"\"\n"
    "other.test       TXT \"google-site-verification=x\"\n"
    "syntax.test      TXT \"v=spf1 ip4:192.0.2.1 foo -all\"\n"
    "badcidr.test     TXT \"v=spf1 ip4:192.0.2.1/033 -all\"\n"
    "multi.test       TXT \"v=spf1 -all\"\n"
    "multi.test       TXT \"V=SPF1 +all\"\n"
    "nul.test         TXT \"v=spf1 ip4:192.0.2.0/24\\000 -all\"\n"
    "utf8.test        TXT \"v=spf1 ip4:192.0.2.0/24 \\195\\169 -all\"\n"
    /* 10 and 11 DNS terms, the 11th across an include */
    "at10.test        TXT \"v=spf1 a:h.test a:h.test a:h.test a:h.test "
    "a:h.test a:h.test a:h.test a:h.test a:h.test a:h.test "
    "ip4:192.0.2.0/24 -all\"\n"
    "over11.test      TXT \"v=spf1 a:h.test include:inc9.test "
    "ip4:192.0.2.0/24 -all\"\n"
    "inc9.test        TXT \"v=spf1 a:h.test a:h.test a:h.test a:h.test "
    "a:h.test a:h.test a:h.test a:h.test a:h.test\"\n"
    "h.test           A 198.51.100.7\n"
    /* void lookups */
    "void2.test       TXT \"v=spf1 a:nx1.test mx:nx2.test -all\"\n"
    "void3.test       TXT \"v=spf1 a:nx1.test mx:nx2.test exists:nx3.test "
    "-all\"\n"
    "voidexp.test     TXT \"v=spf1 a:nx1.test a:nx2.test -all "
    "exp=nx3.test\"\n"
    /* loops */
    "incloop.test     TXT \"v=spf1 include:incloop2.test -all\"\n"
    "incloop2.test    TXT \"v=spf1 include:incloop.test -all\"\n"
    "redirloop.test   TXT \"v=spf1 redirect=redirloop2.test\"\n"
    "redirloop2.test  TXT \"v=spf1 redirect=redirloop.test\"\n"
    /* temperror */
    "$SERVFAIL tempfail.test TXT\n"
    "$TIMEOUT slow.test A\n"
    "tempinc.test     TXT \"v=spf1 include:tempfail.test -all\"\n"
    "tempa.test       TXT \"v=spf1 a:slow.test -all\"\n"
    "incnone.test     TXT \"v=spf1 include:none.test -all\"\n"
    /* mechanisms */
    "include.test     TXT \"v=spf1 include:pass.test -all\"\n"
    "redirect.test    TXT \"v=spf1 redirect=pass.test\"\n"
    "redirall.test    TXT \"v=spf1 redirect=pass.test ?all\"\n"
    "mx.test          TXT \"v=spf1 mx -all\"\n"
    "mx.test          MX 10 mail.mx.test\n"
    "mail.mx.test     A 192.0.2.10\n"
    "mail.mx.test     AAAA 2001:db8::10\n"
    "a.test           TXT \"v=spf1 a a:other.a.test/24 -all\"\n"
    "a.test           A 192.0.2.20\n"
    "other.a.test     A 203.0.113.1\n"
    "a0.test          TXT \"v=spf1 a/0 -all\"\n"
    "a0.test          A 198.51.100.9\n"
    "a0nx.test        TXT \"v=spf1 a:none6.test//0 mx/0 -all\"\n"
    "a0nx.test        MX 0 none6.test\n"
    "none6.test       AAAA 2001:db8::99\n"
    "ptr.test         TXT \"v=spf1 ptr -all\"\n"
    "30.2.0.192.in-addr.arpa PTR host.ptr.test\n"
    "host.ptr.test    A 192.0.2.30\n"
    "31.2.0.192.in-addr.arpa PTR liar.ptr.test\n"
    "$SERVFAIL 33.2.0.192.in-addr.arpa PTR\n"
    "liar.ptr.test    A 192.0.2.99\n"
    "ip6.test         TXT \"v=spf1 ip6:2001:db8::/32 -all\"\n"
    "a6.test          TXT \"v=spf1 a -all\"\n"
    "a6.test          AAAA 2001:db8::25\n"
    "exists.test      TXT \"v=spf1 exists:%{i}.ip.test -all\"\n"
    "192.0.2.40.ip.test A 127.0.0.2\n"
    "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.ip.test "
    "A 127.0.0.2\n"
    "macl.test        TXT \"v=spf1 exists:%{l}.lp.test -all\"\n"
    "alice.lp.test    A 127.0.0.2\n"
    "postmaster.lp.test A 127.0.0.2\n"
    "macs.test        TXT \"v=spf1 exists:%{s}.s.test -all\"\n"
    "alice@macs.test.s.test A 127.0.0.2\n"
    "macd.test        TXT \"v=spf1 exists:%{d2}.%{d1}.d.test -all\"\n"
    "macd.test.test.d.test A 127.0.0.2\n"
    "macdr.test       TXT \"v=spf1 -exists:%{lr-}.%{o}.r.test +all\"\n"
    "b.a.macdr.test.r.test A 127.0.0.2\n"
    "nullhelo.test    TXT \"v=spf1 exists:%{l}.lp.test -all\"\n"
    "helo.test        TXT \"v=spf1 ip4:192.0.2.70 -all\"\n"
    "loop.test        TXT \"v=spf1 ip4:127.0.0.0/8 ip6:::1 +all\"\n"
    "manymx.test      TXT \"v=spf1 mx -all\"\n"
    "manymx.test      MX 1 m1.test\n"
    "manymx.test      MX 2 m2.test\n"
    "manymx.test      MX 3 m3.test\n"
    "manymx.test      MX 4 m4.test\n"
    "manymx.test      MX 5 m5.test\n"
    "manymx.test      MX 6 m6.test\n"
    "manymx.test      MX 7 m7.test\n"
    "manymx.test      MX 8 m8.test\n"
    "manymx.test      MX 9 m9.test\n"
    "manymx.test      MX 10 m10.test\n"
    "manymx.test      MX 11 mail.mx.test\n"
    "exp.test         TXT \"v=spf1 -all exp=explain.test\"\n"
    "explain.test     TXT \"%{i} is not welcome\"\n"
    "big.test         TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";

static struct resolver *
make_resolver(void)
{
	char path[] = "/tmp/test-spf.XXXXXX", err[256];
	struct resolver_opts opts;
	struct resolver *res = NULL;
	FILE *f;
	int fd;
	size_t i;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return NULL;
	fputs(zone_text, f);
	/* 12 PTR names for one address: only 10 are used, no permerror */
	for (i = 0; i < 12; i++)
		fprintf(f, "5.2.0.192.in-addr.arpa PTR n%zu.ptr12.test\n", i);
	fputs("n11.ptr12.test A 192.0.2.5\n", f);
	fputs("ptr12.test TXT \"v=spf1 ptr -all\"\n", f);
	fclose(f);
	memset(&opts, 0, sizeof(opts));
	opts.zone_file = path;
	if (resolver_new(&opts, &res, err, sizeof(err)) == -1)
		printf("resolver_new: %s\n", err);
	unlink(path);
	return res;
}

static struct resolver *res_;
static struct spf_ctx *ctx_;

struct spf_case {
	const char *ip;
	const char *helo;
	const char *from;
	enum spf_result want;
	const char *reason; /* substring of the reason, or NULL */
	const char *domain; /* or NULL */
};

static void
run_cases(const char *title, const struct spf_case *tab, size_t n, int helo)
{
	struct spf_check out;
	size_t i;
	int rc;

	t_begin(title);
	for (i = 0; i < n; i++) {
		memset(&out, 0x55, sizeof(out));
		rc = helo ? spf_check_helo(ctx_, tab[i].ip, tab[i].helo, &out)
			  : spf_check_mfrom(ctx_, tab[i].ip, tab[i].helo,
				tab[i].from, &out);
		T_ASSERT_IDX(rc == 0, i);
		if (out.result != tab[i].want)
			printf("  [%zu] %s: got %s (%s), want %s\n", i,
			    tab[i].from ? tab[i].from : tab[i].helo,
			    spf_result_str(out.result), out.reason,
			    spf_result_str(tab[i].want));
		T_ASSERT_IDX(out.result == tab[i].want, i);
		if (tab[i].reason != NULL &&
		    strstr(out.reason, tab[i].reason) == NULL) {
			printf("  [%zu] reason \"%s\" lacks \"%s\"\n", i,
			    out.reason, tab[i].reason);
			T_ASSERT_IDX(0, i);
		}
		if (tab[i].domain != NULL)
			T_ASSERT_STREQ(out.domain, tab[i].domain);
		T_ASSERT_STREQ(out.scope, helo ? "helo" : "mfrom");
	}
	t_end();
}

#define NCASES(t) (sizeof(t) / sizeof((t)[0]))

static void
test_results(void)
{
	static const struct spf_case tab[] = {
	    {"192.0.2.1", "h.example", "a@pass.test", SPF_RES_PASS,
		"192.0.2.1 is authorized by pass.test", "pass.test"},
	    {"192.0.2.1", "h.example", "a@PASS.Test.", SPF_RES_PASS, NULL,
		"pass.test"},
	    {"192.0.2.1", "h.example", "a@fail.test", SPF_RES_FAIL,
		"not authorized", NULL},
	    {"192.0.2.1", "h.example", "a@soft.test", SPF_RES_SOFTFAIL,
		"softfail", NULL},
	    {"192.0.2.1", "h.example", "a@neutral.test", SPF_RES_NEUTRAL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@end.test", SPF_RES_NEUTRAL, NULL,
		NULL},
	    /* RFC 7208 3.3: strings are joined without spaces */
	    {"192.0.2.1", "h.example", "a@split.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@none.test", SPF_RES_NONE,
		"no SPF record", "none.test"},
	    {"192.0.2.1", "h.example", "a@nxdomain.test", SPF_RES_NONE, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@other.test", SPF_RES_NONE, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@syntax.test", SPF_RES_PERMERROR,
		"unknown mechanism", NULL},
	    {"192.0.2.1", "h.example", "a@badcidr.test", SPF_RES_PERMERROR,
		"syntax error", NULL},
	    {"192.0.2.1", "h.example", "a@multi.test", SPF_RES_PERMERROR,
		"multiple SPF records", NULL},
	    {"192.0.2.1", "h.example", "a@nul.test", SPF_RES_PERMERROR,
		"invalid character", NULL},
	    {"192.0.2.1", "h.example", "a@utf8.test", SPF_RES_PERMERROR,
		"invalid character", NULL},
	    {"192.0.2.1", "h.example", "a@tempfail.test", SPF_RES_TEMPERROR,
		"SERVFAIL (zone)", NULL},
	    {"192.0.2.1", "h.example", "a@tempinc.test", SPF_RES_TEMPERROR,
		"SERVFAIL (zone) for tempfail.test", NULL},
	    {"192.0.2.1", "h.example", "a@tempa.test", SPF_RES_TEMPERROR,
		"timeout (zone) for slow.test", NULL},
	    {"192.0.2.1", "h.example", "a@incnone.test", SPF_RES_PERMERROR,
		"no SPF record at none.test", NULL},
	    /* explanations never change the result */
	    {"192.0.2.1", "h.example", "a@exp.test", SPF_RES_FAIL, NULL, NULL},
	    {"192.0.2.1", "h.example", "a@voidexp.test", SPF_RES_FAIL, NULL,
		NULL},
	};

	run_cases("spf_check_mfrom: pass fail softfail neutral none errors",
	    tab, NCASES(tab), 0);
}

static void
test_limits(void)
{
	static const struct spf_case tab[] = {
	    {"192.0.2.1", "h.example", "a@at10.test", SPF_RES_PASS, NULL, NULL},
	    {"192.0.2.1", "h.example", "a@over11.test", SPF_RES_PERMERROR,
		"more than 10 DNS lookups, RFC 7208 4.6.4", NULL},
	    {"192.0.2.1", "h.example", "a@void2.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@void3.test", SPF_RES_PERMERROR,
		"more than 2 void lookups, RFC 7208 4.6.4", NULL},
	    {"192.0.2.1", "h.example", "a@incloop.test", SPF_RES_PERMERROR,
		NULL, NULL},
	    {"192.0.2.1", "h.example", "a@redirloop.test", SPF_RES_PERMERROR,
		NULL, NULL},
	    {"192.0.2.10", "h.example", "a@manymx.test", SPF_RES_PERMERROR,
		"more than 10 MX records", NULL},
	    /* the 12th PTR name matches, but only 10 are looked at */
	    {"192.0.2.5", "h.example", "a@ptr12.test", SPF_RES_FAIL, NULL,
		NULL},
	};

	run_cases("spf_check_mfrom: RFC 7208 4.6.4 limits and loops", tab,
	    NCASES(tab), 0);
}

static void
test_mechanisms(void)
{
	static const struct spf_case tab[] = {
	    {"192.0.2.9", "h.example", "a@include.test", SPF_RES_PASS, NULL,
		NULL},
	    {"198.51.100.9", "h.example", "a@include.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.9", "h.example", "a@redirect.test", SPF_RES_PASS, NULL,
		"redirect.test"},
	    {"198.51.100.9", "h.example", "a@redirect.test", SPF_RES_FAIL, NULL,
		NULL},
	    /* RFC 7208 6.1: "all" present, redirect ignored */
	    {"192.0.2.9", "h.example", "a@redirall.test", SPF_RES_NEUTRAL, NULL,
		NULL},
	    {"192.0.2.10", "h.example", "a@mx.test", SPF_RES_PASS, NULL, NULL},
	    {"192.0.2.11", "h.example", "a@mx.test", SPF_RES_FAIL, NULL, NULL},
	    {"2001:db8::10", "h.example", "a@mx.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.20", "h.example", "a@a.test", SPF_RES_PASS, NULL, NULL},
	    {"203.0.113.77", "h.example", "a@a.test", SPF_RES_PASS, NULL, NULL},
	    {"203.0.114.1", "h.example", "a@a.test", SPF_RES_FAIL, NULL, NULL},
	    /* a/0: any A record matches (libspf2 cannot say /0) */
	    {"192.0.2.1", "h.example", "a@a0.test", SPF_RES_PASS, NULL, NULL},
	    {"192.0.2.1", "h.example", "a@a0nx.test", SPF_RES_FAIL, NULL, NULL},
	    {"2001:db8::1", "h.example", "a@a0nx.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.30", "h.example", "a@ptr.test", SPF_RES_PASS, NULL, NULL},
	    /* the PTR name does not resolve back: not validated */
	    {"192.0.2.31", "h.example", "a@ptr.test", SPF_RES_FAIL, NULL, NULL},
	    {"192.0.2.32", "h.example", "a@ptr.test", SPF_RES_FAIL, NULL, NULL},
	    /* RFC 7208 5.5: a DNS error on the PTR query: no match */
	    {"192.0.2.33", "h.example", "a@ptr.test", SPF_RES_FAIL, NULL, NULL},
	    {"2001:db8::1", "h.example", "a@ip6.test", SPF_RES_PASS, NULL,
		NULL},
	    {"2001:db9::1", "h.example", "a@ip6.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "a@ip6.test", SPF_RES_FAIL, NULL, NULL},
	    {"2001:DB8::25", "h.example", "a@a6.test", SPF_RES_PASS, NULL,
		NULL},
	    {"2001:db8::26", "h.example", "a@a6.test", SPF_RES_FAIL, NULL,
		NULL},
	    /* RFC 7208 5: IPv4-mapped is IPv4 */
	    {"::ffff:192.0.2.7", "h.example", "a@pass.test", SPF_RES_PASS,
		"192.0.2.7 is authorized", NULL},
	};

	run_cases("spf_check_mfrom: include redirect mx a ptr ip6 exists", tab,
	    NCASES(tab), 0);
}

static void
test_macros(void)
{
	static const struct spf_case tab[] = {
	    {"192.0.2.40", "h.example", "x@exists.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.41", "h.example", "x@exists.test", SPF_RES_FAIL, NULL,
		NULL},
	    /* %{i} of IPv6: dotted nibbles */
	    {"2001:db8::2", "h.example", "x@exists.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "alice@macl.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "bob@macl.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "alice@macs.test", SPF_RES_PASS, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "bob@macs.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "x@macd.test", SPF_RES_PASS, NULL, NULL},
	    /* %{lr-}: local-part split on "-", reversed */
	    {"192.0.2.1", "h.example", "a-b@macdr.test", SPF_RES_FAIL, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "b-a@macdr.test", SPF_RES_PASS, NULL,
		NULL},
	    /* RFC 7208 4.3: no local-part -> postmaster */
	    {"192.0.2.1", "h.example", "@macl.test", SPF_RES_PASS, NULL,
		"macl.test"},
	    {"192.0.2.1", "h.example", "macl.test", SPF_RES_PASS, NULL,
		"macl.test"},
	};

	run_cases("spf_check_mfrom: macros %{i} %{l} %{s} %{d} %{o}", tab,
	    NCASES(tab), 0);
}

static void
test_null_sender(void)
{
	static const struct spf_case tab[] = {
	    /* RFC 7208 2.4: postmaster@HELO, domain HELO */
	    {"192.0.2.1", "NullHelo.test", "", SPF_RES_PASS, NULL,
		"nullhelo.test"},
	    {"192.0.2.70", "helo.test", "", SPF_RES_PASS, NULL, "helo.test"},
	    {"192.0.2.71", "helo.test", NULL, SPF_RES_FAIL, NULL, "helo.test"},
	    {"192.0.2.1", "[192.0.2.1]", "", SPF_RES_NONE, NULL, NULL},
	    {"192.0.2.1", "localhost", "", SPF_RES_NONE, "invalid domain name",
		NULL},
	    /* RFC 7208 4.3: malformed domains */
	    {"192.0.2.1", "h.example", "user@", SPF_RES_NONE,
		"invalid domain name", ""},
	    {"192.0.2.1", "h.example", "u@a..pass.test", SPF_RES_NONE,
		"invalid domain name", ""},
	    {"192.0.2.1", "h.example", "u@[192.0.2.1]", SPF_RES_NONE, NULL,
		NULL},
	    {"192.0.2.1", "h.example", "u@sp ace.test", SPF_RES_NONE,
		"invalid domain name", NULL},
	    {"192.0.2.1", "h.example",
		"u@a1234567890123456789012345678901234567890123456789012345"
		"67890123.test",
		SPF_RES_NONE, "invalid domain name", NULL},
	};

	run_cases("spf_check_mfrom: null sender and malformed domains", tab,
	    NCASES(tab), 0);
}

static void
test_helo(void)
{
	static const struct spf_case tab[] = {
	    {"192.0.2.70", "helo.test", NULL, SPF_RES_PASS, NULL, "helo.test"},
	    {"192.0.2.70", "HELO.test.", NULL, SPF_RES_PASS, NULL, "helo.test"},
	    {"192.0.2.71", "helo.test", NULL, SPF_RES_FAIL, NULL, NULL},
	    {"192.0.2.1", "nullhelo.test", NULL, SPF_RES_PASS, NULL, NULL},
	    {"192.0.2.1", "[192.0.2.1]", NULL, SPF_RES_NONE, NULL, NULL},
	    {"192.0.2.1", "192.0.2.1", NULL, SPF_RES_NONE, "address literal",
		NULL},
	    {"2001:db8::1", "2001:db8::1", NULL, SPF_RES_NONE,
		"address literal", NULL},
	    {"192.0.2.1", "mailhost", NULL, SPF_RES_NONE, NULL, NULL},
	    {"192.0.2.1", "", NULL, SPF_RES_NONE, NULL, NULL},
	};

	run_cases("spf_check_helo: HELO identity", tab, NCASES(tab), 1);
}

static void
test_loopback(void)
{
	static const struct spf_case tab[] = {
	    {"127.0.0.1", "h.example", "a@pass.test", SPF_RES_NONE,
		"loopback client not evaluated", "pass.test"},
	    {"127.9.8.7", "h.example", "a@loop.test", SPF_RES_NONE,
		"loopback client not evaluated", NULL},
	    {"::1", "h.example", "a@loop.test", SPF_RES_NONE,
		"loopback client not evaluated", NULL},
	    {"::ffff:127.0.0.1", "h.example", "a@loop.test", SPF_RES_NONE,
		"loopback client not evaluated", NULL},
	    {"127.0.0.1", "loop.test", "", SPF_RES_NONE,
		"loopback client not evaluated", NULL},
	};
	struct spf_check out;

	run_cases("spf: a loopback client is never passed", tab, NCASES(tab),
	    0);
	t_begin("spf_check_helo: loopback, bad client address");
	T_ASSERT(spf_check_helo(ctx_, "127.0.0.1", "loop.test", &out) == 0);
	T_ASSERT(out.result == SPF_RES_NONE);
	T_ASSERT(spf_check_mfrom(ctx_, "192.0.2.300", "h.example",
		     "a@pass.test", &out) == -1);
	T_ASSERT_STREQ(out.reason, "invalid client address");
	T_ASSERT(spf_check_mfrom(ctx_, NULL, "h.example", "a@pass.test",
		     &out) == -1);
	t_end();
}

/* spf_record_check: the syntax of RFC 7208 12 and the rewrite */
static void
test_record_check(void)
{
	static const struct {
		const char *rec;
		int af;
		const char *out; /* NULL: must be refused */
		const char *err;
	} tab[] = {
	    {"v=spf1", AF_INET, "v=spf1", NULL},
	    {"V=SPF1  ip4:192.0.2.1 -all ", AF_INET,
		"v=spf1 ip4:192.0.2.1 -all", NULL},
	    {"v=spf1 ip4:192.0.2.1/0 ~all", AF_INET,
		"v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 ~all", NULL},
	    {"v=spf1 -ip6:::/0", AF_INET6, "v=spf1 -ip6:::/1 -ip6:8000::/1",
		NULL},
	    {"v=spf1 a/0 mx:ex.test/24//0", AF_INET,
		"v=spf1 a:%{d}.z--0 mx:ex.test/24", NULL},
	    {"v=spf1 a/0 mx:ex.test./24//0", AF_INET6,
		"v=spf1 a mx:ex.test.z--0/24", NULL},
	    {"v=spf1 redirect=r.test a exp=e.test foo=%{c} x.y=", AF_INET,
		"v=spf1 a redirect=r.test", NULL},
	    {"v=spf1 redirect=r.test -all", AF_INET, "v=spf1 -all", NULL},
	    {"v=spf1 exists:%{ir}.%{l1r-}.%{d2}._spf.%{D} ?all", AF_INET,
		"v=spf1 exists:%{ir}.%{l1r-}.%{d2}._spf.%{D} ?all", NULL},
	    {"v=spf1 a:foo.xn--zckzah include:%%.%_.%-.test", AF_INET,
		"v=spf1 a:foo.xn--zckzah include:%%.%_.%-.test", NULL},
	    {"v=spf10", AF_INET, NULL, "syntax error"},
	    /* found by fuzz-spf: an octet of 11 digits overflowed an int */
	    {"v=spf1 ip4:11111111111.0.0.0 -all", AF_INET, NULL,
		"syntax error"},
	    {"v=spf1 ip4:1000.0.0.0 -all", AF_INET, NULL, "syntax error"},
	    {"v=spf1\tall", AF_INET, NULL, "syntax error"},
	    {"v=spf1 -all moo", AF_INET, NULL, "unknown mechanism"},
	    {"v=spf1 =all", AF_INET, NULL, "invalid modifier name"},
	    {"v=spf1 1up=x", AF_INET, NULL, "invalid modifier name"},
	    {"v=spf1 -all.", AF_INET, NULL, "unknown mechanism"},
	    {"v=spf1 -all/8", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:foo-bar", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:museum.", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:1.2.3.4", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:ex.-com", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a/33", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a//129", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a/24/64", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a//", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip4:192.0.2.1/032", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip4:192.0.2.01", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip4:192.0.2", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip4:192.0.2.1//32", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip4", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ip6::CAFE::BABE", AF_INET, NULL, "syntax error"},
	    {"v=spf1 ptr/0", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exists", AF_INET, NULL, "syntax error"},
	    {"v=spf1 include:a.test/24", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exists:%(ir).test", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exists:%{x}.test", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exists:%{d0}.test", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exists:%{d", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:a%.test", AF_INET, NULL, "syntax error"},
	    {"v=spf1 a:%{c}.test", AF_INET, NULL, "syntax error"},
	    {"v=spf1 exp=%{r}.test", AF_INET, NULL, "invalid exp= domain"},
	    {"v=spf1 exp=a.test exp=b.test", AF_INET, NULL, "exp= given twice"},
	    {"v=spf1 redirect=a.test redirect=a.test", AF_INET, NULL,
		"redirect= given twice"},
	    {"v=spf1 redirect=", AF_INET, NULL, "invalid redirect= domain"},
	    {"v=spf1 foo=%abc", AF_INET, NULL, "invalid macro in modifier"},
	    {"v=spf1 redirect:a.test", AF_INET, NULL, "unknown mechanism"},
	    {"v=spf1 a:\xc3\xa9.test", AF_INET, NULL, "invalid character"},
	};
	char out[512];
	const char *errstr;
	size_t i;
	int rc;

	t_begin("spf_record_check: RFC 7208 12 syntax and rewrite");
	for (i = 0; i < NCASES(tab); i++) {
		rc = spf_record_check(tab[i].rec, strlen(tab[i].rec), tab[i].af,
		    out, sizeof(out), &errstr);
		T_ASSERT_IDX(rc == (tab[i].out != NULL ? 0 : -1), i);
		if (tab[i].out != NULL && rc == 0)
			T_ASSERT_STREQ(out, tab[i].out);
		else if (rc == -1)
			T_ASSERT_STREQ(errstr, tab[i].err);
	}
	/* (ptr, len): nothing past len is read, a NUL inside is refused */
	T_ASSERT(spf_record_check("v=spf1 -allXXX", 11, AF_INET, out,
		     sizeof(out), &errstr) == 0);
	T_ASSERT_STREQ(out, "v=spf1 -all");
	T_ASSERT(spf_record_check("v=spf1 -all\0 +all", 17, AF_INET, out,
		     sizeof(out), &errstr) == -1);
	T_ASSERT_STREQ(errstr, "invalid character");
	/* too small an output buffer is an error, not an overflow */
	T_ASSERT(spf_record_check("v=spf1 ip4:192.0.2.1/0", 22, AF_INET, out,
		     20, &errstr) == -1);
	T_ASSERT_STREQ(errstr, "record too long");
	t_end();
}

static void
test_result_str(void)
{
	t_begin("spf_result_str: RFC 8601 words");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_NONE), "none");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_NEUTRAL), "neutral");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_PASS), "pass");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_FAIL), "fail");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_SOFTFAIL), "softfail");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_TEMPERROR), "temperror");
	T_ASSERT_STREQ(spf_result_str(SPF_RES_PERMERROR), "permerror");
	t_end();
}

struct thread_arg {
	int bad;
};

static void *
check_thread(void *p)
{
	static const struct {
		const char *ip, *from;
		enum spf_result want;
	} work[] = {
	    {"192.0.2.1", "a@pass.test", SPF_RES_PASS},
	    {"192.0.2.1", "a@void3.test", SPF_RES_PERMERROR},
	    {"192.0.2.10", "a@mx.test", SPF_RES_PASS},
	    {"192.0.2.1", "a@over11.test", SPF_RES_PERMERROR},
	    {"2001:db8::25", "a@a6.test", SPF_RES_PASS},
	    {"192.0.2.1", "a@void2.test", SPF_RES_FAIL},
	};
	struct thread_arg *a = p;
	struct spf_check out;
	size_t i;

	for (i = 0; i < 300; i++) {
		if (spf_check_mfrom(ctx_, work[i % 6].ip, "h.example",
			work[i % 6].from, &out) != 0 ||
		    out.result != work[i % 6].want)
			a->bad++;
	}
	return NULL;
}

/* one context, many threads: each check owns its libspf2 state */
static void
test_threads(void)
{
	struct thread_arg ta[4];
	pthread_t th[4];
	struct spf_check out;
	struct timespec t0, t1;
	double us;
	int i, n = 2000;

	t_begin("spf: 4 threads share one context");
	for (i = 0; i < 4; i++) {
		ta[i].bad = 0;
		T_ASSERT(
		    pthread_create(&th[i], NULL, check_thread, &ta[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_ASSERT_INTEQ(ta[i].bad, 0);
	}
	/* the cost of a check with its own libspf2 server (zone DNS) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		(void)spf_check_mfrom(ctx_, "192.0.2.1", "h.example",
		    "a@pass.test", &out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		 (double)(t1.tv_nsec - t0.tv_nsec)) /
	    1e3 / n;
	printf("# %.1f us per check (libspf2 server per check, zone DNS)\n",
	    us);
	T_ASSERT(out.result == SPF_RES_PASS);
	t_end();
}

static void
test_ctx(void)
{
	struct spf_ctx *c = NULL;
	char err[128];

	t_begin("spf_ctx_new: needs a resolver");
	T_ASSERT(spf_ctx_new(NULL, &c, err, sizeof(err)) == -1);
	T_ASSERT(c == NULL);
	T_ASSERT_STREQ(err, "spf: no resolver");
	spf_ctx_free(NULL);
	spf_ctx_free(&c);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_results, test_limits,
	    test_mechanisms, test_macros, test_null_sender, test_helo,
	    test_loopback, test_record_check, test_result_str, test_threads,
	    test_ctx, NULL};
	char err[128];
	int rc;

	res_ = make_resolver();
	if (res_ == NULL || spf_ctx_new(res_, &ctx_, err, sizeof(err)) == -1) {
		printf("setup failed\n0 passed, 1 failed\n");
		return 1;
	}
	rc = t_run(tests);
	spf_ctx_free(&ctx_);
	T_ASSERT(ctx_ == NULL);
	resolver_free(&res_);
	return rc;
}
