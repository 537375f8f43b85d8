/*
 * test-dkimv.c - unit tests for auth/dkimv.c
 *
 * The messages and the key zone are in tests/vectors/dkim/, written by
 * tests/gen/mkdkim.py; they are found under $top_srcdir (default ".").
 * Messages are stored with LF line ends (one with CRLF); headers are given
 * as an MTA gives them (one space after the colon removed) and bodies in
 * small odd-sized chunks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/dkimv.h"
#include "auth/keycache.h"
#include "auth/resolver.h"
#include "tests/t.h"

#define MSG_MAX (4 * 1024 * 1024)

static struct resolver *res;
static struct dkimv_lib *lib10; /* the default: 10 signatures */
static struct dkimv_lib *lib64; /* DKIMV_SIGS_MAX */

static void
vec_path(char *buf, size_t size, const char *name)
{
	const char *top = getenv("top_srcdir");
	int n;

	n = snprintf(buf, size, "%s/tests/vectors/dkim/%s",
	    top != NULL && top[0] != '\0' ? top : ".", name);
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
}

/* read_vec - the whole file, NUL-terminated; NULL if unreadable */
static char *
read_vec(const char *name, size_t *len_r)
{
	char path[1024], *buf;
	FILE *f;
	size_t n;

	vec_path(path, sizeof(path), name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(MSG_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, MSG_MAX, f);
	fclose(f);
	buf[n] = '\0';
	*len_r = n;
	return buf;
}

/*
 * feed - give one message to m: each header field as (name, value) with
 * its inner line breaks kept, as libmilter does; value without the one
 * space after the colon unless verbatim; the body in chunks of chunk bytes.
 * Returns 0, or -1 if a dkimv_* call failed.
 */
static int
feed(struct dkimv_msg *m, const char *msg, size_t len, size_t chunk,
    int verbatim)
{
	char name[256];
	size_t pos = 0, i;

	if (verbatim)
		dkimv_msg_leadspc(m);
	while (pos < len) {
		const char *field = msg + pos, *nl, *colon, *value;
		size_t flen;

		/* one field: a line and its continuation lines */
		nl = memchr(msg + pos, '\n', len - pos);
		pos = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		if (field[0] == '\n' || (field[0] == '\r' && field[1] == '\n'))
			break; /* the empty line: the body follows */
		while (pos < len && (msg[pos] == ' ' || msg[pos] == '\t')) {
			nl = memchr(msg + pos, '\n', len - pos);
			pos = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		}
		flen = (size_t)(msg + pos - field);
		while (flen > 0 &&
		    (field[flen - 1] == '\n' || field[flen - 1] == '\r'))
			flen--;
		if ((colon = memchr(field, ':', flen)) == NULL ||
		    (size_t)(colon - field) >= sizeof(name))
			return -1;
		memcpy(name, field, (size_t)(colon - field));
		name[colon - field] = '\0';
		value = colon + 1;
		if (!verbatim && value < field + flen && *value == ' ')
			value++; /* what Postfix and sendmail strip */
		if (dkimv_header_len(m, name, value,
			(size_t)(field + flen - value)) == -1)
			return -1;
	}
	if (dkimv_eoh(m) == -1)
		return -1;
	for (i = pos; i < len; i += chunk)
		if (dkimv_body(m, (const unsigned char *)msg + i,
			len - i < chunk ? len - i : chunk) == -1)
			return -1;
	return 0;
}

/* verify - run msg through lib; the results in sigs, their count */
static size_t
verify(struct dkimv_lib *lib, const char *msg, size_t len, size_t chunk,
    int verbatim, struct dkimv_sig *sigs, size_t max)
{
	struct dkimv_msg *m;
	size_t n = (size_t)-1;

	if ((m = dkimv_msg_new(lib, "TESTQID")) == NULL)
		return n;
	if (feed(m, msg, len, chunk, verbatim) == 0 &&
	    dkimv_eom(m, sigs, max, &n) == -1)
		n = (size_t)-1;
	dkimv_msg_free(&m);
	T_ASSERT(m == NULL);
	return n;
}

struct want {
	enum dkimv_result result;
	const char *domain, *selector, *algorithm;
	unsigned keybits;
	const char *reason;
	int testing;
};

static void
check_sig(const struct dkimv_sig *s, const struct want *w)
{
	T_ASSERT_STREQ(dkimv_result_str(s->result),
	    dkimv_result_str(w->result));
	T_ASSERT_STREQ(s->domain, w->domain);
	T_ASSERT_STREQ(s->selector, w->selector);
	T_ASSERT_STREQ(s->algorithm, w->algorithm);
	T_ASSERT_INTEQ(s->keybits, w->keybits);
	T_ASSERT_STREQ(s->reason, w->reason);
	T_ASSERT_INTEQ(s->testing, w->testing);
}

#define EX   "example.com"
#define R256 "rsa-sha256"

static const struct {
	const char *file;
	size_t n;
	struct want w[2];
} vectors[] = {
    {"rsa2048.eml", 1, {{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0}}},
    {"rsa2048-crlf.eml", 1, {{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0}}},
    {"rsa1024.eml", 1, {{DKIMV_PASS, EX, "rsa1024", R256, 1024, "", 0}}},
    {"rsa512.eml", 1,
	{{DKIMV_POLICY, EX, "rsa512", R256, 512, "key too small", 0}}},
    {"rsa-sha1.eml", 1,
	{{DKIMV_POLICY, EX, "rsa2048", "rsa-sha1", 2048,
	    "rsa-sha1 not accepted (RFC 8301)", 0}}},
    {"rsa-sha1-fws.eml", 1,
	{{DKIMV_PERMERROR, EX, "rsa2048", "rsa-?sha1", 0, "invalid a= tag",
	    0}}},
    {"ed25519.eml", 1,
	{{DKIMV_PASS, EX, "ed25519", "ed25519-sha256", 256, "", 0}}},
    {"third-party.eml", 1,
	{{DKIMV_PASS, "other.example", "s1", R256, 2048, "", 0}}},
    {"testing.eml", 1, {{DKIMV_PASS, EX, "testing", R256, 2048, "", 1}}},
    {"multi-txt.eml", 1, {{DKIMV_PASS, EX, "multi", R256, 2048, "", 0}}},
    {"sha1only.eml", 1,
	{{DKIMV_PERMERROR, EX, "sha1only", R256, 0,
	    "inappropriate hash algorithm", 0}}},
    {"two-sigs.eml", 2,
	{{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0},
	    {DKIMV_FAIL, EX, "rsa1024", R256, 1024, "bad signature", 0}}},
    {"body-tampered.eml", 1,
	{{DKIMV_FAIL, EX, "rsa2048", R256, 2048, "body hash mismatch", 0}}},
    {"subject-tampered.eml", 1,
	{{DKIMV_FAIL, EX, "rsa2048", R256, 2048, "bad signature", 0}}},
    {"revoked.eml", 1,
	{{DKIMV_FAIL, EX, "revoked", R256, 0, "key revoked", 0}}},
    {"nokey.eml", 1, {{DKIMV_PERMERROR, EX, "missing", R256, 0, "no key", 0}}},
    {"nodata.eml", 1, {{DKIMV_PERMERROR, EX, "nodata", R256, 0, "no key", 0}}},
    {"badsyntax.eml", 1,
	{{DKIMV_PERMERROR, EX, "badsyntax", R256, 0, "key syntax error", 0}}},
    {"baddecode.eml", 1,
	{{DKIMV_PERMERROR, EX, "baddecode", R256, 0, "key decode failed", 0}}},
    {"toolong.eml", 1,
	{{DKIMV_PERMERROR, EX, "toolong", R256, 0, "key syntax error", 0}}},
    {"nulkey.eml", 1,
	{{DKIMV_PERMERROR, EX, "nulkey", R256, 0, "key syntax error", 0}}},
    {"servfail.eml", 1,
	{{DKIMV_TEMPERROR, EX, "servfail", R256, 0, "key unavailable", 0}}},
    {"timeout.eml", 1,
	{{DKIMV_TEMPERROR, EX, "timeout", R256, 0, "key unavailable", 0}}},
    {"relaxed.eml", 1, {{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0}}},
    {"simple.eml", 1, {{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0}}},
    {"simple-ws.eml", 1,
	{{DKIMV_FAIL, EX, "rsa2048", R256, 2048, "body hash mismatch", 0}}},
    {"length.eml", 1, {{DKIMV_PASS, EX, "rsa2048", R256, 2048, "", 0}}},
    {"length-short.eml", 1,
	{{DKIMV_FAIL, EX, "rsa2048", R256, 2048, "l= exceeds body length", 0}}},
    {"unsigned.eml", 0, {{0}}},
};

/* every vector, with the body in 7-byte chunks, in 1-byte chunks and
 * whole: streaming must not change a result */
static void
test_vectors(void)
{
	static const size_t chunks[] = {7, 1, MSG_MAX};
	struct dkimv_sig sigs[DKIMV_SIGS_MAX];
	size_t i, j, k, n, len;
	char *msg, name[128];

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			snprintf(name, sizeof(name), "vector %s, chunks of %zu",
			    vectors[i].file,
			    chunks[k] == MSG_MAX ? 0 : chunks[k]);
			t_begin(name);
			msg = read_vec(vectors[i].file, &len);
			T_ASSERT(msg != NULL);
			if (msg == NULL) {
				t_end();
				continue;
			}
			memset(sigs, 0x55, sizeof(sigs));
			n = verify(lib10, msg, len, chunks[k], 0, sigs,
			    DKIMV_SIGS_MAX);
			T_ASSERT_INTEQ(n, vectors[i].n);
			for (j = 0; j < n && j < vectors[i].n; j++)
				check_sig(&sigs[j], &vectors[i].w[j]);
			free(msg);
			t_end();
		}
	}
}

