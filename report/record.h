/*
 * record.h - what the daemon stores about one evaluated message
 *
 * record_from_verdict(v, env, rec) fills a store_record (report/store.h)
 * from the session's verdict (auth/session.h) after local policy, plus
 * what only the MTA knows: queue id, client, envelope domains.  Hostile
 * strings are copied with their caps (never overflow, never a NUL inside);
 * reasons become RFC 9990 override types, the legacy pct sampling "other"
 * with the comment "sampled_out".  Pure: no I/O, thread-safe.
 */
#ifndef RECORD_H
#define RECORD_H

#include "report/store.h"

struct verdict;

struct record_env {
	long long received;	     /* unix time; 0 = let the store say now */
	const char *queue_id;	     /* or NULL */
	const char *client_ip;	     /* or NULL */
	const char *mailfrom_domain; /* "" or "<>": the null sender */
	const char *helo;	     /* for the null sender's domain */
	const char *rcpt_domain;     /* the first recipient's domain, or NULL */
	const char *discovery;	     /* "treewalk" or "psl" */
};

void record_from_verdict(const struct verdict *v, const struct record_env *env,
    struct store_record *rec);

#endif
