/*
 * failure.c - DMARC failure reports (RFC 9991, RFC 6591, RFC 5965)
 *
 * The decision and the message are pure functions of a copy of the
 * verdict (a struct failure_job), so that the milter thread only copies
 * and queues, and one sender thread does the DNS, the building and the
 * sendmail runs.  Text is built in capped sbufs; the only pointer walks
 * are the index loops over (ptr, len) inputs below.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth/resolver.h"
#include "auth/session.h"
#include "policy/sbuf.h"
#include "report/failure.h"
#include "report/rua.h"
#include "report/send.h"

/* ------------------------------------------------------------ deciding */

/* dkim_failed - RFC 9989 4.7 fo=d: a signature evaluated to anything but
 * pass */
static int
dkim_failed(enum dkimv_result r)
{
	return r != DKIMV_PASS && r != DKIMV_NONE;
}

/* spf_failed - RFC 9989 4.7 fo=s: SPF did not pass nor stay neutral */
static int
spf_failed(enum spf_result r)
{
	return r == SPF_RES_FAIL || r == SPF_RES_SOFTFAIL ||
	    r == SPF_RES_TEMPERROR || r == SPF_RES_PERMERROR;
}

/*
 * id_aligned - is the (failed) identifier id aligned with the author
 * domain?  RFC 9989 4.10.2 without DNS: strict, the same name; relaxed,
 * at or below the author's organizational domain.
 */
static int
id_aligned(const struct verdict *v, const char *id, enum dmarc_amode mode)
{
	const char *org;

	if (id[0] == '\0' || v->header_from[0] == '\0')
		return 0;
	if (domain_equal(id, v->header_from))
		return 1;
	if (mode == DMARC_AMODE_STRICT)
		return 0;
	org = v->org_domain[0] != '\0' ? v->org_domain : v->header_from;
	return domain_is_sub(id, org);
}

/* failure_wanted - the fo= options that ask for a report on v */
unsigned
failure_wanted(const struct verdict *v)
{
	unsigned fo, why = 0;
	size_t i;

	/* RFC 9989 4.7 "ruf": no ruf, no failure report */
	if (!v->has_record || v->rec.nruf == 0)
		return 0;
	if (v->dmarc.result != DMARC_RESULT_PASS &&
	    v->dmarc.result != DMARC_RESULT_FAIL)
		return 0;
	/* RFC 9991 2: ruf of a record with psd=y MUST NOT be considered */
	if (v->rec.psd == DMARC_PSD_Y || v->source == DMARC_SRC_PSD)
		return 0;
	fo = v->rec.fo != 0 ? v->rec.fo : DMARC_FO_0;
	if ((fo & DMARC_FO_0) && !v->spf_aligned && !v->dkim_aligned)
		why |= DMARC_FO_0;
	if ((fo & DMARC_FO_1) && (!v->spf_aligned || !v->dkim_aligned))
		why |= DMARC_FO_1;
	if (fo & DMARC_FO_D) {
		for (i = 0; i < v->ndkim && i < DKIMV_SIGS_MAX; i++) {
			if (dkim_failed(v->dkim[i].sig.result)) {
				why |= DMARC_FO_D;
				break;
			}
		}
	}
	if ((fo & DMARC_FO_S) && spf_failed(v->spf.result))
		why |= DMARC_FO_S;
	return why;
}

/* aligned_failed_sig - the first signature with an aligned d= that did
 * not pass, or NULL */
static const struct dkimv_sig *
aligned_failed_sig(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->ndkim && i < DKIMV_SIGS_MAX; i++) {
		const struct dkimv_sig *s = &v->dkim[i].sig;

		if (s->result != DKIMV_PASS &&
		    id_aligned(v, s->domain, v->rec.adkim))
			return s;
	}
	return NULL;
}

/* failure_alignment - RFC 9991 4 item 2: the mechanisms that failed to
 * authenticate an aligned identifier */
unsigned
failure_alignment(const struct verdict *v)
{
	unsigned a = 0;

	if (!v->dkim_aligned && aligned_failed_sig(v) != NULL)
		a |= FAILURE_ALIGN_DKIM;
	if (!v->spf_aligned && v->spf.result != SPF_RES_PASS &&
	    id_aligned(v, v->spf.domain, v->rec.aspf))
		a |= FAILURE_ALIGN_SPF;
	return a;
}

/* ------------------------------------------------------------ header */

void
failure_hdrs_init(struct failure_hdrs *h)
{
	memset(h, 0, sizeof(*h));
}

void
failure_hdrs_clear(struct failure_hdrs *h)
{
	free(h->buf);
	failure_hdrs_init(h);
}

