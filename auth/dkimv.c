/*
 * dkimv.c - DKIM verification through libopendkim, keys from our resolver
 *
 * libopendkim gets every header field and body chunk; we keep, for each
 * DKIM-Signature field, our own view of its tag-list (d=, s=, a=) so that
 * what we report is what was verified, and so that a signature libopendkim
 * would accept although RFC 6376 does not (duplicate tags, a d= that is no
 * domain name) never passes.  Such signatures are marked "ignore" in the
 * prescreen callback and get their permerror here.
 *
 * Key lookups: libopendkim calls dkimv_dns_start() with a query name; we
 * ask resolver_query() for TXT at once and write a DNS reply packet (RFC
 * 1035 4.1) into libopendkim's buffer, which dkimv_dns_waitreply() then
 * hands over.  A temporary failure is reported as a DNS error, which
 * libopendkim turns into DKIM_SIGERROR_KEYFAIL (temperror).  The keys
 * it decodes come from keycache.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <dkim.h> /* libopendkim; pkg-config adds its directory */

#include "auth/dkimv.h"
#include "auth/keycache.h"
#include "auth/resolver.h"

/* Seconds libopendkim passes to waitreply(); our lookups are synchronous
 * and the resolver enforces its own timeout (5000 ms unless configured),
 * so this only keeps libopendkim's view consistent with that default. */
#define DKIMV_DNS_TIMEOUT 5
#define DKIMV_ID_MAX	  64   /* queue ids are short; longer ones are cut */
#define DKIMV_TAGS_MAX	  64   /* RFC 6376 3.5 defines 14 tags */
#define DKIMV_TAGNAME_MAX 32   /* RFC 6376 3.2 sets none; real ones are short */
#define DKIMV_DNSNAME_MAX 255  /* RFC 1035 2.3.4: octets of a wire name */
#define DKIMV_LABEL_MAX	  63   /* RFC 1035 2.3.4 */
#define DKIMV_BODYBUF	  4096 /* bytes handed to dkim_body() at a time */
#define DKIMV_DOMAINKEY	  "._domainkey."

enum dkimv_state { DKIMV_ST_HEADERS, DKIMV_ST_BODY, DKIMV_ST_DONE };

struct dkimv_lib {
	DKIM_LIB *dl;
	struct resolver *res;
	unsigned max_sigs;
};

/* one DKIM-Signature field, in header order */
struct dkimv_meta {
	int libidx;	      /* its place in libopendkim's list, or -1 */
	int decided;	      /* sig.result and sig.reason are final */
	struct dkimv_sig sig; /* domain, selector, algorithm from our parse */
};

struct dkimv_msg {
	struct dkimv_lib *lib;
	DKIM *dkim;
	enum dkimv_state state;
	int leadspc; /* values come with their leading white space */
	int broken;  /* libopendkim failed for want of memory */
	int libdead; /* libopendkim refused the body: stop feeding it */
	int last_cr; /* the last body byte was CR */
	size_t nfields;
	size_t hdrbytes;
	size_t nmeta; /* DKIM-Signature fields kept (<= max_sigs) */
	int nlib;     /* of these, given to libopendkim */
	struct dkimv_meta meta[DKIMV_SIGS_MAX];
	char id[DKIMV_ID_MAX + 1]; /* libopendkim keeps the pointer */
};

/* ---------------------------------------------------------------------- */
/* small helpers */

static int
dkimv_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkimv_alpha - ASCII letter, whatever the locale */
static int
dkimv_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dkimv_digit - ASCII digit */
static int
dkimv_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* dkimv_namechar - what we accept in a d= or s= label (LDH and '_') */
static int
dkimv_namechar(int c)
{
	return dkimv_alpha(c) || dkimv_digit(c) || c == '-' || c == '_';
}

/* dkimv_lower - ASCII lower case */
static int
dkimv_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* dkimv_copy - copy hostile text into a report field: capped, bytes
 * outside [A-Za-z0-9._-] turned into '?', optionally lower-cased */
static void
dkimv_copy(char *dst, size_t dstsize, const char *src, size_t len, int lower)
{
	size_t i, n;

	n = len < dstsize - 1 ? len : dstsize - 1;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)src[i];

		if (!dkimv_namechar(c) && c != '.')
			c = '?';
		dst[i] = (char)(lower ? dkimv_lower(c) : c);
	}
	dst[n] = '\0';
}

/* dkimv_valid_name - a d= (RFC 6376 3.5, A-labels) or s= (3.1) value:
 * dot-separated labels of letters, digits, '-' and '_' (seen in real
 * selectors), each 1..63 octets, no empty label, no trailing dot */
static int
dkimv_valid_name(const char *p, size_t len, size_t max)
{
	size_t i, lab = 0;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)p[i];

		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (dkimv_namechar(c)) {
			if (++lab > DKIMV_LABEL_MAX)
				return 0;
		} else
			return 0;
	}
	return lab > 0;
}

/* dkimv_valid_alg - 1*(ALPHA / DIGIT) "-" 1*(ALPHA / DIGIT) */
static int
dkimv_valid_alg(const char *p, size_t len)
{
	size_t i, dash = 0, pos = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '-') {
			dash++;
			pos = i;
		} else if (!dkimv_alpha((unsigned char)p[i]) &&
		    !dkimv_digit((unsigned char)p[i]))
			return 0;
	}
	return dash == 1 && pos > 0 && pos < len - 1;
}

