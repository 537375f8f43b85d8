/*
 * send.c - mail one aggregate report through the local sendmail binary
 *
 * The message is built in memory from checked parts only, then handed to
 * sendmail with execv(): addresses travel as separate argv words after
 * "--", never through a shell.
 *
 * UNSAFE: write_all() advances a pointer through the message by what
 * write() took.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/domain.h"
#include "policy/sbuf.h"
#include "report/rua.h"
#include "report/send.h"

#define SEND_HEAD_MAX 16384 /* header and text part, without the To: list */
#define SEND_ID_MAX   64    /* of a Report-ID */
#define SEND_FDS_MAX  65536 /* descriptors closed by hand without close_range */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* is_domain - a valid, already normalized domain name */
static int
is_domain(const char *d)
{
	char buf[DOMAIN_MAX + 1];
	const char *e;

	if (d == NULL ||
	    domain_normalize(d, strlen(d), buf, sizeof(buf), &e) == -1)
		return 0;
	return strcmp(buf, d) == 0;
}

/* is_id - RFC 9990 2.5 unique-id: 1*(ALPHA / DIGIT) */
static int
is_id(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > SEND_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* is_filename - RFC 9990 2.5 file name characters, no path */
static int
is_filename(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 600 || s[0] == '.' ||
	    s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '-' ||
			c == '_' || c == '!'))
			return 0;
	}
	return 1;
}

/* display_name_ok - printable ASCII, short: sent as a quoted-string */
static int
display_name_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > SEND_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* date_hdr - RFC 5322 3.3 date-time in UTC, without the locale */
static void
date_hdr(long long t, char *buf, size_t bufsize)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	snprintf(buf, bufsize, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* add_base64 - RFC 4648 4 base64 in lines of SEND_B64_LINE (RFC 2045 6.8) */
static void
add_base64(struct sbuf *sb, const unsigned char *p, size_t n)
{
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		sbuf_add(sb, q, 4);
		if ((col += 4) == SEND_B64_LINE) {
			sbuf_addc(sb, '\n');
			col = 0;
		}
	}
	if (col != 0)
		sbuf_addc(sb, '\n');
}

