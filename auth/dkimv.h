/*
 * dkimv.h - DKIM signature verification (RFC 6376, RFC 8301, RFC 8463)
 *
 * libopendkim does the canonicalization and the cryptography; the key
 * records come from our own resolver (resolver.h), handed to libopendkim
 * as DNS reply packets.  The prefix is dkimv_ because libopendkim owns
 * dkim_*.
 *
 *	dkimv_lib_new(res, max_sigs, &lib, err, errlen);   once per process
 *	m = dkimv_msg_new(lib, queue_id);		   one per message
 *	dkimv_header(m, name, value); ...		   each header field
 *	dkimv_eoh(m);					   keys are fetched here
 *	dkimv_body(m, chunk, len); ...			   any chunk sizes
 *	dkimv_eom(m, sigs, nelem(sigs), &nsigs);	   one result a signature
 *	dkimv_msg_free(&m);
 *
 * Threads: a struct dkimv_lib is shared by every thread and never changes
 * after dkimv_lib_new(); each struct dkimv_msg belongs to one thread at a
 * time.  The resolver must outlive the lib.
 *
 * dkimv_header(m, name, value): name is the field name, value the field
 * body as libmilter gives it without SMFIP_HDR_LEADSPC: the one space after
 * the colon removed (Postfix and sendmail strip one SP, not a tab).  The
 * field is rebuilt as "name: value".  A caller that has the exact text after
 * the colon (SMFIP_HDR_LEADSPC negotiated, or a message file) calls
 * dkimv_msg_leadspc(m) first; the field is then "name:value", which keeps
 * "simple" header canonicalization exact.  Folded values may use "\r\n" or
 * a bare "\n"; bare LF becomes CRLF.  dkimv_header_len() is the same with a
 * value of len bytes: a NUL byte in it is hostile and the field is dropped.
 *
 * dkimv_body(m, p, len): the body in chunks of any size, CRLF or LF line
 * ends; a bare LF becomes CRLF as an MTA would write it, also across chunk
 * boundaries.  Bare CRs are left alone.
 *
 * dkimv_eom(m, sigs, maxsigs, &nsigs): fills one struct dkimv_sig per
 * DKIM-Signature field, in header order (topmost first), at most max_sigs
 * of dkimv_lib_new() and at most maxsigs; *nsigs_r = 0 for an unsigned
 * message.  DKIM-Signature fields beyond max_sigs are ignored, as RFC 6376
 * 6.1 allows: they are neither reported nor given to libopendkim, so a
 * signature whose h= covers such a field fails.
 *
 * Results (RFC 8601 2.7.1): pass only when the signature and the body hash
 * verify with an acceptable key.  rsa-sha1 never passes (RFC 8301 3.1:
 * "policy", reason "rsa-sha1 not accepted (RFC 8301)"); an RSA key under
 * DKIMV_KEYBITS_MIN bits is "policy" too (RFC 8301 3.2).  A key with t=y
 * keeps its result and sets testing.  Key lookup: NXDOMAIN or NODATA is
 * permerror "no key" (RFC 6376 6.1.2), a temporary DNS failure temperror
 * "key unavailable", an empty p= is fail "key revoked".  Of several TXT
 * records at the key name the first "v=DKIM1" one is used (RFC 6376
 * 3.6.2.2); one with a NUL byte or over DKIMV_KEYREC_MAX bytes is permerror
 * "key syntax error".  A malformed signature is permerror with the reason
 * (RFC 6376 6.1.1); a duplicate tag makes the whole tag-list invalid (RFC
 * 6376 3.2).  domain, selector and algorithm are copied capped, with bytes
 * outside [A-Za-z0-9._-] turned into '?'; domain is lower-case; algorithm
 * is the one libopendkim verified with once the key was looked up; keybits
 * is the RSA modulus size, 256 for ed25519, 0 when no key was loaded.
 *
 * Return values: 0, or -1 when we fail (out of memory, calls out of order,
 * NULL arguments).  A hostile message never makes a call fail: each broken
 * signature gets its own result.
 */
#ifndef DKIMV_H
#define DKIMV_H

#include <stddef.h>

struct resolver;

#define DKIMV_SIGS_DEFAULT 10	/* signatures verified per message by default */
#define DKIMV_SIGS_MAX	   64	/* hard cap on the configurable value */
#define DKIMV_KEYBITS_MIN  1024 /* RFC 8301 3.2: smaller RSA keys never pass */

/* Caps on what one message may make us keep (hostile input).  Postfix
 * keeps at most 102400 bytes of header (header_size_limit); dmarcctl reads
 * files without such a limit.  Fields past a cap are not verified: a
 * signature covering them fails. */
#define DKIMV_FIELD_MAX	 102400	 /* bytes of one header field */
#define DKIMV_HEADER_MAX 1048576 /* bytes of all header fields */
#define DKIMV_FIELDS_MAX 10000	 /* header fields per message */
/* libopendkim reads at most 1024 bytes of a key record (BUFRSZ); a
 * 4096-bit RSA key, the largest RFC 8301 3.2 asks for, needs about 740.
 * A longer record is a key syntax error, never silently cut. */
#define DKIMV_KEYREC_MAX 1024

enum dkimv_result {
	DKIMV_NONE,
	DKIMV_PASS,
	DKIMV_FAIL,
	DKIMV_NEUTRAL,
	DKIMV_POLICY,
	DKIMV_TEMPERROR,
	DKIMV_PERMERROR
}; /* RFC 8601 2.7.1 */

struct dkimv_sig {
	enum dkimv_result result;
	char domain[254];      /* d=, lower-case */
	char selector[64 + 1]; /* s= */
	char algorithm[24];    /* "rsa-sha256" "ed25519-sha256" "rsa-sha1" */
	unsigned keybits;
	char reason[96]; /* "bad signature", "body hash mismatch", ... */
	int testing;	 /* key t=y */
};

struct dkimv_lib;
struct dkimv_msg;

/* dkimv_lib_new - max_sigs 0 means DKIMV_SIGS_DEFAULT; more than
 * DKIMV_SIGS_MAX is an error.  0, or -1 with a message in err. */
int dkimv_lib_new(struct resolver *res, unsigned max_sigs,
    struct dkimv_lib **lib_r, char *err, size_t errlen);
void dkimv_lib_free(struct dkimv_lib **lib);

/* dkimv_msg_new - id (queue id, for libopendkim's messages) may be NULL;
 * NULL only on out of memory */
struct dkimv_msg *dkimv_msg_new(struct dkimv_lib *lib, const char *id);
void dkimv_msg_leadspc(struct dkimv_msg *m);
int dkimv_header(struct dkimv_msg *m, const char *name, const char *value);
int dkimv_header_len(struct dkimv_msg *m, const char *name, const char *value,
    size_t len);
int dkimv_eoh(struct dkimv_msg *m);
int dkimv_body(struct dkimv_msg *m, const unsigned char *p, size_t len);
int dkimv_eom(struct dkimv_msg *m, struct dkimv_sig *sigs, size_t maxsigs,
    size_t *nsigs_r);
void dkimv_msg_free(struct dkimv_msg **m);

const char *dkimv_result_str(enum dkimv_result r); /* "pass", ... */

#endif