static void
dkimv_decide(struct dkimv_meta *mt, enum dkimv_result r, const char *reason)
{
	if (mt->decided)
		return;
	mt->decided = 1;
	mt->sig.result = r;
	if (strlcpy(mt->sig.reason, reason, sizeof(mt->sig.reason)) >=
	    sizeof(mt->sig.reason))
		mt->sig.reason[sizeof(mt->sig.reason) - 1] = '\0';
}

/* ---------------------------------------------------------------------- */
/* our reading of a DKIM-Signature tag-list (RFC 6376 3.2) */

struct dkimv_span {
	const char *p;
	size_t len;
};

/*
 * dkimv_sig_parse - check the tag-list grammar, find d=, s= and a=
 *
 * tag-list = tag-spec *( ";" tag-spec ) [ ";" ]
 * tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 * tag-name = ALPHA *ALNUMPUNC; tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 * tval = 1*VALCHAR; VALCHAR = %x21-3A / %x3C-7E
 *
 * v is hostile, len bytes.  Fills mt->sig.domain/selector/algorithm and
 * decides a permerror for what libopendkim must never be trusted with.
 */
static void
dkimv_sig_parse(struct dkimv_meta *mt, const char *v, size_t len)
{
	struct dkimv_span names[DKIMV_TAGS_MAX];
	struct dkimv_span d = {NULL, 0}, s = {NULL, 0}, a = {NULL, 0};
	size_t pos = 0, ntags = 0, i, j;
	char why[64];

	for (;;) {
		struct dkimv_span name, val;

		while (pos < len && dkimv_fws((unsigned char)v[pos]))
			pos++;
		if (pos == len)
			break; /* empty list, or a trailing ";" */
		name.p = v + pos;
		if (!dkimv_alpha((unsigned char)v[pos]))
			goto syntax;
		while (pos < len &&
		    (dkimv_alpha((unsigned char)v[pos]) ||
			dkimv_digit((unsigned char)v[pos]) || v[pos] == '_'))
			pos++;
		name.len = (size_t)(v + pos - name.p);
		if (name.len > DKIMV_TAGNAME_MAX)
			goto syntax;
		while (pos < len && dkimv_fws((unsigned char)v[pos]))
			pos++;
		if (pos == len || v[pos] != '=')
			goto syntax;
		pos++;
		while (pos < len && dkimv_fws((unsigned char)v[pos]))
			pos++;
		val.p = v + pos;
		while (pos < len && v[pos] != ';') {
			int c = (unsigned char)v[pos];

			if (!dkimv_fws(c) && (c < 0x21 || c > 0x7e))
				goto syntax;
			pos++;
		}
		val.len = (size_t)(v + pos - val.p);
		while (
		    val.len > 0 && dkimv_fws((unsigned char)val.p[val.len - 1]))
			val.len--;

		/* RFC 6376 3.2: a duplicate tag invalidates the tag-list;
		 * compared without case, as libopendkim folds some */
		for (i = 0; i < ntags; i++) {
			if (names[i].len != name.len)
				continue;
			for (j = 0; j < name.len; j++)
				if (dkimv_lower((unsigned char)names[i].p[j]) !=
				    dkimv_lower((unsigned char)name.p[j]))
					break;
			if (j == name.len) {
				snprintf(why, sizeof(why),
				    "duplicate %.*s= tag", (int)name.len,
				    name.p);
				dkimv_decide(mt, DKIMV_PERMERROR, why);
				break;
			}
		}
		if (ntags == DKIMV_TAGS_MAX) {
			dkimv_decide(mt, DKIMV_PERMERROR, "too many tags");
			break;
		}
		names[ntags++] = name;
		if (name.len == 1 && name.p[0] == 'd' && d.p == NULL)
			d = val;
		else if (name.len == 1 && name.p[0] == 's' && s.p == NULL)
			s = val;
		else if (name.len == 1 && name.p[0] == 'a' && a.p == NULL)
			a = val;

		if (pos == len)
			break;
		pos++; /* ';' */
	}

	if (d.p != NULL)
		dkimv_copy(mt->sig.domain, sizeof(mt->sig.domain), d.p, d.len,
		    1);
	if (s.p != NULL)
		dkimv_copy(mt->sig.selector, sizeof(mt->sig.selector), s.p,
		    s.len, 0);
	if (a.p != NULL)
		dkimv_copy(mt->sig.algorithm, sizeof(mt->sig.algorithm), a.p,
		    a.len, 1);

	/* RFC 6376 3.5: sig-a-tag-alg = sig-a-tag-k "-" sig-a-tag-h, no
	 * white space inside (libopendkim would drop it and verify) */
	if (a.p != NULL && !dkimv_valid_alg(a.p, a.len))
		dkimv_decide(mt, DKIMV_PERMERROR, "invalid a= tag");
	if (d.p == NULL)
		dkimv_decide(mt, DKIMV_PERMERROR, "d= missing");
	else if (!dkimv_valid_name(d.p, d.len, RESOLVER_NAME_MAX))
		dkimv_decide(mt, DKIMV_PERMERROR, "invalid d= tag");
	if (s.p == NULL)
		dkimv_decide(mt, DKIMV_PERMERROR, "s= missing");
	else if (!dkimv_valid_name(s.p, s.len, sizeof(mt->sig.selector) - 1))
		dkimv_decide(mt, DKIMV_PERMERROR, "invalid s= tag");
	else if (d.p != NULL &&
	    s.len + strlen(DKIMV_DOMAINKEY) + d.len > RESOLVER_NAME_MAX)
		/* RFC 1035 2.3.4 */
		dkimv_decide(mt, DKIMV_PERMERROR, "key name too long");
	return;

syntax:
	if (d.p != NULL && mt->sig.domain[0] == '\0')
		dkimv_copy(mt->sig.domain, sizeof(mt->sig.domain), d.p, d.len,
		    1);
	if (s.p != NULL && mt->sig.selector[0] == '\0')
		dkimv_copy(mt->sig.selector, sizeof(mt->sig.selector), s.p,
		    s.len, 0);
	dkimv_decide(mt, DKIMV_PERMERROR, "signature syntax error");
}

