/*
 * milter.c - the libmilter callbacks (glue only: the checks are in the
 * evaluation session, the decisions in actions.c)
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "auth/session.h"
#include "conf/cidr.h"
#include "conf/config.h"
#include "milter/actions.h"
#include "milter/log.h"
#include "milter/milter.h"
#include "milter/reload.h"
#include "policy/domain.h"
#include "policy/sbuf.h"
#include "report/failure.h"
#include "report/record.h"
#include "report/rua.h"
#include "report/store.h"

/* Postfix keeps at most 102400 bytes of header (header_size_limit): an
 * Authentication-Results header takes at least 25 of them */
#define MILTER_AR_MAX	   8192
#define MILTER_SUBJECT_MAX 16384 /* longer Subjects keep their text */
#define MILTER_LOG_DKIM	   8	 /* DKIM results shown on the log line */
#define MILTER_LOG_MAX	   2048	 /* one summary line */

/* what we may do to a message, and the protocol steps we never answer */
#define MILTER_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)
#define MILTER_PROTO                                                           \
	(SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH |         \
	    SMFIP_NR_BODY | SMFIP_NOUNKNOWN | SMFIP_NODATA |                   \
	    SMFIP_HDR_LEADSPC)
/*
 * ... except on TCP.  Postfix writes a step it expects no answer to (HELO,
 * RCPT, the DATA macros of a skipped DATA step) as a packet of its own at
 * the end of an SMTP command, with Nagle's algorithm on; its next write
 * then waits for our ACK, which the kernel delays by up to 40 ms because
 * we send nothing back.  Answering those steps costs a round trip of tens
 * of microseconds instead (through Postfix, 1 session: 20 -> 226 msgs/s).
 * Headers, end of headers and body chunks go in one burst up to the end
 * of message, whose answer we do send: their NR flags stay.
 */
#define MILTER_PROTO_TCP                                                       \
	(MILTER_PROTO & ~(SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NODATA))

/* the listening socket is inet: or inet6: (milter_set_tcp()) */
static int listen_tcp;

struct conn {
	unsigned long pflags; /* protocol flags negotiated */
	struct snapshot *snap;
	struct session *s;
	int skip_conn; /* IgnoreHosts */
	int af;	       /* AF_INET, AF_INET6, or 0: no client address */
	unsigned char addr[16];
	char ip[INET6_ADDRSTRLEN];
	char helo[LOG_CLEAN_MAX];

	/* per message */
	int skip_msg;	       /* authenticated client */
	int error;	       /* the session failed: defer the message */
	const char *error_why; /* static text, or NULL: out of memory */
	int in_msg;	       /* between MAIL and the end of the message */
	char mailfrom_domain[LOG_CLEAN_MAX];
	char rcpt_domain[DOMAIN_MAX + 1]; /* first recipient */
	int have_rcpt;
	char *subject; /* first Subject: as received */
	int have_subject;
	char mailfrom[FAILURE_ADDR_MAX + 1]; /* as received, for reports */
	struct failure_hdrs hdrs;	     /* FailureReports yes */
	unsigned int nar;     /* Authentication-Results headers seen */
	unsigned int *forged; /* 1-based indexes of those with our id */
	size_t nforged, cforged;
	struct verdict *v;
};

/* where outcomes are recorded (HistoryDB), or NULL; set before smfi_main() */
static struct store *outcomes;

void
milter_set_tcp(int tcp)
{
	listen_tcp = tcp;
}

void
milter_set_store(struct store *st)
{
	outcomes = st;
}

/*
 * record - store the outcome before the reply goes out: store_put()
 * returns once the record is durable, so a crash after the SMTP reply
 * loses nothing (report/store.h); a failure is logged, mail flows on.
 */
static void
record(struct conn *c, const char *qid)
{
	struct store_record rec;
	struct record_env env;

