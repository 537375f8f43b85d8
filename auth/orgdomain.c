/*
 * orgdomain.c - organizational domains from the Public Suffix List (libpsl)
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "auth/orgdomain.h"

struct orgdomain_psl {
	psl_ctx_t *psl;
};

/* orgdomain_psl_new - load the list once, at start-up */
int
orgdomain_psl_new(const char *path, struct orgdomain_psl **p_r, char *err,
    size_t errlen)
{
	struct orgdomain_psl *p;

	*p_r = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((p->psl = psl_load_file(path)) == NULL) {
		snprintf(err, errlen, "%s: cannot load public suffix list",
		    path);
		free(p);
		return -1;
	}
	*p_r = p;
	return 0;
}

/* orgdomain_psl_free - NULL is fine; clears the pointer */
void
orgdomain_psl_free(struct orgdomain_psl **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	psl_free((*pp)->psl);
	free(*pp);
	*pp = NULL;
}

/* orgdomain_psl_org - RFC 7489 3.2: the public suffix plus one label */
int
orgdomain_psl_org(const struct orgdomain_psl *p, const char *domain, char *out,
    size_t outlen)
{
	const char *reg;

	reg = psl_registrable_domain(p->psl, domain);
	if (reg == NULL) /* the name is a public suffix itself */
		reg = domain;
	if (strlcpy(out, reg, outlen) >= outlen)
		return -1;
	return 0;
}

/* orgdomain_psl_suffix - where a PSD's DMARC record would be (RFC 9091) */
int
orgdomain_psl_suffix(const struct orgdomain_psl *p, const char *domain,
    char *out, size_t outlen)
{
	const char *suf;

	suf = psl_unregistrable_domain(p->psl, domain);
	if (suf == NULL || *suf == '\0')
		return -1;
	if (strlcpy(out, suf, outlen) >= outlen)
		return -1;
	return 0;
}