/* failure_hdrs_add - keep one field while the whole fits */
int
failure_hdrs_add(struct failure_hdrs *h, const char *name, const char *value)
{
	size_t nn, vn, need, cap;
	char *nb;

	if (name == NULL || value == NULL)
		return 0;
	/* RFC 9991 5.1: reports about reports make loops */
	if (strcasecmp(name, "Content-Type") == 0 &&
	    strcasestr(value, "multipart/report") != NULL)
		h->is_report = 1;
	if (h->truncated) {
		h->dropped++;
		return 0;
	}
	nn = strnlen(name, FAILURE_HDRS_MAX + 1);
	vn = strnlen(value, FAILURE_HDRS_MAX + 1);
	if (nn > FAILURE_HDRS_MAX || vn > FAILURE_HDRS_MAX ||
	    nn + vn + 2 > FAILURE_HDRS_MAX - h->len) {
		h->truncated = 1;
		h->dropped++;
		return 0;
	}
	need = h->len + nn + vn + 2;
	if (need > h->cap) {
		cap = h->cap != 0 ? h->cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > FAILURE_HDRS_MAX)
			cap = FAILURE_HDRS_MAX;
		if ((nb = realloc(h->buf, cap)) == NULL) {
			h->truncated = 1;
			h->dropped++;
			return -1;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, name, nn + 1);
	h->len += nn + 1;
	memcpy(h->buf + h->len, value, vn + 1);
	h->len += vn + 1;
	h->nfields++;
	return 0;
}

/* ------------------------------------------------------------ the job */

/* copy_token - printable ASCII without blanks, for log lines; cut */
static void
copy_token(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	if (src == NULL)
		src = "";
	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* ruf_list - the record's ruf URIs as published, with any "!size" */
static void
ruf_list(char *dst, size_t dstlen, const struct dmarc_record *rec)
{
	struct sbuf sb;
	size_t i, mark;

	sbuf_init(&sb, dst, dstlen);
	for (i = 0; i < rec->nruf && i < DMARC_URIS_MAX; i++) {
		mark = sb.len;
		if (i > 0)
			sbuf_addc(&sb, ',');
		sbuf_adds(&sb, rec->ruf[i].uri);
		if (rec->ruf[i].max_size != 0)
			sbuf_addf(&sb, "!%llu", rec->ruf[i].max_size);
		if (sb.overflow) {
			sbuf_truncate(&sb, mark); /* a whole URI or none */
			break;
		}
	}
}

/* failure_job_new - a self-contained copy of what a report needs */
int
failure_job_new(const struct verdict *v, const struct failure_env *env,
    struct failure_hdrs *hdrs, unsigned why, struct failure_job **job_r)
{
	struct failure_job *j;
	const struct dkimv_sig *sig = NULL;
	size_t i;

	*job_r = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->why = why;
	j->align = failure_alignment(v);
	j->delivery = env->delivery;
	j->arrival = env->arrival;
	copy_token(j->queue_id, sizeof(j->queue_id), env->queue_id);
	if (env->client_ip != NULL)
		strlcpy(j->source_ip, env->client_ip, sizeof(j->source_ip));
	if (env->mail_from != NULL)
		strlcpy(j->mail_from, env->mail_from, sizeof(j->mail_from));
	strlcpy(j->header_from, v->header_from, sizeof(j->header_from));
	strlcpy(j->policy_domain, v->policy_domain, sizeof(j->policy_domain));
	strlcpy(j->authres, v->authres, sizeof(j->authres));
	/* RFC 9991 4 item 1: the DKIM fields of an aligned signature that
	 * failed; for fo=d (RFC 6591 3.2) those of any that failed */
	if (j->align & FAILURE_ALIGN_DKIM)
		sig = aligned_failed_sig(v);
	for (i = 0; sig == NULL && (why & DMARC_FO_D) && i < v->ndkim &&
	     i < DKIMV_SIGS_MAX;
	     i++)
		if (dkim_failed(v->dkim[i].sig.result))
			sig = &v->dkim[i].sig;
	if (sig != NULL) {
		j->has_dkim = 1;
		strlcpy(j->dkim_domain, sig->domain, sizeof(j->dkim_domain));
		strlcpy(j->dkim_selector, sig->selector,
		    sizeof(j->dkim_selector));
	}
	if (((j->align & FAILURE_ALIGN_SPF) || (why & DMARC_FO_S)) &&
	    v->spf.domain[0] != '\0') {
		j->has_spf = 1;
		strlcpy(j->spf_domain, v->spf.domain, sizeof(j->spf_domain));
	}
	ruf_list(j->ruf, sizeof(j->ruf), &v->rec);
	if (hdrs != NULL) {
		j->hdrs = *hdrs;
		failure_hdrs_init(hdrs);
	}
	*job_r = j;
	return 0;
}

void
failure_job_free(struct failure_job **jp)
{
	if (jp == NULL || *jp == NULL)
		return;
	failure_hdrs_clear(&(*jp)->hdrs);
	free(*jp);
	*jp = NULL;
}

/* ------------------------------------------------------------ building */

/* date_hdr - RFC 5322 3.3 date-time in UTC, without the locale */
static void
date_hdr(long long t, char *buf, size_t bufsize)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	snprintf(buf, bufsize, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* token_ok - 1*(ALPHA / DIGIT / extra), at most max bytes */
static int
token_ok(const char *s, const char *extra, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || strchr(extra, c) != NULL))
			return 0;
	}
	return 1;
}

/* host_ok - a host name as domain_normalize() takes it, lower-cased */
static int
host_ok(const char *s, char *out, size_t outlen)
{
	const char *e;

	return s != NULL &&
	    domain_normalize(s, strlen(s), out, outlen, &e) == 0;
}