/* decoded keys come from keycache.c once the same bytes were seen */
static void
test_keycache(void)
{
	static const struct want w = {DKIMV_PASS, EX, "rsa2048", R256, 2048, "",
	    0};
	struct dkimv_sig sigs[2];
	unsigned long h0, m0, h1, m1;
	size_t e0, e1, len, n;
	char *msg;
	int i;

	t_begin("keycache: a key seen before is not decoded again");
	msg = read_vec("rsa2048.eml", &len);
	T_ASSERT(msg != NULL);
	if (msg == NULL) {
		t_end();
		return;
	}
	n = verify(lib10, msg, len, MSG_MAX, 0, sigs, 2); /* warm */
	T_ASSERT_INTEQ(n, 1);
	keycache_stats(&h0, &m0, &e0);
	for (i = 0; i < 3; i++) {
		n = verify(lib10, msg, len, MSG_MAX, 0, sigs, 2);
		T_ASSERT_INTEQ(n, 1);
		if (n == 1)
			check_sig(&sigs[0], &w);
	}
	keycache_stats(&h1, &m1, &e1);
	T_ASSERT_INTEQ(h1 - h0, 3);
	T_ASSERT_INTEQ(m1, m0);
	T_ASSERT_INTEQ(e1, e0);
	T_ASSERT(e1 > 0 && e1 <= 1024);
	free(msg);
	/* a key that does not decode is asked for again, and fails again */
	msg = read_vec("baddecode.eml", &len);
	T_ASSERT(msg != NULL);
	for (i = 0; msg != NULL && i < 2; i++) {
		n = verify(lib10, msg, len, MSG_MAX, 0, sigs, 2);
		T_ASSERT_INTEQ(n, 1);
		if (n == 1)
			T_ASSERT_STREQ(sigs[0].reason, "key decode failed");
	}
	keycache_stats(&h0, &m0, &e0);
	T_ASSERT_INTEQ(e0, e1);
	free(msg);
	t_end();
}

