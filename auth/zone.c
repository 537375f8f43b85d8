/*
 * zone.c - load a zone file into sorted arrays and answer queries from it
 *
 * The RRs are kept in one array sorted by (owner, type, file order), so a
 * query is a binary search.  A second sorted array holds every owner name
 * and all of its ancestors: a name found there but owning no RR is an
 * empty non-terminal (NODATA, RFC 8020).  The ancestors are suffixes of
 * the owner strings, so that array allocates no strings of its own.
 *
 * UNSAFE: the tokenizer walks the text with pointers; every step checks
 * the end of the line first.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/zone.h"

#define ZONE_TTL_MAX	 2147483647 /* RFC 2181 8: 31 bits */
#define ZONE_CSTRING_MAX 255	    /* RFC 1035 3.3: one length octet */
#define ZONE_RDATA_MAX	 65535	    /* RFC 1035 3.2.1: RDLENGTH is 16 bits */
#define ZONE_RR_MAX	 (4 * 1024 * 1024) /* RRs in one file: memory bound */
#define ZONE_NAME_BUF	 (RESOLVER_NAME_MAX + 2)

struct zone_rr {
	char *name; /* lower case, no trailing dot */
	unsigned short type;
	unsigned short pref; /* MX */
	unsigned int ttl;
	size_t seq; /* file order, keeps sorting stable */
	size_t len;
	unsigned char *data; /* len bytes plus a NUL */
};

struct zone_fault {
	char *name;
	int type;    /* 0: ANY */
	int timeout; /* 1: $TIMEOUT, 0: $SERVFAIL */
};

struct zone {
	struct zone_rr *rr;
	size_t nrr;
	const char **names; /* owners and ancestors, sorted, unique */
	size_t nnames;
	struct zone_fault *fault;
	size_t nfault;
};

/* The parser state for one file */
struct zone_parse {
	struct zone *z;
	size_t rrcap, faultcap;
	const char *label;
	size_t lineno;
	unsigned int ttl;	   /* $TTL */
	char owner[ZONE_NAME_BUF]; /* of the previous RR */
	char *err;
	size_t errlen;
};

struct zone_tok {
	const char *p;
	size_t len;
	int quoted;
};

static const struct {
	const char *name;
	int type;
} zone_types[] = {
    {"A", RESOLVER_T_A},
    {"NS", RESOLVER_T_NS},
    {"CNAME", RESOLVER_T_CNAME},
    {"PTR", RESOLVER_T_PTR},
    {"MX", RESOLVER_T_MX},
    {"TXT", RESOLVER_T_TXT},
    {"AAAA", RESOLVER_T_AAAA},
    {"SPF", RESOLVER_T_SPF},
};

/* zone_oom - out of memory: abort (STYLE.md 5) */
static void zone_oom(void) __attribute__((noreturn));

static void
zone_oom(void)
{
	abort();
}

static void *
zone_xreallocarray(void *p, size_t n, size_t size)
{
	void *np;

	if ((np = reallocarray(p, n, size)) == NULL)
		zone_oom();
	return np;
}

static char *
zone_xstrdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		zone_oom();
	return d;
}

/* zone_errorf - format "LABEL:LINE: message" into the caller's buffer */
static void __attribute__((format(printf, 2, 3)))
zone_errorf(struct zone_parse *zp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (zp->errlen > 0)
		(void)snprintf(zp->err, zp->errlen, "%s:%zu: %s", zp->label,
		    zp->lineno, msg);
}

/* zone_error - zone_errorf(), then -1: a macro, so that the -1 is seen
 * where it is returned (the static analyzer does not follow variadic
 * functions, and took each "return zone_error(...)" for any value) */
#define zone_error(...) (zone_errorf(__VA_ARGS__), -1)

