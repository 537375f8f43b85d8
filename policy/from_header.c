/*
 * from_header.c - RFC 5322 From: field body -> author domains
 *
 * A lexer turns the field body into tokens (atoms, quoted strings, domain
 * literals and the specials of RFC 5322 3.2.3), stepping over CFWS;
 * a recursive-descent parser with one token of look-ahead follows the
 * address-list grammar of RFC 5322 3.4.  Every byte is looked at a
 * bounded number of times, so the work is linear in the length.
 * Dots are tokens of their own, which gives the obsolete forms with CFWS
 * around dots (RFC 5322 4.4) for free: a comment never ends up inside a
 * domain ("user@(c)victim.example" is victim.example).
 */
#include <ctype.h>
#include <string.h>

#include "policy/from_header.h"
#include "policy/sbuf.h"

enum fh_tok {
	FH_END,	  /* end of input */
	FH_ERR,	  /* lexical error, fh->err says which */
	FH_ATOM,  /* 1*atext, 8-bit bytes included (RFC 6532 3.2) */
	FH_QSTR,  /* quoted-string */
	FH_DLIT,  /* domain-literal "[...]" */
	FH_DOT,	  /* "." */
	FH_LT,	  /* "<" */
	FH_GT,	  /* ">" */
	FH_AT,	  /* "@" */
	FH_COMMA, /* "," */
	FH_COLON, /* ":" */
	FH_SEMI	  /* ";" */
};

struct fh {
	const unsigned char *p; /* the field body */
	size_t len;		/* its length */
	size_t i;		/* next byte to lex */
	enum fh_tok tok;	/* the current token */
	size_t start, end;	/* its text: p[start] .. p[end - 1] */
	const char *err;	/* the first error */
	struct from_domains *fd;
	size_t naddrs; /* mailboxes seen in this header */
};

/* fh_fail - note the first error; always returns -1 */
static int
fh_fail(struct fh *fh, const char *err)
{
	if (fh->err == NULL)
		fh->err = err;
	fh->tok = FH_ERR;
	return -1;
}

/* is_atext - RFC 5322 3.2.3 atext, plus UTF8-non-ascii (RFC 6532 3.2) */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * fh_ws - step over one white space byte or one folding line break
 * (RFC 5322 3.2.2 FWS: CRLF, or a lone LF as milters pass it, followed
 * by WSP; a break at the very end is tolerated).  Returns 1 if it
 * stepped, 0 if p[i] is not white space, -1 on a break that does not fold.
 */
static int
fh_ws(struct fh *fh)
{
	unsigned char c = fh->p[fh->i];
	size_t n;

	if (c == ' ' || c == '\t') {
		fh->i++;
		return 1;
	}
	if (c != '\r' && c != '\n')
		return 0;
	n = 1;
	if (c == '\r') {
		if (fh->i + 1 >= fh->len || fh->p[fh->i + 1] != '\n')
			return fh_fail(fh, "bad line break");
		n = 2;
	}
	if (fh->i + n < fh->len && fh->p[fh->i + n] != ' ' &&
	    fh->p[fh->i + n] != '\t')
		return fh_fail(fh, "bad line break");
	fh->i += n;
	return 1;
}

/* fh_comment - skip a comment, nested ones included (RFC 5322 3.2.2) */
static int
fh_comment(struct fh *fh)
{
	size_t depth = 0;
	unsigned char c;

	while (fh->i < fh->len) {
		c = fh->p[fh->i];
		if (c == '(') {
			depth++;
			fh->i++;
		} else if (c == ')') {
			fh->i++;
			if (--depth == 0)
				return 0;
		} else if (c == '\\') {
			/* quoted-pair; a line break is never escaped */
			fh->i++;
			if (fh->i < fh->len && fh->p[fh->i] != '\r' &&
			    fh->p[fh->i] != '\n')
				fh->i++;
		} else if (c == '\r' || c == '\n') {
			if (fh_ws(fh) < 0)
				return -1;
		} else
			fh->i++; /* ctext, obs-ctext */
	}
	return fh_fail(fh, "unbalanced comment");
}

