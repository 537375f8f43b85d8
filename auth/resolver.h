/*
 * resolver.h - DNS answers for SPF, DKIM and DMARC (libunbound or a zone file)
 *
 * One struct resolver serves a whole process: it is thread-safe, and its
 * cache is shared by every thread.  It answers either from the network
 * through libunbound (forwarders given in "Nameservers", else the system
 * resolv.conf) or, when a zone file is configured, from that file alone
 * (offline use and tests; see zone.h for the format and the $SERVFAIL and
 * $TIMEOUT fault directives).
 *
 * resolver_query(res, name, type, &ans): name is hostile (it comes from
 * mail or from other DNS data) and may end in a dot.  Always allocates
 * *ans_r (free with resolver_answer_free()) and returns ans->status:
 *
 *   RESOLVER_OK        one or more RRs of that type (after CNAMEs)
 *   RESOLVER_NXDOMAIN  the name does not exist          -> no record
 *   RESOLVER_NODATA    the name exists, no RR of type   -> no record
 *   RESOLVER_TEMPFAIL  timeout, SERVFAIL, network error -> temperror
 *   RESOLVER_INVALID   bad name, malformed or oversized answer
 *                                                       -> permerror
 *
 * RR data by type:
 *   TXT        the character-strings of one RR concatenated (RFC 7208
 *              3.3, RFC 9989 3.5), len bytes, also NUL-terminated; a TXT
 *              RR holding a NUL byte is kept with its true len.
 *   A / AAAA   4 / 16 address bytes in network order.
 *   MX         pref set; data is the exchange name, presentation form,
 *              no trailing dot, NUL-terminated.
 *   PTR, CNAME, NS
 *              the target name as for MX.
 *
 * Caps (hostile senders control their own zones):
 *   RESOLVER_RR_MAX      RRs kept per answer; more -> RESOLVER_INVALID
 *   RESOLVER_ANSWER_MAX  total bytes of RR data per answer (a DNS message
 *                        cannot carry more than 65535 octets anyway)
 */
#ifndef RESOLVER_H
#define RESOLVER_H

#include <stddef.h>

#define RESOLVER_RR_MAX	    256
#define RESOLVER_ANSWER_MAX 65535
#define RESOLVER_NAME_MAX   253 /* RFC 1035 2.3.4, presentation form */

/* RR types we ask for; the numeric values of RFC 1035 and RFC 3596 */
#define RESOLVER_T_A	 1
#define RESOLVER_T_NS	 2
#define RESOLVER_T_CNAME 5
#define RESOLVER_T_PTR	 12
#define RESOLVER_T_MX	 15
#define RESOLVER_T_TXT	 16
#define RESOLVER_T_AAAA	 28
#define RESOLVER_T_SPF	 99

enum resolver_status {
	RESOLVER_OK,
	RESOLVER_NXDOMAIN,
	RESOLVER_NODATA,
	RESOLVER_TEMPFAIL,
	RESOLVER_INVALID
};

struct resolver_rr {
	unsigned short type;
	unsigned short pref; /* MX only */
	size_t len;
	unsigned char *data; /* len bytes, plus a NUL */
};

struct resolver_answer {
	enum resolver_status status;
	unsigned int ttl; /* smallest TTL seen, 0 if none */
	size_t nrr;
	struct resolver_rr *rr;
	const char *why; /* static text for TEMPFAIL/INVALID, or NULL */
};

struct resolver_opts {
	const char *zone_file;	 /* answer only from this file, or NULL */
	const char *nameservers; /* "IP[@PORT][,IP[@PORT]...]" or NULL */
	unsigned int timeout_ms; /* per query; 0 means 5000 */
};

struct resolver;

/* resolver_new - 0, or -1 with a message (zone errors: "FILE:LINE: ...") */
int resolver_new(const struct resolver_opts *opts, struct resolver **res_r,
    char *err, size_t errlen);
void resolver_free(struct resolver **res);

enum resolver_status resolver_query(struct resolver *res, const char *name,
    int type, struct resolver_answer **ans_r);
void resolver_answer_free(struct resolver_answer **ans);

const char *resolver_status_str(enum resolver_status st); /* "ok", ... */

/* the answer cache in front of libunbound (all zeros with a zone file) */
struct resolver_cache_stats {
	unsigned long hits, misses;
	size_t entries, bytes;
};
void resolver_cache_stats(struct resolver *res,
    struct resolver_cache_stats *st);

#endif