/* ip_ok - an IPv4 or IPv6 address in text form */
static int
ip_ok(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* atext - RFC 5322 3.2.3 atext, and 8-bit bytes (RFC 6532 local parts) */
static int
atext(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/*
 * redact - RFC 9991 7 / RFC 6590: text with the local part of each
 * address (the atext run, or quoted string, before an '@' that a domain
 * follows) replaced by FAILURE_REDACTED.  In tag=value fields (eq_stops)
 * the local part starts after the '='.
 */
static void
redact(struct sbuf *out, const char *p, size_t n, int eq_stops)
{
	size_t i, start = 0, s;

	for (i = 0; i < n; i++) {
		unsigned char d;

		if (p[i] != '@' || i + 1 >= n)
			continue;
		d = (unsigned char)p[i + 1];
		if (!((d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z') ||
			(d >= '0' && d <= '9') || d == '['))
			continue;
		s = i;
		if (s > start && p[s - 1] == '"') {
			/* a quoted local part: back to its opening quote */
			for (s = i - 1; s > start && p[s - 1] != '"'; s--)
				;
			if (s == start)
				s = i; /* no opening quote: not one */
			else
				s--;
		}
		if (s == i) {
			while (s > start && atext((unsigned char)p[s - 1]) &&
			    !(eq_stops && p[s - 1] == '='))
				s--;
		}
		if (s == i)
			continue; /* "@domain": no local part */
		sbuf_add(out, p + start, s - start);
		sbuf_adds(out, FAILURE_REDACTED);
		start = i;
	}
	sbuf_add(out, p + start, n - start);
}

/* clean - one line of printable ASCII: controls and 8-bit bytes as '?' */
static void
clean(struct sbuf *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		sbuf_addc(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
}

/*
 * add_field - "Name: value\n", value one line of printable ASCII, folded
 * before a space (RFC 5322 2.2.3: unfolding gives the value back) where a
 * line would pass FAILURE_LINE_MAX
 */
static void
add_field(struct sbuf *out, const char *name, const char *value)
{
	size_t col, i, w, n = strlen(value);

	while (n > 0 && value[n - 1] == ' ')
		n--;
	sbuf_addf(out, "%s:", name);
	col = strlen(name) + 1;
	for (i = 0; i < n;) {
		/* the next word with the blank before it */
		w = 1;
		while (i + w < n && value[i + w] != ' ')
			w++;
		if (i == 0 && value[0] != ' ') {
			sbuf_addc(out, ' ');
			col++;
		}
		if (i > 0 && col + w > FAILURE_LINE_MAX) {
			sbuf_addc(out, '\n');
			col = 0;
		}
		sbuf_add(out, value + i, w);
		col += w;
		i += w;
	}
	sbuf_addc(out, '\n');
}

/* msgid_field - fields holding message identifiers, not addresses */
static int
msgid_field(const char *name)
{
	static const char *const f[] = {"Message-ID", "In-Reply-To",
	    "References", "Resent-Message-ID", "Content-ID"};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcasecmp(name, f[i]) == 0)
			return 1;
	return 0;
}

/* tagvalue_field - fields of tag=value or key=value lists */
static int
tagvalue_field(const char *name)
{
	static const char *const f[] = {"DKIM-Signature",
	    "Authentication-Results", "ARC-Seal", "ARC-Message-Signature",
	    "ARC-Authentication-Results", "Received-SPF"};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcasecmp(name, f[i]) == 0)
			return 1;
	return 0;
}

/* name_ok - RFC 5322 2.2 field name: printable ASCII but ':' */
static int
name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > FAILURE_NAME_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || c == ':')
			return 0;
	}
	return 1;
}

/*
 * add_header_value - an original field value: a line break is kept only
 * as a fold (a break and the blanks after it become "\n\t"; breaks at the
 * end go), other controls become '?', 8-bit bytes stay (*eight set)
 */
static void
add_header_value(struct sbuf *out, const char *p, size_t n, int *eight)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' || c == '\n') {
			while (i + 1 < n &&
			    strchr("\r\n \t", p[i + 1]) != NULL &&
			    p[i + 1] != '\0')
				i++;
			if (i + 1 < n)
				sbuf_adds(out, "\n\t");
			continue;
		}
		if (c >= 0x80)
			*eight = 1;
		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			sbuf_addc(out, c);
		else
			sbuf_addc(out, '?');
	}
}

/* add_headers - part 3: the kept fields, redacted when asked */
static void
add_headers(struct sbuf *out, const struct failure_hdrs *h, int redacting,
    int *eight)
{
	struct sbuf tmp;
	char *buf = NULL;
	size_t pos = 0, nn, vn, cap;

	/* a redacted value grows by at most 8 bytes an '@' */
	cap = 5 * (size_t)FAILURE_HDRS_MAX + 1;
	if (redacting && (buf = malloc(cap)) == NULL) {
		out->overflow = 1;
		return;
	}
	while (h->buf != NULL && pos < h->len) {
		const char *name = h->buf + pos, *value;

		nn = strnlen(name, h->len - pos);
		if (pos + nn + 1 >= h->len)
			break;
		value = name + nn + 1;
		vn = strnlen(value, h->len - pos - nn - 1);
		pos += nn + 1 + vn + 1;
		if (!name_ok(name))
			continue;
		sbuf_addf(out, "%s:", name);
		if (vn == 0 || (value[0] != ' ' && value[0] != '\t'))
			sbuf_addc(out, ' ');
		if (redacting && !msgid_field(name)) {
			sbuf_init(&tmp, buf, cap);
			redact(&tmp, value, vn, tagvalue_field(name));
			add_header_value(out, tmp.buf, tmp.len, eight);
		} else
			add_header_value(out, value, vn, eight);
		sbuf_addc(out, '\n');
	}
	free(buf);
}

