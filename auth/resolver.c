/*
 * resolver.c - DNS answers from libunbound, or from a zone file
 *
 * libunbound has no per-query timeout, so each query runs asynchronously:
 * ub_resolve_async() hands it to libunbound's own worker thread, whose
 * answers come back through a pipe (ub_fd()).  One thread of ours polls
 * that pipe and calls ub_process(), which runs our callback; the callback
 * stores the result in the query's waiter and signals its condition
 * variable.  The asking thread waits on it with a deadline on
 * CLOCK_MONOTONIC.  On a timeout it marks the waiter abandoned and calls
 * ub_cancel(): with threads, libunbound reads the "cancelled" mark under
 * its own lock before it takes the callback, so a successful ub_cancel()
 * means the callback will never run (we free the waiter), and UB_NOID
 * means the callback has run or is about to (it frees the waiter).  The
 * waiter's fields are only touched under res->lock.  Abandoned waiters
 * stay on a list until then, so resolver_free() can free those whose
 * callback never came.
 *
 * Answers are also kept in a small cache of our own, shared by all
 * threads, for as long as their TTL says (at most RESOLVER_CACHE_TTL_MAX):
 * a repeated question is then answered under one mutex, without the two
 * thread hand-offs a trip through libunbound's worker costs, and without
 * decoding the rdata again.  Only definite answers (data, NXDOMAIN,
 * NODATA) are kept; errors and timeouts never are.  The cache is bounded
 * in entries and in bytes; the oldest entry goes first.
 *
 * UNSAFE: decoding RR data walks libunbound's rdata with explicit bounds.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "auth/resolver.h"
#include "auth/zone.h"

#define RESOLVER_TIMEOUT_DEFAULT 5000 /* ms, resolver.h */
#define RESOLVER_NS_MAX		 16   /* forwarders; more add nothing */
#define RESOLVER_NS_LEN		 64   /* "IPv6@PORT" is at most 52 */
#define RESOLVER_WIRE_NAME_MAX	 255  /* RFC 1035 3.1 */
/* presentation form of a wire name: every octet may need "\DDD" */
#define RESOLVER_PNAME_BUF	 (4 * RESOLVER_WIRE_NAME_MAX + 2)
#define RESOLVER_CACHE_BUCKETS	 1024	    /* power of two */
#define RESOLVER_CACHE_ENTRIES	 8192	    /* answers kept at most */
#define RESOLVER_CACHE_BYTES	 (8u << 20) /* and their bytes */
#define RESOLVER_CACHE_ONE_MAX	 (RESOLVER_CACHE_BYTES / 64) /* per answer */
#define RESOLVER_CACHE_TTL_MAX	 3600			     /* s */

/* One cached answer: a private copy, handed out as copies */
struct resolver_cent {
	struct resolver_cent *hnext;	     /* hash chain */
	struct resolver_cent *older, *newer; /* age list */
	time_t expires;			     /* CLOCK_MONOTONIC seconds */
	size_t bytes;			     /* counted against the budget */
	int type;
	struct resolver_answer ans;
	char name[]; /* canonical (lower-case) query name */
};

struct resolver_cache {
	pthread_mutex_t lock;
	struct resolver_cent *bucket[RESOLVER_CACHE_BUCKETS];
	struct resolver_cent *oldest, *newest;
	size_t entries, bytes;
	unsigned long hits, misses;
};

struct resolver {
	struct zone *zone;  /* zone backend, or NULL */
	struct ub_ctx *ctx; /* libunbound backend */
	unsigned int timeout_ms;
	pthread_mutex_t lock; /* guards every struct resolver_wait */
	pthread_t thread;     /* runs ub_process() */
	int thread_started;
	int wake[2];			 /* pipe: a byte stops the thread */
	struct resolver_wait *abandoned; /* timed-out queries, under lock */
	struct resolver_cache *cache;	 /* libunbound backend only */
};

/* One query in flight */
struct resolver_wait {
	struct resolver *res;
	pthread_cond_t cond;
	int done;
	int abandoned; /* the asker timed out and left */
	int err;       /* libunbound error code */
	struct ub_result *result;
	struct resolver_wait *prev, *next; /* on res->abandoned */
};

static void resolver_oom(void) __attribute__((noreturn));

