/*
 * aggregate.c - RFC 9990 aggregate reports from recorded outcomes
 *
 * A record's row is rendered to XML as soon as it arrives, with a hole
 * for the count; that rendering is the row's key.  Two records whose rows
 * read the same are the same row, so grouping never disagrees with what
 * the report shows, and the bytes of the keys are exactly the bytes the
 * caps bound.  At the end of a policy domain the rows are sorted, framed
 * by the metadata and the published policy of the last record, and
 * compressed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZLIB_CONST
#include <zlib.h>

#include "policy/domain.h"
#include "policy/sbuf.h"
#include "report/aggregate.h"
#include "report/store.h"

#define NS_DMARC      "urn:ietf:params:xml:ns:dmarc-2.0" /* RFC 9990 A */
#define ROW_XML_MAX   65536 /* one rendered row: 16 signatures, all escaped */
#define DKIM_XML_MAX  2560  /* one <dkim> block: 253 + 64 octets escaped */
#define HEAD_XML_MAX  40960 /* metadata and policy: 4 x AGG_META_MAX x 6 */
#define COUNT_MAX_LEN 20    /* digits of an unsigned long long */
#define ROWS_INIT     1024  /* hash slots at first; a power of two */
#define GZ_LEVEL      9	    /* fixed: the same bytes on every rebuild */
#define REASONS_MAX   7	    /* five stored types and two of our own */

/* every signature the store keeps fits in a row, and no more is read */
_Static_assert(AGG_DKIM_MAX == STORE_DKIM_MAX, "AGG_DKIM_MAX");

enum pol { POL_NONE, POL_QUARANTINE, POL_REJECT, POL_UNSET };

struct row {
	char *key;    /* rendered row, without the count */
	size_t len;   /* bytes of key */
	size_t split; /* the count goes before key[split] */
	uint64_t hash;
	unsigned long long count;
};

struct agg {
	char org_name[AGG_META_MAX + 1], email[AGG_META_MAX + 1];
	char contact[AGG_META_MAX + 1], generator[AGG_META_MAX + 1];
	char receiver[DOMAIN_MAX + 1];
	long long begin;
	int (*emit)(const struct agg_report *, void *);
	void *arg;

	/* the policy domain being built */
	char domain[DOMAIN_MAX + 1];
	struct row *rows; /* hash table, nslot slots, key NULL = free */
	size_t nslot, nrows;
	size_t xmlbytes; /* sum of row keys and counts */
	unsigned long long messages, omitted;
	/* the last record's policy (RFC 9990 2.1: the final configuration) */
	enum pol p, sp, np;
	char adkim, aspf;
	int testing;
	char fo[16], discovery[12];
	char rua[AGG_RUA_MAX];

	/* policy domains already emitted: 64-bit hashes, open addressing */
	uint64_t *seen;
	size_t nseen_slot, nseen;

	struct agg_stats stats;
	int failed;
	char err[320];

	char rowbuf[ROW_XML_MAX];
	char dkimbuf[AGG_DKIM_MAX][DKIM_XML_MAX];
};

static const char *const reason_words[] = {
    /* the RFC 9990 PolicyOverrideType words, in the schema's order */
    "local_policy", "mailing_list", "other", "policy_test_mode",
    "trusted_forwarder"};
#define REASON_OTHER 2

static const char *const dkim_results[] = {/* RFC 8601 2.7.1 */
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror",
    NULL};
static const char *const spf_results[] = {/* RFC 8601 2.7.2 */
    "none", "pass", "fail", "softfail", "policy", "neutral", "temperror",
    "permerror", NULL};

/* FLD - a fixed-size field of a hostile record: pointer and length */
#define FLD(f) (f), strnlen((f), sizeof(f))

