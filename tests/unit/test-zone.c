/*
 * test-zone.c - the zone file backend and the libunbound resolver
 *
 * The zone backend is tested through zone_load_mem()/zone_query() and
 * through resolver_new() with a zone file.  The libunbound backend is
 * tested against a silent UDP socket (the timeout path, always) and
 * against a real unbound server on 127.0.0.1 when /usr/sbin/unbound
 * exists; without it that test prints "skip: unbound not installed".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/resolver.h"
#include "auth/zone.h"
#include "tests/t.h"

#define UNBOUND_BIN "/usr/sbin/unbound"

static const char zone_text[] =
    "; test zone\n"
    "$TTL 600\n"
    "a.example.com.        IN A 192.0.2.1\n"
    "a.example.com.        IN A 192.0.2.2 ; two\n"
    "A6.Example.COM        300 AAAA 2001:db8::1\n"
    "mx.example.com        IN 60 MX 10 Mail.Example.com.\n"
    "                      MX 20 mail2.example.com\n"
    "1.2.0.192.in-addr.arpa PTR a.example.com.\n"
    "txt.example.com       TXT \"v=spf1 \" \"-all\"\n"
    "txt.example.com       TXT bare\n"
    "esc.example.com       TXT \"a\\\"b\" \"\\\\c\\065;\" \"\\000z\"\n"
    "spf.example.com       SPF \"v=spf1 -all\"\n"
    "ns.example.com        NS ns1.example.net.\n"
    "alias.example.com     120 CNAME a.example.com\n"
    "alias2.example.com    CNAME alias.example.com.\n"
    "dangling.example.com  CNAME nowhere.example.com\n"
    "loop1.example.com     CNAME loop2.example.com\n"
    "loop2.example.com     CNAME loop1.example.com\n"
    "deep.a.b.c.example.org A 192.0.2.9\n"
    "$SERVFAIL sf.example.com TXT\n"
    "sf.example.com        A 192.0.2.3\n"
    "$TIMEOUT to.example.com ANY\n"
    "$TIMEOUT chain.example.com A\n"
    "tochain.example.com   CNAME chain.example.com\n"
    "sp%20ace\\032\\ x.example.com A 192.0.2.4\n"
    "\\128\xff.example.com TXT 8bit\n"
    "null.example.com      MX 0 .\n";

static struct zone *
load(const char *text)
{
	struct zone *z = NULL;
	char err[256];

	if (zone_load_mem(text, strlen(text), "t.zone", &z, err, sizeof(err)) ==
	    -1)
		printf("zone_load_mem: %s\n", err);
	return z;
}

/* the status, RR count, first RR's data and "why" of one question */
static void
test_queries(void)
{
	static const struct {
		const char *name;
		int type;
		enum resolver_status st;
		size_t nrr;
		const char *data0; /* text types only */
		const char *why;
	} tab[] = {
	    {"a.example.com", RESOLVER_T_A, RESOLVER_OK, 2, NULL, NULL},
	    {"A.EXAMPLE.COM.", RESOLVER_T_A, RESOLVER_OK, 2, NULL, NULL},
	    {"a.example.com", RESOLVER_T_AAAA, RESOLVER_NODATA, 0, NULL, NULL},
	    {"a6.example.com", RESOLVER_T_AAAA, RESOLVER_OK, 1, NULL, NULL},
	    {"mx.example.com", RESOLVER_T_MX, RESOLVER_OK, 2,
		"Mail.Example.com", NULL},
	    {"1.2.0.192.in-addr.arpa", RESOLVER_T_PTR, RESOLVER_OK, 1,
		"a.example.com", NULL},
	    {"txt.example.com", RESOLVER_T_TXT, RESOLVER_OK, 2, "v=spf1 -all",
		NULL},
	    {"spf.example.com", RESOLVER_T_SPF, RESOLVER_OK, 1, "v=spf1 -all",
		NULL},
	    {"spf.example.com", RESOLVER_T_TXT, RESOLVER_NODATA, 0, NULL, NULL},
	    {"ns.example.com", RESOLVER_T_NS, RESOLVER_OK, 1, "ns1.example.net",
		NULL},
	    {"nx.example.com", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL, NULL},
	    {"alias.example.com", RESOLVER_T_A, RESOLVER_OK, 2, NULL, NULL},
	    {"alias2.example.com.", RESOLVER_T_A, RESOLVER_OK, 2, NULL, NULL},
	    {"alias.example.com", RESOLVER_T_CNAME, RESOLVER_OK, 1,
		"a.example.com", NULL},
	    {"alias.example.com", RESOLVER_T_TXT, RESOLVER_NODATA, 0, NULL,
		NULL},
	    {"dangling.example.com", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL,
		NULL},
	    {"loop1.example.com", RESOLVER_T_A, RESOLVER_TEMPFAIL, 0, NULL,
		"CNAME chain too long"},
	    /* empty non-terminals: NODATA up to the top label */
	    {"a.b.c.example.org", RESOLVER_T_A, RESOLVER_NODATA, 0, NULL, NULL},
	    {"c.example.org", RESOLVER_T_TXT, RESOLVER_NODATA, 0, NULL, NULL},
	    {"org", RESOLVER_T_TXT, RESOLVER_NODATA, 0, NULL, NULL},
	    {"x.c.example.org", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL, NULL},
	    {"eep.a.b.c.example.org", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL,
		NULL},
	    {"net", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL, NULL},
	    /* faults */
	    {"sf.example.com", RESOLVER_T_TXT, RESOLVER_TEMPFAIL, 0, NULL,
		"SERVFAIL (zone)"},
	    {"SF.example.com.", RESOLVER_T_A, RESOLVER_OK, 1, NULL, NULL},
	    {"to.example.com", RESOLVER_T_MX, RESOLVER_TEMPFAIL, 0, NULL,
		"timeout (zone)"},
	    {"to.example.com", RESOLVER_T_A, RESOLVER_TEMPFAIL, 0, NULL,
		"timeout (zone)"},
	    {"tochain.example.com", RESOLVER_T_A, RESOLVER_TEMPFAIL, 0, NULL,
		"timeout (zone)"},
	    {"tochain.example.com", RESOLVER_T_TXT, RESOLVER_NXDOMAIN, 0, NULL,
		NULL},
	    /* invalid names */
	    {"", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL, "invalid name"},
	    {".", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL, "invalid name"},
	    {"a..example.com", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	    {".a.example.com", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	    {"a.example.com..", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	    {"a b.example.com", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL, NULL},
	    {"a\\.example.com", RESOLVER_T_A, RESOLVER_NXDOMAIN, 0, NULL, NULL},
	    {"Sp%20ace  X.example.com", RESOLVER_T_A, RESOLVER_OK, 1, NULL,
		NULL},
	    {"\x80\xff.example.com", RESOLVER_T_TXT, RESOLVER_OK, 1, "8bit",
		NULL},
	    {"null.example.com", RESOLVER_T_MX, RESOLVER_OK, 1, "", NULL},
	    {"a\x7f.example.com", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	    {"a\x1b.example.com", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	    {"a\tb.example.com", RESOLVER_T_A, RESOLVER_INVALID, 0, NULL,
		"invalid name"},
	};
	struct zone *z;
	struct resolver_answer *ans;
	size_t i;

	t_begin("zone_query: statuses, CNAME, ENT, faults, names");
	z = load(zone_text);
	T_ASSERT(z != NULL);
	for (i = 0; z != NULL && i < sizeof(tab) / sizeof(tab[0]); i++) {
		ans = NULL;
		T_ASSERT_IDX(zone_query(z, tab[i].name, tab[i].type, &ans) ==
			tab[i].st,
		    i);
		T_ASSERT_IDX(ans != NULL && ans->status == tab[i].st, i);
		if (ans == NULL)
			continue;
		T_ASSERT_IDX(ans->nrr == tab[i].nrr, i);
		if (tab[i].data0 != NULL && ans->nrr > 0)
			T_ASSERT_STREQ((const char *)ans->rr[0].data,
			    tab[i].data0);
		T_ASSERT_STREQ(ans->why, tab[i].why);
		resolver_answer_free(&ans);
		T_ASSERT(ans == NULL);
	}
	zone_free(&z);
	T_ASSERT(z == NULL);
	zone_free(NULL);
	t_end();
}

/* the data of A, AAAA, MX, TXT and the TTLs */
static void
test_rdata(void)
{
	static const unsigned char a1[4] = {192, 0, 2, 1};
	static const unsigned char a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1};
	struct zone *z;
	struct resolver_answer *ans = NULL;

	t_begin("zone_query: RR data, escapes, multi-string TXT, TTL");
	z = load(zone_text);
	T_ASSERT(z != NULL);
	if (z == NULL) {
		t_end();
		return;
	}
	T_ASSERT(
	    zone_query(z, "a.example.com", RESOLVER_T_A, &ans) == RESOLVER_OK);
	T_ASSERT_INTEQ(ans->rr[0].len, 4);
	T_ASSERT(memcmp(ans->rr[0].data, a1, 4) == 0);
	T_ASSERT_INTEQ(ans->rr[1].data[3], 2);
	T_ASSERT_INTEQ(ans->rr[0].type, RESOLVER_T_A);
	T_ASSERT_INTEQ(ans->ttl, 600);
	resolver_answer_free(&ans);

	T_ASSERT(zone_query(z, "a6.example.com", RESOLVER_T_AAAA, &ans) ==
	    RESOLVER_OK);
	T_ASSERT_INTEQ(ans->rr[0].len, 16);
	T_ASSERT(memcmp(ans->rr[0].data, a6, 16) == 0);
	T_ASSERT_INTEQ(ans->ttl, 300);
	resolver_answer_free(&ans);

	T_ASSERT(zone_query(z, "mx.example.com", RESOLVER_T_MX, &ans) ==
	    RESOLVER_OK);
	T_ASSERT_INTEQ(ans->rr[0].pref, 10);
	T_ASSERT_INTEQ(ans->rr[1].pref, 20);
	T_ASSERT_STREQ((const char *)ans->rr[1].data, "mail2.example.com");
	T_ASSERT_INTEQ(ans->rr[0].len, strlen("Mail.Example.com"));
	T_ASSERT_INTEQ(ans->ttl, 60);
	resolver_answer_free(&ans);

	/* RFC 1035 5.1 escapes; the strings of one RR are joined */
	T_ASSERT(zone_query(z, "esc.example.com", RESOLVER_T_TXT, &ans) ==
	    RESOLVER_OK);
	T_ASSERT_INTEQ(ans->nrr, 1);
	T_ASSERT_INTEQ(ans->rr[0].len, 9);
	T_ASSERT(memcmp(ans->rr[0].data, "a\"b\\cA;\0z", 9) == 0);
	T_ASSERT_INTEQ(ans->rr[0].data[9], 0);
	resolver_answer_free(&ans);

	T_ASSERT(zone_query(z, "txt.example.com", RESOLVER_T_TXT, &ans) ==
	    RESOLVER_OK);
	T_ASSERT_STREQ((const char *)ans->rr[1].data, "bare");
	T_ASSERT_INTEQ(ans->rr[0].len, 11);
	resolver_answer_free(&ans);

	/* the smallest TTL of the chain: CNAME 120, A 600 */
	T_ASSERT(zone_query(z, "alias.example.com", RESOLVER_T_A, &ans) ==
	    RESOLVER_OK);
	T_ASSERT_INTEQ(ans->ttl, 120);
	resolver_answer_free(&ans);
	zone_free(&z);
	t_end();
}

/* load errors carry "FILE:LINE: message" */
static void
test_errors(void)
{
	static const struct {
		const char *text;
		const char *err;
	} tab[] = {
	    {"a.example A 192.0.2.1\nb.example FOO 1\n",
		"t.zone:2: unknown type \"FOO\""},
	    {"a.example A 192.0.2.256\n",
		"t.zone:1: bad IPv4 address \"192.0.2.256\""},
	    {"a.example AAAA 192.0.2.1\n",
		"t.zone:1: bad IPv6 address \"192.0.2.1\""},
	    {"a.example A\n", "t.zone:1: missing address"},
	    {"\n\na.example TXT \"abc\n", "t.zone:3: unterminated string"},
	    {"a.example TXT \"abc\\\"\n", "t.zone:1: unterminated string"},
	    {"a..example A 192.0.2.1\n", "t.zone:1: bad name \"a..example\""},
	    {"a\\.b.example A 192.0.2.1\n",
		"t.zone:1: bad name \"a\\.b.example\""},
	    {"a\\000b.example A 192.0.2.1\n",
		"t.zone:1: bad name \"a\\000b.example\""},
	    {"a\\007b.example A 192.0.2.1\n",
		"t.zone:1: bad name \"a\\007b.example\""},
	    {". A 192.0.2.1\n", "t.zone:1: bad name \".\""},
	    {"a.example CNAME .\n", "t.zone:1: bad name \".\""},
	    {"@ A 192.0.2.1\n", "t.zone:1: bad name \"@\""},
	    {"a.example MX 10 b..example\n",
		"t.zone:1: bad name \"b..example\""},
	    {"a.example MX x b.example\n", "t.zone:1: bad MX preference"},
	    {"a.example MX 65536 b.example\n", "t.zone:1: bad MX preference"},
	    {"a.example CNAME\n", "t.zone:1: missing name"},
	    {"a.example A 192.0.2.1 x\n", "t.zone:1: trailing garbage \"x\""},
	    {"a.example CH A 192.0.2.1\n", "t.zone:1: unsupported class CH"},
	    {"a.example 99999999999 A 192.0.2.1\n", "t.zone:1: bad TTL"},
	    {"a.example\n", "t.zone:1: missing type"},
	    {" A 192.0.2.1\n", "t.zone:1: no owner name"},
	    {"$TTL x\n", "t.zone:1: bad TTL"},
	    {"$ORIGIN example.\n", "t.zone:1: unknown directive \"$ORIGIN\""},
	    {"$SERVFAIL a.example FOO\n", "t.zone:1: unknown type \"FOO\""},
	    {"$TIMEOUT a..example A\n", "t.zone:1: bad name \"a..example\""},
	    {"$TIMEOUT a.example\n", "t.zone:1: missing type"},
	    {"a.example TXT \"\\25\"\n", "t.zone:1: bad escape"},
	    {"a.example TXT \"\\256\"\n", "t.zone:1: bad escape"},
	    {"a.example TXT\n", "t.zone:1: missing text"},
	    {"x.example A 192.0.2.1\r\na.example A 1.2.3.4\0\n",
		"t.zone:2: NUL byte"},
	};
	struct zone *z;
	char err[256], *big;
	size_t i, len;

	t_begin("zone_load_mem: errors name file and line");
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		len = strlen(tab[i].text);
		if (strstr(tab[i].err, "NUL") != NULL)
			len += strlen(tab[i].text + len + 1) + 1;
		z = (struct zone *)1;
		T_ASSERT_IDX(zone_load_mem(tab[i].text, len, "t.zone", &z, err,
				 sizeof(err)) == -1,
		    i);
		T_ASSERT_IDX(z == NULL, i);
		T_ASSERT_STREQ(err, tab[i].err);
	}
	/* a string over 255 octets, a line over ZONE_LINE_MAX */
	big = calloc(1, ZONE_LINE_MAX + 64);
	T_ASSERT(big != NULL);
	if (big != NULL) {
		len = (size_t)snprintf(big, 64, "a.example TXT \"");
		memset(big + len, 'x', 256);
		memcpy(big + len + 256, "\"\n", 3);
		T_ASSERT(zone_load_mem(big, strlen(big), "t.zone", &z, err,
			     sizeof(err)) == -1);
		T_ASSERT_STREQ(err, "t.zone:1: string longer than 255 octets");
		memcpy(big + len + 255, "\"\n", 3);
		T_ASSERT(zone_load_mem(big, strlen(big), "t.zone", &z, err,
			     sizeof(err)) == 0);
		zone_free(&z);
		memset(big, ';', ZONE_LINE_MAX + 1);
		T_ASSERT(zone_load_mem(big, ZONE_LINE_MAX + 1, "t.zone", &z,
			     err, sizeof(err)) == -1);
		T_ASSERT_STREQ(err, "t.zone:1: line too long");
		T_ASSERT(zone_load_mem(big, ZONE_LINE_MAX, "t.zone", &z, err,
			     sizeof(err)) == 0);
		zone_free(&z);
		free(big);
	}
	/* an empty zone loads and knows nothing */
	T_ASSERT(zone_load_mem("", 0, "t.zone", &z, err, sizeof(err)) == 0);
	if (z != NULL) {
		struct resolver_answer *ans;

		T_ASSERT(zone_query(z, "example", RESOLVER_T_A, &ans) ==
		    RESOLVER_NXDOMAIN);
		resolver_answer_free(&ans);
		zone_free(&z);
	}
	t_end();
}

/* a buffer with "NAME TXT" and n octets of 'x' in 255-octet strings */
static char *
big_txt(const char *name, size_t n)
{
	char *s;
	size_t o, chunk;

	s = malloc(n + n / 255 * 3 + 256);
	if (s == NULL)
		return NULL;
	o = (size_t)snprintf(s, 128, "%s TXT", name);
	while (n > 0) {
		chunk = n > 255 ? 255 : n;
		memcpy(s + o, " \"", 2);
		o += 2;
		memset(s + o, 'x', chunk);
		o += chunk;
		s[o++] = '"';
		n -= chunk;
	}
	s[o++] = '\n';
	s[o] = '\0';
	return s;
}

/* RESOLVER_RR_MAX and RESOLVER_ANSWER_MAX hold */
static void
test_caps(void)
{
	struct zone *z;
	struct resolver_answer *ans = NULL;
	char err[256], *text, *t2;
	size_t i, o;

	t_begin("zone_query: 300 RRs and oversized answers are INVALID");
	text = malloc(400 * 64);
	T_ASSERT(text != NULL);
	if (text == NULL) {
		t_end();
		return;
	}
	for (i = 0, o = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, 64, "%s A 10.0.%zu.%zu\n",
		    i < RESOLVER_RR_MAX ? "ok.example" : "many.example",
		    i / 256, i % 256);
	for (i = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, 64,
		    "many.example A 10.1.%zu.%zu\n", i / 256, i % 256);
	T_ASSERT(zone_load_mem(text, o, "t.zone", &z, err, sizeof(err)) == 0);
	free(text);
	if (z != NULL) {
		T_ASSERT(zone_query(z, "ok.example", RESOLVER_T_A, &ans) ==
		    RESOLVER_OK);
		T_ASSERT_INTEQ(ans->nrr, RESOLVER_RR_MAX);
		resolver_answer_free(&ans);
		T_ASSERT(zone_query(z, "many.example", RESOLVER_T_A, &ans) ==
		    RESOLVER_INVALID);
		T_ASSERT_INTEQ(ans->nrr, 0);
		T_ASSERT_STREQ(ans->why, "too many RRs");
		resolver_answer_free(&ans);
		zone_free(&z);
	}

	/* 64 KB: one TXT RR of 65000 octets in 255 strings fits ... */
	text = big_txt("big.example", 65000);
	t2 = big_txt("big.example", 600);
	T_ASSERT(text != NULL && t2 != NULL);
	if (text != NULL && t2 != NULL) {
		T_ASSERT(zone_load_mem(text, strlen(text), "t.zone", &z, err,
			     sizeof(err)) == 0);
		T_ASSERT(z != NULL &&
		    zone_query(z, "BIG.example.", RESOLVER_T_TXT, &ans) ==
			RESOLVER_OK);
		T_ASSERT(ans != NULL && ans->nrr == 1 &&
		    ans->rr[0].len == 65000 && ans->rr[0].data[64999] == 'x' &&
		    ans->rr[0].data[65000] == '\0');
		resolver_answer_free(&ans);
		zone_free(&z);
	}
	free(text);
	/* ... 65279 octets (+256 length octets) is one too many for a
	 * 16-bit RDLENGTH; and two RRs over 65535 octets do not fit */
	text = big_txt("big.example", 65280);
	if (text != NULL) {
		T_ASSERT(zone_load_mem(text, strlen(text), "t.zone", &z, err,
			     sizeof(err)) == -1);
		T_ASSERT_STREQ(err, "t.zone:1: rdata longer than 65535 octets");
		free(text);
	}
	text = big_txt("big.example", 65000);
	if (text != NULL && t2 != NULL) {
		char *both = malloc(strlen(text) + strlen(t2) + 1);

		if (both != NULL) {
			memcpy(both, text, strlen(text));
			memcpy(both + strlen(text), t2, strlen(t2) + 1);
			T_ASSERT(zone_load_mem(both, strlen(both), "t.zone", &z,
				     err, sizeof(err)) == 0);
			T_ASSERT(z != NULL &&
			    zone_query(z, "big.example", RESOLVER_T_TXT,
				&ans) == RESOLVER_INVALID);
			T_ASSERT(ans != NULL && ans->nrr == 0);
			T_ASSERT_STREQ(ans->why, "answer too large");
			resolver_answer_free(&ans);
			zone_free(&z);
			free(both);
		}
	}
	free(text);
	free(t2);

	/* names: 63-octet labels and 253 octets are the limits */
	{
		char name[300];

		memset(name, 'a', 63);
		memcpy(name + 63, ".example", 9);
		T_ASSERT(zone_name_canon(name, err, sizeof(err)) == 0);
		name[63] = 'a';
		T_ASSERT(zone_name_canon(name, err, sizeof(err)) == -1);
		for (i = 0; i < 253; i++)
			name[i] = i % 2 ? '.' : 'b';
		name[253] = '\0'; /* ends in "b" */
		T_ASSERT(zone_name_canon(name, err, sizeof(err)) == 0);
		name[253] = '.';
		name[254] = '\0';
		T_ASSERT(zone_name_canon(name, err, sizeof(err)) == 0);
		name[254] = 'c';
		name[255] = '\0';
		T_ASSERT(zone_name_canon(name, err, sizeof(err)) == -1);
		T_ASSERT(
		    zone_name_canon("ExAmPlE.Org.", err, sizeof(err)) == 0);
		T_ASSERT_STREQ(err, "example.org");
		T_ASSERT(zone_name_canon(NULL, err, sizeof(err)) == -1);
	}
	t_end();
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* thousands of names: loading and lookups stay fast */
static void
test_large(void)
{
	struct zone *z;
	struct resolver_answer *ans;
	char *text, name[64], err[256];
	size_t i, o, bad = 0;
	double t0;

	t_begin("zone: 20000 names load and answer fast");
	text = malloc(20000 * 64);
	T_ASSERT(text != NULL);
	if (text == NULL) {
		t_end();
		return;
	}
	for (i = 0, o = 0; i < 20000; i++)
		o += (size_t)snprintf(text + o, 64,
		    "h%zu.d%zu.example TXT \"v=spf1 ip4:10.0.0.%zu -all\"\n", i,
		    i % 100, i % 256);
	t0 = now_ms();
	T_ASSERT(zone_load_mem(text, o, "t.zone", &z, err, sizeof(err)) == 0);
	free(text);
	for (i = 0; z != NULL && i < 20000; i++) {
		(void)snprintf(name, sizeof(name), "H%zu.D%zu.example.", i,
		    i % 100);
		if (zone_query(z, name, RESOLVER_T_TXT, &ans) != RESOLVER_OK)
			bad++;
		resolver_answer_free(&ans);
		(void)snprintf(name, sizeof(name), "x%zu.d%zu.example", i,
		    i % 100);
		if (zone_query(z, name, RESOLVER_T_TXT, &ans) !=
		    RESOLVER_NXDOMAIN)
			bad++;
		resolver_answer_free(&ans);
	}
	T_ASSERT_INTEQ(bad, 0);
	if (z != NULL) {
		T_ASSERT(zone_query(z, "d7.example", RESOLVER_T_TXT, &ans) ==
		    RESOLVER_NODATA);
		resolver_answer_free(&ans);
	}
	/* generous: sanitizers slow this down several times */
	T_ASSERT(now_ms() - t0 < 5000.0);
	zone_free(&z);
	t_end();
}

/* resolver_new() with a zone file; errors from the file and options */
static void
test_resolver_zone(void)
{
	static const struct {
		const char *ns;
		const char *err;
	} badns[] = {
	    {"192.0.2.1@0", "nameserver \"192.0.2.1@0\": bad port"},
	    {"192.0.2.1@65536", "nameserver \"192.0.2.1@65536\": bad port"},
	    {"ns.example", "nameserver \"ns.example\": bad address"},
	    {"192.0.2.1, 300.1.1.1", "nameserver \"300.1.1.1\": bad address"},
	    {" , ", "nameservers: empty list"},
	};
	struct resolver_opts opts;
	struct resolver *res;
	struct resolver_answer *ans;
	char dir[] = "/tmp/test-zone.XXXXXX", path[128], err[256];
	double t0;
	size_t i;
	FILE *f;

	t_begin("resolver_new: zone file backend and option errors");
	memset(&opts, 0, sizeof(opts));
	T_ASSERT(mkdtemp(dir) != NULL);
	(void)snprintf(path, sizeof(path), "%s/z", dir);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	if (f != NULL) {
		fputs(zone_text, f);
		fclose(f);
	}
	opts.zone_file = path;
	T_ASSERT(resolver_new(&opts, &res, err, sizeof(err)) == 0);
	if (res != NULL) {
		T_ASSERT(resolver_query(res, "TXT.example.com.", RESOLVER_T_TXT,
			     &ans) == RESOLVER_OK);
		T_ASSERT_STREQ((const char *)ans->rr[0].data, "v=spf1 -all");
		resolver_answer_free(&ans);
		/* a $TIMEOUT answers at once */
		t0 = now_ms();
		T_ASSERT(resolver_query(res, "to.example.com", RESOLVER_T_TXT,
			     &ans) == RESOLVER_TEMPFAIL);
		T_ASSERT(now_ms() - t0 < 100.0);
		T_ASSERT_STREQ(ans->why, "timeout (zone)");
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "a..b", RESOLVER_T_TXT, &ans) ==
		    RESOLVER_INVALID);
		resolver_answer_free(&ans);
		resolver_free(&res);
		T_ASSERT(res == NULL);
	}
	resolver_free(NULL);

	f = fopen(path, "w");
	if (f != NULL) {
		fputs("a.example A 192.0.2.1\n\nb.example A ::1\n", f);
		fclose(f);
	}
	res = (struct resolver *)1;
	T_ASSERT(resolver_new(&opts, &res, err, sizeof(err)) == -1);
	T_ASSERT(res == NULL);
	{
		char want[256];

		(void)snprintf(want, sizeof(want),
		    "%s:3: bad IPv4 address \"::1\"", path);
		T_ASSERT_STREQ(err, want);
	}
	unlink(path);
	T_ASSERT(resolver_new(&opts, &res, err, sizeof(err)) == -1);
	T_ASSERT(strstr(err, "No such file") != NULL);
	rmdir(dir);

	opts.zone_file = NULL;
	for (i = 0; i < sizeof(badns) / sizeof(badns[0]); i++) {
		opts.nameservers = badns[i].ns;
		T_ASSERT_IDX(resolver_new(&opts, &res, err, sizeof(err)) == -1,
		    i);
		T_ASSERT_STREQ(err, badns[i].err);
	}
	T_ASSERT_STREQ(resolver_status_str(RESOLVER_OK), "ok");
	T_ASSERT_STREQ(resolver_status_str(RESOLVER_NXDOMAIN), "nxdomain");
	T_ASSERT_STREQ(resolver_status_str(RESOLVER_NODATA), "nodata");
	T_ASSERT_STREQ(resolver_status_str(RESOLVER_TEMPFAIL), "tempfail");
	T_ASSERT_STREQ(resolver_status_str(RESOLVER_INVALID), "invalid");
	t_end();
}

/* udp_socket - a UDP socket bound to 127.0.0.1 at a free port */
static int
udp_socket(int *port)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* a forwarder that never answers: RESOLVER_TEMPFAIL "timeout", on time */
static void
test_ub_timeout(void)
{
	struct resolver_opts opts;
	struct resolver *res = NULL;
	struct resolver_answer *ans = NULL;
	char ns[64], err[256];
	double t0, dt;
	int fd, port = 0;

	t_begin("resolver (libunbound): silent server times out");
	fd = udp_socket(&port);
	T_ASSERT(fd != -1);
	memset(&opts, 0, sizeof(opts));
	(void)snprintf(ns, sizeof(ns), "127.0.0.1@%d", port);
	opts.nameservers = ns;
	opts.timeout_ms = 300;
	T_ASSERT(resolver_new(&opts, &res, err, sizeof(err)) == 0);
	if (res != NULL) {
		t0 = now_ms();
		T_ASSERT(resolver_query(res, "silent.example", RESOLVER_T_TXT,
			     &ans) == RESOLVER_TEMPFAIL);
		dt = now_ms() - t0;
		T_ASSERT(dt >= 290.0 && dt < 2000.0);
		T_ASSERT(ans != NULL && ans->nrr == 0);
		T_ASSERT_STREQ(ans->why, "timeout");
		resolver_answer_free(&ans);
		/* invalid names never reach the network */
		T_ASSERT(resolver_query(res, "a..example", RESOLVER_T_A,
			     &ans) == RESOLVER_INVALID);
		resolver_answer_free(&ans);
		t0 = now_ms();
		resolver_free(&res);
		T_ASSERT(now_ms() - t0 < 2000.0);
	} else
		printf("resolver_new: %s\n", err);
	if (fd != -1)
		close(fd);
	t_end();
}

struct ub_server {
	char dir[64];
	pid_t pid;
	int port;
};

/* dns_probe - send one query for "a.example" A, wait for any answer */
static int
dns_probe(int port, int ms)
{
	static const unsigned char q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0,
	    0, 0, 0, 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0,
	    1};
	struct sockaddr_in sin;
	struct pollfd pfd;
	unsigned char buf[512];
	int fd, ok = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if (sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&sin, sizeof(sin)) ==
	    (ssize_t)sizeof(q)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) == 1 && recv(fd, buf, sizeof(buf), 0) > 2)
			ok = buf[0] == 0x12 && buf[1] == 0x34;
	}
	close(fd);
	return ok;
}

