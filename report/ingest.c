/*
 * ingest.c - received aggregate reports: unwrap, parse, store
 *
 * Everything here reads hostile bytes.  Decompression is bounded by
 * INGEST_XML_MAX and by INGEST_RATIO_MAX times the input; the XML parser
 * never sees a DOCTYPE (so no entity is ever declared, expanded or
 * fetched) and runs with XML_PARSE_NONET and without XML_PARSE_NOENT,
 * XML_PARSE_DTDLOAD or XML_PARSE_HUGE.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <zlib.h>

#include "report/ingest.h"

#define NS_DMARC2	"urn:ietf:params:xml:ns:dmarc-2.0"
#define MIME_PARTS_MAX	64 /* MIME headers looked at in one message */
#define ZIP_ENTRIES_MAX 16 /* zip members looked at */

#define ERR(...) (void)snprintf(err, errlen, __VA_ARGS__)

/* inflate_bounded - inflate with zlib's window bits wbits, capped */
static int
inflate_bounded(const unsigned char *in, size_t len, int wbits,
    unsigned char **out_r, size_t *outlen_r, char *err, size_t errlen)
{
	z_stream zs;
	unsigned char *buf = NULL, *nb;
	size_t cap, size = 0, used = 0;
	int zr;

	/* the cap against bombs: a ratio, with a floor for small inputs */
	cap = len > INGEST_XML_MAX / INGEST_RATIO_MAX ? INGEST_XML_MAX
						      : len * INGEST_RATIO_MAX;
	if (cap < INGEST_RATIO_FLOOR)
		cap = INGEST_RATIO_FLOOR;
	if (cap > INGEST_XML_MAX)
		cap = INGEST_XML_MAX;
	if (len > UINT32_MAX) {
		ERR("compressed data too large");
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, wbits) != Z_OK) {
		ERR("zlib: out of memory");
		return -1;
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	for (;;) {
		if (used == size) {
			size_t ns = size == 0 ? 64 * 1024 : size * 2;

			if (size >= cap + 1) {
				ERR("decompresses past %zu bytes (cap)", cap);
				goto fail;
			}
			if (ns > cap + 1)
				ns = cap + 1;
			if ((nb = realloc(buf, ns + 1)) == NULL) {
				ERR("out of memory");
				goto fail;
			}
			buf = nb;
			size = ns;
		}
		zs.next_out = buf + used;
		zs.avail_out = (uInt)(size - used);
		zr = inflate(&zs, Z_NO_FLUSH);
		used = size - zs.avail_out;
		if (used > cap) {
			ERR("decompresses past %zu bytes (cap)", cap);
			goto fail;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
			ERR("compressed data truncated");
			goto fail;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			ERR("compressed data damaged (%s)",
			    zs.msg != NULL ? zs.msg : "zlib error");
			goto fail;
		}
	}
	inflateEnd(&zs);
	buf[used] = '\0';
	*out_r = buf;
	*outlen_r = used;
	return 0;
fail:
	inflateEnd(&zs);
	free(buf);
	return -1;
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	    (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/*
 * unzip - the first member whose name ends in ".xml" (else the first
 * member), from the local headers (APPNOTE.TXT 4.3.7)
 */
static int
unzip(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r, char *err, size_t errlen)
{
	size_t off = 0, first = SIZE_MAX;
	int n;

	for (n = 0; n < ZIP_ENTRIES_MAX && len - off >= 30 &&
	     le32(in + off) == 0x04034b50UL;
	     n++) {
		unsigned flags = le16(in + off + 6);
		unsigned long csize = le32(in + off + 18);
		size_t nlen = le16(in + off + 26), xlen = le16(in + off + 28);
		size_t data = off + 30 + nlen + xlen;

		if (data > len) {
			ERR("zip: truncated header");
			return -1;
		}
		if (nlen >= 4 &&
		    strncasecmp((const char *)in + off + 30 + nlen - 4, ".xml",
			4) == 0) {
			first = off;
			break;
		}
		if (first == SIZE_MAX)
			first = off;
		if (flags & 0x08) /* sizes after the data: stop here */
			break;
		if (csize > len - data)
			break;
		off = data + csize;
	}
	if (first == SIZE_MAX) {
		ERR("zip: no member found");
		return -1;
	}
	{
		const unsigned char *h = in + first;
		unsigned flags = le16(h + 6), method = le16(h + 8);
		unsigned long crc = le32(h + 14), csize = le32(h + 18);
		unsigned long usize = le32(h + 22);
		size_t data = first + 30 + le16(h + 26) + le16(h + 28);
		size_t avail = len - data;
		unsigned char *buf;

		if (flags & 0x01) {
			ERR("zip: encrypted member");
			return -1;
		}
		if (csize == 0xffffffffUL || usize == 0xffffffffUL) {
			ERR("zip: ZIP64 not supported");
			return -1;
		}
		if (!(flags & 0x08) && csize < avail)
			avail = csize;
		if (method == 0) {
			if ((flags & 0x08) || csize > len - data) {
				ERR("zip: stored member truncated");
				return -1;
			}
			if (csize > INGEST_XML_MAX) {
				ERR("zip: member past %lu bytes (cap)",
				    (unsigned long)INGEST_XML_MAX);
				return -1;
			}
			if ((buf = malloc(csize + 1)) == NULL) {
				ERR("out of memory");
				return -1;
			}
			memcpy(buf, in + data, csize);
			buf[csize] = '\0';
			*out_r = buf;
			*outlen_r = csize;
		} else if (method == 8) {
			if (inflate_bounded(in + data, avail, -15, out_r,
				outlen_r, err, errlen) == -1)
				return -1;
		} else {
			ERR("zip: compression method %u not supported", method);
			return -1;
		}
		if (!(flags & 0x08) &&
		    (crc32(0L, *out_r, (uInt)*outlen_r) != crc ||
			*outlen_r != usize)) {
			free(*out_r);
			*out_r = NULL;
			ERR("zip: CRC or size mismatch");
			return -1;
		}
	}
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* b64_decode - RFC 2045 6.8: characters outside the alphabet are skipped */
static int
b64_decode(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r)
{
	unsigned char *buf;
	unsigned long acc = 0;
	size_t i, n = 0;
	int bits = 0, v;

	if ((buf = malloc(len / 4 * 3 + 4)) == NULL)
		return -1;
	for (i = 0; i < len && in[i] != '='; i++) {
		if ((v = b64val(in[i])) < 0)
			continue;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	buf[n] = '\0';
	*out_r = buf;
	*outlen_r = n;
	return 0;
}

/* memfind - the first occurrence of s (NUL-terminated) in p[0..len) */
static const unsigned char *
memfind(const unsigned char *p, size_t len, const char *s)
{
	return memmem(p, len, s, strlen(s));
}

/* line_starts_ci - p[0..len) begins with the word s, case-insensitively */
static int
starts_ci(const unsigned char *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && strncasecmp((const char *)p, s, n) == 0;
}

/* NOLINTBEGIN(misc-no-recursion): mime_find() and decode_depth() nest
 * once (depth 0, then 1) */
static int decode_depth(const unsigned char *, size_t, unsigned char **,
    size_t *, char *, size_t, int);

/*
 * mime_find - a part of a mail message whose Content-Type is a report
 * (RFC 7489 7.2.1.1: gzip, zip or XML; octet-stream is seen too), decoded
 * from base64 when its Content-Transfer-Encoding says so (RFC 2045 6)
 */
static int
mime_find(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r, char *err, size_t errlen)
{
	static const char *const types[] = {"application/gzip",
	    "application/x-gzip", "application/zip",
	    "application/x-zip-compressed", "text/xml", "application/xml",
	    "application/octet-stream"};
	size_t pos = 0, n;
	int parts = 0;

	while (pos < len && parts < MIME_PARTS_MAX) {
		const unsigned char *eol = memchr(in + pos, '\n', len - pos);
		size_t linelen = (eol != NULL ? (size_t)(eol - in) : len) - pos;
		size_t hstart, hend, bstart, bend, i;
		const unsigned char *v, *blank, *bnd;
		int is_b64 = 0, match = 0;

		if (!starts_ci(in + pos, linelen, "content-type:")) {
			pos += linelen + 1;
			continue;
		}
		parts++;
		v = in + pos + 13;
		while (v < in + pos + linelen && (*v == ' ' || *v == '\t'))
			v++;
		for (n = 0; n < sizeof(types) / sizeof(types[0]); n++)
			if (starts_ci(v, (size_t)(in + pos + linelen - v),
				types[n]))
				match = 1;
		if (!match) {
			pos += linelen + 1;
			continue;
		}
		/* the header block: back to a blank or boundary line */
		hstart = pos;
		while (hstart > 0) {
			size_t ls = hstart - 1;

			while (ls > 0 && in[ls - 1] != '\n')
				ls--;
			if (hstart - 1 - ls <= 1 || in[ls] == '-')
				break;
			hstart = ls;
		}
		blank = memfind(in + pos, len - pos, "\n\r\n");
		{
			const unsigned char *b2 =
			    memfind(in + pos, len - pos, "\n\n");

			if (blank == NULL || (b2 != NULL && b2 < blank))
				blank = b2;
		}
		if (blank == NULL)
			break;
		hend = (size_t)(blank - in);
		bstart = hend + (blank[1] == '\r' ? 3 : 2);
		for (i = hstart; i < hend; i++) {
			if ((i == hstart || in[i - 1] == '\n') &&
			    starts_ci(in + i, hend - i,
				"content-transfer-encoding:")) {
				const unsigned char *e = in + i + 26;

				while (
				    e < in + hend && (*e == ' ' || *e == '\t'))
					e++;
				is_b64 = starts_ci(e, (size_t)(in + hend - e),
				    "base64");
			}
		}
		/* the body ends at the next boundary line */
		bnd = memfind(in + bstart, len - bstart, "\n--");
		bend = bnd != NULL ? (size_t)(bnd - in) : len;
		{
			unsigned char *part;
			size_t plen;
			int r;

			if (is_b64) {
				if (b64_decode(in + bstart, bend - bstart,
					&part, &plen) == -1) {
					ERR("out of memory");
					return -1;
				}
				r = decode_depth(part, plen, out_r, outlen_r,
				    err, errlen, 1);
				free(part);
			} else
				r = decode_depth(in + bstart, bend - bstart,
				    out_r, outlen_r, err, errlen, 1);
			return r;
		}
	}
	if (parts == 0)
		ERR("not XML, gzip, zip or a mail message");
	else
		ERR("mail message without a report attachment");
	return -1;
}

/* looks_like_xml - after blanks and a UTF-8 BOM, a '<' */
static int
looks_like_xml(const unsigned char *in, size_t len)
{
	size_t i = 0;

	if (len >= 3 && in[0] == 0xef && in[1] == 0xbb && in[2] == 0xbf)
		i = 3;
	while (i < len &&
	    (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
		i++;
	return i < len && in[i] == '<';
}

static int
decode_depth(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r, char *err, size_t errlen, int depth)
{
	unsigned char *buf;

	*out_r = NULL;
	if (len >= 2 && in[0] == 0x1f && in[1] == 0x8b)
		return inflate_bounded(in, len, 15 + 16, out_r, outlen_r, err,
		    errlen);
	if (len >= 4 && le32(in) == 0x04034b50UL)
		return unzip(in, len, out_r, outlen_r, err, errlen);
	if (looks_like_xml(in, len)) {
		if (len > INGEST_XML_MAX) {
			ERR("XML past %lu bytes (cap)",
			    (unsigned long)INGEST_XML_MAX);
			return -1;
		}
		if ((buf = malloc(len + 1)) == NULL) {
			ERR("out of memory");
			return -1;
		}
		memcpy(buf, in, len);
		buf[len] = '\0';
		*out_r = buf;
		*outlen_r = len;
		return 0;
	}
	if (depth == 0)
		return mime_find(in, len, out_r, outlen_r, err, errlen);
	ERR("not XML, gzip, zip or a mail message");
	return -1;
}
/* NOLINTEND(misc-no-recursion) */

/* ingest_decode - a report as received to its XML */
int
ingest_decode(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r, char *err, size_t errlen)
{
	if (len > INGEST_FILE_MAX) {
		ERR("input past %lu bytes (cap)",
		    (unsigned long)INGEST_FILE_MAX);
		return -1;
	}
	return decode_depth(in, len, out_r, outlen_r, err, errlen, 0);
}

/* ---- XML ---- */

static int
is_el(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *
child(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (is_el(c, name))
			return c;
	return NULL;
}

/*
 * text - the element's own text and CDATA children, whitespace trimmed,
 * into buf; an entity reference is never followed.  -1 if too long or
 * it holds a control character.
 */
static int
text(const xmlNode *n, char *buf, size_t size)
{
	const xmlNode *c;
	size_t used = 0, b, e, k;

	buf[0] = '\0';
	if (n == NULL)
		return 0;
	for (c = n->children; c != NULL; c = c->next) {
		const char *s;
		size_t sl;

		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		s = (const char *)c->content;
		sl = s != NULL ? strlen(s) : 0;
		if (sl >= size - used)
			return -1;
		memcpy(buf + used, s, sl);
		used += sl;
		buf[used] = '\0';
	}
	for (k = 0; k < used; k++)
		if ((unsigned char)buf[k] < 0x20 && buf[k] != ' ' &&
		    buf[k] != '\t' && buf[k] != '\n' && buf[k] != '\r')
			return -1;
	for (b = 0; b < used && isspace((unsigned char)buf[b]); b++)
		;
	for (e = used; e > b && isspace((unsigned char)buf[e - 1]); e--)
		;
	memmove(buf, buf + b, e - b);
	buf[e - b] = '\0';
	for (k = 0; buf[k] != '\0'; k++)
		if ((unsigned char)buf[k] < 0x20 || buf[k] == 0x7f)
			return -1; /* one-line fields */
	return 0;
}

#define TEXT(node, field, what)                                                \
	do {                                                                   \
		if (text((node), (field), sizeof(field)) == -1) {              \
			ERR("%s: too long or a control character", (what));    \
			goto fail;                                             \
		}                                                              \
	} while (0)

/* too_deep - the tree goes past INGEST_DEPTH_MAX */
static int
too_deep(const xmlNode *n, int depth) /* NOLINT(misc-no-recursion) */
{
	const xmlNode *c;

	if (depth > INGEST_DEPTH_MAX)
		return 1;
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && too_deep(c, depth + 1))
			return 1;
	return 0;
}

static int
lower_word(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	return 0;
}

/* parse_int - a decimal integer in [min, max] */
static int
parse_int(const char *s, long long min, long long max, long long *v_r)
{
	const char *errstr = NULL;

	*v_r = strtonum(s, min, max, &errstr);
	return errstr != NULL ? -1 : 0;
}

/* parse_record - one <record> (RFC 9990 / RFC 7489 appendix C) */
static int
parse_record(const xmlNode *rec, struct ingest_row *r, char *err, size_t errlen)
{
	const xmlNode *row = child(rec, "row"), *pe, *ids, *ar, *c;
	char num[32];
	unsigned char a6[16];
	int have_pass = 0;

	memset(r, 0, sizeof(*r));
	pe = child(row, "policy_evaluated");
	TEXT(child(row, "source_ip"), r->source_ip, "source_ip");
	if (inet_pton(AF_INET, r->source_ip, a6) != 1 &&
	    inet_pton(AF_INET6, r->source_ip, a6) != 1) {
		ERR("source_ip \"%.64s\" is not an address", r->source_ip);
		return -1;
	}
	TEXT(child(row, "count"), num, "count");
	if (parse_int(num, 0, INGEST_COUNT_MAX, &r->count) == -1) {
		ERR("count \"%.32s\" is not a number", num);
		return -1;
	}
	TEXT(child(pe, "disposition"), r->disposition, "disposition");
	TEXT(child(pe, "dkim"), r->dkim_eval, "policy_evaluated/dkim");
	TEXT(child(pe, "spf"), r->spf_eval, "policy_evaluated/spf");
	lower_word(r->disposition);
	lower_word(r->dkim_eval);
	lower_word(r->spf_eval);
	ids = child(rec, "identifiers");
	TEXT(child(ids, "header_from"), r->header_from, "header_from");
	TEXT(child(ids, "envelope_from"), r->envelope_from, "envelope_from");
	lower_word(r->header_from);
	lower_word(r->envelope_from);
	if (r->header_from[0] == '\0') {
		ERR("record without header_from");
		return -1;
	}
	ar = child(rec, "auth_results");
	for (c = ar != NULL ? ar->children : NULL; c != NULL; c = c->next) {
		if (is_el(c, "dkim") && !have_pass) {
			char d[254], s[65], res[16];

			TEXT(child(c, "domain"), d, "dkim/domain");
			TEXT(child(c, "selector"), s, "dkim/selector");
			TEXT(child(c, "result"), res, "dkim/result");
			lower_word(res);
			if (r->dkim_result[0] == '\0' ||
			    strcmp(res, "pass") == 0) {
				memcpy(r->dkim_domain, d, sizeof(d));
				memcpy(r->dkim_selector, s, sizeof(s));
				memcpy(r->dkim_result, res, sizeof(res));
				have_pass = strcmp(res, "pass") == 0;
			}
		} else if (is_el(c, "spf") && r->spf_result[0] == '\0') {
			TEXT(child(c, "domain"), r->spf_domain, "spf/domain");
			TEXT(child(c, "result"), r->spf_result, "spf/result");
			lower_word(r->spf_result);
		}
	}
	lower_word(r->dkim_domain);
	lower_word(r->spf_domain);
	return 0;
fail:
	return -1;
}

/* ingest_parse - one <feedback> document to a report */
int
ingest_parse(const unsigned char *xml, size_t len, struct ingest_report **rep_r,
    char *err, size_t errlen)
{
	struct ingest_report *rep = NULL;
	xmlDoc *doc = NULL;
	const xmlNode *root, *md, *dr, *pp, *c;
	char num[32];
	size_t nrec = 0, i;

	*rep_r = NULL;
	if (len > INGEST_XML_MAX) {
		ERR("XML past %lu bytes (cap)", (unsigned long)INGEST_XML_MAX);
		return -1;
	}
	if (memchr(xml, '\0', len) != NULL) {
		ERR("NUL byte in the XML");
		return -1;
	}
	/*
	 * No report has a DTD; refusing any keeps every entity (internal:
	 * billion laughs; external: file:// and http://) out of reach.
	 */
	if (memfind(xml, len, "<!DOCTYPE") != NULL ||
	    memfind(xml, len, "<!ENTITY") != NULL) {
		ERR("DOCTYPE or ENTITY declaration refused");
		return -1;
	}
	doc = xmlReadMemory((const char *)xml, (int)len, "report.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		XML_PARSE_NOCDATA);
	if (doc == NULL) {
		const xmlError *xe = xmlGetLastError();

		ERR("not well-formed XML%s%.100s",
		    xe != NULL && xe->message != NULL ? ": " : "",
		    xe != NULL && xe->message != NULL ? xe->message : "");
		/* libxml2's messages end in a newline */
		if (err[0] != '\0' && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		return -1;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		ERR("DOCTYPE refused");
		goto fail;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_el(root, "feedback")) {
		ERR("root element is not <feedback>");
		goto fail;
	}
	if (too_deep(root, 1)) {
		ERR("elements nested deeper than %d", INGEST_DEPTH_MAX);
		goto fail;
	}
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		ERR("out of memory");
		goto fail;
	}
	if (root->ns == NULL || root->ns->href == NULL)
		rep->version = 1;
	else if (strcmp((const char *)root->ns->href, NS_DMARC2) == 0)
		rep->version = 2;
	else {
		ERR("unknown namespace \"%.100s\"",
		    (const char *)root->ns->href);
		goto fail;
	}
	md = child(root, "report_metadata");
	TEXT(child(md, "org_name"), rep->org_name, "org_name");
	TEXT(child(md, "email"), rep->email, "email");
	TEXT(child(md, "report_id"), rep->report_id, "report_id");
	if (rep->org_name[0] == '\0' || rep->report_id[0] == '\0') {
		ERR("report_metadata without org_name or report_id");
		goto fail;
	}
	dr = child(md, "date_range");
	TEXT(child(dr, "begin"), num, "date_range/begin");
	if (parse_int(num, 0, 1LL << 40, &rep->begin) == -1) {
		ERR("date_range/begin \"%.32s\" is not a time", num);
		goto fail;
	}
	TEXT(child(dr, "end"), num, "date_range/end");
	if (parse_int(num, 0, 1LL << 40, &rep->end) == -1 ||
	    rep->end < rep->begin) {
		ERR("date_range/end \"%.32s\" is not a time after begin", num);
		goto fail;
	}
	pp = child(root, "policy_published");
	TEXT(child(pp, "domain"), rep->domain, "policy_published/domain");
	lower_word(rep->domain);
	if (rep->domain[0] == '\0') {
		ERR("policy_published without domain");
		goto fail;
	}
	TEXT(child(pp, "p"), rep->p, "p");
	TEXT(child(pp, "sp"), rep->sp, "sp");
	TEXT(child(pp, "np"), rep->np, "np");
	TEXT(child(pp, "adkim"), rep->adkim, "adkim");
	TEXT(child(pp, "aspf"), rep->aspf, "aspf");
	for (c = root->children; c != NULL; c = c->next)
		if (is_el(c, "record"))
			nrec++;
	if (nrec > INGEST_ROWS_MAX) {
		ERR("%zu records, past %d (cap)", nrec, INGEST_ROWS_MAX);
		goto fail;
	}
	if (nrec > 0 &&
	    (rep->rows = calloc(nrec, sizeof(*rep->rows))) == NULL) {
		ERR("out of memory");
		goto fail;
	}
	for (c = root->children, i = 0; c != NULL; c = c->next) {
		if (!is_el(c, "record"))
			continue;
		if (parse_record(c, &rep->rows[i], err, errlen) == -1) {
			char why[256];

			(void)strlcpy(why, err, sizeof(why));
			ERR("record %zu: %s", i + 1, why);
			goto fail;
		}
		i++;
	}
	rep->nrows = i;
	xmlFreeDoc(doc);
	*rep_r = rep;
	return 0;
fail:
	ingest_report_free(&rep);
	xmlFreeDoc(doc);
	return -1;
}

void
ingest_report_free(struct ingest_report **rep)
{
	if (rep == NULL || *rep == NULL)
		return;
	free((*rep)->rows);
	free(*rep);
	*rep = NULL;
}

/* ---- storage ---- */

/*
 * One set of statements serves both backends: parameters are written $N
 * and always bound (SQLite reads "$1" as a named parameter whose index is
 * its order of first appearance, so they are numbered in that order).
 * Only the table definitions and BEGIN differ.  ON CONFLICT DO NOTHING
 * and RETURNING need SQLite 3.35 (PostgreSQL 9.5).
 */
static const char sq_schema[] =
    "CREATE TABLE IF NOT EXISTS ingest_reports ("
    " id INTEGER PRIMARY KEY, reporter TEXT NOT NULL,"
    " report_id TEXT NOT NULL, org_name TEXT NOT NULL, email TEXT NOT NULL,"
    " begin_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL,"
    " domain TEXT NOT NULL, p TEXT, sp TEXT, np TEXT, adkim TEXT,"
    " aspf TEXT, version INTEGER NOT NULL, ingested INTEGER NOT NULL,"
    " UNIQUE (reporter, report_id));"
    "CREATE TABLE IF NOT EXISTS ingest_rows ("
    " report INTEGER NOT NULL REFERENCES ingest_reports(id)"
    "  ON DELETE CASCADE,"
    " source_ip TEXT NOT NULL, count INTEGER NOT NULL, disposition TEXT,"
    " dkim_eval TEXT, spf_eval TEXT, header_from TEXT NOT NULL,"
    " envelope_from TEXT, dkim_domain TEXT, dkim_selector TEXT,"
    " dkim_result TEXT, spf_domain TEXT, spf_result TEXT);"
    "CREATE INDEX IF NOT EXISTS ingest_rows_report ON ingest_rows(report);"
    "CREATE INDEX IF NOT EXISTS ingest_reports_begin"
    " ON ingest_reports(domain, begin_ts);";

/*
 * The same tables, one statement at a time: CREATE INDEX IF NOT EXISTS
 * locks its table before it looks for the index, so a transaction holding
 * both tables' locks could deadlock with another run that is storing a
 * report.  The advisory lock makes concurrent first runs wait for the one
 * that creates the tables.
 */
static const char *const pg_schema[] =
    {"SELECT pg_advisory_lock(hashtext('dmarc-milter ingest schema'))",
	"CREATE TABLE IF NOT EXISTS ingest_reports ("
	" id BIGSERIAL PRIMARY KEY, reporter TEXT NOT NULL,"
	" report_id TEXT NOT NULL, org_name TEXT NOT NULL, email TEXT NOT NULL,"
	" begin_ts BIGINT NOT NULL, end_ts BIGINT NOT NULL,"
	" domain TEXT NOT NULL, p TEXT, sp TEXT, np TEXT, adkim TEXT,"
	" aspf TEXT, version INTEGER NOT NULL, ingested BIGINT NOT NULL,"
	" UNIQUE (reporter, report_id))",
	"CREATE TABLE IF NOT EXISTS ingest_rows ("
	" report BIGINT NOT NULL REFERENCES ingest_reports(id)"
	"  ON DELETE CASCADE,"
	" source_ip TEXT NOT NULL, count BIGINT NOT NULL, disposition TEXT,"
	" dkim_eval TEXT, spf_eval TEXT, header_from TEXT NOT NULL,"
	" envelope_from TEXT, dkim_domain TEXT, dkim_selector TEXT,"
	" dkim_result TEXT, spf_domain TEXT, spf_result TEXT)",
	"CREATE INDEX IF NOT EXISTS ingest_rows_report ON ingest_rows(report)",
	"CREATE INDEX IF NOT EXISTS ingest_reports_begin"
	" ON ingest_reports(domain, begin_ts)",
	"SELECT pg_advisory_unlock(hashtext('dmarc-milter ingest schema'))",
	NULL};

static const char sql_ins_rep[] =
    "INSERT INTO ingest_reports (reporter, report_id, org_name, email,"
    " begin_ts, end_ts, domain, p, sp, np, adkim, aspf, version, ingested)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
    " ON CONFLICT (reporter, report_id) DO NOTHING RETURNING id";
static const char sql_ins_row[] =
    "INSERT INTO ingest_rows (report, source_ip, count, disposition,"
    " dkim_eval, spf_eval, header_from, envelope_from, dkim_domain,"
    " dkim_selector, dkim_result, spf_domain, spf_result)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)";
/* rows of one report come together; their order within it is not kept */
static const char sql_select[] =
    "SELECT r.org_name, r.email, r.report_id, r.begin_ts, r.end_ts,"
    " r.domain, r.p, r.sp, r.np, r.adkim, r.aspf, r.version,"
    " w.source_ip, w.count, w.disposition, w.dkim_eval, w.spf_eval,"
    " w.header_from, w.envelope_from, w.dkim_domain, w.dkim_selector,"
    " w.dkim_result, w.spf_domain, w.spf_result"
    " FROM ingest_reports r JOIN ingest_rows w ON w.report = r.id"
    " WHERE ($1 IS NULL OR r.domain = $1) AND r.begin_ts >= $2"
    " ORDER BY r.begin_ts, r.id";

#define DB_PARAMS_MAX 16 /* parameters of one statement */
#define DB_COLS_MAX   24 /* columns of one result row */
#define PG_TEXTOID    25 /* pg_type.h */
#define PG_INT8OID    20

enum db_vtype { V_NULL, V_TEXT, V_INT };

struct db_val {
	enum db_vtype type;
	const char *s;
	long long n;
};

/* a result row: col[i] is never NULL (SQL NULL reads as "") */
typedef int db_row_fn(const char *const *col, int ncol, void *arg);

struct ingest_db {
	sqlite3 *sq; /* one of the two */
	PGconn *pg;
	char err[256];
};

#define DBERR(db, ...) (void)snprintf((db)->err, sizeof((db)->err), __VA_ARGS__)

/* chomp - libpq's messages: the first line ("ERROR:  ..."), no DETAIL */
static void
chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "relation ... already exists, skipping" */
}

/* db_simple - a statement without parameters or rows (or several) */
static int
db_simple(struct ingest_db *db, const char *sql)
{
	PGresult *res;
	char *emsg = NULL;
	int ok;

	if (db->sq != NULL) {
		if (sqlite3_exec(db->sq, sql, NULL, NULL, &emsg) == SQLITE_OK)
			return 0;
		DBERR(db, "sqlite: %s",
		    emsg != NULL ? emsg : sqlite3_errmsg(db->sq));
		sqlite3_free(emsg);
		return -1;
	}
	res = PQexec(db->pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok) {
		DBERR(db, "postgresql: %s",
		    res != NULL ? PQresultErrorMessage(res)
				: PQerrorMessage(db->pg));
		chomp(db->err);
	}
	PQclear(res);
	return ok ? 0 : -1;
}

/* sq_run - db_run on SQLite */
static int
sq_run(struct ingest_db *db, const char *sql, const struct db_val *v, int nv,
    db_row_fn *fn, void *arg)
{
	const char *col[DB_COLS_MAX];
	sqlite3_stmt *s = NULL;
	int i, n, sr, rc = 0;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &s, NULL) != SQLITE_OK) {
		DBERR(db, "sqlite: %s", sqlite3_errmsg(db->sq));
		return -1;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].type == V_TEXT)
			sr = sqlite3_bind_text(s, i + 1, v[i].s, -1,
			    SQLITE_STATIC);
		else if (v[i].type == V_INT)
			sr = sqlite3_bind_int64(s, i + 1, v[i].n);
		else
			sr = sqlite3_bind_null(s, i + 1);
		if (sr != SQLITE_OK) {
			DBERR(db, "sqlite: %s", sqlite3_errmsg(db->sq));
			sqlite3_finalize(s);
			return -1;
		}
	}
	n = sqlite3_column_count(s);
	if (n > DB_COLS_MAX)
		n = DB_COLS_MAX;
	while ((sr = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			const unsigned char *t = sqlite3_column_text(s, i);

			col[i] = t != NULL ? (const char *)t : "";
		}
		if (fn != NULL && (rc = fn(col, n, arg)) != 0)
			break;
	}
	if (rc == 0 && sr != SQLITE_DONE) {
		DBERR(db, "sqlite: %s", sqlite3_errmsg(db->sq));
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}

/* pg_run - db_run on PostgreSQL: rows streamed one at a time */
static int
pg_run(struct ingest_db *db, const char *sql, const struct db_val *v, int nv,
    db_row_fn *fn, void *arg)
{
	const char *val[DB_PARAMS_MAX], *col[DB_COLS_MAX];
	char num[DB_PARAMS_MAX][24];
	Oid types[DB_PARAMS_MAX];
	PGresult *res;
	int i, n, rc = 0, failed = 0;

	for (i = 0; i < nv; i++) {
		types[i] = v[i].type == V_INT ? PG_INT8OID : PG_TEXTOID;
		if (v[i].type == V_TEXT)
			val[i] = v[i].s;
		else if (v[i].type == V_INT) {
			(void)snprintf(num[i], sizeof(num[i]), "%lld", v[i].n);
			val[i] = num[i];
		} else
			val[i] = NULL;
	}
	if (!PQsendQueryParams(db->pg, sql, nv, types, val, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(db->pg)) {
		DBERR(db, "postgresql: %s", PQerrorMessage(db->pg));
		chomp(db->err);
		/* a query may be under way: read it to the end */
		while ((res = PQgetResult(db->pg)) != NULL)
			PQclear(res);
		return -1;
	}
	/* every result is read, even after fn stopped or an error */
	while ((res = PQgetResult(db->pg)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			if (rc != 0 || failed || fn == NULL)
				break;
			n = PQnfields(res);
			if (n > DB_COLS_MAX)
				n = DB_COLS_MAX;
			for (i = 0; i < n; i++)
				col[i] = PQgetvalue(res, 0, i);
			rc = fn(col, n, arg);
			break;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			break;
		default:
			if (!failed) {
				DBERR(db, "postgresql: %s",
				    PQresultErrorMessage(res));
				chomp(db->err);
			}
			failed = 1;
		}
		PQclear(res);
	}
	return failed ? -1 : rc;
}

/*
 * db_run - one statement with nv bound parameters; fn (may be NULL) sees
 * each row.  0, -1 with db->err, or fn's non-zero value.
 */
static int
db_run(struct ingest_db *db, const char *sql, const struct db_val *v, int nv,
    db_row_fn *fn, void *arg)
{
	if (nv > DB_PARAMS_MAX) {
		DBERR(db, "too many parameters");
		return -1;
	}
	db->err[0] = '\0';
	if (db->sq != NULL)
		return sq_run(db, sql, v, nv, fn, arg);
	return pg_run(db, sql, v, nv, fn, arg);
}

/* pg_connect - libpq; our timeout is a default the URI may override */
static int
pg_connect(struct ingest_db *db, const char *uri)
{
	/* later keywords win: dbname (the URI, expanded) is last */
	static const char *const kw[] = {"connect_timeout", "application_name",
	    "dbname", NULL};
	const char *val[] = {"5", "dmarcctl", uri, NULL};

	if ((db->pg = PQconnectdbParams(kw, val, 1)) == NULL) {
		DBERR(db, "postgresql: out of memory");
		return -1;
	}
	if (PQstatus(db->pg) != CONNECTION_OK ||
	    PQsetClientEncoding(db->pg, "UTF8") != 0) {
		DBERR(db, "postgresql: %s", PQerrorMessage(db->pg));
		chomp(db->err);
		return -1;
	}
	(void)PQsetNoticeProcessor(db->pg, pg_quiet, NULL);
	return 0;
}

/* sq_connect - the SQLite file, created when missing */
static int
sq_connect(struct ingest_db *db, const char *path)
{
	if (sqlite3_open_v2(path, &db->sq,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		NULL) != SQLITE_OK) {
		DBERR(db, "sqlite: %s: %s", path,
		    db->sq != NULL ? sqlite3_errmsg(db->sq) : "out of memory");
		return -1;
	}
	(void)sqlite3_busy_timeout(db->sq, 5000);
	return db_simple(db, "PRAGMA foreign_keys = ON;");
}

/* pg_create - our tables, each statement in its own transaction */
static int
pg_create(struct ingest_db *db)
{
	size_t i;

	for (i = 0; pg_schema[i] != NULL; i++)
		if (db_simple(db, pg_schema[i]) == -1)
			return -1; /* closing the session drops the lock */
	return 0;
}

/*
 * ingest_db_open - the HistoryDB, with our tables.  The URI rules are the
 * store's (store.h): "sqlite:PATH", or "postgresql://..." / "postgres://"
 * handed whole to libpq.
 */
int
ingest_db_open(const char *uri, struct ingest_db **db_r, char *err,
    size_t errlen)
{
	struct ingest_db *db;
	int r;

	*db_r = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		ERR("out of memory");
		return -1;
	}
	if (strncmp(uri, "sqlite:", 7) == 0 && uri[7] != '\0')
		r = sq_connect(db, uri + 7) == -1 ||
		    db_simple(db, sq_schema) == -1;
	else if (strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0)
		r = pg_connect(db, uri) == -1 || pg_create(db) == -1;
	else {
		ERR("\"%.64s\": not sqlite:PATH or postgresql://...", uri);
		ingest_db_close(&db);
		return -1;
	}
	if (r) {
		ERR("%s", db->err);
		ingest_db_close(&db);
		return -1;
	}
	*db_r = db;
	return 0;
}

void
ingest_db_close(struct ingest_db **db)
{
	if (db == NULL || *db == NULL)
		return;
	sqlite3_close((*db)->sq);
	PQfinish((*db)->pg);
	free(*db);
	*db = NULL;
}

const char *
ingest_db_error(const struct ingest_db *db)
{
	return db != NULL && db->err[0] != '\0' ? db->err : "database error";
}

/* got_id - the id RETURNING gives: no row means the report was known */
static int
got_id(const char *const *col, int ncol, void *arg)
{
	long long *id = arg;
	const char *errstr = NULL;

	if (ncol < 1)
		return -1;
	*id = strtonum(col[0], 1, LLONG_MAX, &errstr);
	return errstr != NULL ? -1 : 0;
}

static struct db_val
vt(const char *s)
{
	struct db_val v = {V_TEXT, s, 0};

	return v;
}

static struct db_val
vi(long long n)
{
	struct db_val v = {V_INT, NULL, n};

	return v;
}

/*
 * ingest_db_put - one report and its rows in one transaction.  The
 * UNIQUE (reporter, report_id) constraint and ON CONFLICT DO NOTHING make
 * a second copy a no-op, also when two runs store it at the same time.
 */
int
ingest_db_put(struct ingest_db *db, const struct ingest_report *rep)
{
	struct db_val v[14];
	char reporter[256];
	long long id = 0;
	size_t i;
	int r, rc = -1;

	(void)strlcpy(reporter,
	    rep->email[0] != '\0' ? rep->email : rep->org_name,
	    sizeof(reporter));
	lower_word(reporter);
	if (db_simple(db, db->sq != NULL ? "BEGIN IMMEDIATE" : "BEGIN") == -1)
		return -1;
	v[0] = vt(reporter);
	v[1] = vt(rep->report_id);
	v[2] = vt(rep->org_name);
	v[3] = vt(rep->email);
	v[4] = vi(rep->begin);
	v[5] = vi(rep->end);
	v[6] = vt(rep->domain);
	v[7] = vt(rep->p);
	v[8] = vt(rep->sp);
	v[9] = vt(rep->np);
	v[10] = vt(rep->adkim);
	v[11] = vt(rep->aspf);
	v[12] = vi(rep->version);
	v[13] = vi((long long)time(NULL));
	if ((r = db_run(db, sql_ins_rep, v, 14, got_id, &id)) != 0) {
		if (r != -1 || db->err[0] == '\0')
			DBERR(db, "bad id returned");
		goto out;
	}
	if (id == 0) {
		rc = 1; /* the same reporter sent this report_id before */
		goto out;
	}
	for (i = 0; i < rep->nrows; i++) {
		const struct ingest_row *w = &rep->rows[i];

		v[0] = vi(id);
		v[1] = vt(w->source_ip);
		v[2] = vi(w->count);
		v[3] = vt(w->disposition);
		v[4] = vt(w->dkim_eval);
		v[5] = vt(w->spf_eval);
		v[6] = vt(w->header_from);
		v[7] = vt(w->envelope_from);
		v[8] = vt(w->dkim_domain);
		v[9] = vt(w->dkim_selector);
		v[10] = vt(w->dkim_result);
		v[11] = vt(w->spf_domain);
		v[12] = vt(w->spf_result);
		if (db_run(db, sql_ins_row, v, 13, NULL, NULL) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		if (db_simple(db, "COMMIT") == -1)
			rc = -1;
	} else {
		char keep[sizeof(db->err)];

		/* the first error is the one worth telling */
		(void)strlcpy(keep, db->err, sizeof(keep));
		if (db_simple(db, "ROLLBACK") == -1 && rc == 1)
			rc = -1;
		if (keep[0] != '\0')
			(void)strlcpy(db->err, keep, sizeof(db->err));
	}
	return rc;
}

/* a column copied into a fixed field (truncated if longer) */
#define COL(i, field) (void)strlcpy((field), col[(i)], sizeof(field))

static long long
col_int(const char *s)
{
	const char *errstr = NULL;
	long long n = strtonum(s, LLONG_MIN, LLONG_MAX, &errstr);

	return errstr != NULL ? 0 : n;
}

struct foreach_arg {
	int (*fn)(const struct ingest_report *, const struct ingest_row *,
	    void *);
	void *arg;
};

/* foreach_row - one result row back to a report and a row */
static int
foreach_row(const char *const *col, int ncol, void *arg)
{
	struct foreach_arg *fa = arg;
	struct ingest_report rep;
	struct ingest_row row;

	if (ncol < 24)
		return -1;
	memset(&rep, 0, sizeof(rep));
	memset(&row, 0, sizeof(row));
	COL(0, rep.org_name);
	COL(1, rep.email);
	COL(2, rep.report_id);
	rep.begin = col_int(col[3]);
	rep.end = col_int(col[4]);
	COL(5, rep.domain);
	COL(6, rep.p);
	COL(7, rep.sp);
	COL(8, rep.np);
	COL(9, rep.adkim);
	COL(10, rep.aspf);
	rep.version = (int)col_int(col[11]);
	COL(12, row.source_ip);
	row.count = col_int(col[13]);
	COL(14, row.disposition);
	COL(15, row.dkim_eval);
	COL(16, row.spf_eval);
	COL(17, row.header_from);
	COL(18, row.envelope_from);
	COL(19, row.dkim_domain);
	COL(20, row.dkim_selector);
	COL(21, row.dkim_result);
	COL(22, row.spf_domain);
	COL(23, row.spf_result);
	return fa->fn(&rep, &row, fa->arg);
}

/* ingest_db_foreach - every stored row of the matching reports */
int
ingest_db_foreach(struct ingest_db *db, const char *domain, long long since,
    int (*fn)(const struct ingest_report *, const struct ingest_row *, void *),
    void *arg)
{
	struct foreach_arg fa = {fn, arg};
	struct db_val v[2];

	v[0] = vt(domain);
	if (domain == NULL)
		v[0].type = V_NULL;
	v[1] = vi(since);
	return db_run(db, sql_select, v, 2, foreach_row, &fa);
}