/* the exact text after the colon (SMFIP_HDR_LEADSPC, or a file) */
static void
test_leadspc(void)
{
	static const char *const files[] = {"simple.eml", "relaxed.eml",
	    "rsa2048-crlf.eml", "ed25519.eml"};
	struct dkimv_sig sigs[2];
	size_t i, n, len;
	char *msg;

	t_begin("dkimv_msg_leadspc: values as they follow the colon");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		msg = read_vec(files[i], &len);
		T_ASSERT_IDX(msg != NULL, i);
		if (msg == NULL)
			continue;
		n = verify(lib10, msg, len, 13, 1, sigs, 2);
		T_ASSERT_IDX(n == 1, i);
		T_ASSERT_IDX(n == 1 && sigs[0].result == DKIMV_PASS, i);
		free(msg);
	}
	t_end();

	/* "Subject:simple" (no space) under a simple/simple signature over
	 * "Subject: simple": only the verbatim value shows the change; the
	 * MTA convention cannot tell and puts the space back */
	t_begin(
	    "dkimv_header: verbatim values keep simple canonicalization exact");
	msg = read_vec("simple.eml", &len);
	T_ASSERT(msg != NULL);
	if (msg != NULL) {
		char *p = strstr(msg, "\nSubject: simple");

		T_ASSERT(p != NULL);
		if (p != NULL) {
			memmove(p + 9, p + 10,
			    len - (size_t)(p + 10 - msg) + 1);
			len--;
			n = verify(lib10, msg, len, 7, 1, sigs, 2);
			T_ASSERT(n == 1 && sigs[0].result == DKIMV_FAIL);
			T_ASSERT_STREQ(sigs[0].reason, "bad signature");
			n = verify(lib10, msg, len, 7, 0, sigs, 2);
			T_ASSERT(n == 1 && sigs[0].result == DKIMV_PASS);
		}
		free(msg);
	}
	t_end();
}

