/*
 * store.h - the outcome store: one row set per evaluated message, with
 * everything an RFC 9990 aggregate report needs
 *
 * One API, one schema, two backends chosen by the URI (HistoryDB):
 *   "sqlite:/var/lib/dmarc-milter/history.db"   embedded, the default
 *   "postgresql://user@host:port/db?..."        (or "postgres://") libpq,
 *                                               for several MX hosts
 * The same SQL runs on both (parameters are always bound, never pasted
 * into the text).  The schema is versioned: store_open() applies the
 * missing migrations, each in its own transaction, and refuses a
 * database whose schema is newer than this program.
 *
 *	struct store_opts o = { .spool_dir = "/var/spool/dmarc-milter",
 *	    .writer = 1 };
 *	store_open("sqlite:/var/lib/dmarc-milter/history.db", &o, &st,
 *	    err, sizeof(err));
 *	store_put(st, &rec);		  at end of message, any thread
 *	store_close(&st);		  drains the queue
 *
 * store_put(st, rec) - rec is copied.  An empty rec->id is replaced by
 *   128 random bits in hex and a zero rec->received by the current time;
 *   a caller that sets the id makes replays idempotent (a second record
 *   with the same id is ignored).  Returns 0 only once the record is
 *   durable, in the database or in the journal (a kill -9 a moment later
 *   does not lose it); -1 with errno:
 *     EINVAL     rec is malformed (a string not NUL-terminated in its
 *                array, ndkim > STORE_DKIM_MAX, adkim/aspf not 'r', 's'
 *                or 0, a bad id): a bug of the caller
 *     ENOSPC     the database failed and the journal is full (spool_max)
 *                or cannot be written, or there is no spool_dir
 *     ETIMEDOUT  not known durable within put_timeout_ms (queue full, or
 *                the database hung); the record, if queued, is still
 *                written later
 *     ESHUTDOWN  the store is being closed
 *   With the writer thread (opts.writer), callers only queue the record
 *   and wait on a condition variable: one thread commits every record
 *   queued while its previous commit was in flight in one transaction
 *   (group commit; SQLite WAL with synchronous=FULL, or one PostgreSQL
 *   transaction).  A full queue makes callers wait (back pressure); the
 *   wait is bounded by put_timeout_ms.  Without the writer thread (dmarcctl)
 *   store_put commits inline, one transaction per record.
 *
 * Journal (opts.spool_dir/store.journal): when the database cannot be
 *   reached or a commit fails, the batch is appended to the journal with
 *   write() + fdatasync() and acknowledged.  At store_open, at store_flush
 *   and every retry_ms (doubled after each failed retry, up to a minute)
 *   the writer reconnects and replays the journal into the database
 *   (INSERT ... ON CONFLICT DO NOTHING: idempotent), then truncates it.
 *   A reconnect blocks the writer for up to PostgreSQL's connect_timeout
 *   (5 s unless the URI says otherwise); callers queued meanwhile wait.
 *   Frames are "DMJ1", length, CRC-32C, payload: a torn tail (a crash
 *   during an append) or a damaged frame is skipped with a warning.  The
 *   journal is flock()ed while it is appended or replayed, so dmarcctl may
 *   replay a running daemon's journal.
 *   What bounds the spool: the size of the journal file, spool_max bytes
 *   (default STORE_SPOOL_DEFAULT, 256 MiB: a few hundred thousand messages
 *   at about 600 bytes a frame); a record that would take it past
 *   spool_max is refused (ENOSPC), as is one the disk cannot take.  While
 *   the journal holds records, new ones go to the journal too, until a
 *   retry has replayed it.
 *
 * store_flush(st) - wait until every record queued before the call is
 *   durable, then try once to replay the journal.  0: everything is in the
 *   database; 1: records remain in the journal (database unreachable);
 *   -1: timeout (put_timeout_ms) or error.
 * store_close(&st) - drains the queue (to the database or the journal),
 *   stops the writer, frees; accepts NULL and clears the pointer.  0, or
 *   1 when records are left in the journal for the next store_open().
 * store_expire(st, days, now, &deleted) - deletes the messages received
 *   before now - days * 86400 (and their DKIM rows and sent-log entries
 *   older than that).  0 or -1.
 * store_foreach(st, begin, end, fn, arg) - calls fn for every record with
 *   begin <= received < end, ordered by policy_domain, received and id
 *   (bytewise as stored: see Text below), so a domain's records come
 *   together.  fn returns 0 to go on; its non-zero value stops the walk and
 *   is returned.  Else 0, or -1 on a database error.  fn must not call the
 *   store (the connection is held), and records still queued are not seen.
 * store_sent_mark(st, domain, day, rua, report_id) - the aggregate report
 *   for (domain, day "YYYY-MM-DD", rua) was sent; a second mark replaces
 *   report_id.  0 or -1.
 * store_sent_check(st, domain, day, rua, id_r, idlen) - 1 if it was sent
 *   (with its report id copied to id_r when id_r is not NULL), 0 if not,
 *   -1 on error.
 * store_kv_set / store_kv_get - a small key/value table (names and values
 *   are strings).  get: 1 found, 0 not found, -1 error (or value too long).
 *
 * Text: every string is stored byte for byte as given (8-bit and all,
 * NUL excepted).  A string that is not valid UTF-8 is stored with each
 * offending byte, and every 0x7f byte, written as 0x7f and two hex digits,
 * so that PostgreSQL accepts it (its database must be UTF8 or SQL_ASCII)
 * and store_foreach() gives the original bytes back.
 *
 * Errors of store_open() are written to err; later errors and warnings
 * go to opts.log (syslog priorities; default: stderr).
 *
 * Thread safety: every function may be called from any thread.  One mutex
 * guards the queue, another the database connection and the journal (the
 * writer holds it during a commit; readers wait).  Call store_open() after
 * dropping privileges: it creates the SQLite file (0640), its directory
 * (0750) and the spool directory (0750) when they are missing.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#define STORE_ID_LEN	     32 /* 128 random bits in hex */
