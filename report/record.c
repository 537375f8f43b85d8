/*
 * record.c - a verdict becomes a store_record
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "auth/session.h"
#include "report/record.h"

/* copy - a capped copy; hostile text never overflows a field */
static void
copy(char *dst, size_t dstlen, const char *src)
{
	if (src == NULL)
		src = "";
	(void)strlcpy(dst, src, dstlen);
}

/* domain_of - the part after any last '@', lower case */
static void
domain_of(char *dst, size_t dstlen, const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	size_t i;

	copy(dst, dstlen, at != NULL ? at + 1 : addr);
	for (i = 0; dst[i] != '\0'; i++) {
		if (dst[i] >= 'A' && dst[i] <= 'Z')
			dst[i] = (char)(dst[i] - 'A' + 'a');
	}
}

/* uri_list - rua/ruf as published: comma-separated, with any "!size" */
static void
uri_list(char *dst, size_t dstlen, const struct dmarc_uri *u, size_t n)
{
	size_t i, len = 0;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		char one[DMARC_URI_MAX + 32];
		int w;

		if (u[i].max_size != 0)
			w = snprintf(one, sizeof(one), "%s!%llu", u[i].uri,
			    u[i].max_size);
		else
			w = snprintf(one, sizeof(one), "%s", u[i].uri);
		if (w < 0 || (size_t)w >= sizeof(one) ||
		    len + (i > 0) + (size_t)w >= dstlen)
			break; /* a whole URI or none: never half of one */
		if (i > 0)
			dst[len++] = ',';
		memcpy(dst + len, one, (size_t)w + 1);
		len += (size_t)w;
	}
}

/* fo_string - the fo= options, RFC 9989 4.7 order "0:1:d:s" */
static void
fo_string(char *dst, size_t dstlen, unsigned fo)
{
	static const struct {
		unsigned bit;
		const char *s;
	} opt[] = {{DMARC_FO_0, "0"}, {DMARC_FO_1, "1"}, {DMARC_FO_D, "d"},
	    {DMARC_FO_S, "s"}};
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		if ((fo & opt[i].bit) == 0)
			continue;
		if (dst[0] != '\0')
			(void)strlcat(dst, ":", dstlen);
		(void)strlcat(dst, opt[i].s, dstlen);
	}
}

/* reason_types - RFC 9990 PolicyOverrideType words, in schema order */
static void
reason_types(char *dst, size_t dstlen, char *comment, size_t commentlen,
    unsigned reasons)
{
	static const struct {
		unsigned bit;
		const char *type;
	} r[] = {
	    {DMARC_REASON_LOCAL_POLICY, "local_policy"},
	    {DMARC_REASON_MAILING_LIST, "mailing_list"},
	    {DMARC_REASON_OTHER | DMARC_REASON_SAMPLED_OUT, "other"},
	    {DMARC_REASON_POLICY_TEST_MODE, "policy_test_mode"},
	    {DMARC_REASON_TRUSTED_FORWARDER, "trusted_forwarder"},
	};
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if ((reasons & r[i].bit) == 0)
			continue;
		if (dst[0] != '\0')
			(void)strlcat(dst, ",", dstlen);
		(void)strlcat(dst, r[i].type, dstlen);
	}
	/* RFC 7489 6.6.4 sampling has no RFC 9990 type of its own */
	if (reasons & DMARC_REASON_SAMPLED_OUT)
		copy(comment, commentlen, "sampled_out");
}

/* record_from_verdict - see record.h */
void
record_from_verdict(const struct verdict *v, const struct record_env *env,
    struct store_record *rec)
{
	const struct dmarc_record *r = &v->rec;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->received = env->received;
	copy(rec->queue_id, sizeof(rec->queue_id), env->queue_id);
	copy(rec->source_ip, sizeof(rec->source_ip), env->client_ip);
	if (env->mailfrom_domain != NULL && env->mailfrom_domain[0] != '\0' &&
	    strcmp(env->mailfrom_domain, "<>") != 0)
		domain_of(rec->env_from_domain, sizeof(rec->env_from_domain),
		    env->mailfrom_domain);
	else /* RFC 7208 2.4: the null sender's identity is the HELO */
		copy(rec->env_from_domain, sizeof(rec->env_from_domain),
		    env->helo);
	copy(rec->env_to_domain, sizeof(rec->env_to_domain), env->rcpt_domain);
	copy(rec->header_from, sizeof(rec->header_from), v->header_from);
	copy(rec->policy_domain, sizeof(rec->policy_domain), v->policy_domain);
	rec->has_policy = v->has_record;
	if (v->has_record) {
		copy(rec->p, sizeof(rec->p), dmarc_p_str(r->p));
		copy(rec->sp, sizeof(rec->sp), dmarc_p_str(r->sp));
		copy(rec->np, sizeof(rec->np), dmarc_p_str(r->np));
		rec->adkim = r->adkim == DMARC_AMODE_STRICT ? 's' : 'r';
		rec->aspf = r->aspf == DMARC_AMODE_STRICT ? 's' : 'r';
		rec->testing = r->testing || (r->pct_explicit && r->pct == 0);
		fo_string(rec->fo, sizeof(rec->fo), r->fo);
		uri_list(rec->rua, sizeof(rec->rua), r->rua, r->nrua);
		uri_list(rec->ruf, sizeof(rec->ruf), r->ruf, r->nruf);
	}
	copy(rec->discovery, sizeof(rec->discovery),
	    env->discovery != NULL ? env->discovery : "treewalk");
	copy(rec->dmarc_result, sizeof(rec->dmarc_result),
	    dmarc_result_str(v->dmarc.result));
	rec->spf_aligned = v->spf_aligned;
	rec->dkim_aligned = v->dkim_aligned;
	copy(rec->disposition, sizeof(rec->disposition),
	    dmarc_disp_str(v->dmarc.disp));
	reason_types(rec->reasons, sizeof(rec->reasons), rec->reason_comment,
	    sizeof(rec->reason_comment), v->dmarc.reasons);
	copy(rec->spf_domain, sizeof(rec->spf_domain), v->spf.domain);
	copy(rec->spf_scope, sizeof(rec->spf_scope), "mfrom");
	copy(rec->spf_result, sizeof(rec->spf_result),
	    spf_result_str(v->spf.result));
	for (i = 0; i < v->ndkim && i < STORE_DKIM_MAX; i++) {
		copy(rec->dkim[i].domain, sizeof(rec->dkim[i].domain),
		    v->dkim[i].sig.domain);
		copy(rec->dkim[i].selector, sizeof(rec->dkim[i].selector),
		    v->dkim[i].sig.selector);
		copy(rec->dkim[i].result, sizeof(rec->dkim[i].result),
		    dkimv_result_str(v->dkim[i].sig.result));
	}
	rec->ndkim = i;
}
