/*
 * ingest.h - read the DMARC aggregate reports a domain owner receives
 * (RFC 7489 appendix C, RFC 9990) and keep them in their own tables
 *
 * ingest_decode(in, len, out_r, outlen_r, err, errlen): in is hostile
 *   and not NUL-terminated: a report as it arrives in a rua mailbox (XML,
 *   gzip, zip, or a whole mail message carrying one of those).  On 0,
 *   *out_r is the XML (malloc'ed, NUL-terminated, *outlen_r bytes without
 *   the NUL; the caller frees it).  -1 with a reason in err: not a
 *   report, damaged, or past a cap (INGEST_XML_MAX bytes decompressed,
 *   INGEST_RATIO_MAX times the compressed size: gzip and zip bombs).
 *
 * ingest_parse(xml, len, rep_r, err, errlen): parses one <feedback>
 *   document with libxml2, never loading a DTD or an external entity:
 *   a document with a DOCTYPE is refused before it is parsed.  0 and
 *   *rep_r filled (free it with ingest_report_free); -1 with err.
 *   Both namespaces are accepted: none (RFC 7489) and
 *   urn:ietf:params:xml:ns:dmarc-2.0 (RFC 9990).
 *
 * ingest_db_open(uri, db_r, err, errlen): the HistoryDB URI, as the
 *   outcome store reads it (store.h): "sqlite:PATH", or
 *   "postgresql://..." / "postgres://..." for libpq (connect_timeout 5
 *   unless the URI sets one).  Creates the tables ingest_reports and
 *   ingest_rows when missing (the same columns on both backends).
 * ingest_db_put(db, rep): 0 stored, 1 already there (same reporter and
 *   report_id: nothing written), -1 error.  The reporter is the report's
 *   email in lower case, else its org_name.  One transaction per report;
 *   a UNIQUE (reporter, report_id) constraint keeps a report stored once
 *   even when two runs store it at the same time.
 * ingest_db_foreach(db, domain, since, fn, arg): calls fn for every row
 *   of every report whose policy domain is domain (NULL: any) and whose
 *   date range begins at or after since, ordered by begin; the rows of
 *   one report come together, in no set order.  fn's non-zero value
 *   stops the walk and is returned; else 0, or -1 on error.
 * ingest_db_error(db): why the last call on db failed (never NULL).
 * ingest_db_close(&db): accepts NULL and clears the pointer.
 *
 * Not thread-safe per db handle; the parse and decode functions are.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>

/* decompressed XML: the largest real reports are a few MB */
#define INGEST_XML_MAX	   (50UL * 1024 * 1024)
/* a file read whole: base64 in a mail message adds a third */
#define INGEST_FILE_MAX	   (70UL * 1024 * 1024)
/* XML compresses ~20-50:1; far more is a bomb (above INGEST_RATIO_FLOOR) */
#define INGEST_RATIO_MAX   200
#define INGEST_RATIO_FLOOR (1UL * 1024 * 1024)
/* a report is 5 levels deep; anything deeper is not a report */
#define INGEST_DEPTH_MAX   16
/* <record> elements per report: bounds memory (~1.5 KB each) */
#define INGEST_ROWS_MAX	   50000
/* one record's count at most (RFC 9990: an unsigned 32-bit int) */
#define INGEST_COUNT_MAX   4294967295LL

struct ingest_row {
	char source_ip[46];
	long long count;
	char disposition[16];
	char dkim_eval[12], spf_eval[12]; /* policy_evaluated: pass fail */
	char header_from[254];
	char envelope_from[254];
	char dkim_domain[254]; /* a passing signature's, else the first */
	char dkim_selector[65];
	char dkim_result[16];
	char spf_domain[254];
	char spf_result[16];
};

struct ingest_report {
	int version; /* 1: RFC 7489 (no namespace), 2: RFC 9990 */
	char org_name[256];
	char email[256];
	char report_id[256];
	long long begin, end;
	char domain[254]; /* policy_published */
	char p[16], sp[16], np[16];
	char adkim[4], aspf[4];
	size_t nrows;
	struct ingest_row *rows;
};

struct ingest_db;

int ingest_decode(const unsigned char *in, size_t len, unsigned char **out_r,
    size_t *outlen_r, char *err, size_t errlen);
int ingest_parse(const unsigned char *xml, size_t len,
    struct ingest_report **rep_r, char *err, size_t errlen);
void ingest_report_free(struct ingest_report **rep);

int ingest_db_open(const char *uri, struct ingest_db **db_r, char *err,
    size_t errlen);
int ingest_db_put(struct ingest_db *db, const struct ingest_report *rep);
int ingest_db_foreach(struct ingest_db *db, const char *domain, long long since,
    int (*fn)(const struct ingest_report *, const struct ingest_row *, void *),
    void *arg);
void ingest_db_close(struct ingest_db **db);
const char *ingest_db_error(const struct ingest_db *db);

#endif
