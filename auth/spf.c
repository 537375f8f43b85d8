/*
 * spf.c - RFC 7208 checks: libspf2 evaluates, our resolver answers
 *
 * Each check gets a libspf2 server whose DNS layer is ours (struct
 * spf_eval rides in the layer's hook).  libspf2 calls three hooks:
 *
 *   get_spf  the record of the checked domain, of an include and of a
 *            redirect: we select it ourselves (RFC 7208 4.5) and compile
 *            it with SPF_record_compile();
 *   get_exp  explanations: never fetched (see spf.h);
 *   lookup   every A, AAAA, MX and PTR question.
 *
 * The lookup hook tells the terms of RFC 7208 4.6.4 from the address
 * lookups they cause: an MX or PTR answer leaves its names "pending", and
 * an A/AAAA question for a pending name is such a follow-up; any other
 * A/AAAA question is an "a" or "exists" term.  libspf2 asks with
 * should_cache false only for "exists" and for the %{p} macro's PTR
 * validation (libspf2 1.2.10 spf_interpret.c, spf_dns.c), which is not a
 * term.  To stop an evaluation that broke a limit, the hook answers
 * TRY_AGAIN from then on (libspf2 then ends at once with temperror) and
 * the result is turned into permerror here.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>

#include "auth/spf.h"
#include "auth/zone.h"

#define SPF_NAME_BUF   (RESOLVER_NAME_MAX + 2)
#define SPF_ZERO_LABEL "z--0" /* see spf_record_check() */

struct spf_ctx {
	struct resolver *res;
};

/* why an evaluation was stopped by a limit */
enum spf_abort {
	SPF_ABORT_NONE,
	SPF_ABORT_TERMS,
	SPF_ABORT_VOID,
	SPF_ABORT_MX,
	SPF_ABORT_ANSWER
};

/* the outcome of fetching the checked domain's own record */
enum spf_top {
	SPF_TOP_PENDING,
	SPF_TOP_OK,
	SPF_TOP_NONE,
	SPF_TOP_TEMPERROR,
	SPF_TOP_PERMERROR
};

/* what a DNS question is for */
enum spf_role {
	SPF_ROLE_TERM,	   /* a, mx, ptr, exists: counts as a term */
	SPF_ROLE_MX_ADDR,  /* address of an MX name */
	SPF_ROLE_PTR_ADDR, /* address of a PTR name (ptr term) */
	SPF_ROLE_P	   /* %{p}: PTR and addresses, not a term */
};

/* The state of one evaluation */
struct spf_eval {
	struct resolver *res;
	int af; /* the client's address */
	unsigned char addr[16];
	char ivalue[72]; /* %{i}: dotted quad or 32 dotted nibbles */
	int fetched;	 /* the first record was asked for */
	int terms;
	int voids;
	enum spf_abort abort;
	enum spf_top top;
	char why[SPF_NAME_BUF + 64]; /* reason detail */
	enum spf_role pend_role;     /* of the pending names */
	int pend_zero;		     /* their addresses match any client */
	size_t npend;
	char pend[SPF_PTR_MAX][SPF_NAME_BUF];
};

static void spf_oom(void) __attribute__((noreturn));

static void
spf_oom(void)
{
	abort(); /* STYLE.md 5 */
}