/* add_quoted - RFC 5322 3.2.4 quoted-string of printable ASCII */
static void
add_quoted(struct sbuf *out, const char *s)
{
	size_t i;

	sbuf_addc(out, '"');
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sbuf_addc(out, '\\');
		sbuf_addc(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
	sbuf_addc(out, '"');
}

static const char *
delivery_str(enum failure_delivery d)
{
	switch (d) {
	case FAILURE_DELIVERED:
		return "delivered";
	case FAILURE_SPAM:
		return "spam";
	case FAILURE_POLICY:
		return "policy";
	case FAILURE_REJECT:
		return "reject";
	case FAILURE_OTHER:
		break;
	}
	return "other";
}

/*
 * auth_failure - RFC 6591 3.1 Auth-Failure: "dmarc" (RFC 9991 4 item 3)
 * when fo 0 or 1 asked; for fo=d or s alone the mechanism's own type
 */
static const char *
auth_failure(unsigned why)
{
	if (why & (DMARC_FO_0 | DMARC_FO_1))
		return "dmarc";
	if (why & DMARC_FO_D)
		return "signature";
	if (why & DMARC_FO_S)
		return "spf";
	return "dmarc";
}

/* add_feedback - part 2, the message/feedback-report fields */
static void
add_feedback(struct sbuf *out, const struct failure_job *j,
    const struct failure_opts *o, const char *hfrom, const char *ddom,
    const char *dsel, const char *sdom)
{
	char date[64], *tmp, *line;
	struct sbuf t, l;
	size_t cap = 4 * AUTHRES_MAX + 4 * FAILURE_ADDR_MAX;

	if ((tmp = malloc(cap)) == NULL || (line = malloc(cap)) == NULL) {
		free(tmp);
		out->overflow = 1;
		return;
	}
	sbuf_adds(out, "Feedback-Type: auth-failure\n");
	sbuf_addf(out, "User-Agent: %s\n", o->user_agent);
	sbuf_adds(out, "Version: 1\n");
	if (j->mail_from[0] != '\0') {
		sbuf_init(&t, tmp, cap);
		if (o->redact)
			redact(&t, j->mail_from, strlen(j->mail_from), 0);
		else
			sbuf_adds(&t, j->mail_from);
		sbuf_init(&l, line, cap);
		clean(&l, t.buf, t.len);
		add_field(out, "Original-Mail-From", l.buf);
	}
	date_hdr(j->arrival, date, sizeof(date));
	sbuf_addf(out, "Arrival-Date: %s\n", date);
	if (j->source_ip[0] != '\0')
		sbuf_addf(out, "Source-IP: %s\n", j->source_ip);
	sbuf_addf(out, "Reported-Domain: %s\n", hfrom);
	/* RFC 6591 3.1: exactly one Authentication-Results */
	sbuf_init(&t, tmp, cap);
	if (o->redact)
		redact(&t, j->authres, strlen(j->authres), 1);
	else
		sbuf_adds(&t, j->authres);
	sbuf_init(&l, line, cap);
	clean(&l, t.buf, t.len);
	add_field(out, "Authentication-Results", l.buf[0] ? l.buf : "none");
	sbuf_addf(out, "Auth-Failure: %s\n", auth_failure(j->why));
	/* RFC 9991 4 item 2 */
	sbuf_addf(out, "Identity-Alignment: %s\n",
	    (j->align & (FAILURE_ALIGN_DKIM | FAILURE_ALIGN_SPF)) ==
		    (FAILURE_ALIGN_DKIM | FAILURE_ALIGN_SPF)
		? "dkim, spf"
		: (j->align & FAILURE_ALIGN_DKIM) ? "dkim"
		: (j->align & FAILURE_ALIGN_SPF)  ? "spf"
						  : "none");
	sbuf_addf(out, "Delivery-Result: %s\n", delivery_str(j->delivery));
	/* RFC 6591 3.2, RFC 9991 4 item 1 */
	if (ddom != NULL) {
		sbuf_addf(out, "DKIM-Domain: %s\n", ddom);
		sbuf_addf(out, "DKIM-Identity: @%s\n", ddom);
		sbuf_addf(out, "DKIM-Selector: %s\n", dsel);
	}
	if (sdom != NULL && j->spf_dns[0] != '\0') {
		sbuf_init(&l, line, cap);
		sbuf_addf(&l, "txt : %s : ", sdom);
		add_quoted(&l, j->spf_dns);
		add_field(out, "SPF-DNS", l.overflow ? "" : l.buf);
	}
	free(tmp);
	free(line);
}

/* add_text - part 1, in words */
static void
add_text(struct sbuf *out, const struct failure_job *j,
    const struct failure_opts *o, const char *hfrom, const char *pdom)
{
	char date[64];

	date_hdr(j->arrival, date, sizeof(date));
	sbuf_addf(out,
	    "This is a DMARC failure report (RFC 9991) about a message\n"
	    "with the From: domain %s,\n"
	    "received from %s on %s.\n",
	    hfrom, j->source_ip[0] ? j->source_ip : "an unknown address", date);
	sbuf_addf(out, "The DMARC policy record of %s asked for it.\n", pdom);
	if (j->hdrs.nfields == 0 && !j->hdrs.truncated)
		sbuf_adds(out, "The header of the message was not kept.\n");
	else
		sbuf_adds(out,
		    "The header fields of the message are "
		    "attached.\n");
	if (j->hdrs.truncated)
		sbuf_addf(out,
		    "Only the first %zu fields are: %zu more did not fit in "
		    "%d bytes.\n",
		    j->hdrs.nfields, j->hdrs.dropped, FAILURE_HDRS_MAX);
	if (o->redact)
		sbuf_addf(out,
		    "The local parts of addresses are replaced by \"%s\".\n",
		    FAILURE_REDACTED);
}

/* failure_build - one report for one destination */
int
failure_build(const struct failure_job *j, const struct failure_opts *o,
    const char *to, char **msg_r, size_t *len_r, const char **errstr_r)
{
	char from[RUA_ADDR_MAX + 1], rcpt[RUA_ADDR_MAX + 1];
	char reporter[DOMAIN_MAX + 1], hfrom[DOMAIN_MAX + 1];
	char pdom[DOMAIN_MAX + 1], ddom[DOMAIN_MAX + 1];
	char dsel[FAILURE_SEL_MAX + 1], sdom[DOMAIN_MAX + 1];
	char boundary[FAILURE_ID_MAX + 32], date[64];
	char *p1 = NULL, *p2 = NULL, *p3 = NULL, *msg = NULL;
	struct sbuf s1, s2, s3, m;
	size_t c1, c2, c3, cm, k;
	const char *e;
	int eight = 0, dkim, spf;

	*msg_r = NULL;
	*len_r = 0;
	/* everything that is written bare is checked first */
	if (o->from == NULL ||
	    rua_addr_check(o->from, strlen(o->from), from, sizeof(from), &e) ==
		-1) {
		*errstr_r = "bad sender address";
		return -1;
	}
	if (to == NULL ||
	    rua_addr_check(to, strlen(to), rcpt, sizeof(rcpt), &e) == -1) {
		*errstr_r = "bad destination address";
		return -1;
	}
	if (!host_ok(o->reporter, reporter, sizeof(reporter))) {
		*errstr_r = "bad reporting domain";
		return -1;
	}
	if (o->id == NULL || !token_ok(o->id, ".", FAILURE_ID_MAX)) {
		*errstr_r = "bad report id";
		return -1;
	}
	if (o->user_agent == NULL ||
	    !token_ok(o->user_agent, "./-_+", FAILURE_UA_MAX)) {
		*errstr_r = "bad user agent";
		return -1;
	}
	if (!host_ok(j->header_from, hfrom, sizeof(hfrom))) {
		*errstr_r = "bad From: domain";
		return -1;
	}
	if (!host_ok(j->policy_domain, pdom, sizeof(pdom))) {
		*errstr_r = "bad policy domain";
		return -1;
	}
	if (j->source_ip[0] != '\0' && !ip_ok(j->source_ip)) {
		*errstr_r = "bad source IP address";
		return -1;
	}
	dkim = j->has_dkim;
	if (dkim && !host_ok(j->dkim_domain, ddom, sizeof(ddom))) {
		*errstr_r = "bad DKIM domain";
		return -1;
	}
	/* RFC 6376 3.1: a selector is a sub-domain */
	if (dkim &&
	    (strlen(j->dkim_selector) > FAILURE_SEL_MAX ||
		!host_ok(j->dkim_selector, dsel, sizeof(dsel)))) {
		*errstr_r = "bad DKIM selector";
		return -1;
	}
	spf = j->has_spf && j->spf_dns[0] != '\0';
	if (spf && !host_ok(j->spf_domain, sdom, sizeof(sdom))) {
		*errstr_r = "bad SPF domain";
		return -1;
	}

	c1 = 2048 + 3 * DOMAIN_MAX;
	c2 = 8 * AUTHRES_MAX + 4 * FAILURE_SPF_MAX + 4 * FAILURE_ADDR_MAX +
	    4 * DOMAIN_MAX + 2048;
	c3 = 5 * j->hdrs.len + 4 * j->hdrs.nfields + 1024;
	if ((p1 = malloc(c1)) == NULL || (p2 = malloc(c2)) == NULL ||
	    (p3 = malloc(c3)) == NULL) {
		*errstr_r = "out of memory";
		goto fail;
	}
	sbuf_init(&s1, p1, c1);
	sbuf_init(&s2, p2, c2);
	sbuf_init(&s3, p3, c3);
	add_text(&s1, j, o, hfrom, pdom);
	add_feedback(&s2, j, o, hfrom, dkim ? ddom : NULL, dkim ? dsel : NULL,
	    spf ? sdom : NULL);
	add_headers(&s3, &j->hdrs, o->redact, &eight);
	if (s1.overflow || s2.overflow || s3.overflow) {
		*errstr_r = "report too large";
		goto fail;
	}

	/* RFC 2046 5.1.1: the boundary must occur in no part */
	for (k = 0; k < FAILURE_BOUNDARY_TRIES; k++) {
		if (k == 0)
			snprintf(boundary, sizeof(boundary), "=_dmarc_fr_%s",
			    o->id);
		else
			snprintf(boundary, sizeof(boundary),
			    "=_dmarc_fr_%s_%zu", o->id, k);
		if (memmem(p1, s1.len, boundary, strlen(boundary)) == NULL &&
		    memmem(p2, s2.len, boundary, strlen(boundary)) == NULL &&
		    memmem(p3, s3.len, boundary, strlen(boundary)) == NULL)
			break;
	}
	if (k == FAILURE_BOUNDARY_TRIES) {
		*errstr_r = "no usable MIME boundary";
		goto fail;
	}

	cm = s1.len + s2.len + s3.len + 4096 + 4 * DOMAIN_MAX;
	if ((msg = malloc(cm)) == NULL) {
		*errstr_r = "out of memory";
		goto fail;
	}
	sbuf_init(&m, msg, cm);
	date_hdr(o->date, date, sizeof(date));
	sbuf_addf(&m, "From: %s\n", from);
	sbuf_addf(&m, "To: %s\n", rcpt);
	sbuf_addf(&m, "Date: %s\n", date);
	sbuf_addf(&m, "Message-ID: <%s@%s>\n", o->id, reporter);
	sbuf_addf(&m, "Subject: DMARC failure report for %s\n", hfrom);
	sbuf_adds(&m, "MIME-Version: 1.0\n");
	/* RFC 6522, RFC 5965 2 */
	sbuf_addf(&m,
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "\tboundary=\"%s\"\n",
	    boundary);
	sbuf_adds(&m, "Auto-Submitted: auto-generated\n\n");
	sbuf_adds(&m, "This is a MIME-formatted failure report.\n\n");
	sbuf_addf(&m,
	    "--%s\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n\n",
	    boundary);
	sbuf_add(&m, p1, s1.len);
	sbuf_addf(&m,
	    "\n--%s\nContent-Type: message/feedback-report\n"
	    "Content-Transfer-Encoding: 7bit\n\n",
	    boundary);
	sbuf_add(&m, p2, s2.len);
	sbuf_addf(&m,
	    "\n--%s\nContent-Type: text/rfc822-headers\n"
	    "Content-Transfer-Encoding: %s\n\n",
	    boundary, eight ? "8bit" : "7bit");
	sbuf_add(&m, p3, s3.len);
	sbuf_addf(&m, "\n--%s--\n", boundary);
	if (m.overflow) {
		*errstr_r = "report too large";
		goto fail;
	}
	free(p1);
	free(p2);
	free(p3);
	*msg_r = msg;
	*len_r = m.len;
	return 0;
fail:
	free(p1);
	free(p2);
	free(p3);
	free(msg);
	return -1;
}

/* ------------------------------------------------------------ rate */

/* one token in units that refill by per_hour each millisecond */
#define RL_UNIT 3600000LL

struct rl_entry {
	char addr[RUA_ADDR_MAX + 1];
	long long units; /* tokens * RL_UNIT */
	long long last_ms;
	unsigned long long used; /* LRU tick */
};

struct failure_rl {
	pthread_mutex_t lock;
	size_t max, n;
	unsigned long long tick;
	struct rl_entry *e;
};

struct failure_rl *
failure_rl_new(size_t max)
{
	struct failure_rl *rl;

	if (max == 0)
		max = FAILURE_RL_MAX;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->e = reallocarray(NULL, max, sizeof(*rl->e))) == NULL) {
		free(rl);
		return NULL;
	}
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl->e);
		free(rl);
		return NULL;
	}
	rl->max = max;
	return rl;
}