/* fldcpy - n bytes of a hostile field as a string, cut to dstlen */
static void
fldcpy(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* fnv1a - 64-bit FNV-1a hash */
static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* span_eq - n bytes of p equal the string s */
static int
span_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* word_in - the word of list that p equals, or NULL */
static const char *
word_in(const char *p, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (span_eq(p, n, *list))
			return *list;
	return NULL;
}

/*
 * xml_char_len - utf8_len() (policy/sbuf.h), less U+FFFE and U+FFFF
 * (EF BF BE, EF BF BF), which XML 1.0 2.2 excludes from its characters.
 */
static size_t
xml_char_len(const unsigned char *p, size_t n)
{
	size_t len = utf8_len(p, n);

	if (len == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
		return 0;
	return len;
}

/*
 * xml_esc - append n bytes of hostile text as XML character data
 * (XML 1.0 2.4): the five markup characters as entities; control
 * characters, which XML 1.0 2.2 forbids or a parser would normalize, and
 * bytes that are not UTF-8 as '?'.
 */
static void
xml_esc(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n) {
		unsigned char c = p[i];

		switch (c) {
		case '&':
			sbuf_adds(sb, "&amp;");
			break;
		case '<':
			sbuf_adds(sb, "&lt;");
			break;
		case '>':
			sbuf_adds(sb, "&gt;");
			break;
		case '"':
			sbuf_adds(sb, "&quot;");
			break;
		case '\'':
			sbuf_adds(sb, "&apos;");
			break;
		default:
			/* '?' for a control character and for bad UTF-8:
			 * NOLINTNEXTLINE(bugprone-branch-clone) */
			if (c < 0x20 || c == 0x7f) {
				sbuf_addc(sb, '?');
			} else if (c < 0x80) {
				sbuf_addc(sb, c);
			} else if ((l = xml_char_len(p + i, n - i)) == 0) {
				sbuf_addc(sb, '?');
			} else {
				sbuf_add(sb, s + i, l);
				i += l;
				continue;
			}
		}
		i++;
	}
}

/* elem - "<name>escaped text</name>\n" at an indent of depth levels */
static void
elem(struct sbuf *sb, int depth, const char *name, const char *s, size_t n)
{
	sbuf_addf(sb, "%*s<%s>", depth * 2, "", name);
	xml_esc(sb, s, n);
	sbuf_addf(sb, "</%s>\n", name);
}

static void
elems(struct sbuf *sb, int depth, const char *name, const char *s)
{
	elem(sb, depth, name, s, strlen(s));
}

static void
open_tag(struct sbuf *sb, int depth, const char *name)
{
	sbuf_addf(sb, "%*s<%s>\n", depth * 2, "", name);
}

static void
close_tag(struct sbuf *sb, int depth, const char *name)
{
	sbuf_addf(sb, "%*s</%s>\n", depth * 2, "", name);
}

/* parse_pol - a stored p, sp or np: RFC 9989 4.7 dmarc-request */
static enum pol
parse_pol(const char *p, size_t n)
{
	if (span_eq(p, n, "none"))
		return POL_NONE;
	if (span_eq(p, n, "quarantine"))
		return POL_QUARANTINE;
	if (span_eq(p, n, "reject"))
		return POL_REJECT;
	return POL_UNSET;
}

static const char *
pol_str(enum pol p)
{
	switch (p) {
	case POL_NONE:
		return "none";
	case POL_QUARANTINE:
		return "quarantine";
	case POL_REJECT:
		return "reject";
	case POL_UNSET:
		break;
	}
	return "";
}

/* canon_ip - a parsable address in canonical text; else the raw text */
static void
canon_ip(const char *ip, size_t n, char *out, size_t outlen)
{
	unsigned char a[16];
	char in[64];

	out[0] = '\0';
	if (n < sizeof(in)) {
		memcpy(in, ip, n);
		in[n] = '\0';
		if (inet_pton(AF_INET, in, a) == 1 &&
		    inet_ntop(AF_INET, a, out, (socklen_t)outlen) != NULL)
			return;
		if (inet_pton(AF_INET6, in, a) == 1) {
			static const unsigned char v4map[12] = {0, 0, 0, 0, 0,
			    0, 0, 0, 0, 0, 0xff, 0xff};

			/* RFC 4291 2.5.5.2: the IPv4 client it stands for */
			if (memcmp(a, v4map, sizeof(v4map)) == 0 &&
			    inet_ntop(AF_INET, a + 12, out,
				(socklen_t)outlen) != NULL)
				return;
			if (inet_ntop(AF_INET6, a, out, (socklen_t)outlen) !=
			    NULL)
				return;
		}
	}
	out[0] = '\0';
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, ip, n);
	out[n] = '\0';
}

