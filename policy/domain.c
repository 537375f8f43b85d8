/*
 * domain.c - DNS domain names as DMARC compares them
 */
#include <string.h>

#include "policy/domain.h"

/* lc - ASCII lower case, whatever the locale */
static int
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* name_len - length without one trailing dot */
static size_t
name_len(const char *d)
{
	size_t n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		n--;
	return n;
}

/* same_ci - n bytes equal, ASCII case-insensitive */
static int
same_ci(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

/* domain_normalize - check a hostile name and copy it in lower case */
int
domain_normalize(const char *in, size_t len, char *out, size_t outlen,
    const char **errstr_r)
{
	size_t i, label = 0;
	unsigned char c;
	const char *err = NULL;

	if (len > 0 && in[len - 1] == '.')
		len--; /* one trailing dot: the root */
	if (len == 0)
		err = "empty domain";
	else if (len > DOMAIN_MAX)
		err = "domain too long";
	else if (outlen <= len)
		err = "domain buffer too small";
	for (i = 0; err == NULL && i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0)
				err = "empty label";
			label = 0;
			out[i] = '.';
			continue;
		}
		if (c == '\0')
			err = "NUL byte in domain";
		else if (c >= 0x80)
			err = "not an A-label";
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '_'))
			err = "invalid character in domain";
		else if (++label > DOMAIN_LABEL_MAX)
			err = "label too long";
		else
			out[i] = (char)lc(c);
	}
	if (err == NULL && label == 0)
		err = "empty label"; /* "a.." */
	if (err != NULL) {
		if (errstr_r != NULL)
			*errstr_r = err;
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	out[len] = '\0';
	return 0;
}

/* domain_labels - count labels */
size_t
domain_labels(const char *d)
{
	size_t i, n, len = name_len(d);

	if (len == 0)
		return 0;
	for (i = 0, n = 1; i < len; i++)
		if (d[i] == '.')
			n++;
	return n;
}

/* domain_equal - RFC 4343: case-insensitive, whole labels */
int
domain_equal(const char *a, const char *b)
{
	size_t la = name_len(a), lb = name_len(b);

	return la > 0 && la == lb && same_ci(a, b, la);
}

/* domain_is_sub - d is parent or below it, on a label boundary */
int
domain_is_sub(const char *d, const char *parent)
{
	size_t ld = name_len(d), lp = name_len(parent);

	if (lp == 0 || ld < lp)
		return 0;
	if (ld == lp)
		return same_ci(d, parent, lp);
	return d[ld - lp - 1] == '.' && same_ci(d + ld - lp, parent, lp);
}

/* domain_parent - drop the leftmost label */
const char *
domain_parent(const char *d)
{
	const char *p = strchr(d, '.');

	return p == NULL || p[1] == '\0' ? NULL : p + 1;
}

/* domain_rightmost - keep the rightmost n labels */
const char *
domain_rightmost(const char *d, size_t n)
{
	size_t drop, x = domain_labels(d);

	if (n >= x)
		return d;
	if (n == 0)
		return d + strlen(d); /* "" */
	for (drop = x - n; drop > 0; drop--)
		d = strchr(d, '.') + 1; /* x labels hold x - 1 inner dots */
	return d;
}

/* envelope_address - strip the reverse-path's outer <> (RFC 5321 4.1.2) */
int
envelope_address(const char *in, char *out, size_t outlen)
{
	const char *p = in != NULL ? in : "", *e;
	size_t n;

	out[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (*p == '<') { /* the closing bracket is the last one */
		p++;
		if (e > p && e[-1] == '>')
			e--;
	}
	n = (size_t)(e - p);
	if (n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* envelope_domain - after the last '@' outside a quoted local part */
const char *
envelope_domain(const char *addr)
{
	const char *p, *at = NULL;
	int quoted = 0;

	for (p = addr; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++; /* RFC 5321 quoted-pairSMTP */
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			at = p;
	}
	return at != NULL ? at + 1 : "";
}
