/*
 * test-ingest.c - received reports: decode (gzip, zip, mail), parse (both
 * schemas, hostile XML), store (dedup)
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "report/ingest.h"
#include "tests/t.h"

static const char rfc9990[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
    " <version>1.0</version>\n"
    " <report_metadata><org_name>Sample Reporter</org_name>\n"
    "  <email>Report_Sender@Example-Reporter.com</email>\n"
    "  <report_id>3v98abbp8ya9n3va8yr8oa3ya</report_id>\n"
    "  <date_range><begin>302832000</begin><end>302918399</end>"
    "</date_range></report_metadata>\n"
    " <policy_published><domain>Example.COM</domain><p>quarantine</p>"
    "<sp>none</sp><np>none</np></policy_published>\n"
    " <record><row><source_ip>192.0.2.123</source_ip><count>123</count>"
    "<policy_evaluated><disposition>pass</disposition><dkim>pass</dkim>"
    "<spf>fail</spf></policy_evaluated></row>"
    "<identifiers><envelope_from>example.com</envelope_from>"
    "<header_from>example.com</header_from></identifiers>"
    "<auth_results><dkim><domain>other.example</domain><result>fail"
    "</result><selector>x</selector></dkim><dkim><domain>example.com"
    "</domain><result>pass</result><selector>abc123</selector></dkim>"
    "<spf><domain>example.com</domain><result>fail</result></spf>"
    "</auth_results></record>\n"
    " <record><row><source_ip>2001:db8::1</source_ip><count>7</count>"
    "<policy_evaluated><disposition>reject</disposition><dkim>fail</dkim>"
    "<spf>fail</spf></policy_evaluated></row>"
    "<identifiers><header_from>example.com</header_from></identifiers>"
    "<auth_results><spf><domain>bad.example</domain><result>softfail"
    "</result></spf></auth_results></record>\n"
    "</feedback>\n";

static const char rfc7489[] =
    "<?xml version=\"1.0\"?><feedback><report_metadata>"
    "<org_name>old.example</org_name><email>a@old.example</email>"
    "<report_id>17</report_id><date_range><begin>1000</begin>"
    "<end>2000</end></date_range></report_metadata><policy_published>"
    "<domain>example.org</domain><adkim>r</adkim><aspf>r</aspf>"
    "<p>none</p><sp>none</sp><pct>100</pct></policy_published>"
    "<record><row><source_ip>198.51.100.9</source_ip><count>2</count>"
    "<policy_evaluated><disposition>none</disposition><dkim>fail</dkim>"
    "<spf>pass</spf></policy_evaluated></row><identifiers>"
    "<header_from>example.org</header_from></identifiers><auth_results>"
    "<spf><domain>example.org</domain><result>pass</result></spf>"
    "</auth_results></record></feedback>";

static void
test_parse_9990(void)
{
	struct ingest_report *rep = NULL;
	char err[256];

	t_begin("ingest_parse: RFC 9990 sample");
	T_ASSERT(ingest_parse((const unsigned char *)rfc9990,
		     sizeof(rfc9990) - 1, &rep, err, sizeof(err)) == 0);
	if (rep != NULL) {
		T_ASSERT(rep->version == 2);
		T_ASSERT_STREQ(rep->org_name, "Sample Reporter");
		T_ASSERT_STREQ(rep->report_id, "3v98abbp8ya9n3va8yr8oa3ya");
		T_ASSERT(rep->begin == 302832000 && rep->end == 302918399);
		T_ASSERT_STREQ(rep->domain, "example.com");
		T_ASSERT_STREQ(rep->p, "quarantine");
		T_ASSERT(rep->nrows == 2);
		T_ASSERT_STREQ(rep->rows[0].source_ip, "192.0.2.123");
		T_ASSERT(rep->rows[0].count == 123);
		T_ASSERT_STREQ(rep->rows[0].dkim_eval, "pass");
		T_ASSERT_STREQ(rep->rows[0].spf_eval, "fail");
		/* the passing signature wins over the first */
		T_ASSERT_STREQ(rep->rows[0].dkim_domain, "example.com");
		T_ASSERT_STREQ(rep->rows[0].dkim_selector, "abc123");
		T_ASSERT_STREQ(rep->rows[0].dkim_result, "pass");
		T_ASSERT_STREQ(rep->rows[1].source_ip, "2001:db8::1");
		T_ASSERT_STREQ(rep->rows[1].disposition, "reject");
		T_ASSERT_STREQ(rep->rows[1].spf_result, "softfail");
		T_ASSERT_STREQ(rep->rows[1].dkim_result, "");
	}
	ingest_report_free(&rep);
	T_ASSERT(rep == NULL);
	t_end();
}

