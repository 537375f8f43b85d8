/*
 * actions.h - what the daemon does with a verdict: local policy, then the
 * configured action (RFC 9989 7.4 leaves the choice to the receiver)
 *
 * action_decide(in, out) is pure: no libmilter, no I/O.  In order:
 *  1. Trusted forwarder: a message with a disposition of quarantine or
 *     reject whose client is in TrustedForwarders, or that has a passing
 *     DKIM signature whose d= is in TrustedForwarderDomains, gets
 *     disposition none, reason DMARC_REASON_TRUSTED_FORWARDER.
 *  2. PolicyOverrides, unless step 1 found a trusted forwarder for a
 *     failing message: a failing message (dmarc=fail) whose policy
 *     domain is listed (exact, ASCII case ignored) gets the listed
 *     disposition; if that changes it, reason DMARC_REASON_LOCAL_POLICY
 *     replaces the test-mode and sampling reasons.
 *  3. The action for the disposition:
 *       none        accept
 *       tempfail    tempfail (451 4.7.5 TempErrorText)
 *       reject      RejectAction reject: reject (550 5.7.1 RejectText);
 *                   RejectAction quarantine: as quarantine
 *       quarantine  QuarantineAction tag: quarantine-tag; hold:
 *                   quarantine-hold; reject: reject; accept: accept
 *     RejectFailures no: always accept (monitor mode).
 *     out->disp is what is done (accept: none, tag and hold: quarantine,
 *     reject: reject, tempfail: tempfail); when it differs from the
 *     disposition after steps 1 and 2, DMARC_REASON_LOCAL_POLICY is added.
 *
 * action_reply_text(tmpl, domain, out, outlen): the SMTP reply text for
 * smfi_setreply(): tmpl with every "{domain}" replaced by domain ("unknown"
 * when empty), anything but printable ASCII dropped, '%' doubled (libmilter
 * reads a single '%' as a format character), cut to at most
 * ACTION_REPLY_MAX octets without splitting a "%%".  Always a string.
 *
 * action_quarantine_value(policy, domain, out, outlen): the value of the
 * QuarantineHeader: "yes; policy=<p> domain=<d>" (p "none" when no policy
 * applied; " domain=..." left out when domain is empty); domain is
 * cleaned to [A-Za-z0-9._-].  0, or -1 if it does not fit.
 *
 * action_str(a): "accept", "reject", "tempfail", "quarantine-tag",
 * "quarantine-hold": the action= word of the log line.
 * action_reasons_str(reasons, out, outlen): the reasons as RFC 9990 words
 * separated by commas ("sampled_out" for the legacy pct= sampling), "-"
 * for none.
 *
 * Thread-safe, no allocation.
 */
#ifndef ACTIONS_H
#define ACTIONS_H

#include <stddef.h>

#include "policy/dmarc_policy.h"

struct config;

/* reply text after expansion: RFC 5321 4.5.3.1.5 allows 512 octets per
 * reply line, "550 5.7.1 " included */
#define ACTION_REPLY_MAX 400

enum action_kind {
	ACTION_ACCEPT,
	ACTION_REJECT,
	ACTION_TEMPFAIL,
	ACTION_QUARANTINE_TAG,
	ACTION_QUARANTINE_HOLD
};

struct action_in {
	const struct config *cfg;
	enum dmarc_result result;
	enum dmarc_disp disp;	      /* from the verdict */
	unsigned int reasons;	      /* DMARC_REASON_* of the verdict */
	const char *policy_domain;    /* "" or NULL if none */
	const char *client_ip;	      /* "" or NULL if unknown */
	const char *const *dkim_pass; /* d= of each passing DKIM signature */
	size_t ndkim_pass;
};

struct action_out {
	enum action_kind action;
	enum dmarc_disp disp; /* what is done */
	unsigned int reasons;
};

void action_decide(const struct action_in *in, struct action_out *out);
void action_reply_text(const char *tmpl, const char *domain, char *out,
    size_t outlen);
int action_quarantine_value(enum dmarc_p policy, const char *domain, char *out,
    size_t outlen);
const char *action_str(enum action_kind a);
void action_reasons_str(unsigned int reasons, char *out, size_t outlen);

#endif