static void
resolver_oom(void)
{
	abort(); /* STYLE.md 5: x*alloc aborts */
}

/* resolver_unlink - take an abandoned waiter off the list (lock held) */
static void
resolver_unlink(struct resolver *res, struct resolver_wait *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		res->abandoned = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
}

static void
resolver_wait_free(struct resolver_wait *w)
{
	if (w->result != NULL)
		ub_resolve_free(w->result);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void *
resolver_xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		resolver_oom();
	return p;
}

/* resolver_status_str - one word per status, for logs */
const char *
resolver_status_str(enum resolver_status st)
{
	switch (st) {
	case RESOLVER_OK:
		return "ok";
	case RESOLVER_NXDOMAIN:
		return "nxdomain";
	case RESOLVER_NODATA:
		return "nodata";
	case RESOLVER_TEMPFAIL:
		return "tempfail";
	case RESOLVER_INVALID:
		return "invalid";
	}
	return "unknown";
}

/* resolver_answer_free - accepts NULL and clears the pointer */
void
resolver_answer_free(struct resolver_answer **ansp)
{
	struct resolver_answer *ans;
	size_t i;

	if (ansp == NULL || (ans = *ansp) == NULL)
		return;
	for (i = 0; i < ans->nrr; i++)
		free(ans->rr[i].data);
	free(ans->rr);
	free(ans);
	*ansp = NULL;
}

/* resolver_thread - deliver libunbound's answers until told to stop */
static void *
resolver_thread(void *arg)
{
	struct resolver *res = arg;
	struct pollfd pfd[2];

	pfd[0].fd = ub_fd(res->ctx);
	pfd[0].events = POLLIN;
	pfd[1].fd = res->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break; /* cannot happen with valid fds */
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0)
			(void)ub_process(res->ctx);
		/* a broken pipe would spin: stop, queries then time out */
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			break;
	}
	return NULL;
}

/* resolver_callback - libunbound's answer for one query (our thread) */
static void
resolver_callback(void *arg, int err, struct ub_result *result)
{
	struct resolver_wait *w = arg;
	struct resolver *res = w->res;

	pthread_mutex_lock(&res->lock);
	w->err = err;
	w->result = result;
	if (w->abandoned) {
		resolver_unlink(res, w);
		pthread_mutex_unlock(&res->lock);
		resolver_wait_free(w);
		return;
	}
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&res->lock);
}

/*
 * resolver_add_fwd - one "IP[@PORT]" forwarder.  libunbound takes the
 * same "IP@PORT" syntax; the address is checked here for a clear error.
 */
static int
resolver_add_fwd(struct resolver *res, const char *spec, int *loopback,
    char *err, size_t errlen)
{
	char ip[RESOLVER_NS_LEN], *at;
	unsigned char bin[16];
	const char *errstr;
	int r;

	if (strlcpy(ip, spec, sizeof(ip)) >= sizeof(ip)) {
		(void)snprintf(err, errlen, "nameserver \"%.64s\": too long",
		    spec);
		return -1;
	}
	if ((at = strchr(ip, '@')) != NULL) {
		*at++ = '\0';
		(void)strtonum(at, 1, 65535, &errstr);
		if (errstr != NULL) {
			(void)snprintf(err, errlen,
			    "nameserver \"%s\": bad port", spec);
			return -1;
		}
	}
	if (inet_pton(AF_INET, ip, bin) == 1)
		*loopback |= bin[0] == 127;
	else if (inet_pton(AF_INET6, ip, bin) == 1)
		*loopback |= IN6_IS_ADDR_LOOPBACK((struct in6_addr *)bin);
	else {
		(void)snprintf(err, errlen, "nameserver \"%s\": bad address",
		    spec);
		return -1;
	}
	if ((r = ub_ctx_set_fwd(res->ctx, spec)) != 0) {
		(void)snprintf(err, errlen, "nameserver \"%s\": %s", spec,
		    ub_strerror(r));
		return -1;
	}
	return 0;
}