/* reasons_parse - stored "type,type" -> bits over reason_words[] */
static unsigned
reasons_parse(const char *s, size_t n)
{
	unsigned bits = 0;
	size_t i = 0, j, k;

	while (i < n) {
		for (j = i; j < n && s[j] != ','; j++)
			;
		k = j;
		while (i < k && (s[i] == ' ' || s[i] == '\t'))
			i++;
		while (k > i && (s[k - 1] == ' ' || s[k - 1] == '\t'))
			k--;
		if (k > i) {
			size_t w;

			for (w = 0;
			     w < sizeof(reason_words) / sizeof(reason_words[0]);
			     w++)
				if (span_eq(s + i, k - i, reason_words[w]))
					break;
			/* RFC 9990 2.1: type MUST be one of these words */
			if (w == sizeof(reason_words) / sizeof(reason_words[0]))
				w = REASON_OTHER;
			bits |= 1u << w;
		}
		i = j + 1;
	}
	return bits;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * render_row - the row of one record, into a->rowbuf; *split_r is where
 * the count goes.  0, or -1 if it did not fit (cannot happen within the
 * field sizes of a store record).
 */
static int
render_row(struct agg *a, const struct store_record *r, size_t *len_r,
    size_t *split_r)
{
	struct sbuf sb, db;
	const char *dkres[AGG_DKIM_MAX] = {NULL}, *disp, *res;
	const char *rtype[REASONS_MAX], *rcomm[REASONS_MAX];
	size_t nreason = 0, ndkim, i, cn;
	char ip[INET6_ADDRSTRLEN + 64], hf[DOMAIN_MAX + 2];
	enum pol p, sp, np, primary;
	unsigned bits;
	int pass, fail, tempfail = 0, matches;
	const char *comment = r->reason_comment;

	canon_ip(FLD(r->source_ip), ip, sizeof(ip));
	p = parse_pol(FLD(r->p));
	if (p == POL_UNSET)
		p = POL_NONE; /* RFC 9989 4.7 "p": absent or bad means none */
	sp = parse_pol(FLD(r->sp));
	np = parse_pol(FLD(r->np));
	/* RFC 9989 4.10.1: the Author Domain's own record applies p; a
	 * subdomain's sp (default p) or, when it does not exist, np */
	fldcpy(hf, sizeof(hf), FLD(r->header_from));
	if (domain_equal(hf, a->domain)) {
		primary = p;
		np = POL_UNSET;
	} else
		primary = sp != POL_UNSET ? sp : p;
	pass = span_eq(FLD(r->dmarc_result), "pass");
	fail = span_eq(FLD(r->dmarc_result), "fail");

	if (span_eq(FLD(r->disposition), "quarantine"))
		disp = "quarantine";
	else if (span_eq(FLD(r->disposition), "reject"))
		disp = "reject";
	else if (span_eq(FLD(r->disposition), "tempfail")) {
		disp = "none"; /* the schema has no word for a deferral */
		tempfail = 1;
	} else if (pass && (primary == POL_QUARANTINE || primary == POL_REJECT))
		disp = "pass"; /* RFC 9990 A: pass under an enforcing policy */
	else
		disp = "none";

	bits = reasons_parse(FLD(r->reasons));
	cn = strnlen(r->reason_comment, sizeof(r->reason_comment));
	for (i = 0; i < sizeof(reason_words) / sizeof(reason_words[0]); i++) {
		if ((bits & (1u << i)) == 0)
			continue;
		rtype[nreason] = reason_words[i];
		rcomm[nreason] = nreason == 0 ? comment : NULL;
		nreason++;
	}
	if (tempfail) {
		rtype[nreason] = reason_words[REASON_OTHER];
		rcomm[nreason] = AGG_TEMPFAIL_COMMENT;
		nreason++;
	} else if (fail && bits == 0) {
		/* RFC 9990 2.1: a reason when the policy was not applied */
		matches = strcmp(disp, pol_str(primary)) == 0 ||
		    (np != POL_UNSET && strcmp(disp, pol_str(np)) == 0);
		if (!matches) {
			rtype[nreason] = reason_words[REASON_OTHER];
			rcomm[nreason] = AGG_DIFFERS_COMMENT;
			nreason++;
		}
	}

	sbuf_init(&sb, a->rowbuf, sizeof(a->rowbuf));
	open_tag(&sb, 1, "record");
	open_tag(&sb, 2, "row");
	elems(&sb, 3, "source_ip", ip);
	sbuf_addf(&sb, "%*s<count>", 6, "");
	*split_r = sb.len;
	sbuf_adds(&sb, "</count>\n");
	open_tag(&sb, 3, "policy_evaluated");
	elems(&sb, 4, "disposition", disp);
	elems(&sb, 4, "dkim", r->dkim_aligned ? "pass" : "fail");
	elems(&sb, 4, "spf", r->spf_aligned ? "pass" : "fail");
	for (i = 0; i < nreason; i++) {
		open_tag(&sb, 4, "reason");
		elems(&sb, 5, "type", rtype[i]);
		if (rcomm[i] == comment && cn > 0)
			elem(&sb, 5, "comment", comment, cn);
		else if (rcomm[i] != NULL && rcomm[i] != comment)
			elems(&sb, 5, "comment", rcomm[i]);
		close_tag(&sb, 4, "reason");
	}
	close_tag(&sb, 3, "policy_evaluated");
	close_tag(&sb, 2, "row");
	open_tag(&sb, 2, "identifiers");
	elem(&sb, 3, "header_from", FLD(r->header_from));
	/* RFC 9990 2.1: present but empty for a null reverse-path */
	elem(&sb, 3, "envelope_from", FLD(r->env_from_domain));
	if (r->env_to_domain[0] != '\0')
		elem(&sb, 3, "envelope_to", FLD(r->env_to_domain));
	close_tag(&sb, 2, "identifiers");
	open_tag(&sb, 2, "auth_results");

	/* RFC 9990 2.1: every signature, each with its selector; sorted so
	 * the same set is the same row */
	ndkim = r->ndkim < AGG_DKIM_MAX ? r->ndkim : AGG_DKIM_MAX;
	for (i = 0; i < ndkim; i++) {
		const struct store_dkim *d = &r->dkim[i];

		sbuf_init(&db, a->dkimbuf[i], sizeof(a->dkimbuf[i]));
		open_tag(&db, 3, "dkim");
		elem(&db, 4, "domain", FLD(d->domain));
		elem(&db, 4, "selector", FLD(d->selector));
		res = word_in(FLD(d->result), dkim_results);
		elems(&db, 4, "result", res != NULL ? res : "permerror");
		close_tag(&db, 3, "dkim");
		if (db.overflow)
			return -1;
		dkres[i] = a->dkimbuf[i];
	}
	qsort(dkres, ndkim, sizeof(dkres[0]), cmp_str);
	for (i = 0; i < ndkim; i++)
		sbuf_adds(&sb, dkres[i]);
	if (r->spf_result[0] != '\0') {
		open_tag(&sb, 3, "spf");
		elem(&sb, 4, "domain", FLD(r->spf_domain));
		if (span_eq(FLD(r->spf_scope), "mfrom"))
			elems(&sb, 4, "scope", "mfrom");
		res = word_in(FLD(r->spf_result), spf_results);
		elems(&sb, 4, "result", res != NULL ? res : "permerror");
		close_tag(&sb, 3, "spf");
	}
	close_tag(&sb, 2, "auth_results");
	close_tag(&sb, 1, "record");
	if (sb.overflow)
		return -1;
	*len_r = sb.len;
	return 0;
}

/* fail - remember the first error; always -1 */
static int
agg_fail(struct agg *a, const char *msg)
{
	if (!a->failed)
		strlcpy(a->err, msg, sizeof(a->err));
	a->failed = 1;
	return -1;
}

/* rows_grow - double the hash table (load stays under one half) */
static int
rows_grow(struct agg *a)
{
	size_t n = a->nslot ? a->nslot * 2 : ROWS_INIT, i, j;
	struct row *t;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < a->nslot; i++) {
		if (a->rows[i].key == NULL)
			continue;
		for (j = a->rows[i].hash & (n - 1); t[j].key != NULL;
		     j = (j + 1) & (n - 1))
			;
		t[j] = a->rows[i];
	}
	free(a->rows);
	a->rows = t;
	a->nslot = n;
	return 0;
}