/*
 * zone_name_check - validate a domain name given as (p, len) and copy it,
 * without its trailing dot, into buf (ASCII lower case if lower is set).
 * Names are raw octets between dots: RFC 1035 2.3.4 labels of 1 to 63
 * octets, at most 253 in all.  RFC 2181 11 allows any octet in a label,
 * and SPF macros (RFC 7208 7.3) put spaces and "%" there; control octets
 * are refused, and a NUL cannot occur.
 */
static int
zone_name_check(const char *p, size_t len, char *buf, size_t bufsize, int lower)
{
	size_t i, lablen;
	unsigned char c;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > RESOLVER_NAME_MAX || len >= bufsize)
		return -1;
	lablen = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '.') {
			if (lablen == 0)
				return -1;
			lablen = 0;
		} else {
			if (c < 0x20 || c == 0x7f)
				return -1;
			if (++lablen > 63)
				return -1;
		}
		buf[i] =
		    lower && c >= 'A' && c <= 'Z' ? (char)(c + 32) : (char)c;
	}
	if (lablen == 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

/* zone_name_canon - validate and lower-case a query name (see zone.h) */
int
zone_name_canon(const char *name, char *buf, size_t bufsize)
{
	if (name == NULL)
		return -1;
	return zone_name_check(name, strnlen(name, RESOLVER_NAME_MAX + 2), buf,
	    bufsize, 1);
}

/* zone_tok_next - the next token of a line; 0 at the end or a comment */
static int
zone_tok_next(struct zone_parse *zp, const char **cur, const char *end,
    struct zone_tok *tok)
{
	const char *p = *cur;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == ';') {
		*cur = end;
		return 0;
	}
	if (*p == '"') {
		tok->p = ++p;
		tok->quoted = 1;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end)
				p++;
			p++;
		}
		if (p >= end)
			return zone_error(zp, "unterminated string");
		tok->len = (size_t)(p - tok->p);
		*cur = p + 1;
		return 1;
	}
	tok->p = p;
	tok->quoted = 0;
	while (p < end && *p != ' ' && *p != '\t' && *p != ';' && *p != '"') {
		if (*p == '\\' && p + 1 < end)
			p++;
		p++;
	}
	tok->len = (size_t)(p - tok->p);
	*cur = p;
	return 1;
}

/* zone_tok_word - copy a bare token into buf for keyword matching */
static int
zone_tok_word(const struct zone_tok *tok, char *buf, size_t bufsize)
{
	if (tok->quoted || tok->len >= bufsize)
		return -1;
	memcpy(buf, tok->p, tok->len);
	buf[tok->len] = '\0';
	return 0;
}

static int
zone_tok_is_number(const struct zone_tok *tok)
{
	size_t i;

	if (tok->quoted || tok->len == 0)
		return 0;
	for (i = 0; i < tok->len; i++)
		if (tok->p[i] < '0' || tok->p[i] > '9')
			return 0;
	return 1;
}

/* zone_tok_uint - a decimal token in [0, max] */
static int
zone_tok_uint(const struct zone_tok *tok, long long max, long long *v)
{
	char buf[24];
	const char *errstr;

	if (!zone_tok_is_number(tok) || zone_tok_word(tok, buf, sizeof(buf)))
		return -1;
	*v = strtonum(buf, 0, max, &errstr);
	return errstr == NULL ? 0 : -1;
}

static int
zone_type_lookup(const struct zone_tok *tok)
{
	char buf[16];
	size_t i;

	if (zone_tok_word(tok, buf, sizeof(buf)) == -1)
		return -1;
	for (i = 0; i < sizeof(zone_types) / sizeof(zone_types[0]); i++)
		if (strcasecmp(buf, zone_types[i].name) == 0)
			return zone_types[i].type;
	return -1;
}

/*
 * zone_cstring - decode one <character-string> (RFC 1035 5.1: \X is X,
 * \DDD is the octet DDD) and append it to out at *outlen, which may not
 * grow past limit.
 */
