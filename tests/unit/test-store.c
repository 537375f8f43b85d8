/*
 * test-store.c - the outcome store: schema, group commit, journal, crash
 *
 *	test-store          the SQLite tests (temporary directory)
 *	test-store --pg     the same put/read/expire/sent tests, and a server
 *	                    stop and restart under load, against the server
 *	                    in $STORE_TEST_PG_URI; $STORE_TEST_PG_STOP and
 *	                    $STORE_TEST_PG_START are shell commands that stop
 *	                    and start it (tests/store-pg.sh sets all three)
 *
 * Records are made from their index by mkrec(), with hostile values
 * (quotes, <, &, SQL, 8-bit bytes that are not UTF-8, the escape byte,
 * fields at their full length, 0 to 16 DKIM results), and compared byte
 * for byte when read back.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "report/store.h"
#include "tests/t.h"

#define BASE	  1700000000LL /* received of record 0 */
#define SPAN	  (3 * 86400)  /* records spread over three days */
#define NMANY	  10000	       /* records of the 8-thread test */
#define NTHREADS  8
#define OUTAGE_N  3000	       /* records put across a PostgreSQL restart */
#define OUTAGE_AT 600	       /* ... the server stops after this many */
#define OUTAGE_T0 1800000000LL /* their time range */
#define EXPIRE_T0 1000000000LL /* the expire test's time range */

static char g_dir[PATH_MAX]; /* the temporary directory */
static const char *g_uri;    /* the store under test (PostgreSQL) */
static int g_pg;	     /* running the PostgreSQL tests */
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[16384]; /* warnings seen */

static void test_log(void *, int, const char *);
static const struct store_opts g_plain = {.log = test_log};

static void
test_log(void *arg, int prio, const char *msg)
{
	size_t n;

	(void)arg;
	if (prio > LOG_NOTICE)
		return;
	pthread_mutex_lock(&g_log_mu);
	n = strlen(g_log);
	(void)snprintf(g_log + n, sizeof(g_log) - n, "%s\n", msg);
	pthread_mutex_unlock(&g_log_mu);
	if (getenv("STORE_TEST_VERBOSE") != NULL)
		printf("  log: %s\n", msg);
}

static void
log_clear(void)
{
	pthread_mutex_lock(&g_log_mu);
	g_log[0] = '\0';
	pthread_mutex_unlock(&g_log_mu);
}