void
failure_rl_free(struct failure_rl **rlp)
{
	if (rlp == NULL || *rlp == NULL)
		return;
	pthread_mutex_destroy(&(*rlp)->lock);
	free((*rlp)->e);
	free(*rlp);
	*rlp = NULL;
}

/* failure_rl_take - a token of addr's bucket, if there is one */
int
failure_rl_take(struct failure_rl *rl, const char *addr, unsigned per_hour,
    long long now_ms)
{
	struct rl_entry *e = NULL;
	long long cap, el;
	size_t i;
	int ok;

	if (addr == NULL || strlen(addr) > RUA_ADDR_MAX)
		return 0;
	if (per_hour == 0)
		per_hour = 1;
	if (per_hour > FAILURE_RATE_MAX)
		per_hour = FAILURE_RATE_MAX;
	cap = (long long)per_hour * RL_UNIT;
	pthread_mutex_lock(&rl->lock);
	for (i = 0; i < rl->n; i++) {
		if (strcasecmp(rl->e[i].addr, addr) == 0) {
			e = &rl->e[i];
			break;
		}
	}
	if (e == NULL) {
		if (rl->n < rl->max)
			e = &rl->e[rl->n++];
		else {
			/* the least recently used goes */
			e = &rl->e[0];
			for (i = 1; i < rl->n; i++)
				if (rl->e[i].used < e->used)
					e = &rl->e[i];
		}
		strlcpy(e->addr, addr, sizeof(e->addr));
		e->units = cap;
		e->last_ms = now_ms;
	} else if (now_ms > e->last_ms) {
		el = now_ms - e->last_ms;
		if (el > RL_UNIT)
			el = RL_UNIT; /* an hour fills any bucket */
		e->units += el * (long long)per_hour;
		e->last_ms = now_ms;
	}
	if (e->units > cap)
		e->units = cap; /* also when the rate went down */
	e->used = ++rl->tick;
	ok = e->units >= RL_UNIT;
	if (ok)
		e->units -= RL_UNIT;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

size_t
failure_rl_count(struct failure_rl *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->lock);
	n = rl->n;
	pthread_mutex_unlock(&rl->lock);
	return n;
}

