/*
 * fuzz-authres.c - Authentication-Results: read a foreign field, and write
 * ours from hostile strings then read it back (policy/authres.h)
 *
 * Input, read side: the whole input is a foreign field body.
 *   authres_parse_servid(), authres_is_ours() and authres_parse() must
 *   agree: a parse that succeeds has a servid that parse_servid also
 *   reads and that is_ours recognizes; ids are lower case; at most
 *   AUTHRES_PARSE_RESULTS_MAX pairs, lower-case keywords, truncated only
 *   when full.
 *
 * Input, write side: the input cut at '\n' into pieces (at most 16).
 *   Piece 0 is the authserv-id; every other piece makes one result whose
 *   method and result are keywords picked by its first bytes (or, when
 *   the piece starts with '!', the piece itself as a method, which must
 *   be refused unless it is a keyword), whose comment is the piece and
 *   whose property values are slices of it.  Written unfolded and folded,
 *   with the full buffer and with one of a size taken from the input.
 *   When authres_format() succeeds: the text fits, has no CR, no control
 *   character but "\n\t" folds (none unfolded), and authres_parse() reads
 *   back the same id (cleaned as the header says, lower case) and the
 *   same method=result pairs, folded or not; when it fails, out is "".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/authres.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_PIECES 16

static const char *const methods[] = {"spf", "dkim", "dmarc", "arc", "iprev",
    "auth", "x-Test_1", "DKIM"};
static const char *const results[] = {"pass", "fail", "none", "neutral",
    "softfail", "temperror", "permerror", "policy", "Pass"};
static const char *const ptypes[] = {"smtp", "header", "policy", "body"};
static const char *const props[] = {"mailfrom", "d", "s", "from", "dmarc", "i",
    "b"};

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

static int
is_keyword(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* utf8_len - as authres.c: 0 if the sequence at p is ill-formed */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t need, k;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		lo = p[0] == 0xe0 ? 0xa0 : lo;
		hi = p[0] == 0xed ? 0x9f : hi;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		lo = p[0] == 0xf0 ? 0x90 : lo;
		hi = p[0] == 0xf4 ? 0x8f : hi;
	} else
		return 0;
	if (n <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* clean_id - the authserv-id as a reader gets it back (authres.h) */
static void
clean_id(const char *id, char *out)
{
	const unsigned char *p = (const unsigned char *)id;
	size_t n = strlen(id), k, step, o = 0;

	for (k = 0; k < n; k += step) {
		step = 1;
		if (p[k] < 0x20 || p[k] == 0x7f)
			out[o++] = '?';
		else if (p[k] >= 0x80 && (step = utf8_len(p + k, n - k)) == 0) {
			step = 1;
			out[o++] = '?';
		} else {
			memcpy(out + o, p + k, step);
			o += step;
		}
	}
	out[o] = '\0';
	lower(out);
}

/* read_side - the three readers on one foreign field */
static void
read_side(const char *v, size_t len)
{
	static struct authres_parsed p;
	char id[AUTHRES_SERVID_MAX + 1];
	int rs, rp;
	size_t i;

	rs = authres_parse_servid(v, len, id, sizeof(id));
	FUZZ_ASSERT(rs == 0 || rs == -1);
	if (rs == 0) {
		FUZZ_ASSERT(strnlen(id, sizeof(id)) < sizeof(id));
		FUZZ_ASSERT(fuzz_is_lower(id));
		FUZZ_ASSERT(authres_is_ours(v, len, id) == 1);
	}
	(void)authres_is_ours(v, len, "mx.example.net");
	rp = authres_parse(v, len, &p);
	FUZZ_ASSERT(rp == 0 || rp == -1);
	if (rp != 0)
		return;
	FUZZ_ASSERT(rs == 0 && strcmp(p.servid, id) == 0);
	FUZZ_ASSERT(p.nres <= AUTHRES_PARSE_RESULTS_MAX);
	FUZZ_ASSERT(!p.truncated || p.nres == AUTHRES_PARSE_RESULTS_MAX);
	for (i = 0; i < p.nres; i++) {
		FUZZ_ASSERT(
		    fuzz_str_ok(p.res[i].method, sizeof(p.res[i].method), ""));
		FUZZ_ASSERT(
		    fuzz_str_ok(p.res[i].result, sizeof(p.res[i].result), ""));
		FUZZ_ASSERT(is_keyword(p.res[i].method) &&
		    fuzz_is_lower(p.res[i].method));
		FUZZ_ASSERT(is_keyword(p.res[i].result) &&
		    fuzz_is_lower(p.res[i].result));
	}
}

/* check_written - one successful authres_format() */
static void
check_written(const char *out, size_t outlen, int fold, const char *id,
    const struct authres_result *r, size_t nres)
{
	static struct authres_parsed p;
	char want[AUTHRES_SERVID_MAX * 4 + 1], m[64];
	const char *q;
	size_t n = strnlen(out, outlen), i;

	FUZZ_ASSERT(n < outlen && n < AUTHRES_MAX);
	for (q = out; *q != '\0'; q++) {
		if (*q == '\n')
			FUZZ_ASSERT(fold && q[1] == '\t');
		else if (*q == '\t')
			FUZZ_ASSERT(fold && q > out && q[-1] == '\n');
		else
			FUZZ_ASSERT((unsigned char)*q >= 0x20 && *q != 0x7f);
	}
	FUZZ_ASSERT(authres_parse(out, n, &p) == 0);
	clean_id(id, want);
	FUZZ_ASSERT(strcmp(p.servid, want) == 0);
	FUZZ_ASSERT(authres_is_ours(out, n, want) == 1);
	FUZZ_ASSERT(p.nres == nres && !p.truncated);
	for (i = 0; i < nres; i++) {
		strlcpy(m, r[i].method, sizeof(m));
		lower(m);
		FUZZ_ASSERT(strcmp(p.res[i].method, m) == 0);
		strlcpy(m, r[i].result, sizeof(m));
		lower(m);
		FUZZ_ASSERT(strcmp(p.res[i].result, m) == 0);
	}
}

/* write_side - build results from the input and write them */
static void
write_side(const uint8_t *data, size_t size)
{
	static struct authres_result r[FUZZ_PIECES];
	static char out[AUTHRES_MAX], pieces[FUZZ_PIECES][1024];
	static char vals[FUZZ_PIECES][AUTHRES_PROPS_MAX][256];
	size_t np = 0, pos = 0, n, k, j, outlen, nres;
	const uint8_t *nl;
	const char *id;
	int fold, rc, bad;

	while (np < FUZZ_PIECES && pos <= size) {
		nl = memchr(data + pos, '\n', size - pos);
		n = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;
		k = n < sizeof(pieces[0]) - 1 ? n : sizeof(pieces[0]) - 1;
		memcpy(pieces[np], data + pos, k);
		pieces[np++][k] = '\0'; /* a NUL inside ends the string */
		pos += n + 1;
	}
	id = pieces[0];
	nres = np - 1;
	bad = 0;
	memset(r, 0, sizeof(r));
	for (k = 0; k < nres; k++) {
		const unsigned char *pc = (const unsigned char *)pieces[k + 1];
		size_t len = strlen(pieces[k + 1]);

		if (pc[0] == '!') {
			r[k].method = pieces[k + 1];
			bad |= !is_keyword(r[k].method);
		} else
			r[k].method = methods[pc[0] % FUZZ_NELEM(methods)];
		r[k].result =
		    results[(len > 0 ? pc[1] : 0) % FUZZ_NELEM(results)];
		r[k].comment = len % 3 == 0 ? NULL : pieces[k + 1];
		r[k].nprop = len % (AUTHRES_PROPS_MAX + 1);
		for (j = 0; j < r[k].nprop; j++) {
			size_t off = len * j / r[k].nprop, vl = len - off;

			vl = vl < sizeof(vals[0][0]) ? vl
						     : sizeof(vals[0][0]) - 1;
			memcpy(vals[k][j], pieces[k + 1] + off, vl);
			vals[k][j][vl] = '\0';
			r[k].prop[j].ptype =
			    ptypes[(j + len) % FUZZ_NELEM(ptypes)];
			r[k].prop[j].property =
			    props[(j + k) % FUZZ_NELEM(props)];
			r[k].prop[j].value = vals[k][j];
		}
	}
	outlen = 1 + (size * 7) % sizeof(out);
	for (fold = 0; fold <= 1; fold++) {
		rc = authres_format(id, r, nres, fold, out, sizeof(out));
		FUZZ_ASSERT(rc == 0 || rc == -1);
		if (rc == 0) {
			FUZZ_ASSERT(!bad && *id != '\0' &&
			    strlen(id) <= AUTHRES_SERVID_MAX);
			check_written(out, sizeof(out), fold, id, r, nres);
		} else
			FUZZ_ASSERT(out[0] == '\0');
		if (*id == '\0' || strlen(id) > AUTHRES_SERVID_MAX || bad)
			FUZZ_ASSERT(rc == -1);
		/* a smaller buffer: fits or refused, never cut */
		memset(out, 'Z', sizeof(out));
		rc = authres_format(id, r, nres, fold, out, outlen);
		if (rc == 0)
			check_written(out, outlen, fold, id, r, nres);
		else
			FUZZ_ASSERT(out[0] == '\0');
		FUZZ_ASSERT(outlen == sizeof(out) || out[outlen] == 'Z');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_side((const char *)data, size);
	write_side(data, size);
	return 0;
}