static int ub_try(struct ub_server *s, const char *conf);

/* ub_start - run unbound -d on 127.0.0.1:port with a local zone */
static int
ub_start(struct ub_server *s)
{
	/* after "server:", the port and the directory (ub_try()) */
	static const char conf[] =
	    "  do-daemonize: no\n"
	    "  chroot: \"\"\n"
	    "  username: \"\"\n"
	    "  use-syslog: no\n"
	    "  logfile: \"\"\n"
	    "  verbosity: 0\n"
	    "  do-ip6: no\n"
	    "  num-threads: 1\n"
	    "  module-config: \"iterator\"\n"
	    "  access-control: 127.0.0.0/8 allow\n"
	    "  local-zone: \"example.\" static\n"
	    "  local-data: \"a.example. 300 IN A 192.0.2.1\"\n"
	    "  local-data: \"a.example. 300 IN A 192.0.2.2\"\n"
	    "  local-data: \"a6.example. 300 IN AAAA 2001:db8::1\"\n"
	    "  local-data: 'txt.example. 300 IN TXT \"v=spf1 \" \"-all\"'\n"
	    "  local-data: 'esc.example. 300 IN TXT \"a\\\"b\" \"\\000\"'\n"
	    "  local-data: \"mx.example. 300 IN MX 10 Mail.example.\"\n"
	    "  local-data: \"alias.example. 300 IN CNAME a.example.\"\n"
	    "  local-data: \"sp\\032a%ce.example. 300 IN A 192.0.2.9\"\n"
	    "  local-data: \"deep.ent.example. 300 IN A 192.0.2.3\"\n"
	    "  local-data: \"zero.example. 0 IN A 192.0.2.5\"\n"
	    "  local-zone: \"2.0.192.in-addr.arpa.\" static\n"
	    "  local-data-ptr: \"192.0.2.3 deep.ent.example.\"\n"
	    "  local-zone: \"10.in-addr.arpa.\" static\n"
	    "  local-data-ptr: \"10.0.0.3 A.example.\"\n"
	    "  local-zone: \"test.\" static\n"
	    "  local-data: \"a.test. 300 IN A 192.0.2.7\"\n"
	    "remote-control:\n"
	    "  control-enable: no\n";
	int try;

	memset(s, 0, sizeof(*s));
	if (strlcpy(s->dir, "/tmp/test-zone-ub.XXXXXX", sizeof(s->dir)) >=
		sizeof(s->dir) ||
	    mkdtemp(s->dir) == NULL)
		return -1;
	/* a free UDP port may be a busy TCP one, or taken before unbound
	 * binds it: a few tries, each with a new port */
	for (try = 0; try < 5; try++) {
		if (ub_try(s, conf) == 0)
			return 0;
		if (s->pid > 0) {
			kill(s->pid, SIGTERM);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
	}
	return -1;
}

/* ub_try - one start of unbound on a new port; 0 once it answers */
static int
ub_try(struct ub_server *s, const char *conf)
{
	char path[128], log[128];
	FILE *f;
	int fd, i, st;

	if ((fd = udp_socket(&s->port)) == -1)
		return -1;
	close(fd); /* free again: unbound binds it below */
	(void)snprintf(path, sizeof(path), "%s/unbound.conf", s->dir);
	(void)snprintf(log, sizeof(log), "%s/log", s->dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
	    "server:\n  interface: 127.0.0.1\n  port: %d\n"
	    "  directory: \"%s\"\n  pidfile: \"%s/unbound.pid\"\n",
	    s->port, s->dir, s->dir);
	fputs(conf, f);
	fclose(f);
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
		    -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(UNBOUND_BIN, "unbound", "-d", "-c", path, (char *)NULL);
		_exit(127);
	}
	/* up to 15 s: a loaded machine starts unbound slowly */
	for (i = 0; i < 150; i++) {
		if (dns_probe(s->port, 100))
			return 0;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0; /* it gave up (a port in use): retry */
			break;
		}
	}
	if ((f = fopen(log, "r")) != NULL) { /* say why */
		while (fgets(path, sizeof(path), f) != NULL)
			printf("  unbound: %s", path);
		fclose(f);
	}
	return -1;
}

