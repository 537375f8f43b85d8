/*
 * milter.h - the libmilter callbacks: one evaluation session per
 * connection, one message at a time
 *
 * milter_register(): smfi_register() with our callbacks and the actions
 * we may take (add and change headers, quarantine).  0, or -1.
 *
 * The callbacks follow the message path of DESIGN §2.  A struct conn is
 * created at xxfi_negotiate (or at xxfi_connect when the MTA reuses a
 * connection without negotiating again), holds a reference to the config
 * snapshot from xxfi_connect, and is freed at xxfi_close, which libmilter
 * always calls, also when the MTA goes away in the middle of a message.
 * Per-message state is reset at MAIL FROM, at xxfi_abort and after
 * xxfi_eom, so one connection carries any number of messages.
 *
 * Each evaluated message's outcome is recorded in the store given to
 * milter_set_store() before the reply goes back to the MTA.
 *
 * Failure reports (FailureReports yes, RFC 9991): the header fields of
 * each message are kept (report/failure.h caps them) and, when the record
 * that applied asks for a report, a copy of what the report needs is put
 * on the queue of one sender thread at end of message; the milter thread
 * never builds nor sends one.  milter_failure_start(max) starts that
 * thread with a queue of max reports (after the privilege drop: reports
 * are sent as UserID); it reads the current snapshot for each report, so
 * a reload can turn reports on and off.  0, or -1.
 * milter_failure_stop(seconds, release): after the connections are done,
 * lets the thread send what is queued for at most seconds, then drops
 * the rest (logged); release frees the queue when no connection can use
 * it any more.
 *
 * milter_wait_idle(seconds): after smfi_main() has returned, waits until
 * every connection is closed or seconds have passed; returns the number
 * of connections still open (their callbacks may still run: do not free
 * the snapshot then).
 */
#ifndef MILTER_H
#define MILTER_H

#include <stddef.h>

struct store;

int milter_register(void);
/* milter_set_tcp - the socket is inet: or inet6: (fewer no-reply steps) */
void milter_set_tcp(int tcp);
/* milter_set_store - record every outcome there (NULL: none) */
void milter_set_store(struct store *st);
unsigned long milter_wait_idle(unsigned int seconds);
int milter_failure_start(size_t max);
void milter_failure_stop(unsigned int seconds, int release);

#endif