/* row_add - count one rendered row: a new key or one more message */
static int
row_add(struct agg *a, size_t len, size_t split)
{
	uint64_t h = fnv1a(a->rowbuf, len);
	size_t j;

	if (a->nslot == 0 && rows_grow(a) == -1)
		return agg_fail(a, "out of memory");
	for (j = h & (a->nslot - 1); a->rows[j].key != NULL;
	     j = (j + 1) & (a->nslot - 1)) {
		if (a->rows[j].hash == h && a->rows[j].len == len &&
		    a->rows[j].split == split &&
		    memcmp(a->rows[j].key, a->rowbuf, len) == 0) {
			a->rows[j].count++;
			a->messages++;
			return 0;
		}
	}
	/* a new row: within the caps, or counted as omitted */
	if (a->nrows >= AGG_ROWS_MAX ||
	    a->xmlbytes + len + COUNT_MAX_LEN > AGG_XML_MAX) {
		a->omitted++;
		return 0;
	}
	if ((a->rows[j].key = malloc(len)) == NULL)
		return agg_fail(a, "out of memory");
	memcpy(a->rows[j].key, a->rowbuf, len);
	a->rows[j].len = len;
	a->rows[j].split = split;
	a->rows[j].hash = h;
	a->rows[j].count = 1;
	a->nrows++;
	a->messages++;
	a->xmlbytes += len + COUNT_MAX_LEN;
	if (a->nrows * 2 > a->nslot && rows_grow(a) == -1)
		return agg_fail(a, "out of memory");
	return 0;
}

