/*
 * test-cidr.c - network lists: parsing, matching, bad entries, caps
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cidr.h"
#include "tests/t.h"

static const struct {
	const char *in;
	int af;
	unsigned int plen;
	const char *err; /* NULL: parses */
} entries[] = {
    {"192.0.2.1", AF_INET, 32, NULL},
    {"192.0.2.0/24", AF_INET, 24, NULL},
    {"10.1.2.3/8", AF_INET, 8, NULL}, /* host bits cleared */
    {"0.0.0.0/0", AF_INET, 0, NULL},
    {"2001:db8::1", AF_INET6, 128, NULL},
    {"2001:db8::/32", AF_INET6, 32, NULL},
    {"::/0", AF_INET6, 0, NULL},
    {"::ffff:192.0.2.0/120", AF_INET, 24, NULL},
    {"::ffff:0:0/96", AF_INET, 0, NULL},
    {"::ffff:0:0/95", AF_INET6, 95, NULL},
    {"192.0.2.0/33", 0, 0, "prefix length over 32"},
    {"2001:db8::/129", 0, 0, "bad prefix length"},
    {"192.0.2.0/", 0, 0, "bad prefix length"},
    {"192.0.2.0/+8", 0, 0, "bad prefix length"},
    {"192.0.2.0/-1", 0, 0, "bad prefix length"},
    {"192.0.2.0/8x", 0, 0, "bad prefix length"},
    {"192.0.2.256", 0, 0, "not an IP address"},
    {"192.0.2", 0, 0, "not an IP address"},
    {"mx.example.com", 0, 0, "not an IP address"},
    {"!192.0.2.1", 0, 0, "not an IP address"},
    {"fe80::1%eth0", 0, 0, "not an IP address"},
    {"", 0, 0, "empty entry"},
    {"1111:2222:3333:4444:5555:6666:7777:8888/128-and-more-text-to-be-long", 0,
	0, "entry too long"},
};

static void
test_parse(void)
{
	struct cidr c;
	const char *errstr;
	size_t i;

	t_begin("cidr_parse: entries and errors");
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		int rc;

		errstr = NULL;
		rc = cidr_parse(entries[i].in, strlen(entries[i].in), &c,
		    &errstr);
		if (entries[i].err == NULL) {
			T_ASSERT_IDX(rc == 0, i);
			T_ASSERT_IDX(c.af == entries[i].af, i);
			T_ASSERT_IDX(c.plen == entries[i].plen, i);
		} else {
			T_ASSERT_IDX(rc == -1, i);
			T_ASSERT_STREQ(errstr, entries[i].err);
		}
	}
	/* host bits cleared, and a NUL inside the length is refused */
	T_ASSERT(cidr_parse("10.1.2.3/8", 10, &c, &errstr) == 0);
	T_ASSERT(c.addr[0] == 10 && c.addr[1] == 0 && c.addr[3] == 0);
	T_ASSERT(cidr_parse("10.0.0.1\0/8", 11, &c, &errstr) == -1);
	T_ASSERT_STREQ(errstr, "NUL byte");
	/* only len bytes are read */
	T_ASSERT(cidr_parse("192.0.2.77", 9, &c, &errstr) == 0);
	T_ASSERT(c.addr[3] == 7);
	t_end();
}

static const struct {
	const char *ip;
	int want;
} matches[] = {
    {"127.0.0.1", 1},
    {"127.255.255.254", 1},
    {"128.0.0.1", 0},
    {"::1", 1},
    {"::2", 0},
    {"::ffff:127.0.0.1", 1}, /* v4-mapped client is IPv4 */
    {"192.0.2.200", 1},
    {"192.0.2.127", 0},
    {"198.51.100.7", 1},
    {"198.51.100.8", 0},
    {"2001:db8:1:2::5", 1},
    {"2001:db9::1", 0},
    {"10.9.8.7", 1}, /* via ::ffff:10.0.0.0/104 */
    {"not-an-ip", 0},
    {"", 0},
};

static void
test_match(void)
{
	static const char list[] = "127.0.0.0/8, ::1 192.0.2.128/25,\t"
				   "198.51.100.7\n2001:db8::/32 "
				   "::ffff:10.0.0.0/104";
	struct cidr_list *l = NULL, *any6 = NULL;
	char err[256] = "";
	unsigned char a4[4] = {192, 0, 2, 1};
	size_t i;

	t_begin("cidr_list_match: IPv4, IPv6, v4-mapped");
	T_ASSERT(cidr_list_parse(list, strlen(list), NULL, &l, err,
		     sizeof(err)) == 0);
	T_ASSERT_STREQ(err, "");
	T_ASSERT(l != NULL && l->n == 6);
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
		T_ASSERT_IDX(cidr_list_match_str(l, matches[i].ip) ==
			matches[i].want,
		    i);
	/* binary form; an IPv6 /0 does not swallow IPv4 clients */
	T_ASSERT(
	    cidr_list_parse("::/0", 4, NULL, &any6, err, sizeof(err)) == 0);
	T_ASSERT(cidr_list_match(any6, AF_INET, a4) == 0);
	T_ASSERT(cidr_list_match_str(any6, "2001:db8::9") == 1);
	T_ASSERT(cidr_list_match_str(any6, "::ffff:192.0.2.1") == 0);
	T_ASSERT(cidr_list_match(NULL, AF_INET, a4) == 0);
	T_ASSERT(cidr_list_match(l, AF_UNIX, a4) == 0);
	cidr_list_free(&l);
	cidr_list_free(&any6);
	T_ASSERT(l == NULL);
	cidr_list_free(&l); /* NULL is fine */
	t_end();
}