/* spf_result_str - RFC 8601 2.7.2 result words */
const char *
spf_result_str(enum spf_result r)
{
	switch (r) {
	case SPF_RES_NONE:
		return "none";
	case SPF_RES_NEUTRAL:
		return "neutral";
	case SPF_RES_PASS:
		return "pass";
	case SPF_RES_FAIL:
		return "fail";
	case SPF_RES_SOFTFAIL:
		return "softfail";
	case SPF_RES_TEMPERROR:
		return "temperror";
	case SPF_RES_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* spf_ctx_new - the context only remembers the resolver */
int
spf_ctx_new(struct resolver *res, struct spf_ctx **ctx_r, char *err,
    size_t errlen)
{
	struct spf_ctx *ctx;

	*ctx_r = NULL;
	if (res == NULL) {
		(void)snprintf(err, errlen, "spf: no resolver");
		return -1;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		spf_oom();
	ctx->res = res;
	*ctx_r = ctx;
	return 0;
}

/* spf_ctx_free - accepts NULL and clears the pointer */
void
spf_ctx_free(struct spf_ctx **ctxp)
{
	if (ctxp == NULL || *ctxp == NULL)
		return;
	free(*ctxp);
	*ctxp = NULL;
}

/* spf_why - remember the first reason detail of an evaluation */
static void __attribute__((format(printf, 2, 3)))
spf_why(struct spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->why[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(ev->why, sizeof(ev->why), fmt, ap);
	va_end(ap);
}

static void
spf_abort_eval(struct spf_eval *ev, enum spf_abort why)
{
	if (ev->abort == SPF_ABORT_NONE)
		ev->abort = why;
}

static SPF_dns_rr_t *
spf_rr_new(SPF_dns_server_t *dns, const char *domain, ns_type type,
    unsigned int ttl, SPF_dns_stat_t herrno)
{
	SPF_dns_rr_t *rr;

	rr = SPF_dns_rr_new_init(dns, domain, type,
	    ttl > 86400 ? 86400 : (int)ttl, herrno);
	if (rr == NULL)
		spf_oom();
	return rr;
}

/* spf_rr_fill - copy our answer into libspf2's record set */
static void
spf_rr_fill(SPF_dns_rr_t *rr, ns_type type, const struct resolver_answer *ans,
    size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = type == ns_t_a	? sizeof(struct in_addr)
		    : type == ns_t_aaaa ? sizeof(struct in6_addr)
					: ans->rr[i].len + 1;
		if (SPF_dns_rr_buf_realloc(rr, (int)i, len) != SPF_E_SUCCESS)
			spf_oom();
		if (type == ns_t_a)
			memcpy(&rr->rr[i]->a, ans->rr[i].data, 4);
		else if (type == ns_t_aaaa)
			memcpy(&rr->rr[i]->aaaa, ans->rr[i].data, 16);
		else /* MX, PTR: a NUL-terminated name */
			memcpy(rr->rr[i]->ptr, ans->rr[i].data, len);
	}
	rr->num_rr = (int)n;
}

/* spf_pend_set - the names of an MX or PTR answer, awaiting addresses */
static void
spf_pend_set(struct spf_eval *ev, enum spf_role role, int zero,
    const struct resolver_answer *ans, size_t n)
{
	size_t i;

	ev->npend = 0;
	ev->pend_role = role;
	ev->pend_zero = zero;
	for (i = 0; i < n && ev->npend < SPF_PTR_MAX; i++)
		if (zone_name_canon((const char *)ans->rr[i].data,
			ev->pend[ev->npend], sizeof(ev->pend[0])) == 0)
			ev->npend++;
}

/* spf_pend_take - is this canonical name pending?  Consumes it. */
static int
spf_pend_take(struct spf_eval *ev, const char *canon)
{
	size_t i;

	for (i = 0; i < ev->npend; i++) {
		if (strcmp(ev->pend[i], canon) != 0)
			continue;
		if (i != ev->npend - 1)
			memcpy(ev->pend[i], ev->pend[ev->npend - 1],
			    sizeof(ev->pend[i]));
		ev->npend--;
		return 1;
	}
	return 0;
}

/* spf_is_spf1 - RFC 7208 4.5: "v=spf1" then a space or the end */
static int
spf_is_spf1(const unsigned char *p, size_t len)
{
	return len >= 6 && strncasecmp((const char *)p, "v=spf1", 6) == 0 &&
	    (len == 6 || p[6] == ' ');
}

/*
 * The record syntax of RFC 7208 12 (ABNF), checked in full before libspf2
 * sees a record: libspf2 lets many errors through (unknown modifier
 * syntax, a domain-spec without a top label, a CIDR with a leading zero,
 * "exp" twice, bad macros) and refuses a valid prefix length of 0, which
 * it cannot represent.  The record handed on is rewritten:
 *   - unknown modifiers and exp= are dropped (they change no result, and
 *     explanations are not fetched);
 *   - redirect= goes last, or is dropped when an "all" is present
 *     (RFC 7208 6.1);
 *   - ip4:N/0 and ip6:N/0 become the two halves of the address space;
 *   - a prefix length of 0 on a or mx for the other address family than
 *     the client's is dropped (it cannot matter); for the client's family
 *     the target gets the label SPF_ZERO_LABEL appended, which the DNS
 *     hook removes again, answering "the client's address" when any
 *     address exists (RFC 7208 5.3, 5.4 with a /0 mask).  A record author
 *     who wrote that label himself only gets the /0 he could have asked
 *     for.
 */

struct spf_sbuf {
	char *p;
	size_t len, cap;
};

/* spf_sbuf_add - append (s, n); -1 if it does not fit */
static int
spf_sbuf_add(struct spf_sbuf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
spf_sbuf_str(struct spf_sbuf *b, const char *s)
{
	return spf_sbuf_add(b, s, strlen(s));
}

static int
spf_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
spf_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * spf_macro_string - RFC 7208 7.1 macro-string; exp_letters allows the
 * letters c, r and t (exp text and unknown modifiers only).  *ends_macro
 * tells whether the string ends with a macro-expand.
 */
static int
spf_macro_string(const char *p, size_t len, int exp_letters, int *ends_macro)
{
	size_t i = 0, nd;
	int c, v;

	*ends_macro = 0;
	while (i < len) {
		c = (unsigned char)p[i];
		if (c != '%') {
			/* macro-literal: visible characters except "%" */
			if (c < 0x21 || c > 0x7e)
				return -1;
			*ends_macro = 0;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		c = (unsigned char)p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			*ends_macro = 1;
			i += 2;
			continue;
		}
		if (c != '{' || i + 2 >= len)
			return -1;
		i += 2;
		c = p[i] | 0x20; /* letters are case-insensitive */
		if (strchr("slodiphv", c) == NULL &&
		    !(exp_letters && strchr("crt", c) != NULL))
			return -1;
		i++;
		/* transformers: *DIGIT [ "r" ]; a DIGIT of 0 is invalid */
		for (nd = 0, v = 0; i < len && spf_digit(p[i]); i++, nd++)
			if (nd < 4)
				v = v * 10 + (p[i] - '0');
		if (nd > 0 && v == 0)
			return -1;
		if (i < len && (p[i] | 0x20) == 'r')
			i++;
		while (i < len && strchr(".-+,/_=", p[i]) != NULL)
			i++;
		if (i >= len || p[i] != '}')
			return -1;
		i++;
		*ends_macro = 1;
	}
	return 0;
}

/* spf_toplabel - RFC 7208 7.1 toplabel: LDH, not all digits */
static int
spf_toplabel(const char *p, size_t len)
{
	size_t i;
	int alpha = 0, dash = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (spf_alpha(p[i]))
			alpha = 1;
		else if (p[i] == '-')
			dash = 1;
		else if (!spf_digit(p[i]))
			return 0;
	}
	if (dash)
		return p[0] != '-' && p[len - 1] != '-';
	return alpha;
}

/* spf_domain_spec - macro-string domain-end (RFC 7208 7.1) */
static int
spf_domain_spec(const char *p, size_t len)
{
	size_t end, i;
	int ends_macro;

	if (len == 0 || spf_macro_string(p, len, 0, &ends_macro) == -1)
		return -1;
	if (ends_macro)
		return 0;
	/* "." toplabel [ "." ] */
	end = p[len - 1] == '.' ? len - 1 : len;
	for (i = end; i > 0 && p[i - 1] != '.'; i--)
		;
	if (i == 0 || !spf_toplabel(p + i, end - i))
		return -1;
	return 0;
}

/* spf_cidr - "/" ("0" / %x31-39 *DIGIT) up to max (RFC 7208 5.6) */
static int
spf_cidr(const char *p, size_t len, int max, int *v)
{
	size_t i;

	if (len < 2 || len > 4 || p[0] != '/' || (p[1] == '0' && len > 2))
		return -1;
	for (*v = 0, i = 1; i < len; i++) {
		if (!spf_digit(p[i]))
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

/* spf_ip4_network - four qnum without leading zeros (RFC 7208 12) */
static int
spf_ip4_network(const char *p, size_t len)
{
	size_t i = 0, n;
	int part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		/* stop after 4 digits: more is refused, and v cannot overflow */
		for (n = 0, v = 0; i < len && spf_digit(p[i]) && n < 4;
		     i++, n++)
			v = v * 10 + (p[i] - '0');
		if (n == 0 || n > 3 || v > 255 || (n > 1 && p[i - n] == '0'))
			return -1;
	}
	return i == len ? 0 : -1;
}

static int
spf_ip6_network(const char *p, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1 ? 0 : -1;
}

/* spf_dual_cidr - split [ "/" n ] [ "//" m ] off the end of an a/mx term */
static int
spf_dual_cidr(const char *p, size_t *len, int *c4, int *c6)
{
	size_t n = *len, i;

	*c4 = *c6 = -1;
	/* a trailing "//" DIGITS is the IPv6 length */
	for (i = n; i > 0 && spf_digit(p[i - 1]); i--)
		;
	if (i >= 2 && p[i - 1] == '/' && p[i - 2] == '/') {
		if (spf_cidr(p + i - 1, n - i + 1, 128, c6) == -1)
			return -1;
		n = i - 2;
		for (i = n; i > 0 && spf_digit(p[i - 1]); i--)
			;
	}
	/* then a "/" DIGITS is the IPv4 length */
	if (i >= 1 && p[i - 1] == '/') {
		if (spf_cidr(p + i - 1, n - i + 1, 32, c4) == -1)
			return -1;
		n = i - 1;
	}
	*len = n;
	return 0;
}

static const char *const spf_mech_names[] = {"all", "include", "a", "mx", "ptr",
    "ip4", "ip6", "exists", NULL};

enum {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS
};

/* spf_term_mech - one directive; appends its rewrite to out */
static int
spf_term_mech(const char *t, size_t len, int af, struct spf_sbuf *out,
    int *has_all, const char **errstr_r)
{
	const char *rest;
	size_t i, nlen, rlen, dlen;
	char q[2] = {0, 0};
	int m, c4, c6, zero, v;

	if (strchr("+-?~", t[0]) != NULL) {
		q[0] = t[0];
		t++;
		len--;
	}
	for (nlen = 0; nlen < len && t[nlen] != ':' && t[nlen] != '/'; nlen++)
		;
	for (m = 0; spf_mech_names[m] != NULL; m++)
		if (strlen(spf_mech_names[m]) == nlen &&
		    strncasecmp(t, spf_mech_names[m], nlen) == 0)
			break;
	if (spf_mech_names[m] == NULL) {
		*errstr_r = "unknown mechanism";
		return -1;
	}
	rest = t + nlen;
	rlen = len - nlen;
	*errstr_r = "syntax error"; /* until proven otherwise */
	switch (m) {
	case SPF_M_ALL:
		if (rlen != 0)
			return -1;
		*has_all = 1;
		break;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (rlen < 1 || rest[0] != ':' ||
		    spf_domain_spec(rest + 1, rlen - 1) == -1)
			return -1;
		break;
	case SPF_M_PTR:
		if (rlen != 0 &&
		    (rest[0] != ':' ||
			spf_domain_spec(rest + 1, rlen - 1) == -1))
			return -1;
		break;
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (rlen < 2 || rest[0] != ':')
			return -1;
		for (i = 1; i < rlen && rest[i] != '/'; i++)
			;
		if ((m == SPF_M_IP4 ? spf_ip4_network(rest + 1, i - 1)
				    : spf_ip6_network(rest + 1, i - 1)) == -1)
			return -1;
		if (i < rlen &&
		    spf_cidr(rest + i, rlen - i, m == SPF_M_IP4 ? 32 : 128,
			&v) == -1)
			return -1;
		if (i < rlen && v == 0) {
			/* all of one family: the two halves */
			*errstr_r = NULL;
			if (spf_sbuf_str(out, " ") || spf_sbuf_str(out, q) ||
			    spf_sbuf_str(out,
				m == SPF_M_IP4 ? "ip4:0.0.0.0/1 "
					       : "ip6:::/1 ") ||
			    spf_sbuf_str(out, q))
				return -1;
			return spf_sbuf_str(out,
			    m == SPF_M_IP4 ? "ip4:128.0.0.0/1"
					   : "ip6:8000::/1");
		}
		break;
	case SPF_M_A:
	case SPF_M_MX:
		dlen = rlen;
		if (spf_dual_cidr(rest, &dlen, &c4, &c6) == -1)
			return -1;
		if (dlen != 0 &&
		    (rest[0] != ':' ||
			spf_domain_spec(rest + 1, dlen - 1) == -1))
			return -1;
		zero =
		    (af == AF_INET && c4 == 0) || (af == AF_INET6 && c6 == 0);
		if (c4 == 0)
			c4 = -1;
		if (c6 == 0)
			c6 = -1;
		*errstr_r = NULL;
		if (spf_sbuf_str(out, " ") || spf_sbuf_str(out, q) ||
		    spf_sbuf_str(out, spf_mech_names[m]))
			return -1;
		if (zero) {
			if (dlen == 0
				? spf_sbuf_str(out, ":%{d}")
				: spf_sbuf_add(out, rest,
				      rest[dlen - 1] == '.' ? dlen - 1 : dlen))
				return -1;
			if (spf_sbuf_str(out, "." SPF_ZERO_LABEL))
				return -1;
		} else if (spf_sbuf_add(out, rest, dlen) == -1)
			return -1;
		if (c4 > 0) {
			char cb[16];

			(void)snprintf(cb, sizeof(cb), "/%d", c4);
			if (spf_sbuf_str(out, cb))
				return -1;
		}
		if (c6 > 0) {
			char cb[16];

			(void)snprintf(cb, sizeof(cb), "//%d", c6);
			if (spf_sbuf_str(out, cb))
				return -1;
		}
		return 0;
	}
	*errstr_r = NULL;
	if (spf_sbuf_str(out, " ") || spf_sbuf_str(out, q) ||
	    spf_sbuf_add(out, t, len))
		return -1;
	return 0;
}

struct spf_macro_vals;
static int spf_record_rewrite(const char *txt, size_t len, int af,
    const struct spf_macro_vals *mv, char *out, size_t outsize,
    const char **errstr_r);

/* The values of the macro letters, for spf_fix_truncation() */
struct spf_macro_vals {
	const char *v[26]; /* by letter; NULL: unknown */
};

/*
 * spf_fix_truncation - libspf2 1.2.10 (spf_expand.c) drops the first
 * character of a macro value when a DIGIT transformer asks for at least
 * as many parts as the value has ("%{d2}" of "example.com" gives
 * "xample.com").  RFC 7208 7.3 then uses all parts: where the value is
 * known here, such a DIGIT is removed, which libspf2 gets right.  Works
 * in place on the checked record (only valid macros are left in it).
 */
static void
spf_fix_truncation(struct spf_sbuf *b, const struct spf_macro_vals *mv)
{
	char *p = b->p, *end = b->p + b->len, *digits, *q;
	const char *val, *delims;
	size_t ndig, dots, n;

	while (p < end) {
		if (*p != '%') {
			p++;
			continue;
		}
		if (p + 1 < end && p[1] != '{') {
			p += 2; /* "%%", "%_", "%-" */
			continue;
		}
		if (p + 2 >= end || (p[2] | 0x20) < 'a' || (p[2] | 0x20) > 'z')
			break; /* cannot happen: the record was checked */
		val = mv->v[(p[2] | 0x20) - 'a'];
		digits = p + 3;
		for (q = digits, n = 0; q < end && spf_digit(*q); q++)
			n = n < 1000 ? n * 10 + (size_t)(*q - '0') : n;
		ndig = (size_t)(q - digits);
		if (q < end && (*q | 0x20) == 'r')
			q++;
		delims = q;
		while (q < end && *q != '}')
			q++;
		if (ndig > 0 && val != NULL) {
			/* libspf2 counts dots after turning delimiters to
			 * dots ('.' when none is given) */
			for (dots = 0; *val != '\0'; val++)
				if (*val == '.' ||
				    (delims < q &&
					memchr(delims, *val,
					    (size_t)(q - delims))))
					dots++;
			if (dots < n) {
				memmove(digits, digits + ndig,
				    (size_t)(end - digits - ndig) + 1);
				end -= ndig;
				b->len -= ndig;
				q -= ndig;
			}
		}
		p = q + 1;
	}
}

/* spf_record_check - see spf.h */
int
spf_record_check(const char *txt, size_t len, int af, char *out, size_t outsize,
    const char **errstr_r)
{
	return spf_record_rewrite(txt, len, af, NULL, out, outsize, errstr_r);
}

/* spf_count_terms - the terms of a rewritten record after "v=spf1" */
static size_t
spf_count_terms(const char *rec)
{
	size_t n = 0;
	int in = 0;

	for (; *rec != '\0'; rec++) {
		if (*rec == ' ')
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n > 0 ? n - 1 : 0; /* the version is no term */
}

/* spf_record_rewrite - spf_record_check() with the macro values known */
static int
spf_record_rewrite(const char *txt, size_t len, int af,
    const struct spf_macro_vals *mv, char *out, size_t outsize,
    const char **errstr_r)
{
	struct spf_sbuf b = {out, 0, outsize};
	const char *t, *end = txt + len, *redirect = NULL, *eq;
	size_t tlen, nlen, rdlen = 0, i;
	int has_all = 0, nexp = 0, ends_macro;

	*errstr_r = "syntax error";
	if (outsize == 0)
		return -1;
	out[0] = '\0';
	if (!spf_is_spf1((const unsigned char *)txt, len) ||
	    spf_sbuf_str(&b, "v=spf1") == -1)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)txt[i] < 0x20 ||
		    (unsigned char)txt[i] > 0x7e) {
			*errstr_r = "invalid character";
			return -1;
		}
	for (t = txt + 6;; t += tlen) {
		/* terms = *( 1*SP ( directive / modifier ) ) *SP */
		while (t < end && *t == ' ')
			t++;
		if (t == end)
			break;
		for (tlen = 0; t + tlen < end && t[tlen] != ' '; tlen++)
			;
		*errstr_r = "syntax error";
		for (nlen = 0; nlen < tlen && strchr("=:/", t[nlen]) == NULL;
		     nlen++)
			;
		if (nlen == tlen || t[nlen] != '=') {
			if (spf_term_mech(t, tlen, af, &b, &has_all,
				errstr_r) == -1) {
				if (*errstr_r == NULL)
					*errstr_r = "record too long";
				return -1;
			}
			continue;
		}
		/* modifier: name "=" ... (RFC 7208 6, 12) */
		eq = t + nlen;
		if (nlen == 0 || !spf_alpha(t[0])) {
			*errstr_r = "invalid modifier name";
			return -1;
		}
		for (i = 1; i < nlen; i++)
			if (!spf_alpha(t[i]) && !spf_digit(t[i]) &&
			    strchr("-_.", t[i]) == NULL) {
				*errstr_r = "invalid modifier name";
				return -1;
			}
		if (nlen == 8 && strncasecmp(t, "redirect", 8) == 0) {
			/* RFC 7208 6: at most once each */
			if (redirect != NULL ||
			    spf_domain_spec(eq + 1, tlen - nlen - 1) == -1) {
				*errstr_r = redirect != NULL
				    ? "redirect= given twice"
				    : "invalid redirect= domain";
				return -1;
			}
			redirect = eq + 1;
			rdlen = tlen - nlen - 1;
		} else if (nlen == 3 && strncasecmp(t, "exp", 3) == 0) {
			if (nexp++ > 0 ||
			    spf_domain_spec(eq + 1, tlen - nlen - 1) == -1) {
				*errstr_r = nexp > 1 ? "exp= given twice"
						     : "invalid exp= domain";
				return -1;
			}
		} else if (spf_macro_string(eq + 1, tlen - nlen - 1, 1,
			       &ends_macro) == -1) {
			*errstr_r = "invalid macro in modifier";
			return -1;
		}
	}
	/* RFC 7208 6.1: redirect applies only when no "all" is present */
	if (redirect != NULL && !has_all &&
	    (spf_sbuf_str(&b, " redirect=") == -1 ||
		spf_sbuf_add(&b, redirect, rdlen) == -1)) {
		*errstr_r = "record too long";
		return -1;
	}
	if (mv != NULL)
		spf_fix_truncation(&b, mv);
	*errstr_r = NULL;
	return 0;
}

/* spf_void - one more void lookup; 0, or -1 past the limit */
static int
spf_void(struct spf_eval *ev)
{
	/* RFC 7208 4.6.4: at most 2 lookups answering NXDOMAIN or no data */
	if (++ev->voids > SPF_VOID_MAX) {
		spf_abort_eval(ev, SPF_ABORT_VOID);
		return -1;
	}
	return 0;
}

/* spf_dns_lookup - libspf2's DNS layer: one question through resolver.h */
static SPF_dns_rr_t *
spf_dns_lookup(SPF_dns_server_t *dns, const char *domain, ns_type type,
    int should_cache)
{
	struct spf_eval *ev = dns->hook;
	struct resolver_answer *ans = NULL;
	enum spf_role role;
	char canon[SPF_NAME_BUF];
	SPF_dns_rr_t *rr;
	size_t n, len;
	int valid, zero;

	if (ev->abort != SPF_ABORT_NONE)
		return spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
	/* RFC 7208 3.1: the SPF RR type is not used any more */
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx &&
	    type != ns_t_ptr)
		return spf_rr_new(dns, domain, type, 0, NO_DATA);
	valid = domain != NULL &&
	    zone_name_canon(domain, canon, sizeof(canon)) == 0;
	zero = 0;
	if (valid && (len = strlen(canon)) > sizeof(SPF_ZERO_LABEL) &&
	    strcmp(canon + len - sizeof(SPF_ZERO_LABEL), "." SPF_ZERO_LABEL) ==
		0) {
		/* a prefix length of 0 (spf_record_check()) */
		canon[len - sizeof(SPF_ZERO_LABEL)] = '\0';
		zero = 1;
	}
	if (type == ns_t_mx)
		role = SPF_ROLE_TERM; /* NOLINT(bugprone-branch-clone) */
	else if (type == ns_t_ptr)
		role = should_cache ? SPF_ROLE_TERM : SPF_ROLE_P;
	else if (valid && spf_pend_take(ev, canon)) {
		role = ev->pend_role;
		zero = ev->pend_zero;
	} else
		role = SPF_ROLE_TERM; /* "a" or "exists" */
	if (role == SPF_ROLE_TERM && ++ev->terms > SPF_DNS_TERMS_MAX) {
		/* RFC 7208 4.6.4: at most 10 terms that query DNS */
		spf_abort_eval(ev, SPF_ABORT_TERMS);
		return spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
	}
	if (type == ns_t_ptr)
		ev->npend = 0;
	if (!valid) /* cannot be asked: does not exist */
		return spf_rr_new(dns, domain, type, 0, HOST_NOT_FOUND);

	(void)resolver_query(ev->res, canon, (int)type, &ans);
	switch (ans->status) {
	case RESOLVER_OK:
		n = ans->nrr;
		if (type == ns_t_mx && n > SPF_MX_MAX) {
			/* RFC 7208 4.6.4: the mx term is a permerror */
			spf_abort_eval(ev, SPF_ABORT_MX);
			spf_why(ev, "%.100s", canon);
			rr = spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
			break;
		}
		/* RFC 7208 4.6.4: PTR names past the 10th are ignored */
		if (type == ns_t_ptr && n > SPF_PTR_MAX)
			n = SPF_PTR_MAX;
		rr = spf_rr_new(dns, domain, type, ans->ttl, NETDB_SUCCESS);
		if (zero && n > 0 &&
		    type == (ev->af == AF_INET ? ns_t_a : ns_t_aaaa)) {
			/* any address matches a /0 mask: say the client's */
			memcpy(ans->rr[0].data, ev->addr,
			    type == ns_t_a ? 4 : 16);
			n = 1;
		}
		spf_rr_fill(rr, type, ans, n);
		if (type == ns_t_mx)
			spf_pend_set(ev, SPF_ROLE_MX_ADDR, zero, ans, n);
		else if (type == ns_t_ptr)
			spf_pend_set(ev,
			    role == SPF_ROLE_P ? SPF_ROLE_P : SPF_ROLE_PTR_ADDR,
			    0, ans, n);
		break;
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA:
		/* RFC 7208 4.6.4 counts terms whose query is void, not the
		 * address lookups of MX and PTR names */
		if (role == SPF_ROLE_TERM && spf_void(ev) == -1)
			rr = spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
		else
			rr = spf_rr_new(dns, domain, type, ans->ttl,
			    ans->status == RESOLVER_NXDOMAIN ? HOST_NOT_FOUND
							     : NO_DATA);
		break;
	case RESOLVER_TEMPFAIL:
		/* RFC 7208 5.5: a DNS error on the PTR query makes ptr not
		 * match, one on the address of a PTR name skips that name */
		if (type == ns_t_ptr || role == SPF_ROLE_PTR_ADDR ||
		    role == SPF_ROLE_P) {
			rr = spf_rr_new(dns, domain, type, 0, HOST_NOT_FOUND);
			break;
		}
		spf_why(ev, "DNS %s for %.100s", ans->why ? ans->why : "error",
		    canon);
		rr = spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
		break;
	case RESOLVER_INVALID:
	default:
		/* PTR data belongs to the client, not to the sender whose
		 * record is evaluated: skip it, as for a DNS error */
		if (type == ns_t_ptr || role != SPF_ROLE_TERM) {
			rr = spf_rr_new(dns, domain, type, 0, HOST_NOT_FOUND);
			break;
		}
		spf_abort_eval(ev, SPF_ABORT_ANSWER);
		spf_why(ev, "%.100s", canon);
		rr = spf_rr_new(dns, domain, type, 0, TRY_AGAIN);
		break;
	}
	resolver_answer_free(&ans);
	return rr;
}

/* spf_macro_vals_init - the macro values of RFC 7208 7.3 but "p" */
static void
spf_macro_vals_init(struct spf_eval *ev, const SPF_request_t *req,
    struct spf_macro_vals *mv)
{
	memset(mv, 0, sizeof(*mv));
	mv->v['s' - 'a'] = req->env_from;
	mv->v['l' - 'a'] = req->env_from_lp;
	mv->v['o' - 'a'] = req->env_from_dp;
	mv->v['d' - 'a'] = req->cur_dom;
	mv->v['h' - 'a'] = req->helo_dom;
	mv->v['v' - 'a'] = ev->af == AF_INET ? "in-addr" : "ip6";
	mv->v['i' - 'a'] = ev->ivalue;
}

/*
 * spf_get_spf - find and compile the record of spf_request->cur_dom
 * (RFC 7208 4.4, 4.5).  Errors other than SPF_E_DNS_ERROR make libspf2
 * return permerror for an include or redirect; for the checked domain
 * itself the outcome is kept in ev->top.
 */
static SPF_errcode_t
spf_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recordp)
{
	struct spf_eval *ev = server->resolver->hook;
	struct resolver_answer *ans = NULL;
	char canon[SPF_NAME_BUF], *rewritten;
	const char *text = NULL, *errstr;
	struct spf_macro_vals mv;
	size_t i, nfound = 0, len = 0, nterms;
	SPF_errcode_t err;
	int top;

	*recordp = NULL;
	top = !ev->fetched;
	ev->fetched = 1;
	if (ev->abort != SPF_ABORT_NONE)
		return SPF_E_BIG_DNS;
	/* include and redirect are terms (RFC 7208 4.6.4) */
	if (!top && ++ev->terms > SPF_DNS_TERMS_MAX) {
		spf_abort_eval(ev, SPF_ABORT_TERMS);
		return SPF_E_BIG_DNS;
	}
	if (req->cur_dom == NULL ||
	    zone_name_canon(req->cur_dom, canon, sizeof(canon)) == -1) {
		/* RFC 7208 4.3 (checked domain) and 6.1 (target) */
		ev->top = top ? SPF_TOP_NONE : ev->top;
		spf_why(ev, "invalid domain name");
		return SPF_E_NOT_SPF;
	}
	(void)resolver_query(ev->res, canon, RESOLVER_T_TXT, &ans);
	switch (ans->status) {
	case RESOLVER_OK:
		break;
	case RESOLVER_TEMPFAIL:
		if (top)
			ev->top = SPF_TOP_TEMPERROR;
		spf_why(ev, "DNS %s for %.100s", ans->why ? ans->why : "error",
		    canon);
		resolver_answer_free(&ans);
		return SPF_E_DNS_ERROR;
	case RESOLVER_NXDOMAIN:
	case RESOLVER_NODATA:
		if (top)
			ev->top = SPF_TOP_NONE;
		else if (spf_void(ev) == -1) {
			resolver_answer_free(&ans);
			return SPF_E_BIG_DNS;
		}
		spf_why(ev, "no SPF record at %.100s", canon);
		resolver_answer_free(&ans);
		return SPF_E_NOT_SPF;
	case RESOLVER_INVALID:
	default:
		if (top)
			ev->top = SPF_TOP_PERMERROR;
		spf_why(ev, "bad DNS answer for %.100s", canon);
		resolver_answer_free(&ans);
		return SPF_E_NOT_SPF;
	}
	for (i = 0; i < ans->nrr; i++) {
		if (!spf_is_spf1(ans->rr[i].data, ans->rr[i].len))
			continue;
		nfound++;
		text = (const char *)ans->rr[i].data;
		len = ans->rr[i].len;
	}
	if (nfound != 1) {
		/* RFC 7208 4.5: none is "none", several are a permerror */
		if (top)
			ev->top =
			    nfound == 0 ? SPF_TOP_NONE : SPF_TOP_PERMERROR;
		spf_why(ev, "%s SPF record%s at %.100s",
		    nfound == 0 ? "no" : "multiple", nfound == 0 ? "" : "s",
		    canon);
		resolver_answer_free(&ans);
		return nfound == 0 ? SPF_E_NOT_SPF : SPF_E_MULTIPLE_RECORDS;
	}
	/* RFC 7208 12: the whole syntax, before libspf2 sees it; the
	 * rewrite grows a term to at most 4 times its length */
	if ((rewritten = reallocarray(NULL, len + 16, 4)) == NULL)
		spf_oom();
	spf_macro_vals_init(ev, req, &mv);
	if (spf_record_rewrite(text, len, ev->af, &mv, rewritten,
		(len + 16) * 4, &errstr) == -1) {
		if (top)
			ev->top = SPF_TOP_PERMERROR;
		spf_why(ev, "SPF record at %.100s: %s", canon, errstr);
		free(rewritten);
		resolver_answer_free(&ans);
		return SPF_E_SYNTAX;
	}
	nterms = spf_count_terms(rewritten);
	err = SPF_record_compile(server, resp, recordp, rewritten);
	free(rewritten);
	if (err == SPF_E_SUCCESS && *recordp != NULL &&
	    (size_t)(*recordp)->num_mech + (*recordp)->num_mod != nterms) {
		/*
		 * libspf2 1.2.10 drops the terms that do not fit its 511-byte
		 * compiled form (about 25 ip6 or 63 ip4 terms) and reports
		 * success: evaluating the rest would give the wrong answer
		 * (neutral for a record that ends in -all), so it is refused.
		 */
		SPF_record_free(*recordp);
		*recordp = NULL;
		if (top)
			ev->top = SPF_TOP_PERMERROR;
		spf_why(ev,
		    "SPF record at %.100s: %zu terms, more than libspf2 can "
		    "hold",
		    canon, nterms);
		resolver_answer_free(&ans);
		return SPF_E_BIG_MECH;
	}
	if (err != SPF_E_SUCCESS) {
		if (*recordp != NULL) {
			SPF_record_free(*recordp);
			*recordp = NULL;
		}
		if (top)
			ev->top = SPF_TOP_PERMERROR;
		spf_why(ev, "SPF record at %.100s: %s", canon,
		    SPF_strerror(err));
		resolver_answer_free(&ans);
		return err == SPF_E_DNS_ERROR ? SPF_E_SYNTAX : err;
	}
	if (top)
		ev->top = SPF_TOP_OK;
	resolver_answer_free(&ans);
	return SPF_E_SUCCESS;
}

/* spf_get_exp - explanations are not fetched (see spf.h) */
static SPF_errcode_t
spf_get_exp(SPF_server_t *server, const char *domain, char **bufp,
    size_t *buflenp)
{
	(void)server;
	(void)domain;
	(void)bufp;
	(void)buflenp;
	return SPF_E_NOT_CONFIG;
}

/*
 * spf_domain_ok - RFC 7208 4.3: a well-formed multi-label domain name;
 * an address literal or a name with blanks or non-ASCII octets is not.
 */
static int
spf_domain_ok(const char *name, char *canon, size_t canonsize)
{
	size_t i;

	canon[0] = '\0';
	if (name == NULL || name[0] == '[' ||
	    zone_name_canon(name, canon, canonsize) == -1) {
		canon[0] = '\0';
		return 0;
	}
	for (i = 0; canon[i] != '\0'; i++)
		if ((unsigned char)canon[i] <= 0x20 ||
		    (unsigned char)canon[i] >= 0x7f)
			return 0;
	return strchr(canon, '.') != NULL;
}

/* spf_done - fill *out */
static int __attribute__((format(printf, 3, 4)))
spf_done(struct spf_check *out, enum spf_result r, const char *fmt, ...)
{
	va_list ap;

	out->result = r;
	va_start(ap, fmt);
	(void)vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* spf_map - libspf2's response and our limits -> *out */
static void
spf_map(const struct spf_eval *ev, SPF_response_t *resp, const char *ip,
    struct spf_check *out)
{
	const char *d = out->domain;

	switch (ev->abort) {
	case SPF_ABORT_TERMS:
		(void)spf_done(out, SPF_RES_PERMERROR,
		    "more than 10 DNS lookups, RFC 7208 4.6.4");
		return;
	case SPF_ABORT_VOID:
		(void)spf_done(out, SPF_RES_PERMERROR,
		    "more than 2 void lookups, RFC 7208 4.6.4");
		return;
	case SPF_ABORT_MX:
		(void)spf_done(out, SPF_RES_PERMERROR,
		    "more than 10 MX records at %s, RFC 7208 4.6.4", ev->why);
		return;
	case SPF_ABORT_ANSWER:
		(void)spf_done(out, SPF_RES_PERMERROR, "bad DNS answer for %s",
		    ev->why);
		return;
	case SPF_ABORT_NONE:
		break;
	}
	switch (ev->top) {
	case SPF_TOP_PENDING:
	case SPF_TOP_NONE:
		(void)spf_done(out, SPF_RES_NONE, "%s",
		    ev->why[0] != '\0' ? ev->why : "no SPF record");
		return;
	case SPF_TOP_TEMPERROR:
		(void)spf_done(out, SPF_RES_TEMPERROR, "%s", ev->why);
		return;
	case SPF_TOP_PERMERROR:
		(void)spf_done(out, SPF_RES_PERMERROR, "%s", ev->why);
		return;
	case SPF_TOP_OK:
		break;
	}
	switch (resp != NULL ? SPF_response_result(resp) : SPF_RESULT_INVALID) {
	case SPF_RESULT_PASS:
		(void)spf_done(out, SPF_RES_PASS, "%s is authorized by %.100s",
		    ip, d);
		break;
	case SPF_RESULT_FAIL:
		(void)spf_done(out, SPF_RES_FAIL,
		    "%s is not authorized by %.100s", ip, d);
		break;
	case SPF_RESULT_SOFTFAIL:
		(void)spf_done(out, SPF_RES_SOFTFAIL,
		    "%s is not authorized by %.100s (softfail)", ip, d);
		break;
	case SPF_RESULT_NEUTRAL:
		(void)spf_done(out, SPF_RES_NEUTRAL,
		    "%.100s makes no statement about %s", d, ip);
		break;
	case SPF_RESULT_NONE:
		(void)spf_done(out, SPF_RES_NONE, "no SPF record for %.100s",
		    d);
		break;
	case SPF_RESULT_TEMPERROR:
		(void)spf_done(out, SPF_RES_TEMPERROR, "%s",
		    ev->why[0] != '\0' ? ev->why : "temporary DNS failure");
		break;
	case SPF_RESULT_PERMERROR:
		if (ev->why[0] != '\0')
			(void)spf_done(out, SPF_RES_PERMERROR, "%s", ev->why);
		else
			(void)spf_done(out, SPF_RES_PERMERROR,
			    "SPF record of %.80s: %s", d,
			    SPF_strerror(SPF_response_errcode(resp)));
		break;
	case SPF_RESULT_INVALID:
	default:
		(void)spf_done(out, SPF_RES_PERMERROR, "evaluation failed");
		break;
	}
}

/* spf_eval_run - one evaluation with a fresh libspf2 server */
static int
spf_eval_run(struct spf_ctx *ctx, int af, const void *addr, const char *ip,
    const char *helo, const char *mailfrom, int use_helo, struct spf_check *out)
{
	SPF_dns_server_t *dns;
	SPF_server_t *server;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	struct spf_eval *ev;
	SPF_errcode_t e;
	int i;

	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (dns = calloc(1, sizeof(*dns))) == NULL)
		spf_oom();
	ev->res = ctx->res;
	ev->af = af;
	memcpy(ev->addr, addr, af == AF_INET ? 4 : 16);
	if (af == AF_INET)
		(void)strlcpy(ev->ivalue, ip, sizeof(ev->ivalue));
	else
		for (i = 0; i < 16; i++)
			(void)snprintf(ev->ivalue + 4 * i, 5, "%x.%x.",
			    ev->addr[i] >> 4, ev->addr[i] & 0xf);
	ev->ivalue[63] = '\0'; /* no final dot (RFC 7208 7.3) */
	dns->lookup = spf_dns_lookup;
	dns->get_spf = spf_get_spf;
	dns->get_exp = spf_get_exp;
	dns->name = "resolver";
	dns->hook = ev; /* destroy stays NULL: freed here, not by libspf2 */
	if ((server = SPF_server_new_dns(dns, 0)) == NULL)
		spf_oom();
	SPF_server_set_max_dns_mech(server, SPF_DNS_TERMS_MAX);
	SPF_server_set_max_dns_mx(server, SPF_MX_MAX);
	SPF_server_set_max_dns_ptr(server, SPF_PTR_MAX);
	if ((req = SPF_request_new(server)) == NULL)
		spf_oom();
	if (af == AF_INET)
		e = SPF_request_set_ipv4(req, *(const struct in_addr *)addr);
	else
		e = SPF_request_set_ipv6(req, *(const struct in6_addr *)addr);
	/* the helo name first: an empty MAIL FROM then uses it */
	if (e == SPF_E_SUCCESS)
		e = SPF_request_set_helo_dom(req, helo != NULL ? helo : "");
	if (e == SPF_E_SUCCESS &&
	    SPF_request_set_env_from(req, use_helo ? "" : mailfrom) != 0)
		e = SPF_E_NO_MEMORY;
	req->use_helo = use_helo ? 1 : 0;
	req->use_local_policy = 0; /* no local or trusted-forwarder
					 * policy, ever */
	if (e == SPF_E_SUCCESS)
		(void)SPF_request_query_mailfrom(req, &resp);
	if (e != SPF_E_SUCCESS)
		(void)spf_done(out, SPF_RES_TEMPERROR, "libspf2: %s",
		    SPF_strerror(e));
	else if (resp != NULL &&
	    SPF_response_reason(resp) == SPF_REASON_LOCALHOST)
		/* never reached (checked before), but never a pass */
		(void)spf_done(out, SPF_RES_NONE,
		    "loopback client not evaluated");
	else
		spf_map(ev, resp, ip, out);
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(server);
	free(dns);
	free(ev);
	return e == SPF_E_SUCCESS ? 0 : -1;
}

/* spf_check - the common path of both identities */
static int
spf_check(struct spf_ctx *ctx, const char *client_ip, const char *helo,
    const char *mailfrom, int use_helo, struct spf_check *out)
{
	struct in_addr a4, lit4;
	struct in6_addr a6, lit6;
	const char *at, *dom;
	char ip[INET6_ADDRSTRLEN];
	int af;

	memset(out, 0, sizeof(*out));
	if (strlcpy(out->scope, use_helo ? "helo" : "mfrom",
		sizeof(out->scope)) >= sizeof(out->scope))
		return -1;
	if (client_ip != NULL && inet_pton(AF_INET, client_ip, &a4) == 1)
		af = AF_INET;
	else if (client_ip != NULL &&
	    inet_pton(AF_INET6, client_ip, &a6) == 1) {
		af = AF_INET6;
		/* RFC 7208 5: an IPv4-mapped address is IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], 4);
			af = AF_INET;
		}
	} else {
		(void)spf_done(out, SPF_RES_TEMPERROR,
		    "invalid client address");
		return -1;
	}
	if (inet_ntop(af, af == AF_INET ? (void *)&a4 : (void *)&a6, ip,
		sizeof(ip)) == NULL)
		return -1;

	/* the domain: RFC 7208 2.3 (HELO), 2.4 (MAIL FROM or postmaster@HELO),
	 * 4.3 (no local-part: postmaster) */
	if (use_helo || mailfrom == NULL || mailfrom[0] == '\0')
		dom = helo;
	else if ((at = strrchr(mailfrom, '@')) != NULL)
		dom = at + 1;
	else
		dom = mailfrom;

	/* libspf2 passes every loopback client: evaluate none instead */
	if ((af == AF_INET && (ntohl(a4.s_addr) >> 24) == 127) ||
	    (af == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6))) {
		(void)spf_domain_ok(dom, out->domain, sizeof(out->domain));
		return spf_done(out, SPF_RES_NONE,
		    "loopback client not evaluated");
	}
	if (dom != NULL &&
	    (inet_pton(AF_INET, dom, &lit4) == 1 ||
		inet_pton(AF_INET6, dom, &lit6) == 1))
		return spf_done(out, SPF_RES_NONE,
		    "domain is an address literal");
	/* RFC 7208 4.3: a malformed or single-label domain: none */
	if (!spf_domain_ok(dom, out->domain, sizeof(out->domain)))
		return spf_done(out, SPF_RES_NONE, "invalid domain name");
	return spf_eval_run(ctx, af, af == AF_INET ? (void *)&a4 : (void *)&a6,
	    ip, helo, mailfrom != NULL ? mailfrom : "", use_helo, out);
}

/* spf_check_mfrom - RFC 7208 2.4 */
int
spf_check_mfrom(struct spf_ctx *ctx, const char *client_ip, const char *helo,
    const char *mailfrom, struct spf_check *out)
{
	return spf_check(ctx, client_ip, helo, mailfrom, 0, out);
}

/* spf_check_helo - RFC 7208 2.3 */
int
spf_check_helo(struct spf_ctx *ctx, const char *client_ip, const char *helo,
    struct spf_check *out)
{
	return spf_check(ctx, client_ip, helo, "", 1, out);
}