/* seen_has / seen_add - the set of policy domains already emitted */
static int
seen_has(const struct agg *a, uint64_t h)
{
	size_t j;

	if (a->nseen_slot == 0)
		return 0;
	for (j = h & (a->nseen_slot - 1); a->seen[j] != 0;
	     j = (j + 1) & (a->nseen_slot - 1))
		if (a->seen[j] == h)
			return 1;
	return 0;
}

static int
seen_add(struct agg *a, uint64_t h)
{
	size_t j, i, n;
	uint64_t *t;

	if (h == 0)
		h = 1; /* 0 marks a free slot */
	if ((a->nseen + 1) * 2 > a->nseen_slot) {
		n = a->nseen_slot ? a->nseen_slot * 2 : 256;
		if ((t = calloc(n, sizeof(*t))) == NULL)
			return -1;
		for (i = 0; i < a->nseen_slot; i++) {
			if (a->seen[i] == 0)
				continue;
			for (j = a->seen[i] & (n - 1); t[j] != 0;
			     j = (j + 1) & (n - 1))
				;
			t[j] = a->seen[i];
		}
		free(a->seen);
		a->seen = t;
		a->nseen_slot = n;
	}
	for (j = h & (a->nseen_slot - 1); a->seen[j] != 0;
	     j = (j + 1) & (a->nseen_slot - 1))
		;
	a->seen[j] = h;
	a->nseen++;
	return 0;
}

static uint64_t
domain_hash(const char *d)
{
	uint64_t h = fnv1a(d, strlen(d));

	return h != 0 ? h : 1;
}

static int
cmp_row(const void *x, const void *y)
{
	const struct row *a = *(const struct row *const *)x;
	const struct row *b = *(const struct row *const *)y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->key, b->key, n);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* render_head - the document up to the first record */
