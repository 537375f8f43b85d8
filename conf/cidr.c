/*
 * cidr.c - parse and match lists of IPv4 and IPv6 networks
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cidr.h"

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
    0xff};

/* mask - clear the bits of addr (nbytes long) past plen */
static void
mask(unsigned char *addr, size_t nbytes, unsigned int plen)
{
	size_t i;

	for (i = 0; i < nbytes; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		addr[i] &= (unsigned char)(0xff << (8 - plen));
		plen = 0;
	}
}

/* cidr_parse - one address or network */
int
cidr_parse(const char *s, size_t len, struct cidr *out, const char **errstr_r)
{
	char buf[CIDR_ENTRY_MAX + 1], *slash;
	unsigned char a[16];
	const char *errstr = NULL;
	long long plen = -1;
	int af;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		*errstr_r = "empty entry";
		return -1;
	}
	if (len > CIDR_ENTRY_MAX) {
		*errstr_r = "entry too long";
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		*errstr_r = "NUL byte";
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		/* digits only: strtonum() would take "+8" and " 8" */
		if (*slash == '\0' ||
		    strspn(slash, "0123456789") != strlen(slash)) {
			*errstr_r = "bad prefix length";
			return -1;
		}
		plen = strtonum(slash, 0, 128, &errstr);
		if (errstr != NULL) {
			*errstr_r = "bad prefix length";
			return -1;
		}
	}
	if (inet_pton(AF_INET, buf, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		af = AF_INET6;
	else {
		*errstr_r = "not an IP address";
		return -1;
	}
	if (af == AF_INET && plen > 32) {
		*errstr_r = "prefix length over 32";
		return -1;
	}
	if (plen < 0)
		plen = af == AF_INET ? 32 : 128;
	if (af == AF_INET6 && plen >= 96 && memcmp(a, v4mapped, 12) == 0) {
		/* ::ffff:a.b.c.d/N is the IPv4 network a.b.c.d/(N - 96) */
		memmove(a, a + 12, 4);
		af = AF_INET;
		plen -= 96;
	}
	out->af = af;
	out->plen = (unsigned int)plen;
	memcpy(out->addr, a, af == AF_INET ? 4 : 16);
	mask(out->addr, af == AF_INET ? 4 : 16, out->plen);
	return 0;
}

/* is_sep - entries are separated by commas and white space */
static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* cidr_list_parse - an inline list, or the text of a file (label set) */
int
cidr_list_parse(const char *text, size_t len, const char *label,
    struct cidr_list **list_r, char *err, size_t errlen)
{
	struct cidr_list *l;
	size_t pos = 0, cap = 0;
	unsigned int line = 1;
	const char *errstr;

	*list_r = NULL;
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s%sNUL byte", label ? label : "",
		    label ? ": " : "");
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (pos < len) {
		size_t start, n;

		if (text[pos] == '\n')
			line++;
		if (is_sep(text[pos])) {
			pos++;
			continue;
		}
		if (label != NULL && text[pos] == '#') {
			while (pos < len && text[pos] != '\n')
				pos++;
			continue;
		}
		start = pos;
		while (pos < len && !is_sep(text[pos]) &&
		    !(label != NULL && text[pos] == '#'))
			pos++;
		n = pos - start;
		if (l->n >= CIDR_LIST_MAX) {
			if (label != NULL)
				snprintf(err, errlen,
				    "%s:%u: more than %d entries", label, line,
				    CIDR_LIST_MAX);
			else
				snprintf(err, errlen, "more than %d entries",
				    CIDR_LIST_MAX);
			goto fail;
		}
		if (l->n == cap) {
			struct cidr *nv;
			size_t ncap = cap ? cap * 2 : 8;

			if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) ==
			    NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			l->v = nv;
			cap = ncap;
		}
		if (cidr_parse(text + start, n, &l->v[l->n], &errstr) == -1) {
			int shown =
			    n > CIDR_ENTRY_MAX ? CIDR_ENTRY_MAX : (int)n;

			if (label != NULL)
				snprintf(err, errlen,
				    "%s:%u: bad entry \"%.*s\": %s", label,
				    line, shown, text + start, errstr);
			else
				snprintf(err, errlen, "bad entry \"%.*s\": %s",
				    shown, text + start, errstr);
			goto fail;
		}
		l->n++;
	}
	*list_r = l;
	return 0;
fail:
	cidr_list_free(&l);
	return -1;
}

/* in_net - 1 if addr lies in the network e (same family) */
static int
in_net(const struct cidr *e, const unsigned char *addr)
{
	unsigned int full = e->plen / 8, rest = e->plen % 8;

	if (memcmp(e->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((addr[full] ^ e->addr[full]) &
		   (unsigned char)(0xff << (8 - rest))) == 0;
}

/* cidr_list_match - 1 if the address is in a network of the list */
int
cidr_list_match(const struct cidr_list *list, int af, const void *addr)
{
	const unsigned char *a = addr;
	size_t i;

	if (list == NULL || addr == NULL)
		return 0;
	if (af == AF_INET6 && memcmp(a, v4mapped, 12) == 0) {
		af = AF_INET; /* ::ffff:a.b.c.d is an IPv4 client */
		a += 12;
	} else if (af != AF_INET && af != AF_INET6)
		return 0;
	for (i = 0; i < list->n; i++) {
		if (list->v[i].af == af && in_net(&list->v[i], a))
			return 1;
	}
	return 0;
}

/* cidr_list_match_str - the same with the address as text */
int
cidr_list_match_str(const struct cidr_list *list, const char *ip)
{
	unsigned char a[16];

	if (ip == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, a) == 1)
		return cidr_list_match(list, AF_INET, a);
	if (inet_pton(AF_INET6, ip, a) == 1)
		return cidr_list_match(list, AF_INET6, a);
	return 0;
}

/* cidr_list_free - NULL is fine; clears the pointer */
void
cidr_list_free(struct cidr_list **listp)
{
	if (listp == NULL || *listp == NULL)
		return;
	free((*listp)->v);
	free(*listp);
	*listp = NULL;
}