	if (outcomes == NULL)
		return;
	memset(&env, 0, sizeof(env));
	env.received = (long long)time(NULL);
	env.queue_id = qid;
	env.client_ip = c->ip;
	env.mailfrom_domain = c->mailfrom_domain;
	env.helo = c->helo;
	env.rcpt_domain = c->rcpt_domain;
	env.discovery = c->snap->cfg->org_domain_method == CONF_ORG_PSL
	    ? "psl"
	    : "treewalk";
	record_from_verdict(c->v, &env, &rec);
	if (store_put(outcomes, &rec) == -1)
		log_warn("%s: the outcome was not recorded", qid);
}

/* open connections, for a clean shutdown */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conns_cond = PTHREAD_COND_INITIALIZER;
static unsigned long conns_open;

static struct conn *
conn_new(void)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_lock(&conns_lock);
	conns_open++;
	pthread_mutex_unlock(&conns_lock);
	return c;
}

/* msg_reset - forget the message, keep the connection */
static void
msg_reset(struct conn *c)
{
	c->skip_msg = c->error = c->in_msg = 0;
	c->error_why = NULL;
	c->mailfrom_domain[0] = '\0';
	c->rcpt_domain[0] = '\0';
	c->have_rcpt = 0;
	free(c->subject);
	c->subject = NULL;
	c->have_subject = 0;
	c->mailfrom[0] = '\0';
	failure_hdrs_clear(&c->hdrs);
	c->nar = 0;
	free(c->forged);
	c->forged = NULL;
	c->nforged = c->cforged = 0;
}

static void
conn_free(struct conn **cp)
{
	struct conn *c = *cp;

	if (c == NULL)
		return;
	msg_reset(c);
	free(c->v);
	session_free(&c->s);
	snapshot_put(&c->snap);
	free(c);
	*cp = NULL;
	pthread_mutex_lock(&conns_lock);
	conns_open--;
	pthread_cond_broadcast(&conns_cond);
	pthread_mutex_unlock(&conns_lock);
}

/* cont - continue; no reply at all where we negotiated none */
static sfsistat
cont(const struct conn *c, unsigned long nr_flag)
{
	return c != NULL && (c->pflags & nr_flag) ? SMFIS_NOREPLY
						  : SMFIS_CONTINUE;
}

static const char *
queue_id(SMFICTX *ctx)
{
	const char *qid = smfi_getsymval(ctx, "i");

	return qid != NULL && qid[0] != '\0' ? qid : "NOQUEUE";
}

static sfsistat
xxfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	char m_from[] = "i {auth_authen}", m_eoh[] = "i", m_eom[] = "i";
	struct conn *c = smfi_getpriv(ctx);

	(void)f2;
	(void)f3;
	if (c == NULL) {
		if ((c = conn_new()) == NULL) {
			log_warnx("out of memory at negotiation");
			return SMFIS_REJECT; /* libmilter drops the connection */
		}
		smfi_setpriv(ctx, c);
	}
	*pf0 = MILTER_ACTIONS & f0;
	if (f0 & SMFIF_SETSYMLIST)
		*pf0 |= SMFIF_SETSYMLIST;
	/* libmilter offers the NR_* steps even to an MTA without them and
	 * answers for us there */
	*pf1 = (listen_tcp ? MILTER_PROTO_TCP : MILTER_PROTO) & f1;
	*pf2 = *pf3 = 0;
	c->pflags = *pf1;
	if (*pf0 & SMFIF_SETSYMLIST) {
		/* the queue id for the log; SMTP AUTH for the skip */
		if (smfi_setsymlist(ctx, SMFIM_ENVFROM, m_from) != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOH, m_eoh) != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, m_eom) != MI_SUCCESS)
			log_warnx("cannot ask the MTA for macros");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
xxfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn *c = smfi_getpriv(ctx);

	(void)hostname;
	if (c == NULL) { /* a reused connection: no new negotiation */
		if ((c = conn_new()) == NULL) {
			log_warnx("out of memory at connect");
			return SMFIS_TEMPFAIL;
		}
		smfi_setpriv(ctx, c);
	}
	if (c->snap == NULL && (c->snap = snapshot_get()) == NULL) {
		log_warnx("no configuration loaded");
		return SMFIS_TEMPFAIL;
	}
	c->af = 0;
	c->ip[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memcpy(c->addr, &sin->sin_addr, 4);
		c->af = AF_INET;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		memcpy(c->addr, &sin6->sin6_addr, 16);
		c->af = AF_INET6;
	}
	if (c->af != 0 &&
	    inet_ntop(c->af, c->addr, c->ip, sizeof(c->ip)) == NULL) {
		c->af = 0;
		c->ip[0] = '\0';
	}
	if (c->af != 0 &&
	    cidr_list_match(c->snap->cfg->ignore_hosts, c->af, c->addr)) {
		c->skip_conn = 1;
		log_info("NOQUEUE: client=%s action=skip reason=ignored_host",
		    c->ip);
		return SMFIS_ACCEPT;
	}
	c->skip_conn = 0;
	session_free(&c->s);
	if ((c->s = session_new(c->snap->eng)) == NULL) {
		log_warnx("NOQUEUE: client=%s: out of memory",
		    c->ip[0] ? c->ip : "-");
		return SMFIS_TEMPFAIL;
	}
	if (c->pflags & SMFIP_HDR_LEADSPC)
		session_set_leadspc(c->s);
	/* an unknown family (a local or unix client): no client address,
	 * so SPF cannot pass */
	if (c->af != 0)
		(void)session_connect(c->s, c->ip);
	return SMFIS_CONTINUE;
}

static sfsistat
xxfi_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->s != NULL && !c->skip_conn) {
		(void)session_helo(c->s, helo);
		log_clean(helo, c->helo, sizeof(c->helo));
	}
	return cont(c, SMFIP_NR_HELO);
}

/* domain_of - the domain of an address "<local@domain>", "<>" if null */
static void
domain_of(const char *addr, char *out, size_t outlen)
{
	char buf[512];

	/* a '>' or '@' inside a quoted local part is not the end */
	if (envelope_address(addr, buf, sizeof(buf)) == -1) {
		strlcpy(out, "?", outlen);
		return;
	}
	if (buf[0] == '\0') {
		strlcpy(out, "<>", outlen);
		return;
	}
	log_clean(envelope_domain(buf), out, outlen);
}

static sfsistat
xxfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *auth, *from = argv != NULL ? argv[0] : NULL;

	if (c == NULL || c->s == NULL || c->skip_conn)
		return SMFIS_CONTINUE;
	msg_reset(c);
	c->in_msg = 1;
	domain_of(from, c->mailfrom_domain, sizeof(c->mailfrom_domain));
	if (from != NULL)
		strlcpy(c->mailfrom, from, sizeof(c->mailfrom));
	auth = smfi_getsymval(ctx, "{auth_authen}");
	if (auth != NULL && auth[0] != '\0' &&
	    c->snap->cfg->ignore_auth_clients) {
		c->skip_msg = 1;
		log_info("%s: client=%s helo=%s mailfrom_domain=%s action=skip "
			 "reason=authenticated",
		    queue_id(ctx), c->ip[0] ? c->ip : "-",
		    c->helo[0] ? c->helo : "-", c->mailfrom_domain);
		return SMFIS_ACCEPT;
	}
	/* SPF is checked here (RFC 7208 2.4) */
	if (session_mailfrom(c->s, from != NULL ? from : "") == -1)
		c->error = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
xxfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && !c->have_rcpt && argv != NULL && argv[0] != NULL) {
		char d[LOG_CLEAN_MAX];

		domain_of(argv[0], d, sizeof(d));
		strlcpy(c->rcpt_domain, d, sizeof(c->rcpt_domain));
		c->have_rcpt = 1;
	}
	return cont(c, SMFIP_NR_RCPT);
}

