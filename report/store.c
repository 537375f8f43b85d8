/*
 * store.c - the outcome store: a queue, one group-commit writer thread, a
 * crash-safe journal, and the SQLite and PostgreSQL backends behind one
 * small vtable (open, close, exec, alive)
 *
 * Everything above the vtable is shared: the schema and its migrations,
 * the generated INSERT and SELECT statements (column names come from the
 * field table below, values are always bound parameters), the text
 * encoding, the journal and the writer.  SQL uses PostgreSQL's "$N"
 * placeholders; the SQLite backend turns them into "?N", which binds the
 * same index.
 *
 * The daemon's records take the fast path while the database is up and
 * the journal empty: store_put() appends the record's frame to the intent
 * log (SpoolDirectory/store.intent) with one write(2), queues it and
 * returns.  The write is in the kernel before the SMTP reply is given, so
 * killing the daemon loses nothing; the writer commits the queue in large
 * transactions off the message path, and the intent log is emptied
 * whenever everything in it is committed (or rotated to store.intent.old
 * under steady load, and removed once that part is committed).  A new
 * start replays whatever intent log it finds: inserts are idempotent.
 * Otherwise (no spool directory, database down, journal not empty)
 * store_put() waits for the writer's verdict on its record.  SQLite runs
 * with synchronous=NORMAL in WAL mode: a commit survives the daemon's
 * death; a power loss may take the last transactions, as it may take the
 * intent log's last writes.
 *
 * Locks: db_lock guards the connection, the prepared statements, the
 * journal file and the encoding arena; q_lock guards the queue, the
 * statistics, the retry state and the intent log.  Order: db_lock, then
 * q_lock, never the other way round (a q_lock holder never takes db_lock).
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "report/store.h"

#define STORE_PARAMS_MAX  64	/* bound values of one statement (dkim: 49) */
#define STORE_COLS_MAX	  64	/* columns of one result row (select: 31) */
#define STORE_STMT_CACHE  32	/* prepared SQLite statements kept (~20) */
#define STORE_ESC	  0x7f	/* escape byte of the stored text encoding */
#define STORE_MSG_MAX	  512	/* bytes of one log line or error text */
#define STORE_REPLAY_MAX  64	/* journal records per replay transaction */
#define STORE_DAYS_MAX	  36500 /* expire --older-than: 100 years */
/* ms: failed retries back off up to once a minute (a connect to a dead
 * host blocks the writer for connect_timeout each time) */
#define STORE_BACKOFF_MAX 60000

#define JOURNAL_NAME	"store.journal"
#define JOURNAL_MAGIC	"DMJ1"
#define JOURNAL_HDR	12    /* magic, payload length, CRC-32C */
#define JOURNAL_VERSION 1     /* first payload byte */
#define JOURNAL_REC_MAX 16384 /* payload bytes: a record takes < 10 KB */
#define INTENT_NAME	"store.intent"
#define INTENT_OLD	"store.intent.old"
#define INTENT_ROTATE	(4ULL << 20) /* bytes before a rotation */

#define PG_STATEMENT_TIMEOUT "10000" /* ms; bounds a write transaction */

_Static_assert(sizeof(struct store_record) < JOURNAL_REC_MAX,
    "a serialized record must fit in a journal frame");

/* ---- the columns of table messages: the struct's members, in order ---- */

enum store_ftype { F_STR, F_INT, F_LL, F_CHAR };

struct store_field {
	const char *name;
	enum store_ftype type;
	size_t off, size;
};

/* clang-format off */
#define MSZ(m)	  sizeof(((struct store_record *)0)->m)
#define FLD(t, m) { #m, t, offsetof(struct store_record, m), MSZ(m) }

static const struct store_field store_fields[] = {
	FLD(F_STR, id),
	FLD(F_LL, received),
	FLD(F_STR, queue_id),
	FLD(F_STR, source_ip),
	FLD(F_STR, env_from_domain),
	FLD(F_STR, env_to_domain),
	FLD(F_STR, header_from),
	FLD(F_STR, policy_domain),
	FLD(F_INT, has_policy),
	FLD(F_STR, p),
	FLD(F_STR, sp),
	FLD(F_STR, np),
	FLD(F_CHAR, adkim),
	FLD(F_CHAR, aspf),
	FLD(F_INT, testing),
	FLD(F_STR, fo),
	FLD(F_STR, discovery),
	FLD(F_STR, rua),
	FLD(F_STR, ruf),
	FLD(F_STR, dmarc_result),
	FLD(F_INT, spf_aligned),
	FLD(F_INT, dkim_aligned),
	FLD(F_STR, disposition),
	FLD(F_STR, reasons),
	FLD(F_STR, reason_comment),
	FLD(F_STR, spf_domain),
	FLD(F_STR, spf_scope),
	FLD(F_STR, spf_result),
};
#define NFIELDS (sizeof(store_fields) / sizeof(store_fields[0]))

static const struct store_field store_dkim_fields[] = {
	{ "domain", F_STR, offsetof(struct store_dkim, domain),
	    sizeof(((struct store_dkim *)0)->domain) },
	{ "selector", F_STR, offsetof(struct store_dkim, selector),
	    sizeof(((struct store_dkim *)0)->selector) },
	{ "result", F_STR, offsetof(struct store_dkim, result),
	    sizeof(((struct store_dkim *)0)->result) },
};
/* clang-format on */
#define NDKIMFIELDS 3

_Static_assert(1 + 3 * STORE_DKIM_MAX <= STORE_PARAMS_MAX, "dkim params");
_Static_assert(NFIELDS + NDKIMFIELDS <= STORE_COLS_MAX, "select columns");

/* ---- the schema: store_migrations[i] takes version i to i + 1 ---- */

/* clang-format off */
static const char *const store_m1[] = {
	"CREATE TABLE messages ("
	" id TEXT NOT NULL PRIMARY KEY,"
	" received BIGINT NOT NULL,"
	" queue_id TEXT NOT NULL,"
	" source_ip TEXT NOT NULL,"
	" env_from_domain TEXT NOT NULL,"
	" env_to_domain TEXT NOT NULL,"
	" header_from TEXT NOT NULL,"
	" policy_domain TEXT NOT NULL,"
	" has_policy INTEGER NOT NULL,"
	" p TEXT NOT NULL,"
	" sp TEXT NOT NULL,"
	" np TEXT NOT NULL,"
	" adkim TEXT NOT NULL,"
	" aspf TEXT NOT NULL,"
	" testing INTEGER NOT NULL,"
	" fo TEXT NOT NULL,"
	" discovery TEXT NOT NULL,"
	" rua TEXT NOT NULL,"
	" ruf TEXT NOT NULL,"
	" dmarc_result TEXT NOT NULL,"
	" spf_aligned INTEGER NOT NULL,"
	" dkim_aligned INTEGER NOT NULL,"
	" disposition TEXT NOT NULL,"
	" reasons TEXT NOT NULL,"
	" reason_comment TEXT NOT NULL,"
	" spf_domain TEXT NOT NULL,"
	" spf_scope TEXT NOT NULL,"
	" spf_result TEXT NOT NULL)",
	"CREATE INDEX messages_received ON messages (received)",
	"CREATE INDEX messages_domain ON messages (policy_domain, received)",
	"CREATE TABLE message_dkim ("
	" message_id TEXT NOT NULL REFERENCES messages (id),"
	" idx INTEGER NOT NULL,"
	" domain TEXT NOT NULL,"
	" selector TEXT NOT NULL,"
	" result TEXT NOT NULL,"
	" PRIMARY KEY (message_id, idx))",
	"CREATE TABLE sent_reports ("
	" policy_domain TEXT NOT NULL,"
	" day TEXT NOT NULL,"
	" rua TEXT NOT NULL,"
	" report_id TEXT NOT NULL,"
	" sent BIGINT NOT NULL,"
	" PRIMARY KEY (policy_domain, day, rua))",
	"CREATE TABLE kv ("
	" name TEXT NOT NULL PRIMARY KEY,"
	" value TEXT NOT NULL)",
	NULL
};

static const char *const *const store_migrations[] = { store_m1 };

/* clang-format on */

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) ==
	STORE_SCHEMA_VERSION,
    "one migration per schema version");

static const char sql_version_table[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " applied BIGINT NOT NULL)";
static const char sql_version_get[] =
    "SELECT coalesce(max(version), 0) FROM schema_version";
static const char sql_version_add[] =
    "INSERT INTO schema_version (version, applied) VALUES ($1, $2)";
static const char sql_expire_dkim[] =
    "DELETE FROM message_dkim WHERE message_id IN"
    " (SELECT id FROM messages WHERE received < $1)";
static const char sql_expire_msg[] = "DELETE FROM messages WHERE received < $1";
static const char sql_expire_sent[] =
    "DELETE FROM sent_reports WHERE sent < $1";
static const char sql_sent_mark[] =
    "INSERT INTO sent_reports (policy_domain, day, rua, report_id, sent)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (policy_domain, day, rua)"
    " DO UPDATE SET report_id = excluded.report_id, sent = excluded.sent";
static const char sql_sent_check[] =
    "SELECT report_id FROM sent_reports"
    " WHERE policy_domain = $1 AND day = $2 AND rua = $3";
static const char sql_kv_set[] =
    "INSERT INTO kv (name, value) VALUES ($1, $2)"
    " ON CONFLICT (name) DO UPDATE SET value = excluded.value";
static const char sql_kv_get[] = "SELECT value FROM kv WHERE name = $1";

/* ---- the backend vtable ---- */

struct store_val {
	const char *s; /* text, or NULL: the integer i */
	long long i;
};

/* a result row: col[i] is NUL-terminated text, NULL for SQL NULL; return
 * non-zero to stop (the rest of the result is read and dropped) */
typedef int store_row_fn(void *arg, int ncol, const char *const *col);

struct store_backend {
	const char *name;
	int (*open)(struct store *st, void **conn_r, char *err, size_t errlen);
	void (*close)(void *conn);
	int (*exec)(void *conn, const char *sql, const struct store_val *v,
	    int nv, store_row_fn *fn, void *arg, unsigned long long *changes_r,
	    char *err, size_t errlen);
	int (*alive)(void *conn);
	/*
	 * A pipeline: statements sent one after the other whose results are
	 * only checked by pipe_end (PostgreSQL: libpq pipeline mode, one
	 * round trip instead of one per statement; SQLite runs each at once).
	 * pipe_end(ok 0) only reads what is left and leaves pipeline mode.
	 */
	int (*pipe_begin)(void *conn, char *err, size_t errlen);
	int (*pipe_send)(void *conn, const char *sql, const struct store_val *v,
	    int nv, char *err, size_t errlen);
	int (*pipe_end)(void *conn, int ok, char *err, size_t errlen);
	const char *const *begin_write; /* a short transaction of new records */
	const char *begin_bulk;		/* expire: no statement timeout */
	const char *begin_migrate;	/* serializes concurrent migrations */
};

/* ---- the store ---- */

/* a caller of store_put(), woken alone when its record is written: a
 * broadcast to every waiter per batch would wake them all for nothing */
struct store_waiter {
	pthread_cond_t cond; /* CLOCK_MONOTONIC; under q_lock */
	int done;
	int status; /* 0, or an errno value */
};

struct store_qent {
	struct store_record rec;
	struct store_waiter *w; /* NULL once its caller stopped waiting */
	int status;
};

struct store {
	const struct store_backend *be;
	char *target; /* the SQLite path, or the PostgreSQL URI */
	char *spool_dir;
	struct store_opts o; /* defaults applied; o.spool_dir not used */

	/* db_lock guards these */
	pthread_mutex_t db_lock;
	void *conn; /* NULL while the database is down */
	int schema_version;
	int jfd; /* the journal, -1 without a spool */
	char *jpath;
	unsigned char *jbuf; /* frames being appended */
	size_t jcap;
	char *enc; /* encoding arena of one record */
	size_t enccap, encused;
	char *sql_insert, *sql_select, *sql_dkim[STORE_DKIM_MAX];
	struct store_record *replay; /* STORE_REPLAY_MAX records */
	int full_logged;	     /* "journal full" said once */

	/* q_lock guards these */
	pthread_mutex_t q_lock;
	pthread_cond_t work, space, done;
	pthread_condattr_t cattr; /* CLOCK_MONOTONIC, for waiters' conds */
	struct store_qent *q;
	unsigned qmax, qhead, qn;
	unsigned long long enq, deq; /* records queued, completed */
	int stop, drain_req;
	unsigned long long drain_gen;
	int need_retry;	      /* database down or journal not empty */
	long long retry_at;   /* monotonic ms */
	unsigned retry_fails; /* retries failed in a row: back off */
	struct store_stats stats;
	pthread_t thread;
	int thread_started;
	struct store_record **batch; /* writer: pointers into q */
	int *bstatus;
	int lfd;		      /* the intent log, -1 if none */
	char *lpath, *lpath_old;      /* its name, and when rotated */
	unsigned long long lbytes;    /* written since emptied */
	int lold;		      /* store.intent.old exists */
	unsigned long long lold_upto; /* ... holding records < this enq */
	int lfd_old;		      /* ... whose lock we keep */
};

static void store_log(struct store *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* store_log - one cleaned line to opts.log or stderr */
static void
store_log(struct store *st, int prio, const char *fmt, ...)
{
	char msg[STORE_MSG_MAX];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* database errors may quote hostile values: no control bytes */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (st->o.log != NULL)
		st->o.log(st->o.log_arg, prio, msg);
	else if (prio <= LOG_NOTICE)
		(void)fprintf(stderr, "store: %s\n", msg);
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* timed_wait - wait on cv until the monotonic ms deadline; ETIMEDOUT */
static int
timed_wait(pthread_cond_t *cv, pthread_mutex_t *mu, long long deadline)
{
	struct timespec ts;

	ts.tv_sec = deadline / 1000;
	ts.tv_nsec = (deadline % 1000) * 1000000;
	return pthread_cond_timedwait(cv, mu, &ts);
}

static void *
store_xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL) {
		(void)fprintf(stderr, "store: out of memory\n");
		abort();
	}
	return p;
}

static char *
store_xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL) {
		(void)fprintf(stderr, "store: out of memory\n");
		abort();
	}
	return p;
}