static void
render_head(const struct agg *a, const struct agg_report *rep, struct sbuf *sb)
{
	char n[64];

	sbuf_adds(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sbuf_adds(sb, "<feedback xmlns=\"" NS_DMARC "\">\n");
	elems(sb, 1, "version", "1.0");
	open_tag(sb, 1, "report_metadata");
	elems(sb, 2, "org_name", a->org_name);
	elems(sb, 2, "email", a->email);
	if (a->contact[0] != '\0')
		elems(sb, 2, "extra_contact_info", a->contact);
	elems(sb, 2, "report_id", rep->report_id);
	open_tag(sb, 2, "date_range");
	snprintf(n, sizeof(n), "%lld", rep->begin);
	elems(sb, 3, "begin", n);
	snprintf(n, sizeof(n), "%lld", rep->end);
	elems(sb, 3, "end", n);
	close_tag(sb, 2, "date_range");
	if (rep->omitted > 0) {
		char e[160];

		snprintf(e, sizeof(e),
		    "%llu messages not reported: more than %d rows or %lu "
		    "bytes",
		    rep->omitted, AGG_ROWS_MAX, (unsigned long)AGG_XML_MAX);
		elems(sb, 2, "error", e);
	}
	elems(sb, 2, "generator", a->generator);
	close_tag(sb, 1, "report_metadata");

	open_tag(sb, 1, "policy_published");
	elems(sb, 2, "domain", a->domain);
	elems(sb, 2, "p", pol_str(a->p));
	/* schema: unspecified tags have their default values; sp's is p */
	elems(sb, 2, "sp", pol_str(a->sp != POL_UNSET ? a->sp : a->p));
	if (a->np != POL_UNSET)
		elems(sb, 2, "np", pol_str(a->np));
	elems(sb, 2, "adkim", a->adkim == 's' ? "s" : "r");
	elems(sb, 2, "aspf", a->aspf == 's' ? "s" : "r");
	if (strcmp(a->discovery, "psl") == 0 ||
	    strcmp(a->discovery, "treewalk") == 0)
		elems(sb, 2, "discovery_method", a->discovery);
	if (a->fo[0] != '\0')
		elems(sb, 2, "fo", a->fo);
	elems(sb, 2, "testing", a->testing ? "y" : "n");
	close_tag(sb, 1, "policy_published");
}

/* gzip - RFC 1952 member: no name, mtime 0, fixed level */
static int
gzip_buf(const char *in, size_t inlen, unsigned char **out_r, size_t *outlen_r)
{
	z_stream zs;
	unsigned char *out;
	uLong bound;

	if (inlen > UINT32_MAX)
		return -1;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip wrapper with zlib's default header */
	if (deflateInit2(&zs, GZ_LEVEL, Z_DEFLATED, 15 + 16, 8,
		Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)inlen);
	if ((out = malloc(bound)) == NULL) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (const Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return -1;
	}
	*outlen_r = zs.total_out;
	deflateEnd(&zs);
	*out_r = out;
	return 0;
}

/* rows_clear - forget the current policy domain's rows */
static void
rows_clear(struct agg *a)
{
	size_t i;

	for (i = 0; i < a->nslot; i++) {
		free(a->rows[i].key);
		a->rows[i].key = NULL;
	}
	a->nrows = 0;
	a->xmlbytes = 0;
	a->messages = a->omitted = 0;
	a->domain[0] = '\0';
}

/* flush - finish the current policy domain's report and emit it */
static int
flush(struct agg *a)
{
	struct agg_report *rep = NULL;
	struct row **sorted = NULL;
	struct sbuf sb;
	char *head = NULL, *xml = NULL;
	unsigned char *gz = NULL;
	size_t i, n, total, headlen;
	int rc = -1;

	if (a->domain[0] == '\0' || a->nrows == 0) {
		rows_clear(a);
		return 0;
	}
	if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	    (head = malloc(HEAD_XML_MAX)) == NULL ||
	    (sorted = reallocarray(NULL, a->nrows, sizeof(*sorted))) == NULL) {
		agg_fail(a, "out of memory");
		goto out;
	}
	strlcpy(rep->policy_domain, a->domain, sizeof(rep->policy_domain));
	strlcpy(rep->rua, a->rua, sizeof(rep->rua));
	rep->begin = a->begin;
	rep->end = a->begin + AGG_DAY - 1; /* RFC 9990 A sample: inclusive */
	rep->messages = a->messages;
	rep->omitted = a->omitted;
	rep->nrows = a->nrows;
	agg_report_id(a->receiver, a->domain, a->begin, rep->report_id);
	if (agg_filename(a->receiver, a->domain, a->begin, rep->report_id,
		rep->filename, sizeof(rep->filename)) == -1) {
		agg_fail(a, "report file name too long");
		goto out;
	}

	sbuf_init(&sb, head, HEAD_XML_MAX);
	render_head(a, rep, &sb);
	if (sb.overflow) {
		agg_fail(a, "report metadata too long");
		goto out;
	}
	for (i = n = 0; i < a->nslot; i++)
		if (a->rows[i].key != NULL)
			sorted[n++] = &a->rows[i];
	qsort(sorted, n, sizeof(*sorted), cmp_row);

	total = sb.len + a->xmlbytes + sizeof("</feedback>\n");
	if ((xml = malloc(total)) == NULL) {
		agg_fail(a, "out of memory");
		goto out;
	}
	headlen = sb.len;
	sbuf_init(&sb, xml, total);
	sbuf_add(&sb, head, headlen);
	for (i = 0; i < n; i++) {
		sbuf_add(&sb, sorted[i]->key, sorted[i]->split);
		sbuf_addf(&sb, "%llu", sorted[i]->count);
		sbuf_add(&sb, sorted[i]->key + sorted[i]->split,
		    sorted[i]->len - sorted[i]->split);
	}
	sbuf_adds(&sb, "</feedback>\n");
	if (sb.overflow) {
		agg_fail(a, "report size miscounted");
		goto out;
	}
	if (gzip_buf(xml, sb.len, &gz, &rep->gzlen) == -1) {
		agg_fail(a, "gzip failed");
		goto out;
	}
	rep->xml = xml;
	rep->xmllen = sb.len;
	rep->gz = gz;
	if (seen_add(a, domain_hash(a->domain)) == -1) {
		agg_fail(a, "out of memory");
		goto out;
	}
	a->stats.reports++;
	if (a->emit(rep, a->arg) == -1) {
		agg_fail(a, "report not delivered");
		goto out;
	}
	rc = 0;
out:
	rows_clear(a);
	free(gz);
	free(xml);
	free(sorted);
	free(head);
	free(rep);
	return rc;
}

