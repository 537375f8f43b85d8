/*
 * test-send.c - the report message and its hand-off to sendmail
 *
 * A fake sendmail (a shell script in a temporary directory) records its
 * argv, its standard input and its open descriptors; /usr/bin/python3's
 * email module parses the messages.  Hostile addresses must be refused
 * before anything is executed.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/send.h"
#include "tests/t.h"

extern char **environ;

#define PYTHON "/usr/bin/python3"

static char dir[64];	   /* the temporary directory */
static char fake[128];	   /* its fake sendmail */
static char argvfile[128]; /* what the fake writes */
static char stdinfile[128];
static char fdsfile[128];

static const char fake_sh[] =
    "#!/bin/sh\n"
    ": >\"$FAKE_DIR/argv\"\n"
    "for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\" >>\"$FAKE_DIR/argv\"; "
    "done\n"
    "ls /proc/$$/fd >\"$FAKE_DIR/fds\"\n"
    "[ -n \"$FAKE_NOREAD\" ] && exit 0\n"
    "cat >\"$FAKE_DIR/stdin\"\n"
    "exit \"${FAKE_EXIT:-0}\"\n";

/* the python side: argv msg gz filename subject from to(,) msgid date */
static const char check_py[] =
    "import sys, email, email.policy\n"
    "m = email.message_from_binary_file(open(sys.argv[1], 'rb'),\n"
    "    policy=email.policy.default)\n"
    "gz = open(sys.argv[2], 'rb').read()\n"
    "e = []\n"
    "def chk(c, w):\n"
    "    if not c: e.append(w)\n"
    "chk(m.get_content_type() == 'multipart/mixed', 'type')\n"
    "chk(m['Subject'] == sys.argv[4], 'subject %r' % m['Subject'])\n"
    "chk(m['From'].addresses[0].addr_spec == sys.argv[5], 'from')\n"
    "to = [a.addr_spec for a in m['To'].addresses]\n"
    "chk(to == sys.argv[6].split(','), 'to %r' % to)\n"
    "chk(m['Message-ID'] == sys.argv[7], 'msgid %r' % m['Message-ID'])\n"
    "chk(int(m['Date'].datetime.timestamp()) == int(sys.argv[8]), 'date')\n"
    "chk(m['MIME-Version'] == '1.0', 'mime-version')\n"
    "chk(m['Auto-Submitted'] == 'auto-generated', 'auto-submitted')\n"
    "p = list(m.iter_parts())\n"
    "chk(len(p) == 2, 'parts %d' % len(p))\n"
    "chk(p[0].get_content_type() == 'text/plain', 'text')\n"
    "chk(sys.argv[3] in p[0].get_content(), 'text names the file')\n"
    "chk(p[1].get_content_type() == 'application/gzip', 'gzip type')\n"
    "chk(p[1].get_filename() == sys.argv[3], 'filename')\n"
    "chk(p[1].get_content_disposition() == 'attachment', 'attachment')\n"
    "chk(p[1].get_content() == gz, 'payload')\n"
    "d = [x for x in m.walk() for x in x.defects]\n"
    "chk(not d, 'defects %r' % d)\n"
    "print('OK' if not e else 'ERR ' + '; '.join(e))\n";