/* RFC 6376 6.1: at most max_sigs signatures, the topmost ones */
static void
test_cap(void)
{
	struct dkimv_sig sigs[DKIMV_SIGS_MAX];
	size_t i, n, len;
	char *msg;

	msg = read_vec("twelve.eml", &len);
	t_begin("max_sigs: 12 signatures, default cap 10");
	T_ASSERT(msg != NULL);
	if (msg != NULL) {
		n = verify(lib10, msg, len, 7, 0, sigs, DKIMV_SIGS_MAX);
		T_ASSERT_INTEQ(n, DKIMV_SIGS_DEFAULT);
		for (i = 0; i < n && i < DKIMV_SIGS_MAX; i++)
			T_ASSERT_IDX(sigs[i].result == DKIMV_PASS, i);
	}
	t_end();

	t_begin("max_sigs: 12 signatures, cap 64");
	if (msg != NULL) {
		n = verify(lib64, msg, len, 7, 0, sigs, DKIMV_SIGS_MAX);
		T_ASSERT_INTEQ(n, 12);
		for (i = 0; i < n && i < DKIMV_SIGS_MAX; i++)
			T_ASSERT_IDX(sigs[i].result == DKIMV_PASS, i);
	}
	t_end();

	t_begin("max_sigs: the caller's array of 5");
	if (msg != NULL) {
		n = verify(lib64, msg, len, 7, 0, sigs, 5);
		T_ASSERT_INTEQ(n, 5);
		n = verify(lib64, msg, len, 7, 0, NULL, 0);
		T_ASSERT_INTEQ(n, 0);
	}
	t_end();
	free(msg);

	t_begin("dkimv_lib_new: cap");
	{
		struct dkimv_lib *l = NULL;
		char err[128] = "";

		T_ASSERT(dkimv_lib_new(res, DKIMV_SIGS_MAX + 1, &l, err,
			     sizeof(err)) == -1);
		T_ASSERT(l == NULL);
		T_ASSERT_STREQ(err, "dkim: too many signatures per message");
		T_ASSERT(dkimv_lib_new(NULL, 0, &l, err, sizeof(err)) == -1);
		T_ASSERT_STREQ(err, "dkim: no resolver");
		T_ASSERT(dkimv_lib_new(res, 1, &l, err, sizeof(err)) == 0);
		dkimv_lib_free(&l);
		T_ASSERT(l == NULL);
		dkimv_lib_free(&l);
		dkimv_lib_free(NULL);
	}
	t_end();
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* build - copies of one header field, where "#" becomes the copy's
 * number, then the rest of the message; malloc'd */
static char *
build(const char *field, int copies, const char *rest, size_t *len_r)
{
	const char *hash = strchr(field, '#');
	size_t fl = strlen(field), rl = strlen(rest), cap, o = 0, pre;
	char *buf;
	int i, n;

	pre = hash != NULL ? (size_t)(hash - field) : fl;
	cap = (fl + 16) * (size_t)copies + rl + 1;
	if ((buf = malloc(cap)) == NULL)
		return NULL;
	for (i = 0; i < copies; i++) {
		memcpy(buf + o, field, pre);
		o += pre;
		if (hash == NULL)
			continue;
		n = snprintf(buf + o, cap - o, "%d", i);
		o += (size_t)n;
		memcpy(buf + o, hash + 1, fl - pre - 1);
		o += fl - pre - 1;
	}
	memcpy(buf + o, rest, rl + 1);
	*len_r = o + rl;
	return buf;
}

/* 1000 DKIM-Signature fields: bounded time, at most max_sigs results */
static void
test_many(void)
{
	struct dkimv_sig sigs[DKIMV_SIGS_MAX];
	size_t len, n, i, siglen;
	char *msg, *one, *body, *big;
	double t0;

	msg = read_vec("rsa2048.eml", &len);
	t_begin("1000 copies of a valid signature");
	T_ASSERT(msg != NULL);
	body = msg != NULL ? strstr(msg, "\nFrom: ") : NULL;
	T_ASSERT(body != NULL);
	if (body != NULL) {
		siglen = (size_t)(body + 1 - msg);
		one = malloc(siglen + 1);
		T_ASSERT(one != NULL);
		if (one != NULL) {
			memcpy(one, msg, siglen);
			one[siglen] = '\0';
			T_ASSERT(strchr(one, '#') == NULL);
			big = build(one, 1000, body + 1, &len);
			T_ASSERT(big != NULL);
			t0 = now();
			n = big != NULL ? verify(lib10, big, len, 7, 0, sigs,
					      DKIMV_SIGS_MAX)
					: 0;
			T_ASSERT(now() - t0 < 20.0);
			T_ASSERT_INTEQ(n, DKIMV_SIGS_DEFAULT);
			for (i = 0; i < n && i < DKIMV_SIGS_MAX; i++)
				T_ASSERT_IDX(sigs[i].result == DKIMV_PASS, i);
			free(big);
			free(one);
		}
	}
	t_end();

	t_begin("1000 signatures, each with its own l=");
	if (body != NULL) {
		big = build("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
			    "s=missing; h=from; l=#; bh=AAAA; b=AAAA\n",
		    1000, body + 1, &len);
		T_ASSERT(big != NULL);
		t0 = now();
		n = big != NULL
		    ? verify(lib64, big, len, 7, 0, sigs, DKIMV_SIGS_MAX)
		    : 0;
		T_ASSERT(now() - t0 < 20.0);
		T_ASSERT_INTEQ(n, DKIMV_SIGS_MAX);
		/* the body is 39 octets: a longer l= fails before the
		 * missing key counts (RFC 6376 3.4.5) */
		for (i = 0; i < n && i < DKIMV_SIGS_MAX; i++) {
			T_ASSERT_IDX(sigs[i].result ==
				(i <= 39 ? DKIMV_PERMERROR : DKIMV_FAIL),
			    i);
			T_ASSERT_IDX(strcmp(sigs[i].reason,
					 i <= 39
					     ? "no key"
					     : "l= exceeds body length") == 0,
			    i);
		}
		free(big);
	}
	t_end();
	free(msg);
}

#define REST	 "From: alice@example.com\nTo: bob@example.net\nSubject: x\n\nhi\n"
#define SIG_TAIL "h=from; bh=AAAA; b=AAAA"

static char sel300[301], long_d[250], long_s[65];

/* hostile DKIM-Signature values: a permerror with its reason, fields
 * capped and clean, no crash */
static void
test_hostile(void)
{
	static const struct {
		const char *value;
		size_t len; /* 0: strlen */
		const char *reason, *domain, *selector;
	} v[] = {
	    {"v=1; a=rsa-sha256; d=\"example.com\"; s=rsa2048; " SIG_TAIL, 0,
		"invalid d= tag", "?example.com?", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=exa\r\n mple.com; s=rsa2048; " SIG_TAIL, 0,
		"invalid d= tag", "exa???mple.com", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=exa\nmple.com; s=rsa2048; " SIG_TAIL, 0,
		"invalid d= tag", "exa?mple.com", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com\0evil; s=rsa2048; " SIG_TAIL,
		sizeof("v=1; a=rsa-sha256; d=example.com\0evil; "
		       "s=rsa2048; " SIG_TAIL) -
		    1,
		"NUL byte in signature", "", ""},
	    {"v=1; a=rsa-sha256; d=example.com; d=other.example; "
	     "s=rsa2048; " SIG_TAIL,
		0, "duplicate d= tag", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; D=other.example; d=example.com; "
	     "s=rsa2048; " SIG_TAIL,
		0, "duplicate d= tag", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; ; d=example.com; s=rsa2048; " SIG_TAIL, 0,
		"signature syntax error", "", ""},
	    {"v=1; a=rsa-sha256; d=ex\xc3\xa4mple.com; s=rsa2048; " SIG_TAIL, 0,
		"signature syntax error", "", ""},
	    {"v=1; a=rsa-sha256; 1d=example.com; s=rsa2048; " SIG_TAIL, 0,
		"signature syntax error", "", ""},
	    {"v=1; a=rsa-sha256; d example.com; s=rsa2048; " SIG_TAIL, 0,
		"signature syntax error", "", ""},
	    {"v=1; a=rsa-sha256; s=rsa2048; " SIG_TAIL, 0, "d= missing", "",
		"rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; " SIG_TAIL, 0, "s= missing", EX,
		""},
	    {"v=1; a=rsa-sha256; d=example.com.; s=rsa2048; " SIG_TAIL, 0,
		"invalid d= tag", "example.com.", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example..com; s=rsa2048; " SIG_TAIL, 0,
		"invalid d= tag", "example..com", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=; s=rsa2048; " SIG_TAIL, 0, "invalid d= tag",
		"", "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rs'a; " SIG_TAIL, 0,
		"invalid s= tag", EX, "rs?a"},
	    {"v=1; a=rsa-sha256; d=example.com; s=a/../b; " SIG_TAIL, 0,
		"invalid s= tag", EX, "a?..?b"},
	    {NULL /* 300-byte selector */, 0, "invalid s= tag", EX, NULL},
	    {NULL /* key name over 253 octets */, 0, "key name too long", NULL,
		NULL},
	    {"v=1; a=rsa-md5; c=relaxed/relaxed; d=example.com; "
	     "s=rsa2048; " SIG_TAIL,
		0, "unknown algorithm", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; c=fancy/simple; d=example.com; "
	     "s=rsa2048; " SIG_TAIL,
		0, "unknown header canonicalization", EX, "rsa2048"},
	    {"v=2; a=rsa-sha256; d=example.com; s=rsa2048; " SIG_TAIL, 0,
		"unsupported version", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; t=1; x=2; " SIG_TAIL,
		0, "signature expired", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; "
	     "i=user@other.example; " SIG_TAIL,
		0, "domain mismatch", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=subject; "
	     "bh=AAAA; b=AAAA",
		0, "From not signed", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; b=AAAA", 0,
		"bh= missing", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; "
	     "bh=AAAA; b=AAAA; q=dns/xml",
		0, "unknown query option", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; "
	     "bh=AAAA; b=AAAA; l=-5",
		0, "invalid l= tag", EX, "rsa2048"},
	    {"v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; "
	     "bh=AAAA; b=AAAA",
		0, "bad signature", EX, "rsa2048"},
	};
	struct dkimv_sig sigs[2];
	struct dkimv_msg *m;
	size_t i, n, len;
	char value[600], name[64];
	int rc;

	memset(sel300, 'a', sizeof(sel300) - 1);
	for (i = 0; i < sizeof(long_d) - 1; i++)
		long_d[i] = i % 50 == 49 ? '.' : 'd';
	long_d[sizeof(long_d) - 1] = '\0';
	memset(long_s, 's', sizeof(long_s) - 1);
	long_s[32] = '.'; /* two labels: a valid 64-octet selector */

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "hostile signature [%zu]", i);
		t_begin(name);
		if (v[i].value != NULL) {
			len = v[i].len ? v[i].len : strlen(v[i].value);
			memcpy(value, v[i].value, len);
		} else if (v[i].domain != NULL) {
			rc = snprintf(value, sizeof(value),
			    "v=1; a=rsa-sha256; d=example.com; s=%s; " SIG_TAIL,
			    sel300);
			len = (size_t)rc;
		} else {
			rc = snprintf(value, sizeof(value),
			    "v=1; a=rsa-sha256; d=%s; s=%s; " SIG_TAIL, long_d,
			    long_s);
			len = (size_t)rc;
		}
		T_ASSERT(len < sizeof(value));
		m = dkimv_msg_new(lib10, NULL);
		T_ASSERT(m != NULL);
		if (m == NULL) {
			t_end();
			continue;
		}
		T_ASSERT(
		    dkimv_header_len(m, "DKIM-Signature", value, len) == 0);
		n = (size_t)-1;
		T_ASSERT(feed(m, REST, strlen(REST), 5, 0) == 0);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == 0);
		T_ASSERT_INTEQ(n, 1);
		if (n == 1) {
			const struct dkimv_sig *s = &sigs[0];

			T_ASSERT_STREQ(s->reason, v[i].reason);
			T_ASSERT(s->result ==
			    (strcmp(v[i].reason, "bad signature") == 0
				    ? DKIMV_FAIL
				    : DKIMV_PERMERROR));
			T_ASSERT(memchr(s->domain, '\0', sizeof(s->domain)));
			T_ASSERT(
			    memchr(s->selector, '\0', sizeof(s->selector)));
			T_ASSERT(
			    memchr(s->algorithm, '\0', sizeof(s->algorithm)));
			T_ASSERT(strpbrk(s->domain, "\r\n\"'/ ") == NULL);
			T_ASSERT(strpbrk(s->selector, "\r\n\"'/ ") == NULL);
			if (v[i].value != NULL) {
				T_ASSERT_STREQ(s->domain, v[i].domain);
				T_ASSERT_STREQ(s->selector, v[i].selector);
			} else if (v[i].domain != NULL) {
				T_ASSERT_STREQ(s->domain, v[i].domain);
				T_ASSERT_INTEQ(strlen(s->selector), 64);
			} else {
				T_ASSERT_INTEQ(strlen(s->domain),
				    sizeof(long_d) - 1);
				T_ASSERT_STREQ(s->selector, long_s);
			}
			T_ASSERT_INTEQ(s->keybits,
			    s->result == DKIMV_FAIL ? 2048 : 0);
		}
		dkimv_msg_free(&m);
		t_end();
	}
}