/* copy_meta - a bounded copy of one metadata string */
static int
copy_meta(char *dst, size_t dstlen, const char *src, int required)
{
	if (src == NULL)
		src = "";
	if (required && src[0] == '\0')
		return -1;
	return strlcpy(dst, src, dstlen) >= dstlen ? -1 : 0;
}

/* agg_new - an aggregator for the day starting at day_begin */
int
agg_new(const struct agg_meta *meta, long long day_begin,
    int (*emit)(const struct agg_report *, void *), void *arg, struct agg **a_r,
    const char **errstr_r)
{
	struct agg *a;
	const char *e;

	*a_r = NULL;
	if (day_begin < 0 || day_begin % AGG_DAY != 0) {
		*errstr_r = "day does not start at 00:00:00 UTC";
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		*errstr_r = "out of memory";
		return -1;
	}
	if (copy_meta(a->org_name, sizeof(a->org_name), meta->org_name, 1) ==
	    -1) {
		*errstr_r = "report organization name missing or too long";
		goto fail;
	}
	if (copy_meta(a->email, sizeof(a->email), meta->email, 1) == -1) {
		*errstr_r = "report email missing or too long";
		goto fail;
	}
	if (copy_meta(a->contact, sizeof(a->contact), meta->contact_info, 0) ==
	    -1) {
		*errstr_r = "report contact info too long";
		goto fail;
	}
	if (copy_meta(a->generator, sizeof(a->generator), meta->generator, 1) ==
	    -1) {
		*errstr_r = "report generator missing or too long";
		goto fail;
	}
	/* RFC 9990 2.5 file name: receiver = domain */
	if (meta->receiver == NULL ||
	    domain_normalize(meta->receiver, strlen(meta->receiver),
		a->receiver, sizeof(a->receiver), &e) == -1) {
		*errstr_r = "report domain (receiver) is not a domain name";
		goto fail;
	}
	a->begin = day_begin;
	a->emit = emit;
	a->arg = arg;
	*a_r = a;
	return 0;
fail:
	free(a);
	return -1;
}

