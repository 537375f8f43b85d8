/*
 * fuzz-rua.c - rua= report URIs: the DMARC record's parser, the report
 * module's parser and the external-destination check over them
 * (policy/dmarc_record.h "rua", report/rua.h)
 *
 * Input: the value of a rua tag as published, any bytes.
 *   1. dmarc_record_parse("v=DMARC1; rua=" + input): each URI kept is
 *      RFC 3986 scheme ":" URI characters (fuzz_uri_ok()), at most
 *      DMARC_URIS_MAX of them.
 *   2. rua_parse(input), as the store hands the value to the reporter:
 *      every RUA_OK address is local@domain of the narrow character set
 *      of rua.h (nothing a shell or a mail command line could take for
 *      an option or a second word), the domain lower case with two labels
 *      or more, addresses distinct, uri[] printable; rua_addr_check()
 *      accepts each address again unchanged.
 *   3. The URIs of step 1 joined with ',' (sizes as "!N"): rua_parse()
 *      must find one entry each, with the same size limit, never "not a
 *      URI" or "bad size limit" for what the record parser accepted.
 *   4. rua_verify() for policy domain example.com through a zone where
 *      every other destination domain of step 2 publishes the
 *      authorization "v=DMARC1; rua=" + input (RFC 9990 3 step 9, the
 *      redirect a destination's owner controls), except every third one
 *      (unauthorized) and servfail.example (temporary failure): the count
 *      returned is the RUA_OK entries, each still a valid, distinct
 *      address, and one outside example.com is marked external.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth/resolver.h"
#include "policy/dmarc_record.h"
#include "policy/domain.h"
#include "report/rua.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_INPUT_MAX 4096 /* a TXT record holds 65535; this is plenty */
#define FUZZ_EXT       "example.com._report._dmarc." /* RFC 9990 3 */

static const char zone_base[] =
    "$TTL 300\n"
    "_dmarc.example.com TXT \"v=DMARC1; p=none; rua=mailto:d@example.com\"\n"
    "_dmarc.example.net TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.example TXT \"v=DMARC1; p=none; psd=y\"\n"
    "$SERVFAIL example.com._report._dmarc.servfail.example TXT\n"
    "$SERVFAIL _dmarc.tempfail.example TXT\n";

/* addr_ok - local@domain as rua.h allows it */
static int
addr_ok(const char *addr, const char *domain)
{
	const char *at = strchr(addr, '@'), *p;
	size_t nlocal;

	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	nlocal = (size_t)(at - addr);
	if (nlocal == 0 || nlocal > RUA_LOCAL_MAX || addr[0] == '-' ||
	    addr[0] == '.' || at[-1] == '.' || strstr(addr, "..") != NULL)
		return 0;
	for (p = addr; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr(".+_=-", *p)))
			return 0;
	if (strcmp(at + 1, domain) != 0 || !fuzz_domain_ok(domain) ||
	    domain_labels(domain) < 2 || domain[0] == '-')
		return 0;
	for (p = domain; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			strchr(".-_", *p)))
			return 0;
	return 1;
}

/* check_list - what rua_parse() and rua_verify() promise */
static void
check_list(const struct rua_list *l, int verified)
{
	char out[RUA_ADDR_MAX + 1];
	const char *e;
	const struct rua_dest *d;
	size_t i, j;

	FUZZ_ASSERT(l->n <= RUA_DEST_MAX);
	for (i = 0; i < l->n; i++) {
		d = &l->d[i];
		FUZZ_ASSERT(d->status >= RUA_OK && d->status <= RUA_TEMPFAIL);
		if (!verified)
			FUZZ_ASSERT(d->status <= RUA_DUPLICATE);
		FUZZ_ASSERT((d->status == RUA_OK) == (d->why == NULL));
		FUZZ_ASSERT(rua_status_str(d->status) != NULL);
		FUZZ_ASSERT(strnlen(d->uri, sizeof(d->uri)) < sizeof(d->uri));
		for (j = 0; d->uri[j] != '\0'; j++)
			FUZZ_ASSERT(d->uri[j] > 0x20 && d->uri[j] < 0x7f);
		FUZZ_ASSERT(rua_fits(d, 0));
		if (d->status != RUA_OK)
			continue;
		FUZZ_ASSERT(addr_ok(d->addr, d->domain));
		FUZZ_ASSERT(rua_addr_check(d->addr, strlen(d->addr), out,
				sizeof(out), &e) == 0);
		FUZZ_ASSERT(strcmp(out, d->addr) == 0);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(l->d[j].status != RUA_OK ||
			    strcmp(l->d[j].addr, d->addr) != 0);
		if (verified && !domain_is_sub(d->domain, "example.com"))
			FUZZ_ASSERT(d->external);
	}
}

