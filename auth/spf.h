/*
 * spf.h - SPF checks of MAIL FROM and HELO (RFC 7208) through libspf2
 *
 * libspf2 evaluates the records; every DNS question goes through our
 * resolver (resolver.h), and this module adds what libspf2 lacks or gets
 * wrong:
 *   - the limit of 10 DNS-querying terms counts across include and
 *     redirect (RFC 7208 4.6.4); the 11th is a permerror;
 *   - the limit of 2 void lookups (a term whose query answers NXDOMAIN
 *     or no data; the address lookups of MX and PTR names and the %{p}
 *     macro do not count): a 3rd is a permerror "more than 2 void
 *     lookups, RFC 7208 4.6.4";
 *   - an mx term with more than 10 MX records is a permerror, and only
 *     the first 10 names of a PTR answer are used (RFC 7208 4.6.4);
 *   - records are selected per RFC 7208 4.5: TXT only (the SPF RR type is
 *     never asked for, RFC 7208 3.1), "v=spf1" then a space or the end,
 *     several records are a permerror, a record holding a NUL, control or
 *     non-ASCII octet is a permerror;
 *   - the whole record syntax of RFC 7208 12 is checked (libspf2 lets
 *     many errors pass), prefix lengths of 0 work (libspf2 refuses them),
 *     a macro DIGIT not smaller than the number of parts uses all parts
 *     (libspf2 cuts a character), see spf_record_check();
 *   - a DNS error on the address lookup of a PTR name skips that name
 *     (RFC 7208 5.5);
 *   - an IPv4-mapped IPv6 client is evaluated as IPv4 (RFC 7208 5);
 *   - a loopback client (127.0.0.0/8, ::1) is never passed, as libspf2
 *     would do: the result is none, reason "loopback client not
 *     evaluated";
 *   - the domain is checked first (RFC 7208 4.3): malformed or not
 *     multi-label (e.g. an address literal) -> none;
 *   - no local policy, no best-guess record, no trusted-forwarder.org;
 *     explanations (exp=) are never fetched: the result does not need
 *     them and an exp= lookup must not count against any limit.
 *
 * spf_check_mfrom(ctx, ip, helo, mailfrom, &out): mailfrom is the address
 * without angle brackets; "" is the null sender, checked as
 * postmaster@HELO with out.domain = HELO (RFC 7208 2.4).  A mailfrom
 * without "@" or with an empty local-part uses "postmaster" as local-part
 * (RFC 7208 4.3).  out.scope is "mfrom".
 * spf_check_helo(ctx, ip, helo, &out): the HELO identity (RFC 7208 2.3),
 * out.scope "helo".
 * Both return 0 with the result in *out (any SPF result, temperror and
 * permerror included), or -1 on our own failure (a client_ip that is not
 * an IP address, out of memory in libspf2) with out->reason set.
 * out->domain is the checked domain, lower case, no trailing dot ("" if
 * it is not a valid name); out->reason is short text for logs and the
 * A-R comment (it may quote the domain, so clean it before logging).
 *
 * spf_record_check(txt, len, af, out, outsize, &errstr): txt (hostile, not
 * NUL-terminated) is one record starting "v=spf1"; checks the whole ABNF
 * of RFC 7208 12 and 7.1 (macros; c, r and t only in modifiers other than
 * redirect and exp) and writes to out the record libspf2 is given for a
 * client of family af (AF_INET or AF_INET6), see spf.c.  Returns 0, or -1
 * with *errstr_r a static string ("unknown mechanism", "syntax error",
 * "invalid character", "exp= given twice", ...).  out needs 4 * (len + 16)
 * octets.  Thread-safe, no allocation.
 *
 * Threads: a struct spf_ctx is immutable and may be shared; each check
 * builds its own libspf2 server, request and DNS layer (libspf2's DNS
 * layer has no per-request argument), which costs a few microseconds.
 */
#ifndef SPF_H
#define SPF_H

#include <stddef.h>

#include "auth/resolver.h"

#define SPF_DNS_TERMS_MAX 10 /* RFC 7208 4.6.4 */
#define SPF_VOID_MAX	  2  /* RFC 7208 4.6.4 */
#define SPF_MX_MAX	  10 /* RFC 7208 4.6.4 */
#define SPF_PTR_MAX	  10 /* RFC 7208 4.6.4 */

/* RFC 8601 2.7.2 results (libspf2's own are SPF_RESULT_*) */
enum spf_result {
	SPF_RES_NONE,
	SPF_RES_NEUTRAL,
	SPF_RES_PASS,
	SPF_RES_FAIL,
	SPF_RES_SOFTFAIL,
	SPF_RES_TEMPERROR,
	SPF_RES_PERMERROR
};

struct spf_check {
	enum spf_result result;
	char domain[254];
	char scope[8];	  /* "mfrom" or "helo" */
	char reason[160]; /* short text for logs and the A-R comment */
};

struct spf_ctx;

int spf_ctx_new(struct resolver *res, struct spf_ctx **ctx_r, char *err,
    size_t errlen);
void spf_ctx_free(struct spf_ctx **ctx);

int spf_check_mfrom(struct spf_ctx *ctx, const char *client_ip,
    const char *helo, const char *mailfrom, struct spf_check *out);
int spf_check_helo(struct spf_ctx *ctx, const char *client_ip, const char *helo,
    struct spf_check *out);

int spf_record_check(const char *txt, size_t len, int af, char *out,
    size_t outsize, const char **errstr_r);

const char *spf_result_str(enum spf_result r); /* "pass", "fail", ... */

#endif