static void
ub_stop(struct ub_server *s)
{
	char path[128];
	static const char *const files[] = {"unbound.conf", "unbound.pid",
	    "log"};
	size_t i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", s->dir, files[i]);
		unlink(path);
	}
	if (s->dir[0] != '\0')
		rmdir(s->dir);
}

struct ub_thread_arg {
	struct resolver *res;
	int bad;
};

static void *
ub_thread(void *p)
{
	struct ub_thread_arg *a = p;
	struct resolver_answer *ans;
	int i;

	for (i = 0; i < 50; i++) {
		if (resolver_query(a->res, i % 2 ? "a.example" : "nx.example",
			RESOLVER_T_A,
			&ans) != (i % 2 ? RESOLVER_OK : RESOLVER_NXDOMAIN))
			a->bad++;
		resolver_answer_free(&ans);
	}
	return NULL;
}

/* a real unbound server on loopback: every status and RR type */
static void
test_ub_server(void)
{
	static const unsigned char a2[4] = {192, 0, 2, 2};
	struct ub_server s;
	struct resolver_opts opts;
	struct resolver *res = NULL;
	struct resolver_answer *ans = NULL;
	struct ub_thread_arg ta[4];
	struct resolver_cache_stats st0, st1;
	pthread_t th[4];
	char ns[64], err[256];
	int i, started;

	if (access(UNBOUND_BIN, X_OK) != 0) {
		printf("skip: unbound not installed\n");
		return;
	}
	t_begin("resolver (libunbound): answers from unbound on loopback");
	started = ub_start(&s) == 0;
	T_ASSERT(started);
	memset(&opts, 0, sizeof(opts));
	(void)snprintf(ns, sizeof(ns), "127.0.0.1@%d", s.port);
	opts.nameservers = ns;
	opts.timeout_ms = 3000;
	if (started && resolver_new(&opts, &res, err, sizeof(err)) == 0) {
		T_ASSERT(resolver_query(res, "A.Example.", RESOLVER_T_A,
			     &ans) == RESOLVER_OK);
		T_ASSERT_INTEQ(ans->nrr, 2);
		T_ASSERT(ans->nrr == 2 && ans->rr[0].len == 4 &&
		    (memcmp(ans->rr[0].data, a2, 4) == 0 ||
			memcmp(ans->rr[1].data, a2, 4) == 0));
		T_ASSERT(ans->ttl > 0 && ans->ttl <= 300);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "a6.example", RESOLVER_T_AAAA,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1 && ans->rr[0].len == 16 &&
		    ans->rr[0].data[0] == 0x20 && ans->rr[0].data[15] == 1);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "nx.example", RESOLVER_T_A,
			     &ans) == RESOLVER_NXDOMAIN);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "a.example", RESOLVER_T_TXT,
			     &ans) == RESOLVER_NODATA);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "ent.example", RESOLVER_T_A,
			     &ans) == RESOLVER_NODATA);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "txt.example", RESOLVER_T_TXT,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1);
		if (ans->nrr == 1)
			T_ASSERT_STREQ((const char *)ans->rr[0].data,
			    "v=spf1 -all");
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "esc.example", RESOLVER_T_TXT,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1 && ans->rr[0].len == 4 &&
		    memcmp(ans->rr[0].data, "a\"b\0", 5) == 0);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "mx.example", RESOLVER_T_MX,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1 && ans->rr[0].pref == 10);
		if (ans->nrr == 1)
			T_ASSERT_STREQ((const char *)ans->rr[0].data,
			    "Mail.example");
		resolver_answer_free(&ans);
		T_ASSERT_STREQ(resolver_status_str(
				   resolver_query(res, "3.2.0.192.in-addr.arpa",
				       RESOLVER_T_PTR, &ans)),
		    "ok");
		if (ans->nrr == 1)
			T_ASSERT_STREQ((const char *)ans->rr[0].data,
			    "deep.ent.example");
		resolver_answer_free(&ans);
		/* raw octets in names reach the server intact */
		T_ASSERT(resolver_query(res, "sp a%ce.example", RESOLVER_T_A,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1 && ans->rr[0].data[3] == 9);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "sp\\032a%ce.example",
			     RESOLVER_T_A, &ans) == RESOLVER_NXDOMAIN);
		resolver_answer_free(&ans);
		/* names libunbound would answer itself without asking */
		T_ASSERT(resolver_query(res, "3.0.0.10.in-addr.arpa",
			     RESOLVER_T_PTR, &ans) == RESOLVER_OK);
		if (ans->nrr == 1)
			T_ASSERT_STREQ((const char *)ans->rr[0].data,
			    "A.example");
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "a.test", RESOLVER_T_A, &ans) ==
		    RESOLVER_OK);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "alias.example", RESOLVER_T_A,
			     &ans) == RESOLVER_OK);
		T_ASSERT_INTEQ(ans->nrr, 2);
		resolver_answer_free(&ans);
		/* the answer cache: a repeat is a hit, whatever the case */
		resolver_cache_stats(res, &st0);
		T_ASSERT(st0.entries > 0 && st0.bytes > 0 && st0.misses > 0);
		T_ASSERT(resolver_query(res, "a.EXAMPLE", RESOLVER_T_A, &ans) ==
		    RESOLVER_OK);
		T_ASSERT(ans->nrr == 2 && ans->rr[0].len == 4 &&
		    ans->rr[1].len == 4 &&
		    (memcmp(ans->rr[0].data, a2, 4) == 0 ||
			memcmp(ans->rr[1].data, a2, 4) == 0));
		T_ASSERT(ans->ttl > 0 && ans->ttl <= 300);
		resolver_answer_free(&ans);
		T_ASSERT(resolver_query(res, "mx.example", RESOLVER_T_MX,
			     &ans) == RESOLVER_OK);
		T_ASSERT(ans->nrr == 1 && ans->rr[0].pref == 10);
		resolver_answer_free(&ans);
		resolver_cache_stats(res, &st1);
		T_ASSERT_INTEQ(st1.hits - st0.hits, 2);
		T_ASSERT_INTEQ(st1.misses, st0.misses);
		/* a different type is a different question */
		T_ASSERT(resolver_query(res, "a.example", RESOLVER_T_AAAA,
			     &ans) == RESOLVER_NODATA);
		resolver_answer_free(&ans);
		resolver_cache_stats(res, &st0);
		T_ASSERT_INTEQ(st0.misses - st1.misses, 1);
		/* TTL 0: asked every time (RFC 1035 3.2.1) */
		for (i = 0; i < 2; i++) {
			T_ASSERT(resolver_query(res, "zero.example",
				     RESOLVER_T_A, &ans) == RESOLVER_OK);
			resolver_answer_free(&ans);
		}
		resolver_cache_stats(res, &st1);
		T_ASSERT_INTEQ(st1.misses - st0.misses, 2);
		T_ASSERT_INTEQ(st1.hits, st0.hits);
		/* many threads share one resolver */
		for (i = 0; i < 4; i++) {
			ta[i].res = res;
			ta[i].bad = 0;
			T_ASSERT(pthread_create(&th[i], NULL, ub_thread,
				     &ta[i]) == 0);
		}
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			T_ASSERT_INTEQ(ta[i].bad, 0);
		}
		resolver_free(&res);
	} else if (started) {
		printf("resolver_new: %s\n", err);
		T_ASSERT(0);
	}
	ub_stop(&s);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_queries, test_rdata,
	    test_errors, test_caps, test_large, test_resolver_zone,
	    test_ub_timeout, test_ub_server, NULL};

	signal(SIGPIPE, SIG_IGN);
	return t_run(tests);
}