static int
zone_cstring(struct zone_parse *zp, const struct zone_tok *tok,
    unsigned char *out, size_t *outlen, size_t limit)
{
	size_t i, n = 0;
	unsigned char c;
	int v;

	for (i = 0; i < tok->len; i++) {
		c = (unsigned char)tok->p[i];
		if (c == '\\') {
			if (i + 1 >= tok->len)
				return zone_error(zp, "bad escape");
			c = (unsigned char)tok->p[++i];
			if (c >= '0' && c <= '9') {
				if (i + 2 >= tok->len || tok->p[i + 1] < '0' ||
				    tok->p[i + 1] > '9' ||
				    tok->p[i + 2] < '0' || tok->p[i + 2] > '9')
					return zone_error(zp, "bad escape");
				v = (c - '0') * 100 +
				    (tok->p[i + 1] - '0') * 10 +
				    (tok->p[i + 2] - '0');
				if (v > 255)
					return zone_error(zp, "bad escape");
				c = (unsigned char)v;
				i += 2;
			}
		}
		if (n >= ZONE_CSTRING_MAX)
			return zone_error(zp, "string longer than 255 octets");
		if (*outlen + n >= limit)
			return zone_error(zp, "rdata longer than 65535 octets");
		out[*outlen + n++] = c;
	}
	*outlen += n;
	return 0;
}

/* zone_add_rr - append one RR; data is copied with a NUL after it */
static void
zone_add_rr(struct zone_parse *zp, const char *owner, int type,
    unsigned int ttl, unsigned short pref, const void *data, size_t len)
{
	struct zone *z = zp->z;
	struct zone_rr *rr;

	if (z->nrr == zp->rrcap) {
		zp->rrcap = zp->rrcap ? zp->rrcap * 2 : 64;
		z->rr = zone_xreallocarray(z->rr, zp->rrcap, sizeof(*z->rr));
	}
	rr = &z->rr[z->nrr];
	rr->name = zone_xstrdup(owner);
	rr->type = (unsigned short)type;
	rr->pref = pref;
	rr->ttl = ttl;
	rr->seq = z->nrr;
	rr->len = len;
	rr->data = zone_xreallocarray(NULL, len + 1, 1);
	if (len > 0)
		memcpy(rr->data, data, len);
	rr->data[len] = '\0';
	z->nrr++;
}

/*
 * zone_tok_name - a name token of the file, with the RFC 1035 5.1 escapes
 * \X and \DDD for octets such as blanks.  An escaped dot would be a dot
 * inside a label, which raw names cannot hold: refused.  "@" (the origin)
 * and relative names would need $ORIGIN, which is not supported.
 */
static int
zone_tok_name(const struct zone_tok *tok, char *buf, size_t bufsize, int lower)
{
	char raw[ZONE_NAME_BUF + 1];
	size_t i, n = 0;
	int v;

	if (tok->quoted || (tok->len == 1 && tok->p[0] == '@'))
		return -1;
	/* the root "." stands for no name (RFC 7505 null MX) */
	if (tok->len == 1 && tok->p[0] == '.' && !lower) {
		buf[0] = '\0';
		return 0;
	}
	for (i = 0; i < tok->len; i++) {
		if (n >= sizeof(raw))
			return -1;
		if (tok->p[i] != '\\') {
			raw[n++] = tok->p[i];
			continue;
		}
		if (++i >= tok->len)
			return -1;
		if (tok->p[i] >= '0' && tok->p[i] <= '9') {
			if (i + 2 >= tok->len || tok->p[i + 1] < '0' ||
			    tok->p[i + 1] > '9' || tok->p[i + 2] < '0' ||
			    tok->p[i + 2] > '9')
				return -1;
			v = (tok->p[i] - '0') * 100 +
			    (tok->p[i + 1] - '0') * 10 + (tok->p[i + 2] - '0');
			if (v > 255 || v == '.' || v == 0)
				return -1;
			raw[n++] = (char)v;
			i += 2;
		} else if (tok->p[i] == '.')
			return -1;
		else
			raw[n++] = tok->p[i];
	}
	return zone_name_check(raw, n, buf, bufsize, lower);
}