/* ---------------------------------------------------------------------- */
/* DNS glue: resolver answers as DNS packets for libopendkim.  UNSAFE:
 * raw writes into libopendkim's buffer, each one bounds-checked in wb_*. */

struct dkimv_query {
	size_t len; /* reply bytes in libopendkim's buffer */
	int status; /* DKIM_DNS_SUCCESS or DKIM_DNS_ERROR */
};

struct wbuf {
	unsigned char *p;
	size_t cap, len;
	int err;
};

/* wb_bytes - append n bytes, or mark the buffer full */
static void
wb_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

/* wb_u8 - one octet */
static void
wb_u8(struct wbuf *w, unsigned v)
{
	unsigned char b = (unsigned char)v;

	wb_bytes(w, &b, 1);
}

/* wb_u16 - two octets, network order */
static void
wb_u16(struct wbuf *w, unsigned v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	wb_bytes(w, b, 2);
}

/* wb_u32 - four octets, network order */
static void
wb_u32(struct wbuf *w, unsigned long v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v};

	wb_bytes(w, b, 4);
}

/* wb_name - a presentation name (no escapes) as wire labels; -1 if it is
 * not one (empty label, label over 63, name over 255 octets) */
static int
wb_name(struct wbuf *w, const char *name)
{
	size_t len = strnlen(name, DKIMV_DNSNAME_MAX + 1), start = 0, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len + 2 > DKIMV_DNSNAME_MAX)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start || i - start > DKIMV_LABEL_MAX)
			return -1;
		wb_u8(w, (unsigned)(i - start));
		wb_bytes(w, name + start, i - start);
		start = i + 1;
	}
	wb_u8(w, 0);
	return w->err ? -1 : 0;
}

/* dkimv_pick - RFC 6376 3.6.2.2: with several TXT records, use one; the
 * first "v=DKIM1" record, else the first TXT record */
static const struct resolver_rr *
dkimv_pick(const struct resolver_answer *ans)
{
	const struct resolver_rr *first = NULL;
	size_t i, k;

	for (i = 0; i < ans->nrr; i++) {
		const struct resolver_rr *rr = &ans->rr[i];

		if (rr->type != RESOLVER_T_TXT)
			continue;
		if (first == NULL)
			first = rr;
		for (k = 0;
		     k < rr->len && (rr->data[k] == ' ' || rr->data[k] == '\t');
		     k++)
			;
		if (rr->len - k >= 7 &&
		    memcmp(rr->data + k, "v=DKIM1", 7) == 0 &&
		    (rr->len - k == 7 || rr->data[k + 7] == ';' ||
			rr->data[k + 7] == ' ' || rr->data[k + 7] == '\t'))
			return rr;
	}
	return first;
}

/*
 * dkimv_reply - write a reply to (qname, TXT, IN): header with rcode,
 * the question echoed, and one TXT RR when txt is not NULL, its data split
 * into character-strings of at most 255 octets (RFC 1035 3.3.14).
 * Returns the length, or 0 if it does not fit in buflen.
 */
static size_t
dkimv_reply(unsigned char *buf, size_t buflen, const char *qname, int rcode,
    const unsigned char *txt, size_t txtlen, unsigned long ttl)
{
	struct wbuf w = {buf, buflen, 0, 0};
	size_t off, nstr = txtlen == 0 ? 1 : (txtlen + 254) / 255;

	/* RFC 1035 4.1.1: ID 0, QR RD RA, rcode; QD 1, AN 0 or 1 */
	wb_u16(&w, 0);
	wb_u16(&w, 0x8180u | (unsigned)rcode);
	wb_u16(&w, 1);
	wb_u16(&w, txt != NULL ? 1 : 0);
	wb_u16(&w, 0);
	wb_u16(&w, 0);
	if (wb_name(&w, qname) == -1)
		return 0;
	wb_u16(&w, RESOLVER_T_TXT);
	wb_u16(&w, 1); /* IN */
	if (txt != NULL) {
		if (txtlen > 65535 - nstr)
			return 0;
		wb_u16(&w, 0xc000u | 12); /* pointer to the question name */
		wb_u16(&w, RESOLVER_T_TXT);
		wb_u16(&w, 1);
		wb_u32(&w, ttl);
		wb_u16(&w, (unsigned)(txtlen + nstr));
		if (txtlen == 0)
			wb_u8(&w, 0);
		for (off = 0; off < txtlen; off += 255) {
			size_t n = txtlen - off < 255 ? txtlen - off : 255;

			wb_u8(&w, (unsigned)n);
			wb_bytes(&w, txt + off, n);
		}
	}
	return w.err ? 0 : w.len;
}

