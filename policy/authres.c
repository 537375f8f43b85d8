/*
 * authres.c - Authentication-Results: write ours, read foreign ones
 *
 * The writer quotes or cleans every string it did not choose itself, so
 * that nothing a sender controls (a selector, a domain, a local part) can
 * end the field or start a new one.  The readers follow the RFC 8601 2.2
 * grammar with one cursor over (ptr, len) and no recursion: comments nest
 * by counting, so the work is linear in the length.
 */
#include <string.h>
#include <strings.h>

#include "policy/authres.h"
#include "policy/sbuf.h"

/* strlen("Authentication-Results: "): where the field body starts */
#define AUTHRES_NAME_LEN 24

/* lc - ASCII lower case, whatever the locale */
static int
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* is_tspecial - RFC 2045 5.1 tspecials */
static int
is_tspecial(unsigned char c)
{
	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* is_token - RFC 2045 5.1 token: 1*(CHAR but SPACE, CTLs, tspecials) */
static int
is_token(const char *s, size_t n)
{
	size_t k;
	unsigned char c;

	if (n == 0)
		return 0;
	for (k = 0; k < n; k++) {
		c = (unsigned char)s[k];
		if (c <= 0x20 || c >= 0x7f || is_tspecial(c))
			return 0;
	}
	return 1;
}

/* is_keyword - RFC 5321 Keyword, '_' allowed as deployed */
static int
is_keyword(const char *s)
{
	const char *q;

	if (s == NULL || *s == '\0')
		return 0;
	for (q = s; *q != '\0'; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
			(*q >= '0' && *q <= '9') || *q == '-' || *q == '_'))
			return 0;
	return 1;
}

/* is_atext - RFC 5322 3.2.3 atext, ASCII only */
static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* is_dot_atom_text - RFC 5322 3.2.3 dot-atom-text, ASCII only */
static int
is_dot_atom_text(const char *s, size_t n)
{
	size_t k;
	unsigned char c;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (k = 0; k < n; k++) {
		c = (unsigned char)s[k];
		if (c == '.') {
			if (s[k - 1] == '.')
				return 0;
			continue;
		}
		if (!is_atext(c))
			return 0;
	}
	return 1;
}

/*
 * is_domain_name - RFC 6376 3.5 domain-name (the one RFC 8601 2.2 uses):
 * at least two labels of Let-dig [Ldh-str], 63 octets at most each
 */
static int
is_domain_name(const char *s, size_t n)
{
	size_t k, label = 0, nlabels = 1;
	unsigned char c;

	for (k = 0; k < n; k++) {
		c = (unsigned char)s[k];
		if (c == '.') {
			if (label == 0 || s[k - 1] == '-')
				return 0;
			label = 0;
			nlabels++;
			continue;
		}
		if (c == '-') {
			if (label == 0)
				return 0;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			       (c >= '0' && c <= '9')))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-' && nlabels >= 2;
}

/*
 * put_clean - copy s, escaping the bytes in esc with '\'; a control
 * character becomes ctl (or is dropped if ctl is 0) and a byte that is
 * not UTF-8 becomes '?'.  Nothing that ends a header line gets through.
 */
static void
put_clean(struct sbuf *sb, const char *s, const char *esc, int ctl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k, step;

	for (k = 0; k < n; k += step) {
		step = 1;
		if (p[k] < 0x20 || p[k] == 0x7f) {
			if (ctl != 0)
				sbuf_addc(sb, ctl);
		} else if (p[k] >= 0x80) {
			if ((step = utf8_len(p + k, n - k)) == 0) {
				step = 1;
				sbuf_addc(sb, '?');
			} else
				sbuf_add(sb, (const char *)p + k, step);
		} else {
			if (strchr(esc, p[k]) != NULL)
				sbuf_addc(sb, '\\');
			sbuf_addc(sb, p[k]);
		}
	}
}