static const struct {
	const char *text;
	const char *label;
	const char *err;
} badlists[] = {
    {"127.0.0.1, localhost", NULL,
	"bad entry \"localhost\": not an IP address"},
    {"192.0.2.0/24,,10.0.0.0/40", NULL,
	"bad entry \"10.0.0.0/40\": prefix length over 32"},
    {"# trusted\n192.0.2.1\n\n  bogus # comment\n", "/etc/hosts.list",
	"/etc/hosts.list:4: bad entry \"bogus\": not an IP address"},
    {"192.0.2.1 # a comment, with 3 words\n::1/200", "f",
	"f:2: bad entry \"::1/200\": bad prefix length"},
};

static void
test_lists(void)
{
	static const char file[] = "# list\n\n192.0.2.1 # one\n"
				   "2001:db8::/32, 10.0.0.0/8\n#192.0.2.2\n";
	struct cidr_list *l = NULL;
	char err[256];
	size_t i;

	t_begin("cidr_list_parse: inline, files, errors name the entry");
	for (i = 0; i < sizeof(badlists) / sizeof(badlists[0]); i++) {
		err[0] = '\0';
		T_ASSERT_IDX(cidr_list_parse(badlists[i].text,
				 strlen(badlists[i].text), badlists[i].label,
				 &l, err, sizeof(err)) == -1,
		    i);
		T_ASSERT_IDX(l == NULL, i);
		T_ASSERT_STREQ(err, badlists[i].err);
	}
	/* a file: comments, blank lines, several entries a line */
	T_ASSERT(cidr_list_parse(file, sizeof(file) - 1, "f", &l, err,
		     sizeof(err)) == 0);
	T_ASSERT(l != NULL && l->n == 3);
	T_ASSERT(cidr_list_match_str(l, "192.0.2.2") == 0);
	T_ASSERT(cidr_list_match_str(l, "10.200.0.1") == 1);
	cidr_list_free(&l);
	/* inline, '#' is no comment there (the config parser strips them) */
	T_ASSERT(cidr_list_parse("#1", 2, NULL, &l, err, sizeof(err)) == -1);
	T_ASSERT_STREQ(err, "bad entry \"#1\": not an IP address");
	/* empty text: an empty list */
	T_ASSERT(cidr_list_parse("", 0, NULL, &l, err, sizeof(err)) == 0);
	T_ASSERT(l != NULL && l->n == 0);
	T_ASSERT(cidr_list_match_str(l, "127.0.0.1") == 0);
	cidr_list_free(&l);
	T_ASSERT(cidr_list_parse(" ,\n", 3, "f", &l, err, sizeof(err)) == 0);
	T_ASSERT(l != NULL && l->n == 0);
	cidr_list_free(&l);
	/* NUL byte */
	T_ASSERT(cidr_list_parse("::1\0", 4, "f", &l, err, sizeof(err)) == -1);
	T_ASSERT_STREQ(err, "f: NUL byte");
	t_end();
}

static void
test_caps(void)
{
	struct cidr_list *l = NULL;
	size_t cap = (size_t)(CIDR_LIST_MAX + 1) * 12 + 1, len = 0, i;
	char *text = malloc(cap), err[256] = "";
	char big[CIDR_ENTRY_MAX + 8];

	t_begin("caps: CIDR_LIST_MAX entries, CIDR_ENTRY_MAX octets");
	T_ASSERT(text != NULL);
	if (text == NULL) {
		t_end();
		return;
	}
	for (i = 0; i < CIDR_LIST_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "10.%zu.%zu.1\n",
		    i / 250, i % 250);
	T_ASSERT(cidr_list_parse(text, len, "f", &l, err, sizeof(err)) == 0);
	T_ASSERT(l != NULL && l->n == CIDR_LIST_MAX);
	T_ASSERT(cidr_list_match_str(l, "10.39.249.1") == 1);
	T_ASSERT(cidr_list_match_str(l, "10.40.0.1") == 0);
	cidr_list_free(&l);
	len += (size_t)snprintf(text + len, cap - len, "192.0.2.1\n");
	T_ASSERT(cidr_list_parse(text, len, "f", &l, err, sizeof(err)) == -1);
	T_ASSERT_STREQ(err, "f:10001: more than 10000 entries");
	T_ASSERT(l == NULL);
	free(text);

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_ASSERT(cidr_list_parse(big, strlen(big), NULL, &l, err,
		     sizeof(err)) == -1);
	T_ASSERT(strstr(err, ": entry too long") != NULL);
	T_ASSERT(strlen(err) < 100); /* the echo of the entry is capped */
	t_end();
}

int
main(void)
{
	static void (*const tests[])(
	    void) = {test_parse, test_match, test_lists, test_caps, NULL};

	return t_run(tests);
}
