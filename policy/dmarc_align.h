/*
 * dmarc_align.h - Identifier Alignment (RFC 9989 3.2, 4.10.2)
 *
 * dmarc_aligned(author, author_org, id, id_org, mode): 1 if the
 * Authenticated Identifier id (an SPF domain or a DKIM d=) is aligned with
 * the Author Domain, else 0.
 *   DMARC_AMODE_STRICT   author and id are the same name
 *   DMARC_AMODE_RELAXED  the same name, or the same Organizational Domain
 *                        (author_org and id_org, each from its own
 *                        dmarc_walk_orgdomain(); NULL or "" if unknown)
 * Names compare whole, label by label, ignoring ASCII case and a trailing
 * dot (RFC 4343); A-labels ("xn--...") compare as the ASCII they are.
 * Never a string-suffix test: "t.co" and "evil.co" do not align.  Only
 * pass a passing identifier: alignment of a failed one means nothing.
 * Pure, thread-safe.
 */
#ifndef DMARC_ALIGN_H
#define DMARC_ALIGN_H

#include "policy/dmarc_record.h"

int dmarc_aligned(const char *author, const char *author_org, const char *id,
    const char *id_org, enum dmarc_amode mode);

#endif