/* fh_quoted - scan a quoted-string, p[i] == '"' (RFC 5322 3.2.4) */
static int
fh_quoted(struct fh *fh)
{
	unsigned char c;

	fh->i++;
	while (fh->i < fh->len) {
		c = fh->p[fh->i];
		if (c == '"') {
			fh->i++;
			return 0;
		}
		if (c == '\\') {
			fh->i++;
			if (fh->i < fh->len && fh->p[fh->i] != '\r' &&
			    fh->p[fh->i] != '\n')
				fh->i++;
		} else if (c == '\r' || c == '\n') {
			if (fh_ws(fh) < 0)
				return -1;
		} else
			fh->i++; /* qtext, obs-qtext */
	}
	return fh_fail(fh, "unterminated quoted string");
}

/* fh_literal - scan a domain-literal, p[i] == '[' (RFC 5322 3.4.1) */
static int
fh_literal(struct fh *fh)
{
	unsigned char c;

	fh->i++;
	while (fh->i < fh->len) {
		c = fh->p[fh->i];
		if (c == ']') {
			fh->i++;
			return 0;
		}
		if (c == '[')
			break;
		if (c == '\\') {
			fh->i++;
			if (fh->i < fh->len && fh->p[fh->i] != '\r' &&
			    fh->p[fh->i] != '\n')
				fh->i++;
		} else if (c == '\r' || c == '\n') {
			if (fh_ws(fh) < 0)
				return -1;
		} else
			fh->i++;
	}
	return fh_fail(fh, "unterminated domain literal");
}

/* fh_next - skip CFWS and read the next token into fh->tok */
static enum fh_tok
fh_next(struct fh *fh)
{
	unsigned char c;
	int r;

	if (fh->tok == FH_ERR)
		return FH_ERR;
	for (;;) {
		if (fh->i >= fh->len) {
			fh->start = fh->end = fh->i;
			return fh->tok = FH_END;
		}
		c = fh->p[fh->i];
		if (c == '(') {
			if (fh_comment(fh) < 0)
				return FH_ERR;
			continue;
		}
		if (c == ')') {
			fh_fail(fh, "unbalanced comment");
			return FH_ERR;
		}
		if ((r = fh_ws(fh)) < 0)
			return FH_ERR;
		if (r == 0)
			break;
	}
	fh->start = fh->i;
	switch (c) {
	case '.':
		fh->tok = FH_DOT;
		break;
	case '<':
		fh->tok = FH_LT;
		break;
	case '>':
		fh->tok = FH_GT;
		break;
	case '@':
		fh->tok = FH_AT;
		break;
	case ',':
		fh->tok = FH_COMMA;
		break;
	case ':':
		fh->tok = FH_COLON;
		break;
	case ';':
		fh->tok = FH_SEMI;
		break;
	case '"':
		if (fh_quoted(fh) < 0)
			return FH_ERR;
		fh->end = fh->i;
		return fh->tok = FH_QSTR;
	case '[':
		if (fh_literal(fh) < 0)
			return FH_ERR;
		fh->end = fh->i;
		return fh->tok = FH_DLIT;
	default:
		if (is_atext(c)) {
			while (fh->i < fh->len && is_atext(fh->p[fh->i]))
				fh->i++;
			fh->end = fh->i;
			return fh->tok = FH_ATOM;
		}
		fh_fail(fh,
		    c < 0x20 || c == 0x7f ? "control character"
					  : "unexpected character");
		return FH_ERR;
	}
	fh->i++;
	fh->end = fh->i;
	return fh->tok;
}

/* fh_add_domain - append d to fd unless it is there already */
static int
fh_add_domain(struct fh *fh, const char *d)
{
	struct from_domains *fd = fh->fd;
	size_t k;

	for (k = 0; k < fd->n; k++)
		if (strcmp(fd->domain[k], d) == 0)
			return 0;
	if (fd->n >= FROM_DOMAINS_MAX) {
		fd->truncated = 1;
		return fh_fail(fh, "more than 8 author domains");
	}
	if (strlcpy(fd->domain[fd->n], d, sizeof(fd->domain[0])) >=
	    sizeof(fd->domain[0]))
		return fh_fail(fh, "domain too long");
	fd->n++;
	return 0;
}