/* chomp - drop the newline libpq ends its messages with */
static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* ---- text: valid UTF-8 as is, other bytes escaped ---- */

/* utf8_seq - length of the valid UTF-8 sequence at p (RFC 3629 4: no
 * overlong forms, no surrogates, nothing past U+10FFFF), 0 if invalid */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* text_enc - s as stored: itself if it is valid UTF-8 without the escape
 * byte, else a copy in the arena (db_lock held); NULL if it has no room */
static const char *
text_enc(struct store *st, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k, need = 0, start;
	int clean = 1;

	for (i = 0; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (k == 0 || p[i] == STORE_ESC) {
			clean = 0;
			k = 1;
			need += 3;
		} else
			need += k;
	}
	if (clean)
		return s;
	if (need >= st->enccap - st->encused)
		return NULL;
	start = st->encused;
	for (i = 0; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (k == 0 || p[i] == STORE_ESC) {
			st->enc[st->encused++] = STORE_ESC;
			st->enc[st->encused++] = hex[p[i] >> 4];
			st->enc[st->encused++] = hex[p[i] & 0xf];
			k = 1;
		} else {
			memcpy(st->enc + st->encused, p + i, k);
			st->encused += k;
		}
	}
	st->enc[st->encused++] = '\0';
	return st->enc + start;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* text_dec - undo text_enc into out (size bytes); -1 if it does not fit
 * or would hold a NUL byte */
static int
text_dec(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	int h, l;

	while (*p != '\0') {
		if (o + 1 >= size)
			return -1;
		if (p[0] == STORE_ESC && (h = hexval(p[1])) >= 0 &&
		    (l = hexval(p[2])) >= 0) {
			if (h == 0 && l == 0)
				return -1;
			out[o++] = (char)(h << 4 | l);
			p += 3;
		} else
			out[o++] = (char)*p++;
	}
	out[o] = '\0';
	return 0;
}

/* ---- SQLite backend ---- */

struct sq_conn {
	sqlite3 *db;
	struct {
		const char *key; /* the SQL text's address */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
	size_t ncache;
};

/* sq_collate_c - "C": bytewise, as PostgreSQL's COLLATE "C" */
static int
sq_collate_c(void *arg, int n1, const void *p1, int n2, const void *p2)
{
	int r;

	(void)arg;
	r = memcmp(p1, p2, (size_t)(n1 < n2 ? n1 : n2));
	if (r != 0)
		return r;
	return n1 < n2 ? -1 : n1 > n2;
}

/* mkdirs - create the missing directories of path (mode 0750) */
static int
mkdirs(const char *path)
{
	char buf[PATH_MAX];
	char *s;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0750) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(buf, 0750) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
sq_row_wal(void *arg, int ncol, const char *const *col)
{
	*(int *)arg = ncol > 0 && col[0] != NULL && strcmp(col[0], "wal") == 0;
	return 0;
}

static int sq_exec(void *, const char *, const struct store_val *, int,
    store_row_fn *, void *, unsigned long long *, char *, size_t);
static void sq_close(void *);

/* sq_open - create the directory and the file, open, WAL, synchronous */
static int
sq_open(struct store *st, void **conn_r, char *err, size_t errlen)
{
	struct sq_conn *c;
	char dir[PATH_MAX], *slash;
	int fd, wal = 0;

	if (strlcpy(dir, st->target, sizeof(dir)) >= sizeof(dir)) {
		(void)snprintf(err, errlen, "%.100s...: path too long",
		    st->target);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdirs(dir) == -1) {
			(void)snprintf(err, errlen, "mkdir %.200s: %s", dir,
			    strerror(errno));
			return -1;
		}
	}
	/* the file holds mail metadata: 0640; SQLite gives -wal the same */
	fd = open(st->target, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		(void)snprintf(err, errlen, "%.200s: %s", st->target,
		    strerror(errno));
		return -1;
	}
	(void)close(fd);
	c = store_xcalloc(1, sizeof(*c));
	if (sqlite3_open_v2(st->target, &c->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "%.200s: %s", st->target,
		    c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sq_close(c);
		return -1;
	}
	(void)sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_busy_timeout(c->db, (int)st->o.busy_timeout_ms);
	if (sqlite3_create_collation_v2(c->db, "C", SQLITE_UTF8, NULL,
		sq_collate_c, NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "sqlite: %s",
		    sqlite3_errmsg(c->db));
		sq_close(c);
		return -1;
	}
	if (sq_exec(c, "PRAGMA journal_mode=WAL", NULL, 0, sq_row_wal, &wal,
		NULL, err, errlen) == -1 ||
	    sq_exec(c, "PRAGMA synchronous=NORMAL", NULL, 0, NULL, NULL, NULL,
		err, errlen) == -1) {
		sq_close(c);
		return -1;
	}
	if (!wal) {
		(void)snprintf(err, errlen, "%.200s: cannot use WAL mode",
		    st->target);
		sq_close(c);
		return -1;
	}
	*conn_r = c;
	return 0;
}

static void
sq_close(void *conn)
{
	struct sq_conn *c = conn;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].stmt);
	(void)sqlite3_close(c->db);
	free(c);
}

/* sq_prepare - the statement for sql, "$N" read as "?N"; cached by address
 * when it has parameters (those are the ones run again and again) */
static sqlite3_stmt *
sq_prepare(struct sq_conn *c, const char *sql, int cache, int *cached_r,
    char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	char *text;
	size_t i;

	*cached_r = 0;
	for (i = 0; cache && i < c->ncache; i++)
		if (c->cache[i].key == sql) {
			*cached_r = 1;
			return c->cache[i].stmt;
		}
	text = store_xstrdup(sql);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '$')
			text[i] = '?';
	if (sqlite3_prepare_v2(c->db, text, -1, &stmt, NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "sqlite: %s",
		    sqlite3_errmsg(c->db));
		free(text);
		return NULL;
	}
	free(text);
	if (cache && c->ncache < STORE_STMT_CACHE) {
		c->cache[c->ncache].key = sql;
		c->cache[c->ncache++].stmt = stmt;
		*cached_r = 1;
	}
	return stmt;
}

static int
sq_exec(void *conn, const char *sql, const struct store_val *v, int nv,
    store_row_fn *fn, void *arg, unsigned long long *changes_r, char *err,
    size_t errlen)
{
	struct sq_conn *c = conn;
	const char *col[STORE_COLS_MAX];
	sqlite3_stmt *stmt;
	int i, r, ncol, cached, stopped = 0, rc = 0;

	if ((stmt = sq_prepare(c, sql, nv > 0, &cached, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < nv; i++) {
		r = v[i].s != NULL
		    ? sqlite3_bind_text(stmt, i + 1, v[i].s, -1, SQLITE_STATIC)
		    : sqlite3_bind_int64(stmt, i + 1, v[i].i);
		if (r != SQLITE_OK) {
			(void)snprintf(err, errlen, "sqlite bind: %s",
			    sqlite3_errmsg(c->db));
			rc = -1;
			goto out;
		}
	}
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (fn == NULL || stopped)
			continue;
		ncol = sqlite3_column_count(stmt);
		if (ncol > STORE_COLS_MAX)
			ncol = STORE_COLS_MAX;
		for (i = 0; i < ncol; i++)
			col[i] = (const char *)sqlite3_column_text(stmt, i);
		if (fn(arg, ncol, col) != 0) {
			stopped = 1;
			break;
		}
	}
	if (!stopped && r != SQLITE_DONE) {
		(void)snprintf(err, errlen, "sqlite: %s",
		    sqlite3_errmsg(c->db));
		rc = -1;
	} else if (changes_r != NULL)
		*changes_r = (unsigned long long)sqlite3_changes64(c->db);
out:
	if (cached) {
		(void)sqlite3_reset(stmt);
		(void)sqlite3_clear_bindings(stmt);
	} else
		(void)sqlite3_finalize(stmt);
	return rc;
}

static int
sq_alive(void *conn)
{
	(void)conn;
	return 1;
}

static int
sq_pipe_begin(void *conn, char *err, size_t errlen)
{
	(void)conn;
	(void)err;
	(void)errlen;
	return 0;
}

static int
sq_pipe_send(void *conn, const char *sql, const struct store_val *v, int nv,
    char *err, size_t errlen)
{
	return sq_exec(conn, sql, v, nv, NULL, NULL, NULL, err, errlen);
}

static int
sq_pipe_end(void *conn, int ok, char *err, size_t errlen)
{
	(void)conn;
	(void)ok;
	(void)err;
	(void)errlen;
	return 0;
}

static const char *const sq_begin_write[] = {"BEGIN IMMEDIATE", NULL};

static const struct store_backend store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .alive = sq_alive,
    .pipe_begin = sq_pipe_begin,
    .pipe_send = sq_pipe_send,
    .pipe_end = sq_pipe_end,
    .begin_write = sq_begin_write,
    .begin_bulk = "BEGIN IMMEDIATE",
    .begin_migrate = "BEGIN IMMEDIATE",
};

/* ---- PostgreSQL backend ---- */

/* statements between two syncs: their results (~40 bytes each) never fill
 * a socket buffer, so blocking sends cannot deadlock */