static void
setup(void)
{
	FILE *fp;

	snprintf(dir, sizeof(dir), "/tmp/test-send-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(fake, sizeof(fake), "%s/sendmail", dir);
	snprintf(argvfile, sizeof(argvfile), "%s/argv", dir);
	snprintf(stdinfile, sizeof(stdinfile), "%s/stdin", dir);
	snprintf(fdsfile, sizeof(fdsfile), "%s/fds", dir);
	if ((fp = fopen(fake, "w")) == NULL) {
		perror(fake);
		exit(1);
	}
	fputs(fake_sh, fp);
	fclose(fp);
	chmod(fake, 0755);
	setenv("FAKE_DIR", dir, 1);
}

static void
cleanup(void)
{
	unlink(argvfile);
	unlink(stdinfile);
	unlink(fdsfile);
	unlink(fake);
	rmdir(dir);
}

/* slurp - a whole file, NUL-terminated; NULL if missing */
static char *
slurp(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(fp);
	if (len_r != NULL)
		*len_r = (size_t)n;
	return buf;
}

static int
spit(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		return -1;
	fwrite(p, 1, n, fp);
	return fclose(fp);
}

static unsigned char gz[3000];

static void
report_init(struct send_report *r)
{
	size_t i;
	unsigned x = 12345;

	for (i = 0; i < sizeof(gz); i++) { /* not compressible */
		x = x * 1103515245 + 12345;
		gz[i] = (unsigned char)(x >> 16);
	}
	gz[0] = 0x1f;
	gz[1] = 0x8b;
	memset(r, 0, sizeof(*r));
	r->from = "dmarc-noreply@mx.example.net";
	r->org_name = "Example \"Mail\" \\ Receiver";
	r->submitter = "mx.example.net";
	r->policy_domain = "example.com";
	r->report_id = "0123456789abcdef0123456789abcdef";
	r->filename = "mx.example.net!example.com!1704067200!1704153599!"
		      "0123456789abcdef0123456789abcdef.xml.gz";
	r->begin = 1704067200;
	r->end = 1704153599;
	r->gz = gz;
	r->gzlen = sizeof(gz);
	r->date = 1704160000;
}

/* python_check - the message parsed by Python; "OK\n" or its complaint */
static char *
python_check(const char *msg, size_t len, const struct send_report *r,
    const char *subject, const char *to)
{
	char mf[160], gf[160], of[160], date[32], msgid[160];
	char *argv[] = {PYTHON, "-c", (char *)check_py, mf, gf,
	    (char *)r->filename, (char *)subject, (char *)r->from, (char *)to,
	    msgid, date, NULL};
	posix_spawn_file_actions_t fa;
	char *out;
	pid_t pid;
	int st;

	snprintf(mf, sizeof(mf), "%s/msg", dir);
	snprintf(gf, sizeof(gf), "%s/gz", dir);
	snprintf(of, sizeof(of), "%s/py.out", dir);
	snprintf(date, sizeof(date), "%lld", r->date);
	snprintf(msgid, sizeof(msgid), "<%s@%s>", r->report_id, r->submitter);
	spit(mf, msg, len);
	spit(gf, r->gz, r->gzlen);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, of,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ) != 0)
		return strdup("cannot run " PYTHON);
	posix_spawn_file_actions_destroy(&fa);
	waitpid(pid, &st, 0);
	out = slurp(of, NULL);
	unlink(mf);
	unlink(gf);
	unlink(of);
	return out != NULL ? out : strdup("no output");
}

static void
test_build(void)
{
	struct send_report r;
	const char *to[] = {"dmarc@example.com", "d+x@reports.example.org"};
	const char *e = NULL;
	static const char head[] =
	    "From: \"Example \\\"Mail\\\" \\\\ Receiver\" "
	    "<dmarc-noreply@mx.example.net>\n"
	    "To: dmarc@example.com,\n"
	    " d+x@reports.example.org\n"
	    "Date: Tue, 02 Jan 2024 01:46:40 +0000\n"
	    "Message-ID: <0123456789abcdef0123456789abcdef@mx.example.net>\n"
	    "Subject: Report Domain: example.com\n"
	    " Submitter: mx.example.net\n"
	    " Report-ID: <0123456789abcdef0123456789abcdef>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed;\n"
	    " boundary=\"=_dmarc_0123456789abcdef0123456789abcdef\"\n"
	    "Auto-Submitted: auto-generated\n\n";
	char *msg = NULL, *py;
	const char *line, *nl;
	size_t len = 0, maxline = 0, b64max = 0, n;
	int in_b64 = 0;

	t_begin("send_build: RFC 5322 + MIME, parsed by Python's email");
	report_init(&r);
	T_ASSERT(send_build(&r, to, 2, &msg, &len, &e) == 0);
	if (msg != NULL) {
		T_ASSERT(strlen(msg) == len);
		T_ASSERT(strncmp(msg, head, strlen(head)) == 0);
		T_ASSERT(strstr(msg,
			     "Content-Type: application/gzip;\n"
			     " name=\"mx.example.net!example.com!"
			     "1704067200!1704153599!0123456789abcdef"
			     "0123456789abcdef.xml.gz\"\n") != NULL);
		py = python_check(msg, len, &r,
		    "Report Domain: example.com Submitter: mx.example.net "
		    "Report-ID: <0123456789abcdef0123456789abcdef>",
		    "dmarc@example.com,d+x@reports.example.org");
		T_ASSERT_STREQ(py, "OK\n");
		free(py);
		/* line lengths: RFC 5322 2.1.1 and RFC 2045 6.8 */
		for (line = msg; *line != '\0'; line = nl + 1) {
			if ((nl = strchr(line, '\n')) == NULL)
				break;
			n = (size_t)(nl - line);
			if (n > maxline)
				maxline = n;
			if (strncmp(line, "--=_dmarc_", 10) == 0)
				in_b64 = 0;
			else if (in_b64 && n > b64max)
				b64max = n;
			if (strncmp(line, "Content-Transfer-Encoding: base64\n",
				34) == 0)
				in_b64 = 1;
		}
		T_ASSERT(maxline <= 998);
		T_ASSERT_INTEQ(b64max, SEND_B64_LINE);
	}
	free(msg);

	/* a short subject stays on one line; a name that is not printable
	 * ASCII is left out */
	r.policy_domain = "ex.com";
	r.submitter = "mx.ex";
	r.report_id = "abc";
	r.filename = "mx.ex!ex.com!1!2!abc.xml.gz";
	r.org_name = "R\xc3\xa9"
		     "cepteur";
	r.gzlen = 1;
	msg = NULL;
	T_ASSERT(send_build(&r, to, 1, &msg, &len, &e) == 0);
	if (msg != NULL) {
		T_ASSERT(strstr(msg,
			     "\nSubject: Report Domain: ex.com "
			     "Submitter: mx.ex Report-ID: <abc>\n") != NULL);
		T_ASSERT(strncmp(msg, "From: <dmarc-noreply@mx.example.net>\n",
			     37) == 0);
		T_ASSERT(strstr(msg, "\nHw==\n--=_dmarc_abc--\n") != NULL);
		py = python_check(msg, len, &r,
		    "Report Domain: ex.com Submitter: mx.ex Report-ID: <abc>",
		    "dmarc@example.com");
		T_ASSERT_STREQ(py, "OK\n");
		free(py);
	}
	free(msg);
	t_end();
}