/* send_build - the RFC 5322 MIME message of one report */
int
send_build(const struct send_report *r, const char *const *to, size_t nto,
    char **msg_r, size_t *len_r, const char **errstr_r)
{
	char from[RUA_ADDR_MAX + 1], addr[RUA_ADDR_MAX + 1], date[64];
	char subject[2 * DOMAIN_MAX + SEND_ID_MAX + 64], begin[32], end[32];
	struct sbuf sb;
	size_t i, cap, b64len;
	char *buf;

	*msg_r = NULL;
	if (r->from == NULL ||
	    rua_addr_check(r->from, strlen(r->from), from, sizeof(from),
		errstr_r) == -1) {
		*errstr_r = "bad report sender address";
		return -1;
	}
	if (!is_domain(r->submitter) || !is_domain(r->policy_domain)) {
		*errstr_r = "bad submitter or policy domain";
		return -1;
	}
	if (!is_id(r->report_id) || !is_filename(r->filename)) {
		*errstr_r = "bad report ID or file name";
		return -1;
	}
	if (nto == 0 || nto > SEND_TO_MAX) {
		*errstr_r = "no or too many recipients";
		return -1;
	}
	for (i = 0; i < nto; i++) {
		if (to[i] == NULL ||
		    rua_addr_check(to[i], strlen(to[i]), addr, sizeof(addr),
			errstr_r) == -1)
			return -1;
	}
	if (r->gzlen > SEND_GZ_MAX) {
		*errstr_r = "report too large to mail";
		return -1;
	}
	b64len = (r->gzlen + 2) / 3 * 4;
	cap = SEND_HEAD_MAX + nto * (RUA_ADDR_MAX + 4) + b64len +
	    b64len / SEND_B64_LINE + 2;
	if ((buf = malloc(cap)) == NULL) {
		*errstr_r = "out of memory";
		return -1;
	}
	sbuf_init(&sb, buf, cap);

	if (display_name_ok(r->org_name)) {
		sbuf_adds(&sb, "From: \"");
		for (i = 0; r->org_name[i] != '\0'; i++) {
			/* RFC 5322 3.2.4 quoted-pair */
			if (r->org_name[i] == '"' || r->org_name[i] == '\\')
				sbuf_addc(&sb, '\\');
			sbuf_addc(&sb, r->org_name[i]);
		}
		sbuf_addf(&sb, "\" <%s>\n", from);
	} else
		sbuf_addf(&sb, "From: <%s>\n", from);
	sbuf_adds(&sb, "To: ");
	for (i = 0; i < nto; i++)
		sbuf_addf(&sb, "%s%s", i > 0 ? ",\n " : "", to[i]);
	sbuf_addc(&sb, '\n');
	date_hdr(r->date, date, sizeof(date));
	sbuf_addf(&sb, "Date: %s\n", date);
	/* RFC 9990 2.5: the Report-ID may be reused in the Message-ID */
	sbuf_addf(&sb, "Message-ID: <%s@%s>\n", r->report_id, r->submitter);
	/* RFC 9990 2.5 dmarc-subject */
	snprintf(subject, sizeof(subject),
	    "Report Domain: %s Submitter: %s Report-ID: <%s>", r->policy_domain,
	    r->submitter, r->report_id);
	if (strlen("Subject: ") + strlen(subject) <= 78)
		sbuf_addf(&sb, "Subject: %s\n", subject);
	else
		sbuf_addf(&sb,
		    "Subject: Report Domain: %s\n Submitter: %s\n"
		    " Report-ID: <%s>\n",
		    r->policy_domain, r->submitter, r->report_id);
	sbuf_adds(&sb, "MIME-Version: 1.0\n");
	sbuf_addf(&sb,
	    "Content-Type: multipart/mixed;\n boundary=\"=_dmarc_%s\"\n",
	    r->report_id);
	sbuf_adds(&sb, "Auto-Submitted: auto-generated\n");
	sbuf_adds(&sb, "\nThis is a MIME-formatted message.\n\n");

	snprintf(begin, sizeof(begin), "%lld", r->begin);
	snprintf(end, sizeof(end), "%lld", r->end);
	sbuf_addf(&sb, "--=_dmarc_%s\n", r->report_id);
	sbuf_adds(&sb,
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n\n");
	sbuf_addf(&sb,
	    "This is a DMARC aggregate report (RFC 9990) for the domain\n"
	    "%s, from %s.\n\n"
	    "Report-ID: %s\n"
	    "Period:    %s to %s (seconds since the epoch, UTC)\n"
	    "Attached:  %s\n\n",
	    r->policy_domain, r->submitter, r->report_id, begin, end,
	    r->filename);
	sbuf_addf(&sb, "--=_dmarc_%s\n", r->report_id);
	/* RFC 9990 2.5 / RFC 6713: application/gzip, named by the file name */
	sbuf_addf(&sb,
	    "Content-Type: application/gzip;\n name=\"%s\"\n"
	    "Content-Disposition: attachment;\n filename=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n\n",
	    r->filename, r->filename);
	add_base64(&sb, r->gz, r->gzlen);
	sbuf_addf(&sb, "--=_dmarc_%s--\n", r->report_id);
	if (sb.overflow) {
		free(buf);
		*errstr_r = "message size miscounted";
		return -1;
	}
	*msg_r = buf;
	*len_r = sb.len;
	return 0;
}

/* write_all - the whole buffer to fd; 0 or -1 with errno */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* child - runs in the forked process: only async-signal-safe calls */
static void
child(int rfd, const char *path, char *const *argv, long maxfd)
{
	sigset_t none;
	struct sigaction sa;
	long fd;

	if (rfd != STDIN_FILENO) {
		if (dup2(rfd, STDIN_FILENO) == -1)
			_exit(127);
		close(rfd);
	}
	if (close_range(3, ~0U, 0) == -1)
		for (fd = 3; fd < maxfd; fd++)
			close((int)fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	_exit(127);
}

/* send_sendmail - path -i -f from -- to... < msg */
int
send_sendmail(const char *path, const char *from, const char *const *to,
    size_t nto, const char *msg, size_t len, char *err, size_t errlen)
{
	char addr[RUA_ADDR_MAX + 1];
	const char *e;
	char **argv = NULL;
	sigset_t pipeset, oldset, pending;
	struct timespec zero = {0, 0};
	int fds[2] = {-1, -1}, status, werr = 0, rc = -1, blocked = 0;
	int was_pending = 0;
	long maxfd;
	pid_t pid, w;
	size_t i;

	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "sendmail path must be absolute");
		return -1;
	}
	if (from == NULL ||
	    rua_addr_check(from, strlen(from), addr, sizeof(addr), &e) == -1) {
		snprintf(err, errlen, "refused sender address: %s",
		    from == NULL ? "(null)" : e);
		return -1;
	}
	if (nto == 0 || nto > SEND_TO_MAX) {
		snprintf(err, errlen, "no or too many recipients");
		return -1;
	}
	for (i = 0; i < nto; i++) {
		if (to[i] == NULL ||
		    rua_addr_check(to[i], strlen(to[i]), addr, sizeof(addr),
			&e) == -1) {
			snprintf(err, errlen, "refused recipient address: %s",
			    to[i] == NULL ? "(null)" : e);
			return -1;
		}
	}
	/* argv: path -i -f from -- to... NULL */
	if ((argv = reallocarray(NULL, nto + 6, sizeof(*argv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	argv[0] = (char *)path;
	argv[1] = (char *)"-i";
	argv[2] = (char *)"-f";
	argv[3] = (char *)from;
	argv[4] = (char *)"--";
	for (i = 0; i < nto; i++)
		argv[5 + i] = (char *)to[i];
	argv[5 + nto] = NULL;

	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > SEND_FDS_MAX)
		maxfd = SEND_FDS_MAX;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(fds[0], path, argv, maxfd);
	close(fds[0]);
	fds[0] = -1;

	/* a sendmail that exits early must give EPIPE, not kill us */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipeset, &oldset) == 0)
		blocked = 1;
	if (write_all(fds[1], msg, len) == -1)
		werr = errno;
	close(fds[1]);
	fds[1] = -1;
	if (blocked) {
		if (werr == EPIPE && !was_pending)
			while (sigtimedwait(&pipeset, NULL, &zero) == -1 &&
			    errno == EINTR)
				;
		pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	}

	while ((w = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (w == -1) {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
		goto out;
	}
	if (WIFSIGNALED(status)) {
		snprintf(err, errlen, "%s: killed by signal %d", path,
		    WTERMSIG(status));
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "%s: cannot execute (exit status 127)",
		    path);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s: exit status %d", path,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (werr != 0) {
		snprintf(err, errlen, "%s: writing the message: %s", path,
		    strerror(werr));
		goto out;
	}
	rc = 0;
out:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	free(argv);
	return rc;
}