/* zone_rdata_name - one name token as rdata: case kept, no trailing dot */
static int
zone_rdata_name(struct zone_parse *zp, const char **cur, const char *end,
    char *buf, size_t bufsize)
{
	struct zone_tok tok;
	int r;

	if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
		return r == 0 ? zone_error(zp, "missing name") : -1;
	if (zone_tok_name(&tok, buf, bufsize, 0) == -1)
		return zone_error(zp, "bad name \"%.*s\"",
		    (int)(tok.len > 64 ? 64 : tok.len), tok.p);
	return 0;
}

/* zone_line_end - nothing but a comment may follow the rdata */
static int
zone_line_end(struct zone_parse *zp, const char **cur, const char *end)
{
	struct zone_tok tok;
	int r;

	if ((r = zone_tok_next(zp, cur, end, &tok)) == 0)
		return 0;
	if (r == -1)
		return -1;
	return zone_error(zp, "trailing garbage \"%.*s\"",
	    (int)(tok.len > 32 ? 32 : tok.len), tok.p);
}

/* zone_rdata - parse the rdata of one RR and add it */
static int
zone_rdata(struct zone_parse *zp, const char *owner, int type, unsigned int ttl,
    const char **cur, const char *end)
{
	struct zone_tok tok;
	char addr[64], name[ZONE_NAME_BUF];
	unsigned char bin[16], *txt;
	long long pref = 0;
	size_t txtlen, nstr;
	int r;

	switch (type) {
	case RESOLVER_T_A:
	case RESOLVER_T_AAAA:
		if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
			return r == 0 ? zone_error(zp, "missing address") : -1;
		if (zone_tok_word(&tok, addr, sizeof(addr)) == -1 ||
		    inet_pton(type == RESOLVER_T_A ? AF_INET : AF_INET6, addr,
			bin) != 1)
			return zone_error(zp, "bad %s address \"%.*s\"",
			    type == RESOLVER_T_A ? "IPv4" : "IPv6",
			    (int)(tok.len > 64 ? 64 : tok.len), tok.p);
		if (zone_line_end(zp, cur, end) == -1)
			return -1;
		zone_add_rr(zp, owner, type, ttl, 0, bin,
		    type == RESOLVER_T_A ? 4 : 16);
		return 0;
	case RESOLVER_T_MX:
		if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
			return r == 0 ? zone_error(zp, "missing preference")
				      : -1;
		if (zone_tok_uint(&tok, 65535, &pref) == -1)
			return zone_error(zp, "bad MX preference");
		/* FALLTHROUGH */
	case RESOLVER_T_PTR:
	case RESOLVER_T_CNAME:
	case RESOLVER_T_NS:
		if (zone_rdata_name(zp, cur, end, name, sizeof(name)) == -1 ||
		    zone_line_end(zp, cur, end) == -1)
			return -1;
		if (name[0] == '\0' && type != RESOLVER_T_MX)
			return zone_error(zp, "bad name \".\"");
		zone_add_rr(zp, owner, type, ttl, (unsigned short)pref, name,
		    strlen(name));
		return 0;
	case RESOLVER_T_TXT:
	case RESOLVER_T_SPF:
		/* RFC 1035 3.3.14: one or more <character-string>s; the
		 * RDLENGTH counts a length octet per string */
		txt = zone_xreallocarray(NULL, ZONE_RDATA_MAX, 1);
		txtlen = 0;
		nstr = 0;
		while ((r = zone_tok_next(zp, cur, end, &tok)) == 1) {
			/* this string's length octet must fit, too */
			if (txtlen + nstr + 1 > ZONE_RDATA_MAX) {
				free(txt);
				return zone_error(zp,
				    "rdata longer than 65535 octets");
			}
			if (zone_cstring(zp, &tok, txt, &txtlen,
				ZONE_RDATA_MAX - nstr - 1) == -1) {
				free(txt);
				return -1;
			}
			nstr++;
		}
		if (r == -1 || nstr == 0) {
			free(txt);
			return r == -1 ? -1 : zone_error(zp, "missing text");
		}
		zone_add_rr(zp, owner, type, ttl, 0, txt, txtlen);
		free(txt);
		return 0;
	}
	return zone_error(zp, "unknown type");
}

