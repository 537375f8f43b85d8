/*
 * test-dmarc_align.c - unit tests for policy/dmarc_align.c
 */
#include <stddef.h>

#include "policy/dmarc_align.h"
#include "tests/t.h"

#define R DMARC_AMODE_RELAXED
#define S DMARC_AMODE_STRICT

static void
test_aligned(void)
{
	static const struct {
		const char *author, *author_org, *id, *id_org;
		enum dmarc_amode mode;
		int want;
	} v[] = {
	    /* look-alikes never align, whatever the mode */
	    {"x.com", "x.com", "attacker.com", "attacker.com", R, 0},
	    {"x.com", "x.com", "attackerx.com", "attackerx.com", R, 0},
	    {"t.co", "t.co", "evil.co", "evil.co", R, 0},
	    {"evil.co", "evil.co", "t.co", "t.co", R, 0},
	    {"paypal.com", "paypal.com", "q.com", "q.com", R, 0},
	    {"paypal.com", "paypal.com", "paypal.com.q.com", "q.com", R, 0},
	    {"paypal.com", "paypal.com", "xpaypal.com", "xpaypal.com", S, 0},
	    /* strict: the same name only */
	    {"example.com", "example.com", "a.example.com", "example.com", S,
		0},
	    {"a.example.com", "example.com", "example.com", "example.com", S,
		0},
	    {"example.com", "example.com", "example.com", "example.com", S, 1},
	    {"Example.COM.", "example.com", "example.com", "example.com", S, 1},
	    /* relaxed: the same Organizational Domain */
	    {"a.example.com", "example.com", "b.example.com", "example.com", R,
		1},
	    {"example.com", "example.com", "a.example.com", "example.com", R,
		1},
	    {"a.example.com", "Example.Com.", "b.example.com", "example.com", R,
		1},
	    {"giant.bank.example", "giant.bank.example",
		"mail.mega.bank.example", "mega.bank.example", R, 0},
	    {"giant.bank.example", "giant.bank.example",
		"mail.giant.bank.example", "giant.bank.example", R, 1},
	    /* A-labels are plain ASCII */
	    {"xn--bcher-kva.example", "xn--bcher-kva.example",
		"XN--BCHER-KVA.example", "xn--bcher-kva.example", S, 1},
	    {"a.xn--bcher-kva.example", "xn--bcher-kva.example",
		"xn--bcher-kvb.example", "xn--bcher-kvb.example", R, 0},
	    /* unknown Organizational Domains: only the same name */
	    {"a.example.com", NULL, "b.example.com", NULL, R, 0},
	    {"a.example.com", "", "b.example.com", "", R, 0},
	    {"a.example.com", "example.com", "b.example.com", NULL, R, 0},
	    {"a.example.com", NULL, "b.example.com", "example.com", R, 0},
	    {"a.example.com", NULL, "A.example.com", NULL, R, 1},
	    /* no identifier */
	    {"example.com", "example.com", "", "", R, 0},
	    {"example.com", "example.com", NULL, NULL, R, 0},
	    {"", "", "", "", S, 0},
	};
	size_t i;

	t_begin("dmarc_aligned: table");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		T_ASSERT_IDX(dmarc_aligned(v[i].author, v[i].author_org,
				 v[i].id, v[i].id_org, v[i].mode) == v[i].want,
		    i);
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_aligned, NULL};

	return t_run(tests);
}
