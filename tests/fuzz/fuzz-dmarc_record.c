/*
 * fuzz-dmarc_record.c - a DMARC TXT record, then the DNS Tree Walk and the
 * verdict over it (policy/dmarc_record.h, dmarc_walk.h, dmarc_policy.h)
 *
 * Input: the TXT record as published, any bytes.  It is parsed twice
 * (the results must be identical), then fed to a DNS Tree Walk from a
 * name of 11 labels: at each of the 8 steps the TXT answer is the input
 * cut at '\n' (up to 4 records, so several DMARC records at one name
 * occur); the last input byte says which steps answer (bit i set: step i
 * has the records, else NXDOMAIN), and a second-to-last byte of the form
 * 11111xxx makes step xxx fail temporarily.  The discovery is then judged
 * by dmarc_policy_eval() for every alignment and error setting.
 *
 * Invariants: the header's contract for each status; values within their
 * enums and ranges; rua/ruf URIs are RFC 3986 scheme ":" URI characters
 * without ',', '!', ';' or blanks; warning tags are printable; the walk
 * and discovery only name suffixes of the start; a verdict agrees with
 * the rules of dmarc_policy.h.
 */
#include <stdint.h>
#include <string.h>

#include "policy/dmarc_policy.h"
#include "policy/dmarc_record.h"
#include "policy/dmarc_walk.h"
#include "policy/domain.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_START   "a.b.c.d.e.f.g.h.i.example.com" /* 11 labels */
#define FUZZ_TXT_MAX 4 /* TXT records per answer */

/* check_record - the contract of dmarc_record.h for one parse */
static void
check_record(const char *txt, size_t len, enum dmarc_record_status st,
    const struct dmarc_record *rec, const char *err)
{
	size_t i;

	FUZZ_ASSERT(st == DMARC_RECORD_OK || st == DMARC_RECORD_NOT_DMARC ||
	    st == DMARC_RECORD_INVALID);
	FUZZ_ASSERT(
	    (st == DMARC_RECORD_NOT_DMARC) == !dmarc_record_is_dmarc(txt, len));
	if (st == DMARC_RECORD_INVALID) {
		FUZZ_ASSERT(err != NULL && err[0] != '\0');
		return;
	}
	if (st != DMARC_RECORD_OK)
		return;
	FUZZ_ASSERT(err == NULL);
	FUZZ_ASSERT(len <= DMARC_RECORD_MAX && memchr(txt, '\0', len) == NULL);
	FUZZ_ASSERT(rec->p >= DMARC_P_NONE && rec->p <= DMARC_P_REJECT);
	FUZZ_ASSERT(rec->p_explicit || rec->p == DMARC_P_NONE);
	FUZZ_ASSERT(rec->sp >= DMARC_P_UNSPEC && rec->sp <= DMARC_P_REJECT);
	FUZZ_ASSERT(rec->np >= DMARC_P_UNSPEC && rec->np <= DMARC_P_REJECT);
	FUZZ_ASSERT(rec->psd >= DMARC_PSD_U && rec->psd <= DMARC_PSD_N);
	FUZZ_ASSERT(rec->adkim == DMARC_AMODE_RELAXED ||
	    rec->adkim == DMARC_AMODE_STRICT);
	FUZZ_ASSERT(rec->aspf == DMARC_AMODE_RELAXED ||
	    rec->aspf == DMARC_AMODE_STRICT);
	FUZZ_ASSERT(rec->testing == 0 || rec->testing == 1);
	FUZZ_ASSERT(rec->pct >= 0 && rec->pct <= 100);
	FUZZ_ASSERT(rec->pct_explicit || rec->pct == 100);
	FUZZ_ASSERT((rec->fo &
			~(unsigned)(DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D |
			    DMARC_FO_S)) == 0);
	FUZZ_ASSERT(*dmarc_p_str(rec->p) != '\0');
	FUZZ_ASSERT(rec->nrua <= DMARC_URIS_MAX && rec->nruf <= DMARC_URIS_MAX);
	for (i = 0; i < rec->nrua; i++)
		FUZZ_ASSERT(fuzz_uri_ok(&rec->rua[i]));
	for (i = 0; i < rec->nruf; i++)
		FUZZ_ASSERT(fuzz_uri_ok(&rec->ruf[i]));
	FUZZ_ASSERT(rec->nwarn <= DMARC_WARN_MAX);
	for (i = 0; i < rec->nwarn; i++) {
		const unsigned char *t =
		    (const unsigned char *)rec->warn[i].tag;

		FUZZ_ASSERT(rec->warn[i].why != NULL);
		FUZZ_ASSERT(strnlen(rec->warn[i].tag, 16) <= 15);
		for (; *t != '\0'; t++)
			FUZZ_ASSERT(*t > 0x20 && *t < 0x7f);
	}
}