/* dkimv_dns_start - libopendkim's query start: ask the resolver now */
static int
dkimv_dns_start(void *srv, int type, unsigned char *query, unsigned char *buf,
    size_t buflen, void **qh)
{
	struct dkimv_lib *lib = srv;
	struct resolver_answer *ans = NULL;
	struct dkimv_query *q;
	const struct resolver_rr *rr;
	const char *qname = (const char *)query;

	if (lib == NULL || query == NULL || buf == NULL || qh == NULL)
		return DKIM_DNS_ERROR;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return DKIM_DNS_ERROR;
	q->status = DKIM_DNS_ERROR;
	*qh = q;
	if (type != RESOLVER_T_TXT)
		return DKIM_DNS_SUCCESS;

	switch (resolver_query(lib->res, qname, RESOLVER_T_TXT, &ans)) {
	case RESOLVER_OK:
		if (ans == NULL)
			break;
		/* RFC 6376 6.1.2: a record we cannot hand over whole (NUL
		 * byte, longer than libopendkim reads) is given as an empty
		 * one, which libopendkim reports as a key syntax error */
		if ((rr = dkimv_pick(ans)) == NULL)
			q->len = dkimv_reply(buf, buflen, qname, 0, NULL, 0, 0);
		else if (rr->len > DKIMV_KEYREC_MAX ||
		    memchr(rr->data, '\0', rr->len) != NULL)
			q->len = dkimv_reply(buf, buflen, qname, 0,
			    (const unsigned char *)"", 0, ans->ttl);
		else
			q->len = dkimv_reply(buf, buflen, qname, 0, rr->data,
			    rr->len, ans->ttl);
		break;
	case RESOLVER_NXDOMAIN: /* RFC 6376 6.1.2: no key */
		q->len = dkimv_reply(buf, buflen, qname, 3, NULL, 0, 0);
		break;
	case RESOLVER_NODATA:
		q->len = dkimv_reply(buf, buflen, qname, 0, NULL, 0, 0);
		break;
	case RESOLVER_INVALID: /* malformed or oversized: a bad key */
		q->len = dkimv_reply(buf, buflen, qname, 0,
		    (const unsigned char *)"", 0, 0);
		break;
	case RESOLVER_TEMPFAIL: /* leave the error: key unavailable */
		break;
	}
	resolver_answer_free(&ans);
	if (q->len > 0)
		q->status = DKIM_DNS_SUCCESS;
	return DKIM_DNS_SUCCESS;
}

/* dkimv_dns_waitreply - the reply is already in libopendkim's buffer */
static int
dkimv_dns_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes,
    int *error, int *dnssec)
{
	struct dkimv_query *q = qh;

	(void)srv;
	(void)to;
	if (q == NULL)
		return DKIM_DNS_ERROR;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

/* dkimv_dns_cancel - libopendkim is done with a query */
static int
dkimv_dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

/* the resolver belongs to our caller: libopendkim must not set up or
 * close one of its own */
static int
dkimv_dns_init(void **srv)
{
	(void)srv;
	return -1;
}

static void
dkimv_dns_close(void *srv)
{
	(void)srv;
}

/* ---------------------------------------------------------------------- */
/* the library */

/* dkimv_prescreen - before any key lookup: keep libopendkim away from
 * signatures we already judged, and check that it read d= and s= as we
 * did (what we report must be what it verified) */
static DKIM_CBSTAT
dkimv_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkimv_msg *m = dkim_get_user_context(dkim);
	unsigned char used[DKIMV_SIGS_MAX];
	size_t i;
	int j;

	if (m == NULL || nsigs < 0)
		return DKIM_CBSTAT_ERROR;
	memset(used, 0, sizeof(used));
	for (i = 0; i < m->nmeta; i++) {
		struct dkimv_meta *mt = &m->meta[i];
		const char *d, *s;

		if (mt->libidx < 0 || mt->libidx >= nsigs)
			continue;
		used[mt->libidx] = 1;
		if (!mt->decided &&
		    dkim_sig_geterror(sigs[mt->libidx]) ==
			DKIM_SIGERROR_UNKNOWN) {
			d = (const char *)dkim_sig_getdomain(sigs[mt->libidx]);
			s = (const char *)dkim_sig_getselector(
			    sigs[mt->libidx]);
			if (d == NULL || s == NULL ||
			    strcasecmp(d, mt->sig.domain) != 0 ||
			    strcmp(s, mt->sig.selector) != 0)
				dkimv_decide(mt, DKIMV_PERMERROR,
				    "signature syntax error");
		}
		if (mt->decided)
			dkim_sig_ignore(sigs[mt->libidx]);
	}
	for (j = 0; j < nsigs; j++)
		if (j >= DKIMV_SIGS_MAX || !used[j])
			dkim_sig_ignore(sigs[j]);
	return DKIM_CBSTAT_CONTINUE;
}

