/*
 * authres.h - Authentication-Results: write ours, read foreign ones
 * (RFC 8601; RFC 9989 9.1 registers the policy.dmarc property)
 *
 * authres_format(authserv_id, res, nres, fold, out, outlen) writes the
 * field body, without "Authentication-Results:", into out.  fold == 0
 * gives one line:
 *   mx.example; spf=pass smtp.mailfrom=a@example.com; dkim=pass
 *   header.d=example.com header.s=s1; dmarc=fail (p=reject)
 *   policy.dmarc=reject header.from=example.com      (shown wrapped)
 * and nres == 0 gives "mx.example; none".  fold != 0 starts every result
 * on a new line ("mx.example;\n\tspf=pass ...;\n\tdkim=pass ..."; "\n\t"
 * is the milter convention, the MTA writes CRLF), and also breaks between
 * the parts of a result so that lines stay within AUTHRES_LINE_MAX octets
 * where possible; the first line is counted as following
 * "Authentication-Results: ".
 * authserv_id and every property value are written bare when they are an
 * RFC 2045 token, or for a value a local@domain (RFC 8601 2.2 pvalue),
 * else as a quoted-string with '"' and '\' escaped.  A comment is written
 * "(...)" after the result with '(', ')' and '\' escaped.  In both, control
 * characters (CR, LF, TAB, DEL, ...) never reach the output: a value gets
 * '?' in their place, a comment drops them; bytes that are not UTF-8
 * become '?'.  So a hostile selector or domain cannot add a header line.
 * method, result, ptype and property are keywords chosen by the caller
 * (letters, digits, '-', '_').  Returns 0, or -1 (and out = "") if the
 * text does not fit in min(outlen, AUTHRES_MAX) bytes, a keyword is not
 * one, nprop is more than AUTHRES_PROPS_MAX, authserv_id is empty or
 * longer than AUTHRES_SERVID_MAX, or a string is NULL: the header is
 * never truncated.
 *
 * The parsers read a foreign field body: hostile, len bytes, not
 * NUL-terminated, folded or not; a NUL byte makes it malformed.
 *
 * authres_parse_servid(value, len, id, idlen): skips CFWS, reads the
 * authserv-id (token or quoted-string), an optional version, CFWS, and
 * wants ";" next (RFC 8601 2.2).  Copies the id in lower case (ASCII) and
 * returns 0; -1 if malformed or the id does not fit in idlen (out of
 * AUTHRES_SERVID_MAX + 1 bytes, every id fits).
 *
 * authres_is_ours(value, len, our_id): 1 if the field carries our_id as
 * its authserv-id, compared without ASCII case, else 0.  It is lenient on
 * purpose: only the leading id is read, whatever follows, so a malformed
 * header that a downstream reader might still credit to us is also
 * reported as ours and deleted (RFC 8601 5).  A NUL byte ends the value
 * here, as it would for a reader that takes C strings.  our_id must be
 * at most AUTHRES_SERVID_MAX octets (the configuration enforces it); a
 * longer one never matches.
 *
 * authres_parse(value, len, out): the authserv-id and each method=result
 * pair (RFC 8601 2.2 grammar: method versions, reason=, ptype.prop=value,
 * comments anywhere CFWS may stand).  Values are skipped, not kept.
 * Tolerated, as large providers send them: one trailing ";", a bare
 * key=value after a result ("action=none"), an unquoted value with
 * characters outside a token ("header.b=ab/c+"), an empty value.
 * Results past AUTHRES_PARSE_RESULTS_MAX are checked but not stored and
 * set truncated.  "id; none" gives nres == 0.  Returns 0, or -1 on
 * malformed syntax, an authres-version other than 1, or a method, result
 * or id too long for its field.  Linear in len; never allocates.
 *
 * All functions are thread-safe and touch only their arguments.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

#include <stddef.h>

/* our own header value never exceeds this (NUL included) */
#define AUTHRES_MAX		  4096
/* results examined in a foreign header: more is not a real one */
#define AUTHRES_PARSE_RESULTS_MAX 64
/* properties per result written: DMARC needs at most four */
#define AUTHRES_PROPS_MAX	  6
/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters */
#define AUTHRES_LINE_MAX	  78
/* longest authserv-id read: a host name is at most 253 octets */
#define AUTHRES_SERVID_MAX	  255

struct authres_prop {
	const char *ptype;    /* "smtp", "header", "policy" */
	const char *property; /* "mailfrom", "d", "dmarc" */
	const char *value;    /* "user@example.com", "example.com", "reject" */
};

struct authres_result {
	const char *method;  /* "spf", "dkim", "dmarc" */
	const char *result;  /* "pass", "fail", ... */
	const char *comment; /* NULL or "" for none; written "(...)" */
	size_t nprop;
	struct authres_prop prop[AUTHRES_PROPS_MAX];
};

struct authres_parsed {
	char servid[AUTHRES_SERVID_MAX + 1]; /* lower case */
	size_t nres;			     /* pairs stored in res[] */
	struct {
		char method[32]; /* lower case, version dropped */
		char result[32]; /* lower case */
	} res[AUTHRES_PARSE_RESULTS_MAX];
	int truncated; /* 1 if more results than res[] holds */
};

int authres_format(const char *authserv_id, const struct authres_result *res,
    size_t nres, int fold, char *out, size_t outlen);
int authres_parse_servid(const char *value, size_t len, char *id, size_t idlen);
int authres_is_ours(const char *value, size_t len, const char *our_id);
int authres_parse(const char *value, size_t len, struct authres_parsed *out);

#endif