/* note_forged - RFC 8601 5: our authserv-id on an incoming header */
static void
note_forged(struct conn *c, const char *value)
{
	if (!authres_is_ours(value, strlen(value), c->snap->eng->authserv_id))
		return;
	if (c->nforged >= MILTER_AR_MAX) {
		c->error = 1; /* cannot remove them all: defer */
		c->error_why = "more than 8192 forged Authentication-Results "
			       "headers, which cannot all be removed";
		return;
	}
	if (c->nforged == c->cforged) {
		size_t n = c->cforged ? c->cforged * 2 : 8;
		unsigned int *nv;

		if ((nv = reallocarray(c->forged, n, sizeof(*nv))) == NULL) {
			c->error = 1;
			return;
		}
		c->forged = nv;
		c->cforged = n;
	}
	c->forged[c->nforged++] = c->nar;
}

static sfsistat
xxfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || c->s == NULL || c->skip_conn || c->skip_msg ||
	    name == NULL || value == NULL)
		return cont(c, SMFIP_NR_HDR);
	if (session_header(c->s, name, value) == -1)
		c->error = 1;
	/* out of memory only cuts the report's copy of the header */
	if (c->snap->cfg->failure_reports)
		(void)failure_hdrs_add(&c->hdrs, name, value);
	if (strcasecmp(name, "Authentication-Results") == 0) {
		c->nar++;
		note_forged(c, value);
	} else if (strcasecmp(name, "Subject") == 0 && !c->have_subject) {
		c->have_subject = 1;
		if (strlen(value) <= MILTER_SUBJECT_MAX &&
		    (c->subject = strdup(value)) == NULL)
			c->error = 1;
	}
	return cont(c, SMFIP_NR_HDR);
}

static sfsistat
xxfi_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->s != NULL && !c->skip_conn && !c->skip_msg &&
	    session_eoh(c->s) == -1)
		c->error = 1;
	return cont(c, SMFIP_NR_EOH);
}

static sfsistat
xxfi_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	/* streamed to DKIM, never kept */
	if (c != NULL && c->s != NULL && !c->skip_conn && !c->skip_msg &&
	    !c->error && session_body(c->s, p, len) == -1)
		c->error = 1;
	return cont(c, SMFIP_NR_BODY);
}

/* hv - a header value as the MTA wants it: with SMFIP_HDR_LEADSPC we
 * write the space after the colon ourselves */
static const char *
hv(const struct conn *c, const char *value, char *buf, size_t buflen)
{
	if ((c->pflags & SMFIP_HDR_LEADSPC) == 0)
		return value;
	if ((size_t)snprintf(buf, buflen, " %s", value) >= buflen)
		return value;
	return buf;
}

/* fix_headers - remove forged A-R headers, add ours at the top */
static void
fix_headers(SMFICTX *ctx, struct conn *c, const char *qid)
{
	char buf[AUTHRES_MAX + 2];
	size_t i;

	/* from the last one up, so the indexes stay right (RFC 8601 5) */
	for (i = c->nforged; i > 0; i--) {
		if (smfi_chgheader(ctx, "Authentication-Results",
			(int)c->forged[i - 1], NULL) != MI_SUCCESS)
			log_warnx("%s: cannot delete a forged "
				  "Authentication-Results header",
			    qid);
	}
	if (smfi_insheader(ctx, 0, "Authentication-Results",
		(char *)hv(c, c->v->authres_folded, buf, sizeof(buf))) !=
	    MI_SUCCESS)
		log_warnx("%s: cannot add the Authentication-Results header",
		    qid);
}