static void
test_build_refuses(void)
{
	static const struct {
		const char *field, *value, *why;
	} v[] = {
	    {"to", ";rm -rf /@example.com",
		"character not allowed in local part"},
	    {"to", "-oQ/tmp/x@example.com", "address begins with '-'"},
	    {"to", "a@example.com\nBcc: x@evil.example",
		"address domain is not a host name"},
	    {"to", "a@example.com, b@example.com",
		"address domain is not a host name"},
	    {"from", "-f@example.com", "bad report sender address"},
	    {"from", "a@example.com\r\nBcc: x@evil.example",
		"bad report sender address"},
	    {"domain", "example.com\r\nBcc: x@evil.example",
		"bad submitter or policy domain"},
	    {"domain", "Example.com", "bad submitter or policy domain"},
	    {"submitter", "mx example", "bad submitter or policy domain"},
	    {"id", "a b", "bad report ID or file name"},
	    {"id", "", "bad report ID or file name"},
	    {"file", "../../etc/passwd", "bad report ID or file name"},
	    {"file", "a\"b.xml.gz", "bad report ID or file name"},
	    {"file", "a\nb.xml.gz", "bad report ID or file name"},
	};
	struct send_report r;
	const char *to[1], *e;
	char *msg;
	size_t i, len;

	t_begin("send_build: hostile fields refused, nothing built");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		report_init(&r);
		to[0] = "dmarc@example.com";
		if (strcmp(v[i].field, "to") == 0)
			to[0] = v[i].value;
		else if (strcmp(v[i].field, "from") == 0)
			r.from = v[i].value;
		else if (strcmp(v[i].field, "domain") == 0)
			r.policy_domain = v[i].value;
		else if (strcmp(v[i].field, "submitter") == 0)
			r.submitter = v[i].value;
		else if (strcmp(v[i].field, "id") == 0)
			r.report_id = v[i].value;
		else
			r.filename = v[i].value;
		msg = (char *)"untouched";
		e = NULL;
		T_ASSERT_IDX(send_build(&r, to, 1, &msg, &len, &e) == -1, i);
		T_ASSERT_IDX(msg == NULL, i);
		T_ASSERT_STREQ(e, v[i].why);
	}
	report_init(&r);
	T_ASSERT(send_build(&r, to, 0, &msg, &len, &e) == -1);
	T_ASSERT_STREQ(e, "no or too many recipients");
	t_end();
}