/* dkimv_lib_new - libopendkim set up for verifying, DNS through res */
int
dkimv_lib_new(struct resolver *res, unsigned max_sigs, struct dkimv_lib **lib_r,
    char *err, size_t errlen)
{
	struct dkimv_lib *lib;
	uint32_t flags;
	unsigned int u;
	dkim_query_t qm = DKIM_QUERY_DNS;
	const char *why = NULL;

	*lib_r = NULL;
	if (res == NULL)
		why = "no resolver";
	else if (max_sigs > DKIMV_SIGS_MAX)
		why = "too many signatures per message";
	if (why != NULL) {
		snprintf(err, errlen, "dkim: %s", why);
		return -1;
	}
	if ((lib = calloc(1, sizeof(*lib))) == NULL) {
		snprintf(err, errlen, "dkim: out of memory");
		return -1;
	}
	lib->res = res;
	lib->max_sigs = max_sigs == 0 ? DKIMV_SIGS_DEFAULT : max_sigs;
	keycache_init(); /* decoded keys: keycache.c */
	if ((lib->dl = dkim_init(NULL, NULL)) == NULL) {
		free(lib);
		snprintf(err, errlen, "dkim: dkim_init failed");
		return -1;
	}
	if (!dkim_libfeature(lib->dl, DKIM_FEATURE_SHA256))
		why = "libopendkim lacks SHA-256";
	else if (!dkim_libfeature(lib->dl, DKIM_FEATURE_ED25519))
		why = "libopendkim lacks ed25519 (RFC 8463)";

	/*
	 * BADSIGHANDLES: a signature libopendkim cannot parse keeps its
	 * place in the list, so list and header order stay one to one.  No
	 * FIXCRLF (we write CRLF ourselves, the same way whatever the
	 * chunking), no cache (the resolver has one), no EOHCHECK or
	 * VERIFYONE: every signature gets its own result.
	 */
	flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	if (why == NULL &&
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
		sizeof(flags)) != DKIM_STAT_OK)
		why = "cannot set flags";
	u = DKIMV_KEYBITS_MIN; /* RFC 8301 3.2 */
	if (why == NULL &&
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &u,
		sizeof(u)) != DKIM_STAT_OK)
		why = "cannot set the minimum key size";
	u = DKIMV_DNS_TIMEOUT;
	if (why == NULL &&
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &u,
		sizeof(u)) != DKIM_STAT_OK)
		why = "cannot set the timeout";
	/* RFC 6376 3.5 q=: dns/txt is the only method; never a file */
	if (why == NULL &&
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm,
		sizeof(qm)) != DKIM_STAT_OK)
		why = "cannot set the query method";
	if (why == NULL &&
	    dkim_set_prescreen(lib->dl, dkimv_prescreen) != DKIM_STAT_OK)
		why = "cannot set the prescreen callback";
	if (why != NULL) {
		dkim_close(lib->dl);
		free(lib);
		snprintf(err, errlen, "dkim: %s", why);
		return -1;
	}
	dkim_dns_set_init(lib->dl, dkimv_dns_init);
	dkim_dns_set_close(lib->dl, dkimv_dns_close);
	(void)dkim_dns_set_query_service(lib->dl, lib);
	dkim_dns_set_query_start(lib->dl, dkimv_dns_start);
	dkim_dns_set_query_waitreply(lib->dl, dkimv_dns_waitreply);
	dkim_dns_set_query_cancel(lib->dl, dkimv_dns_cancel);
	*lib_r = lib;
	return 0;
}

/* dkimv_lib_free - accepts NULL and clears the pointer */
void
dkimv_lib_free(struct dkimv_lib **libp)
{
	struct dkimv_lib *lib;

	if (libp == NULL || (lib = *libp) == NULL)
		return;
	dkim_close(lib->dl);
	free(lib);
	*libp = NULL;
}

/* ---------------------------------------------------------------------- */
/* one message */