static int
log_has(const char *s)
{
	int r;

	pthread_mutex_lock(&g_log_mu);
	r = strstr(g_log, s) != NULL;
	pthread_mutex_unlock(&g_log_mu);
	return r;
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* path - a file under the temporary directory */
static const char *
path(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", g_dir, name) >= len)
		abort();
	return buf;
}

static const char *const hostile[] = {
    "a'b\"c<d>&e;--",
    "Robert'); DROP TABLE messages;--",
    "\xe9t\xe9 latin-1",
    "\xff\xfe\x80",
    "caf\xc3\xa9 utf-8",
    "\x7f\x34\x31 escape byte", /* "\x7f" "41" */
    "\x7f",
    "tab\there \\ back%20slash",
    "<![CDATA[ ]]> &amp;",
    "\xed\xa0\x80 surrogate",
    "\xf4\x90\x80\x80 too big",
    "\xc0\xaf overlong",
    "$1 ?1 :a @a",
    "",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static void
fill(char *dst, size_t size, unsigned char c)
{
	memset(dst, c, size - 1);
	dst[size - 1] = '\0';
}

#define SET(dst, ...) (void)snprintf(dst, sizeof(dst), __VA_ARGS__)

/* mkrec - record i of a family (a prefix of its id) */
static void
mkrec(struct store_record *r, unsigned i, const char *family, long long t0)
{
	static const char *const dom[] = {"example.com", "b'ad<&>.example",
	    "\xe9x\xff.example", "z.example", "a.example"};
	static const char *const res[] = {"pass", "fail", "none", "temperror",
	    "permerror"};
	const char *h = hostile[i % NHOSTILE];
	size_t j;

	memset(r, 0, sizeof(*r));
	SET(r->id, "%s%08x", family, i);
	r->received = t0 + (long long)((i * 7919ULL) % SPAN);
	SET(r->queue_id, "Q%u'%s", i, i % 3 ? "" : "\x7f");
	SET(r->source_ip, i % 2 ? "192.0.2.%u" : "2001:db8::%x", i % 256);
	SET(r->env_from_domain, "%s.from%u", h, i);
	SET(r->env_to_domain, "to<%u>&.example", i);
	SET(r->header_from, "%s", dom[i % 5]);
	SET(r->policy_domain, "%s", dom[(i / 3) % 5]);
	r->has_policy = (int)(i % 4 != 0);
	SET(r->p, "%s", i % 2 ? "reject" : "none");
	SET(r->sp, "%s", i % 3 ? "quarantine" : "");
	SET(r->np, "%s", i % 5 ? "" : "reject");
	r->adkim = i % 2 ? 's' : 'r';
	r->aspf = i % 3 ? 'r' : 0;
	r->testing = (int)(i % 7 == 0);
	SET(r->fo, "%s", i % 2 ? "0:1:d:s" : "0");
	SET(r->discovery, "%s", i % 2 ? "treewalk" : "psl");
	SET(r->rua, "mailto:a@b.example,mailto:'$(rm -rf /)'@x;%s", h);
	SET(r->ruf, "mailto:ruf%u@\xe9.example", i);
	SET(r->dmarc_result, "%s", res[i % 5]);
	r->spf_aligned = (int)(i % 2);
	r->dkim_aligned = (int)(i % 3 == 1);
	SET(r->disposition, "%s", i % 4 == 3 ? "tempfail" : "quarantine");
	SET(r->reasons, "%s", i % 2 ? "policy_test_mode,other" : "");
	SET(r->reason_comment, "comment %u: %s", i, h);
	SET(r->spf_domain, "%s", h);
	SET(r->spf_scope, "%s", i % 2 ? "mfrom" : "helo");
	SET(r->spf_result, "%s", res[(i + 1) % 5]);
	if (i % 97 == 0) { /* every field at its full length */
		fill(r->env_from_domain, sizeof(r->env_from_domain), 'a');
		fill(r->header_from, sizeof(r->header_from), 0xe9);
		fill(r->rua, sizeof(r->rua), '\'');
		fill(r->ruf, sizeof(r->ruf), 0x7f);
		fill(r->reason_comment, sizeof(r->reason_comment), 0xff);
		fill(r->queue_id, sizeof(r->queue_id), '<');
		fill(r->reasons, sizeof(r->reasons), '&');
	}
	r->ndkim = i % (STORE_DKIM_MAX + 1);
	for (j = 0; j < r->ndkim; j++) {
		SET(r->dkim[j].domain, "d%zu.%s", j,
		    hostile[(i + j) % NHOSTILE]);
		SET(r->dkim[j].selector, "s%zu'<&>", j);
		SET(r->dkim[j].result, "%s", res[j % 5]);
		if (i % 97 == 0)
			fill(r->dkim[j].selector, sizeof(r->dkim[j].selector),
			    0x80 + (unsigned char)j);
	}
}

/* rec_index - the index in an id made by mkrec for family, or -1 */
static long
rec_index(const char *id, const char *family)
{
	size_t n = strlen(family);
	char *end;
	long v;

	if (strncmp(id, family, n) != 0 || strlen(id) != n + 8)
		return -1;
	v = strtol(id + n, &end, 16);
	return *end == '\0' ? v : -1;
}

struct seen {
	const char *family;
	long long t0;
	unsigned n;	    /* records 0..n-1 may be seen */
	unsigned char *got; /* times each was seen */
	unsigned total, other, mismatch;
	struct store_record prev;
	int have_prev, order_bad;
};

/* seen_fn - check a record read back against mkrec, and the order */
static int
seen_fn(const struct store_record *r, void *arg)
{
	struct seen *s = arg;
	struct store_record want;
	long i;

	if (s->have_prev) {
		int c = strcmp(s->prev.policy_domain, r->policy_domain);

		if (c > 0 ||
		    (c == 0 &&
			(s->prev.received > r->received ||
			    (s->prev.received == r->received &&
				strcmp(s->prev.id, r->id) >= 0))))
			s->order_bad++;
	}
	s->prev = *r;
	s->have_prev = 1;
	s->total++;
	i = rec_index(r->id, s->family);
	if (i < 0 || (unsigned long)i >= s->n) {
		s->other++;
		return 0;
	}
	s->got[i]++;
	mkrec(&want, (unsigned)i, s->family, s->t0);
	if (memcmp(&want, r, sizeof(want)) != 0) {
		if (s->mismatch++ == 0) {
			const unsigned char *a = (const void *)&want,
					    *b = (const void *)r;
			size_t k = 0;

			while (a[k] == b[k])
				k++;
			printf("  record %ld differs at byte %zu\n", i, k);
		}
	}
	return 0;
}

static void
seen_init(struct seen *s, const char *family, long long t0, unsigned n)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->t0 = t0;
	s->n = n;
	s->got = calloc(n ? n : 1, 1);
	if (s->got == NULL)
		abort();
}

/* seen_count - how many of 0..n-1 were seen exactly once */
static unsigned
seen_count(const struct seen *s)
{
	unsigned i, k = 0;

	for (i = 0; i < s->n; i++)
		k += s->got[i] == 1;
	return k;
}

static struct store_opts
opts_writer(const char *spool)
{
	struct store_opts o;

	memset(&o, 0, sizeof(o));
	o.writer = 1;
	o.spool_dir = spool;
	o.retry_ms = 100;
	o.busy_timeout_ms = 50;
	o.log = test_log;
	return o;
}

/* uri_for - the PostgreSQL URI, or "sqlite:DIR/name.db" */
static const char *
uri_for(char *buf, size_t len, const char *name)
{
	if (g_pg) {
		if (strlcpy(buf, g_uri, len) >= len)
			abort();
	} else if ((size_t)snprintf(buf, len, "sqlite:%s/%s.db", g_dir, name) >=
	    len)
		abort();
	return buf;
}

/* ---- open, migrations, errors ---- */

static int
count_rows(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return n;
}

/* query_is - the first column of the first row is want */
static int
query_is(const char *db, const char *sql, const char *want)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	const unsigned char *v;
	int r = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (v = sqlite3_column_text(st, 0)) != NULL)
			r = strcmp((const char *)v, want) == 0;
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return r;
}

static int
sql_run(const char *db, const char *sql)
{
	sqlite3 *h;
	int r;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	r = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return r == SQLITE_OK ? 0 : -1;
}

static void
test_open_create(void)
{
	char uri[PATH_MAX + 64], db[PATH_MAX], dir[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct stat sb;
	int i;

	t_begin("open: creates directory and file, migrates once");
	memset(&o, 0, sizeof(o));
	o.log = test_log;
	path(dir, sizeof(dir), "new/sub");
	path(db, sizeof(db), "new/sub/history.db");
	(void)snprintf(uri, sizeof(uri), "sqlite:%s", db);
	for (i = 0; i < 3; i++) {
		err[0] = '\0';
		T_ASSERT_INTEQ(store_open(uri, &o, &st, err, sizeof(err)), 0);
		T_ASSERT_STREQ(err, "");
		if (st == NULL)
			break;
		T_ASSERT_INTEQ(store_schema_version(st), STORE_SCHEMA_VERSION);
		T_ASSERT_INTEQ(store_close(&st), 0);
		T_ASSERT(st == NULL);
	}
	T_ASSERT_INTEQ(count_rows(db, "SELECT count(*) FROM schema_version"),
	    STORE_SCHEMA_VERSION);
	T_ASSERT_INTEQ(count_rows(db,
			   "SELECT count(*) FROM sqlite_master"
			   " WHERE type = 'table'"),
	    5);
	T_ASSERT(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0750);
	T_ASSERT(stat(db, &sb) == 0 && (sb.st_mode & 07777) == 0640);
	T_ASSERT(query_is(db, "PRAGMA journal_mode", "wal"));
	T_ASSERT_INTEQ(store_close(&st), 0); /* NULL is fine */
	t_end();
}

static void
test_open_errors(void)
{
	static const struct {
		const char *uri, *err;
	} tab[] = {
	    {"mysql://h/db", "not sqlite:PATH or postgresql://"},
	    {"", "not sqlite:PATH or postgresql://"},
	    {"sqlite:", "sqlite: empty path"},
	    {"SQLITE:/x", "not sqlite:PATH"},
	    {"postgresql://postgres@127.0.0.1:1/x?connect_timeout=2",
		"postgresql: "},
	};
	char uri[PATH_MAX + 64], db[PATH_MAX], err[256];
	struct store *st = NULL;
	size_t i;

	t_begin("open: bad URIs, unreachable server, newer schema");
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		err[0] = '\0';
		T_ASSERT_IDX(store_open(tab[i].uri, NULL, &st, err,
				 sizeof(err)) == -1,
		    i);
		T_ASSERT_IDX(st == NULL, i);
		if (strstr(err, tab[i].err) == NULL)
			T_ASSERT_STREQ(err, tab[i].err);
	}
	/* the daemon without a spool cannot start on a dead database */
	{
		struct store_opts o = opts_writer(NULL);

		T_ASSERT(
		    store_open(tab[4].uri, &o, &st, err, sizeof(err)) == -1);
	}
	path(db, sizeof(db), "newer.db");
	(void)snprintf(uri, sizeof(uri), "sqlite:%s", db);
	T_ASSERT_INTEQ(store_open(uri, &g_plain, &st, err, sizeof(err)), 0);
	T_ASSERT_INTEQ(store_close(&st), 0);
	T_ASSERT_INTEQ(sql_run(db, "INSERT INTO schema_version VALUES (99, 0)"),
	    0);
	T_ASSERT_INTEQ(store_open(uri, &g_plain, &st, err, sizeof(err)), -1);
	T_ASSERT_STREQ(err, "schema version 99 is newer than this program's 1");
	/* a path that cannot be a directory */
	path(db, sizeof(db), "newer.db/x/y.db");
	(void)snprintf(uri, sizeof(uri), "sqlite:%s", db);
	T_ASSERT_INTEQ(store_open(uri, &g_plain, &st, err, sizeof(err)), -1);
	T_ASSERT(strstr(err, "Not a directory") != NULL);
	t_end();
}