static void
test_sendmail(void)
{
	const char *to[] = {"dmarc@example.com", "d+x@reports.example.org"};
	char err[256], *got, want[512], *msg = NULL, fdname[16];
	struct send_report r;
	size_t len, glen;
	const char *e;
	int devnull;

	t_begin("send_sendmail: exact argv, message on stdin, fds closed");
	report_init(&r);
	T_ASSERT(send_build(&r, to, 2, &msg, &len, &e) == 0);
	/* a descriptor without close-on-exec must not reach sendmail */
	devnull = open("/dev/null", O_RDONLY);
	T_ASSERT(dup2(devnull, 77) == 77);
	err[0] = '\0';
	T_ASSERT(send_sendmail(fake, r.from, to, 2, msg, len, err,
		     sizeof(err)) == 0);
	T_ASSERT_STREQ(err, "");
	got = slurp(argvfile, NULL);
	snprintf(want, sizeof(want),
	    "%s\n-i\n-f\ndmarc-noreply@mx.example.net\n--\n"
	    "dmarc@example.com\nd+x@reports.example.org\n",
	    fake);
	T_ASSERT_STREQ(got, want);
	free(got);
	got = slurp(stdinfile, &glen);
	T_ASSERT(got != NULL && glen == len && memcmp(got, msg, len) == 0);
	free(got);
	got = slurp(fdsfile, NULL);
	snprintf(fdname, sizeof(fdname), "\n77\n");
	/* "ls" sorts as text: 0, 1, 10 (the shell's own), 2 */
	T_ASSERT(got != NULL && strncmp(got, "0\n1\n", 4) == 0 &&
	    strstr(got, "\n2\n") != NULL);
	T_ASSERT(got != NULL && strstr(got, fdname) == NULL);
	free(got);
	close(77);
	close(devnull);

	/* the exit status is checked */
	setenv("FAKE_EXIT", "75", 1);
	T_ASSERT(send_sendmail(fake, r.from, to, 1, msg, len, err,
		     sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s: exit status 75", fake);
	T_ASSERT_STREQ(err, want);
	unsetenv("FAKE_EXIT");

	/* a sendmail that reads nothing: an error, and we are still alive */
	setenv("FAKE_NOREAD", "1", 1);
	{
		size_t big = 4 << 20;
		char *m = malloc(big);

		memset(m, 'x', big);
		T_ASSERT(send_sendmail(fake, r.from, to, 1, m, big, err,
			     sizeof(err)) == -1);
		snprintf(want, sizeof(want),
		    "%s: writing the message: Broken pipe", fake);
		T_ASSERT_STREQ(err, want);
		free(m);
	}
	unsetenv("FAKE_NOREAD");
	{
		sigset_t pend;

		sigpending(&pend);
		T_ASSERT(!sigismember(&pend, SIGPIPE));
	}

	/* missing binary */
	T_ASSERT(send_sendmail("/nonexistent/sendmail", r.from, to, 1, msg, len,
		     err, sizeof(err)) == -1);
	T_ASSERT_STREQ(err,
	    "/nonexistent/sendmail: cannot execute (exit status 127)");
	free(msg);
	t_end();
}

static void
test_sendmail_refuses(void)
{
	static const struct {
		const char *from, *to0, *to1, *path, *err;
	} v[] = {
	    {"r@mx.example.net", "a@example.com", ";rm -rf /@example.com", NULL,
		"refused recipient address: character not allowed in local "
		"part"},
	    {"r@mx.example.net", "a@example.com", "x@example.com;rm -rf /",
		NULL,
		"refused recipient address: address domain is not a host "
		"name"},
	    {"r@mx.example.net", "-oQ/tmp/evil@example.com", "a@example.com",
		NULL, "refused recipient address: address begins with '-'"},
	    {"r@mx.example.net", "--", "a@example.com", NULL,
		"refused recipient address: address begins with '-'"},
	    {"r@mx.example.net", "$(touch /tmp/pwned)@example.com",
		"a@example.com", NULL,
		"refused recipient address: character not allowed in local "
		"part"},
	    {"r@mx.example.net", "a@example.com\n-oQ", "b@example.com", NULL,
		"refused recipient address: address domain is not a host "
		"name"},
	    {"-bd", "a@example.com", "b@example.com", NULL,
		"refused sender address: address begins with '-'"},
	    {"r@mx.example.net", "a@example.com", "b@example.com", "sendmail",
		"sendmail path must be absolute"},
	};
	char err[256];
	const char *to[2];
	size_t i;

	t_begin("send_sendmail: hostile addresses refused before exec");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unlink(argvfile);
		to[0] = v[i].to0;
		to[1] = v[i].to1;
		err[0] = '\0';
		T_ASSERT_IDX(send_sendmail(v[i].path ? v[i].path : fake,
				 v[i].from, to, 2, "x\n", 2, err,
				 sizeof(err)) == -1,
		    i);
		T_ASSERT_STREQ(err, v[i].err);
		T_ASSERT_IDX(access(argvfile, F_OK) == -1 && errno == ENOENT,
		    i);
	}
	t_end();
}

int
main(void)
{
	static void (*const tests[])(void) = {test_build, test_build_refuses,
	    test_sendmail, test_sendmail_refuses, NULL};
	int rc;

	setup();
	rc = t_run(tests);
	cleanup();
	return rc;
}
