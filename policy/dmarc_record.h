/*
 * dmarc_record.h - parse one DMARC Policy Record (RFC 9989 4.7-4.8)
 *
 * dmarc_record_parse(txt, len, rec, errstr_r): txt is hostile, len bytes,
 * not NUL-terminated (the strings of one TXT RR, already concatenated).
 * Fills *rec and returns:
 *   DMARC_RECORD_OK        a usable record; rec->warn lists what was
 *                          ignored or replaced by a default
 *   DMARC_RECORD_NOT_DMARC the first tag is not v=DMARC1: not a DMARC
 *                          record at all, skip it (RFC 9989 4.7 "v")
 *   DMARC_RECORD_INVALID   a DMARC record that cannot be used; *errstr_r
 *                          names the tag ("p: unknown policy")
 * Rules:
 * - "v=DMARC1" first, WSP allowed around '=' and before the tag,
 *   "DMARC1" case-sensitive and exact ("v=DMARC10" is not DMARC).  Tag
 *   names and the other values are case-insensitive.
 * - Unknown tags are ignored (RFC 9989 4.7).  A known tag seen twice:
 *   the first wins, with a warning.  A tag without '=': warning, ignored.
 * - A bad value of t, adkim, aspf, psd, fo, pct, ri or rf, or a bad rua or
 *   ruf URI: the default is used (the URI is dropped), with a warning.
 * - No p: p=none (RFC 9989 4.7 "p").  A bad p, sp or np: p=none with sp
 *   and np unset if rua holds at least one valid URI, else INVALID
 *   (RFC 9989 4.10.1).
 * - A NUL byte or more than DMARC_RECORD_MAX bytes in a DMARC record:
 *   INVALID.
 * - rua/ruf: comma-separated URIs, any RFC 3986 scheme (the reporting
 *   code picks mailto:); a legacy RFC 7489 "!size[kmgt]" suffix is parsed
 *   into max_size.  URIs past DMARC_URIS_MAX are dropped with a warning.
 * warn[].tag is the tag name as published, cut to 15 bytes, with bytes
 * outside 0x21-0x7e turned into '?'; warn[].why is static and names the
 * tag for the known ones.  Warnings past DMARC_WARN_MAX are dropped.
 *
 * dmarc_record_is_dmarc(txt, len): 1 if txt starts with the v=DMARC1 tag
 * (the test that RFC 9989 4.10 steps 2 and 6 apply to a TXT record).
 * One linear pass; never allocates; thread-safe.
 */
#ifndef DMARC_RECORD_H
#define DMARC_RECORD_H

#include <stddef.h>

#define DMARC_RECORD_MAX 65535 /* a TXT RR's RDATA cannot be longer */
#define DMARC_URIS_MAX	 8     /* rua or ruf URIs kept; more is abuse */
#define DMARC_URI_MAX	 320   /* "mailto:" + 64 + "@" + 253, with room */
#define DMARC_WARN_MAX	 8     /* enough to tell what went wrong */

enum dmarc_p {
	DMARC_P_UNSPEC = 0,
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT
};
enum dmarc_psd { DMARC_PSD_U = 0, DMARC_PSD_Y, DMARC_PSD_N };
enum dmarc_amode { DMARC_AMODE_RELAXED = 0, DMARC_AMODE_STRICT };

#define DMARC_FO_0 0x1
#define DMARC_FO_1 0x2
#define DMARC_FO_D 0x4
#define DMARC_FO_S 0x8

struct dmarc_uri {
	char uri[DMARC_URI_MAX];
	unsigned long long max_size; /* legacy "!10m" in bytes, 0 = no limit */
};

struct dmarc_warning {
	char tag[16];
	const char *why;
};

struct dmarc_record {
	enum dmarc_p p, sp, np; /* sp/np DMARC_P_UNSPEC when absent */
	int p_explicit;		/* a valid p= was published */
	enum dmarc_psd psd;
	int testing; /* t=y */
	enum dmarc_amode adkim, aspf;
	int pct;	  /* legacy RFC 7489, 100 when absent */
	int pct_explicit; /* a valid pct= was published */
	unsigned fo;	  /* DMARC_FO_* bits, default DMARC_FO_0 ("0") */
	unsigned ri;	  /* legacy RFC 7489, default 86400 */
	size_t nrua, nruf;
	struct dmarc_uri rua[DMARC_URIS_MAX], ruf[DMARC_URIS_MAX];
	size_t nwarn;
	struct dmarc_warning warn[DMARC_WARN_MAX];
};

enum dmarc_record_status {
	DMARC_RECORD_OK,
	DMARC_RECORD_NOT_DMARC,
	DMARC_RECORD_INVALID
};

enum dmarc_record_status dmarc_record_parse(const char *txt, size_t len,
    struct dmarc_record *rec, const char **errstr_r);
int dmarc_record_is_dmarc(const char *txt, size_t len);
const char *dmarc_p_str(enum dmarc_p p); /* "none" ...; "" for UNSPEC */

#endif