/* a signature we or libopendkim refuse to parse keeps its place: the
 * valid one below it is still verified and reported second */
static void
test_mixed(void)
{
	static const struct {
		const char *field, *reason;
	} v[] = {
	    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
	     "s=rsa2048; bh=AAAA; b=AAAA\n",
		"signature syntax error"},
	    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
	     "d=other.example; s=rsa2048; h=from; bh=AAAA; b=AAAA\n",
		"duplicate d= tag"},
	    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
	     "s=missing; h=from; bh=AAAA; b=AAAA\n",
		"no key"},
	};
	struct dkimv_sig sigs[3];
	size_t i, n, len;
	char *msg, *big, name[64];

	msg = read_vec("rsa2048.eml", &len);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name),
		    "broken signature above a valid "
		    "one [%zu]",
		    i);
		t_begin(name);
		T_ASSERT(msg != NULL);
		big = msg != NULL ? build(v[i].field, 1, msg, &len) : NULL;
		T_ASSERT(big != NULL);
		if (big != NULL) {
			n = verify(lib10, big, len, 7, 0, sigs, 3);
			T_ASSERT_INTEQ(n, 2);
			T_ASSERT(n == 2 && sigs[0].result == DKIMV_PERMERROR);
			T_ASSERT(n == 2 && sigs[1].result == DKIMV_PASS);
			T_ASSERT_STREQ(sigs[0].reason, v[i].reason);
			T_ASSERT_STREQ(sigs[1].selector, "rsa2048");
			T_ASSERT_INTEQ(sigs[1].keybits, 2048);
		}
		free(big);
		t_end();
	}
	free(msg);
}

