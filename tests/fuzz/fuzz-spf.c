/*
 * fuzz-spf.c - a sender's SPF record through our checker, libspf2 and the
 * zone-backed resolver (auth/spf.h)
 *
 * Input: the TXT record a sender publishes, any bytes (at most
 * FUZZ_INPUT_MAX).  It is written, \DDD-escaped, as the only TXT record of
 * fuzz.test and of inc.fuzz.test in a fixed zone (below) that also gives
 * the names its mechanisms are likely to reach: A, AAAA, MX and PTR data,
 * other SPF records, a CNAME, a SERVFAIL and a timeout.  The zone sits in
 * a memory file, a new resolver and SPF context are built for each input,
 * and the record is evaluated three times:
 *   spf_check_mfrom(192.0.2.1, HELO fuzz.test, user@fuzz.test)
 *   spf_check_mfrom(2001:db8::1, HELO fuzz.test, null sender)
 *   spf_check_helo(192.0.2.1, fuzz.test)
 * and given to spf_record_check() for both address families, with an
 * output buffer of exactly the documented 4 * (len + 16) octets (ASan
 * catches a byte more) and with one too small.
 *
 * Invariants: every check returns 0 with a result of the enum, scope and
 * domain as documented, a NUL-terminated reason; spf_record_check()
 * writes a printable "v=spf1..." string; a record that starts "v=spf1"
 * and fails spf_record_check() is a permerror (RFC 7208 4.6: a syntax
 * error anywhere is permerror before any evaluation); input that does
 * not start with "v=spf1" gives none (RFC 7208 4.5).
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/resolver.h"
#include "auth/spf.h"
#include "tests/fuzz/fuzz.h"

/* a 4 KB record is far beyond what one DNS answer for SPF should carry */
#define FUZZ_INPUT_MAX 4096

static const char zone_base[] =
    "$TTL 300\n"
    "fuzz.test A 192.0.2.1\n"
    "fuzz.test AAAA 2001:db8::1\n"
    "fuzz.test MX 10 mx.fuzz.test\n"
    "fuzz.test MX 20 mx2.fuzz.test\n"
    "mx.fuzz.test A 192.0.2.2\n"
    "mx.fuzz.test AAAA 2001:db8::2\n"
    "mx2.fuzz.test A 198.51.100.2\n"
    "a.fuzz.test A 192.0.2.1\n"
    "a.fuzz.test A 203.0.113.1\n"
    "aaaa.fuzz.test AAAA 2001:db8::1\n"
    "alias.fuzz.test CNAME a.fuzz.test\n"
    "pass.fuzz.test TXT \"v=spf1 +all\"\n"
    "fail.fuzz.test TXT \"v=spf1 -all\"\n"
    "soft.fuzz.test TXT \"v=spf1 ~all\"\n"
    "redir.fuzz.test TXT \"v=spf1 redirect=inc.fuzz.test\"\n"
    "loop.fuzz.test TXT \"v=spf1 include:loop.fuzz.test -all\"\n"
    "two.fuzz.test TXT \"v=spf1 -all\"\n"
    "two.fuzz.test TXT \"v=spf1 +all\"\n"
    "nospf.fuzz.test TXT \"hello\"\n"
    "1.2.0.192.in-addr.arpa PTR fuzz.test\n"
    "1.2.0.192.in-addr.arpa PTR mx.fuzz.test\n"
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
    ".ip6.arpa PTR fuzz.test\n"
    "1.2.0.192.x.fuzz.test A 127.0.0.2\n"
    "user.x.fuzz.test A 127.0.0.2\n"
    "postmaster.x.fuzz.test A 127.0.0.2\n"
    "$SERVFAIL sf.fuzz.test ANY\n"
    "$TIMEOUT to.fuzz.test ANY\n";

/* is_spf1 - "v=spf1" (icase: any case) then a space or the end */
static int
is_spf1(const uint8_t *p, size_t n, int icase)
{
	if (n < 6 ||
	    (icase ? strncasecmp((const char *)p, "v=spf1", 6)
		   : memcmp(p, "v=spf1", 6)) != 0)
		return 0;
	return n == 6 || p[6] == ' ';
}