/* zone_fault_add - $SERVFAIL NAME TYPE or $TIMEOUT NAME TYPE */
static int
zone_fault_add(struct zone_parse *zp, int timeout, const char **cur,
    const char *end)
{
	struct zone *z = zp->z;
	struct zone_tok tok;
	char name[ZONE_NAME_BUF], word[16];
	int r, type;

	if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
		return r == 0 ? zone_error(zp, "missing name") : -1;
	if (zone_tok_name(&tok, name, sizeof(name), 1) == -1)
		return zone_error(zp, "bad name \"%.*s\"",
		    (int)(tok.len > 64 ? 64 : tok.len), tok.p);
	if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
		return r == 0 ? zone_error(zp, "missing type") : -1;
	if (zone_tok_word(&tok, word, sizeof(word)) == 0 &&
	    strcasecmp(word, "ANY") == 0)
		type = 0;
	else if ((type = zone_type_lookup(&tok)) == -1)
		return zone_error(zp, "unknown type \"%.*s\"",
		    (int)(tok.len > 32 ? 32 : tok.len), tok.p);
	if (zone_line_end(zp, cur, end) == -1)
		return -1;
	if (z->nfault == zp->faultcap) {
		zp->faultcap = zp->faultcap ? zp->faultcap * 2 : 16;
		z->fault = zone_xreallocarray(z->fault, zp->faultcap,
		    sizeof(*z->fault));
	}
	z->fault[z->nfault].name = zone_xstrdup(name);
	z->fault[z->nfault].type = type;
	z->fault[z->nfault].timeout = timeout;
	z->nfault++;
	return 0;
}

/* zone_directive - a line starting with "$" */
static int
zone_directive(struct zone_parse *zp, const char **cur, const char *end)
{
	struct zone_tok tok;
	char word[16];
	long long ttl;
	int r;

	if (zone_tok_next(zp, cur, end, &tok) != 1 ||
	    zone_tok_word(&tok, word, sizeof(word)) == -1)
		return zone_error(zp, "unknown directive");
	if (strcasecmp(word, "$TTL") == 0) {
		if ((r = zone_tok_next(zp, cur, end, &tok)) <= 0)
			return r == 0 ? zone_error(zp, "missing TTL") : -1;
		if (zone_tok_uint(&tok, ZONE_TTL_MAX, &ttl) == -1)
			return zone_error(zp, "bad TTL");
		zp->ttl = (unsigned int)ttl;
		return zone_line_end(zp, cur, end);
	}
	if (strcasecmp(word, "$SERVFAIL") == 0)
		return zone_fault_add(zp, 0, cur, end);
	if (strcasecmp(word, "$TIMEOUT") == 0)
		return zone_fault_add(zp, 1, cur, end);
	return zone_error(zp, "unknown directive \"%s\"", word);
}

