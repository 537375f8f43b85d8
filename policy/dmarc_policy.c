/*
 * dmarc_policy.c - DMARC verdict and disposition (RFC 9989 4.7, 4.10.1)
 */
#include <string.h>

#include "policy/dmarc_policy.h"

/* pick_policy - RFC 9989 4.10.1: p, sp or np of the applied record */
static enum dmarc_p
pick_policy(const struct dmarc_policy_in *in, const struct dmarc_record *r)
{
	if (in->disc->source == DMARC_SRC_AUTHOR)
		return r->p;
	/* the Author Domain is a subdomain of the policy domain */
	if (in->author_nxdomain && r->np != DMARC_P_UNSPEC)
		return r->np;
	if (r->sp != DMARC_P_UNSPEC)
		return r->sp;
	return r->p;
}

/* dmarc_policy_eval - record and aligned identifiers to a verdict */
void
dmarc_policy_eval(const struct dmarc_policy_in *in,
    struct dmarc_policy_out *out)
{
	const struct dmarc_discovery *d = in->disc;
	const struct dmarc_record *r;
	enum dmarc_p p;

	memset(out, 0, sizeof(*out));
	out->result = DMARC_RESULT_NONE;
	out->policy = DMARC_P_UNSPEC;
	out->disp = DMARC_DISP_NONE;
	if (d == NULL)
		return;
	if (d->tempfail) { /* RFC 9989 4.10.1: DNS errors, receiver's call */
		out->result = DMARC_RESULT_TEMPERROR;
		if (in->temperror_tempfail)
			out->disp = DMARC_DISP_TEMPFAIL;
		return;
	}
	/* RFC 9989 4.10.1: no record, no DMARC */
	if (d->source == DMARC_SRC_NONE || d->step == NULL)
		return;
	if (d->step->status != DMARC_RECORD_OK) {
		out->result = DMARC_RESULT_PERMERROR;
		return;
	}
	r = &d->step->rec;
	if ((p = pick_policy(in, r)) == DMARC_P_UNSPEC)
		p = DMARC_P_NONE; /* RFC 9989 4.7 "p": absent is none */
	out->policy = p;
	if (in->spf_aligned || in->dkim_aligned) {
		out->result = DMARC_RESULT_PASS;
		return;
	}
	out->result = DMARC_RESULT_FAIL;
	if (p == DMARC_P_NONE)
		return;
	/*
	 * RFC 9989 4.7 "t": the owner expects the policy one level below
	 * the published one, reject -> quarantine, quarantine -> none.  A
	 * legacy pct=0 is read as t=y (RFC 7489 6.6.4 gave the same).
	 */
	if (r->testing || (r->pct_explicit && r->pct == 0)) {
		out->reasons |= DMARC_REASON_POLICY_TEST_MODE;
		out->disp = p == DMARC_P_REJECT ? DMARC_DISP_QUARANTINE
						: DMARC_DISP_NONE;
		return;
	}
	/* RFC 7489 6.6.4: a message not sampled gets the next policy down */
	if (in->honor_pct && r->pct_explicit && r->pct > 0 && r->pct < 100 &&
	    in->pct_roll >= (unsigned)r->pct) {
		out->reasons |= DMARC_REASON_SAMPLED_OUT;
		out->disp = p == DMARC_P_REJECT ? DMARC_DISP_QUARANTINE
						: DMARC_DISP_NONE;
		return;
	}
	out->disp =
	    p == DMARC_P_REJECT ? DMARC_DISP_REJECT : DMARC_DISP_QUARANTINE;
}

/* dmarc_result_str - RFC 8601 / RFC 9989 result words */
const char *
dmarc_result_str(enum dmarc_result r)
{
	switch (r) {
	case DMARC_RESULT_NONE:
		return "none";
	case DMARC_RESULT_PASS:
		return "pass";
	case DMARC_RESULT_FAIL:
		return "fail";
	case DMARC_RESULT_TEMPERROR:
		return "temperror";
	case DMARC_RESULT_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

/* dmarc_disp_str - disposition words (RFC 9990 plus "tempfail") */
const char *
dmarc_disp_str(enum dmarc_disp d)
{
	switch (d) {
	case DMARC_DISP_NONE:
		return "none";
	case DMARC_DISP_QUARANTINE:
		return "quarantine";
	case DMARC_DISP_REJECT:
		return "reject";
	case DMARC_DISP_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

/* disp_rank - reject > tempfail > quarantine > none */
static int
disp_rank(enum dmarc_disp d)
{
	switch (d) {
	case DMARC_DISP_REJECT:
		return 3;
	case DMARC_DISP_TEMPFAIL:
		return 2;
	case DMARC_DISP_QUARANTINE:
		return 1;
	case DMARC_DISP_NONE:
		break;
	}
	return 0;
}

/* result_rank - fail > temperror > permerror > none > pass */
static int
result_rank(enum dmarc_result r)
{
	switch (r) {
	case DMARC_RESULT_FAIL:
		return 4;
	case DMARC_RESULT_TEMPERROR:
		return 3;
	case DMARC_RESULT_PERMERROR:
		return 2;
	case DMARC_RESULT_NONE:
		return 1;
	case DMARC_RESULT_PASS:
		break;
	}
	return 0;
}

/* dmarc_verdict_worse - is b stricter than a? */
int
dmarc_verdict_worse(const struct dmarc_policy_out *a,
    const struct dmarc_policy_out *b)
{
	int da = disp_rank(a->disp), db = disp_rank(b->disp);

	if (da != db)
		return db > da;
	return result_rank(b->result) > result_rank(a->result);
}