/* tag - QuarantineHeader, and the Subject prefix */
static void
tag(SMFICTX *ctx, struct conn *c, const char *qid)
{
	const struct config *cfg = c->snap->cfg;
	const struct verdict *v = c->v;
	char val[DOMAIN_MAX + 64], buf[DOMAIN_MAX + 80];
	const char *pfx = cfg->quarantine_subject_prefix;

	if (action_quarantine_value(v->dmarc.policy,
		v->policy_domain[0] ? v->policy_domain : v->header_from, val,
		sizeof(val)) == -1 ||
	    smfi_addheader(ctx, cfg->quarantine_header,
		(char *)hv(c, val, buf, sizeof(buf))) != MI_SUCCESS)
		log_warnx("%s: cannot add the %s header", qid,
		    cfg->quarantine_header);
	if (pfx[0] == '\0')
		return;
	if (!c->have_subject) {
		if (smfi_addheader(ctx, "Subject",
			(char *)hv(c, pfx, buf, sizeof(buf))) != MI_SUCCESS)
			log_warnx("%s: cannot add a Subject", qid);
	} else if (c->subject != NULL) {
		const char *old = c->subject + strspn(c->subject, " \t\r\n");
		size_t n = strlen(pfx) + strlen(old) + 3;
		char *nv = malloc(n);

		if (nv == NULL ||
		    (size_t)snprintf(nv, n, "%s%s %s",
			(c->pflags & SMFIP_HDR_LEADSPC) ? " " : "", pfx,
			old) >= n ||
		    smfi_chgheader(ctx, "Subject", 1, nv) != MI_SUCCESS)
			log_warnx("%s: cannot change the Subject", qid);
		free(nv);
	}
}

/* why_add - one "what: text" part of why= */
static void
why_add(struct sbuf *sb, int *n, const char *what, const char *text)
{
	char t[LOG_CLEAN_MAX];
	size_t i;

	if (text == NULL || text[0] == '\0')
		return;
	/* last on the line: spaces may stay, nothing else unprintable */
	for (i = 0; text[i] != '\0' && i + 1 < sizeof(t); i++)
		t[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	t[i] = '\0';
	sbuf_addf(sb, "%s%s: %s", (*n)++ ? "; " : " why=", what, t);
}

/*
 * log_why - last on the line, what was wrong with the input: the From:
 * field, the DMARC record, SPF (errors only) and each DKIM signature that
 * did not pass; nothing when all was well
 */
static void
log_why(struct sbuf *sb, const struct verdict *v)
{
	char what[LOG_CLEAN_MAX], d[LOG_CLEAN_MAX];
	size_t i;
	int n = 0;

	why_add(sb, &n, "From",
	    v->from_error != NULL ? v->from_error : v->from_note);
	why_add(sb, &n, "DMARC record", v->record_error);
	if (v->spf.result == SPF_RES_PERMERROR ||
	    v->spf.result == SPF_RES_TEMPERROR)
		why_add(sb, &n, "SPF", v->spf.reason);
	for (i = 0; i < v->ndkim && i < MILTER_LOG_DKIM; i++) {
		if (v->dkim[i].sig.result == DKIMV_PASS)
			continue;
		(void)snprintf(what, sizeof(what), "DKIM d=%.60s",
		    v->dkim[i].sig.domain[0]
			? log_clean(v->dkim[i].sig.domain, d, sizeof(d))
			: "-");
		why_add(sb, &n, what, v->dkim[i].sig.reason);
	}
}

/* log_verdict - the one summary line of an evaluated message */
static void
log_verdict(const struct conn *c, const char *qid, const struct action_out *out)
{
	const struct verdict *v = c->v;
	char line[MILTER_LOG_MAX], q[LOG_CLEAN_MAX], from[LOG_CLEAN_MAX];
	char pd[LOG_CLEAN_MAX], reasons[128];
	const char *p = dmarc_p_str(v->dmarc.policy);
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb, line, sizeof(line));
	sbuf_addf(&sb,
	    "%.100s: client=%s helo=%s mailfrom_domain=%s from=%.100s "
	    "policy_domain=%.100s p=%s spf=%s/%s dkim=",
	    log_clean(qid, q, sizeof(q)), c->ip[0] ? c->ip : "-",
	    c->helo[0] ? c->helo : "-",
	    c->mailfrom_domain[0] ? c->mailfrom_domain : "-",
	    log_clean(v->header_from, from, sizeof(from)),
	    log_clean(v->policy_domain, pd, sizeof(pd)), p[0] ? p : "-",
	    spf_result_str(v->spf.result),
	    v->spf_aligned ? "aligned" : "unaligned");
	if (v->ndkim == 0)
		sbuf_adds(&sb, "none");
	for (i = 0; i < v->ndkim && i < MILTER_LOG_DKIM; i++)
		sbuf_addf(&sb, "%s%s/%s", i ? "," : "",
		    dkimv_result_str(v->dkim[i].sig.result),
		    v->dkim[i].aligned ? "aligned" : "unaligned");
	if (v->ndkim > MILTER_LOG_DKIM)
		sbuf_adds(&sb, ",...");
	action_reasons_str(out->reasons, reasons, sizeof(reasons));
	sbuf_addf(&sb, " dmarc=%s disposition=%s action=%s reasons=%s",
	    dmarc_result_str(v->dmarc.result), dmarc_disp_str(out->disp),
	    action_str(out->action), reasons);
	log_why(&sb, v);
	log_info("%s", line);
}