/* zone_line - parse one line (without its newline) */
static int
zone_line(struct zone_parse *zp, const char *line, size_t len)
{
	const char *cur = line, *end = line + len;
	struct zone_tok tok;
	char owner[ZONE_NAME_BUF], word[16];
	long long v;
	unsigned int ttl = zp->ttl;
	int r, type, have_ttl = 0, have_class = 0;

	if (len > 0 && line[0] == '$')
		return zone_directive(zp, &cur, end);
	if ((r = zone_tok_next(zp, &cur, end, &tok)) <= 0)
		return r; /* blank or comment line */
	if (line[0] == ' ' || line[0] == '\t') {
		/* RFC 1035 5.1: a blank owner is the previous one */
		if (zp->owner[0] == '\0')
			return zone_error(zp, "no owner name");
		if (strlcpy(owner, zp->owner, sizeof(owner)) >= sizeof(owner))
			return zone_error(zp, "bad name");
	} else {
		if (zone_tok_name(&tok, owner, sizeof(owner), 1) == -1)
			return zone_error(zp, "bad name \"%.*s\"",
			    (int)(tok.len > 64 ? 64 : tok.len), tok.p);
		if (strlcpy(zp->owner, owner, sizeof(zp->owner)) >=
		    sizeof(zp->owner))
			return zone_error(zp, "bad name");
		/* strlcpy() into zp->owner makes the analyzer lose zp->z, which
		 * is not leaked: NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if ((r = zone_tok_next(zp, &cur, end, &tok)) <= 0)
			return r == 0 ? zone_error(zp, "missing type") : -1;
	}
	/* RFC 1035 5.1: [<TTL>] [<class>] or [<class>] [<TTL>] */
	for (;;) {
		if (!have_ttl && zone_tok_is_number(&tok)) {
			if (zone_tok_uint(&tok, ZONE_TTL_MAX, &v) == -1)
				return zone_error(zp, "bad TTL");
			ttl = (unsigned int)v;
			have_ttl = 1;
		} else if (!have_class &&
		    zone_tok_word(&tok, word, sizeof(word)) == 0 &&
		    (strcasecmp(word, "IN") == 0 ||
			strcasecmp(word, "CH") == 0 ||
			strcasecmp(word, "HS") == 0)) {
			if (strcasecmp(word, "IN") != 0)
				return zone_error(zp, "unsupported class %s",
				    word);
			have_class = 1;
		} else
			break;
		if ((r = zone_tok_next(zp, &cur, end, &tok)) <= 0)
			return r == 0 ? zone_error(zp, "missing type") : -1;
	}
	if ((type = zone_type_lookup(&tok)) == -1)
		return zone_error(zp, "unknown type \"%.*s\"",
		    (int)(tok.len > 32 ? 32 : tok.len), tok.p);
	if (zp->z->nrr >= ZONE_RR_MAX)
		return zone_error(zp, "too many RRs");
	return zone_rdata(zp, owner, type, ttl, &cur, end);
}

static int
zone_rr_cmp(const void *a, const void *b)
{
	const struct zone_rr *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
zone_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
zone_fault_cmp(const void *a, const void *b)
{
	const struct zone_fault *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return (x->type > y->type) - (x->type < y->type);
}

/* zone_index - sort the RRs and build the set of existing names */
static void
zone_index(struct zone *z)
{
	const char *p;
	size_t i, n, cap = 0;

	if (z->nrr > 0)
		qsort(z->rr, z->nrr, sizeof(*z->rr), zone_rr_cmp);
	if (z->nfault > 0)
		qsort(z->fault, z->nfault, sizeof(*z->fault), zone_fault_cmp);
	for (i = 0; i < z->nrr; i++) {
		/* a name is never NULL (zone_add_rr()); the analyzer took the
		 * "p != NULL" of the loop below for a test of the name:
		 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		if (i > 0 && strcmp(z->rr[i].name, z->rr[i - 1].name) == 0)
			continue;
		/* the owner and each ancestor below the root */
		for (p = z->rr[i].name; p != NULL;
		     p = (p = strchr(p, '.')) ? p + 1 : NULL) {
			if (z->nnames == cap) {
				cap = cap ? cap * 2 : 64;
				z->names = zone_xreallocarray(z->names, cap,
				    sizeof(*z->names));
			}
			z->names[z->nnames++] = p;
		}
	}
	if (z->nnames == 0)
		return;
	qsort(z->names, z->nnames, sizeof(*z->names), zone_str_cmp);
	for (i = 1, n = 1; i < z->nnames; i++)
		if (strcmp(z->names[i], z->names[n - 1]) != 0)
			z->names[n++] = z->names[i];
	z->nnames = n;
}

/* zone_load_mem - parse a zone held in memory (see zone.h) */
int
zone_load_mem(const char *text, size_t len, const char *label,
    struct zone **z_r, char *err, size_t errlen)
{
	struct zone_parse zp;
	const char *p = text, *end = text + len, *eol;
	size_t linelen;

	*z_r = NULL;
	memset(&zp, 0, sizeof(zp));
	if (errlen > 0)
		err[0] = '\0';
	zp.err = err;
	zp.errlen = errlen;
	zp.label = label != NULL ? label : "(zone)";
	zp.ttl = ZONE_TTL_DEFAULT;
	if ((zp.z = calloc(1, sizeof(*zp.z))) == NULL)
		zone_oom();
	while (p < end) {
		zp.lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		linelen = (size_t)(eol - p);
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (linelen > ZONE_LINE_MAX) {
			(void)zone_error(&zp, "line too long");
			goto fail;
		}
		if (memchr(p, '\0', linelen) != NULL) {
			(void)zone_error(&zp, "NUL byte");
			goto fail;
		}
		if (zone_line(&zp, p, linelen) == -1)
			goto fail;
		p = eol < end ? eol + 1 : end;
	}
	zone_index(zp.z);
	*z_r = zp.z;
	return 0;
fail:
	zone_free(&zp.z);
	return -1;
}

/* zone_load - read a zone file and parse it */
int
zone_load(const char *path, struct zone **z_r, char *err, size_t errlen)
{
	struct stat st;
	char *buf, eb[128];
	size_t len = 0;
	ssize_t n;
	int fd, r;

	*z_r = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    strerror_r(errno, eb, sizeof(eb)));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    strerror_r(errno, eb, sizeof(eb)));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ZONE_FILE_MAX) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file"
					 : "file too large");
		close(fd);
		return -1;
	}
	buf = zone_xreallocarray(NULL, (size_t)st.st_size + 1, 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)snprintf(err, errlen, "%s: %s", path,
			    n == 0 ? "short read"
				   : strerror_r(errno, eb, sizeof(eb)));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	r = zone_load_mem(buf, len, path, z_r, err, errlen);
	free(buf);
	return r;
}