/* ------------------------------------------------------------ sending */

/* logf_ - one line to the caller's log */
static void logf_(const struct failure_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(const struct failure_ctx *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, line);
}

/*
 * spf_record - RFC 6591 3.2 SPF-DNS: the one TXT record of domain that
 * starts "v=spf1" (RFC 7208 4.5); "" when none, several or too long
 */
static void
spf_record(struct resolver *res, const char *domain, char *out, size_t outlen)
{
	struct resolver_answer *a = NULL;
	size_t i, found = 0;

	out[0] = '\0';
	if (res == NULL ||
	    resolver_query(res, domain, RESOLVER_T_TXT, &a) != RESOLVER_OK) {
		resolver_answer_free(&a);
		return;
	}
	for (i = 0; i < a->nrr; i++) {
		const char *t = (const char *)a->rr[i].data;
		size_t n = a->rr[i].len;

		if (a->rr[i].type != RESOLVER_T_TXT || n < 6 ||
		    strncasecmp(t, "v=spf1", 6) != 0 || (n > 6 && t[6] != ' '))
			continue;
		if (++found > 1 || n >= outlen || memchr(t, '\0', n) != NULL) {
			out[0] = '\0';
			break;
		}
		memcpy(out, t, n);
		out[n] = '\0';
	}
	resolver_answer_free(&a);
}

