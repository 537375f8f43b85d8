/*
 * log.c - syslog, and stderr in the foreground
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "milter/log.h"

#define LOG_LINE_MAX 2048 /* one log line; syslog cuts longer ones anyway */

/* set once by log_init() before any thread starts, read-only afterwards */
static int log_syslog;

/*
 * stderr_is_journal - systemd connected stderr to the journal, which also
 * takes the syslog lines: writing both would log everything twice
 * (systemd.exec(5), $JOURNAL_STREAM is "DEVICE:INODE" of that stream)
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end;
	struct stat st;

	/* strtoull, not sscanf: a number out of range is an error, not
	 * undefined behaviour (C11 7.21.6.2) */
	if (js == NULL || *js < '0' || *js > '9')
		return 0;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/*
 * log_init - syslog from now on.  LOG_PERROR in both modes: in the
 * foreground stderr is the terminal, and a daemon points stderr at
 * /dev/null only once it is ready, so start-up errors are seen.
 */
void
log_init(int foreground, int facility)
{
	(void)foreground;
	openlog("dmarc-milter",
	    LOG_PID | LOG_NDELAY | (stderr_is_journal() ? 0 : LOG_PERROR),
	    facility);
	log_syslog = 1;
}

static void vlog(int pri, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* vlog - one line at pri; errnum != 0 appends its text */
static void
vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], eb[128];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		strlcpy(line, "(log format error)", sizeof(line));
	if (errnum != 0) {
		size_t l = strlen(line);

		(void)snprintf(line + l, sizeof(line) - l, ": %s",
		    strerror_r(errnum, eb, sizeof(eb)));
	}
	if (log_syslog)
		syslog(pri, "%s", line);
	else
		fprintf(stderr, "dmarc-milter: %s\n", line);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* log_clean - a copy of hostile text safe for one key=value log field */
const char *
log_clean(const char *s, char *buf, size_t buflen)
{
	size_t i;

	if (buflen == 0)
		return "";
	if (s == NULL || *s == '\0') {
		strlcpy(buf, "-", buflen);
		return buf;
	}
	for (i = 0; s[i] != '\0' && i + 1 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[i] = '\0';
	return buf;
}
