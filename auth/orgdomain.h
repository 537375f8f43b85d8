/*
 * orgdomain.h - organizational domains from the Public Suffix List
 *
 * For "OrgDomainMethod psl" (RFC 7489 3.2, kept for sites that want the
 * old behaviour): the organizational domain of a name is its registrable
 * domain under the list, or the name itself when the name is a public
 * suffix or the list knows nothing better.  The default method, the RFC
 * 9989 DNS Tree Walk, lives in policy/dmarc_walk.h.
 *
 * One struct orgdomain_psl per process, read-only after loading: safe to
 * share between threads (libpsl's lookups do not modify the context).
 */
#ifndef ORGDOMAIN_H
#define ORGDOMAIN_H

#include <stddef.h>

struct orgdomain_psl;

/* orgdomain_psl_new - load a .dat or .dafsa list; 0 or -1 with a message */
int orgdomain_psl_new(const char *path, struct orgdomain_psl **p_r, char *err,
    size_t errlen);
void orgdomain_psl_free(struct orgdomain_psl **p);

/* orgdomain_psl_org - registrable domain of a normalized name; 0 or -1 */
int orgdomain_psl_org(const struct orgdomain_psl *p, const char *domain,
    char *out, size_t outlen);

/* orgdomain_psl_suffix - the public suffix of a name; 0, -1 if none */
int orgdomain_psl_suffix(const struct orgdomain_psl *p, const char *domain,
    char *out, size_t outlen);

#endif