/* failure reports: the queue of the sender thread, set before smfi_main() */
static struct failure_queue *failq;
static struct failure_rl *fail_rl;

#define MILTER_USER_AGENT "dmarc-milter/" PACKAGE_VERSION

static enum failure_delivery
delivery_of(enum action_kind a)
{
	switch (a) {
	case ACTION_ACCEPT:
		return FAILURE_DELIVERED;
	case ACTION_QUARANTINE_TAG:
		return FAILURE_SPAM;
	case ACTION_QUARANTINE_HOLD:
		return FAILURE_POLICY;
	case ACTION_REJECT:
		return FAILURE_REJECT;
	case ACTION_TEMPFAIL:
		break;
	}
	return FAILURE_OTHER;
}

/*
 * failure_enqueue - RFC 9991: when the record asks for a failure report,
 * queue a copy of what it needs; building and sending are the sender
 * thread's, so this costs the message a copy and a lock
 */
static void
failure_enqueue(struct conn *c, const char *qid, const struct action_out *out)
{
	struct failure_env env;
	struct failure_job *j;
	char q[LOG_CLEAN_MAX], pd[LOG_CLEAN_MAX];
	unsigned why;

	if (!c->snap->cfg->failure_reports || failq == NULL ||
	    (why = failure_wanted(c->v)) == 0)
		return;
	log_clean(qid, q, sizeof(q));
	log_clean(c->v->policy_domain, pd, sizeof(pd));
	if (c->hdrs.is_report) {
		log_info("%.100s: failure report for %.100s skipped: the "
			 "message is a report itself",
		    q, pd);
		return;
	}
	memset(&env, 0, sizeof(env));
	env.queue_id = q;
	env.client_ip = c->ip;
	env.mail_from = c->mailfrom;
	env.arrival = (long long)time(NULL);
	env.delivery = delivery_of(out->action);
	if (failure_job_new(c->v, &env, &c->hdrs, why, &j) == -1) {
		log_warnx("%.100s: failure report for %.100s dropped: out of "
			  "memory",
		    q, pd);
		return;
	}
	if (failure_queue_put(failq, j) == -1) {
		log_warnx("%.100s: failure report for %.100s dropped: the "
			  "queue is full",
		    q, pd);
		failure_job_free(&j);
	}
}

static void
failure_log(void *arg, const char *line)
{
	(void)arg;
	log_info("%s", line);
}

/*
 * failure_send - the sender thread's handler: the current snapshot gives
 * the settings and the engine's resolver (thread-safe) for the checks
 */
