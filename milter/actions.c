/*
 * actions.c - local policy and the action for a verdict (pure)
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "conf/cidr.h"
#include "conf/config.h"
#include "milter/actions.h"
#include "policy/dmarc_record.h"
#include "policy/sbuf.h"

/* trusted - the client or a passing DKIM d= is a trusted forwarder */
static int
trusted(const struct action_in *in)
{
	const struct config *cfg = in->cfg;
	size_t i;

	if (in->client_ip != NULL && in->client_ip[0] != '\0' &&
	    cidr_list_match_str(cfg->trusted_forwarders, in->client_ip))
		return 1;
	for (i = 0; i < in->ndkim_pass; i++) {
		if (config_domains_find(cfg->trusted_forwarder_domains,
			in->dkim_pass[i]) != NULL)
			return 1;
	}
	return 0;
}

/* quarantine_action - QuarantineAction for a disposition of quarantine */
static void
quarantine_action(const struct config *cfg, struct action_out *out)
{
	switch (cfg->quarantine_action) {
	case CONF_QUARANTINE_HOLD:
		out->action = ACTION_QUARANTINE_HOLD;
		out->disp = DMARC_DISP_QUARANTINE;
		break;
	case CONF_QUARANTINE_REJECT:
		out->action = ACTION_REJECT;
		out->disp = DMARC_DISP_REJECT;
		break;
	case CONF_QUARANTINE_ACCEPT:
		out->action = ACTION_ACCEPT;
		out->disp = DMARC_DISP_NONE;
		break;
	default:
		out->action = ACTION_QUARANTINE_TAG;
		out->disp = DMARC_DISP_QUARANTINE;
		break;
	}
}

/* action_decide - local policy, then the configured action */
void
action_decide(const struct action_in *in, struct action_out *out)
{
	const struct config *cfg = in->cfg;
	const struct conf_domain *o;
	enum dmarc_disp disp = in->disp;
	unsigned int reasons = in->reasons;

	/* RFC 9989 7.4 / RFC 9990 reason trusted_forwarder */
	if ((disp == DMARC_DISP_QUARANTINE || disp == DMARC_DISP_REJECT ||
		in->result == DMARC_RESULT_FAIL) &&
	    trusted(in)) {
		if (disp == DMARC_DISP_QUARANTINE ||
		    disp == DMARC_DISP_REJECT) {
			disp = DMARC_DISP_NONE;
			reasons |= DMARC_REASON_TRUSTED_FORWARDER;
		}
	} else if (in->result == DMARC_RESULT_FAIL &&
	    in->policy_domain != NULL && in->policy_domain[0] != '\0' &&
	    (o = config_domains_find(cfg->policy_overrides,
		 in->policy_domain)) != NULL &&
	    (enum dmarc_disp)o->disp != disp) {
		/* RFC 9990 reason local_policy: our choice, not t= or pct= */
		disp = (enum dmarc_disp)o->disp;
		reasons &= ~(unsigned int)(DMARC_REASON_POLICY_TEST_MODE |
		    DMARC_REASON_SAMPLED_OUT);
		reasons |= DMARC_REASON_LOCAL_POLICY;
	}

	if (!cfg->reject_failures) {
		out->action = ACTION_ACCEPT;
		out->disp = DMARC_DISP_NONE;
	} else {
		switch (disp) {
		case DMARC_DISP_NONE:
			out->action = ACTION_ACCEPT;
			out->disp = DMARC_DISP_NONE;
			break;
		case DMARC_DISP_TEMPFAIL:
			out->action = ACTION_TEMPFAIL;
			out->disp = DMARC_DISP_TEMPFAIL;
			break;
		case DMARC_DISP_REJECT:
			if (cfg->reject_action == CONF_REJECT_REJECT) {
				out->action = ACTION_REJECT;
				out->disp = DMARC_DISP_REJECT;
			} else
				quarantine_action(cfg, out);
			break;
		case DMARC_DISP_QUARANTINE:
		default:
			quarantine_action(cfg, out);
			break;
		}
	}
	if (out->disp != disp)
		reasons |= DMARC_REASON_LOCAL_POLICY;
	out->reasons = reasons;
}