/* one lib shared by threads, each with its own messages */
#define THREADS	   4
#define THREAD_RUN 25

struct thread_arg {
	const char *msg;
	size_t len;
	enum dkimv_result want;
	int bad; /* runs whose result differed */
};

static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	struct dkimv_sig sigs[2];
	int i;

	for (i = 0; i < THREAD_RUN; i++)
		if (verify(lib10, a->msg, a->len, 7 + (size_t)i, 0, sigs, 2) !=
			1 ||
		    sigs[0].result != a->want)
			a->bad++;
	return NULL;
}

static void
test_threads(void)
{
	static const struct {
		const char *file;
		enum dkimv_result want;
	} v[THREADS] = {{"rsa2048.eml", DKIMV_PASS},
	    {"ed25519.eml", DKIMV_PASS}, {"nokey.eml", DKIMV_PERMERROR},
	    {"body-tampered.eml", DKIMV_FAIL}};
	struct thread_arg arg[THREADS];
	pthread_t tid[THREADS];
	int i, started[THREADS];

	t_begin("one dkimv_lib, four threads");
	for (i = 0; i < THREADS; i++) {
		arg[i].msg = read_vec(v[i].file, &arg[i].len);
		arg[i].want = v[i].want;
		arg[i].bad = 0;
		T_ASSERT_IDX(arg[i].msg != NULL, i);
		started[i] = arg[i].msg != NULL &&
		    pthread_create(&tid[i], NULL, thread_main, &arg[i]) == 0;
		T_ASSERT_IDX(started[i], i);
	}
	for (i = 0; i < THREADS; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		T_ASSERT_IDX(arg[i].bad == 0, i);
		free((char *)arg[i].msg);
	}
	t_end();
}