/* resolver_set_fwds - parse "IP[@PORT][,IP[@PORT]...]" (commas or blanks) */
static int
resolver_set_fwds(struct resolver *res, const char *list, char *err,
    size_t errlen)
{
	char spec[RESOLVER_NS_LEN + 1];
	const char *p = list, *q;
	size_t n = 0, len;
	int loopback = 0, r;

	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ',' && *q != ' ' && *q != '\t';
		     q++)
			;
		len = (size_t)(q - p);
		if (len >= sizeof(spec) || ++n > RESOLVER_NS_MAX) {
			(void)snprintf(err, errlen, "nameservers: %s",
			    len >= sizeof(spec) ? "entry too long"
						: "too many entries");
			return -1;
		}
		memcpy(spec, p, len);
		spec[len] = '\0';
		if (resolver_add_fwd(res, spec, &loopback, err, errlen) == -1)
			return -1;
		p = q;
	}
	if (n == 0) {
		(void)snprintf(err, errlen, "nameservers: empty list");
		return -1;
	}
	/* unbound refuses to send queries to 127.0.0.0/8 and ::1 unless
	 * told otherwise; a local forwarder is a common setup */
	if (loopback &&
	    (r = ub_ctx_set_option(res->ctx,
		 "do-not-query-localhost:", "no")) != 0) {
		(void)snprintf(err, errlen, "libunbound: %s", ub_strerror(r));
		return -1;
	}
	return 0;
}

/*
 * resolver_unblock - libunbound answers NXDOMAIN by itself for the
 * RFC 6303 reverse zones, RFC 6761 "test." and RFC 8375 "home.arpa.",
 * yet a site's DNS (or a test server on loopback) may serve them: ask
 * the upstream servers instead.  "localhost.", 127.0.0.0/8, "invalid."
 * and "onion." keep their built-in answers.
 */
static int
resolver_unblock(struct resolver *res, char *err, size_t errlen)
{
	static const char *const zones[] = {"test.", "home.arpa.",
	    "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
	    "113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."};
	size_t i;
	int r;

	/* the RFC 1918, link-local and ULA reverse zones */
	if ((r = ub_ctx_set_option(res->ctx, "unblock-lan-zones:", "yes")) !=
	    0) {
		(void)snprintf(err, errlen, "libunbound: %s", ub_strerror(r));
		return -1;
	}
	/* this also ends the configuration (ub_ctx_set_option no more) */
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		(void)ub_ctx_zone_remove(res->ctx, zones[i]);
	return 0;
}

/* resolver_now - seconds on CLOCK_MONOTONIC */
static time_t
resolver_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* resolver_hash - FNV-1a over the type and the canonical name */
static size_t
resolver_hash(const char *name, int type)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h & (RESOLVER_CACHE_BUCKETS - 1);
}

/* resolver_answer_copy - dst gets its own copy of src's records */
static void
resolver_answer_copy(struct resolver_answer *dst,
    const struct resolver_answer *src)
{
	size_t i;

	*dst = *src;
	dst->rr = NULL;
	dst->nrr = 0;
	if (src->nrr == 0)
		return;
	dst->rr = resolver_xcalloc(src->nrr, sizeof(*dst->rr));
	for (i = 0; i < src->nrr; i++) {
		dst->rr[i] = src->rr[i];
		if ((dst->rr[i].data = malloc(src->rr[i].len + 1)) == NULL)
			resolver_oom();
		memcpy(dst->rr[i].data, src->rr[i].data, src->rr[i].len + 1);
	}
	dst->nrr = src->nrr;
}

