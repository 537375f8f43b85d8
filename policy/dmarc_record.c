/*
 * dmarc_record.c - parse one DMARC Policy Record (RFC 9989 4.7-4.8)
 *
 * One pass over the record: each ';'-separated segment is looked at once,
 * known tags are matched against a small static table, everything else
 * is skipped.  Nothing is allocated and no state outlives the call.
 */
#include <limits.h>
#include <string.h>

#include "policy/dmarc_record.h"

struct span {
	const char *p;
	size_t n;
};

enum tag_id {
	TAG_V,
	TAG_P,
	TAG_SP,
	TAG_NP,
	TAG_T,
	TAG_PSD,
	TAG_ADKIM,
	TAG_ASPF,
	TAG_FO,
	TAG_PCT,
	TAG_RI,
	TAG_RF,
	TAG_RUA,
	TAG_RUF,
	TAG_COUNT
};

/* Every text names its tag, so one log line says what was wrong. */
struct tag_def {
	const char *name;
	const char *dup;
	const char *noeq;
	const char *bad;
};

#define TAG_DEF(n, bad)                                                        \
	{                                                                      \
		n, n ": duplicate tag, first one kept", n ": no '=', ignored", \
		    n ": " bad                                                 \
	}

static const struct tag_def tag_defs[TAG_COUNT] = {
    [TAG_V] = TAG_DEF("v", "must be DMARC1"),
    [TAG_P] = TAG_DEF("p", "unknown policy"),
    [TAG_SP] = TAG_DEF("sp", "unknown policy"),
    [TAG_NP] = TAG_DEF("np", "unknown policy"),
    [TAG_T] = TAG_DEF("t", "must be y or n"),
    [TAG_PSD] = TAG_DEF("psd", "must be y, n or u"),
    [TAG_ADKIM] = TAG_DEF("adkim", "must be r or s"),
    [TAG_ASPF] = TAG_DEF("aspf", "must be r or s"),
    [TAG_FO] = TAG_DEF("fo", "must be 0, 1, d or s, colon-separated"),
    [TAG_PCT] = TAG_DEF("pct", "must be an integer from 0 to 100"),
    [TAG_RI] = TAG_DEF("ri", "must be 1 to 4294967295 seconds"),
    [TAG_RF] = TAG_DEF("rf", "must be afrf or iodef"),
    [TAG_RUA] = TAG_DEF("rua", "invalid URI"),
    [TAG_RUF] = TAG_DEF("ruf", "invalid URI"),
};

/* RFC 9989 4.10.1: a bad p, sp or np is read as p=none when rua is valid */
static const char *const policy_fallback[TAG_COUNT] = {
    [TAG_P] = "p: unknown policy, p=none applied since rua is valid",
    [TAG_SP] = "sp: unknown policy, p=none applied since rua is valid",
    [TAG_NP] = "np: unknown policy, p=none applied since rua is valid",
};

enum uri_why { URI_EMPTY, URI_TOOLONG, URI_SIZE, URI_TOOMANY, URI_NWHY };

static const char *const uri_why[2][URI_NWHY] = {
    {"rua: empty URI", "rua: URI too long", "rua: bad size limit",
	"rua: too many URIs, the rest ignored"},
    {"ruf: empty URI", "ruf: URI too long", "ruf: bad size limit",
	"ruf: too many URIs, the rest ignored"},
};

struct parse_state {
	unsigned seen;	    /* bit per enum tag_id */
	enum tag_id bad_id; /* first bad p, sp or np */
	const char *bad;    /* its error text, or NULL */
	struct dmarc_record *rec;
};