static void
test_parse_7489(void)
{
	struct ingest_report *rep = NULL;
	char err[256];

	t_begin("ingest_parse: RFC 7489 (no namespace)");
	T_ASSERT(ingest_parse((const unsigned char *)rfc7489,
		     sizeof(rfc7489) - 1, &rep, err, sizeof(err)) == 0);
	if (rep != NULL) {
		T_ASSERT(rep->version == 1);
		T_ASSERT_STREQ(rep->email, "a@old.example");
		T_ASSERT_STREQ(rep->adkim, "r");
		T_ASSERT(rep->nrows == 1);
		T_ASSERT(rep->rows[0].count == 2);
		T_ASSERT_STREQ(rep->rows[0].spf_result, "pass");
	}
	ingest_report_free(&rep);
	t_end();
}

static const struct {
	const char *name, *xml, *want; /* want: a substring of err */
} bad[] = {
    {"billion laughs",
	"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
	"<feedback>&lol2;</feedback>",
	"DOCTYPE"},
    {"external entity",
	"<!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	"<feedback><report_metadata><org_name>&x;</org_name>"
	"</report_metadata></feedback>",
	"DOCTYPE"},
    {"undeclared entity",
	"<feedback><report_metadata><org_name>&x;"
	"</org_name></report_metadata></feedback>",
	"not well-formed"},
    {"wrong root", "<html></html>", "not <feedback>"},
    {"wrong namespace", "<feedback xmlns=\"urn:x\"/>", "namespace"},
    {"no report_id",
	"<feedback><report_metadata><org_name>o</org_name>"
	"</report_metadata></feedback>",
	"report_id"},
    {"not XML", "<feedback>", "not well-formed"},
    {"deep",
	"<feedback><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	"</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
	"</a></feedback>",
	"deeper"},
    {"bad source_ip",
	"<feedback><report_metadata><org_name>o</org_name><report_id>1"
	"</report_id><date_range><begin>1</begin><end>2</end>"
	"</date_range></report_metadata><policy_published><domain>d"
	"</domain></policy_published><record><row><source_ip>1.2.3"
	"</source_ip><count>1</count></row></record></feedback>",
	"not an address"},
    {"bad count",
	"<feedback><report_metadata><org_name>o</org_name><report_id>1"
	"</report_id><date_range><begin>1</begin><end>2</end>"
	"</date_range></report_metadata><policy_published><domain>d"
	"</domain></policy_published><record><row><source_ip>1.2.3.4"
	"</source_ip><count>-5</count></row></record></feedback>",
	"count"},
    {"end before begin",
	"<feedback><report_metadata><org_name>o</org_name><report_id>1"
	"</report_id><date_range><begin>9</begin><end>2</end>"
	"</date_range></report_metadata></feedback>",
	"date_range/end"},
};