/* check_verdict - dmarc_policy_eval() against the rules of its header */
static void
check_verdict(const struct dmarc_discovery *d, unsigned roll)
{
	struct dmarc_policy_in in;
	struct dmarc_policy_out out;
	unsigned k;

	for (k = 0; k < 16; k++) {
		memset(&in, 0, sizeof(in));
		in.disc = d;
		in.spf_aligned = k & 1;
		in.dkim_aligned = (k >> 1) & 1;
		in.temperror_tempfail = (k >> 2) & 1;
		in.author_nxdomain = (k >> 3) & 1;
		in.honor_pct = 1;
		in.pct_roll = roll;
		memset(&out, 0x5a, sizeof(out));
		dmarc_policy_eval(&in, &out);
		FUZZ_ASSERT(out.result >= DMARC_RESULT_NONE &&
		    out.result <= DMARC_RESULT_PERMERROR);
		FUZZ_ASSERT(out.disp >= DMARC_DISP_NONE &&
		    out.disp <= DMARC_DISP_TEMPFAIL);
		FUZZ_ASSERT(out.policy >= DMARC_P_UNSPEC &&
		    out.policy <= DMARC_P_REJECT);
		FUZZ_ASSERT(dmarc_result_str(out.result) != NULL &&
		    dmarc_disp_str(out.disp) != NULL);
		if (d->tempfail) {
			FUZZ_ASSERT(out.result == DMARC_RESULT_TEMPERROR);
			FUZZ_ASSERT(out.disp ==
			    (in.temperror_tempfail ? DMARC_DISP_TEMPFAIL
						   : DMARC_DISP_NONE));
			continue;
		}
		FUZZ_ASSERT(out.disp != DMARC_DISP_TEMPFAIL);
		if (d->step == NULL) {
			FUZZ_ASSERT(out.result == DMARC_RESULT_NONE &&
			    out.disp == DMARC_DISP_NONE);
			continue;
		}
		if (d->step->status != DMARC_RECORD_OK) {
			FUZZ_ASSERT(out.result == DMARC_RESULT_PERMERROR &&
			    out.disp == DMARC_DISP_NONE &&
			    out.policy == DMARC_P_UNSPEC);
			continue;
		}
		FUZZ_ASSERT(out.policy != DMARC_P_UNSPEC);
		if (in.spf_aligned || in.dkim_aligned) {
			FUZZ_ASSERT(out.result == DMARC_RESULT_PASS &&
			    out.disp == DMARC_DISP_NONE);
			continue;
		}
		FUZZ_ASSERT(out.result == DMARC_RESULT_FAIL);
		/* never stricter than the policy that applied */
		FUZZ_ASSERT((out.disp == DMARC_DISP_NONE) ||
		    (out.disp == DMARC_DISP_QUARANTINE &&
			out.policy >= DMARC_P_QUARANTINE) ||
		    (out.disp == DMARC_DISP_REJECT &&
			out.policy == DMARC_P_REJECT));
		if (out.policy == DMARC_P_NONE)
			FUZZ_ASSERT(out.disp == DMARC_DISP_NONE);
	}
}