#define PG_PIPE_CHUNK 64

struct pg_conn {
	PGconn *pg;
	int pending; /* pipelined statements since the last sync */
	int failed;  /* one of them failed: err holds why */
	char err[STORE_MSG_MAX];
};

static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "relation ... already exists, skipping" and such */
}

/* pg_open - connect; our timeouts are defaults the URI may override */
static int
pg_open(struct store *st, void **conn_r, char *err, size_t errlen)
{
	static const char *const kw[] = {"connect_timeout", "tcp_user_timeout",
	    "keepalives", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "application_name", "dbname", NULL};
	const char *val[] = {"5", "10000", "1", "10", "3", "3", "dmarc-milter",
	    st->target, NULL};
	const char *enc;
	struct pg_conn *c;
	PGconn *pg;

	/* later keywords win: dbname (the URI) is last */
	pg = PQconnectdbParams(kw, val, 1);
	if (pg == NULL) {
		(void)snprintf(err, errlen, "postgresql: out of memory");
		return -1;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(pg));
		chomp(err);
		PQfinish(pg);
		return -1;
	}
	(void)PQsetNoticeProcessor(pg, pg_notice, NULL);
	if (PQsetClientEncoding(pg, "UTF8") != 0) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(pg));
		chomp(err);
		PQfinish(pg);
		return -1;
	}
	/* text_enc() makes every value valid UTF-8, which these accept */
	enc = PQparameterStatus(pg, "server_encoding");
	if (enc == NULL ||
	    (strcmp(enc, "UTF8") != 0 && strcmp(enc, "SQL_ASCII") != 0)) {
		(void)snprintf(err, errlen,
		    "postgresql: database encoding %.32s, want UTF8",
		    enc ? enc : "unknown");
		PQfinish(pg);
		return -1;
	}
	c = store_xcalloc(1, sizeof(*c));
	c->pg = pg;
	*conn_r = c;
	return 0;
}

static void
pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (c != NULL) {
		PQfinish(c->pg);
		free(c);
	}
}

/* pg_result - check one result; 0 ok, -1 error (err set if not yet) */
static int
pg_result(PGresult *res, unsigned long long *changes_r, char *err,
    size_t errlen)
{
	const char *n;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
		if (changes_r != NULL) {
			n = PQcmdTuples(res);
			*changes_r = *n ? strtoull(n, NULL, 10) : 0;
		}
		return 0;
	case PGRES_TUPLES_OK:
	case PGRES_SINGLE_TUPLE:
		return 0;
	default:
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQresultErrorMessage(res));
		chomp(err);
		return -1;
	}
}

static int
pg_exec(void *conn, const char *sql, const struct store_val *v, int nv,
    store_row_fn *fn, void *arg, unsigned long long *changes_r, char *err,
    size_t errlen)
{
	PGconn *pg = ((struct pg_conn *)conn)->pg;
	const char *pv[STORE_PARAMS_MAX], *col[STORE_COLS_MAX];
	char ibuf[STORE_PARAMS_MAX][24];
	PGresult *res;
	int i, ncol, rc = 0, stopped = 0;

	if (nv > STORE_PARAMS_MAX) {
		(void)snprintf(err, errlen, "too many parameters");
		return -1;
	}
	if (nv == 0 && fn == NULL) {
		/* may hold several statements ("BEGIN; SET LOCAL ...") */
		res = PQexec(pg, sql);
		if (res == NULL) {
			(void)snprintf(err, errlen, "postgresql: %s",
			    PQerrorMessage(pg));
			chomp(err);
			return -1;
		}
		rc = pg_result(res, changes_r, err, errlen);
		PQclear(res);
		return rc;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].s != NULL)
			pv[i] = v[i].s;
		else {
			(void)snprintf(ibuf[i], sizeof(ibuf[i]), "%lld",
			    v[i].i);
			pv[i] = ibuf[i];
		}
	}
	if (!PQsendQueryParams(pg, sql, nv, NULL, pv, NULL, NULL, 0)) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(pg));
		chomp(err);
		return -1;
	}
	/* one row at a time: a day of records never sits in memory */
	if (fn != NULL)
		(void)PQsetSingleRowMode(pg);
	while ((res = PQgetResult(pg)) != NULL) {
		if (rc == 0 && pg_result(res, changes_r, err, errlen) == -1)
			rc = -1;
		else if (rc == 0 && fn != NULL && !stopped &&
		    PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
			ncol = PQnfields(res);
			if (ncol > STORE_COLS_MAX)
				ncol = STORE_COLS_MAX;
			for (i = 0; i < ncol; i++)
				col[i] = PQgetisnull(res, 0, i)
				    ? NULL
				    : PQgetvalue(res, 0, i);
			if (fn(arg, ncol, col) != 0)
				stopped = 1;
		}
		PQclear(res);
	}
	if (rc == 0 && PQstatus(pg) != CONNECTION_OK) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(pg));
		chomp(err);
		rc = -1;
	}
	return rc;
}

static int
pg_alive(void *conn)
{
	return PQstatus(((struct pg_conn *)conn)->pg) == CONNECTION_OK;
}

static int
pg_pipe_begin(void *conn, char *err, size_t errlen)
{
	struct pg_conn *c = conn;

	c->pending = 0;
	c->failed = 0;
	if (PQenterPipelineMode(c->pg) != 1) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(c->pg));
		chomp(err);
		return -1;
	}
	return 0;
}

/* pg_pipe_sync - a sync point, then read every result up to it */
static void
pg_pipe_sync(struct pg_conn *c)
{
	PGresult *res;
	int st;

	if (PQpipelineSync(c->pg) != 1) {
		if (!c->failed)
			(void)snprintf(c->err, sizeof(c->err), "postgresql: %s",
			    PQerrorMessage(c->pg));
		c->failed = 1;
		return;
	}
	c->pending = 0;
	for (;;) {
		if ((res = PQgetResult(c->pg)) == NULL) {
			/* the end of one statement's results, or a dead
			 * connection that will never give the sync */
			if (PQstatus(c->pg) != CONNECTION_OK) {
				if (!c->failed)
					(void)snprintf(c->err, sizeof(c->err),
					    "postgresql: %s",
					    PQerrorMessage(c->pg));
				c->failed = 1;
				return;
			}
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_FATAL_ERROR && !c->failed) {
			(void)snprintf(c->err, sizeof(c->err), "postgresql: %s",
			    PQresultErrorMessage(res));
			c->failed = 1;
		} else if (st == PGRES_PIPELINE_ABORTED && !c->failed) {
			(void)snprintf(c->err, sizeof(c->err),
			    "postgresql: pipeline aborted");
			c->failed = 1;
		}
		PQclear(res);
		if (st == PGRES_PIPELINE_SYNC)
			return;
	}
}

static int
pg_pipe_send(void *conn, const char *sql, const struct store_val *v, int nv,
    char *err, size_t errlen)
{
	struct pg_conn *c = conn;
	const char *pv[STORE_PARAMS_MAX];
	char ibuf[STORE_PARAMS_MAX][24];
	int i;

	if (nv > STORE_PARAMS_MAX) {
		(void)snprintf(err, errlen, "too many parameters");
		return -1;
	}
	for (i = 0; i < nv; i++) {
		if (v[i].s != NULL)
			pv[i] = v[i].s;
		else {
			(void)snprintf(ibuf[i], sizeof(ibuf[i]), "%lld",
			    v[i].i);
			pv[i] = ibuf[i];
		}
	}
	/* libpq copies the values into its buffer here */
	if (!PQsendQueryParams(c->pg, sql, nv, NULL, pv, NULL, NULL, 0)) {
		(void)snprintf(err, errlen, "postgresql: %s",
		    PQerrorMessage(c->pg));
		chomp(err);
		return -1;
	}
	if (++c->pending >= PG_PIPE_CHUNK)
		pg_pipe_sync(c);
	if (c->failed) {
		(void)snprintf(err, errlen, "%s", c->err);
		chomp(err);
		return -1;
	}
	return 0;
}

static int
pg_pipe_end(void *conn, int ok, char *err, size_t errlen)
{
	struct pg_conn *c = conn;

	if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF)
		return ok ? 0 : -1;
	if (PQstatus(c->pg) == CONNECTION_OK)
		pg_pipe_sync(c);
	if (PQexitPipelineMode(c->pg) != 1 && !c->failed) {
		(void)snprintf(c->err, sizeof(c->err), "postgresql: %s",
		    PQerrorMessage(c->pg));
		c->failed = 1;
	}
	if (c->failed && ok) {
		(void)snprintf(err, errlen, "%s", c->err);
		chomp(err);
	}
	return c->failed ? -1 : 0;
}

static const char *const pg_begin_write[] = {"BEGIN",
    "SET LOCAL statement_timeout = " PG_STATEMENT_TIMEOUT, NULL};

static const struct store_backend store_pg = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .alive = pg_alive,
    .pipe_begin = pg_pipe_begin,
    .pipe_send = pg_pipe_send,
    .pipe_end = pg_pipe_end,
    .begin_write = pg_begin_write,
    .begin_bulk = "BEGIN",
    .begin_migrate = "BEGIN;"
		     " LOCK TABLE schema_version IN SHARE ROW EXCLUSIVE MODE",
};

/* ---- CRC-32C (Castagnoli, reflected 0x82F63B78), four bits a step ---- */

