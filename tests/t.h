/*
 * t.h - the unit test harness: table-driven tests, one binary per module
 *
 *	static void test_parse(void) {
 *		t_begin("dmarc_record_parse: p=reject");
 *		T_ASSERT(rec.p == DMARC_P_REJECT);
 *		T_ASSERT_STREQ(errstr, "p: unknown policy");
 *		t_end();
 *	}
 *	int main(void) {
 *		static void (*const tests[])(void) = { test_parse, NULL };
 *		return t_run(tests);
 *	}
 *
 * A failed assertion prints "file:line: got X, want Y" and marks the
 * current test failed; t_end() prints "ok NAME" or "FAIL NAME".  t_run()
 * ends with the line "N passed, N failed" that tests/run adds up, and
 * returns 1 if anything failed.  Header-only: include it in one .c.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static const char *t_name_;
static int t_failed_;	/* the current test failed */
static int t_npass_, t_nfail_;

static void
t_begin(const char *name)
{
	t_name_ = name;
	t_failed_ = 0;
}

static void
t_end(void)
{
	if (t_failed_) {
		t_nfail_++;
		printf("FAIL %s\n", t_name_);
	} else {
		t_npass_++;
		printf("ok %s\n", t_name_);
	}
	fflush(stdout);
}

static void
t_fail_(const char *file, int line, const char *got, const char *want)
{
	printf("%s:%d: [%s] got %s, want %s\n", file, line,
	    t_name_ ? t_name_ : "?", got, want);
	t_failed_ = 1;
}

#define T_ASSERT(c)                                                          \
	do {                                                                 \
		if (!(c))                                                    \
			t_fail_(__FILE__, __LINE__, "false", #c);            \
	} while (0)

#define T_ASSERT_IDX(c, idx)                                                 \
	do {                                                                 \
		if (!(c)) {                                                  \
			char t_b_[64];                                       \
			snprintf(t_b_, sizeof(t_b_), "false at [%d]",        \
			    (int)(idx));                                     \
			t_fail_(__FILE__, __LINE__, t_b_, #c);               \
		}                                                            \
	} while (0)

#define T_ASSERT_STREQ(a, b)                                                 \
	do {                                                                 \
		const char *t_a_ = (a), *t_w_ = (b);                         \
		if (t_a_ == NULL || t_w_ == NULL ? t_a_ != t_w_              \
						 : strcmp(t_a_, t_w_) != 0)  \
			t_fail_(__FILE__, __LINE__,                          \
			    t_a_ ? t_a_ : "(null)", t_w_ ? t_w_ : "(null)"); \
	} while (0)

#define T_ASSERT_INTEQ(a, b)                                                 \
	do {                                                                 \
		long long t_x_ = (long long)(a), t_y_ = (long long)(b);      \
		if (t_x_ != t_y_) {                                          \
			char t_g_[32], t_v_[32];                             \
			snprintf(t_g_, sizeof(t_g_), "%lld", t_x_);          \
			snprintf(t_v_, sizeof(t_v_), "%lld", t_y_);          \
			t_fail_(__FILE__, __LINE__, t_g_, t_v_);             \
		}                                                            \
	} while (0)

static int
t_run(void (*const *tests)(void))
{
	for (; *tests != NULL; tests++)
		(*tests)();
	printf("%d passed, %d failed\n", t_npass_, t_nfail_);
	return t_nfail_ != 0;
}

#endif