/* resolver_cent_drop - unlink and free one entry (cache lock held) */
static void
resolver_cent_drop(struct resolver_cache *c, struct resolver_cent *e)
{
	struct resolver_cent **pp;
	size_t i;

	pp = &c->bucket[resolver_hash(e->name, e->type)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->entries--;
	c->bytes -= e->bytes;
	for (i = 0; i < e->ans.nrr; i++)
		free(e->ans.rr[i].data);
	free(e->ans.rr);
	free(e);
}

/*
 * resolver_cache_get - a copy of a live cached answer into ans, with the
 * TTL that is left; 0 on a hit, -1 on a miss
 */
static int
resolver_cache_get(struct resolver_cache *c, const char *name, int type,
    struct resolver_answer *ans)
{
	struct resolver_cent *e;
	time_t now = resolver_now();
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	for (e = c->bucket[resolver_hash(name, type)]; e != NULL; e = e->hnext)
		if (e->type == type && strcmp(e->name, name) == 0)
			break;
	if (e != NULL && e->expires <= now) {
		resolver_cent_drop(c, e);
		e = NULL;
	}
	if (e != NULL) {
		resolver_answer_copy(ans, &e->ans);
		ans->ttl = (unsigned int)(e->expires - now);
		c->hits++;
		rc = 0;
	} else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* resolver_cache_put - keep a copy of a definite answer for its TTL */
static void
resolver_cache_put(struct resolver_cache *c, const char *name, int type,
    const struct resolver_answer *ans)
{
	struct resolver_cent *e, **pp;
	size_t namelen = strlen(name), bytes, i;
	unsigned int ttl = ans->ttl;

	if (ans->status != RESOLVER_OK && ans->status != RESOLVER_NXDOMAIN &&
	    ans->status != RESOLVER_NODATA)
		return;
	if (ttl == 0)
		return; /* RFC 1035 3.2.1: TTL 0 means do not cache */
	if (ttl > RESOLVER_CACHE_TTL_MAX)
		ttl = RESOLVER_CACHE_TTL_MAX;
	bytes = sizeof(*e) + namelen + 1 + ans->nrr * sizeof(*ans->rr);
	for (i = 0; i < ans->nrr; i++)
		bytes += ans->rr[i].len + 1;
	if (bytes > RESOLVER_CACHE_ONE_MAX)
		return;
	e = resolver_xcalloc(1, sizeof(*e) + namelen + 1);
	memcpy(e->name, name, namelen + 1);
	e->type = type;
	e->bytes = bytes;
	e->expires = resolver_now() + (time_t)ttl;
	resolver_answer_copy(&e->ans, ans);
	pthread_mutex_lock(&c->lock);
	/* another thread may have asked the same meanwhile: replace it */
	for (pp = &c->bucket[resolver_hash(name, type)]; *pp != NULL;
	     pp = &(*pp)->hnext)
		if ((*pp)->type == type && strcmp((*pp)->name, name) == 0) {
			resolver_cent_drop(c, *pp);
			break;
		}
	while (c->oldest != NULL &&
	    (c->entries >= RESOLVER_CACHE_ENTRIES ||
		c->bytes + bytes > RESOLVER_CACHE_BYTES))
		resolver_cent_drop(c, c->oldest);
	pp = &c->bucket[resolver_hash(name, type)];
	e->hnext = *pp;
	*pp = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->entries++;
	c->bytes += bytes;
	pthread_mutex_unlock(&c->lock);
}

static void
resolver_cache_free(struct resolver_cache **cp)
{
	struct resolver_cache *c = *cp;

	if (c == NULL)
		return;
	while (c->oldest != NULL)
		resolver_cent_drop(c, c->oldest);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

/* resolver_cache_stats - see resolver.h */
void
resolver_cache_stats(struct resolver *res, struct resolver_cache_stats *st)
{
	struct resolver_cache *c = res->cache;

	memset(st, 0, sizeof(*st));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	st->hits = c->hits;
	st->misses = c->misses;
	st->entries = c->entries;
	st->bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
}

/* resolver_new - open the zone file, or set up libunbound */
int
resolver_new(const struct resolver_opts *opts, struct resolver **res_r,
    char *err, size_t errlen)
{
	struct resolver *res;
	pthread_condattr_t ca;
	char eb[128];
	int r;

	*res_r = NULL;
	res = resolver_xcalloc(1, sizeof(*res));
	res->timeout_ms =
	    opts->timeout_ms ? opts->timeout_ms : RESOLVER_TIMEOUT_DEFAULT;
	res->wake[0] = res->wake[1] = -1;
	if (opts->zone_file != NULL) {
		if (zone_load(opts->zone_file, &res->zone, err, errlen) == -1) {
			free(res);
			return -1;
		}
		*res_r = res;
		return 0;
	}
	/* only to check that CLOCK_MONOTONIC works for condvars */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0) {
		(void)snprintf(err, errlen, "pthread: no monotonic clock");
		free(res);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	if ((res->ctx = ub_ctx_create()) == NULL) {
		(void)snprintf(err, errlen,
		    "libunbound: cannot create context");
		free(res);
		return -1;
	}
	/* a thread, not a forked process: libmilter is threaded */
	if ((r = ub_ctx_async(res->ctx, 1)) != 0) {
		(void)snprintf(err, errlen, "libunbound: %s", ub_strerror(r));
		goto fail;
	}
	if (opts->nameservers != NULL) {
		if (resolver_set_fwds(res, opts->nameservers, err, errlen) ==
		    -1)
			goto fail;
	} else if ((r = ub_ctx_resolvconf(res->ctx, NULL)) != 0) {
		(void)snprintf(err, errlen, "resolv.conf: %s", ub_strerror(r));
		goto fail;
	}
	if (resolver_unblock(res, err, errlen) == -1)
		goto fail;
	if (pthread_mutex_init(&res->lock, NULL) != 0) {
		(void)snprintf(err, errlen, "pthread: cannot create mutex");
		goto fail;
	}
	res->cache = resolver_xcalloc(1, sizeof(*res->cache));
	if (pthread_mutex_init(&res->cache->lock, NULL) != 0) {
		(void)snprintf(err, errlen, "pthread: cannot create mutex");
		pthread_mutex_destroy(&res->lock);
		free(res->cache);
		res->cache = NULL;
		goto fail;
	}
	if (pipe2(res->wake, O_CLOEXEC) == -1) {
		(void)snprintf(err, errlen, "pipe: %s",
		    strerror_r(errno, eb, sizeof(eb)));
		pthread_mutex_destroy(&res->lock);
		resolver_cache_free(&res->cache);
		res->wake[0] = res->wake[1] = -1;
		goto fail;
	}
	if (pthread_create(&res->thread, NULL, resolver_thread, res) != 0) {
		(void)snprintf(err, errlen, "pthread: cannot create thread");
		pthread_mutex_destroy(&res->lock);
		resolver_cache_free(&res->cache);
		goto fail;
	}
	res->thread_started = 1;
	*res_r = res;
	return 0;
fail:
	if (res->wake[0] != -1) {
		close(res->wake[0]);
		close(res->wake[1]);
	}
	ub_ctx_delete(res->ctx);
	free(res);
	return -1;
}

/* resolver_free - stop the thread, drop the cache; accepts NULL */
void
resolver_free(struct resolver **resp)
{
	struct resolver *res;
	struct resolver_wait *w;
	ssize_t n;

	if (resp == NULL || (res = *resp) == NULL)
		return;
	if (res->thread_started) {
		do
			n = write(res->wake[1], "x", 1);
		while (n == -1 && errno == EINTR);
		pthread_join(res->thread, NULL);
		close(res->wake[0]);
		close(res->wake[1]);
		/* no callback can run now: free what timed out */
		while ((w = res->abandoned) != NULL) {
			res->abandoned = w->next; /* all of them go */
			resolver_wait_free(w);
		}
		pthread_mutex_destroy(&res->lock);
	}
	if (res->ctx != NULL)
		ub_ctx_delete(res->ctx);
	resolver_cache_free(&res->cache);
	zone_free(&res->zone);
	free(res);
	*resp = NULL;
}

/*
 * resolver_wire_name - an uncompressed wire-format name (RFC 1035 3.1) at
 * p[0..len) -> presentation form without the trailing dot; octets that
 * are dots, backslashes or not printable become "\DDD" (RFC 4343 2.1).
 * *used is the wire length.  libunbound hands out rdata uncompressed, so
 * a compression pointer is malformed here.
 */
static int
resolver_wire_name(const unsigned char *p, size_t len, size_t *used, char *out,
    size_t outsize)
{
	size_t off = 0, o = 0, l, i;
	unsigned char c;

	for (;;) {
		if (off >= len)
			return -1;
		l = p[off];
		if (l == 0)
			break;
		if (l > 63 || off + 1 + l >= len ||
		    off + 1 + l + 1 > RESOLVER_WIRE_NAME_MAX)
			return -1;
		if (o > 0) {
			if (o + 1 >= outsize)
				return -1;
			out[o++] = '.';
		}
		for (i = 0; i < l; i++) {
			c = p[off + 1 + i];
			if (o + 5 >= outsize)
				return -1;
			if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f)
				o += (size_t)snprintf(out + o, outsize - o,
				    "\\%03u", c);
			else
				out[o++] = (char)c;
		}
		off += 1 + l;
	}
	out[o] = '\0';
	*used = off + 1;
	return 0;
}

/* resolver_rr_set - store one decoded RR, with a NUL after the data */
static void
resolver_rr_set(struct resolver_rr *rr, int type, unsigned short pref,
    const void *data, size_t len)
{
	rr->type = (unsigned short)type;
	rr->pref = pref;
	rr->len = len;
	rr->data = resolver_xcalloc(len + 1, 1);
	if (len > 0)
		memcpy(rr->data, data, len);
}

/*
 * resolver_decode - one rdata item of a libunbound answer -> rr.  Returns
 * 0, or -1 if malformed.
 */
static int
resolver_decode(int type, const unsigned char *p, size_t len,
    struct resolver_rr *rr)
{
	char name[RESOLVER_PNAME_BUF];
	unsigned char *txt;
	size_t off, used, l, n;

	switch (type) {
	case RESOLVER_T_A:
		if (len != 4)
			return -1;
		break;
	case RESOLVER_T_AAAA:
		if (len != 16)
			return -1;
		break;
	case RESOLVER_T_TXT:
	case RESOLVER_T_SPF:
		/* RFC 1035 3.3.14: length-prefixed strings; RFC 7208 3.3
		 * joins them without spaces */
		txt = resolver_xcalloc(len + 1, 1);
		for (off = 0, n = 0; off < len; off += 1 + l) {
			l = p[off];
			if (l > len - off - 1) {
				free(txt);
				return -1;
			}
			memcpy(txt + n, p + off + 1, l);
			n += l;
		}
		rr->type = (unsigned short)type;
		rr->pref = 0;
		rr->len = n;
		rr->data = txt;
		return 0;
	case RESOLVER_T_MX:
		if (len < 3 ||
		    resolver_wire_name(p + 2, len - 2, &used, name,
			sizeof(name)) == -1 ||
		    used != len - 2)
			return -1;
		resolver_rr_set(rr, type, (unsigned short)(p[0] << 8 | p[1]),
		    name, strlen(name));
		return 0;
	case RESOLVER_T_PTR:
	case RESOLVER_T_CNAME:
	case RESOLVER_T_NS:
		if (resolver_wire_name(p, len, &used, name, sizeof(name)) ==
			-1 ||
		    used != len)
			return -1;
		resolver_rr_set(rr, type, 0, name, strlen(name));
		return 0;
	}
	resolver_rr_set(rr, type, 0, p, len); /* other types: raw rdata */
	return 0;
}

/* resolver_convert - a libunbound result -> our answer */
static enum resolver_status
resolver_convert(const struct ub_result *r, int type,
    struct resolver_answer *ans)
{
	size_t n, i, total = 0;

	if (r->bogus) {
		ans->why = "DNSSEC validation failed";
		return ans->status = RESOLVER_INVALID;
	}
	/* negative answers: the SOA minimum libunbound derived (RFC 2308) */
	ans->ttl = r->ttl > 0 ? (unsigned int)r->ttl : 0;
	if (r->nxdomain || r->rcode == 3)
		return ans->status = RESOLVER_NXDOMAIN;
	if (r->rcode != 0) {
		ans->why = r->rcode == 2 ? "SERVFAIL" : "DNS error";
		return ans->status = RESOLVER_TEMPFAIL;
	}
	if (!r->havedata || r->data == NULL || r->data[0] == NULL)
		return ans->status = RESOLVER_NODATA;
	for (n = 0; r->data[n] != NULL; n++) {
		/* resolver.h caps */
		if (n >= RESOLVER_RR_MAX) {
			ans->why = "too many RRs";
			return ans->status = RESOLVER_INVALID;
		}
		if (r->len[n] < 0 ||
		    (size_t)r->len[n] > RESOLVER_ANSWER_MAX - total) {
			ans->why = "answer too large";
			return ans->status = RESOLVER_INVALID;
		}
		total += (size_t)r->len[n];
	}
	ans->rr = resolver_xcalloc(n, sizeof(*ans->rr));
	for (i = 0; i < n; i++) {
		if (resolver_decode(type, (const unsigned char *)r->data[i],
			(size_t)r->len[i], &ans->rr[i]) == -1) {
			ans->why = "malformed RR data";
			return ans->status = RESOLVER_INVALID;
		}
		ans->nrr++;
	}
	ans->ttl = r->ttl > 0 ? (unsigned int)r->ttl : 0;
	return ans->status = RESOLVER_OK;
}

/* resolver_deadline - now + ms on CLOCK_MONOTONIC */
static void
resolver_deadline(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* resolver_ub_query - one question through libunbound, with a timeout */
static enum resolver_status
resolver_ub_query(struct resolver *res, const char *name, int type,
    struct resolver_answer *ans)
{
	struct resolver_wait *w;
	struct ub_result *result;
	pthread_condattr_t ca;
	struct timespec deadline;
	int id, r, rc = 0;

	w = resolver_xcalloc(1, sizeof(*w));
	w->res = res;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&w->cond, &ca) != 0) {
		free(w);
		ans->why = "resolver error";
		return ans->status = RESOLVER_TEMPFAIL;
	}
	pthread_condattr_destroy(&ca);
	resolver_deadline(&deadline, res->timeout_ms);
	/* class IN; the callback may run before this returns */
	if (ub_resolve_async(res->ctx, name, type, 1, w, resolver_callback,
		&id) != 0) {
		pthread_cond_destroy(&w->cond);
		free(w);
		ans->why = "resolver error";
		return ans->status = RESOLVER_TEMPFAIL;
	}
	pthread_mutex_lock(&res->lock);
	while (!w->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->cond, &res->lock, &deadline);
	if (!w->done) {
		w->abandoned = 1;
		w->next = res->abandoned;
		if (w->next != NULL)
			w->next->prev = w;
		res->abandoned = w;
		pthread_mutex_unlock(&res->lock);
		/* see the comment at the top of this file */
		if (ub_cancel(res->ctx, id) == 0) {
			pthread_mutex_lock(&res->lock);
			resolver_unlink(res, w);
			pthread_mutex_unlock(&res->lock);
			resolver_wait_free(w);
		}
		ans->why = "timeout";
		return ans->status = RESOLVER_TEMPFAIL;
	}
	pthread_mutex_unlock(&res->lock);
	result = w->result;
	r = w->err;
	pthread_cond_destroy(&w->cond);
	free(w);
	if (r != 0 || result == NULL) {
		if (result != NULL)
			ub_resolve_free(result);
		ans->why = "network error";
		return ans->status = RESOLVER_TEMPFAIL;
	}
	(void)resolver_convert(result, type, ans);
	ub_resolve_free(result);
	if (ans->status != RESOLVER_OK) {
		/* a half-built answer must not leak out */
		while (ans->nrr > 0)
			free(ans->rr[--ans->nrr].data);
		free(ans->rr);
		ans->rr = NULL;
	}
	return ans->status;
}

/*
 * resolver_escape - a raw name (octets between dots) in the presentation
 * form libunbound parses: every octet but letters, digits, "-" and "_"
 * as \DDD (RFC 1035 5.1), so no octet of a hostile name is special.
 */
static void
resolver_escape(const char *raw, char *out, size_t outsize)
{
	size_t o = 0;
	unsigned char c;

	for (; *raw != '\0' && o + 5 < outsize; raw++) {
		c = (unsigned char)*raw;
		if (c == '.' || c == '-' || c == '_' ||
		    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			out[o++] = (char)c;
		else
			o +=
			    (size_t)snprintf(out + o, outsize - o, "\\%03u", c);
	}
	out[o] = '\0';
}

/* resolver_query - see resolver.h */
enum resolver_status
resolver_query(struct resolver *res, const char *name, int type,
    struct resolver_answer **ans_r)
{
	struct resolver_answer *ans;
	char canon[RESOLVER_NAME_MAX + 2];
	char pres[4 * RESOLVER_NAME_MAX + 2]; /* every octet as \DDD */

	if (res->zone != NULL)
		return zone_query(res->zone, name, type, ans_r);
	ans = resolver_xcalloc(1, sizeof(*ans));
	*ans_r = ans;
	if (zone_name_canon(name, canon, sizeof(canon)) == -1 || type <= 0 ||
	    type > 65535) {
		ans->why = "invalid name";
		return ans->status = RESOLVER_INVALID;
	}
	if (resolver_cache_get(res->cache, canon, type, ans) == 0)
		return ans->status;
	resolver_escape(canon, pres, sizeof(pres));
	(void)resolver_ub_query(res, pres, type, ans);
	resolver_cache_put(res->cache, canon, type, ans);
	return ans->status;
}