/*
 * fh_domain - parse the domain of an addr-spec, the current token being
 * its first; record it if record != 0 (a route's domains are only
 * checked).  RFC 5322 3.4.1 domain = dot-atom / domain-literal /
 * obs-domain; RFC 9989 needs a DNS name, so a literal is refused and the
 * labels must be letters, digits, '-', '_' or UTF-8 (RFC 1035 2.3.4 sizes).
 */
static int
fh_domain(struct fh *fh, int record)
{
	char dom[DOMAIN_MAX + 2];
	struct sbuf sb;
	size_t k, n, step;
	unsigned char c;

	if (fh->tok == FH_ERR)
		return -1;
	if (fh->tok == FH_DLIT)
		return fh_fail(fh, "domain literal not allowed");
	if (fh->tok == FH_QSTR || fh->tok == FH_DOT)
		return fh_fail(fh, "bad domain");
	if (fh->tok != FH_ATOM)
		return fh_fail(fh, "address without a domain");
	sbuf_init(&sb, dom, sizeof(dom));
	for (;;) {
		n = fh->end - fh->start;
		if (n > DOMAIN_LABEL_MAX)
			return fh_fail(fh, "label too long");
		for (k = 0; k < n; k += step) {
			c = fh->p[fh->start + k];
			step = 1;
			if (c >= 0x80) {
				step = utf8_len(fh->p + fh->start + k, n - k);
				if (step == 0)
					return fh_fail(fh, "domain not UTF-8");
				sbuf_add(&sb,
				    (const char *)fh->p + fh->start + k, step);
				continue;
			}
			if (!((c >= 'a' && c <= 'z') ||
				(c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '-' || c == '_'))
				return fh_fail(fh, "bad domain");
			sbuf_addc(&sb,
			    c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c);
		}
		if (sb.overflow || sb.len > DOMAIN_MAX)
			return fh_fail(fh, "domain too long");
		if (fh_next(fh) != FH_DOT)
			break;
		if (fh_next(fh) != FH_ATOM) {
			/* one trailing dot, the root, is dropped */
			if (fh->tok == FH_DOT)
				return fh_fail(fh, "bad domain");
			break;
		}
		sbuf_addc(&sb, '.');
	}
	if (fh->tok == FH_ERR)
		return -1;
	if (!record)
		return 0;
	if (++fh->naddrs > FROM_ADDRS_MAX)
		return fh_fail(fh, "too many addresses");
	return fh_add_domain(fh, dom);
}

/*
 * fh_words - read the words and dots that stand before "<", "@" or ":"
 * (a display-name, RFC 5322 obs-phrase, or a local-part, obs-local-part).
 * *nwords_r counts the words; *adjacent_r is set if two words follow each
 * other without a dot, which a local-part may not do.
 */
static void
fh_words(struct fh *fh, size_t *nwords_r, int *adjacent_r)
{
	int last_word = 0;

	*nwords_r = 0;
	*adjacent_r = 0;
	while (fh->tok == FH_ATOM || fh->tok == FH_QSTR || fh->tok == FH_DOT) {
		if (fh->tok == FH_DOT)
			last_word = 0;
		else {
			if (last_word)
				*adjacent_r = 1;
			last_word = 1;
			(*nwords_r)++;
		}
		fh_next(fh);
	}
}

/*
 * fh_addr_spec - the rest of an addr-spec once fh_words() read its
 * local-part (RFC 5322 3.4.1; obs-local-part: a lone or doubled dot is
 * tolerated, as some providers issue such addresses, words without a dot
 * between them are not); the current token is what followed the words.
 */
static int
fh_addr_spec(struct fh *fh, size_t nwords, int adjacent, int in_angle)
{
	if (fh->tok == FH_ERR)
		return -1;
	if (fh->tok != FH_AT) {
		if (in_angle && fh->tok == FH_END)
			return fh_fail(fh, "unterminated angle bracket");
		if (nwords > 0)
			return fh_fail(fh, "address without a domain");
		return fh_fail(fh, "unexpected character");
	}
	if (nwords == 0)
		return fh_fail(fh, "address without a local part");
	if (adjacent)
		return fh_fail(fh, "bad local part");
	fh_next(fh);
	return fh_domain(fh, 1);
}

/*
 * fh_angle - angle-addr, the current token being "<" (RFC 5322 3.4),
 * with the obsolete route of RFC 5322 4.4: "<@a.example,@b.example:u@c>"
 */
static int
fh_angle(struct fh *fh)
{
	size_t nwords;
	int adjacent;

	if (fh_next(fh) == FH_GT)
		return fh_fail(fh, "empty address");
	if (fh->tok == FH_AT) {
		for (;;) {
			fh_next(fh);
			if (fh_domain(fh, 0) < 0)
				return -1;
			while (fh->tok == FH_COMMA)
				fh_next(fh);
			if (fh->tok != FH_AT)
				break;
		}
		if (fh->tok != FH_COLON)
			return fh_fail(fh, "bad route");
		fh_next(fh);
	}
	fh_words(fh, &nwords, &adjacent);
	if (fh_addr_spec(fh, nwords, adjacent, 1) < 0)
		return -1;
	if (fh->tok != FH_GT)
		return fh_fail(fh,
		    fh->tok == FH_END ? "unterminated angle bracket"
				      : "junk after address");
	fh_next(fh);
	return 0;
}

/*
 * fh_address - one mailbox or group (RFC 5322 3.4 address); groups nest
 * only one level deep.  The current token starts it.
 */
static int
fh_address(struct fh *fh, int in_group) /* NOLINT(misc-no-recursion) */
{
	size_t nwords;
	int adjacent;

	fh_words(fh, &nwords, &adjacent);
	switch (fh->tok) {
	case FH_ERR:
		return -1;
	case FH_LT:
		/* name-addr: whatever came first is the display-name */
		return fh_angle(fh);
	case FH_AT:
		/* addr-spec: the words were its local-part */
		if (fh_addr_spec(fh, nwords, adjacent, 0) < 0)
			return -1;
		if (fh->tok == FH_LT)
			return fh_fail(fh, "unquoted '@' in display name");
		return 0;
	case FH_COLON:
		/* RFC 5322 3.4 group, allowed in From: by RFC 6854 */
		if (in_group)
			return fh_fail(fh, "nested group");
		if (nwords == 0)
			return fh_fail(fh, "group without a name");
		fh_next(fh);
		for (;;) {
			if (fh->tok == FH_COMMA) {
				fh_next(fh);
				continue;
			}
			if (fh->tok == FH_SEMI)
				break;
			if (fh->tok == FH_END)
				return fh_fail(fh, "unterminated group");
			if (fh_address(fh, 1) < 0)
				return -1;
			if (fh->tok == FH_COMMA || fh->tok == FH_SEMI)
				continue;
			if (fh->tok == FH_END)
				return fh_fail(fh, "unterminated group");
			return fh_fail(fh, "junk after address");
		}
		fh_next(fh);
		return fh->tok == FH_ERR ? -1 : 0;
	case FH_DLIT:
		return fh_fail(fh, "domain literal not allowed");
	case FH_GT:
		return fh_fail(fh, "unexpected '>'");
	default:
		/* ",", ";" or the end after a phrase: "u2" in "u1@x, u2" */
		if (nwords > 0)
			return fh_fail(fh, "address without a domain");
		return fh_fail(fh, "unexpected character");
	}
}

/* from_domains_init - no domains yet */
void
from_domains_init(struct from_domains *fd)
{
	memset(fd, 0, sizeof(*fd));
}

/* from_header_parse - collect the author domains of one From: field */
int
from_header_parse(const char *value, size_t len, struct from_domains *fd,
    const char **errstr_r)
{
	struct fh fh;

	memset(&fh, 0, sizeof(fh));
	fh.p = (const unsigned char *)value;
	fh.len = len;
	fh.fd = fd;
	fh.tok = FH_END;
	if (len > FROM_HEADER_MAX)
		fh_fail(&fh, "too long");
	else if (len > 0 && memchr(value, '\0', len) != NULL)
		fh_fail(&fh, "NUL byte");
	else
		fh_next(&fh);
	/* RFC 5322 3.6.2 from = "From:" mailbox-list; 4.4 obs-mbox-list */
	while (fh.tok != FH_END && fh.tok != FH_ERR) {
		if (fh.tok == FH_COMMA) {
			fh_next(&fh);
			continue;
		}
		if (fh_address(&fh, 0) < 0)
			break;
		if (fh.tok == FH_COMMA)
			fh_next(&fh);
		else if (fh.tok != FH_END)
			fh_fail(&fh, "junk after address");
	}
	if (fh.err == NULL && fh.naddrs == 0)
		fh_fail(&fh, "no address");
	if (fh.err != NULL) {
		if (errstr_r != NULL)
			*errstr_r = fh.err;
		return -1;
	}
	return 0;
}

/* is_utf8 - the n bytes at s are well-formed UTF-8 (RFC 3629 4) */
static int
is_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k, step;

	for (k = 0; k < n; k += step) {
		step = 1;
		if (u[k] >= 0x80 && (step = utf8_len(u + k, n - k)) == 0)
			return 0;
	}
	return 1;
}