/*
 * put_value - RFC 8601 2.2 value (or pvalue when addr != 0): bare if a
 * token or local@domain, else an RFC 5322 quoted-string
 */
static void
put_value(struct sbuf *sb, const char *v, int addr)
{
	size_t n = strlen(v), nl;
	const char *at = memchr(v, '@', n);

	nl = at != NULL ? (size_t)(at - v) : 0;
	if (is_token(v, n) ||
	    (addr && at != NULL && memchr(at + 1, '@', n - nl - 1) == NULL &&
		(nl == 0 || is_dot_atom_text(v, nl)) &&
		is_domain_name(at + 1, n - nl - 1))) {
		sbuf_add(sb, v, n);
		return;
	}
	sbuf_addc(sb, '"');
	put_clean(sb, v, "\"\\", '?');
	sbuf_addc(sb, '"');
}

/* struct arw - the writer: the output and the current line length */
struct arw {
	struct sbuf sb;
	size_t col;
	int fold;
};

/*
 * arw_item - place one unbreakable item: on a new line if newline (when
 * folding) or if it would not fit within AUTHRES_LINE_MAX, else after a
 * space.  RFC 5322 2.2.3: a fold is a line break before white space.
 */
static void
arw_item(struct arw *w, const char *item, size_t n, int newline)
{
	if (w->fold && (newline || w->col + 1 + n > AUTHRES_LINE_MAX)) {
		sbuf_add(&w->sb, "\n\t", 2);
		w->col = 1;
	} else {
		sbuf_addc(&w->sb, ' ');
		w->col++;
	}
	sbuf_add(&w->sb, item, n);
	w->col += n;
}

