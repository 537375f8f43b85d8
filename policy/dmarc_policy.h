/*
 * dmarc_policy.h - DMARC verdict and disposition for one Author Domain
 * (RFC 9989 4.7, 4.10.1; RFC 7489 6.6.4 for the legacy pct= tag)
 *
 * dmarc_policy_eval(in, out): in->disc comes from dmarc_walk_discover()
 * on the Author Domain's walk; spf_aligned and dkim_aligned say whether a
 * *passing* identifier aligns (dmarc_aligned()).  In order:
 *   disc->tempfail          TEMPERROR; disp TEMPFAIL if temperror_tempfail,
 *                           else NONE
 *   no record applies       NONE, disp NONE
 *   the record is INVALID   PERMERROR, disp NONE, policy UNSPEC
 *   policy                  source AUTHOR: p.  ORG or PSD (the author is a
 *                           subdomain): np, else sp, else p when
 *                           author_nxdomain; sp, else p otherwise
 *   result                  PASS if spf_aligned || dkim_aligned, else FAIL
 *   disposition of a FAIL   policy none: NONE.  Quarantine or reject under
 *                           test mode (t=y, or a legacy pct=0): one step
 *                           down (RFC 9989 4.7) with
 *                           DMARC_REASON_POLICY_TEST_MODE.  Else, when
 *                           honor_pct and an explicit 0 < pct < 100 and
 *                           pct_roll >= pct: one step down (reject ->
 *                           quarantine -> none) with
 *                           DMARC_REASON_SAMPLED_OUT.  Else the policy.
 *   disposition of a PASS   NONE
 * pct_roll is the caller's uniform random draw in 0..99.  Local overrides
 * (trusted forwarders, mailing lists, RejectFailures no) are the caller's
 * and use the other DMARC_REASON_* bits; DMARC_REASON_SAMPLED_OUT is
 * reported as "other" (RFC 9990 has no reason for sampling).
 *
 * dmarc_verdict_worse(a, b): 1 if b is stricter than a, to keep the
 * strictest outcome over several From: domains: disposition reject >
 * tempfail > quarantine > none, then result fail > temperror > permerror
 * > none > pass.
 * Pure, thread-safe.
 */
#ifndef DMARC_POLICY_H
#define DMARC_POLICY_H

#include "policy/dmarc_record.h"
#include "policy/dmarc_walk.h"

enum dmarc_result {
	DMARC_RESULT_NONE,
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR
};

enum dmarc_disp {
	DMARC_DISP_NONE,
	DMARC_DISP_QUARANTINE,
	DMARC_DISP_REJECT,
	DMARC_DISP_TEMPFAIL
};

/* why the disposition is not the published policy (RFC 9990 reasons) */
#define DMARC_REASON_LOCAL_POLICY      0x01
#define DMARC_REASON_MAILING_LIST      0x02
#define DMARC_REASON_OTHER	       0x04
#define DMARC_REASON_POLICY_TEST_MODE  0x08
#define DMARC_REASON_TRUSTED_FORWARDER 0x10
#define DMARC_REASON_SAMPLED_OUT       0x20 /* legacy pct=, as "other" */

struct dmarc_policy_in {
	const struct dmarc_discovery *disc;
	int author_nxdomain;	       /* RFC 9989 "non-existent": np applies */
	int spf_aligned, dkim_aligned; /* a passing identifier aligned */
	int honor_pct;
	unsigned pct_roll;	/* random draw 0..99 */
	int temperror_tempfail; /* TempErrorAction tempfail */
};

struct dmarc_policy_out {
	enum dmarc_result result;
	enum dmarc_p policy; /* p, sp or np that applied; UNSPEC if none */
	enum dmarc_disp disp;
	unsigned reasons; /* DMARC_REASON_* */
};

void dmarc_policy_eval(const struct dmarc_policy_in *in,
    struct dmarc_policy_out *out);
const char *dmarc_result_str(enum dmarc_result r); /* "pass", ... */
const char *dmarc_disp_str(enum dmarc_disp d);	   /* "none", ... */
int dmarc_verdict_worse(const struct dmarc_policy_out *a,
    const struct dmarc_policy_out *b);

#endif
