/*
 * dmarc_align.c - Identifier Alignment (RFC 9989 3.2, relaxed and strict)
 */
#include <stddef.h>

#include "policy/dmarc_align.h"
#include "policy/domain.h"

/* known - a name we can compare */
static int
known(const char *d)
{
	return d != NULL && domain_labels(d) > 0;
}

/* dmarc_aligned - strict: identical; relaxed: same Organizational Domain */
int
dmarc_aligned(const char *author, const char *author_org, const char *id,
    const char *id_org, enum dmarc_amode mode)
{
	if (!known(author) || !known(id))
		return 0;
	if (domain_equal(author, id))
		return 1; /* "Strict Alignment", so relaxed as well */
	if (mode == DMARC_AMODE_STRICT)
		return 0;
	/* "Relaxed Alignment": the same Organizational Domain */
	return known(author_org) && known(id_org) &&
	    domain_equal(author_org, id_org);
}