static void
check_out(const struct spf_check *out, int rc, const char *scope)
{
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(
	    out->result >= SPF_RES_NONE && out->result <= SPF_RES_PERMERROR);
	FUZZ_ASSERT(spf_result_str(out->result) != NULL);
	FUZZ_ASSERT(strcmp(out->scope, scope) == 0);
	FUZZ_ASSERT(strcmp(out->domain, "fuzz.test") == 0);
	FUZZ_ASSERT(
	    strnlen(out->reason, sizeof(out->reason)) < sizeof(out->reason));
}

/* record_check - spf_record_check() for one family; 0 if the record is
 * valid */
static int
record_check(const uint8_t *data, size_t size, int af)
{
	size_t outsize = 4 * (size + 16), i;
	char *out, small[8];
	const char *e = NULL;
	int rc;

	if ((out = malloc(outsize)) == NULL)
		abort();
	rc = spf_record_check((const char *)data, size, af, out, outsize, &e);
	if (rc == 0) {
		FUZZ_ASSERT(e == NULL);
		FUZZ_ASSERT(strnlen(out, outsize) < outsize);
		FUZZ_ASSERT(strncmp(out, "v=spf1", 6) == 0);
		for (i = 0; out[i] != '\0'; i++)
			FUZZ_ASSERT(out[i] >= 0x20 && out[i] < 0x7f);
	} else
		FUZZ_ASSERT(rc == -1 && e != NULL && e[0] != '\0');
	/* too small an output: refused, never overrun */
	if (spf_record_check((const char *)data, size, af, small, sizeof(small),
		&e) == 0)
		FUZZ_ASSERT(strnlen(small, sizeof(small)) < sizeof(small));
	free(out);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct fuzz_buf z = {NULL, 0, 0};
	struct resolver_opts ro;
	struct resolver *res = NULL;
	struct spf_ctx *ctx = NULL;
	struct spf_check out4, out6, outh;
	char err[512];
	int bad4, bad6;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	bad4 = record_check(data, size, AF_INET) == -1;
	bad6 = record_check(data, size, AF_INET6) == -1;

	fuzz_buf_adds(&z, zone_base);
	fuzz_buf_adds(&z, "fuzz.test TXT");
	fuzz_buf_txt(&z, data, size);
	fuzz_buf_adds(&z, "\ninc.fuzz.test TXT");
	fuzz_buf_txt(&z, data, size);
	fuzz_buf_adds(&z, "\n");
	if (fd == -1)
		fd = fuzz_memfd_path(z.p, z.len, path, sizeof(path));
	else if (fuzz_memfd_rewrite(fd, z.p, z.len) == -1)
		abort();
	FUZZ_ASSERT(fd != -1);
	free(z.p);

	memset(&ro, 0, sizeof(ro));
	ro.zone_file = path;
	if (resolver_new(&ro, &res, err, sizeof(err)) == -1 ||
	    spf_ctx_new(res, &ctx, err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		FUZZ_ASSERT(0); /* any bytes fit in an escaped TXT record */
	}
	memset(&out4, 0x55, sizeof(out4));
	check_out(&out4,
	    spf_check_mfrom(ctx, "192.0.2.1", "fuzz.test", "user@fuzz.test",
		&out4),
	    "mfrom");
	memset(&out6, 0x55, sizeof(out6));
	check_out(&out6,
	    spf_check_mfrom(ctx, "2001:db8::1", "fuzz.test", "", &out6),
	    "mfrom");
	memset(&outh, 0x55, sizeof(outh));
	check_out(&outh, spf_check_helo(ctx, "192.0.2.1", "fuzz.test", &outh),
	    "helo");

	if (is_spf1(data, size, 0)) {
		if (bad4)
			FUZZ_ASSERT(out4.result == SPF_RES_PERMERROR &&
			    outh.result == SPF_RES_PERMERROR);
		if (bad6)
			FUZZ_ASSERT(out6.result == SPF_RES_PERMERROR);
	}
	if (!is_spf1(data, size, 1))
		FUZZ_ASSERT(out4.result == SPF_RES_NONE &&
		    out6.result == SPF_RES_NONE && outh.result == SPF_RES_NONE);
	spf_ctx_free(&ctx);
	resolver_free(&res);
	return 0;
}