static void
failure_send(void *arg, struct failure_job *j)
{
	struct snapshot *snap = snapshot_get();
	const struct config *cfg;
	struct failure_ctx fc;
	char dom[DOMAIN_MAX + 1], email[RUA_ADDR_MAX + 1];
	const char *e;

	if (snap == NULL) {
		log_warnx("%s: failure report for %s not sent: no "
			  "configuration",
		    j->queue_id, j->policy_domain);
		return;
	}
	cfg = snap->cfg;
	if (!cfg->failure_reports) {
		log_info("%s: failure report for %s not sent: FailureReports "
			 "is off now",
		    j->queue_id, j->policy_domain);
		goto out;
	}
	if (failure_defaults(cfg->report_domain, cfg->report_email, dom,
		sizeof(dom), email, sizeof(email), &e) == -1) {
		log_warnx("%s: failure report for %s not sent: %s", j->queue_id,
		    j->policy_domain, e);
		goto out;
	}
	memset(&fc, 0, sizeof(fc));
	fc.res = snap->eng->res;
	fc.psl = snap->eng->psl;
	fc.sendmail_path = cfg->sendmail_path;
	fc.from = email;
	fc.reporter = dom;
	fc.user_agent = MILTER_USER_AGENT;
	fc.redact = cfg->failure_reports_redact;
	fc.rate = cfg->failure_report_rate;
	fc.rl = arg;
	fc.log = failure_log;
	failure_send_job(j, &fc);
out:
	snapshot_put(&snap);
}

int
milter_failure_start(size_t max)
{
	if ((fail_rl = failure_rl_new(FAILURE_RL_MAX)) == NULL)
		return -1;
	if (failure_queue_start(max, failure_send, fail_rl, &failq) == -1) {
		failure_rl_free(&fail_rl);
		return -1;
	}
	return 0;
}

void
milter_failure_stop(unsigned int seconds, int release)
{
	size_t dropped;

	if (failq == NULL)
		return;
	if ((dropped = failure_queue_stop(failq, seconds * 1000)) > 0)
		log_warnx("%zu failure reports not sent at shutdown", dropped);
	if (!release)
		return;
	/* a thread still in a job keeps both: the process is exiting */
	if (failure_queue_free(&failq) == 0)
		failure_rl_free(&fail_rl);
}

/* msg_done - ready for the next message of the connection */
static void
msg_done(struct conn *c)
{
	session_reset(c->s);
	msg_reset(c);
}