/* record_uris - step 1, then step 3 */
static void
record_uris(const uint8_t *data, size_t size)
{
	static struct dmarc_record rec;
	static struct rua_list l;
	struct fuzz_buf b = {NULL, 0, 0};
	const char *err;
	char num[32];
	size_t i;
	enum dmarc_record_status st;

	fuzz_buf_adds(&b, "v=DMARC1; rua=");
	fuzz_buf_add(&b, data, size);
	st = dmarc_record_parse(b.p, b.len, &rec, &err);
	FUZZ_ASSERT(st != DMARC_RECORD_NOT_DMARC);
	if (st == DMARC_RECORD_INVALID) {
		/* a NUL byte, or "; p=bogus" without a valid URI */
		FUZZ_ASSERT(err != NULL && rec.nrua == 0);
		free(b.p);
		return;
	}
	FUZZ_ASSERT(rec.nrua <= DMARC_URIS_MAX);
	b.len = 0;
	for (i = 0; i < rec.nrua; i++) {
		FUZZ_ASSERT(fuzz_uri_ok(&rec.rua[i]));
		if (i > 0)
			fuzz_buf_adds(&b, ",");
		fuzz_buf_adds(&b, rec.rua[i].uri);
		if (rec.rua[i].max_size != 0) {
			snprintf(num, sizeof(num), "!%llu",
			    rec.rua[i].max_size);
			fuzz_buf_adds(&b, num);
		}
	}
	rua_parse(b.p != NULL ? b.p : "", b.len, &l);
	check_list(&l, 0);
	FUZZ_ASSERT(l.n == rec.nrua && l.ndropped == 0);
	for (i = 0; i < l.n; i++) {
		FUZZ_ASSERT(l.d[i].max_size == rec.rua[i].max_size);
		FUZZ_ASSERT(l.d[i].why == NULL ||
		    (strcmp(l.d[i].why, "not a URI") != 0 &&
			strcmp(l.d[i].why, "bad size limit") != 0));
	}
	free(b.p);
}

/* verify - step 4 */
static void
verify(const uint8_t *data, size_t size, struct rua_list *l)
{
	static int fd = -1;
	static char path[64];
	struct fuzz_buf z = {NULL, 0, 0};
	struct resolver_opts ro;
	struct resolver *res = NULL;
	char err[512];
	size_t i, j, nok = 0, ret;

	fuzz_buf_adds(&z, zone_base);
	for (i = 0; i < l->n; i++) {
		const char *dom = l->d[i].domain;

		if (l->d[i].status != RUA_OK ||
		    domain_is_sub(dom, "example.com") || i % 3 == 2 ||
		    strcmp(dom, "servfail.example") == 0 ||
		    strlen(FUZZ_EXT) + strlen(dom) > DOMAIN_MAX)
			continue;
		for (j = 0; j < i; j++)
			if (l->d[j].status == RUA_OK &&
			    strcmp(l->d[j].domain, dom) == 0)
				break;
		if (j < i)
			continue; /* published once is enough */
		fuzz_buf_adds(&z, FUZZ_EXT);
		fuzz_buf_adds(&z, dom);
		fuzz_buf_adds(&z, " TXT");
		{
			struct fuzz_buf r = {NULL, 0, 0};

			fuzz_buf_adds(&r, "v=DMARC1; rua=");
			fuzz_buf_add(&r, data, size);
			fuzz_buf_txt(&z, r.p, r.len);
			free(r.p);
		}
		fuzz_buf_adds(&z, "\n");
	}
	if (fd == -1)
		fd = fuzz_memfd_path(z.p, z.len, path, sizeof(path));
	else if (fuzz_memfd_rewrite(fd, z.p, z.len) == -1)
		abort();
	FUZZ_ASSERT(fd != -1);
	free(z.p);
	memset(&ro, 0, sizeof(ro));
	ro.zone_file = path;
	if (resolver_new(&ro, &res, err, sizeof(err)) == -1) {
		/* names are valid and within DNS limits: the zone loads */
		fprintf(stderr, "zone: %s\n", err);
		FUZZ_ASSERT(0);
	}
	ret = rua_verify(l, "example.com", res, NULL);
	check_list(l, 1);
	for (i = 0; i < l->n; i++)
		nok += l->d[i].status == RUA_OK;
	FUZZ_ASSERT(ret == nok);
	resolver_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rua_list l;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	record_uris(data, size);
	rua_parse((const char *)data, size, &l);
	check_list(&l, 0);
	verify(data, size, &l);
	return 0;
}