/* ---- puts from many threads, read back, group commit ---- */

struct putter {
	struct store *st;
	const char *family;
	long long t0;
	unsigned from, step, n;
	unsigned ok, fail;
	int last_errno;
	int (*ack)(unsigned i, void *arg); /* after each 0 */
	void *ack_arg;
};

static void *
putter_run(void *arg)
{
	struct putter *p = arg;
	struct store_record r;
	unsigned i;

	for (i = p->from; i < p->n; i += p->step) {
		mkrec(&r, i, p->family, p->t0);
		if (store_put(p->st, &r) == 0) {
			p->ok++;
			if (p->ack != NULL && p->ack(i, p->ack_arg) != 0)
				break;
		} else {
			p->fail++;
			p->last_errno = errno;
		}
	}
	return NULL;
}

/* put_threads - records 0..n-1 of family from nthreads threads */
static unsigned
put_threads(struct store *st, const char *family, long long t0, unsigned n,
    unsigned nthreads, unsigned *fail_r)
{
	pthread_t th[NTHREADS];
	struct putter p[NTHREADS];
	unsigned i, ok = 0;

	*fail_r = 0;
	for (i = 0; i < nthreads; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].st = st;
		p[i].family = family;
		p[i].t0 = t0;
		p[i].from = i;
		p[i].step = nthreads;
		p[i].n = n;
		if (pthread_create(&th[i], NULL, putter_run, &p[i]) != 0)
			abort();
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		ok += p[i].ok;
		*fail_r += p[i].fail;
	}
	return ok;
}

static long long file_size(const char *p);