/* zone_free - free a zone; accepts NULL and clears the pointer */
void
zone_free(struct zone **zp)
{
	struct zone *z;
	size_t i;

	if (zp == NULL || (z = *zp) == NULL)
		return;
	for (i = 0; i < z->nrr; i++) {
		free(z->rr[i].name);
		free(z->rr[i].data);
	}
	for (i = 0; i < z->nfault; i++)
		free(z->fault[i].name);
	free(z->rr);
	free(z->names);
	free(z->fault);
	free(z);
	*zp = NULL;
}

/* zone_rr_first - index of the first RR owned by name, or z->nrr */
static size_t
zone_rr_first(const struct zone *z, const char *name)
{
	size_t lo = 0, hi = z->nrr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(z->rr[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct zone_fault *
zone_fault_find(const struct zone *z, const char *name, int type)
{
	struct zone_fault key;
	const struct zone_fault *f;

	if (z->nfault == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.name = (char *)(uintptr_t)name; /* bsearch key, not written */
	key.type = type;
	if ((f = bsearch(&key, z->fault, z->nfault, sizeof(*z->fault),
		 zone_fault_cmp)) != NULL)
		return f;
	key.type = 0;
	return bsearch(&key, z->fault, z->nfault, sizeof(*z->fault),
	    zone_fault_cmp);
}

static int
zone_name_exists(const struct zone *z, const char *name)
{
	if (z->nnames == 0)
		return 0;
	return bsearch(&name, z->names, z->nnames, sizeof(*z->names),
		   zone_str_cmp) != NULL;
}

/* zone_answer_fill - copy the RRs [lo, hi) of one type into ans */
static enum resolver_status
zone_answer_fill(const struct zone *z, size_t lo, size_t hi, int type,
    struct resolver_answer *ans)
{
	const struct zone_rr *rr;
	size_t i, n = 0, total = 0;

	for (i = lo; i < hi; i++) {
		if (z->rr[i].type != type)
			continue;
		/* resolver.h caps: hostile zones may be huge */
		if (++n > RESOLVER_RR_MAX) {
			ans->why = "too many RRs";
			return ans->status = RESOLVER_INVALID;
		}
		if (z->rr[i].len > RESOLVER_ANSWER_MAX - total) {
			ans->why = "answer too large";
			return ans->status = RESOLVER_INVALID;
		}
		total += z->rr[i].len;
	}
	ans->rr = zone_xreallocarray(NULL, n, sizeof(*ans->rr));
	for (i = lo; i < hi; i++) {
		rr = &z->rr[i];
		if (rr->type != type)
			continue;
		ans->rr[ans->nrr].type = rr->type;
		ans->rr[ans->nrr].pref = rr->pref;
		ans->rr[ans->nrr].len = rr->len;
		ans->rr[ans->nrr].data =
		    zone_xreallocarray(NULL, rr->len + 1, 1);
		memcpy(ans->rr[ans->nrr].data, rr->data, rr->len + 1);
		if (ans->nrr == 0 || rr->ttl < ans->ttl)
			ans->ttl = rr->ttl;
		ans->nrr++;
	}
	return ans->status = RESOLVER_OK;
}

/* zone_query - answer one question from the zone (see zone.h) */
enum resolver_status
zone_query(const struct zone *z, const char *name, int type,
    struct resolver_answer **ans_r)
{
	struct resolver_answer *ans;
	const struct zone_fault *f;
	char cur[ZONE_NAME_BUF];
	size_t lo, hi, i, cname;
	unsigned int chain_ttl = 0;
	int hop;

	if ((ans = calloc(1, sizeof(*ans))) == NULL)
		zone_oom();
	*ans_r = ans;
	if (zone_name_canon(name, cur, sizeof(cur)) == -1) {
		ans->why = "invalid name";
		return ans->status = RESOLVER_INVALID;
	}
	for (hop = 0;; hop++) {
		if ((f = zone_fault_find(z, cur, type)) != NULL) {
			ans->why =
			    f->timeout ? "timeout (zone)" : "SERVFAIL (zone)";
			return ans->status = RESOLVER_TEMPFAIL;
		}
		lo = zone_rr_first(z, cur);
		for (hi = lo; hi < z->nrr && strcmp(z->rr[hi].name, cur) == 0;
		     hi++)
			;
		cname = hi;
		for (i = lo; i < hi; i++) {
			if (z->rr[i].type == type) {
				if (zone_answer_fill(z, lo, hi, type, ans) ==
					RESOLVER_OK &&
				    hop > 0 && chain_ttl < ans->ttl)
					ans->ttl = chain_ttl;
				return ans->status;
			}
			if (z->rr[i].type == RESOLVER_T_CNAME && cname == hi)
				cname = i;
		}
		if (cname == hi) {
			/* RFC 8020: a name with children exists */
			if (lo == hi && !zone_name_exists(z, cur))
				return ans->status = RESOLVER_NXDOMAIN;
			return ans->status = RESOLVER_NODATA;
		}
		/* RFC 1034 3.6.2: restart the query at the CNAME target */
		if (hop >= ZONE_CNAME_MAX) {
			ans->why = "CNAME chain too long";
			return ans->status = RESOLVER_TEMPFAIL;
		}
		if (hop == 0 || z->rr[cname].ttl < chain_ttl)
			chain_ttl = z->rr[cname].ttl;
		if (zone_name_canon((const char *)z->rr[cname].data, cur,
			sizeof(cur)) == -1) {
			ans->why = "invalid CNAME target";
			return ans->status = RESOLVER_INVALID;
		}
	}
}