/* is_wsp - RFC 5234 WSP */
static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* lc - ASCII lower case */
static int
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* trim - drop WSP on both ends */
static struct span
trim(const char *p, size_t n)
{
	struct span s;

	while (n > 0 && is_wsp(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	s.p = p;
	s.n = n;
	return s;
}

/* eq_ci - span equals the lower-case word w, ASCII case-insensitive */
static int
eq_ci(struct span s, const char *w)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (w[i] == '\0' || lc((unsigned char)s.p[i]) != w[i])
			return 0;
	return w[i] == '\0';
}

/* add_warn - note one ignored or defaulted item; quietly capped */
static void
add_warn(struct dmarc_record *rec, struct span tag, const char *why)
{
	struct dmarc_warning *w;
	size_t i;

	if (rec->nwarn >= DMARC_WARN_MAX)
		return;
	w = &rec->warn[rec->nwarn++];
	for (i = 0; i < tag.n && i < sizeof(w->tag) - 1; i++) {
		unsigned char c = (unsigned char)tag.p[i];

		w->tag[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	w->tag[i] = '\0';
	w->why = why;
}

/* parse_uint - 1*DIGIT no greater than max, into *v */
static int
parse_uint(struct span s, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;
	size_t i;

	if (s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		unsigned d = (unsigned)(unsigned char)s.p[i] - '0';

		if (d > 9 || n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

/* parse_policy - RFC 9989 4.8 dmarc-request */
static int
parse_policy(struct span v, enum dmarc_p *p)
{
	if (eq_ci(v, "none"))
		*p = DMARC_P_NONE;
	else if (eq_ci(v, "quarantine"))
		*p = DMARC_P_QUARANTINE;
	else if (eq_ci(v, "reject"))
		*p = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* parse_word - the value is one of words; its index in *k */
static int
parse_word(struct span v, const char *const *words, size_t *k)
{
	for (*k = 0; words[*k] != NULL; (*k)++)
		if (eq_ci(v, words[*k]))
			return 0;
	return -1;
}

/* parse_colon_list - "a:b:c" with optional WSP, each item a known word */
static int
parse_colon_list(struct span v, const char *const *words, unsigned *bits)
{
	const char *p = v.p, *end = v.p + v.n, *c;
	unsigned b = 0;
	size_t k;

	for (;;) {
		struct span item;

		c = memchr(p, ':', (size_t)(end - p));
		item = trim(p, (size_t)((c != NULL ? c : end) - p));
		if (parse_word(item, words, &k) == -1)
			return -1;
		b |= 1u << k;
		if (c == NULL)
			break;
		p = c + 1;
	}
	*bits = b;
	return 0;
}

/* uri_char - RFC 3986 2.2-2.3, less ',' and '!' (RFC 9989 4.8) */
static int
uri_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~:/?#[]@$&'()*+;=", c) != NULL;
}

/* hexdig - RFC 5234 HEXDIG, either case */
static int
hexdig(unsigned char c)
{
	return (c >= '0' && c <= '9') || (lc(c) >= 'a' && lc(c) <= 'f');
}

/* uri_valid - RFC 3986 3.1 scheme ":" then URI characters */
static int
uri_valid(struct span u)
{
	size_t i = 0;
	unsigned char c;

	if (u.n == 0 || lc((unsigned char)u.p[0]) < 'a' ||
	    lc((unsigned char)u.p[0]) > 'z')
		return 0;
	for (i = 1; i < u.n && u.p[i] != ':'; i++) {
		c = (unsigned char)u.p[i];
		if (!((lc(c) >= 'a' && lc(c) <= 'z') ||
			(c >= '0' && c <= '9') || c == '+' || c == '-' ||
			c == '.'))
			return 0;
	}
	if (i + 1 >= u.n)
		return 0; /* no ':' or nothing after it */
	for (i++; i < u.n; i++) {
		c = (unsigned char)u.p[i];
		if (c == '%') {
			if (i + 2 >= u.n ||
			    !hexdig((unsigned char)u.p[i + 1]) ||
			    !hexdig((unsigned char)u.p[i + 2]))
				return 0;
			i += 2;
		} else if (!uri_char(c))
			return 0;
	}
	return 1;
}

/* parse_size - RFC 7489 6.2 "!" size [ "k" / "m" / "g" / "t" ] */
static int
parse_size(struct span s, unsigned long long *size)
{
	unsigned shift = 0;
	unsigned long long v;

	if (s.n > 1) {
		switch (lc((unsigned char)s.p[s.n - 1])) {
		case 'k':
			shift = 10;
			break;
		case 'm':
			shift = 20;
			break;
		case 'g':
			shift = 30;
			break;
		case 't':
			shift = 40;
			break;
		}
		if (shift != 0)
			s.n--;
	}
	if (parse_uint(s, ULLONG_MAX >> shift, &v) == -1)
		return -1;
	*size = v << shift;
	return 0;
}

/* parse_uris - RFC 9989 4.8 dmarc-urilist; bad URIs dropped with a warning */
static void
parse_uris(struct dmarc_record *rec, struct span tag, int ruf, struct span v)
{
	struct dmarc_uri *uris = ruf ? rec->ruf : rec->rua;
	size_t *n = ruf ? &rec->nruf : &rec->nrua;
	const char *p = v.p, *end = v.p + v.n, *c, *bang;
	const char *bad = tag_defs[ruf ? TAG_RUF : TAG_RUA].bad;
	struct span el, u, sz;
	unsigned long long size;

	for (; p != NULL; p = c != NULL ? c + 1 : NULL) {
		c = memchr(p, ',', (size_t)(end - p));
		el = trim(p, (size_t)((c != NULL ? c : end) - p));
		if (el.n == 0) {
			add_warn(rec, tag, uri_why[ruf][URI_EMPTY]);
			continue;
		}
		if (*n == DMARC_URIS_MAX) {
			add_warn(rec, tag, uri_why[ruf][URI_TOOMANY]);
			return;
		}
		size = 0;
		u = el;
		if ((bang = memchr(el.p, '!', el.n)) != NULL) {
			u = trim(el.p, (size_t)(bang - el.p));
			sz = trim(bang + 1, (size_t)(el.p + el.n - bang - 1));
			if (parse_size(sz, &size) == -1) {
				add_warn(rec, tag, uri_why[ruf][URI_SIZE]);
				continue;
			}
		}
		if (!uri_valid(u)) {
			add_warn(rec, tag, bad);
			continue;
		}
		if (u.n >= DMARC_URI_MAX) {
			add_warn(rec, tag, uri_why[ruf][URI_TOOLONG]);
			continue;
		}
		memcpy(uris[*n].uri, u.p, u.n);
		uris[*n].uri[u.n] = '\0';
		uris[*n].max_size = size;
		(*n)++;
	}
}

/* tag_lookup - index in tag_defs, or TAG_COUNT for an unknown tag */
static enum tag_id
tag_lookup(struct span name)
{
	int i;

	for (i = 0; i < TAG_COUNT; i++)
		if (eq_ci(name, tag_defs[i].name))
			return (enum tag_id)i;
	return TAG_COUNT;
}

/* parse_tag - one "name = value" segment between separators */
static void
parse_tag(struct parse_state *st, const char *seg, size_t len)
{
	static const char *const yn[] = {"n", "y", NULL};
	static const char *const psd[] = {"u", "y", "n", NULL};
	static const char *const rs[] = {"r", "s", NULL};
	static const char *const fo[] = {"0", "1", "d", "s", NULL};
	static const char *const rf[] = {"afrf", "iodef", NULL};
	static const enum dmarc_psd psd_val[] = {DMARC_PSD_U, DMARC_PSD_Y,
	    DMARC_PSD_N};
	struct dmarc_record *rec = st->rec;
	struct span s = trim(seg, len), name, v;
	const char *eq;
	enum tag_id id;
	unsigned bits;
	size_t k;
	unsigned long long n;
	enum dmarc_p *pp;
	int bad = 0;

	if (s.n == 0)
		return; /* ";;" or a trailing ";" */
	if ((eq = memchr(s.p, '=', s.n)) == NULL) {
		id = tag_lookup(s);
		add_warn(rec, s,
		    id < TAG_COUNT ? tag_defs[id].noeq
				   : "tag without '=', ignored");
		return;
	}
	name = trim(s.p, (size_t)(eq - s.p));
	v = trim(eq + 1, (size_t)(s.p + s.n - eq - 1));
	if ((id = tag_lookup(name)) == TAG_COUNT)
		return; /* RFC 9989 4.7: unknown tags MUST be ignored */
	if (st->seen & (1u << id)) {
		add_warn(rec, name, tag_defs[id].dup);
		return;
	}
	st->seen |= 1u << id;

	switch (id) {
	case TAG_P:
	case TAG_SP:
	case TAG_NP:
		pp = id == TAG_P ? &rec->p : id == TAG_SP ? &rec->sp : &rec->np;
		if (parse_policy(v, pp) == -1) {
			*pp = DMARC_P_UNSPEC;
			if (st->bad == NULL) {
				st->bad = tag_defs[id].bad;
				st->bad_id = id;
			}
		} else if (id == TAG_P)
			rec->p_explicit = 1;
		break;
	case TAG_T:
		bad = parse_word(v, yn, &k) == -1;
		if (!bad)
			rec->testing = k == 1;
		break;
	case TAG_PSD:
		bad = parse_word(v, psd, &k) == -1;
		if (!bad)
			rec->psd = psd_val[k];
		break;
	case TAG_ADKIM:
	case TAG_ASPF:
		bad = parse_word(v, rs, &k) == -1;
		if (!bad)
			*(id == TAG_ADKIM ? &rec->adkim : &rec->aspf) =
			    k == 1 ? DMARC_AMODE_STRICT : DMARC_AMODE_RELAXED;
		break;
	case TAG_FO:
		/* the word order matches DMARC_FO_0, _1, _D, _S */
		bad = parse_colon_list(v, fo, &bits) == -1;
		if (!bad)
			rec->fo = bits;
		break;
	case TAG_PCT: /* RFC 7489 6.3, legacy */
		bad = parse_uint(v, 100, &n) == -1;
		if (!bad) {
			rec->pct = (int)n;
			rec->pct_explicit = 1;
		}
		break;
	case TAG_RI: /* RFC 7489 6.3, legacy: a 32-bit count of seconds */
		bad = parse_uint(v, 4294967295ULL, &n) == -1 || n == 0;
		if (!bad)
			rec->ri = (unsigned)n;
		break;
	case TAG_RF: /* RFC 7489 6.3, legacy: checked, not kept */
		bad = parse_colon_list(v, rf, &bits) == -1;
		break;
	case TAG_RUA:
	case TAG_RUF:
		parse_uris(rec, name, id == TAG_RUF, v);
		break;
	case TAG_V: /* a second v=: only the first counts */
	case TAG_COUNT:
		break;
	}
	if (bad) /* RFC 9989 4.7: syntax errors give way to defaults */
		add_warn(rec, name, tag_defs[id].bad);
}

/* version_end - offset just past "v=DMARC1" and WSP, 0 if not DMARC */
static size_t
version_end(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(txt[i]))
		i++;
	if (i == len || lc((unsigned char)txt[i]) != 'v')
		return 0;
	for (i++; i < len && is_wsp(txt[i]); i++)
		;
	if (i == len || txt[i] != '=')
		return 0;
	for (i++; i < len && is_wsp(txt[i]); i++)
		;
	/* RFC 9989 4.8: %s"DMARC1", case-sensitive, matched exactly */
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return 0;
	for (i += 6; i < len && is_wsp(txt[i]); i++)
		;
	if (i < len && txt[i] != ';')
		return 0; /* "v=DMARC10", "v=DMARC1 p=reject" */
	return i;
}

/* dmarc_record_is_dmarc - RFC 9989 4.10 step 2: a DMARC record at all? */
int
dmarc_record_is_dmarc(const char *txt, size_t len)
{
	return version_end(txt, len) != 0;
}

/* invalid - a DMARC record that cannot be used */
static enum dmarc_record_status
invalid(const char **errstr_r, const char *why)
{
	if (errstr_r != NULL)
		*errstr_r = why;
	return DMARC_RECORD_INVALID;
}

/* dmarc_record_parse - parse one TXT record */
enum dmarc_record_status
dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *rec,
    const char **errstr_r)
{
	struct parse_state st;
	struct span t;
	const char *end, *semi;
	size_t i;

	if (errstr_r != NULL)
		*errstr_r = NULL;
	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	rec->fo = DMARC_FO_0;
	rec->ri = 86400;
	memset(&st, 0, sizeof(st));
	st.rec = rec;
	st.seen = 1u << TAG_V;

	/* RFC 9989 4.7 "v": not first or not exact: ignore the record */
	if ((i = version_end(txt, len)) == 0)
		return DMARC_RECORD_NOT_DMARC;
	if (len > DMARC_RECORD_MAX)
		return invalid(errstr_r, "record too long");
	if (memchr(txt, '\0', len) != NULL)
		return invalid(errstr_r, "NUL byte in record");
	end = txt + len;
	while (i < len) { /* txt[i] is ';' */
		i++;
		semi = memchr(txt + i, ';', len - i);
		if (semi == NULL)
			semi = end;
		parse_tag(&st, txt + i, (size_t)(semi - (txt + i)));
		i = (size_t)(semi - txt);
	}

	/* RFC 9989 4.10.1: bad p, sp or np */
	if (st.bad != NULL) {
		if (rec->nrua == 0)
			return invalid(errstr_r, st.bad);
		rec->p = DMARC_P_NONE;
		rec->p_explicit = 0;
		rec->sp = rec->np = DMARC_P_UNSPEC;
		t.p = tag_defs[st.bad_id].name;
		t.n = strlen(t.p);
		add_warn(rec, t, policy_fallback[st.bad_id]);
	}
	if (rec->p == DMARC_P_UNSPEC)
		rec->p = DMARC_P_NONE; /* RFC 9989 4.7 "p": absent is none */
	return DMARC_RECORD_OK;
}

/* dmarc_p_str - the tag value of a policy */
const char *
dmarc_p_str(enum dmarc_p p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "none";
	case DMARC_P_QUARANTINE:
		return "quarantine";
	case DMARC_P_REJECT:
		return "reject";
	case DMARC_P_UNSPEC:
		break;
	}
	return "";
}