/* the daemon's path: acknowledged from the intent log, written later */
static void
test_put_fast(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], lf[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_stats s;
	struct seen sn;
	unsigned ok, fail;
	double t;

	t_begin("put: 10000 records through the intent log, read back");
	log_clear();
	path(spool, sizeof(spool), "fast.spool");
	path(lf, sizeof(lf), "fast.spool/store.intent");
	o = opts_writer(spool);
	if (store_open(uri_for(uri, sizeof(uri), "fast"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	T_ASSERT(file_size(lf) == 0);
	t = now_s();
	ok = put_threads(st, "fast", BASE + 90 * SPAN, NMANY, NTHREADS, &fail);
	T_ASSERT_INTEQ(store_flush(st), 0);
	t = now_s() - t;
	T_ASSERT_INTEQ(ok, NMANY);
	T_ASSERT_INTEQ(fail, 0);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.committed, NMANY);
	T_ASSERT_INTEQ(s.journaled, 0);
	T_ASSERT_INTEQ(s.lost, 0);
	T_ASSERT(s.commits > 0 && s.commits < NMANY / 2);
	/* all through: the log is empty again */
	T_ASSERT_INTEQ(file_size(lf), 0);
	printf("  %s, intent log: %u records in %.2f s: %.0f records/s, "
	       "%llu transactions, %.1f records per transaction\n",
	    g_pg ? "postgresql" : "sqlite", ok, t, ok / t, s.commits,
	    s.commits ? (double)s.committed / (double)s.commits : 0.0);
	seen_init(&sn, "fast", BASE + 90 * SPAN, NMANY);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 90 * SPAN, BASE + 91 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(seen_count(&sn), NMANY);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	T_ASSERT(file_size(lf) == -1); /* removed on a clean stop */
	t_end();
}

static void
test_put_many(void)
{
	char uri[PATH_MAX + 64], err[256];
	struct store *st = NULL;
	struct store_opts o = opts_writer(NULL);
	struct store_stats s;
	struct seen sn;
	unsigned ok, fail;
	double t;

	t_begin("put: 10000 records from 8 threads, read back exactly");
	log_clear();
	if (store_open(uri_for(uri, sizeof(uri), "many"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	t = now_s();
	ok = put_threads(st, "many", BASE, NMANY, NTHREADS, &fail);
	t = now_s() - t;
	T_ASSERT_INTEQ(ok, NMANY);
	T_ASSERT_INTEQ(fail, 0);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.committed, NMANY);
	T_ASSERT_INTEQ(s.puts, NMANY);
	T_ASSERT_INTEQ(s.journaled, 0);
	/* group commit: far fewer transactions than records */
	T_ASSERT(s.commits > 0 && s.commits < NMANY / 2);
	printf("  %s: %u records in %.2f s: %.0f records/s, %llu "
	       "transactions, %.1f records per transaction\n",
	    g_pg ? "postgresql" : "sqlite", ok, t, ok / t, s.commits,
	    s.commits ? (double)s.committed / (double)s.commits : 0.0);

	seen_init(&sn, "many", BASE, NMANY);
	t = now_s();
	T_ASSERT_INTEQ(store_foreach(st, BASE, BASE + SPAN, seen_fn, &sn), 0);
	t = now_s() - t;
	printf("  foreach: %u records in %.2f s\n", sn.total, t);
	T_ASSERT_INTEQ(sn.total, NMANY);
	T_ASSERT_INTEQ(seen_count(&sn), NMANY);
	T_ASSERT_INTEQ(sn.other, 0);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	T_ASSERT_INTEQ(sn.order_bad, 0);
	free(sn.got);
	/* a replay of the same ids changes nothing */
	ok = put_threads(st, "many", BASE, 500, 2, &fail);
	T_ASSERT_INTEQ(ok, 500);
	seen_init(&sn, "many", BASE, NMANY);
	T_ASSERT_INTEQ(store_foreach(st, BASE, BASE + SPAN, seen_fn, &sn), 0);
	T_ASSERT_INTEQ(sn.total, NMANY);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	T_ASSERT_STREQ(g_log, "");
	t_end();
}

struct stopper {
	unsigned seen, stop_after;
	int ret;
};

static int
stop_fn(const struct store_record *r, void *arg)
{
	struct stopper *s = arg;

	(void)r;
	return ++s->seen == s->stop_after ? s->ret : 0;
}

static void
test_foreach_ranges(void)
{
	char uri[PATH_MAX + 64], err[256];
	struct store *st = NULL;
	struct store_record r;
	struct seen sn;
	struct stopper sp = {0, 5, 42};
	unsigned i, want;
	long long b, e;
	static const long long win[][2] = {{0, 100}, {100, 101}, {1000, 86400},
	    {86400, 2 * 86400}, {-5, 0}, {SPAN - 1, SPAN + 10}, {50, 50}};
	const unsigned n = 300;

	t_begin("foreach: [begin, end) ranges, order, early stop");
	if (store_open(uri_for(uri, sizeof(uri), "ranges"), &g_plain, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	/* without the writer thread: one transaction per record */
	for (i = 0; i < n; i++) {
		mkrec(&r, i, "rng", BASE + 10 * SPAN);
		T_ASSERT_IDX(store_put(st, &r) == 0, i);
	}
	for (i = 0; i < sizeof(win) / sizeof(win[0]); i++) {
		b = BASE + 10 * SPAN + win[i][0];
		e = BASE + 10 * SPAN + win[i][1];
		want = 0;
		for (unsigned k = 0; k < n; k++) {
			mkrec(&r, k, "rng", BASE + 10 * SPAN);
			want += r.received >= b && r.received < e;
		}
		seen_init(&sn, "rng", BASE + 10 * SPAN, n);
		T_ASSERT_IDX(store_foreach(st, b, e, seen_fn, &sn) == 0, i);
		T_ASSERT_IDX(sn.total == want, i);
		T_ASSERT_IDX(sn.mismatch == 0 && sn.order_bad == 0, i);
		free(sn.got);
	}
	T_ASSERT_INTEQ(store_foreach(st, BASE + 10 * SPAN, BASE + 11 * SPAN,
			   stop_fn, &sp),
	    42);
	T_ASSERT_INTEQ(sp.seen, 5);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static int
count_fn(const struct store_record *r, void *arg)
{
	(void)r;
	(*(unsigned *)arg)++;
	return 0;
}

static void
test_expire(void)
{
	char uri[PATH_MAX + 64], err[256], db[PATH_MAX];
	struct store *st = NULL;
	struct store_record r;
	unsigned long long del = 99;
	unsigned i, n = 0, left;
	const long long now = EXPIRE_T0 + 40 * 86400LL;

	t_begin("expire: older than N days, with DKIM rows and sent log");
	if (store_open(uri_for(uri, sizeof(uri), "expire"), &g_plain, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	/* one record a day for 40 days, 16 DKIM rows each */
	for (i = 0; i < 40; i++) {
		mkrec(&r, 16, "exp", 0);
		SET(r.id, "exp%08x", i);
		r.received = EXPIRE_T0 + i * 86400LL;
		T_ASSERT_IDX(store_put(st, &r) == 0, i);
	}
	T_ASSERT_INTEQ(store_expire(st, -1, now, &del), -1);
	T_ASSERT_INTEQ(errno, EINVAL);
	T_ASSERT_INTEQ(store_expire(st, 10, now, &del), 0);
	T_ASSERT_INTEQ(del, 30); /* days 0..29 are older than day 30 */
	T_ASSERT_INTEQ(store_foreach(st, EXPIRE_T0, now, count_fn, &n), 0);
	T_ASSERT_INTEQ(n, 10);
	T_ASSERT_INTEQ(store_expire(st, 10, now, &del), 0);
	T_ASSERT_INTEQ(del, 0);
	T_ASSERT_INTEQ(store_expire(st, 0, now + 1, &del), 0);
	T_ASSERT_INTEQ(del, 10);
	if (!g_pg) {
		path(db, sizeof(db), "expire.db");
		left = (unsigned)count_rows(db,
		    "SELECT count(*) FROM message_dkim");
		T_ASSERT_INTEQ(left, 0);
	}
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_sent(void)
{
	char uri[PATH_MAX + 64], err[256], id[64], v[STORE_KV_MAX + 1];
	char big[STORE_KV_MAX + 2];
	struct store *st = NULL;
	const char *rua = "mailto:'$(touch /tmp/x)'@\xe9<&>.example";
	const char *dom = "we'ird<&>\xff.example";

	t_begin("sent log and kv table");
	if (store_open(uri_for(uri, sizeof(uri), "sent"), &g_plain, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", rua, id,
			   sizeof(id)),
	    0);
	T_ASSERT_STREQ(id, "");
	T_ASSERT_INTEQ(store_sent_mark(st, dom, "2024-01-02", rua, "id-1'x"),
	    0);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", rua, id,
			   sizeof(id)),
	    1);
	T_ASSERT_STREQ(id, "id-1'x");
	T_ASSERT_INTEQ(store_sent_mark(st, dom, "2024-01-02", rua, "id-2"), 0);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", rua, id,
			   sizeof(id)),
	    1);
	T_ASSERT_STREQ(id, "id-2");
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", rua, NULL, 0),
	    1);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-03", rua, NULL, 0),
	    0);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", "mailto:other@x",
			   NULL, 0),
	    0);
	T_ASSERT_INTEQ(store_sent_check(st, "example.com", "2024-01-02", rua,
			   NULL, 0),
	    0);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-1-02", rua, NULL, 0),
	    -1);
	T_ASSERT_INTEQ(errno, EINVAL);
	T_ASSERT_INTEQ(store_sent_mark(st, dom, "2024-01-02x", rua, "i"), -1);
	T_ASSERT_INTEQ(store_sent_check(st, dom, "2024-01-02", rua, id, 3), -1);

	T_ASSERT_INTEQ(store_kv_get(st, "last_day", v, sizeof(v)), 0);
	T_ASSERT_INTEQ(store_kv_set(st, "last_day", "2024-01-02"), 0);
	T_ASSERT_INTEQ(store_kv_set(st, "k'\xff", "v<&>\x7f"), 0);
	T_ASSERT_INTEQ(store_kv_get(st, "last_day", v, sizeof(v)), 1);
	T_ASSERT_STREQ(v, "2024-01-02");
	T_ASSERT_INTEQ(store_kv_set(st, "last_day", "2024-01-03"), 0);
	T_ASSERT_INTEQ(store_kv_get(st, "last_day", v, sizeof(v)), 1);
	T_ASSERT_STREQ(v, "2024-01-03");
	T_ASSERT_INTEQ(store_kv_get(st, "k'\xff", v, sizeof(v)), 1);
	T_ASSERT_STREQ(v, "v<&>\x7f");
	fill(big, sizeof(big), 'x');
	T_ASSERT_INTEQ(store_kv_set(st, "big", big), -1);
	T_ASSERT_INTEQ(errno, EINVAL);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_put_invalid(void)
{
	char uri[PATH_MAX + 64], err[256];
	struct store *st = NULL;
	struct store_record r;
	struct store_stats s;
	unsigned n = 0;
	int i;

	t_begin("put: malformed records are refused (EINVAL)");
	if (store_open(uri_for(uri, sizeof(uri), "invalid"), &g_plain, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	for (i = 0; i < 6; i++) {
		mkrec(&r, 1, "inv", 0);
		switch (i) {
		case 0:
			r.ndkim = STORE_DKIM_MAX + 1;
			break;
		case 1:
			memset(r.queue_id, 'x', sizeof(r.queue_id));
			break;
		case 2:
			r.adkim = 'x';
			break;
		case 3:
			SET(r.id, "a'b");
			break;
		case 4:
			memset(r.dkim[0].selector, 'x',
			    sizeof(r.dkim[0].selector));
			break;
		case 5:
			memset(r.rua, 'y', sizeof(r.rua));
			break;
		}
		errno = 0;
		T_ASSERT_IDX(store_put(st, &r) == -1 && errno == EINVAL, i);
	}
	/* an empty id and time are filled in */
	mkrec(&r, 2, "inv", 0);
	r.id[0] = '\0';
	r.received = 0;
	T_ASSERT_INTEQ(store_put(st, &r), 0);
	T_ASSERT_INTEQ(store_put(st, &r), 0); /* another random id */
	T_ASSERT_INTEQ(store_foreach(st, time(NULL) - 100, time(NULL) + 100,
			   count_fn, &n),
	    0);
	T_ASSERT_INTEQ(n, 2);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.put_errors, 6);
	T_ASSERT_INTEQ(s.puts, 2);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_backpressure(void)
{
	char uri[PATH_MAX + 64], err[256];
	struct store *st = NULL;
	struct store_opts o = opts_writer(NULL);
	struct seen sn;
	unsigned ok, fail;

	t_begin("put: a queue of 2 makes callers wait, never drop");
	o.queue_max = 2;
	o.batch_max = 2;
	if (store_open(uri_for(uri, sizeof(uri), "bp"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	ok = put_threads(st, "bp", BASE + 20 * SPAN, 400, 4, &fail);
	T_ASSERT_INTEQ(ok, 400);
	T_ASSERT_INTEQ(fail, 0);
	seen_init(&sn, "bp", BASE + 20 * SPAN, 400);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 20 * SPAN, BASE + 21 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(seen_count(&sn), 400);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

/* ---- crash safety: kill -9 after store_put returned ---- */

static int
ack_pipe(unsigned i, void *arg)
{
	int fd = *(int *)arg;

	/* 4 bytes: atomic on a pipe */
	return write(fd, &i, sizeof(i)) == (ssize_t)sizeof(i) ? 0 : 1;
}

static void
crash_child(const char *uri, const char *spool, const char *family, int fd,
    int gofd)
{
	char err[256], go;
	struct store *st;
	struct store_opts o = opts_writer(spool);
	pthread_t th[4];
	struct putter p[4];
	unsigned i;

	/* the parent may lock the database first */
	if (read(gofd, &go, 1) != 1)
		_exit(4);
	if (store_open(uri, &o, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	for (i = 0; i < 4; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].st = st;
		p[i].family = family;
		p[i].t0 = BASE + 30 * SPAN;
		p[i].from = i;
		p[i].step = 4;
		p[i].n = 200000; /* far more than the parent waits for */
		p[i].ack = ack_pipe;
		p[i].ack_arg = &fd;
		(void)pthread_create(&th[i], NULL, putter_run, &p[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	_exit(3); /* the parent kills us long before */
}

static sqlite3 *lock_db(const char *name);
static void unlock_db(sqlite3 *h);

static void
test_crash(void)
{
	char uri[PATH_MAX + 64], name[64], spool[PATH_MAX], err[256], fam[8];
	/* kill after this many acks; the last run with the database locked,
	 * so that the records go to the journal */
	static const unsigned kill_at[] = {1, 257, 1500, 300};
	unsigned char *acked;
	struct store *st;
	struct store_opts o;
	struct store_stats s;
	struct seen sn;
	unsigned run, i, v, nack, missing;
	int fds[2], go[2], status, journal;
	sqlite3 *h = NULL;
	pid_t pid;

	t_begin("crash: kill -9 after store_put returned loses nothing");
	acked = calloc(200000, 1);
	if (acked == NULL)
		abort();
	for (run = 0; run < sizeof(kill_at) / sizeof(kill_at[0]); run++) {
		journal = run == 3;
		if (journal && g_pg)
			break;
		(void)snprintf(name, sizeof(name), "crash%u", run);
		(void)snprintf(fam, sizeof(fam), "cr%u", run);
		uri_for(uri, sizeof(uri), name);
		(void)snprintf(name, sizeof(name), "crash%u.spool", run);
		path(spool, sizeof(spool), name);
		if (journal) { /* the file must exist to be locked */
			T_ASSERT(store_open(uri, &g_plain, &st, err,
				     sizeof(err)) == 0);
			store_close(&st);
		}
		if (pipe(fds) == -1 || pipe(go) == -1)
			abort();
		fflush(stdout);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			close(go[1]);
			crash_child(uri, spool, fam, fds[1], go[0]);
		}
		close(fds[1]);
		close(go[0]);
		if (journal) {
			(void)snprintf(name, sizeof(name), "crash%u", run);
			h = lock_db(name);
		}
		if (write(go[1], "g", 1) != 1)
			abort();
		close(go[1]);
		memset(acked, 0, 200000);
		nack = 0;
		while (read(fds[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			if (v < 200000 && !acked[v]) {
				acked[v] = 1;
				nack++;
			}
			if (nack == kill_at[run] && pid > 0) {
				(void)kill(pid, SIGKILL);
				/* the acks still in the pipe count too */
			}
		}
		close(fds[0]);
		(void)waitpid(pid, &status, 0);
		T_ASSERT_IDX(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    run);
		T_ASSERT_IDX(nack >= kill_at[run], run);
		if (h != NULL) {
			unlock_db(h);
			h = NULL;
		}

		/* reopen with the spool: the journal is replayed */
		memset(&o, 0, sizeof(o));
		o.spool_dir = spool;
		o.log = test_log;
		if (store_open(uri, &o, &st, err, sizeof(err)) == -1) {
			T_ASSERT_STREQ(err, "");
			continue;
		}
		seen_init(&sn, fam, BASE + 30 * SPAN, 200000);
		T_ASSERT_IDX(store_foreach(st, BASE + 30 * SPAN,
				 BASE + 31 * SPAN, seen_fn, &sn) == 0,
		    run);
		missing = 0;
		for (i = 0; i < 200000; i++)
			if (acked[i] && sn.got[i] != 1)
				missing++;
		printf("  run %u%s: killed after %u acks, %u acked in all, "
		       "%u records found, %u missing\n",
		    run, journal ? " (journal)" : "", kill_at[run], nack,
		    sn.total, missing);
		T_ASSERT_IDX(missing == 0, run);
		T_ASSERT_IDX(sn.mismatch == 0, run);
		store_stats(st, &s);
		/* they came from the journal, or from the intent log when
		 * the kill came before the writer had moved them there */
		if (journal)
			T_ASSERT_IDX(s.drained + s.replayed >= nack, run);
		free(sn.got);
		store_close(&st);
	}
	free(acked);
	t_end();
}

/* ---- the journal ---- */

/* lock_db - hold SQLite's write lock from another connection */
static sqlite3 *
lock_db(const char *name)
{
	char db[PATH_MAX], f[PATH_MAX];
	sqlite3 *h;

	(void)snprintf(f, sizeof(f), "%s.db", name);
	path(db, sizeof(db), f);
	if (sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return h;
}

static void
unlock_db(sqlite3 *h)
{
	(void)sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(h);
}

static long long
file_size(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* wait_flushed - store_flush until everything is in the database */
static int
wait_flushed(struct store *st, int secs)
{
	double end = now_s() + secs;
	int r;

	while ((r = store_flush(st)) != 0 && now_s() < end)
		sleep_ms(50);
	return r;
}

/* count_noid - store_foreach(): rows of test_intent_noid() */
static int
count_noid(const struct store_record *r, void *arg)
{
	unsigned *n = arg;

	if (strncmp(r->queue_id, "NOID", 4) == 0 && strlen(r->id) == 32 &&
	    r->received > 0)
		(*n)++;
	return 0;
}

/* records as the daemon gives them (no id, no time) left in the intent
 * log by a process that died: the next open stores every one */
static void
test_intent_noid(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_record r;
	struct store_stats s;
	long long now = (long long)time(NULL);
	unsigned i, n = 0;
	int status;
	pid_t pid;

	t_begin("intent log: records without id or time survive a crash");
	path(spool, sizeof(spool), "noid.spool");
	uri_for(uri, sizeof(uri), "noid");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		o = opts_writer(spool);
		o.batch_delay_ms = 60000; /* nothing is committed */
		if (store_open(uri, &o, &st, err, sizeof(err)) == -1)
			_exit(2);
		for (i = 0; i < 20; i++) {
			mkrec(&r, i, "noid", now);
			r.id[0] = '\0';
			r.received = 0;
			SET(r.queue_id, "NOID%u", i);
			if (store_put(st, &r) == -1)
				_exit(3);
		}
		_exit(0); /* as if killed: no store_close() */
	}
	(void)waitpid(pid, &status, 0);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	memset(&o, 0, sizeof(o));
	o.spool_dir = spool;
	o.log = test_log;
	if (store_open(uri, &o, &st, err, sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.replayed, 20);
	T_ASSERT_INTEQ(store_foreach(st, now - 3600, now + 3600, count_noid,
			   &n),
	    0);
	T_ASSERT_INTEQ(n, 20);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_journal_locked(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], jf[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_stats s;
	struct seen sn;
	unsigned ok, fail;
	sqlite3 *h;

	t_begin("journal: database locked -> journal, unlocked -> replayed");
	log_clear();
	path(spool, sizeof(spool), "locked.spool");
	path(jf, sizeof(jf), "locked.spool/store.journal");
	o = opts_writer(spool);
	if (store_open(uri_for(uri, sizeof(uri), "locked"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	h = lock_db("locked");
	ok = put_threads(st, "lck", BASE + 40 * SPAN, 300, 4, &fail);
	T_ASSERT_INTEQ(ok, 300);
	T_ASSERT_INTEQ(fail, 0);
	/* acknowledged at once (intent log); the writer finds the lock */
	T_ASSERT_INTEQ(store_flush(st), 1); /* still locked */
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.journaled, 300);
	T_ASSERT_INTEQ(s.committed, 0);
	T_ASSERT_INTEQ(s.lost, 0);
	T_ASSERT(
	    s.journal_bytes > 0 && (long long)s.journal_bytes == file_size(jf));
	T_ASSERT(log_has("database write failed"));
	unlock_db(h);
	T_ASSERT_INTEQ(wait_flushed(st, 10), 0);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.drained, 300);
	T_ASSERT_INTEQ(s.journal_bytes, 0);
	T_ASSERT_INTEQ(file_size(jf), 0);
	T_ASSERT(s.db_up);
	T_ASSERT(log_has("300 records written to the database"));
	/* new records go straight to the database again */
	ok = put_threads(st, "lck", BASE + 40 * SPAN, 310, 1, &fail);
	T_ASSERT_INTEQ(store_flush(st), 0);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.journaled, 300);
	T_ASSERT(s.committed >= 310);
	seen_init(&sn, "lck", BASE + 40 * SPAN, 310);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 40 * SPAN, BASE + 41 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(seen_count(&sn), 310);
	T_ASSERT_INTEQ(sn.total, 310);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_journal_torn(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], jf[PATH_MAX], err[256];
	unsigned char head[64];
	struct store *st = NULL;
	struct store_opts o;
	struct store_stats s;
	struct seen sn;
	unsigned ok, fail;
	long long size;
	sqlite3 *h;
	int fd;

	t_begin("journal: torn tail and damaged frame skipped with a warning");
	log_clear();
	path(spool, sizeof(spool), "torn.spool");
	path(jf, sizeof(jf), "torn.spool/store.journal");
	o = opts_writer(spool);
	if (store_open(uri_for(uri, sizeof(uri), "torn"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	h = lock_db("torn");
	ok = put_threads(st, "torn", BASE + 50 * SPAN, 50, 1, &fail);
	T_ASSERT_INTEQ(ok, 50);
	/* closing with the database locked leaves them in the journal */
	T_ASSERT_INTEQ(store_close(&st), 1);
	T_ASSERT(log_has("records left for the next start"));
	size = file_size(jf);
	T_ASSERT(size > 0);
	/* a crash in the middle of an append: half a frame at the end */
	fd = open(jf, O_RDWR);
	T_ASSERT(fd != -1 && pread(fd, head, sizeof(head), 0) == sizeof(head));
	T_ASSERT(pwrite(fd, head, 40, size) == 40);
	/* and a bit flipped inside record 0's frame */
	head[30] ^= 0x01;
	T_ASSERT(pwrite(fd, head + 30, 1, 30) == 1);
	close(fd);
	unlock_db(h);

	o.writer = 0;
	T_ASSERT_INTEQ(store_open(uri, &o, &st, err, sizeof(err)), 0);
	if (st == NULL) {
		t_end();
		return;
	}
	T_ASSERT(log_has("torn or damaged tail, 40 bytes at offset"));
	T_ASSERT(log_has("of a torn or damaged frame at offset 0 skipped"));
	T_ASSERT(log_has("49 records written to the database"));
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.drained, 49);
	T_ASSERT(s.torn > 40);
	T_ASSERT_INTEQ(file_size(jf), 0);
	seen_init(&sn, "torn", BASE + 50 * SPAN, 50);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 50 * SPAN, BASE + 51 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(sn.total, 49);
	T_ASSERT_INTEQ(sn.got[0], 0); /* the damaged one */
	T_ASSERT_INTEQ(seen_count(&sn), 49);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_journal_unreachable(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], block[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_stats s;
	struct seen sn;
	unsigned ok, fail;
	int fd;

	t_begin("journal: database unreachable at open, then created");
	log_clear();
	path(spool, sizeof(spool), "unreach.spool");
	path(block, sizeof(block), "unreach");
	fd = open(block, O_CREAT | O_WRONLY, 0600); /* a file, not a dir */
	T_ASSERT(fd != -1);
	close(fd);
	(void)snprintf(uri, sizeof(uri), "sqlite:%s/db/history.db", block);
	o = opts_writer(spool);
	T_ASSERT_INTEQ(store_open(uri, &o, &st, err, sizeof(err)), 0);
	if (st == NULL) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	T_ASSERT(log_has("database unavailable, records go to the journal"));
	T_ASSERT_INTEQ(store_schema_version(st), -1);
	ok = put_threads(st, "unr", BASE + 60 * SPAN, 200, 4, &fail);
	T_ASSERT_INTEQ(ok, 200);
	store_stats(st, &s);
	T_ASSERT_INTEQ(s.journaled, 200);
	T_ASSERT(!s.db_up);
	T_ASSERT_INTEQ(store_flush(st), 1);
	T_ASSERT_INTEQ(unlink(block), 0);
	T_ASSERT_INTEQ(wait_flushed(st, 10), 0);
	T_ASSERT_INTEQ(store_schema_version(st), STORE_SCHEMA_VERSION);
	seen_init(&sn, "unr", BASE + 60 * SPAN, 200);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 60 * SPAN, BASE + 61 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(seen_count(&sn), 200);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_journal_cap(void)
{
	char uri[PATH_MAX + 64], spool[PATH_MAX], jf[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_record r;
	struct seen sn;
	unsigned i, ok = 0, full = 0;
	sqlite3 *h;

	t_begin("journal: past spool_max store_put fails (ENOSPC)");
	log_clear();
	path(spool, sizeof(spool), "cap.spool");
	path(jf, sizeof(jf), "cap.spool/store.journal");
	o = opts_writer(spool);
	o.spool_max = 16384;
	if (store_open(uri_for(uri, sizeof(uri), "cap"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	h = lock_db("cap");
	/* the first is acknowledged from the intent log; the writer then
	 * finds the database locked, and the others wait for its verdict */
	mkrec(&r, 0, "cap", BASE + 70 * SPAN);
	T_ASSERT_INTEQ(store_put(st, &r), 0);
	T_ASSERT_INTEQ(store_flush(st), 1);
	ok = 1;
	for (i = 1; i < 100; i++) {
		mkrec(&r, i, "cap", BASE + 70 * SPAN);
		if (store_put(st, &r) == 0)
			ok++;
		else {
			T_ASSERT_IDX(errno == ENOSPC, i);
			full++;
		}
	}
	T_ASSERT(ok > 0 && full > 0 && ok + full == 100);
	T_ASSERT(file_size(jf) > 0 && file_size(jf) <= 16384);
	T_ASSERT(log_has("full"));
	unlock_db(h);
	T_ASSERT_INTEQ(wait_flushed(st, 10), 0);
	seen_init(&sn, "cap", BASE + 70 * SPAN, 100);
	T_ASSERT_INTEQ(store_foreach(st, BASE + 70 * SPAN, BASE + 71 * SPAN,
			   seen_fn, &sn),
	    0);
	T_ASSERT_INTEQ(sn.total, ok);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	printf("  spool_max 16384: %u records journaled, %u refused\n", ok,
	    full);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
test_no_spool(void)
{
	char uri[PATH_MAX + 64], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_record r;
	sqlite3 *h;

	t_begin("no spool: a failed commit is an error; bounded wait");
	log_clear();
	o = opts_writer(NULL);
	if (store_open(uri_for(uri, sizeof(uri), "nospool"), &o, &st, err,
		sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	h = lock_db("nospool");
	mkrec(&r, 1, "nsp", BASE);
	errno = 0;
	T_ASSERT_INTEQ(store_put(st, &r), -1);
	T_ASSERT_INTEQ(errno, ENOSPC);
	T_ASSERT(log_has("no spool directory"));
	T_ASSERT_INTEQ(store_close(&st), 0);

	/* a commit slower than put_timeout_ms */
	o.busy_timeout_ms = 1000;
	o.put_timeout_ms = 100;
	T_ASSERT_INTEQ(store_open(uri, &o, &st, err, sizeof(err)), 0);
	if (st != NULL) {
		errno = 0;
		T_ASSERT_INTEQ(store_put(st, &r), -1);
		T_ASSERT_INTEQ(errno, ETIMEDOUT);
		T_ASSERT_INTEQ(store_close(&st), 0);
	}
	unlock_db(h);
	t_end();
}

/* ---- PostgreSQL: a server stop and restart under load ---- */

static int
run_cmd(const char *cmd)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
ack_count(unsigned i, void *arg)
{
	unsigned *n = arg;

	(void)i;
	__atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void
test_pg_outage(void)
{
	const char *stop = getenv("STORE_TEST_PG_STOP"),
		   *start = getenv("STORE_TEST_PG_START");
	char spool[PATH_MAX], err[256];
	struct store *st = NULL;
	struct store_opts o;
	struct store_stats s;
	struct putter p;
	struct seen sn;
	pthread_t th;
	unsigned acks = 0;
	double t;

	t_begin("postgresql: server stopped and restarted under load");
	log_clear();
	if (stop == NULL || start == NULL) {
		T_ASSERT(!"STORE_TEST_PG_STOP and STORE_TEST_PG_START set");
		t_end();
		return;
	}
	path(spool, sizeof(spool), "pg.spool");
	o = opts_writer(spool);
	o.retry_ms = 200;
	if (store_open(g_uri, &o, &st, err, sizeof(err)) == -1) {
		T_ASSERT_STREQ(err, "");
		t_end();
		return;
	}
	memset(&p, 0, sizeof(p));
	p.st = st;
	p.family = "outage";
	p.t0 = OUTAGE_T0;
	p.step = 1;
	p.n = OUTAGE_N;
	p.ack = ack_count;
	p.ack_arg = &acks;
	if (pthread_create(&th, NULL, putter_run, &p) != 0)
		abort();
	while (__atomic_load_n(&acks, __ATOMIC_SEQ_CST) < OUTAGE_AT)
		sleep_ms(5);
	t = now_s();
	T_ASSERT_INTEQ(run_cmd(stop), 0);
	printf("  server stopped after %u records (%.1f s)\n",
	    __atomic_load_n(&acks, __ATOMIC_SEQ_CST), now_s() - t);
	/* the writer goes on into the journal */
	for (t = now_s(); now_s() - t < 10;) {
		store_stats(st, &s);
		if (s.journaled >= 200)
			break;
		sleep_ms(20);
	}
	T_ASSERT(s.journaled >= 200);
	T_ASSERT(!s.db_up);
	T_ASSERT(log_has("database write failed"));
	t = now_s();
	T_ASSERT_INTEQ(run_cmd(start), 0);
	printf("  server started again (%.1f s), %llu records journaled\n",
	    now_s() - t, s.journaled);
	pthread_join(th, NULL);
	T_ASSERT_INTEQ(p.ok, OUTAGE_N);
	T_ASSERT_INTEQ(p.fail, 0);
	T_ASSERT_INTEQ(wait_flushed(st, 20), 0);
	store_stats(st, &s);
	printf("  %llu journaled, %llu replayed, %llu committed directly\n",
	    s.journaled, s.drained, s.committed);
	T_ASSERT(s.drained >= s.journaled);
	T_ASSERT_INTEQ(s.journal_bytes, 0);
	T_ASSERT(s.db_up);
	seen_init(&sn, "outage", OUTAGE_T0, OUTAGE_N);
	T_ASSERT_INTEQ(store_foreach(st, OUTAGE_T0, OUTAGE_T0 + SPAN, seen_fn,
			   &sn),
	    0);
	T_ASSERT_INTEQ(seen_count(&sn), OUTAGE_N);
	T_ASSERT_INTEQ(sn.total, OUTAGE_N);
	T_ASSERT_INTEQ(sn.mismatch, 0);
	free(sn.got);
	T_ASSERT_INTEQ(store_close(&st), 0);
	t_end();
}

static void
rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	/* our own mkdtemp directory; no user text in it */
	if ((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) <
	    sizeof(cmd))
		(void)run_cmd(cmd);
}

int
main(int argc, char **argv)
{
	static void (*const sqlite_tests[])(void) = {test_open_create,
	    test_open_errors, test_put_many, test_put_fast, test_foreach_ranges,
	    test_expire, test_sent, test_put_invalid, test_backpressure,
	    test_crash, test_intent_noid, test_journal_locked,
	    test_journal_torn, test_journal_unreachable, test_journal_cap,
	    test_no_spool, NULL};
	static void (*const pg_tests[])(void) = {test_put_many, test_put_fast,
	    test_foreach_ranges, test_expire, test_sent, test_put_invalid,
	    test_crash, test_intent_noid, test_pg_outage, NULL};
	const char *tmp = getenv("TMPDIR");
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		g_pg = 1;
		if ((g_uri = getenv("STORE_TEST_PG_URI")) == NULL) {
			printf("skip: STORE_TEST_PG_URI not set "
			       "(run tests/store-pg.sh)\n");
			printf("0 passed, 0 failed, 1 skipped\n");
			return 77;
		}
	}
	(void)snprintf(g_dir, sizeof(g_dir), "%s/test-store.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(g_dir) == NULL) {
		perror(g_dir);
		return 1;
	}
	r = t_run(g_pg ? pg_tests : sqlite_tests);
	if (r == 0 || getenv("STORE_TEST_KEEP") == NULL)
		rm_tree(g_dir);
	return r;
}