/* failure_send_job - RFC 9991 2, 5: each verified ruf, within the rate */
void
failure_send_job(struct failure_job *j, const struct failure_ctx *c)
{
	struct failure_opts o;
	struct rua_list *l;
	struct timespec ts;
	char id[FAILURE_ID_MAX + 1], err[512], *msg;
	const char *to[1], *e;
	long long now_ms = c->now_ms;
	size_t i, len;

	if (now_ms == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if ((l = malloc(sizeof(*l))) == NULL) {
		logf_(c, "%s: failure report for %s not sent: out of memory",
		    j->queue_id, j->policy_domain);
		return;
	}
	rua_parse(j->ruf, strlen(j->ruf), l);
	/* RFC 9991 5: external destinations as RFC 9990 3, ruf for rua */
	(void)rua_verify(l, j->policy_domain, c->res, c->psl);
	if (j->has_spf && j->spf_dns[0] == '\0')
		spf_record(c->res, j->spf_domain, j->spf_dns,
		    sizeof(j->spf_dns));
	if (l->n == 0)
		logf_(c, "%s: failure report for %s not sent: no ruf URI",
		    j->queue_id, j->policy_domain);
	for (i = 0; i < l->n; i++) {
		const struct rua_dest *d = &l->d[i];

		if (d->status != RUA_OK) {
			logf_(c, "%s: failure report for %s to %s skipped: %s",
			    j->queue_id, j->policy_domain, d->uri,
			    d->why != NULL ? d->why
					   : rua_status_str(d->status));
			continue;
		}
		/* RFC 9991 2: MUST rate-limit */
		if (!failure_rl_take(c->rl, d->addr, c->rate, now_ms)) {
			logf_(c,
			    "%s: failure report for %s to %s skipped: over "
			    "the limit of %u an hour",
			    j->queue_id, j->policy_domain, d->addr, c->rate);
			continue;
		}
		snprintf(id, sizeof(id), "%lld.%08x.%zu", now_ms, arc4random(),
		    i);
		memset(&o, 0, sizeof(o));
		o.from = c->from;
		o.reporter = c->reporter;
		o.user_agent = c->user_agent;
		o.id = id;
		o.date = now_ms / 1000;
		o.redact = c->redact;
		if (failure_build(j, &o, d->addr, &msg, &len, &e) == -1) {
			logf_(c, "%s: failure report for %s to %s not sent: %s",
			    j->queue_id, j->policy_domain, d->addr, e);
			continue;
		}
		if (!rua_fits(d, len)) {
			logf_(c,
			    "%s: failure report for %s to %s skipped: %zu "
			    "bytes exceed its limit of %llu",
			    j->queue_id, j->policy_domain, d->addr, len,
			    d->max_size);
			free(msg);
			continue;
		}
		to[0] = d->addr;
		if (send_sendmail(c->sendmail_path, c->from, to, 1, msg, len,
			err, sizeof(err)) == -1)
			logf_(c, "%s: failure report for %s to %s not sent: %s",
			    j->queue_id, j->policy_domain, d->addr, err);
		else
			logf_(c,
			    "%s: failure report for %s sent to %s (%zu bytes)",
			    j->queue_id, j->policy_domain, d->addr, len);
		free(msg);
	}
	if (l->ndropped > 0)
		logf_(c,
		    "%s: failure report for %s: %zu ruf URIs past the first "
		    "%d ignored",
		    j->queue_id, j->policy_domain, l->ndropped, RUA_DEST_MAX);
	free(l);
}

/* failure_defaults - ReportDomain and ReportEmail, or their defaults */
int
failure_defaults(const char *report_domain, const char *report_email, char *dom,
    size_t domlen, char *email, size_t emaillen, const char **errstr_r)
{
	char host[DOMAIN_MAX + 2];
	const char *e;
	int w;

	if (report_domain != NULL && report_domain[0] != '\0') {
		if (domain_normalize(report_domain, strlen(report_domain), dom,
			domlen, &e) == -1) {
			*errstr_r = "ReportDomain is not a domain name";
			return -1;
		}
	} else {
		if (gethostname(host, sizeof(host)) == -1 ||
		    domain_normalize(host, strnlen(host, sizeof(host)), dom,
			domlen, &e) == -1 ||
		    domain_labels(dom) < 2) {
			*errstr_r = "ReportDomain is not set and the host name "
				    "is not a domain name";
			return -1;
		}
	}
	if (report_email != NULL && report_email[0] != '\0') {
		if (rua_addr_check(report_email, strlen(report_email), email,
			emaillen, &e) == -1) {
			*errstr_r = "ReportEmail is not a usable address";
			return -1;
		}
		return 0;
	}
	w = snprintf(email, emaillen, "noreply-dmarc@%s", dom);
	if (w < 0 || (size_t)w >= emaillen) {
		*errstr_r = "ReportDomain too long";
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the queue */

struct failure_queue {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job, or stop */
	pthread_cond_t done; /* the thread ended */
	struct failure_job **ring;
	size_t max, head, n;
	int stopping; /* no new jobs; end when empty */
	int ended, joined;
	pthread_t thr;
	failure_handler *fn;
	void *arg;
};

/* worker - the sender thread: jobs in order, one at a time */
static void *
worker(void *arg)
{
	struct failure_queue *q = arg;
	struct failure_job *j;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->n == 0 && !q->stopping)
			pthread_cond_wait(&q->work, &q->lock);
		if (q->n == 0)
			break;
		j = q->ring[q->head];
		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->max;
		q->n--;
		pthread_mutex_unlock(&q->lock);
		q->fn(q->arg, j);
		failure_job_free(&j);
		pthread_mutex_lock(&q->lock);
	}
	q->ended = 1;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
failure_queue_start(size_t max, failure_handler *fn, void *arg,
    struct failure_queue **q_r)
{
	struct failure_queue *q;

	*q_r = NULL;
	if (max == 0 || fn == NULL)
		return -1;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if ((q->ring = reallocarray(NULL, max, sizeof(*q->ring))) == NULL) {
		free(q);
		return -1;
	}
	q->max = max;
	q->fn = fn;
	q->arg = arg;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&q->work, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		goto fail;
	}
	if (pthread_cond_init(&q->done, NULL) != 0) {
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->lock);
		goto fail;
	}
	if (pthread_create(&q->thr, NULL, worker, q) != 0) {
		pthread_cond_destroy(&q->done);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->lock);
		goto fail;
	}
	*q_r = q;
	return 0;
