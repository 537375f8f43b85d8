/*
 * fuzz-zone.c - a zone file, then questions to it (auth/zone.h)
 *
 * Input: a zone file, any bytes.  zone_load_mem() either fails with an
 * error "fuzz.zone:LINE: ..." or gives a zone; that zone is then asked,
 * for every type we use, about the first word of each of the first
 * FUZZ_NAMES lines (owner names as written, "$" directives' names),
 * their parents, their names with one more label, and a name that is
 * not there.  zone_name_canon() is tried on the same words.
 *
 * Invariants: an answer always comes back with the status returned; OK
 * has 1..RESOLVER_RR_MAX RRs of the type asked (CNAMEs followed), at most
 * RESOLVER_ANSWER_MAX octets in all, each NUL-terminated, A 4 octets and
 * AAAA 16, names with no NUL inside and no trailing dot; any other
 * status has no RR, TEMPFAIL says why; the same question gives the same
 * answer; a canonical name is lower case, without trailing dot or empty
 * label, at most 253 octets, and canonical again.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth/resolver.h"
#include "auth/zone.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_NAMES     16 /* lines whose first word is asked about */
#define FUZZ_INPUT_MAX (1024 * 1024)

static const int types[] = {RESOLVER_T_A, RESOLVER_T_AAAA, RESOLVER_T_MX,
    RESOLVER_T_TXT, RESOLVER_T_PTR, RESOLVER_T_CNAME, RESOLVER_T_NS,
    RESOLVER_T_SPF};

static void
check_answer(const struct zone *z, const char *name, int type)
{
	struct resolver_answer *a = NULL, *b = NULL;
	enum resolver_status st;
	size_t i, total = 0;

	st = zone_query(z, name, type, &a);
	FUZZ_ASSERT(a != NULL && a->status == st);
	FUZZ_ASSERT(st >= RESOLVER_OK && st <= RESOLVER_INVALID);
	FUZZ_ASSERT(resolver_status_str(st) != NULL);
	if (st != RESOLVER_OK)
		FUZZ_ASSERT(a->nrr == 0);
	else
		FUZZ_ASSERT(a->nrr >= 1 && a->nrr <= RESOLVER_RR_MAX);
	if (st == RESOLVER_TEMPFAIL)
		FUZZ_ASSERT(a->why != NULL);
	for (i = 0; i < a->nrr; i++) {
		const struct resolver_rr *rr = &a->rr[i];

		FUZZ_ASSERT(rr->type == type && rr->data != NULL);
		FUZZ_ASSERT(rr->data[rr->len] == '\0');
		total += rr->len;
		if (type == RESOLVER_T_A)
			FUZZ_ASSERT(rr->len == 4);
		else if (type == RESOLVER_T_AAAA)
			FUZZ_ASSERT(rr->len == 16);
		else if (type != RESOLVER_T_TXT && type != RESOLVER_T_SPF) {
			FUZZ_ASSERT(strlen((const char *)rr->data) == rr->len);
			FUZZ_ASSERT(rr->len <= RESOLVER_NAME_MAX);
			FUZZ_ASSERT(
			    rr->len == 0 || rr->data[rr->len - 1] != '.');
		}
	}
	FUZZ_ASSERT(total <= RESOLVER_ANSWER_MAX);

	/* the same question, the same answer */
	FUZZ_ASSERT(zone_query(z, name, type, &b) == st);
	FUZZ_ASSERT(b->nrr == a->nrr);
	for (i = 0; i < a->nrr; i++)
		FUZZ_ASSERT(a->rr[i].len == b->rr[i].len &&
		    memcmp(a->rr[i].data, b->rr[i].data, a->rr[i].len) == 0);
	resolver_answer_free(&a);
	resolver_answer_free(&b);
	FUZZ_ASSERT(a == NULL && b == NULL);
}

static void
check_canon(const char *name)
{
	char c1[RESOLVER_NAME_MAX + 2], c2[RESOLVER_NAME_MAX + 2];
	size_t n, i;

	if (zone_name_canon(name, c1, sizeof(c1)) == -1)
		return;
	n = strlen(c1);
	FUZZ_ASSERT(n >= 1 && n <= RESOLVER_NAME_MAX);
	FUZZ_ASSERT(
	    c1[n - 1] != '.' && c1[0] != '.' && strstr(c1, "..") == NULL);
	FUZZ_ASSERT(fuzz_is_lower(c1));
	for (i = 0; i < n; i++)
		FUZZ_ASSERT((unsigned char)c1[i] >= 0x20);
	FUZZ_ASSERT(zone_name_canon(c1, c2, sizeof(c2)) == 0);
	FUZZ_ASSERT(strcmp(c1, c2) == 0);
}

/* ask - every type for one name */
static void
ask(const struct zone *z, const char *name)
{
	size_t t;

	check_canon(name);
	for (t = 0; t < FUZZ_NELEM(types); t++)
		check_answer(z, name, types[t]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zone *z = NULL;
	char err[256], name[512], more[600];
	const char *p = (const char *)data, *dot;
	size_t pos = 0, n, k, nnames = 0;
	int rc;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = zone_load_mem(p, size, "fuzz.zone", &z, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1) {
		FUZZ_ASSERT(strnlen(err, sizeof(err)) < sizeof(err));
		FUZZ_ASSERT(strncmp(err, "fuzz.zone:", 10) == 0);
		return 0;
	}
	FUZZ_ASSERT(z != NULL);

	while (pos < size && nnames < FUZZ_NAMES) {
		const char *nl = memchr(p + pos, '\n', size - pos);
		size_t end = nl != NULL ? (size_t)(nl - p) : size;

		k = pos;
		if (p[k] == '$') { /* "$SERVFAIL name TYPE": the name */
			while (k < end && p[k] != ' ' && p[k] != '\t')
				k++;
			while (k < end && (p[k] == ' ' || p[k] == '\t'))
				k++;
		}
		for (n = 0; k + n < end && p[k + n] != ' ' &&
		     p[k + n] != '\t' && p[k + n] != '\r' && p[k + n] != '\0' &&
		     n < sizeof(name) - 1;
		     n++)
			;
		if (n > 0) {
			memcpy(name, p + k, n);
			name[n] = '\0';
			ask(z, name);
			if ((dot = strchr(name, '.')) != NULL && dot[1] != '\0')
				ask(z, dot + 1);
			snprintf(more, sizeof(more), "x.%s", name);
			ask(z, more);
			nnames++;
		}
		pos = end + 1;
	}
	ask(z, "not-there.invalid");
	ask(z, "");
	zone_free(&z);
	FUZZ_ASSERT(z == NULL);
	return 0;
}