/* add_clean - append printable ASCII of s, '%' doubled; -1 once full */
static int
add_clean(struct sbuf *sb, const char *s, size_t cap)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			continue;
		if (sb->len + (*p == '%' ? 2 : 1) > cap)
			return -1;
		if (*p == '%')
			sbuf_add(sb, "%%", 2);
		else
			sbuf_addc(sb, *p);
	}
	return 0;
}

/* action_reply_text - tmpl with {domain} expanded, safe for smfi_setreply */
void
action_reply_text(const char *tmpl, const char *domain, char *out,
    size_t outlen)
{
	static const char key[] = "{domain}";
	struct sbuf sb;
	const char *p = tmpl, *hit;
	char piece[CONFIG_LINE_MAX + 1];
	size_t cap;

	if (outlen == 0)
		return;
	cap = outlen - 1 < ACTION_REPLY_MAX ? outlen - 1 : ACTION_REPLY_MAX;
	sbuf_init(&sb, out, outlen);
	if (domain == NULL || domain[0] == '\0')
		domain = "unknown";
	while ((hit = strstr(p, key)) != NULL) {
		size_t n = (size_t)(hit - p);

		if (n >= sizeof(piece))
			n = sizeof(piece) - 1;
		memcpy(piece, p, n);
		piece[n] = '\0';
		if (add_clean(&sb, piece, cap) == -1 ||
		    add_clean(&sb, domain, cap) == -1)
			return;
		p = hit + sizeof(key) - 1;
	}
	(void)add_clean(&sb, p, cap);
}

/* action_quarantine_value - "yes; policy=P domain=D" */
int
action_quarantine_value(enum dmarc_p policy, const char *domain, char *out,
    size_t outlen)
{
	struct sbuf sb;
	const char *p = dmarc_p_str(policy);
	const unsigned char *d;

	sbuf_init(&sb, out, outlen);
	sbuf_addf(&sb, "yes; policy=%s", p[0] != '\0' ? p : "none");
	if (domain != NULL && domain[0] != '\0') {
		sbuf_adds(&sb, " domain=");
		for (d = (const unsigned char *)domain; *d != '\0'; d++) {
			int ok = (*d >= 'a' && *d <= 'z') ||
			    (*d >= 'A' && *d <= 'Z') ||
			    (*d >= '0' && *d <= '9') || *d == '.' ||
			    *d == '-' || *d == '_';

			sbuf_addc(&sb, ok ? *d : '?');
		}
	}
	if (sb.overflow) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

const char *
action_str(enum action_kind a)
{
	switch (a) {
	case ACTION_ACCEPT:
		return "accept";
	case ACTION_REJECT:
		return "reject";
	case ACTION_TEMPFAIL:
		return "tempfail";
	case ACTION_QUARANTINE_TAG:
		return "quarantine-tag";
	case ACTION_QUARANTINE_HOLD:
		return "quarantine-hold";
	}
	return "unknown";
}

/* action_reasons_str - "local_policy,trusted_forwarder" or "-" */
void
action_reasons_str(unsigned int reasons, char *out, size_t outlen)
{
	static const struct {
		unsigned int bit;
		const char *word;
	} names[] = {
	    {DMARC_REASON_LOCAL_POLICY, "local_policy"},
	    {DMARC_REASON_MAILING_LIST, "mailing_list"},
	    {DMARC_REASON_OTHER, "other"},
	    {DMARC_REASON_POLICY_TEST_MODE, "policy_test_mode"},
	    {DMARC_REASON_TRUSTED_FORWARDER, "trusted_forwarder"},
	    {DMARC_REASON_SAMPLED_OUT, "sampled_out"},
	};
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb, out, outlen);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (reasons & names[i].bit)
			sbuf_addf(&sb, "%s%s", sb.len ? "," : "",
			    names[i].word);
	}
	if (sb.len == 0)
		sbuf_adds(&sb, "-");
}