fail:
	free(q->ring);
	free(q);
	return -1;
}

int
failure_queue_put(struct failure_queue *q, struct failure_job *job)
{
	int rc = -1;

	if (q == NULL || job == NULL)
		return -1;
	pthread_mutex_lock(&q->lock);
	if (!q->stopping && q->n < q->max) {
		q->ring[(q->head + q->n) % q->max] = job;
		q->n++;
		pthread_cond_signal(&q->work);
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* failure_queue_stop - no new jobs; drain for at most wait_ms */
size_t
failure_queue_stop(struct failure_queue *q, unsigned wait_ms)
{
	struct timespec dl;
	struct failure_job *j;
	size_t dropped = 0;

	if (q == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(wait_ms / 1000);
	dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->work);
	while (
	    !q->ended && pthread_cond_timedwait(&q->done, &q->lock, &dl) == 0)
		;
	/* out of time: what is still queued is not sent */
	while (!q->ended && q->n > 0) {
		j = q->ring[q->head];
		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->max;
		q->n--;
		failure_job_free(&j);
		dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	if (q->ended && !q->joined) {
		pthread_join(q->thr, NULL);
		q->joined = 1;
	}
	return dropped;
}

/* failure_queue_free - free a queue whose thread has ended */
int
failure_queue_free(struct failure_queue **qp)
{
	struct failure_queue *q;
	int ended;

	if (qp == NULL || (q = *qp) == NULL)
		return 0;
	*qp = NULL;
	pthread_mutex_lock(&q->lock);
	ended = q->ended;
	pthread_mutex_unlock(&q->lock);
	if (!ended)
		return -1; /* still in a job: the process is exiting */
	if (!q->joined)
		pthread_join(q->thr, NULL);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
	return 0;
}