static void
test_parse_bad(void)
{
	struct ingest_report *rep;
	char err[256];
	size_t i;

	t_begin("ingest_parse: hostile and broken XML refused");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rep = NULL;
		err[0] = '\0';
		T_ASSERT_IDX(ingest_parse((const unsigned char *)bad[i].xml,
				 strlen(bad[i].xml), &rep, err,
				 sizeof(err)) == -1,
		    i);
		T_ASSERT_IDX(rep == NULL, i);
		T_ASSERT_IDX(strstr(err, bad[i].want) != NULL, i);
		if (strstr(err, bad[i].want) == NULL)
			printf("  %s: err \"%s\"\n", bad[i].name, err);
		ingest_report_free(&rep);
	}
	/* a NUL byte inside */
	T_ASSERT(ingest_parse((const unsigned char *)"<feedback>\0</feedback>",
		     22, &rep, err, sizeof(err)) == -1);
	t_end();
}

/* gz - compress with zlib: wbits 31 gzip, -15 raw deflate */
static unsigned char *
gz(const void *in, size_t len, int wbits, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	size_t cap = compressBound((uLong)len) + 64;

	memset(&zs, 0, sizeof(zs));
	if ((out = malloc(cap)) == NULL ||
	    deflateInit2(&zs, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY) !=
		Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static void
test_decode_gzip(void)
{
	unsigned char *z, *out = NULL, *big;
	size_t zl = 0, ol = 0, bl = 60UL * 1024 * 1024;
	char err[256];

	t_begin("ingest_decode: gzip, gzip bomb, truncated");
	z = gz(rfc9990, sizeof(rfc9990) - 1, 31, &zl);
	T_ASSERT(z != NULL);
	if (z != NULL) {
		T_ASSERT(
		    ingest_decode(z, zl, &out, &ol, err, sizeof(err)) == 0);
		T_ASSERT(ol == sizeof(rfc9990) - 1);
		T_ASSERT(out != NULL && memcmp(out, rfc9990, ol) == 0);
		free(out);
		out = NULL;
		T_ASSERT(ingest_decode(z, zl / 2, &out, &ol, err,
			     sizeof(err)) == -1);
		T_ASSERT(strstr(err, "truncated") != NULL);
		free(z);
	}
	/* 60 MB of '<' compresses to ~60 KB: past both caps */
	if ((big = malloc(bl)) != NULL) {
		memset(big, '<', bl);
		z = gz(big, bl, 31, &zl);
		free(big);
		T_ASSERT(z != NULL && zl < 100 * 1024);
		if (z != NULL) {
			T_ASSERT(ingest_decode(z, zl, &out, &ol, err,
				     sizeof(err)) == -1);
			T_ASSERT(strstr(err, "(cap)") != NULL);
			T_ASSERT(out == NULL);
			free(z);
		}
	}
	t_end();
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, unsigned long v)
{
	put16(p, (unsigned)(v & 0xffff));
	put16(p + 2, (unsigned)(v >> 16));
}

static void
test_decode_zip(void)
{
	static const char name[] = "example.com!sample!1!2.xml";
	unsigned char *d, *zip, *out = NULL;
	size_t dl = 0, ol = 0, nl = sizeof(name) - 1, zl;
	char err[256];

	t_begin("ingest_decode: zip (deflate), damaged CRC");
	d = gz(rfc7489, sizeof(rfc7489) - 1, -15, &dl);
	T_ASSERT(d != NULL);
	if (d == NULL) {
		t_end();
		return;
	}
	zl = 30 + nl + dl;
	zip = calloc(1, zl);
	T_ASSERT(zip != NULL);
	if (zip != NULL) {
		put32(zip, 0x04034b50UL);
		put16(zip + 4, 20);
		put16(zip + 8, 8);
		put32(zip + 14,
		    crc32(0L, (const unsigned char *)rfc7489,
			sizeof(rfc7489) - 1));
		put32(zip + 18, dl);
		put32(zip + 22, sizeof(rfc7489) - 1);
		put16(zip + 26, (unsigned)nl);
		memcpy(zip + 30, name, nl);
		memcpy(zip + 30 + nl, d, dl);
		T_ASSERT(
		    ingest_decode(zip, zl, &out, &ol, err, sizeof(err)) == 0);
		T_ASSERT(ol == sizeof(rfc7489) - 1 && out != NULL &&
		    memcmp(out, rfc7489, ol) == 0);
		free(out);
		out = NULL;
		zip[14] ^= 1;
		T_ASSERT(
		    ingest_decode(zip, zl, &out, &ol, err, sizeof(err)) == -1);
		T_ASSERT(strstr(err, "CRC") != NULL);
		free(zip);
	}
	free(d);
	t_end();
}

static void
test_decode_mail(void)
{
	static const char hdr[] =
	    "From: noreply-dmarc@reporter.example\r\n"
	    "Subject: Report domain: example.com\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
	    "--BB\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
	    "--BB\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Type: application/gzip;\r\n name=\"r.xml.gz\"\r\n\r\n";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	unsigned char *z, *out = NULL;
	char *msg, err[256];
	size_t zl = 0, ol = 0, i, n = 0, cap;

	t_begin("ingest_decode: mail with a base64 gzip part; no report");
	z = gz(rfc9990, sizeof(rfc9990) - 1, 31, &zl);
	T_ASSERT(z != NULL);
	if (z == NULL) {
		t_end();
		return;
	}
	cap = sizeof(hdr) + zl * 2 + 64;
	msg = malloc(cap);
	T_ASSERT(msg != NULL);
	if (msg != NULL) {
		memcpy(msg, hdr, sizeof(hdr) - 1);
		n = sizeof(hdr) - 1;
		for (i = 0; i < zl; i += 3) {
			unsigned long v = (unsigned long)z[i] << 16 |
			    (i + 1 < zl ? (unsigned long)z[i + 1] << 8 : 0) |
			    (i + 2 < zl ? z[i + 2] : 0);

			msg[n++] = b64[v >> 18 & 63];
			msg[n++] = b64[v >> 12 & 63];
			msg[n++] = i + 1 < zl ? b64[v >> 6 & 63] : '=';
			msg[n++] = i + 2 < zl ? b64[v & 63] : '=';
			if (i % 57 == 54) {
				msg[n++] = '\r';
				msg[n++] = '\n';
			}
		}
		memcpy(msg + n, "\r\n--BB--\r\n", 10);
		n += 10;
		T_ASSERT(ingest_decode((unsigned char *)msg, n, &out, &ol, err,
			     sizeof(err)) == 0);
		T_ASSERT(ol == sizeof(rfc9990) - 1 && out != NULL &&
		    memcmp(out, rfc9990, ol) == 0);
		free(out);
		out = NULL;
		/* only the text part: no report */
		T_ASSERT(ingest_decode((unsigned char *)msg, 170, &out, &ol,
			     err, sizeof(err)) == -1);
		T_ASSERT(strstr(err, "without a report") != NULL);
		free(msg);
	}
	free(z);
	t_end();
}

struct count {
	long long rows, msgs;
};

static int
count_fn(const struct ingest_report *rep, const struct ingest_row *row,
    void *arg)
{
	struct count *c = arg;

	(void)rep;
	c->rows++;
	c->msgs += row->count;
	return 0;
}

/* stop_fn - stops the walk at the first row */
static int
stop_fn(const struct ingest_report *rep, const struct ingest_row *row,
    void *arg)
{
	(void)count_fn(rep, row, arg);
	return 7;
}

/* db_check - store, dedup and foreach on an empty store */
static void
db_check(const char *uri)
{
	struct ingest_db *db = NULL;
	struct ingest_report *a = NULL, *b = NULL, *c2 = NULL;
	struct count c = {0, 0};
	char err[256];

	T_ASSERT(ingest_db_open(uri, &db, err, sizeof(err)) == 0);
	T_ASSERT(ingest_parse((const unsigned char *)rfc9990,
		     sizeof(rfc9990) - 1, &a, err, sizeof(err)) == 0);
	T_ASSERT(ingest_parse((const unsigned char *)rfc7489,
		     sizeof(rfc7489) - 1, &b, err, sizeof(err)) == 0);
	T_ASSERT(ingest_parse((const unsigned char *)rfc9990,
		     sizeof(rfc9990) - 1, &c2, err, sizeof(err)) == 0);
	if (db != NULL && a != NULL && b != NULL && c2 != NULL) {
		T_ASSERT(ingest_db_put(db, a) == 0);
		T_ASSERT(ingest_db_put(db, a) == 1);
		T_ASSERT(ingest_db_put(db, b) == 0);
		/* the reporter is the email, case-folded */
		(void)strlcpy(c2->email, "report_sender@example-reporter.COM",
		    sizeof(c2->email));
		T_ASSERT(ingest_db_put(db, c2) == 1);
		/* another reporter may use the same report id */
		(void)strlcpy(c2->email, "other@example.net",
		    sizeof(c2->email));
		c2->rows[0].count = INGEST_COUNT_MAX;
		T_ASSERT(ingest_db_put(db, c2) == 0);
		T_ASSERT(ingest_db_foreach(db, NULL, 0, count_fn, &c) == 0);
		T_ASSERT(c.rows == 5 && c.msgs == 132 + 7 + INGEST_COUNT_MAX);
		c.rows = c.msgs = 0;
		T_ASSERT(
		    ingest_db_foreach(db, "example.org", 0, count_fn, &c) == 0);
		T_ASSERT(c.rows == 1 && c.msgs == 2);
		c.rows = c.msgs = 0;
		T_ASSERT(ingest_db_foreach(db, NULL, 5000, count_fn, &c) == 0);
		T_ASSERT(c.rows == 4 && c.msgs == 130 + 7 + INGEST_COUNT_MAX);
		c.rows = c.msgs = 0;
		T_ASSERT(ingest_db_foreach(db, NULL, 0, stop_fn, &c) == 7);
		T_ASSERT(c.rows == 1);
	}
	ingest_db_close(&db);
	T_ASSERT(db == NULL);
	ingest_report_free(&a);
	ingest_report_free(&b);
	ingest_report_free(&c2);
}

static void
test_db(void)
{
	struct ingest_db *db = NULL;
	char dir[] = "/tmp/test-ingest.XXXXXX", uri[128], path[96], err[256];

	t_begin("ingest_db: SQLite store, dedup, foreach; bad URIs");
	T_ASSERT(mkdtemp(dir) != NULL);
	(void)snprintf(path, sizeof(path), "%s/h.db", dir);
	(void)snprintf(uri, sizeof(uri), "sqlite:%s", path);
	T_ASSERT(ingest_db_open("mysql:x", &db, err, sizeof(err)) == -1);
	T_ASSERT(strstr(err, "not sqlite:PATH or postgresql://") != NULL);
	T_ASSERT(ingest_db_open("sqlite:", &db, err, sizeof(err)) == -1);
	T_ASSERT(db == NULL);
	/* no server behind that socket directory: an error, at once */
	(void)snprintf(uri, sizeof(uri), "postgresql:///x?host=%s", dir);
	T_ASSERT(ingest_db_open(uri, &db, err, sizeof(err)) == -1);
	T_ASSERT(strncmp(err, "postgresql: ", 12) == 0);
	T_ASSERT(db == NULL);
	(void)snprintf(uri, sizeof(uri), "sqlite:%s", path);
	db_check(uri);
	(void)unlink(path);
	(void)rmdir(dir);
	t_end();
}

/* test_db_pg - the same on PostgreSQL (run-ingest-pg.sh sets the URI) */
static void
test_db_pg(void)
{
	t_begin("ingest_db: PostgreSQL store, dedup, foreach");
	db_check(getenv("INGEST_TEST_PG_URI"));
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_parse_9990, test_parse_7489,
	    test_parse_bad, test_decode_gzip, test_decode_zip, test_decode_mail,
	    test_db, NULL};
	static void (*const tests_pg[])(void) = {test_db_pg, NULL};

	/* with a PostgreSQL server (run-ingest-pg.sh): the store tests only */
	if (getenv("INGEST_TEST_PG_URI") != NULL)
		return t_run(tests_pg);
	return t_run(tests);
}