/* agg_add - one record of the day */
int
agg_add(struct agg *a, const struct store_record *r)
{
	char dom[DOMAIN_MAX + 1];
	size_t len, split;
	const char *e;

	if (a->failed)
		return -1;
	a->stats.records++;
	if (r->received < a->begin || r->received >= a->begin + AGG_DAY) {
		a->stats.outside++;
		return 0;
	}
	/* RFC 9990 2.1: a report is about a published policy */
	if (!r->has_policy) {
		a->stats.no_policy++;
		return 0;
	}
	if (domain_normalize(FLD(r->policy_domain), dom, sizeof(dom), &e) ==
	    -1) {
		a->stats.bad_domain++;
		return 0;
	}
	if (strcmp(dom, a->domain) != 0) {
		if (flush(a) == -1)
			return -1;
		if (seen_has(a, domain_hash(dom))) {
			snprintf(a->err, sizeof(a->err),
			    "records not grouped by policy domain: %.253s "
			    "seen again",
			    dom);
			a->failed = 1;
			return -1;
		}
		strlcpy(a->domain, dom, sizeof(a->domain));
	}
	if (render_row(a, r, &len, &split) == -1)
		return agg_fail(a, "row too large");
	if (row_add(a, len, split) == -1)
		return -1;
	/* the last record's published policy is the one reported */
	a->p = parse_pol(FLD(r->p));
	if (a->p == POL_UNSET)
		a->p = POL_NONE;
	a->sp = parse_pol(FLD(r->sp));
	a->np = parse_pol(FLD(r->np));
	a->adkim = r->adkim;
	a->aspf = r->aspf;
	a->testing = r->testing != 0;
	fldcpy(a->fo, sizeof(a->fo), FLD(r->fo));
	fldcpy(a->discovery, sizeof(a->discovery), FLD(r->discovery));
	fldcpy(a->rua, sizeof(a->rua), FLD(r->rua));
	return 0;
}

int
agg_add_cb(const struct store_record *rec, void *arg)
{
	return agg_add(arg, rec);
}

/* agg_finish - emit the last policy domain's report */
int
agg_finish(struct agg *a)
{
	if (a->failed)
		return -1;
	return flush(a);
}

void
agg_free(struct agg **ap)
{
	struct agg *a;

	if (ap == NULL || (a = *ap) == NULL)
		return;
	rows_clear(a);
	free(a->rows);
	free(a->seen);
	free(a);
	*ap = NULL;
}

const char *
agg_error(const struct agg *a)
{
	return a->failed ? a->err : NULL;
}

void
agg_get_stats(const struct agg *a, struct agg_stats *st)
{
	*st = a->stats;
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* agg_day_begin - "YYYY-MM-DD" (1970..9999) -> its first second, UTC */
int
agg_day_begin(const char *s, long long *begin_r)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	unsigned y = 0, m, d, i, dim;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(s[i] - '0');
	m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
	d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -1;
	dim = mdays[m - 1];
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		dim = 29;
	if (d > dim)
		return -1;
	*begin_r = days_from_civil(y, m, d) * AGG_DAY;
	return 0;
}

/* agg_day_str - the UTC date of t as "YYYY-MM-DD" */
void
agg_day_str(long long t, char *buf, size_t bufsize)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, bufsize, "0000-00-00");
	else
		snprintf(buf, bufsize, "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
}

/*
 * agg_report_id - RFC 9990 2.5 unique-id (1*(ALPHA / DIGIT)), also a
 * valid Report-ID (dot-atom-text): a hash of what names the report, so
 * a rebuilt day keeps its name
 */
void
agg_report_id(const char *receiver, const char *policy_domain, long long begin,
    char id[AGG_ID_LEN + 1])
{
	SHA2_CTX ctx;
	char hex[SHA256_DIGEST_STRING_LENGTH], day[32];

	snprintf(day, sizeof(day), "%lld", begin);
	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)"dmarc-milter aggregate", 23);
	SHA256Update(&ctx, (const uint8_t *)receiver, strlen(receiver) + 1);
	SHA256Update(&ctx, (const uint8_t *)policy_domain,
	    strlen(policy_domain) + 1);
	SHA256Update(&ctx, (const uint8_t *)day, strlen(day));
	SHA256End(&ctx, hex);
	memcpy(id, hex, AGG_ID_LEN);
	id[AGG_ID_LEN] = '\0';
}

/* agg_filename - RFC 9990 2.5: receiver!policy-domain!begin!end!id.xml.gz */
int
agg_filename(const char *receiver, const char *policy_domain, long long begin,
    const char *id, char *buf, size_t bufsize)
{
	int n;

	n = snprintf(buf, bufsize, "%s!%s!%lld!%lld!%s.xml.gz", receiver,
	    policy_domain, begin, begin + AGG_DAY - 1, id);
	return n < 0 || (size_t)n >= bufsize ? -1 : 0;
}