/* authres_format - write our Authentication-Results field body */
int
authres_format(const char *authserv_id, const struct authres_result *res,
    size_t nres, int fold, char *out, size_t outlen)
{
	struct arw w;
	struct sbuf it;
	char item[AUTHRES_MAX];
	const struct authres_result *r;
	const struct authres_prop *pr;
	size_t j, k, nitems;

	if (outlen == 0)
		return -1;
	sbuf_init(&w.sb, out, outlen < AUTHRES_MAX ? outlen : AUTHRES_MAX);
	w.fold = fold;
	if (authserv_id == NULL || *authserv_id == '\0' ||
	    strlen(authserv_id) > AUTHRES_SERVID_MAX ||
	    (nres > 0 && res == NULL))
		goto fail; /* an id we could not read back is a config bug */

	/* RFC 8601 2.2: authserv-id = value */
	sbuf_init(&it, item, sizeof(item));
	put_value(&it, authserv_id, 0);
	sbuf_addc(&it, ';');
	if (it.overflow)
		goto fail;
	sbuf_add(&w.sb, it.buf, it.len);
	w.col = AUTHRES_NAME_LEN + it.len;
	if (nres == 0) {
		/* RFC 8601 2.2 no-result */
		sbuf_adds(&w.sb, " none");
		if (w.sb.overflow)
			goto fail;
		return 0;
	}

	for (j = 0; j < nres; j++) {
		r = &res[j];
		if (!is_keyword(r->method) || !is_keyword(r->result) ||
		    r->nprop > AUTHRES_PROPS_MAX)
			goto fail;
		nitems =
		    1 + (r->comment != NULL && *r->comment != '\0') + r->nprop;

		/* methodspec = method "=" result */
		sbuf_init(&it, item, sizeof(item));
		sbuf_addf(&it, "%s=%s", r->method, r->result);
		if (--nitems == 0 && j + 1 < nres)
			sbuf_addc(&it, ';');
		if (it.overflow)
			goto fail;
		arw_item(&w, it.buf, it.len, 1);

		if (r->comment != NULL && *r->comment != '\0') {
			/* RFC 5322 3.2.2 ccontent: quoted-pair for ( ) \ */
			sbuf_init(&it, item, sizeof(item));
			sbuf_addc(&it, '(');
			put_clean(&it, r->comment, "()\\", 0);
			sbuf_addc(&it, ')');
			if (--nitems == 0 && j + 1 < nres)
				sbuf_addc(&it, ';');
			if (it.overflow)
				goto fail;
			arw_item(&w, it.buf, it.len, 0);
		}

		for (k = 0; k < r->nprop; k++) {
			/* propspec = ptype "." property "=" pvalue */
			pr = &r->prop[k];
			if (!is_keyword(pr->ptype) ||
			    !is_keyword(pr->property) || pr->value == NULL)
				goto fail;
			sbuf_init(&it, item, sizeof(item));
			sbuf_addf(&it, "%s.%s=", pr->ptype, pr->property);
			put_value(&it, pr->value, 1);
			if (--nitems == 0 && j + 1 < nres)
				sbuf_addc(&it, ';');
			if (it.overflow)
				goto fail;
			arw_item(&w, it.buf, it.len, 0);
		}
		if (w.sb.overflow)
			goto fail;
	}
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

/* struct arp - the reader: a cursor over a foreign field body */
struct arp {
	const unsigned char *p;
	size_t len, i;
};

/*
 * arp_cfws - skip CFWS (RFC 5322 3.2.2): white space, folding line breaks
 * (CRLF or LF followed by WSP, or at the very end) and nested comments.
 * Returns 0, or -1 on an unbalanced comment or a break that does not fold.
 */
static int
arp_cfws(struct arp *a)
{
	size_t depth = 0, n;
	unsigned char c;

	while (a->i < a->len) {
		c = a->p[a->i];
		if (c == '\r' || c == '\n') {
			n = 1;
			if (c == '\r') {
				if (a->i + 1 >= a->len ||
				    a->p[a->i + 1] != '\n')
					return -1;
				n = 2;
			}
			if (a->i + n < a->len && a->p[a->i + n] != ' ' &&
			    a->p[a->i + n] != '\t')
				return -1;
			a->i += n;
		} else if (c == '(') {
			depth++;
			a->i++;
		} else if (c == ')') {
			if (depth == 0)
				return -1;
			depth--;
			a->i++;
		} else if (depth > 0) {
			a->i++;
			/* quoted-pair; a line break is never escaped */
			if (c == '\\' && a->i < a->len && a->p[a->i] != '\r' &&
			    a->p[a->i] != '\n')
				a->i++;
		} else if (c == ' ' || c == '\t')
			a->i++;
		else
			break;
	}
	return depth == 0 ? 0 : -1;
}

/* arp_peek - the byte at the cursor, or -1 at the end */
static int
arp_peek(const struct arp *a)
{
	return a->i < a->len ? a->p[a->i] : -1;
}

/*
 * arp_quoted - a quoted-string (RFC 5322 3.2.4), the cursor on '"';
 * its content, unescaped and in lower case, goes to sb if not NULL
 */
static int
arp_quoted(struct arp *a, struct sbuf *sb)
{
	unsigned char c;

	a->i++;
	while (a->i < a->len) {
		c = a->p[a->i++];
		if (c == '"')
			return 0;
		if (c == '\\') {
			if (a->i >= a->len)
				return -1;
			c = a->p[a->i];
			if (c == '\r' || c == '\n')
				continue;
			a->i++;
		} else if (c == '\r' || c == '\n') {
			/* FWS: the line break goes, the WSP stays */
			if (c == '\r' && (a->i >= a->len || a->p[a->i] != '\n'))
				return -1;
			if (c == '\r')
				a->i++;
			if (a->i < a->len && a->p[a->i] != ' ' &&
			    a->p[a->i] != '\t')
				return -1;
			continue;
		}
		if (sb != NULL)
			sbuf_addc(sb, lc(c));
	}
	return -1;
}

/*
 * arp_value - RFC 8601 2.2 value = token / quoted-string (8-bit bytes
 * allowed in a token, RFC 8601 2.2 and RFC 6532); lower-cased into sb
 */
static int
arp_value(struct arp *a, struct sbuf *sb)
{
	size_t start = a->i;
	unsigned char c;

	if (arp_peek(a) == '"')
		return arp_quoted(a, sb);
	while (a->i < a->len) {
		c = a->p[a->i];
		if (c <= 0x20 || c == 0x7f || is_tspecial(c))
			break;
		if (sb != NULL)
			sbuf_addc(sb, lc(c));
		a->i++;
	}
	return a->i > start ? 0 : -1;
}

/*
 * arp_keyword - a Keyword (RFC 5321 4.1.2; '_' tolerated); copied in
 * lower case to buf when buf is not NULL, -1 if empty or too long for it
 */
static int
arp_keyword(struct arp *a, char *buf, size_t size)
{
	size_t start = a->i, n, k;
	unsigned char c;

	while (a->i < a->len) {
		c = a->p[a->i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_'))
			break;
		a->i++;
	}
	n = a->i - start;
	if (n == 0)
		return -1;
	if (buf != NULL) {
		if (n >= size)
			return -1;
		for (k = 0; k < n; k++)
			buf[k] = (char)lc(a->p[start + k]);
		buf[n] = '\0';
	}
	return 0;
}

/* arp_digits - 1*DIGIT; *one_r = 1 if the number is exactly "1" */
static int
arp_digits(struct arp *a, int *one_r)
{
	size_t start = a->i;

	while (a->i < a->len && a->p[a->i] >= '0' && a->p[a->i] <= '9')
		a->i++;
	if (one_r != NULL)
		*one_r = a->i - start == 1 && a->p[start] == '1';
	return a->i > start ? 0 : -1;
}

/*
 * arp_pvalue - RFC 8601 2.2 pvalue, read leniently: a quoted-string
 * (maybe followed by "@" domain), or any run of bytes up to white space,
 * ";", "(" or ")" ("header.b=ab/c+", which large providers send bare);
 * it may be empty
 */
static int
arp_pvalue(struct arp *a)
{
	unsigned char c;

	if (arp_cfws(a) < 0)
		return -1;
	if (arp_peek(a) == '"' && arp_quoted(a, NULL) < 0)
		return -1;
	while (a->i < a->len) {
		c = a->p[a->i];
		if (c <= 0x20 || c == 0x7f || c == ';' || c == '(' ||
		    c == ')' || c == '"' || c == '\\')
			break;
		a->i++;
	}
	return arp_cfws(a);
}

/*
 * arp_servid - authserv-id at the start of the field (RFC 8601 2.2:
 * [CFWS] authserv-id); lower-cased into id, -1 if missing or too long
 */
static int
arp_servid(struct arp *a, char *id, size_t idlen)
{
	struct sbuf sb;

	if (idlen == 0)
		return -1;
	if (a->len > 0 && memchr(a->p, '\0', a->len) != NULL) {
		id[0] = '\0';
		return -1;
	}
	sbuf_init(&sb, id, idlen);
	if (arp_cfws(a) < 0 || arp_value(a, &sb) < 0 || sb.overflow ||
	    sb.len == 0) {
		id[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * arp_version - [CFWS authres-version] after the id (RFC 8601 2.2);
 * -1 on bad syntax or (if strict_one) a version other than 1
 */
static int
arp_version(struct arp *a, int strict_one)
{
	int one;

	if (arp_cfws(a) < 0)
		return -1;
	if (arp_peek(a) >= '0' && arp_peek(a) <= '9') {
		if (arp_digits(a, &one) < 0 || (strict_one && !one) ||
		    arp_cfws(a) < 0)
			return -1;
	}
	return 0;
}

/* authres_parse_servid - the authserv-id of a foreign field */
int
authres_parse_servid(const char *value, size_t len, char *id, size_t idlen)
{
	struct arp a = {(const unsigned char *)value, len, 0};

	if (arp_servid(&a, id, idlen) < 0)
		return -1;
	if (arp_version(&a, 0) < 0 || arp_peek(&a) != ';') {
		id[0] = '\0';
		return -1;
	}
	return 0;
}

/* authres_is_ours - does the field claim to come from our_id? */
int
authres_is_ours(const char *value, size_t len, const char *our_id)
{
	struct arp a = {(const unsigned char *)value, len, 0};
	const char *nul;
	char id[AUTHRES_SERVID_MAX + 1];

	if (our_id == NULL || *our_id == '\0')
		return 0;
	/* read up to a NUL, as a C-string consumer would: "ours\0..." */
	if (len > 0 && (nul = memchr(value, '\0', len)) != NULL)
		a.len = (size_t)(nul - value);
	if (arp_servid(&a, id, sizeof(id)) < 0)
		return 0;
	return strcasecmp(id, our_id) == 0;
}

/* authres_parse - authserv-id and method=result pairs of a foreign field */
int
authres_parse(const char *value, size_t len, struct authres_parsed *out)
{
	struct arp a = {(const unsigned char *)value, len, 0};
	char method[sizeof(out->res[0].method)];
	char result[sizeof(out->res[0].result)];
	int c, first;

	memset(out, 0, sizeof(*out));
	if (arp_servid(&a, out->servid, sizeof(out->servid)) < 0)
		goto bad;
	/* RFC 8601 2.2: a version other than 1 is not ours to read */
	if (arp_version(&a, 1) < 0 || arp_peek(&a) != ';')
		goto bad;

	for (first = 1;; first = 0) {
		/* resinfo = [CFWS] ";" methodspec [CFWS reasonspec]
		 *     [CFWS 1*propspec] */
		if (arp_peek(&a) != ';')
			goto bad;
		a.i++;
		if (arp_cfws(&a) < 0)
			goto bad;
		if (arp_peek(&a) == -1) {
			if (first)
				goto bad; /* "id;" says nothing */
			break;		  /* tolerated trailing ";" */
		}
		if (arp_keyword(&a, method, sizeof(method)) < 0 ||
		    arp_cfws(&a) < 0)
			goto bad;
		/* no-result = [CFWS] ";" [CFWS] "none" */
		if (first && strcmp(method, "none") == 0 && arp_peek(&a) == -1)
			break;
		/* method = Keyword [[CFWS] "/" [CFWS] method-version] */
		if (arp_peek(&a) == '/') {
			a.i++;
			if (arp_cfws(&a) < 0 || arp_digits(&a, NULL) < 0 ||
			    arp_cfws(&a) < 0)
				goto bad;
		}
		if (arp_peek(&a) != '=')
			goto bad;
		a.i++;
		if (arp_cfws(&a) < 0 ||
		    arp_keyword(&a, result, sizeof(result)) < 0)
			goto bad;
		if (out->nres < AUTHRES_PARSE_RESULTS_MAX) {
			memcpy(out->res[out->nres].method, method,
			    sizeof(method));
			memcpy(out->res[out->nres].result, result,
			    sizeof(result));
			out->nres++;
		} else
			out->truncated = 1;

		/* reasonspec and propspecs, up to the next ";" */
		for (;;) {
			if (arp_cfws(&a) < 0)
				goto bad;
			c = arp_peek(&a);
			if (c == -1)
				return 0;
			if (c == ';')
				break;
			/* ptype, or "reason", or an unregistered key */
			if (arp_keyword(&a, NULL, 0) < 0 || arp_cfws(&a) < 0)
				goto bad;
			if (arp_peek(&a) == '.') {
				a.i++;
				if (arp_cfws(&a) < 0 ||
				    arp_keyword(&a, NULL, 0) < 0 ||
				    arp_cfws(&a) < 0)
					goto bad;
			}
			if (arp_peek(&a) != '=')
				goto bad;
			a.i++;
			if (arp_pvalue(&a) < 0)
				goto bad;
		}
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}