static sfsistat
xxfi_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *dkim_pass[DKIMV_SIGS_MAX], *qid = queue_id(ctx), *dom;
	char text[ACTION_REPLY_MAX + 1];
	struct action_in in;
	struct action_out out;
	const struct config *cfg;
	sfsistat rc = SMFIS_CONTINUE;
	size_t i, n = 0;

	if (c == NULL || c->s == NULL || c->skip_conn || c->skip_msg)
		return SMFIS_CONTINUE;
	cfg = c->snap->cfg;
	if (c->v == NULL && (c->v = malloc(sizeof(*c->v))) == NULL)
		c->error = 1;
	if (c->error || session_eom(c->s, c->v) == -1) {
		log_warnx("%s: client=%s: %s, message deferred", qid,
		    c->ip[0] ? c->ip : "-",
		    c->error_why != NULL ? c->error_why
					 : "the check failed (out of memory?)");
		(void)smfi_setreply(ctx, "451", "4.3.0",
		    "DMARC check failed, try again later");
		msg_done(c);
		return SMFIS_TEMPFAIL;
	}
	for (i = 0; i < c->v->ndkim; i++) {
		if (c->v->dkim[i].sig.result == DKIMV_PASS)
			dkim_pass[n++] = c->v->dkim[i].sig.domain;
	}
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.result = c->v->dmarc.result;
	in.disp = c->v->dmarc.disp;
	in.reasons = c->v->dmarc.reasons;
	in.policy_domain = c->v->policy_domain;
	in.client_ip = c->ip;
	in.dkim_pass = dkim_pass;
	in.ndkim_pass = n;
	action_decide(&in, &out);
	if (out.disp != c->v->dmarc.disp ||
	    out.reasons != c->v->dmarc.reasons) {
		/* local policy changed the disposition: say so in our A-R */
		c->v->dmarc.disp = out.disp;
		c->v->dmarc.reasons = out.reasons;
		session_authres(c->s, c->v);
	}
	/* {domain}: the From: domain when no policy was found */
	dom = c->v->policy_domain[0] ? c->v->policy_domain : c->v->header_from;

	switch (out.action) {
	case ACTION_REJECT:
		action_reply_text(cfg->reject_text, dom, text, sizeof(text));
		if (smfi_setreply(ctx, "550", "5.7.1", text) != MI_SUCCESS)
			log_warnx("%s: cannot set the reply text", qid);
		rc = SMFIS_REJECT;
		break;
	case ACTION_TEMPFAIL:
		action_reply_text(cfg->temperror_text, dom, text, sizeof(text));
		if (smfi_setreply(ctx, "451", "4.7.5", text) != MI_SUCCESS)
			log_warnx("%s: cannot set the reply text", qid);
		rc = SMFIS_TEMPFAIL;
		break;
	case ACTION_QUARANTINE_TAG:
		fix_headers(ctx, c, qid);
		tag(ctx, c, qid);
		break;
	case ACTION_QUARANTINE_HOLD:
		fix_headers(ctx, c, qid);
		action_reply_text("DMARC: policy of {domain}", dom, text,
		    sizeof(text));
		if (smfi_quarantine(ctx, text) != MI_SUCCESS)
			log_warnx("%s: cannot put the message on hold", qid);
		break;
	case ACTION_ACCEPT:
		fix_headers(ctx, c, qid);
		break;
	}
	log_verdict(c, qid, &out);
	record(c, qid);
	failure_enqueue(c, qid, &out);
	msg_done(c);
	return rc;
}

static sfsistat
xxfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	/* after the end of a message the MTA aborts as a matter of course;
	 * before it, the transaction was given up: say so, since libmilter
	 * also lands here when it drops a connection (a command over its
	 * size limit, a protocol error) and says nothing itself */
	if (c != NULL && c->in_msg && !c->skip_msg)
		log_info("%s: client=%s mailfrom_domain=%s: message not "
			 "evaluated: the transaction ended before the end of "
			 "the message (RSET, disconnect, or a milter command "
			 "too large or malformed)",
		    queue_id(ctx), c->ip[0] ? c->ip : "-",
		    c->mailfrom_domain[0] ? c->mailfrom_domain : "-");
	if (c != NULL && c->s != NULL)
		msg_done(c);
	else if (c != NULL)
		msg_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
xxfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	smfi_setpriv(ctx, NULL);
	conn_free(&c);
	return SMFIS_CONTINUE;
}

int
milter_register(void)
{
	struct smfiDesc desc;

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "dmarc-milter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = MILTER_ACTIONS;
	desc.xxfi_connect = xxfi_connect;
	desc.xxfi_helo = xxfi_helo;
	desc.xxfi_envfrom = xxfi_envfrom;
	desc.xxfi_envrcpt = xxfi_envrcpt;
	desc.xxfi_header = xxfi_header;
	desc.xxfi_eoh = xxfi_eoh;
	desc.xxfi_body = xxfi_body;
	desc.xxfi_eom = xxfi_eom;
	desc.xxfi_abort = xxfi_abort;
	desc.xxfi_close = xxfi_close;
	desc.xxfi_negotiate = xxfi_negotiate;
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}

unsigned long
milter_wait_idle(unsigned int seconds)
{
	struct timespec deadline;
	unsigned long left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&conns_lock);
	while (conns_open > 0 &&
	    pthread_cond_timedwait(&conns_cond, &conns_lock, &deadline) == 0)
		;
	left = conns_open;
	pthread_mutex_unlock(&conns_lock);
	return left;
}
