/*
 * log.h - the daemon's log: syslog, and stderr too in the foreground
 * (after OpenSMTPD's log.c)
 *
 * log_init(foreground, facility): before it, messages go to stderr only.
 * After it they go to syslog as "dmarc-milter[PID]" with the facility,
 * and to stderr too (LOG_PERROR): in the foreground that is the terminal;
 * a daemon keeps it until it is ready, so that start-up errors are seen,
 * then points it at /dev/null.  Not when systemd connected stderr to the
 * journal ($JOURNAL_STREAM), which gets the syslog lines already.  Call
 * it once, before any thread starts.
 *
 *   log_warn(fmt, ...)   warning, ": " and strerror(errno) appended
 *   log_warnx(fmt, ...)  warning
 *   log_info(fmt, ...)   the per-message summary lines and events
 *   log_debug(fmt, ...)  details (syslog priority debug)
 *   fatal(fmt, ...)      log_warn() at priority crit, then exit(1)
 *   fatalx(fmt, ...)     log_warnx() at priority crit, then exit(1)
 *
 * Hostile text (anything from the MTA, the message or DNS) goes through
 * log_clean() and then "%.100s": bytes outside printable ASCII, and the
 * space, become '?', so a value can neither start a new log line nor
 * fake another key=value field.
 * log_clean(s, buf, buflen) returns buf, holding at most buflen - 1
 * cleaned bytes of s ("-" for NULL or "").
 *
 * Thread-safe: syslog() is, and the state set by log_init() is read-only
 * afterwards.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

#define LOG_CLEAN_MAX 101 /* buffers for log_clean(): "%.100s" and the NUL */

void log_init(int foreground, int facility);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
const char *log_clean(const char *s, char *buf, size_t buflen);

#endif