/*
 * from_header_scan - every "@domain" of a From: field that did not parse
 *
 * A sender who cannot get past a domain's policy gains by making its From:
 * unparseable (CVE-2021-34555 shapes such as "ceo@victim.example, u2"),
 * if that turned the verdict into a permerror.  So for such a field the
 * caller evaluates every domain that follows an '@', and the strictest
 * outcome applies.  Candidates are the letters, digits, '-', '_', '.'
 * and 8-bit bytes after the '@', lower-cased, one trailing dot removed;
 * names with an empty or over-long label are skipped, and so are names
 * that are not UTF-8 (RFC 6532 3.2; fh_domain() refuses them too): the
 * caller could not turn one into an A-label and would give up on the
 * whole field, the very downgrade this scan is there to prevent.
 * Returns the number of domains now in fd (at most FROM_DOMAINS_MAX); a
 * further distinct one sets fd->truncated.
 */
size_t
from_header_scan(const char *value, size_t len, struct from_domains *fd)
{
	const unsigned char *p = (const unsigned char *)value;
	char dom[DOMAIN_MAX + 2];
	size_t i, j, n, k, lab;

	if (len > FROM_HEADER_MAX)
		len = FROM_HEADER_MAX;
	for (i = 0; i < len && !fd->truncated; i++) {
		if (p[i] != '@')
			continue;
		n = 0;
		lab = 0;
		for (j = i + 1; j < len; j++) {
			unsigned char c = p[j];

			if (!(isalnum(c) || c == '-' || c == '_' || c == '.' ||
				c >= 0x80))
				break;
			if (n > DOMAIN_MAX) {
				n = 0; /* too long: not a name */
				break;
			}
			if (c == '.') {
				if (lab == 0 || lab > DOMAIN_LABEL_MAX)
					break;
				lab = 0;
			} else
				lab++;
			dom[n++] = (char)(c < 0x80 ? tolower(c) : c);
		}
		if (n > 0 && dom[n - 1] == '.')
			n--;
		if (n == 0 || lab > DOMAIN_LABEL_MAX ||
		    (j < len && p[j] == '.') || !is_utf8(dom, n))
			continue;
		dom[n] = '\0';
		for (k = 0; k < fd->n; k++) {
			if (strcmp(fd->domain[k], dom) == 0)
				break;
		}
		if (k < fd->n)
			continue;
		if (fd->n == FROM_DOMAINS_MAX)
			fd->truncated = 1; /* the caller must not ignore it */
		else if (strlcpy(fd->domain[fd->n], dom,
			     sizeof(fd->domain[0])) < sizeof(fd->domain[0]))
			fd->n++;
	}
	return fd->n;
}
