/*
 * send.h - mail one aggregate report through the local sendmail binary
 * (RFC 9990 2.5 "Email", RFC 5322, RFC 2045-2046, RFC 6713)
 *
 * send_build(r, to, nto, &msg, &len, &errstr): the whole message, LF line
 * ends (sendmail's local convention), in a buffer to free():
 *
 *	From: "ORG" <FROM>            (the name only when printable ASCII
 *	                               and at most SEND_NAME_MAX bytes)
 *	To: ADDR1,\n ADDR2 ...
 *	Date: RFC 5322 3.3, in UTC, of r->date
 *	Message-ID: <ID@SUBMITTER>
 *	Subject: Report Domain: D Submitter: S Report-ID: <ID>
 *	                              (RFC 9990 2.5 dmarc-subject; folded
 *	                               before "Submitter:" and "Report-ID:"
 *	                               when longer than 78 characters)
 *	MIME-Version: 1.0
 *	Content-Type: multipart/mixed; boundary="=_dmarc_ID"
 *	Auto-Submitted: auto-generated (RFC 3834 5)
 *
 * with a short text/plain part and the report as an application/gzip
 * attachment (base64, 76-character lines, RFC 2045 6.8) named
 * r->filename.  The boundary begins with "=_", which base64 and our text
 * never contain.  Every input is checked first: from and each address as
 * rua_addr_check() takes them, submitter and policy domain as normalized
 * domain names, the ID as 1*(ALPHA / DIGIT), the file name as domain
 * characters plus '!'; anything else is refused (-1, *errstr_r static)
 * before a byte is written, so no header can be injected.
 *
 * send_sendmail(path, from, to, nto, msg, len, err, errlen): runs
 *	path -i -f FROM -- ADDR1 ADDR2 ...
 * with fork() and execv() (never a shell), writes msg on its standard
 * input and waits for it.  path must be absolute; from and every address
 * are checked again with rua_addr_check() (none can begin with '-'), and
 * "--" ends the options anyway.  Other descriptors are closed in the
 * child, its signal mask is cleared.  SIGPIPE is blocked in the calling
 * thread while writing (a sendmail that exits early gives an error, not
 * a dead process).  Returns 0 when sendmail exited 0, else -1 with err
 * set ("PATH: exit status 75", "PATH: cannot execute", ...).
 */
#ifndef SEND_H
#define SEND_H

#include <stddef.h>

#define SEND_TO_MAX   16  /* addresses per message: RUA_DEST_MAX */
#define SEND_NAME_MAX 128 /* display name in From: */
#define SEND_B64_LINE 76  /* RFC 2045 6.8 */
#define SEND_GZ_MAX   ((size_t)64 << 20) /* attachment; reports are capped */

struct send_report {
	const char *from;      /* ReportEmail */
	const char *org_name;  /* ReportOrgName, or NULL */
	const char *submitter; /* ReportDomain */
	const char *policy_domain;
	const char *report_id;
	const char *filename; /* RFC 9990 2.5 file name */
	long long begin, end; /* the report's date range */
	const unsigned char *gz;
	size_t gzlen;
	long long date; /* Date:, seconds since the epoch */
};

int send_build(const struct send_report *r, const char *const *to, size_t nto,
    char **msg_r, size_t *len_r, const char **errstr_r);
int send_sendmail(const char *path, const char *from, const char *const *to,
    size_t nto, const char *msg, size_t len, char *err, size_t errlen);

#endif