/* header fields that are not fields, caps, and calls out of order */
static void
test_misuse(void)
{
	struct dkimv_sig sigs[2];
	struct dkimv_msg *m;
	char *huge, tags[1200];
	size_t n, i, o;

	t_begin("dkimv: calls out of order and NULL arguments");
	T_ASSERT(dkimv_msg_new(NULL, NULL) == NULL);
	T_ASSERT(dkimv_header(NULL, "From", "x") == -1);
	T_ASSERT(dkimv_eoh(NULL) == -1);
	T_ASSERT(dkimv_body(NULL, (const unsigned char *)"x", 1) == -1);
	T_ASSERT(dkimv_eom(NULL, sigs, 2, &n) == -1);
	dkimv_msg_free(NULL);
	dkimv_msg_leadspc(NULL);
	m = dkimv_msg_new(lib10,
	    "a queue id with \"quotes\" and much more "
	    "text than any MTA would ever use as an id");
	T_ASSERT(m != NULL);
	if (m != NULL) {
		T_ASSERT(dkimv_header(m, NULL, "x") == -1);
		T_ASSERT(dkimv_header(m, "From", NULL) == -1);
		T_ASSERT(dkimv_body(m, (const unsigned char *)"x", 1) == -1);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == -1);
		T_ASSERT(dkimv_header(m, "From", "a@example.com") == 0);
		T_ASSERT(dkimv_eoh(m) == 0);
		T_ASSERT(dkimv_eoh(m) == -1);
		T_ASSERT(dkimv_header(m, "To", "b@example.com") == -1);
		T_ASSERT(dkimv_body(m, NULL, 0) == 0);
		T_ASSERT(dkimv_body(m, NULL, 1) == -1);
		T_ASSERT(dkimv_eom(m, sigs, 2, NULL) == -1);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == 0);
		T_ASSERT_INTEQ(n, 0);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == -1);
		T_ASSERT(dkimv_body(m, (const unsigned char *)"x", 1) == -1);
		dkimv_msg_free(&m);
	}
	t_end();

	t_begin("dkimv_header: names that are not field names are skipped");
	m = dkimv_msg_new(lib10, NULL);
	T_ASSERT(m != NULL);
	if (m != NULL) {
		T_ASSERT(dkimv_header(m, "", "x") == 0);
		T_ASSERT(dkimv_header(m, "Sub ject", "x") == 0);
		T_ASSERT(dkimv_header(m, "Sub:ject", "x") == 0);
		T_ASSERT(dkimv_header(m, "Sub\x01ject", "x") == 0);
		T_ASSERT(dkimv_header(m, "Sub\xc3\xa4ject", "x") == 0);
		T_ASSERT(dkimv_header(m, " DKIM-Signature", "v=1") == 0);
		T_ASSERT(dkimv_header_len(m, "Subject", "a\0b", 3) == 0);
		T_ASSERT(dkimv_header(m, "X-Empty", "") == 0);
		T_ASSERT(dkimv_header(m, "X-Lf", "a\n\tb\r\n\tc\r\n") == 0);
		T_ASSERT(dkimv_eoh(m) == 0);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == 0);
		T_ASSERT_INTEQ(n, 0);
		dkimv_msg_free(&m);
	}
	t_end();

	t_begin("dkimv_header: a signature field over DKIMV_FIELD_MAX");
	huge = malloc(DKIMV_FIELD_MAX + 100);
	m = dkimv_msg_new(lib10, NULL);
	T_ASSERT(huge != NULL && m != NULL);
	if (huge != NULL && m != NULL) {
		memset(huge, 'x', DKIMV_FIELD_MAX + 99);
		memcpy(huge, "v=1; d=example.com; s=s1; z=", 28);
		huge[DKIMV_FIELD_MAX + 99] = '\0';
		T_ASSERT(dkimv_header(m, "DKIM-Signature", huge) == 0);
		T_ASSERT(dkimv_header(m, "Subject", huge) == 0);
		T_ASSERT(feed(m, REST, strlen(REST), 3, 0) == 0);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == 0);
		T_ASSERT_INTEQ(n, 1);
		T_ASSERT(n == 1 && sigs[0].result == DKIMV_PERMERROR);
		T_ASSERT_STREQ(sigs[0].reason, "header too large to verify");
		T_ASSERT_STREQ(sigs[0].domain, EX);
	}
	dkimv_msg_free(&m);
	free(huge);
	t_end();

	t_begin("dkimv_header: more than DKIMV_TAGS_MAX tags");
	o = 0;
	for (i = 0; i < 70; i++)
		o +=
		    (size_t)snprintf(tags + o, sizeof(tags) - o, "x%zu=1; ", i);
	snprintf(tags + o, sizeof(tags) - o, "d=example.com; s=s1");
	m = dkimv_msg_new(lib10, NULL);
	T_ASSERT(m != NULL);
	if (m != NULL) {
		T_ASSERT(dkimv_header(m, "DKIM-Signature", tags) == 0);
		T_ASSERT(feed(m, REST, strlen(REST), 3, 0) == 0);
		T_ASSERT(dkimv_eom(m, sigs, 2, &n) == 0);
		T_ASSERT(n == 1 && sigs[0].result == DKIMV_PERMERROR);
		T_ASSERT_STREQ(sigs[0].reason, "too many tags");
		dkimv_msg_free(&m);
	}
	t_end();

	t_begin("dkimv_result_str");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_NONE), "none");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_PASS), "pass");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_FAIL), "fail");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_NEUTRAL), "neutral");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_POLICY), "policy");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_TEMPERROR), "temperror");
	T_ASSERT_STREQ(dkimv_result_str(DKIMV_PERMERROR), "permerror");
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_vectors, test_keycache,
	    test_leadspc, test_cap, test_many, test_hostile, test_mixed,
	    test_threads, test_misuse, NULL};
	struct resolver_opts opts = {NULL, NULL, 0};
	char path[1024], err[256];
	int rc;

	vec_path(path, sizeof(path), "zone");
	opts.zone_file = path;
	if (resolver_new(&opts, &res, err, sizeof(err)) == -1 ||
	    dkimv_lib_new(res, 0, &lib10, err, sizeof(err)) == -1 ||
	    dkimv_lib_new(res, DKIMV_SIGS_MAX, &lib64, err, sizeof(err)) ==
		-1) {
		printf("setup: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	rc = t_run(tests);
	dkimv_lib_free(&lib64);
	dkimv_lib_free(&lib10);
	resolver_free(&res);
	return rc;
}