struct dkimv_msg *
dkimv_msg_new(struct dkimv_lib *lib, const char *id)
{
	struct dkimv_msg *m;
	DKIM_STAT st;

	if (lib == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->lib = lib;
	m->state = DKIMV_ST_HEADERS;
	if (id == NULL || id[0] == '\0')
		id = "-";
	dkimv_copy(m->id, sizeof(m->id), id, strnlen(id, DKIMV_ID_MAX), 0);
	m->dkim = dkim_verify(lib->dl, (const unsigned char *)m->id, NULL, &st);
	if (m->dkim == NULL) {
		free(m);
		return NULL;
	}
	(void)dkim_set_user_context(m->dkim, m);
	return m;
}

/* dkimv_msg_leadspc - values will come with their leading white space */
void
dkimv_msg_leadspc(struct dkimv_msg *m)
{
	if (m != NULL)
		m->leadspc = 1;
}

/* dkimv_msg_free - accepts NULL and clears the pointer */
void
dkimv_msg_free(struct dkimv_msg **mp)
{
	struct dkimv_msg *m;

	if (mp == NULL || (m = *mp) == NULL)
		return;
	if (m->dkim != NULL)
		(void)dkim_free(m->dkim);
	free(m);
	*mp = NULL;
}

/* dkimv_field_name - RFC 5322 3.6.8 field-name = 1*ftext (%d33-57 /
 * %d59-126), then the white space RFC 5322 4.5 (obs-optional) allows; its
 * length without that white space, or 0 */
static size_t
dkimv_field_name(const char *name, size_t len)
{
	size_t n = 0, i;

	while (n < len && (unsigned char)name[n] >= 33 &&
	    (unsigned char)name[n] <= 126 && name[n] != ':')
		n++;
	if (n == 0)
		return 0;
	for (i = n; i < len; i++)
		if (name[i] != ' ' && name[i] != '\t')
			return 0;
	return n;
}

/* dkimv_header - one header field, value NUL-terminated */
int
dkimv_header(struct dkimv_msg *m, const char *name, const char *value)
{
	if (value == NULL)
		return -1;
	return dkimv_header_len(m, name, value, strlen(value));
}

/* dkimv_header_len - one header field, value of len bytes */
int
dkimv_header_len(struct dkimv_msg *m, const char *name, const char *value,
    size_t len)
{
	struct dkimv_meta *mt = NULL;
	size_t namelen, nlen, flen, i, o;
	unsigned char *field;
	DKIM_STAT st;

	if (m == NULL || name == NULL || value == NULL || m->broken ||
	    m->state != DKIMV_ST_HEADERS)
		return -1;
	namelen = strnlen(name, DKIMV_FIELD_MAX + 1);
	if ((nlen = dkimv_field_name(name, namelen)) == 0)
		return 0; /* not a header field: never part of a hash */

	/* a field is rebuilt without its final line break */
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
		len--;

	if (nlen == strlen(DKIM_SIGNHEADER) &&
	    strncasecmp(name, DKIM_SIGNHEADER, nlen) == 0) {
		/* RFC 6376 6.1: verifiers may limit the signatures they try;
		 * fields past the limit are ignored entirely */
		if (m->nmeta >= m->lib->max_sigs)
			return 0;
		mt = &m->meta[m->nmeta++];
		mt->libidx = -1;
		if (memchr(value, '\0', len) != NULL) {
			dkimv_decide(mt, DKIMV_PERMERROR,
			    "NUL byte in signature");
			return 0;
		}
		dkimv_sig_parse(mt, value, len);
	} else if (memchr(value, '\0', len) != NULL)
		return 0;

	/* name ":" [SP] value, bare LF -> CRLF; at most twice as long */
	if (len > DKIMV_FIELD_MAX || namelen > DKIMV_FIELD_MAX ||
	    m->nfields >= DKIMV_FIELDS_MAX ||
	    m->hdrbytes + namelen + 2 + len > DKIMV_HEADER_MAX) {
		if (mt != NULL)
			dkimv_decide(mt, DKIMV_PERMERROR,
			    "header too large to verify");
		return 0;
	}
	flen = namelen + 2 + 2 * len;
	if ((field = malloc(flen + 1)) == NULL) {
		m->broken = 1;
		return -1;
	}
	memcpy(field, name, namelen);
	o = namelen;
	field[o++] = ':';
	if (!m->leadspc)
		field[o++] = ' ';
	for (i = 0; i < len; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			field[o++] = '\r';
		field[o++] = (unsigned char)value[i];
	}
	field[o] = '\0';
	m->nfields++;
	m->hdrbytes += o;

	st = dkim_header(m->dkim, field, o);
	free(field);
	if (mt != NULL && (st == DKIM_STAT_OK || st == DKIM_STAT_SYNTAX)) {
		/* with BADSIGHANDLES a tag-list libopendkim cannot parse
		 * still takes its place in the list */
		mt->libidx = m->nlib++;
		if (st == DKIM_STAT_SYNTAX)
			dkimv_decide(mt, DKIMV_PERMERROR,
			    "signature syntax error");
		return 0;
	}
	if (st == DKIM_STAT_OK || st == DKIM_STAT_SYNTAX)
		return 0;
	m->broken = 1; /* out of memory inside libopendkim */
	return -1;
}

/* dkimv_eoh - end of header: signatures are checked, keys fetched */
int
dkimv_eoh(struct dkimv_msg *m)
{
	DKIM_STAT st;

	if (m == NULL || m->broken || m->state != DKIMV_ST_HEADERS)
		return -1;
	m->state = DKIMV_ST_BODY;
	if (m->nlib == 0)
		return 0; /* nothing for libopendkim to verify */
	/* RFC 6376 6.1.1-6.1.2: tag checks and key lookups happen here.
	 * NOSIG: we made libopendkim ignore every signature.  Anything else
	 * means it ran out of memory half-way: trust nothing it says later,
	 * every signature not judged yet becomes temperror. */
	st = dkim_eoh(m->dkim);
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
		m->libdead = 1;
	return 0;
}

/* dkimv_body - one body chunk, line ends made CRLF */
int
dkimv_body(struct dkimv_msg *m, const unsigned char *p, size_t len)
{
	unsigned char out[DKIMV_BODYBUF];
	size_t i, o = 0;

	if (m == NULL || (p == NULL && len > 0) || m->broken ||
	    m->state != DKIMV_ST_BODY)
		return -1;
	if (m->nlib == 0 || m->libdead)
		return 0;
	for (i = 0; i < len; i++) {
		/* RFC 5322 2.3: lines end in CRLF; fix a bare LF, also when
		 * its CR ended the previous chunk */
		if (p[i] == '\n' && !m->last_cr)
			out[o++] = '\r';
		out[o++] = p[i];
		m->last_cr = p[i] == '\r';
		if (o >= sizeof(out) - 1) {
			if (dkim_body(m->dkim, out, o) != DKIM_STAT_OK) {
				m->libdead = 1;
				return 0;
			}
			o = 0;
		}
	}
	if (o > 0 && dkim_body(m->dkim, out, o) != DKIM_STAT_OK)
		m->libdead = 1;
	return 0;
}

/* libopendkim's per-signature errors, RFC 6376 6.1 names where it has one */
static const struct {
	int err;
	enum dkimv_result result;
	const char *reason;
} dkimv_errors[] = {
    {DKIM_SIGERROR_VERSION, DKIMV_PERMERROR, "unsupported version"},
    {DKIM_SIGERROR_DOMAIN, DKIMV_PERMERROR, "domain mismatch"},
    {DKIM_SIGERROR_EXPIRED, DKIMV_PERMERROR, "signature expired"},
    {DKIM_SIGERROR_FUTURE, DKIMV_PERMERROR, "signature in the future"},
    {DKIM_SIGERROR_TIMESTAMPS, DKIMV_PERMERROR, "x= before t="},
    {DKIM_SIGERROR_INVALID_HC, DKIMV_PERMERROR,
	"unknown header canonicalization"},
    {DKIM_SIGERROR_INVALID_BC, DKIMV_PERMERROR,
	"unknown body canonicalization"},
    {DKIM_SIGERROR_MISSING_A, DKIMV_PERMERROR, "a= missing"},
    {DKIM_SIGERROR_INVALID_A, DKIMV_PERMERROR, "unknown algorithm"},
    {DKIM_SIGERROR_MISSING_H, DKIMV_PERMERROR, "h= missing"},
    {DKIM_SIGERROR_INVALID_L, DKIMV_PERMERROR, "invalid l= tag"},
    {DKIM_SIGERROR_INVALID_Q, DKIMV_PERMERROR, "unknown query method"},
    {DKIM_SIGERROR_INVALID_QO, DKIMV_PERMERROR, "unknown query option"},
    {DKIM_SIGERROR_MISSING_D, DKIMV_PERMERROR, "d= missing"},
    {DKIM_SIGERROR_EMPTY_D, DKIMV_PERMERROR, "d= empty"},
    {DKIM_SIGERROR_MISSING_S, DKIMV_PERMERROR, "s= missing"},
    {DKIM_SIGERROR_EMPTY_S, DKIMV_PERMERROR, "s= empty"},
    {DKIM_SIGERROR_MISSING_B, DKIMV_PERMERROR, "b= missing"},
    {DKIM_SIGERROR_EMPTY_B, DKIMV_PERMERROR, "b= empty"},
    {DKIM_SIGERROR_CORRUPT_B, DKIMV_PERMERROR, "b= corrupt"},
    {DKIM_SIGERROR_NOKEY, DKIMV_PERMERROR, "no key"},
    {DKIM_SIGERROR_DNSSYNTAX, DKIMV_PERMERROR, "key syntax error"},
    {DKIM_SIGERROR_KEYFAIL, DKIMV_TEMPERROR, "key unavailable"},
    {DKIM_SIGERROR_MISSING_BH, DKIMV_PERMERROR, "bh= missing"},
    {DKIM_SIGERROR_EMPTY_BH, DKIMV_PERMERROR, "bh= empty"},
    {DKIM_SIGERROR_CORRUPT_BH, DKIMV_PERMERROR, "bh= corrupt"},
    {DKIM_SIGERROR_SUBDOMAIN, DKIMV_PERMERROR,
	"i= subdomain refused by key (t=s)"},
    {DKIM_SIGERROR_MULTIREPLY, DKIMV_PERMERROR, "several key records"},
    {DKIM_SIGERROR_EMPTY_H, DKIMV_PERMERROR, "h= empty"},
    {DKIM_SIGERROR_INVALID_H, DKIMV_PERMERROR, "From not signed"},
    {DKIM_SIGERROR_TOOLARGE_L, DKIMV_FAIL, "l= exceeds body length"},
    {DKIM_SIGERROR_MBSFAILED, DKIMV_FAIL, "required header not signed"},
    {DKIM_SIGERROR_KEYVERSION, DKIMV_PERMERROR, "unknown key version"},
    {DKIM_SIGERROR_KEYUNKNOWNHASH, DKIMV_PERMERROR, "unknown key hash"},
    {DKIM_SIGERROR_KEYHASHMISMATCH, DKIMV_PERMERROR,
	"inappropriate hash algorithm"},
    {DKIM_SIGERROR_NOTEMAILKEY, DKIMV_PERMERROR, "inappropriate service type"},
    {DKIM_SIGERROR_KEYTYPEMISSING, DKIMV_PERMERROR, "key k= missing"},
    {DKIM_SIGERROR_KEYTYPEUNKNOWN, DKIMV_PERMERROR,
	"inappropriate key algorithm"},
    {DKIM_SIGERROR_KEYREVOKED, DKIMV_FAIL, "key revoked"},
    {DKIM_SIGERROR_KEYDECODE, DKIMV_PERMERROR, "key decode failed"},
    {DKIM_SIGERROR_MISSING_V, DKIMV_PERMERROR, "v= missing"},
    {DKIM_SIGERROR_EMPTY_V, DKIMV_PERMERROR, "v= empty"},
    {DKIM_SIGERROR_KEYTOOSMALL, DKIMV_POLICY, "key too small"},
    {DKIM_SIGERROR_CONDITIONAL, DKIMV_PERMERROR, "conditional signature"},
    {DKIM_SIGERROR_CONDLOOP, DKIMV_PERMERROR, "conditional signature"},
};

/* dkimv_judge - one signature libopendkim has worked on */
static void
dkimv_judge(DKIM *dkim, DKIM_SIGINFO *sig, struct dkimv_sig *s)
{
	unsigned int flags, bits;
	dkim_alg_t alg;
	int err, bh, ed;
	size_t i;

	flags = dkim_sig_getflags(sig);
	err = dkim_sig_geterror(sig);
	if ((flags & DKIM_SIGFLAG_IGNORE) == 0 &&
	    (flags & DKIM_SIGFLAG_PROCESSED) == 0 &&
	    err == DKIM_SIGERROR_UNKNOWN) {
		/* dkim_eoh() or dkim_eom() stopped before this one */
		(void)dkim_sig_process(dkim, sig);
		flags = dkim_sig_getflags(sig);
		err = dkim_sig_geterror(sig);
	}
	/* the algorithm libopendkim verified with, whatever a= looked like
	 * (it drops white space inside tag values); known once processed */
	if ((flags & DKIM_SIGFLAG_PROCESSED) != 0 &&
	    dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK) {
		if (alg == DKIM_SIGN_RSASHA1)
			strlcpy(s->algorithm, "rsa-sha1", sizeof(s->algorithm));
		else if (alg == DKIM_SIGN_RSASHA256)
			strlcpy(s->algorithm, "rsa-sha256",
			    sizeof(s->algorithm));
		else if (alg == DKIM_SIGN_ED25519SHA256)
			strlcpy(s->algorithm, "ed25519-sha256",
			    sizeof(s->algorithm));
	}
	ed = strcmp(s->algorithm, "ed25519-sha256") == 0;
	bh = dkim_sig_getbh(sig);
	s->testing = (flags & DKIM_SIGFLAG_TESTKEY) != 0; /* RFC 6376 3.6.1 */
	if (!ed && dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		s->keybits = bits;
	else if (ed &&
	    ((flags & DKIM_SIGFLAG_PASSED) != 0 || err == DKIM_SIGERROR_BADSIG))
		s->keybits = 256; /* RFC 8463 3: 32-octet public keys */

	if ((flags & DKIM_SIGFLAG_IGNORE) == 0 &&
	    (flags & DKIM_SIGFLAG_PASSED) != 0 && bh == DKIM_SIGBH_MATCH &&
	    err == DKIM_SIGERROR_OK) {
		s->reason[0] = '\0';
		if (strcmp(s->algorithm, "rsa-sha1") == 0) {
			/* RFC 8301 3.1: rsa-sha1 MUST NOT be a valid one */
			s->result = DKIMV_POLICY;
			strlcpy(s->reason, "rsa-sha1 not accepted (RFC 8301)",
			    sizeof(s->reason));
		} else if (!ed && s->keybits < DKIMV_KEYBITS_MIN) {
			s->result = DKIMV_POLICY; /* RFC 8301 3.2 */
			strlcpy(s->reason, "key too small", sizeof(s->reason));
		} else
			s->result = DKIMV_PASS;
		return;
	}
	if (err == DKIM_SIGERROR_BADSIG) {
		/* RFC 6376 6.1.3 */
		s->result = DKIMV_FAIL;
		strlcpy(s->reason,
		    bh == DKIM_SIGBH_MISMATCH ? "body hash mismatch"
					      : "bad signature",
		    sizeof(s->reason));
		return;
	}
	for (i = 0; i < sizeof(dkimv_errors) / sizeof(dkimv_errors[0]); i++)
		if (dkimv_errors[i].err == err) {
			s->result = dkimv_errors[i].result;
			strlcpy(s->reason, dkimv_errors[i].reason,
			    sizeof(s->reason));
			return;
		}
	s->result = DKIMV_TEMPERROR;
	strlcpy(s->reason, "not verified", sizeof(s->reason));
}

/* dkimv_eom - body hashes checked; one result a signature */
int
dkimv_eom(struct dkimv_msg *m, struct dkimv_sig *sigs, size_t maxsigs,
    size_t *nsigs_r)
{
	DKIM_SIGINFO **list = NULL;
	int nlist = 0;
	size_t i, n = 0;
	_Bool testkey = 0;

	if (nsigs_r != NULL)
		*nsigs_r = 0;
	if (m == NULL || nsigs_r == NULL || (sigs == NULL && maxsigs > 0) ||
	    m->broken || m->state != DKIMV_ST_BODY)
		return -1;
	m->state = DKIMV_ST_DONE;
	if (m->nlib > 0) {
		/* RFC 6376 6.1.3: body hashes and the remaining checks */
		if (!m->libdead)
			(void)dkim_eom(m->dkim, &testkey);
		if (dkim_getsiglist(m->dkim, &list, &nlist) != DKIM_STAT_OK)
			list = NULL;
	}
	for (i = 0; i < m->nmeta && n < maxsigs; i++) {
		struct dkimv_meta *mt = &m->meta[i];
		struct dkimv_sig *s = &sigs[n++];

		*s = mt->sig;
		if (mt->decided)
			continue;
		if (list == NULL || mt->libidx < 0 || mt->libidx >= nlist ||
		    m->libdead) {
			s->result = DKIMV_TEMPERROR;
			strlcpy(s->reason, "not verified", sizeof(s->reason));
			continue;
		}
		dkimv_judge(m->dkim, list[mt->libidx], s);
	}
	*nsigs_r = n;
	return 0;
}

/* dkimv_result_str - the RFC 8601 2.7.1 result keyword */
const char *
dkimv_result_str(enum dkimv_result r)
{
	switch (r) {
	case DKIMV_NONE:
		return "none";
	case DKIMV_PASS:
		return "pass";
	case DKIMV_FAIL:
		return "fail";
	case DKIMV_NEUTRAL:
		return "neutral";
	case DKIMV_POLICY:
		return "policy";
	case DKIMV_TEMPERROR:
		return "temperror";
	case DKIMV_PERMERROR:
		return "permerror";
	}
	return "permerror";
}