static uint32_t
crc32c(const unsigned char *p, size_t n)
{
	static const uint32_t t[16] = {0x00000000, 0x105ec76f, 0x20bd8ede,
	    0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	    0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4,
	    0xd3d3e1ab, 0xe330a81a, 0xf36e6f75};
	uint32_t c = 0xffffffff;

	while (n-- > 0) {
		c ^= *p++;
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return ~c;
}

/* ---- statistics and retry state (q_lock) ---- */

enum store_stat { S_COMMIT, S_JOURNALED, S_DRAINED, S_TORN, S_REPLAYED };

static void
stat_add(struct store *st, enum store_stat which, unsigned long long n)
{
	pthread_mutex_lock(&st->q_lock);
	switch (which) {
	case S_COMMIT:
		st->stats.commits++;
		st->stats.committed += n;
		break;
	case S_JOURNALED:
		st->stats.journaled += n;
		break;
	case S_DRAINED:
		st->stats.drained += n;
		break;
	case S_TORN:
		st->stats.torn += n;
		break;
	case S_REPLAYED:
		st->stats.replayed += n;
		break;
	}
	pthread_mutex_unlock(&st->q_lock);
}

/* state_sync - publish the database and journal state (db_lock held);
 * failed: schedule the next retry, retry_ms from now, doubled for each
 * failure in a row up to STORE_BACKOFF_MAX */
static void
state_sync(struct store *st, unsigned long long jbytes, int failed)
{
	long long delay, cap;
	unsigned i;

	pthread_mutex_lock(&st->q_lock);
	st->stats.db_up = st->conn != NULL;
	st->stats.journal_bytes = jbytes;
	st->need_retry = st->conn == NULL || jbytes > 0;
	if (failed) {
		cap = st->o.retry_ms > STORE_BACKOFF_MAX ? st->o.retry_ms
							 : STORE_BACKOFF_MAX;
		delay = st->o.retry_ms;
		for (i = 0; i < st->retry_fails && delay < cap; i++)
			delay *= 2;
		st->retry_at = now_ms() + (delay < cap ? delay : cap);
		st->retry_fails++;
	} else if (!st->need_retry)
		st->retry_fails = 0;
	pthread_mutex_unlock(&st->q_lock);
}

static unsigned long long
journal_size(struct store *st)
{
	struct stat sb;

	if (st->jfd == -1 || fstat(st->jfd, &sb) == -1)
		return 0;
	return (unsigned long long)sb.st_size;
}

/* ---- the database: connect, migrate, insert (db_lock held) ---- */

static int
row_int(void *arg, int ncol, const char *const *col)
{
	const char *errstr;

	*(long long *)arg = ncol > 0 && col[0] != NULL
	    ? strtonum(col[0], 0, INT_MAX, &errstr)
	    : -1;
	if (ncol > 0 && col[0] != NULL && errstr != NULL)
		*(long long *)arg = -1;
	return 0;
}

static int
db_exec(struct store *st, const char *sql, const struct store_val *v, int nv,
    store_row_fn *fn, void *arg, unsigned long long *changes_r, char *err,
    size_t errlen)
{
	return st->be->exec(st->conn, sql, v, nv, fn, arg, changes_r, err,
	    errlen);
}

static void
db_rollback(struct store *st)
{
	char e[STORE_MSG_MAX];

	(void)db_exec(st, "ROLLBACK", NULL, 0, NULL, NULL, NULL, e, sizeof(e));
}

/* db_migrate - bring the schema to STORE_SCHEMA_VERSION, one migration
 * per transaction, under a lock so two hosts never apply the same one */
static int
db_migrate(struct store *st, char *err, size_t errlen)
{
	struct store_val v[2];
	long long ver = -1;
	const char *const *m;

	if (db_exec(st, sql_version_table, NULL, 0, NULL, NULL, NULL, err,
		errlen) == -1)
		return -1;
	for (;;) {
		if (db_exec(st, sql_version_get, NULL, 0, row_int, &ver, NULL,
			err, errlen) == -1)
			return -1;
		if (ver < 0) {
			(void)snprintf(err, errlen, "bad schema_version table");
			return -1;
		}
		if (ver > STORE_SCHEMA_VERSION) {
			(void)snprintf(err, errlen,
			    "schema version %lld is newer than this "
			    "program's %d",
			    ver, STORE_SCHEMA_VERSION);
			return -1;
		}
		if (ver == STORE_SCHEMA_VERSION)
			break;
		if (db_exec(st, st->be->begin_migrate, NULL, 0, NULL, NULL,
			NULL, err, errlen) == -1)
			return -1;
		/* again, now that we hold the lock */
		if (db_exec(st, sql_version_get, NULL, 0, row_int, &ver, NULL,
			err, errlen) == -1)
			goto fail;
		if (ver >= 0 && ver < STORE_SCHEMA_VERSION) {
			for (m = store_migrations[ver]; *m != NULL; m++)
				if (db_exec(st, *m, NULL, 0, NULL, NULL, NULL,
					err, errlen) == -1)
					goto fail;
			v[0].s = v[1].s = NULL;
			v[0].i = ver + 1;
			v[1].i = (long long)time(NULL);
			if (db_exec(st, sql_version_add, v, 2, NULL, NULL, NULL,
				err, errlen) == -1)
				goto fail;
		}
		if (db_exec(st, "COMMIT", NULL, 0, NULL, NULL, NULL, err,
			errlen) == -1)
			goto fail;
	}
	st->schema_version = (int)ver;
	return 0;
fail:
	db_rollback(st);
	return -1;
}

/* db_connect - open the backend and migrate; conn stays NULL on error */
static int
db_connect(struct store *st, char *err, size_t errlen)
{
	void *conn;

	if (st->be->open(st, &conn, err, errlen) == -1)
		return -1;
	st->conn = conn;
	if (db_migrate(st, err, errlen) == -1) {
		st->be->close(conn);
		st->conn = NULL;
		return -1;
	}
	return 0;
}

static void
db_down(struct store *st)
{
	if (st->conn != NULL)
		st->be->close(st->conn);
	st->conn = NULL;
}

/* rec_params - the bound values of one messages row (arena reset) */
static int
rec_params(struct store *st, const struct store_record *r, struct store_val *v)
{
	const char *base = (const char *)r;
	size_t i;
	char c;

	st->encused = 0;
	for (i = 0; i < NFIELDS; i++) {
		const struct store_field *f = &store_fields[i];

		v[i].s = NULL;
		switch (f->type) {
		case F_STR:
			if ((v[i].s = text_enc(st, base + f->off)) == NULL)
				return -1;
			break;
		case F_INT:
			v[i].i = *(const int *)(const void *)(base + f->off);
			break;
		case F_LL:
			v[i].i =
			    *(const long long *)(const void *)(base + f->off);
			break;
		case F_CHAR:
			c = base[f->off];
			v[i].s = c == 'r' ? "r" : c == 's' ? "s" : "";
			break;
		}
	}
	return 0;
}

/* db_insert - one transaction of n records, pipelined; 0, or -1 (rolled
 * back).  A record already there (a replay) is left alone, and so are its
 * DKIM rows, which came in the same transaction. */
static int
db_insert(struct store *st, struct store_record *const *recs, size_t n,
    char *err, size_t errlen)
{
	const struct store_backend *be = st->be;
	struct store_val v[STORE_PARAMS_MAX];
	const struct store_record *r;
	const char *const *b;
	char e[STORE_MSG_MAX];
	size_t i, j, k;

	if (be->pipe_begin(st->conn, err, errlen) == -1)
		return -1;
	for (b = be->begin_write; *b != NULL; b++)
		if (be->pipe_send(st->conn, *b, NULL, 0, err, errlen) == -1)
			goto fail;
	for (i = 0; i < n; i++) {
		r = recs[i];
		if (rec_params(st, r, v) == -1) {
			(void)snprintf(err, errlen, "encoding arena too small");
			goto fail;
		}
		if (be->pipe_send(st->conn, st->sql_insert, v, (int)NFIELDS,
			err, errlen) == -1)
			goto fail;
		if (r->ndkim == 0)
			continue;
		st->encused = 0;
		if ((v[0].s = text_enc(st, r->id)) == NULL)
			goto fail;
		for (j = 0; j < r->ndkim; j++)
			for (k = 0; k < NDKIMFIELDS; k++) {
				v[1 + 3 * j + k].s = text_enc(st,
				    (const char *)&r->dkim[j] +
					store_dkim_fields[k].off);
				if (v[1 + 3 * j + k].s == NULL) {
					(void)snprintf(err, errlen,
					    "encoding arena too small");
					goto fail;
				}
			}
		if (be->pipe_send(st->conn, st->sql_dkim[r->ndkim - 1], v,
			(int)(1 + 3 * r->ndkim), err, errlen) == -1)
			goto fail;
	}
	if (be->pipe_send(st->conn, "COMMIT", NULL, 0, err, errlen) == -1)
		goto fail;
	if (be->pipe_end(st->conn, 1, err, errlen) == -1)
		goto rollback;
	return 0;
fail:
	(void)be->pipe_end(st->conn, 0, e, sizeof(e));
rollback:
	db_rollback(st);
	return -1;
}

/* ---- the journal (db_lock held) ---- */

struct jw {
	unsigned char *p;
	size_t len;
};

static void
jw_u8(struct jw *w, unsigned v)
{
	w->p[w->len++] = (unsigned char)v;
}

static void
jw_u16(struct jw *w, unsigned v)
{
	jw_u8(w, v >> 8 & 0xff);
	jw_u8(w, v & 0xff);
}

static void
jw_u32(struct jw *w, uint32_t v)
{
	jw_u16(w, v >> 16);
	jw_u16(w, v & 0xffff);
}

static void
jw_i64(struct jw *w, long long v)
{
	uint64_t u = (uint64_t)v;

	jw_u32(w, (uint32_t)(u >> 32));
	jw_u32(w, (uint32_t)u);
}

static void
jw_str(struct jw *w, const char *s)
{
	size_t n = strlen(s); /* < a field's size, checked by rec_check */

	jw_u16(w, (unsigned)n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* journal_frame - one frame at p (JOURNAL_HDR + JOURNAL_REC_MAX bytes of
 * room); returns its length */
static size_t
journal_frame(const struct store_record *r, unsigned char *p)
{
	struct jw w = {p + JOURNAL_HDR, 0}, h = {p, 0};
	const char *base = (const char *)r;
	size_t i, j, k;

	jw_u8(&w, JOURNAL_VERSION);
	for (i = 0; i < NFIELDS; i++) {
		const struct store_field *f = &store_fields[i];

		switch (f->type) {
		case F_STR:
			jw_str(&w, base + f->off);
			break;
		case F_INT:
			jw_i64(&w, *(const int *)(const void *)(base + f->off));
			break;
		case F_LL:
			jw_i64(&w,
			    *(const long long *)(const void *)(base + f->off));
			break;
		case F_CHAR:
			jw_u8(&w, (unsigned char)base[f->off]);
			break;
		}
	}
	jw_u8(&w, (unsigned)r->ndkim);
	for (j = 0; j < r->ndkim; j++)
		for (k = 0; k < NDKIMFIELDS; k++)
			jw_str(&w,
			    (const char *)&r->dkim[j] +
				store_dkim_fields[k].off);
	memcpy(h.p, JOURNAL_MAGIC, 4);
	h.len = 4;
	jw_u32(&h, (uint32_t)w.len);
	jw_u32(&h, crc32c(w.p, w.len));
	return JOURNAL_HDR + w.len;
}

struct jr {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

static unsigned long long
jr_uint(struct jr *r, size_t n)
{
	unsigned long long v = 0;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return 0;
	}
	while (n-- > 0)
		v = v << 8 | r->p[r->off++];
	return v;
}

static void
jr_str(struct jr *r, char *dst, size_t size)
{
	size_t n = (size_t)jr_uint(r, 2);

	if (r->bad || n >= size || n > r->len - r->off ||
	    memchr(r->p + r->off, '\0', n) != NULL) {
		r->bad = 1;
		return;
	}
	memcpy(dst, r->p + r->off, n);
	dst[n] = '\0';
	r->off += n;
}

/* journal_decode - a frame's payload back into *rec; 0 or -1 */
static int
journal_decode(const unsigned char *p, size_t len, struct store_record *rec)
{
	struct jr r = {p, len, 0, 0};
	char *base = (char *)rec;
	long long v;
	size_t i, j, k;
	unsigned c;

	memset(rec, 0, sizeof(*rec));
	if (jr_uint(&r, 1) != JOURNAL_VERSION)
		return -1;
	for (i = 0; i < NFIELDS && !r.bad; i++) {
		const struct store_field *f = &store_fields[i];

		switch (f->type) {
		case F_STR:
			jr_str(&r, base + f->off, f->size);
			break;
		case F_INT:
			v = (long long)jr_uint(&r, 8);
			if (v < INT_MIN || v > INT_MAX)
				r.bad = 1;
			else
				*(int *)(void *)(base + f->off) = (int)v;
			break;
		case F_LL:
			*(long long *)(void *)(base + f->off) =
			    (long long)jr_uint(&r, 8);
			break;
		case F_CHAR:
			c = (unsigned)jr_uint(&r, 1);
			if (c != 0 && c != 'r' && c != 's')
				r.bad = 1;
			base[f->off] = (char)c;
			break;
		}
	}
	rec->ndkim = (size_t)jr_uint(&r, 1);
	if (rec->ndkim > STORE_DKIM_MAX)
		r.bad = 1;
	for (j = 0; j < rec->ndkim && !r.bad; j++)
		for (k = 0; k < NDKIMFIELDS; k++)
			jr_str(&r,
			    (char *)&rec->dkim[j] + store_dkim_fields[k].off,
			    store_dkim_fields[k].size);
	if (r.bad || r.off != r.len || rec->id[0] == '\0')
		return -1;
	return 0;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* journal_next - the next intact frame at or after *off: 1 (payload in
 * *pl, *pllen; *off past it), or 0 at the end; *skipped_r counts the
 * damaged bytes passed over (a torn write, a bad checksum) */
static int
journal_next(const unsigned char *base, size_t size, size_t *off,
    const unsigned char **pl, size_t *pllen, size_t *skipped_r)
{
	size_t o, len;

	for (o = *off; size >= JOURNAL_HDR && o <= size - JOURNAL_HDR; o++) {
		if (memcmp(base + o, JOURNAL_MAGIC, 4) != 0)
			continue;
		len = be32(base + o + 4);
		if (len == 0 || len > JOURNAL_REC_MAX ||
		    len > size - o - JOURNAL_HDR)
			continue;
		if (crc32c(base + o + JOURNAL_HDR, len) != be32(base + o + 8))
			continue;
		*skipped_r = o - *off;
		*pl = base + o + JOURNAL_HDR;
		*pllen = len;
		*off = o + JOURNAL_HDR + len;
		return 1;
	}
	*skipped_r = size - *off;
	*off = size;
	return 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* journal_open - create or open the journal; cut a torn tail */
static int
journal_open(struct store *st, char *err, size_t errlen)
{
	const unsigned char *map = NULL, *pl;
	size_t size, off = 0, end = 0, pllen, skipped;
	struct stat sb;
	int dfd;

	if (mkdirs(st->spool_dir) == -1) {
		(void)snprintf(err, errlen, "mkdir %.200s: %s", st->spool_dir,
		    strerror(errno));
		return -1;
	}
	st->jfd = open(st->jpath,
	    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->jfd == -1) {
		(void)snprintf(err, errlen, "%.200s: %s", st->jpath,
		    strerror(errno));
		return -1;
	}
	/* the new name must survive a crash too */
	if ((dfd = open(st->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	if (flock(st->jfd, LOCK_EX) == -1 || fstat(st->jfd, &sb) == -1) {
		(void)snprintf(err, errlen, "%.200s: %s", st->jpath,
		    strerror(errno));
		return -1;
	}
	size = (size_t)sb.st_size;
	if (size > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_SHARED, st->jfd, 0);
		if (map == MAP_FAILED) {
			(void)snprintf(err, errlen, "%.200s: mmap: %s",
			    st->jpath, strerror(errno));
			(void)flock(st->jfd, LOCK_UN);
			return -1;
		}
		while (journal_next(map, size, &off, &pl, &pllen, &skipped))
			end = off;
		(void)munmap((void *)(uintptr_t)map, size);
	}
	if (end < size) {
		store_log(st, LOG_WARNING,
		    "journal %.200s: torn or damaged tail, %zu bytes at "
		    "offset %zu skipped",
		    st->jpath, size - end, end);
		stat_add(st, S_TORN, size - end);
		if (ftruncate(st->jfd, (off_t)end) == -1 ||
		    fdatasync(st->jfd) == -1)
			store_log(st, LOG_WARNING, "journal %.200s: %s",
			    st->jpath, strerror(errno));
	}
	(void)flock(st->jfd, LOCK_UN);
	return 0;
}

/* journal_append - append and fdatasync n records; status[i] 0 or errno */
static void
journal_append(struct store *st, struct store_record *const *recs, size_t n,
    int *status)
{
	unsigned long long size, room;
	size_t i, len = 0, flen, k = 0;
	struct stat sb;
	unsigned char *nb;
	int e = 0;

	if (st->jfd == -1) {
		for (i = 0; i < n; i++)
			status[i] = ENOSPC;
		return;
	}
	if (flock(st->jfd, LOCK_EX) == -1 || fstat(st->jfd, &sb) == -1) {
		store_log(st, LOG_ERR, "journal %.200s: %s", st->jpath,
		    strerror(errno));
		for (i = 0; i < n; i++)
			status[i] = EIO;
		return;
	}
	size = (unsigned long long)sb.st_size;
	room = size < st->o.spool_max ? st->o.spool_max - size : 0;
	for (i = 0; i < n; i++) {
		if (st->jcap - len < JOURNAL_HDR + JOURNAL_REC_MAX) {
			nb = reallocarray(st->jbuf,
			    st->jcap * 2 + JOURNAL_HDR + JOURNAL_REC_MAX, 1);
			if (nb == NULL) {
				(void)fprintf(stderr, "store: out of memory\n");
				abort();
			}
			st->jbuf = nb;
			st->jcap = st->jcap * 2 + JOURNAL_HDR + JOURNAL_REC_MAX;
		}
		flen = journal_frame(recs[i], st->jbuf + len);
		if (flen > room) {
			status[i] = ENOSPC; /* spool_max reached */
			continue;
		}
		status[i] = -1; /* pending */
		room -= flen;
		len += flen;
		k++;
	}
	if (len > 0 &&
	    (write_all(st->jfd, st->jbuf, len) == -1 ||
		fdatasync(st->jfd) == -1)) {
		e = errno;
		store_log(st, LOG_ERR, "journal %.200s: %s", st->jpath,
		    strerror(e));
		/* a partial frame would be skipped anyway; leave none */
		(void)ftruncate(st->jfd, (off_t)size);
		len = 0;
		k = 0;
	}
	for (i = 0; i < n; i++)
		if (status[i] == -1)
			status[i] = e;
	(void)flock(st->jfd, LOCK_UN);
	if (k < n && !st->full_logged) {
		store_log(st, LOG_ERR,
		    "journal %.200s: full (%llu bytes, SpoolMax %llu): "
		    "records refused",
		    st->jpath, size + len, st->o.spool_max);
		st->full_logged = 1;
	} else if (k == n)
		st->full_logged = 0;
	if (k > 0)
		stat_add(st, S_JOURNALED, k);
	state_sync(st, size + len, 0);
}

/*
 * frames_each - the records of the intact frames of map[0..size) (the
 * journal, or an intent log: WHAT NAME in the log), in batches of at most
 * STORE_REPLAY_MAX, to fn(st, recs, n, arg); damaged bytes and records
 * that do not decode are logged and skipped.  *total_r counts the records
 * handed over; 0, or fn's -1, which stops the walk.
 */
typedef int frames_fn(struct store *, struct store_record **, size_t, void *);

static int
frames_each(struct store *st, const char *what, const char *name,
    const unsigned char *map, size_t size, frames_fn *fn, void *arg,
    size_t *total_r)
{
	struct store_record *recs[STORE_REPLAY_MAX];
	const unsigned char *pl;
	size_t off = 0, pllen, skipped, n = 0, i;
	int more;

	*total_r = 0;
	if (st->replay == NULL)
		st->replay =
		    store_xcalloc(STORE_REPLAY_MAX, sizeof(*st->replay));
	for (i = 0; i < STORE_REPLAY_MAX; i++)
		recs[i] = &st->replay[i];
	do {
		size_t at = off;

		more = journal_next(map, size, &off, &pl, &pllen, &skipped);
		if (skipped > 0) {
			store_log(st, LOG_WARNING,
			    "%s %.200s: %zu bytes of a torn or damaged "
			    "frame at offset %zu skipped",
			    what, name, skipped, at);
			stat_add(st, S_TORN, skipped);
		}
		if (more && journal_decode(pl, pllen, recs[n]) == -1) {
			store_log(st, LOG_WARNING,
			    "%s %.200s: bad record at offset %zu skipped", what,
			    name, off - pllen - JOURNAL_HDR);
			continue;
		}
		if (more)
			n++;
		if (n > 0 && (n == STORE_REPLAY_MAX || !more)) {
			if (fn(st, recs, n, arg) == -1)
				return -1;
			*total_r += n;
			n = 0;
		}
	} while (more);
	return 0;
}

struct journal_batch_arg {
	char *err;
	size_t errlen;
};

/* journal_batch - frames_each(): one transaction of replayed records */
static int
journal_batch(struct store *st, struct store_record **recs, size_t n, void *arg)
{
	struct journal_batch_arg *a = arg;

	return db_insert(st, recs, n, a->err, a->errlen);
}

/* journal_replay - write the journal into the database, then truncate it;
 * 0, or -1 (the journal is kept; a later replay is idempotent) */
static int
journal_replay(struct store *st, char *err, size_t errlen)
{
	struct journal_batch_arg a = {err, errlen};
	const unsigned char *map;
	size_t size, total = 0;
	struct stat sb;
	int rc;

	if (st->jfd == -1)
		return 0;
	if (flock(st->jfd, LOCK_EX) == -1 || fstat(st->jfd, &sb) == -1) {
		(void)snprintf(err, errlen, "%.200s: %s", st->jpath,
		    strerror(errno));
		return -1;
	}
	if ((size = (size_t)sb.st_size) == 0) {
		(void)flock(st->jfd, LOCK_UN);
		return 0;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, st->jfd, 0);
	if (map == MAP_FAILED) {
		(void)snprintf(err, errlen, "%.200s: mmap: %s", st->jpath,
		    strerror(errno));
		(void)flock(st->jfd, LOCK_UN);
		return -1;
	}
	rc = frames_each(st, "journal", st->jpath, map, size, journal_batch, &a,
	    &total);
	(void)munmap((void *)(uintptr_t)map, size);
	if (rc == 0 &&
	    (ftruncate(st->jfd, 0) == -1 || fdatasync(st->jfd) == -1)) {
		(void)snprintf(err, errlen, "%.200s: %s", st->jpath,
		    strerror(errno));
		rc = -1;
	}
	(void)flock(st->jfd, LOCK_UN);
	if (total > 0)
		stat_add(st, S_DRAINED, total);
	if (rc == 0 && total > 0)
		store_log(st, LOG_NOTICE,
		    "journal %.200s: %zu records written to the database",
		    st->jpath, total);
	return rc;
}

/* db_retry - reconnect if down, replay the journal; 0 when the database
 * is up and the journal empty (db_lock held) */
static int
db_retry(struct store *st)
{
	char err[STORE_MSG_MAX];

	if (st->conn == NULL && db_connect(st, err, sizeof(err)) == -1) {
		store_log(st, LOG_DEBUG, "database %s still unavailable: %s",
		    st->be->name, err);
		state_sync(st, journal_size(st), 1);
		return -1;
	}
	if (journal_replay(st, err, sizeof(err)) == -1) {
		store_log(st, LOG_WARNING, "journal replay failed: %s", err);
		if (!st->be->alive(st->conn))
			db_down(st);
		state_sync(st, journal_size(st), 1);
		return -1;
	}
	state_sync(st, 0, 0);
	return 0;
}

/* commit_records - the database if it is up and the journal empty, else
 * (or if the commit fails) the journal; status[i] 0 or errno */
static void
commit_records(struct store *st, struct store_record *const *recs, size_t n,
    int *status)
{
	char err[STORE_MSG_MAX];
	size_t i;

	if (st->conn != NULL && (st->jfd == -1 || journal_size(st) == 0)) {
		if (db_insert(st, recs, n, err, sizeof(err)) == 0) {
			for (i = 0; i < n; i++)
				status[i] = 0;
			stat_add(st, S_COMMIT, n);
			return;
		}
		store_log(st, LOG_WARNING, "database write failed: %s; %s", err,
		    st->jfd != -1 ? "records go to the journal"
				  : "no spool directory: records lost");
		db_down(st);
		state_sync(st, journal_size(st), 1);
	}
	journal_append(st, recs, n, status);
}

/* ---- the intent log (see the top of this file) ---- */

/* intent_open - create the intent log and lock it for this process; -1
 * (no fast path) if another process holds it or it cannot be made */
static int
intent_open(struct store *st)
{
	int fd;

	fd = open(st->lpath,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		store_log(st, LOG_WARNING, "intent log %.200s: %s", st->lpath,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		store_log(st, LOG_WARNING,
		    "intent log %.200s: in use by another process", st->lpath);
		(void)close(fd);
		return -1;
	}
	/* ours now; what a past run left in it was replayed already */
	if (ftruncate(fd, 0) == -1) {
		store_log(st, LOG_WARNING, "intent log %.200s: %s", st->lpath,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	st->lfd = fd;
	st->lbytes = 0;
	return 0;
}

/* intent_batch - frames_each(): records of a past run, to the database
 * or the journal; *arg counts those neither took */
static int
intent_batch(struct store *st, struct store_record **recs, size_t n, void *arg)
{
	int status[STORE_REPLAY_MAX];
	size_t *lost = arg, i;

	commit_records(st, recs, n, status);
	for (i = 0; i < n; i++)
		if (status[i] != 0)
			(*lost)++;
	return 0;
}

/*
 * intent_replay - what a previous run left in an intent log file: into
 * the database, or the journal if it is down (db_lock held, no writer yet).
 * The file is removed afterwards; records that found no place are counted
 * and logged.  A file another live process holds is left alone.
 */
static void
intent_replay(struct store *st, const char *path)
{
	const unsigned char *map = NULL;
	size_t size = 0, total = 0, lost = 0;
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return; /* none: the usual case */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		(void)close(fd);
		return;
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		size = (size_t)sb.st_size;
		map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			store_log(st, LOG_ERR, "intent log %.200s: mmap: %s",
			    path, strerror(errno));
			(void)close(fd);
			return; /* kept for the next start */
		}
	}
	if (map != NULL) {
		(void)frames_each(st, "intent log", path, map, size,
		    intent_batch, &lost, &total);
		(void)munmap((void *)(uintptr_t)map, size);
	}
	(void)unlink(path);
	(void)close(fd);
	stat_add(st, S_REPLAYED, total);
	if (total > 0)
		store_log(st, lost > 0 ? LOG_ERR : LOG_NOTICE,
		    "intent log %.200s: %zu records of the last run "
		    "replayed, %zu could not be stored",
		    path, total, lost);
}

/*
 * intent_append - one record's frame to the intent log (q_lock held);
 * 0, or -1 when the fast path is not available for it
 */
static int
intent_append(struct store *st, const struct store_record *rec)
{
	unsigned char frame[JOURNAL_HDR + JOURNAL_REC_MAX];
	size_t len;

	if (st->lfd == -1 || st->need_retry)
		return -1;
	len = journal_frame(rec, frame);
	if (write_all(st->lfd, frame, len) == -1) {
		store_log(st, LOG_ERR, "intent log %.200s: %s", st->lpath,
		    strerror(errno));
		/* a torn frame is skipped on replay; the record waits */
		return -1;
	}
	st->lbytes += len;
	return 0;
}

/*
 * intent_checkpoint - after a batch (q_lock held): drop what is committed.
 * Everything dequeued is in the database or the journal, so an empty queue
 * means an empty intent log; under steady load the log is rotated and the
 * old part removed once the records it held are through.
 */
static void
intent_checkpoint(struct store *st)
{
	int fd;

	if (st->lold && st->deq >= st->lold_upto) {
		(void)unlink(st->lpath_old);
		(void)close(st->lfd_old);
		st->lfd_old = -1;
		st->lold = 0;
	}
	if (st->lfd == -1)
		return;
	if (st->qn == 0) {
		if (st->lbytes > 0 && ftruncate(st->lfd, 0) == 0)
			st->lbytes = 0;
		return;
	}
	if (st->lold || st->lbytes < INTENT_ROTATE)
		return;
	if (rename(st->lpath, st->lpath_old) == -1) {
		store_log(st, LOG_WARNING, "intent log %.200s: rename: %s",
		    st->lpath, strerror(errno));
		return;
	}
	fd = st->lfd;
	st->lold = 1;
	st->lold_upto = st->enq;
	if (intent_open(st) == -1)
		st->lfd = -1; /* no fast path from now on; said in the log */
	st->lfd_old = fd;     /* locked until the file is gone */
}

/* ---- the writer thread ---- */

static void *
store_writer(void *arg)
{
	struct store *st = arg;
	struct store_qent *e;
	long long deadline;
	size_t n, i, lost = 0;
	int drain;

	pthread_mutex_lock(&st->q_lock);
	for (;;) {
		while (st->qn == 0 && !st->drain_req && !st->stop &&
		    !(st->need_retry && now_ms() >= st->retry_at)) {
			if (st->need_retry)
				(void)timed_wait(&st->work, &st->q_lock,
				    st->retry_at);
			else
				pthread_cond_wait(&st->work, &st->q_lock);
		}
		if (st->qn == 0 && !st->drain_req && st->stop)
			break;
		/* a latency knob: let a few more records join this batch */
		if (st->o.batch_delay_ms > 0 && st->qn > 0 &&
		    st->qn < st->o.batch_max && !st->stop) {
			deadline = now_ms() + st->o.batch_delay_ms;
			while (st->qn < st->o.batch_max && !st->stop &&
			    timed_wait(&st->work, &st->q_lock, deadline) !=
				ETIMEDOUT)
				;
		}

		/* every record queued so far: one transaction */
		n = st->qn < st->o.batch_max ? st->qn : st->o.batch_max;
		if (n > 0) {
			for (i = 0; i < n; i++)
				st->batch[i] =
				    &st->q[(st->qhead + i) % st->qmax].rec;
			pthread_mutex_unlock(&st->q_lock);
			pthread_mutex_lock(&st->db_lock);
			commit_records(st, st->batch, n, st->bstatus);
			pthread_mutex_unlock(&st->db_lock);
			pthread_mutex_lock(&st->q_lock);
			for (i = 0; i < n; i++) {
				e = &st->q[(st->qhead + i) % st->qmax];
				if (e->w != NULL) {
					e->w->status = st->bstatus[i];
					e->w->done = 1;
					pthread_cond_signal(&e->w->cond);
				} else if (st->bstatus[i] != 0)
					lost++; /* its caller was told 0 */
				e->w = NULL;
			}
			st->qhead = (unsigned)((st->qhead + n) % st->qmax);
			st->qn -= (unsigned)n;
			st->deq += n;
			st->stats.lost += lost;
			intent_checkpoint(st);
			if (lost > 0) {
				pthread_mutex_unlock(&st->q_lock);
				store_log(st, LOG_ERR,
				    "%zu records not stored: database and "
				    "journal refused them",
				    lost);
				pthread_mutex_lock(&st->q_lock);
				lost = 0;
			}
			pthread_cond_broadcast(&st->done); /* store_flush() */
			pthread_cond_broadcast(&st->space);
		}

		/* then, with the callers released, reconnect and replay */
		drain = st->drain_req;
		if (!drain && !(st->need_retry && now_ms() >= st->retry_at))
			continue;
		pthread_mutex_unlock(&st->q_lock);
		pthread_mutex_lock(&st->db_lock);
		(void)db_retry(st);
		pthread_mutex_unlock(&st->db_lock);
		pthread_mutex_lock(&st->q_lock);
		if (drain) {
			st->drain_req = 0;
			st->drain_gen++;
			pthread_cond_broadcast(&st->done);
		}
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

/* ---- the API ---- */

/* store_id_new - 128 random bits in lower-case hex */
void
store_id_new(char id_r[STORE_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[STORE_ID_LEN / 2];
	size_t i;

	arc4random_buf(b, sizeof(b));
	for (i = 0; i < sizeof(b); i++) {
		id_r[2 * i] = hex[b[i] >> 4];
		id_r[2 * i + 1] = hex[b[i] & 0xf];
	}
	id_r[STORE_ID_LEN] = '\0';
}

/* rec_check - every string ends inside its array; counts and codes valid */
static int
rec_check(const struct store_record *r)
{
	const char *base = (const char *)r;
	size_t i, k;

	for (i = 0; i < NFIELDS; i++)
		if (store_fields[i].type == F_STR &&
		    memchr(base + store_fields[i].off, '\0',
			store_fields[i].size) == NULL)
			return -1;
	if (r->ndkim > STORE_DKIM_MAX)
		return -1;
	for (i = 0; i < r->ndkim; i++)
		for (k = 0; k < NDKIMFIELDS; k++)
			if (memchr((const char *)&r->dkim[i] +
				    store_dkim_fields[k].off,
				'\0', store_dkim_fields[k].size) == NULL)
				return -1;
	if ((r->adkim != 0 && r->adkim != 'r' && r->adkim != 's') ||
	    (r->aspf != 0 && r->aspf != 'r' && r->aspf != 's'))
		return -1;
	for (i = 0; r->id[i] != '\0'; i++)
		if (!((r->id[i] >= '0' && r->id[i] <= '9') ||
			(r->id[i] >= 'a' && r->id[i] <= 'z') ||
			(r->id[i] >= 'A' && r->id[i] <= 'Z') ||
			r->id[i] == '_' || r->id[i] == '-'))
			return -1;
	return 0;
}

/* rec_fill - the copy's id and time when the caller left them empty */
static void
rec_fill(struct store_record *r, const struct store_record *src)
{
	size_t i;

	*r = *src;
	/* the unused DKIM slots are not the caller's business */
	for (i = r->ndkim; i < STORE_DKIM_MAX; i++)
		memset(&r->dkim[i], 0, sizeof(r->dkim[i]));
	if (r->id[0] == '\0')
		store_id_new(r->id);
	if (r->received == 0)
		r->received = (long long)time(NULL);
}

/* store_sql - the statements built from the field table */
static int
store_sql(struct store *st)
{
	char buf[4096];
	size_t i, j, len;
	int n;

#define ADD(...)                                                               \
	do {                                                                   \
		n = snprintf(buf + len, sizeof(buf) - len, __VA_ARGS__);       \
		if (n < 0 || (size_t)n >= sizeof(buf) - len)                   \
			return -1;                                             \
		len += (size_t)n;                                              \
	} while (0)

	len = 0;
	ADD("INSERT INTO messages (");
	for (i = 0; i < NFIELDS; i++)
		ADD("%s%s", i ? ", " : "", store_fields[i].name);
	ADD(") VALUES (");
	for (i = 0; i < NFIELDS; i++)
		ADD("%s$%zu", i ? ", " : "", i + 1);
	ADD(") ON CONFLICT (id) DO NOTHING");
	st->sql_insert = store_xstrdup(buf);

	for (j = 1; j <= STORE_DKIM_MAX; j++) {
		len = 0;
		ADD("INSERT INTO message_dkim"
		    " (message_id, idx, domain, selector, result) VALUES ");
		for (i = 0; i < j; i++)
			ADD("%s($1, %zu, $%zu, $%zu, $%zu)", i ? ", " : "", i,
			    2 + 3 * i, 3 + 3 * i, 4 + 3 * i);
		ADD(" ON CONFLICT (message_id, idx) DO NOTHING");
		st->sql_dkim[j - 1] = store_xstrdup(buf);
	}

	len = 0;
	ADD("SELECT ");
	for (i = 0; i < NFIELDS; i++)
		ADD("m.%s, ", store_fields[i].name);
	ADD("d.domain, d.selector, d.result FROM messages m"
	    " LEFT JOIN message_dkim d ON d.message_id = m.id"
	    " WHERE m.received >= $1 AND m.received < $2"
	    " ORDER BY m.policy_domain COLLATE \"C\", m.received,"
	    " m.id COLLATE \"C\", d.idx");
	st->sql_select = store_xstrdup(buf);
#undef ADD
	return 0;
}

static void
store_free(struct store *st)
{
	size_t i;

	if (st->conn != NULL)
		st->be->close(st->conn);
	if (st->jfd != -1)
		(void)close(st->jfd);
	if (st->lfd != -1)
		(void)close(st->lfd);
	if (st->lfd_old != -1)
		(void)close(st->lfd_old);
	free(st->lpath);
	free(st->lpath_old);
	pthread_mutex_destroy(&st->db_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->space);
	pthread_cond_destroy(&st->done);
	(void)pthread_condattr_destroy(&st->cattr);
	free(st->target);
	free(st->spool_dir);
	free(st->jpath);
	free(st->jbuf);
	free(st->enc);
	free(st->sql_insert);
	free(st->sql_select);
	for (i = 0; i < STORE_DKIM_MAX; i++)
		free(st->sql_dkim[i]);
	free(st->replay);
	free(st->q);
	free(st->batch);
	free(st->bstatus);
	free(st);
}

/* store_open - parse the URI, open (or spool), migrate, start the writer */
int
store_open(const char *uri, const struct store_opts *opts, struct store **st_r,
    char *err, size_t errlen)
{
	static const struct store_opts none;
	struct store *st;
	pthread_condattr_t ca;
	sigset_t all, old;
	char e[STORE_MSG_MAX];
	size_t i;

	*st_r = NULL;
	if (opts == NULL)
		opts = &none;
	st = store_xcalloc(1, sizeof(*st));
	st->jfd = -1;
	st->lfd = st->lfd_old = -1;
	st->o = *opts;
	if (strncmp(uri, "sqlite:", 7) == 0) {
		st->be = &store_sqlite;
		st->target = store_xstrdup(uri + 7);
		if (st->target[0] == '\0') {
			(void)snprintf(err, errlen, "sqlite: empty path");
			goto fail_early;
		}
	} else if (strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0) {
		st->be = &store_pg;
		st->target = store_xstrdup(uri);
	} else {
		(void)snprintf(err, errlen,
		    "\"%.64s\": not sqlite:PATH or postgresql://...", uri);
		goto fail_early;
	}
	if (st->o.spool_max == 0)
		st->o.spool_max = STORE_SPOOL_DEFAULT;
	if (st->o.queue_max == 0)
		st->o.queue_max = STORE_QUEUE_DEFAULT;
	if (st->o.batch_max == 0)
		st->o.batch_max = STORE_BATCH_DEFAULT;
	if (st->o.batch_max > st->o.queue_max)
		st->o.batch_max = st->o.queue_max;
	if (st->o.put_timeout_ms == 0)
		st->o.put_timeout_ms = STORE_PUT_TIMEOUT;
	if (st->o.retry_ms == 0)
		st->o.retry_ms = STORE_RETRY_DEFAULT;
	if (st->o.busy_timeout_ms == 0)
		st->o.busy_timeout_ms = STORE_BUSY_DEFAULT;
	if (st->o.busy_timeout_ms > INT_MAX)
		st->o.busy_timeout_ms = INT_MAX;
	st->schema_version = -1;
	/* every string of a record escaped (x3), and the DKIM rows' */
	st->enccap = 3 * (sizeof(struct store_record) + 1);
	st->enc = store_xcalloc(1, st->enccap);
	if (store_sql(st) == -1) {
		(void)snprintf(err, errlen, "statement too long");
		goto fail_early;
	}
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0) {
		(void)snprintf(err, errlen, "pthread: no monotonic clock");
		goto fail_early;
	}
	pthread_mutex_init(&st->db_lock, NULL);
	pthread_mutex_init(&st->q_lock, NULL);
	pthread_cond_init(&st->work, &ca);
	pthread_cond_init(&st->space, &ca);
	pthread_cond_init(&st->done, &ca);
	st->cattr = ca; /* store_put()'s waiters; destroyed in store_close() */

	if (st->o.spool_dir != NULL && st->o.spool_dir[0] != '\0') {
		st->spool_dir = store_xstrdup(st->o.spool_dir);
		if (asprintf(&st->jpath, "%s/%s", st->spool_dir,
			JOURNAL_NAME) == -1) {
			(void)snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (journal_open(st, err, errlen) == -1)
			goto fail;
		if (asprintf(&st->lpath, "%s/%s", st->spool_dir, INTENT_NAME) ==
			-1 ||
		    asprintf(&st->lpath_old, "%s/%s", st->spool_dir,
			INTENT_OLD) == -1) {
			(void)snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	st->o.spool_dir = NULL;

	if (db_connect(st, err, errlen) == -1) {
		/* the daemon goes on, spooling, and retries */
		if (!st->o.writer || st->jfd == -1)
			goto fail;
		store_log(st, LOG_WARNING,
		    "database unavailable, records go to the journal: %s", err);
		state_sync(st, journal_size(st), 1);
	} else if (journal_replay(st, e, sizeof(e)) == -1) {
		store_log(st, LOG_WARNING, "journal replay failed: %s", e);
		if (!st->be->alive(st->conn))
			db_down(st);
		state_sync(st, journal_size(st), 1);
	} else
		state_sync(st, journal_size(st), 0);

	if (st->lpath != NULL) {
		/* a previous run's records first: older part, then newer */
		intent_replay(st, st->lpath_old);
		intent_replay(st, st->lpath);
		if (st->o.writer)
			(void)intent_open(st);
	}
	if (st->o.writer) {
		st->qmax = st->o.queue_max;
		st->q = store_xcalloc(st->qmax, sizeof(*st->q));
		st->batch = store_xcalloc(st->o.batch_max, sizeof(*st->batch));
		st->bstatus =
		    store_xcalloc(st->o.batch_max, sizeof(*st->bstatus));
		/* signals belong to the daemon's own threads */
		(void)sigfillset(&all);
		(void)pthread_sigmask(SIG_SETMASK, &all, &old);
		i = (size_t)pthread_create(&st->thread, NULL, store_writer, st);
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (i != 0) {
			(void)snprintf(err, errlen, "pthread_create: %s",
			    strerror((int)i));
			goto fail;
		}
		st->thread_started = 1;
	}
	*st_r = st;
	return 0;
fail:
	store_free(st);
	return -1;
fail_early:
	/* nothing but memory yet */
	free(st->target);
	free(st->enc);
	free(st->sql_insert);
	free(st->sql_select);
	for (i = 0; i < STORE_DKIM_MAX; i++)
		free(st->sql_dkim[i]);
	free(st);
	return -1;
}

static int
put_result(struct store *st, int status)
{
	pthread_mutex_lock(&st->q_lock);
	if (status == 0)
		st->stats.puts++;
	else
		st->stats.put_errors++;
	pthread_mutex_unlock(&st->q_lock);
	if (status == 0)
		return 0;
	errno = status;
	return -1;
}

/* store_put - queue (or commit) one record; 0 once durable */
int
store_put(struct store *st, const struct store_record *rec)
{
	struct store_waiter w;
	struct store_record *r;
	struct store_qent *e;
	long long deadline;
	unsigned idx;
	int status, retry;

	if (rec_check(rec) == -1)
		return put_result(st, EINVAL);
	if (!st->thread_started) {
		r = store_xcalloc(1, sizeof(*r));
		rec_fill(r, rec);
		pthread_mutex_lock(&st->db_lock);
		pthread_mutex_lock(&st->q_lock);
		retry = st->need_retry && now_ms() >= st->retry_at;
		pthread_mutex_unlock(&st->q_lock);
		if (retry)
			(void)db_retry(st);
		commit_records(st, &r, 1, &status);
		pthread_mutex_unlock(&st->db_lock);
		free(r);
		return put_result(st, status);
	}

	deadline = now_ms() + st->o.put_timeout_ms;
	pthread_mutex_lock(&st->q_lock);
	while (st->qn == st->qmax && !st->stop)
		if (timed_wait(&st->space, &st->q_lock, deadline) ==
			ETIMEDOUT &&
		    st->qn == st->qmax) {
			pthread_mutex_unlock(&st->q_lock);
			return put_result(st, ETIMEDOUT);
		}
	if (st->stop) {
		pthread_mutex_unlock(&st->q_lock);
		return put_result(st, ESHUTDOWN);
	}
	idx = (st->qhead + st->qn) % st->qmax;
	e = &st->q[idx];
	rec_fill(&e->rec, rec); /* its id and time: the log needs them too */
	if (intent_append(st, &e->rec) == 0) {
		/* the fast path: in the kernel now, committed later */
		e->w = NULL;
		if (st->qn++ == 0 || st->qn >= st->o.batch_max / 2)
			pthread_cond_signal(&st->work);
		st->enq++;
		pthread_mutex_unlock(&st->q_lock);
		return put_result(st, 0);
	}
	if (pthread_cond_init(&w.cond, &st->cattr) != 0) {
		pthread_mutex_unlock(&st->q_lock);
		return put_result(st, EAGAIN);
	}
	w.done = 0;
	w.status = 0;
	e = &st->q[idx];
	rec_fill(&e->rec, rec);
	e->w = &w;
	st->qn++;
	st->enq++;
	pthread_cond_signal(&st->work);
	while (!w.done)
		if (timed_wait(&w.cond, &st->q_lock, deadline) == ETIMEDOUT &&
		    !w.done) {
			/* still queued: it is written later, unseen */
			st->q[idx].w = NULL;
			break;
		}
	status = w.done ? w.status : ETIMEDOUT;
	pthread_mutex_unlock(&st->q_lock);
	pthread_cond_destroy(&w.cond);
	return put_result(st, status);
}

/* store_flush - wait for the queue, try the journal once */
int
store_flush(struct store *st)
{
	unsigned long long target, gen;
	long long deadline;
	int rc;

	if (!st->thread_started) {
		pthread_mutex_lock(&st->db_lock);
		rc = db_retry(st) == 0 ? 0 : 1;
		pthread_mutex_unlock(&st->db_lock);
		return rc;
	}
	deadline = now_ms() + st->o.put_timeout_ms;
	pthread_mutex_lock(&st->q_lock);
	target = st->enq;
	gen = st->drain_gen;
	st->drain_req = 1;
	pthread_cond_signal(&st->work);
	while (st->deq < target || st->drain_gen == gen)
		if (timed_wait(&st->done, &st->q_lock, deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&st->q_lock);
			return -1;
		}
	rc = st->need_retry ? 1 : 0;
	pthread_mutex_unlock(&st->q_lock);
	return rc;
}

/* store_close - drain the queue, stop the writer, free */
int
store_close(struct store **stp)
{
	struct store *st;
	int rc = 0;

	if (stp == NULL || (st = *stp) == NULL)
		return 0;
	*stp = NULL;
	if (st->thread_started) {
		pthread_mutex_lock(&st->q_lock);
		st->stop = 1;
		pthread_cond_broadcast(&st->work);
		pthread_cond_broadcast(&st->space);
		pthread_mutex_unlock(&st->q_lock);
		(void)pthread_join(st->thread, NULL);
		/* the queue is through: the intent log holds nothing */
		if (st->lfd != -1)
			(void)unlink(st->lpath);
		if (st->lold)
			(void)unlink(st->lpath_old);
	}
	pthread_mutex_lock(&st->db_lock);
	if (st->conn != NULL && journal_size(st) > 0)
		(void)db_retry(st);
	if (journal_size(st) > 0) {
		store_log(st, LOG_WARNING,
		    "journal %.200s: records left for the next start",
		    st->jpath);
		rc = 1;
	}
	pthread_mutex_unlock(&st->db_lock);
	store_free(st);
	return rc;
}

/* db_ready - connect for a reader if needed (db_lock held) */
static int
db_ready(struct store *st)
{
	char err[STORE_MSG_MAX];

	if (st->conn != NULL)
		return 0;
	if (db_connect(st, err, sizeof(err)) == -1) {
		store_log(st, LOG_ERR, "database unavailable: %s", err);
		return -1;
	}
	state_sync(st, journal_size(st), 0);
	return 0;
}

/* db_failed - log a reader's error; drop a broken connection */
static void
db_failed(struct store *st, const char *what, const char *err)
{
	store_log(st, LOG_ERR, "%s: %s", what, err);
	if (st->conn != NULL && !st->be->alive(st->conn)) {
		db_down(st);
		state_sync(st, journal_size(st), 1);
	}
}

/* store_expire - delete what was received more than days ago */
int
store_expire(struct store *st, int days, long long now,
    unsigned long long *deleted_r)
{
	char err[STORE_MSG_MAX];
	struct store_val v = {NULL, 0};
	unsigned long long n = 0;
	int rc = -1;

	if (deleted_r != NULL)
		*deleted_r = 0;
	if (days < 0 || days > STORE_DAYS_MAX) {
		errno = EINVAL;
		return -1;
	}
	v.i = now - (long long)days * 86400;
	pthread_mutex_lock(&st->db_lock);
	if (db_ready(st) == -1)
		goto out;
	if (db_exec(st, st->be->begin_bulk, NULL, 0, NULL, NULL, NULL, err,
		sizeof(err)) == -1)
		goto fail;
	if (db_exec(st, sql_expire_dkim, &v, 1, NULL, NULL, NULL, err,
		sizeof(err)) == -1 ||
	    db_exec(st, sql_expire_msg, &v, 1, NULL, NULL, &n, err,
		sizeof(err)) == -1 ||
	    db_exec(st, sql_expire_sent, &v, 1, NULL, NULL, NULL, err,
		sizeof(err)) == -1 ||
	    db_exec(st, "COMMIT", NULL, 0, NULL, NULL, NULL, err,
		sizeof(err)) == -1) {
		db_rollback(st);
		goto fail;
	}
	if (deleted_r != NULL)
		*deleted_r = n;
	rc = 0;
	goto out;
fail:
	db_failed(st, "expire", err);
out:
	pthread_mutex_unlock(&st->db_lock);
	return rc;
}

struct fe_ctx {
	struct store *st;
	struct store_record *rec;
	int have, bad;
	int (*fn)(const struct store_record *, void *);
	void *arg;
	int ret;
};

/* fe_field - one column back into its member; -1 if it does not fit */
static int
fe_field(const struct store_field *f, const char *col, char *base)
{
	const char *errstr;

	if (col == NULL)
		return -1;
	switch (f->type) {
	case F_STR:
		return text_dec(col, base + f->off, f->size);
	case F_INT:
		*(int *)(void *)(base + f->off) =
		    (int)strtonum(col, INT_MIN, INT_MAX, &errstr);
		return errstr == NULL ? 0 : -1;
	case F_LL:
		*(long long *)(void *)(base + f->off) =
		    strtonum(col, LLONG_MIN, LLONG_MAX, &errstr);
		return errstr == NULL ? 0 : -1;
	case F_CHAR:
		if (strcmp(col, "r") != 0 && strcmp(col, "s") != 0 &&
		    col[0] != '\0')
			return -1;
		base[f->off] = col[0];
		return 0;
	}
	return -1;
}

/* fe_emit - hand the record gathered so far to the caller */
static int
fe_emit(struct fe_ctx *c)
{
	int r = 0;

	if (c->have && !c->bad)
		r = c->fn(c->rec, c->arg);
	c->have = 0;
	if (r != 0)
		c->ret = r;
	return r;
}

/* fe_row - rows come grouped by message: one per DKIM result (or one
 * with NULL DKIM columns) */
static int
fe_row(void *arg, int ncol, const char *const *col)
{
	struct fe_ctx *c = arg;
	struct store_dkim *d;
	size_t i;

	if (ncol != (int)(NFIELDS + NDKIMFIELDS) || col[0] == NULL)
		return 0;
	if (c->have && strcmp(col[0], c->rec->id) != 0 && fe_emit(c) != 0)
		return 1;
	if (!c->have) {
		memset(c->rec, 0, sizeof(*c->rec));
		c->have = 1;
		c->bad = 0;
		for (i = 0; i < NFIELDS && !c->bad; i++)
			if (fe_field(&store_fields[i], col[i],
				(char *)c->rec) == -1)
				c->bad = 1;
		/* the id ends the group: keep it even from a bad row */
		if (c->bad) {
			(void)strlcpy(c->rec->id, col[0], sizeof(c->rec->id));
			store_log(c->st, LOG_WARNING,
			    "record %.40s: bad %s column, skipped", col[0],
			    store_fields[i - 1].name);
		}
	}
	if (c->bad || col[NFIELDS] == NULL)
		return 0;
	if (c->rec->ndkim == STORE_DKIM_MAX) {
		c->bad = 1;
		return 0;
	}
	d = &c->rec->dkim[c->rec->ndkim];
	for (i = 0; i < NDKIMFIELDS; i++)
		if (fe_field(&store_dkim_fields[i], col[NFIELDS + i],
			(char *)d) == -1) {
			store_log(c->st, LOG_WARNING,
			    "record %.40s: bad DKIM row, skipped", c->rec->id);
			c->bad = 1;
			return 0;
		}
	c->rec->ndkim++;
	return 0;
}

/* store_foreach - the records of [begin, end), by policy domain, time */
int
store_foreach(struct store *st, long long begin, long long end,
    int (*fn)(const struct store_record *, void *), void *arg)
{
	char err[STORE_MSG_MAX];
	struct store_val v[2] = {{NULL, begin}, {NULL, end}};
	struct fe_ctx c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.fn = fn;
	c.arg = arg;
	c.rec = store_xcalloc(1, sizeof(*c.rec));
	pthread_mutex_lock(&st->db_lock);
	if (db_ready(st) == -1)
		goto out;
	if (db_exec(st, st->sql_select, v, 2, fe_row, &c, NULL, err,
		sizeof(err)) == -1) {
		db_failed(st, "foreach", err);
		goto out;
	}
	if (c.ret == 0)
		(void)fe_emit(&c);
	rc = c.ret;
out:
	pthread_mutex_unlock(&st->db_lock);
	free(c.rec);
	return rc;
}

struct text_out {
	char *buf;
	size_t len;
	int found, toolong;
};

static int
row_text(void *arg, int ncol, const char *const *col)
{
	struct text_out *t = arg;

	t->found = 1;
	if (ncol < 1 || col[0] == NULL)
		return 1;
	if (t->buf != NULL && text_dec(col[0], t->buf, t->len) == -1)
		t->toolong = 1;
	return 1;
}

/* str_ok - a bounded, NUL-terminated argument */
static int
str_ok(const char *s, size_t max)
{
	return s != NULL && memchr(s, '\0', max + 1) != NULL;
}

/* day_ok - "YYYY-MM-DD" */
static int
day_ok(const char *d)
{
	static const char pat[] = "dddd-dd-dd";
	size_t i;

	for (i = 0; i < STORE_DAY_LEN; i++)
		if (pat[i] == 'd' ? d[i] < '0' || d[i] > '9' : d[i] != '-')
			return 0;
	return d[STORE_DAY_LEN] == '\0';
}

/* store_write - one parameterized statement in its own transaction */
static int
store_write(struct store *st, const char *what, const char *sql,
    const char *const *s, int ns, long long last)
{
	char err[STORE_MSG_MAX];
	struct store_val v[8];
	int i, rc = -1;

	pthread_mutex_lock(&st->db_lock);
	if (db_ready(st) == -1)
		goto out;
	st->encused = 0;
	for (i = 0; i < ns; i++) {
		v[i].i = 0;
		if ((v[i].s = text_enc(st, s[i])) == NULL) {
			store_log(st, LOG_ERR, "%s: value too long", what);
			goto out;
		}
	}
	v[ns].s = NULL;
	v[ns].i = last;
	if (db_exec(st, sql, v, last >= 0 ? ns + 1 : ns, NULL, NULL, NULL, err,
		sizeof(err)) == -1) {
		db_failed(st, what, err);
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&st->db_lock);
	return rc;
}

/* store_read - one parameterized lookup of one text value */
static int
store_read(struct store *st, const char *what, const char *sql,
    const char *const *s, int ns, char *out, size_t outlen)
{
	char err[STORE_MSG_MAX];
	struct store_val v[8];
	struct text_out t = {out, outlen, 0, 0};
	int i, rc = -1;

	pthread_mutex_lock(&st->db_lock);
	if (db_ready(st) == -1)
		goto out;
	st->encused = 0;
	for (i = 0; i < ns; i++) {
		v[i].i = 0;
		if ((v[i].s = text_enc(st, s[i])) == NULL)
			goto out;
	}
	if (db_exec(st, sql, v, ns, row_text, &t, NULL, err, sizeof(err)) ==
	    -1) {
		db_failed(st, what, err);
		goto out;
	}
	if (t.toolong) {
		store_log(st, LOG_ERR, "%s: stored value too long", what);
		goto out;
	}
	rc = t.found;
out:
	pthread_mutex_unlock(&st->db_lock);
	return rc;
}

#define SENT_ARGS_OK(d, day, rua)                                              \
	(str_ok(d, 253) && str_ok(day, STORE_DAY_LEN) && day_ok(day) &&        \
	    str_ok(rua, 1023))

/* store_sent_mark - the report for (domain, day, rua) went out */
int
store_sent_mark(struct store *st, const char *policy_domain, const char *day,
    const char *rua, const char *report_id)
{
	const char *s[4] = {policy_domain, day, rua, report_id};

	if (!SENT_ARGS_OK(policy_domain, day, rua) || !str_ok(report_id, 255)) {
		errno = EINVAL;
		return -1;
	}
	return store_write(st, "sent_mark", sql_sent_mark, s, 4,
	    (long long)time(NULL));
}

/* store_sent_check - 1 if that report went out, 0 if not, -1 */
int
store_sent_check(struct store *st, const char *policy_domain, const char *day,
    const char *rua, char *report_id_r, size_t idlen)
{
	const char *s[3] = {policy_domain, day, rua};

	if (!SENT_ARGS_OK(policy_domain, day, rua)) {
		errno = EINVAL;
		return -1;
	}
	if (report_id_r != NULL && idlen > 0)
		report_id_r[0] = '\0';
	return store_read(st, "sent_check", sql_sent_check, s, 3,
	    idlen > 0 ? report_id_r : NULL, idlen);
}

/* store_kv_set - name = value */
int
store_kv_set(struct store *st, const char *name, const char *value)
{
	const char *s[2] = {name, value};

	if (!str_ok(name, STORE_KV_MAX) || !str_ok(value, STORE_KV_MAX)) {
		errno = EINVAL;
		return -1;
	}
	return store_write(st, "kv_set", sql_kv_set, s, 2, -1);
}

/* store_kv_get - 1 and the value, 0 if unset, -1 */
int
store_kv_get(struct store *st, const char *name, char *value_r, size_t len)
{
	const char *s[1] = {name};

	if (!str_ok(name, STORE_KV_MAX) || value_r == NULL || len == 0) {
		errno = EINVAL;
		return -1;
	}
	value_r[0] = '\0';
	return store_read(st, "kv_get", sql_kv_get, s, 1, value_r, len);
}

/* store_stats - a snapshot of the counters */
void
store_stats(struct store *st, struct store_stats *stats_r)
{
	pthread_mutex_lock(&st->q_lock);
	*stats_r = st->stats;
	pthread_mutex_unlock(&st->q_lock);
}

/* store_schema_version - the version found or applied at connect */
int
store_schema_version(struct store *st)
{
	int v;

	pthread_mutex_lock(&st->db_lock);
	v = st->schema_version;
	pthread_mutex_unlock(&st->db_lock);
	return v;
}
