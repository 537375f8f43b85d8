/*
 * session.h - one message in, one SPF/DKIM/DMARC verdict out
 *
 * The evaluation session is the only way the daemon and dmarcctl check a
 * message.  A struct engine holds what a process shares between threads
 * (config, resolver, SPF and DKIM contexts, public suffix list); a struct
 * session holds one message and belongs to one thread at a time.
 *
 *	engine_new(cfg, &eng, err, errlen);
 *	s = session_new(eng);
 *	session_connect(s, "192.0.2.1");
 *	session_helo(s, "mx.example.net");
 *	session_mailfrom(s, "<user@example.com>");	   SPF runs here
 *	session_header(s, name, value);	...		   From:, DKIM, A-R
 *	session_eoh(s);
 *	session_body(s, chunk, len);	...		   streamed to DKIM
 *	session_eom(s, &v);				   DMARC decides
 *	session_reset(s);	next message on the same connection
 *	session_free(&s);
 *
 * Every input is hostile.  The functions return 0, or -1 only when the
 * session itself cannot go on (out of memory, called out of order); a bad
 * message or DNS answer is a verdict, never an error.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>

#include "auth/dkimv.h"
#include "auth/spf.h"
#include "policy/authres.h"
#include "policy/dmarc_policy.h"
#include "policy/dmarc_record.h"
#include "policy/dmarc_walk.h"
#include "policy/domain.h"
#include "policy/from_header.h"

struct config;
struct resolver;

#define SESSION_AR_FORGED_MAX 64 /* our-id A-R headers remembered to delete */
#define SESSION_DNS_CACHE     48 /* TXT answers kept per message */

struct engine {
	const struct config *cfg;
	struct resolver *res;
	struct spf_ctx *spf;
	struct dkimv_lib *dkim;
	struct orgdomain_psl *psl; /* OrgDomainMethod psl only */
	char authserv_id[256];
};

int engine_new(const struct config *cfg, struct engine **eng_r, char *err,
    size_t errlen);
void engine_free(struct engine **eng);

struct verdict_dkim {
	struct dkimv_sig sig;
	int aligned; /* passed and aligned with header_from */
};

struct verdict {
	struct spf_check
	    spf; /* the MAIL FROM identity (null: postmaster@HELO) */
	int spf_null_sender;
	size_t ndkim;
	struct verdict_dkim dkim[DKIMV_SIGS_MAX];

	struct dmarc_policy_out dmarc; /* result, policy, disp, reasons */
	int spf_aligned, dkim_aligned;
	char header_from[DOMAIN_MAX + 1];   /* "" if none */
	char policy_domain[DOMAIN_MAX + 1]; /* "" if no record found */
	char org_domain[DOMAIN_MAX + 1];
	enum dmarc_source source;
	int has_record; /* rec below is what was published */
	struct dmarc_record rec;
	const char *from_error; /* why no author domain, or NULL */
	const char *from_note;	/* From: malformed but its domains evaluated */
	const char *record_error;  /* the applied DMARC record's, or NULL */
	size_t nfrom;		   /* distinct author domains evaluated */
	char authres[AUTHRES_MAX]; /* field body, unfolded */
	/* the same folded for a header (authres_format() fold=1: "\n\t"
	 * between results, as milters write them) */
	char authres_folded[AUTHRES_MAX];
};

struct session;

struct session *session_new(struct engine *eng);
void session_free(struct session **s);
void session_reset(struct session *s); /* keeps client and HELO */

int session_connect(struct session *s, const char *client_ip);
int session_helo(struct session *s, const char *helo);
int session_mailfrom(struct session *s, const char *mailfrom);
int session_header(struct session *s, const char *name, const char *value);
int session_eoh(struct session *s);
int session_body(struct session *s, const unsigned char *p, size_t len);
int session_eom(struct session *s, struct verdict *v);

/*
 * session_authres - (re)write v->authres and v->authres_folded from v;
 * session_eom() calls it, the daemon again after local policy changed
 * v->dmarc.disp, so policy.dmarc says what was really done
 */
void session_authres(struct session *s, struct verdict *v);

/*
 * session_set_leadspc - header values are given exactly as they follow
 * the colon (libmilter with SMFIP_HDR_LEADSPC, or a file), instead of with
 * the one space after the colon removed, as libmilter gives them by default
 */
void session_set_leadspc(struct session *s);

/* session_set_pct_roll - fix the pct= draw (0..99), for reproducible runs */
void session_set_pct_roll(struct session *s, unsigned int roll);

/*
 * session_forged_ar - the 1-based indexes, among the message's
 * Authentication-Results headers, of those carrying our authserv-id
 * (RFC 8601 5: they are forgeries and must be removed before ours).
 */
size_t session_forged_ar(const struct session *s, const unsigned int **idx_r);

#endif