/* walk - the Tree Walk with the input as every TXT answer */
static void
walk(const uint8_t *data, size_t size)
{
	static struct dmarc_walk w; /* 45 KB: off the stack */
	struct dmarc_discovery d;
	const char *txt[FUZZ_TXT_MAX];
	size_t txtlen[FUZZ_TXT_MAX], ntxt = 0, pos = 0, i, first;
	char qname[DMARC_WALK_QNAME_MAX], org[DOMAIN_MAX + 1];
	unsigned mask = size > 0 ? data[size - 1] : 0xff;
	unsigned fail = size > 1 ? data[size - 2] : 0;
	const struct dmarc_walk_step *s;
	int rc;

	while (ntxt < FUZZ_TXT_MAX && pos <= size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t n =
		    nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;

		txt[ntxt] = (const char *)data + pos;
		txtlen[ntxt++] = n;
		pos += n + 1;
	}

	/* the record a step found is the first DMARC one of the answer */
	for (first = 0; first < ntxt - 1; first++)
		if (dmarc_record_is_dmarc(txt[first], txtlen[first]))
			break;

	dmarc_walk_init(&w, FUZZ_START);
	for (i = 0; dmarc_walk_next(&w, qname, sizeof(qname)) == 1; i++) {
		FUZZ_ASSERT(i < DMARC_WALK_MAX);
		FUZZ_ASSERT(strncmp(qname, "_dmarc.", 7) == 0);
		FUZZ_ASSERT(domain_is_sub(FUZZ_START, qname + 7));
		if ((fail & 0xf8) == 0xf8 && (fail & 7) == i)
			dmarc_walk_feed(&w, DMARC_DNS_TEMPFAIL, NULL, NULL, 0);
		else if (mask & (1u << i))
			dmarc_walk_feed(&w, DMARC_DNS_OK, txt, txtlen, ntxt);
		else
			dmarc_walk_feed(&w, DMARC_DNS_NXDOMAIN, NULL, NULL, 0);
	}
	FUZZ_ASSERT(w.nstep <= DMARC_WALK_MAX && w.done);
	for (i = 0; i < w.nstep; i++) {
		s = &w.step[i];
		FUZZ_ASSERT(domain_is_sub(FUZZ_START, s->domain));
		FUZZ_ASSERT(!(s->found && s->multiple));
		if (s->found)
			check_record(txt[first], txtlen[first], s->status,
			    &s->rec,
			    s->status == DMARC_RECORD_OK ? NULL : s->err);
	}

	rc = dmarc_walk_orgdomain(&w, org, sizeof(org));
	dmarc_walk_discover(&w, &d);
	FUZZ_ASSERT(d.source >= DMARC_SRC_NONE && d.source <= DMARC_SRC_PSD);
	FUZZ_ASSERT((d.source == DMARC_SRC_NONE) == (d.step == NULL));
	FUZZ_ASSERT(d.tempfail == w.tempfail);
	if (d.step != NULL) {
		FUZZ_ASSERT(d.step->found);
		FUZZ_ASSERT(strcmp(d.policy_domain, d.step->domain) == 0);
		FUZZ_ASSERT(domain_is_sub(FUZZ_START, d.policy_domain));
		if (d.source == DMARC_SRC_AUTHOR)
			FUZZ_ASSERT(d.step == &w.step[0]);
	} else
		FUZZ_ASSERT(d.policy_domain[0] == '\0');
	if (rc == 0) {
		FUZZ_ASSERT(!w.tempfail);
		FUZZ_ASSERT(strcmp(org, d.org_domain) == 0);
		FUZZ_ASSERT(domain_is_sub(FUZZ_START, org));
	} else
		FUZZ_ASSERT(w.tempfail && d.org_domain[0] == '\0');
	check_verdict(&d, (unsigned)(size % 100));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmarc_record r1, r2;
	const char *txt = (const char *)data, *e1, *e2;
	enum dmarc_record_status s1, s2;

	memset(&r1, 0xa5, sizeof(r1));
	memset(&r2, 0x5a, sizeof(r2));
	s1 = dmarc_record_parse(txt, size, &r1, &e1);
	s2 = dmarc_record_parse(txt, size, &r2, &e2);
	check_record(txt, size, s1, &r1, e1);
	FUZZ_ASSERT(s1 == s2 && e1 == e2);
	FUZZ_ASSERT(memcmp(&r1, &r2, sizeof(r1)) == 0);
	/* errstr_r may be NULL */
	FUZZ_ASSERT(dmarc_record_parse(txt, size, &r2, NULL) == s1);
	walk(data, size);
	return 0;
}