#define STORE_DKIM_MAX	     16 /* DKIM results kept per message */
#define STORE_SCHEMA_VERSION 1	/* the newest migration this code has */
#define STORE_SPOOL_DEFAULT  (256ULL * 1024 * 1024) /* journal bytes */
#define STORE_QUEUE_DEFAULT  512   /* records waiting (~10 KB each) */
#define STORE_BATCH_DEFAULT  512   /* records per transaction at most */
#define STORE_PUT_TIMEOUT    20000 /* ms; above PostgreSQL's own timeouts */
#define STORE_RETRY_DEFAULT  5000  /* ms between database retries */
#define STORE_BUSY_DEFAULT   1000  /* ms an SQLite lock is waited for */
#define STORE_DAY_LEN	     10	   /* "YYYY-MM-DD" */
#define STORE_KV_MAX	     1024  /* bytes of a kv name or value */

struct store_dkim {
	char domain[254]; /* d= */
	char selector[65];
	char result[12]; /* RFC 8601 2.7.1: pass fail none policy ... */
};

struct store_record {
	char id[STORE_ID_LEN + 1]; /* [0-9A-Za-z_-]; "" = random */
	long long received;	   /* unix time, UTC; 0 = now */
	char queue_id[33];
	char source_ip[46];
	char env_from_domain[254];
	char env_to_domain[254];
	char header_from[254];
	char policy_domain[254];
	int has_policy;		    /* a usable record applied */
	char p[12], sp[12], np[12]; /* as published, "" when absent */
	char adkim, aspf;	    /* 'r' or 's' (0 when no policy) */
	int testing;		    /* t=y */
	char fo[16];
	char discovery[12];	       /* "treewalk" or "psl" */
	char rua[1024], ruf[1024];     /* comma-separated URIs as published */
	char dmarc_result[12];	       /* pass fail none temperror permerror */
	int spf_aligned, dkim_aligned; /* policy_evaluated pass when 1 */
	char disposition[12];	       /* none quarantine reject tempfail */
	char reasons[128];	       /* RFC 9990 override types, "a,b" */
	char reason_comment[256];
	char spf_domain[254];
	char spf_scope[8];   /* "mfrom" or "helo" */
	char spf_result[12]; /* RFC 8601 2.7.2 */
	size_t ndkim;
	struct store_dkim dkim[STORE_DKIM_MAX];
};

struct store_opts {
	const char *spool_dir;	      /* journal directory; NULL: none */
	unsigned long long spool_max; /* journal bytes; 0: default */
	unsigned queue_max;	      /* records queued; 0: default */
	unsigned batch_max;	      /* records per transaction; 0: default */
	unsigned batch_delay_ms;      /* wait for more before a commit: 0 */
	unsigned put_timeout_ms;      /* one store_put wait; 0: default */
	unsigned retry_ms;	      /* database retry interval; 0: default */
	unsigned busy_timeout_ms;     /* SQLite lock wait; 0: default */
	int writer;		      /* start the writer thread (daemon) */
	void (*log)(void *arg, int prio, const char *msg); /* NULL: stderr */
	void *log_arg;
};

struct store_stats {
	unsigned long long puts;	  /* store_put returned 0 */
	unsigned long long put_errors;	  /* store_put returned -1 */
	unsigned long long commits;	  /* transactions of new records */
	unsigned long long committed;	  /* records in those */
	unsigned long long journaled;	  /* records appended to the journal */
	unsigned long long drained;	  /* journal records replayed */
	unsigned long long torn;	  /* journal bytes skipped as damaged */
	unsigned long long replayed;	  /* intent log records of a past run */
	unsigned long long lost;	  /* acknowledged, then refused by
					     database and journal alike */
	unsigned long long journal_bytes; /* the journal's size now */
	int db_up;			  /* the database is connected */
};

struct store;

int store_open(const char *uri, const struct store_opts *opts,
    struct store **st_r, char *err, size_t errlen);
int store_put(struct store *st, const struct store_record *rec);
int store_flush(struct store *st);
int store_close(struct store **st);
int store_expire(struct store *st, int days, long long now,
    unsigned long long *deleted_r);
int store_foreach(struct store *st, long long begin, long long end,
    int (*fn)(const struct store_record *, void *), void *arg);
int store_sent_mark(struct store *st, const char *policy_domain,
    const char *day, const char *rua, const char *report_id);
int store_sent_check(struct store *st, const char *policy_domain,
    const char *day, const char *rua, char *report_id_r, size_t idlen);
int store_kv_set(struct store *st, const char *name, const char *value);
int store_kv_get(struct store *st, const char *name, char *value_r, size_t len);

void store_stats(struct store *st, struct store_stats *stats_r);
int store_schema_version(struct store *st); /* -1 if unknown */
void store_id_new(char id_r[STORE_ID_LEN + 1]);

#endif
